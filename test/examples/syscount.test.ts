import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readdirSync, readlinkSync } from 'node:fs';
import { getPriority } from 'node:os';
import { describe, it, expect } from 'vitest';
import { kernelTestContext } from '../kernel/privileged.js';
import { run } from '../../examples/syscount.js';
import type { SyscountReport } from '../../examples/syscount.js';

const kernel = kernelTestContext('examples/syscount');

/** This process's open fds as `fd -> target` (what an example could leave behind). */
const fds = (): string[] => readdirSync('/proc/self/fd').flatMap((fd) => {
  try { return [`${fd} -> ${readlinkSync(`/proc/self/fd/${fd}`)}`]; } catch { return []; } // the directory's own fd
});
const added = (before: readonly string[]): string[] => fds().filter((f) => !before.includes(f));
const countOf = (r: SyscountReport, name: string): number => r.syscalls.find((s) => s.name === name)?.count ?? 0;

describe.skipIf(!kernel.ok)('examples/syscount', () => {
  it('counts exactly the getpriority calls of one process, and none of another', async () => {
    const calls = 300;
    const stats = 40;
    // The child waits on stdin until the program is attached, then makes its calls and exits.
    // getpriority: os.getPriority() is one syscall, and nothing else in node makes it.
    const child = spawn(process.execPath, ['-e', `process.stdin.once('data', () => {
      const os = require('os'), fs = require('fs');
      for (let i = 0; i < ${calls}; i++) os.getPriority();
      for (let i = 0; i < ${stats}; i++) fs.statSync('/');
      process.exit(0);
    });`], { stdio: ['pipe', 'ignore', 'inherit'] });
    const exited = once(child, 'exit');
    const before = fds();
    const ac = new AbortController();
    const guard = setTimeout(() => ac.abort(), 8000);
    try {
      const lines: string[] = [];
      const report = await run({
        pid: child.pid!, signal: ac.signal, top: 5, print: (l) => lines.push(l),
        onReady: () => {
          // This process's own getpriority calls: the filter must leave them out.
          for (let i = 0; i < 100; i++) getPriority();
          child.stdin!.end('go\n');
          void exited.then(() => ac.abort());
        },
      });
      const [code] = await exited;
      expect(code).toBe(0);
      expect(report.pid).toBe(child.pid);
      expect(report.modelAccepted).toBe(true);
      expect(report.processed.kernel).toBe(report.processed.model);
      expect(countOf(report, 'getpriority')).toBe(calls);
      expect(countOf(report, 'statx')).toBeGreaterThanOrEqual(stats);
      expect(countOf(report, 'exit_group')).toBe(1);
      expect(report.total).toBe(report.syscalls.reduce((a, s) => a + s.count, 0));
      // Sorted by count, names resolved from the numbers.
      const counts = report.syscalls.map((s) => s.count);
      expect(counts).toEqual([...counts].sort((a, b) => b - a));
      expect(report.syscalls.every((s) => !s.name.startsWith('syscall_'))).toBe(true);
      expect(lines.some((l) => /^getpriority\s+300$/.test(l))).toBe(true);
    } finally {
      clearTimeout(guard);
      child.kill();
    }
    // The child's pipes closed meanwhile; nothing new is open (maps, program, link, perf event).
    expect(added(before)).toEqual([]);
  });

  it('system-wide, a bounded run sees this process and others', async () => {
    const before = fds();
    const report = await run({
      durationMs: 300, print: () => {},
      onReady: () => { for (let i = 0; i < 50; i++) getPriority(); },
    });
    expect(report.pid).toBeUndefined();
    expect(report.elapsedMs).toBeGreaterThanOrEqual(250);
    expect(countOf(report, 'getpriority')).toBeGreaterThanOrEqual(50);
    expect(report.total).toBeGreaterThan(50);
    expect(report.syscalls.length).toBeGreaterThan(3);
    expect(report.processed.kernel).toBe(report.processed.model);
    expect(added(before)).toEqual([]);
  });
});
