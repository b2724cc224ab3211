import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decode } from '../../src/asm/encoding.js';
import type { Instruction } from '../../src/asm/instruction.js';
import { checkInstruction, describeOpcode, validateInstruction, validateInstructions } from '../../src/asm/validate.js';
import { isBadInputError } from '../../src/errors.js';
import { arbInstruction, arbInstructionOf, instructionFamilies } from '../../src/testing/instructions.js';

const insn = (code: number, dst: number, src: number, off: number, imm: number, immHi?: number): Instruction =>
  immHi === undefined ? { code, dst, src, off, imm } : { code, dst, src, off, imm, immHi };

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const corpus = path.resolve(repoRoot, '../shared/corpus');

/**
 * The opcodes Linux 6.18 knows: core.c `bpf_opcode_in_insntable` (BPF_INSN_MAP plus the LD ABS/IND
 * and JMP|JCOND extras), written out here independently of src/, plus callx (0x8d), which the
 * kernel rejects but bpf_conformance uses.
 */
function kernelOpcodes(): Set<number> {
  const s = new Set<number>();
  const ALU = 0x04, ALU64 = 0x07, JMP = 0x05, JMP32 = 0x06, K = 0, X = 8;
  const arith = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0]; // ADD..ARSH, MOD, XOR, MOV
  for (const cls of [ALU, ALU64]) for (const op of arith) for (const src of [K, X]) s.add(cls | op | src);
  s.add(ALU | 0x80).add(ALU64 | 0x80); // NEG
  s.add(ALU | 0xd0 | K).add(ALU | 0xd0 | X).add(ALU64 | 0xd0 | K); // END to-le/to-be, bswap
  const cond = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
  for (const cls of [JMP, JMP32]) for (const op of cond) for (const src of [K, X]) s.add(cls | op | src);
  s.add(JMP | 0x80).add(JMP | 0x90).add(JMP | 0x00).add(JMP32 | 0x00).add(JMP | 0xe0); // CALL EXIT JA gotol JCOND
  for (const size of [0x00, 0x08, 0x10, 0x18]) {
    s.add(0x03 | 0xc0 | size).add(0x03 | 0x60 | size).add(0x02 | 0x60 | size).add(0x01 | 0x60 | size);
  }
  for (const size of [0x00, 0x08, 0x10]) s.add(0x01 | 0x80 | size).add(0x20 | size).add(0x40 | size);
  s.add(0x18);
  s.add(0x8d); // callx
  return s;
}

describe('valid instructions', () => {
  it('accepts every instruction the arbitraries generate', () => {
    fc.assert(fc.property(arbInstruction(), (i) => {
      expect(checkInstruction(i)).toBeUndefined();
    }), { numRuns: 20_000 });
  });

  it('covers exactly the opcodes the kernel knows, plus callx', () => {
    const seen = new Set(fc.sample(arbInstruction(), { numRuns: 30_000, seed: 42 }).map((i) => i.code));
    expect([...seen].sort((a, b) => a - b)).toEqual([...kernelOpcodes()].sort((a, b) => a - b));
  });

  it('rejects every other opcode as unknown, whatever the other fields', () => {
    const known = kernelOpcodes();
    const fields = fc.record({
      dst: fc.integer({ min: 0, max: 15 }), src: fc.integer({ min: 0, max: 15 }),
      off: fc.integer({ min: -0x8000, max: 0x7fff }), imm: fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }),
    });
    for (let code = 0; code < 256; code++) {
      if (known.has(code)) continue;
      expect(checkInstruction(insn(code, 0, 0, 0, 0)), `code ${code}`).toMatch(/^unknown opcode 0x[0-9a-f]{2} \(/);
      fc.assert(fc.property(fields, (f) => {
        expect(checkInstruction({ code, ...f })).toMatch(/^unknown opcode/);
      }), { numRuns: 20 });
    }
  });

  it.each([
    ['exit with off (the kernel never reads it)', insn(0x95, 0, 0, 5, 0)],
    ['r10 as the base of a store', insn(0x7b, 10, 1, -8, 0)],
    ['r10 as the base of an atomic add', insn(0xdb, 10, 1, -8, 0)],
    ['r10 as the value of store-release', insn(0xd3, 1, 10, 0, 0x110)],
    ['r10 as the source of a move', insn(0xbf, 1, 10, 0, 0)],
    ['r10 compared', insn(0x1d, 10, 10, 0, 0)],
    ['kfunc with a BTF fd index in off', insn(0x85, 0, 2, 3, 77)],
    ['immHi 0 outside LD_IMM64', insn(0x07, 1, 0, 0, 1, 0)],
    ['LD_IMM64 map value with offset', insn(0x18, 1, 2, 0, 4, 64)],
    ['LD_IMM64 without immHi', insn(0x18, 1, 0, 0, 4)],
  ])('accepts %s', (_what, i) => {
    expect(checkInstruction(i)).toBeUndefined();
  });
});

