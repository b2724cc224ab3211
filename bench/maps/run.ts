/**
 * bench/maps (`npm run bench:maps`): single lookups and updates, and a batch lookup of a full
 * 100k-entry hash map, through ts-ebpf (ffi-rs), against the same loops in C (maps.c, compiled
 * with the system cc at each run) and, for comparison only, through koffi.
 *
 * Env: BENCH_ITERS (single ops, default 200000), BENCH_ENTRIES (default 100000), BENCH_ROUNDS
 * (batch walks, default 5), BENCH_REPEATS (runs of each, interleaved; the best counts; default 3).
 * Needs root (or CAP_BPF).
 */
import { createMap } from '../../src/maps/create.js';
import { u32, u64 } from '../../src/maps/codec.js';
import { runKoffi } from './koffi.js';
import { best, compileC, now } from './measure.js';
import type { MapBenchResult } from './measure.js';

const iters = Number(process.env.BENCH_ITERS ?? 200_000);
const entries = Number(process.env.BENCH_ENTRIES ?? 100_000);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const repeats = Number(process.env.BENCH_REPEATS ?? 3);

function runTsEbpf(): MapBenchResult {
  let lookupS: number;
  let updateS: number;
  {
    using m = createMap({ type: 'hash', name: 'bench_single', key: u32, value: u64, maxEntries: 1024 });
    for (let k = 0; k < 1024; k++) m.update(k, BigInt(k));
    let sum = 0n;
    let t0 = now();
    for (let i = 0; i < iters; i++) sum += m.lookup(i & 1023)!;
    lookupS = now() - t0;
    t0 = now();
    for (let i = 0; i < iters; i++) m.update(i & 1023, BigInt(i));
    updateS = now() - t0;
    if (sum < 0n) throw new Error('unreachable');
  }
  using big = createMap({ type: 'hash', name: 'bench_batch', key: u32, value: u64, maxEntries: entries });
  const fill: [number, bigint][] = [];
  for (let k = 0; k < entries; k++) fill.push([k, BigInt(k) * 3n]);
  big.updateBatch(fill);
  let total = 0;
  const t0 = now();
  for (let r = 0; r < rounds; r++) {
    // One walk in chunks as large as the map, as maps.c does; entries come back decoded.
    total += big.lookupBatch(entries).length;
  }
  const batchS = now() - t0;
  return {
    lookupOpsPerSec: iters / lookupS,
    updateOpsPerSec: iters / updateS,
    batchEntriesPerSec: total / batchS,
    batchEntries: total / rounds,
  };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(14);
const ratio = (ts: number, c: number): string => `${(ts / c).toFixed(2)}x C`;

const cProgram = compileC();
const runs: { c: MapBenchResult[]; ts: MapBenchResult[]; kf: MapBenchResult[] } = { c: [], ts: [], kf: [] };
try {
  // Interleaved, so a burst of load from elsewhere hits every implementation alike.
  for (let i = 0; i < repeats; i++) {
    runs.c.push(cProgram.run(iters, entries, rounds));
    runs.ts.push(runTsEbpf());
    runs.kf.push(runKoffi(iters, entries, rounds));
  }
} finally {
  cProgram.remove();
}
const c = best(runs.c);
const ts = best(runs.ts);
const kf = best(runs.kf);
for (const r of [c, ts, kf]) {
  if (r.batchEntries !== entries) throw new Error(`a batch walk returned ${r.batchEntries} entries, not ${entries}`);
}

console.log(`bench/maps: hash map, u32 key, u64 value; ${iters} single ops, batch walks of ${entries} entries x ${rounds}; ` +
  `best of ${repeats} interleaved runs`);
console.log(`${''.padEnd(26)}${'C'.padStart(14)}${'ts-ebpf'.padStart(14)}   ts-ebpf/C ${'koffi'.padStart(14)}   koffi/C`);
const row = (name: string, key: keyof MapBenchResult): void => {
  console.log(`${name.padEnd(26)}${fmt(c[key])}${fmt(ts[key])}   ${ratio(ts[key], c[key]).padEnd(9)} ${fmt(kf[key])}   ${ratio(kf[key], c[key])}`);
};
row('lookup (ops/s)', 'lookupOpsPerSec');
row('update (ops/s)', 'updateOpsPerSec');
row('batch lookup (entries/s)', 'batchEntriesPerSec');
