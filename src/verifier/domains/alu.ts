/**
 * Scalar ALU transfer functions (Linux 6.18 adjust_scalar_min_max_vals, scalar{32,}_min_max_*,
 * zext_32_to_64, coerce_reg_to_size{,_sx}, coerce_subreg_to_size_sx): the result of
 * `dst op= src` on abstract values, computed in place in `dst`, line by line as the kernel does.
 * Follows the 6.18 stable kernel where it differs from 6.18.2 (BPF_END tracking, `<<32` of
 * negative s32 bounds, maybe_fork_scalars); see the "6.18 stable" comments.
 * @module
 */
import {
  MASK_HI, MASK_LO, S32_MAX, S32_MIN, SCALAR_WORDS, SMAX_HI, SMAX_LO, SMIN_HI, SMIN_LO, U32_MAX, U32_MIN,
  UMAX_HI, UMAX_LO, UMIN_HI, UMIN_LO, VAL_HI, VAL_LO, copyScalar, isConst, isConst32, markKnown,
  markKnown32, markUnbounded, markUnbounded32, markUnknown,
} from './scalar.js';
import { lowerU32, lowerU64, raiseU32, raiseU64, regBoundsSync, updateRegBounds } from './bounds-sync.js';
import {
  tnumAdd, tnumAnd, tnumCast, tnumMul, tnumNeg, tnumOr, tnumRange, tnumSub, tnumSubreg, tnumUnknown, tnumXor,
} from './tnum.js';
import { add64, addOvS64, fls64, mulOvS64, mulOvU64, sub64, subOvS64 } from './u64.js';
import { scalar32Lsh, scalar32Rsh, scalar32Arsh, scalar64Lsh, scalar64Rsh, scalar64Arsh } from './alu-shift.js';

/** ALU operation codes (the high nibble of the opcode, as in AluOp). */
const ADD = 0x00, SUB = 0x10, MUL = 0x20, OR = 0x40, AND = 0x50, LSH = 0x60, RSH = 0x70,
  NEG = 0x80, XOR = 0xa0, ARSH = 0xc0;

// The kernel passes src by value; a snapshot keeps `r1 += r1` and NEG right.
const SRC = new Uint32Array(SCALAR_WORDS);
const T = new Uint32Array(16);

/**
 * is_safe_to_compute_dst_reg_range: whether the kernel computes bounds for this op at all.
 * Shifts need a constant amount below the width (the check reads the 64-bit umax even for
 * ALU32); div/mod/others never do.
 */
export function isSafeToCompute(src: Uint32Array, sb: number, op: number, alu64: boolean): boolean {
  switch (op) {
    case ADD: case SUB: case NEG: case AND: case XOR: case OR: case MUL:
      return true;
    case LSH: case RSH: case ARSH: {
      const srcConst = alu64
        ? isConst(src, sb) && src[sb + SMIN_LO] === src[sb + SMAX_LO] && src[sb + SMIN_HI] === src[sb + SMAX_HI] &&
          src[sb + UMIN_LO] === src[sb + UMAX_LO] && src[sb + UMIN_HI] === src[sb + UMAX_HI]
        : isConst32(src, sb) && src[sb + S32_MIN] === src[sb + S32_MAX] && src[sb + U32_MIN] === src[sb + U32_MAX];
      return srcConst && src[sb + UMAX_HI] === 0 && src[sb + UMAX_LO]! < (alu64 ? 64 : 32);
    }
    default:
      return false;
  }
}

/**
 * adjust_scalar_min_max_vals: `op` is the ALU operation as encoded (AluOp.ADD = 0x00 ...
 * AluOp.ARSH = 0xc0); `alu64` for BPF_ALU64. For NEG `src` is ignored. Ops the kernel does not
 * compute (div, mod, shift by a non-constant or >= width) make `dst` fully unknown (64-bit, no
 * zext) exactly as the kernel does. Ends with zext (alu32) and reg_bounds_sync. END (byte swap)
 * is {@link scalarByteSwap}.
 * An immediate operand is a scalar made with markKnown(imm, imm < 0 ? -1 : 0) (the kernel
 * sign-extends the 32-bit imm to 64 bits for both ALU and ALU64).
 * The register's id is the caller's: the kernel leaves it 0 except for its `r += const` links.
 */
