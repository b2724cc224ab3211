/**
 * bpf(2) commands and the one wrapper that calls them and turns `-errno` into `BpfSyscallError`.
 * @module
 */
import { bpfRawCall, nativeAlloc } from './ffi.js';
import type { NativeBuffer } from './ffi.js';
import { syscallError } from './errno.js';
import { Fd } from './fd.js';

/** `enum bpf_cmd` (include/uapi/linux/bpf.h, Linux 6.18). */
export const BpfCmd = {
  BPF_MAP_CREATE: 0, BPF_MAP_LOOKUP_ELEM: 1, BPF_MAP_UPDATE_ELEM: 2, BPF_MAP_DELETE_ELEM: 3,
  BPF_MAP_GET_NEXT_KEY: 4, BPF_PROG_LOAD: 5, BPF_OBJ_PIN: 6, BPF_OBJ_GET: 7, BPF_PROG_ATTACH: 8,
  BPF_PROG_DETACH: 9, BPF_PROG_TEST_RUN: 10, BPF_PROG_GET_NEXT_ID: 11, BPF_MAP_GET_NEXT_ID: 12,
  BPF_PROG_GET_FD_BY_ID: 13, BPF_MAP_GET_FD_BY_ID: 14, BPF_OBJ_GET_INFO_BY_FD: 15, BPF_PROG_QUERY: 16,
  BPF_RAW_TRACEPOINT_OPEN: 17, BPF_BTF_LOAD: 18, BPF_BTF_GET_FD_BY_ID: 19, BPF_TASK_FD_QUERY: 20,
  BPF_MAP_LOOKUP_AND_DELETE_ELEM: 21, BPF_MAP_FREEZE: 22, BPF_BTF_GET_NEXT_ID: 23,
  BPF_MAP_LOOKUP_BATCH: 24, BPF_MAP_LOOKUP_AND_DELETE_BATCH: 25, BPF_MAP_UPDATE_BATCH: 26,
  BPF_MAP_DELETE_BATCH: 27, BPF_LINK_CREATE: 28, BPF_LINK_UPDATE: 29, BPF_LINK_GET_FD_BY_ID: 30,
  BPF_LINK_GET_NEXT_ID: 31, BPF_ENABLE_STATS: 32, BPF_ITER_CREATE: 33, BPF_LINK_DETACH: 34,
  BPF_PROG_BIND_MAP: 35, BPF_TOKEN_CREATE: 36, BPF_PROG_STREAM_READ_BY_FD: 37,
} as const;

/** A bpf(2) command number. */
export type BpfCmdNumber = (typeof BpfCmd)[keyof typeof BpfCmd];

const CMD_NAMES = new Map<number, string>(Object.entries(BpfCmd).map(([k, v]) => [v, k]));

/** The name of a bpf command (`BPF_MAP_CREATE`), or `bpf cmd N`. */
export function bpfCmdName(cmd: number): string {
  return CMD_NAMES.get(cmd) ?? `bpf cmd ${cmd}`;
}

/** Size of `union bpf_attr` that ts-ebpf passes: larger than any command's part in 6.18, zero-filled. */
export const BPF_ATTR_SIZE = 160;

let scratch: NativeBuffer | undefined;

function isNative(a: Uint8Array | NativeBuffer): a is NativeBuffer {
  return (a as NativeBuffer).addr !== undefined && (a as NativeBuffer).bytes !== undefined;
}

/**
 * bpf(cmd, attr, size) returning `-errno` instead of throwing. `attr` in native memory is passed in
 * place; a plain Uint8Array is copied into a reused native buffer and copied back afterwards (the
 * kernel writes some fields back, e.g. info_len, batch counts, log sizes).
 */
export function bpfTry(cmd: number, attr: Uint8Array | NativeBuffer, size?: number): number {
  if (isNative(attr)) return bpfRawCall(cmd, attr.addr, size ?? attr.bytes.length);
  const n = size ?? attr.length;
  if (!scratch || scratch.bytes.length < n) {
    scratch?.free();
    scratch = nativeAlloc(Math.max(n, BPF_ATTR_SIZE));
  }
  const s = scratch.bytes;
  const have = Math.min(n, attr.length);
  s.set(attr.subarray(0, have), 0);
  s.fill(0, have);
  const rc = bpfRawCall(cmd, scratch.addr, n);
  attr.set(s.subarray(0, have), 0);
  return rc;
}

/** bpf(cmd, attr): the result (often an fd, else 0), or throws `BpfSyscallError` with a hint. */
export function bpfSyscall(cmd: number, attr: Uint8Array | NativeBuffer, size?: number): number {
  const rc = bpfTry(cmd, attr, size);
  if (rc < 0) throw syscallError(bpfCmdName(cmd), -rc);
  return rc;
}

/** bpf(cmd, attr) for a command that returns a new fd, wrapped in an owner. */
export function bpfFd(cmd: number, attr: Uint8Array | NativeBuffer, size?: number): Fd {
  return new Fd(bpfSyscall(cmd, attr, size));
}
