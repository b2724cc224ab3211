import { spawn } from 'node:child_process';
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { kernelTestContext } from '../kernel/privileged.js';
import { run } from '../../examples/execsnoop.js';
import { syscall } from '../../src/loader/ffi.js';

const kernel = kernelTestContext('examples/execsnoop');
const EXECVE_NR: Partial<Record<string, number>> = { x64: 59, arm64: 221 };
const EFAULT = 14;

/**
 * This process's open fds as `fd -> target` (what an example could leave behind), without the
 * readers' one shared epoll instance and its eventfd: made on first use, they live as long as the process.
 */
const fds = (): string[] => readdirSync('/proc/self/fd').flatMap((fd) => {
  try { return [`${fd} -> ${readlinkSync(`/proc/self/fd/${fd}`)}`]; } catch { return []; } // the directory's own fd
}).filter((f) => !/ -> anon_inode:\[(eventpoll|eventfd)\]$/.test(f));
const added = (before: readonly string[]): string[] => fds().filter((f) => !before.includes(f));
/** No stdio pipes: they would close some time after the child's exit, and disturb the fd comparison. */
const quiet = { stdio: 'ignore' } as const;

/** Resolves with the child's pid once it has exited, or undefined when its exec failed. */
function finished(child: ReturnType<typeof spawn>): Promise<number | undefined> {
  return new Promise((resolve) => {
    child.once('exit', () => resolve(child.pid));
    child.once('error', () => resolve(undefined));
  });
}

describe.skipIf(!kernel.ok)('examples/execsnoop', () => {
  it('reports the execs of known children: pid, ppid, uid, comm, filename, failed attempts too', async () => {
    const before = fds();
    // The forked child carries the name of the thread that forked it: this one.
    const myComm = readFileSync('/proc/thread-self/comm', 'utf8').trim();
    const missing = `/nonexistent-${process.pid}/prog`;
    const ac = new AbortController();
    const guard = setTimeout(() => ac.abort(), 8000);
    let children: Promise<[number | undefined, number | undefined, number | undefined]> | undefined;
    try {
      const report = await run({
        signal: ac.signal, print: () => {},
        onReady: () => {
          // execve(1, NULL, NULL) from this process: the kernel refuses the pointer, and so does the program.
          if (EXECVE_NR[process.arch] !== undefined) expect(syscall(EXECVE_NR[process.arch]!, 1, 0, 0)).toBe(-EFAULT);
          children = Promise.all([
            finished(spawn('/bin/true', [], quiet)),
            // sh forks a child for /bin/true (not the last command, so not exec'd in place).
            finished(spawn('/bin/sh', ['-c', '/bin/true; :'], quiet)),
            finished(spawn(missing, [], quiet)), // execve fails with ENOENT: still an attempt
          ]);
          void children.then(() => ac.abort());
        },
      });
      const [truePid, shPid] = (await children)!;
      expect(report.modelAccepted).toBe(true);
      expect(report.processed.kernel).toBe(report.processed.model);
      expect(report.lost).toBe(0);
      expect(report.offsets.filename).toBe(16);
      const uid = process.getuid!();
      expect(report.events.filter((e) => e.pid === truePid)).toEqual([
        { pid: truePid, ppid: process.pid, uid, gid: process.getgid!(), comm: myComm, filename: '/bin/true' },
      ]);
      expect(report.events.filter((e) => e.pid === shPid)).toMatchObject([{ ppid: process.pid, comm: myComm, filename: '/bin/sh' }]);
      // The grandchild: its parent is the shell (so ppid is read, not assumed), its comm the shell's.
      expect(report.events.filter((e) => e.ppid === shPid)).toMatchObject([{ uid, comm: 'sh', filename: '/bin/true' }]);
      expect(report.events.filter((e) => e.filename === missing)).toMatchObject([{ ppid: process.pid, uid, comm: myComm }]);
      if (EXECVE_NR[process.arch] !== undefined) {
        expect(report.events.filter((e) => e.pid === process.pid)).toEqual([
          { pid: process.pid, ppid: process.ppid, uid, gid: process.getgid!(), comm: myComm, filename: '', filenameError: 'EFAULT' },
        ]);
      }
      // Our children's filenames were all readable (other processes on the machine may exec bad pointers too).
      expect(report.events.filter((e) => (e.ppid === process.pid || e.ppid === shPid) && e.filenameError !== undefined)).toEqual([]);
      expect(report.total).toBe(report.events.length);
    } finally {
      clearTimeout(guard);
    }
    expect(added(before)).toEqual([]);
  });

  it('a bounded run stops on its own and releases the ring buffer, maps, program and link', async () => {
    const before = fds();
    const lines: string[] = [];
    const started = performance.now();
    const report = await run({ durationMs: 300, print: (l) => lines.push(l) });
    expect(performance.now() - started).toBeGreaterThanOrEqual(290);
    expect(report.lost).toBe(0);
    expect(lines.at(-1)).toBe(`${report.total} execs`);
    expect(added(before)).toEqual([]);
  });
});