export function scalarAlu(d: Uint32Array, db: number, src: Uint32Array, sb: number, op: number, alu64: boolean): void {
  if (op === NEG) copyScalar(SRC, 0, d, db); else copyScalar(SRC, 0, src, sb);
  if (!isSafeToCompute(SRC, 0, op, alu64)) { markUnknown(d, db); return; }
  const v = db + VAL_LO;
  switch (op) {
    case ADD:
      scalar32Add(d, db, SRC); scalar64Add(d, db, SRC); tnumAdd(d, v, d, v, SRC, VAL_LO); break;
    case SUB:
      scalar32Sub(d, db, SRC); scalar64Sub(d, db, SRC); tnumSub(d, v, d, v, SRC, VAL_LO); break;
    case NEG:
      markKnown(d, db, 0, 0);
      scalar32Sub(d, db, SRC); scalar64Sub(d, db, SRC); tnumNeg(d, v, SRC, VAL_LO); break;
    case MUL:
      tnumMul(d, v, d, v, SRC, VAL_LO); scalar32Mul(d, db, SRC); scalar64Mul(d, db, SRC); break;
    case AND:
      tnumAnd(d, v, d, v, SRC, VAL_LO); scalar32Bit(d, db, SRC, AND); scalar64Bit(d, db, SRC, AND); break;
    case OR:
      tnumOr(d, v, d, v, SRC, VAL_LO); scalar32Bit(d, db, SRC, OR); scalar64Bit(d, db, SRC, OR); break;
    case XOR:
      tnumXor(d, v, d, v, SRC, VAL_LO); scalar32Bit(d, db, SRC, XOR); scalar64Bit(d, db, SRC, XOR); break;
    case LSH:
      if (alu64) scalar64Lsh(d, db, SRC); else scalar32Lsh(d, db, SRC); break;
    case RSH:
      if (alu64) scalar64Rsh(d, db, SRC); else scalar32Rsh(d, db, SRC); break;
    case ARSH:
      if (alu64) scalar64Arsh(d, db, SRC); else scalar32Arsh(d, db, SRC); break;
    default:
      break;
  }
  if (!alu64) zext32to64(d, db);
  regBoundsSync(d, db);
}

function setS32Unbounded(d: Uint32Array, db: number): void { d[db + S32_MIN] = 0x80000000; d[db + S32_MAX] = 0x7fffffff; }
function setS64Unbounded(d: Uint32Array, db: number): void {
  d[db + SMIN_LO] = 0; d[db + SMIN_HI] = 0x80000000; d[db + SMAX_LO] = 0xffffffff; d[db + SMAX_HI] = 0x7fffffff;
}
function setU64Unbounded(d: Uint32Array, db: number): void {
  d[db + UMIN_LO] = 0; d[db + UMIN_HI] = 0; d[db + UMAX_LO] = 0xffffffff; d[db + UMAX_HI] = 0xffffffff;
}

/** scalar32_min_max_add. */
function scalar32Add(d: Uint32Array, db: number, s: Uint32Array): void {
  const smin = (d[db + S32_MIN]! | 0) + (s[S32_MIN]! | 0), smax = (d[db + S32_MAX]! | 0) + (s[S32_MAX]! | 0);
  if (smin !== (smin | 0) || smax !== (smax | 0)) setS32Unbounded(d, db);
  else { d[db + S32_MIN] = smin; d[db + S32_MAX] = smax; }
  const umin = d[db + U32_MIN]! + s[U32_MIN]!, umax = d[db + U32_MAX]! + s[U32_MAX]!;
  d[db + U32_MIN] = umin; d[db + U32_MAX] = umax; // wrapped, as check_add_overflow stores
  if (umin <= 0xffffffff && umax > 0xffffffff) { d[db + U32_MIN] = 0; d[db + U32_MAX] = 0xffffffff; }
}

