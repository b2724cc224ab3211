/**
 * Byte layouts of the map parts of `union bpf_attr` and of `struct bpf_map_info` (Linux 6.18
 * include/uapi/linux/bpf.h). Pure: pointers come in as addresses.
 * @module
 */
import { getCString, getU32, getU64Big, putCString, putU32, putU64, putU64Big, viewOf } from '../loader/attr.js';
import type { ResolvedMapSpec } from './spec.js';
import { BadInputError } from '../errors.js';

/** Bytes of the BPF_MAP_CREATE part (up to excl_prog_hash_size, padded to 8). */
export const MAP_CREATE_ATTR_SIZE = 96;
/** Bytes of the BPF_MAP_*_ELEM / BPF_MAP_FREEZE part. */
export const MAP_ELEM_ATTR_SIZE = 32;
/** Bytes of the BPF_MAP_*_BATCH part. */
export const MAP_BATCH_ATTR_SIZE = 56;
/** Bytes of the BPF_OBJ_PIN / BPF_OBJ_GET part. */
export const OBJ_ATTR_SIZE = 24;
/** Bytes of the BPF_OBJ_GET_INFO_BY_FD part. */
export const INFO_ATTR_SIZE = 16;
/** sizeof(struct bpf_map_info) in 6.18. */
export const MAP_INFO_SIZE = 104;

/** Offsets in the BPF_MAP_*_ELEM part. */
export const Elem = { mapFd: 0, key: 8, value: 16, nextKey: 16, flags: 24 } as const;
/** Offsets in the BPF_MAP_*_BATCH part. */
export const Batch = { inBatch: 0, outBatch: 8, keys: 16, values: 24, count: 32, mapFd: 36, elemFlags: 40, flags: 48 } as const;

/** Writes BPF_MAP_CREATE's fields into `bytes` (zeroed first). */
export function encodeMapCreate(bytes: Uint8Array, s: ResolvedMapSpec, innerMapFd: number): void {
  bytes.fill(0, 0, MAP_CREATE_ATTR_SIZE);
  const dv = viewOf(bytes);
  putU32(dv, 0, s.type);
  putU32(dv, 4, s.keySize);
  putU32(dv, 8, s.valueSize);
  putU32(dv, 12, s.maxEntries);
  putU32(dv, 16, s.flags);
  putU32(dv, 20, innerMapFd);
  putU32(dv, 24, s.numaNode);
  putCString(bytes, 28, s.name, 16);
  putU32(dv, 44, s.ifindex);
  putU32(dv, 48, s.btfFd);
  putU32(dv, 52, s.btfKeyTypeId);
  putU32(dv, 56, s.btfValueTypeId);
  putU32(dv, 60, s.btfVmlinuxValueTypeId);
  putU64Big(dv, 64, s.mapExtra);
}

/** Writes BPF_OBJ_PIN / BPF_OBJ_GET's fields. */
export function encodeObjAttr(bytes: Uint8Array, pathAddress: number, fd: number, fileFlags: number): void {
  bytes.fill(0, 0, OBJ_ATTR_SIZE);
  const dv = viewOf(bytes);
  putU64(dv, 0, pathAddress);
  putU32(dv, 8, fd);
  putU32(dv, 12, fileFlags);
}

/** Writes BPF_OBJ_GET_INFO_BY_FD's fields. */
export function encodeInfoAttr(bytes: Uint8Array, fd: number, infoLen: number, infoAddress: number): void {
  bytes.fill(0, 0, INFO_ATTR_SIZE);
  const dv = viewOf(bytes);
  putU32(dv, 0, fd);
  putU32(dv, 4, infoLen);
  putU64(dv, 8, infoAddress);
}

/** What the kernel says about a map (`struct bpf_map_info`). */
export interface MapInfo {
  /** Map type number. */
  readonly type: number;
  /** Kernel-wide map id. */
  readonly id: number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Max entries. */
  readonly maxEntries: number;
  /** BPF_F_* flags. */
  readonly flags: number;
  /** Object name. */
  readonly name: string;
  /** Offload ifindex, 0 if none. */
  readonly ifindex: number;
  /** BTF object id, 0 if none. */
  readonly btfId: number;
  /** BTF key type id. */
  readonly btfKeyTypeId: number;
  /** BTF value type id. */
  readonly btfValueTypeId: number;
  /** map_extra. */
  readonly mapExtra: bigint;
}

/** Decodes `struct bpf_map_info`. */
export function decodeMapInfo(bytes: Uint8Array): MapInfo {
  const dv = viewOf(bytes);
  return {
    type: getU32(dv, 0), id: getU32(dv, 4), keySize: getU32(dv, 8), valueSize: getU32(dv, 12),
    maxEntries: getU32(dv, 16), flags: getU32(dv, 20), name: getCString(bytes, 24, 16),
    ifindex: getU32(dv, 40), btfId: getU32(dv, 64), btfKeyTypeId: getU32(dv, 68),
    btfValueTypeId: getU32(dv, 72), mapExtra: getU64Big(dv, 80),
  };
}

/** How an update treats an existing key: `any` (BPF_ANY), `noexist` (BPF_NOEXIST), `exist` (BPF_EXIST). */
export type UpdateFlag = 'any' | 'noexist' | 'exist';

const UPDATE_FLAGS: Record<UpdateFlag, number> = { any: 0, noexist: 1, exist: 2 };

/** The numeric BPF_* update flag for a name, or a number passed through (e.g. with BPF_F_LOCK). */
export function updateFlag(f: UpdateFlag | number | undefined): number {
  if (f === undefined) return 0;
  if (typeof f === 'number') return f;
  const n = UPDATE_FLAGS[f];
  if (n === undefined) throw new BadInputError(`unknown update flag "${String(f)}"`);
  return n;
}

