import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import * as T from '../../../src/verifier/domains/tnum.js';
import * as Ref from './ref.js';
import { tnumArb, u64Arb } from './arb.js';

const M = Ref.M64;
const put = (t: Ref.Tn): Uint32Array => Uint32Array.of(Number(t.v & 0xffffffffn), Number(t.v >> 32n), Number(t.m & 0xffffffffn), Number(t.m >> 32n));
const get = (a: Uint32Array, o = 0): Ref.Tn => ({ v: (BigInt(a[o + 1]!) << 32n) | BigInt(a[o]!), m: (BigInt(a[o + 3]!) << 32n) | BigInt(a[o + 2]!) });
const P = { numRuns: 2000 };

type Bin = (out: Uint32Array, o: number, a: Uint32Array, ao: number, b: Uint32Array, bo: number) => void;
const bins: [string, Bin, (a: Ref.Tn, b: Ref.Tn) => Ref.Tn, ((x: bigint, y: bigint) => bigint) | null][] = [
  ['add', T.tnumAdd, Ref.tadd, (x, y) => Ref.u64(x + y)],
  ['sub', T.tnumSub, Ref.tsub, (x, y) => Ref.u64(x - y)],
  ['and', T.tnumAnd, Ref.tand, (x, y) => x & y],
  ['or', T.tnumOr, Ref.tor, (x, y) => x | y],
  ['xor', T.tnumXor, Ref.txor, (x, y) => x ^ y],
  ['mul', T.tnumMul, Ref.tmul, (x, y) => Ref.u64(x * y)],
  ['union', T.tnumUnion, Ref.tunion, null],
  ['intersect', T.tnumIntersect, Ref.tintersect, null],
];

describe('tnum vs a BigInt port of tnum.c', () => {
  for (const [name, f, ref, conc] of bins) {
    it(`${name}: equal to the reference${conc ? ', and sound' : ''}`, () => {
      fc.assert(fc.property(tnumArb, tnumArb, (a, b) => {
        const out = new Uint32Array(4);
        f(out, 0, put(a), 0, put(b), 0);
        const r = get(out);
        expect(r).toEqual(ref(a, b));
        if (conc) expect(Ref.tin(r, conc(a.x, b.x))).toBe(true);
        // aliasing the output with the first input gives the same answer
        const A = put(a); f(A, 0, A, 0, put(b), 0); expect(get(A)).toEqual(r);
      }), P);
    });
  }
  it('union contains both operands; intersect of overlapping tnums keeps common members', () => {
    fc.assert(fc.property(tnumArb, tnumArb, (a, b) => {
      const out = new Uint32Array(4);
      T.tnumUnion(out, 0, put(a), 0, put(b), 0);
      expect(Ref.tin(get(out), a.x) && Ref.tin(get(out), b.x)).toBe(true);
      T.tnumIntersect(out, 0, put(a), 0, put({ v: a.x, m: 0n }), 0);
      expect(get(out)).toEqual({ v: a.x, m: 0n });
    }), P);
  });
  it('neg, shifts, arshift, cast, subreg ops', () => {
    fc.assert(fc.property(tnumArb, fc.integer({ min: 0, max: 63 }), fc.integer({ min: 0, max: 8 }), (a, n, size) => {
      const A = put(a), out = new Uint32Array(4);
      T.tnumNeg(out, 0, A, 0); expect(get(out)).toEqual(Ref.tneg(a)); expect(Ref.tin(get(out), Ref.u64(-a.x))).toBe(true);
      T.tnumLshift(out, 0, A, 0, n); expect(get(out)).toEqual(Ref.tlsh(a, n));
      T.tnumRshift(out, 0, A, 0, n); expect(get(out)).toEqual(Ref.trsh(a, n));
      T.tnumArshift(out, 0, A, 0, n, 64); expect(get(out)).toEqual(Ref.tarsh(a, n, 64));
      T.tnumArshift(out, 0, A, 0, n & 31, 32); expect(get(out)).toEqual(Ref.tarsh(a, n & 31, 32));
      T.tnumCast(out, 0, A, 0, size); expect(get(out)).toEqual(Ref.tcast(a, size));
      T.tnumSubreg(out, 0, A, 0); expect(get(out)).toEqual(Ref.tsubreg(a));
      T.tnumClearSubreg(out, 0, A, 0); expect(get(out)).toEqual(Ref.tclearsub(a));
    }), P);
  });
  it('with_subreg, overlap, in, is_aligned', () => {
    fc.assert(fc.property(tnumArb, tnumArb, fc.integer({ min: 0, max: 12 }), (a, b, k) => {
      const out = new Uint32Array(4);
      T.tnumWithSubreg(out, 0, put(a), 0, put(b), 0); expect(get(out)).toEqual(Ref.twithsub(a, b));
      expect(T.tnumOverlap(put(a), 0, put(b), 0)).toBe(Ref.toverlap(a, b));
      expect(T.tnumIn(put(a), 0, put(b), 0)).toBe((b.m & ~a.m) === 0n && (b.v & ~a.m & M) === a.v);
      const size = 1 << k;
      expect(T.tnumIsAligned(put(a), 0, size)).toBe(((a.v | a.m) & BigInt(size - 1)) === 0n);
    }), P);
  });
  it('range: equal to the reference and covers [min, max]', () => {
    fc.assert(fc.property(u64Arb, u64Arb, (x, y) => {
      const [mn, mx] = x < y ? [x, y] : [y, x];
      const out = new Uint32Array(4);
      T.tnumRange(out, 0, Number(mn & 0xffffffffn), Number(mn >> 32n), Number(mx & 0xffffffffn), Number(mx >> 32n));
      const r = get(out);
      expect(r).toEqual(Ref.trange(mn, mx));
      expect(Ref.tin(r, mn) && Ref.tin(r, mx)).toBe(true);
    }), P);
  });
  it('mul of known values is the product; the 6.18 union algorithm is exact on x1 * 11', () => {
    const out = new Uint32Array(4);
    T.tnumMul(out, 0, put({ v: 6n, m: 0n }), 0, put({ v: 7n, m: 0n }), 0);
    expect(get(out)).toEqual({ v: 42n, m: 0n });
    // the kernel comment's example: 11 * x1 = union(0011, 1001) = x0x1
    T.tnumMul(out, 0, put({ v: 1n, m: 2n }), 0, put({ v: 3n, m: 0n }), 0);
    expect(get(out)).toEqual({ v: 1n, m: 0b1010n });
  });
});

describe('tnum_step', () => {
  it('equals the branchy upstream form and is the least member above z', () => {
    fc.assert(fc.property(tnumArb, u64Arb, (a, z) => {
      const out = new Uint32Array(2);
      T.tnumStep(out, 0, put(a), 0, Number(z & 0xffffffffn), Number(z >> 32n));
      const r = (BigInt(out[1]!) << 32n) | BigInt(out[0]!);
      expect(r).toBe(Ref.tstep(a, z));
      const tmax = a.v | a.m;
      if (z < a.v) expect(r).toBe(a.v);
      else if (z >= tmax) expect(r).toBe(tmax);
      else {
        expect(Ref.tin(a, r) && r > z).toBe(true);
        // no member strictly between z and r: check the members just above z in a small mask
        if (a.m < 256n) for (let s = 0n; s <= a.m; s++) if ((s & ~a.m) === 0n && (a.v | s) > z) expect(r <= (a.v | s)).toBe(true);
      }
    }), { numRuns: 3000 });
  });
});
