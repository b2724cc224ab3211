/**
 * Helper prototypes as the verifier sees them (struct bpf_func_proto in Linux 6.18), for the
 * helpers of the modelled program types, and which program types may call each.
 * Argument codes: A anything, C ctx, M const map ptr, K map key, V map value, Vn map value or
 * null, m readable mem, mn readable mem or null, u writable mem (may be uninit), s size,
 * z size or zero, Z alloc size or zero, S sock_common, T btf sock_common, R btf sock_common to
 * release, B ringbuf mem to release, L spin lock, F callback, P stack or null, t timer.
 * @module
 */
import { ProgType } from './kinds.js';

/** One prototype. */
export interface HelperProto {
  /** Name without the `bpf_` prefix. */
  readonly name: string;
  /** Argument codes for R1..R5 (see the module comment). */
  readonly args: readonly string[];
  /** Return: i int, v void, mv? map value or null, mv map value, sk? / sc? / tcp? / ssk? sockets or null, rb? ringbuf mem or null, btf? kernel object or null. */
  readonly ret: string;
  /** GPL-only. */
  readonly gpl?: boolean;
  /** Accepts packet pointers for memory arguments (meta.pkt_access). */
  readonly pkt?: boolean;
  /** Invalidates packet pointers (bpf_helper_changes_pkt_data). */
  readonly changesPkt?: boolean;
  /** The returned pointer is a reference to release. */
  readonly acquire?: boolean;
  /** Which program types: base (all), net (skb/xdp types), skb, tc, xdp, trace, cgskb. */
  readonly avail: string;
}

const P = (name: string, args: string, ret: string, avail: string, extra: Partial<HelperProto> = {}): HelperProto =>
  ({ name, args: args ? args.split(' ') : [], ret, avail, ...extra });

/** Prototypes by helper id. */
export const HELPERS: ReadonlyMap<number, HelperProto> = new Map<number, HelperProto>([
  [1, P('map_lookup_elem', 'M K', 'mv?', 'base', { pkt: true })],
  [2, P('map_update_elem', 'M K V A', 'i', 'base', { pkt: true })],
  [3, P('map_delete_elem', 'M K', 'i', 'base', { pkt: true })],
  [4, P('probe_read', 'u z A', 'i', 'trace', { gpl: true })],
  [5, P('ktime_get_ns', '', 'i', 'base')],
  [6, P('trace_printk', 'm s', 'i', 'base', { gpl: true })],
  [7, P('get_prandom_u32', '', 'i', 'base')],
  [8, P('get_smp_processor_id', '', 'i', 'base')],
  [9, P('skb_store_bytes', 'C A m s A', 'i', 'tc', { changesPkt: true })],
  [10, P('l3_csum_replace', 'C A A A A', 'i', 'tc', { changesPkt: true })],
  [11, P('l4_csum_replace', 'C A A A A', 'i', 'tc', { changesPkt: true })],
  [12, P('tail_call', 'C M A', 'v', 'base')],
  [13, P('clone_redirect', 'C A A', 'i', 'tc', { changesPkt: true })],
  [14, P('get_current_pid_tgid', '', 'i', 'trace')],
  [15, P('get_current_uid_gid', '', 'i', 'trace')],
  [16, P('get_current_comm', 'u s', 'i', 'trace')],
  [17, P('get_cgroup_classid', 'C', 'i', 'tc')],
  [18, P('skb_vlan_push', 'C A A', 'i', 'tc', { changesPkt: true })],
  [19, P('skb_vlan_pop', 'C', 'i', 'tc', { changesPkt: true })],
  [20, P('skb_get_tunnel_key', 'C u s A', 'i', 'tc')],
  [21, P('skb_set_tunnel_key', 'C m s A', 'i', 'tc')],
  [22, P('perf_event_read', 'M A', 'i', 'trace')],
  [23, P('redirect', 'A A', 'i', 'tcxdp')],
  [24, P('get_route_realm', 'C', 'i', 'tc')],
  [25, P('perf_event_output', 'C M A m z', 'i', 'all')],
  [26, P('skb_load_bytes', 'C A u s', 'i', 'skb')],
  [27, P('get_stackid', 'C M A', 'i', 'trace')],
  [28, P('csum_diff', 'mn z mn z A', 'i', 'tcxdp', { pkt: true })],
  [31, P('skb_change_proto', 'C A A', 'i', 'tc', { changesPkt: true })],
  [32, P('skb_change_type', 'C A', 'i', 'tc')],
  [34, P('get_hash_recalc', 'C', 'i', 'tc')],
  [35, P('get_current_task', '', 'i', 'trace', { gpl: true })],
  [38, P('skb_change_tail', 'C A A', 'i', 'tc', { changesPkt: true })],
  [39, P('skb_pull_data', 'C A', 'i', 'tc', { changesPkt: true })],
  [40, P('csum_update', 'C A', 'i', 'tc')],
  [42, P('get_numa_node_id', '', 'i', 'base')],
  [43, P('skb_change_head', 'C A A', 'i', 'tc', { changesPkt: true })],
  [44, P('xdp_adjust_head', 'C A', 'i', 'xdp', { changesPkt: true })],
  [45, P('probe_read_str', 'u z A', 'i', 'trace', { gpl: true })],
  [46, P('get_socket_cookie', 'C', 'i', 'skb')],
  [47, P('get_socket_uid', 'C', 'i', 'skb')],
  [50, P('skb_adjust_room', 'C A A A', 'i', 'tc', { changesPkt: true })],
  [51, P('redirect_map', 'M A A', 'i', 'xdp')],
  [54, P('xdp_adjust_meta', 'C A', 'i', 'xdp', { changesPkt: true })],
  [65, P('xdp_adjust_tail', 'C A', 'i', 'xdp', { changesPkt: true })],
  [67, P('get_stack', 'C u z A', 'i', 'trace', { gpl: true })],
  [68, P('skb_load_bytes_relative', 'C A u s A', 'i', 'skb')],
  [69, P('fib_lookup', 'C m s A', 'i', 'tcxdp')],
  [80, P('get_current_cgroup_id', '', 'i', 'trace')],
  [81, P('get_local_storage', 'M A', 'mv', 'cgskb')],
  [84, P('sk_lookup_tcp', 'C m s A A', 'sk?', 'sock', { pkt: true, acquire: true })],
  [85, P('sk_lookup_udp', 'C m s A A', 'sk?', 'sock', { pkt: true, acquire: true })],
  [86, P('sk_release', 'R', 'i', 'sock')],
  [87, P('map_push_elem', 'M V A', 'i', 'base', { pkt: true })],
  [88, P('map_pop_elem', 'M u', 'i', 'base')],
  [89, P('map_peek_elem', 'M u', 'i', 'base')],
  [93, P('spin_lock', 'L', 'v', 'base')],
  [94, P('spin_unlock', 'L', 'v', 'base')],
  [95, P('sk_fullsock', 'S', 'ssk?', 'sock')],
  [96, P('tcp_sock', 'S', 'tcp?', 'sock')],
  [97, P('skb_ecn_set_ce', 'C', 'i', 'cgtc')],
  [98, P('get_listener_sock', 'S', 'ssk?', 'sock')],
  [99, P('skc_lookup_tcp', 'C m s A A', 'sc?', 'sock', { pkt: true, acquire: true })],
  [100, P('tcp_check_syncookie', 'S m s m s', 'i', 'tcxdp', { pkt: true })],
  [107, P('sk_storage_get', 'M T Vn A', 'mv?', 'cgtc', { gpl: true })],
  [108, P('sk_storage_delete', 'M T', 'i', 'cgtc', { gpl: true })],
  [112, P('probe_read_user', 'u z A', 'i', 'trace', { gpl: true })],
  [113, P('probe_read_kernel', 'u z A', 'i', 'trace', { gpl: true })],
  [114, P('probe_read_user_str', 'u z A', 'i', 'trace', { gpl: true })],
  [115, P('probe_read_kernel_str', 'u z A', 'i', 'trace', { gpl: true })],
  [118, P('jiffies64', '', 'i', 'base')],
  [125, P('ktime_get_boot_ns', '', 'i', 'base')],
  [130, P('ringbuf_output', 'M m z A', 'i', 'base')],
  [131, P('ringbuf_reserve', 'M Z A', 'rb?', 'base', { acquire: true })],
  [132, P('ringbuf_submit', 'B A', 'v', 'base')],
  [133, P('ringbuf_discard', 'B A', 'v', 'base')],
  [134, P('ringbuf_query', 'M A', 'i', 'base')],
  [137, P('skc_to_tcp_sock', 'T', 'btf?', 'base')],
  [139, P('skc_to_tcp_request_sock', 'T', 'btf?', 'base')],
  [160, P('ktime_get_coarse_ns', '', 'i', 'notrace')],
  [181, P('loop', 'A F P A', 'i', 'base')],
  [208, P('ktime_get_tai_ns', '', 'i', 'base')],
]);

