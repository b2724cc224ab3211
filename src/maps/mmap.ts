/**
 * Memory-mapped maps: BPF_F_MMAPABLE arrays as a zero-copy view (reads and writes go straight to the
 * map's memory, no syscall), and raw regions for ring buffers and arenas.
 *
 * The Buffer views stay valid only until `close()`: after munmap, touching them faults the process.
 * @module
 */
import { BadInputError } from '../errors.js';
import { mmapRaw, munmapRaw, viewAt } from '../loader/ffi.js';
import { syscallError } from '../loader/errno.js';
import { pageSize } from '../loader/platform.js';
import { MapType } from '../asm/map-types.js';
import type { Codec } from './codec.js';
import type { BpfMap } from './map.js';
import { MapFlags } from './spec.js';

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;

const unmapBackstop = new FinalizationRegistry<{ addr: number; len: number }>((r) => {
  munmapRaw(r.addr, r.len);
});

/** A mapped region of a map's memory. */
export class MappedRegion implements Disposable {
  /** The bytes, viewing the mapping (valid until {@link close}). */
  readonly bytes: Buffer;
  /** Address of the mapping. */
  readonly address: number;
  /** Length in bytes (whole pages). */
  readonly length: number;
  #open = true;
  readonly #token = {};

  /** Maps `length` bytes of `fd` at `offset` (page multiples). */
  constructor(fd: number, offset: number, length: number, writable: boolean) {
    const ps = pageSize();
    if (offset % ps !== 0) throw new BadInputError(`mmap offset ${offset} is not a multiple of the page size ${ps}`);
    const len = Math.ceil(length / ps) * ps;
    const addr = mmapRaw(len, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, offset);
    if (addr < 0 && addr > -4096) throw syscallError('mmap', -addr);
    this.address = addr;
    this.length = len;
    this.bytes = viewAt(addr, len);
    unmapBackstop.register(this, { addr, len }, this.#token);
  }

  /** Whether the region is still mapped. */
  get mapped(): boolean {
    return this.#open;
  }

  /** Unmaps the region; the views must not be used afterwards. Safe to call twice. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    unmapBackstop.unregister(this.#token);
    munmapRaw(this.address, this.length);
  }

  /** Same as {@link close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Maps a raw region of any mmapable map (ring buffer pages, arena pages). */
export function mmapMap(map: BpfMap<unknown, unknown>, offset: number, length: number, writable: boolean): MappedRegion {
  return new MappedRegion(map.fd, offset, length, writable);
}

/** A BPF_F_MMAPABLE array as a typed, zero-copy view. */
export class MappedArray<V> implements Disposable {
  /** The underlying mapping. */
  readonly region: MappedRegion;
  /** Number of elements. */
  readonly length: number;
  /** Bytes between elements (value size rounded up to 8, as the kernel lays array elements out). */
  readonly stride: number;
  readonly #codec: Codec<V>;
  readonly #dv: DataView;

  /** Use {@link mmapArray}. */
  constructor(region: MappedRegion, codec: Codec<V>, length: number, stride: number) {
    this.region = region;
    this.#codec = codec;
    this.length = length;
    this.stride = stride;
    const b = region.bytes;
    this.#dv = new DataView(b.buffer, b.byteOffset, b.byteLength);
  }

  #check(i: number): void {
    if (!this.region.mapped) throw new BadInputError('mapped array is closed');
    if (!Number.isInteger(i) || i < 0 || i >= this.length) throw new BadInputError(`index ${i} out of range 0..${this.length - 1}`);
  }

  /** The element at `i`, decoded straight from the map's memory. */
  get(i: number): V {
    this.#check(i);
    return this.#codec.decode(this.#dv, i * this.stride);
  }

  /** Writes element `i` straight into the map's memory (no syscall). */
  set(i: number, value: V): void {
    this.#check(i);
    this.#codec.encode(value, this.#dv, i * this.stride);
  }

  /** The raw bytes of element `i` (a view, not a copy). */
  bytesAt(i: number): Buffer {
    this.#check(i);
    return this.region.bytes.subarray(i * this.stride, i * this.stride + this.#codec.size);
  }

  /** Unmaps the array. */
  close(): void {
    this.region.close();
  }

  /** Same as {@link close}. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Maps a BPF_F_MMAPABLE array map. Pass `writable: false` for a frozen map (its memory is read-only).
 */
export function mmapArray<V>(map: BpfMap<number, V>, writable = true): MappedArray<V> {
  const s = map.spec;
  if (s.type !== MapType.ARRAY || (s.flags & MapFlags.MMAPABLE) === 0) {
    throw new BadInputError('only array maps created with BPF_F_MMAPABLE can be mapped as arrays');
  }
  const stride = Math.ceil(s.valueSize / 8) * 8;
  const region = new MappedRegion(map.fd, 0, stride * s.maxEntries, writable);
  return new MappedArray(region, map.valueCodec, s.maxEntries, stride);
}
