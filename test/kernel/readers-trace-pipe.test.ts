import { readFileSync, writeFileSync } from 'node:fs';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { loadProgram, openTracePipe, tracefsRoot, NotSupportedError, BadInputError } from '../../src/index.js';
import type { TraceLine } from '../../src/index.js';
import { kernelTestContext } from './privileged.js';
import { tracePrintkProgram } from './readers-programs.js';

const kernel = kernelTestContext('trace_pipe reader');

describe.skipIf(!kernel.ok)('openTracePipe on the kernel', () => {
  // trace_pipe is global: every message carries this run's own tag, and only those lines count.
  const tag = `tsebpf-${process.pid}-${Date.now() % 100000}`;
  let tracingWas = '1';
  beforeAll(() => {
    const on = `${tracefsRoot()}/tracing_on`;
    tracingWas = readFileSync(on, 'utf8').trim();
    if (tracingWas !== '1') writeFileSync(on, '1');
  });
  afterAll(() => {
    if (tracingWas !== '1') writeFileSync(`${tracefsRoot()}/tracing_on`, tracingWas);
  });

  it('yields parsed bpf_trace_printk lines of a testRun program; timers run while it waits', async () => {
    using prog = loadProgram({ type: 'socket_filter', instructions: tracePrintkProgram(`${tag} a`) });
    using pipe = openTracePipe();
    const ctl = new AbortController();
    let ticks = 0;
    const ticker = setInterval(() => { ticks++; }, 5);
    // Print only after the iterator is already waiting: the epoll wakeup must deliver them.
    setTimeout(() => prog.testRun({ data: new Uint8Array(64), repeat: 5 }), 60);
    const mine: TraceLine[] = [];
    const guard = setTimeout(() => ctl.abort(), 5000);
    for await (const line of pipe.lines({ signal: ctl.signal })) {
      if (!line.message.startsWith(tag)) continue;
      mine.push(line);
      if (mine.length === 5) break;
    }
    clearTimeout(guard);
    clearInterval(ticker);
    expect(mine).toHaveLength(5);
    for (const l of mine) {
      expect(l.message).toBe(`${tag} a`);
      expect(l.event).toBe('bpf_trace_printk');
      expect(l.pid).toBe(process.pid);
      expect(l.cpu).toBeGreaterThanOrEqual(0);
      expect(l.timestamp).toBeGreaterThan(0);
    }
    const ts = mine.map((l) => l.timestamp);
    expect([...ts].sort((a, b) => a - b)).toEqual(ts);
    expect(ticks).toBeGreaterThan(5); // the event loop ran while the iterator waited
    expect(pipe.stats.lines).toBeGreaterThanOrEqual(5);
  });

  it('read() callback loop stops on abort; close() ends a waiting iterator', async () => {
    using prog = loadProgram({ type: 'socket_filter', instructions: tracePrintkProgram(`${tag} b`) });
    const pipe = openTracePipe();
    const ctl = new AbortController();
    let mine = 0;
    setTimeout(() => prog.testRun({ data: new Uint8Array(64), repeat: 3 }), 20);
    const done = pipe.read((l) => {
      if (l.message === `${tag} b` && ++mine === 3) setTimeout(() => ctl.abort(), 10);
    }, { signal: ctl.signal });
    const guard = setTimeout(() => ctl.abort(), 5000);
    expect(await done).toBeGreaterThanOrEqual(3);
    clearTimeout(guard);
    expect(mine).toBe(3);

    const it = pipe.lines();
    const next = it.next();
    setTimeout(() => pipe.close(), 20);
    expect((await next).done).toBe(true);
    expect(pipe.closed).toBe(true);
    expect(() => pipe.consume(() => {})).toThrow(BadInputError);
  });

  it('a missing file is NotSupportedError', () => {
    expect(() => openTracePipe({ path: '/nonexistent/trace_pipe' })).toThrow(NotSupportedError);
  });
});
