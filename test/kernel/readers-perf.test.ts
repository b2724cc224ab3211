import { describe, it, expect } from 'vitest';
import { createMap, loadProgram, openPerfBuffer, openRingBuffer, possibleCpus, pageSize, BadInputError } from '../../src/index.js';
import type { BpfMap, Program, PerfSample } from '../../src/index.js';
import { kernelTestContext } from './privileged.js';
import { onCpu } from './cpu-affinity.js';
import { expectedRecord, perfOutputProgram, seqOf } from './readers-programs.js';

const kernel = kernelTestContext('perf buffer reader');
const DATA = new Uint8Array(64);
const SIZE = 64;

function setup(): { events: BpfMap<number, number>; counter: BpfMap<number, Uint8Array>; prog: Program;
  failures(): bigint; [Symbol.dispose](): void } {
  const events = createMap({ type: 'perf_event_array', maxEntries: possibleCpus() });
  const counter = createMap({ type: 'array', keySize: 4, valueSize: 16, maxEntries: 1 }) as BpfMap<number, Uint8Array>;
  const prog = loadProgram({ type: 'socket_filter', instructions: perfOutputProgram(SIZE), maps: { events, counter } });
  return {
    events, counter, prog,
    failures: () => { const v = counter.lookup(0)!; return new DataView(v.buffer, v.byteOffset).getBigUint64(8, true); },
    [Symbol.dispose]() { prog.close(); counter.close(); events.close(); },
  };
}

/** Raw samples are rounded so the record stays 8-byte aligned: u32 size + data, up to a multiple of 8. */
const rawLength = (n: number) => Math.ceil((n + 4) / 8) * 8 - 4;

