/**
 * `createMap(spec)`: validates and resolves a {@link MapSpec}, creates the map (and, for maps of maps,
 * a template inner map), and wraps the fd in a typed {@link BpfMap}.
 * @module
 */
import { BadInputError } from '../errors.js';
import { nativeAlloc, requireNative } from '../loader/ffi.js';
import type { NativeBuffer } from '../loader/ffi.js';
import { syscallError } from '../loader/errno.js';
import { Fd } from '../loader/fd.js';
import { BpfCmd, bpfTry } from '../loader/syscall.js';
import { possibleCpus } from '../loader/platform.js';
import { bytes, u32 } from './codec.js';
import { MapType } from '../asm/map-types.js';
import type { Codec } from './codec.js';
import { BpfMap } from './map.js';
import { encodeMapCreate, MAP_CREATE_ATTR_SIZE } from './map-attr.js';
import { FD_VALUE_TYPES, PERCPU_TYPES, resolveMapSpec } from './spec.js';
import type { MapSpec, ResolvedMapSpec } from './spec.js';

/** The per-CPU array type, by name or number: index keys, per-CPU values. */
export type PerCpuArrayMapType = 'percpu_array' | 'PERCPU_ARRAY' | 6;
/** The per-CPU hash types, by name or number: per-CPU values. */
export type PerCpuHashMapType = 'percpu_hash' | 'lru_percpu_hash' | 'PERCPU_HASH' | 'LRU_PERCPU_HASH' | 5 | 10;
/** Array types indexed by a u32 whose values are fds on update and ids (u32) on lookup. */
export type FdArrayMapType =
  | 'prog_array' | 'perf_event_array' | 'cgroup_array' | 'array_of_maps' | 'devmap' | 'cpumap' | 'xskmap'
  | 'sockmap' | 'reuseport_sockarray' | 3 | 4 | 8 | 12 | 14 | 16 | 17 | 15 | 20;
/** Hash types whose values are fds or u32s (ifindex, queue size). */
export type FdHashMapType = 'hash_of_maps' | 'sockhash' | 'devmap_hash' | 13 | 18 | 25;
/** Array types indexed by a u32 with plain values. */
export type IndexMapType = 'array' | 'stack_trace' | 'ARRAY' | 'STACK_TRACE' | 2 | 7;

const INDEX_KEYED = new Set<number>([
  MapType.ARRAY, MapType.PERCPU_ARRAY, MapType.PROG_ARRAY, MapType.PERF_EVENT_ARRAY, MapType.CGROUP_ARRAY,
  MapType.ARRAY_OF_MAPS, MapType.DEVMAP, MapType.CPUMAP, MapType.XSKMAP, MapType.SOCKMAP,
  MapType.REUSEPORT_SOCKARRAY, MapType.STACK_TRACE,
]);
const U32_VALUED = new Set<number>([...FD_VALUE_TYPES, MapType.DEVMAP, MapType.DEVMAP_HASH, MapType.CPUMAP]);

/**
 * The per-CPU form of a value codec: `n` values, each at an 8-byte-rounded stride (the layout the
 * kernel copies per-CPU values in), padding zeroed.
 */
export function perCpu<T>(value: Codec<T>, n: number): Codec<T[]> {
  const stride = Math.ceil(value.size / 8) * 8;
  return {
    kind: `perCpu(${value.kind}, ${n})`, size: stride * n, align: 8,
    encode(v, dv, o) {
      if (!Array.isArray(v) || v.length !== n) {
        throw new BadInputError(`per-CPU value must be an array of ${n} values (one per possible CPU)`);
      }
      new Uint8Array(dv.buffer, dv.byteOffset + o, stride * n).fill(0);
      for (let i = 0; i < n; i++) value.encode(v[i] as T, dv, o + i * stride);
    },
    decode(dv, o) {
      const out = new Array<T>(n);
      for (let i = 0; i < n; i++) out[i] = value.decode(dv, o + i * stride);
      return out;
    },
  };
}

/** What BPF_MAP_CREATE requires of each type (Linux 6.18 *_map_alloc_check), for EINVAL hints. */
const TYPE_RULES: Partial<Record<number, string>> = {
  [MapType.HASH]: 'key and value sizes must be non-zero, max entries non-zero',
  [MapType.ARRAY]: 'key must be 4 bytes, value non-zero, max entries non-zero; BPF_F_MMAPABLE only here',
  [MapType.PERCPU_ARRAY]: 'key must be 4 bytes, value non-zero and at most 32 KiB',
  [MapType.LPM_TRIE]: 'needs BPF_F_NO_PREALLOC; key is u32 prefix length + 1..256 data bytes; value non-zero',
  [MapType.RINGBUF]: 'key and value must be 0; max entries a power-of-2 multiple of the page size',
  [MapType.USER_RINGBUF]: 'key and value must be 0; max entries a power-of-2 multiple of the page size',
  [MapType.QUEUE]: 'key must be 0, value non-zero',
  [MapType.STACK]: 'key must be 0, value non-zero',
  [MapType.BLOOM_FILTER]: 'key must be 0, value non-zero, max entries non-zero; map_extra low 4 bits = hash count',
  [MapType.ARENA]: 'needs BPF_F_MMAPABLE; key and value 0; max entries = pages; map_extra page-aligned or 0',
  [MapType.STACK_TRACE]: 'key must be 4 bytes; value a multiple of 8 (u64 ips) or of the build-id record size',
  [MapType.ARRAY_OF_MAPS]: 'key 4, value 4; the inner map must be a type that can be nested',
  [MapType.HASH_OF_MAPS]: 'value 4; the inner map must be a type that can be nested',
};

