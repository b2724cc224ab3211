/**
 * `MapSpec`: the plain-data blueprint of a map, validated with zod before any syscall, and resolved to
 * the exact numbers BPF_MAP_CREATE takes (type number, sizes with per-type defaults, flags).
 * Deterministic and pure: nothing here depends on the running kernel except through `possibleCpus`.
 * @module
 */
import { z } from 'zod';
import { BadInputError } from '../errors.js';
import { MapType, mapTypeName, mapTypeNumber } from '../asm/map-types.js';
import { isCodec } from './codec.js';
import type { Codec } from './codec.js';

/** BPF_MAP_CREATE flags (`BPF_F_*`, include/uapi/linux/bpf.h). */
export const MapFlags = {
  NO_PREALLOC: 1 << 0, NO_COMMON_LRU: 1 << 1, NUMA_NODE: 1 << 2, RDONLY: 1 << 3, WRONLY: 1 << 4,
  STACK_BUILD_ID: 1 << 5, ZERO_SEED: 1 << 6, RDONLY_PROG: 1 << 7, WRONLY_PROG: 1 << 8, CLONE: 1 << 9,
  MMAPABLE: 1 << 10, PRESERVE_ELEMS: 1 << 11, INNER_MAP: 1 << 12, LINK: 1 << 13, PATH_FD: 1 << 14,
  VTYPE_BTF_OBJ_FD: 1 << 15, TOKEN_FD: 1 << 16, SEGV_ON_FAULT: 1 << 17, NO_USER_CONV: 1 << 18,
} as const;

/** The blueprint of a map. Sizes come from `key`/`value` codecs or `keySize`/`valueSize`. */
export interface MapSpec<K = unknown, V = unknown> {
  /** Map type by number or name (`'hash'`, `'HASH'`, `'BPF_MAP_TYPE_HASH'`, `1`). */
  readonly type: number | string;
  /** Object name shown by bpftool: at most 15 bytes of `[A-Za-z0-9_.]`. */
  readonly name?: string | undefined;
  /** Key codec; gives the key size. */
  readonly key?: Codec<K> | undefined;
  /** Value codec; gives the value size (per CPU, for per-CPU maps). */
  readonly value?: Codec<V> | undefined;
  /** Key size in bytes when no key codec is given. */
  readonly keySize?: number | undefined;
  /** Value size in bytes when no value codec is given. */
  readonly valueSize?: number | undefined;
  /** Maximum entries (for ring buffers the size in bytes; for arenas the number of pages). */
  readonly maxEntries?: number | undefined;
  /** `BPF_F_*` flags ({@link MapFlags}). */
  readonly flags?: number | undefined;
  /** For array_of_maps / hash_of_maps: the spec of the inner map (a template map is created from it). */
  readonly inner?: MapSpec | undefined;
  /** map_extra: bloom filter hash count (low 4 bits), arena user address. */
  readonly mapExtra?: bigint | number | undefined;
  /** NUMA node (sets BPF_F_NUMA_NODE). */
  readonly numaNode?: number | undefined;
  /** Network device to offload to. */
  readonly ifindex?: number | undefined;
  /** BTF object fd for the key/value types. */
  readonly btfFd?: number | undefined;
  /** BTF type id of the key. */
  readonly btfKeyTypeId?: number | undefined;
  /** BTF type id of the value. */
  readonly btfValueTypeId?: number | undefined;
  /** BTF type id of a kernel struct stored as the value (struct_ops). */
  readonly btfVmlinuxValueTypeId?: number | undefined;
}

