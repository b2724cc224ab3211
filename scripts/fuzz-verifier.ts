/**
 * `npm run fuzz:verifier -- [--runs N] [--seed S] [--out FILE] [--messages FILE] [--types a,b] [--json]`:
 * generates structured programs (`arbVerifierProgram` from ts-ebpf/testing), runs each through the
 * verifier model and the running kernel, and prints verdict agreement, error-line agreement where
 * both reject, and processed-count agreement where both accept. Every verdict disagreement is
 * shrunk and appended to `--out` (default ./verifier-disagreements.jsonl, removed first; not
 * created when there are none) as JSON: seed and path, the program as disassembly and hex bytes,
 * both verdicts. With `--messages`, every common rejection with different error lines is appended
 * to that file (removed first) as JSON: seed, path, type, disassembly, hex, both lines. With
 * `--json`, the summary is one JSON object, with the paths of the programs whose processed counts
 * differ most. Needs root (bpf()).
 */
import { rmSync } from 'node:fs';
import { runFuzz } from '../test/kernel/verifier-fuzz-runner.js';
import type { FuzzSummary, ProcessedMismatch } from '../test/kernel/verifier-fuzz-runner.js';
import { kernelTestContext } from '../test/kernel/privileged.js';
import { verifierFuzzProgramTypes } from '../src/testing/index.js';
import type { VerifierFuzzProgramType } from '../src/testing/index.js';

const args = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : args.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
};
const runs = Number(opt('runs') ?? 1000);
const seed = Number(opt('seed') ?? Date.now() % 0x7fffffff);
const out = opt('out') ?? 'verifier-disagreements.jsonl';
const messagesOut = opt('messages');
const types = opt('types')?.split(',') as VerifierFuzzProgramType[] | undefined;
const json = args.includes('--json');
if (!Number.isInteger(runs) || runs <= 0 || !Number.isInteger(seed)) {
  console.error('usage: npm run fuzz:verifier -- [--runs N] [--seed S] [--out FILE] [--messages FILE] [--types xdp,kprobe] [--json]');
  process.exit(2);
}
const unknown = types?.filter((t) => !(verifierFuzzProgramTypes as readonly string[]).includes(t)) ?? [];
if (unknown.length > 0) {
  console.error(`unknown program types: ${unknown.join(', ')} (known: ${verifierFuzzProgramTypes.join(', ')})`);
  process.exit(2);
}
const kernel = kernelTestContext('fuzz:verifier');
if (!kernel.ok) {
  console.error(`fuzz:verifier needs a kernel that loads programs: ${kernel.reason}`);
  process.exit(2);
}

const pct = (n: number, d: number): string => (d === 0 ? '-' : `${((100 * n) / d).toFixed(2)}%`);
const tty = process.stderr.isTTY;
let nextMark = 0.1;
const t0 = performance.now();
function progress(done: number, total: number, s: FuzzSummary): void {
  const frac = done / total;
  const rate = done / ((performance.now() - t0) / 1000);
  const line = `${done}/${total} programs, ${s.programs - s.verdictAgree} disagreements, ${rate.toFixed(0)}/s`;
  if (tty) {
    if (done % 25 !== 0 && done !== total) return;
    const width = 30;
    const bar = '#'.repeat(Math.round(frac * width)).padEnd(width, '.');
    process.stderr.write(`\r[${bar}] ${line}  `);
    if (done === total) process.stderr.write('\n');
  } else if (frac >= nextMark - 1e-9) {
    process.stderr.write(`${Math.round(frac * 100)}% ${line}\n`);
    while (nextMark <= frac + 1e-9) nextMark += 0.1;
  }
}

// Disagreements are appended as they are found: start from no file, and leave none when there are none.
rmSync(out, { force: true });
if (messagesOut) rmSync(messagesOut, { force: true });
const s = runFuzz({
  seed, runs, out, ...(messagesOut ? { messagesOut } : {}), onProgress: progress, ...(types ? { gen: { types } } : {}),
  onShrink: (n) => process.stderr.write(`shrinking ${n} disagreement${n === 1 ? '' : 's'}...\n`),
});
const disagree = s.programs - s.verdictAgree;
const messageMismatchCount = s.bothReject - s.messageAgree;
// The common acceptances whose processed counts differ most (no count at all sorts first).
const processedGap = (m: ProcessedMismatch): number =>
  (m.model === undefined || m.kernel === undefined ? Infinity : Math.abs(m.model - m.kernel));
const topProcessed = [...s.processedMismatches].sort((a, b) => processedGap(b) - processedGap(a)).slice(0, 20);
if (json) {
  console.log(JSON.stringify({
    seed, runs: s.programs, ms: Math.round(s.ms), kernelAccepts: s.kernelAccepts, kernelRejects: s.kernelRejects,
    verdictAgree: s.verdictAgree, disagreementRate: disagree / s.programs, bothReject: s.bothReject,
    messageAgree: s.messageAgree, bothAccept: s.bothAccept, processedAgree: s.processedAgree,
    processedMismatches: topProcessed, notModelled: s.notModelled, out,
    ...(messagesOut ? { messages: messagesOut } : {}),
  }));
} else {
  console.log(`fuzz:verifier seed ${seed}: ${s.programs} programs in ${(s.ms / 1000).toFixed(1)} s (kernel ${kernel.release})`);
  console.log(`kernel accepts / rejects:        ${s.kernelAccepts} / ${s.kernelRejects}`);
  console.log(`verdict agreement:               ${s.verdictAgree}/${s.programs} (${pct(s.verdictAgree, s.programs)})`);
  console.log(`verdict disagreement:            ${disagree} (${pct(disagree, s.programs)})`);
  console.log(`error line, both reject:         ${s.messageAgree}/${s.bothReject} (${pct(s.messageAgree, s.bothReject)})`);
  console.log(`processed count equal:           ${s.processedAgree}/${s.bothAccept} (${pct(s.processedAgree, s.bothAccept)})`);
  console.log(`model "not modelled" rejections: ${s.notModelled}`);
  const top = [...s.kernelMessages].sort((a, b) => b[1] - a[1]).slice(0, 15);
  console.log(`distinct kernel error lines (digits folded): ${s.kernelMessages.size}; most common:`);
  for (const [m, n] of top) console.log(`  ${String(n).padStart(6)}  ${m}`);
  const mism = [...s.messageMismatches].sort((a, b) => b[1] - a[1]).slice(0, 10);
  if (mism.length > 0) console.log('most common error-line differences (kernel || model):');
  for (const [m, n] of mism) console.log(`  ${String(n).padStart(6)}  ${m}`);
  if (topProcessed.length > 0) console.log('largest processed-count differences (path type: model / kernel):');
  for (const m of topProcessed.slice(0, 5)) console.log(`  ${m.path} ${m.type}: ${m.model ?? '-'} / ${m.kernel ?? '-'}`);
  if (s.disagreements.length > 0) console.log(`${s.disagreements.length} shrunk disagreements written to ${out}`);
  if (messagesOut && messageMismatchCount > 0) console.log(`${messageMismatchCount} error-line differences written to ${messagesOut}`);
}
