/**
 * A per-record async iterator written out by hand, for readers that can peek a record and advance
 * past it. It behaves as this async generator does (and the tests of both readers hold it to that):
 *
 * ```ts
 * source.enter();
 * try {
 *   for (;;) {
 *     if (source.stopped()) return;
 *     let got = 0;
 *     for (let r = source.peek(); r !== undefined; r = source.peek()) {
 *       got++;
 *       try { yield r; } finally { source.advance(); }
 *       if (source.stopped()) return;
 *     }
 *     if (await source.waitMore(got) === 'aborted') return;
 *   }
 * } finally { source.leave(); }
 * ```
 *
 * but without the generator's machinery: a step that finds a record waiting returns an already
 * settled promise at once, so a `for await` loop pays one microtask per record rather than several.
 * Calls made while a wait is in progress queue behind it, as a generator's do.
 * @module
 */
import type { WaitOutcome } from './wait.js';

/** What {@link PeekIterator} drives. */
export interface PeekSource<T> {
  /** Marks the reading loop (throws when another runs or the reader is closed). */
  enter(): void;
  /** Ends what enter() began. */
  leave(): void;
  /** Whether the loop must end (reader closed or the loop's signal aborted). */
  stopped(): boolean;
  /** The next record, not yet consumed (and counted as handed over), or undefined. */
  peek(): T | undefined;
  /** Consumes the record peek() returned, unless the reader is closed. */
  advance(): void;
  /** After a round that found `got` records: waits for more. */
  waitMore(got: number): Promise<WaitOutcome>;
}

const DONE: IteratorReturnResult<void> = Object.freeze({ value: undefined, done: true });

/** A hand-written async generator over a {@link PeekSource}; see the module comment. */
export class PeekIterator<T> implements AsyncGenerator<T, void, undefined> {
  readonly #source: PeekSource<T>;
  #started = false;
  #done = false;
  /** A record was handed out and is not yet advanced past. */
  #holding = false;
  /** Records found since the last wait. */
  #got = 0;
  /** A step that waits; later calls queue behind it. */
  #busy: Promise<unknown> | undefined;
  readonly #queued: {
    step: () => Promise<IteratorResult<T, void>>;
    resolve: (r: IteratorResult<T, void>) => void;
    reject: (e: unknown) => void;
  }[] = [];

  /** Iterates `source`; nothing happens before the first step. */
  constructor(source: PeekSource<T>) {
    this.#source = source;
  }

  /** The next record, once one is there; done when the loop's signal aborts or the reader closes. */
  next(): Promise<IteratorResult<T, void>> {
    if (this.#busy) return this.#queue(() => this.next());
    if (this.#done) return Promise.resolve(DONE);
    try {
      if (!this.#started) {
        this.#started = true;
        try {
          this.#source.enter();
        } catch (e) {
          this.#done = true; // as a generator whose first statement threw
          throw e;
        }
      } else if (this.#holding) {
        this.#release();
        if (this.#source.stopped()) return Promise.resolve(this.#finish());
        const r = this.#take();
        if (r) return Promise.resolve(r);
        return this.#wait();
      }
      if (this.#source.stopped()) return Promise.resolve(this.#finish());
      this.#got = 0;
      const r = this.#take();
      return r ? Promise.resolve(r) : this.#wait();
    } catch (e) {
      if (!this.#done) this.#finish();
      return Promise.reject(e);
    }
  }

  /** Ends the loop: the record handed out last is consumed, the reader is free again. */
  return(value?: void | PromiseLike<void>): Promise<IteratorResult<T, void>> {
    if (this.#busy) return this.#queue(() => this.return(value));
    try {
      this.#end();
    } catch (e) {
      return Promise.reject(e);
    }
    return Promise.resolve(value).then((v) => ({ value: v, done: true as const }));
  }

  /** Ends the loop as {@link return} does, then rejects with `e`. */
  throw(e: unknown): Promise<IteratorResult<T, void>> {
    if (this.#busy) return this.#queue(() => this.throw(e));
    try {
      this.#end();
    } catch (err) {
      return Promise.reject(err);
    }
    return Promise.reject(e);
  }

  /** This iterator. */
  [Symbol.asyncIterator](): this {
    return this;
  }

  /** Same as {@link return}, for `await using`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.return();
  }

  /** Runs `step` once no wait is in progress, in call order. */
  #queue(step: () => Promise<IteratorResult<T, void>>): Promise<IteratorResult<T, void>> {
    return new Promise((resolve, reject) => this.#queued.push({ step, resolve, reject }));
  }

  #drain(): void {
    while (!this.#busy && this.#queued.length > 0) {
      const q = this.#queued.shift()!;
      q.step().then(q.resolve, q.reject);
    }
  }

  #take(): IteratorYieldResult<T> | undefined {
    const r = this.#source.peek();
    if (r === undefined) return undefined;
    this.#got++;
    this.#holding = true;
    return { value: r, done: false };
  }

  #release(): void {
    this.#holding = false;
    this.#source.advance();
  }

  #finish(): IteratorReturnResult<void> {
    this.#done = true;
    this.#source.leave();
    return DONE;
  }

  #end(): void {
    if (this.#done) return;
    if (!this.#started) {
      this.#done = true; // never entered: nothing to release
      return;
    }
    try {
      if (this.#holding) this.#release();
    } finally {
      this.#finish();
    }
  }

  /** Waits for records (the generator's `await waitMore(got)`), then looks again. */
  #wait(): Promise<IteratorResult<T, void>> {
    const p = (async (): Promise<IteratorResult<T, void>> => {
      try {
        for (;;) {
          if (await this.#source.waitMore(this.#got) === 'aborted') return this.#finish();
          if (this.#source.stopped()) return this.#finish();
          this.#got = 0;
          const r = this.#take();
          if (r) return r;
        }
      } catch (e) {
        if (!this.#done) this.#finish();
        throw e;
      }
    })();
    this.#busy = p;
    const idle = (): void => {
      this.#busy = undefined;
      this.#drain();
    };
    p.then(idle, idle);
    return p;
  }
}
