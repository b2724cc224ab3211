import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { disassemble, formatInstruction, parseAsm } from '../../../src/asm/text/index.js';
import { encode, decode } from '../../../src/asm/encoding.js';
import { arbInstruction, arbProgram, instructionFamilies } from '../../../src/testing/instructions.js';
import type { InstructionFamily } from '../../../src/testing/instructions.js';

/** Families the uBPF dialect has syntax for. */
const UBPF_FAMILIES = instructionFamilies.filter((f) => !(['addr_space_cast', 'may_goto', 'ld_imm64', 'ld_abs', 'ld_ind',
  'load_acquire', 'store_release', 'call_kfunc'] as InstructionFamily[]).includes(f));

describe('parseAsm(formatInstruction(x)) === x over the whole instruction space', () => {
  for (const dialect of ['kernel', 'llvm'] as const) {
    it(`${dialect} dialect, one instruction`, () => {
      fc.assert(fc.property(arbInstruction(), (x) => {
        expect(parseAsm(formatInstruction(x, { dialect }))).toEqual([x]);
      }), { numRuns: 20_000 });
    });
    it(`${dialect} dialect, whole programs through disassemble`, () => {
      fc.assert(fc.property(arbProgram(), (xs) => {
        expect(parseAsm(disassemble(xs, { dialect }))).toEqual(xs);
      }), { numRuns: 1000 });
    });
  }
  it('ubpf dialect, the families it can express', () => {
    fc.assert(fc.property(arbInstruction(UBPF_FAMILIES), (x) => {
      expect(parseAsm(formatInstruction(x, { dialect: 'ubpf' }), { dialect: 'ubpf' })).toEqual([x]);
    }), { numRuns: 20_000 });
  });
  it('ubpf dialect, LD_IMM64 without pseudo source', () => {
    fc.assert(fc.property(arbInstruction(['ld_imm64']).filter((x) => x.src === 0), (x) => {
      expect(parseAsm(formatInstruction(x, { dialect: 'ubpf' }), { dialect: 'ubpf' })).toEqual([x]);
    }));
  });
  it('any bytes at all: decode(validate: false) → text → the same instructions', () => {
    fc.assert(fc.property(fc.array(fc.uint8Array({ minLength: 8, maxLength: 8 }), { maxLength: 16 }), fc.boolean(), (slots, small) => {
      // Half the runs draw opcodes from real classes with small fields, so valid forms show up too.
      const bytes = Buffer.concat(slots.map((s) => (small ? Uint8Array.from([s[0]!, s[1]! & 0x99, s[2]! & 3, 0, s[4]! & 0x41, 0, 0, 0]) : s)));
      const xs = decode(bytes, { validate: false });
      expect(parseAsm(disassemble(xs))).toEqual(xs);
      expect(parseAsm(disassemble(xs, { dialect: 'llvm' }))).toEqual(xs);
    }), { numRuns: 3000 });
  });
  it('bytes → text → bytes', () => {
    fc.assert(fc.property(arbProgram(), (xs) => {
      const bytes = encode(xs);
      expect(encode(parseAsm(disassemble(decode(bytes))))).toEqual(bytes);
    }), { numRuns: 300 });
  });
});
