/**
 * Scalar shift transfer functions (Linux 6.18 scalar{32,}_min_max_{lsh,rsh,arsh}). The caller
 * (scalarAlu) has checked that the shift amount is a constant below the width
 * (is_safe_to_compute_dst_reg_range), then zero-extends (ALU32) and syncs.
 * `s` is the source snapshot at base 0.
 * @module
 */
import {
  S32_MAX, S32_MIN, SMAX_HI, SMAX_LO, SMIN_HI, SMIN_LO, U32_MAX, U32_MIN, UMAX_HI, UMAX_LO,
  UMIN_HI, UMIN_LO, VAL_LO, markUnbounded32, markUnbounded64,
} from './scalar.js';
import { updateReg32Bounds, updateRegBounds } from './bounds-sync.js';
import { tnumArshift, tnumLshift, tnumRshift, tnumSubreg } from './tnum.js';
import { sar64, shl64, shr64 } from './u64.js';

// u32 shifts as C does them for counts 0..31; larger counts (only reachable with inconsistent
// input bounds, where C is undefined) give 0.
const shl32 = (x: number, n: number): number => (n < 32 ? (x << n) >>> 0 : 0);
const shr32 = (x: number, n: number): number => (n < 32 ? x >>> n : 0);

/** __scalar32_min_max_lsh with 64-bit shift bounds (each given as a number < 2^32 or Infinity). */
function lsh32Bounds(d: Uint32Array, db: number, uminVal: number, umaxVal: number): void {
  d[db + S32_MIN] = 0x80000000; d[db + S32_MAX] = 0x7fffffff;
  if (umaxVal > 31 || d[db + U32_MAX]! > 2 ** (31 - umaxVal)) {
    d[db + U32_MIN] = 0; d[db + U32_MAX] = 0xffffffff;
  } else {
    d[db + U32_MIN] = shl32(d[db + U32_MIN]!, uminVal);
    d[db + U32_MAX] = shl32(d[db + U32_MAX]!, umaxVal);
  }
}

/** A 64-bit src bound as a shift count: its value when below 2^32, else Infinity (the kernel compares u64). */
const count = (lo: number, hi: number): number => (hi === 0 ? lo : Infinity);

/** scalar32_min_max_lsh. */
export function scalar32Lsh(d: Uint32Array, db: number, s: Uint32Array): void {
  const uminVal = s[U32_MIN]!, umaxVal = s[U32_MAX]!;
  tnumSubreg(d, db + VAL_LO, d, db + VAL_LO);
  lsh32Bounds(d, db, uminVal, umaxVal);
  tnumLshift(d, db + VAL_LO, d, db + VAL_LO, uminVal & 63);
  tnumSubreg(d, db + VAL_LO, d, db + VAL_LO);
  markUnbounded64(d, db);
  updateReg32Bounds(d, db);
}

/** scalar_min_max_lsh. */
export function scalar64Lsh(d: Uint32Array, db: number, s: Uint32Array): void {
  const uminVal = count(s[UMIN_LO]!, s[UMIN_HI]!), umaxVal = count(s[UMAX_LO]!, s[UMAX_HI]!);
  // __scalar64_min_max_lsh: `<<32` keeps the s32 bounds as the high half (the sign-extension
  // idiom `<<32 s>>32`); 6.18 stable allows negative s32 bounds too (6.18.2 required >= 0).
  if (uminVal === 32 && umaxVal === 32) {
    d[db + SMAX_LO] = 0; d[db + SMAX_HI] = d[db + S32_MAX]!;
    d[db + SMIN_LO] = 0; d[db + SMIN_HI] = d[db + S32_MIN]!;
  } else {
    d[db + SMAX_LO] = 0xffffffff; d[db + SMAX_HI] = 0x7fffffff;
    d[db + SMIN_LO] = 0; d[db + SMIN_HI] = 0x80000000;
  }
  // umax > 1ULL << (63 - umax_val)
  const limitBit = 63 - umaxVal;
  const umaxHi = d[db + UMAX_HI]!, umaxLo = d[db + UMAX_LO]!;
  const over = limitBit >= 32
    ? umaxHi > 2 ** (limitBit - 32) || (umaxHi === 2 ** (limitBit - 32) && umaxLo > 0)
    : umaxHi !== 0 || umaxLo > 2 ** limitBit;
  if (over) {
    d[db + UMIN_LO] = 0; d[db + UMIN_HI] = 0; d[db + UMAX_LO] = 0xffffffff; d[db + UMAX_HI] = 0xffffffff;
  } else {
    shl64(d, db + UMIN_LO, d[db + UMIN_LO]!, d[db + UMIN_HI]!, uminVal);
    shl64(d, db + UMAX_LO, umaxLo, umaxHi, umaxVal);
  }
  lsh32Bounds(d, db, uminVal, umaxVal);
  tnumLshift(d, db + VAL_LO, d, db + VAL_LO, uminVal);
  updateRegBounds(d, db);
}

