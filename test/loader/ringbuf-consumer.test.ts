import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  RINGBUF_BUSY_BIT, RINGBUF_DISCARD_BIT, RingbufConsumer,
} from '../../src/loader/readers/ringbuf-consumer.js';

/** A fake kernel producer writing into a doubly-mapped data area, as kernel/bpf/ringbuf.c does. */
class FakeRing {
  readonly consumerPage = new Uint8Array(4096);
  readonly producerPage = new Uint8Array(4096);
  readonly data: Uint8Array;
  private prod = 0;
  constructor(readonly size: number) { this.data = new Uint8Array(2 * size); }
  private cons(): number { return new DataView(this.consumerPage.buffer).getUint32(0, true); }
  /** Reserves and writes a record; returns false when the ring is full. */
  write(payload: Uint8Array, flags = 0): boolean {
    const total = (payload.length + 8 + 7) & ~7;
    if (this.prod + total - this.cons() > this.size) return false;
    const rec = new Uint8Array(total);
    const v = new DataView(rec.buffer);
    v.setUint32(0, payload.length | flags, true);
    rec.set(payload, 8);
    for (let i = 0; i < total; i++) {
      // The second mapping mirrors the first: write both copies.
      const p = (this.prod + i) % this.size;
      this.data[p] = rec[i]!;
      this.data[p + this.size] = rec[i]!;
    }
    this.prod += total;
    new DataView(this.producerPage.buffer).setUint32(0, this.prod, true);
    return true;
  }
  consumer(): RingbufConsumer {
    return new RingbufConsumer(this.consumerPage, this.producerPage, this.data, this.size);
  }
}

describe('RingbufConsumer', () => {
  it('hands over committed records in order, skips discarded, stops at busy', () => {
    const ring = new FakeRing(256);
    ring.write(Uint8Array.of(1, 2, 3));
    ring.write(Uint8Array.of(9), RINGBUF_DISCARD_BIT);
    ring.write(Uint8Array.of(4, 5));
    ring.write(Uint8Array.of(6), RINGBUF_BUSY_BIT);
    ring.write(Uint8Array.of(7));
    const c = ring.consumer();
    const seen: number[][] = [];
    expect(c.consume((r) => seen.push([...r]))).toBe(2);
    expect(seen).toEqual([[1, 2, 3], [4, 5]]);
    // 16 + 16 + 16 bytes consumed (discarded one included); the busy record blocks the rest.
    expect(c.consumerPosition).toBe(48);
    expect(c.pending).toBe(true);
  });

  it('honours the limit and resumes where it stopped', () => {
    const ring = new FakeRing(1024);
    for (let i = 0; i < 10; i++) ring.write(Uint8Array.of(i));
    const c = ring.consumer();
    const seen: number[] = [];
    expect(c.consume((r) => seen.push(r[0]!), 4)).toBe(4);
    expect(c.consume((r) => seen.push(r[0]!))).toBe(6);
    expect(seen).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(c.pending).toBe(false);
  });

  it('delivers every record exactly once across wrap-around (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.uint8Array({ minLength: 0, maxLength: 100 }), { minLength: 1, maxLength: 200 }),
      fc.integer({ min: 1, max: 7 }),
      (payloads, batch) => {
        const ring = new FakeRing(512);
        const c = ring.consumer();
        const seen: number[][] = [];
        let next = 0;
        while (next < payloads.length || c.pending) {
          while (next < payloads.length && ring.write(payloads[next]!)) next++;
          c.consume((r) => seen.push([...r]), batch);
        }
        expect(seen).toEqual(payloads.map((p) => [...p]));
      },
    ), { numRuns: 200 });
  });

  it('rejects a size that is not a power of two', () => {
    expect(() => new RingbufConsumer(new Uint8Array(8), new Uint8Array(8), new Uint8Array(600), 300)).toThrow(/power of two/);
  });
});
