/**
 * bench/verifier (`npm run bench:verifier [-- options]`): times the verifier model (`verify()`)
 * against the kernel's BPF_PROG_LOAD on the same programs in one run, and compares the model's
 * processed-instruction counts with the kernel's.
 *
 * Programs: the kernel-verifier corpus (`../shared/corpus/kernel-verifier-6.1/tests.jsonl`, records
 * loadable without BTF) and the programs of every example that exports `programs()`.
 * Per program: one untimed warm-up of each side, then `--reps` rounds (default 5; 1 for programs
 * over 20 ms) alternating model and kernel, the order flipped each round; the median of each side
 * is kept. The kernel is timed at log level 0 (the log costs verification time) with its fd closed
 * outside the timed span; a separate load at BPF_LOG_STATS gives its `processed N insns` and
 * `verification time`. The model runs at log level 0 on the same bytes, map fds and flags.
 *
 * Report: median of the per-program ratios model/kernel and the aggregate ratio (sum/sum), per
 * program-type group; verdict and processed-count agreement. The bar is a median ratio ≤ 3.
 * Options: `--corpus FILE`, `--large` (add the three ~1M-instruction programs of
 * `tests-large.jsonl.gz` next to it), `--reps N`, `--filter SUBSTRING` (record ids), `--no-examples`,
 * `--top N` (slowest ratios listed), `--json`. Needs root (or CAP_BPF).
 * @module
 */
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { verify } from '../../src/verifier/verify.js';
import type { VerifyOptions } from '../../src/verifier/types.js';
import { possibleCpus } from '../../src/loader/platform.js';
import { KernelLoader } from './kernel.js';
import { corpusPrograms, examplePrograms } from './programs.js';
import type { BenchProgram } from './programs.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const corpusFile = opt('--corpus') ?? resolve(repoRoot, '../shared/corpus/kernel-verifier-6.1/tests.jsonl');
const reps = Number(opt('--reps') ?? 5);
const filter = opt('--filter');
const top = Number(opt('--top') ?? 10);
const json = args.includes('--json');
const withExamples = !args.includes('--no-examples');
const corpusFiles = [corpusFile, ...(args.includes('--large') ? [resolve(dirname(corpusFile), 'tests-large.jsonl.gz')] : [])];
/** Programs slower than this (either side, at warm-up) get one timed round. */
const SLOW_NS = 20_000_000n;

/** What was measured for one program. */
interface Row {
  id: string;
  group: string;
  insns: number;
  modelNs: number;
  kernelNs: number;
  ratio: number;
  modelOk: boolean;
  kernelOk: boolean;
  modelProcessed: number;
  kernelProcessed: number | undefined;
  kernelVerifyUs: number | undefined;
  modelMessage: string | undefined;
  /** The kernel gave up on a pending signal (EAGAIN) in some load: its figures do not count. */
  interrupted: boolean;
  /** For corpus records: whether this kernel's verdict and count equal the corpus labels (checks the fixtures). */
  matchesLabel: boolean | undefined;
}

function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function measure(p: BenchProgram, nrCpus: number): Row {
  const prep = p.prepare();
  const loader = new KernelLoader({ bytes: prep.bytes, progType: p.progType, expectedAttachType: p.expectedAttachType, progFlags: p.progFlags });
  try {
    const opts: VerifyOptions = {
      type: p.progType, expectedAttachType: p.expectedAttachType, maps: prep.maps, progFlags: p.progFlags,
      logLevel: 0, nrCpus,
    };
    const timeModel = (): { ns: bigint; res: ReturnType<typeof verify> } => {
      const t0 = process.hrtime.bigint();
      const res = verify(prep.bytes, opts);
      return { ns: process.hrtime.bigint() - t0, res };
    };
    const warmModel = timeModel();
    const warmKernel = loader.timedLoad();
    const stats = loader.stats();
    const rounds = warmModel.ns > SLOW_NS || warmKernel.ns > SLOW_NS ? 1 : reps;
    const m: number[] = [];
    const k: number[] = [];
    let interrupted = warmKernel.interrupted || stats.errno === 11;
    const kernelRound = (): void => {
      const t = loader.timedLoad();
      interrupted ||= t.interrupted;
      k.push(Number(t.ns));
    };
    for (let r = 0; r < rounds; r++) {
      if (r % 2 === 0) {
        m.push(Number(timeModel().ns));
        kernelRound();
      } else {
        kernelRound();
        m.push(Number(timeModel().ns));
      }
    }
    const modelNs = median(m);
    const kernelNs = median(k);
    const res = warmModel.res;
    return {
      id: p.id, group: p.group, insns: prep.bytes.length / 8, modelNs, kernelNs, ratio: modelNs / kernelNs,
      modelOk: res.ok, kernelOk: stats.accepted, modelProcessed: res.processed, kernelProcessed: stats.processed,
      kernelVerifyUs: stats.verifyUs, modelMessage: res.error?.message, interrupted,
      matchesLabel: p.label ? p.label.accepted === stats.accepted && p.label.processed === stats.processed : undefined,
    };
  } finally {
    loader.close();
    prep.close();
  }
}

