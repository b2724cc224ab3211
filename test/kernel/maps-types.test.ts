import { describe, it, expect, afterEach } from 'vitest';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import type { Server } from 'node:net';
import { kernelTestContext } from './privileged.js';
import { createMap } from '../../src/maps/create.js';
import type { BpfMap } from '../../src/maps/map.js';
import { mmapMap } from '../../src/maps/mmap.js';
import { bytes, lpmKey, u32, u64 } from '../../src/maps/codec.js';
import { MapFlags } from '../../src/maps/spec.js';
import { MapType } from '../../src/asm/map-types.js';
import { possibleCpus, pageSize } from '../../src/loader/platform.js';
import { openRaw } from '../../src/loader/ffi.js';
import { Fd } from '../../src/loader/fd.js';
import { isBpfSyscallError } from '../../src/errors.js';

const kernel = kernelTestContext('map types on the kernel');

const open: { close(): void }[] = [];
function track<T extends { close(): void }>(m: T): T {
  open.push(m);
  return m;
}
afterEach(() => {
  while (open.length) open.pop()!.close();
});

function code(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    if (isBpfSyscallError(e)) return e.code;
    throw e;
  }
  return 'ok';
}

function ip(a: number, b: number, c: number, d: number): Uint8Array {
  return new Uint8Array([a, b, c, d]);
}

