/**
 * BPF_PROG_TEST_RUN: run a loaded program once (or `repeat` times) on given packet data and
 * context, in the kernel, without attaching it.
 * @module
 */
import { BadInputError } from '../errors.js';
import { TEST_RUN_ATTR_SIZE, decodeTestRunOutput, encodeTestRunAttr } from './prog-attr.js';
import { syscallError } from './errno.js';
import { nativeAlloc } from './ffi.js';
import type { NativeBuffer } from './ffi.js';
import { BpfCmd, bpfTry } from './syscall.js';

/** `BPF_F_TEST_RUN_ON_CPU`: run on the CPU given in `cpu`. */
export const BPF_F_TEST_RUN_ON_CPU = 1;
/** `BPF_F_TEST_XDP_LIVE_FRAMES`: XDP frames go out for real. */
export const BPF_F_TEST_XDP_LIVE_FRAMES = 2;
/** `BPF_F_TEST_SKB_CHECKSUM_COMPLETE`. */
export const BPF_F_TEST_SKB_CHECKSUM_COMPLETE = 4;

// Program types whose test run writes the context back into ctx_in (syscall) or never returns
// one (raw_tracepoint, tracing): they get no ctx_out buffer.
const PROG_TYPE_RAW_TRACEPOINT = 17;
const PROG_TYPE_TRACING = 26;
const PROG_TYPE_SYSCALL = 31;

/** Options of a test run. */
export interface TestRunOptions {
  /** Packet data (`data_in`). */
  readonly data?: Uint8Array;
  /** Context (`ctx_in`), e.g. a `__sk_buff`, `xdp_md`, raw tracepoint arguments or syscall args. */
  readonly ctx?: Uint8Array;
  /** Runs to average `duration` over (absent: the kernel's default of one). */
  readonly repeat?: number;
  /** Room for the output packet (default: the input's length plus 4096, for XDP tail growth). */
  readonly dataSizeOut?: number;
  /** Room for the output context (default: the input context's length). */
  readonly ctxSizeOut?: number;
  /** `BPF_F_TEST_*` flags. */
  readonly flags?: number;
  /** CPU to run on; sets BPF_F_TEST_RUN_ON_CPU. */
  readonly cpu?: number;
}

/** What a test run returns. */
export interface TestRunResult {
  /** The program's return value, as the kernel reports it (unsigned 32-bit). */
  readonly retval: number;
  /** Average duration of one run, in nanoseconds (0 where the type does not measure it). */
  readonly duration: number;
  /** The packet after the run (empty when no data was given). */
  readonly dataOut: Uint8Array;
  /** The context after the run, where the program type returns one. */
  readonly ctxOut: Uint8Array | undefined;
}

/** Runs the program behind `progFd` with BPF_PROG_TEST_RUN. `progType` picks the ctx handling. */
export function testRunFd(progFd: number, progType: number, opts: TestRunOptions = {}): TestRunResult {
  const data = opts.data ?? new Uint8Array(0);
  const ctx = opts.ctx;
  if (opts.repeat !== undefined && (!Number.isInteger(opts.repeat) || opts.repeat < 0)) {
    throw new BadInputError(`repeat must be a non-negative integer, got ${opts.repeat}`);
  }
  const ctxBackInPlace = progType === PROG_TYPE_SYSCALL;
  const noCtxOut = ctxBackInPlace || progType === PROG_TYPE_RAW_TRACEPOINT || progType === PROG_TYPE_TRACING;
  const dataOutSize = data.length === 0 ? 0 : opts.dataSizeOut ?? data.length + 4096;
  const ctxOutSize = !ctx || noCtxOut ? 0 : opts.ctxSizeOut ?? ctx.length;

  const held: NativeBuffer[] = [];
  const alloc = (n: number): NativeBuffer | undefined => {
    if (n === 0) return undefined;
    const b = nativeAlloc(n);
    held.push(b);
    return b;
  };
  try {
    const dataIn = alloc(data.length);
    dataIn?.bytes.set(data);
    const dataOut = alloc(dataOutSize);
    const ctxIn = alloc(ctx?.length ?? 0);
    if (ctx) ctxIn?.bytes.set(ctx);
    const ctxOut = alloc(ctxOutSize);
    const attr = alloc(TEST_RUN_ATTR_SIZE)!;
    let flags = opts.flags ?? 0;
    if (opts.cpu !== undefined) flags |= BPF_F_TEST_RUN_ON_CPU;
    attr.bytes.set(encodeTestRunAttr({
      progFd,
      dataSizeIn: data.length,
      dataSizeOut: dataOutSize,
      dataIn: dataIn?.address ?? 0n,
      dataOut: dataOut?.address ?? 0n,
      repeat: opts.repeat ?? 0,
      ctxSizeIn: ctx?.length ?? 0,
      ctxSizeOut: ctxOutSize,
      ctxIn: ctxIn?.address ?? 0n,
      ctxOut: ctxOut?.address ?? 0n,
      flags,
      cpu: opts.cpu ?? 0,
    }));
    const rc = bpfTry(BpfCmd.BPF_PROG_TEST_RUN, attr, TEST_RUN_ATTR_SIZE);
    if (rc < 0) {
      const errno = -rc;
      throw syscallError('BPF_PROG_TEST_RUN', errno, hint(errno));
    }
    const out = decodeTestRunOutput(attr.bytes);
    const copy = (b: NativeBuffer | undefined, n: number): Uint8Array =>
      b ? new Uint8Array(b.bytes.subarray(0, Math.min(n, b.bytes.length))) : new Uint8Array(0);
    return {
      retval: out.retval,
      duration: out.duration,
      dataOut: copy(dataOut, out.dataSizeOut),
      ctxOut: ctxBackInPlace && ctxIn ? copy(ctxIn, ctxIn.bytes.length)
        : ctxOut ? copy(ctxOut, out.ctxSizeOut) : undefined,
    };
  } finally {
    for (const b of held) b.free();
  }
}

function hint(errno: number): string | undefined {
  switch (errno) {
    case 22: return 'the kernel refused the input: data or ctx of the wrong size for this program type, ' +
      'or a field of ctx that must be zero, or an option this type does not support (repeat, ctx_out, data)';
    case 28: return 'the output did not fit: give a larger dataSizeOut or ctxSizeOut';
    case 524: return 'this program type has no test run';
    default: return undefined;
  }
}
