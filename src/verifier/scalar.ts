/**
 * The engine's view of the scalar domain (./domains): immutable values. Every operation copies
 * its input before calling the in-place domain functions, so registers and stack slots may share
 * a value safely after a state is cloned.
 * @module
 */
import type { Scalar } from './domains/scalar.js';
import { newScalar, newKnown, isConst as dIsConst, isRegConst, constNum, sminNum, smaxNum, uminNum, umaxNum, markUnbounded32, scalarEquals } from './domains/scalar.js';
import { scalarAlu, scalarByteSwap, forkKind, forkValue, linkedAdd, zext32to64, coerceRegToSize, coerceRegToSizeSx, coerceSubregToSizeSx, regWidth } from './domains/alu.js';
import { regBoundsSync, sanityCheck } from './domains/bounds-sync.js';
import { isBranchTaken, refineBranch, revOpcode } from './domains/branch.js';
import { tnumStr, snumStr, unumStr, scalarStr } from './domains/format.js';

export type { Scalar };

// Word offsets of the domain's scalar layout (domains/scalar.ts), as plain constants: namespace
// member reads are slow in the hot path.
const VAL_LO = 0, VAL_HI = 1, MASK_LO = 2, MASK_HI = 3, UMIN_LO = 4, UMIN_HI = 5, UMAX_LO = 6, UMAX_HI = 7;
const SMIN_LO = 8, SMIN_HI = 9, SMAX_LO = 10, SMAX_HI = 11, U32_MIN = 12, U32_MAX = 13, S32_MIN = 14, S32_MAX = 15;
const UNKNOWN = newScalar();

/** Unsigned 64-bit a <= b on halves. */
function ule(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return ahi < bhi || (ahi === bhi && alo <= blo);
}
/** Signed 64-bit a <= b on halves. */
function sle(alo: number, ahi: number, blo: number, bhi: number): boolean {
  const a = ahi | 0, b = bhi | 0;
  return a < b || (a === b && alo <= blo);
}

