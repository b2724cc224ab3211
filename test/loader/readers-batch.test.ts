import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BadInputError } from '../../src/errors.js';
import { RINGBUF_BUSY_BIT, RINGBUF_DISCARD_BIT, RingbufConsumer, RingbufScan } from '../../src/loader/readers/ringbuf-consumer.js';
import { RingBufferBatch } from '../../src/loader/readers/ringbuf-batch.js';
import { PerfBufferBatch, PerfScan } from '../../src/loader/readers/perf-batch.js';
import { fakePerf, fakeRing } from './fake-rings.js';

/** Scans `c` into a batch the way RingBufferReader.batches does. */
function batchOf(c: RingbufConsumer, scan: RingbufScan, data: Uint8Array, max = Infinity): RingBufferBatch {
  c.scan(scan, max);
  return new RingBufferBatch(scan, data, new DataView(data.buffer, data.byteOffset, data.byteLength));
}

describe('RingbufConsumer.scan/commitScan and RingBufferBatch', () => {
  it('a scan consumes nothing; records up to a busy one; discards counted only when committed', () => {
    const r = fakeRing(256);
    r.write(Uint8Array.of(1), RINGBUF_DISCARD_BIT);
    r.write(Uint8Array.of(2, 3));
    r.write(Uint8Array.of(4));
    const busy = r.writeAt(Uint8Array.of(5), RINGBUF_BUSY_BIT);
    const c = r.consumer();
    const scan = new RingbufScan();
    const b = batchOf(c, scan, r.data);
    expect(b.length).toBe(2);
    expect(b.bytes).toBe(3);
    expect([...b].map((x) => [...x])).toEqual([[2, 3], [4]]);
    expect(c.consumerPosition).toBe(0);
    expect(c.discarded).toBe(0);
    expect(c.commitScan(scan, b.end(true))).toBe(3);
    expect(c.consumerPosition).toBe(48);
    expect(c.discarded).toBe(1);
    expect(() => b.record(0)).toThrow(BadInputError);
    expect(c.scan(scan)).toBe(0); // busy
    r.commit(busy);
    expect(c.scan(scan)).toBe(1);
  });

  it('partial commit: only the handed-out prefix is consumed; the rest (and its discards) are seen again', () => {
    const r = fakeRing(256);
    for (let i = 0; i < 6; i++) r.write(Uint8Array.of(i), i === 3 ? RINGBUF_DISCARD_BIT : 0);
    const c = r.consumer();
    const scan = new RingbufScan();
    const b = batchOf(c, scan, r.data);
    expect(b.length).toBe(5);
    expect(b.record(0)[0]).toBe(0);
    expect(b.lengthOf(2)).toBe(1); // handed out up to index 2
    expect(b.handedOut).toBe(3);
    c.commitScan(scan, b.end(false));
    // Consumed up to the next record not handed out: the discarded one before it goes too, once.
    expect(c.discarded).toBe(1);
    expect(c.consumerPosition).toBe(4 * 16);
    const rest: number[] = [];
    c.consume((x) => rest.push(x[0]!));
    expect(rest).toEqual([4, 5]);
    expect(c.discarded).toBe(1);
  });

  it('max bounds a batch; the batch checks its indexes', () => {
    const r = fakeRing(256);
    for (let i = 0; i < 5; i++) r.write(Uint8Array.of(i, i));
    const c = r.consumer();
    const scan = new RingbufScan();
    const b = batchOf(c, scan, r.data, 2);
    expect(b.length).toBe(2);
    expect(() => b.record(2)).toThrow(RangeError);
    expect(() => b.record(-1)).toThrow(RangeError);
    expect(() => b.record(0.5)).toThrow(RangeError);
    expect(b.handedOut).toBe(0); // refused indexes hand nothing out
    const copies = b.copyAll();
    expect(b.view.getUint8(b.offsetOf(1))).toBe(1);
    c.commitScan(scan, b.end(true));
    expect(copies.map((x) => [...x])).toEqual([[0, 0], [1, 1]]);
    expect(batchOf(c, scan, r.data).length).toBe(3);
  });

  it('scan/commit in batches sees exactly what consume sees, across wrap-around (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.boolean()), { minLength: 1, maxLength: 300 }),
      fc.integer({ min: 1, max: 7 }),
      fc.integer({ min: 1, max: 9 }),
      (recs, every, max) => {
        const a = fakeRing(128);
        const b = fakeRing(128);
        const ca = a.consumer();
        const cb = b.consumer();
        const scan = new RingbufScan();
        const viaBatch: number[][] = [];
        const viaConsume: number[][] = [];
        let partial = false;
        const drain = () => {
          for (let batch = batchOf(ca, scan, a.data, max); batch.length > 0; batch = batchOf(ca, scan, a.data, max)) {
            // Alternate whole batches and batches left after their first record.
            partial = !partial;
            if (partial) viaBatch.push([...batch.record(0)]);
            else for (const x of batch) viaBatch.push([...x]);
            ca.commitScan(scan, batch.end(!partial));
          }
          ca.commitScan(scan, 0);
          cb.consume((x) => viaConsume.push([...x]));
        };
        let i = 0;
        for (const [len, discard] of recs) {
          const p = Uint8Array.from({ length: len }, (_, k) => (i + k) & 0xff);
          const flags = discard ? RINGBUF_DISCARD_BIT : 0;
          if (a.writeAt(p, flags) < 0) {
            drain();
            expect(a.writeAt(p, flags)).toBeGreaterThanOrEqual(0);
          }
          expect(b.writeAt(p, flags)).toBeGreaterThanOrEqual(0);
          if (++i % every === 0) drain();
        }
        drain();
        expect(viaBatch).toEqual(viaConsume);
        expect(ca.discarded).toBe(cb.discarded);
        expect(ca.bytes).toBe(cb.bytes);
        expect(ca.consumerPosition).toBe(cb.consumerPosition);
      },
    ), { numRuns: 200 });
  });
});

