import { spawn } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { beforeAll, describe, it, expect } from 'vitest';
import { kernelTestContext } from '../kernel/privileged.js';
import { execveSymbol, run } from '../../examples/hello.js';
import { createMap, kprobeUnsupportedReason, openRingBuffer, pageSize, tracefsRoot } from '../../src/index.js';

const kernel = kernelTestContext('examples/hello');

/** Runs `/bin/true` and resolves to its pid once it has exited. */
function runTrue(): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/true', [], { stdio: 'ignore' });
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(child.pid!) : reject(new Error(`/bin/true exited with ${code}`))));
  });
}

const instances = (): string[] => readdirSync(`${tracefsRoot()}/instances`).filter((n) => n.startsWith(`tsebpf-hello-${process.pid}-`));

describe.skipIf(!kernel.ok)('examples/hello', () => {
  beforeAll(async () => {
    // The readers' process-wide epoll fd and eventfd are created once and kept: warm them up, so
    // the fd counts below compare what the example itself opens and closes.
    using rb = createMap({ type: 'ringbuf', maxEntries: pageSize() });
    using r = openRingBuffer(rb);
    await r.poll(1);
  });

  it('says Hello World! for each exec of the children it spawns, through a private tracefs instance, and cleans up', async () => {
    const fds = readdirSync('/proc/self/fd').length;
    const ac = new AbortController();
    const guard = setTimeout(() => ac.abort(), 8000);
    const pids: number[] = [];
    let seen = (): boolean => false;
    const lines: string[] = [];
    const report = await run({
      signal: ac.signal,
      print: (l) => {
        lines.push(l);
        if (seen()) ac.abort(); // every child has said hello
      },
      onReady: () => {
        expect(instances()).toHaveLength(1);
        void (async () => {
          for (let i = 0; i < 5; i++) pids.push(await runTrue());
          seen = () => pids.every((p) => lines.some((l) => l.startsWith(`${String(p).padStart(7)} `)));
          if (seen()) ac.abort();
        })();
      },
    });
    clearTimeout(guard);
    expect(report.attachedTo).toBe('tracepoint syscalls/sys_enter_execve');
    expect(report.modelAccepted).toBe(true);
    expect(report.processed.kernel).toBeGreaterThan(0);
    expect(report.processed.model).toBe(report.processed.kernel);
    expect(report.pipe).toMatch(/\/instances\/tsebpf-hello-\d+-[0-9a-f]{6}\/trace_pipe$/);
    expect(pids).toHaveLength(5);
    for (const pid of pids) {
      const mine = report.events.filter((e) => e.pid === pid);
      // One execve per child (/bin/true is spawned by its full path): exactly one line.
      expect(mine).toHaveLength(1);
      expect(mine[0]!.message).toBe('Hello World!');
      expect(mine[0]!.comm).not.toBe('');
    }
    expect(report.total).toBeGreaterThanOrEqual(5);
    expect(lines.at(-1)).toMatch(/^\d+ execs seen/);
    expect(instances()).toEqual([]);
    expect(existsSync(report.pipe)).toBe(false);
    expect(readdirSync('/proc/self/fd').length).toBe(fds);
  });

  it('--kprobe: says why the kprobe cannot be attached here (NotSupportedError), or attaches where kprobes exist', async () => {
    const fds = readdirSync('/proc/self/fd').length;
    const lines: string[] = [];
    const report = await run({ kprobe: true, durationMs: 300, print: (l) => lines.push(l) });
    expect(report.attachedTo).toBe(`kprobe ${execveSymbol()}`);
    expect(report.modelAccepted).toBe(true);
    expect(report.processed.kernel).toBeGreaterThan(0);
    const why = kprobeUnsupportedReason();
    expect(report.notAttached).toBe(why);
    if (why !== undefined) {
      expect(lines).toContain(`cannot attach a kprobe to ${execveSymbol()}: ${why}`);
      expect(report.events).toEqual([]);
    }
    expect(readdirSync('/proc/self/fd').length).toBe(fds);
  });
});
