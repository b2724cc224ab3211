import { Worker } from 'node:worker_threads';
import { describe, it, expect } from 'vitest';
import { asm, R0, R1, R2, R3, R4, R10, attachTracepoint, createMap, loadProgram, openRingBuffer, BadInputError, pageSize } from '../../src/index.js';
import { getpidSyscall } from '../../src/loader/ffi.js';
import type { BpfMap, Program } from '../../src/index.js';
import { kernelTestContext } from './privileged.js';
import { expectedRecord, ringbufOutputProgram, ringbufReserveProgram, seqOf } from './readers-programs.js';

const kernel = kernelTestContext('ring buffer reader');
const DATA = new Uint8Array(64);

function setup(program: ReturnType<typeof ringbufReserveProgram>, ringBytes: number): {
  rb: BpfMap; counter: BpfMap<number, Uint8Array>; prog: Program; failures(): bigint; [Symbol.dispose](): void;
} {
  const rb = createMap({ type: 'ringbuf', maxEntries: ringBytes });
  const counter = createMap({ type: 'array', keySize: 4, valueSize: 16, maxEntries: 1 }) as BpfMap<number, Uint8Array>;
  const prog = loadProgram({ type: 'socket_filter', instructions: program, maps: { rb, counter } });
  return {
    rb, counter, prog,
    failures: () => new DataView(counter.lookup(0)!.buffer, counter.lookup(0)!.byteOffset).getBigUint64(8, true),
    [Symbol.dispose]() { prog.close(); counter.close(); rb.close(); },
  };
}

