/**
 * Keeping the five views of a scalar consistent (Linux 6.18 reg_bounds_sync): tnum → bounds,
 * cross-deduction between signed/unsigned and 32/64-bit bounds, bounds → tnum. Every step is a
 * line-by-line port; the order of the min/max updates matters and is the kernel's.
 *
 * Reference: the kernel this runs against, 6.18 stable (6.18.44), which has backports over
 * 6.18.2: tnum_step in __update_reg64_bounds and the s32 sign-boundary case of
 * __reg32_deduce_bounds (marked "6.18 stable" below). test/verifier/domains/kernel-diff.test.ts
 * checks the result against the running kernel's verifier log.
 * @module
 */
import {
  MASK_HI, MASK_LO, S32_MAX, S32_MIN, SMAX_HI, SMAX_LO, SMIN_HI, SMIN_LO, U32_MAX, U32_MIN,
  UMAX_HI, UMAX_LO, UMIN_HI, UMIN_LO, VAL_HI, VAL_LO, markKnown, markUnbounded,
} from './scalar.js';
import { tnumClearSubreg, tnumIntersect, tnumOr, tnumRange, tnumStep, tnumSubreg } from './tnum.js';
import { hex64 } from './format.js';

// The helpers below take an absolute word index `i` (base + field offset) and a candidate; they
// implement `field = max(field, candidate)` (raise) or `min` (lower) in the named signedness.

/** s[i..i+1] = max_u64(s[i..i+1], hi:lo). */
export function raiseU64(s: Uint32Array, i: number, lo: number, hi: number): void {
  const h = s[i + 1]!; hi >>>= 0;
  if (hi > h || (hi === h && (lo >>> 0) > s[i]!)) { s[i] = lo; s[i + 1] = hi; }
}
/** s[i..i+1] = min_u64(s[i..i+1], hi:lo). */
export function lowerU64(s: Uint32Array, i: number, lo: number, hi: number): void {
  const h = s[i + 1]!; hi >>>= 0;
  if (hi < h || (hi === h && (lo >>> 0) < s[i]!)) { s[i] = lo; s[i + 1] = hi; }
}
/** s[i..i+1] = max_s64(s[i..i+1], hi:lo). */
export function raiseS64(s: Uint32Array, i: number, lo: number, hi: number): void {
  const h = s[i + 1]! | 0; hi |= 0;
  if (hi > h || (hi === h && (lo >>> 0) > s[i]!)) { s[i] = lo; s[i + 1] = hi; }
}
/** s[i..i+1] = min_s64(s[i..i+1], hi:lo). */
export function lowerS64(s: Uint32Array, i: number, lo: number, hi: number): void {
  const h = s[i + 1]! | 0; hi |= 0;
  if (hi < h || (hi === h && (lo >>> 0) < s[i]!)) { s[i] = lo; s[i + 1] = hi; }
}
/** s[i] = max_u32(s[i], v). */
export function raiseU32(s: Uint32Array, i: number, v: number): void { if ((v >>> 0) > s[i]!) s[i] = v; }
/** s[i] = min_u32(s[i], v). */
export function lowerU32(s: Uint32Array, i: number, v: number): void { if ((v >>> 0) < s[i]!) s[i] = v; }
/** s[i] = max_s32(s[i], v). */
export function raiseS32(s: Uint32Array, i: number, v: number): void { if ((v | 0) > (s[i]! | 0)) s[i] = v; }
/** s[i] = min_s32(s[i], v). */
export function lowerS32(s: Uint32Array, i: number, v: number): void { if ((v | 0) < (s[i]! | 0)) s[i] = v; }

/** __update_reg32_bounds: tighten the 32-bit bounds from the low half of var_off. */
export function updateReg32Bounds(s: Uint32Array, b: number): void {
  const vl = s[b + VAL_LO]!, ml = s[b + MASK_LO]!;
  raiseS32(s, b + S32_MIN, vl | (ml & 0x80000000));
  lowerS32(s, b + S32_MAX, vl | (ml & 0x7fffffff));
  raiseU32(s, b + U32_MIN, vl);
  lowerU32(s, b + U32_MAX, vl | ml);
}

const N = new Uint32Array(4);

