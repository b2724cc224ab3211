/**
 * The batch a perf buffer's {@link PerfBufferReader.batches} iterator yields per wake-up: every sample
 * waiting then, CPU ring by CPU ring, so that a `for await` loop pays one promise per wake-up instead
 * of one per sample.
 * @module
 */
import { BadInputError } from '../../errors.js';
import type { PerfRingReader } from './perf-ring.js';
import type { PerfSample } from './perf-buffer.js';

/**
 * Where one walk over a reader's CPU rings found samples and LOST records, and how to consume a
 * prefix of them. Ring indexes are positions in the reader's ring list, walked in order.
 * @internal
 */
export class PerfScan {
  readonly cpus: number[] = [];
  readonly data: Uint8Array[] = [];
  readonly rings: number[] = [];
  readonly positions: number[] = [];
  /** Per ring: position after the last record walked. */
  readonly ends: number[] = [];
  /** LOST records walked: ring index, position, count. */
  readonly lost: { ring: number; position: number; count: number }[] = [];

  get length(): number {
    return this.data.length;
  }

  /** Walks `rings` (taking at most `max` samples in all), replacing what the scan held. */
  collect(rings: readonly { cpu: number; ring: PerfRingReader }[], max: number): void {
    this.cpus.length = this.data.length = this.rings.length = this.positions.length = 0;
    this.ends.length = this.lost.length = 0;
    rings.forEach((r, i) => {
      if (this.data.length >= max) {
        this.ends.push(r.ring.position);
        return;
      }
      this.ends.push(r.ring.scan(max - this.data.length, (sample, position) => {
        this.cpus.push(r.cpu);
        this.data.push(sample);
        this.rings.push(i);
        this.positions.push(position);
      }, (position, count) => this.lost.push({ ring: i, position, count })));
    });
  }

  /**
   * Consumes the first `count` samples (all LOST records before them included; with `count` =
   * length, every record walked) and returns their payload bytes.
   */
  commit(rings: readonly { ring: PerfRingReader }[], count: number): number {
    const stopRing = count < this.length ? this.rings[count]! : rings.length;
    const stopAt = count < this.length ? this.positions[count]! : Infinity;
    for (let i = 0; i < rings.length && i <= stopRing; i++) {
      const end = i < stopRing ? this.ends[i]! : stopAt;
      let lost = 0;
      for (const l of this.lost) if (l.ring === i && l.position < end) lost += l.count;
      rings[i]!.ring.commitTo(end, lost);
    }
    let bytes = 0;
    for (let i = 0; i < count && i < this.length; i++) bytes += this.data[i]!.length;
    return bytes;
  }
}

/**
 * Samples the CPU rings held at one wake-up: CPU by CPU (in the reader's ring order), each CPU's in
 * the order produced. Sample bytes are views into the rings (copies for the rare sample that wraps a
 * ring's end), valid while the batch is.
 *
 * A batch is valid until its iterator steps again or the loop is left: then the reader consumes it
 * and every accessor throws BadInputError. Stepping on consumes the whole batch; leaving the loop
 * early (break, return, throw) consumes only the samples up to the last one the batch handed out,
 * and the rest stay in the rings. Samples the kernel dropped are counted in the reader's stats and
 * reported to `onLost` when the batch holding their LOST record is consumed.
 */
export class PerfBufferBatch implements Iterable<PerfSample> {
  /** Number of samples. */
  readonly length: number;
  readonly #scan: PerfScan;
  #live = true;
  #handedOut = 0;

  /**
   * Made by the reader.
   * @internal
   */
  constructor(scan: PerfScan) {
    this.#scan = scan;
    this.length = scan.length;
  }

  /** Whether the batch can still be read (its iterator has not moved on). */
  get live(): boolean {
    return this.#live;
  }

  /** Samples handed out so far: those a loop left early consumes. */
  get handedOut(): number {
    return this.#handedOut;
  }

  #mark(i: number): void {
    if (!this.#live) throw new BadInputError('perf buffer batch used after its iterator moved on (copy what you keep)');
    if ((i | 0) !== i || i < 0 || i >= this.length) throw new RangeError(`sample index ${i} is outside the batch of ${this.length}`);
    if (i >= this.#handedOut) this.#handedOut = i + 1;
  }

  /** Sample `i` (0 ≤ i < length), its bytes valid while the batch is. */
  sample(i: number): PerfSample {
    this.#mark(i);
    return { cpu: this.#scan.cpus[i]!, data: this.#scan.data[i]! };
  }

  /** CPU of sample `i`. */
  cpuOf(i: number): number {
    this.#mark(i);
    return this.#scan.cpus[i]!;
  }

  /** Bytes of sample `i`, valid while the batch is. */
  dataOf(i: number): Uint8Array {
    this.#mark(i);
    return this.#scan.data[i]!;
  }

  /** A copy of sample `i` that outlives the batch. */
  copy(i: number): PerfSample {
    this.#mark(i);
    return { cpu: this.#scan.cpus[i]!, data: this.#scan.data[i]!.slice() };
  }

  /** Copies of every sample, in order (marks them all handed out). */
  copyAll(): PerfSample[] {
    const out = new Array<PerfSample>(this.length);
    for (let i = 0; i < this.length; i++) out[i] = this.copy(i);
    return out;
  }

  /** The samples in order (each marked handed out when reached). */
  *[Symbol.iterator](): Iterator<PerfSample> {
    for (let i = 0; i < this.length; i++) yield this.sample(i);
  }

  /**
   * Ends the batch: nothing can read it any more. Returns how many samples to consume.
   * @internal
   */
  end(steppedOn: boolean): number {
    this.#live = false;
    return steppedOn ? this.length : this.#handedOut;
  }
}
