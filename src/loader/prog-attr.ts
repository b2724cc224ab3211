/**
 * The `union bpf_attr` layouts of the program commands (Linux 6.18 include/uapi/linux/bpf.h):
 * BPF_PROG_LOAD, BPF_PROG_TEST_RUN, BPF_OBJ_GET_INFO_BY_FD with `struct bpf_prog_info`.
 * Pure byte layouts: pointers come in as addresses, so this file needs no FFI.
 * Offsets were checked with offsetof() against the 6.18 header.
 * @module
 */

/** Size of `union bpf_attr` in Linux 6.18 (the kernel accepts a longer attr if the tail is zero). */
export const BPF_ATTR_SIZE = 168;

/** The fields of BPF_PROG_LOAD that ts-ebpf sets. Pointers are addresses; absent means 0. */
export interface ProgLoadAttr {
  /** `enum bpf_prog_type`. */
  readonly progType: number;
  /** Number of 8-byte instruction slots. */
  readonly insnCnt: number;
  /** Address of the instruction bytes. */
  readonly insns: bigint;
  /** Address of the NUL-terminated license string. */
  readonly license: bigint;
  /** Verifier log level (0: no log). */
  readonly logLevel?: number;
  /** Size of the log buffer in bytes. */
  readonly logSize?: number;
  /** Address of the log buffer. */
  readonly logBuf?: bigint;
  /** `BPF_F_*` load flags. */
  readonly progFlags?: number;
  /** Program name, at most 15 bytes (longer names are cut). */
  readonly progName?: string;
  /** Network device to offload to. */
  readonly progIfindex?: number;
  /** `enum bpf_attach_type` the program is verified for. */
  readonly expectedAttachType?: number;
  /** BTF fd describing the program. */
  readonly progBtfFd?: number;
  /** BTF id of the attach target (tracing, LSM, struct_ops, ext). */
  readonly attachBtfId?: number;
  /** Program fd (ext, fentry of a BPF program) or module BTF fd to attach to. */
  readonly attachFd?: number;
  /** Address of the `fd_array` (u32 fds). */
  readonly fdArray?: bigint;
  /** Number of fds in `fd_array` to bind to the program (6.14+), or 0. */
  readonly fdArrayCnt?: number;
}

/** Byte offsets of `union bpf_attr` for BPF_PROG_LOAD. */
export const ProgLoadOffset = {
  progType: 0, insnCnt: 4, insns: 8, license: 16, logLevel: 24, logSize: 28, logBuf: 32,
  kernVersion: 40, progFlags: 44, progName: 48, progIfindex: 64, expectedAttachType: 68,
  progBtfFd: 72, funcInfoRecSize: 76, funcInfo: 80, funcInfoCnt: 88, lineInfoRecSize: 92,
  lineInfo: 96, lineInfoCnt: 104, attachBtfId: 108, attachFd: 112, coreReloCnt: 116,
  fdArray: 120, coreRelos: 128, coreReloRecSize: 136, logTrueSize: 140, progTokenFd: 144,
  fdArrayCnt: 148,
} as const;

/** Longest name the kernel keeps (BPF_OBJ_NAME_LEN minus the NUL). */
export const BPF_OBJ_NAME_MAX = 15;

/** Encodes a BPF_PROG_LOAD attr. */
export function encodeProgLoadAttr(a: ProgLoadAttr): Buffer {
  const b = Buffer.alloc(BPF_ATTR_SIZE);
  const O = ProgLoadOffset;
  b.writeUInt32LE(a.progType >>> 0, O.progType);
  b.writeUInt32LE(a.insnCnt >>> 0, O.insnCnt);
  b.writeBigUInt64LE(a.insns, O.insns);
  b.writeBigUInt64LE(a.license, O.license);
  b.writeUInt32LE(a.logLevel ?? 0, O.logLevel);
  b.writeUInt32LE(a.logSize ?? 0, O.logSize);
  b.writeBigUInt64LE(a.logBuf ?? 0n, O.logBuf);
  b.writeUInt32LE((a.progFlags ?? 0) >>> 0, O.progFlags);
  if (a.progName) b.write(a.progName.slice(0, BPF_OBJ_NAME_MAX), O.progName, BPF_OBJ_NAME_MAX, 'latin1');
  b.writeUInt32LE(a.progIfindex ?? 0, O.progIfindex);
  b.writeUInt32LE(a.expectedAttachType ?? 0, O.expectedAttachType);
  b.writeUInt32LE(a.progBtfFd ?? 0, O.progBtfFd);
  b.writeUInt32LE(a.attachBtfId ?? 0, O.attachBtfId);
  b.writeUInt32LE(a.attachFd ?? 0, O.attachFd);
  b.writeBigUInt64LE(a.fdArray ?? 0n, O.fdArray);
  b.writeUInt32LE(a.fdArrayCnt ?? 0, O.fdArrayCnt);
  return b;
}

/** The `log_true_size` the kernel (6.4+) wrote back: the log size it needed, NUL included. */
export function readLogTrueSize(attr: Buffer): number {
  return attr.readUInt32LE(ProgLoadOffset.logTrueSize);
}

