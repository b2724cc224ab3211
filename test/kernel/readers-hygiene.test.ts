import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect } from 'vitest';
import { createMap, openPerfBuffer, openRingBuffer, openTracePipe, possibleCpus, pageSize } from '../../src/index.js';
import { kernelTestContext } from './privileged.js';

const kernel = kernelTestContext('reader resource hygiene');
const fds = (): number => readdirSync('/proc/self/fd').length;
const kernelMappings = (): string[] =>
  readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => /anon_inode:(bpf-map|\[perf_event\])/.test(l));

describe.skipIf(!kernel.ok)('readers release what they take', () => {
  it('close() and aborts leave no fd and no ring mapping behind, after many cycles', async () => {
    // The process-wide epoll fd and eventfd are created once; warm them up first.
    {
      using rb = createMap({ type: 'ringbuf', maxEntries: pageSize() });
      using r = openRingBuffer(rb);
      await r.poll(1);
    }
    // trace_pipe is global and reading consumes: a FIFO stands in for it, so this test cannot steal
    // the lines another test file (running in parallel) waits for.
    const dir = mkdtempSync(join(tmpdir(), 'readers-hygiene-'));
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    const fd0 = fds();
    const maps0 = kernelMappings().length;
    for (let i = 0; i < 20; i++) {
      using rb = createMap({ type: 'ringbuf', maxEntries: 4 * pageSize() });
      using events = createMap({ type: 'perf_event_array', maxEntries: possibleCpus() });
      const ctl = new AbortController();
      const ring = openRingBuffer(rb, { signal: ctl.signal });
      const perf = openPerfBuffer(events, { pages: 1, signal: ctl.signal });
      const pipe = openTracePipe({ signal: ctl.signal, path: fifo });
      const waits = [ring.read(() => {}), perf.read(() => {}), pipe.read(() => {})];
      expect(kernelMappings().length).toBeGreaterThan(maps0);
      if (i % 2 === 0) setTimeout(() => ctl.abort(), 2);
      else setTimeout(() => { ring.close(); perf.close(); pipe.close(); }, 2);
      await Promise.all(waits);
      expect([ring.closed, perf.closed, pipe.closed]).toEqual([true, true, true]);
    }
    expect(fds()).toBe(fd0);
    expect(kernelMappings().length).toBe(maps0);
    rmSync(dir, { recursive: true, force: true });
  });

  it('a failed open (wrong map type) closes its duplicate fd', () => {
    using arr = createMap({ type: 'array', keySize: 4, valueSize: 4, maxEntries: 1 });
    const fd0 = fds();
    for (let i = 0; i < 10; i++) {
      expect(() => openRingBuffer(arr)).toThrow();
      expect(() => openPerfBuffer(arr)).toThrow();
    }
    expect(fds()).toBe(fd0);
  });
});