function warmUp(p: BenchProgram, nrCpus: number, passes: number): void {
  const prep = p.prepare();
  try {
    if (prep.bytes.length / 8 > 2000) return;
    for (let i = 0; i < passes; i++) {
      verify(prep.bytes, { type: p.progType, expectedAttachType: p.expectedAttachType, maps: prep.maps, progFlags: p.progFlags, logLevel: 0, nrCpus });
    }
    const loader = new KernelLoader({ bytes: prep.bytes, progType: p.progType, expectedAttachType: p.expectedAttachType, progFlags: p.progFlags });
    try {
      loader.timedLoad();
    } finally {
      loader.close();
    }
  } finally {
    prep.close();
  }
}

/** Figures over a set of rows. */
interface Summary {
  programs: number;
  medianRatio: number;
  aggregateRatio: number;
  modelMs: number;
  kernelMs: number;
  verdictAgree: number;
  processedAgree: number;
  processedCompared: number;
  /** Median model / kernel-internal verification time, over programs the kernel took ≥ 50 µs to verify. */
  medianRatioVerifyTime: number;
  verifyTimePrograms: number;
}

function summarise(rows: readonly Row[]): Summary {
  const sum = (f: (r: Row) => number): number => rows.reduce((a, r) => a + f(r), 0);
  const compared = rows.filter((r) => r.modelOk === r.kernelOk && r.kernelProcessed !== undefined);
  const timed = rows.filter((r) => (r.kernelVerifyUs ?? 0) >= 50);
  return {
    programs: rows.length,
    medianRatio: median(rows.map((r) => r.ratio)),
    aggregateRatio: sum((r) => r.modelNs) / sum((r) => r.kernelNs),
    modelMs: sum((r) => r.modelNs) / 1e6,
    kernelMs: sum((r) => r.kernelNs) / 1e6,
    verdictAgree: rows.filter((r) => r.modelOk === r.kernelOk).length,
    processedAgree: compared.filter((r) => r.modelProcessed === r.kernelProcessed).length,
    processedCompared: compared.length,
    medianRatioVerifyTime: median(timed.map((r) => r.modelNs / (r.kernelVerifyUs! * 1000))),
    verifyTimePrograms: timed.length,
  };
}

const f2 = (x: number): string => (Number.isFinite(x) ? x.toFixed(2) : '-');

function line(name: string, s: Summary): string {
  return `${name.padEnd(22)} ${String(s.programs).padStart(5)}  ${f2(s.medianRatio).padStart(6)}  ${f2(s.aggregateRatio).padStart(6)}  ` +
    `${s.modelMs.toFixed(1).padStart(9)}  ${s.kernelMs.toFixed(1).padStart(9)}  ${`${s.verdictAgree}/${s.programs}`.padStart(9)}  ` +
    `${`${s.processedAgree}/${s.processedCompared}`.padStart(9)}`;
}