/** The fields of BPF_PROG_TEST_RUN. Pointers are addresses; absent means 0. */
export interface TestRunAttr {
  /** The program fd. */
  readonly progFd: number;
  /** Length of `data_in`. */
  readonly dataSizeIn?: number;
  /** Capacity of `data_out`. */
  readonly dataSizeOut?: number;
  /** Address of the input data (packet). */
  readonly dataIn?: bigint;
  /** Address of the output data buffer. */
  readonly dataOut?: bigint;
  /** Number of runs (0 counts as 1). */
  readonly repeat?: number;
  /** Length of `ctx_in`. */
  readonly ctxSizeIn?: number;
  /** Capacity of `ctx_out`. */
  readonly ctxSizeOut?: number;
  /** Address of the input context. */
  readonly ctxIn?: bigint;
  /** Address of the output context buffer. */
  readonly ctxOut?: bigint;
  /** `BPF_F_TEST_*` flags. */
  readonly flags?: number;
  /** CPU to run on (needs BPF_F_TEST_RUN_ON_CPU). */
  readonly cpu?: number;
  /** XDP live-frames batch size. */
  readonly batchSize?: number;
}

/** Byte offsets of `union bpf_attr` for BPF_PROG_TEST_RUN. */
export const TestRunOffset = {
  progFd: 0, retval: 4, dataSizeIn: 8, dataSizeOut: 12, dataIn: 16, dataOut: 24, repeat: 32,
  duration: 36, ctxSizeIn: 40, ctxSizeOut: 44, ctxIn: 48, ctxOut: 56, flags: 64, cpu: 68,
  batchSize: 72,
} as const;

/** Size of the BPF_PROG_TEST_RUN part of the attr, padded to 8. */
export const TEST_RUN_ATTR_SIZE = 80;

/** Encodes a BPF_PROG_TEST_RUN attr. */
export function encodeTestRunAttr(a: TestRunAttr): Buffer {
  const b = Buffer.alloc(TEST_RUN_ATTR_SIZE);
  const O = TestRunOffset;
  b.writeUInt32LE(a.progFd, O.progFd);
  b.writeUInt32LE(a.dataSizeIn ?? 0, O.dataSizeIn);
  b.writeUInt32LE(a.dataSizeOut ?? 0, O.dataSizeOut);
  b.writeBigUInt64LE(a.dataIn ?? 0n, O.dataIn);
  b.writeBigUInt64LE(a.dataOut ?? 0n, O.dataOut);
  b.writeUInt32LE(a.repeat ?? 0, O.repeat);
  b.writeUInt32LE(a.ctxSizeIn ?? 0, O.ctxSizeIn);
  b.writeUInt32LE(a.ctxSizeOut ?? 0, O.ctxSizeOut);
  b.writeBigUInt64LE(a.ctxIn ?? 0n, O.ctxIn);
  b.writeBigUInt64LE(a.ctxOut ?? 0n, O.ctxOut);
  b.writeUInt32LE((a.flags ?? 0) >>> 0, O.flags);
  b.writeUInt32LE(a.cpu ?? 0, O.cpu);
  b.writeUInt32LE(a.batchSize ?? 0, O.batchSize);
  return b;
}

/** What BPF_PROG_TEST_RUN writes back into its attr. */
export interface TestRunOutput {
  /** The program's return value (32 bits, as the kernel reports it). */
  readonly retval: number;
  /** Average run time in nanoseconds. */
  readonly duration: number;
  /** Bytes written to `data_out`. */
  readonly dataSizeOut: number;
  /** Bytes written to `ctx_out`. */
  readonly ctxSizeOut: number;
}

/** Reads the output fields of a BPF_PROG_TEST_RUN attr after the call. */
export function decodeTestRunOutput(attr: Buffer): TestRunOutput {
  const O = TestRunOffset;
  return {
    retval: attr.readUInt32LE(O.retval),
    duration: attr.readUInt32LE(O.duration),
    dataSizeOut: attr.readUInt32LE(O.dataSizeOut),
    ctxSizeOut: attr.readUInt32LE(O.ctxSizeOut),
  };
}

/** Size of `struct bpf_prog_info` in Linux 6.18. */
export const PROG_INFO_SIZE = 232;

/** Byte offsets of `struct bpf_prog_info`. */
export const ProgInfoOffset = {
  type: 0, id: 4, tag: 8, jitedProgLen: 16, xlatedProgLen: 20, jitedProgInsns: 24,
  xlatedProgInsns: 32, loadTime: 40, createdByUid: 48, nrMapIds: 52, mapIds: 56, name: 64,
  ifindex: 80, gplCompatible: 84, netnsDev: 88, netnsIno: 96, nrJitedKsyms: 104,
  nrJitedFuncLens: 108, btfId: 128, runTimeNs: 192, runCnt: 200, recursionMisses: 208,
  verifiedInsns: 216, attachBtfObjId: 220, attachBtfId: 224,
} as const;

/** Encodes the BPF_OBJ_GET_INFO_BY_FD attr (`bpf_fd`, `info_len`, `info`). */
export function encodeObjInfoAttr(fd: number, infoLen: number, info: bigint): Buffer {
  const b = Buffer.alloc(16);
  b.writeUInt32LE(fd, 0);
  b.writeUInt32LE(infoLen, 4);
  b.writeBigUInt64LE(info, 8);
  return b;
}

/** Encodes the attr of BPF_OBJ_PIN / BPF_OBJ_GET (`pathname`, `bpf_fd`, `file_flags`). */
export function encodeObjPinAttr(pathname: bigint, fd: number, fileFlags = 0): Buffer {
  const b = Buffer.alloc(24);
  b.writeBigUInt64LE(pathname, 0);
  b.writeUInt32LE(fd, 8);
  b.writeUInt32LE(fileFlags, 12);
  return b;
}
