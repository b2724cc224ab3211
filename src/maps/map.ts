/**
 * `BpfMap`: an open kernel map, typed by its key and value codecs. Element operations reuse one block
 * of native memory per map (attr + key + next key + value) whose addresses are computed once, so a
 * lookup is: encode the key in place, one bpf() call, decode the value.
 * @module
 */
import { BadInputError } from '../errors.js';
import { nativeAlloc } from '../loader/ffi.js';
import type { NativeBuffer } from '../loader/ffi.js';
import { Errno, syscallError } from '../loader/errno.js';
import { Fd } from '../loader/fd.js';
import type { HasFd } from '../loader/fd.js';
import { bpfCmdName, BpfCmd, bpfTry } from '../loader/syscall.js';
import { putU32, putU64 } from '../loader/attr.js';
import type { Codec } from './codec.js';
import { Elem, encodeInfoAttr, decodeMapInfo, INFO_ATTR_SIZE, MAP_ELEM_ATTR_SIZE, MAP_INFO_SIZE } from './map-attr.js';
import type { MapInfo, UpdateFlag } from './map-attr.js';
import { updateFlag } from './map-attr.js';
import { FD_VALUE_TYPES } from './spec.js';
import { pinFd } from './pin.js';
import { deleteBatch, lookupAndDeleteBatch, lookupBatch, updateBatch } from './batch.js';
import type { ResolvedMapSpec } from './spec.js';

export { updateFlag } from './map-attr.js';
export type { UpdateFlag } from './map-attr.js';

const align8 = (n: number) => Math.ceil(n / 8) * 8;

const scratchBackstop = new FinalizationRegistry<NativeBuffer>((m) => m.free());

/** Native scratch of one map: attr, key, next key and value, with their addresses. */
interface Scratch {
  mem: NativeBuffer;
  bytes: Buffer;
  dv: DataView;
  attr: number;
  key: number;
  next: number;
  value: number;
}

/** An open BPF map. Keys and values may always be given as raw bytes (`Uint8Array`) too. */
export class BpfMap<K = Uint8Array, V = Uint8Array> implements HasFd, Disposable {
  /** The spec this map was created with (or, when opened, rebuilt from the kernel's info). */
  readonly spec: ResolvedMapSpec;
  /** Key codec. */
  readonly keyCodec: Codec<K>;
  /** Value codec (for per-CPU maps: the whole per-CPU array). */
  readonly valueCodec: Codec<V>;
  /** Bytes of a value as user space sees it (per-CPU maps: 8-byte rounded size × possible CPUs). */
  readonly valueBytes: number;
  readonly #owner: Fd;
  #s: Scratch | undefined;

  /**
   * Wraps an owned fd. Use `createMap` or `openPinnedMap` instead of calling this directly.
   * @param valueBytes - bytes of one user-space value (differs from the spec's size for per-CPU maps).
   */
  constructor(owner: Fd, spec: ResolvedMapSpec, keyCodec: Codec<K>, valueCodec: Codec<V>, valueBytes: number) {
    this.#owner = owner;
    this.spec = spec;
    this.keyCodec = keyCodec;
    this.valueCodec = valueCodec;
    this.valueBytes = valueBytes;
  }

  /** The map's fd (throws once closed). */
  get fd(): number {
    return this.#owner.fd;
  }

  /** Whether the map has been closed. */
  get closed(): boolean {
    return this.#owner.closed;
  }

  /** Scratch memory, made on first use so that create+close stays two syscalls. */
  #scratch(): Scratch {
    if (this.#s) return this.#s;
    if (this.#owner.closed) throw new BadInputError('map is closed');
    const k = align8(Math.max(this.spec.keySize, 8));
    const attr = 0;
    const key = 64;
    const next = key + k;
    const value = next + k;
    const mem = nativeAlloc(value + align8(Math.max(this.valueBytes, 8)));
    scratchBackstop.register(this, mem, this);
    const bytes = mem.bytes;
    this.#s = {
      mem, bytes, dv: new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      attr: mem.addr + attr, key: mem.addr + key, next: mem.addr + next, value: mem.addr + value,
    };
    return this.#s;
  }

