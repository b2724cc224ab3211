/**
 * The numeric state of one register, as the kernel's struct bpf_reg_state keeps it (Linux 6.18):
 * `var_off` (a tnum), 64-bit unsigned and signed bounds, 32-bit unsigned and signed bounds.
 *
 * A scalar is {@link SCALAR_WORDS} uint32 words at a base offset in a `Uint32Array` ("slab"), so
 * a whole verifier state can be one typed array copied with `slice()`. Every 64-bit quantity is
 * two words, low half first; signed quantities are stored as their two's-complement bit pattern.
 * A standalone scalar is simply a `Uint32Array(SCALAR_WORDS)` used with base 0.
 *
 * Functions take `(s, b)` = (slab, base offset of the scalar) and mutate in place.
 * @module
 */

/** Number of uint32 words one scalar occupies. */
export const SCALAR_WORDS = 16;

/** tnum value, low half (word offset within a scalar). */
export const VAL_LO = 0;
/** tnum value, high half. */
export const VAL_HI = 1;
/** tnum mask (unknown bits), low half. */
export const MASK_LO = 2;
/** tnum mask, high half. */
export const MASK_HI = 3;
/** umin_value, low half. */
export const UMIN_LO = 4;
/** umin_value, high half. */
export const UMIN_HI = 5;
/** umax_value, low half. */
export const UMAX_LO = 6;
/** umax_value, high half. */
export const UMAX_HI = 7;
/** smin_value (two's complement), low half. */
export const SMIN_LO = 8;
/** smin_value, high half. */
export const SMIN_HI = 9;
/** smax_value (two's complement), low half. */
export const SMAX_LO = 10;
/** smax_value, high half. */
export const SMAX_HI = 11;
/** u32_min_value. */
export const U32_MIN = 12;
/** u32_max_value. */
export const U32_MAX = 13;
/** s32_min_value, stored as its uint32 bit pattern. */
export const S32_MIN = 14;
/** s32_max_value, stored as its uint32 bit pattern. */
export const S32_MAX = 15;

/** A standalone scalar: a slab holding exactly one scalar at base 0. */
export type Scalar = Uint32Array;

/** A new standalone scalar, completely unknown (tnum_unknown, unbounded). */
export function newScalar(): Scalar {
  const s = new Uint32Array(SCALAR_WORDS);
  markUnknown(s, 0);
  return s;
}

/** A new standalone scalar holding the known 64-bit value `hi:lo` (uint32 or int32 halves). */
export function newKnown(lo: number, hi: number): Scalar {
  const s = new Uint32Array(SCALAR_WORDS);
  markKnown(s, 0, lo, hi);
  return s;
}

/** __mark_reg_unbounded: all eight bounds to their widest, var_off untouched. */
export function markUnbounded(s: Uint32Array, b: number): void {
  s[b + UMIN_LO] = 0; s[b + UMIN_HI] = 0;
  s[b + UMAX_LO] = 0xffffffff; s[b + UMAX_HI] = 0xffffffff;
  s[b + SMIN_LO] = 0; s[b + SMIN_HI] = 0x80000000;
  s[b + SMAX_LO] = 0xffffffff; s[b + SMAX_HI] = 0x7fffffff;
  s[b + U32_MIN] = 0; s[b + U32_MAX] = 0xffffffff;
  s[b + S32_MIN] = 0x80000000; s[b + S32_MAX] = 0x7fffffff;
}

/** __mark_reg64_unbounded: the 64-bit bounds only. */
export function markUnbounded64(s: Uint32Array, b: number): void {
  s[b + UMIN_LO] = 0; s[b + UMIN_HI] = 0;
  s[b + UMAX_LO] = 0xffffffff; s[b + UMAX_HI] = 0xffffffff;
  s[b + SMIN_LO] = 0; s[b + SMIN_HI] = 0x80000000;
  s[b + SMAX_LO] = 0xffffffff; s[b + SMAX_HI] = 0x7fffffff;
}

/** __mark_reg32_unbounded: the 32-bit bounds only. */
export function markUnbounded32(s: Uint32Array, b: number): void {
  s[b + U32_MIN] = 0; s[b + U32_MAX] = 0xffffffff;
  s[b + S32_MIN] = 0x80000000; s[b + S32_MAX] = 0x7fffffff;
}

/** The numeric part of __mark_reg_unknown: var_off = tnum_unknown, unbounded. */
export function markUnknown(s: Uint32Array, b: number): void {
  s[b + VAL_LO] = 0; s[b + VAL_HI] = 0;
  s[b + MASK_LO] = 0xffffffff; s[b + MASK_HI] = 0xffffffff;
  markUnbounded(s, b);
}

