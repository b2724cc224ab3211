/**
 * 64-bit integer arithmetic on two 32-bit halves, for the verifier's hot path (no BigInt).
 *
 * Conventions: a 64-bit operand is passed as `(lo, hi)`; each half may be given as int32 or
 * uint32 (only its low 32 bits matter). 64-bit results are written to `out[o]` (low half) and
 * `out[o + 1]` (high half) of a `Uint32Array`, so they can land directly in a register slab;
 * the output may alias an input (inputs are read before anything is written). Flags (carry,
 * overflow) are returned. Signed means two's complement.
 * @module
 */

const TWO32 = 4294967296;

/** out = a + b (mod 2^64). Returns the unsigned carry out (1 when a + b >= 2^64). */
export function add64(out: Uint32Array, o: number, alo: number, ahi: number, blo: number, bhi: number): number {
  // Both low halves < 2^32, so their sum < 2^33 is exact in a double.
  const l = (alo >>> 0) + (blo >>> 0);
  const c = l >= TWO32 ? 1 : 0;
  const h = (ahi >>> 0) + (bhi >>> 0) + c;
  out[o] = l; out[o + 1] = h;
  return h >= TWO32 ? 1 : 0;
}

/** out = a - b (mod 2^64). Returns the unsigned borrow (1 when a < b). */
export function sub64(out: Uint32Array, o: number, alo: number, ahi: number, blo: number, bhi: number): number {
  const l = (alo >>> 0) - (blo >>> 0);
  const br = l < 0 ? 1 : 0;
  const h = (ahi >>> 0) - (bhi >>> 0) - br;
  out[o] = l; out[o + 1] = h; // Uint32Array stores negatives mod 2^32
  return h < 0 ? 1 : 0;
}

/** out = a + b (mod 2^64). Returns whether the signed (s64) addition overflowed. */
export function addOvS64(out: Uint32Array, o: number, alo: number, ahi: number, blo: number, bhi: number): boolean {
  add64(out, o, alo, ahi, blo, bhi);
  const r = out[o + 1]!;
  return ((((ahi ^ r) & (bhi ^ r)) >>> 31) & 1) === 1;
}

/** out = a - b (mod 2^64). Returns whether the signed (s64) subtraction overflowed. */
export function subOvS64(out: Uint32Array, o: number, alo: number, ahi: number, blo: number, bhi: number): boolean {
  sub64(out, o, alo, ahi, blo, bhi);
  const r = out[o + 1]!;
  return ((((ahi ^ bhi) & (ahi ^ r)) >>> 31) & 1) === 1;
}

/** out = -a (mod 2^64). */
export function neg64(out: Uint32Array, o: number, lo: number, hi: number): void {
  sub64(out, o, 0, 0, lo, hi);
}

/** out = a * b, the full 64-bit product of two uint32 values (halves 0..2^32-1). */
export function mulU32(out: Uint32Array, o: number, a: number, b: number): void {
  a >>>= 0; b >>>= 0;
  const al = a & 0xffff, ah = a >>> 16;
  const t1 = al * b; // < 2^48, exact
  const t2 = ah * b; // < 2^48, exact
  const t2lo = t2 % 65536, t2hi = Math.floor(t2 / 65536);
  const mid = t2lo * 65536 + t1; // < 2^49, exact
  out[o] = mid % TWO32;
  out[o + 1] = t2hi + Math.floor(mid / TWO32);
}

const T = new Uint32Array(8);

/** out = a * b (mod 2^64): the low 64 bits of the product (signed and unsigned alike). */
export function mul64(out: Uint32Array, o: number, alo: number, ahi: number, blo: number, bhi: number): void {
  mulU32(T, 0, alo, blo);
  const h = (T[1]! + Math.imul(alo, bhi) + Math.imul(ahi, blo)) >>> 0;
  out[o] = T[0]!; out[o + 1] = h;
}

