/**
 * The consumer side of a BPF ring buffer (BPF_MAP_TYPE_RINGBUF), over memory the caller maps:
 * the consumer page (read-write, holds the consumer position) and the producer page followed by
 * the data area, which the kernel maps twice in a row so that a record never wraps.
 *
 * Record layout (kernel/bpf/ringbuf.c): an 8-byte header `{ u32 len; u32 pg_off; }`, where `len`
 * carries BUSY (bit 31, still being written) and DISCARD (bit 30), then the data, the whole
 * rounded up to 8 bytes. Pure logic on typed arrays: testable without a kernel.
 * @module
 */

/** Header bit: the producer has reserved the record but not yet committed it. */
export const RINGBUF_BUSY_BIT = 0x8000_0000;
/** Header bit: the producer discarded the record; skip it. */
export const RINGBUF_DISCARD_BIT = 0x4000_0000;
/** Size of the record header. */
export const RINGBUF_HDR_SIZE = 8;

/** Called for each committed record. The view is only valid until the callback returns. */
export type RingbufRecordHandler = (record: Uint8Array) => void;

/** Reads committed records and advances the consumer position. */
export class RingbufConsumer {
  private readonly consumer: DataView;
  private readonly producer: DataView;
  private readonly data: Uint8Array;
  private readonly dataView: DataView;
  private readonly mask: number;
  // The typed-array getters (buffer, byteOffset) are slow enough to matter per record: read them once.
  private readonly buffer: ArrayBufferLike;
  private readonly base: number;
  /** Position after the record {@link peek} returned, or -1. */
  private peeked = -1;
  /** Discarded records skipped so far. */
  discarded = 0;
  /** Bytes of the records {@link consume} and {@link consumeRaw} handed over. */
  bytes = 0;

  /**
   * @param consumerPage the mapped consumer page (position at offset 0, u64)
   * @param producerPage the mapped producer page (position at offset 0, u64)
   * @param data the data area mapped twice: `2 * size` bytes
   * @param size the ring size (max_entries): a power of two
   */
  constructor(consumerPage: Uint8Array, producerPage: Uint8Array, data: Uint8Array, size: number) {
    if (!Number.isInteger(size) || size <= 0 || (size & (size - 1)) !== 0) {
      throw new RangeError(`ring size must be a power of two, got ${size}`);
    }
    if (data.byteLength < 2 * size) throw new RangeError('data area must be mapped twice (2 * size bytes)');
    this.consumer = new DataView(consumerPage.buffer, consumerPage.byteOffset, 8);
    this.producer = new DataView(producerPage.buffer, producerPage.byteOffset, 8);
    this.data = data;
    this.dataView = new DataView(data.buffer, data.byteOffset, data.byteLength);
    this.mask = size - 1;
    this.buffer = data.buffer;
    this.base = data.byteOffset;
  }

  /** The consumer position (bytes consumed since the ring was created). */
  get consumerPosition(): number {
    // Positions grow by at most the bytes ever produced: below 2^53 for centuries of traffic.
    return this.consumer.getUint32(0, true) + this.consumer.getUint32(4, true) * 0x1_0000_0000;
  }

  /** The producer position. */
  get producerPosition(): number {
    return this.producer.getUint32(0, true) + this.producer.getUint32(4, true) * 0x1_0000_0000;
  }

  /** Whether committed or busy records are waiting. */
  get pending(): boolean {
    return this.producerPosition > this.consumerPosition;
  }

