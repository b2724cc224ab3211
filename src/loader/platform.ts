/**
 * Facts about the running machine the loader needs: possible CPUs (per-CPU map values), the page
 * size (mmap, ring buffers), and a mounted bpf filesystem (pinning).
 * @module
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { mountRaw } from './ffi.js';
import { syscallError } from './errno.js';

/**
 * Parses a kernel CPU list such as `0-3,8,10-11` into the number of CPUs it spans from 0, i.e. the
 * highest listed CPU + 1 (per-CPU map values are indexed by CPU number, holes included).
 */
export function parseCpuList(list: string): number {
  let max = -1;
  for (const part of list.trim().split(',')) {
    if (!part) continue;
    const [a, b] = part.split('-');
    const hi = Number(b ?? a);
    if (!Number.isInteger(hi) || hi < 0) throw new RangeError(`bad CPU list: ${list}`);
    max = Math.max(max, hi);
  }
  return max + 1;
}

let cpus: number | undefined;

/** Number of possible CPUs (`/sys/devices/system/cpu/possible`), the length of per-CPU values. */
export function possibleCpus(): number {
  cpus ??= parseCpuList(readFileSync('/sys/devices/system/cpu/possible', 'utf8'));
  return cpus;
}

let page: number | undefined;

/** The system page size, from the auxiliary vector (AT_PAGESZ); 4096 when it cannot be read. */
export function pageSize(): number {
  if (page !== undefined) return page;
  page = 4096;
  try {
    const auxv = readFileSync('/proc/self/auxv');
    for (let o = 0; o + 16 <= auxv.length; o += 16) {
      const key = auxv.readBigUInt64LE(o);
      if (key === 0n) break;
      if (key === 6n) page = Number(auxv.readBigUInt64LE(o + 8));
    }
  } catch {
    // keep the default
  }
  return page;
}

/** Where bpffs is mounted by convention. */
export const BPFFS_PATH = '/sys/fs/bpf';

const BPF_FS_MAGIC_TYPE = 'bpf';

/** Whether a bpf filesystem is mounted at `path` (per /proc/self/mounts). */
export function isBpffsMounted(path = BPFFS_PATH): boolean {
  const mounts = readFileSync('/proc/self/mounts', 'utf8');
  return mounts.split('\n').some((l) => {
    const f = l.split(' ');
    return f[1] === path && f[2] === BPF_FS_MAGIC_TYPE;
  });
}

/** Mounts bpffs at `path` unless it is already mounted there (needs CAP_SYS_ADMIN). */
export function ensureBpffs(path = BPFFS_PATH): void {
  if (isBpffsMounted(path)) return;
  if (!existsSync(path)) mkdirSync(path, { recursive: true });
  const rc = mountRaw('bpf', path, 'bpf', 0);
  if (rc < 0) throw syscallError(`mount bpffs at ${path}`, -rc);
}
