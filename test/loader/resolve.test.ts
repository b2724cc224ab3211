import { describe, it, expect } from 'vitest';
import type { Instruction } from '../../src/asm/instruction.js';
import { LD_IMM64, PseudoCall, PseudoLd } from '../../src/asm/opcode.js';
import { checkMapNames, referencedMapNames, resolveReferences } from '../../src/loader/resolve.js';
import { NotSupportedError, isBadInputError } from '../../src/errors.js';

const src = { file: 'prog.ts', line: 7, column: 3 };
const mov0: Instruction = { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 };
const exit: Instruction = { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 };
const ldMap = (map: string, s: number = PseudoLd.MAP_FD): Instruction =>
  ({ code: LD_IMM64, dst: 1, src: s, off: 0, imm: 0, immHi: 0, map, source: src });
const noKfunc = (name: string): number => { throw new NotSupportedError(`kernel function ${name}`, 'not in the kernel\'s BTF'); };

describe('resolveReferences', () => {
  it('puts map fds into LD_IMM64 and keeps the value offset', () => {
    const insns = [ldMap('a'), { ...ldMap('b', PseudoLd.MAP_VALUE), immHi: 8 }, mov0, exit];
    const out = resolveReferences(insns, { mapFds: new Map([['a', 7], ['b', 9]]), kfuncId: noKfunc, fdArray: [] });
    expect(out[0]).toMatchObject({ imm: 7, src: PseudoLd.MAP_FD });
    expect(out[1]).toMatchObject({ imm: 9, immHi: 8, src: PseudoLd.MAP_VALUE });
    expect(insns[0]!.imm).toBe(0);
    expect(referencedMapNames(insns)).toEqual(['a', 'b']);
  });

  it('gives MAP_IDX references fd_array slots, one per map', () => {
    const fdArray = [3];
    const out = resolveReferences([ldMap('m', PseudoLd.MAP_IDX), ldMap('m', PseudoLd.MAP_IDX_VALUE), exit],
      { mapFds: new Map([['m', 11]]), kfuncId: noKfunc, fdArray });
    expect(fdArray).toEqual([3, 11]);
    expect(out[0]!.imm).toBe(1);
    expect(out[1]!.imm).toBe(1);
  });

  it('turns labels into slot offsets, counting LD_IMM64 as two slots', () => {
    const insns: Instruction[] = [
      { code: 0x15, dst: 1, src: 0, off: 0, imm: 0, target: 'out' }, // if r1 == 0 goto out
      { code: LD_IMM64, dst: 0, src: 0, off: 0, imm: 5, immHi: 0 },
      { code: 0x85, dst: 0, src: PseudoCall.CALL, off: 0, imm: 0, target: 'fn' },
      { ...exit, symbol: 'out' },
      { ...mov0, symbol: 'fn' },
      exit,
    ];
    const out = resolveReferences(insns, { mapFds: new Map(), kfuncId: noKfunc, fdArray: [] });
    expect(out[0]!.off).toBe(3); // slot 0 -> slot 4
    expect(out[2]!.imm).toBe(1); // slot 3 -> slot 5
  });

  it('resolves kfunc names and reports unknown ones as bad input at the instruction', () => {
    const call: Instruction = { code: 0x85, dst: 0, src: PseudoCall.KFUNC, off: 0, imm: 0, kfunc: 'bpf_foo', source: src };
    const ok = resolveReferences([call, exit], { mapFds: new Map(), kfuncId: () => 1234, fdArray: [] });
    expect(ok[0]!.imm).toBe(1234);
    let err: unknown;
    try { resolveReferences([mov0, call, exit], { mapFds: new Map(), kfuncId: noKfunc, fdArray: [] }); } catch (e) { err = e; }
    expect(isBadInputError(err)).toBe(true);
    expect(err).toMatchObject({ index: 1, source: src });
    expect((err as Error).message).toContain('bpf_foo');
  });

  it('reports unknown labels and unknown maps with the instruction index', () => {
    expect(() => resolveReferences([{ ...exit, target: 'nowhere', code: 0x05 }, exit],
      { mapFds: new Map(), kfuncId: noKfunc, fdArray: [] })).toThrow(/unknown label "nowhere"/);
    let err: unknown;
    try { checkMapNames([mov0, ldMap('events'), exit], new Set(['counts'])); } catch (e) { err = e; }
    expect(err).toMatchObject({ name: 'BadInputError', index: 1, source: src });
    expect((err as Error).message).toMatch(/map "events" is not given \(maps option has "counts"\)/);
  });
});