  /**
   * Hands every committed record to `handler`, skipping discarded ones, and stops at the first
   * busy record or when `limit` records were handed over. Returns the number handed over.
   * The consumer position is committed after each record (also when the handler throws), so the
   * kernel can reuse the space.
   */
  consume(handler: RingbufRecordHandler, limit = Infinity): number {
    const buf = this.buffer;
    const base = this.base;
    let count = 0;
    let cons = this.consumerPosition;
    let prod = this.producerPosition;
    // Read the producer position again whenever it is reached, as libbpf does: the kernel wakes a
    // waiting consumer only for a record committed exactly at the consumer position, so stopping on
    // a stale producer position could leave a record behind with no wakeup to come for it.
    while (count < limit && (cons < prod || cons < (prod = this.producerPosition))) {
      const at = cons & this.mask;
      const len = this.dataView.getUint32(at, true);
      if (len & RINGBUF_BUSY_BIT) break;
      const size = len & ~(RINGBUF_BUSY_BIT | RINGBUF_DISCARD_BIT);
      const total = (size + RINGBUF_HDR_SIZE + 7) & ~7;
      cons += total;
      if (len & RINGBUF_DISCARD_BIT) {
        this.discarded++;
        this.setConsumerPosition(cons);
        continue;
      }
      count++;
      this.bytes += size;
      try {
        // A fresh view over the same memory: cheaper than subarray(), and always a plain Uint8Array.
        handler(new Uint8Array(buf, base + at + RINGBUF_HDR_SIZE, size));
      } finally {
        // Committed even when the handler throws, so one bad record cannot be handed over forever.
        this.setConsumerPosition(cons);
      }
    }
    return count;
  }

  /**
   * Like {@link consume}, but allocates nothing per record: `handler` gets the whole data area and
   * the record's offset and length in it (valid until the handler returns).
   */
  consumeRaw(handler: (data: Uint8Array, offset: number, length: number) => void, limit = Infinity): number {
    let count = 0;
    let cons = this.consumerPosition;
    let prod = this.producerPosition;
    const dv = this.dataView;
    while (count < limit && (cons < prod || cons < (prod = this.producerPosition))) {
      const at = cons & this.mask;
      const len = dv.getUint32(at, true);
      if (len & RINGBUF_BUSY_BIT) break;
      const size = len & ~(RINGBUF_BUSY_BIT | RINGBUF_DISCARD_BIT);
      cons += (size + RINGBUF_HDR_SIZE + 7) & ~7;
      if (len & RINGBUF_DISCARD_BIT) {
        this.discarded++;
        this.setConsumerPosition(cons);
        continue;
      }
      count++;
      this.bytes += size;
      try {
        handler(this.data, at + RINGBUF_HDR_SIZE, size);
      } finally {
        this.setConsumerPosition(cons);
      }
    }
    return count;
  }

  /**
   * The next committed record, without consuming it: a view into the ring that stays valid until
   * {@link advance} commits past it (the kernel may then overwrite it). Discarded records on the way
   * are skipped and committed. Undefined when the ring is empty or the next record is still busy.
   */
  peek(): Uint8Array | undefined {
    let cons = this.consumerPosition;
    const prod = this.producerPosition;
    while (cons < prod) {
      const at = cons & this.mask;
      const len = this.dataView.getUint32(at, true);
      if (len & RINGBUF_BUSY_BIT) return undefined;
      const size = len & ~(RINGBUF_BUSY_BIT | RINGBUF_DISCARD_BIT);
      const total = (size + RINGBUF_HDR_SIZE + 7) & ~7;
      if (len & RINGBUF_DISCARD_BIT) {
        this.discarded++;
        cons += total;
        this.setConsumerPosition(cons);
        continue;
      }
      this.peeked = cons + total;
      return new Uint8Array(this.buffer, this.base + at + RINGBUF_HDR_SIZE, size);
    }
    return undefined;
  }