describe.skipIf(!kernel.ok)('every map type this kernel creates', () => {
  it('hash and lru_hash: update, lookup, delete; LRU evicts when full', () => {
    const h = track(createMap({ type: 'hash', key: u32, value: u64, maxEntries: 4 }));
    h.update(1, 10n);
    expect(h.lookup(1)).toBe(10n);
    expect(h.info().type).toBe(MapType.HASH);
    const lru = track(createMap({ type: 'lru_hash', key: u32, value: u32, maxEntries: 64 }));
    for (let i = 0; i < 1000; i++) lru.update(i, i * 2);
    const keys = [...lru.keys()];
    expect(keys.length).toBeGreaterThan(0);
    expect(keys.length).toBeLessThanOrEqual(64);
    for (const k of keys) expect(lru.lookup(k)).toBe(k * 2);
    expect(lru.lookup(999)).toBe(1998); // the most recent insert survives
  });

  it('percpu_hash, percpu_array and lru_percpu_hash: one value per possible CPU', () => {
    const n = possibleCpus();
    const vals = Array.from({ length: n }, (_, i) => BigInt(i + 100));
    for (const type of ['percpu_hash', 'lru_percpu_hash'] as const) {
      const m = track(createMap({ type, key: u32, value: u64, maxEntries: 8 }));
      m.update(7, vals);
      expect(m.lookup(7)).toEqual(vals);
      expect(m.valueBytes).toBe(8 * n);
    }
    const a = track(createMap({ type: 'percpu_array', value: u32, maxEntries: 2 }));
    a.update(1, Array.from({ length: n }, (_, i) => i + 1));
    expect(a.lookup(1)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    expect(a.lookup(0)).toEqual(new Array(n).fill(0));
    expect(a.valueBytes).toBe(8 * n); // 4-byte values rounded to 8 per CPU
  });

  it('lpm_trie: longest prefix match', () => {
    const t = track(createMap({ type: 'lpm_trie', key: lpmKey(bytes(4)), value: u32, maxEntries: 16 }));
    t.update({ prefixLen: 8, data: ip(10, 0, 0, 0) }, 8);
    t.update({ prefixLen: 16, data: ip(10, 1, 0, 0) }, 16);
    expect(t.lookup({ prefixLen: 32, data: ip(10, 1, 2, 3) })).toBe(16);
    expect(t.lookup({ prefixLen: 32, data: ip(10, 2, 2, 3) })).toBe(8);
    expect(t.lookup({ prefixLen: 32, data: ip(11, 0, 0, 1) })).toBeUndefined();
    expect(t.delete({ prefixLen: 16, data: ip(10, 1, 0, 0) })).toBe(true);
    expect(t.lookup({ prefixLen: 32, data: ip(10, 1, 2, 3) })).toBe(8);
  });

  it('queue (FIFO) and stack (LIFO): push, peek, pop, full and overwrite', () => {
    const q = track(createMap({ type: 'queue', value: u32, maxEntries: 3 }));
    const s = track(createMap({ type: 'stack', value: u32, maxEntries: 3 }));
    for (const m of [q, s]) for (const v of [1, 2, 3]) m.push(v);
    expect(code(() => q.push(4))).toBe('E2BIG');
    q.push(4, 'exist'); // BPF_EXIST drops the oldest
    expect([q.peek(), q.pop(), q.pop(), q.pop(), q.pop()]).toEqual([2, 2, 3, 4, undefined]);
    expect([s.peek(), s.pop(), s.pop(), s.pop(), s.pop()]).toEqual([3, 3, 2, 1, undefined]);
  });

  it('bloom_filter: pushed values may be present, others are (almost surely) absent', () => {
    const b = track(createMap({ type: 'bloom_filter', value: u64, maxEntries: 100, mapExtra: 3 }));
    for (let i = 0n; i < 50n; i++) b.push(i * 7n);
    for (let i = 0n; i < 50n; i++) expect(b.mayContain(i * 7n)).toBe(true);
    let falsePositives = 0;
    for (let i = 0n; i < 200n; i++) if (b.mayContain(1_000_000n + i)) falsePositives++;
    expect(falsePositives).toBeLessThan(100);
    expect(b.info().mapExtra).toBe(3n);
  });

  it('array_of_maps and hash_of_maps: fds in, ids out', () => {
    const inner = { type: 'array', value: u32, maxEntries: 4 } as const;
    const aom = track(createMap({ type: 'array_of_maps', maxEntries: 2, inner }));
    const hom = track(createMap({ type: 'hash_of_maps', key: u32, maxEntries: 2, inner }));
    const m1 = track(createMap(inner));
    aom.update(1, m1);
    hom.update(42, m1);
    expect(aom.lookup(1)).toBe(m1.info().id);
    expect(hom.lookup(42)).toBe(m1.info().id);
    expect(aom.lookup(0)).toBeUndefined();
    const wrongShape = track(createMap({ type: 'array', value: u64, maxEntries: 4 }));
    expect(code(() => aom.update(0, wrongShape))).toBe('EINVAL');
    expect(hom.delete(42)).toBe(true);
  });

  it('prog_array, perf_event_array, reuseport_sockarray, xskmap: created; fds of the wrong kind are refused', () => {
    const pa = track(createMap({ type: 'prog_array', maxEntries: 4 }));
    const notProg = track(createMap({ type: 'array', value: u32, maxEntries: 1 }));
    expect(code(() => pa.update(0, notProg))).toBe('EINVAL');
    expect(pa.delete(0)).toBe(false);
    const pea = track(createMap({ type: 'perf_event_array' }));
    expect(pea.info().maxEntries).toBe(possibleCpus());
    expect(code(() => pea.update(0, notProg))).toMatch(/EBADF|EINVAL|ENOENT|EOPNOTSUPP/);
    const rs = track(createMap({ type: 'reuseport_sockarray', maxEntries: 4 }));
    expect(rs.info().type).toBe(MapType.REUSEPORT_SOCKARRAY);
    expect(rs.delete(0)).toBe(false);
    const xsk = track(createMap({ type: 'xskmap', maxEntries: 4 }));
    expect(xsk.info().type).toBe(MapType.XSKMAP);
    expect(code(() => xsk.update(0, notProg))).toMatch(/EBADF|EINVAL|ENOTSOCK|EOPNOTSUPP/);
  });

  it('devmap, devmap_hash, cpumap: ifindex and queue-size values', () => {
    const dm = track(createMap({ type: 'devmap', maxEntries: 4 }));
    dm.update(0, 1); // lo
    expect(dm.lookup(0)).toBe(1);
    const dh = track(createMap({ type: 'devmap_hash', key: u32, maxEntries: 4 }));
    dh.update(99, 1);
    expect(dh.lookup(99)).toBe(1);
    expect([...dh.keys()]).toEqual([99]);
    const cm = track(createMap({ type: 'cpumap', maxEntries: possibleCpus() }));
    cm.update(0, 192);
    expect(cm.lookup(0)).toBe(192);
    expect(cm.delete(0)).toBe(true);
  });

  describe('sockets', () => {
    let server: Server | undefined;
    afterEach(() => server?.close());
    it('sockmap and sockhash take a listening TCP socket', async () => {
      server = createServer();
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', r));
      const sockFd = (server as unknown as { _handle: { fd: number } })._handle.fd;
      expect(sockFd).toBeGreaterThan(2);
      const sm = track(createMap({ type: 'sockmap', value: u64, maxEntries: 2 }));
      const sh = track(createMap({ type: 'sockhash', key: u32, value: u64, maxEntries: 2 }));
      // A refused raw value leaves high bits in the scratch; an fd update must not inherit them.
      expect(code(() => sm.update(1, 0xffff_ffff_0000_0000n))).not.toBe('ok');
      sm.update(0, { fd: sockFd });
      sh.update(5, { fd: sockFd });
      const cookie = sm.lookup(0);
      expect(typeof cookie).toBe('bigint');
      expect(sh.lookup(5)).toBe(cookie); // 8-byte values read back as the socket cookie
      expect(sm.delete(0)).toBe(true);
      expect(sh.delete(5)).toBe(true);
    });
  });

  it('stack_trace and cgroup_array', () => {
    const st = track(createMap({ type: 'stack_trace', maxEntries: 16 }));
    expect(st.spec.valueSize).toBe(127 * 8);
    expect(st.lookup(3)).toBeUndefined();
    expect(st.nextKey()).toBeUndefined();
    const ca = track(createMap({ type: 'cgroup_array', maxEntries: 2 }));
    const cgroup2 = readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' '))
      .find((f) => f[2] === 'cgroup2')?.[1];
    if (!cgroup2) {
      console.warn('[skip] cgroup_array update: no cgroup2 mount');
      return;
    }
    const cg = openRaw(cgroup2, 0);
    expect(cg).toBeGreaterThan(0);
    const cgFd = track(new Fd(cg));
    ca.update(0, cgFd);
    expect(ca.delete(0)).toBe(true);
    expect(ca.delete(0)).toBe(false);
  });

  it('ringbuf and user_ringbuf: created and memory-mapped', () => {
    const ps = pageSize();
    const rb = track(createMap({ type: 'ringbuf', maxEntries: 4 * ps }));
    const consumer = track(mmapMap(rb, 0, ps, true));
    const producer = track(mmapMap(rb, ps, ps, false));
    expect(consumer.bytes.readBigUInt64LE(0)).toBe(0n);
    expect(producer.bytes.readBigUInt64LE(0)).toBe(0n);
    expect(code(() => rb.lookup(new Uint8Array(0)))).not.toBe('ok');
    expect(code(() => createMap({ type: 'ringbuf', maxEntries: 3 * ps }))).toBe('EINVAL'); // not a power of 2
    expect(() => createMap({ type: 'ringbuf', maxEntries: 3 * ps })).toThrow(/power-of-2 multiple of the page size/);
    const urb = track(createMap({ type: 'user_ringbuf', maxEntries: 4 * ps }));
    expect(urb.info().type).toBe(MapType.USER_RINGBUF);
  });

  it('arena: pages mapped into user space on demand', () => {
    const ps = pageSize();
    const arena = track(createMap({ type: 'arena', maxEntries: 4, flags: MapFlags.MMAPABLE }));
    const region = track(mmapMap(arena, 0, 4 * ps, true));
    region.bytes.writeUInt32LE(0xdeadbeef, ps + 8);
    expect(region.bytes.readUInt32LE(ps + 8)).toBe(0xdeadbeef);
    expect(arena.info().type).toBe(MapType.ARENA);
  });

  it('array', () => {
    const a: BpfMap<number, bigint> = track(createMap({ type: 'array', value: u64, maxEntries: 3 }));
    expect([...a.entries()]).toEqual([[0, 0n], [1, 0n], [2, 0n]]);
    a.update(2, 5n);
    expect(a.lookup(2)).toBe(5n);
    expect(a.lookup(3)).toBeUndefined();
  });
});