/** out = a * b (mod 2^64). Returns whether the unsigned (u64) product overflowed 64 bits. */
export function mulOvU64(out: Uint32Array, o: number, alo: number, ahi: number, blo: number, bhi: number): boolean {
  alo >>>= 0; ahi >>>= 0; blo >>>= 0; bhi >>>= 0;
  let ov: boolean;
  if (ahi !== 0 && bhi !== 0) ov = true;
  else {
    // At most one high half is non-zero: product = cross * 2^32 + alo * blo.
    mulU32(T, 0, alo, blo);
    if (ahi !== 0) mulU32(T, 2, ahi, blo); else mulU32(T, 2, bhi, alo);
    ov = T[3] !== 0 || T[2]! + T[1]! >= TWO32;
  }
  mul64(out, o, alo, ahi, blo, bhi);
  return ov;
}

/** out = a * b (mod 2^64). Returns whether the signed (s64) product overflowed. */
export function mulOvS64(out: Uint32Array, o: number, alo: number, ahi: number, blo: number, bhi: number): boolean {
  const na = (ahi | 0) < 0, nb = (bhi | 0) < 0;
  // Magnitudes as u64 (|S64_MIN| = 2^63 is representable unsigned).
  if (na) neg64(T, 4, alo, ahi); else { T[4] = alo; T[5] = ahi; }
  if (nb) neg64(T, 6, blo, bhi); else { T[6] = blo; T[7] = bhi; }
  let ov = mulOvU64(T, 4, T[4]!, T[5]!, T[6]!, T[7]!);
  if (!ov) {
    const plo = T[4]!, phi = T[5]!;
    if (na !== nb && (plo !== 0 || phi !== 0)) ov = phi > 0x80000000 || (phi === 0x80000000 && plo !== 0);
    else ov = phi >= 0x80000000;
  }
  mul64(out, o, alo, ahi, blo, bhi);
  return ov;
}

/** out = a << n, for n in 0..63 (n >= 64 is not defined, as in C). */
export function shl64(out: Uint32Array, o: number, lo: number, hi: number, n: number): void {
  if (n === 0) { out[o] = lo; out[o + 1] = hi; } else if (n < 32) {
    out[o + 1] = (hi << n) | (lo >>> (32 - n)); out[o] = lo << n;
  } else { out[o + 1] = lo << (n - 32); out[o] = 0; }
}

/** out = a >> n (logical), for n in 0..63. */
export function shr64(out: Uint32Array, o: number, lo: number, hi: number, n: number): void {
  if (n === 0) { out[o] = lo; out[o + 1] = hi; } else if (n < 32) {
    out[o] = (lo >>> n) | (hi << (32 - n)); out[o + 1] = hi >>> n;
  } else { out[o] = hi >>> (n - 32); out[o + 1] = 0; }
}

/** out = a >> n (arithmetic, s64), for n in 0..63. */
export function sar64(out: Uint32Array, o: number, lo: number, hi: number, n: number): void {
  if (n === 0) { out[o] = lo; out[o + 1] = hi; } else if (n < 32) {
    out[o] = (lo >>> n) | (hi << (32 - n)); out[o + 1] = hi >> n;
  } else { out[o] = hi >> (n - 32); out[o + 1] = hi >> 31; }
}

/** a == b. */
export function eq64(alo: number, ahi: number, blo: number, bhi: number): boolean {
  return (alo ^ blo) === 0 && (ahi ^ bhi) === 0;
}

/** a < b as u64. */
export function ltU64(alo: number, ahi: number, blo: number, bhi: number): boolean {
  ahi >>>= 0; bhi >>>= 0;
  return ahi !== bhi ? ahi < bhi : (alo >>> 0) < (blo >>> 0);
}

/** a <= b as u64. */
export function leU64(alo: number, ahi: number, blo: number, bhi: number): boolean {
  ahi >>>= 0; bhi >>>= 0;
  return ahi !== bhi ? ahi < bhi : (alo >>> 0) <= (blo >>> 0);
}