/** scalar_min_max_add. */
function scalar64Add(d: Uint32Array, db: number, s: Uint32Array): void {
  if (addOvS64(T, 0, d[db + SMIN_LO]!, d[db + SMIN_HI]!, s[SMIN_LO]!, s[SMIN_HI]!) ||
      addOvS64(T, 2, d[db + SMAX_LO]!, d[db + SMAX_HI]!, s[SMAX_LO]!, s[SMAX_HI]!)) setS64Unbounded(d, db);
  else { d[db + SMIN_LO] = T[0]!; d[db + SMIN_HI] = T[1]!; d[db + SMAX_LO] = T[2]!; d[db + SMAX_HI] = T[3]!; }
  const minOv = add64(d, db + UMIN_LO, d[db + UMIN_LO]!, d[db + UMIN_HI]!, s[UMIN_LO]!, s[UMIN_HI]!);
  const maxOv = add64(d, db + UMAX_LO, d[db + UMAX_LO]!, d[db + UMAX_HI]!, s[UMAX_LO]!, s[UMAX_HI]!);
  if (!minOv && maxOv) setU64Unbounded(d, db);
}

/** scalar32_min_max_sub. */
function scalar32Sub(d: Uint32Array, db: number, s: Uint32Array): void {
  const smin = (d[db + S32_MIN]! | 0) - (s[S32_MAX]! | 0), smax = (d[db + S32_MAX]! | 0) - (s[S32_MIN]! | 0);
  if (smin !== (smin | 0) || smax !== (smax | 0)) setS32Unbounded(d, db);
  else { d[db + S32_MIN] = smin; d[db + S32_MAX] = smax; }
  const umin = d[db + U32_MIN]! - s[U32_MAX]!, umax = d[db + U32_MAX]! - s[U32_MIN]!;
  d[db + U32_MIN] = umin; d[db + U32_MAX] = umax;
  if (umin < 0 && umax >= 0) { d[db + U32_MIN] = 0; d[db + U32_MAX] = 0xffffffff; }
}

/** scalar_min_max_sub. */
function scalar64Sub(d: Uint32Array, db: number, s: Uint32Array): void {
  if (subOvS64(T, 0, d[db + SMIN_LO]!, d[db + SMIN_HI]!, s[SMAX_LO]!, s[SMAX_HI]!) ||
      subOvS64(T, 2, d[db + SMAX_LO]!, d[db + SMAX_HI]!, s[SMIN_LO]!, s[SMIN_HI]!)) setS64Unbounded(d, db);
  else { d[db + SMIN_LO] = T[0]!; d[db + SMIN_HI] = T[1]!; d[db + SMAX_LO] = T[2]!; d[db + SMAX_HI] = T[3]!; }
  const minUf = sub64(d, db + UMIN_LO, d[db + UMIN_LO]!, d[db + UMIN_HI]!, s[UMAX_LO]!, s[UMAX_HI]!);
  const maxUf = sub64(d, db + UMAX_LO, d[db + UMAX_LO]!, d[db + UMAX_HI]!, s[UMIN_LO]!, s[UMIN_HI]!);
  if (minUf && !maxUf) setU64Unbounded(d, db);
}

