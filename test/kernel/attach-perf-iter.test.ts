import { readdirSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { kernelTestContext } from './privileged.js';
import { ArrayMap, bumpCounter, counterProgram, insn, loadRaw, ret } from './attach-helpers.js';
import { attachPerfEvent, onlineCpus } from '../../src/loader/attach/perf-event.js';
import { attachIter, iterLoadOptions, iterUnsupportedReason, openIter, readIter } from '../../src/loader/attach/iter.js';
import { kernelFunctionBtfId } from '../../src/btf/vmlinux.js';
import { NotSupportedError } from '../../src/errors.js';

const kernel = kernelTestContext('attach: perf events and iterators');
const PERF_EVENT = 7;

function spin(ms: number): void {
  const end = Date.now() + ms;
  let x = 0;
  while (Date.now() < end) x++;
  expect(x).toBeGreaterThan(0);
}

describe.skipIf(!kernel.ok)('perf_event attach', () => {
  it('samples the CPU clock on every CPU and stops after close', () => {
    using map = new ArrayMap();
    using prog = counterProgram(PERF_EVENT, map, 0);
    const link = attachPerfEvent(prog, { sampleFreq: 1000 });
    try {
      expect(link.linkCount).toBe(onlineCpus().length);
      expect(link.info().typeName).toBe('perf_event');
      spin(200);
      expect(map.get()).toBeGreaterThan(20n);
    } finally {
      link.close();
    }
    const after = map.get();
    spin(100);
    expect(map.get()).toBe(after);
  });

  it('samples by period on one CPU', () => {
    using map = new ArrayMap();
    using prog = counterProgram(PERF_EVENT, map, 0);
    using link = attachPerfEvent(prog, { samplePeriod: 1_000_000, cpus: [0] });
    expect(link.linkCount).toBe(1);
    spin(100);
    expect(map.get()).toBeGreaterThan(0n);
  });
});

describe.skipIf(!kernel.ok)('BPF iterators', () => {
  // Some kernels (this machine's, on some boots) refuse map element iterators with a bare EPERM:
  // then the load options must say so with NotSupportedError, and a real load must fail too.
  const mapElemRefused = kernel.ok ? iterUnsupportedReason('bpf_map_elem') : undefined;
  it.runIf(mapElemRefused !== undefined)('map element iterators refused by this kernel: NotSupportedError saying why', () => {
    console.log(`bpf_map_elem iterators: ${mapElemRefused}`);
    expect(() => iterLoadOptions('bpf_map_elem')).toThrow(NotSupportedError);
    expect(() => iterLoadOptions('bpf_map_elem')).toThrow(/BPF iterator bpf_map_elem.*EPERM and no error in the verifier log/);
    const attachBtfId = kernelFunctionBtfId('bpf_iter_bpf_map_elem');
    expect(() => loadRaw(26, ret(0), { expectedAttachType: 28, attachBtfId, license: 'GPL' })).toThrow(/errno 1\b/);
    expect(iterUnsupportedReason('task')).toBeUndefined();
  });

  it.runIf(mapElemRefused === undefined)('walks the elements of an array map and reads their values back', () => {
    using values = new ArrayMap(4);
    [11n, 22n, 33n, 44n].forEach((v, i) => values.set(i, v));
    const code = Buffer.concat([
      insn(0x79, 6, 1, 0, 0), // r6 = ctx->meta
      insn(0x79, 7, 1, 24, 0), // r7 = ctx->value
      insn(0x15, 7, 0, 4, 0), // if r7 == 0 goto out
      insn(0x79, 1, 6, 0, 0), // r1 = meta->seq
      insn(0xbf, 2, 7, 0, 0), // r2 = value
      insn(0xb7, 3, 0, 0, 8), // r3 = 8
      insn(0x85, 0, 0, 0, 127), // call bpf_seq_write
      ret(0),
    ]);
    using prog = loadRaw(26, code, iterLoadOptions('bpf_map_elem'));
    using link = attachIter(prog, { map: values.fd, target: 'bpf_map_elem' });
    expect(link.info().typeName).toBe('iter');
    expect(link.info().mapId).toBeGreaterThan(0);
    const out = readIter(link);
    expect(out.length).toBe(32);
    expect([0, 8, 16, 24].map((o) => out.readBigUInt64LE(o))).toEqual([11n, 22n, 33n, 44n]);
    values.set(2, 99n);
    expect(readIter(link).readBigUInt64LE(16)).toBe(99n);
  });

  it('runs a task iterator over the threads of this process', () => {
    using map = new ArrayMap();
    const code = Buffer.concat([
      insn(0x79, 2, 1, 8, 0), // r2 = ctx->task
      insn(0x15, 2, 0, 9, 0), // if r2 == 0 goto out (skip the 9-slot bump)
      bumpCounter(map),
      ret(0),
    ]);
    using prog = loadRaw(26, code, iterLoadOptions('task'));
    using link = attachIter(prog, { task: { pid: process.pid }, target: 'task' });
    const threads = readdirSync('/proc/self/task').length;
    expect(readIter(link).length).toBe(0);
    expect(map.get()).toBe(BigInt(threads));
    // each read fd walks again
    using again = openIter(link);
    expect(again.fd).toBeGreaterThan(0);
  });
});