let createMem: NativeBuffer | undefined;

/** BPF_MAP_CREATE for a resolved spec; returns the owned fd. */
export function createMapFd(s: ResolvedMapSpec): Fd {
  let inner: Fd | undefined;
  try {
    if (s.inner) inner = createMapFd(s.inner);
    createMem ??= nativeAlloc(MAP_CREATE_ATTR_SIZE);
    encodeMapCreate(createMem.bytes, s, inner ? inner.fd : 0);
    const rc = bpfTry(BpfCmd.BPF_MAP_CREATE, createMem, MAP_CREATE_ATTR_SIZE);
    if (rc < 0) {
      throw syscallError('BPF_MAP_CREATE', -rc,
        rc === -22 ? `the kernel refused this ${s.typeName} spec (key ${s.keySize}, value ${s.valueSize}, ` +
          `max entries ${s.maxEntries}, flags 0x${s.flags.toString(16)}): ${TYPE_RULES[s.type] ?? 'check the type\'s rules'}`
          : undefined);
    }
    return new Fd(rc);
  } finally {
    // The kernel keeps only the inner map's shape; the template itself is not needed afterwards.
    inner?.close();
  }
}

/**
 * Wraps an owned map fd with codecs. Without codecs, u32-indexed maps get a `u32` key, fd/ifindex
 * valued maps a `u32` value, and everything else raw `bytes(n)`; per-CPU maps get the per-CPU form.
 */
export function wrapMap<K, V>(owner: Fd, s: ResolvedMapSpec, key: Codec<K> | undefined, value: Codec<unknown> | undefined): BpfMap<K, V> {
  const keyCodec = (key ?? (INDEX_KEYED.has(s.type) && s.keySize === 4 ? u32 : bytes(s.keySize))) as Codec<K>;
  const base = value ?? (U32_VALUED.has(s.type) && s.valueSize === 4 ? u32 : bytes(s.valueSize));
  if (PERCPU_TYPES.has(s.type)) {
    const c = perCpu(base, possibleCpus());
    return new BpfMap<K, V>(owner, s, keyCodec, c as unknown as Codec<V>, c.size);
  }
  return new BpfMap<K, V>(owner, s, keyCodec, base as Codec<V>, s.valueSize);
}

/**
 * Creates a map from `spec`. A bad spec throws {@link BadInputError} before any syscall; the kernel's
 * refusal throws BpfSyscallError with the errno and a hint. Per-CPU maps take and give arrays of values,
 * one per possible CPU.
 */
export function createMap<K = number, V = Uint8Array>(spec: MapSpec<K, V> & { type: PerCpuArrayMapType }): BpfMap<K, V[]>;
/** Creates a per-CPU hash map: values are arrays, one per possible CPU. */
export function createMap<K = Uint8Array, V = Uint8Array>(spec: MapSpec<K, V> & { type: PerCpuHashMapType }): BpfMap<K, V[]>;
/** Creates a u32-indexed map of fds (lookups give ids); updates also take fd owners. */
export function createMap<K = number, V = number>(spec: MapSpec<K, V> & { type: FdArrayMapType }): BpfMap<K, V>;
/** Creates a hash map of fds or u32s. */
export function createMap<K = Uint8Array, V = number>(spec: MapSpec<K, V> & { type: FdHashMapType }): BpfMap<K, V>;
/** Creates a u32-indexed array map. */
export function createMap<K = number, V = Uint8Array>(spec: MapSpec<K, V> & { type: IndexMapType }): BpfMap<K, V>;
/** Creates a map from `spec` (see the typed overloads). */
export function createMap<K = Uint8Array, V = Uint8Array>(spec: MapSpec<K, V>): BpfMap<K, V>;
export function createMap<K, V>(spec: MapSpec<K, V>): BpfMap<K, V> {
  requireNative(); // UnsupportedPlatformError first, before reading Linux-only files
  const s = resolveMapSpec(spec as MapSpec, possibleCpus());
  const fd = createMapFd(s);
  return wrapMap<K, V>(fd, s, spec.key, spec.value);
}
