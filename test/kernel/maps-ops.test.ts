import { describe, it, expect, afterEach } from 'vitest';
import { existsSync, statSync } from 'node:fs';
import { kernelTestContext } from './privileged.js';
import { createMap } from '../../src/maps/create.js';
import { mmapArray } from '../../src/maps/mmap.js';
import { openMapById, openPinnedMap } from '../../src/maps/open.js';
import { unpin } from '../../src/maps/pin.js';
import { cstring, struct, u16, u32, u64 } from '../../src/maps/codec.js';
import { MapFlags } from '../../src/maps/spec.js';
import { isBadInputError, isBpfSyscallError } from '../../src/errors.js';
import type { BpfSyscallError } from '../../src/errors.js';
import { isBpffsMounted } from '../../src/loader/platform.js';

const kernel = kernelTestContext('map operations on the kernel');

const open: { close(): void }[] = [];
function track<T extends { close(): void }>(m: T): T {
  open.push(m);
  return m;
}
afterEach(() => {
  while (open.length) open.pop()!.close();
});

function syscallErr(f: () => unknown): BpfSyscallError {
  try {
    f();
  } catch (e) {
    if (isBpfSyscallError(e)) return e;
    throw e;
  }
  throw new Error('expected a BpfSyscallError');
}

const ev = struct({ pid: u32, port: u16, ts: u64, comm: cstring(8) });

