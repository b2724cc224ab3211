/**
 * BPF_MAP_*_BATCH: many elements per syscall. The kernel walks the map in chunks; `in_batch` and
 * `out_batch` carry an opaque cursor (a bucket number for hash maps, a key for the generic walk), so
 * each call's out token becomes the next call's in token.
 * @module
 */
import { nativeAlloc } from '../loader/ffi.js';
import type { NativeBuffer } from '../loader/ffi.js';
import { Errno, syscallError } from '../loader/errno.js';
import { bpfCmdName, BpfCmd, bpfTry } from '../loader/syscall.js';
import { getU32, putU32, putU64 } from '../loader/attr.js';
import { BadInputError } from '../errors.js';
import type { HasFd } from '../loader/fd.js';
import { Batch, MAP_BATCH_ATTR_SIZE } from './map-attr.js';
import type { BpfMap } from './map.js';
import type { UpdateFlag } from './map-attr.js';
import { updateFlag } from './map-attr.js';

const align8 = (n: number) => Math.ceil(n / 8) * 8;

interface Area {
  mem: NativeBuffer;
  dv: DataView;
  attr: number;
  tokA: number;
  tokB: number;
  keys: number;
  values: number;
}

function area(keySize: number, valueBytes: number, n: number): Area {
  const tok = align8(Math.max(keySize, 8));
  const attr = 0;
  const tokA = 64;
  const tokB = tokA + tok;
  const keys = tokB + tok;
  const values = keys + align8(keySize * n);
  const mem = nativeAlloc(values + valueBytes * n);
  const b = mem.bytes;
  return { mem, dv: new DataView(b.buffer, b.byteOffset, b.byteLength), attr, tokA, tokB, keys, values };
}

function setAttr(a: Area, fd: number, inBatch: number, outBatch: number, count: number, elemFlags: number): void {
  const dv = a.dv;
  const base = a.mem.addr;
  dv.setUint32(0, 0, true);
  putU64(dv, Batch.inBatch, inBatch ? base + inBatch : 0);
  putU64(dv, Batch.outBatch, outBatch ? base + outBatch : 0);
  putU64(dv, Batch.keys, base + a.keys);
  putU64(dv, Batch.values, a.values ? base + a.values : 0);
  putU32(dv, Batch.count, count);
  putU32(dv, Batch.mapFd, fd);
  putU64(dv, Batch.elemFlags, elemFlags);
  putU64(dv, Batch.flags, 0);
}

function walk<K, V>(map: BpfMap<K, V>, cmd: number, chunk: number): [K, V][] {
  if (!Number.isInteger(chunk) || chunk < 1) throw new BadInputError(`batch chunk must be a positive integer, got ${chunk}`);
  const { keySize } = map.spec;
  const vb = map.valueBytes;
  let n = chunk;
  let a = area(keySize, vb, n);
  const out: [K, V][] = [];
  try {
    let first = true;
    for (;;) {
      // Tokens alternate between A and B so the previous out token is the next in token.
      const inTok = first ? 0 : a.tokA;
      setAttr(a, map.fd, inTok, a.tokB, n, 0);
      const rc = bpfTry(cmd, a.mem, MAP_BATCH_ATTR_SIZE);
      if (rc === -Errno.ENOSPC && n < 1 << 20) {
        // A hash bucket holds more elements than fit: retry the same cursor with room for more.
        const tokens = Buffer.from(a.mem.bytes.subarray(a.tokA, a.tokB));
        a.mem.free();
        n *= 4;
        a = area(keySize, vb, n);
        a.mem.bytes.set(tokens, a.tokA);
        continue;
      }
      if (rc < 0 && rc !== -Errno.ENOENT) throw syscallError(bpfCmdName(cmd), -rc);
      const got = getU32(a.dv, Batch.count);
      for (let i = 0; i < got; i++) {
        out.push([map.keyCodec.decode(a.dv, a.keys + i * keySize), map.valueCodec.decode(a.dv, a.values + i * vb)]);
      }
      if (rc === -Errno.ENOENT) return out;
      a.mem.bytes.copyWithin(a.tokA, a.tokB, a.tokB + (a.tokB - a.tokA));
      first = false;
    }
  } finally {
    a.mem.free();
  }
}

/** Every entry, read `chunk` at a time with BPF_MAP_LOOKUP_BATCH. */
export function lookupBatch<K, V>(map: BpfMap<K, V>, chunk = 128): [K, V][] {
  return walk(map, BpfCmd.BPF_MAP_LOOKUP_BATCH, chunk);
}

/** Every entry, removed as it is read (BPF_MAP_LOOKUP_AND_DELETE_BATCH; hash maps). */
export function lookupAndDeleteBatch<K, V>(map: BpfMap<K, V>, chunk = 128): [K, V][] {
  return walk(map, BpfCmd.BPF_MAP_LOOKUP_AND_DELETE_BATCH, chunk);
}

/** Writes all `entries` in one BPF_MAP_UPDATE_BATCH call; returns how many were written. */
export function updateBatch<K, V>(map: BpfMap<K, V>, entries: Iterable<readonly [K | Uint8Array, V | Uint8Array | HasFd]>,
  flag?: UpdateFlag | number): number {
  const list = [...entries];
  if (list.length === 0) return 0;
  const { keySize } = map.spec;
  const vb = map.valueBytes;
  const a = area(keySize, vb, list.length);
  try {
    const b = a.mem.bytes;
    list.forEach(([k, v], i) => {
      map.encodeKey(k, b, a.dv, a.keys + i * keySize);
      map.encodeValue(v, b, a.dv, a.values + i * vb);
    });
    setAttr(a, map.fd, 0, 0, list.length, updateFlag(flag));
    const rc = bpfTry(BpfCmd.BPF_MAP_UPDATE_BATCH, a.mem, MAP_BATCH_ATTR_SIZE);
    if (rc < 0) throw syscallError('BPF_MAP_UPDATE_BATCH', -rc);
    return getU32(a.dv, Batch.count);
  } finally {
    a.mem.free();
  }
}

/** Deletes all `keys` in one BPF_MAP_DELETE_BATCH call; returns how many were deleted. */
export function deleteBatch<K, V>(map: BpfMap<K, V>, keys: Iterable<K | Uint8Array>): number {
  const list = [...keys];
  if (list.length === 0) return 0;
  const { keySize } = map.spec;
  const a = area(keySize, 0, list.length);
  try {
    list.forEach((k, i) => map.encodeKey(k, a.mem.bytes, a.dv, a.keys + i * keySize));
    setAttr(a, map.fd, 0, 0, list.length, 0);
    putU64(a.dv, Batch.values, 0);
    const rc = bpfTry(BpfCmd.BPF_MAP_DELETE_BATCH, a.mem, MAP_BATCH_ATTR_SIZE);
    if (rc < 0) throw syscallError('BPF_MAP_DELETE_BATCH', -rc);
    return getU32(a.dv, Batch.count);
  } finally {
    a.mem.free();
  }
}
