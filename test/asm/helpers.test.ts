import { describe, it, expect } from 'vitest';
import {
  helperById, helperByName, helperNames, HELPER_COUNT, helperProtoFor, helperAvailability, helperProtoBySymbol,
  helperProtos, helpersAvailableTo, helperFuncProtoOf, HELPER_TABLE_LOCKDOWN, helperAcceptsMap,
} from '../../src/asm/helpers.js';
import type { HelperProto } from '../../src/asm/helpers.js';
import { ProgramType, programTypeNumber, programTypeName } from '../../src/asm/prog-types.js';
import { MapType, mapTypeNumber, mapTypeName } from '../../src/asm/map-types.js';
import { AttachType, attachTypeNumber, attachTypeName } from '../../src/asm/attach-types.js';

describe('helper ids and names', () => {
  it('follow the uapi order at known anchors', () => {
    const anchors: Array<[string, number]> = [
      ['unspec', 0], ['map_lookup_elem', 1], ['map_update_elem', 2], ['map_delete_elem', 3],
      ['probe_read', 4], ['ktime_get_ns', 5], ['trace_printk', 6], ['tail_call', 12],
      ['get_current_pid_tgid', 14], ['perf_event_output', 25], ['skb_load_bytes', 26],
      ['xdp_adjust_head', 44], ['probe_read_kernel', 113], ['ringbuf_output', 130],
      ['ringbuf_reserve', 131], ['loop', 181], ['cgrp_storage_delete', 211],
    ];
    for (const [name, id] of anchors) {
      expect(helperByName(name)?.id, name).toBe(id);
      expect(helperById(id)?.name, String(id)).toBe(name);
    }
  });

  it('has 212 ids (Linux 6.18) and no duplicate names', () => {
    expect(HELPER_COUNT).toBe(212);
    expect(helperNames.length).toBe(212);
    expect(new Set(helperNames).size).toBe(212);
    expect(helperById(212)).toBeUndefined();
    expect(helperById(-1)).toBeUndefined();
    expect(helperById(1.5)).toBeUndefined();
  });

  it('accepts the bpf_ and BPF_FUNC_ spellings', () => {
    expect(helperByName('bpf_map_lookup_elem')?.id).toBe(1);
    expect(helperByName('BPF_FUNC_trace_printk')?.id).toBe(6);
    expect(helperByName('bpf_no_such_helper')).toBeUndefined();
    expect(helperByName('')).toBeUndefined();
  });
});

describe('uapi enums', () => {
  it('program types', () => {
    expect(ProgramType.SOCKET_FILTER).toBe(1);
    expect(ProgramType.XDP).toBe(6);
    expect(ProgramType.SYSCALL).toBe(31);
    expect(ProgramType.NETFILTER).toBe(32);
    expect(programTypeNumber('xdp')).toBe(6);
    expect(programTypeNumber('BPF_PROG_TYPE_XDP')).toBe(6);
    expect(programTypeNumber('SCHED_CLS')).toBe(3);
    expect(programTypeNumber(32)).toBe(32);
    expect(programTypeNumber(33)).toBeUndefined();
    expect(programTypeNumber('nope')).toBeUndefined();
    expect(programTypeName(17)).toBe('raw_tracepoint');
  });

  it('map types keep the current spelling of aliased members', () => {
    expect(MapType.RINGBUF).toBe(27);
    expect(MapType.CGROUP_STORAGE).toBe(MapType.CGROUP_STORAGE_DEPRECATED);
    expect(mapTypeName(19)).toBe('cgroup_storage');
    expect(mapTypeNumber('cgroup_storage_deprecated')).toBe(19);
    expect(mapTypeNumber('BPF_MAP_TYPE_ARENA')).toBe(33);
    expect(mapTypeName(34)).toBeUndefined();
  });

  it('attach types', () => {
    expect(AttachType.CGROUP_INET_INGRESS).toBe(0);
    expect(AttachType.XDP).toBe(37);
    expect(AttachType.TRACE_UPROBE_SESSION).toBe(57);
    expect(attachTypeNumber('BPF_TRACE_FENTRY')).toBe(24);
    expect(attachTypeName(46)).toBe('tcx_ingress');
  });
});