/** a < b as s64. */
export function ltS64(alo: number, ahi: number, blo: number, bhi: number): boolean {
  ahi |= 0; bhi |= 0;
  return ahi !== bhi ? ahi < bhi : (alo >>> 0) < (blo >>> 0);
}

/** a <= b as s64. */
export function leS64(alo: number, ahi: number, blo: number, bhi: number): boolean {
  ahi |= 0; bhi |= 0;
  return ahi !== bhi ? ahi < bhi : (alo >>> 0) <= (blo >>> 0);
}

/** Number of leading zero bits, 0..64. */
export function clz64(lo: number, hi: number): number {
  return hi !== 0 ? Math.clz32(hi) : 32 + Math.clz32(lo);
}

/** fls64: index (1-based) of the most significant set bit, 0 for zero. */
export function fls64(lo: number, hi: number): number {
  return 64 - clz64(lo, hi);
}

/** Number of trailing zero bits, 0..64. */
export function ctz64(lo: number, hi: number): number {
  if (lo !== 0) return 31 - Math.clz32(lo & -lo);
  if (hi !== 0) return 63 - Math.clz32(hi & -hi);
  return 64;
}

/**
 * Unsigned division: out[o..o+1] = a / b, out[o+2..o+3] = a % b (so `out` needs 4 words from o).
 * b must be non-zero (BPF's "x / 0 = 0, x % 0 = x" is the caller's rule). Shift-subtract: slow
 * (64 steps) but only used off the hot path.
 */
export function divModU64(out: Uint32Array, o: number, alo: number, ahi: number, blo: number, bhi: number): void {
  alo >>>= 0; ahi >>>= 0; blo >>>= 0; bhi >>>= 0;
  let qlo = 0, qhi = 0, rlo = 0, rhi = 0;
  if (ahi === 0 && bhi === 0) {
    qlo = Math.floor(alo / blo); rlo = alo - qlo * blo;
  } else {
    for (let i = 63; i >= 0; i--) {
      // r = (r << 1) | bit i of a
      rhi = ((rhi << 1) | (rlo >>> 31)) >>> 0;
      rlo = ((rlo << 1) | ((i >= 32 ? ahi >>> (i - 32) : alo >>> i) & 1)) >>> 0;
      if (rhi > bhi || (rhi === bhi && rlo >= blo)) {
        const l = rlo - blo;
        rhi = (rhi - bhi - (l < 0 ? 1 : 0)) >>> 0; rlo = l >>> 0;
        if (i >= 32) qhi = (qhi | (1 << (i - 32))) >>> 0; else qlo = (qlo | (1 << i)) >>> 0;
      }
    }
  }
  out[o] = qlo; out[o + 1] = qhi; out[o + 2] = rlo; out[o + 3] = rhi;
}

/**
 * Signed division as BPF's sdiv/smod (C truncation: the remainder takes the dividend's sign):
 * out[o..o+1] = a / b, out[o+2..o+3] = a % b. b must be non-zero; S64_MIN / -1 wraps to S64_MIN
 * with remainder 0, as BPF defines it.
 */
export function divModS64(out: Uint32Array, o: number, alo: number, ahi: number, blo: number, bhi: number): void {
  const na = (ahi | 0) < 0, nb = (bhi | 0) < 0;
  const W = new Uint32Array(4);
  if (na) neg64(W, 0, alo, ahi); else { W[0] = alo; W[1] = ahi; }
  if (nb) neg64(W, 2, blo, bhi); else { W[2] = blo; W[3] = bhi; }
  divModU64(out, o, W[0]!, W[1]!, W[2]!, W[3]!);
  if (na !== nb) neg64(out, o, out[o]!, out[o + 1]!);
  if (na) neg64(out, o + 2, out[o + 2]!, out[o + 3]!);
}