  /**
   * Walks the committed records from the consumer position without consuming any, filling `out`
   * with at most `max` of them (discarded ones are noted, not counted yet), and stops at the first
   * busy record. Every slot stays valid until {@link commitScan} moves the position past it.
   * Returns the number of records found.
   */
  scan(out: RingbufScan, max = Infinity): number {
    out.reset(this.consumerPosition, this.mask);
    let cons = out.start;
    let prod = this.producerPosition;
    const dv = this.dataView;
    let n = 0;
    // Re-read the producer position when reached, as consume() does (see there).
    while (n < max && (cons < prod || cons < (prod = this.producerPosition))) {
      const at = cons & this.mask;
      const len = dv.getUint32(at, true);
      if (len & RINGBUF_BUSY_BIT) break;
      const size = len & ~(RINGBUF_BUSY_BIT | RINGBUF_DISCARD_BIT);
      if (len & RINGBUF_DISCARD_BIT) {
        out.discards.push(cons);
      } else {
        out.push(at + RINGBUF_HDR_SIZE, size);
        n++;
      }
      cons += (size + RINGBUF_HDR_SIZE + 7) & ~7;
    }
    out.end = cons;
    return n;
  }

  /**
   * Consumes the first `count` records of the last {@link scan} (and the discarded ones before them;
   * all of them, with any discarded ones after, when `count` is the scan's length): their space goes
   * back to the kernel. Returns the payload bytes consumed.
   */
  commitScan(out: RingbufScan, count: number): number {
    const pos = count >= out.length ? out.end : out.position(count);
    let bytes = 0;
    for (let i = 0; i < count && i < out.length; i++) bytes += out.size(i);
    for (const d of out.discards) if (d < pos) this.discarded++;
    this.bytes += bytes;
    if (pos > out.start) this.setConsumerPosition(pos);
    out.reset(pos);
    return bytes;
  }

  /** Commits past the record the last {@link peek} returned; does nothing when there is none. */
  advance(): void {
    if (this.peeked < 0) return;
    this.setConsumerPosition(this.peeked);
    this.peeked = -1;
  }

  private setConsumerPosition(pos: number): void {
    // The kernel reads the position as one u64; write the high half first so a torn read can
    // only see an older position, never a newer one.
    this.consumer.setUint32(4, Math.floor(pos / 0x1_0000_0000), true);
    this.consumer.setUint32(0, pos >>> 0, true);
  }
}

/**
 * Where the records of one {@link RingbufConsumer.scan} lie: for record `i`, its offset and size in
 * the data area (and so its position: a scan spans less than the ring). Reused from scan to scan so
 * that a batch allocates nothing per record.
 */
export class RingbufScan {
  /** Consumer position the scan started at. */
  start = 0;
  /** Position after the last record walked (discarded ones included). */
  end = 0;
  /** Positions of the discarded records walked. */
  readonly discards: number[] = [];
  #mask = 0;
  #offsets = new Int32Array(1024);
  #sizes = new Int32Array(1024);
  #length = 0;

  /** Records found. */
  get length(): number {
    return this.#length;
  }

  /** Position of record `i`'s header (bytes since the ring was created). */
  position(i: number): number {
    const header = this.#offsets[i]! - RINGBUF_HDR_SIZE;
    return this.start + ((header - (this.start & this.#mask)) & this.#mask);
  }

  /** Offset of record `i`'s payload in the data area. */
  offset(i: number): number {
    return this.#offsets[i]!;
  }

  /** Size of record `i`'s payload. */
  size(i: number): number {
    return this.#sizes[i]!;
  }

  /** Empties the scan, which now starts at `position` in a ring of `mask + 1` bytes. */
  reset(position: number, mask = this.#mask): void {
    this.start = position;
    this.end = position;
    this.#mask = mask;
    this.#length = 0;
    this.discards.length = 0;
  }

  /** Appends a record. */
  push(offset: number, size: number): void {
    const n = this.#length;
    if (n === this.#offsets.length) {
      const offsets = new Int32Array(2 * n);
      offsets.set(this.#offsets);
      this.#offsets = offsets;
      const sizes = new Int32Array(2 * n);
      sizes.set(this.#sizes);
      this.#sizes = sizes;
    }
    this.#offsets[n] = offset;
    this.#sizes[n] = size;
    this.#length = n + 1;
  }
}
