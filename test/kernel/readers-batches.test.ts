import { readdirSync, readFileSync } from 'node:fs';
import { getEventListeners } from 'node:events';
import { describe, it, expect } from 'vitest';
import { createMap, loadProgram, openPerfBuffer, openRingBuffer, possibleCpus, pageSize, BadInputError } from '../../src/index.js';
import type { BpfMap, Program } from '../../src/index.js';
import { kernelTestContext } from './privileged.js';
import { onCpu } from './cpu-affinity.js';
import { expectedRecord, perfOutputProgram, ringbufReserveProgram, seqOf } from './readers-programs.js';

const kernel = kernelTestContext('batch iterators of the readers');
const DATA = new Uint8Array(64);

function ringSetup(size: number, discardEvery: number, ringBytes = 16 * pageSize()): {
  rb: BpfMap; prog: Program; failures(): bigint; [Symbol.dispose](): void;
} {
  const rb = createMap({ type: 'ringbuf', maxEntries: ringBytes });
  const counter = createMap({ type: 'array', keySize: 4, valueSize: 16, maxEntries: 1 }) as BpfMap<number, Uint8Array>;
  const prog = loadProgram({ type: 'socket_filter', instructions: ringbufReserveProgram(size, discardEvery), maps: { rb, counter } });
  return {
    rb, prog,
    failures: () => new DataView(counter.lookup(0)!.buffer, counter.lookup(0)!.byteOffset).getBigUint64(8, true),
    [Symbol.dispose]() { prog.close(); counter.close(); rb.close(); },
  };
}

/** Aborts after `ms` unless the test finished: no test waits forever on a bug. */
function guard(ms = 5000): AbortController & Disposable {
  const ctl = new AbortController();
  const t = setTimeout(() => ctl.abort(), ms);
  return Object.assign(ctl, { [Symbol.dispose]: () => clearTimeout(t) });
}

