import { describe, expect, it } from 'vitest';
import { asm, assemble, R0, R1, R2, withSourceTracking } from '../../../src/asm/dsl/index.js';
import type { Instruction } from '../../../src/asm/instruction.js';
import { I, badInput, bare } from './util.js';

const bareAll = (insns: Instruction[]) => insns.map(bare);

describe('assemble', () => {
  it('resolves forward and backward jumps, keeping symbol and target', () => {
    const { instructions } = asm.program([
      asm.mov64(R0, 0),
      asm.label('loop'),
      asm.add64(R0, 1),
      asm.jeq64(R0, 10, 'done'),
      asm.ja('loop'),
      asm.label('done'),
      asm.exit(),
    ]);
    expect(bareAll(instructions)).toEqual([
      I(0xb7, 0, 0, 0, 0),
      { ...I(0x07, 0, 0, 0, 1), symbol: 'loop' },
      { ...I(0x15, 0, 0, 1, 10), target: 'done' },
      { ...I(0x05, 0, 0, -3, 0), target: 'loop' },
      { ...I(0x95, 0, 0, 0, 0), symbol: 'done' },
    ]);
  });

  it('counts LD_IMM64 as two slots, forward and backward', () => {
    const { instructions } = assemble([
      asm.label('top'),
      asm.jeq64(R1, 0, 'end'),
      asm.lddw(R2, 1n << 40n),
      asm.loadMap(R1, 'm'),
      asm.jne64(R1, 0, 'top'),
      asm.label('end'),
      asm.exit(),
    ]);
    // slots: 0 jeq, 1-2 lddw, 3-4 loadMap, 5 jne, 6 exit
    expect(instructions[0]!.off).toBe(5); // 6 - (0 + 1)
    expect(instructions[3]!.off).toBe(-6); // 0 - (5 + 1)
    expect(instructions[0]!.symbol).toBe('top');
  });

  it('resolves gotol, may_goto, BPF-to-BPF calls and function references', () => {
    const { instructions } = assemble([
      asm.loadFunc(R2, 'cb'), // slots 0-1
      asm.callSub('cb'), // 2
      asm.mayGoto('out'), // 3
      asm.gotol('out'), // 4
      asm.label('out'),
      asm.ret(0), // 5, 6
      asm.label('cb'),
      asm.ret(1), // 7, 8
    ]);
    expect(bareAll(instructions).slice(0, 4)).toEqual([
      { ...I(0x18, 2, 4, 0, 6), immHi: 0, target: 'cb' }, // kernel: subprog at i + imm + 1
      { ...I(0x85, 0, 1, 0, 4), target: 'cb' },
      { ...I(0xe5, 0, 0, 1, 0), target: 'out' },
      { ...I(0x06, 0, 0, 0, 0), target: 'out' },
    ]);
    expect(instructions[4]!.symbol).toBe('out');
    expect(instructions[6]!.symbol).toBe('cb');
  });

  it('flattens nested lists', () => {
    const a = assemble([[asm.mov64(R0, 1), [[asm.label('x')], asm.exit()]], []]);
    expect(bareAll(a.instructions)).toEqual([I(0xb7, 0, 0, 0, 1), { ...I(0x95, 0, 0, 0, 0), symbol: 'x' }]);
  });

  it('several labels on one instruction: the first is the symbol, references to others point at it', () => {
    const { instructions } = assemble([
      asm.ja('b'),
      asm.ja('a'),
      asm.label('a'),
      asm.label('b'),
      asm.exit(),
    ]);
    expect(instructions[0]).toMatchObject({ off: 1, target: 'a' });
    expect(instructions[1]).toMatchObject({ off: 0, target: 'a' });
    expect(instructions[2]!.symbol).toBe('a');
  });

  it('an instruction that already has a symbol keeps it; labels before it alias it', () => {
    const named: Instruction = { ...I(0x95, 0, 0, 0, 0), symbol: 'fn' };
    const { instructions } = assemble([asm.callSub('alias'), asm.exit(), asm.label('alias'), named]);
    expect(instructions[0]).toMatchObject({ imm: 1, target: 'fn' });
    expect(instructions[2]!.symbol).toBe('fn');
  });

  it('accepts the 16-bit edge and rejects one past it, suggesting gotol', () => {
    withSourceTracking(false, () => {
      const pad = Array.from({ length: 32767 }, () => asm.mov64(R0, 0));
      expect(assemble([asm.ja('end'), pad, asm.label('end'), asm.exit()]).instructions[0]!.off).toBe(32767);
      const e = badInput(() => assemble([asm.ja('end'), pad, asm.mov64(R0, 0), asm.label('end'), asm.exit()]));
      expect(e.problem).toMatch(/jump to "end" is 32768 slots away, beyond the 16-bit offset range.*use gotol/);
      expect(e.index).toBe(0);
      const c = badInput(() => assemble([asm.jeq64(R1, 0, 'end'), pad, pad, asm.label('end'), asm.exit()]));
      expect(c.problem).toMatch(/invert the condition, then gotol/);
      const back = badInput(() => assemble([asm.label('top'), pad, asm.mov64(R0, 0), asm.ja('top')]));
      expect(back.problem).toMatch(/is -32769 slots away/);
      const g = assemble([asm.gotol('end'), pad, pad, asm.label('end'), asm.exit()]);
      expect(g.instructions[0]!.imm).toBe(65534);
    });
  });

  it('rejects unknown labels, with near names', () => {
    const e = badInput(() => assemble([asm.jeq64(R1, 0, 'don'), asm.label('done'), asm.exit()]));
    expect(e.problem).toBe('unknown label "don"; known labels close to it: "done"');
    expect(e.index).toBe(0);
    expect(e.source?.file).toMatch(/assemble\.test\.ts$/);
    expect(badInput(() => assemble([asm.callSub('nowhere'), asm.exit()])).problem).toBe('unknown label "nowhere"');
  });

  it('rejects duplicate labels and a label with nothing after it', () => {
    const d = badInput(() => assemble([asm.label('a'), asm.exit(), asm.label('a'), asm.exit()]));
    expect(d.problem).toMatch(/^duplicate label "a" \(first on the instruction at slot 0/);
    expect(d.index).toBe(1);
    const twice = badInput(() => assemble([asm.label('a'), asm.label('a'), asm.exit()]));
    expect(twice.problem).toMatch(/duplicate label "a"/);
    const end = badInput(() => assemble([asm.exit(), asm.label('tail')]));
    expect(end.problem).toBe('label "tail" is at the end of the program: no instruction follows it to name');
    expect(end.index).toBe(1);
    expect(end.source?.line).toBeGreaterThan(0);
  });

  it('rejects invalid raw instructions, non-instructions and misplaced targets', () => {
    const raw = badInput(() => assemble([asm.exit(), { ...I(0x07, 10, 0, 0, 1) }]));
    expect(raw.index).toBe(1);
    expect(raw.problem).toMatch(/dst cannot be r10/);
    expect(badInput(() => assemble([asm.exit(), 5 as unknown as Instruction])).problem)
      .toBe('program item at slot 1 is not an instruction or a label: 5');
    expect(badInput(() => assemble([{ foo: 1 } as unknown as Instruction])).problem).toMatch(/not an instruction or a label/);
    expect(badInput(() => assemble([{ ...I(0xb7, 0, 0, 0, 0), target: 'x' }, asm.label('x'), asm.exit()])).problem)
      .toBe('target "x" on an instruction that cannot jump or call');
    expect(badInput(() => assemble([{ label: 'a b' }, asm.exit()])).problem).toMatch(/label must be a non-empty string without whitespace/);
  });

  it('collects map objects and names, and rejects two objects with one name', () => {
    const counts = { name: 'counts', keySize: 4 };
    const { maps, mapNames } = assemble([
      asm.loadMap(R1, 'events'), asm.loadMap(R1, counts), asm.loadMapValue(R2, counts, 4), asm.loadMap(R1, 'events'), asm.exit(),
    ]);
    expect(maps).toEqual({ counts });
    expect(maps.counts).toBe(counts);
    expect(mapNames).toEqual(['events', 'counts']);
    const e = badInput(() => assemble([asm.loadMap(R1, counts), asm.loadMap(R1, { name: 'counts' }), asm.exit()]));
    expect(e.problem).toBe('two different map objects are both named "counts"');
    expect(e.index).toBe(2);
  });

  it('does not modify its input', () => {
    const j = asm.ja('x');
    const items = [j, asm.label('x'), asm.exit()];
    assemble(items);
    expect(j.off).toBe(0);
    expect(j.target).toBe('x');
  });

  it('source: false leaves locations out; with a function it does not record them', () => {
    const withSrc = assemble([asm.exit()]);
    expect(withSrc.instructions[0]!.source).toBeDefined();
    expect(assemble([asm.exit()], { source: false }).instructions[0]!.source).toBeUndefined();
    const lazy = assemble(() => [asm.mov64(R0, 0), asm.exit()], { source: false });
    expect(lazy.instructions.every((i) => i.source === undefined)).toBe(true);
    const on = assemble(() => [asm.exit()]);
    expect(on.instructions[0]!.source).toBeDefined();
  });
});