describe.skipIf(!kernel.ok)('openPerfBuffer on the kernel', () => {
  it('one ring per CPU; exact samples tagged with the CPU they were produced on', () => {
    using s = setup();
    using perf = openPerfBuffer(s.events);
    expect(perf.cpus.length).toBeGreaterThan(0);
    const cpu = perf.cpus[perf.cpus.length - 1]!;
    onCpu(cpu, () => s.prog.testRun({ data: DATA, repeat: 25 }));
    const got: PerfSample[] = [];
    expect(perf.consume((x) => got.push({ cpu: x.cpu, data: x.data.slice() }))).toBe(25);
    expect(got.map((x) => seqOf(x.data))).toEqual([...Array(25).keys()]);
    for (const x of got) {
      expect(x.cpu).toBe(cpu);
      expect(x.data.length).toBe(rawLength(SIZE));
      expect(x.data.subarray(0, SIZE)).toEqual(expectedRecord(seqOf(x.data), SIZE));
    }
    expect(perf.stats).toMatchObject({ samples: 25, bytes: 25 * rawLength(SIZE), lost: 0 });
    expect(s.failures()).toBe(0n);
  });

  it('a full ring drops samples; LOST records are counted per CPU, in total and through onLost', () => {
    using s = setup();
    const lostCalls: [number, number][] = [];
    using perf = openPerfBuffer(s.events, { pages: 1, onLost: (cpu, n) => lostCalls.push([cpu, n]) });
    const cpu = perf.cpus[0]!;
    const produced = 300;
    onCpu(cpu, () => s.prog.testRun({ data: DATA, repeat: produced }));
    const record = 8 + 4 + rawLength(SIZE); // perf header + raw size + raw data
    const fit = Math.floor(pageSize() / record);
    let seen = 0;
    perf.consume((x) => { expect(seqOf(x.data)).toBe(seen++); });
    expect(seen).toBe(fit);
    expect(s.failures()).toBe(BigInt(produced - fit));
    // The kernel writes the LOST record before the next sample it manages to store.
    onCpu(cpu, () => s.prog.testRun({ data: DATA }));
    perf.consume((x) => { expect(seqOf(x.data)).toBe(produced); seen++; });
    expect(seen).toBe(fit + 1);
    expect(perf.stats.lost).toBe(produced - fit);
    expect(perf.stats.lostPerCpu[cpu]).toBe(produced - fit);
    expect(lostCalls).toEqual([[cpu, produced - fit]]);
  });

  it('async iterator: woken by epoll, timers keep running, ends on abort', async () => {
    using s = setup();
    using perf = openPerfBuffer(s.events, { pages: 2 });
    const ctl = new AbortController();
    let ticks = 0;
    const ticker = setInterval(() => { ticks++; }, 5);
    let bursts = 0;
    const producer = setInterval(() => {
      s.prog.testRun({ data: DATA, repeat: 4 });
      if (++bursts === 5) clearInterval(producer);
    }, 20);
    const seqs: number[] = [];
    for await (const x of perf.samples({ signal: ctl.signal })) {
      expect(x.data.subarray(0, SIZE)).toEqual(expectedRecord(seqOf(x.data), SIZE));
      expect(perf.cpus).toContain(x.cpu);
      seqs.push(seqOf(x.data));
      if (seqs.length === 20) setTimeout(() => ctl.abort(), 20);
    }
    clearInterval(ticker);
    expect(seqs.sort((a, b) => a - b)).toEqual([...Array(20).keys()]);
    expect(ticks).toBeGreaterThan(10);
    expect(perf.stats.wakeups).toBeGreaterThanOrEqual(1);
    expect(perf.closed).toBe(false);
  });

  it('samples(): a CPU ring filled while the loop body awaits is read without a new wakeup', async () => {
    using s = setup();
    using perf = openPerfBuffer(s.events);
    const cpus = perf.cpus;
    // Another reader waiting all along keeps the shared epoll_wait running, so edges that come while
    // this loop's body is busy are harvested and dropped: the reader must not rely on them.
    using idleRing = createMap({ type: 'ringbuf', maxEntries: pageSize() });
    using idle = openRingBuffer(idleRing);
    const idleCtl = new AbortController();
    const idleLoop = idle.read(() => {}, { signal: idleCtl.signal });

    const ctl = new AbortController();
    const guard = setTimeout(() => ctl.abort(), 5000);
    onCpu(cpus[0]!, () => s.prog.testRun({ data: DATA }));
    const seqs: number[] = [];
    for await (const x of perf.samples({ signal: ctl.signal })) {
      seqs.push(seqOf(x.data));
      if (seqs.length === 6) break;
      // Produce the next one on every CPU in turn while this body is busy.
      onCpu(cpus[seqs.length % cpus.length]!, () => s.prog.testRun({ data: DATA }));
      await new Promise((res) => setTimeout(res, 15));
    }
    clearTimeout(guard);
    idleCtl.abort();
    await idleLoop;
    expect(seqs).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('close() removes the CPU entries: the program then has nowhere to write', async () => {
    using s = setup();
    const perf = openPerfBuffer(s.events);
    s.prog.testRun({ data: DATA });
    expect(s.failures()).toBe(0n);
    const pending = perf.read(() => {});
    setTimeout(() => perf.close(), 10);
    expect(await pending).toBeGreaterThanOrEqual(0);
    s.prog.testRun({ data: DATA, repeat: 3 });
    expect(s.failures()).toBe(3n);
  });

  it('rejects other map types and bad options', () => {
    using rb = createMap({ type: 'ringbuf', maxEntries: pageSize(), name: 'a_ring' });
    expect(() => openPerfBuffer(rb)).toThrow(BadInputError);
    expect(() => openPerfBuffer(rb)).toThrow(/"a_ring" is a ringbuf map, not a perf_event_array map/);
    using s = setup();
    expect(() => openPerfBuffer(s.events, { pages: 3 })).toThrow(/power of two/);
    expect(() => openPerfBuffer(s.events, { cpus: [possibleCpus()] })).toThrow(/outside the map/);
    expect(() => openPerfBuffer(s.events, { wakeupEvents: 2, watermarkBytes: 64 })).toThrow(/not both/);
  });
});