/** scalar32_min_max_mul. */
function scalar32Mul(d: Uint32Array, db: number, s: Uint32Array): void {
  // Products of two 32-bit values: a double is exact below 2^53, and anything above 2^32 (or
  // outside s32) is an overflow whatever its rounding.
  const umax = d[db + U32_MAX]! * s[U32_MAX]!, umin = d[db + U32_MIN]! * s[U32_MIN]!;
  if (umax > 0xffffffff || umin > 0xffffffff) { d[db + U32_MIN] = 0; d[db + U32_MAX] = 0xffffffff; }
  else { d[db + U32_MIN] = umin; d[db + U32_MAX] = umax; }
  const a = d[db + S32_MIN]! | 0, b = d[db + S32_MAX]! | 0, c = s[S32_MIN]! | 0, e = s[S32_MAX]! | 0;
  const p0 = a * c, p1 = a * e, p2 = b * c, p3 = b * e;
  if (p0 !== (p0 | 0) || p1 !== (p1 | 0) || p2 !== (p2 | 0) || p3 !== (p3 | 0)) setS32Unbounded(d, db);
  else {
    d[db + S32_MIN] = Math.min(p0, p1, p2, p3); d[db + S32_MAX] = Math.max(p0, p1, p2, p3);
  }
}

/** scalar_min_max_mul. */
function scalar64Mul(d: Uint32Array, db: number, s: Uint32Array): void {
  if (mulOvU64(T, 0, d[db + UMAX_LO]!, d[db + UMAX_HI]!, s[UMAX_LO]!, s[UMAX_HI]!) ||
      mulOvU64(T, 2, d[db + UMIN_LO]!, d[db + UMIN_HI]!, s[UMIN_LO]!, s[UMIN_HI]!)) setU64Unbounded(d, db);
  else { d[db + UMAX_LO] = T[0]!; d[db + UMAX_HI] = T[1]!; d[db + UMIN_LO] = T[2]!; d[db + UMIN_HI] = T[3]!; }
  const aL = d[db + SMIN_LO]!, aH = d[db + SMIN_HI]!, bL = d[db + SMAX_LO]!, bH = d[db + SMAX_HI]!;
  const cL = s[SMIN_LO]!, cH = s[SMIN_HI]!, eL = s[SMAX_LO]!, eH = s[SMAX_HI]!;
  if (mulOvS64(T, 0, aL, aH, cL, cH) || mulOvS64(T, 2, aL, aH, eL, eH) ||
      mulOvS64(T, 4, bL, bH, cL, cH) || mulOvS64(T, 6, bL, bH, eL, eH)) { setS64Unbounded(d, db); return; }
  let mn = 0, mx = 0;
  for (let i = 2; i < 8; i += 2) {
    if (ltS(T[i]!, T[i + 1]!, T[mn]!, T[mn + 1]!)) mn = i;
    if (ltS(T[mx]!, T[mx + 1]!, T[i]!, T[i + 1]!)) mx = i;
  }
  d[db + SMIN_LO] = T[mn]!; d[db + SMIN_HI] = T[mn + 1]!; d[db + SMAX_LO] = T[mx]!; d[db + SMAX_HI] = T[mx + 1]!;
}

function ltS(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return ahi !== bhi ? (ahi | 0) < (bhi | 0) : alo < blo;
}

/** scalar32_min_max_{and,or,xor} (var_off already holds the result tnum). */
function scalar32Bit(d: Uint32Array, db: number, s: Uint32Array, op: number): void {
  const vl = d[db + VAL_LO]!, ml = d[db + MASK_LO]!;
  if (isConst32(s, 0) && isConst32(d, db)) { markKnown32(d, db, vl); return; }
  if (op === AND) { d[db + U32_MIN] = vl; lowerU32(d, db + U32_MAX, s[U32_MAX]!); }
  else if (op === OR) { raiseU32(d, db + U32_MIN, s[U32_MIN]!); d[db + U32_MAX] = vl | ml; }
  else { d[db + U32_MIN] = vl; d[db + U32_MAX] = vl | ml; }
  if ((d[db + U32_MIN]! | 0) <= (d[db + U32_MAX]! | 0)) { d[db + S32_MIN] = d[db + U32_MIN]!; d[db + S32_MAX] = d[db + U32_MAX]!; }
  else setS32Unbounded(d, db);
}