/** Invalid instructions and the exact problem reported. */
const INVALID: readonly (readonly [Instruction, string])[] = [
  [insn(0x07, 1, 3, 0, 1), 'ALU64 ADD with immediate: src must be 0, got 3'],
  [insn(0x0f, 1, 2, 0, 9), 'ALU64 ADD with register: imm must be 0, got 9'],
  [insn(0x0f, 1, 11, 0, 0), 'ALU64 ADD with register: src must be a register r0-r10, got 11'],
  [insn(0x0c, 1, 2, 1, 0), 'ALU ADD with register: off must be 0, got 1'],
  [insn(0x3f, 1, 2, 2, 0), 'ALU64 DIV with register: off must be 0 or 1 (signed), got 2'],
  [insn(0x97, 1, 0, -1, 3), 'ALU64 MOD with immediate: off must be 0 or 1 (signed), got -1'],
  [insn(0x07, 10, 0, 0, 8), 'ALU64 ADD with immediate: dst cannot be r10, the read-only frame pointer'],
  [insn(0x07, 12, 0, 0, 8), 'ALU64 ADD with immediate: dst must be a register r0-r10, got 12'],
  [insn(0x87, 1, 0, 0, 1), 'ALU64 NEG with immediate: imm must be 0, got 1'],
  [insn(0x84, 1, 2, 0, 0), 'ALU NEG with immediate: src must be 0, got 2'],
  [insn(0x87, 1, 0, 1, 0), 'ALU64 NEG with immediate: off must be 0, got 1'],
  [insn(0x8f, 1, 2, 0, 0), 'unknown opcode 0x8f (NEG has no register form)'],
  [insn(0xd4, 1, 0, 0, 8), 'ALU END (to little-endian): imm must be 16, 32 or 64, got 8'],
  [insn(0xdc, 1, 1, 0, 16), 'ALU END (to big-endian): src must be 0, got 1'],
  [insn(0xd7, 1, 0, 1, 16), 'ALU64 BSWAP: off must be 0, got 1'],
  [insn(0xdf, 1, 0, 0, 16), 'unknown opcode 0xdf (ALU64 byte swap has no to-big-endian form)'],
  [insn(0xb7, 1, 1, 0, 0), 'ALU64 MOV with immediate: src must be 0, got 1'],
  [insn(0xb4, 1, 0, 8, 0), 'ALU MOV with immediate: off must be 0, got 8'],
  [insn(0xbc, 1, 2, 32, 0), 'ALU MOV with register: off must be 0, 8 or 16 (movsx), got 32'],
  [insn(0xbc, 1, 2, 0, 1), 'ALU MOV with register: imm must be 0, got 1'],
  [insn(0xbf, 1, 2, 64, 0), 'ALU64 MOV with register: off must be 0, 8, 16, 32 (movsx) or 1 (addr_space_cast), got 64'],
  [insn(0xbf, 1, 2, 8, 1), 'ALU64 MOV with register: imm must be 0, got 1'],
  [insn(0xbf, 1, 2, 1, 2), 'ALU64 MOV with register: imm must be 1 or 65536 (addr_space_cast), got 2'],
  [insn(0xbf, 10, 2, 0, 0), 'ALU64 MOV with register: dst cannot be r10, the read-only frame pointer'],
  [insn(0xe7, 1, 0, 0, 0), 'unknown opcode 0xe7 (no ALU operation 0xe0)'],
  [insn(0x15, 1, 2, 0, 0), 'JMP JEQ with immediate: src must be 0, got 2'],
  [insn(0x1e, 1, 2, 0, 5), 'JMP32 JEQ with register: imm must be 0, got 5'],
  [insn(0x2d, 11, 2, 0, 0), 'JMP JGT with register: dst must be a register r0-r10, got 11'],
  [insn(0x05, 1, 0, 0, 0), 'JA: dst must be 0, got 1'],
  [insn(0x05, 0, 1, 0, 0), 'JA: src must be 0, got 1'],
  [insn(0x05, 0, 0, 0, 1), 'JA: imm must be 0, got 1'],
  [insn(0x06, 0, 0, 1, 5), 'JMP32 JA (gotol): off must be 0 (gotol jumps by imm), got 1'],
  [insn(0x0d, 0, 1, 0, 0), 'unknown opcode 0x0d (JA has no register form)'],
  [insn(0x85, 1, 0, 0, 1), 'CALL: dst must be 0, got 1'],
  [insn(0x85, 0, 3, 0, 1), 'CALL: src must be 0 (helper), 1 (BPF-to-BPF call) or 2 (kfunc), got 3'],
  [insn(0x85, 0, 0, 1, 1), 'CALL: off must be 0, got 1'],
  [insn(0x85, 0, 1, 2, 1), 'CALL: off must be 0, got 2'],
  [insn(0x86, 0, 0, 0, 1), 'unknown opcode 0x86 (no JMP32 CALL)'],
  [insn(0x8d, 1, 2, 0, 0), 'CALLX: src must be 0, got 2'],
  [insn(0x8d, 1, 0, 0, 4), 'CALLX: imm must be 0, got 4'],
  [insn(0x8d, 13, 0, 0, 0), 'CALLX: dst must be a register r0-r10, got 13'],
  [insn(0x95, 1, 0, 0, 0), 'EXIT: dst must be 0, got 1'],
  [insn(0x95, 0, 1, 0, 0), 'EXIT: src must be 0, got 1'],
  [insn(0x95, 0, 0, 0, 1), 'EXIT: imm must be 0, got 1'],
  [insn(0x96, 0, 0, 0, 0), 'unknown opcode 0x96 (no JMP32 EXIT)'],
  [insn(0xe5, 0, 1, 0, 0), 'JCOND (may_goto): src must be 0 (may_goto), got 1'],
  [insn(0xe5, 1, 0, 0, 0), 'JCOND (may_goto): dst must be 0, got 1'],
  [insn(0xe5, 0, 0, 0, 1), 'JCOND (may_goto): imm must be 0, got 1'],
  [insn(0xe6, 0, 0, 0, 0), 'unknown opcode 0xe6 (only JMP|JCOND|K (may_goto) exists)'],
  [insn(0x18, 1, 0, 1, 0, 0), 'LD_IMM64: off must be 0, got 1'],
  [insn(0x18, 1, 7, 0, 0, 0), 'LD_IMM64: src must be a pseudo source 0-6, got 7'],
  [insn(0x18, 1, 1, 0, 3, 1), 'LD_IMM64: immHi must be 0 for a map reference without value offset, got 1'],
  [insn(0x18, 1, 5, 0, 3, -1), 'LD_IMM64: immHi must be 0 for a map reference without value offset, got -1'],
  [insn(0x18, 10, 0, 0, 3, 0), 'LD_IMM64: dst cannot be r10, the read-only frame pointer'],
  [insn(0x30, 1, 0, 0, 0), 'LD ABS B: dst must be 0, got 1'],
  [insn(0x28, 0, 2, 0, 0), 'LD ABS H: src must be 0, got 2'],
  [insn(0x40, 0, 2, 4, 0), 'LD IND W: off must be 0, got 4'],
  [insn(0x50, 0, 11, 0, 0), 'LD IND B: src must be a register r0-r10, got 11'],
  [insn(0x38, 0, 0, 0, 0), 'unknown opcode 0x38 (LD is only LD_IMM64 (0x18) or ABS/IND with size B, H or W)'],
  [insn(0x00, 0, 0, 0, 0), 'unknown opcode 0x00 (LD is only LD_IMM64 (0x18) or ABS/IND with size B, H or W)'],
  [insn(0x61, 1, 2, 0, 1), 'LDX MEM W: imm must be 0, got 1'],
  [insn(0x79, 10, 2, 0, 0), 'LDX MEM DW: dst cannot be r10, the read-only frame pointer'],
  [insn(0x71, 1, 14, 0, 0), 'LDX MEM B: src must be a register r0-r10, got 14'],
  [insn(0x99, 1, 2, 0, 0), 'unknown opcode 0x99 (no 64-bit sign-extending load)'],
  [insn(0x21, 1, 2, 0, 0), 'unknown opcode 0x21 (LDX is only MEM or MEMSX)'],
  [insn(0x62, 1, 2, 0, 0), 'ST MEM W: src must be 0, got 2'],
  [insn(0x6a, 15, 0, 0, 0), 'ST MEM H: dst must be a register r0-r10, got 15'],
  [insn(0xc2, 1, 0, 0, 0), 'unknown opcode 0xc2 (ST is only MEM)'],
  [insn(0x7b, 1, 2, 0, 1), 'STX MEM DW: imm must be 0, got 1'],
  [insn(0x83, 1, 2, 0, 0), 'unknown opcode 0x83 (STX is only MEM or ATOMIC)'],
  [insn(0xd3, 1, 2, 0, 0x00), 'STX ATOMIC B ADD: size must be W or DW for read-modify-write, got B'],
  [insn(0xcb, 1, 2, 0, 0xe1), 'STX ATOMIC H XCHG: size must be W or DW for read-modify-write, got H'],
  [insn(0xdb, 1, 2, 0, 0x02), 'STX ATOMIC DW: imm is not an atomic operation, got 0x02'],
  [insn(0xdb, 1, 2, 0, 0x111), 'STX ATOMIC DW: imm is not an atomic operation, got 0x111'],
  [insn(0xdb, 1, 10, 0, 0x01), 'STX ATOMIC DW FETCH ADD: src cannot be r10, the read-only frame pointer'],
  [insn(0xc3, 1, 10, 0, 0xe1), 'STX ATOMIC W XCHG: src cannot be r10, the read-only frame pointer'],
  [insn(0xdb, 10, 2, 0, 0x100), 'STX ATOMIC DW LOAD_ACQ: dst cannot be r10, the read-only frame pointer'],
  [insn(0xc3, 1, 11, 0, 0x110), 'STX ATOMIC W STORE_REL: src must be a register r0-r10, got 11'],
  [insn(0x07, 1, 0, 0, 1, 5), 'ALU64 ADD with immediate: immHi is only for LD_IMM64, got 5'],
  [insn(0x07, 1, 0, 0, 1.5), 'imm must be a signed 32-bit integer, got 1.5'],
  [insn(0x18, 1, 0, 0, 1, 0x1_0000_0000), 'immHi must be a signed 32-bit integer, got 4294967296'],
  [insn(256, 0, 0, 0, 0), 'code must be an integer 0-255, got 256'],
  [insn(0x07, 1, 0, 0, 5n as unknown as number), 'imm must be a signed 32-bit integer, got 5'],
  [insn(0x07, 1, 0, 0, Number.NaN), 'imm must be a signed 32-bit integer, got NaN'],
  [insn(0x05, 0, 0, '1' as unknown as number, 0), 'off must be a signed 16-bit integer, got 1'],
  [{ code: 0x95, dst: 0, src: 0 } as unknown as Instruction, 'off must be a signed 16-bit integer, got undefined'],
  [insn(0x07, -1, 0, 0, 0), 'dst must be an integer 0-15, got -1'],
  [insn(0x07, 0, 16, 0, 0), 'src must be an integer 0-15, got 16'],
  [insn(0x07, 0, 0, -0x8001, 0), 'off must be a signed 16-bit integer, got -32769'],
];