const id = (name: string): number => {
  const h = helperByName(name);
  if (!h) throw new Error(`no helper ${name}`);
  return h.id;
};
const sym = (s: string): HelperProto => {
  const p = helperProtoBySymbol(s);
  if (!p) throw new Error(`no proto ${s}`);
  return p;
};
const NO_FLAGS = { gplOnly: false, pktAccess: false, mightSleep: false, allowFastcall: false };

describe('helper protos', () => {
  it('map_lookup_elem', () => {
    expect(sym('bpf_map_lookup_elem_proto')).toEqual({
      helper: 1, symbol: 'bpf_map_lookup_elem_proto', file: 'kernel/bpf/helpers.c',
      ...NO_FLAGS, pktAccess: true,
      ret: { type: 'PTR_TO_MAP_VALUE', flags: ['PTR_MAYBE_NULL'] },
      args: [{ type: 'CONST_MAP_PTR', flags: [] }, { type: 'PTR_TO_MAP_KEY', flags: [] }],
    });
    expect(helperByName('map_lookup_elem')!.protos.map((p) => p.symbol)).toEqual(['bpf_map_lookup_elem_proto']);
  });

  it('probe_read_kernel: ARG_PTR_TO_UNINIT_MEM splits into PTR_TO_MEM with MEM_UNINIT | MEM_WRITE', () => {
    expect(sym('bpf_probe_read_kernel_proto')).toEqual({
      helper: 113, symbol: 'bpf_probe_read_kernel_proto', file: 'kernel/trace/bpf_trace.c',
      ...NO_FLAGS, gplOnly: true,
      ret: { type: 'INTEGER', flags: [] },
      args: [
        { type: 'PTR_TO_MEM', flags: ['MEM_UNINIT', 'MEM_WRITE'] },
        { type: 'CONST_SIZE_OR_ZERO', flags: [] },
        { type: 'ANYTHING', flags: [] },
      ],
    });
  });

  it('skb_load_bytes, and its variants kept by symbol', () => {
    expect(sym('bpf_skb_load_bytes_proto')).toEqual({
      helper: 26, symbol: 'bpf_skb_load_bytes_proto', file: 'net/core/filter.c', ...NO_FLAGS,
      ret: { type: 'INTEGER', flags: [] },
      args: [
        { type: 'PTR_TO_CTX', flags: [] }, { type: 'ANYTHING', flags: [] },
        { type: 'PTR_TO_MEM', flags: ['MEM_UNINIT', 'MEM_WRITE'] }, { type: 'CONST_SIZE', flags: [] },
      ],
    });
    expect(helperByName('skb_load_bytes')!.protos.map((p) => p.symbol)).toEqual(
      ['bpf_flow_dissector_load_bytes_proto', 'bpf_skb_load_bytes_proto', 'sk_reuseport_load_bytes_proto']);
    expect(sym('bpf_skb_load_bytes_relative_proto').helper).toBe(id('skb_load_bytes_relative'));
  });

  it('ringbuf_reserve: RET_PTR_TO_RINGBUF_MEM_OR_NULL splits into PTR_TO_MEM with flags', () => {
    expect(sym('bpf_ringbuf_reserve_proto')).toEqual({
      helper: 131, symbol: 'bpf_ringbuf_reserve_proto', file: 'kernel/bpf/ringbuf.c', ...NO_FLAGS,
      ret: { type: 'PTR_TO_MEM', flags: ['PTR_MAYBE_NULL', 'MEM_RINGBUF'] },
      args: [{ type: 'CONST_MAP_PTR', flags: [] }, { type: 'CONST_ALLOC_SIZE_OR_ZERO', flags: [] }, { type: 'ANYTHING', flags: [] }],
    });
    expect(sym('bpf_ringbuf_submit_proto').args[0]).toEqual({ type: 'PTR_TO_RINGBUF_MEM', flags: ['OBJ_RELEASE'] });
    expect(sym('bpf_ringbuf_submit_proto').ret.type).toBe('VOID');
  });

  it('trace_printk', () => {
    expect(sym('bpf_trace_printk_proto')).toEqual({
      helper: 6, symbol: 'bpf_trace_printk_proto', file: 'kernel/trace/bpf_trace.c', ...NO_FLAGS, gplOnly: true,
      ret: { type: 'INTEGER', flags: [] },
      args: [{ type: 'PTR_TO_MEM', flags: ['MEM_RDONLY'] }, { type: 'CONST_SIZE', flags: [] }],
    });
  });

  it('fixed-size arguments carry their size, BTF ids their kernel reference', () => {
    const p = sym('bpf_tcp_raw_check_syncookie_ipv6_proto');
    expect(p.args[0]).toEqual({ type: 'PTR_TO_MEM', flags: ['MEM_FIXED_SIZE'], size: 40 });
    expect(p.args[1]).toEqual({ type: 'PTR_TO_MEM', flags: ['MEM_FIXED_SIZE'], size: 20 });
    const t = sym('bpf_get_current_task_btf_proto');
    expect(t.ret).toEqual({ type: 'PTR_TO_BTF_ID', flags: ['PTR_TRUSTED'], btfId: 'btf_tracing_ids[BTF_TRACING_TYPE_TASK]' });
  });

  it('every proto is consistent', () => {
    expect(helperProtos.length).toBeGreaterThan(250);
    for (const p of helperProtos) {
      expect(p.args.length, p.symbol).toBeLessThanOrEqual(5);
      if (p.args.length) expect(p.args[p.args.length - 1]!.type, p.symbol).not.toBe('DONTCARE');
      for (const a of p.args) expect(a.flags.includes('MEM_FIXED_SIZE'), p.symbol).toBe(a.size !== undefined);
      // Every proto belongs to a helper, and only to that helper's list.
      expect(p.helper, p.symbol).toBeTypeOf('number');
      expect(helperById(p.helper!)!.protos, p.symbol).toContain(p);
    }
  });
});

