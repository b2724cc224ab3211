/**
 * Map types: `enum bpf_map_type` of Linux 6.18 include/uapi/linux/bpf.h, name ↔ number.
 * @module
 */
import { uapiEnum } from './uapi-enum.js';
import type { UapiEnum } from './uapi-enum.js';

/** `enum bpf_map_type` members without the `BPF_MAP_TYPE_` prefix, as numbers (`MapType.HASH`). */
export const MapType = {
  UNSPEC: 0, HASH: 1, ARRAY: 2, PROG_ARRAY: 3, PERF_EVENT_ARRAY: 4, PERCPU_HASH: 5, PERCPU_ARRAY: 6,
  STACK_TRACE: 7, CGROUP_ARRAY: 8, LRU_HASH: 9, LRU_PERCPU_HASH: 10, LPM_TRIE: 11,
  ARRAY_OF_MAPS: 12, HASH_OF_MAPS: 13, DEVMAP: 14, SOCKMAP: 15, CPUMAP: 16, XSKMAP: 17,
  SOCKHASH: 18, CGROUP_STORAGE_DEPRECATED: 19, CGROUP_STORAGE: 19, REUSEPORT_SOCKARRAY: 20,
  PERCPU_CGROUP_STORAGE_DEPRECATED: 21, PERCPU_CGROUP_STORAGE: 21, QUEUE: 22, STACK: 23,
  SK_STORAGE: 24, DEVMAP_HASH: 25, STRUCT_OPS: 26, RINGBUF: 27, INODE_STORAGE: 28, TASK_STORAGE: 29,
  BLOOM_FILTER: 30, USER_RINGBUF: 31, CGRP_STORAGE: 32, ARENA: 33,
} as const;

/** A member name of {@link MapType} (upper case, without the `BPF_MAP_TYPE_` prefix). */
export type MapTypeKey = keyof typeof MapType;

/** Lookups of `enum bpf_map_type`: lower-case names (`hash`) ↔ numbers. */
export const mapTypes: UapiEnum = uapiEnum('BPF_MAP_TYPE_', MapType);

/**
 * The number of a map type given by number or by name (`'hash'`, `'HASH'`, `'BPF_MAP_TYPE_HASH'`);
 * undefined when unknown.
 */
export function mapTypeNumber(t: number | string): number | undefined {
  return mapTypes.number(t);
}

/** The lower-case name of a map type number; undefined when unknown. */
export function mapTypeName(n: number): string | undefined {
  return mapTypes.name(n);
}
