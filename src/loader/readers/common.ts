/**
 * Pieces the mmapped readers share: taking their own reference to a map, the one-consumer-at-a-time
 * rule, and signals that end a wait when either the caller or `close()` aborts.
 * @module
 */
import { BadInputError } from '../../errors.js';
import { mapTypeName } from '../../asm/map-types.js';
import { fcntl, mmapRaw, munmapRaw, viewAt } from '../ffi.js';
import { pageSize } from '../platform.js';
import { syscallError } from '../errno.js';
import { Fd } from '../fd.js';
import type { HasFd } from '../fd.js';
import { mapFromFd } from '../../maps/open.js';
import type { BpfMap } from '../../maps/map.js';

const F_DUPFD_CLOEXEC = 1030;
const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 0x01;
const MAP_PRIVATE = 0x02;
const MAP_FIXED = 0x10;
const MAP_ANONYMOUS = 0x20;

// Unmaps a reader's address range once nothing can view it any more (the views' ArrayBuffer is gone).
const unmapWhenUnreachable = new FinalizationRegistry<{ addr: number; len: number }>((r) => {
  munmapRaw(r.addr, r.len);
});

/**
 * A mapping of a map's pages that a stale view cannot crash the process through. Record views are
 * zero-copy, so a caller may keep one past `close()` (a test framework printing a failed assertion
 * does exactly that). Instead of munmap, `close()` replaces the pages with private zero pages in one
 * mmap(MAP_FIXED): the map's memory is released at once, stale views read zeros, and the address
 * range itself is unmapped when the last view has been collected.
 */
export class ReaderMapping {
  /** The mapped bytes (zeros once closed). */
  readonly bytes: Buffer;
  /** Address of the mapping. */
  readonly address: number;
  /** Length in bytes (whole pages). */
  readonly length: number;
  #open = true;

  /** Maps `length` bytes of `fd` at `offset` (a page multiple), shared, read-only unless `writable`. */
  constructor(fd: number, offset: number, length: number, writable: boolean, what: string) {
    const ps = pageSize();
    const len = Math.ceil(length / ps) * ps;
    const addr = mmapRaw(len, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, offset);
    if (addr < 0 && addr > -4096) throw syscallError(`mmap (${what})`, -addr);
    this.address = addr;
    this.length = len;
    this.bytes = viewAt(addr, len);
    unmapWhenUnreachable.register(this.bytes.buffer, { addr, len });
  }

  /** Releases the map's pages; the views now read zeros. Safe to call twice. */
  close(): void {
    if (!this.#open) return;
    this.#open = false;
    const rc = mmapRaw(this.length, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS, -1, 0, this.address);
    // Should the replacement fail, unmapping is the only way left to release the map's memory.
    if (rc < 0 && rc > -4096) munmapRaw(this.address, this.length);
  }
}

/**
 * A reader's own handle on `source`'s map (a duplicate fd, so the caller may close theirs), checked
 * to be of type `type`. Throws BadInputError naming the actual type otherwise.
 */
export function ownMap<K = Uint8Array>(source: BpfMap<unknown, unknown> | HasFd, type: number, what: string,
  hints: Readonly<Record<number, string>> = {}): BpfMap<K> {
  if (source === null || typeof source !== 'object' || typeof (source as HasFd).fd !== 'number') {
    throw new BadInputError(`${what}: expected a BpfMap or an object with an fd, got ${String(source)}`);
  }
  const raw = fcntl((source as HasFd).fd, F_DUPFD_CLOEXEC, 1);
  if (raw < 0) throw syscallError(`${what}: fcntl(F_DUPFD_CLOEXEC)`, -raw);
  const map = mapFromFd<K>(new Fd(raw));
  if (map.spec.type !== type) {
    const name = map.spec.name ? ` "${map.spec.name}"` : '';
    const actual = mapTypeName(map.spec.type) ?? `type ${map.spec.type}`;
    map.close();
    throw new BadInputError(`${what}: map${name} is a ${actual} map, not a ${mapTypeName(type)} map${hints[map.spec.type] ?? ''}`);
  }
  return map;
}

/** An AbortController that also aborts when any of `signals` does; `dispose()` unhooks it. */
export function linkedAbort(...signals: (AbortSignal | undefined)[]): { signal: AbortSignal; dispose(): void } {
  const ctl = new AbortController();
  const hooked: AbortSignal[] = [];
  const onAbort = (): void => ctl.abort();
  for (const s of signals) {
    if (!s) continue;
    if (s.aborted) {
      ctl.abort();
      break;
    }
    s.addEventListener('abort', onAbort, { once: true });
    hooked.push(s);
  }
  return {
    signal: ctl.signal,
    dispose() {
      for (const s of hooked) s.removeEventListener('abort', onAbort);
    },
  };
}

/** Guards the "one consumer at a time" rule of a reader. */
export class ReaderState {
  #closed = false;
  #busy = false;
  /** Aborted by close(): ends every wait. */
  readonly closing = new AbortController();

  constructor(private readonly what: string) {}

  /** Whether close() has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /** Throws when closed. */
  check(): void {
    if (this.#closed) throw new BadInputError(`${this.what} is closed`);
  }

  /** Throws when closed or when a reading loop runs (consume() would race with it). */
  checkIdle(): void {
    this.check();
    if (this.#busy) {
      throw new BadInputError(`${this.what} is being read by a loop (iterator or read()): consume() cannot run beside it`);
    }
  }

  /** Marks a long-running consumer (iterator or read()); throws when one is already running. */
  enter(): void {
    this.check();
    if (this.#busy) {
      throw new BadInputError(`${this.what} is already being read (one iterator or read() at a time)`);
    }
    this.#busy = true;
  }

  /** Ends what {@link enter} began. */
  leave(): void {
    this.#busy = false;
  }

  /** Marks closed and aborts waits; returns false when it was already closed. */
  close(): boolean {
    if (this.#closed) return false;
    this.#closed = true;
    this.closing.abort();
    return true;
  }
}

/** Resolves after `ms` milliseconds (a short back-off while a producer finishes a record). */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