describe('helper availability per program type (root)', () => {
  it('xdp has xdp_adjust_head but not skb_load_bytes', () => {
    expect(helperProtoFor('xdp', id('xdp_adjust_head'))?.symbol).toBe('bpf_xdp_adjust_head_proto');
    expect(helperProtoFor('xdp', id('skb_load_bytes'))).toBeUndefined();
    expect(helperProtoFor('xdp', id('xdp_load_bytes'))?.symbol).toBe('bpf_xdp_load_bytes_proto');
  });

  it('socket_filter has skb_load_bytes, not xdp_adjust_head nor skb_store_bytes', () => {
    expect(helperProtoFor('socket_filter', id('skb_load_bytes'))?.symbol).toBe('bpf_skb_load_bytes_proto');
    expect(helperProtoFor(1, id('xdp_adjust_head'))).toBeUndefined();
    expect(helperProtoFor('socket_filter', id('skb_store_bytes'))).toBeUndefined();
    expect(helperProtoFor('sched_cls', id('skb_store_bytes'))?.symbol).toBe('bpf_skb_store_bytes_proto');
  });

  it('probe_read_kernel: tracing types have it, and so does socket_filter for a privileged loader', () => {
    // bpf_base_func_proto hands the CAP_PERFMON helpers to every type that falls through to it.
    expect(helperProtoFor('kprobe', id('probe_read_kernel'))?.symbol).toBe('bpf_probe_read_kernel_proto');
    expect(helperProtoFor('socket_filter', id('probe_read_kernel'))?.symbol).toBe('bpf_probe_read_kernel_proto');
    // probe_write_user needs CAP_SYS_ADMIN and bpf_tracing_func_proto: tracing types only.
    const none = { lockdown: 'none' } as const;
    expect(helperProtoFor('kprobe', id('probe_write_user'), none)?.symbol).toBe('bpf_probe_write_user_proto');
    expect(helperProtoFor('socket_filter', id('probe_write_user'), none)).toBeUndefined();
    expect(helperProtoFor('xdp', id('probe_write_user'), none)).toBeUndefined();
  });

  it('follows kernel lockdown: integrity takes probe_write_user, confidentiality the kernel reads', () => {
    const pwu = id('probe_write_user');
    const prk = id('probe_read_kernel');
    expect(HELPER_TABLE_LOCKDOWN).toBe('integrity');
    expect(helperProtoFor('kprobe', pwu)).toBeUndefined();
    expect(helperProtoFor('kprobe', pwu, { lockdown: 'integrity' })).toBeUndefined();
    expect(helperProtoFor('kprobe', prk, { lockdown: 'integrity' })?.symbol).toBe('bpf_probe_read_kernel_proto');
    expect(helperProtoFor('kprobe', prk, { lockdown: 'confidentiality' })).toBeUndefined();
    expect(helperProtoFor('kprobe', id('probe_read'), { lockdown: 'confidentiality' })).toBeUndefined();
    expect(helperProtoFor('kprobe', id('probe_read_user'), { lockdown: 'confidentiality' })?.symbol).toBe('bpf_probe_read_user_proto');
  });

  it('applies the load-time default attach type of cgroup_sock and sk_reuseport', () => {
    // bpf_prog_load_fixup_attach_type: attach type 0 means inet_sock_create for cgroup_sock.
    const gr = id('get_retval');
    expect(helperProtoFor('cgroup_sock', gr)?.symbol).toBe('bpf_get_retval_proto');
    expect(helperProtoFor('cgroup_sock', gr, { attachType: 0 })?.symbol).toBe('bpf_get_retval_proto');
    expect(helperProtoFor('cgroup_sock', gr, { attachType: 'cgroup_inet_sock_release' })?.symbol).toBe('bpf_get_retval_proto');
    // cgroup_skb has no such default: 0 is cgroup_inet_ingress, where get_retval is withheld.
    expect(helperProtoFor('cgroup_skb', gr)).toBeUndefined();
    expect(helperProtoFor('cgroup_skb', gr, { attachType: 'cgroup_inet_egress' })).toBeUndefined();
    expect(helperProtoFor('cgroup_sock_addr', gr, { attachType: 'cgroup_inet4_connect' })?.symbol).toBe('bpf_get_retval_proto');
    expect(helperProtoFor('cgroup_sock_addr', gr, { attachType: 'cgroup_inet4_getpeername' })).toBeUndefined();
    expect(helperProtoFor('xdp', id('xdp_adjust_head'), { attachType: 'no_such_attach' })).toBeUndefined();
  });

  it('tracepoint has get_current_pid_tgid and the tp variants of the ctx helpers', () => {
    expect(helperProtoFor('tracepoint', id('get_current_pid_tgid'))?.symbol).toBe('bpf_get_current_pid_tgid_proto');
    expect(helperProtoFor('tracepoint', id('perf_event_output'))?.symbol).toBe('bpf_perf_event_output_proto_tp');
    expect(helperProtoFor('tracepoint', id('get_stack'))?.symbol).toBe('bpf_get_stack_proto_tp');
  });

  it('perf_event_output and get_stack differ per program type', () => {
    const pe = id('perf_event_output');
    expect(helperProtoFor('kprobe', pe)?.symbol).toBe('bpf_perf_event_output_proto');
    expect(helperProtoFor('raw_tracepoint', pe)?.symbol).toBe('bpf_perf_event_output_proto_raw_tp');
    expect(helperProtoFor('xdp', pe)?.symbol).toBe('bpf_xdp_event_output_proto');
    expect(helperProtoFor('sched_cls', pe)?.symbol).toBe('bpf_skb_event_output_proto');
    expect(helperProtoFor('cgroup_sock', pe)?.symbol).toBe('bpf_event_output_data_proto');
    const gs = id('get_stack');
    expect(helperProtoFor('kprobe', gs)?.symbol).toBe('bpf_get_stack_proto');
    expect(helperProtoFor('kprobe', gs, { sleepable: true })?.symbol).toBe('bpf_get_stack_sleepable_proto');
    expect(helperProtoFor('perf_event', gs)?.symbol).toBe('bpf_get_stack_proto_pe');
    // syscall programs are always sleepable.
    const ts = id('get_task_stack');
    expect(helperProtoFor('syscall', ts)?.symbol).toBe('bpf_get_task_stack_sleepable_proto');
    expect(helperProtoFor('syscall', ts, { sleepable: false })?.symbol).toBe('bpf_get_task_stack_proto');
  });

  it('depends on the expected attach type where the kernel does', () => {
    const bind = id('bind');
    expect(helperProtoFor('cgroup_sock_addr', bind, { attachType: 'cgroup_inet4_connect' })?.symbol).toBe('bpf_bind_proto');
    expect(helperProtoFor('cgroup_sock_addr', bind, { attachType: 'cgroup_inet4_bind' })).toBeUndefined();
    expect(helperProtoFor('cgroup_sock_addr', bind)).toBeUndefined();
    const ip = id('get_func_ip');
    expect(helperProtoFor('kprobe', ip)?.symbol).toBe('bpf_get_func_ip_proto_kprobe');
    expect(helperProtoFor('kprobe', ip, { attachType: 'trace_kprobe_multi' })?.symbol).toBe('bpf_get_func_ip_proto_kprobe_multi');
    expect(helperProtoFor('kprobe', ip, { attachType: 'trace_uprobe_session' })?.symbol).toBe('bpf_get_func_ip_proto_uprobe_multi');
  });

  it('keeps the alternatives of choices it cannot model', () => {
    const a = helperAvailability('lsm', id('setsockopt'), { attachType: 'lsm_cgroup' });
    expect(a?.proto.symbol).toBe('bpf_sk_setsockopt_proto');
    expect(a?.alternatives.map((p) => p?.symbol ?? null)).toEqual(['bpf_unlocked_sk_setsockopt_proto', null]);
    expect(helperAvailability('lsm', id('setsockopt'), { attachType: 'lsm_mac' })).toBeUndefined();
    expect(helperAvailability('xdp', id('xdp_adjust_head'))?.alternatives).toEqual([]);
  });

  it('answers nothing for unknown types, unspec and load-time types', () => {
    expect(helperProtoFor('no_such_type', 1)).toBeUndefined();
    expect(helperProtoFor('xdp', 0)).toBeUndefined();
    expect(helperProtoFor('xdp', 999)).toBeUndefined();
    expect(helperProtoFor('struct_ops', 1)).toBeUndefined();
    expect(helperFuncProtoOf('struct_ops')).toBeNull();
    expect(helperFuncProtoOf('xdp')).toBe('xdp_func_proto');
    expect(helperFuncProtoOf(3)).toBe('tc_cls_act_func_proto');
  });

  it('every program type falling through to bpf_base_func_proto has the map helpers', () => {
    for (const pt of ['socket_filter', 'kprobe', 'sched_cls', 'tracepoint', 'xdp', 'perf_event', 'cgroup_skb',
      'raw_tracepoint', 'tracing', 'lsm', 'syscall', 'netfilter', 'sk_lookup', 'cgroup_sock_addr']) {
      const ids = helpersAvailableTo(pt);
      expect(ids, pt).toContain(1);
      expect(ids, pt).toContain(2);
      expect(ids, pt).toContain(3);
      expect(helperProtoFor(pt, 1), pt).toBe(sym('bpf_map_lookup_elem_proto'));
    }
  });
});

