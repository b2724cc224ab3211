import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { kernelTestContext } from '../kernel/privileged.js';
import { countExecs, execsSpec, run } from '../../examples/hello-map.js';
import { attachTracepoint, createMap, loadProgram, u32, u64 } from '../../src/index.js';

const kernel = kernelTestContext('examples/hello-map');

/** Runs `/bin/true` as `uid` and resolves once it has exited. */
function runTrueAs(uid: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/true', [], { stdio: 'ignore', uid, gid: uid });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`/bin/true as ${uid} exited with ${code}`))));
  });
}

/**
 * A uid nobody uses here: not in /etc/passwd, no process runs as it. Another test choosing the same
 * one at the same moment is the only way its exact count could be disturbed.
 */
function unusedUid(): number {
  const taken = new Set(readFileSync('/etc/passwd', 'utf8').split('\n').map((l) => Number(l.split(':')[2])));
  for (const p of readdirSync('/proc').filter((d) => /^\d+$/.test(d))) {
    try {
      const m = /^Uid:\s+(\d+)/m.exec(readFileSync(`/proc/${p}/status`, 'utf8'));
      if (m) taken.add(Number(m[1]));
    } catch {
      // the process is gone
    }
  }
  for (;;) {
    const uid = 40000 + Math.floor(Math.random() * 20000);
    if (!taken.has(uid)) return uid;
  }
}

describe.skipIf(!kernel.ok)('examples/hello-map', () => {
  it('counts the execs of children run as root, as nobody and as an unused uid; prints tables; cleans up', async () => {
    const fds = readdirSync('/proc/self/fd').length;
    const lonely = unusedUid();
    const ac = new AbortController();
    const guard = setTimeout(() => ac.abort(), 8000);
    const lines: string[] = [];
    const report = await run({
      signal: ac.signal,
      intervalMs: 100,
      print: (l) => lines.push(l),
      onReady: () => {
        void (async () => {
          try {
            for (let i = 0; i < 4; i++) await runTrueAs(0);
            for (let i = 0; i < 3; i++) await runTrueAs(65534);
            for (let i = 0; i < 2; i++) await runTrueAs(lonely);
            await new Promise((r) => setTimeout(r, 250)); // let one periodic table show them
          } finally {
            ac.abort();
          }
        })();
      },
    });
    clearTimeout(guard);
    expect(report.modelAccepted).toBe(true);
    expect(report.processed.kernel).toBeGreaterThan(0);
    expect(report.processed.model).toBe(report.processed.kernel);
    const count = (uid: number): number => report.counts.find((c) => c.uid === uid)?.execs ?? 0;
    // The host execs as root all the time; nothing else runs as nobody here (checked), but keep >=.
    expect(count(0)).toBeGreaterThanOrEqual(4);
    expect(count(65534)).toBeGreaterThanOrEqual(3);
    expect(count(lonely)).toBe(2); // spawned by its full path: one execve each
    expect(report.counts.find((c) => c.uid === 0)!.user).toBe('root');
    expect(report.counts.find((c) => c.uid === 65534)!.user).toBe('nobody');
    expect(report.counts.find((c) => c.uid === lonely)!.user).toBe(String(lonely));
    const sorted = report.counts.map((c) => c.execs);
    expect(sorted).toEqual([...sorted].sort((a, b) => b - a));
    expect(report.tables).toBeGreaterThanOrEqual(2);
    expect(lines.filter((l) => / {2}UID {2}USER/.test(l))).toHaveLength(report.tables);
    expect(lines.at(-1)).toMatch(/^\s+\d+\s+\S+\s+\d+$/);
    expect(readdirSync('/proc/self/fd').length).toBe(fds);
  });

  it('the program alone: entries start at 1 and add 1 per exec, per uid', async () => {
    using execs = createMap({ ...execsSpec, key: u32, value: u64 });
    using prog = loadProgram({ type: 'tracepoint', instructions: countExecs, maps: { execs } });
    const uid = unusedUid();
    {
      using _link = attachTracepoint(prog, 'syscalls/sys_enter_execve');
      await runTrueAs(uid);
      expect(execs.lookup(uid)).toBe(1n);
      await runTrueAs(uid);
      await runTrueAs(uid);
    }
    await runTrueAs(uid); // detached: not counted
    expect(execs.lookup(uid)).toBe(3n);
  });
});
