/**
 * Tracked numbers (Linux 6.18 kernel/bpf/tnum.c) on 32-bit halves. A tnum is four uint32 words
 * at an offset in a slab: value lo, value hi, mask lo, mask hi (the layout of a scalar's var_off,
 * so `(s, b + VAL_LO)` addresses a register's var_off directly). Set bits of `mask` are unknown;
 * `value & mask` is always 0.
 *
 * Binary operations read both inputs before writing `out`, so `out` may alias either input.
 * @module
 */
import { add64, fls64, ltU64, sub64 } from './u64.js';

const S = new Uint32Array(8);

/** out = tnum_const(hi:lo). */
export function tnumConst(out: Uint32Array, o: number, lo: number, hi: number): void {
  out[o] = lo; out[o + 1] = hi; out[o + 2] = 0; out[o + 3] = 0;
}

/** out = tnum_unknown (value 0, mask all ones). */
export function tnumUnknown(out: Uint32Array, o: number): void {
  out[o] = 0; out[o + 1] = 0; out[o + 2] = 0xffffffff; out[o + 3] = 0xffffffff;
}

/** tnum_is_const. */
export function tnumIsConst(a: Uint32Array, ao: number): boolean {
  return a[ao + 2] === 0 && a[ao + 3] === 0;
}

/** out = tnum_range(min, max): the smallest tnum covering every u64 in [min, max]. */
export function tnumRange(out: Uint32Array, o: number, minLo: number, minHi: number, maxLo: number, maxHi: number): void {
  const bits = fls64((minLo ^ maxLo) >>> 0, (minHi ^ maxHi) >>> 0);
  if (bits > 63) { tnumUnknown(out, o); return; }
  // delta = (1 << bits) - 1
  const dlo = bits >= 32 ? 0xffffffff : bits === 0 ? 0 : (0xffffffff >>> (32 - bits));
  const dhi = bits > 32 ? 0xffffffff >>> (64 - bits) : 0;
  out[o] = minLo & ~dlo; out[o + 1] = minHi & ~dhi; out[o + 2] = dlo; out[o + 3] = dhi;
}

function shl(out: Uint32Array, o: number, lo: number, hi: number, n: number): void {
  if (n === 0) { out[o] = lo; out[o + 1] = hi; } else if (n < 32) {
    out[o + 1] = (hi << n) | (lo >>> (32 - n)); out[o] = lo << n;
  } else if (n < 64) { out[o + 1] = lo << (n - 32); out[o] = 0; } else { out[o] = 0; out[o + 1] = 0; }
}

function shr(out: Uint32Array, o: number, lo: number, hi: number, n: number): void {
  if (n === 0) { out[o] = lo; out[o + 1] = hi; } else if (n < 32) {
    out[o] = (lo >>> n) | (hi << (32 - n)); out[o + 1] = hi >>> n;
  } else if (n < 64) { out[o] = hi >>> (n - 32); out[o + 1] = 0; } else { out[o] = 0; out[o + 1] = 0; }
}

/** out = tnum_lshift(a, shift), shift in 0..63 (the verifier never shifts by more). */
export function tnumLshift(out: Uint32Array, o: number, a: Uint32Array, ao: number, shift: number): void {
  const vl = a[ao]!, vh = a[ao + 1]!, ml = a[ao + 2]!, mh = a[ao + 3]!;
  shl(out, o, vl, vh, shift); shl(out, o + 2, ml, mh, shift);
}

/** out = tnum_rshift(a, shift), shift in 0..63. */
export function tnumRshift(out: Uint32Array, o: number, a: Uint32Array, ao: number, shift: number): void {
  const vl = a[ao]!, vh = a[ao + 1]!, ml = a[ao + 2]!, mh = a[ao + 3]!;
  shr(out, o, vl, vh, shift); shr(out, o + 2, ml, mh, shift);
}

/**
 * out = tnum_arshift(a, minShift, bitness): arithmetic shift of value and mask. With bitness 32
 * only the low halves are shifted (as s32) and the result is zero-extended. minShift in 0..63
 * (0..31 for bitness 32).
 */
