import { describe, it, expect } from 'vitest';
import { helperById, helperByName, helperNames, HELPER_COUNT } from '../../src/asm/helpers.js';
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
