/**
 * The kernel side of bench/verifier: one BPF_PROG_LOAD timed on its own (log level 0, the attr and
 * buffers prepared beforehand, the returned fd closed outside the timed span), and one load at
 * BPF_LOG_STATS (level 4: only the statistics lines, so the log costs next to nothing) for the
 * kernel's `processed N insns` and `verification time N usec`.
 * @module
 */
import { closeRaw, nativeAlloc } from '../../src/loader/ffi.js';
import type { NativeBuffer } from '../../src/loader/ffi.js';
import { BPF_ATTR_SIZE, encodeProgLoadAttr } from '../../src/loader/prog-attr.js';
import { BpfCmd, bpfTry } from '../../src/loader/syscall.js';

/** A program ready for the kernel: bytes with real map fds, and its load attributes. */
export interface KernelProgram {
  /** The instruction bytes (map fds patched in). */
  readonly bytes: Uint8Array;
  /** `enum bpf_prog_type`. */
  readonly progType: number;
  /** expected_attach_type (0 when none). */
  readonly expectedAttachType: number;
  /** prog_flags. */
  readonly progFlags: number;
}

/** What BPF_LOG_STATS says about one load. */
export interface KernelStats {
  /** Whether the kernel accepted the program. */
  readonly accepted: boolean;
  /** errno of a rejection (0 when accepted). */
  readonly errno: number;
  /** `processed N insns`, when the stats line is there. */
  readonly processed: number | undefined;
  /** `verification time N usec`: the verifier's own time, without the syscall, JIT and fd around it. */
  readonly verifyUs: number | undefined;
}

const LOG_SIZE = 4096;
const EAGAIN = 11;

/** Holds the native memory of one program's loads; `close()` frees it. */
export class KernelLoader {
  readonly #insns: NativeBuffer;
  readonly #license: NativeBuffer;
  readonly #attr: NativeBuffer;
  readonly #log: NativeBuffer;
  readonly #plain: Buffer;
  readonly #stats: Buffer;

  constructor(p: KernelProgram) {
    this.#insns = nativeAlloc(p.bytes.length);
    this.#insns.bytes.set(p.bytes);
    this.#license = nativeAlloc(4);
    this.#license.bytes.write('GPL', 0, 'utf8');
    this.#attr = nativeAlloc(BPF_ATTR_SIZE);
    this.#log = nativeAlloc(LOG_SIZE);
    const base = {
      progType: p.progType, insnCnt: p.bytes.length / 8, insns: this.#insns.address, license: this.#license.address,
      ...(p.expectedAttachType ? { expectedAttachType: p.expectedAttachType } : {}),
      ...(p.progFlags ? { progFlags: p.progFlags } : {}),
    };
    this.#plain = encodeProgLoadAttr(base);
    this.#stats = encodeProgLoadAttr({ ...base, logLevel: 4, logSize: LOG_SIZE, logBuf: this.#log.address });
  }

  /** One BPF_PROG_LOAD at log level 0; returns its wall time in nanoseconds (the fd is closed after). */
  timedLoad(): { ns: bigint; accepted: boolean; interrupted: boolean } {
    this.#attr.bytes.set(this.#plain);
    let t0 = process.hrtime.bigint();
    let rc = bpfTry(BpfCmd.BPF_PROG_LOAD, this.#attr, BPF_ATTR_SIZE);
    let t1 = process.hrtime.bigint();
    // EAGAIN (memory pressure) is retried by loaders; time the attempt that counts.
    for (let i = 0; i < 5 && rc === -EAGAIN; i++) {
      this.#attr.bytes.set(this.#plain);
      t0 = process.hrtime.bigint();
      rc = bpfTry(BpfCmd.BPF_PROG_LOAD, this.#attr, BPF_ATTR_SIZE);
      t1 = process.hrtime.bigint();
    }
    if (rc >= 0) closeRaw(rc);
    // EAGAIN after the retries: the verifier saw a pending signal (a profiler's SIGPROF, say) and gave up.
    return { ns: t1 - t0, accepted: rc >= 0, interrupted: rc === -EAGAIN };
  }

  /** One load at BPF_LOG_STATS, for the kernel's processed count and verification time. */
  stats(): KernelStats {
    let rc = -EAGAIN;
    for (let i = 0; i < 5 && rc === -EAGAIN; i++) {
      this.#attr.bytes.set(this.#stats);
      this.#log.bytes.fill(0);
      rc = bpfTry(BpfCmd.BPF_PROG_LOAD, this.#attr, BPF_ATTR_SIZE);
    }
    if (rc >= 0) closeRaw(rc);
    const text = this.#log.bytes.toString('utf8', 0, LOG_SIZE);
    const processed = /processed (\d+) insns/.exec(text);
    const time = /verification time (\d+) usec/.exec(text);
    return {
      accepted: rc >= 0, errno: rc >= 0 ? 0 : -rc,
      processed: processed ? Number(processed[1]) : undefined,
      verifyUs: time ? Number(time[1]) : undefined,
    };
  }

  /** Frees the native buffers. */
  close(): void {
    this.#log.free();
    this.#attr.free();
    this.#license.free();
    this.#insns.free();
  }
}
