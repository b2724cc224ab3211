import { execFileSync } from 'node:child_process';
import { describe, it, expect } from 'vitest';
import { kernelTestContext } from './privileged.js';
import { ArrayMap, counterProgram } from './attach-helpers.js';
import { attachTracepoint } from '../../src/loader/attach/tracepoint.js';
import { isBadInputError, isBpfSyscallError, isNotSupportedError } from '../../src/errors.js';

const kernel = kernelTestContext('attach: tracepoints');
const TRACEPOINT = 5;

function execTrue(n: number): void {
  for (let i = 0; i < n; i++) execFileSync('/bin/true');
}

describe.skipIf(!kernel.ok)('tracepoint attach', () => {
  for (const method of ['link', 'ioctl'] as const) {
    it(`counts execve through syscalls/sys_enter_execve (${method}) and stops after close`, () => {
      using map = new ArrayMap();
      using prog = counterProgram(TRACEPOINT, map, 0);
      const link = attachTracepoint(prog, 'syscalls/sys_enter_execve', { method });
      try {
        expect(link.kind).toBe('tracepoint');
        expect(link.isBpfLink).toBe(method === 'link');
        if (method === 'link') expect(link.info().typeName).toBe('perf_event');
        execTrue(3);
        expect(map.get()).toBeGreaterThanOrEqual(3n);
      } finally {
        link.close();
      }
      const after = map.get();
      execTrue(2);
      expect(map.get()).toBe(after);
      expect(link.closed).toBe(true);
    });
  }

  it('names a missing tracepoint and rejects a malformed name', () => {
    using map = new ArrayMap();
    using prog = counterProgram(TRACEPOINT, map, 0);
    let err: unknown;
    try { attachTracepoint(prog, 'syscalls/sys_enter_no_such_call'); } catch (e) { err = e; }
    expect(isNotSupportedError(err)).toBe(true);
    expect(String(err)).toMatch(/category syscalls has no event sys_enter_no_such_call/);
    expect(() => attachTracepoint(prog, 'sys_enter_execve')).toThrow(/category\/name/);
    let bad: unknown;
    try { attachTracepoint(prog, 'nope'); } catch (e) { bad = e; }
    expect(isBadInputError(bad)).toBe(true);
  });

  it('says when the program type does not fit, through both the link and the ioctl', () => {
    using map = new ArrayMap();
    using prog = counterProgram(1 /* socket_filter */, map, 0);
    for (const method of ['auto', 'link', 'ioctl'] as const) {
      let err: unknown;
      try { attachTracepoint(prog, 'syscalls/sys_enter_execve', { method }); } catch (e) { err = e; }
      expect(isBpfSyscallError(err) && err.code, method).toBe('EINVAL');
      if (method === 'auto') {
        expect(String(err)).toMatch(/BPF_LINK_CREATE \(tracepoint syscalls\/sys_enter_execve\) \(and the PERF_EVENT_IOC_SET_BPF fallback\) failed: EINVAL/);
        expect(String(err)).toMatch(/tracepoints take tracepoint programs/);
      }
    }
  });
});