const NET_SKB = new Set<number>([ProgType.SOCKET_FILTER, ProgType.SCHED_CLS, ProgType.SCHED_ACT, ProgType.CGROUP_SKB,
  ProgType.LWT_IN, ProgType.LWT_OUT, ProgType.LWT_XMIT, ProgType.SK_SKB, ProgType.SK_REUSEPORT]);
const TRACE = new Set<number>([ProgType.KPROBE, ProgType.TRACEPOINT, ProgType.PERF_EVENT, ProgType.RAW_TRACEPOINT,
  ProgType.RAW_TRACEPOINT_WRITABLE, ProgType.TRACING]);
const TC = new Set<number>([ProgType.SCHED_CLS, ProgType.SCHED_ACT]);

/** Whether a program type may call the helper (get_helper_proto / the type's func_proto). */
export function helperAvailable(h: HelperProto, progType: number): boolean {
  switch (h.avail) {
    case 'base': case 'all': return true;
    case 'notrace': return !TRACE.has(progType);
    case 'trace': return TRACE.has(progType);
    case 'tc': return TC.has(progType);
    case 'xdp': return progType === ProgType.XDP;
    case 'tcxdp': return TC.has(progType) || progType === ProgType.XDP;
    case 'skb': return NET_SKB.has(progType);
    case 'cgskb': return progType === ProgType.CGROUP_SKB || progType === ProgType.CGROUP_SOCK_ADDR ||
      progType === ProgType.CGROUP_SOCK || progType === ProgType.CGROUP_DEVICE || progType === ProgType.SOCK_OPS ||
      progType === ProgType.CGROUP_SYSCTL || progType === ProgType.CGROUP_SOCKOPT;
    case 'cgtc': return TC.has(progType) || progType === ProgType.CGROUP_SKB;
    case 'sock': return TC.has(progType) || progType === ProgType.XDP || progType === ProgType.CGROUP_SKB ||
      progType === ProgType.SK_SKB || progType === ProgType.CGROUP_SOCK_ADDR || progType === ProgType.SK_LOOKUP;
    default: return false;
  }
}

/** The highest helper id Linux 6.18 knows (__BPF_FUNC_MAX_ID - 1). */
export const MAX_HELPER_ID = 211;
