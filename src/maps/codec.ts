/**
 * Binary codecs for map keys and values, and for C structs shared with BPF programs. Pure: no FFI.
 * A codec knows its size and alignment (C natural alignment, little-endian), encodes into a caller's
 * buffer without allocating, and decodes. Structs also give field offsets, so the same definition
 * sizes a map value in Node and addresses its fields in the DSL (`ev.offsetOf('pid')`).
 * `encodeValue`/`decodeValue` are named apart from asm's instruction `encode`/`decode`, so both can
 * share the package face.
 * @module
 */
import { BadInputError } from '../errors.js';

/** A fixed-size binary layout for values of type `T`. */
export interface Codec<T> {
  /** What it is, e.g. `u32`, `bytes(16)`, `struct`, `array(u8, 4)`. */
  readonly kind: string;
  /** Size in bytes (C `sizeof`, including trailing padding). */
  readonly size: number;
  /** Alignment in bytes (C `_Alignof`). */
  readonly align: number;
  /** Writes `value` at `offset` of `view`; throws {@link BadInputError} when it does not fit. */
  encode(value: T, view: DataView, offset: number): void;
  /** Reads a value at `offset` of `view`. */
  decode(view: DataView, offset: number): T;
}

/** The TypeScript type a codec encodes and decodes. */
export type CodecValue<C> = C extends Codec<infer T> ? T : never;

function intCodec(kind: string, size: number, min: number, max: number,
  set: (dv: DataView, o: number, v: number) => void, get: (dv: DataView, o: number) => number): Codec<number> {
  return {
    kind, size, align: size,
    encode(v, dv, o) {
      if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
        throw new BadInputError(`${kind} value out of range: ${String(v)}`);
      }
      set(dv, o, v);
    },
    decode: get,
  };
}

function bigCodec(kind: string, signed: boolean): Codec<bigint> {
  const min = signed ? -(1n << 63n) : 0n;
  const max = signed ? (1n << 63n) - 1n : (1n << 64n) - 1n;
  return {
    kind, size: 8, align: 8,
    encode(v, dv, o) {
      const b = typeof v === 'number' && Number.isSafeInteger(v) ? BigInt(v) : v;
      if (typeof b !== 'bigint' || b < min || b > max) throw new BadInputError(`${kind} value out of range: ${String(v)}`);
      if (signed) dv.setBigInt64(o, b, true);
      else dv.setBigUint64(o, b, true);
    },
    decode: signed ? (dv, o) => dv.getBigInt64(o, true) : (dv, o) => dv.getBigUint64(o, true),
  };
}

/** Unsigned 8-bit integer. */
export const u8: Codec<number> = intCodec('u8', 1, 0, 0xff, (d, o, v) => d.setUint8(o, v), (d, o) => d.getUint8(o));
/** Unsigned 16-bit integer, little-endian. */
export const u16: Codec<number> = intCodec('u16', 2, 0, 0xffff, (d, o, v) => d.setUint16(o, v, true), (d, o) => d.getUint16(o, true));
/** Unsigned 32-bit integer, little-endian. */
export const u32: Codec<number> = intCodec('u32', 4, 0, 0xffff_ffff, (d, o, v) => d.setUint32(o, v, true), (d, o) => d.getUint32(o, true));
/** Unsigned 64-bit integer as a bigint (numbers that are safe integers are accepted on encode). */
export const u64: Codec<bigint> = bigCodec('u64', false);
/** Signed 8-bit integer. */
export const i8: Codec<number> = intCodec('i8', 1, -0x80, 0x7f, (d, o, v) => d.setInt8(o, v), (d, o) => d.getInt8(o));
/** Signed 16-bit integer, little-endian. */
export const i16: Codec<number> = intCodec('i16', 2, -0x8000, 0x7fff, (d, o, v) => d.setInt16(o, v, true), (d, o) => d.getInt16(o, true));
/** Signed 32-bit integer, little-endian. */
export const i32: Codec<number> = intCodec('i32', 4, -0x8000_0000, 0x7fff_ffff, (d, o, v) => d.setInt32(o, v, true), (d, o) => d.getInt32(o, true));
/** Signed 64-bit integer as a bigint. */
export const i64: Codec<bigint> = bigCodec('i64', true);

