/**
 * fast-check arbitraries over valid eBPF instructions, for property tests of anything that reads,
 * writes or prints instructions (encoding round trips, `parseAsm(disassemble(x))`, the verifier).
 *
 * Every generated value is a raw {@link Instruction} with exactly the numeric fields
 * (`code, dst, src, off, imm`, plus `immHi` on LD_IMM64 only), as `decode` returns them, and is
 * accepted by `validateInstruction`. Fields the kernel ignores are generated as 0 (the canonical
 * form), so a printer/parser pair can round-trip them.
 * @module
 */
import fc from 'fast-check';
import type { Instruction } from '../asm/instruction.js';
import {
  AluOp, AtomicOp, Class, JmpOp, LD_IMM64, Mode, PseudoCall, PseudoLd, Size, Source,
} from '../asm/opcode.js';

/** The instruction families {@link arbInstruction} draws from, each with its own arbitrary. */
export const instructionFamilies = [
  'alu', 'mov', 'movsx', 'addr_space_cast', 'neg', 'endian', 'bswap',
  'jmp_cond', 'ja', 'gotol', 'call_helper', 'call_pseudo', 'call_kfunc', 'callx', 'exit', 'may_goto',
  'ld_imm64', 'ld_abs', 'ld_ind', 'ldx', 'ldxsx', 'st', 'stx', 'atomic', 'load_acquire', 'store_release',
] as const;

/** One of {@link instructionFamilies}. */
export type InstructionFamily = typeof instructionFamilies[number];

const reg = fc.integer({ min: 0, max: 10 });
/** Registers that may be written: R10 is the read-only frame pointer. */
const wreg = fc.integer({ min: 0, max: 9 });
const s16 = fc.integer({ min: -0x8000, max: 0x7fff });
const s32 = fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff });
const aluClass = fc.constantFrom<number>(Class.ALU, Class.ALU64);
const jmpClass = fc.constantFrom<number>(Class.JMP, Class.JMP32);
const allSizes = fc.constantFrom<number>(Size.B, Size.H, Size.W, Size.DW);

const ARITH_OPS = [AluOp.ADD, AluOp.SUB, AluOp.MUL, AluOp.DIV, AluOp.OR, AluOp.AND, AluOp.LSH,
  AluOp.RSH, AluOp.MOD, AluOp.XOR, AluOp.ARSH];
const COND_OPS = [JmpOp.JEQ, JmpOp.JGT, JmpOp.JGE, JmpOp.JSET, JmpOp.JNE, JmpOp.JSGT, JmpOp.JSGE,
  JmpOp.JLT, JmpOp.JLE, JmpOp.JSLT, JmpOp.JSLE];
const RMW_OPS = [AtomicOp.ADD, AtomicOp.OR, AtomicOp.AND, AtomicOp.XOR];

const insn = (code: number, dst: number, src: number, off: number, imm: number): Instruction =>
  ({ code, dst, src, off, imm });