export function tnumArshift(out: Uint32Array, o: number, a: Uint32Array, ao: number, minShift: number, bitness: 32 | 64): void {
  const vl = a[ao]!, vh = a[ao + 1]!, ml = a[ao + 2]!, mh = a[ao + 3]!;
  if (bitness === 32) {
    out[o] = vl >> minShift; out[o + 1] = 0; out[o + 2] = ml >> minShift; out[o + 3] = 0;
    return;
  }
  sar(out, o, vl, vh, minShift); sar(out, o + 2, ml, mh, minShift);
}

function sar(out: Uint32Array, o: number, lo: number, hi: number, n: number): void {
  if (n === 0) { out[o] = lo; out[o + 1] = hi; } else if (n < 32) {
    out[o] = (lo >>> n) | (hi << (32 - n)); out[o + 1] = hi >> n;
  } else { out[o] = hi >> (n - 32); out[o + 1] = hi >> 31; }
}

/** out = tnum_add(a, b). */
export function tnumAdd(out: Uint32Array, o: number, a: Uint32Array, ao: number, b: Uint32Array, bo: number): void {
  addRaw(out, o, a[ao]!, a[ao + 1]!, a[ao + 2]!, a[ao + 3]!, b[bo]!, b[bo + 1]!, b[bo + 2]!, b[bo + 3]!);
}

function addRaw(out: Uint32Array, o: number, avl: number, avh: number, aml: number, amh: number,
  bvl: number, bvh: number, bml: number, bmh: number): void {
  add64(S, 0, aml, amh, bml, bmh); // sm
  add64(S, 2, avl, avh, bvl, bvh); // sv
  add64(S, 4, S[0]!, S[1]!, S[2]!, S[3]!); // sigma
  const mul = (S[4]! ^ S[2]!) | aml | bml, muh = (S[5]! ^ S[3]!) | amh | bmh; // chi | masks
  out[o] = S[2]! & ~mul; out[o + 1] = S[3]! & ~muh; out[o + 2] = mul; out[o + 3] = muh;
}

/** out = tnum_sub(a, b). */
export function tnumSub(out: Uint32Array, o: number, a: Uint32Array, ao: number, b: Uint32Array, bo: number): void {
  subRaw(out, o, a[ao]!, a[ao + 1]!, a[ao + 2]!, a[ao + 3]!, b[bo]!, b[bo + 1]!, b[bo + 2]!, b[bo + 3]!);
}

function subRaw(out: Uint32Array, o: number, avl: number, avh: number, aml: number, amh: number,
  bvl: number, bvh: number, bml: number, bmh: number): void {
  sub64(S, 0, avl, avh, bvl, bvh); // dv
  add64(S, 2, S[0]!, S[1]!, aml, amh); // alpha
  sub64(S, 4, S[0]!, S[1]!, bml, bmh); // beta
  const mul = (S[2]! ^ S[4]!) | aml | bml, muh = (S[3]! ^ S[5]!) | amh | bmh;
  out[o] = S[0]! & ~mul; out[o + 1] = S[1]! & ~muh; out[o + 2] = mul; out[o + 3] = muh;
}

/** out = tnum_neg(a) = tnum_sub(0, a). */
export function tnumNeg(out: Uint32Array, o: number, a: Uint32Array, ao: number): void {
  subRaw(out, o, 0, 0, 0, 0, a[ao]!, a[ao + 1]!, a[ao + 2]!, a[ao + 3]!);
}

/** out = tnum_and(a, b). */
export function tnumAnd(out: Uint32Array, o: number, a: Uint32Array, ao: number, b: Uint32Array, bo: number): void {
  const avl = a[ao]!, avh = a[ao + 1]!, aml = a[ao + 2]!, amh = a[ao + 3]!;
  const bvl = b[bo]!, bvh = b[bo + 1]!, bml = b[bo + 2]!, bmh = b[bo + 3]!;
  const vl = avl & bvl, vh = avh & bvh;
  out[o] = vl; out[o + 1] = vh;
  out[o + 2] = (avl | aml) & (bvl | bml) & ~vl; out[o + 3] = (avh | amh) & (bvh | bmh) & ~vh;
}

