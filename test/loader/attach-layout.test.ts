import { describe, it, expect } from 'vitest';
import { encodePerfEventAttr, PERF_ATTR_SIZE, PerfType, splitTracepoint } from '../../src/loader/perf-event.js';
import { isBadInputError } from '../../src/errors.js';
import { uniqueName } from '../../src/loader/netns.js';

describe('perf_event_attr layout', () => {
  it('puts type, size, config, period, flags, config1 and config2 where the uapi header has them', () => {
    const b = encodePerfEventAttr({
      type: 8, config: 1n, samplePeriod: 4000, freq: true, disabled: true, config1: 0x1234_5678_9a, config2: 0x40n,
    });
    expect(b.length).toBe(PERF_ATTR_SIZE);
    expect(PERF_ATTR_SIZE).toBe(136);
    expect(b.readUInt32LE(0)).toBe(8);
    expect(b.readUInt32LE(4)).toBe(136);
    expect(b.readBigUInt64LE(8)).toBe(1n);
    expect(b.readBigUInt64LE(16)).toBe(4000n);
    // disabled is bit 0, freq bit 10 of the flags word at 40
    expect(b.readBigUInt64LE(40)).toBe((1n << 10n) | 1n);
    expect(b.readBigUInt64LE(56)).toBe(0x1234_5678_9an);
    expect(b.readBigUInt64LE(64)).toBe(0x40n);
  });

  it('leaves everything else zero for a plain tracepoint', () => {
    const b = encodePerfEventAttr({ type: PerfType.TRACEPOINT, config: 77n });
    const rest = Buffer.concat([b.subarray(16, 136)]);
    expect(rest.every((x) => x === 0)).toBe(true);
  });
});

describe('tracepoint names', () => {
  it('splits category/name and category:name', () => {
    expect(splitTracepoint('syscalls/sys_enter_execve')).toEqual(['syscalls', 'sys_enter_execve']);
    expect(splitTracepoint('sched:sched_switch')).toEqual(['sched', 'sched_switch']);
  });

  it('refuses anything else as bad input', () => {
    for (const bad of ['sys_enter_execve', 'a/b/c', '', '../x/y', 'a/']) {
      let err: unknown;
      try { splitTracepoint(bad); } catch (e) { err = e; }
      expect(isBadInputError(err), bad).toBe(true);
    }
  });
});

describe('names for namespaces and interfaces', () => {
  it('are unique and fit IFNAMSIZ', () => {
    const names = Array.from({ length: 50 }, () => uniqueName('tsv'));
    expect(new Set(names).size).toBe(50);
    for (const n of names) expect(n.length).toBeLessThanOrEqual(15);
    expect(() => uniqueName('a-very-long-prefix')).toThrow(/longer than 15 bytes/);
  });
});
