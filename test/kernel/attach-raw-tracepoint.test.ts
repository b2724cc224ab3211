import { execFileSync } from 'node:child_process';
import { describe, it, expect } from 'vitest';
import { kernelTestContext } from './privileged.js';
import { ArrayMap, counterProgram } from './attach-helpers.js';
import { attachRawTracepoint, attachTpBtf, tpBtfLoadOptions } from '../../src/loader/attach/raw-tracepoint.js';
import { isBpfSyscallError } from '../../src/errors.js';

const kernel = kernelTestContext('attach: raw tracepoints');
const RAW_TRACEPOINT = 17;

function execTrue(n: number): void {
  for (let i = 0; i < n; i++) execFileSync('/bin/true');
}

describe.skipIf(!kernel.ok)('raw tracepoint and tp_btf attach', () => {
  it('counts sched_process_exec through a raw_tracepoint link and stops after close', () => {
    using map = new ArrayMap();
    using prog = counterProgram(RAW_TRACEPOINT, map, 0);
    const link = attachRawTracepoint(prog, 'sched_process_exec');
    try {
      expect(link.info().typeName).toBe('raw_tracepoint');
      execTrue(3);
      expect(map.get()).toBeGreaterThanOrEqual(3n);
    } finally {
      link.close();
    }
    const after = map.get();
    execTrue(2);
    expect(map.get()).toBe(after);
  });

  it('refuses an unknown raw tracepoint with ENOENT', () => {
    using map = new ArrayMap();
    using prog = counterProgram(RAW_TRACEPOINT, map, 0);
    let err: unknown;
    try { attachRawTracepoint(prog, 'no_such_tracepoint_here'); } catch (e) { err = e; }
    expect(isBpfSyscallError(err) && err.code).toBe('ENOENT');
  });

  for (const method of ['raw_tracepoint_open', 'link'] as const) {
    it(`attaches a tp_btf program to sched_process_exec (${method})`, () => {
      const o = tpBtfLoadOptions('sched_process_exec');
      expect(o.attachBtfId).toBeGreaterThan(0);
      using map = new ArrayMap();
      using prog = counterProgram(o.type, map, 0, o);
      const link = attachTpBtf(prog, { method, event: 'sched_process_exec' });
      try {
        expect(link.info().typeName).toBe('raw_tracepoint');
        execTrue(3);
        expect(map.get()).toBeGreaterThanOrEqual(3n);
      } finally {
        link.close();
      }
      const after = map.get();
      execTrue(2);
      expect(map.get()).toBe(after);
    });
  }
});
