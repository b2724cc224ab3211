/**
 * Waiting for fds to become readable without blocking the event loop, shared by every reader.
 *
 * ffi-rs runs an async call (`runInNewThread`) on a libuv thread-pool thread, and the pool has only
 * four threads (UV_THREADPOOL_SIZE) that fs, dns and zlib also use. One blocking wait per reader would
 * starve them with a few readers open, so the whole process has ONE epoll instance and at most one
 * `epoll_wait` in flight, whichever readers are waiting. When no reader is waiting any more, an
 * eventfd wakes the wait so the thread is given back and the process can exit.
 *
 * Fds are registered once, edge-triggered (EPOLLET), so a wait costs no epoll_ctl. That is safe
 * because every reader drains its fd completely and then starts waiting in the same synchronous
 * stretch of JavaScript: an edge reported before the wait began was for data the drain already saw
 * (the dispatch of epoll results runs on the same thread, so it cannot slip in between), and any
 * later data raises a new edge.
 * @module
 */
import { readSync, writeSync } from 'node:fs';
import { epollCreate1, epollCtl, epollWait, eventfd, nativeAlloc } from '../ffi.js';
import type { NativeBuffer } from '../ffi.js';
import { Fd } from '../fd.js';
import { syscallError } from '../errno.js';

const EPOLL_CLOEXEC = 0o2000000;
const EFD_CLOEXEC = 0o2000000;
const EFD_NONBLOCK = 0o4000;
const EPOLL_CTL_ADD = 1;
const EPOLL_CTL_DEL = 2;
const EPOLLIN = 0x001;
const EPOLLET = 1 << 31;
const EINTR = 4;
const MAX_EVENTS = 64;
/** `struct epoll_event` is packed on x86_64 (12 bytes, data at 4), naturally aligned elsewhere. */
const EV_SIZE = process.arch === 'x64' ? 12 : 16;
const EV_DATA = process.arch === 'x64' ? 4 : 8;

/** Why a wait ended: the fd is readable, the timeout passed, or the signal aborted. */
export type WaitOutcome = 'ready' | 'timeout' | 'aborted';

interface Watch {
  readonly fd: number;
  readonly token: number;
  /** The pending wait's completion, when a reader waits on this fd. */
  wake: ((o: WaitOutcome) => void) | undefined;
}

class Waiter {
  #epfd: Fd | undefined;
  #efd: Fd | undefined;
  #events: NativeBuffer | undefined;
  #ctl: NativeBuffer | undefined;
  #watches = new Map<number, Watch>();
  #next = 1;
  /** Watches with a reader waiting on them. */
  #waiting = 0;
  #running = false;
  readonly #one = Buffer.alloc(8);

  #setup(): void {
    if (this.#epfd) return;
    const ep = epollCreate1(EPOLL_CLOEXEC);
    if (ep < 0) throw syscallError('epoll_create1', -ep);
    const epfd = new Fd(ep);
    const ev = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (ev < 0) {
      epfd.close();
      throw syscallError('eventfd', -ev);
    }
    this.#epfd = epfd;
    this.#efd = new Fd(ev);
    this.#events = nativeAlloc(MAX_EVENTS * EV_SIZE);
    this.#ctl = nativeAlloc(16);
    this.#one.writeBigUInt64LE(1n);
    this.#ctlRaw(EPOLL_CTL_ADD, this.#efd.fd, EPOLLIN, 0);
  }

  #ctlRaw(op: number, fd: number, events: number, token: number): number {
    const b = this.#ctl!.bytes;
    b.fill(0);
    b.writeUInt32LE(events >>> 0, 0);
    b.writeUInt32LE(token, EV_DATA);
    return epollCtl(this.#epfd!.fd, op, fd, this.#ctl!.addr);
  }

  /** Adds `fd` to the epoll set (readable, edge-triggered); returns its token. */
  add(fd: number): number {
    this.#setup();
    const token = this.#next++;
    const rc = this.#ctlRaw(EPOLL_CTL_ADD, fd, EPOLLIN | EPOLLET, token);
    if (rc < 0) throw syscallError('epoll_ctl(EPOLL_CTL_ADD)', -rc);
    this.#watches.set(token, { fd, token, wake: undefined });
    return token;
  }

