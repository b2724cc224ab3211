import { describe, it, expect } from 'vitest';
import { probe } from '../../src/loader/probe.js';
import { HELPER_COUNT, helperById, helpersAvailableTo } from '../../src/asm/helpers.js';
import { isNotSupportedError } from '../../src/errors.js';
import { canUseBpf, skipReason, fdCount } from './program-helpers.js';

// Every map type of Linux 6.18 (enum bpf_map_type 1..33), each with the attributes it needs.
const MAP_TYPES_6_18 = Array.from({ length: 33 }, (_, i) => i + 1);

describe.skipIf(!canUseBpf)(`feature probes on the kernel${skipReason}`, () => {
  it('knows every 6.18 map type and no type past the last', () => {
    const before = fdCount();
    const missing = MAP_TYPES_6_18.filter((t) => !probe.mapType(t));
    expect(missing).toEqual([]);
    expect(probe.mapType(0)).toBe(false); // BPF_MAP_TYPE_UNSPEC
    expect(probe.mapType(34)).toBe(false);
    expect(probe.mapType(9999)).toBe(false);
    expect(probe.mapType('ringbuf')).toBe(true);
    expect(() => probe.mapType('no_such_map_type')).toThrow(/unknown map type/);
    expect(fdCount()).toBe(before);
  });

  it('program types: the common ones load, unknown numbers do not', () => {
    for (const t of ['socket_filter', 'kprobe', 'sched_cls', 'xdp', 'raw_tracepoint', 'syscall']) {
      expect(probe.programType(t)).toBe(true);
    }
    expect(probe.programType(18)).toBe(true); // cgroup_sock_addr: needs an expected attach type
    expect(probe.programType(27)).toBe(true); // struct_ops: answered through the attach_btf_id check
    expect(probe.programType('tracing')).toBe(true); // answered by a tp_btf load with a bad target
    expect(probe.programType(0)).toBe(false); // BPF_PROG_TYPE_UNSPEC
    expect(probe.programType(33)).toBe(false); // one past the last type of 6.18
  });

  it('helpers: allowed where the kernel allows them, refused elsewhere', () => {
    expect(probe.helper('xdp', 1)).toBe(true); // map_lookup_elem
    expect(probe.helper('xdp', 44)).toBe(true); // xdp_adjust_head
    expect(probe.helper('socket_filter', 44)).toBe(false); // not for socket filters
    expect(probe.helper('kprobe', 6)).toBe(true); // trace_printk
    expect(probe.helper('socket_filter', 100000)).toBe(false); // no such helper
    expect(probe.helper('xdp', 'bpf_xdp_adjust_head')).toBe(true);
    expect(probe.helper('socket_filter', 'xdp_adjust_head')).toBe(false);
  });

  it('kfuncs: registered ones are callable, plain kernel functions and unknown names are not', () => {
    expect(probe.kfunc('xdp', 'bpf_rcu_read_lock')).toBe(true);
    expect(probe.kfunc('syscall', 'bpf_rcu_read_lock')).toBe(true);
    expect(probe.kfunc('xdp', 'bpf_dynptr_from_xdp')).toBe(true);
    expect(probe.kfunc('socket_filter', 'bpf_dynptr_from_xdp')).toBe(false); // XDP only
    expect(probe.kfunc('sched_cls', 'bpf_dynptr_from_skb')).toBe(true);
    expect(probe.kfunc('xdp', 'bpf_dynptr_from_skb')).toBe(false); // skb programs only
    expect(probe.kfunc('xdp', 'schedule')).toBe(false); // in BTF, but no kfunc
    expect(probe.kfunc('xdp', 'no_such_function_xyz')).toBe(false);
    expect(() => probe.requireKfunc('socket_filter', 'bpf_dynptr_from_xdp'))
      .toThrow(/kfunc bpf_dynptr_from_xdp in socket_filter programs/);
  });

  it('caches answers and require* names the missing feature', () => {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 1000; i++) probe.helper('xdp', 44);
    expect(Number(process.hrtime.bigint() - t0) / 1e6).toBeLessThan(50);
    expect(() => probe.requireMapType(2)).not.toThrow();
    let err: unknown;
    try { probe.requireHelper('socket_filter', 44); } catch (e) { err = e; }
    expect(isNotSupportedError(err)).toBe(true);
    expect((err as Error).message).toMatch(/helper 44 in socket_filter programs/);
    expect(() => probe.requireProgramType(0)).toThrow(/program type 0/);
    expect(() => probe.requireMapType(9999)).toThrow(/map type 9999/);
  });
});

describe.skipIf(!canUseBpf)(`helper probes against the generated helper table${skipReason}`, () => {
  // Two independent answers to "may this program type call this helper": the kernel, asked by
  // probe.helper, and src/asm/helpers.ts, generated from Linux 6.18's get_func_proto functions.
  for (const type of ['socket_filter', 'xdp', 'sched_cls', 'cgroup_skb', 'kprobe', 'tracepoint', 'raw_tracepoint', 'syscall']) {
    it(`${type}: the kernel and the table agree on every helper`, () => {
      const table = new Set(helpersAvailableTo(type));
      const disagree: string[] = [];
      for (let id = 1; id < HELPER_COUNT; id++) {
        const kernel = probe.helper(type, id);
        if (kernel !== table.has(id)) disagree.push(`${helperById(id)!.name} (kernel ${kernel ? 'allows' : 'refuses'})`);
      }
      expect(disagree).toEqual([]);
      expect(table.size).toBeGreaterThan(50);
    });
  }
});