const families: { readonly [K in InstructionFamily]: fc.Arbitrary<Instruction> } = {
  // ADD..ARSH with K or X; DIV/MOD may carry off=1 (signed sdiv/smod).
  alu: fc.tuple(aluClass, fc.constantFrom<number>(...ARITH_OPS), fc.boolean(), wreg, reg, s32, fc.boolean())
    .map(([cls, op, isReg, dst, src, imm, signed]) => {
      const off = signed && (op === AluOp.DIV || op === AluOp.MOD) ? 1 : 0;
      return isReg ? insn(cls | op | Source.X, dst, src, off, 0) : insn(cls | op | Source.K, dst, 0, off, imm);
    }),
  mov: fc.tuple(aluClass, fc.boolean(), wreg, reg, s32).map(([cls, isReg, dst, src, imm]) =>
    isReg ? insn(cls | AluOp.MOV | Source.X, dst, src, 0, 0) : insn(cls | AluOp.MOV | Source.K, dst, 0, 0, imm)),
  // ALU64 sign-extends from 8/16/32 bits, ALU (32-bit) only from 8/16.
  movsx: fc.tuple(aluClass, wreg, reg, fc.constantFrom(8, 16, 32)).map(([cls, dst, src, bits]) =>
    insn(cls | AluOp.MOV | Source.X, dst, src, cls === Class.ALU && bits === 32 ? 16 : bits, 0)),
  addr_space_cast: fc.tuple(wreg, reg, fc.constantFrom(1, 1 << 16)).map(([dst, src, imm]) =>
    insn(Class.ALU64 | AluOp.MOV | Source.X, dst, src, 1, imm)),
  neg: fc.tuple(aluClass, wreg).map(([cls, dst]) => insn(cls | AluOp.NEG, dst, 0, 0, 0)),
  endian: fc.tuple(fc.constantFrom<number>(Source.K, Source.X), wreg, fc.constantFrom(16, 32, 64))
    .map(([s, dst, imm]) => insn(Class.ALU | AluOp.END | s, dst, 0, 0, imm)),
  bswap: fc.tuple(wreg, fc.constantFrom(16, 32, 64)).map(([dst, imm]) =>
    insn(Class.ALU64 | AluOp.END | Source.K, dst, 0, 0, imm)),
  jmp_cond: fc.tuple(jmpClass, fc.constantFrom<number>(...COND_OPS), fc.boolean(), reg, reg, s16, s32)
    .map(([cls, op, isReg, dst, src, off, imm]) =>
      isReg ? insn(cls | op | Source.X, dst, src, off, 0) : insn(cls | op | Source.K, dst, 0, off, imm)),
  ja: s16.map((off) => insn(Class.JMP | JmpOp.JA, 0, 0, off, 0)),
  gotol: s32.map((imm) => insn(Class.JMP32 | JmpOp.JA, 0, 0, 0, imm)),
  call_helper: fc.oneof(fc.integer({ min: 0, max: 250 }), s32).map((imm) =>
    insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.HELPER, 0, imm)),
  call_pseudo: s32.map((imm) => insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.CALL, 0, imm)),
  call_kfunc: fc.tuple(s32, fc.oneof(fc.constant(0), s16)).map(([imm, off]) =>
    insn(Class.JMP | JmpOp.CALL, 0, PseudoCall.KFUNC, off, imm)),
  callx: reg.map((dst) => insn(Class.JMP | JmpOp.CALL | Source.X, dst, 0, 0, 0)),
  exit: fc.constant(insn(Class.JMP | JmpOp.EXIT, 0, 0, 0, 0)),
  may_goto: s16.map((off) => insn(Class.JMP | JmpOp.JCOND, 0, 0, off, 0)),
  // MAP_FD and MAP_IDX need a zero high half (the kernel says "unrecognized bpf_ld_imm64 insn");
  // FUNC's high half is unused, kept 0.
  ld_imm64: fc.tuple(wreg, fc.integer({ min: PseudoLd.NONE, max: PseudoLd.MAP_IDX_VALUE }), s32, s32)
    .map(([dst, src, imm, hi]): Instruction => ({
      code: LD_IMM64, dst, src, off: 0, imm,
      immHi: src === PseudoLd.MAP_FD || src === PseudoLd.MAP_IDX || src === PseudoLd.FUNC ? 0 : hi,
    })),
  ld_abs: fc.tuple(fc.constantFrom<number>(Size.B, Size.H, Size.W), s32).map(([size, imm]) =>
    insn(Class.LD | Mode.ABS | size, 0, 0, 0, imm)),
  ld_ind: fc.tuple(fc.constantFrom<number>(Size.B, Size.H, Size.W), reg, s32).map(([size, src, imm]) =>
    insn(Class.LD | Mode.IND | size, 0, src, 0, imm)),
  ldx: fc.tuple(allSizes, wreg, reg, s16).map(([size, dst, src, off]) =>
    insn(Class.LDX | Mode.MEM | size, dst, src, off, 0)),
  ldxsx: fc.tuple(fc.constantFrom<number>(Size.B, Size.H, Size.W), wreg, reg, s16).map(([size, dst, src, off]) =>
    insn(Class.LDX | Mode.MEMSX | size, dst, src, off, 0)),
  st: fc.tuple(allSizes, reg, s16, s32).map(([size, dst, off, imm]) =>
    insn(Class.ST | Mode.MEM | size, dst, 0, off, imm)),
  stx: fc.tuple(allSizes, reg, reg, s16).map(([size, dst, src, off]) =>
    insn(Class.STX | Mode.MEM | size, dst, src, off, 0)),
  // FETCH variants and XCHG write the old value back into src, so src cannot be R10 there.
  atomic: fc.tuple(fc.constantFrom<number>(Size.W, Size.DW),
    fc.constantFrom<number>(...RMW_OPS, ...RMW_OPS.map((op) => op | AtomicOp.FETCH), AtomicOp.XCHG, AtomicOp.CMPXCHG),
    reg, reg, s16)
    .map(([size, imm, dst, src, off]) => insn(Class.STX | Mode.ATOMIC | size, dst,
      (imm & AtomicOp.FETCH) !== 0 && imm !== AtomicOp.CMPXCHG && src === 10 ? 9 : src, off, imm)),
  load_acquire: fc.tuple(allSizes, wreg, reg, s16).map(([size, dst, src, off]) =>
    insn(Class.STX | Mode.ATOMIC | size, dst, src, off, AtomicOp.LOAD_ACQ)),
  store_release: fc.tuple(allSizes, reg, reg, s16).map(([size, dst, src, off]) =>
    insn(Class.STX | Mode.ATOMIC | size, dst, src, off, AtomicOp.STORE_REL)),
};

/** Valid instructions of one family. */
export function arbInstructionOf(family: InstructionFamily): fc.Arbitrary<Instruction> {
  return families[family];
}

/**
 * Any valid instruction. Families are drawn with equal weight (not in proportion to how many
 * encodings each has), so rare ones such as `may_goto` or `addr_space_cast` show up often.
 */
export function arbInstruction(only: readonly InstructionFamily[] = instructionFamilies): fc.Arbitrary<Instruction> {
  return fc.oneof(...only.map((f) => families[f]));
}

/** Options of {@link arbProgram}. */
export interface ArbProgramOptions {
  /** Fewest instructions (default 1). */
  readonly minLength?: number;
  /** Most instructions (default 64). */
  readonly maxLength?: number;
  /** Families to draw from (default: all). */
  readonly families?: readonly InstructionFamily[];
}

/**
 * Sequences of valid instructions. Each instruction is valid on its own; jump offsets are random,
 * so the sequence is not a verifiable program (use it for encoding and text round trips).
 */
export function arbProgram(opts: ArbProgramOptions = {}): fc.Arbitrary<Instruction[]> {
  return fc.array(arbInstruction(opts.families), {
    minLength: opts.minLength ?? 1,
    maxLength: opts.maxLength ?? 64,
  });
}