  /** Ends a wait on the fd (as `'aborted'`) and removes it from the epoll set; call before closing it. */
  remove(token: number): void {
    const w = this.#watches.get(token);
    if (!w) return;
    w.wake?.('aborted');
    this.#watches.delete(token);
    this.#ctlRaw(EPOLL_CTL_DEL, w.fd, 0, 0);
  }

  /**
   * Resolves when one of the fds becomes readable (`'ready'`), after `timeoutMs` (`'timeout'`;
   * negative waits forever), or when `signal` aborts (`'aborted'`). The caller must have drained the
   * fds just before, in the same synchronous stretch (edge-triggered: see the module comment).
   */
  wait(tokens: readonly number[], timeoutMs: number, signal?: AbortSignal): Promise<WaitOutcome> {
    if (signal?.aborted) return Promise.resolve('aborted');
    return new Promise<WaitOutcome>((resolve) => {
      let timer: NodeJS.Timeout | undefined;
      const watches: Watch[] = [];
      let settled = false;
      const finish = (o: WaitOutcome): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        for (const w of watches) {
          if (w.wake !== finish) continue;
          w.wake = undefined;
          this.#waiting--;
        }
        // Nobody left to wait for: wake the epoll_wait so its thread goes back to the pool. (After a
        // 'ready' the loop is running this very dispatch and stops by itself.)
        if (this.#waiting === 0 && this.#running && o !== 'ready') writeSync(this.#efd!.fd, this.#one);
        resolve(o);
      };
      const onAbort = (): void => finish('aborted');
      for (const t of tokens) {
        const w = this.#watches.get(t);
        if (!w) continue;
        // A newer wait on the same fd replaces an older one, which ends as aborted.
        w.wake?.('aborted');
        w.wake = finish;
        this.#waiting++;
        watches.push(w);
      }
      if (watches.length === 0) {
        finish('aborted');
        return;
      }
      signal?.addEventListener('abort', onAbort, { once: true });
      if (timeoutMs >= 0) timer = setTimeout(() => finish('timeout'), timeoutMs);
      if (!this.#running) void this.#loop();
    });
  }

  async #loop(): Promise<void> {
    this.#running = true;
    try {
      while (this.#waiting > 0) {
        const n = await epollWait(this.#epfd!.fd, this.#events!.addr, MAX_EVENTS, -1);
        if (n === -EINTR) continue;
        if (n < 0) throw syscallError('epoll_wait', -n);
        const b = this.#events!.bytes;
        for (let i = 0; i < n; i++) {
          const token = b.readUInt32LE(i * EV_SIZE + EV_DATA);
          if (token === 0) drainEventfd(this.#efd!.fd);
          // An edge on an fd nobody waits on is dropped: its reader drains before it next waits.
          else this.#watches.get(token)?.wake?.('ready');
        }
      }
    } catch (e) {
      // A failing epoll_wait is a bug, not a condition readers can handle: wake them all as ready so
      // they re-check their rings, and report it.
      for (const w of this.#watches.values()) w.wake?.('ready');
      process.emitWarning(`ts-ebpf readers: ${(e as Error).message}`);
    } finally {
      this.#running = false;
    }
  }
}

function drainEventfd(fd: number): void {
  const b = Buffer.alloc(8);
  try {
    readSync(fd, b, 0, 8, null);
  } catch {
    // EAGAIN: already drained.
  }
}

let shared: Waiter | undefined;

/** A registration of fds with the process-wide waiter. */
export class Readiness {
  readonly #tokens: number[] = [];
  readonly #waiter: Waiter;

  /** Registers `fds` for readability (one epoll_ctl each, now; none per wait). */
  constructor(fds: readonly number[]) {
    this.#waiter = shared ??= new Waiter();
    try {
      for (const fd of fds) this.#tokens.push(this.#waiter.add(fd));
    } catch (e) {
      this.close();
      throw e;
    }
  }

  /**
   * Waits until any of the fds becomes readable, `timeoutMs` passes (negative: no timeout), or
   * `signal` aborts. Never blocks the event loop. Drain the fds first, synchronously before calling.
   */
  wait(timeoutMs = -1, signal?: AbortSignal): Promise<WaitOutcome> {
    return this.#waiter.wait(this.#tokens, timeoutMs, signal);
  }

  /** Ends any wait in progress (as `'aborted'`) and unregisters the fds; call before closing them. */
  close(): void {
    for (const t of this.#tokens.splice(0)) this.#waiter.remove(t);
  }
}
