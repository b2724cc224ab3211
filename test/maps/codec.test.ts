import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  array, bool, bytes, cstring, decode, encode, encodeInto, i16, i32, i64, i8, lpmKey, sizeof, struct, u16, u32, u64, u8,
} from '../../src/maps/codec.js';
import { isBadInputError } from '../../src/errors.js';

describe('integer codecs', () => {
  it('round-trip every width through little-endian bytes', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (v) => {
      const b = encode(u32, v);
      expect(b).toEqual(new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]));
      expect(decode(u32, b)).toBe(v);
    }));
    fc.assert(fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (v) => {
      const b = encode(i64, v);
      expect(decode(i64, b)).toBe(v);
      expect(decode(u64, b)).toBe(BigInt.asUintN(64, v));
    }));
    fc.assert(fc.property(fc.integer({ min: -128, max: 127 }), (v) => {
      expect(decode(i8, encode(i8, v))).toBe(v);
      expect(decode(u8, encode(i8, v))).toBe(v & 0xff);
    }));
    expect(decode(i16, encode(u16, 0xffff))).toBe(-1);
    expect(decode(i32, encode(u32, 0x8000_0000))).toBe(-0x8000_0000);
  });

  it('reject out-of-range and non-integer values', () => {
    for (const [c, v] of [[u8, 256], [u8, -1], [u16, 1.5], [i32, 2 ** 31], [u32, -1]] as const) {
      expect(() => encode(c, v)).toThrow(/out of range/);
    }
    expect(() => encode(u64, -1n)).toThrow(/out of range/);
    expect(() => encode(u64, 1n << 64n)).toThrow(/out of range/);
    expect(decode(u64, encode(u64, 5 as unknown as bigint))).toBe(5n);
  });

  it('bool encodes 0/1 and decodes any non-zero as true', () => {
    expect(encode(bool, true)).toEqual(new Uint8Array([1]));
    expect(decode(bool, new Uint8Array([7]))).toBe(true);
    expect(decode(bool, new Uint8Array([0]))).toBe(false);
  });
});

describe('byte and string codecs', () => {
  it('bytes(n) zero-fills shorter input and rejects longer', () => {
    expect(encode(bytes(4), new Uint8Array([1, 2]))).toEqual(new Uint8Array([1, 2, 0, 0]));
    expect(() => encode(bytes(2), new Uint8Array(3))).toThrow(/at most 2/);
    const d = decode(bytes(2), new Uint8Array([9, 8, 7]), 1);
    expect(d).toEqual(new Uint8Array([8, 7]));
  });

  it('cstring(n) pads with NULs, keeps room for the terminator, decodes up to the first NUL', () => {
    expect(encode(cstring(6), 'abc')).toEqual(new Uint8Array([97, 98, 99, 0, 0, 0]));
    expect(() => encode(cstring(3), 'abc')).toThrow(/needs more than 2 bytes/);
    expect(decode(cstring(6), new Uint8Array([104, 105, 0, 120, 0, 0]))).toBe('hi');
    expect(decode(cstring(4), encode(cstring(4), 'é'))).toBe('é');
  });
});

describe('struct', () => {
  const ev = struct({ pid: u32, flag: u8, ts: u64, comm: cstring(16), tag: u16 });

  it('lays fields out with natural alignment and trailing padding, like a C compiler', () => {
    // struct { u32 pid; u8 flag; /* 3 pad */ u64 ts; char comm[16]; u16 tag; /* 6 pad */ } = 40 bytes
    expect(ev.offsets).toEqual({ pid: 0, flag: 4, ts: 8, comm: 16, tag: 32 });
    expect(ev.offsetOf('ts')).toBe(8);
    expect(sizeof(ev)).toBe(40);
    expect(ev.align).toBe(8);
    expect(() => ev.offsetOf('nope' as 'pid')).toThrow(/no field/);
  });

  it('round-trips and zeroes padding', () => {
    const target = new Uint8Array(48).fill(0xee);
    const v = { pid: 42, flag: 1, ts: 123456789012345n, comm: 'node', tag: 7 };
    encodeInto(ev, v, target, 8);
    expect(target.subarray(0, 8).every((b) => b === 0xee)).toBe(true);
    expect(target.subarray(8 + 5, 8 + 8).every((b) => b === 0)).toBe(true);
    expect(decode(ev, target, 8)).toEqual(v);
    expect(() => encode(ev, { pid: 1 } as never)).toThrow(/lacks field "flag"/);
  });

  it('nests structs and arrays', () => {
    const inner = struct({ a: u8, b: u32 });
    const outer = struct({ x: u8, arr: array(inner, 3), y: u16 });
    expect(inner.size).toBe(8);
    expect(outer.offsetOf('arr')).toBe(4);
    expect(outer.offsetOf('y')).toBe(28);
    expect(outer.size).toBe(32);
    const v = { x: 1, arr: [{ a: 1, b: 2 }, { a: 3, b: 4 }, { a: 5, b: 6 }], y: 9 };
    expect(decode(outer, encode(outer, v))).toEqual(v);
    expect(() => encode(outer, { ...v, arr: [] })).toThrow(/expects 3 elements/);
  });

  it('encodeInto refuses a target that is too small', () => {
    expect(() => encodeInto(u64, 1n, new Uint8Array(7))).toThrow(/does not fit/);
    try {
      encodeInto(u32, 1, new Uint8Array(4), 1);
    } catch (e) {
      expect(isBadInputError(e)).toBe(true);
    }
  });
});

describe('lpmKey', () => {
  it('is a packed u32 prefix length followed by the data', () => {
    const k = lpmKey(bytes(4));
    expect(k.size).toBe(8);
    const b = encode(k, { prefixLen: 24, data: new Uint8Array([10, 1, 2, 0]) });
    expect(b).toEqual(new Uint8Array([24, 0, 0, 0, 10, 1, 2, 0]));
    expect(decode(k, b)).toEqual({ prefixLen: 24, data: new Uint8Array([10, 1, 2, 0]) });
    expect(() => encode(k, { prefixLen: 33, data: new Uint8Array(4) })).toThrow(/0..32/);
  });
});
