/**
 * `openTracePipe`: reads the kernel's trace_pipe (where bpf_trace_printk output lands) without
 * blocking the event loop or parking a thread in a blocking read: the file is opened O_NONBLOCK,
 * drained with non-blocking reads, and waited on with epoll through the shared waiter (wait.ts).
 *
 * trace_pipe is one global stream: reading it CONSUMES the lines, so two readers (or a `cat
 * trace_pipe` in a shell) split the lines between them, and lines printed by other programs show up
 * too. Filter on your own text. Output appears only while `tracing_on` is 1 in tracefs.
 * @module
 */
import { constants, openSync, readSync } from 'node:fs';
import { NotSupportedError } from '../../errors.js';
import { syscallError } from '../errno.js';
import { Fd } from '../fd.js';
import { tracefsRoot } from '../perf-event.js';
import { parseTraceLine } from './trace-line.js';
import type { TraceLine } from './trace-line.js';
import { Readiness } from './wait.js';
import type { WaitOutcome } from './wait.js';
import { linkedAbort, ReaderState } from './common.js';

/** Options of {@link openTracePipe}. */
export interface TracePipeOptions {
  /** Aborting it closes the reader: iterations end and {@link TracePipeReader.read} resolves. */
  readonly signal?: AbortSignal;
  /** The file to read; defaults to `trace_pipe` under the tracefs mount (mounted on demand). */
  readonly path?: string;
}

/** Options of one reading loop of a {@link TracePipeReader}. */
export interface TracePipeLoopOptions {
  /** Aborting it ends this loop only; the reader stays open. */
  readonly signal?: AbortSignal;
}

/** What a {@link TracePipeReader} has seen so far. */
export interface TracePipeStats {
  /** Event lines handed over. */
  readonly lines: number;
  /** Lines that were not events (parseTraceLine found no `comm-pid [cpu] ... ts: event:`), skipped. */
  readonly unparsed: number;
  /** Bytes read from the pipe. */
  readonly bytes: number;
}

/** Called for each parsed line. */
export type TraceLineHandler = (line: TraceLine) => void;

const CHUNK = 64 * 1024;
/** Bytes read per drain before giving the event loop a turn. */
const DRAIN_BUDGET = 1024 * 1024;

/** A reader of trace_pipe. One reading loop (iterator or `read()`) at a time. */
export class TracePipeReader implements AsyncIterable<TraceLine>, Disposable {
  /** The file being read. */
  readonly path: string;
  readonly #fd: Fd;
  readonly #ready: Readiness;
  readonly #state = new ReaderState('trace_pipe reader');
  readonly #buf = Buffer.allocUnsafe(CHUNK);
  readonly #decoder = new TextDecoder();
  readonly #openSignal: AbortSignal | undefined;
  readonly #onOpenAbort: (() => void) | undefined;
  #partial = '';
  #eof = false;
  /** Whether the last consume() stopped on its budget with data left (then read on instead of waiting). */
  #more = false;
  #lines = 0;
  #unparsed = 0;
  #bytes = 0;