describe.skipIf(!kernel.ok)('RingBufferReader.batches on the kernel', () => {
  it('one batch per wake-up: exact records in order, discarded ones skipped, position committed', async () => {
    using s = ringSetup(40, 3);
    using reader = openRingBuffer(s.rb);
    s.prog.testRun({ data: DATA, repeat: 30 });
    using g = guard();
    const lengths: number[] = [];
    const seen: number[] = [];
    for await (const batch of reader.batches({ signal: g.signal })) {
      lengths.push(batch.length);
      expect(() => reader.consume(() => {})).toThrow(/cannot run beside it/);
      for (const rec of batch) {
        expect(rec).toEqual(expectedRecord(seqOf(rec), 40));
        seen.push(seqOf(rec));
      }
      expect(batch.bytes).toBe(batch.length * 40);
      if (seen.length === 20) break;
    }
    expect(lengths).toEqual([20]);
    expect(seen).toEqual([...Array(30).keys()].filter((i) => i % 3 !== 2));
    expect(reader.stats).toMatchObject({ records: 20, bytes: 20 * 40, discarded: 10 });
    expect(reader.positions).toEqual({ consumer: 30 * 48, producer: 30 * 48 });
    expect(reader.consume(() => {})).toBe(0); // consumed: not seen again, and the loop released the reader
  });

  it('max bounds the batches; stepping on consumes a batch whether looked at or not; a stale batch throws', async () => {
    using s = ringSetup(16, 0);
    using reader = openRingBuffer(s.rb);
    s.prog.testRun({ data: DATA, repeat: 25 });
    using g = guard();
    const lengths: number[] = [];
    const firsts: number[] = [];
    let previous: { batch: import('../../src/index.js').RingBufferBatch; rec: Uint8Array } | undefined;
    for await (const batch of reader.batches({ signal: g.signal, max: 10 })) {
      if (previous) {
        expect(previous.batch.live).toBe(false);
        expect(() => previous!.batch.record(0)).toThrow(BadInputError);
      }
      lengths.push(batch.length);
      firsts.push(seqOf(batch.record(0))); // only the first is looked at
      previous = { batch, rec: batch.copy(0) };
      if (lengths.reduce((a, b) => a + b) === 25) break;
    }
    expect(lengths).toEqual([10, 10, 5]);
    expect(firsts).toEqual([0, 10, 20]);
    expect(seqOf(previous!.rec)).toBe(20); // the copy outlives its batch
    // Two batches stepped on (20), then a break after handing out one record of the third.
    expect(reader.stats.records).toBe(21);
    expect(reader.consume(() => {})).toBe(4);
    await expect(reader.batches({ max: 0 }).next()).rejects.toThrow(RangeError);
  });

  it('a loop left early (break or throw) consumes only the records the batch handed out', async () => {
    using s = ringSetup(16, 0);
    using reader = openRingBuffer(s.rb);
    s.prog.testRun({ data: DATA, repeat: 12 });
    using g = guard();
    for await (const batch of reader.batches({ signal: g.signal })) {
      expect(batch.length).toBe(12);
      let i = 0;
      for (const rec of batch) {
        expect(seqOf(rec)).toBe(i);
        if (++i === 5) break;
      }
      break;
    }
    expect(reader.stats.records).toBe(5);
    await expect((async () => {
      for await (const batch of reader.batches({ signal: g.signal })) {
        expect(seqOf(batch.record(0))).toBe(5); // the rest of the broken-off batch, not lost
        expect(seqOf(batch.record(1))).toBe(6);
        throw new Error('boom');
      }
    })()).rejects.toThrow('boom');
    expect(reader.stats.records).toBe(7);
    const rest: number[] = [];
    expect(reader.consume((r) => rest.push(seqOf(r)))).toBe(5);
    expect(rest).toEqual([7, 8, 9, 10, 11]);
  });

  it('abort mid-batch: the body finishes its batch, the loop ends and commits it; abort while waiting ends it', async () => {
    using s = ringSetup(16, 0);
    using reader = openRingBuffer(s.rb);
    s.prog.testRun({ data: DATA, repeat: 8 });
    const ctl = new AbortController();
    let looked = 0;
    let batches = 0;
    for await (const batch of reader.batches({ signal: ctl.signal })) {
      batches++;
      for (const rec of batch) {
        looked++;
        if (seqOf(rec) === 2) ctl.abort(); // the loop body goes on with its batch
      }
    }
    expect([batches, looked]).toEqual([1, 8]);
    expect(reader.stats.records).toBe(8);
    // Records produced later wait for the next loop; a loop waiting on an empty ring ends on abort.
    s.prog.testRun({ data: DATA, repeat: 3 });
    expect(reader.consume(() => {})).toBe(3);
    const ctl2 = new AbortController();
    setTimeout(() => ctl2.abort(), 30);
    const t0 = Date.now();
    for await (const _ of reader.batches({ signal: ctl2.signal })) throw new Error('no batch expected');
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
  });

  it('live: woken by epoll per burst, every record once and in order; close() ends the loop', async () => {
    using s = ringSetup(16, 0);
    const reader = openRingBuffer(s.rb);
    let bursts = 0;
    const producer = setInterval(() => {
      s.prog.testRun({ data: DATA, repeat: 50 });
      if (++bursts === 6) {
        clearInterval(producer);
        setTimeout(() => reader.close(), 40);
      }
    }, 15);
    const seen: number[] = [];
    let batches = 0;
    try {
      for await (const batch of reader.batches()) {
        batches++;
        for (let i = 0; i < batch.length; i++) seen.push(Number(batch.view.getBigUint64(batch.offsetOf(i), true) >> 8n));
      }
    } finally {
      clearInterval(producer);
      reader.close();
    }
    expect(seen).toEqual([...Array(300).keys()]);
    expect(batches).toBeGreaterThanOrEqual(6);
    expect(batches).toBeLessThan(60); // batches, not records: one per burst, give or take a split burst
    expect(reader.closed).toBe(true);
    expect(s.failures()).toBe(0n);
  });
});

