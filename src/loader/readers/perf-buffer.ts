/**
 * `openPerfBuffer`: reads what programs send with bpf_perf_event_output to a
 * BPF_MAP_TYPE_PERF_EVENT_ARRAY: one perf ring per CPU.
 *
 * For each CPU, a PERF_TYPE_SOFTWARE / PERF_COUNT_SW_BPF_OUTPUT event is opened with sample_type
 * PERF_SAMPLE_RAW, its ring (one metadata page + 2^n data pages) is mapped read-write (so the kernel
 * sees the tail we write and never overwrites unread samples: a full ring drops and counts), and
 * the event's fd is stored in the map at the CPU's index. The kernel reports drops with
 * PERF_RECORD_LOST, which are counted per CPU. Waiting uses epoll through the shared waiter.
 * @module
 */
import { readFileSync } from 'node:fs';
import { BadInputError } from '../../errors.js';
import { MapType } from '../../asm/map-types.js';
import type { BpfMap } from '../../maps/map.js';
import { nativeAlloc, perfEventOpen } from '../ffi.js';
import { syscallError } from '../errno.js';
import { Fd } from '../fd.js';
import type { HasFd } from '../fd.js';
import { encodePerfEventAttr, PerfSwId, PerfType, PERF_ATTR_SIZE } from '../perf-event.js';
import { pageSize } from '../platform.js';
import { PerfRingReader } from './perf-ring.js';
import { PerfBufferBatch, PerfScan } from './perf-batch.js';
import { PeekIterator } from './peek-iterator.js';
import { Readiness } from './wait.js';
import type { WaitOutcome } from './wait.js';
import { linkedAbort, ownMap, ReaderMapping, ReaderState } from './common.js';

const PERF_SAMPLE_RAW = 1 << 10;
const ATTR_WATERMARK = 1 << 14;
const PERF_FLAG_FD_CLOEXEC = 8;
/** perf_event_mmap_page: data_offset, data_size (set by kernels since 4.1). */
const DATA_OFFSET = 1040;
const DATA_SIZE = 1048;

/** Options of {@link openPerfBuffer}. */
export interface PerfBufferOptions {
  /** Data pages per CPU ring: a power of two (default 8). */
  readonly pages?: number;
  /** Wake the reader after this many samples on a CPU (default 1: every sample). */
  readonly wakeupEvents?: number;
  /** Instead of {@link wakeupEvents}: wake when this many bytes are waiting on a CPU. */
  readonly watermarkBytes?: number;
  /** CPUs to read (default: every online CPU below the map's max_entries). */
  readonly cpus?: readonly number[];
  /** Called with the number of samples a CPU's ring dropped, as soon as the kernel reports them. */
  readonly onLost?: (cpu: number, count: number) => void;
  /** Aborting it closes the reader: iterations end and {@link PerfBufferReader.read} resolves. */
  readonly signal?: AbortSignal;
}

/** Options of one reading loop of a {@link PerfBufferReader}. */
export interface PerfBufferLoopOptions {
  /** Aborting it ends this loop only; the reader stays open. */
  readonly signal?: AbortSignal;
}

/** Options of {@link PerfBufferReader.batches}. */
export interface PerfBatchLoopOptions extends PerfBufferLoopOptions {
  /** At most this many samples per batch (default: all waiting). */
  readonly max?: number;
}

/** One sample: the CPU whose ring held it and its raw bytes. */
export interface PerfSample {
  /** CPU the sample was produced on. */
  readonly cpu: number;
  /**
   * The raw bytes. The kernel rounds a raw sample up so the record stays 8-byte aligned, so this may
   * end with up to 7 unspecified padding bytes after what the program sent.
   */
  readonly data: Uint8Array;
}

/** What a {@link PerfBufferReader} has seen so far. */
export interface PerfBufferStats {
  /** Samples handed over. */
  readonly samples: number;
  /** Bytes of those samples. */
  readonly bytes: number;
  /** Samples the kernel dropped because a ring was full, over all CPUs. */
  readonly lost: number;
  /** Dropped samples by CPU number (CPUs not read are absent). */
  readonly lostPerCpu: Readonly<Record<number, number>>;
  /** Times a wait ended because a ring became readable. */
  readonly wakeups: number;
}

/** Called for each sample; the sample's bytes are valid only until the callback returns. */
export type PerfSampleCallback = (sample: PerfSample) => void;

interface CpuRing {
  readonly cpu: number;
  readonly fd: Fd;
  readonly mapping: ReaderMapping;
  readonly ring: PerfRingReader;
  reportedLost: number;
}