describe('helper traits', () => {
  it('match the verifier predicates at known helpers', () => {
    const t = (n: string) => helperByName(n)!.traits;
    expect(t('skb_store_bytes').changesPktData).toBe(true);
    expect(t('xdp_adjust_head').changesPktData).toBe(true);
    expect(t('tail_call').changesPktData).toBe(true);
    expect(t('skb_load_bytes').changesPktData).toBe(false);
    expect(t('sk_lookup_tcp').acquire).toBe(true);
    expect(t('ringbuf_reserve').acquire).toBe(true);
    expect(t('kptr_xchg').acquire).toBe(true);
    expect(t('map_lookup_elem').acquire).toBe(false);
    expect(t('sk_fullsock').ptrCast).toBe(true);
    expect(t('skc_to_tcp_sock').ptrCast).toBe(true);
    expect(t('dynptr_data').dynptrRef).toBe(true);
    expect(t('loop').syncCallback).toBe(true);
    expect(t('for_each_map_elem').syncCallback).toBe(true);
    expect(t('timer_set_callback').asyncCallback).toBe(true);
    expect(t('timer_set_callback').syncCallback).toBe(false);
    expect(t('task_storage_get').storageGet).toBe(true);
    const counts = { changesPktData: 0, acquire: 0, syncCallback: 0 };
    for (let i = 0; i < HELPER_COUNT; i++) {
      const tr = helperById(i)!.traits;
      for (const k of Object.keys(counts) as Array<keyof typeof counts>) if (tr[k]) counts[k]++;
    }
    expect(counts).toEqual({ changesPktData: 23, acquire: 5, syncCallback: 4 });
  });
});

