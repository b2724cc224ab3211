import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { openTracePipe } from '../../src/loader/readers/trace-pipe.js';
import type { TraceLine } from '../../src/loader/readers/trace-line.js';
import { nativeAvailable } from '../../src/loader/ffi.js';

// The trace_pipe reader over a FIFO: same non-blocking reads and epoll waits, lines written by the
// test in pieces, so the line assembly is checked without the kernel's global pipe.
describe.skipIf(process.platform !== 'linux' || !nativeAvailable())('openTracePipe over a FIFO', () => {
  it('assembles lines split across writes, skips non-event lines, ends at EOF', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-fifo-'));
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    try {
      using pipe = openTracePipe({ path: fifo });
      const w = openSync(fifo, 'w');
      const got: TraceLine[] = [];
      const done = pipe.read((l) => got.push(l));
      const chunks = [
        '# tracer: nop\n          node-4242    [001] d..31  100.5',
        '00001: bpf_trace_printk: hello wo',
        'rld\n  <idle>-0 ( 0) [003] ..s2.  12.5: bpf_trace_printk: x\n',
        '\n   some-thread-7    [000] .....  1.000002: bpf_trace_printk: a: b\n',
        '   last-9    [001] .....  2.000000: bpf_trace_printk: no newline at the end',
      ];
      for (const c of chunks) {
        await new Promise((r) => setTimeout(r, 15));
        writeSync(w, c);
      }
      await new Promise((r) => setTimeout(r, 15));
      closeSync(w);
      expect(await done).toBe(4);
      expect(got.map((l) => [l.comm, l.pid, l.cpu, l.timestamp, l.message])).toEqual([
        ['node', 4242, 1, 100.500001, 'hello world'],
        ['<idle>', 0, 3, 12.5, 'x'],
        ['some-thread', 7, 0, 1.000002, 'a: b'],
        ['last', 9, 1, 2, 'no newline at the end'],
      ]);
      expect(pipe.stats).toMatchObject({ lines: 4, unparsed: 1 });
      expect(pipe.ended).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('lines(): data written while the loop body awaits is not left behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'trace-fifo-'));
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    try {
      // A second reader waiting all along keeps the shared epoll_wait running, so an edge that comes
      // while the first reader is busy is harvested and dropped: the reader must not rely on it.
      const idleFifo = join(dir, 'idle');
      execFileSync('mkfifo', [idleFifo]);
      using idle = openTracePipe({ path: idleFifo });
      const idleWriter = openSync(idleFifo, 'w');
      const idleCtl = new AbortController();
      const idleLoop = idle.read(() => {}, { signal: idleCtl.signal });
      using pipe = openTracePipe({ path: fifo });
      const w = openSync(fifo, 'w');
      const line = (i: number) => `   t-1    [000] .....  1.0: bpf_trace_printk: n${i}\n`;
      writeSync(w, line(0));
      const seen: string[] = [];
      const ctl = new AbortController();
      const guard = setTimeout(() => ctl.abort(), 3000);
      for await (const l of pipe.lines({ signal: ctl.signal })) {
        seen.push(l.message);
        if (seen.length === 5) break;
        // The next line arrives while this body is busy: its edge comes when nobody waits.
        writeSync(w, line(seen.length));
        await new Promise((r) => setTimeout(r, 20));
      }
      clearTimeout(guard);
      closeSync(w);
      idleCtl.abort();
      await idleLoop;
      closeSync(idleWriter);
      expect(seen).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
