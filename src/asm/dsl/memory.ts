/**
 * Load and store builders. Operands follow the kernel's text order:
 * `ldx('u32', R0, R1, 4)` is `r0 = *(u32 *)(r1 + 4)`, `stx('u64', R10, -8, R1)` is
 * `*(u64 *)(r10 - 8) = r1`, `st('u32', R10, -4, 0)` is `*(u32 *)(r10 - 4) = 0`.
 * @module
 */
import type { SourceLocation } from '../../errors.js';
import type { Instruction } from '../instruction.js';
import { Class, Mode, Size } from '../opcode.js';
import { captureSource } from './source.js';
import { emit, fail, imm32, off16, readable, show, writable } from './operands.js';
import type { Register, WritableRegister } from './registers.js';

/** An access size by the C type the kernel prints. */
export type MemSize = 'u8' | 'u16' | 'u32' | 'u64';
/** A sign-extending load size (Linux 6.6+). */
export type SignedMemSize = 's8' | 's16' | 's32';

const SIZES: Readonly<Record<string, number>> = { u8: Size.B, u16: Size.H, u32: Size.W, u64: Size.DW };
const SIGNED: Readonly<Record<string, number>> = { s8: Size.B, s16: Size.H, s32: Size.W };

/** The opcode size bits of a size name; `table` lists the names allowed. */
export function sizeBits(op: string, size: unknown, table: 'unsigned' | 'signed' | 'narrow' | 'atomic',
  source: SourceLocation | undefined): number {
  const names = table === 'signed' ? SIGNED : SIZES;
  const allowed = table === 'narrow' ? ['u8', 'u16', 'u32'] : table === 'atomic' ? ['u32', 'u64'] : Object.keys(names);
  if (typeof size !== 'string' || !allowed.includes(size)) {
    fail(op, `size must be ${allowed.map((s) => `'${s}'`).join(', ')}, got ${show(size)}`, source);
  }
  return names[size]!;
}

/** `dst = *(size *)(src + off)`. */
export function ldx(size: MemSize, dst: WritableRegister, src: Register, off: number): Instruction {
  const source = captureSource();
  const sz = sizeBits('ldx', size, 'unsigned', source);
  return emit('ldx', {
    code: Class.LDX | Mode.MEM | sz, dst: writable('ldx', 'dst', dst, source), src: readable('ldx', 'src', src, source),
    off: off16('ldx', 'offset', off, source), imm: 0,
  }, source);
}

/** `dst = *(u8 *)(src + off)`. */
export const ldxb = (dst: WritableRegister, src: Register, off: number): Instruction => ldx('u8', dst, src, off);
/** `dst = *(u16 *)(src + off)`. */
export const ldxh = (dst: WritableRegister, src: Register, off: number): Instruction => ldx('u16', dst, src, off);
/** `dst = *(u32 *)(src + off)`. */
export const ldxw = (dst: WritableRegister, src: Register, off: number): Instruction => ldx('u32', dst, src, off);
/** `dst = *(u64 *)(src + off)`. */
export const ldxdw = (dst: WritableRegister, src: Register, off: number): Instruction => ldx('u64', dst, src, off);

/** `dst = *(s8|s16|s32 *)(src + off)`, sign-extended to 64 bits (Linux 6.6+). */
export function ldxsx(size: SignedMemSize, dst: WritableRegister, src: Register, off: number): Instruction {
  const source = captureSource();
  const sz = sizeBits('ldxsx', size, 'signed', source);
  return emit('ldxsx', {
    code: Class.LDX | Mode.MEMSX | sz, dst: writable('ldxsx', 'dst', dst, source),
    src: readable('ldxsx', 'src', src, source), off: off16('ldxsx', 'offset', off, source), imm: 0,
  }, source);
}

/** `*(size *)(dst + off) = imm`; a u64 store sign-extends the 32-bit immediate. */
export function st(size: MemSize, dst: Register, off: number, imm: number): Instruction {
  const source = captureSource();
  const sz = sizeBits('st', size, 'unsigned', source);
  return emit('st', {
    code: Class.ST | Mode.MEM | sz, dst: readable('st', 'dst', dst, source), src: 0,
    off: off16('st', 'offset', off, source), imm: imm32('st', 'immediate', imm, sz !== Size.DW, source),
  }, source);
}

/** `*(size *)(dst + off) = src`. */
export function stx(size: MemSize, dst: Register, off: number, src: Register): Instruction {
  const source = captureSource();
  const sz = sizeBits('stx', size, 'unsigned', source);
  return emit('stx', {
    code: Class.STX | Mode.MEM | sz, dst: readable('stx', 'dst', dst, source), src: readable('stx', 'src', src, source),
    off: off16('stx', 'offset', off, source), imm: 0,
  }, source);
}

/** `*(u8 *)(dst + off) = src`. */
export const stxb = (dst: Register, off: number, src: Register): Instruction => stx('u8', dst, off, src);
/** `*(u16 *)(dst + off) = src`. */
export const stxh = (dst: Register, off: number, src: Register): Instruction => stx('u16', dst, off, src);
/** `*(u32 *)(dst + off) = src`. */
export const stxw = (dst: Register, off: number, src: Register): Instruction => stx('u32', dst, off, src);
/** `*(u64 *)(dst + off) = src`. */
export const stxdw = (dst: Register, off: number, src: Register): Instruction => stx('u64', dst, off, src);

/** Legacy packet load (socket filters): `r0 = ntoh(*(size *)(skb->data + imm))`; R6 must hold the skb. */
export function ldAbs(size: 'u8' | 'u16' | 'u32', imm: number): Instruction {
  const source = captureSource();
  const sz = sizeBits('ldAbs', size, 'narrow', source);
  return emit('ldAbs', {
    code: Class.LD | Mode.ABS | sz, dst: 0, src: 0, off: 0, imm: imm32('ldAbs', 'offset', imm, false, source),
  }, source);
}

/** Legacy packet load (socket filters): `r0 = ntoh(*(size *)(skb->data + src + imm))`; R6 must hold the skb. */
export function ldInd(size: 'u8' | 'u16' | 'u32', src: Register, imm: number): Instruction {
  const source = captureSource();
  const sz = sizeBits('ldInd', size, 'narrow', source);
  return emit('ldInd', {
    code: Class.LD | Mode.IND | sz, dst: 0, src: readable('ldInd', 'src', src, source), off: 0,
    imm: imm32('ldInd', 'offset', imm, false, source),
  }, source);
}