describe('invalid instructions', () => {
  it.each(INVALID)('%o: %s', (i, problem) => {
    expect(checkInstruction(i)).toBe(problem);
    let caught: unknown;
    try { validateInstruction(i, 7); } catch (e) { caught = e; }
    expect(isBadInputError(caught)).toBe(true);
    expect((caught as Error).message).toBe(`insn 7: ${problem}`);
    expect((caught as { index: number }).index).toBe(7);
  });

  it('puts the source location in the error', () => {
    const source = { file: 'x.ts', line: 3, column: 9 };
    expect(() => validateInstruction({ ...insn(0x95, 0, 0, 0, 1), source }, 2))
      .toThrow('insn 2 at x.ts:3:9: EXIT: imm must be 0, got 1');
  });

  it('validateInstructions counts slots in the index', () => {
    const prog = [insn(0x18, 1, 0, 0, 0, 0), insn(0x18, 2, 0, 0, 0, 0), insn(0x95, 0, 0, 0, 1)];
    expect(() => validateInstructions(prog)).toThrow('insn 4: EXIT: imm must be 0, got 1');
  });

  // A reserved field set on an otherwise valid instruction of each family is refused.
  const zeroFields: Partial<Record<typeof instructionFamilies[number], readonly ('dst' | 'src' | 'off' | 'imm')[]>> = {
    neg: ['src', 'off', 'imm'], endian: ['src', 'off'], bswap: ['src', 'off'], ja: ['dst', 'src', 'imm'],
    gotol: ['dst', 'src', 'off'], call_helper: ['dst', 'off'], call_pseudo: ['dst', 'off'], call_kfunc: ['dst'],
    callx: ['src', 'off', 'imm'], exit: ['dst', 'src', 'imm'], may_goto: ['dst', 'src', 'imm'],
    ld_imm64: ['off'], ld_abs: ['dst', 'src', 'off'], ld_ind: ['dst', 'off'], ldx: ['imm'], ldxsx: ['imm'],
    st: ['src'], stx: ['imm'],
  };
  it.each(Object.entries(zeroFields))('family %s refuses non-zero %s', (family, fields) => {
    const arb = fc.tuple(arbInstructionOf(family as typeof instructionFamilies[number]),
      fc.constantFrom(...fields!), fc.integer({ min: 1, max: 15 }));
    fc.assert(fc.property(arb, ([i, field, v]) => {
      const problem = checkInstruction({ ...i, [field]: v });
      expect(problem).toBeDefined();
      expect(problem).toContain(`${describeOpcode(i)}: ${field} must be`);
    }), { numRuns: 200 });
  });
});

