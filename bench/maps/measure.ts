/**
 * Shared pieces of bench/maps: the result shape, the bpf() numbers the raw loops use, and the C
 * baseline (bench/maps/maps.c, compiled with the system cc into a temp dir at each run).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What each implementation measures. */
export interface MapBenchResult {
  /** Single BPF_MAP_LOOKUP_ELEM calls per second (hash map, 4-byte key, 8-byte value). */
  readonly lookupOpsPerSec: number;
  /** Single BPF_MAP_UPDATE_ELEM calls per second. */
  readonly updateOpsPerSec: number;
  /** Entries read per second by BPF_MAP_LOOKUP_BATCH walks over a full map. */
  readonly batchEntriesPerSec: number;
  /** Entries one walk returned (must equal the map's size). */
  readonly batchEntries: number;
}

/** The bpf syscall number on this architecture. */
export const SYS_BPF = process.arch === 'arm64' ? 280 : 321;

/** The bpf() commands the raw loops use. */
export const BpfCmd = { MAP_CREATE: 0, MAP_LOOKUP_ELEM: 1, MAP_UPDATE_ELEM: 2, MAP_LOOKUP_BATCH: 24 } as const;

/** Seconds from a monotonic clock. */
export function now(): number {
  return Number(process.hrtime.bigint()) / 1e9;
}

/**
 * The best of each figure over runs: the machine is shared, so the fastest run is the one least
 * disturbed by others, the same rule for every implementation.
 */
export function best(runs: readonly MapBenchResult[]): MapBenchResult {
  const max = (k: keyof MapBenchResult): number => Math.max(...runs.map((r) => r[k]));
  return {
    lookupOpsPerSec: max('lookupOpsPerSec'),
    updateOpsPerSec: max('updateOpsPerSec'),
    batchEntriesPerSec: max('batchEntriesPerSec'),
    batchEntries: Math.min(...runs.map((r) => r.batchEntries)),
  };
}

/** Compiles maps.c with the system cc (-O2) into a temp dir and returns a function that runs it. */
export function compileC(): { run(iters: number, entries: number, rounds: number): MapBenchResult; remove(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-bench-'));
  const src = join(dirname(fileURLToPath(import.meta.url)), 'maps.c');
  const exe = join(dir, 'maps');
  try {
    execFileSync(process.env.CC ?? 'cc', ['-O2', '-o', exe, src], { stdio: 'inherit' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    run(iters, entries, rounds) {
      const out = execFileSync(exe, [String(iters), String(entries), String(rounds)], { encoding: 'utf8' });
      return JSON.parse(out) as MapBenchResult;
    },
    remove() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
