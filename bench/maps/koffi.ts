/**
 * For comparison only: the bench/maps loops through koffi (a devDependency) calling libc's
 * syscall() directly, with attrs written into native memory through koffi.view. ts-ebpf itself
 * never uses koffi.
 */
import { createRequire } from 'node:module';
import type { MapBenchResult } from './measure.js';
import { SYS_BPF, BpfCmd, now } from './measure.js';

type Koffi = typeof import('koffi');

/** Runs the same measurements as maps.c through koffi. */
export function runKoffi(iters: number, entries: number, rounds: number): MapBenchResult {
  const koffi = createRequire(import.meta.url)('koffi') as Koffi;
  const libc = koffi.load('libc.so.6');
  // syscall() is variadic; on x86-64 and aarch64 Linux, integer arguments of a variadic callee
  // travel exactly like fixed ones, so a fixed prototype is safe and much cheaper per call.
  const syscall = libc.func('long syscall(long nr, long cmd, void *attr, unsigned long size)');

  const ATTR = 128;
  const mem = koffi.alloc('uint8_t', ATTR + 16 + entries * 12 + 16);
  const base = koffi.address(mem);
  const view = new DataView(koffi.view(mem, ATTR + 16 + entries * 12 + 16));
  const keyAt = base + BigInt(ATTR);
  const valueAt = keyAt + 8n;
  const batchAt = valueAt + 8n;
  const keysAt = batchAt + 8n;
  const valuesAt = keysAt + BigInt(entries * 4);
  const attr = mem;

  const call = (cmd: number): number => {
    const rc = Number(syscall(SYS_BPF, cmd, attr, ATTR));
    return rc < 0 ? -koffi.errno() : rc;
  };
  const clear = (): void => { for (let i = 0; i < ATTR; i += 8) view.setBigUint64(i, 0n, true); };
  const createHash = (maxEntries: number): number => {
    clear();
    view.setUint32(0, 1, true); // BPF_MAP_TYPE_HASH
    view.setUint32(4, 4, true);
    view.setUint32(8, 8, true);
    view.setUint32(12, maxEntries, true);
    const fd = call(BpfCmd.MAP_CREATE);
    if (fd < 0) throw new Error(`BPF_MAP_CREATE: errno ${-fd}`);
    return fd;
  };
  const elemAttr = (fd: number, flags: number): void => {
    clear();
    view.setUint32(0, fd, true);
    view.setBigUint64(8, keyAt, true);
    view.setBigUint64(16, valueAt, true);
    view.setBigUint64(24, BigInt(flags), true);
  };
  const update = (fd: number, key: number, value: bigint): void => {
    view.setUint32(ATTR, key, true);
    view.setBigUint64(ATTR + 8, value, true);
    elemAttr(fd, 0);
    if (call(BpfCmd.MAP_UPDATE_ELEM) !== 0) throw new Error('update failed');
  };
  const lookup = (fd: number, key: number): bigint => {
    view.setUint32(ATTR, key, true);
    elemAttr(fd, 0);
    if (call(BpfCmd.MAP_LOOKUP_ELEM) !== 0) throw new Error('lookup failed');
    return view.getBigUint64(ATTR + 8, true);
  };
  const closeFd = libc.func('int close(int fd)');

  let fd = createHash(1024);
  for (let k = 0; k < 1024; k++) update(fd, k, BigInt(k));
  let t0 = now();
  let sum = 0n;
  for (let i = 0; i < iters; i++) sum += lookup(fd, i & 1023);
  const lookupS = now() - t0;
  t0 = now();
  for (let i = 0; i < iters; i++) update(fd, i & 1023, BigInt(i));
  const updateS = now() - t0;
  closeFd(fd);

  fd = createHash(entries);
  for (let k = 0; k < entries; k++) update(fd, k, BigInt(k) * 3n);
  let total = 0;
  t0 = now();
  for (let r = 0; r < rounds; r++) {
    let got = 0;
    let first = true;
    while (got < entries) {
      clear();
      view.setBigUint64(0, first ? 0n : batchAt, true); // in_batch
      view.setBigUint64(8, batchAt, true); // out_batch
      view.setBigUint64(16, keysAt + BigInt(got * 4), true);
      view.setBigUint64(24, valuesAt + BigInt(got * 8), true);
      view.setUint32(32, entries - got, true); // count
      view.setUint32(36, fd, true); // map_fd
      const rc = call(BpfCmd.MAP_LOOKUP_BATCH);
      got += view.getUint32(32, true);
      first = false;
      if (rc !== 0) break;
    }
    total += got;
  }
  const batchS = now() - t0;
  closeFd(fd);
  koffi.free(mem);
  void sum;
  return {
    lookupOpsPerSec: iters / lookupS,
    updateOpsPerSec: iters / updateS,
    batchEntriesPerSec: total / batchS,
    batchEntries: total / rounds,
  };
}
