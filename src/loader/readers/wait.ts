/**
 * Waiting for fds to become readable without blocking the event loop, shared by every reader.
 *
 * ffi-rs runs an async call (`runInNewThread`) on a libuv thread-pool thread, and the pool has only
 * four threads (UV_THREADPOOL_SIZE) that fs, dns and zlib also use. One blocking wait per reader would
 * starve them with a few readers open, so the whole process has ONE epoll instance and at most one
 * `epoll_wait` in flight, whichever readers are waiting. Each fd is registered EPOLLONESHOT: it fires
 * once, then stays quiet until its reader re-arms it after draining (re-arming re-checks readiness, so
 * a record that arrived in between is not missed). When no reader is waiting any more, an eventfd
 * wakes the wait so the thread is given back and the process can exit.
 *
 * Why re-arm (one epoll_ctl, ~9 µs) instead of edge-triggered registration: the kernel wakes a ring
 * buffer's consumer only for a record committed exactly at the consumer position it reads, and a
 * consumer's store of that position can still sit in the CPU's store buffer while it reads the next
 * header (JavaScript has no fence to prevent it). The producer may then see an old position and not
 * wake anyone. EPOLL_CTL_MOD re-checks readiness inside the kernel after our stores are visible, which
 * closes that window (libbpf gets the same from level-triggered epoll). bench/ringbuf found the race
 * with edge-triggered waits.
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
const EPOLL_CTL_MOD = 3;
const EPOLLIN = 0x001;
const EPOLLONESHOT = 1 << 30;
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
  added: boolean;
  armed: boolean;
  wake: ((o: WaitOutcome) => void) | undefined;
}

class Waiter {
  #epfd: Fd | undefined;
  #efd: Fd | undefined;
  #events: NativeBuffer | undefined;
  #ctl: NativeBuffer | undefined;
  #watches = new Map<number, Watch>();
  #next = 1;
  #armed = 0;
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

  /** Registers `fd` (not yet armed); returns its token. */
  add(fd: number): number {
    this.#setup();
    const token = this.#next++;
    this.#watches.set(token, { fd, token, added: false, armed: false, wake: undefined });
    return token;
  }

  /** Removes the fd from the epoll set; call before closing it. */
  remove(token: number): void {
    const w = this.#watches.get(token);
    if (!w) return;
    this.#disarm(w, 'aborted');
    this.#watches.delete(token);
    if (w.added) this.#ctlRaw(EPOLL_CTL_DEL, w.fd, 0, 0);
  }

  /**
   * Resolves when one of the fds is readable (`'ready'`), after `timeoutMs` (`'timeout'`; negative
   * waits forever), or when `signal` aborts (`'aborted'`).
   */
  wait(tokens: readonly number[], timeoutMs: number, signal?: AbortSignal): Promise<WaitOutcome> {
    if (signal?.aborted) return Promise.resolve('aborted');
    return new Promise<WaitOutcome>((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const watches: Watch[] = [];
      let settled = false;
      const finish = (o: WaitOutcome): void => {
        if (settled) return;
        settled = true;
        if (timer) clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        for (const w of watches) this.#disarm(w, undefined);
        resolve(o);
      };
      const onAbort = (): void => finish('aborted');
      try {
        for (const t of tokens) {
          const w = this.#watches.get(t);
          if (!w) continue;
          watches.push(w);
          this.#arm(w, finish);
        }
      } catch (e) {
        settled = true;
        for (const w of watches) this.#disarm(w, undefined);
        reject(e as Error);
        return;
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

  #arm(w: Watch, wake: (o: WaitOutcome) => void): void {
    w.wake = wake;
    if (w.armed) return;
    const rc = this.#ctlRaw(w.added ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, w.fd, EPOLLIN | EPOLLONESHOT, w.token);
    if (rc < 0) throw syscallError('epoll_ctl', -rc);
    w.added = true;
    w.armed = true;
    this.#armed++;
  }

  /** Stops watching `w` until re-armed, waking its waiter with `outcome` when given. */
  #disarm(w: Watch, outcome: WaitOutcome | undefined): void {
    const wake = w.wake;
    w.wake = undefined;
    if (w.armed) {
      w.armed = false;
      this.#armed--;
      // Quiet the fd in the kernel too, or it would fire into a wait nobody listens to.
      this.#ctlRaw(EPOLL_CTL_MOD, w.fd, EPOLLONESHOT, 0);
      if (this.#armed === 0 && this.#running) writeSync(this.#efd!.fd, this.#one);
    }
    if (outcome && wake) wake(outcome);
  }

  async #loop(): Promise<void> {
    this.#running = true;
    try {
      while (this.#armed > 0) {
        const n = await epollWait(this.#epfd!.fd, this.#events!.addr, MAX_EVENTS, -1);
        if (n === -EINTR) continue;
        if (n < 0) throw syscallError('epoll_wait', -n);
        const b = this.#events!.bytes;
        for (let i = 0; i < n; i++) {
          const token = b.readUInt32LE(i * EV_SIZE + EV_DATA);
          if (token === 0) {
            drainEventfd(this.#efd!.fd);
            continue;
          }
          const w = this.#watches.get(token);
          if (!w || !w.armed) continue;
          // ONESHOT: the kernel has already disarmed it.
          w.armed = false;
          this.#armed--;
          const wake = w.wake;
          w.wake = undefined;
          wake?.('ready');
        }
      }
    } catch (e) {
      // A failing epoll_wait is a bug, not a condition readers can handle: wake them all as ready so
      // they re-check their rings, and report it.
      for (const w of this.#watches.values()) this.#disarm(w, 'ready');
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

/** A registration of one fd with the process-wide waiter. */
export class Readiness {
  readonly #tokens: number[] = [];
  readonly #waiter: Waiter;

  /** Registers `fds` (readable = EPOLLIN); nothing is watched until {@link wait}. */
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
   * Waits until any of the fds is readable, `timeoutMs` passes (negative: no timeout), or `signal`
   * aborts. Never blocks the event loop.
   */
  wait(timeoutMs = -1, signal?: AbortSignal): Promise<WaitOutcome> {
    return this.#waiter.wait(this.#tokens, timeoutMs, signal);
  }

  /** Ends any wait in progress (as `'aborted'`) and unregisters the fds; call before closing them. */
  close(): void {
    for (const t of this.#tokens.splice(0)) this.#waiter.remove(t);
  }
}