async function main(): Promise<void> {
  const nrCpus = possibleCpus();
  const programs: BenchProgram[] = [];
  const excluded: Record<string, number> = {};
  for (const file of corpusFiles) {
    if (!existsSync(file)) {
      if (!json) console.log(`corpus ${file} not found: skipped`);
      continue;
    }
    const c = corpusPrograms(file, filter ? (id) => id.includes(filter) : undefined);
    programs.push(...c.programs);
    for (const [why, n] of Object.entries(c.excluded)) excluded[why] = (excluded[why] ?? 0) + n;
  }
  let without: string[] = [];
  if (withExamples) {
    const e = await examplePrograms(resolve(repoRoot, 'examples'));
    programs.push(...e.programs.filter((p) => !filter || p.id.includes(filter)));
    without = e.without;
  }
  // JIT warm-up of the model over every program (untimed), before any timing.
  // Warm-up (untimed): the model and the syscall path once over every small program, so the
  // first programs timed do not pay for V8's compilation of the model.
  // A short selection is warmed several times over, so that V8 reaches the same steady state as on
  // the whole corpus (about 2000 model runs in all).
  const passes = Math.min(20, Math.max(1, Math.ceil(2000 / Math.max(1, programs.length))));
  for (const p of programs) warmUp(p, nrCpus, passes);
  const rows: Row[] = [];
  const interrupted: string[] = [];
  const t0 = performance.now();
  for (const p of programs) {
    const row = measure(p, nrCpus);
    if (row.interrupted) interrupted.push(row.id); else rows.push(row);
  }
  const wallS = (performance.now() - t0) / 1000;

  const groups = [...new Set(rows.map((r) => r.group))].sort();
  const corpusRows = rows.filter((r) => !r.id.startsWith('example:'));
  const exampleRows = rows.filter((r) => r.id.startsWith('example:'));
  const all = summarise(rows);
  const slowest = [...rows].sort((a, b) => b.ratio - a.ratio).slice(0, top);
  const processedOff = rows.filter((r) => r.modelOk === r.kernelOk && r.kernelProcessed !== undefined && r.modelProcessed !== r.kernelProcessed);
  if (json) {
    console.log(JSON.stringify({
      corpusFiles, reps, wallS, excluded, interrupted, examplesWithoutPrograms: without, all,
      corpus: summarise(corpusRows), examples: summarise(exampleRows),
      groups: Object.fromEntries(groups.map((g) => [g, summarise(rows.filter((r) => r.group === g))])),
      slowest, processedDisagreements: processedOff.map((r) => ({ id: r.id, model: r.modelProcessed, kernel: r.kernelProcessed })),
    }));
    return;
  }
  console.log(`bench:verifier — model verify() vs kernel BPF_PROG_LOAD (log level 0), ${reps} interleaved rounds, medians; ${wallS.toFixed(1)} s`);
  for (const [why, n] of Object.entries(excluded)) console.log(`  corpus records left out: ${n} (${why})`);
  if (interrupted.length) {
    console.log(`  left out, the kernel's verifier interrupted by a signal (EAGAIN; a profiler?): ${interrupted.join(', ')}`);
  }
  if (withExamples) {
    console.log(`  examples: ${exampleRows.length} programs` +
      (without.length ? `; no programs() export in: ${without.join(', ')}` : ''));
  }
  console.log('');
  console.log(`${'group'.padEnd(22)} ${'progs'.padStart(5)}  ${'median'.padStart(6)}  ${'aggr'.padStart(6)}  ${'model ms'.padStart(9)}  ` +
    `${'kernel ms'.padStart(9)}  ${'verdicts'.padStart(9)}  ${'processed'.padStart(9)}`);
  for (const g of groups) console.log(line(g, summarise(rows.filter((r) => r.group === g))));
  console.log('');
  if (corpusRows.length) console.log(line('corpus', summarise(corpusRows)));
  if (exampleRows.length) console.log(line('examples', summarise(exampleRows)));
  console.log(line('all', all));
  console.log('');
  console.log('median / aggr: model time / kernel BPF_PROG_LOAD time (median of per-program ratios / sum over sum);');
  console.log('processed: equal "processed N insns" counts among programs whose verdicts agree.');
  console.log(`median model / kernel's own "verification time" (${all.verifyTimePrograms} programs with ≥ 50 µs): ${f2(all.medianRatioVerifyTime)}`);
  const labelled = rows.filter((r) => r.matchesLabel !== undefined);
  const offLabel = labelled.filter((r) => !r.matchesLabel);
  console.log(`kernel here vs the corpus labels (verdict and processed count, a check of the fixtures): ` +
    `${labelled.length - offLabel.length}/${labelled.length}${offLabel.length ? ` (differ: ${offLabel.slice(0, top).map((r) => r.id).join(', ')})` : ''}`);
  console.log(`bar: median ratio ≤ 3 → ${all.medianRatio <= 3 ? 'met' : 'NOT met'} (${f2(all.medianRatio)})`);
  console.log('');
  console.log(`highest ratios:`);
  for (const r of slowest) {
    console.log(`  ${r.id.padEnd(34)} ${r.group.padEnd(16)} ${String(r.insns).padStart(7)} insns  model ${(r.modelNs / 1e3).toFixed(0).padStart(8)} µs  ` +
      `kernel ${(r.kernelNs / 1e3).toFixed(0).padStart(7)} µs  ratio ${f2(r.ratio)}`);
  }
  const verdictOff = rows.filter((r) => r.modelOk !== r.kernelOk);
  if (verdictOff.length) {
    console.log(`verdicts that differ (${verdictOff.length}):`);
    for (const r of verdictOff.slice(0, top)) {
      console.log(`  ${r.id}: kernel ${r.kernelOk ? 'accepts' : 'rejects'}, model ${r.modelOk ? 'accepts' : `rejects: ${r.modelMessage ?? ''}`}`);
    }
  }
  if (processedOff.length) {
    console.log(`processed counts that differ (${processedOff.length}):`);
    for (const r of processedOff.slice(0, top)) console.log(`  ${r.id}: model ${r.modelProcessed}, kernel ${r.kernelProcessed}`);
  }
}

await main();
