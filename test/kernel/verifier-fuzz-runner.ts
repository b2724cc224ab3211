/**
 * The differential fuzz harness of the verifier model against the running kernel, shared by
 * `npm run fuzz:verifier` and the CI sample (test/kernel/verifier-fuzz.test.ts).
 *
 * Each program from `arbVerifierProgram` is encoded once, with the fds of maps created once for
 * the whole run, and those same bytes go to `verify` (maps by fd) and to BPF_PROG_LOAD. Verdicts
 * are compared; on common rejections also the error line, on common acceptances the count of
 * processed instructions. Every verdict disagreement is replayed with fast-check (same seed, the
 * run's path) to shrink it, and written as one JSON line; every common rejection with different
 * error lines can be written as it is found.
 */
import { appendFileSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { encode } from '../../src/asm/encoding.js';
import type { Instruction } from '../../src/asm/instruction.js';
import { disassemble } from '../../src/asm/text/index.js';
import { VerifierError, BpfSyscallError } from '../../src/errors.js';
import { closeRaw } from '../../src/loader/ffi.js';
import { progLoad } from '../../src/loader/prog-load.js';
import { progTypeNumber } from '../../src/loader/prog-names.js';
import { createMap } from '../../src/maps/create.js';
import { verify } from '../../src/verifier/verify.js';
import type { VerifierMapSpec } from '../../src/verifier/types.js';
import { arbVerifierProgram, verifierFuzzMaps, verifierFuzzProgramTypes } from '../../src/testing/index.js';
import type { ArbVerifierProgramOptions, GeneratedVerifierProgram } from '../../src/testing/index.js';

/** A verdict: accepted, or rejected with the error line. */
export interface Verdict {
  /** Accepted. */
  readonly ok: boolean;
  /** The error line (the kernel's last log line before `processed`, or the model's equivalent). */
  readonly message?: string;
  /** Instructions processed (`processed N insns`), on acceptance. */
  readonly processed?: number;
}

/** The maps every generated program may name, created once; `close()` when done. */
export interface FuzzMaps {
  /** fd by map name. */
  readonly fds: Readonly<Record<string, number>>;
  /**
   * A program array takes the type of the first program loaded with it and refuses others
   * (EINVAL after verification), so each program type gets its own: fd by type.
   */
  readonly progArrays: Readonly<Record<string, number>>;
  /** The model's view: specs by fd. */
  readonly byFd: Readonly<Record<number, VerifierMapSpec>>;
  /** Closes the maps. */
  close(): void;
}

/** Creates the maps of `verifierFuzzMaps` (the program array once per program type). */
export function createFuzzMaps(): FuzzMaps {
  const made = Object.entries(verifierFuzzMaps).map(([name, spec]) => [name, spec, createMap({ ...spec, name })] as const);
  const arrays = verifierFuzzProgramTypes.map((t) => [t, createMap({ ...verifierFuzzMaps.progs, name: 'progs' })] as const);
  return {
    fds: Object.fromEntries(made.map(([n, , m]) => [n, m.fd])),
    progArrays: Object.fromEntries(arrays.map(([t, m]) => [t, m.fd])),
    byFd: Object.fromEntries([...made.map(([, s, m]) => [m.fd, s]), ...arrays.map(([, m]) => [m.fd, verifierFuzzMaps.progs])]),
    close: () => { for (const m of [...made.map(([, , x]) => x), ...arrays.map(([, x]) => x)]) m.close(); },
  };
}

/** nr_cpu_ids, which the model needs to bound bpf_get_smp_processor_id like the kernel. */
function possibleCpus(): number {
  try {
    const text = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim();
    return Math.max(...text.split(',').map((r) => Number(r.split('-').pop()))) + 1;
  } catch {
    return 64;
  }
}
const NR_CPUS = possibleCpus();

/** The program's instructions with map names replaced by the fds (what both sides see). */
export function resolveMaps(insns: readonly Instruction[], maps: FuzzMaps, type: string): Instruction[] {
  return insns.map((i) => {
    if (i.map === undefined) return i;
    const { map, ...rest } = i;
    return { ...rest, imm: map === 'progs' ? maps.progArrays[type]! : maps.fds[map]! };
  });
}

const INFINITE_LOOP = /infinite loop detected at insn \d+$/;
const PROCESSED = /^processed (\d+) insns/;
/**
 * BPF_LOG_STATS: the log holds the error messages (verbose() prints at any level) and the
 * statistics, without level 1's line per instruction. One load then gives the processed count of
 * an accepted program and the error line of a rejected one (the same line as at level 1: checked
 * on 4459 rejections), where the default (no log, then level 1 on failure) loads rejected
 * programs twice; a 6000-program sample runs ~20% faster so.
 */
const BPF_LOG_STATS = 4;

/**
 * The kernel's verdict on encoded bytes (the program is closed again right away).
 * @param withProcessed Whether an acceptance carries the kernel's processed count (judge() wants it).
 */
export function kernelVerdict(type: string, bytes: Uint8Array, withProcessed = false): Verdict {
  try {
    const { fd, log } = progLoad({ progType: progTypeNumber(type), insns: bytes, license: 'GPL', logLevel: BPF_LOG_STATS });
    closeRaw(fd);
    const count = log?.map((l) => PROCESSED.exec(l)).find((m) => m !== null);
    return withProcessed && count ? { ok: true, processed: Number(count[1]) } : { ok: true };
  } catch (e) {
    if (e instanceof VerifierError) {
      // An infinite loop's last lines are the two states compared; the error is before them (at
      // the end of the jump's line when the loop is found at a jump target).
      const loop = [...e.log].reverse().map((l) => INFINITE_LOOP.exec(l)).find((m) => m !== null);
      return { ok: false, message: loop ? loop[0] : e.kernelMessage };
    }
    if (e instanceof BpfSyscallError) return { ok: false, message: `${e.code} with no log` };
    throw e;
  }
}

/**
 * The model's verdict; the message as the kernel would print it last (as the corpus runner takes
 * it), except for infinite loops, where both sides give the `infinite loop detected` line.
 */
export function modelVerdict(type: string, bytes: Uint8Array, maps: FuzzMaps): Verdict {
  const r = verify(bytes, { type, maps: maps.byFd, logLevel: 0, nrCpus: NR_CPUS });
  if (r.ok) return { ok: true, processed: r.processed };
  if (r.error && INFINITE_LOOP.test(r.error.message)) return { ok: false, message: r.error.message };
  const lines = r.log.filter((l) => l.trim() !== '' && !l.startsWith('processed '));
  return { ok: false, message: lines[lines.length - 1] ?? r.error?.message ?? '' };
}

/** Both verdicts on one generated program. */
export interface Judged {
  /** The bytes both saw. */
  readonly bytes: Uint8Array;
  /** The instructions with map fds. */
  readonly insns: Instruction[];
  /** The model's verdict. */
  readonly model: Verdict;
  /** The kernel's verdict. */
  readonly kernel: Verdict;
}

/** The model's side of the comparison: {@link modelVerdict}, or a stand-in (to test the harness). */
export type ModelFn = (type: string, bytes: Uint8Array, maps: FuzzMaps) => Verdict;

/** Runs one program through the model and the kernel. */
export function judge(p: GeneratedVerifierProgram, maps: FuzzMaps, model: ModelFn = modelVerdict): Judged {
  const insns = resolveMaps(p.instructions, maps, p.type);
  const bytes = encode(insns);
  return { bytes, insns, model: model(p.type, bytes, maps), kernel: kernelVerdict(p.type, bytes, true) };
}

/** One disagreement, as written to the disagreements file. */
export interface DisagreementRecord {
  /** The fast-check seed of the run. */
  readonly seed: number;
  /** The run's path (replay with `{ seed, path }`), and the shrunk counterexample's. */
  readonly path: string;
  /** The shrunk counterexample's path. */
  readonly shrunkPath: string;
  /** Program type. */
  readonly type: string;
  /** Fragment kinds of the shrunk program. */
  readonly fragments: string[];
  /** The shrunk program in the kernel's notation. */
  readonly disassembly: string[];
  /** The shrunk program's bytes, hex. */
  readonly hex: string;
  /** Slots of the program as generated, before shrinking. */
  readonly originalSlots: number;
  /** Verdicts on the shrunk program. */
  readonly model: Verdict;
  /** The kernel's verdict on the shrunk program. */
  readonly kernel: Verdict;
}

/** A common rejection with different error lines, as written to the messages file. */
export interface MessageMismatchRecord {
  /** The fast-check seed of the run. */
  readonly seed: number;
  /** The run's path (replay with `{ seed, path }`). */
  readonly path: string;
  /** Program type. */
  readonly type: string;
  /** The program in the kernel's notation. */
  readonly disassembly: string[];
  /** The program's bytes, hex. */
  readonly hex: string;
  /** The kernel's error line. */
  readonly kernel: string;
  /** The model's error line. */
  readonly model: string;
}

/** A common acceptance where the processed counts differ. */
export interface ProcessedMismatch {
  /** The run's path (replay with the run's seed and this path). */
  readonly path: string;
  /** Program type. */
  readonly type: string;
  /** Instructions the model processed. */
  readonly model: number | undefined;
  /** Instructions the kernel processed. */
  readonly kernel: number | undefined;
}

/** Figures of a fuzz run. */
export interface FuzzSummary {
  /** Programs run. */
  programs: number;
  /** Kernel accepted / rejected. */
  kernelAccepts: number;
  kernelRejects: number;
  /** Programs where the verdicts agree. */
  verdictAgree: number;
  /** Kernel rejects the model rejects too, and those with the same error line. */
  bothReject: number;
  messageAgree: number;
  /** Programs both accept, and those where both processed the same count of instructions. */
  bothAccept: number;
  processedAgree: number;
  /** The common acceptances with different processed counts, in run order. */
  processedMismatches: ProcessedMismatch[];
  /** Model "not modelled" rejections. */
  notModelled: number;
  /** Verdict disagreements, shrunk. */
  disagreements: DisagreementRecord[];
  /** Most common kernel error lines (digits folded), with counts. */
  kernelMessages: Map<string, number>;
  /** Error-line mismatches on common rejects: `kernel || model`, with counts. */
  messageMismatches: Map<string, number>;
  /** Wall time, ms. */
  ms: number;
}

/** Options of {@link runFuzz}. */
export interface RunFuzzOptions {
  /** fast-check seed. */
  readonly seed: number;
  /** Programs to generate. */
  readonly runs: number;
  /** Generator options. */
  readonly gen?: ArbVerifierProgramOptions;
  /** JSON-lines file each disagreement is appended to as it is found. */
  readonly out?: string;
  /** JSON-lines file each common rejection with different error lines is appended to as it is found. */
  readonly messagesOut?: string;
  /** Kernel+model evaluations allowed per shrink (default 300). */
  readonly shrinkBudget?: number;
  /** Replaces the verifier model (to test the harness itself). */
  readonly model?: ModelFn;
  /** Called before the disagreements are shrunk, with their count. */
  readonly onShrink?: (count: number) => void;
  /** Called after each program with the count done. */
  readonly onProgress?: (done: number, total: number, summary: FuzzSummary) => void;
}

const fold = (m: string): string => m.replace(/-?\d+/g, 'N');
const bump = (m: Map<string, number>, k: string): void => { m.set(k, (m.get(k) ?? 0) + 1); };

/** Generates `runs` programs, judges each, shrinks every verdict disagreement. */
export function runFuzz(opts: RunFuzzOptions): FuzzSummary {
  const t0 = performance.now();
  const maps = createFuzzMaps();
  const arb = arbVerifierProgram(opts.gen);
  const sum: FuzzSummary = {
    programs: 0, kernelAccepts: 0, kernelRejects: 0, verdictAgree: 0, bothReject: 0, messageAgree: 0,
    bothAccept: 0, processedAgree: 0, processedMismatches: [], notModelled: 0, disagreements: [], kernelMessages: new Map(), messageMismatches: new Map(), ms: 0,
  };
  const failing: number[] = [];
  try {
    fc.check(fc.property(arb, (p) => {
      const j = judge(p, maps, opts.model);
      const index = sum.programs++;
      if (j.kernel.ok) sum.kernelAccepts++;
      else { sum.kernelRejects++; bump(sum.kernelMessages, fold(j.kernel.message ?? '')); }
      if (j.model.message?.startsWith('not modelled')) sum.notModelled++;
      if (j.model.ok === j.kernel.ok) {
        sum.verdictAgree++;
        if (j.kernel.ok) {
          sum.bothAccept++;
          if (j.model.processed !== undefined && j.model.processed === j.kernel.processed) sum.processedAgree++;
          else sum.processedMismatches.push({ path: String(index), type: p.type, model: j.model.processed, kernel: j.kernel.processed });
        } else {
          sum.bothReject++;
          if (j.model.message === j.kernel.message) sum.messageAgree++;
          else {
            bump(sum.messageMismatches, `${fold(j.kernel.message ?? '')} || ${fold(j.model.message ?? '')}`);
            if (opts.messagesOut) appendFileSync(opts.messagesOut, `${JSON.stringify(messageRecord(opts.seed, index, p.type, j))}\n`);
          }
        }
      } else {
        failing.push(index);
      }
      opts.onProgress?.(sum.programs, opts.runs, sum);
      return true;
    }), { seed: opts.seed, numRuns: opts.runs });
    if (failing.length > 0) opts.onShrink?.(failing.length);
    for (const index of failing) {
      const rec = shrink(arb, maps, opts.model ?? modelVerdict, opts.seed, index, opts.shrinkBudget ?? 300);
      if (!rec) continue;
      sum.disagreements.push(rec);
      if (opts.out) appendFileSync(opts.out, `${JSON.stringify(rec)}\n`);
    }
  } finally {
    maps.close();
  }
  sum.ms = performance.now() - t0;
  return sum;
}

function messageRecord(seed: number, index: number, type: string, j: Judged): MessageMismatchRecord {
  return {
    seed, path: String(index), type, disassembly: disassemble(j.insns).trimEnd().split('\n'),
    hex: Buffer.from(j.bytes).toString('hex'), kernel: j.kernel.message ?? '', model: j.model.message ?? '',
  };
}

/**
 * Replays run `index` of the seed and lets fast-check shrink it while the verdicts still differ.
 * After `budget` evaluations the property passes, which ends shrinking at the smallest so far.
 */
function shrink(arb: fc.Arbitrary<GeneratedVerifierProgram>, maps: FuzzMaps, model: ModelFn, seed: number, index: number,
  budget: number): DisagreementRecord | undefined {
  let calls = 0;
  let first: Judged | undefined;
  let last: { p: GeneratedVerifierProgram; j: Judged } | undefined;
  const out = fc.check(fc.property(arb, (p) => {
    if (calls++ >= budget) return true;
    const j = judge(p, maps, model);
    first ??= j;
    if (j.model.ok === j.kernel.ok) return true;
    last = { p, j };
    return false;
  }), { seed, path: String(index), numRuns: 1 });
  if (!out.failed || !last) return undefined;
  const { p, j } = last;
  return {
    seed, path: String(index), shrunkPath: out.counterexamplePath ?? '', type: p.type,
    fragments: p.fragments.map((f) => f.kind),
    disassembly: disassemble(j.insns).trimEnd().split('\n'),
    hex: Buffer.from(j.bytes).toString('hex'),
    originalSlots: first ? first.bytes.length / 8 : 0,
    model: j.model, kernel: j.kernel,
  };
}
