/**
 * The owner of a kernel file descriptor. One owner per fd: `close()` is idempotent, `using` works
 * through `[Symbol.dispose]`, and a FinalizationRegistry closes fds whose owner was dropped without
 * `close()` (a backstop, not a substitute: collection time is unpredictable).
 *
 * Fd 0 is never handed out: some code treats 0 as "no fd" (bpf_attr uses 0 as absent in several
 * fields), so an fd 0 returned by the kernel (stdin closed) is duplicated above 0 first.
 * @module
 */
import { closeRaw, fcntl } from './ffi.js';
import { syscallError } from './errno.js';
import { BadInputError } from '../errors.js';

const F_DUPFD_CLOEXEC = 1030;

const backstop = new FinalizationRegistry<number>((fd) => {
  closeRaw(fd);
});

/** Something that owns or lends a file descriptor. */
export interface HasFd {
  /** The raw fd number, valid while the owner is open. */
  readonly fd: number;
}

/** An owned kernel file descriptor. */
export class Fd implements HasFd, Disposable {
  #fd: number;

  /**
   * Takes ownership of `raw` (a fd the kernel just returned). If `raw` is 0 it is duplicated to a
   * higher number and 0 is closed.
   */
  constructor(raw: number) {
    if (!Number.isInteger(raw) || raw < 0) throw new BadInputError(`not a file descriptor: ${raw}`);
    if (raw === 0) {
      const dup = fcntl(0, F_DUPFD_CLOEXEC, 1);
      closeRaw(0);
      if (dup < 0) throw syscallError('fcntl(F_DUPFD_CLOEXEC)', -dup);
      raw = dup;
    }
    this.#fd = raw;
    backstop.register(this, raw, this);
  }

  /** The raw fd. Throws once closed, so a stale number is never used by mistake. */
  get fd(): number {
    if (this.#fd < 0) throw new BadInputError('file descriptor already closed');
    return this.#fd;
  }

  /** Whether {@link close} has run. */
  get closed(): boolean {
    return this.#fd < 0;
  }

  /** Closes the fd. Calling it again does nothing. */
  close(): void {
    const fd = this.#fd;
    if (fd < 0) return;
    this.#fd = -1;
    backstop.unregister(this);
    closeRaw(fd);
  }

  /** Gives up ownership without closing: the caller now owns the returned fd. */
  release(): number {
    const fd = this.fd;
    this.#fd = -1;
    backstop.unregister(this);
    return fd;
  }

  /** Duplicates the fd (close-on-exec) into a new owner. */
  dup(): Fd {
    const r = fcntl(this.fd, F_DUPFD_CLOEXEC, 1);
    if (r < 0) throw syscallError('fcntl(F_DUPFD_CLOEXEC)', -r);
    return new Fd(r);
  }

  /** Same as {@link close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Prints as `Fd(7)` or `Fd(closed)`. */
  toString(): string {
    return this.#fd < 0 ? 'Fd(closed)' : `Fd(${this.#fd})`;
  }
}