/** A spec resolved to what BPF_MAP_CREATE takes. */
export interface ResolvedMapSpec {
  /** The map type number. */
  readonly type: number;
  /** The lower-case type name (`percpu_hash`). */
  readonly typeName: string;
  /** Object name (may be empty). */
  readonly name: string;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes (per CPU for per-CPU maps). */
  readonly valueSize: number;
  /** Max entries. */
  readonly maxEntries: number;
  /** Flags. */
  readonly flags: number;
  /** Resolved inner spec for maps of maps. */
  readonly inner: ResolvedMapSpec | undefined;
  /** map_extra. */
  readonly mapExtra: bigint;
  /** NUMA node, 0 unless BPF_F_NUMA_NODE. */
  readonly numaNode: number;
  /** Offload ifindex or 0. */
  readonly ifindex: number;
  /** BTF fd or 0. */
  readonly btfFd: number;
  /** BTF key type id or 0. */
  readonly btfKeyTypeId: number;
  /** BTF value type id or 0. */
  readonly btfValueTypeId: number;
  /** BTF vmlinux value type id or 0. */
  readonly btfVmlinuxValueTypeId: number;
}

const u32 = z.number().int().min(0).max(0xffff_ffff);
const codec = z.custom<Codec<unknown>>(isCodec, { message: 'expected a codec (u32, struct({...}), bytes(n), ...)' });

/** The zod schema of {@link MapSpec} (structure only; per-type rules are checked by {@link resolveMapSpec}). */
export const mapSpecSchema: z.ZodType<MapSpec> = z.lazy(() => z.object({
  type: z.union([z.number().int(), z.string()]).refine((t) => mapTypeNumber(t) !== undefined, {
    message: 'unknown map type',
  }),
  name: z.string().max(15).regex(/^[A-Za-z0-9_.]*$/, 'only [A-Za-z0-9_.] allowed').optional(),
  key: codec.optional(),
  value: codec.optional(),
  keySize: u32.optional(),
  valueSize: u32.optional(),
  maxEntries: u32.optional(),
  flags: u32.optional(),
  inner: mapSpecSchema.optional(),
  mapExtra: z.union([z.bigint().min(0n).max((1n << 64n) - 1n), z.number().int().min(0)]).optional(),
  numaNode: u32.optional(),
  ifindex: u32.optional(),
  btfFd: u32.optional(),
  btfKeyTypeId: u32.optional(),
  btfValueTypeId: u32.optional(),
  btfVmlinuxValueTypeId: u32.optional(),
}).strict()) as z.ZodType<MapSpec>;

/** Map types whose values are per CPU in user space (one value per possible CPU). */
export const PERCPU_TYPES: ReadonlySet<number> = new Set<number>([
  MapType.PERCPU_HASH, MapType.PERCPU_ARRAY, MapType.LRU_PERCPU_HASH, MapType.PERCPU_CGROUP_STORAGE,
]);

/** Map types whose values are fds on update and ids on lookup. */
export const FD_VALUE_TYPES: ReadonlySet<number> = new Set<number>([
  MapType.PROG_ARRAY, MapType.PERF_EVENT_ARRAY, MapType.CGROUP_ARRAY, MapType.ARRAY_OF_MAPS,
  MapType.HASH_OF_MAPS, MapType.SOCKMAP, MapType.SOCKHASH, MapType.XSKMAP, MapType.REUSEPORT_SOCKARRAY,
]);

/** Key/value size defaults by type, used when neither a codec nor a size is given. */
const DEFAULTS: Partial<Record<number, { key?: number; value?: number }>> = {
  [MapType.ARRAY]: { key: 4 }, [MapType.PERCPU_ARRAY]: { key: 4 },
  [MapType.PROG_ARRAY]: { key: 4, value: 4 }, [MapType.PERF_EVENT_ARRAY]: { key: 4, value: 4 },
  [MapType.CGROUP_ARRAY]: { key: 4, value: 4 }, [MapType.ARRAY_OF_MAPS]: { key: 4, value: 4 },
  [MapType.HASH_OF_MAPS]: { value: 4 }, [MapType.DEVMAP]: { key: 4, value: 4 },
  [MapType.DEVMAP_HASH]: { key: 4, value: 4 }, [MapType.CPUMAP]: { key: 4, value: 4 },
  [MapType.XSKMAP]: { key: 4, value: 4 }, [MapType.SOCKMAP]: { key: 4, value: 4 },
  [MapType.SOCKHASH]: { value: 4 }, [MapType.REUSEPORT_SOCKARRAY]: { key: 4, value: 4 },
  [MapType.STACK_TRACE]: { key: 4, value: 127 * 8 },
  [MapType.RINGBUF]: { key: 0, value: 0 }, [MapType.USER_RINGBUF]: { key: 0, value: 0 },
  [MapType.QUEUE]: { key: 0 }, [MapType.STACK]: { key: 0 }, [MapType.BLOOM_FILTER]: { key: 0 },
  [MapType.ARENA]: { key: 0, value: 0 },
};