/** scalar32_min_max_rsh. */
export function scalar32Rsh(d: Uint32Array, db: number, s: Uint32Array): void {
  const uminVal = s[U32_MIN]!, umaxVal = s[U32_MAX]!;
  d[db + S32_MIN] = 0x80000000; d[db + S32_MAX] = 0x7fffffff;
  tnumSubreg(d, db + VAL_LO, d, db + VAL_LO);
  tnumRshift(d, db + VAL_LO, d, db + VAL_LO, uminVal & 63);
  d[db + U32_MIN] = shr32(d[db + U32_MIN]!, umaxVal);
  d[db + U32_MAX] = shr32(d[db + U32_MAX]!, uminVal);
  markUnbounded64(d, db);
  updateReg32Bounds(d, db);
}

/** scalar_min_max_rsh. */
export function scalar64Rsh(d: Uint32Array, db: number, s: Uint32Array): void {
  const uminVal = s[UMIN_LO]!, umaxVal = s[UMAX_LO]!; // both < 64 here
  d[db + SMIN_LO] = 0; d[db + SMIN_HI] = 0x80000000; d[db + SMAX_LO] = 0xffffffff; d[db + SMAX_HI] = 0x7fffffff;
  tnumRshift(d, db + VAL_LO, d, db + VAL_LO, uminVal);
  shr64(d, db + UMIN_LO, d[db + UMIN_LO]!, d[db + UMIN_HI]!, umaxVal);
  shr64(d, db + UMAX_LO, d[db + UMAX_LO]!, d[db + UMAX_HI]!, uminVal);
  markUnbounded32(d, db);
  updateRegBounds(d, db);
}

/** scalar32_min_max_arsh (src is a known constant here). */
export function scalar32Arsh(d: Uint32Array, db: number, s: Uint32Array): void {
  const n = s[U32_MIN]!;
  d[db + S32_MIN] = (d[db + S32_MIN]! | 0) >> n;
  d[db + S32_MAX] = (d[db + S32_MAX]! | 0) >> n;
  tnumSubreg(d, db + VAL_LO, d, db + VAL_LO);
  tnumArshift(d, db + VAL_LO, d, db + VAL_LO, n, 32);
  d[db + U32_MIN] = 0; d[db + U32_MAX] = 0xffffffff;
  markUnbounded64(d, db);
  updateReg32Bounds(d, db);
}

/** scalar_min_max_arsh (src is a known constant here). */
export function scalar64Arsh(d: Uint32Array, db: number, s: Uint32Array): void {
  const n = s[UMIN_LO]!;
  sar64(d, db + SMIN_LO, d[db + SMIN_LO]!, d[db + SMIN_HI]!, n);
  sar64(d, db + SMAX_LO, d[db + SMAX_LO]!, d[db + SMAX_HI]!, n);
  tnumArshift(d, db + VAL_LO, d, db + VAL_LO, n, 64);
  d[db + UMIN_LO] = 0; d[db + UMIN_HI] = 0; d[db + UMAX_LO] = 0xffffffff; d[db + UMAX_HI] = 0xffffffff;
  markUnbounded32(d, db);
  updateRegBounds(d, db);
}