/** A C `bool` (one byte, 0 or 1; any non-zero byte decodes as true). */
export const bool: Codec<boolean> = {
  kind: 'bool', size: 1, align: 1,
  encode(v, dv, o) {
    if (typeof v !== 'boolean') throw new BadInputError(`bool value expected, got ${typeof v}`);
    dv.setUint8(o, v ? 1 : 0);
  },
  decode: (dv, o) => dv.getUint8(o) !== 0,
};

function checkCount(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 0 || n > 0x7fff_ffff) throw new BadInputError(`${what}: bad length ${n}`);
}

/** `n` raw bytes (`unsigned char[n]`); encode accepts any shorter Uint8Array and zero-fills the rest. */
export function bytes(n: number): Codec<Uint8Array> {
  checkCount('bytes', n);
  return {
    kind: `bytes(${n})`, size: n, align: 1,
    encode(v, dv, o) {
      if (!(v instanceof Uint8Array) || v.length > n) throw new BadInputError(`bytes(${n}) expects a Uint8Array of at most ${n} bytes`);
      const dst = new Uint8Array(dv.buffer, dv.byteOffset + o, n);
      dst.set(v);
      if (v.length < n) dst.fill(0, v.length);
    },
    decode: (dv, o) => new Uint8Array(dv.buffer.slice(dv.byteOffset + o, dv.byteOffset + o + n)),
  };
}

const utf8 = new TextEncoder();
const utf8d = new TextDecoder();

/** A NUL-padded UTF-8 string in `char[n]`; it must leave room for the terminating NUL. */
export function cstring(n: number): Codec<string> {
  checkCount('cstring', n);
  return {
    kind: `cstring(${n})`, size: n, align: 1,
    encode(v, dv, o) {
      if (typeof v !== 'string') throw new BadInputError(`cstring(${n}) expects a string`);
      const dst = new Uint8Array(dv.buffer, dv.byteOffset + o, n);
      const r = utf8.encodeInto(v, dst);
      if (r.read !== v.length || r.written >= n) throw new BadInputError(`cstring(${n}): "${v}" needs more than ${n - 1} bytes`);
      dst.fill(0, r.written);
    },
    decode(dv, o) {
      const src = new Uint8Array(dv.buffer, dv.byteOffset + o, n);
      const end = src.indexOf(0);
      return utf8d.decode(src.subarray(0, end < 0 ? n : end));
    },
  };
}

/** A fixed-length C array of `n` elements. */
export function array<T>(element: Codec<T>, n: number): Codec<T[]> {
  checkCount('array', n);
  const stride = element.size;
  return {
    kind: `array(${element.kind}, ${n})`, size: stride * n, align: element.align,
    encode(v, dv, o) {
      if (!Array.isArray(v) || v.length !== n) throw new BadInputError(`array(${element.kind}, ${n}) expects ${n} elements`);
      for (let i = 0; i < n; i++) element.encode(v[i] as T, dv, o + i * stride);
    },
    decode(dv, o) {
      const out = new Array<T>(n);
      for (let i = 0; i < n; i++) out[i] = element.decode(dv, o + i * stride);
      return out;
    },
  };
}

/** The field codecs of a struct, in declaration order. */
export type StructFields = Record<string, Codec<unknown>>;

/** A C struct codec: fields at natural alignment, padding zeroed on encode. */
export interface StructCodec<F extends StructFields> extends Codec<{ [K in keyof F]: CodecValue<F[K]> }> {
  /** The field codecs, in order. */
  readonly fields: F;
  /** Byte offset of each field. */
  readonly offsets: Readonly<Record<keyof F & string, number>>;
  /** Byte offset of a field (C `offsetof`). */
  offsetOf(field: keyof F & string): number;
  /** The codec of a field. */
  fieldCodec<K extends keyof F & string>(field: K): F[K];
}