  /** Writes a key at `off` of the scratch (or of `bytes`/`dv` given). */
  encodeKey(key: K | Uint8Array, bytes: Uint8Array, dv: DataView, off: number): void {
    putEncoded(this.keyCodec, key, bytes, dv, off, this.spec.keySize, 'key');
  }

  /** Writes a value at `off`; fd-valued maps also take an fd owner (`{ fd }`). */
  encodeValue(value: V | Uint8Array | HasFd, bytes: Uint8Array, dv: DataView, off: number): void {
    if (FD_VALUE_TYPES.has(this.spec.type) && isHasFd(value)) {
      // 8-byte sockmap values are read as a u64 fd: the upper half must be zero too.
      bytes.fill(0, off, off + this.valueBytes);
      dv.setUint32(off, value.fd, true);
      return;
    }
    putEncoded(this.valueCodec, value as V | Uint8Array, bytes, dv, off, this.valueBytes, 'value');
  }

  /** Runs an element command with the scratch attr; returns the result or -errno. */
  #elem(cmd: number, keyAddr: number, valueAddr: number, flags: number): number {
    const s = this.#scratch();
    const dv = s.dv;
    putU32(dv, Elem.mapFd, this.#owner.fd);
    putU32(dv, 4, 0);
    putU64(dv, Elem.key, keyAddr);
    putU64(dv, Elem.value, valueAddr);
    putU64(dv, Elem.flags, flags);
    return bpfTry(cmd, s.mem, MAP_ELEM_ATTR_SIZE);
  }