/**
 * The reader of a perf event array. One reading loop (`samples()`, `batches()` or `read()`) at a
 * time.
 *
 * Sample bytes are views into the CPU's ring (a sample that wraps the ring's end is a copy). From
 * the iterator they are valid until the next step; in callbacks until the callback returns. Copy
 * what you keep. After `close()` stale views read zeros.
 */
export class PerfBufferReader implements AsyncIterable<PerfSample>, Disposable {
  /** The CPUs read, in ring order. */
  readonly cpus: readonly number[];
  readonly #map: BpfMap<number>;
  readonly #rings: CpuRing[];
  readonly #ready: Readiness;
  readonly #state = new ReaderState('perf buffer reader');
  readonly #onLost: ((cpu: number, count: number) => void) | undefined;
  readonly #openSignal: AbortSignal | undefined;
  readonly #onOpenAbort: (() => void) | undefined;
  #samples = 0;
  #bytes = 0;
  #wakeups = 0;

  /**
   * Use {@link openPerfBuffer}.
   * @internal
   */
  constructor(map: BpfMap<number>, rings: CpuRing[], opts: PerfBufferOptions) {
    this.#map = map;
    this.#rings = rings;
    this.cpus = rings.map((r) => r.cpu);
    this.#onLost = opts.onLost;
    this.#ready = new Readiness(rings.map((r) => r.fd.fd));
    this.#openSignal = opts.signal;
    if (opts.signal) {
      this.#onOpenAbort = () => this.close();
      if (opts.signal.aborted) this.close();
      else opts.signal.addEventListener('abort', this.#onOpenAbort, { once: true });
    }
  }

  /** Counters since the reader was opened. */
  get stats(): PerfBufferStats {
    const lostPerCpu: Record<number, number> = {};
    let lost = 0;
    for (const r of this.#rings) {
      lostPerCpu[r.cpu] = r.ring.lost;
      lost += r.ring.lost;
    }
    return { samples: this.#samples, bytes: this.#bytes, lost, lostPerCpu, wakeups: this.#wakeups };
  }

  /** Whether {@link close} has run. */
  get closed(): boolean {
    return this.#state.closed;
  }

  /** Whether any CPU's ring holds unread records. */
  get pending(): boolean {
    return !this.#state.closed && this.#rings.some((r) => r.ring.pending);
  }

  #reportLost(r: CpuRing): void {
    const delta = r.ring.lost - r.reportedLost;
    if (delta <= 0) return;
    r.reportedLost = r.ring.lost;
    this.#onLost?.(r.cpu, delta);
  }

  /**
   * Hands every sample waiting now, CPU by CPU, to `onSample`, without waiting. Returns how many.
   * Not while a reading loop (iterator or read()) runs: that throws BadInputError.
   */
  consume(onSample: PerfSampleCallback): number {
    this.#state.checkIdle();
    return this.#consume(onSample);
  }

  #consume(onSample: PerfSampleCallback): number {
    let n = 0;
    for (const r of this.#rings) {
      const cpu = r.cpu;
      let bytes = 0;
      const got = r.ring.consume((data) => {
        bytes += data.length;
        onSample({ cpu, data });
      });
      n += got;
      this.#samples += got;
      this.#bytes += bytes;
      this.#reportLost(r);
    }
    return n;
  }

