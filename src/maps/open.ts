/**
 * Maps that already exist in the kernel: opened from a pin, by id, or from an fd, with their spec
 * rebuilt from BPF_OBJ_GET_INFO_BY_FD and optional codecs to read them with.
 * @module
 */
import { BadInputError } from '../errors.js';
import { nativeAlloc } from '../loader/ffi.js';
import { syscallError } from '../loader/errno.js';
import { Fd } from '../loader/fd.js';
import { BpfCmd, bpfTry } from '../loader/syscall.js';
import { putU32, viewOf } from '../loader/attr.js';
import { mapTypeName } from '../asm/map-types.js';
import type { Codec } from './codec.js';
import { wrapMap } from './create.js';
import type { BpfMap } from './map.js';
import { mapInfoByFd } from './map.js';
import type { MapInfo } from './map-attr.js';
import { openPinnedFd } from './pin.js';
import type { PinAccess } from './pin.js';
import type { ResolvedMapSpec } from './spec.js';

/** Codecs to read an existing map with; their sizes must match the kernel's. */
export interface OpenMapOptions<K, V> {
  /** Key codec. */
  readonly key?: Codec<K>;
  /** Value codec (one CPU's value for per-CPU maps). */
  readonly value?: Codec<V>;
  /** Read-only or write-only access (pins only). */
  readonly access?: PinAccess;
}

/** The resolved spec of a map as the kernel describes it. */
export function specFromInfo(info: MapInfo): ResolvedMapSpec {
  return {
    type: info.type, typeName: mapTypeName(info.type) ?? String(info.type), name: info.name,
    keySize: info.keySize, valueSize: info.valueSize, maxEntries: info.maxEntries, flags: info.flags,
    inner: undefined, mapExtra: info.mapExtra, numaNode: 0, ifindex: info.ifindex, btfFd: 0,
    btfKeyTypeId: info.btfKeyTypeId, btfValueTypeId: info.btfValueTypeId, btfVmlinuxValueTypeId: 0,
  };
}

/** Wraps an owned map fd, reading its shape from the kernel. The fd is closed if that fails. */
export function mapFromFd<K = Uint8Array, V = Uint8Array>(owner: Fd, opts: OpenMapOptions<K, V> = {}): BpfMap<K, V> {
  try {
    const spec = specFromInfo(mapInfoByFd(owner.fd));
    if (opts.key && opts.key.size !== spec.keySize) {
      throw new BadInputError(`key codec is ${opts.key.size} bytes but the map's keys are ${spec.keySize}`);
    }
    if (opts.value && opts.value.size !== spec.valueSize) {
      throw new BadInputError(`value codec is ${opts.value.size} bytes but the map's values are ${spec.valueSize}`);
    }
    return wrapMap<K, V>(owner, spec, opts.key, opts.value);
  } catch (e) {
    owner.close();
    throw e;
  }
}

/** Opens the map pinned at `path`. */
export function openPinnedMap<K = Uint8Array, V = Uint8Array>(path: string, opts: OpenMapOptions<K, V> = {}): BpfMap<K, V> {
  return mapFromFd(openPinnedFd(path, opts.access ?? 'rw'), opts);
}

/** Opens a map by its kernel-wide id (BPF_MAP_GET_FD_BY_ID). */
export function openMapById<K = Uint8Array, V = Uint8Array>(id: number, opts: OpenMapOptions<K, V> = {}): BpfMap<K, V> {
  const mem = nativeAlloc(16);
  let rc: number;
  try {
    putU32(viewOf(mem.bytes), 0, id);
    rc = bpfTry(BpfCmd.BPF_MAP_GET_FD_BY_ID, mem, 16);
  } finally {
    mem.free();
  }
  if (rc < 0) throw syscallError('BPF_MAP_GET_FD_BY_ID', -rc);
  return mapFromFd(new Fd(rc), opts);
}