function size(what: string, codecSize: number | undefined, given: number | undefined, dflt: number | undefined,
  typeName: string): number {
  if (codecSize !== undefined && given !== undefined && codecSize !== given) {
    throw new BadInputError(`map spec: ${what} codec is ${codecSize} bytes but ${what}Size says ${given}`);
  }
  const n = codecSize ?? given ?? dflt;
  if (n === undefined) throw new BadInputError(`map spec: ${typeName} map needs a ${what} codec or ${what}Size`);
  return n;
}

function parse(spec: unknown): MapSpec {
  const r = mapSpecSchema.safeParse(spec);
  if (r.success) return r.data;
  const first = r.error.issues[0];
  const path = first && first.path.length ? first.path.join('.') : 'spec';
  throw new BadInputError(`invalid map spec: ${path}: ${first?.message ?? r.error.message}`);
}

/**
 * Validates a spec and resolves it to BPF_MAP_CREATE's numbers. Throws {@link BadInputError} for
 * anything that cannot be valid, before any syscall.
 * @param possibleCpus - used as the default max entries of perf_event_array.
 */
export function resolveMapSpec(spec: MapSpec, possibleCpus = 1): ResolvedMapSpec {
  const s = parse(spec);
  const type = mapTypeNumber(s.type)!;
  const typeName = mapTypeName(type) ?? String(type);
  const d = DEFAULTS[type] ?? {};
  const keySize = size('key', s.key?.size, s.keySize, d.key, typeName);
  const valueSize = size('value', s.value?.size, s.valueSize, d.value, typeName);
  let flags = s.flags ?? 0;
  // The kernel requires NO_PREALLOC for LPM tries and MMAPABLE for arenas; add them when no flags are given.
  if (s.flags === undefined && type === MapType.LPM_TRIE) flags |= MapFlags.NO_PREALLOC;
  if (s.flags === undefined && type === MapType.ARENA) flags |= MapFlags.MMAPABLE;
  if (s.numaNode !== undefined) flags |= MapFlags.NUMA_NODE;
  let maxEntries = s.maxEntries;
  if (maxEntries === undefined && type === MapType.PERF_EVENT_ARRAY) maxEntries = possibleCpus;
  if (maxEntries === undefined) throw new BadInputError(`map spec: ${typeName} map needs maxEntries`);
  const isMapOfMaps = type === MapType.ARRAY_OF_MAPS || type === MapType.HASH_OF_MAPS;
  if (isMapOfMaps && !s.inner) throw new BadInputError(`map spec: ${typeName} needs an inner map spec`);
  if (!isMapOfMaps && s.inner) throw new BadInputError(`map spec: only array_of_maps and hash_of_maps take an inner spec`);
  if (type === MapType.LPM_TRIE && keySize <= 4) throw new BadInputError('map spec: lpm_trie key must be 4 bytes of prefix length plus data');
  return {
    type, typeName, name: s.name ?? '', keySize, valueSize, maxEntries, flags,
    inner: s.inner ? resolveMapSpec(s.inner, possibleCpus) : undefined,
    mapExtra: BigInt(s.mapExtra ?? 0), numaNode: s.numaNode ?? 0, ifindex: s.ifindex ?? 0,
    btfFd: s.btfFd ?? 0, btfKeyTypeId: s.btfKeyTypeId ?? 0, btfValueTypeId: s.btfValueTypeId ?? 0,
    btfVmlinuxValueTypeId: s.btfVmlinuxValueTypeId ?? 0,
  };
}
