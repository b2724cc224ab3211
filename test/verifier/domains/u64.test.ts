import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import * as U from '../../../src/verifier/domains/u64.js';
import { M64, s64, u64 } from './ref.js';
import { u64Arb } from './arb.js';

const lo = (x: bigint): number => Number(x & 0xffffffffn);
const hi = (x: bigint): number => Number((x >> 32n) & 0xffffffffn);
const get = (o: Uint32Array, i = 0): bigint => (BigInt(o[i + 1]!) << 32n) | BigInt(o[i]!);
const out = new Uint32Array(4);
type Bin = (o: Uint32Array, i: number, al: number, ah: number, bl: number, bh: number) => unknown;
const run = (f: Bin, a: bigint, b: bigint): [bigint, unknown] => { const r = f(out, 0, lo(a), hi(a), lo(b), hi(b)); return [get(out), r]; };
const P = { numRuns: 3000 };

describe('u64 helpers vs BigInt', () => {
  it('add64 / sub64 with carry and borrow', () => {
    fc.assert(fc.property(u64Arb, u64Arb, (a, b) => {
      expect(run(U.add64, a, b)).toEqual([u64(a + b), a + b > M64 ? 1 : 0]);
      expect(run(U.sub64, a, b)).toEqual([u64(a - b), a < b ? 1 : 0]);
    }), P);
  });
  it('signed overflow of add and sub', () => {
    fc.assert(fc.property(u64Arb, u64Arb, (a, b) => {
      const sa = s64(a), sb = s64(b);
      expect(run(U.addOvS64, a, b)).toEqual([u64(a + b), s64(sa + sb) !== sa + sb]);
      expect(run(U.subOvS64, a, b)).toEqual([u64(a - b), s64(sa - sb) !== sa - sb]);
    }), P);
  });
  it('mul64 and overflow checks', () => {
    fc.assert(fc.property(u64Arb, u64Arb, (a, b) => {
      expect(run(U.mul64, a, b)[0]).toBe(u64(a * b));
      expect(run(U.mulOvU64, a, b)).toEqual([u64(a * b), a * b > M64]);
      const p = s64(a) * s64(b);
      expect(run(U.mulOvS64, a, b)).toEqual([u64(a * b), s64(p) !== p]);
    }), P);
  });
  it('mulU32 full product', () => {
    fc.assert(fc.property(u64Arb, u64Arb, (a, b) => {
      const x = a & 0xffffffffn, y = b & 0xffffffffn;
      U.mulU32(out, 0, Number(x), Number(y));
      expect(get(out)).toBe(x * y);
    }), P);
  });
  it('neg64', () => {
    fc.assert(fc.property(u64Arb, (a) => { U.neg64(out, 0, lo(a), hi(a)); expect(get(out)).toBe(u64(-a)); }), P);
  });
  it('shifts for every count 0..63', () => {
    fc.assert(fc.property(u64Arb, fc.integer({ min: 0, max: 63 }), (a, n) => {
      U.shl64(out, 0, lo(a), hi(a), n); expect(get(out)).toBe(u64(a << BigInt(n)));
      U.shr64(out, 0, lo(a), hi(a), n); expect(get(out)).toBe(a >> BigInt(n));
      U.sar64(out, 0, lo(a), hi(a), n); expect(get(out)).toBe(u64(s64(a) >> BigInt(n)));
    }), P);
  });
  it('comparisons', () => {
    fc.assert(fc.property(u64Arb, u64Arb, (a, b) => {
      expect(U.eq64(lo(a), hi(a), lo(b), hi(b))).toBe(a === b);
      expect(U.ltU64(lo(a), hi(a), lo(b), hi(b))).toBe(a < b);
      expect(U.leU64(lo(a), hi(a), lo(b), hi(b))).toBe(a <= b);
      expect(U.ltS64(lo(a), hi(a), lo(b), hi(b))).toBe(s64(a) < s64(b));
      expect(U.leS64(lo(a), hi(a), lo(b), hi(b))).toBe(s64(a) <= s64(b));
      // int32-form halves are accepted too
      expect(U.ltU64(lo(a) | 0, hi(a) | 0, lo(b) | 0, hi(b) | 0)).toBe(a < b);
    }), P);
  });
  it('clz / fls / ctz', () => {
    fc.assert(fc.property(u64Arb, (a) => {
      const bits = a === 0n ? 0 : a.toString(2).length;
      expect(U.fls64(lo(a), hi(a))).toBe(bits);
      expect(U.clz64(lo(a), hi(a))).toBe(64 - bits);
      let tz = 0; while (tz < 64 && ((a >> BigInt(tz)) & 1n) === 0n) tz++;
      expect(U.ctz64(lo(a), hi(a))).toBe(tz);
    }), P);
  });
  it('unsigned and signed division', () => {
    fc.assert(fc.property(u64Arb, u64Arb.filter((b) => b !== 0n), (a, b) => {
      U.divModU64(out, 0, lo(a), hi(a), lo(b), hi(b));
      expect([get(out, 0), get(out, 2)]).toEqual([a / b, a % b]);
      U.divModS64(out, 0, lo(a), hi(a), lo(b), hi(b));
      const sa = s64(a), sb = s64(b);
      // BigInt division truncates like C; S64_MIN / -1 wraps.
      expect([get(out, 0), get(out, 2)]).toEqual([u64(sa / sb), u64(sa % sb)]);
    }), P);
  });
});