const kernelCorpus = path.join(corpus, 'kernel-verifier-6.1/tests.jsonl');
if (!existsSync(kernelCorpus)) console.log(`validate: kernel verifier corpus tests skipped (${kernelCorpus} absent)`);

describe.skipIf(!existsSync(kernelCorpus))('against the Linux 6.18 verdicts of the 6.1 test_verifier corpus', () => {
  interface Case { id: string; insns: string[]; kernel: { verdict: string; first_error: string | null } }
  const cases: Case[] = readFileSync(kernelCorpus, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Case);
  const bytes = (c: Case): Uint8Array => Uint8Array.from(Buffer.from(c.insns.join(''), 'hex'));
  const problem = (c: Case): string | undefined => {
    try { decode(bytes(c)); return undefined; } catch (e) {
      if (isBadInputError(e)) return e.message;
      throw e;
    }
  };
  // The kernel's messages for encodings, and the register checks it makes on every reachable insn.
  const ENCODING = /uses reserved fields|unknown opcode|bpf_ld_imm64 insn|invalid BPF_LD_IMM insn|invalid atomic|frame pointer is read only|^R\d+ is invalid|invalid may_goto/;

  it('refuses every program the kernel refuses for its encoding, except callx', () => {
    const refused = cases.filter((c) => c.kernel.verdict !== 'accept' && ENCODING.test(c.kernel.first_error ?? ''));
    expect(refused.length).toBeGreaterThan(30);
    const missed = refused.filter((c) => problem(c) === undefined).map((c) => `${c.id}: ${c.kernel.first_error}`);
    // basic_call.c#0 is callx, which ts-ebpf accepts for bpf_conformance on purpose.
    expect(missed).toEqual(['basic_call.c#0: unknown opcode 8d']);
  });

  it('decodes every program the kernel accepts, except one with a bad insn in dead code', () => {
    const accepted = cases.filter((c) => c.kernel.verdict === 'accept');
    expect(accepted.length).toBeGreaterThan(500);
    // value_or_null.c#7 has `r10 += 10` on a branch the kernel proves is never taken, so it never checks it;
    // validation is static and refuses it.
    const refused = accepted.map((c) => [c.id, problem(c)]).filter(([, p]) => p !== undefined);
    expect(refused).toEqual([['value_or_null.c#7',
      'insn 10: ALU64 ADD with immediate: dst cannot be r10, the read-only frame pointer']]);
  });
});