/** scalar_min_max_{and,or,xor} (var_off already holds the result tnum). */
function scalar64Bit(d: Uint32Array, db: number, s: Uint32Array, op: number): void {
  const vl = d[db + VAL_LO]!, vh = d[db + VAL_HI]!, ml = d[db + MASK_LO]!, mh = d[db + MASK_HI]!;
  if (isConst(s, 0) && isConst(d, db)) { markKnown(d, db, vl, vh); return; }
  if (op === AND) { d[db + UMIN_LO] = vl; d[db + UMIN_HI] = vh; lowerU64(d, db + UMAX_LO, s[UMAX_LO]!, s[UMAX_HI]!); }
  else if (op === OR) { raiseU64(d, db + UMIN_LO, s[UMIN_LO]!, s[UMIN_HI]!); d[db + UMAX_LO] = vl | ml; d[db + UMAX_HI] = vh | mh; }
  else { d[db + UMIN_LO] = vl; d[db + UMIN_HI] = vh; d[db + UMAX_LO] = vl | ml; d[db + UMAX_HI] = vh | mh; }
  const uminLo = d[db + UMIN_LO]!, uminHi = d[db + UMIN_HI]!, umaxLo = d[db + UMAX_LO]!, umaxHi = d[db + UMAX_HI]!;
  if (!ltS(umaxLo, umaxHi, uminLo, uminHi)) {
    d[db + SMIN_LO] = uminLo; d[db + SMIN_HI] = uminHi; d[db + SMAX_LO] = umaxLo; d[db + SMAX_HI] = umaxHi;
  } else setS64Unbounded(d, db);
  updateRegBounds(d, db);
}

