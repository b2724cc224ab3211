/**
 * ALU builders: `add64(R1, 5)` is the immediate (K) form, `add64(R1, R2)` the register (X) form;
 * the `32` variants operate on the low 32 bits and zero the upper half. Also neg, movsx, the byte
 * swaps and addr_space_cast.
 * @module
 */
import type { Instruction } from '../instruction.js';
import { ADDR_SPACE_CAST, AluOp, Class, Source } from '../opcode.js';
import { captureSource } from './source.js';
import { emit, fail, imm32, isReg, readable, writable } from './operands.js';
import type { Register, WritableRegister } from './registers.js';

/** A two-operand ALU builder: `op(dst, srcRegisterOrImmediate)`. */
export type AluBuilder = (dst: WritableRegister, src: Register | number) => Instruction;

function aluOp(name: string, cls: number, op: number, off = 0): AluBuilder {
  const is32 = cls === Class.ALU;
  const width = is32 ? 32 : 64;
  return (dst, src) => {
    const source = captureSource();
    const d = writable(name, 'dst', dst, source);
    if (isReg(src)) {
      return emit(name, { code: cls | op | Source.X, dst: d, src: readable(name, 'src', src, source), off, imm: 0 }, source);
    }
    const imm = imm32(name, 'immediate', src, is32, source);
    if ((op === AluOp.LSH || op === AluOp.RSH || op === AluOp.ARSH) && (imm < 0 || imm >= width)) {
      fail(name, `shift by ${imm} is out of range 0..${width - 1}`, source);
    }
    if ((op === AluOp.DIV || op === AluOp.MOD) && imm === 0) fail(name, 'division by the immediate 0', source);
    return emit(name, { code: cls | op | Source.K, dst: d, src: 0, off, imm }, source);
  };
}

/** `dst += src` (64-bit). */
export const add64: AluBuilder = aluOp('add64', Class.ALU64, AluOp.ADD);
/** `dst -= src` (64-bit). */
export const sub64: AluBuilder = aluOp('sub64', Class.ALU64, AluOp.SUB);
/** `dst *= src` (64-bit). */
export const mul64: AluBuilder = aluOp('mul64', Class.ALU64, AluOp.MUL);
/** `dst /= src`, unsigned (64-bit). */
export const div64: AluBuilder = aluOp('div64', Class.ALU64, AluOp.DIV);
/** `dst s/= src`, signed (64-bit, Linux 6.6+). */
export const sdiv64: AluBuilder = aluOp('sdiv64', Class.ALU64, AluOp.DIV, 1);
/** `dst %= src`, unsigned (64-bit). */
export const mod64: AluBuilder = aluOp('mod64', Class.ALU64, AluOp.MOD);
/** `dst s%= src`, signed (64-bit, Linux 6.6+). */
export const smod64: AluBuilder = aluOp('smod64', Class.ALU64, AluOp.MOD, 1);
/** `dst |= src` (64-bit). */
export const or64: AluBuilder = aluOp('or64', Class.ALU64, AluOp.OR);
/** `dst &= src` (64-bit). */
export const and64: AluBuilder = aluOp('and64', Class.ALU64, AluOp.AND);
/** `dst <<= src` (64-bit). */
export const lsh64: AluBuilder = aluOp('lsh64', Class.ALU64, AluOp.LSH);
/** `dst >>= src`, logical (64-bit). */
export const rsh64: AluBuilder = aluOp('rsh64', Class.ALU64, AluOp.RSH);
/** `dst s>>= src`, arithmetic (64-bit). */
export const arsh64: AluBuilder = aluOp('arsh64', Class.ALU64, AluOp.ARSH);
/** `dst ^= src` (64-bit). */
export const xor64: AluBuilder = aluOp('xor64', Class.ALU64, AluOp.XOR);
/** `dst = src` (64-bit; an immediate is sign-extended, use lddw for wider constants). */
export const mov64: AluBuilder = aluOp('mov64', Class.ALU64, AluOp.MOV);

/** `w_dst += src` (32-bit). */
export const add32: AluBuilder = aluOp('add32', Class.ALU, AluOp.ADD);
/** `w_dst -= src` (32-bit). */
export const sub32: AluBuilder = aluOp('sub32', Class.ALU, AluOp.SUB);
/** `w_dst *= src` (32-bit). */
export const mul32: AluBuilder = aluOp('mul32', Class.ALU, AluOp.MUL);
/** `w_dst /= src`, unsigned (32-bit). */
export const div32: AluBuilder = aluOp('div32', Class.ALU, AluOp.DIV);
/** `w_dst s/= src`, signed (32-bit, Linux 6.6+). */
export const sdiv32: AluBuilder = aluOp('sdiv32', Class.ALU, AluOp.DIV, 1);
/** `w_dst %= src`, unsigned (32-bit). */
export const mod32: AluBuilder = aluOp('mod32', Class.ALU, AluOp.MOD);
/** `w_dst s%= src`, signed (32-bit, Linux 6.6+). */
export const smod32: AluBuilder = aluOp('smod32', Class.ALU, AluOp.MOD, 1);
/** `w_dst |= src` (32-bit). */
export const or32: AluBuilder = aluOp('or32', Class.ALU, AluOp.OR);
/** `w_dst &= src` (32-bit). */
export const and32: AluBuilder = aluOp('and32', Class.ALU, AluOp.AND);
/** `w_dst <<= src` (32-bit). */
export const lsh32: AluBuilder = aluOp('lsh32', Class.ALU, AluOp.LSH);
/** `w_dst >>= src`, logical (32-bit). */
export const rsh32: AluBuilder = aluOp('rsh32', Class.ALU, AluOp.RSH);
/** `w_dst s>>= src`, arithmetic (32-bit). */
export const arsh32: AluBuilder = aluOp('arsh32', Class.ALU, AluOp.ARSH);
/** `w_dst ^= src` (32-bit). */
export const xor32: AluBuilder = aluOp('xor32', Class.ALU, AluOp.XOR);
/** `w_dst = src` (32-bit; the upper half of dst becomes 0). */
export const mov32: AluBuilder = aluOp('mov32', Class.ALU, AluOp.MOV);