  /**
   * Hands samples to `onSample` as they arrive until `signal` aborts or the reader is closed.
   * Resolves to the number handed over; rejects if `onSample` throws.
   */
  async read(onSample: PerfSampleCallback, opts: PerfBufferLoopOptions = {}): Promise<number> {
    this.#state.enter();
    let n = 0;
    try {
      for (;;) {
        n += this.#consume(onSample);
        if (await this.#wait(-1, opts.signal) === 'aborted') return n;
      }
    } finally {
      this.#state.leave();
    }
  }

  /** The samples as they arrive, until `signal` aborts or the reader is closed (the iteration then ends). */
  samples(opts: PerfBufferLoopOptions = {}): AsyncGenerator<PerfSample, void, undefined> {
    const signal = opts.signal;
    const stopped = (): boolean => this.#state.closed || signal?.aborted === true;
    const rings = this.#rings;
    let at = 0; // the ring this round reads: CPU by CPU, each drained in turn
    // Hand-written rather than `async *` (see PeekIterator): a waiting sample costs one settled promise.
    return new PeekIterator<PerfSample>({
      enter: () => this.#state.enter(),
      leave: () => this.#state.leave(),
      stopped,
      peek: () => {
        for (let r = rings[at]; r !== undefined; r = rings[at]) {
          const data = r.ring.peek();
          this.#reportLost(r);
          if (data !== undefined) {
            this.#samples++;
            this.#bytes += data.length;
            return { cpu: r.cpu, data };
          }
          at++;
          if (stopped()) return undefined;
        }
        return undefined;
      },
      advance: () => {
        if (!this.#state.closed) rings[at]?.ring.advance();
      },
      waitMore: async () => {
        at = 0;
        if (stopped()) return 'aborted';
        // A ring drained earlier in this round may have filled while later ones were being read:
        // go round again rather than pay for a wait.
        if (rings.some((r) => r.ring.pending)) return 'ready';
        return this.#wait(-1, signal);
      },
    });
  }

  /**
   * The samples in batches: per wake-up, every sample waiting then (at most `max`), CPU by CPU, so
   * that a `for await` loop pays one promise per batch rather than per sample. A batch is valid until
   * the next step, which consumes all of it; leaving the loop early consumes only the samples the
   * batch handed out (see {@link PerfBufferBatch}). Ends when `signal` aborts or the reader is closed.
   * Never yields an empty batch.
   */
  async *batches(opts: PerfBatchLoopOptions = {}): AsyncGenerator<PerfBufferBatch, void, undefined> {
    const max = opts.max ?? Infinity;
    if (!(max >= 1)) throw new RangeError(`batches: max must be at least 1, got ${max}`);
    this.#state.enter();
    const scan = new PerfScan();
    try {
      for (;;) {
        if (this.#state.closed || opts.signal?.aborted) return;
        scan.collect(this.#rings, max);
        if (scan.length === 0) {
          this.#commit(scan, 0); // LOST records only
          if (await this.#wait(-1, opts.signal) === 'aborted') return;
          continue;
        }
        const batch = new PerfBufferBatch(scan);
        let steppedOn = false;
        try {
          yield batch;
          steppedOn = true;
        } finally {
          const take = batch.end(steppedOn);
          if (!this.#state.closed) this.#commit(scan, take);
        }
      }
    } finally {
      this.#state.leave();
    }
  }

  #commit(scan: PerfScan, take: number): void {
    this.#bytes += scan.commit(this.#rings, take);
    this.#samples += take;
    for (const r of this.#rings) this.#reportLost(r);
  }

  /** Same as {@link samples} with no options. */
  [Symbol.asyncIterator](): AsyncGenerator<PerfSample, void, undefined> {
    return this.samples();
  }

  /**
   * Waits until a ring is readable, `timeoutMs` passes (negative: no limit) or `signal` aborts,
   * consuming nothing. Resolves to whether records are waiting.
   */
  async poll(timeoutMs = -1, signal?: AbortSignal): Promise<boolean> {
    this.#state.check();
    if (!this.pending) await this.#wait(timeoutMs, signal);
    return this.pending;
  }

  async #wait(timeoutMs: number, signal: AbortSignal | undefined): Promise<WaitOutcome> {
    if (this.#state.closed || signal?.aborted) return 'aborted';
    const link = linkedAbort(signal, this.#state.closing.signal);
    try {
      const o = await this.#ready.wait(timeoutMs, link.signal);
      if (o === 'ready') this.#wakeups++;
      return this.#state.closed ? 'aborted' : o;
    } finally {
      link.dispose();
    }
  }

  /** Ends any reading loop, removes the events from the map, unmaps the rings and closes the fds. */
  close(): void {
    if (!this.#state.close()) return;
    if (this.#onOpenAbort) this.#openSignal?.removeEventListener('abort', this.#onOpenAbort);
    this.#ready.close();
    for (const r of this.#rings) {
      try {
        this.#map.delete(r.cpu);
      } catch {
        // Best effort: the map may already be gone from under us; the entry dies with it.
      }
    }
    closeRings(this.#rings);
    this.#map.close();
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function closeRings(rings: readonly CpuRing[]): void {
  for (const r of rings) {
    r.mapping.close();
    r.fd.close();
  }
}

function onlineCpus(): number[] {
  const text = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
  const out: number[] = [];
  for (const part of text.split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-').map(Number);
    for (let c = a!; c <= (b ?? a)!; c++) out.push(c);
  }
  return out;
}

function checkOptions(o: PerfBufferOptions): void {
  const pages = o.pages ?? 8;
  if (!Number.isInteger(pages) || pages < 1 || (pages & (pages - 1)) !== 0) {
    throw new BadInputError(`openPerfBuffer: pages must be a power of two >= 1, got ${pages}`);
  }
  if (o.wakeupEvents !== undefined && (!Number.isInteger(o.wakeupEvents) || o.wakeupEvents < 1)) {
    throw new BadInputError(`openPerfBuffer: wakeupEvents must be an integer >= 1, got ${o.wakeupEvents}`);
  }
  if (o.watermarkBytes !== undefined && (!Number.isInteger(o.watermarkBytes) || o.watermarkBytes < 1)) {
    throw new BadInputError(`openPerfBuffer: watermarkBytes must be an integer >= 1, got ${o.watermarkBytes}`);
  }
  if (o.wakeupEvents !== undefined && o.watermarkBytes !== undefined) {
    throw new BadInputError('openPerfBuffer: give wakeupEvents or watermarkBytes, not both');
  }
}

/** `struct perf_event_attr` for a BPF output event with raw samples. */
function bpfOutputAttr(o: PerfBufferOptions): Buffer {
  const b = encodePerfEventAttr({ type: PerfType.SOFTWARE, config: BigInt(PerfSwId.BPF_OUTPUT), samplePeriod: 1 });
  b.writeBigUInt64LE(BigInt(PERF_SAMPLE_RAW), 24);
  if (o.watermarkBytes !== undefined) {
    b.writeUInt32LE(b.readUInt32LE(40) | ATTR_WATERMARK, 40);
    b.writeUInt32LE(o.watermarkBytes, 48);
  } else {
    b.writeUInt32LE(o.wakeupEvents ?? 1, 48);
  }
  return b;
}

function openCpuRing(map: BpfMap<number>, cpu: number, attr: Buffer, pages: number): CpuRing {
  const mem = nativeAlloc(PERF_ATTR_SIZE);
  let fd: Fd;
  try {
    mem.bytes.set(attr);
    const rc = perfEventOpen(mem.addr, -1, cpu, -1, PERF_FLAG_FD_CLOEXEC);
    if (rc < 0) {
      throw syscallError(`perf_event_open (bpf output, cpu ${cpu})`, -rc,
        rc === -1 || rc === -13 ? 'needs root or CAP_PERFMON (see /proc/sys/kernel/perf_event_paranoid)' : undefined);
    }
    fd = new Fd(rc);
  } finally {
    mem.free();
  }
  let mapping: ReaderMapping | undefined;
  try {
    const ps = pageSize();
    mapping = new ReaderMapping(fd.fd, 0, (1 + pages) * ps, true, `perf ring of cpu ${cpu}`);
    const all = new Uint8Array(mapping.bytes.buffer, mapping.bytes.byteOffset, mapping.length);
    const meta = all.subarray(0, ps);
    const mdv = new DataView(meta.buffer, meta.byteOffset, ps);
    const off = Number(mdv.getBigUint64(DATA_OFFSET, true)) || ps;
    const size = Number(mdv.getBigUint64(DATA_SIZE, true)) || pages * ps;
    const ring = new PerfRingReader(meta, all.subarray(off, off + size), size);
    map.update(cpu, fd);
    return { cpu, fd, mapping, ring, reportedLost: 0 };
  } catch (e) {
    mapping?.close();
    fd.close();
    throw e;
  }
}

/**
 * Opens a reader on a BPF_MAP_TYPE_PERF_EVENT_ARRAY (a `BpfMap` or anything with its fd): one perf
 * ring per CPU, each stored in the map at its CPU's index, for programs calling
 * `bpf_perf_event_output(ctx, map, BPF_F_CURRENT_CPU, data, size)`. Create the map with
 * `maxEntries: possibleCpus()`. Closing the reader removes its entries from the map.
 */
export function openPerfBuffer(map: BpfMap<unknown, unknown> | HasFd, opts: PerfBufferOptions = {}): PerfBufferReader {
  checkOptions(opts);
  const own = ownMap<number>(map, MapType.PERF_EVENT_ARRAY, 'openPerfBuffer');
  const rings: CpuRing[] = [];
  try {
    const max = own.spec.maxEntries;
    const cpus = opts.cpus ?? onlineCpus().filter((c) => c < max);
    for (const c of cpus) {
      if (!Number.isInteger(c) || c < 0 || c >= max) {
        throw new BadInputError(`openPerfBuffer: cpu ${c} is outside the map's ${max} entries`);
      }
    }
    if (cpus.length === 0) throw new BadInputError('openPerfBuffer: no CPU to read (the map has no entry for any online CPU)');
    const attr = bpfOutputAttr(opts);
    for (const c of cpus) rings.push(openCpuRing(own, c, attr, opts.pages ?? 8));
    return new PerfBufferReader(own, rings, opts);
  } catch (e) {
    for (const r of rings) {
      try { own.delete(r.cpu); } catch { /* best effort */ }
    }
    closeRings(rings);
    own.close();
    throw e;
  }
}