describe.skipIf(!kernel.ok)('openRingBuffer on the kernel', () => {
  it('hands over exact records in order, skips discarded ones, counts them', () => {
    using s = setup(ringbufReserveProgram(40, 3), 4 * pageSize());
    using reader = openRingBuffer(s.rb);
    s.prog.testRun({ data: DATA, repeat: 30 });
    const seen: number[] = [];
    const n = reader.consume((r) => {
      expect(r).toEqual(expectedRecord(seqOf(r), 40));
      seen.push(seqOf(r));
    });
    const kept = [...Array(30).keys()].filter((i) => i % 3 !== 2);
    expect(n).toBe(20);
    expect(seen).toEqual(kept);
    expect(reader.stats).toMatchObject({ records: 20, bytes: 20 * 40, discarded: 10 });
    expect(reader.pending).toBe(false);
    // Every record, discarded ones too, took 8 + 40 bytes; the consumer caught up with the producer.
    expect(reader.positions).toEqual({ consumer: 30 * 48, producer: 30 * 48 });
    expect(reader.consume(() => {})).toBe(0);
    expect(s.failures()).toBe(0n);
  });

  it('wraps around a small ring many times (bpf_ringbuf_output), nothing lost or reordered', () => {
    const ps = pageSize();
    using s = setup(ringbufOutputProgram(64), ps);
    using reader = openRingBuffer(s.rb);
    let next = 0;
    const perRun = Math.floor((ps - 1) / 72); // 8-byte header + 64 bytes: what fits without a consumer
    const runs = 400;
    for (let i = 0; i < runs; i++) {
      s.prog.testRun({ data: DATA, repeat: perRun });
      reader.consume((r) => {
        expect(seqOf(r)).toBe(next);
        if (next % 97 === 0) expect(r).toEqual(expectedRecord(next, 64));
        next++;
      });
    }
    expect(next).toBe(runs * perRun);
    expect(s.failures()).toBe(0n);
    expect(reader.positions.consumer).toBe(runs * perRun * 72);
    expect(reader.positions.consumer / ps).toBeGreaterThan(300); // the ring wrapped hundreds of times
  });

  it('a full ring makes the producer fail, not corrupt: exactly what fit is read', () => {
    const ps = pageSize();
    using s = setup(ringbufReserveProgram(56, 0), ps);
    using reader = openRingBuffer(s.rb);
    s.prog.testRun({ data: DATA, repeat: 200 });
    // The kernel refuses a record once producer - consumer would exceed size - 1
    // (kernel/bpf/ringbuf.c, __bpf_ringbuf_reserve): one 64-byte slot always stays free.
    const fit = ps / 64 - 1;
    let n = 0;
    reader.consume((r) => { expect(seqOf(r)).toBe(n++); });
    expect(n).toBe(fit);
    expect(s.failures()).toBe(BigInt(200 - fit));
  });

  it('async iterator: wakes on new records while the event loop keeps running, stops on abort', async () => {
    using s = setup(ringbufReserveProgram(16, 0), 4 * pageSize());
    using reader = openRingBuffer(s.rb);
    const ctl = new AbortController();
    let ticks = 0;
    const ticker = setInterval(() => { ticks++; }, 5);
    const got: number[] = [];
    // Produce in bursts from timers: the iterator must be woken by epoll each time.
    let bursts = 0;
    const producer = setInterval(() => {
      s.prog.testRun({ data: DATA, repeat: 7 });
      if (++bursts === 5) clearInterval(producer);
    }, 20);
    for await (const r of reader.records({ signal: ctl.signal })) {
      expect(r).toEqual(expectedRecord(seqOf(r), 16));
      got.push(seqOf(r));
      if (got.length === 35) setTimeout(() => ctl.abort(), 30);
    }
    clearInterval(ticker);
    expect(got).toEqual([...Array(35).keys()]);
    expect(ticks).toBeGreaterThan(10);
    expect(reader.stats.wakeups).toBeGreaterThanOrEqual(5);
    expect(reader.closed).toBe(false);
    // The iteration ended; the reader still works.
    s.prog.testRun({ data: DATA, repeat: 2 });
    expect(reader.consume(() => {})).toBe(2);
  });

  it('async iterator: records produced while the loop body awaits are not left behind', async () => {
    using s = setup(ringbufReserveProgram(16, 0), 4 * pageSize());
    using reader = openRingBuffer(s.rb);
    const ctl = new AbortController();
    const guard = setTimeout(() => ctl.abort(), 5000);
    s.prog.testRun({ data: DATA });
    // Another reader waiting all along keeps the shared epoll_wait running, so edges that come while
    // this loop's body is busy are harvested and dropped: the reader must not rely on them.
    using idleRing = createMap({ type: 'ringbuf', maxEntries: pageSize() });
    using idle = openRingBuffer(idleRing);
    const idleCtl = new AbortController();
    const idleLoop = idle.read(() => {}, { signal: idleCtl.signal });

    const got: number[] = [];
    for await (const r of reader.records({ signal: ctl.signal })) {
      got.push(seqOf(r));
      if (got.length === 6) break;
      // The next record is committed while this body is busy (nobody waits on the ring then).
      s.prog.testRun({ data: DATA });
      await new Promise((res) => setTimeout(res, 15));
    }
    clearTimeout(guard);
    idleCtl.abort();
    await idleLoop;
    expect(got).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('read(): callback loop ends when the signal aborts and when the reader closes', async () => {
    using s = setup(ringbufReserveProgram(8, 0), pageSize());
    const reader = openRingBuffer(s.rb);
    const ctl = new AbortController();
    let count = 0;
    let timerFired = false;
    setTimeout(() => { timerFired = true; s.prog.testRun({ data: DATA, repeat: 10 }); }, 10);
    setTimeout(() => ctl.abort(), 80);
    expect(await reader.read(() => { count++; }, { signal: ctl.signal })).toBe(10);
    expect(timerFired).toBe(true);
    expect(count).toBe(10);
    // close() from a timer ends a pending read.
    const pending = reader.read(() => {});
    expect(() => reader.consume(() => {})).toThrow(/cannot run beside it/);
    await expect(reader.read(() => {})).rejects.toThrow(/already being read/);
    setTimeout(() => reader.close(), 10);
    expect(await pending).toBe(0);
    expect(reader.closed).toBe(true);
    expect(() => reader.consume(() => {})).toThrow(BadInputError);
  });

  it('poll(timeout) resolves false on timeout and true when a record arrives', async () => {
    using s = setup(ringbufReserveProgram(8, 0), pageSize());
    using reader = openRingBuffer(s.rb);
    const t0 = Date.now();
    expect(await reader.poll(30)).toBe(false);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(25);
    setTimeout(() => s.prog.testRun({ data: DATA }), 10);
    expect(await reader.poll(5000)).toBe(true);
    expect(reader.consume(() => {})).toBe(1);
  });

  it('the open signal closes the reader; the reader keeps its own fd after the map is closed', async () => {
    using s = setup(ringbufReserveProgram(8, 0), pageSize());
    const ctl = new AbortController();
    const reader = openRingBuffer({ fd: s.rb.fd }, { signal: ctl.signal });
    s.rb.close(); // the program and the reader still hold the map
    s.prog.testRun({ data: DATA, repeat: 3 });
    const it = reader[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    ctl.abort();
    expect((await it.next()).done).toBe(true);
    expect(reader.closed).toBe(true);
  });

  it('records from an attached tracepoint program (sys_enter_getpid) wake the iterator', async () => {
    using rb = createMap({ type: 'ringbuf', maxEntries: 16 * pageSize() });
    // Each getpid() on this process: { u32 tgid, u32 tid } = bpf_get_current_pid_tgid().
    using prog = loadProgram({
      type: 'tracepoint',
      maps: { rb },
      instructions: asm.program([
        asm.call('get_current_pid_tgid'),
        asm.mov64(R1, R0), asm.rsh64(R1, 32),
        asm.jeq64(R1, process.pid, 'mine'),
        asm.mov64(R0, 0), asm.exit(),
        asm.label('mine'),
        asm.stxdw(R10, -8, R0),
        asm.loadMap(R1, 'rb'), asm.mov64(R2, R10), asm.add64(R2, -8), asm.mov64(R3, 8), asm.mov64(R4, 0),
        asm.call('ringbuf_output'),
        asm.mov64(R0, 0), asm.exit(),
      ]).instructions,
    });
    using link = attachTracepoint(prog, 'syscalls/sys_enter_getpid');
    using reader = openRingBuffer(rb);
    const ctl = new AbortController();
    const guard = setTimeout(() => ctl.abort(), 5000);
    setTimeout(() => { for (let i = 0; i < 10; i++) getpidSyscall(); }, 20);
    let n = 0;
    for await (const r of reader.records({ signal: ctl.signal })) {
      const v = new DataView(r.buffer, r.byteOffset, r.byteLength);
      expect(r.length).toBe(8);
      expect(v.getUint32(4, true)).toBe(process.pid);
      if (++n === 10) break;
    }
    clearTimeout(guard);
    expect(n).toBe(10);
    expect(link.closed).toBe(false);
  });

  it('a producer on another thread: every record is either delivered or counted as dropped', async () => {
    // Lost wakeups show up here as records left in the ring with the reader asleep.
    using s = setup(ringbufReserveProgram(16, 0), 16 * pageSize());
    using reader = openRingBuffer(s.rb);
    const calls = 8000;
    const repeat = 64;
    const ctl = new AbortController();
    let next = 0;
    let inOrder = true;
    const reading = reader.read((r) => {
      const q = seqOf(r);
      if (q < next) inOrder = false;
      next = q + 1;
    }, { signal: ctl.signal });
    const worker = new Worker(new URL('./readers-producer-worker.mjs', import.meta.url),
      { workerData: { id: s.prog.id, calls, repeat } });
    await new Promise((resolve, reject) => { worker.once('message', resolve); worker.once('error', reject); });
    await worker.terminate();
    // Give the reader a moment for the tail, then stop it.
    const deadline = Date.now() + 3000;
    const failures = () => Number(s.failures());
    while (reader.stats.records + failures() < calls * repeat && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 10));
    }
    ctl.abort();
    const delivered = await reading;
    expect(inOrder).toBe(true);
    expect(delivered + failures()).toBe(calls * repeat);
    expect(delivered).toBeGreaterThan(0);
    expect(reader.pending).toBe(false);
  }, 30_000);

  it('rejects other map types, naming them', () => {
    using arr = createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1, name: 'not_rb' });
    expect(() => openRingBuffer(arr)).toThrow(BadInputError);
    expect(() => openRingBuffer(arr)).toThrow(/map "not_rb" is a array map, not a ringbuf map/);
    using urb = createMap({ type: 'user_ringbuf', maxEntries: pageSize() });
    expect(() => openRingBuffer(urb)).toThrow(/user_ringbuf.*written by user space/);
    expect(() => openRingBuffer({ fd: -1 })).toThrow();
  });
});