/** __update_reg64_bounds: tighten the 64-bit bounds from var_off. */
export function updateReg64Bounds(s: Uint32Array, b: number): void {
  const vl = s[b + VAL_LO]!, vh = s[b + VAL_HI]!, ml = s[b + MASK_LO]!, mh = s[b + MASK_HI]!;
  raiseS64(s, b + SMIN_LO, vl, vh | (mh & 0x80000000));
  lowerS64(s, b + SMAX_LO, vl | ml, vh | (mh & 0x7fffffff));
  raiseU64(s, b + UMIN_LO, vl, vh);
  lowerU64(s, b + UMAX_LO, vl | ml, vh | mh);
  // 6.18 stable: when the u64 range and the tnum share a single value, the register is that value.
  const uminLo = s[b + UMIN_LO]!, uminHi = s[b + UMIN_HI]!, umaxLo = s[b + UMAX_LO]!, umaxHi = s[b + UMAX_HI]!;
  tnumStep(N, 0, s, b + VAL_LO, uminLo, uminHi);
  const nl = N[0]!, nh = N[1]!;
  const uminIn = ((uminLo & ~ml) >>> 0) === vl && ((uminHi & ~mh) >>> 0) === vh;
  const tl = (vl | ml) >>> 0, th = (vh | mh) >>> 0;
  if (uminIn && ltU(umaxLo, umaxHi, nl, nh)) markKnown(s, b, uminLo, uminHi);
  else if (!uminIn && nl === tl && nh === th) markKnown(s, b, tl, th);
  else if (!uminIn && leU(nl, nh, umaxLo, umaxHi)) {
    tnumStep(N, 2, s, b + VAL_LO, nl, nh);
    if (ltU(umaxLo, umaxHi, N[2]!, N[3]!)) markKnown(s, b, nl, nh);
  }
}


/** __update_reg_bounds: tighten all bounds from var_off. */
export function updateRegBounds(s: Uint32Array, b: number): void {
  updateReg32Bounds(s, b);
  updateReg64Bounds(s, b);
}

/** __reg32_deduce_bounds: 32-bit bounds from the 64-bit ones and u32 <-> s32. */
export function reg32DeduceBounds(s: Uint32Array, b: number): void {
  let uminLo = s[b + UMIN_LO]!, umaxLo = s[b + UMAX_LO]!;
  const uminHi = s[b + UMIN_HI]!, umaxHi = s[b + UMAX_HI]!;
  if (uminHi === umaxHi) {
    raiseU32(s, b + U32_MIN, uminLo);
    lowerU32(s, b + U32_MAX, umaxLo);
    if ((uminLo | 0) <= (umaxLo | 0)) {
      raiseS32(s, b + S32_MIN, uminLo);
      lowerS32(s, b + S32_MAX, umaxLo);
    }
  }
  const sminLo = s[b + SMIN_LO]!, smaxLo = s[b + SMAX_LO]!;
  const sminHi = s[b + SMIN_HI]!, smaxHi = s[b + SMAX_HI]!;
  if (sminHi === smaxHi) {
    if (sminLo <= smaxLo) {
      raiseU32(s, b + U32_MIN, sminLo);
      lowerU32(s, b + U32_MAX, smaxLo);
    }
    if ((sminLo | 0) <= (smaxLo | 0)) {
      raiseS32(s, b + S32_MIN, sminLo);
      lowerS32(s, b + S32_MAX, smaxLo);
    }
  }
  // Upper halves two consecutive numbers (mod 2^32) and the low halves crossing from negative
  // to non-negative: the low halves still form one s32 range.
  uminLo = s[b + UMIN_LO]!; umaxLo = s[b + UMAX_LO]!;
  if (((uminHi + 1) >>> 0) === umaxHi && (uminLo | 0) < 0 && (umaxLo | 0) >= 0) {
    raiseS32(s, b + S32_MIN, uminLo);
    lowerS32(s, b + S32_MAX, umaxLo);
  }
  if (((sminHi + 1) >>> 0) === smaxHi && (sminLo | 0) < 0 && (smaxLo | 0) >= 0) {
    raiseS32(s, b + S32_MIN, sminLo);
    lowerS32(s, b + S32_MAX, smaxLo);
  }
  if ((s[b + U32_MIN]! | 0) <= (s[b + U32_MAX]! | 0)) {
    raiseS32(s, b + S32_MIN, s[b + U32_MIN]!);
    lowerS32(s, b + S32_MAX, s[b + U32_MAX]!);
  }
  if (s[b + S32_MIN]! <= s[b + S32_MAX]!) {
    raiseU32(s, b + U32_MIN, s[b + S32_MIN]!);
    lowerU32(s, b + U32_MAX, s[b + S32_MAX]!);
  } else if (s[b + U32_MAX]! < s[b + S32_MIN]!) {
    // 6.18 stable: the s32 range crosses the sign boundary and the u32 range meets only its
    // non-negative part (the 32-bit twin of the __reg64_deduce_bounds case).
    s[b + S32_MIN] = s[b + U32_MIN]!;
    lowerU32(s, b + U32_MAX, s[b + S32_MAX]!);
  } else if (s[b + S32_MAX]! < s[b + U32_MIN]!) {
    // ... or only its negative part.
    s[b + S32_MAX] = s[b + U32_MAX]!;
    raiseU32(s, b + U32_MIN, s[b + S32_MIN]!);
  }
}

