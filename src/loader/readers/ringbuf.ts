/**
 * `openRingBuffer`: reads a BPF_MAP_TYPE_RINGBUF map from user space through its mapped memory.
 *
 * The kernel's layout (kernel/bpf/ringbuf.c): page 0 holds the consumer position (the only page user
 * space may map writable), page 1 the producer position, then the data area mapped twice in a row so
 * that a record is always contiguous. Records are read in place and the consumer position is written
 * straight into page 0: draining costs no system call at all. Waiting for more uses epoll on the map
 * fd through the shared waiter (see wait.ts), so it never blocks the event loop.
 * @module
 */
import { MapType } from '../../asm/map-types.js';
import type { BpfMap } from '../../maps/map.js';
import type { HasFd } from '../fd.js';
import { pageSize } from '../platform.js';
import { RingbufConsumer, RingbufScan } from './ringbuf-consumer.js';
import { RingBufferBatch } from './ringbuf-batch.js';
import { PeekIterator } from './peek-iterator.js';
import { Readiness } from './wait.js';
import type { WaitOutcome } from './wait.js';
import { linkedAbort, ownMap, ReaderMapping, ReaderState, sleep } from './common.js';

/** Options of {@link openRingBuffer}. */
export interface RingBufferOptions {
  /** Aborting it closes the reader: iterations end and {@link RingBufferReader.read} resolves. */
  readonly signal?: AbortSignal;
}

/** Options of one reading loop ({@link RingBufferReader.read}, {@link RingBufferReader.records}). */
export interface ReaderLoopOptions {
  /** Aborting it ends this loop only; the reader stays open. */
  readonly signal?: AbortSignal;
}

/** What a {@link RingBufferReader} has seen so far. */
export interface RingBufferStats {
  /** Records handed over. */
  readonly records: number;
  /** Bytes of those records (headers and padding excluded). */
  readonly bytes: number;
  /** Records the producer discarded (bpf_ringbuf_discard), skipped. */
  readonly discarded: number;
  /** Times a wait ended because the ring became readable. */
  readonly wakeups: number;
}

/** Options of {@link RingBufferReader.batches}. */
export interface BatchLoopOptions extends ReaderLoopOptions {
  /**
   * At most this many records per batch (default: all available). The ring space of a batch is
   * given back only when the loop steps on, so a bound keeps a slow loop body from holding most of
   * the ring while the producer has nowhere to write.
   */
  readonly max?: number;
}

/** Called for each record; the view is valid only until the callback returns. */
export type RingBufferHandler = (record: Uint8Array) => void;

/**
 * Called for each record by {@link RingBufferReader.consumeRaw}: the record is
 * `data.subarray(offset, offset + length)`, valid only until the callback returns.
 */
export type RingBufferRawHandler = (data: Uint8Array, offset: number, length: number) => void;

/**
 * The consumer of one BPF ring buffer. One reading loop at a time (`records()`, `batches()` or
 * `read()`); `consume()` may be called whenever no loop runs. For `for await` at high rates, prefer
 * {@link batches}: one promise per wake-up instead of one per record.
 *
 * Records are zero-copy `Uint8Array` views into the ring. A view handed to a callback is valid until
 * the callback returns; a view yielded by an iterator (or taken from a batch) is valid until the
 * iterator is stepped again (or left), when the consumer position moves past it and the kernel may
 * overwrite it. Copy
 * (`record.slice()`) what you keep. After `close()` the ring's memory is released and stale views
 * read zeros (they never crash the process).
 */
export class RingBufferReader implements AsyncIterable<Uint8Array>, Disposable {
  /** Size of the data area in bytes (the map's max_entries). */
  readonly size: number;
  readonly #map: BpfMap;
  readonly #consumerPage: ReaderMapping;
  readonly #producerAndData: ReaderMapping;
  readonly #ring: RingbufConsumer;
  readonly #data: Uint8Array;
  readonly #dataView: DataView;
  readonly #scan = new RingbufScan();
  readonly #ready: Readiness;
  readonly #state = new ReaderState('ring buffer reader');
  readonly #onOpenAbort: (() => void) | undefined;
  readonly #openSignal: AbortSignal | undefined;
  #records = 0;
  #bytes = 0;
  #wakeups = 0;

