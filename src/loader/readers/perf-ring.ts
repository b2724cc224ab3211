/**
 * The reader side of one CPU's perf ring buffer (what BPF_MAP_TYPE_PERF_EVENT_ARRAY outputs to),
 * over memory the caller maps: the `perf_event_mmap_page` metadata page, then a data area of a
 * power-of-two size that is NOT mapped twice, so a record may wrap and is then copied.
 *
 * Records (include/uapi/linux/perf_event.h): `{ u32 type; u16 misc; u16 size; }` then a body.
 * bpf_perf_event_output produces PERF_RECORD_SAMPLE with PERF_SAMPLE_RAW: `{ u32 size; u8 data[] }`.
 * The kernel reports overruns with PERF_RECORD_LOST: `{ u64 id; u64 lost; }`.
 * @module
 */

/** perf_event_mmap_page field offsets. */
const DATA_HEAD = 1024;
const DATA_TAIL = 1032;

/** PERF_RECORD_LOST. */
export const PERF_RECORD_LOST = 2;
/** PERF_RECORD_SAMPLE. */
export const PERF_RECORD_SAMPLE = 9;

/** Called for each raw sample. The view is only valid until the callback returns. */
export type PerfSampleHandler = (sample: Uint8Array) => void;

/** Reads samples from one CPU's perf ring and counts lost ones. */
export class PerfRingReader {
  private readonly meta: DataView;
  private readonly data: Uint8Array;
  private readonly mask: number;
  private scratch = new Uint8Array(256);
  /** Tail after the sample {@link peek} returned, or -1. */
  private peeked = -1;
  /** Samples the kernel dropped because the ring was full, as its LOST records reported. */
  lost = 0;

  /**
   * @param metaPage the mapped `perf_event_mmap_page`
   * @param data the data area (one mapping of `size` bytes)
   * @param size its size: a power of two
   */
  constructor(metaPage: Uint8Array, data: Uint8Array, size: number) {
    if (!Number.isInteger(size) || size <= 0 || (size & (size - 1)) !== 0) {
      throw new RangeError(`perf ring size must be a power of two, got ${size}`);
    }
    this.meta = new DataView(metaPage.buffer, metaPage.byteOffset, metaPage.byteLength);
    this.data = data;
    this.mask = size - 1;
  }

  private get head(): number {
    return this.meta.getUint32(DATA_HEAD, true) + this.meta.getUint32(DATA_HEAD + 4, true) * 0x1_0000_0000;
  }

  private get tail(): number {
    return this.meta.getUint32(DATA_TAIL, true) + this.meta.getUint32(DATA_TAIL + 4, true) * 0x1_0000_0000;
  }

  /** Whether unread records are waiting. */
  get pending(): boolean {
    return this.head > this.tail;
  }

  /** Copies `len` bytes starting at ring position `pos` (wrapping) into a contiguous view. */
  private read(pos: number, len: number): Uint8Array {
    const at = pos & this.mask;
    if (at + len <= this.mask + 1) return this.data.subarray(at, at + len);
    if (this.scratch.length < len) this.scratch = new Uint8Array(Math.max(len, this.scratch.length * 2));
    const first = this.mask + 1 - at;
    this.scratch.set(this.data.subarray(at), 0);
    this.scratch.set(this.data.subarray(0, len - first), first);
    return this.scratch.subarray(0, len);
  }

  private setTail(tail: number): void {
    this.meta.setUint32(DATA_TAIL + 4, Math.floor(tail / 0x1_0000_0000), true);
    this.meta.setUint32(DATA_TAIL, tail >>> 0, true);
  }

  /**
   * The next raw sample without consuming it: valid until {@link advance} (a sample that wraps the
   * ring is a copy, others view the ring). LOST records on the way are counted and consumed.
   * Undefined when the ring holds no sample.
   */
  peek(): Uint8Array | undefined {
    let tail = this.tail;
    const head = this.head;
    while (tail < head) {
      const hdr = this.read(tail, 8);
      const type = hdr[0]! | hdr[1]! << 8 | hdr[2]! << 16 | hdr[3]! << 24;
      const size = hdr[6]! | hdr[7]! << 8;
      if (size < 8) return undefined; // corrupt header: stop rather than spin
      if (type === PERF_RECORD_SAMPLE) {
        const body = this.read(tail + 8, size - 8);
        const rawSize = body[0]! | body[1]! << 8 | body[2]! << 16 | body[3]! << 24;
        this.peeked = tail + size;
        return body.subarray(4, 4 + Math.min(rawSize >>> 0, body.length - 4));
      }
      if (type === PERF_RECORD_LOST) {
        const body = this.read(tail + 8, 16);
        const v = new DataView(body.buffer, body.byteOffset, 16);
        this.lost += v.getUint32(8, true) + v.getUint32(12, true) * 0x1_0000_0000;
      }
      tail += size;
      this.setTail(tail);
    }
    return undefined;
  }