describe.skipIf(!kernel.ok)('PerfBufferReader.batches on the kernel', () => {
  const SIZE = 64;
  function perfSetup(): { events: BpfMap<number, number>; prog: Program; [Symbol.dispose](): void } {
    const events = createMap({ type: 'perf_event_array', maxEntries: possibleCpus() });
    const counter = createMap({ type: 'array', keySize: 4, valueSize: 16, maxEntries: 1 }) as BpfMap<number, Uint8Array>;
    const prog = loadProgram({ type: 'socket_filter', instructions: perfOutputProgram(SIZE), maps: { events, counter } });
    return { events, prog, [Symbol.dispose]() { prog.close(); counter.close(); events.close(); } };
  }

  it('samples of several CPUs in one batch; lost samples counted and reported when consumed; early leave keeps the rest', async () => {
    using s = perfSetup();
    const lostCalls: [number, number][] = [];
    using perf = openPerfBuffer(s.events, { pages: 1, onLost: (cpu, n) => lostCalls.push([cpu, n]) });
    const cpus = perf.cpus;
    const first = cpus[0]!;
    const last = cpus[cpus.length - 1]!;
    const record = 8 + 4 + (Math.ceil((SIZE + 4) / 8) * 8 - 4);
    const fit = Math.floor(pageSize() / record);
    onCpu(first, () => s.prog.testRun({ data: DATA, repeat: fit + 20 })); // 20 dropped
    using g = guard();
    const seqs: number[] = [];
    for await (const batch of perf.batches({ signal: g.signal })) {
      expect(batch.length).toBe(fit);
      for (const x of batch) {
        expect(x.cpu).toBe(first);
        expect(x.data.subarray(0, SIZE)).toEqual(expectedRecord(seqOf(x.data), SIZE));
        seqs.push(seqOf(x.data));
      }
      break; // all handed out: all consumed
    }
    expect(perf.stats.samples).toBe(fit);
    // The kernel writes the LOST record before the next sample it stores; one more on another CPU.
    onCpu(first, () => s.prog.testRun({ data: DATA }));
    if (last !== first) onCpu(last, () => s.prog.testRun({ data: DATA }));
    for await (const batch of perf.batches({ signal: g.signal })) {
      expect(batch.length).toBe(last !== first ? 2 : 1);
      expect(perf.stats.lost).toBe(0); // not before the batch holding the LOST record is consumed
      seqs.push(seqOf(batch.dataOf(0)));
      expect(batch.cpuOf(0)).toBe(first);
      break; // the second CPU's sample was not handed out
    }
    expect(seqs).toEqual([...Array(fit).keys(), fit + 20]);
    expect(perf.stats).toMatchObject({ samples: fit + 1, lost: 20 });
    expect(lostCalls).toEqual([[first, 20]]);
    const rest: number[] = [];
    perf.consume((x) => rest.push(x.cpu));
    expect(rest).toEqual(last !== first ? [last] : []);
  });
});

describe.skipIf(!kernel.ok)('batch loops release what they take', () => {
  const fds = (): number => readdirSync('/proc/self/fd').length;
  const kernelMappings = (): number =>
    readFileSync('/proc/self/maps', 'utf8').split('\n').filter((l) => /anon_inode:(bpf-map|\[perf_event\])/.test(l)).length;

  it('loops ended by break, abort while waiting and close leave no fd, mapping or abort listener behind', async () => {
    { // the process-wide epoll fd and eventfd are created once: warm them up
      using rb = createMap({ type: 'ringbuf', maxEntries: pageSize() });
      using r = openRingBuffer(rb);
      await r.poll(1);
    }
    const fd0 = fds();
    const maps0 = kernelMappings();
    const longLived = new AbortController(); // one signal for every loop, as an app's shutdown signal
    for (let i = 0; i < 12; i++) {
      using s = ringSetup(16, 0, pageSize());
      using events = createMap({ type: 'perf_event_array', maxEntries: possibleCpus() });
      const ring = openRingBuffer(s.rb);
      const perf = openPerfBuffer(events, { pages: 1 });
      s.prog.testRun({ data: DATA, repeat: 3 });
      for await (const batch of ring.batches({ signal: longLived.signal })) {
        expect(batch.copyAll().map(seqOf)).toEqual([0, 1, 2]); // all handed out: the break consumes them
        break;
      }
      const ctl = new AbortController();
      const loops = [ring.batches({ signal: longLived.signal }), perf.batches({ signal: i % 2 ? ctl.signal : longLived.signal })]
        .map(async (it) => { for await (const _ of it) throw new Error('nothing was produced'); });
      await new Promise((r) => setTimeout(r, 2));
      expect(getEventListeners(longLived.signal, 'abort').length).toBeGreaterThan(0); // the waits hook it
      if (i % 2) {
        ctl.abort();
        ring.close();
      } else {
        ring.close();
        perf.close();
      }
      await Promise.all(loops);
      perf.close();
      expect(ring.consume.bind(ring, () => {})).toThrow(BadInputError); // closed
    }
    expect(getEventListeners(longLived.signal, 'abort')).toEqual([]);
    expect(fds()).toBe(fd0);
    expect(kernelMappings()).toBe(maps0);
  });
});
