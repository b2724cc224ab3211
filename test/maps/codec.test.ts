import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import {
  array, bool, bytes, cstring, decodeValue, encodeValue, encodeInto, i16, i32, i64, i8, lpmKey, sizeof, struct, u16, u32, u64, u8,
} from '../../src/maps/codec.js';
import { isBadInputError } from '../../src/errors.js';

describe('integer codecs', () => {
  it('round-trip every width through little-endian bytes', () => {
    fc.assert(fc.property(fc.integer({ min: 0, max: 0xffff_ffff }), (v) => {
      const b = encodeValue(u32, v);
      expect(b).toEqual(new Uint8Array([v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, v >>> 24]));
      expect(decodeValue(u32, b)).toBe(v);
    }));
    fc.assert(fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (v) => {
      const b = encodeValue(i64, v);
      expect(decodeValue(i64, b)).toBe(v);
      expect(decodeValue(u64, b)).toBe(BigInt.asUintN(64, v));
    }));
    fc.assert(fc.property(fc.integer({ min: -128, max: 127 }), (v) => {
      expect(decodeValue(i8, encodeValue(i8, v))).toBe(v);
      expect(decodeValue(u8, encodeValue(i8, v))).toBe(v & 0xff);
    }));
    expect(decodeValue(i16, encodeValue(u16, 0xffff))).toBe(-1);
    expect(decodeValue(i32, encodeValue(u32, 0x8000_0000))).toBe(-0x8000_0000);
  });

  it('reject out-of-range and non-integer values', () => {
    for (const [c, v] of [[u8, 256], [u8, -1], [u16, 1.5], [i32, 2 ** 31], [u32, -1]] as const) {
      expect(() => encodeValue(c, v)).toThrow(/out of range/);
    }
    expect(() => encodeValue(u64, -1n)).toThrow(/out of range/);
    expect(() => encodeValue(u64, 1n << 64n)).toThrow(/out of range/);
    expect(decodeValue(u64, encodeValue(u64, 5 as unknown as bigint))).toBe(5n);
  });

  it('bool encodes 0/1 and decodes any non-zero as true', () => {
    expect(encodeValue(bool, true)).toEqual(new Uint8Array([1]));
    expect(decodeValue(bool, new Uint8Array([7]))).toBe(true);
    expect(decodeValue(bool, new Uint8Array([0]))).toBe(false);
  });
});

describe('byte and string codecs', () => {
  it('bytes(n) zero-fills shorter input and rejects longer', () => {
    expect(encodeValue(bytes(4), new Uint8Array([1, 2]))).toEqual(new Uint8Array([1, 2, 0, 0]));
    expect(() => encodeValue(bytes(2), new Uint8Array(3))).toThrow(/at most 2/);
    const d = decodeValue(bytes(2), new Uint8Array([9, 8, 7]), 1);
    expect(d).toEqual(new Uint8Array([8, 7]));
  });

  it('cstring(n) pads with NULs, keeps room for the terminator, decodes up to the first NUL', () => {
    expect(encodeValue(cstring(6), 'abc')).toEqual(new Uint8Array([97, 98, 99, 0, 0, 0]));
    expect(() => encodeValue(cstring(3), 'abc')).toThrow(/needs more than 2 bytes/);
    expect(decodeValue(cstring(6), new Uint8Array([104, 105, 0, 120, 0, 0]))).toBe('hi');
    expect(decodeValue(cstring(4), encodeValue(cstring(4), 'é'))).toBe('é');
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
    expect(decodeValue(ev, target, 8)).toEqual(v);
    expect(() => encodeValue(ev, { pid: 1 } as never)).toThrow(/lacks field "flag"/);
  });

  it('nests structs and arrays', () => {
    const inner = struct({ a: u8, b: u32 });
    const outer = struct({ x: u8, arr: array(inner, 3), y: u16 });
    expect(inner.size).toBe(8);
    expect(outer.offsetOf('arr')).toBe(4);
    expect(outer.offsetOf('y')).toBe(28);
    expect(outer.size).toBe(32);
    const v = { x: 1, arr: [{ a: 1, b: 2 }, { a: 3, b: 4 }, { a: 5, b: 6 }], y: 9 };
    expect(decodeValue(outer, encodeValue(outer, v))).toEqual(v);
    expect(() => encodeValue(outer, { ...v, arr: [] })).toThrow(/expects 3 elements/);
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
    const b = encodeValue(k, { prefixLen: 24, data: new Uint8Array([10, 1, 2, 0]) });
    expect(b).toEqual(new Uint8Array([24, 0, 0, 0, 10, 1, 2, 0]));
    expect(decodeValue(k, b)).toEqual({ prefixLen: 24, data: new Uint8Array([10, 1, 2, 0]) });
    expect(() => encodeValue(k, { prefixLen: 33, data: new Uint8Array(4) })).toThrow(/0..32/);
  });
});