/** out = tnum_or(a, b). */
export function tnumOr(out: Uint32Array, o: number, a: Uint32Array, ao: number, b: Uint32Array, bo: number): void {
  const vl = a[ao]! | b[bo]!, vh = a[ao + 1]! | b[bo + 1]!;
  const ml = a[ao + 2]! | b[bo + 2]!, mh = a[ao + 3]! | b[bo + 3]!;
  out[o] = vl; out[o + 1] = vh; out[o + 2] = ml & ~vl; out[o + 3] = mh & ~vh;
}

/** out = tnum_xor(a, b). */
export function tnumXor(out: Uint32Array, o: number, a: Uint32Array, ao: number, b: Uint32Array, bo: number): void {
  const vl = a[ao]! ^ b[bo]!, vh = a[ao + 1]! ^ b[bo + 1]!;
  const ml = a[ao + 2]! | b[bo + 2]!, mh = a[ao + 3]! | b[bo + 3]!;
  out[o] = vl & ~ml; out[o + 1] = vh & ~mh; out[o + 2] = ml; out[o + 3] = mh;
}

/** out = tnum_union(a, b): covers every member of a and of b. */
export function tnumUnion(out: Uint32Array, o: number, a: Uint32Array, ao: number, b: Uint32Array, bo: number): void {
  const avl = a[ao]!, avh = a[ao + 1]!, bvl = b[bo]!, bvh = b[bo + 1]!;
  const ml = (avl ^ bvl) | a[ao + 2]! | b[bo + 2]!, mh = (avh ^ bvh) | a[ao + 3]! | b[bo + 3]!;
  out[o] = avl & bvl & ~ml; out[o + 1] = avh & bvh & ~mh; out[o + 2] = ml; out[o + 3] = mh;
}

/** out = tnum_intersect(a, b) (a disagreeing known bit comes out as known 1, as in the kernel). */
export function tnumIntersect(out: Uint32Array, o: number, a: Uint32Array, ao: number, b: Uint32Array, bo: number): void {
  const vl = a[ao]! | b[bo]!, vh = a[ao + 1]! | b[bo + 1]!;
  const ml = a[ao + 2]! & b[bo + 2]!, mh = a[ao + 3]! & b[bo + 3]!;
  out[o] = vl & ~ml; out[o + 1] = vh & ~mh; out[o + 2] = ml; out[o + 3] = mh;
}

/** tnum_overlap: whether a and b may hold a common value (their known bits agree). */
export function tnumOverlap(a: Uint32Array, ao: number, b: Uint32Array, bo: number): boolean {
  const mul = ~a[ao + 2]! & ~b[bo + 2]!, muh = ~a[ao + 3]! & ~b[bo + 3]!;
  return ((a[ao]! ^ b[bo]!) & mul) === 0 && ((a[ao + 1]! ^ b[bo + 1]!) & muh) === 0;
}

const M = new Uint32Array(16);

/**
 * out = tnum_mul(a, b), the 6.18 algorithm: long multiplication over the bits of a, taking the
 * union of "add b" and "don't" where a's bit is unknown.
 */
export function tnumMul(out: Uint32Array, o: number, a: Uint32Array, ao: number, b: Uint32Array, bo: number): void {
  // M[0..3] = a, M[4..7] = b, M[8..11] = acc, M[12..15] = acc + b
  for (let i = 0; i < 4; i++) { M[i] = a[ao + i]!; M[4 + i] = b[bo + i]!; M[8 + i] = 0; }
  while ((M[0]! | M[1]! | M[2]! | M[3]!) !== 0) {
    if (M[0]! & 1) tnumAdd(M, 8, M, 8, M, 4);
    else if (M[2]! & 1) {
      // union(acc, acc + b)
      addRaw(M, 12, M[8]!, M[9]!, M[10]!, M[11]!, M[4]!, M[5]!, M[6]!, M[7]!);
      tnumUnion(M, 8, M, 8, M, 12);
    }
    tnumRshift(M, 0, M, 0, 1);
    tnumLshift(M, 4, M, 4, 1);
  }
  for (let i = 0; i < 4; i++) out[o + i] = M[8 + i]!;
}