  /** Use {@link openTracePipe}. */
  constructor(path: string, fd: Fd, opts: TracePipeOptions = {}) {
    this.path = path;
    this.#fd = fd;
    try {
      this.#ready = new Readiness([fd.fd]);
    } catch (e) {
      fd.close();
      throw e;
    }
    this.#openSignal = opts.signal;
    if (opts.signal) {
      this.#onOpenAbort = () => this.close();
      if (opts.signal.aborted) this.close();
      else opts.signal.addEventListener('abort', this.#onOpenAbort, { once: true });
    }
  }

  /** Counters since the reader was opened. */
  get stats(): TracePipeStats {
    return { lines: this.#lines, unparsed: this.#unparsed, bytes: this.#bytes };
  }

  /** Whether {@link close} has run. */
  get closed(): boolean {
    return this.#state.closed;
  }

  /** Whether the file ended (never for trace_pipe itself); reading loops end there. */
  get ended(): boolean {
    return this.#eof;
  }

  /**
   * Reads what the pipe holds now (up to about 1 MiB), without waiting, and hands each complete
   * event line to `onLine`. Returns the number of lines handed over. Not while a reading loop runs.
   */
  consume(onLine: TraceLineHandler): number {
    this.#state.checkIdle();
    return this.#consume(onLine);
  }

  #consume(onLine: TraceLineHandler): number {
    let n = 0;
    let budget = DRAIN_BUDGET;
    this.#more = false;
    for (;;) {
      if (budget <= 0) {
        this.#more = true;
        break;
      }
      let got: number;
      try {
        got = readSync(this.#fd.fd, this.#buf, 0, CHUNK, null);
      } catch (e) {
        const code = (e as NodeJS.ErrnoException).code;
        if (code === 'EAGAIN' || code === 'EWOULDBLOCK') break;
        if (code === 'EINTR') continue;
        throw e;
      }
      if (got <= 0) {
        // trace_pipe never ends (an empty one says EAGAIN); other files (a FIFO whose writer left) do.
        this.#eof = true;
        const last = this.#partial + this.#decoder.decode();
        this.#partial = '';
        if (last !== '') n += this.#handle(last, onLine);
        break;
      }
      budget -= got;
      this.#bytes += got;
      const text = this.#partial + this.#decoder.decode(this.#buf.subarray(0, got), { stream: true });
      const parts = text.split('\n');
      this.#partial = parts.pop()!;
      for (const raw of parts) n += this.#handle(raw, onLine);
    }
    return n;
  }

  /** Parses one line and hands it over; returns 1 when it was an event line. */
  #handle(raw: string, onLine: TraceLineHandler): number {
    const line = parseTraceLine(raw);
    if (!line) {
      if (raw.trim() !== '') this.#unparsed++;
      return 0;
    }
    this.#lines++;
    onLine(line);
    return 1;
  }

  /**
   * Hands lines to `onLine` as they arrive until `signal` aborts, the reader is closed or the file
   * ends; resolves to the number handed over, rejects if `onLine` throws.
   */
  async read(onLine: TraceLineHandler, opts: TracePipeLoopOptions = {}): Promise<number> {
    this.#state.enter();
    let n = 0;
    try {
      for (;;) {
        n += this.#consume(onLine);
        if (await this.#wait(opts.signal) === 'aborted') return n;
      }
    } finally {
      this.#state.leave();
    }
  }

  /** The lines as they arrive, until `signal` aborts or the reader is closed (the iteration then ends). */
  async *lines(opts: TracePipeLoopOptions = {}): AsyncGenerator<TraceLine, void, undefined> {
    this.#state.enter();
    try {
      const batch: TraceLine[] = [];
      for (;;) {
        if (this.#state.closed || opts.signal?.aborted) return;
        this.#consume((l) => batch.push(l));
        // Wait only right after a read that found nothing.
        if (batch.length === 0) {
          if (await this.#wait(opts.signal) === 'aborted') return;
          continue;
        }
        for (let i = 0; i < batch.length; i++) {
          yield batch[i]!;
          if (this.#state.closed || opts.signal?.aborted) return;
        }
        batch.length = 0;
      }
    } finally {
      this.#state.leave();
    }
  }

  /** Same as {@link lines} with no options. */
  [Symbol.asyncIterator](): AsyncGenerator<TraceLine, void, undefined> {
    return this.lines();
  }

  async #wait(signal: AbortSignal | undefined): Promise<WaitOutcome> {
    if (this.#state.closed || signal?.aborted || this.#eof) return 'aborted';
    if (this.#more) {
      // Data is left but the budget ran out: let the event loop run, then read on.
      await new Promise((r) => setImmediate(r));
      return this.#state.closed || signal?.aborted ? 'aborted' : 'ready';
    }
    const link = linkedAbort(signal, this.#state.closing.signal);
    try {
      const o = await this.#ready.wait(-1, link.signal);
      return this.#state.closed ? 'aborted' : o;
    } finally {
      link.dispose();
    }
  }

  /** Ends any reading loop and closes the pipe. Safe to call twice. */
  close(): void {
    if (!this.#state.close()) return;
    if (this.#onOpenAbort) this.#openSignal?.removeEventListener('abort', this.#onOpenAbort);
    this.#ready.close();
    this.#fd.close();
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Opens trace_pipe for reading bpf_trace_printk output, mounting tracefs first when needed (root).
 * Remember that trace_pipe is global and reading consumes: filter on your own text.
 *
 * ```ts
 * using pipe = openTracePipe();
 * for await (const l of pipe.lines({ signal })) if (l.message.startsWith('hello')) console.log(l.pid, l.message);
 * ```
 */
export function openTracePipe(opts: TracePipeOptions = {}): TracePipeReader {
  const path = opts.path ?? `${tracefsRoot()}/trace_pipe`;
  let raw: number;
  try {
    raw = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new NotSupportedError('trace_pipe', `${path} does not exist`);
    throw syscallError(`open ${path}`, -(err.errno ?? -1) || 1);
  }
  return new TracePipeReader(path, new Fd(raw), opts);
}
