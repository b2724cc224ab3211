/**
 * The instruction value: the fields of one eBPF instruction as the ISA defines them, plus the
 * symbolic parts (labels, map and kfunc names) that are resolved late, and where it was written.
 * Plain data: comparable with deep equality, printable, serialisable.
 * @module
 */
import type { SourceLocation } from '../errors.js';
import { LD_IMM64 } from './opcode.js';

/**
 * One eBPF instruction. LD_IMM64 is one `Instruction` that occupies two 8-byte slots; every
 * offset the ISA counts (jump offsets, call offsets, error indexes) counts slots.
 */
export interface Instruction {
  /** The opcode byte. */
  readonly code: number;
  /** Destination register, 0-10 (4 bits in the encoding). */
  readonly dst: number;
  /** Source register 0-10, or a pseudo source (map fd, kfunc, ...) for LD_IMM64 and CALL. */
  readonly src: number;
  /** Signed 16-bit offset. For jumps: slots after the next instruction. */
  readonly off: number;
  /** Signed 32-bit immediate. For LD_IMM64: the low 32 bits of the constant. */
  readonly imm: number;
  /**
   * LD_IMM64 only: the second slot's `imm` (signed 32-bit): the high 32 bits of the constant, or
   * the offset into the value for map-value references. Absent (or 0) otherwise.
   */
  readonly immHi?: number;

  /** A label that names this instruction, as a jump or call target. */
  readonly symbol?: string;
  /**
   * The label a jump, BPF-to-BPF call or LD_IMM64 function reference points at. When present,
   * it wins over `off`/`imm`, which are filled in when the program is assembled.
   */
  readonly target?: string;
  /** LD_IMM64 with `src` MAP_FD or MAP_VALUE: the name of the map it references, resolved at load. */
  readonly map?: string;
  /** CALL with `src` KFUNC: the kernel function's name, resolved to a BTF id at load. */
  readonly kfunc?: string;
  /** The TypeScript line that created this instruction, when source tracking is on. */
  readonly source?: SourceLocation;
}

/** Whether this is the two-slot LD_IMM64 instruction. */
export function isLdImm64(insn: Pick<Instruction, 'code'>): boolean {
  return insn.code === LD_IMM64;
}

/** Number of 8-byte slots the instruction occupies (2 for LD_IMM64, 1 otherwise). */
export function slotCount(insn: Pick<Instruction, 'code'>): 1 | 2 {
  return insn.code === LD_IMM64 ? 2 : 1;
}

/** The 64-bit constant of an LD_IMM64, as an unsigned bigint (API edge only; not for hot paths). */
export function imm64(insn: Instruction): bigint {
  return (BigInt(insn.immHi ?? 0) << 32n | BigInt(insn.imm >>> 0)) & 0xffff_ffff_ffff_ffffn;
}

/** Splits a 64-bit constant into the signed 32-bit halves LD_IMM64 stores. */
export function splitImm64(value: bigint | number): { imm: number; immHi: number } {
  const v = BigInt.asUintN(64, BigInt(value));
  return { imm: Number(BigInt.asIntN(32, v)), immHi: Number(BigInt.asIntN(32, v >> 32n)) };
}

/** Slot index of every instruction, plus the total as the last element. */
export function slotOffsets(insns: readonly Instruction[]): Uint32Array {
  const out = new Uint32Array(insns.length + 1);
  let slot = 0;
  for (let i = 0; i < insns.length; i++) {
    out[i] = slot;
    slot += insns[i]!.code === LD_IMM64 ? 2 : 1;
  }
  out[insns.length] = slot;
  return out;
}
