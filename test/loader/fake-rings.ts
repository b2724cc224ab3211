/**
 * In-memory stand-ins for the kernel's BPF ring buffer and perf event ring, laid out as the kernel
 * lays them out, for reader tests that need no kernel.
 * @module
 */
import { RINGBUF_BUSY_BIT, RingbufConsumer } from '../../src/loader/readers/ringbuf-consumer.js';
import { PERF_RECORD_LOST, PERF_RECORD_SAMPLE, PerfRingReader } from '../../src/loader/readers/perf-ring.js';

/** A fake BPF ring: data area mapped twice, as the kernel lays it out. */
export function fakeRing(size: number) {
  const consumerPage = new Uint8Array(4096);
  const producerPage = new Uint8Array(4096);
  const data = new Uint8Array(2 * size);
  let prod = 0;
  const cons = () => new DataView(consumerPage.buffer).getUint32(0, true);
  /** Appends a record with header flags; its position, or -1 when the ring is full. */
  const writeAt = (payload: Uint8Array, flags = 0): number => {
    const total = (payload.length + 8 + 7) & ~7;
    if (prod + total - cons() > size - 1) return -1;
    const rec = new Uint8Array(total);
    new DataView(rec.buffer).setUint32(0, payload.length | flags, true);
    rec.set(payload, 8);
    for (let i = 0; i < total; i++) {
      data[(prod + i) % size] = rec[i]!;
      data[((prod + i) % size) + size] = rec[i]!;
    }
    const at = prod;
    prod += total;
    new DataView(producerPage.buffer).setUint32(0, prod, true);
    return at;
  };
  return {
    data,
    consumer: () => new RingbufConsumer(consumerPage, producerPage, data, size),
    cons,
    writeAt,
    /** Appends a record; false when the ring is full. */
    write: (payload: Uint8Array, flags = 0): boolean => writeAt(payload, flags) >= 0,
    /** Marks the record at `pos` committed (clears BUSY). */
    commit(pos: number) {
      const v = new DataView(data.buffer);
      const len = v.getUint32(pos % size, true) & ~RINGBUF_BUSY_BIT;
      v.setUint32(pos % size, len, true);
      v.setUint32((pos % size) + size, len, true);
    },
  };
}

/** A fake perf event ring: the metadata page (data_head @1024, data_tail @1032) and the data area. */
export function fakePerf(size: number) {
  const meta = new Uint8Array(4096);
  const data = new Uint8Array(size);
  let head = 0;
  const put = (rec: Uint8Array) => {
    for (let i = 0; i < rec.length; i++) data[(head + i) % size] = rec[i]!;
    head += rec.length;
    new DataView(meta.buffer).setUint32(1024, head, true);
  };
  return {
    reader: () => new PerfRingReader(meta, data, size),
    tail: () => new DataView(meta.buffer).getUint32(1032, true),
    sample(p: Uint8Array) {
      const n = (8 + 4 + p.length + 7) & ~7;
      const rec = new Uint8Array(n);
      const v = new DataView(rec.buffer);
      v.setUint32(0, PERF_RECORD_SAMPLE, true);
      v.setUint16(6, n, true);
      v.setUint32(8, p.length, true);
      rec.set(p, 12);
      put(rec);
    },
    lost(k: number) {
      const rec = new Uint8Array(24);
      const v = new DataView(rec.buffer);
      v.setUint32(0, PERF_RECORD_LOST, true);
      v.setUint16(6, 24, true);
      v.setUint32(16, k, true);
      put(rec);
    },
  };
}