/** Scalar operations used by the transfer functions. */
export const S = {
  /** A completely unknown scalar (shared, never mutated). */
  unknown: (): Scalar => UNKNOWN,
  /** The known 64-bit value `hi:lo`. */
  known: (lo: number, hi: number): Scalar => newKnown(lo, hi),
  /** tnum_is_const. */
  isConst: (v: Scalar): boolean => dIsConst(v, 0),
  /** is_reg_const for the operation width. */
  isConst32or64: (v: Scalar, is32: boolean): boolean => isRegConst(v, 0, is32),
  /** The constant (of the operation width) is zero. */
  isZero32or64: (v: Scalar, is32: boolean): boolean => v[VAL_LO] === 0 && (is32 || v[VAL_HI] === 0),
  /** The constant as a signed number (exact within 2^53). */
  constNum: (v: Scalar): number => constNum(v, 0),
  /** The constant printed as the kernel's %lld. */
  constStr: (v: Scalar): string => String(BigIntFree.s64(v[VAL_LO]!, v[VAL_HI]!)),
  /** smin_value. */
  smin: (v: Scalar): number => sminNum(v, 0),
  /** smax_value. */
  smax: (v: Scalar): number => smaxNum(v, 0),
  /** umin_value. */
  umin: (v: Scalar): number => uminNum(v, 0),
  /** umax_value. */
  umax: (v: Scalar): number => umaxNum(v, 0),
  /** smin_value == S64_MIN. */
  sminIsMin: (v: Scalar): boolean => v[SMIN_LO] === 0 && v[SMIN_HI] === 0x80000000,
  /** smax_value == S64_MAX. */
  smaxIsMax: (v: Scalar): boolean => v[SMAX_LO] === 0xffffffff && v[SMAX_HI] === 0x7fffffff,
  /** smin as %lld. */
  sminStr: (v: Scalar): string => String(BigIntFree.s64(v[SMIN_LO]!, v[SMIN_HI]!)),
  /** smax as %lld. */
  smaxStr: (v: Scalar): string => String(BigIntFree.s64(v[SMAX_LO]!, v[SMAX_HI]!)),
  /** umin as %lld (the kernel prints u64 bounds with %lld in some messages). */
  uminStr: (v: Scalar): string => String(BigIntFree.s64(v[UMIN_LO]!, v[UMIN_HI]!)),
  /** umax as %lld. */
  umaxStr: (v: Scalar): string => String(BigIntFree.s64(v[UMAX_LO]!, v[UMAX_HI]!)),
  /** Consistent bounds (adjust_ptr_min_max_vals' first test on the offset register). */
  sane: (v: Scalar): boolean => {
    if (!sle(v[SMIN_LO]!, v[SMIN_HI]!, v[SMAX_LO]!, v[SMAX_HI]!)) return false;
    if (!ule(v[UMIN_LO]!, v[UMIN_HI]!, v[UMAX_LO]!, v[UMAX_HI]!)) return false;
    if (dIsConst(v, 0)) {
      return v[SMIN_LO] === v[SMAX_LO] && v[SMIN_HI] === v[SMAX_HI] &&
        v[UMIN_LO] === v[UMAX_LO] && v[UMIN_HI] === v[UMAX_HI];
    }
    return true;
  },
  /** get_reg_width. */
  width: (v: Scalar): number => regWidth(v, 0),
  /** dst op= src for ALU/ALU64 `code` (END: unknown). `imm` unused (the caller passes src). */
  alu: (code: number, imm: number, dst: Scalar, src: Scalar): Scalar => {
    void imm;
    const op = code & 0xf0;
    const r = dst.slice();
    scalarAlu(r, 0, src, 0, op, (code & 7) === 7);
    sanityCheck(r, 0);
    return r;
  },
  /** BPF_END on a scalar; `reset` tells whether the register's id must be cleared. */
  byteSwap: (v: Scalar, imm: number, toBe: boolean, alu64: boolean): { v: Scalar; reset: boolean } => {
    const r = v.slice();
    const reset = scalarByteSwap(r, 0, imm, toBe, alu64);
    return { v: r, reset };
  },
  /** maybe_fork_scalars: 64 or 32 when AND/OR with a constant must fork a [-1, 0] destination, else 0. */
  forkKind: (v: Scalar): number => forkKind(v, 0),
  /** One side of such a fork: the destination as 0 or -1. */
  forkValue: (v: Scalar, kind: number, minusOne: boolean): Scalar => {
    const r = v.slice();
    forkValue(r, 0, kind === 64 ? 64 : 32, minusOne);
    return r;
  },
  /** reg_bounds_sanity_check: a copy reset to unbounded when the bounds contradict each other. */
  sane32: (v: Scalar): Scalar => {
    const r = v.slice();
    return sanityCheck(r, 0) === null ? v : r;
  },
  /**
   * do_refine_retval_range for an unknown R0: `signedMax` sets smax/s32max to `max` and smin/s32min
   * to -MAX_ERRNO (string helpers, get_stack); otherwise all bounds become [0, max] (cpu ids).
   */
  retvalRange: (max: number, signedMax: boolean): Scalar => {
    const r = UNKNOWN.slice();
    if (signedMax) {
      r[SMAX_LO] = max >>> 0; r[SMAX_HI] = Math.floor(max / 4294967296) >>> 0; r[S32_MAX] = max >>> 0;
      r[SMIN_LO] = (-4095) >>> 0; r[SMIN_HI] = 0xffffffff; r[S32_MIN] = (-4095) >>> 0;
    } else {
      r[UMAX_LO] = max; r[UMAX_HI] = 0; r[U32_MAX] = max; r[SMAX_LO] = max; r[SMAX_HI] = 0; r[S32_MAX] = max;
      r[UMIN_LO] = 0; r[UMIN_HI] = 0; r[U32_MIN] = 0; r[SMIN_LO] = 0; r[SMIN_HI] = 0; r[S32_MIN] = 0;
    }
    regBoundsSync(r, 0);
    sanityCheck(r, 0);
    return r;
  },
  /** sync_linked_regs' shift: `v + delta` (delta a safe integer), zero-extended for 32-bit links. */
  linkedAdd: (v: Scalar, delta: number, zext: boolean): Scalar => {
    const r = v.slice();
    linkedAdd(r, 0, delta >>> 0, Math.floor(delta / 4294967296) >>> 0, zext);
    return r;
  },
  /** Pointer offset arithmetic: var_off/bounds of ptr ± off, 32-bit bounds recomputed. */
  ptrAdd: (ptr: Scalar, off: Scalar, sub: boolean): Scalar => {
    const r = ptr.slice();
    scalarAlu(r, 0, off, 0, sub ? 0x10 : 0x00, true);
    markUnbounded32(r, 0);
    regBoundsSync(r, 0);
    return r;
  },
  /** `w = w2`: zero-extend the low 32 bits. */
  zext32: (v: Scalar): Scalar => {
    const r = v.slice();
    { zext32to64(r, 0); regBoundsSync(r, 0); };
    return r;
  },
  /** movsx64 / ldsx of `size` bytes. */
  sext: (v: Scalar, size: number): Scalar => {
    const r = v.slice();
    coerceRegToSizeSx(r, 0, size);
    return r;
  },
  /** movsx32 of `size` bytes (before zext32). */
  sext32: (v: Scalar, size: number): Scalar => {
    const r = v.slice();
    coerceSubregToSizeSx(r, 0, size);
    return r;
  },
  /** A zero-extending narrow load of `size` bytes. */
  truncate: (v: Scalar, size: number): Scalar => {
    const r = v.slice();
    coerceRegToSize(r, 0, size);
    return r;
  },
  /** is_scalar_branch_taken. */
  branchTaken: (op: number, is32: boolean, a: Scalar, b: Scalar): number =>
    isBranchTaken(a, 0, b, 0, op, is32),
  /** The fall-through condition of `op`. */
  negate: (op: number): number => revOpcode(op),
  /**
   * Refines copies of a and b assuming `a op b` (reg_set_min_max). A copy whose bounds became
   * inconsistent comes back reset to unbounded with its var_off kept, as reg_bounds_sanity_check
   * leaves it outside test_reg_invariants mode.
   */
  refine: (op: number, is32: boolean, a: Scalar, b: Scalar): [Scalar, Scalar] => {
    const ra = a.slice(), rb = b.slice();
    refineBranch(ra, 0, rb, 0, op, is32);
    return [ra, rb];
  },
  /** Every field equal. */
  equal: (a: Scalar, b: Scalar): boolean => a === b || scalarEquals(a, 0, b, 0),
  /** range_within(old, cur) && tnum_in(old.var_off, cur.var_off). */
  within: (o: Scalar, c: Scalar): boolean => {
    if (o === c) return true;
    if (!ule(o[UMIN_LO]!, o[UMIN_HI]!, c[UMIN_LO]!, c[UMIN_HI]!)) return false;
    if (!ule(c[UMAX_LO]!, c[UMAX_HI]!, o[UMAX_LO]!, o[UMAX_HI]!)) return false;
    if (!sle(o[SMIN_LO]!, o[SMIN_HI]!, c[SMIN_LO]!, c[SMIN_HI]!)) return false;
    if (!sle(c[SMAX_LO]!, c[SMAX_HI]!, o[SMAX_LO]!, o[SMAX_HI]!)) return false;
    if (o[U32_MIN]! > c[U32_MIN]! || c[U32_MAX]! > o[U32_MAX]!) return false;
    if ((o[S32_MIN]! | 0) > (c[S32_MIN]! | 0) || (c[S32_MAX]! | 0) > (o[S32_MAX]! | 0)) return false;
    const oml = o[MASK_LO]!, omh = o[MASK_HI]!;
    if ((c[MASK_LO]! & ~oml) !== 0 || (c[MASK_HI]! & ~omh) !== 0) return false;
    return ((c[VAL_LO]! & ~oml) >>> 0) === o[VAL_LO] && ((c[VAL_HI]! & ~omh) >>> 0) === o[VAL_HI];
  },
  /** tnum_is_aligned(var_off + k, size): the low bits of the sum are known zero. */
  alignedAdd: (v: Scalar, k: number, size: number): boolean => {
    // Carries only move upwards, so the low word decides the low three bits.
    const sv = (v[VAL_LO]! + k) >>> 0, sm = v[MASK_LO]!;
    const sigma = (sm + sv) >>> 0, chi = (sigma ^ sv) >>> 0, mu = (chi | sm) >>> 0;
    const value = (sv & ~mu) >>> 0;
    return ((value | mu) & (size - 1)) === 0;
  },
  /** tnum_strn of var_off. */
  tnumStr: (v: Scalar): string => tnumStr(v, 0),
  /** The kernel's rendering of a scalar register. */
  str: (v: Scalar, id: number): string => scalarStr(v, 0, id),
  /** verbose_snum of a 64-bit value. */
  snum: (lo: number, hi: number): string => snumStr(lo, hi),
  /** verbose_unum of a 64-bit value. */
  unum: (lo: number, hi: number): string => unumStr(lo, hi),
};

/** Decimal rendering of 64-bit halves without BigInt (used only when formatting messages). */
const BigIntFree = {
  s64(lo: number, hi: number): string {
    if ((hi | 0) < 0) {
      // two's complement negate
      const nlo = (~lo + 1) >>> 0;
      const nhi = (~hi + (nlo === 0 ? 1 : 0)) >>> 0;
      return '-' + BigIntFree.u64(nlo, nhi);
    }
    return BigIntFree.u64(lo >>> 0, hi >>> 0);
  },
  u64(lo: number, hi: number): string {
    if (hi < 0x200000) return String(hi * 4294967296 + lo);
    // Long division by 10 on 16-bit limbs.
    const limbs = [hi >>> 16, hi & 0xffff, lo >>> 16, lo & 0xffff];
    let out = '';
    while (limbs.some((l) => l !== 0)) {
      let rem = 0;
      for (let i = 0; i < 4; i++) {
        const cur = rem * 65536 + limbs[i]!;
        limbs[i] = Math.floor(cur / 10);
        rem = cur % 10;
      }
      out = String(rem) + out;
    }
    return out || '0';
  },
};