describe('map types per helper (check_map_func_compatibility)', () => {
  it('restricts special maps to their helpers and helpers to their maps', () => {
    expect(helperAcceptsMap(id('map_lookup_elem'), 'hash')).toBe(true);
    expect(helperAcceptsMap(id('map_lookup_elem'), 'array_of_maps')).toBe(true);
    expect(helperAcceptsMap(id('map_update_elem'), 'array_of_maps')).toBe(false);
    expect(helperAcceptsMap(id('map_lookup_elem'), 'ringbuf')).toBe(false);
    expect(helperAcceptsMap(id('ringbuf_output'), 'ringbuf')).toBe(true);
    expect(helperAcceptsMap(id('ringbuf_output'), 'hash')).toBe(false);
    expect(helperAcceptsMap(id('tail_call'), 'prog_array')).toBe(true);
    expect(helperAcceptsMap(id('tail_call'), 'array')).toBe(false);
    expect(helperAcceptsMap(id('map_lookup_elem'), 'prog_array')).toBe(false);
    expect(helperAcceptsMap(id('perf_event_output'), 'perf_event_array')).toBe(true);
    expect(helperAcceptsMap(id('get_stackid'), 'stack_trace')).toBe(true);
    expect(helperAcceptsMap(id('map_lookup_percpu_elem'), 'percpu_array')).toBe(true);
    expect(helperAcceptsMap(id('map_lookup_percpu_elem'), 'array')).toBe(false);
    expect(helperAcceptsMap(id('map_push_elem'), 'bloom_filter')).toBe(true);
    expect(helperAcceptsMap(id('map_pop_elem'), 'bloom_filter')).toBe(false);
    expect(helperAcceptsMap(id('redirect_map'), 'xskmap')).toBe(true);
    expect(helperAcceptsMap(id('map_lookup_elem'), 'cpumap')).toBe(false);
    expect(helperAcceptsMap(id('kptr_xchg'), 'task_storage')).toBe(true);
  });

  it('asks the program type for sockmap updates (may_update_sockmap)', () => {
    const upd = id('map_update_elem');
    const del = id('map_delete_elem');
    expect(helperAcceptsMap(upd, 'sockmap')).toBe(false);
    expect(helperAcceptsMap(upd, 'sockmap', 'xdp')).toBe(true);
    expect(helperAcceptsMap(upd, 'sockhash', 'sched_cls')).toBe(true);
    expect(helperAcceptsMap(upd, 'sockmap', 'kprobe')).toBe(false);
    expect(helperAcceptsMap(upd, 'sockmap', 'sock_ops')).toBe(false);
    expect(helperAcceptsMap(del, 'sockmap', 'sock_ops')).toBe(true);
    expect(helperAcceptsMap(upd, 'sockmap', 'tracing', 'trace_iter')).toBe(true);
    expect(helperAcceptsMap(upd, 'sockmap', 'tracing', 'trace_fentry')).toBe(false);
    expect(helperAcceptsMap(id('sock_map_update'), 'sockmap')).toBe(true);
    expect(helperAcceptsMap(id('map_lookup_elem'), 'sockhash')).toBe(true);
  });

  it('answers false for unknown inputs', () => {
    expect(helperAcceptsMap(1, 'no_such_map')).toBe(false);
    expect(helperAcceptsMap(1, 0)).toBe(false);
    expect(helperAcceptsMap(0, 'hash')).toBe(false);
    expect(helperAcceptsMap(999, 'hash')).toBe(false);
  });
});