  /** Use {@link openRingBuffer}. */
  constructor(map: BpfMap, opts: RingBufferOptions = {}) {
    this.#map = map;
    this.size = map.spec.maxEntries;
    const ps = pageSize();
    let consumerPage: ReaderMapping | undefined;
    let rest: ReaderMapping | undefined;
    try {
      consumerPage = new ReaderMapping(map.fd, 0, ps, true, 'ring buffer consumer page');
      rest = new ReaderMapping(map.fd, ps, ps + 2 * this.size, false, 'ring buffer data');
      this.#ready = new Readiness([map.fd]);
    } catch (e) {
      rest?.close();
      consumerPage?.close();
      map.close();
      throw e;
    }
    this.#consumerPage = consumerPage;
    this.#producerAndData = rest;
    // Plain Uint8Array views (not Buffer), so records are exactly what the docs promise.
    const all = new Uint8Array(rest.bytes.buffer, rest.bytes.byteOffset, rest.length);
    this.#data = all.subarray(ps);
    this.#dataView = new DataView(all.buffer, all.byteOffset + ps, 2 * this.size);
    this.#ring = new RingbufConsumer(consumerPage.bytes, all.subarray(0, ps), this.#data, this.size);
    this.#openSignal = opts.signal;
    if (opts.signal) {
      this.#onOpenAbort = () => this.close();
      if (opts.signal.aborted) this.close();
      else opts.signal.addEventListener('abort', this.#onOpenAbort, { once: true });
    }
  }

  /** Counters since the reader was opened. */
  get stats(): RingBufferStats {
    return { records: this.#records, bytes: this.#bytes + this.#ring.bytes, discarded: this.#ring.discarded, wakeups: this.#wakeups };
  }

  /** Whether records (possibly still being written) are waiting. */
  get pending(): boolean {
    return !this.#state.closed && this.#ring.pending;
  }

  /** Whether {@link close} has run. */
  get closed(): boolean {
    return this.#state.closed;
  }

  /** The consumer and producer positions (bytes since the ring was created). */
  get positions(): { consumer: number; producer: number } {
    this.#state.check();
    return { consumer: this.#ring.consumerPosition, producer: this.#ring.producerPosition };
  }

  /**
   * Hands every record committed so far to `onRecord`, without waiting, and returns how many.
   * The position is committed after each record (also when `onRecord` throws). Not while a reading
   * loop (iterator or read()) runs: that throws BadInputError.
   */
  consume(onRecord: RingBufferHandler, limit = Infinity): number {
    this.#state.checkIdle();
    return this.#consume(onRecord, limit);
  }

  #consume(onRecord: RingBufferHandler, limit = Infinity): number {
    const n = this.#ring.consume(onRecord, limit);
    this.#records += n;
    return n;
  }

  /**
   * Like {@link consume} without allocating a view per record, for the highest rates: `onRecord`
   * gets the ring's whole data area and the record's `offset` and `length` in it, valid until it
   * returns. Returns the number of records handed over.
   */
  consumeRaw(onRecord: RingBufferRawHandler, limit = Infinity): number {
    this.#state.checkIdle();
    const n = this.#ring.consumeRaw(onRecord, limit);
    this.#records += n;
    return n;
  }

  /**
   * Waits until records are waiting, `timeoutMs` passes (negative: no limit) or `signal` aborts,
   * without consuming anything. Resolves to whether records are waiting.
   */
  async poll(timeoutMs = -1, signal?: AbortSignal): Promise<boolean> {
    this.#state.check();
    if (!this.#ring.pending) await this.#wait(timeoutMs, signal);
    return this.pending;
  }

  /**
   * Consumes records as they arrive, calling `onRecord` for each, until `signal` aborts or the reader
   * is closed. Resolves to the number of records handed over; rejects if `onRecord` throws.
   */
  async read(onRecord: RingBufferHandler, opts: ReaderLoopOptions = {}): Promise<number> {
    this.#state.enter();
    let n = 0;
    try {
      for (;;) {
        const got = this.#consume(onRecord);
        n += got;
        if (await this.#waitMore(got, opts.signal) === 'aborted') return n;
      }
    } finally {
      this.#state.leave();
    }
  }

  /**
   * The records as they arrive, until `signal` aborts or the reader is closed (then the iteration
   * just ends). Each view is valid until the next step; leaving the loop commits the last record.
   */
  records(opts: ReaderLoopOptions = {}): AsyncGenerator<Uint8Array, void, undefined> {
    const signal = opts.signal;
    // Hand-written rather than `async *`: a record already waiting costs one settled promise, not the
    // generator's several microtask hops (bench/ringbuf measures both).
    return new PeekIterator<Uint8Array>({
      enter: () => this.#state.enter(),
      leave: () => this.#state.leave(),
      stopped: () => this.#state.closed || signal?.aborted === true,
      peek: () => {
        const r = this.#ring.peek();
        if (r !== undefined) {
          this.#records++;
          this.#bytes += r.length;
        }
        return r;
      },
      advance: () => {
        if (!this.#state.closed) this.#ring.advance();
      },
      waitMore: (got) => this.#waitMore(got, signal),
    });
  }

  /**
   * The records in batches: per wake-up, every record available then (at most `max`), so that a
   * `for await` loop pays one promise per batch rather than per record. A batch is valid until the
   * next step, which consumes all of it; leaving the loop early consumes only the records the batch
   * handed out, and the rest stay in the ring (see {@link RingBufferBatch}). Ends when `signal` aborts
   * or the reader is closed. Never yields an empty batch.
   *
   * ```ts
   * for await (const batch of reader.batches({ signal })) {
   *   for (const rec of batch) handle(rec);
   * }
   * ```
   */
  async *batches(opts: BatchLoopOptions = {}): AsyncGenerator<RingBufferBatch, void, undefined> {
    const max = opts.max ?? Infinity;
    if (!(max >= 1)) throw new RangeError(`batches: max must be at least 1, got ${max}`);
    this.#state.enter();
    const scan = this.#scan; // one loop at a time: the reader's own, grown once
    try {
      for (;;) {
        if (this.#state.closed || opts.signal?.aborted) return;
        const got = this.#ring.scan(scan, max);
        if (got > 0) {
          const batch = new RingBufferBatch(scan, this.#data, this.#dataView);
          let steppedOn = false;
          try {
            yield batch;
            steppedOn = true;
          } finally {
            const take = batch.end(steppedOn);
            if (!this.#state.closed) {
              this.#records += take;
              this.#ring.commitScan(scan, take);
            }
          }
          continue;
        }
        this.#ring.commitScan(scan, 0); // discarded records only: skip them
        if (await this.#waitMore(got, opts.signal) === 'aborted') return;
      }
    } finally {
      this.#state.leave();
    }
  }

  /** Same as {@link records} with no options. */
  [Symbol.asyncIterator](): AsyncGenerator<Uint8Array, void, undefined> {
    return this.records();
  }

  /**
   * After a drain that found `got` records: waits for more. When records are pending but none could
   * be read, the producer is between reserve and submit: epoll would report the ring readable at once,
   * so back off briefly instead of spinning.
   */
  async #waitMore(got: number, signal: AbortSignal | undefined): Promise<WaitOutcome> {
    if (this.#state.closed || signal?.aborted) return 'aborted';
    if (got === 0 && this.#ring.pending) {
      await sleep(1);
      return this.#state.closed || signal?.aborted ? 'aborted' : 'ready';
    }
    return this.#wait(-1, signal);
  }

  async #wait(timeoutMs: number, signal: AbortSignal | undefined): Promise<WaitOutcome> {
    const link = linkedAbort(signal, this.#state.closing.signal);
    try {
      const o = await this.#ready.wait(timeoutMs, link.signal);
      if (o === 'ready') this.#wakeups++;
      return this.#state.closed ? 'aborted' : o;
    } finally {
      link.dispose();
    }
  }

  /** Ends any reading loop, unmaps the ring and closes the reader's fd. Safe to call twice. */
  close(): void {
    if (!this.#state.close()) return;
    if (this.#onOpenAbort) this.#openSignal?.removeEventListener('abort', this.#onOpenAbort);
    this.#ready.close();
    this.#producerAndData.close();
    this.#consumerPage.close();
    this.#map.close();
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Opens a reader on a BPF_MAP_TYPE_RINGBUF map (a `BpfMap` or anything with its fd). The reader keeps
 * its own duplicate of the fd: closing the map afterwards does not stop it. Throws BadInputError for
 * another map type.
 *
 * ```ts
 * using rb = openRingBuffer(prog.maps.events);
 * for await (const rec of rb.records({ signal })) console.log(new DataView(rec.buffer, rec.byteOffset).getUint32(0, true));
 * ```
 */
export function openRingBuffer(map: BpfMap<unknown, unknown> | HasFd, opts: RingBufferOptions = {}): RingBufferReader {
  const own = ownMap(map, MapType.RINGBUF, 'openRingBuffer', {
    [MapType.USER_RINGBUF]: ' (user_ringbuf maps are written by user space and read by programs)',
  });
  return new RingBufferReader(own, opts);
}
