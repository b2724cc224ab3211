/**
 * Atomic builders (`STX|ATOMIC`, the operation in `imm`). Operands in the kernel's text order:
 * `atomicAdd64(R1, 0, R2)` is `lock *(u64 *)(r1 + 0) += r2`; the fetch forms, `xchg` and `cmpxchg`
 * load the old value into `src` (`cmpxchg` compares with and loads into R0).
 * @module
 */
import type { Instruction } from '../instruction.js';
import { AtomicOp, Class, Mode, Size } from '../opcode.js';
import { captureSource } from './source.js';
import { emit, off16, readable, writable } from './operands.js';
import { sizeBits } from './memory.js';
import type { MemSize } from './memory.js';
import type { Register, WritableRegister } from './registers.js';

/** An atomic read-modify-write builder: `op(dst, off, src)` on `*(dst + off)`. */
export type AtomicBuilder = (dst: Register, off: number, src: Register) => Instruction;

function atomicOp(name: string, size: number, imm: number): AtomicBuilder {
  // The fetch forms, xchg and cmpxchg write the old value into src (cmpxchg into R0, src is read).
  const srcWritten = (imm & AtomicOp.FETCH) !== 0 && imm !== AtomicOp.CMPXCHG;
  return (dst, off, src) => {
    const source = captureSource();
    return emit(name, {
      code: Class.STX | Mode.ATOMIC | size, dst: readable(name, 'dst', dst, source),
      src: srcWritten ? writable(name, 'src', src, source) : readable(name, 'src', src, source),
      off: off16(name, 'offset', off, source), imm,
    }, source);
  };
}

/** `lock *(u64 *)(dst + off) += src`. */
export const atomicAdd64: AtomicBuilder = atomicOp('atomicAdd64', Size.DW, AtomicOp.ADD);
/** `lock *(u32 *)(dst + off) += src`. */
export const atomicAdd32: AtomicBuilder = atomicOp('atomicAdd32', Size.W, AtomicOp.ADD);
/** `lock *(u64 *)(dst + off) |= src`. */
export const atomicOr64: AtomicBuilder = atomicOp('atomicOr64', Size.DW, AtomicOp.OR);
/** `lock *(u32 *)(dst + off) |= src`. */
export const atomicOr32: AtomicBuilder = atomicOp('atomicOr32', Size.W, AtomicOp.OR);
/** `lock *(u64 *)(dst + off) &= src`. */
export const atomicAnd64: AtomicBuilder = atomicOp('atomicAnd64', Size.DW, AtomicOp.AND);
/** `lock *(u32 *)(dst + off) &= src`. */
export const atomicAnd32: AtomicBuilder = atomicOp('atomicAnd32', Size.W, AtomicOp.AND);
/** `lock *(u64 *)(dst + off) ^= src`. */
export const atomicXor64: AtomicBuilder = atomicOp('atomicXor64', Size.DW, AtomicOp.XOR);
/** `lock *(u32 *)(dst + off) ^= src`. */
export const atomicXor32: AtomicBuilder = atomicOp('atomicXor32', Size.W, AtomicOp.XOR);
/** `src = atomic_fetch_add((u64 *)(dst + off), src)`. */
export const atomicFetchAdd64: AtomicBuilder = atomicOp('atomicFetchAdd64', Size.DW, AtomicOp.ADD | AtomicOp.FETCH);
/** `w_src = atomic_fetch_add((u32 *)(dst + off), w_src)`. */
export const atomicFetchAdd32: AtomicBuilder = atomicOp('atomicFetchAdd32', Size.W, AtomicOp.ADD | AtomicOp.FETCH);
/** `src = atomic_fetch_or((u64 *)(dst + off), src)`. */
export const atomicFetchOr64: AtomicBuilder = atomicOp('atomicFetchOr64', Size.DW, AtomicOp.OR | AtomicOp.FETCH);
/** `w_src = atomic_fetch_or((u32 *)(dst + off), w_src)`. */
export const atomicFetchOr32: AtomicBuilder = atomicOp('atomicFetchOr32', Size.W, AtomicOp.OR | AtomicOp.FETCH);
/** `src = atomic_fetch_and((u64 *)(dst + off), src)`. */
export const atomicFetchAnd64: AtomicBuilder = atomicOp('atomicFetchAnd64', Size.DW, AtomicOp.AND | AtomicOp.FETCH);
/** `w_src = atomic_fetch_and((u32 *)(dst + off), w_src)`. */
export const atomicFetchAnd32: AtomicBuilder = atomicOp('atomicFetchAnd32', Size.W, AtomicOp.AND | AtomicOp.FETCH);
/** `src = atomic_fetch_xor((u64 *)(dst + off), src)`. */
export const atomicFetchXor64: AtomicBuilder = atomicOp('atomicFetchXor64', Size.DW, AtomicOp.XOR | AtomicOp.FETCH);
/** `w_src = atomic_fetch_xor((u32 *)(dst + off), w_src)`. */
export const atomicFetchXor32: AtomicBuilder = atomicOp('atomicFetchXor32', Size.W, AtomicOp.XOR | AtomicOp.FETCH);
/** `src = xchg_64(dst + off, src)`. */
export const xchg64: AtomicBuilder = atomicOp('xchg64', Size.DW, AtomicOp.XCHG);
/** `w_src = xchg32_32(dst + off, w_src)`. */
export const xchg32: AtomicBuilder = atomicOp('xchg32', Size.W, AtomicOp.XCHG);
/** `r0 = cmpxchg_64(dst + off, r0, src)`: stores src if the value equals R0; R0 gets the old value. */
export const cmpxchg64: AtomicBuilder = atomicOp('cmpxchg64', Size.DW, AtomicOp.CMPXCHG);
/** `w0 = cmpxchg32_32(dst + off, w0, w_src)`. */
export const cmpxchg32: AtomicBuilder = atomicOp('cmpxchg32', Size.W, AtomicOp.CMPXCHG);

/** `dst = load_acquire((size *)(src + off))` (Linux 6.15+). */
export function loadAcquire(size: MemSize, dst: WritableRegister, src: Register, off: number): Instruction {
  const source = captureSource();
  const n = 'loadAcquire';
  return emit(n, {
    code: Class.STX | Mode.ATOMIC | sizeBits(n, size, 'unsigned', source), dst: writable(n, 'dst', dst, source),
    src: readable(n, 'src', src, source), off: off16(n, 'offset', off, source), imm: AtomicOp.LOAD_ACQ,
  }, source);
}

/** `store_release((size *)(dst + off), src)` (Linux 6.15+). */
export function storeRelease(size: MemSize, dst: Register, off: number, src: Register): Instruction {
  const source = captureSource();
  const n = 'storeRelease';
  return emit(n, {
    code: Class.STX | Mode.ATOMIC | sizeBits(n, size, 'unsigned', source), dst: readable(n, 'dst', dst, source),
    src: readable(n, 'src', src, source), off: off16(n, 'offset', off, source), imm: AtomicOp.STORE_REL,
  }, source);
}
