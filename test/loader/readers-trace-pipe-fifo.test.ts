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
      ];
      for (const c of chunks) {
        await new Promise((r) => setTimeout(r, 15));
        writeSync(w, c);
      }
      await new Promise((r) => setTimeout(r, 15));
      closeSync(w);
      expect(await done).toBe(3);
      expect(got.map((l) => [l.comm, l.pid, l.cpu, l.timestamp, l.message])).toEqual([
        ['node', 4242, 1, 100.500001, 'hello world'],
        ['<idle>', 0, 3, 12.5, 'x'],
        ['some-thread', 7, 0, 1.000002, 'a: b'],
      ]);
      expect(pipe.stats).toMatchObject({ lines: 3, unparsed: 1 });
      expect(pipe.ended).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
