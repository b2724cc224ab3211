/**
 * Program and map type numbers (Linux uapi `enum bpf_prog_type` / `enum bpf_map_type`) and the
 * groupings of them the verifier's rules depend on.
 * @module
 */

/** Program type names, indexed by their uapi number. */
export const PROG_TYPE_NAMES: readonly string[] = [
  'unspec', 'socket_filter', 'kprobe', 'sched_cls', 'sched_act', 'tracepoint', 'xdp', 'perf_event',
  'cgroup_skb', 'cgroup_sock', 'lwt_in', 'lwt_out', 'lwt_xmit', 'sock_ops', 'sk_skb', 'cgroup_device',
  'sk_msg', 'raw_tracepoint', 'cgroup_sock_addr', 'lwt_seg6local', 'lirc_mode2', 'sk_reuseport',
  'flow_dissector', 'cgroup_sysctl', 'raw_tracepoint_writable', 'cgroup_sockopt', 'tracing',
  'struct_ops', 'ext', 'lsm', 'sk_lookup', 'syscall', 'netfilter',
];

/** Program type numbers by name. */
export const ProgType = {
  SOCKET_FILTER: 1, KPROBE: 2, SCHED_CLS: 3, SCHED_ACT: 4, TRACEPOINT: 5, XDP: 6, PERF_EVENT: 7,
  CGROUP_SKB: 8, CGROUP_SOCK: 9, LWT_IN: 10, LWT_OUT: 11, LWT_XMIT: 12, SOCK_OPS: 13, SK_SKB: 14,
  CGROUP_DEVICE: 15, SK_MSG: 16, RAW_TRACEPOINT: 17, CGROUP_SOCK_ADDR: 18, LWT_SEG6LOCAL: 19,
  SK_REUSEPORT: 21, FLOW_DISSECTOR: 22, CGROUP_SYSCTL: 23, RAW_TRACEPOINT_WRITABLE: 24,
  CGROUP_SOCKOPT: 25, TRACING: 26, STRUCT_OPS: 27, EXT: 28, LSM: 29, SK_LOOKUP: 30, SYSCALL: 31,
  NETFILTER: 32,
} as const;

/** The program types whose ctx rules and helper sets the model covers. */
export const MODELLED_PROG_TYPES: ReadonlySet<number> = new Set([
  ProgType.SOCKET_FILTER, ProgType.KPROBE, ProgType.SCHED_CLS, ProgType.SCHED_ACT, ProgType.TRACEPOINT,
  ProgType.XDP, ProgType.PERF_EVENT, ProgType.CGROUP_SKB, ProgType.RAW_TRACEPOINT,
]);

/** Map type names, indexed by their uapi number. */
export const MAP_TYPE_NAMES: readonly string[] = [
  'unspec', 'hash', 'array', 'prog_array', 'perf_event_array', 'percpu_hash', 'percpu_array',
  'stack_trace', 'cgroup_array', 'lru_hash', 'lru_percpu_hash', 'lpm_trie', 'array_of_maps',
  'hash_of_maps', 'devmap', 'sockmap', 'cpumap', 'xskmap', 'sockhash', 'cgroup_storage',
  'reuseport_sockarray', 'percpu_cgroup_storage', 'queue', 'stack', 'sk_storage', 'devmap_hash',
  'struct_ops', 'ringbuf', 'inode_storage', 'task_storage', 'bloom_filter', 'user_ringbuf',
  'cgrp_storage', 'arena',
];

/** Map type numbers by name. */
export const MapType = {
  HASH: 1, ARRAY: 2, PROG_ARRAY: 3, PERF_EVENT_ARRAY: 4, PERCPU_HASH: 5, PERCPU_ARRAY: 6,
  STACK_TRACE: 7, CGROUP_ARRAY: 8, LRU_HASH: 9, LRU_PERCPU_HASH: 10, LPM_TRIE: 11,
  ARRAY_OF_MAPS: 12, HASH_OF_MAPS: 13, DEVMAP: 14, SOCKMAP: 15, CPUMAP: 16, XSKMAP: 17,
  SOCKHASH: 18, CGROUP_STORAGE: 19, REUSEPORT_SOCKARRAY: 20, PERCPU_CGROUP_STORAGE: 21, QUEUE: 22,
  STACK: 23, SK_STORAGE: 24, DEVMAP_HASH: 25, STRUCT_OPS: 26, RINGBUF: 27, INODE_STORAGE: 28,
  TASK_STORAGE: 29, BLOOM_FILTER: 30, USER_RINGBUF: 31, CGRP_STORAGE: 32, ARENA: 33,
} as const;

/** Resolves a type given as number or name against a name table; -1 when unknown. */
export function typeNumber(t: number | string, names: readonly string[]): number {
  if (typeof t === 'number') return Number.isInteger(t) && t >= 0 && t < names.length ? t : -1;
  const i = names.indexOf(t.toLowerCase().replace(/^bpf_(prog|map)_type_/, ''));
  return i;
}

/** Program types whose maps may not hold spin locks or timers (is_tracing_prog_type). */
export function isTracingProgType(t: number): boolean {
  return t === ProgType.KPROBE || t === ProgType.TRACEPOINT || t === ProgType.PERF_EVENT ||
    t === ProgType.RAW_TRACEPOINT || t === ProgType.RAW_TRACEPOINT_WRITABLE;
}

/**
 * Names of the kernel structs a helper's PTR_TO_BTF_ID result points to, as the log prints them
 * after `ptr_` (`ptr_or_null_tcp_sock`). Index 0: unknown. A BTF_ID register keeps its index in
 * `range`, so two different structs are different types for pruning too (regsafe's btf_id).
 */
export const BTF_STRUCT_NAMES: readonly string[] = ['', 'tcp6_sock', 'tcp_sock', 'tcp_timewait_sock', 'tcp_request_sock',
  'udp6_sock', 'unix_sock', 'mptcp_sock', 'socket'];

/** The struct (index in {@link BTF_STRUCT_NAMES}) each helper returning a kernel object gives. */
export const HELPER_BTF_STRUCT: Readonly<Record<number, number>> = {
  136: 1, 137: 2, 138: 3, 139: 4, 140: 5, 178: 6, 196: 7, 162: 8,
};
