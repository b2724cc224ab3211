import { describe, expect, it } from 'vitest';
import { asm, R0, R1, R2, R10 } from '../../../src/asm/dsl/index.js';
import type { WritableRegister } from '../../../src/asm/dsl/index.js';
import { I, badInput, bare } from './util.js';

describe('calls and exit', () => {
  it('helpers by name with or without bpf_, by uapi constant, and by id', () => {
    expect(bare(asm.call('map_lookup_elem'))).toEqual(I(0x85, 0, 0, 0, 1));
    expect(bare(asm.call('bpf_map_lookup_elem'))).toEqual(I(0x85, 0, 0, 0, 1));
    expect(bare(asm.call('BPF_FUNC_ktime_get_ns'))).toEqual(I(0x85, 0, 0, 0, 5));
    expect(bare(asm.call('trace_printk'))).toEqual(I(0x85, 0, 0, 0, 6));
    expect(bare(asm.call(14))).toEqual(I(0x85, 0, 0, 0, 14));
  });

  it('unknown helpers fail with near matches', () => {
    const e = badInput(() => asm.call('map_lokup_elem'));
    expect(e.problem).toMatch(/^call: unknown helper "map_lokup_elem"; did you mean 'map_lookup_elem'/);
    expect(badInput(() => asm.call('get_current_pid')).problem).toMatch(/'get_current_pid_tgid'/);
    expect(badInput(() => asm.call('zzzzzzzzzzzzzzzz')).problem).toBe('call: unknown helper "zzzzzzzzzzzzzzzz"');
    expect(badInput(() => asm.call('unspec')).problem).toMatch(/unknown helper "unspec"/);
    expect(badInput(() => asm.call(0)).problem).toMatch(/call: 0 is not a helper id of Linux 6.18/);
    expect(badInput(() => asm.call(100_000)).problem).toMatch(/100000 is not a helper id/);
    expect(badInput(() => asm.call(-1)).problem).toMatch(/-1 is not a helper id/);
  });

  it('BPF-to-BPF calls and kfuncs', () => {
    expect(bare(asm.callSub('fn'))).toEqual({ ...I(0x85, 0, 1, 0, 0), target: 'fn' });
    expect(bare(asm.callSub(5))).toEqual(I(0x85, 0, 1, 0, 5));
    expect(bare(asm.kfunc('bpf_obj_new_impl'))).toEqual({ ...I(0x85, 0, 2, 0, 0), kfunc: 'bpf_obj_new_impl' });
    expect(bare(asm.kfunc('my_mod_fn', { btfFdIndex: 3 }))).toEqual({ ...I(0x85, 0, 2, 3, 0), kfunc: 'my_mod_fn' });
    expect(badInput(() => asm.kfunc('')).problem).toMatch(/kfunc: label must be a non-empty string/);
    expect(badInput(() => asm.kfunc('f', { btfFdIndex: -1 })).problem).toBe('kfunc: btfFdIndex must not be negative, got -1');
    expect(badInput(() => asm.kfunc('f', null as unknown as {})).problem).toBe('kfunc: options must be an object, got null');
  });

  it('exit', () => {
    expect(bare(asm.exit())).toEqual(I(0x95, 0, 0, 0, 0));
  });
});

describe('LD_IMM64 builders', () => {
  it('lddw splits a 64-bit constant into its halves', () => {
    expect(bare(asm.lddw(R1, 0x1234_5678_9abc_def0n))).toEqual({ ...I(0x18, 1, 0, 0, 0x9abc_def0 | 0), immHi: 0x1234_5678 });
    expect(bare(asm.lddw(R1, -1n))).toEqual({ ...I(0x18, 1, 0, 0, -1), immHi: -1 });
    expect(bare(asm.lddw(R1, 0xffff_ffff_ffff_ffffn))).toEqual({ ...I(0x18, 1, 0, 0, -1), immHi: -1 });
    expect(bare(asm.lddw(R2, 5))).toEqual({ ...I(0x18, 2, 0, 0, 5), immHi: 0 });
    expect(bare(asm.lddw(R2, 2 ** 40))).toEqual({ ...I(0x18, 2, 0, 0, 0), immHi: 256 });
    expect(badInput(() => asm.lddw(R1, 1n << 64n)).problem).toMatch(/lddw: value must fit in 64 bits/);
    expect(badInput(() => asm.lddw(R1, 2 ** 60)).problem).toMatch(/lddw: value must be a safe integer or a bigint/);
    expect(badInput(() => asm.lddw(R10 as unknown as WritableRegister, 1)).problem).toMatch(/lddw: dst cannot be r10/);
  });

  it('map references by name or object', () => {
    expect(bare(asm.loadMap(R1, 'events'))).toEqual({ ...I(0x18, 1, 1, 0, 0), immHi: 0, map: 'events' });
    const spec = { name: 'counts', keySize: 4, valueSize: 8, type: 'array' };
    expect(bare(asm.loadMap(R1, spec))).toEqual({ ...I(0x18, 1, 1, 0, 0), immHi: 0, map: 'counts' });
    expect(bare(asm.loadMapValue(R2, 'globals', 16))).toEqual({ ...I(0x18, 2, 2, 0, 0), immHi: 16, map: 'globals' });
    expect(bare(asm.loadMapValue(R2, spec))).toEqual({ ...I(0x18, 2, 2, 0, 0), immHi: 0, map: 'counts' });
    expect(badInput(() => asm.loadMap(R1, '')).problem).toMatch(/loadMap: map name must be non-empty/);
    expect(badInput(() => asm.loadMap(R1, { fd: 3 } as unknown as string)).problem).toBe('loadMap: map object has no name (name the spec, or pass the name), got name undefined');
    expect(badInput(() => asm.loadMap(R1, { name: '' })).problem).toMatch(/has no name .*got name ""/);
    expect(bare(asm.loadMap(R1, { spec: { name: 'loaded', keySize: 4 } }))).toEqual({ ...I(0x18, 1, 1, 0, 0), immHi: 0, map: 'loaded' });
    expect(badInput(() => asm.loadMap(R1, 7 as unknown as string)).problem).toBe('loadMap: map must be a name or an object with a name, got 7');
    expect(badInput(() => asm.loadMapValue(R1, 'g', -1)).problem).toMatch(/value offset must be an integer 0..2147483647, got -1/);
  });

  it('function references', () => {
    expect(bare(asm.loadFunc(R2, 'callback'))).toEqual({ ...I(0x18, 2, 4, 0, 0), immHi: 0, target: 'callback' });
    expect(badInput(() => asm.loadFunc(R2, 3 as unknown as string)).problem).toMatch(/loadFunc: label must be/);
  });

  it('R0 is writable', () => {
    expect(bare(asm.lddw(R0, 1))).toEqual({ ...I(0x18, 0, 0, 0, 1), immHi: 0 });
  });
});