/** ___mark_reg_known: the register holds exactly `hi:lo` (halves as uint32 or int32). */
export function markKnown(s: Uint32Array, b: number, lo: number, hi: number): void {
  lo >>>= 0; hi >>>= 0;
  s[b + VAL_LO] = lo; s[b + VAL_HI] = hi;
  s[b + MASK_LO] = 0; s[b + MASK_HI] = 0;
  s[b + UMIN_LO] = lo; s[b + UMIN_HI] = hi; s[b + UMAX_LO] = lo; s[b + UMAX_HI] = hi;
  s[b + SMIN_LO] = lo; s[b + SMIN_HI] = hi; s[b + SMAX_LO] = lo; s[b + SMAX_HI] = hi;
  s[b + U32_MIN] = lo; s[b + U32_MAX] = lo; s[b + S32_MIN] = lo; s[b + S32_MAX] = lo;
}

/** __mark_reg32_known: the low 32 bits become `v`; the 64-bit bounds are left alone. */
export function markKnown32(s: Uint32Array, b: number, v: number): void {
  v >>>= 0;
  s[b + VAL_LO] = v; s[b + MASK_LO] = 0;
  s[b + U32_MIN] = v; s[b + U32_MAX] = v; s[b + S32_MIN] = v; s[b + S32_MAX] = v;
}

/** Copies one scalar (may be between slabs). */
export function copyScalar(dst: Uint32Array, db: number, src: Uint32Array, sb: number): void {
  for (let i = 0; i < SCALAR_WORDS; i++) dst[db + i] = src[sb + i]!;
}

/** Whether two scalars are identical in every field (var_off and all bounds). */
export function scalarEquals(a: Uint32Array, ab: number, c: Uint32Array, cb: number): boolean {
  for (let i = 0; i < SCALAR_WORDS; i++) if (a[ab + i] !== c[cb + i]) return false;
  return true;
}

/** tnum_is_const(var_off): every bit known. The value is then `s[b+VAL_LO]`, `s[b+VAL_HI]`. */
export function isConst(s: Uint32Array, b: number): boolean {
  return s[b + MASK_LO] === 0 && s[b + MASK_HI] === 0;
}

/** tnum_subreg_is_const(var_off): the low 32 bits known. The value is then `s[b+VAL_LO]`. */
export function isConst32(s: Uint32Array, b: number): boolean {
  return s[b + MASK_LO] === 0;
}

/** is_reg_const(reg, is32): the scalar is a constant in the width of the operation. */
export function isRegConst(s: Uint32Array, b: number, is32: boolean): boolean {
  return is32 ? s[b + MASK_LO] === 0 : s[b + MASK_LO] === 0 && s[b + MASK_HI] === 0;
}

/** tnum_is_unknown(var_off): every bit unknown. */
export function isUnknownTnum(s: Uint32Array, b: number): boolean {
  return s[b + MASK_LO] === 0xffffffff && s[b + MASK_HI] === 0xffffffff;
}

/**
 * A 64-bit field as a JS number: `signed` reads it as s64. Exact when |value| <= 2^53; beyond
 * that it is the nearest double (fine for range checks against small limits, not for identity).
 */
export function fieldNum(s: Uint32Array, b: number, loWord: number, signed: boolean): number {
  const lo = s[b + loWord]!, hi = s[b + loWord + 1]!;
  return (signed ? hi | 0 : hi) * 4294967296 + lo;
}

/** smin_value as a number (see {@link fieldNum} for precision). */
export const sminNum = (s: Uint32Array, b: number): number => fieldNum(s, b, SMIN_LO, true);
/** smax_value as a number (see {@link fieldNum} for precision). */
export const smaxNum = (s: Uint32Array, b: number): number => fieldNum(s, b, SMAX_LO, true);
/** umin_value as a number (see {@link fieldNum} for precision). */
export const uminNum = (s: Uint32Array, b: number): number => fieldNum(s, b, UMIN_LO, false);
/** umax_value as a number (see {@link fieldNum} for precision). */
export const umaxNum = (s: Uint32Array, b: number): number => fieldNum(s, b, UMAX_LO, false);
/** s32_min_value as a number (exact). */
export const s32minNum = (s: Uint32Array, b: number): number => s[b + S32_MIN]! | 0;
/** s32_max_value as a number (exact). */
export const s32maxNum = (s: Uint32Array, b: number): number => s[b + S32_MAX]! | 0;
/** The tnum value as a signed number (for constants; see {@link fieldNum} for precision). */
export const constNum = (s: Uint32Array, b: number): number => fieldNum(s, b, VAL_LO, true);
