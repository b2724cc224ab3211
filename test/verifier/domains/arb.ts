/** fast-check arbitraries for the domain tests: 64-bit edge values, tnums, abstract scalars with a member. */
import fc from 'fast-check';
import { M64, type R, markUnbounded, s32, s64, sync, u32, u64 } from './ref.js';

const EDGES = [0n, 1n, 2n, 0x7fn, 0x80n, 0xffn, 0x7fffn, 0x8000n, 0xffffn, 0x7fffffffn, 0x80000000n, 0xffffffffn,
  0x100000000n, 0x7fffffffffffffffn, 0x8000000000000000n, M64, M64 - 1n, 0xffffffff80000000n, 0xffffffff00000000n];

/** A u64 biased towards edge values and small magnitudes (both signs). */
export const u64Arb: fc.Arbitrary<bigint> = fc.oneof(
  fc.constantFrom(...EDGES),
  fc.bigInt({ min: 0n, max: M64 }),
  fc.bigInt({ min: -300n, max: 300n }).map(u64),
  fc.tuple(fc.constantFrom(...EDGES), fc.bigInt({ min: -3n, max: 3n })).map(([e, d]) => u64(e + d)),
  fc.tuple(fc.integer({ min: 0, max: 63 }), fc.boolean()).map(([k, neg]) => u64(neg ? -(1n << BigInt(k)) : 1n << BigInt(k))),
);

/** A mask: none, a few low bits, a random pattern, all. */
export const maskArb: fc.Arbitrary<bigint> = fc.oneof(
  fc.constant(0n), fc.constant(M64),
  fc.integer({ min: 0, max: 64 }).map((k) => (1n << BigInt(k)) - 1n),
  fc.tuple(fc.integer({ min: 0, max: 60 }), fc.integer({ min: 1, max: 8 })).map(([at, n]) => (((1n << BigInt(n)) - 1n) << BigInt(at)) & M64),
  fc.bigInt({ min: 0n, max: M64 }),
);

/** A tnum with one concrete member: [value, mask, member]. */
export const tnumArb: fc.Arbitrary<{ v: bigint; m: bigint; x: bigint }> =
  fc.tuple(u64Arb, maskArb, fc.bigInt({ min: 0n, max: M64 })).map(([x0, m, r]) => {
    const x = (x0 & ~m) | (r & m);
    return { v: x & ~m & M64, m, x };
  });

const slack = fc.oneof(fc.constant(0n), fc.bigInt({ min: 0n, max: 16n }), fc.bigInt({ min: 0n, max: 1n << 40n }), fc.constant(-1n));

/**
 * An abstract scalar containing `x`: a tnum around x and each bound pair around x's view
 * (or unbounded), then (if `synced`) reg_bounds_sync, which is sound so x stays a member.
 */
export function scalarArb(synced = true): fc.Arbitrary<{ r: R; x: bigint }> {
  return fc.tuple(tnumArb, fc.array(slack, { minLength: 8, maxLength: 8 })).map(([t, sl]) => {
    const x = t.x;
    const r = { v: t.v, m: t.m } as R;
    markUnbounded(r);
    const lo = (cur: bigint, s: bigint, floor: bigint): bigint => (s < 0n ? cur : (cur - s < floor ? floor : cur - s));
    const hi = (cur: bigint, s: bigint, ceil: bigint): bigint => (s < 0n ? cur : (cur + s > ceil ? ceil : cur + s));
    if (sl[0]! >= 0n) r.umin = lo(x, sl[0]!, 0n);
    if (sl[1]! >= 0n) r.umax = hi(x, sl[1]!, M64);
    if (sl[2]! >= 0n) r.smin = lo(s64(x), sl[2]!, -(1n << 63n));
    if (sl[3]! >= 0n) r.smax = hi(s64(x), sl[3]!, (1n << 63n) - 1n);
    if (sl[4]! >= 0n) r.u32min = lo(u32(x), sl[4]!, 0n);
    if (sl[5]! >= 0n) r.u32max = hi(u32(x), sl[5]!, 0xffffffffn);
    if (sl[6]! >= 0n) r.s32min = lo(s32(x), sl[6]!, -(1n << 31n));
    if (sl[7]! >= 0n) r.s32max = hi(s32(x), sl[7]!, (1n << 31n) - 1n);
    if (synced) sync(r);
    return { r, x };
  });
}

/** A known constant as an abstract scalar (the kernel's fake register for an immediate). */
export const constArb: fc.Arbitrary<{ r: R; x: bigint }> = u64Arb.map((x) => ({
  x, r: { v: x, m: 0n, umin: x, umax: x, smin: s64(x), smax: s64(x), u32min: u32(x), u32max: u32(x), s32min: s32(x), s32max: s32(x) },
}));