/** __reg64_deduce_bounds: u64 <-> s64, including the sign-boundary-crossing cases. */
export function reg64DeduceBounds(s: Uint32Array, b: number): void {
  const uminLo = s[b + UMIN_LO]!, uminHi = s[b + UMIN_HI]!, umaxLo = s[b + UMAX_LO]!, umaxHi = s[b + UMAX_HI]!;
  if (leS(uminLo, uminHi, umaxLo, umaxHi)) {
    raiseS64(s, b + SMIN_LO, uminLo, uminHi);
    lowerS64(s, b + SMAX_LO, umaxLo, umaxHi);
  }
  const sminLo = s[b + SMIN_LO]!, sminHi = s[b + SMIN_HI]!, smaxLo = s[b + SMAX_LO]!, smaxHi = s[b + SMAX_HI]!;
  if (leU(sminLo, sminHi, smaxLo, smaxHi)) {
    raiseU64(s, b + UMIN_LO, sminLo, sminHi);
    lowerU64(s, b + UMAX_LO, smaxLo, smaxHi);
  } else if (ltU(umaxLo, umaxHi, sminLo, sminHi)) {
    // The u64 range overlaps only the non-negative part of the s64 range.
    s[b + SMIN_LO] = uminLo; s[b + SMIN_HI] = uminHi;
    lowerU64(s, b + UMAX_LO, smaxLo, smaxHi);
  } else if (ltU(smaxLo, smaxHi, uminLo, uminHi)) {
    // The u64 range overlaps only the negative part of the s64 range.
    s[b + SMAX_LO] = umaxLo; s[b + SMAX_HI] = umaxHi;
    raiseU64(s, b + UMIN_LO, sminLo, sminHi);
  }
}

const R = new Uint32Array(4);

/** __reg_deduce_mixed_bounds: 64-bit bounds from the 32-bit ones. */
export function regDeduceMixedBounds(s: Uint32Array, b: number): void {
  const u32min = s[b + U32_MIN]!, u32max = s[b + U32_MAX]!;
  raiseU64(s, b + UMIN_LO, u32min, s[b + UMIN_HI]!);
  lowerU64(s, b + UMAX_LO, u32max, s[b + UMAX_HI]!);
  raiseS64(s, b + SMIN_LO, u32min, s[b + SMIN_HI]!);
  lowerS64(s, b + SMAX_LO, u32max, s[b + SMAX_HI]!);
  // After a sign-extending load: upper bits all 0s or all 1s but the s32 range non-negative.
  const s32min = s[b + S32_MIN]! | 0, s32max = s[b + S32_MAX]! | 0;
  if (s32min >= 0 && !ltS(s[b + SMIN_LO]!, s[b + SMIN_HI]!, 0x80000000, 0xffffffff) &&
      leS(s[b + SMAX_LO]!, s[b + SMAX_HI]!, 0x7fffffff, 0)) {
    const maxHi = s32max >> 31; // s32 -> s64/u64 sign extension
    s[b + SMIN_LO] = s32min; s[b + SMIN_HI] = 0;
    s[b + SMAX_LO] = s32max; s[b + SMAX_HI] = maxHi;
    s[b + UMIN_LO] = s32min; s[b + UMIN_HI] = 0;
    s[b + UMAX_LO] = s32max; s[b + UMAX_HI] = maxHi;
    tnumRange(R, 0, s32min, 0, s32max, maxHi);
    tnumIntersect(s, b + VAL_LO, s, b + VAL_LO, R, 0);
  }
}

/** __reg_deduce_bounds: __reg32_deduce_bounds, __reg64_deduce_bounds, __reg_deduce_mixed_bounds. */
export function deduceBounds(s: Uint32Array, b: number): void {
  reg32DeduceBounds(s, b);
  reg64DeduceBounds(s, b);
  regDeduceMixedBounds(s, b);
}

const V = new Uint32Array(12);

/** __reg_bound_offset: intersect var_off with the tnum ranges of the unsigned bounds. */
export function boundOffset(s: Uint32Array, b: number): void {
  tnumRange(V, 0, s[b + UMIN_LO]!, s[b + UMIN_HI]!, s[b + UMAX_LO]!, s[b + UMAX_HI]!);
  tnumIntersect(V, 0, s, b + VAL_LO, V, 0); // var64_off
  tnumRange(V, 4, s[b + U32_MIN]!, 0, s[b + U32_MAX]!, 0);
  tnumSubreg(V, 8, V, 0);
  tnumIntersect(V, 4, V, 8, V, 4); // var32_off
  tnumClearSubreg(V, 0, V, 0);
  tnumOr(s, b + VAL_LO, V, 0, V, 4);
}

