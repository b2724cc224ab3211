import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { PERF_RECORD_LOST, PERF_RECORD_SAMPLE, PerfRingReader } from '../../src/loader/readers/perf-ring.js';

/** A fake kernel writing perf records into a single-mapped ring, wrapping byte by byte. */
class FakePerf {
  readonly meta = new Uint8Array(4096);
  readonly data: Uint8Array;
  private head = 0;
  constructor(readonly size: number) { this.data = new Uint8Array(size); }
  private tail(): number { return new DataView(this.meta.buffer).getUint32(1032, true); }
  private put(rec: Uint8Array): boolean {
    if (this.head + rec.length - this.tail() > this.size) return false;
    for (let i = 0; i < rec.length; i++) this.data[(this.head + i) % this.size] = rec[i]!;
    this.head += rec.length;
    new DataView(this.meta.buffer).setUint32(1024, this.head, true);
    return true;
  }
  sample(payload: Uint8Array): boolean {
    // header(8) + u32 size + data, padded to 8 as the kernel does for raw samples.
    const size = (8 + 4 + payload.length + 7) & ~7;
    const rec = new Uint8Array(size);
    const v = new DataView(rec.buffer);
    v.setUint32(0, PERF_RECORD_SAMPLE, true);
    v.setUint16(6, size, true);
    v.setUint32(8, payload.length, true);
    rec.set(payload, 12);
    return this.put(rec);
  }
  lostRecord(n: number): boolean {
    const rec = new Uint8Array(24);
    const v = new DataView(rec.buffer);
    v.setUint32(0, PERF_RECORD_LOST, true);
    v.setUint16(6, 24, true);
    v.setUint32(16, n, true);
    return this.put(rec);
  }
  reader(): PerfRingReader { return new PerfRingReader(this.meta, this.data, this.size); }
}

describe('PerfRingReader', () => {
  it('reads samples and counts lost records', () => {
    const ring = new FakePerf(256);
    ring.sample(Uint8Array.of(1, 2));
    ring.lostRecord(5);
    ring.sample(Uint8Array.of(3));
    const r = ring.reader();
    const seen: number[][] = [];
    expect(r.consume((s) => seen.push([...s]))).toBe(2);
    expect(seen).toEqual([[1, 2], [3]]);
    expect(r.lost).toBe(5);
    expect(r.pending).toBe(false);
  });

  it('reassembles records that wrap around the end (property)', () => {
    fc.assert(fc.property(
      fc.array(fc.uint8Array({ maxLength: 60 }), { minLength: 1, maxLength: 100 }),
      (payloads) => {
        const ring = new FakePerf(128);
        const r = ring.reader();
        const seen: number[][] = [];
        let next = 0;
        while (next < payloads.length || r.pending) {
          while (next < payloads.length && ring.sample(payloads[next]!)) next++;
          r.consume((s) => seen.push([...s]));
        }
        expect(seen).toEqual(payloads.map((p) => [...p]));
      },
    ), { numRuns: 200 });
  });
});