function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** A C struct of `fields` laid out as a C compiler would (natural alignment, trailing padding). */
export function struct<F extends StructFields>(fields: F): StructCodec<F> {
  const names = Object.keys(fields);
  const offsets: Record<string, number> = {};
  let off = 0;
  let align = 1;
  for (const name of names) {
    const c = fields[name]!;
    off = alignUp(off, c.align);
    offsets[name] = off;
    off += c.size;
    align = Math.max(align, c.align);
  }
  const size = alignUp(off, align);
  type V = { [K in keyof F]: CodecValue<F[K]> };
  return {
    kind: 'struct', size, align, fields, offsets: offsets as Record<keyof F & string, number>,
    offsetOf(field) {
      const o = offsets[field];
      if (o === undefined) throw new BadInputError(`struct has no field "${field}"`);
      return o;
    },
    fieldCodec(field) {
      const c = fields[field];
      if (!c) throw new BadInputError(`struct has no field "${field}"`);
      return c;
    },
    encode(v: V, dv, o) {
      if (typeof v !== 'object' || v === null) throw new BadInputError('struct value must be an object');
      new Uint8Array(dv.buffer, dv.byteOffset + o, size).fill(0);
      for (const name of names) {
        const fv = (v as Record<string, unknown>)[name];
        if (fv === undefined) throw new BadInputError(`struct value lacks field "${name}"`);
        fields[name]!.encode(fv, dv, o + offsets[name]!);
      }
    },
    decode(dv, o) {
      const out: Record<string, unknown> = {};
      for (const name of names) out[name] = fields[name]!.decode(dv, o + offsets[name]!);
      return out as V;
    },
  };
}

/** A key of an LPM trie: `struct { u32 prefixlen; data }`, packed (the kernel reads data at offset 4). */
export interface LpmKey<T> {
  /** Number of leading bits of `data` that count. */
  readonly prefixLen: number;
  /** The address (or other data) bytes, in network order for IP addresses. */
  readonly data: T;
}

/** The LPM trie key codec over a data codec (usually `bytes(4)` for IPv4 or `bytes(16)` for IPv6). */
export function lpmKey<T>(data: Codec<T>): Codec<LpmKey<T>> {
  const maxBits = data.size * 8;
  return {
    kind: `lpmKey(${data.kind})`, size: 4 + data.size, align: 4,
    encode(v, dv, o) {
      if (!Number.isInteger(v.prefixLen) || v.prefixLen < 0 || v.prefixLen > maxBits) {
        throw new BadInputError(`LPM prefix length must be 0..${maxBits}, got ${v.prefixLen}`);
      }
      dv.setUint32(o, v.prefixLen, true);
      data.encode(v.data, dv, o + 4);
    },
    decode: (dv, o) => ({ prefixLen: dv.getUint32(o, true), data: data.decode(dv, o + 4) }),
  };
}

/** C `sizeof` of a codec. */
export function sizeof(c: Codec<unknown>): number {
  return c.size;
}

/** Encodes `value` into `target` at `offset` without allocating (a DataView is made once per call). */
export function encodeInto<T>(c: Codec<T>, value: T, target: Uint8Array, offset = 0): void {
  if (offset < 0 || offset + c.size > target.length) throw new BadInputError(`${c.kind} does not fit at offset ${offset}`);
  c.encode(value, new DataView(target.buffer, target.byteOffset, target.byteLength), offset);
}

/** Encodes `value` into a new Uint8Array of `c.size` bytes. */
export function encodeValue<T>(c: Codec<T>, value: T): Uint8Array {
  const out = new Uint8Array(c.size);
  c.encode(value, new DataView(out.buffer), 0);
  return out;
}

/** Decodes a value from `source` at `offset`. */
export function decodeValue<T>(c: Codec<T>, source: Uint8Array, offset = 0): T {
  if (offset < 0 || offset + c.size > source.length) throw new BadInputError(`${c.kind} needs ${c.size} bytes at offset ${offset}`);
  return c.decode(new DataView(source.buffer, source.byteOffset, source.byteLength), offset);
}

/** Whether a value looks like a {@link Codec} (used to validate specs). */
export function isCodec(v: unknown): v is Codec<unknown> {
  const c = v as Codec<unknown>;
  return typeof v === 'object' && v !== null && typeof c.size === 'number' && typeof c.align === 'number' &&
    typeof c.encode === 'function' && typeof c.decode === 'function';
}