/** reg_bounds_sync: update from var_off, deduce three times, bound offset, update again. */
export function regBoundsSync(s: Uint32Array, b: number): void {
  updateRegBounds(s, b);
  deduceBounds(s, b);
  deduceBounds(s, b);
  deduceBounds(s, b);
  boundOffset(s, b);
  updateRegBounds(s, b);
}

/** The reg_bounds_sanity_check condition: null when consistent, else the kernel's reason. */
function violation(s: Uint32Array, b: number): string | null {
  if (ltU(s[b + UMAX_LO]!, s[b + UMAX_HI]!, s[b + UMIN_LO]!, s[b + UMIN_HI]!) ||
      ltS(s[b + SMAX_LO]!, s[b + SMAX_HI]!, s[b + SMIN_LO]!, s[b + SMIN_HI]!) ||
      s[b + U32_MIN]! > s[b + U32_MAX]! || (s[b + S32_MIN]! | 0) > (s[b + S32_MAX]! | 0)) {
    return 'range bounds violation';
  }
  if (s[b + MASK_LO] === 0 && s[b + MASK_HI] === 0 && !(
    s[b + UMIN_LO] === s[b + VAL_LO] && s[b + UMIN_HI] === s[b + VAL_HI] &&
    s[b + UMAX_LO] === s[b + VAL_LO] && s[b + UMAX_HI] === s[b + VAL_HI] &&
    s[b + SMIN_LO] === s[b + VAL_LO] && s[b + SMIN_HI] === s[b + VAL_HI] &&
    s[b + SMAX_LO] === s[b + VAL_LO] && s[b + SMAX_HI] === s[b + VAL_HI])) {
    return 'const tnum out of sync with range bounds';
  }
  if (s[b + MASK_LO] === 0) {
    const v = s[b + VAL_LO]!;
    if (s[b + U32_MIN] !== v || s[b + U32_MAX] !== v || s[b + S32_MIN] !== v || s[b + S32_MAX] !== v) {
      return 'const subreg tnum out of sync with range bounds';
    }
  }
  return null;
}

/**
 * reg_bounds_sanity_check: `null` when consistent; otherwise the kernel's reason
 * ("range bounds violation", ...) and the scalar is reset with __mark_reg_unbounded, as the kernel
 * does outside test_reg_invariants mode. For the log line call {@link invariantViolationLine} first.
 */
export function sanityCheck(s: Uint32Array, b: number): string | null {
  const msg = violation(s, b);
  if (msg !== null) markUnbounded(s, b);
  return msg;
}

/**
 * The log line reg_bounds_sanity_check prints through verifier_bug() for an inconsistent scalar
 * (before the reset), e.g. `verifier bug: REG INVARIANTS VIOLATION (alu): range bounds violation
 * u64=[0x5, 0x4] s64=[...] u32=[...] s32=[...] var_off=(0x0, 0xff)`; null when consistent.
 * `ctx` is the kernel's context string: "alu", "true_reg1", "false_reg2", "s32_range", ...
 */
export function invariantViolationLine(s: Uint32Array, b: number, ctx: string): string | null {
  const msg = violation(s, b);
  if (msg === null) return null;
  const h = (lo: number, hi: number): string => hex64(lo, hi);
  const w = (i: number): string => hex64(s[b + i]!, 0);
  return `verifier bug: REG INVARIANTS VIOLATION (${ctx}): ${msg} ` +
    `u64=[${h(s[b + UMIN_LO]!, s[b + UMIN_HI]!)}, ${h(s[b + UMAX_LO]!, s[b + UMAX_HI]!)}] ` +
    `s64=[${h(s[b + SMIN_LO]!, s[b + SMIN_HI]!)}, ${h(s[b + SMAX_LO]!, s[b + SMAX_HI]!)}] ` +
    `u32=[${w(U32_MIN)}, ${w(U32_MAX)}] s32=[${w(S32_MIN)}, ${w(S32_MAX)}] ` +
    `var_off=(${h(s[b + VAL_LO]!, s[b + VAL_HI]!)}, ${h(s[b + MASK_LO]!, s[b + MASK_HI]!)})`;
}

function ltU(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return ahi !== bhi ? ahi < bhi : alo < blo;
}
function leU(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return ahi !== bhi ? ahi < bhi : alo <= blo;
}
function ltS(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return ahi !== bhi ? (ahi | 0) < (bhi | 0) : alo < blo;
}
function leS(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return ahi !== bhi ? (ahi | 0) < (bhi | 0) : alo <= blo;
}