/** out = tnum_cast(a, size): keep the low `size` bytes (size 0..8). */
export function tnumCast(out: Uint32Array, o: number, a: Uint32Array, ao: number, size: number): void {
  const bits = size * 8;
  const ml = bits >= 32 ? 0xffffffff : bits === 0 ? 0 : 0xffffffff >>> (32 - bits);
  const mh = bits >= 64 ? 0xffffffff : bits <= 32 ? 0 : 0xffffffff >>> (64 - bits);
  out[o] = a[ao]! & ml; out[o + 1] = a[ao + 1]! & mh; out[o + 2] = a[ao + 2]! & ml; out[o + 3] = a[ao + 3]! & mh;
}

/** out = tnum_subreg(a): the low 32 bits, zero-extended. */
export function tnumSubreg(out: Uint32Array, o: number, a: Uint32Array, ao: number): void {
  out[o] = a[ao]!; out[o + 1] = 0; out[o + 2] = a[ao + 2]!; out[o + 3] = 0;
}

/** out = tnum_clear_subreg(a): the low 32 bits known zero. */
export function tnumClearSubreg(out: Uint32Array, o: number, a: Uint32Array, ao: number): void {
  out[o] = 0; out[o + 1] = a[ao + 1]!; out[o + 2] = 0; out[o + 3] = a[ao + 3]!;
}

/** out = tnum_with_subreg(reg, sub): reg's high 32 bits, sub's low 32 bits. */
export function tnumWithSubreg(out: Uint32Array, o: number, reg: Uint32Array, ro: number, sub: Uint32Array, so: number): void {
  const vl = sub[so]!, ml = sub[so + 2]!;
  out[o + 1] = reg[ro + 1]!; out[o + 3] = reg[ro + 3]!; out[o] = vl; out[o + 2] = ml;
}

/** tnum_is_aligned(a, size): every possible value is a multiple of `size` (a power of two, < 2^32). */
export function tnumIsAligned(a: Uint32Array, ao: number, size: number): boolean {
  if (size === 0) return true;
  return ((a[ao]! | a[ao + 2]!) & (size - 1)) === 0;
}

/** tnum_in(a, b): every value of b is a value of a. */
export function tnumIn(a: Uint32Array, ao: number, b: Uint32Array, bo: number): boolean {
  if ((b[bo + 2]! & ~a[ao + 2]!) !== 0 || (b[bo + 3]! & ~a[ao + 3]!) !== 0) return false;
  return ((b[bo]! & ~a[ao + 2]!) >>> 0) === a[ao] && ((b[bo + 1]! & ~a[ao + 3]!) >>> 0) === a[ao + 1];
}

const Z = new Uint32Array(2);

/**
 * tnum_step(t, z) (Linux 6.18 stable backport of "bpf: Improve bounds when tnum has a single
 * possible value"): the smallest member of `t` greater than `z`; `t.value` when z is below it,
 * tmax (value | mask) when z >= tmax. Written to out[o], out[o + 1].
 */
export function tnumStep(out: Uint32Array, o: number, t: Uint32Array, to: number, zlo: number, zhi: number): void {
  const vl = t[to]!, vh = t[to + 1]!, ml = t[to + 2]!, mh = t[to + 3]!;
  const tl = (vl | ml) >>> 0, th = (vh | mh) >>> 0;
  if (!ltU64(zlo, zhi, tl, th)) { out[o] = tl; out[o + 1] = th; return; }
  if (ltU64(zlo, zhi, vl, vh)) { out[o] = vl; out[o + 1] = vh; return; }
  // Members are value + s for submasks s of mask: increment d = z - value "within the mask".
  sub64(Z, 0, zlo, zhi, vl, vh);
  const dl = Z[0]!, dh = Z[1]!;
  const k = fls64((dl & ~ml) >>> 0, (dh & ~mh) >>> 0); // < 64 here (d < mask)
  const cl = k >= 32 ? 0xffffffff : k === 0 ? 0 : 0xffffffff >>> (32 - k);
  const ch = k > 32 ? 0xffffffff >>> (64 - k) : 0;
  add64(Z, 0, dl | cl | ~ml, dh | ch | ~mh, 1, 0);
  out[o] = vl | (Z[0]! & ml); out[o + 1] = vh | (Z[1]! & mh);
}