const conformance = path.join(corpus, 'bpf_conformance/negative');
if (!existsSync(conformance)) console.log(`validate: bpf_conformance tests skipped (${conformance} absent)`);

describe.skipIf(!existsSync(conformance))('bpf_conformance negative/unused-*.data', () => {
  const files = existsSync(conformance) ? readdirSync(conformance).filter((f) => /^unused-.*\.data$/.test(f)) : [];
  const rawBytes = (f: string): Uint8Array => {
    const text = readFileSync(path.join(conformance, f), 'utf8');
    const raw = /-- raw\n([\s\S]*?)(?:\n--|$)/.exec(text.replace(/#.*$/gm, '').replace(/\r/g, ''))![1]!;
    return Uint8Array.from(raw.split(/\s+/).filter(Boolean).map((b) => parseInt(b, 16)));
  };

  it('finds the 45 files', () => { expect(files.length).toBe(45); });

  it('refuses the first instruction of each, except exit with an offset (the kernel ignores it)', () => {
    const accepted: string[] = [];
    for (const f of files) {
      const bytes = rawBytes(f);
      expect(bytes.length, f).toBe(16);
      try { decode(bytes); accepted.push(f); } catch (e) {
        expect(isBadInputError(e), f).toBe(true);
        expect((e as { index: number }).index, f).toBe(0);
      }
    }
    expect(accepted).toEqual(['unused-exit-offset.data']);
  });
});
