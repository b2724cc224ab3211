// Bad input, property-tested: any builder called with any operands either returns valid
// instructions or throws a BadInputError; never another exception, never an invalid instruction.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { asm, R0, R1, R5, R10, setSourceTracking } from '../../../src/asm/dsl/index.js';
import { decode, encode } from '../../../src/asm/encoding.js';
import type { Instruction } from '../../../src/asm/instruction.js';
import { slotOffsets } from '../../../src/asm/instruction.js';
import { checkInstruction } from '../../../src/asm/validate.js';
import { isBadInputError } from '../../../src/errors.js';
import { arbInstruction } from '../../../src/testing/instructions.js';

const operand = fc.oneof(
  fc.constantFrom<unknown>(R0, R1, R5, R10, 'u8', 'u16', 'u32', 'u64', 's8', 's16', 's32', 'xdp', 'skb', 'map_lookup_elem',
    'label', '', ' ', 8, 16, 32, 64, 0, 1, -1, 0x7fff, 0x8000, -0x8000, -0x8001, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff,
    2 ** 32, 2 ** 53, NaN, Infinity, -0, 1.5, 5n, -1n, 1n << 64n, null, undefined, true, {}, [], { name: 'm' },
    { map: 'm', key: 1 }, { map: 'm', key: R1, keySize: 8 }, { ctx: 'xdp', length: 14, orElse: 'x' },
    { ctx: 'skb', length: 1, orElse: 1, data: R1 }, { btfFdIndex: 70000 }, () => 1, Symbol('s')),
  fc.integer({ min: -0x1_0000_0000, max: 0x1_0000_0000 }),
  fc.string({ maxLength: 6 }),
);

const builders = Object.entries(asm).filter(([name, v]) =>
  typeof v === 'function' && !['assemble', 'program', 'setSourceTracking', 'withSourceTracking', 'isRegister', 'reg'].includes(name));

const flat = (v: unknown): Instruction[] => (Array.isArray(v) ? v.flatMap(flat) : [v as Instruction]);

describe('every builder on arbitrary operands', () => {
  it('returns valid instructions or throws BadInputError', () => {
    setSourceTracking(false);
    fc.assert(fc.property(fc.constantFrom(...builders), fc.array(operand, { maxLength: 5 }), ([name, f], args) => {
      let out: unknown;
      try {
        out = (f as (...a: unknown[]) => unknown)(...args);
      } catch (e) {
        if (isBadInputError(e)) return;
        throw new Error(`${name}(${args.map(String).join(', ')}) threw ${String(e)}`);
      }
      if (name === 'label') return;
      for (const insn of flat(out)) {
        expect(checkInstruction(insn), `${name}(${args.map(String).join(', ')})`).toBeUndefined();
        const [back] = decode(encode([insn]));
        expect(back).toMatchObject({ code: insn.code, dst: insn.dst, src: insn.src, off: insn.off, imm: insn.imm });
      }
    }), { numRuns: 20_000 });
  });

  it('found builders of every family', () => {
    expect(builders.length).toBeGreaterThan(90);
  });
});

describe('assemble on arbitrary programs', () => {
  const names = ['a', 'b', 'c', 'd'];
  const item = fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...names).map((n) => asm.label(n)) },
    { weight: 6, arbitrary: arbInstruction() },
    { weight: 2, arbitrary: fc.constantFrom(...names).map((n) => asm.ja(n)) },
    { weight: 2, arbitrary: fc.tuple(fc.constantFrom(...names), fc.integer({ min: -5, max: 5 })).map(([n, k]) => asm.jsgt32(R1, k, n)) },
    { weight: 1, arbitrary: fc.constantFrom(...names).map((n) => asm.gotol(n)) },
    { weight: 1, arbitrary: fc.constantFrom(...names).map((n) => asm.callSub(n)) },
    { weight: 1, arbitrary: fc.constantFrom(...names).map((n) => asm.loadFunc(R1, n)) },
    { weight: 1, arbitrary: fc.constantFrom(...names).map((n) => asm.mayGoto(n)) },
    { weight: 1, arbitrary: fc.constantFrom<unknown>(5, null, 'x', { code: 'x' }, { label: '' }) },
  );
  const program = fc.array(fc.oneof(item, fc.array(item, { maxLength: 3 })), { maxLength: 25 });

  it('either throws BadInputError or lands every reference on its label', () => {
    setSourceTracking(false);
    fc.assert(fc.property(program, (items) => {
      let insns: Instruction[];
      try {
        insns = asm.program(items as never).instructions;
      } catch (e) {
        if (isBadInputError(e)) return;
        throw e;
      }
      const slots = slotOffsets(insns);
      const at = new Map<number, Instruction>();
      insns.forEach((insn, i) => at.set(slots[i]!, insn));
      insns.forEach((insn, i) => {
        expect(checkInstruction(insn)).toBeUndefined();
        if (insn.target === undefined) return;
        const usesImm = insn.code === 0x18 || insn.code === 0x85 || insn.code === 0x06;
        const to = slots[i]! + 1 + (usesImm ? insn.imm : insn.off);
        expect(at.get(to)?.symbol).toBe(insn.target);
      });
    }), { numRuns: 5_000 });
  });
});
