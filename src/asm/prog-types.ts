/**
 * Program types: `enum bpf_prog_type` of Linux 6.18 include/uapi/linux/bpf.h, name ↔ number.
 * @module
 */
import { uapiEnum } from './uapi-enum.js';
import type { UapiEnum } from './uapi-enum.js';

/** `enum bpf_prog_type` members without the `BPF_PROG_TYPE_` prefix, as numbers (`ProgramType.SOCKET_FILTER`). */
export const ProgramType = {
  UNSPEC: 0, SOCKET_FILTER: 1, KPROBE: 2, SCHED_CLS: 3, SCHED_ACT: 4, TRACEPOINT: 5, XDP: 6,
  PERF_EVENT: 7, CGROUP_SKB: 8, CGROUP_SOCK: 9, LWT_IN: 10, LWT_OUT: 11, LWT_XMIT: 12, SOCK_OPS: 13,
  SK_SKB: 14, CGROUP_DEVICE: 15, SK_MSG: 16, RAW_TRACEPOINT: 17, CGROUP_SOCK_ADDR: 18,
  LWT_SEG6LOCAL: 19, LIRC_MODE2: 20, SK_REUSEPORT: 21, FLOW_DISSECTOR: 22, CGROUP_SYSCTL: 23,
  RAW_TRACEPOINT_WRITABLE: 24, CGROUP_SOCKOPT: 25, TRACING: 26, STRUCT_OPS: 27, EXT: 28, LSM: 29,
  SK_LOOKUP: 30, SYSCALL: 31, NETFILTER: 32,
} as const;

/** A member name of {@link ProgramType} (upper case, without the `BPF_PROG_TYPE_` prefix). */
export type ProgramTypeKey = keyof typeof ProgramType;

/** Lookups of `enum bpf_prog_type`: lower-case names (`socket_filter`) ↔ numbers. */
export const programTypes: UapiEnum = uapiEnum('BPF_PROG_TYPE_', ProgramType);

/**
 * The number of a program type given by number or by name (`'socket_filter'`, `'SOCKET_FILTER'`, `'BPF_PROG_TYPE_SOCKET_FILTER'`);
 * undefined when unknown.
 */
export function programTypeNumber(t: number | string): number | undefined {
  return programTypes.number(t);
}

/** The lower-case name of a program type number; undefined when unknown. */
export function programTypeName(n: number): string | undefined {
  return programTypes.name(n);
}
