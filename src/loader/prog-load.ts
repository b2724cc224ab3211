/**
 * BPF_PROG_LOAD with the verifier log done right: load without a log first (cheap, and the log
 * costs verification time); on failure load again with the log on, growing the buffer to the
 * kernel's `log_true_size` (6.4+) until the whole log fits, and turn it into a VerifierError.
 * @module
 */
import { VerifierError } from '../errors.js';
import type { BpfSyscallError } from '../errors.js';
import type { SourceLocation } from '../errors.js';
import { errnoName, syscallError as errnoError } from './errno.js';
import { BPF_ATTR_SIZE, encodeProgLoadAttr, readLogTrueSize } from './prog-attr.js';
import type { ProgLoadAttr } from './prog-attr.js';
import { nativeAlloc } from './ffi.js';
import type { NativeBuffer } from './ffi.js';
import { BpfCmd, bpfTry } from './syscall.js';
import { parseVerifierLog, splitLog } from './verifier-log.js';

const ENOSPC = 28;
const EPERM = 1;
const EAGAIN = 11;
/** The first log buffer, when the caller does not say. */
export const DEFAULT_LOG_SIZE = 64 * 1024;
/** The kernel refuses larger log buffers (UINT_MAX >> 2). */
const MAX_LOG_SIZE = 0x3fff_ffff;

/** A program ready for BPF_PROG_LOAD: encoded instructions plus attributes. */
export interface ProgLoadRequest {
  /** `enum bpf_prog_type`. */
  readonly progType: number;
  /** The encoded instructions (8 bytes a slot), every reference resolved. */
  readonly insns: Uint8Array;
  /** The license string, e.g. `GPL`. */
  readonly license: string;
  /** Attributes passed through as they are. */
  readonly attr?: Omit<ProgLoadAttr, 'progType' | 'insnCnt' | 'insns' | 'license' | 'logLevel' | 'logSize' | 'logBuf' | 'fdArray'>;
  /** fds for `fd_array`, when the program uses MAP_IDX or kfuncs from module BTF. */
  readonly fdArray?: readonly number[];
  /** Verifier log level to load with from the start (0 or absent: only on failure, at level 1). */
  readonly logLevel?: number;
  /** The first log buffer's size in bytes (it grows as needed). */
  readonly logSize?: number;
  /** The TypeScript source of the instruction at a slot, to point errors at. */
  readonly sourceAt?: (slot: number) => SourceLocation | undefined;
}

/** A loaded program's fd, and the verifier log when one was asked for. */
export interface ProgLoadResult {
  /** The new program fd (the caller owns it). */
  readonly fd: number;
  /** The verifier log, when `logLevel` asked for one. */
  readonly log: readonly string[] | undefined;
}

/**
 * Loads a program. Throws VerifierError when the verifier refuses it (with the log, the error
 * line, the failing instruction and its TypeScript source), BpfSyscallError for other failures.
 */
export function progLoad(req: ProgLoadRequest): ProgLoadResult {
  const insns = nativeAlloc(req.insns.length);
  const license = nativeAlloc(Buffer.byteLength(req.license) + 1);
  const fdArray = req.fdArray && req.fdArray.length > 0 ? nativeAlloc(req.fdArray.length * 4) : undefined;
  const attrMem = nativeAlloc(BPF_ATTR_SIZE);
  try {
    insns.bytes.set(req.insns);
    license.bytes.write(req.license, 0, 'utf8');
    req.fdArray?.forEach((fd, i) => fdArray!.bytes.writeUInt32LE(fd, i * 4));
    const base: ProgLoadAttr = {
      ...req.attr,
      progType: req.progType,
      insnCnt: req.insns.length / 8,
      insns: insns.address,
      license: license.address,
      ...(fdArray ? { fdArray: fdArray.address } : {}),
    };
    const level = req.logLevel ?? 0;
    if (level === 0) {
      const rc = call(attrMem, base);
      if (rc >= 0) return { fd: rc, log: undefined };
      // Without CAP_BPF (or with a bad fd) the log would say nothing more.
      if (-rc === EPERM) throw syscallError(-rc);
    }
    return loadWithLog(attrMem, base, level === 0 ? 1 : level, level !== 0, req);
  } finally {
    attrMem.free();
    fdArray?.free();
    license.free();
    insns.free();
  }
}

function call(attrMem: NativeBuffer, attr: ProgLoadAttr): number {
  const bytes = encodeProgLoadAttr(attr);
  let rc = -EAGAIN;
  // The kernel can answer EAGAIN under memory pressure; libbpf retries a few times too.
  for (let attempt = 0; attempt < 5 && rc === -EAGAIN; attempt++) {
    attrMem.bytes.set(bytes);
    rc = bpfTry(BpfCmd.BPF_PROG_LOAD, attrMem, BPF_ATTR_SIZE);
  }
  return rc;
}

function loadWithLog(attrMem: NativeBuffer, base: ProgLoadAttr, level: number, wanted: boolean,
  req: ProgLoadRequest): ProgLoadResult {
  let size = Math.min(Math.max(req.logSize ?? DEFAULT_LOG_SIZE, 128), MAX_LOG_SIZE);
  for (;;) {
    const log = nativeAlloc(size);
    try {
      const rc = call(attrMem, { ...base, logLevel: level, logSize: size, logBuf: log.address });
      const text = log.bytes.toString('utf8', 0, size);
      if (rc >= 0) return { fd: rc, log: wanted ? splitLog(text) : undefined };
      const errno = -rc;
      if (errno === ENOSPC) {
        // The log did not fit. 6.4+ says how much it needs; older kernels are grown by doubling.
        const need = readLogTrueSize(attrMem.bytes);
        const next = need > size ? need : size * 2;
        if (size < MAX_LOG_SIZE) {
          size = Math.min(next, MAX_LOG_SIZE);
          continue;
        }
      }
      throw rejection(errno, text, req);
    } finally {
      log.free();
    }
  }
}

function rejection(errno: number, text: string, req: ProgLoadRequest): Error {
  const parsed = parseVerifierLog(text);
  if (parsed.kernelMessage === '') return syscallError(errno);
  const source = parsed.insn !== undefined ? req.sourceAt?.(parsed.insn) : undefined;
  return new VerifierError(parsed.kernelMessage, parsed.lines, errnoName(errno), {
    ...(parsed.insn !== undefined ? { insn: parsed.insn } : {}),
    ...(source ? { source } : {}),
  });
}

const HINTS: Readonly<Record<number, string>> = {
  1: 'loading programs needs CAP_BPF (and CAP_PERFMON or CAP_SYS_ADMIN for most types), e.g. run as root',
  7: 'the program has no instructions or more than the kernel allows',
  22: 'the kernel refused the attributes (unknown program type, attach type or flags?) and printed no log',
  9: 'a map fd or BTF fd in the program is not valid',
};

function syscallError(errno: number): BpfSyscallError {
  return errnoError('BPF_PROG_LOAD', errno, HINTS[errno]);
}