function neg(name: string, cls: number): (dst: WritableRegister) => Instruction {
  return (dst) => {
    const source = captureSource();
    return emit(name, { code: cls | AluOp.NEG, dst: writable(name, 'dst', dst, source), src: 0, off: 0, imm: 0 }, source);
  };
}

/** `dst = -dst` (64-bit). */
export const neg64: (dst: WritableRegister) => Instruction = neg('neg64', Class.ALU64);
/** `w_dst = -w_dst` (32-bit). */
export const neg32: (dst: WritableRegister) => Instruction = neg('neg32', Class.ALU);

function movsx(name: string, cls: number, allowed: readonly number[], dst: unknown, src: unknown, bits: unknown): Instruction {
  const source = captureSource();
  const d = writable(name, 'dst', dst, source);
  const s = readable(name, 'src', src, source);
  if (typeof bits !== 'number' || !allowed.includes(bits)) {
    fail(name, `bits must be ${allowed.join(', ')}, got ${String(bits)}`, source);
  }
  return emit(name, { code: cls | AluOp.MOV | Source.X, dst: d, src: s, off: bits, imm: 0 }, source);
}

/** `dst = (s64)(s8|s16|s32)src`: move with sign extension from the low `bits` (Linux 6.6+). */
export function movsx64(dst: WritableRegister, src: Register, bits: 8 | 16 | 32): Instruction {
  return movsx('movsx64', Class.ALU64, [8, 16, 32], dst, src, bits);
}

/** `w_dst = (s32)(s8|s16)w_src`: 32-bit move with sign extension from the low `bits` (Linux 6.6+). */
export function movsx32(dst: WritableRegister, src: Register, bits: 8 | 16): Instruction {
  return movsx('movsx32', Class.ALU, [8, 16], dst, src, bits);
}

function endian(name: string, code: number, dst: unknown, bits: unknown): Instruction {
  const source = captureSource();
  const d = writable(name, 'dst', dst, source);
  if (bits !== 16 && bits !== 32 && bits !== 64) fail(name, `bits must be 16, 32 or 64, got ${String(bits)}`, source);
  return emit(name, { code, dst: d, src: 0, off: 0, imm: bits }, source);
}

/** `dst = bswap(dst)`: unconditional byte swap of the low `bits` (ALU64 END, Linux 6.6+). */
export function bswap(dst: WritableRegister, bits: 16 | 32 | 64): Instruction {
  return endian('bswap', Class.ALU64 | AluOp.END | Source.K, dst, bits);
}

/** `dst = htole(dst)`: to little-endian, truncating to `bits` (a no-op swap on x86, still truncates). */
export function toLe(dst: WritableRegister, bits: 16 | 32 | 64): Instruction {
  return endian('toLe', Class.ALU | AluOp.END | Source.K, dst, bits);
}

/** `dst = htobe(dst)`: to big-endian, truncating to `bits`. */
export function toBe(dst: WritableRegister, bits: 16 | 32 | 64): Instruction {
  return endian('toBe', Class.ALU | AluOp.END | Source.X, dst, bits);
}

/**
 * `dst = addr_space_cast(src, dstAs, srcAs)` (Linux 6.9+, arena pointers). The kernel accepts only
 * 1 → 0 (arena to kernel) and 0 → 1 (kernel to arena).
 */
export function addrSpaceCast(dst: WritableRegister, src: Register, dstAs: 0 | 1, srcAs: 0 | 1): Instruction {
  const source = captureSource();
  const name = 'addrSpaceCast';
  const d = writable(name, 'dst', dst, source);
  const s = readable(name, 'src', src, source);
  if (!((dstAs === 0 && srcAs === 1) || (dstAs === 1 && srcAs === 0))) {
    fail(name, `only casts between address spaces 1 and 0 exist, got ${String(srcAs)} → ${String(dstAs)}`, source);
  }
  return emit(name, {
    code: Class.ALU64 | AluOp.MOV | Source.X, dst: d, src: s, off: ADDR_SPACE_CAST, imm: (dstAs << 16) | srcAs,
  }, source);
}