const swab16 = (x: number): number => ((x & 0xff) << 8) | ((x >>> 8) & 0xff);
const swab32 = (x: number): number =>
  (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;

/**
 * BPF_END on a scalar as the running 6.18 stable kernel does it (scalar_byte_swap, backported
 * "bpf: Add bitwise tracking for BPF_END"; 6.18.2 itself only marked the register unknown):
 * `imm` is 16, 32 or 64; `toBe` is the source bit (BPF_TO_BE); `alu64` for the unconditional
 * bswap. The host is little-endian. Ends with reg_bounds_sync and no zext. Returns whether the
 * register was mutated, in which case its id must be reset to 0 (le64 leaves it alone).
 */
export function scalarByteSwap(d: Uint32Array, db: number, imm: number, toBe: boolean, alu64: boolean): boolean {
  const needBswap = alu64 || toBe;
  const v = db + VAL_LO;
  if (needBswap) {
    const vl = d[v]!, vh = d[v + 1]!, ml = d[v + 2]!, mh = d[v + 3]!;
    if (imm === 16) { d[v] = swab16(vl); d[v + 1] = 0; d[v + 2] = swab16(ml); d[v + 3] = 0; }
    else if (imm === 32) { d[v] = swab32(vl); d[v + 1] = 0; d[v + 2] = swab32(ml); d[v + 3] = 0; }
    else if (imm === 64) { d[v] = swab32(vh); d[v + 1] = swab32(vl); d[v + 2] = swab32(mh); d[v + 3] = swab32(ml); }
    markUnbounded(d, db);
  }
  if (imm === 16 || imm === 32) coerceRegToSize(d, db, imm / 8);
  regBoundsSync(d, db);
  return needBswap || imm === 16 || imm === 32;
}

/**
 * maybe_fork_scalars (6.18 stable backport): before AND / OR with a source whose 64-bit tnum is
 * constant, a destination in [-1, 0] (64-bit, else 32-bit signed bounds) makes the kernel fork:
 * it pushes a state that re-executes the same instruction with dst = 0 and continues with
 * dst = -1. Returns 64 or 32 for the kind of fork, 0 for none. Apply with {@link forkValue}.
 */
export function forkKind(d: Uint32Array, db: number): 0 | 32 | 64 {
  if (d[db + SMIN_LO] === 0xffffffff && d[db + SMIN_HI] === 0xffffffff && d[db + SMAX_LO] === 0 && d[db + SMAX_HI] === 0) return 64;
  if (d[db + S32_MIN] === 0xffffffff && d[db + S32_MAX] === 0) return 32;
  return 0;
}

/**
 * One side of the fork: kind 64 is __mark_reg_known(dst, 0 or -1) (the kernel also clears the
 * register's id), kind 32 is __mark_reg32_known(dst, 0 or -1) (id kept, 64-bit bounds kept).
 */
export function forkValue(d: Uint32Array, db: number, kind: 32 | 64, minusOne: boolean): void {
  const v = minusOne ? 0xffffffff : 0;
  if (kind === 64) markKnown(d, db, v, v); else markKnown32(d, db, v);
}

/**
 * The scalar part of sync_linked_regs for one linked register (6.18 stable): after the caller
 * copied known_reg's scalar into `d`, add the delta `hi:lo` = (s64)reg->off - (s64)known_reg->off
 * with scalar32_min_max_add, scalar_min_max_add and tnum_add, zero-extend when the link is a
 * BPF_ADD_CONST32 one, then reg_bounds_sync.
 */
export function linkedAdd(d: Uint32Array, db: number, lo: number, hi: number, zext: boolean): void {
  markKnown(SRC, 0, lo, hi);
  scalar32Add(d, db, SRC); scalar64Add(d, db, SRC);
  tnumAdd(d, db + VAL_LO, d, db + VAL_LO, SRC, VAL_LO);
  if (zext) zext32to64(d, db);
  regBoundsSync(d, db);
}

/** zext_32_to_64: var_off = tnum_subreg(var_off), then __reg_assign_32_into_64. */
export function zext32to64(s: Uint32Array, b: number): void {
  tnumSubreg(s, b + VAL_LO, s, b + VAL_LO);
  s[b + UMIN_LO] = s[b + U32_MIN]!; s[b + UMIN_HI] = 0;
  s[b + UMAX_LO] = s[b + U32_MAX]!; s[b + UMAX_HI] = 0;
  const smin = s[b + S32_MIN]! | 0, smax = s[b + S32_MAX]! | 0;
  if (smin >= 0 && smax >= 0) {
    s[b + SMIN_LO] = smin; s[b + SMIN_HI] = 0; s[b + SMAX_LO] = smax; s[b + SMAX_HI] = 0;
  } else {
    s[b + SMIN_LO] = 0; s[b + SMIN_HI] = 0; s[b + SMAX_LO] = 0xffffffff; s[b + SMAX_HI] = 0;
  }
}

/** coerce_reg_to_size: truncate to `size` bytes (1, 2, 4) as a zero-extending load does. */
export function coerceRegToSize(s: Uint32Array, b: number, size: number): void {
  tnumCast(s, b + VAL_LO, s, b + VAL_LO, size);
  const mask = size >= 4 ? 0xffffffff : size === 2 ? 0xffff : 0xff;
  if (s[b + UMIN_HI] === s[b + UMAX_HI] && ((s[b + UMIN_LO]! & ~mask) === (s[b + UMAX_LO]! & ~mask))) {
    s[b + UMIN_LO] = s[b + UMIN_LO]! & mask; s[b + UMAX_LO] = s[b + UMAX_LO]! & mask;
  } else {
    s[b + UMIN_LO] = 0; s[b + UMAX_LO] = mask;
  }
  s[b + UMIN_HI] = 0; s[b + UMAX_HI] = 0;
  s[b + SMIN_LO] = s[b + UMIN_LO]!; s[b + SMIN_HI] = 0; s[b + SMAX_LO] = s[b + UMAX_LO]!; s[b + SMAX_HI] = 0;
  if (size < 4) markUnbounded32(s, b);
  regBoundsSync(s, b);
}

function sext(v: number, size: number): number {
  return size === 1 ? (v << 24) >> 24 : size === 2 ? (v << 16) >> 16 : v | 0;
}

/**
 * coerce_reg_to_size_sx: sign-extend the low `size` bytes (1, 2, 4) to 64 bits (movsx, ldsx).
 * 6.18 stable (observed, not in 6.18.2): when the low 32 bits' signed range fits in `size` bytes
 * (always for 4), the result is those 32-bit bounds sign-extended to 64 bits, whatever the upper
 * half held, then synced; otherwise the 6.18.2 rule on the 64-bit bounds, without a sync.
 */
export function coerceRegToSizeSx(s: Uint32Array, b: number, size: number): void {
  if (isConst(s, b)) {
    const x = sext(s[b + VAL_LO]!, size);
    markKnown(s, b, x, x >> 31);
    return;
  }
  const lim = size === 1 ? 0x80 : size === 2 ? 0x8000 : 0x80000000;
  const s32min = s[b + S32_MIN]! | 0, s32max = s[b + S32_MAX]! | 0;
  if (s32min >= -lim && s32max <= lim - 1) {
    sext32to64(s, b);
    return;
  }
  const bits = size * 8;
  const sameTop = s[b + SMAX_HI] === s[b + SMIN_HI] &&
    (bits === 32 || (s[b + SMAX_LO]! >>> bits) === (s[b + SMIN_LO]! >>> bits));
  if (sameTop) {
    const iMax = sext(s[b + SMAX_LO]!, size), iMin = sext(s[b + SMIN_LO]!, size);
    const mx = Math.max(iMax, iMin), mn = Math.min(iMax, iMin);
    if ((mx >= 0) === (mn >= 0)) {
      const mnH = mn >> 31, mxH = mx >> 31;
      s[b + SMIN_LO] = mn; s[b + SMIN_HI] = mnH; s[b + S32_MIN] = mn;
      s[b + SMAX_LO] = mx; s[b + SMAX_HI] = mxH; s[b + S32_MAX] = mx;
      s[b + UMIN_LO] = mn; s[b + UMIN_HI] = mnH; s[b + U32_MIN] = mn;
      s[b + UMAX_LO] = mx; s[b + UMAX_HI] = mxH; s[b + U32_MAX] = mx;
      tnumRange(s, b + VAL_LO, mn, mnH, mx, mxH);
      return;
    }
  }
  // set_sext64_default_val
  s[b + SMIN_LO] = -lim; s[b + SMIN_HI] = 0xffffffff; s[b + S32_MIN] = -lim;
  s[b + SMAX_LO] = lim - 1; s[b + SMAX_HI] = 0; s[b + S32_MAX] = lim - 1;
  s[b + UMIN_LO] = 0; s[b + UMIN_HI] = 0; s[b + U32_MIN] = 0;
  s[b + UMAX_LO] = 0xffffffff; s[b + UMAX_HI] = 0xffffffff; s[b + U32_MAX] = 0xffffffff;
  tnumUnknown(s, b + VAL_LO);
}

/**
 * The 64-bit bounds of a value whose low 32 bits sign-extend into the upper half, from its 32-bit
 * bounds (kept): signed ones as they are; unsigned ones sign-extended, except that a u32 range
 * crossing 0x80000000 keeps its zero-extended minimum. var_off is rebuilt from the bounds.
 */
function sext32to64(s: Uint32Array, b: number): void {
  const smin = s[b + S32_MIN]! | 0, smax = s[b + S32_MAX]! | 0;
  const umin = s[b + U32_MIN]!, umax = s[b + U32_MAX]!;
  s[b + SMIN_LO] = smin; s[b + SMIN_HI] = smin >> 31;
  s[b + SMAX_LO] = smax; s[b + SMAX_HI] = smax >> 31;
  s[b + UMIN_LO] = umin; s[b + UMIN_HI] = ((umin ^ umax) >>> 31) !== 0 ? 0 : (umin | 0) >> 31;
  s[b + UMAX_LO] = umax; s[b + UMAX_HI] = (umax | 0) >> 31;
  tnumUnknown(s, b + VAL_LO);
  regBoundsSync(s, b);
}

/** coerce_subreg_to_size_sx: sign-extend the low `size` bytes (1, 2) to 32 bits (movsx32). No sync. */
export function coerceSubregToSizeSx(s: Uint32Array, b: number, size: number): void {
  if (isConst(s, b)) {
    // tnum_const((s8)u32_val) sign-extends into all 64 bits; the caller's zext trims it.
    const x = sext(s[b + VAL_LO]!, size);
    s[b + VAL_LO] = x; s[b + VAL_HI] = x >> 31;
    s[b + S32_MIN] = x; s[b + S32_MAX] = x; s[b + U32_MIN] = x; s[b + U32_MAX] = x;
    return;
  }
  const bits = size * 8;
  if ((s[b + S32_MAX]! >>> bits) === (s[b + S32_MIN]! >>> bits)) {
    const iMax = sext(s[b + S32_MAX]!, size), iMin = sext(s[b + S32_MIN]!, size);
    const mx = Math.max(iMax, iMin), mn = Math.min(iMax, iMin);
    if ((mn >= 0) === (mx >= 0)) {
      s[b + S32_MIN] = mn; s[b + S32_MAX] = mx; s[b + U32_MIN] = mn; s[b + U32_MAX] = mx;
      tnumRange(s, b + VAL_LO, mn, mn >> 31, mx, mx >> 31);
      tnumSubreg(s, b + VAL_LO, s, b + VAL_LO);
      return;
    }
  }
  // set_sext32_default_val
  const lim = size === 1 ? 0x80 : 0x8000;
  s[b + S32_MIN] = -lim; s[b + S32_MAX] = lim - 1; s[b + U32_MIN] = 0; s[b + U32_MAX] = 0xffffffff;
  s[b + VAL_LO] = 0; s[b + VAL_HI] = 0; s[b + MASK_LO] = 0xffffffff; s[b + MASK_HI] = 0;
}

/** get_reg_width: fls64(umax_value), the number of significant bits of the largest value. */
export function regWidth(s: Uint32Array, b: number): number {
  return fls64(s[b + UMAX_LO]!, s[b + UMAX_HI]!);
}

/** `w = w2` (check_alu_op, MOV ALU32 X, off 0): copy, zext_32_to_64, reg_bounds_sync. */
export function mov32(d: Uint32Array, db: number, src: Uint32Array, sb: number): void {
  copyScalar(d, db, src, sb);
  zext32to64(d, db);
  regBoundsSync(d, db);
}

/** `r = (s8/s16/s32) r2` (MOVSX ALU64): copy, coerce_reg_to_size_sx(size bytes). */
export function movsx64(d: Uint32Array, db: number, src: Uint32Array, sb: number, size: number): void {
  copyScalar(d, db, src, sb);
  coerceRegToSizeSx(d, db, size);
}

/** `w = (s8/s16) w2` (MOVSX ALU32): copy, coerce_subreg_to_size_sx, zext_32_to_64, reg_bounds_sync. */
export function movsx32(d: Uint32Array, db: number, src: Uint32Array, sb: number, size: number): void {
  copyScalar(d, db, src, sb);
  coerceSubregToSizeSx(d, db, size);
  zext32to64(d, db);
  regBoundsSync(d, db);
}

/** `r = imm` (ALU64, imm sign-extended) or `w = imm` (ALU32, zero-extended): __mark_reg_known. */
export function movImm(d: Uint32Array, db: number, imm: number, alu64: boolean): void {
  if (alu64) markKnown(d, db, imm | 0, imm < 0 ? -1 : 0); else markKnown(d, db, imm >>> 0, 0);
}
