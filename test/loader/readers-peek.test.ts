import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RINGBUF_BUSY_BIT, RINGBUF_DISCARD_BIT, RingbufConsumer } from '../../src/loader/readers/ringbuf-consumer.js';
import { fakePerf, fakeRing } from './fake-rings.js';

describe('RingbufConsumer.peek/advance (what the async iterator uses)', () => {
  it('peek does not commit; advance does; discarded records are skipped and counted', () => {
    const r = fakeRing(256);
    r.write(Uint8Array.of(1), RINGBUF_DISCARD_BIT);
    r.write(Uint8Array.of(2, 3));
    r.write(Uint8Array.of(4), RINGBUF_BUSY_BIT);
    const c = r.consumer();
    expect([...c.peek()!]).toEqual([2, 3]);
    expect(c.consumerPosition).toBe(16); // past the discarded one only
    expect(c.discarded).toBe(1);
    expect([...c.peek()!]).toEqual([2, 3]); // still there
    c.advance();
    expect(c.consumerPosition).toBe(32);
    expect(c.peek()).toBeUndefined(); // busy
    c.advance(); // nothing peeked: no-op
    expect(c.consumerPosition).toBe(32);
  });

  it('consume reads the producer position again: a record committed meanwhile is not left behind', () => {
    // The kernel wakes the consumer only for a record committed at the consumer position; a record
    // committed while consume() was busy would otherwise wait for a wakeup that never comes.
    const r = fakeRing(256);
    r.write(Uint8Array.of(1));
    const c = r.consumer();
    const seen: number[] = [];
    c.consume((x) => {
      seen.push(x[0]!);
      if (x[0]! < 3) r.write(Uint8Array.of(x[0]! + 1));
    });
    expect(seen).toEqual([1, 2, 3]);
    const raw: number[] = [];
    r.write(Uint8Array.of(4));
    c.consumeRaw((d, o) => {
      raw.push(d[o]!);
      if (d[o]! < 6) r.write(Uint8Array.of(d[o]! + 1));
    });
    expect(raw).toEqual([4, 5, 6]);
  });

  it('consume commits a record even when the handler throws', () => {
    const r = fakeRing(256);
    r.write(Uint8Array.of(7));
    r.write(Uint8Array.of(8));
    const c = r.consumer();
    expect(() => c.consume(() => { throw new Error('boom'); })).toThrow('boom');
    const rest: number[] = [];
    c.consume((x) => rest.push(x[0]!));
    expect(rest).toEqual([8]);
  });

  it('peek/advance and consume see the same records across wrap-around (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.tuple(fc.integer({ min: 0, max: 60 }), fc.boolean()), { minLength: 1, maxLength: 300 }),
      fc.integer({ min: 1, max: 7 }),
      (recs, every) => {
        const a = fakeRing(128);
        const b = fakeRing(128);
        const ca = a.consumer();
        const cb = b.consumer();
        const viaPeek: number[][] = [];
        const viaConsume: number[][] = [];
        const drain = () => {
          for (let x = ca.peek(); x; x = ca.peek()) { viaPeek.push([...x]); ca.advance(); }
          cb.consume((x) => viaConsume.push([...x]));
        };
        let i = 0;
        for (const [len, discard] of recs) {
          const p = Uint8Array.from({ length: len }, (_, k) => (i + k) & 0xff);
          const flags = discard ? RINGBUF_DISCARD_BIT : 0;
          if (!a.write(p, flags)) {
            drain();
            expect(a.write(p, flags)).toBe(true);
          }
          expect(b.write(p, flags)).toBe(true);
          if (++i % every === 0) drain();
        }
        for (let x = ca.peek(); x; x = ca.peek()) { viaPeek.push([...x]); ca.advance(); }
        cb.consume((x) => viaConsume.push([...x]));
        expect(viaPeek).toEqual(viaConsume);
        expect(ca.discarded).toBe(cb.discarded);
        expect(viaPeek.length + ca.discarded).toBe(recs.length);
      },
    ), { numRuns: 200 });
  });
});

describe('PerfRingReader.peek/advance', () => {
  it('counts LOST records on the way, keeps the sample until advance, copies a wrapping sample', () => {
    const f = fakePerf(64);
    f.sample(Uint8Array.of(1, 2, 3)); // 16 bytes
    f.lost(4); // 24 bytes
    const r = f.reader();
    expect([...r.peek()!]).toEqual([1, 2, 3]);
    expect(f.tail()).toBe(0);
    r.advance();
    expect(f.tail()).toBe(16);
    expect(r.peek()).toBeUndefined();
    expect(r.lost).toBe(4);
    expect(f.tail()).toBe(40);
    // 40 + 32 bytes wraps at 64: the sample comes back whole.
    const big = Uint8Array.from({ length: 20 }, (_, i) => i + 100);
    f.sample(big);
    expect([...r.peek()!]).toEqual([...big]);
    r.advance();
    expect(f.tail()).toBe(72);
  });
});