describe.skipIf(!kernel.ok)('map operations', () => {
  it('update flags any / noexist / exist and their errnos', () => {
    const m = track(createMap({ type: 'hash', key: u32, value: ev, maxEntries: 2, name: 'ops_flags' }));
    const v = { pid: 1, port: 80, ts: 5n, comm: 'curl' };
    m.update(1, v, 'noexist');
    expect(m.lookup(1)).toEqual(v);
    const e1 = syscallErr(() => m.update(1, v, 'noexist'));
    expect([e1.command, e1.code, e1.errno]).toEqual(['BPF_MAP_UPDATE_ELEM', 'EEXIST', 17]);
    expect(e1.hint).toMatch(/already exists/);
    const e2 = syscallErr(() => m.update(2, v, 'exist'));
    expect(e2.code).toBe('ENOENT');
    m.update(1, { ...v, pid: 2 }, 'exist');
    expect(m.lookup(1)?.pid).toBe(2);
    m.update(2, v);
    const full = syscallErr(() => m.update(3, v));
    expect(full.code).toBe('E2BIG');
    expect(full.hint).toMatch(/full/);
    expect(() => m.update(1, v, 'sometimes' as never)).toThrow(/unknown update flag/);
  });

  it('lookup of a missing key is undefined, delete of a missing key is false', () => {
    const m = track(createMap({ type: 'hash', key: u64, value: u32, maxEntries: 8 }));
    expect(m.lookup(123n)).toBeUndefined();
    expect(m.delete(123n)).toBe(false);
    m.update(123n, 9);
    expect(m.delete(123n)).toBe(true);
    expect(m.lookup(123n)).toBeUndefined();
  });

  it('raw byte keys and values are accepted alongside codecs; lookupInto copies raw bytes', () => {
    const m = track(createMap({ type: 'hash', key: u32, value: u32, maxEntries: 4 }));
    m.update(new Uint8Array([1, 0, 0, 0]), new Uint8Array([7, 0, 0, 0]));
    expect(m.lookup(1)).toBe(7);
    const out = new Uint8Array(4);
    expect(m.lookupInto(1, out)).toBe(true);
    expect([...out]).toEqual([7, 0, 0, 0]);
    expect(m.lookupInto(2, out)).toBe(false);
    expect(() => m.update(new Uint8Array(3), 1)).toThrow(/raw key must be 4 bytes/);
    const raw = track(createMap({ type: 'hash', keySize: 2, valueSize: 3, maxEntries: 4 }));
    raw.update(new Uint8Array([1, 2]), new Uint8Array([3, 4, 5]));
    expect(raw.lookup(new Uint8Array([1, 2]))).toEqual(new Uint8Array([3, 4, 5]));
  });

  it('getNextKey and iteration visit every key once', () => {
    const m = track(createMap({ type: 'hash', key: u32, value: u32, maxEntries: 100 }));
    for (let i = 0; i < 50; i++) m.update(i * 3, i);
    const first = m.nextKey();
    expect(first).toBeDefined();
    expect(m.nextKey(first)).not.toBe(first);
    const keys = [...m.keys()].sort((a, b) => a - b);
    expect(keys).toEqual(Array.from({ length: 50 }, (_, i) => i * 3));
    const entries = new Map(m);
    expect(entries.get(30)).toBe(10);
    expect(entries.size).toBe(50);
    // Other operations inside the loop do not disturb the walk's cursor.
    const seen = new Set<number>();
    for (const k of m.keys()) {
      seen.add(k);
      expect(m.lookup(k + 1000)).toBeUndefined();
      m.update(0, 0, 'exist');
    }
    expect(seen.size).toBe(50);
    // Deleting every key while walking ends with an empty map.
    for (const k of m.keys()) m.delete(k);
    expect(m.nextKey()).toBeUndefined();
  });

  it('batch update, lookup, delete and lookup-and-delete', () => {
    const m = track(createMap({ type: 'hash', key: u32, value: u64, maxEntries: 1000 }));
    const n = m.updateBatch(Array.from({ length: 600 }, (_, i) => [i, BigInt(i) * 11n] as const));
    expect(n).toBe(600);
    const all = m.lookupBatch(64);
    expect(all.length).toBe(600);
    expect(new Map(all).get(599)).toBe(599n * 11n);
    expect(m.deleteBatch([0, 1, 2, 3])).toBe(4);
    expect(m.lookup(2)).toBeUndefined();
    const drained = m.lookupAndDeleteBatch(7); // small chunks exercise cursor passing and ENOSPC growth
    expect(drained.length).toBe(596);
    expect([...m.keys()]).toEqual([]);
    const arr = track(createMap({ type: 'array', value: u32, maxEntries: 10 }));
    arr.updateBatch([[3, 30], [4, 40]]);
    expect(arr.lookupBatch(3).filter(([, v]) => v !== 0)).toEqual([[3, 30], [4, 40]]);
    const e = syscallErr(() => m.deleteBatch([12345]));
    expect(e.code).toBe('ENOENT');
  });

  it('per-CPU batch lookups give arrays', () => {
    const m = track(createMap({ type: 'percpu_hash', key: u32, value: u32, maxEntries: 16 }));
    const cpus = m.valueBytes / 8;
    m.update(5, Array.from({ length: cpus }, (_, i) => i + 1));
    expect(m.lookupBatch()).toEqual([[5, Array.from({ length: cpus }, (_, i) => i + 1)]]);
  });

  it('lookupAndDelete on a hash map', () => {
    const m = track(createMap({ type: 'hash', key: u32, value: u32, maxEntries: 4 }));
    m.update(1, 11);
    expect(m.lookupAndDelete(1)).toBe(11);
    expect(m.lookupAndDelete(1)).toBeUndefined();
  });

  it('freeze makes the map read-only for user space', () => {
    const m = track(createMap({ type: 'array', value: u32, maxEntries: 2 }));
    m.update(0, 5);
    m.freeze();
    expect(m.lookup(0)).toBe(5);
    const e = syscallErr(() => m.update(0, 6));
    expect(e.code).toBe('EPERM');
    const again = syscallErr(() => m.freeze()); // a frozen map is no longer writable, so: EPERM
    expect(again.code).toBe('EPERM');
    expect(again.hint).toMatch(/already frozen/);
    const mm = track(createMap({ type: 'array', value: u32, maxEntries: 2, flags: MapFlags.MMAPABLE }));
    const view = track(mmapArray(mm));
    expect(syscallErr(() => mm.freeze()).code).toBe('EBUSY'); // writable mapping is active
    view.close();
  });

  it('BPF_F_MMAPABLE array as a zero-copy view', () => {
    const m = track(createMap({ type: 'array', value: u32, maxEntries: 5, flags: MapFlags.MMAPABLE }));
    const view = track(mmapArray(m));
    expect(view.stride).toBe(8);
    view.set(3, 0xabcdef);
    expect(m.lookup(3)).toBe(0xabcdef); // written through memory, read through the syscall
    m.update(4, 77);
    expect(view.get(4)).toBe(77);
    expect(() => view.get(5)).toThrow(/out of range/);
    view.close();
    expect(() => view.get(0)).toThrow(/closed/);
    const plain = track(createMap({ type: 'array', value: u32, maxEntries: 5 }));
    expect(() => mmapArray(plain)).toThrow(/BPF_F_MMAPABLE/);
  });

  it('pin, open from the pin, unpin (mounting bpffs on demand)', () => {
    const path = `/sys/fs/bpf/ts_ebpf_test_${process.pid}`;
    unpin(path);
    const m = track(createMap({ type: 'hash', key: u32, value: u32, maxEntries: 4, name: 'pinned' }));
    m.update(1, 100);
    m.pin(path);
    expect(isBpffsMounted()).toBe(true);
    expect(statSync(path).isFile()).toBe(true);
    expect(syscallErr(() => m.pin(path)).code).toBe('EEXIST');
    const again = track(openPinnedMap(path, { key: u32, value: u32 }));
    expect(again.fd).not.toBe(m.fd);
    expect(again.lookup(1)).toBe(100);
    again.update(2, 200);
    expect(m.lookup(2)).toBe(200);
    expect(again.info().name).toBe('pinned');
    expect(again.spec.typeName).toBe('hash');
    const ro = track(openPinnedMap(path, { key: u32, value: u32, access: 'read' }));
    expect(ro.lookup(2)).toBe(200);
    expect(syscallErr(() => ro.update(3, 1)).code).toBe('EPERM');
    expect(() => openPinnedMap(path, { key: u64 })).toThrow(/key codec is 8 bytes/);
    expect(unpin(path)).toBe(true);
    expect(existsSync(path)).toBe(false);
    expect(unpin(path)).toBe(false);
    expect(syscallErr(() => openPinnedMap(path)).code).toBe('ENOENT');
    expect(() => m.pin('relative/path')).toThrow(/absolute path/);
  });

  it('info and open by id', () => {
    const m = track(createMap({ type: 'lru_hash', key: u64, value: ev, maxEntries: 33, name: 'info.test' }));
    const info = m.info();
    expect(info).toMatchObject({ type: 9, keySize: 8, valueSize: ev.size, maxEntries: 33, name: 'info.test' });
    expect(info.id).toBeGreaterThan(0);
    const byId = track(openMapById(info.id));
    expect(byId.info().id).toBe(info.id);
    expect(byId.spec.valueSize).toBe(ev.size);
  });

  it('bad specs fail before any syscall; kernel refusals carry errno, code and hint', () => {
    expect(() => createMap({ type: 'hash', keySize: 4, valueSize: 4 } as never)).toThrow(/maxEntries/);
    try {
      createMap({ type: 'no_such_type', keySize: 4, valueSize: 4, maxEntries: 1 });
    } catch (e) {
      expect(isBadInputError(e)).toBe(true);
    }
    const e = syscallErr(() => createMap({ type: 'hash', keySize: 0, valueSize: 4, maxEntries: 1 }));
    expect([e.command, e.code, e.errno]).toEqual(['BPF_MAP_CREATE', 'EINVAL', 22]);
    expect(e.hint).toMatch(/hash spec .*key 0.*must be non-zero/);
    const e2 = syscallErr(() => createMap({ type: 'array', value: u32, maxEntries: 1, flags: 1 << 30 }));
    expect(e2.code).toBe('EINVAL');
  });

  it('close is idempotent, using disposes, closed maps refuse use', () => {
    const m = createMap({ type: 'array', value: u32, maxEntries: 1 });
    m.update(0, 1);
    m.close();
    m.close();
    expect(m.closed).toBe(true);
    expect(() => m.lookup(0)).toThrow(/closed/);
    let fd = -1;
    {
      using d = createMap({ type: 'array', value: u32, maxEntries: 1 });
      fd = d.fd;
      expect(existsSync(`/proc/self/fd/${fd}`)).toBe(true);
    }
    expect(existsSync(`/proc/self/fd/${fd}`)).toBe(false);
  });
});
