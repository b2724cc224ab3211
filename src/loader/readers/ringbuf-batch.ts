/**
 * The batch a ring buffer's {@link RingBufferReader.batches} iterator yields per wake-up: every record
 * available at that moment, read in place, so that a `for await` loop pays one promise per wake-up
 * instead of one per record.
 * @module
 */
import { BadInputError } from '../../errors.js';
import type { RingbufScan } from './ringbuf-consumer.js';

/**
 * Records a ring buffer held at one wake-up, in order, as zero-copy views into the ring.
 *
 * A batch is valid until its iterator steps again or the loop is left: then the reader consumes it
 * and every accessor throws BadInputError (views taken earlier may be overwritten by the kernel; copy
 * what you keep with {@link copy} or {@link copyAll}). Stepping on consumes the whole batch, looked at
 * or not. Leaving the loop early (break, return, throw) consumes only the records up to the last one
 * this batch handed out (by any accessor): the others stay in the ring for the next reading loop or
 * `consume()`.
 */
export class RingBufferBatch implements Iterable<Uint8Array> {
  /**
   * The ring's data area (mapped twice in a row, so every record is contiguous): record `i` is
   * `data.subarray(offsetOf(i), offsetOf(i) + lengthOf(i))`. For decoding without a view per record.
   */
  readonly data: Uint8Array;
  /** A DataView over {@link data}, e.g. `batch.view.getUint32(batch.offsetOf(i), true)`. */
  readonly view: DataView;
  /** Number of records. */
  readonly length: number;
  readonly #scan: RingbufScan;
  // The typed-array getters are slow enough to matter per record: read them once.
  readonly #buffer: ArrayBufferLike;
  readonly #base: number;
  #live = true;
  #handedOut = 0;

  /**
   * Made by the reader.
   * @internal
   */
  constructor(scan: RingbufScan, data: Uint8Array, view: DataView) {
    this.#scan = scan;
    this.data = data;
    this.view = view;
    this.#buffer = data.buffer;
    this.#base = data.byteOffset;
    this.length = scan.length;
  }

  /** Whether the batch can still be read (its iterator has not moved on). */
  get live(): boolean {
    return this.#live;
  }

  /** Payload bytes of all records (headers and padding excluded). */
  get bytes(): number {
    this.#checkLive();
    let n = 0;
    for (let i = 0; i < this.length; i++) n += this.#scan.size(i);
    return n;
  }

  /** Records handed out so far: those a loop left early consumes. */
  get handedOut(): number {
    return this.#handedOut;
  }

  #checkLive(): void {
    if (!this.#live) throw new BadInputError('ring buffer batch used after its iterator moved on (copy what you keep)');
  }

  #mark(i: number): void {
    this.#checkLive();
    if ((i | 0) !== i || i < 0 || i >= this.length) throw new RangeError(`record index ${i} is outside the batch of ${this.length}`);
    if (i >= this.#handedOut) this.#handedOut = i + 1;
  }

  /** Record `i` (0 ≤ i < length): a view into the ring, valid while the batch is. */
  record(i: number): Uint8Array {
    this.#mark(i);
    return new Uint8Array(this.#buffer, this.#base + this.#scan.offset(i), this.#scan.size(i));
  }

  /** Offset of record `i` in {@link data}. */
  offsetOf(i: number): number {
    this.#mark(i);
    return this.#scan.offset(i);
  }

  /** Length in bytes of record `i`. */
  lengthOf(i: number): number {
    this.#mark(i);
    return this.#scan.size(i);
  }

  /** A copy of record `i` that outlives the batch. */
  copy(i: number): Uint8Array {
    return this.record(i).slice();
  }

  /** Copies of every record, in order (marks them all handed out). */
  copyAll(): Uint8Array[] {
    const out = new Array<Uint8Array>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.copy(i);
    return out;
  }

  /** The records in order, as views (each marked handed out when reached). */
  [Symbol.iterator](): Iterator<Uint8Array> {
    // A plain iterator object: cheaper per record than a generator.
    let i = 0;
    return {
      next: (): IteratorResult<Uint8Array> =>
        i < this.length ? { value: this.record(i++), done: false } : { value: undefined, done: true },
    };
  }

  /**
   * Ends the batch: nothing can read it any more. Returns how many records to consume: all when
   * the loop stepped on, the handed-out ones when it was left early.
   * @internal
   */
  end(steppedOn: boolean): number {
    this.#live = false;
    return steppedOn ? this.length : this.#handedOut;
  }
}