  /** Consumes the sample the last {@link peek} returned; does nothing when there is none. */
  advance(): void {
    if (this.peeked < 0) return;
    this.setTail(this.peeked);
    this.peeked = -1;
  }

  /** The tail: position of the first unread record. */
  get position(): number {
    return this.tail;
  }

  /**
   * Walks the records from the tail without consuming any: `onSample` gets each raw sample (a view
   * into the ring, or a fresh copy when it wraps the ring's end, so that all stay valid together) and
   * the position of its record; `onLost` gets each PERF_RECORD_LOST's position and count, which are
   * not added to {@link lost} (see {@link commitTo}). Stops after `max` samples. Returns the position
   * after the last record walked.
   */
  scan(max: number, onSample: (sample: Uint8Array, position: number) => void,
    onLost: (position: number, count: number) => void): number {
    let tail = this.tail;
    const head = this.head;
    let n = 0;
    while (n < max && tail < head) {
      const hdr = this.read(tail, 8);
      const type = hdr[0]! | hdr[1]! << 8 | hdr[2]! << 16 | hdr[3]! << 24;
      const size = hdr[6]! | hdr[7]! << 8;
      if (size < 8) break; // corrupt header: stop rather than spin
      if (type === PERF_RECORD_SAMPLE) {
        const at = (tail + 8) & this.mask;
        const wraps = at + size - 8 > this.mask + 1;
        // read() copies a wrapping record into scratch, which the next one reuses: copy it out.
        const body = wraps ? this.read(tail + 8, size - 8).slice() : this.read(tail + 8, size - 8);
        const rawSize = body[0]! | body[1]! << 8 | body[2]! << 16 | body[3]! << 24;
        onSample(body.subarray(4, 4 + Math.min(rawSize >>> 0, body.length - 4)), tail);
        n++;
      } else if (type === PERF_RECORD_LOST) {
        const body = this.read(tail + 8, 16);
        const v = new DataView(body.buffer, body.byteOffset, 16);
        onLost(tail, v.getUint32(8, true) + v.getUint32(12, true) * 0x1_0000_0000);
      }
      tail += size;
    }
    return tail;
  }

  /**
   * Consumes everything before `position` (a record boundary from {@link scan}), adding `lost` (the
   * LOST counts {@link scan} reported before it) to {@link PerfRingReader.lost}.
   */
  commitTo(position: number, lost: number): void {
    this.lost += lost;
    if (position > this.tail) this.setTail(position);
  }

  /** Hands every raw sample to `handler`, counts LOST records, advances the tail. Returns samples read. */
  consume(handler: PerfSampleHandler): number {
    let count = 0;
    let tail = this.tail;
    const head = this.head;
    while (tail < head) {
      const hdr = this.read(tail, 8);
      const type = hdr[0]! | hdr[1]! << 8 | hdr[2]! << 16 | hdr[3]! << 24;
      const size = hdr[6]! | hdr[7]! << 8;
      if (size < 8) break; // corrupt header: stop rather than spin
      if (type === PERF_RECORD_SAMPLE) {
        const body = this.read(tail + 8, size - 8);
        const rawSize = body[0]! | body[1]! << 8 | body[2]! << 16 | body[3]! << 24;
        count++;
        try {
          handler(body.subarray(4, 4 + Math.min(rawSize >>> 0, body.length - 4)));
        } finally {
          // Consumed even when the handler throws, so one bad sample cannot be handed over forever.
          tail += size;
          this.setTail(tail);
        }
        continue;
      } else if (type === PERF_RECORD_LOST) {
        const body = this.read(tail + 8, 16);
        const v = new DataView(body.buffer, body.byteOffset, 16);
        this.lost += v.getUint32(8, true) + v.getUint32(12, true) * 0x1_0000_0000;
      }
      tail += size;
      this.setTail(tail);
    }
    return count;
  }
}