describe('PerfScan and PerfBufferBatch', () => {
  it('two rings: order, wrapped samples stay distinct, LOST counted only once consumed', () => {
    const f0 = fakePerf(64);
    const f1 = fakePerf(64);
    const rings = [{ cpu: 3, ring: f0.reader() }, { cpu: 5, ring: f1.reader() }];
    // Ring 0: move its tail to 40 so the next two samples both wrap the end at 64.
    f0.sample(new Uint8Array(20)); // 32 bytes
    f0.sample(new Uint8Array(0)); // 8 + 4 -> 16 bytes
    rings[0]!.ring.consume(() => {});
    expect(f0.tail()).toBe(48);
    f0.sample(Uint8Array.of(1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1)); // 24 bytes: 48..72, wraps
    f0.lost(7);
    f1.sample(Uint8Array.of(2));
    f1.sample(Uint8Array.of(3));
    f1.lost(2);
    const scan = new PerfScan();
    scan.collect(rings, Infinity);
    const b = new PerfBufferBatch(scan);
    expect(b.length).toBe(3);
    expect(scan.cpus.map((c, i) => [c, scan.data[i]![0]])).toEqual([[3, 1], [5, 2], [5, 3]]);
    expect([...b.dataOf(0)]).toEqual(Array(12).fill(1)); // wrapped: a copy, intact
    expect(b.sample(1)).toEqual({ cpu: 5, data: Uint8Array.of(2) });
    expect(b.handedOut).toBe(2);
    expect(rings[0]!.ring.lost + rings[1]!.ring.lost).toBe(0);
    // Left after sample 1: ring 0 wholly consumed (its LOST too), ring 1 up to sample 3 (its LOST after it stays).
    expect(scan.commit(rings, b.end(false))).toBe(12 + 1);
    expect(rings[0]!.ring.lost).toBe(7);
    expect(rings[1]!.ring.lost).toBe(0);
    expect(() => b.sample(0)).toThrow(BadInputError);
    scan.collect(rings, Infinity);
    expect(scan.length).toBe(1);
    expect(scan.data[0]![0]).toBe(3);
    scan.commit(rings, 1);
    expect(rings[1]!.ring.lost).toBe(2);
    expect(rings[1]!.ring.pending).toBe(false);
  });

  it('max spans rings; an unwalked ring keeps its tail', () => {
    const f0 = fakePerf(256);
    const f1 = fakePerf(256);
    const rings = [{ cpu: 0, ring: f0.reader() }, { cpu: 1, ring: f1.reader() }];
    for (let i = 0; i < 3; i++) f0.sample(Uint8Array.of(i));
    for (let i = 0; i < 3; i++) f1.sample(Uint8Array.of(10 + i));
    const scan = new PerfScan();
    const seen: number[] = [];
    for (scan.collect(rings, 2); scan.length > 0; scan.collect(rings, 2)) {
      const b = new PerfBufferBatch(scan);
      for (const s of b) seen.push(s.data[0]!);
      scan.commit(rings, b.end(true));
    }
    expect(seen).toEqual([0, 1, 2, 10, 11, 12]);
    expect(f0.tail()).toBe(3 * 16);
    expect(f1.tail()).toBe(3 * 16);
  });
});