  #fail(cmd: number, rc: number): never {
    throw syscallError(bpfCmdName(cmd), -rc);
  }

  /** The value at `key`, or undefined when there is none (ENOENT). */
  lookup(key: K | Uint8Array, flags = 0): V | undefined {
    const s = this.#scratch();
    this.encodeKey(key, s.bytes, s.dv, s.key - s.mem.addr);
    const rc = this.#elem(BpfCmd.BPF_MAP_LOOKUP_ELEM, this.spec.keySize ? s.key : 0, s.value, flags);
    if (rc === -Errno.ENOENT) return undefined;
    if (rc < 0) this.#fail(BpfCmd.BPF_MAP_LOOKUP_ELEM, rc);
    return this.valueCodec.decode(s.dv, s.value - s.mem.addr);
  }

  /** Like {@link lookup} but copies the raw value bytes into `out` (no decoding); false when absent. */
  lookupInto(key: K | Uint8Array, out: Uint8Array): boolean {
    const s = this.#scratch();
    this.encodeKey(key, s.bytes, s.dv, s.key - s.mem.addr);
    const rc = this.#elem(BpfCmd.BPF_MAP_LOOKUP_ELEM, this.spec.keySize ? s.key : 0, s.value, 0);
    if (rc === -Errno.ENOENT) return false;
    if (rc < 0) this.#fail(BpfCmd.BPF_MAP_LOOKUP_ELEM, rc);
    const o = s.value - s.mem.addr;
    out.set(s.bytes.subarray(o, o + Math.min(out.length, this.valueBytes)));
    return true;
  }

  /** Sets `key` to `value`. `flag`: `any` (default), `noexist` or `exist`. */
  update(key: K | Uint8Array, value: V | Uint8Array | HasFd, flag?: UpdateFlag | number): void {
    const s = this.#scratch();
    this.encodeKey(key, s.bytes, s.dv, s.key - s.mem.addr);
    this.encodeValue(value, s.bytes, s.dv, s.value - s.mem.addr);
    const rc = this.#elem(BpfCmd.BPF_MAP_UPDATE_ELEM, this.spec.keySize ? s.key : 0, s.value, updateFlag(flag));
    if (rc < 0) this.#fail(BpfCmd.BPF_MAP_UPDATE_ELEM, rc);
  }

  /** Deletes `key`; false when it was not there (ENOENT). */
  delete(key: K | Uint8Array): boolean {
    const s = this.#scratch();
    this.encodeKey(key, s.bytes, s.dv, s.key - s.mem.addr);
    const rc = this.#elem(BpfCmd.BPF_MAP_DELETE_ELEM, s.key, 0, 0);
    if (rc === -Errno.ENOENT) return false;
    if (rc < 0) this.#fail(BpfCmd.BPF_MAP_DELETE_ELEM, rc);
    return true;
  }

  /** The key after `key` (the first key when `key` is undefined), or undefined at the end. */
  nextKey(key?: K | Uint8Array): K | undefined {
    const s = this.#scratch();
    if (key !== undefined) this.encodeKey(key, s.bytes, s.dv, s.key - s.mem.addr);
    const rc = this.#elem(BpfCmd.BPF_MAP_GET_NEXT_KEY, key === undefined ? 0 : s.key, s.next, 0);
    if (rc === -Errno.ENOENT) return undefined;
    if (rc < 0) this.#fail(BpfCmd.BPF_MAP_GET_NEXT_KEY, rc);
    return this.keyCodec.decode(s.dv, s.next - s.mem.addr);
  }

  /** Raw next-key step used by iteration: copies next into key in place; false at the end. */
  #stepRaw(first: boolean): boolean {
    const s = this.#scratch();
    const rc = this.#elem(BpfCmd.BPF_MAP_GET_NEXT_KEY, first ? 0 : s.key, s.next, 0);
    if (rc === -Errno.ENOENT) return false;
    if (rc < 0) this.#fail(BpfCmd.BPF_MAP_GET_NEXT_KEY, rc);
    const base = s.mem.addr;
    s.bytes.copyWithin(s.key - base, s.next - base, s.next - base + this.spec.keySize);
    return true;
  }

  /**
   * All keys, by BPF_MAP_GET_NEXT_KEY. The cursor is kept apart from the scratch, so other operations on
   * the map inside the loop are safe; when the current key is deleted meanwhile, hash maps restart from
   * their first key (kernel behaviour), so keys may repeat but the walk still ends.
   */
  *keys(): Generator<K> {
    const ks = this.spec.keySize;
    const cursor = new Uint8Array(ks);
    let first = true;
    for (;;) {
      const s = this.#scratch();
      const koff = s.key - s.mem.addr;
      if (!first) s.bytes.set(cursor, koff);
      if (!this.#stepRaw(first)) return;
      first = false;
      cursor.set(s.bytes.subarray(koff, koff + ks));
      yield this.keyCodec.decode(s.dv, koff);
    }
  }

  /** All entries as `[key, value]`; keys deleted between the two calls are skipped. */
  *entries(): Generator<[K, V]> {
    for (const k of this.keys()) {
      const v = this.lookup(k);
      if (v !== undefined) yield [k, v];
    }
  }

  /** Same as {@link entries}. */
  [Symbol.iterator](): Generator<[K, V]> {
    return this.entries();
  }

  /** Looks up and deletes `key` in one step (hash maps); undefined when absent. */
  lookupAndDelete(key: K | Uint8Array): V | undefined {
    const s = this.#scratch();
    this.encodeKey(key, s.bytes, s.dv, s.key - s.mem.addr);
    const rc = this.#elem(BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_ELEM, this.spec.keySize ? s.key : 0, s.value, 0);
    if (rc === -Errno.ENOENT) return undefined;
    if (rc < 0) this.#fail(BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_ELEM, rc);
    return this.valueCodec.decode(s.dv, s.value - s.mem.addr);
  }

  /** Queue/stack/bloom filter: adds `value`. `flag: 'exist'` makes a full queue/stack drop its oldest. */
  push(value: V | Uint8Array, flag?: UpdateFlag | number): void {
    const s = this.#scratch();
    this.encodeValue(value, s.bytes, s.dv, s.value - s.mem.addr);
    const rc = this.#elem(BpfCmd.BPF_MAP_UPDATE_ELEM, 0, s.value, updateFlag(flag));
    if (rc < 0) this.#fail(BpfCmd.BPF_MAP_UPDATE_ELEM, rc);
  }

  /** Queue/stack: removes and returns the next value, or undefined when empty. */
  pop(): V | undefined {
    const s = this.#scratch();
    const rc = this.#elem(BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_ELEM, 0, s.value, 0);
    if (rc === -Errno.ENOENT) return undefined;
    if (rc < 0) this.#fail(BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_ELEM, rc);
    return this.valueCodec.decode(s.dv, s.value - s.mem.addr);
  }

  /** Queue/stack: the next value without removing it, or undefined when empty. */
  peek(): V | undefined {
    const s = this.#scratch();
    const rc = this.#elem(BpfCmd.BPF_MAP_LOOKUP_ELEM, 0, s.value, 0);
    if (rc === -Errno.ENOENT) return undefined;
    if (rc < 0) this.#fail(BpfCmd.BPF_MAP_LOOKUP_ELEM, rc);
    return this.valueCodec.decode(s.dv, s.value - s.mem.addr);
  }

  /** Bloom filter: whether `value` may be present (false means certainly absent). */
  mayContain(value: V | Uint8Array): boolean {
    const s = this.#scratch();
    this.encodeValue(value, s.bytes, s.dv, s.value - s.mem.addr);
    const rc = this.#elem(BpfCmd.BPF_MAP_LOOKUP_ELEM, 0, s.value, 0);
    if (rc === -Errno.ENOENT) return false;
    if (rc < 0) this.#fail(BpfCmd.BPF_MAP_LOOKUP_ELEM, rc);
    return true;
  }

  /** Freezes the map: user space can no longer write it (programs still can). */
  freeze(): void {
    const rc = this.#elem(BpfCmd.BPF_MAP_FREEZE, 0, 0, 0);
    if (rc < 0) this.#fail(BpfCmd.BPF_MAP_FREEZE, rc);
  }

  /** Every entry, `chunk` per syscall (BPF_MAP_LOOKUP_BATCH). */
  lookupBatch(chunk = 128): [K, V][] {
    return lookupBatch(this, chunk);
  }

  /** Every entry, removed as it is read (BPF_MAP_LOOKUP_AND_DELETE_BATCH). */
  lookupAndDeleteBatch(chunk = 128): [K, V][] {
    return lookupAndDeleteBatch(this, chunk);
  }

  /** Writes all entries in one syscall (BPF_MAP_UPDATE_BATCH); returns how many were written. */
  updateBatch(entries: Iterable<readonly [K | Uint8Array, V | Uint8Array | HasFd]>, flag?: UpdateFlag | number): number {
    return updateBatch(this, entries, flag);
  }

  /** Deletes all keys in one syscall (BPF_MAP_DELETE_BATCH); returns how many were deleted. */
  deleteBatch(keys: Iterable<K | Uint8Array>): number {
    return deleteBatch(this, keys);
  }

  /** Pins the map at `path` in a bpf filesystem (mounted at /sys/fs/bpf on demand). */
  pin(path: string): void {
    pinFd(this.#owner.fd, path);
  }

  /** What the kernel says about this map (BPF_OBJ_GET_INFO_BY_FD). */
  info(): MapInfo {
    return mapInfoByFd(this.#owner.fd);
  }

  /** Closes the map's fd and frees its scratch memory. Safe to call twice. */
  close(): void {
    this.#owner.close();
    if (this.#s) {
      scratchBackstop.unregister(this);
      this.#s.mem.free();
      this.#s = undefined;
    }
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function isHasFd(v: unknown): v is HasFd {
  return typeof v === 'object' && v !== null && !(v instanceof Uint8Array) && typeof (v as HasFd).fd === 'number';
}

function putEncoded<T>(c: Codec<T>, v: T | Uint8Array, bytes: Uint8Array, dv: DataView, off: number, size: number,
  what: string): void {
  if (v instanceof Uint8Array && !c.kind.startsWith('bytes(')) {
    if (v.length !== size) throw new BadInputError(`raw ${what} must be ${size} bytes, got ${v.length}`);
    bytes.set(v, off);
    return;
  }
  c.encode(v as T, dv, off);
}

let infoMem: NativeBuffer | undefined;

/** BPF_OBJ_GET_INFO_BY_FD for a map fd. */
export function mapInfoByFd(fd: number): MapInfo {
  infoMem ??= nativeAlloc(INFO_ATTR_SIZE + MAP_INFO_SIZE);
  const b = infoMem.bytes;
  b.fill(0);
  encodeInfoAttr(b, fd, MAP_INFO_SIZE, infoMem.addr + INFO_ATTR_SIZE);
  const rc = bpfTry(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, infoMem, INFO_ATTR_SIZE);
  if (rc < 0) throw syscallError('BPF_OBJ_GET_INFO_BY_FD', -rc);
  return decodeMapInfo(b.subarray(INFO_ATTR_SIZE, INFO_ATTR_SIZE + MAP_INFO_SIZE));
}
