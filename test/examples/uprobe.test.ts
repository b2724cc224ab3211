import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { describe, it, expect } from 'vitest';
import { isBadInputError, isBpfSyscallError, openProgramById } from '../../src/index.js';
import { kernelTestContext } from '../kernel/privileged.js';
import { run } from '../../examples/uprobe.js';
import type { UprobeReport } from '../../examples/uprobe.js';

const kernel = kernelTestContext('examples/uprobe');

const openFds = (): number => readdirSync('/proc/self/fd').length;

/**
 * Whether the kernel still knows the example's programs. Closing a BPF link releases its program
 * from a work item, so this waits a little for the ids to go.
 */
async function programsStillLoaded(report: UprobeReport): Promise<number[]> {
  let left: number[] = [];
  for (let i = 0; i < 50; i++) {
    left = report.programIds.filter((id) => {
      try {
        openProgramById(id).close();
        return true;
      } catch (e) {
        if (isBpfSyscallError(e) && e.code === 'ENOENT') return false;
        throw e;
      }
    });
    if (left.length === 0) break;
    await new Promise((r) => setTimeout(r, 20));
  }
  return left;
}

describe.skipIf(!kernel.ok)('examples/uprobe', () => {
  it('counts exactly the child\'s getppid() calls and returns, none after detaching, and leaves nothing behind', async () => {
    const fds = openFds();
    const lines: string[] = [];
    const report = await run({ calls: 25, print: (l) => lines.push(l) });
    expect(report.modelAccepted).toBe(true);
    expect(report.processed.entry.kernel).toBeGreaterThan(0);
    expect(report.processed.exit.kernel).toBeGreaterThan(0);
    expect(report.binary).toMatch(/libc\.so\.6$/);
    expect(report.symbol).toBe('getppid');
    expect(report.offset).toBeGreaterThan(0n);
    // Only the traced child's calls count (the pid filter), each entry with its return.
    expect(report.perPid).toHaveLength(1);
    const [child] = report.perPid;
    expect(child!.pid).toBe(report.tracedPid);
    expect(child!.pid).not.toBe(process.pid);
    expect(child!.calls).toBe(25);
    expect(child!.returns).toBe(25);
    expect(child!.meanNs).toBeGreaterThan(0);
    // The uretprobe read getppid()'s return register: the child's parent is this process.
    expect(child!.lastReturn).toBe(BigInt(process.pid));
    expect(report.workload).toEqual({ callsMade: 25, childSawParent: process.pid, callsAfterDetach: 25, countedAfterDetach: 0 });
    expect(lines.some((l) => l.includes(`pid ${child!.pid}: 25 calls of getppid, 25 returns`))).toBe(true);
    expect(lines.filter((l) => /verifier model accepts .* kernel accepts/.test(l))).toHaveLength(2);
    expect(await programsStillLoaded(report)).toEqual([]);
    expect(openFds()).toBe(fds);
  });

  it('traces a command from its exec (the shell waits until the probes are in)', async () => {
    const fds = openFds();
    const lines: string[] = [];
    const script = 'let p = 0; for (let i = 0; i < 7; i++) p = process.ppid; console.log("parent " + p)';
    const report = await run({ command: [process.execPath, '-e', script], print: (l) => lines.push(l) });
    // The shell execs node in place: same pid, and node's parent is this process.
    expect(report.perPid).toEqual([{ pid: report.tracedPid, calls: 7, returns: 7, meanNs: expect.any(Number), lastReturn: BigInt(process.pid) }]);
    expect(report.workload).toBeUndefined();
    expect(lines).toContain(`  | parent ${process.pid}`);
    expect(await programsStillLoaded(report)).toEqual([]);
    expect(openFds()).toBe(fds);
  });

  it('traces a running process by pid until stopped', async () => {
    const target = spawn(process.execPath, ['-e', `require('readline').createInterface({ input: process.stdin })
      .on('line', (l) => { let p = 0; for (let i = 0; i < Number(l); i++) p = process.ppid; console.log('done ' + p); })`],
    { stdio: ['pipe', 'pipe', 'inherit'] });
    const replies = createInterface({ input: target.stdout! });
    const reply = (): Promise<string> => new Promise((r) => replies.once('line', r));
    try {
      // One round before tracing: not counted.
      target.stdin!.write('5\n');
      expect(await reply()).toBe(`done ${process.pid}`);
      const ac = new AbortController();
      let tracing!: () => void;
      const attached = new Promise<void>((r) => { tracing = r; });
      const report = run({ pid: target.pid!, signal: ac.signal, print: (l) => { if (l.startsWith('tracing')) tracing(); } });
      await attached;
      target.stdin!.write('12\n');
      expect(await reply()).toBe(`done ${process.pid}`);
      ac.abort();
      const r = await report;
      expect(r.tracedPid).toBe(target.pid);
      expect(r.perPid.map((p) => [p.pid, p.calls, p.returns])).toEqual([[target.pid, 12, 12]]);
      expect(await programsStillLoaded(r)).toEqual([]);
    } finally {
      target.kill('SIGKILL');
    }
  });

  it('names an unknown symbol before starting anything', async () => {
    const err = await run({ symbol: 'ts_ebpf_no_such_function', print: () => {} }).catch((e: unknown) => e);
    expect(isBadInputError(err)).toBe(true);
    expect(String(err)).toMatch(/ts_ebpf_no_such_function/);
  });
});
