/**
 * BPF_OBJ_GET_INFO_BY_FD for programs: what the kernel knows about a loaded program (ids, tag,
 * sizes, maps, verifier counts) and its translated instructions.
 * @module
 */
import { PROG_INFO_SIZE, ProgInfoOffset as O, encodeObjInfoAttr } from './prog-attr.js';
import { syscallError } from './errno.js';
import { nativeAlloc } from './ffi.js';
import type { NativeBuffer } from './ffi.js';
import { BpfCmd, bpfTry } from './syscall.js';


/** What the kernel reports about a loaded program. */
export interface ProgramInfo {
  /** `enum bpf_prog_type`. */
  readonly type: number;
  /** The kernel-wide program id. */
  readonly id: number;
  /** The program tag: a hash of its instructions, 16 hex digits (what bpftool shows). */
  readonly tag: string;
  /** The name given at load (at most 15 bytes). */
  readonly name: string;
  /** Bytes of JIT-compiled code (0 when not JITed or not visible). */
  readonly jitedSize: number;
  /** Bytes of the translated (post-verifier) instructions. */
  readonly xlatedSize: number;
  /** Instructions the verifier processed. */
  readonly verifiedInsns: number;
  /** Ids of the maps the program uses. */
  readonly mapIds: readonly number[];
  /** Load time in nanoseconds since boot. */
  readonly loadTime: bigint;
  /** The uid that loaded the program. */
  readonly createdByUid: number;
  /** Whether the license is GPL-compatible. */
  readonly gplCompatible: boolean;
  /** BTF id of the program's own BTF (0: none). */
  readonly btfId: number;
  /** Total run time in ns (counted only while BPF stats are enabled). */
  readonly runTimeNs: bigint;
  /** Number of runs (counted only while BPF stats are enabled). */
  readonly runCount: bigint;
  /** BTF id of the attach target (0: none). */
  readonly attachBtfId: number;
}

function getInfo(fd: number, info: NativeBuffer): void {
  const attr = nativeAlloc(16);
  try {
    attr.bytes.set(encodeObjInfoAttr(fd, info.bytes.length, info.address));
    const rc = bpfTry(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, attr, 16);
    if (rc < 0) {
      throw syscallError('BPF_OBJ_GET_INFO_BY_FD', -rc, -rc === 9 ? 'the fd is closed or not a BPF object' : undefined);
    }
  } finally {
    attr.free();
  }
}

/** Reads `struct bpf_prog_info` of a program fd, with its map ids. */
export function programInfo(fd: number): ProgramInfo {
  const info = nativeAlloc(PROG_INFO_SIZE);
  try {
    getInfo(fd, info);
    const nMaps = info.bytes.readUInt32LE(O.nrMapIds);
    let mapIds: number[] = [];
    if (nMaps > 0) {
      // Second call with room for the map ids. The kernel fills every scalar field again, so the
      // result is decoded from this call's answer.
      const ids = nativeAlloc(nMaps * 4);
      try {
        info.bytes.fill(0);
        info.bytes.writeUInt32LE(nMaps, O.nrMapIds);
        info.bytes.writeBigUInt64LE(ids.address, O.mapIds);
        getInfo(fd, info);
        const got = Math.min(nMaps, info.bytes.readUInt32LE(O.nrMapIds));
        mapIds = Array.from({ length: got }, (_, i) => ids.bytes.readUInt32LE(i * 4));
      } finally {
        ids.free();
      }
    }
    return decodeProgInfo(info.bytes, mapIds);
  } finally {
    info.free();
  }
}

/** Decodes the scalar fields of `struct bpf_prog_info`. */
export function decodeProgInfo(b: Buffer, mapIds: readonly number[] = []): ProgramInfo {
  const nameEnd = b.indexOf(0, O.name);
  return {
    type: b.readUInt32LE(O.type),
    id: b.readUInt32LE(O.id),
    tag: b.subarray(O.tag, O.tag + 8).toString('hex'),
    name: b.toString('latin1', O.name, nameEnd >= 0 && nameEnd < O.name + 16 ? nameEnd : O.name + 16),
    jitedSize: b.readUInt32LE(O.jitedProgLen),
    xlatedSize: b.readUInt32LE(O.xlatedProgLen),
    verifiedInsns: b.readUInt32LE(O.verifiedInsns),
    mapIds,
    loadTime: b.readBigUInt64LE(O.loadTime),
    createdByUid: b.readUInt32LE(O.createdByUid),
    gplCompatible: (b.readUInt32LE(O.gplCompatible) & 1) === 1,
    btfId: b.readUInt32LE(O.btfId),
    runTimeNs: b.readBigUInt64LE(O.runTimeNs),
    runCount: b.readBigUInt64LE(O.runCnt),
    attachBtfId: b.readUInt32LE(O.attachBtfId),
  };
}

/**
 * The translated instructions of a program (after the verifier's rewrites), as raw bytes.
 * Empty when the kernel hides them (it reports a length of 0 to callers without CAP_SYS_ADMIN).
 */
export function xlatedBytes(fd: number): Uint8Array {
  const info = nativeAlloc(PROG_INFO_SIZE);
  try {
    getInfo(fd, info);
    const len = info.bytes.readUInt32LE(O.xlatedProgLen);
    if (len === 0) return new Uint8Array(0);
    const insns = nativeAlloc(len);
    try {
      info.bytes.fill(0);
      info.bytes.writeUInt32LE(len, O.xlatedProgLen);
      info.bytes.writeBigUInt64LE(insns.address, O.xlatedProgInsns);
      getInfo(fd, info);
      const got = Math.min(len, info.bytes.readUInt32LE(O.xlatedProgLen));
      return new Uint8Array(insns.bytes.subarray(0, got));
    } finally {
      insns.free();
    }
  } finally {
    info.free();
  }
}
