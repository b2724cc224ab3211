/**
 * syscount: system calls counted by name, like `strace -c` (without stopping the traced process at
 * every call) or BCC's `syscount`. System-wide, or for one process with `--pid N`.
 *
 * How it works: a `raw_tracepoint` program on `sys_enter` (the tracepoint every syscall entry passes
 * through: `TRACE_EVENT_FN(sys_enter, TP_PROTO(struct pt_regs *regs, long id), ...)` in
 * include/trace/events/syscalls.h, so the raw context is `u64 args[2]` with `args[1]` the syscall
 * number) adds one to `counts[nr]`, a per-CPU array indexed by syscall number: each CPU has its own
 * slot, so there is no cache line bouncing between CPUs. The slot is updated with an atomic add all
 * the same, because a task preempted between its load and its store on the same CPU would lose
 * another task's increment. User space sums the per-CPU slots and prints the top N by count, with
 * the names of `syscallName` (x86-64 table of Linux 6.18). With `--pid`, the pid is baked into the
 * program as a constant compared with `bpf_get_current_pid_tgid() >> 32` (the thread group id: every
 * thread of the process counts), as BCC does by text substitution.
 *
 * Run: `sudo npx tsx examples/syscount.ts [--pid N] [--top 20] [--interval 1s] [--duration 5s]`
 * @module
 */
import { asm, attachRawTracepoint, createMap, loadProgram, R0, R1, R6, syscallName, u32, u64, verify } from '../src/index.js';
import type { Assembled } from '../src/index.js';
import { isMain, kernelProcessed, parseDuration, runMain, runSignal, sleep } from './lib/run.js';
import type { ExampleOptions } from './lib/run.js';

/** Options of the syscount example. */
export interface SyscountOptions extends ExampleOptions {
  /** Count only this process (all its threads); default: every process. */
  readonly pid?: number;
  /** Rows in each printed table (default 20). */
  readonly top?: number;
  /** Also print the table every this many ms (default: only at the end). */
  readonly intervalMs?: number;
  /** Called once the program is attached: syscalls from now on are counted. */
  readonly onReady?: () => void;
}

/** One row of the table. */
export interface SyscallCount {
  /** Syscall number on this architecture. */
  readonly nr: number;
  /** Its name (`syscall_<nr>` when unknown). */
  readonly name: string;
  /** Calls counted, summed over CPUs. */
  readonly count: number;
}

/** What the example observed. */
export interface SyscountReport {
  /** The process counted, or undefined for system-wide. */
  readonly pid: number | undefined;
  /** Every syscall seen at least once, most frequent first. */
  readonly syscalls: readonly SyscallCount[];
  /** All calls counted. */
  readonly total: number;
  /** How long the program was attached, in ms. */
  readonly elapsedMs: number;
  /** Whether the verifier model accepted the program. */
  readonly modelAccepted: boolean;
  /** Instructions processed: by the verifier model, and by the kernel's verifier. */
  readonly processed: { readonly model: number; readonly kernel: number | undefined };
}

/** Slots of the count array: above every syscall number of x86-64 and arm64 (about 470). */
export const MAX_SYSCALLS = 1024;
const countsSpec = { type: 'percpu_array', key: u32, value: u64, maxEntries: MAX_SYSCALLS } as const;
/** The maps' shapes, for the verifier model and bench/verifier. */
const mapSpecs = { counts: { type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: MAX_SYSCALLS } } as const;

/**
 * The counting program: `counts[args[1]] += 1`, for one process when `pid` is given. A syscall
 * number outside the array (the tracepoint gives -1 for a bad number) finds no slot and is skipped.
 */
export function syscountProgram(pid?: number): Assembled {
  return asm.program([
    asm.mov64(R6, R1), // the raw tracepoint context: u64 args[2]
    pid === undefined ? [] : [
      asm.call('get_current_pid_tgid'),
      asm.rsh64(R0, 32), // tgid: the process, whichever thread
      asm.jne64(R0, pid, 'out'),
    ],
    asm.ldx('u64', R1, R6, 8), // args[1]: the syscall number
    asm.mapLookup({ map: 'counts', key: R1, keySize: 4 }),
    asm.ifNull(R0, 'out'),
    asm.mov64(R1, 1),
    asm.atomicAdd64(R0, 0, R1), // this CPU's slot; atomic against preemption on this CPU
    asm.label('out'),
    asm.ret(0),
  ]);
}

/** The system-wide and the one-process program with their maps, for bench/verifier. */
export function programs(): Array<{ name: string; type: string; instructions: Assembled; maps: typeof mapSpecs }> {
  return [
    { name: 'all', type: 'raw_tracepoint', instructions: syscountProgram(), maps: mapSpecs },
    { name: 'pid', type: 'raw_tracepoint', instructions: syscountProgram(process.pid), maps: mapSpecs },
  ];
}

/** The counts summed over CPUs, most frequent first. */
function readCounts(counts: { lookupBatch(): [number, bigint[]][] }): SyscallCount[] {
  const rows: SyscallCount[] = [];
  for (const [nr, perCpu] of counts.lookupBatch()) {
    const count = Number(perCpu.reduce((a, b) => a + b, 0n));
    if (count > 0) rows.push({ nr, name: syscallName(nr), count });
  }
  return rows.sort((a, b) => b.count - a.count || a.nr - b.nr);
}

/** The top `n` rows as a table, with the total. */
function table(rows: readonly SyscallCount[], n: number, print: (line: string) => void): void {
  if (rows.length === 0) return print('(no syscalls counted)');
  print(`${'SYSCALL'.padEnd(22)} ${'COUNT'.padStart(10)}`);
  for (const r of rows.slice(0, n)) print(`${r.name.padEnd(22)} ${String(r.count).padStart(10)}`);
  const rest = rows.slice(n).reduce((a, r) => a + r.count, 0);
  if (rest > 0) print(`${`(${rows.length - n} others)`.padEnd(22)} ${String(rest).padStart(10)}`);
}

/** Counts syscalls until stopped, printing the top N at the end (and every interval if asked). */
export async function run(opts: SyscountOptions = {}): Promise<SyscountReport> {
  const print = opts.print ?? console.log;
  const signal = runSignal(opts);
  const top = opts.top ?? 20;
  const program = syscountProgram(opts.pid);

  const model = verify(program.instructions, { type: 'raw_tracepoint', maps: mapSpecs });
  using counts = createMap(countsSpec);
  // logLevel 4: keep the kernel verifier's statistics, to compare with the model's.
  using prog = loadProgram({ type: 'raw_tracepoint', instructions: program, maps: { counts }, name: 'syscount', logLevel: 4 });
  const processed = { model: model.processed, kernel: kernelProcessed(prog) };
  print(`verifier model ${model.ok ? `accepts (${model.processed} insns processed)` : `rejects: ${model.error?.message}`}, ` +
    `kernel accepts (${processed.kernel} insns processed)`);

  const started = performance.now();
  {
    using link = attachRawTracepoint(prog, 'sys_enter');
    print(`counting syscalls ${opts.pid === undefined ? 'of every process' : `of pid ${opts.pid}`} (${link.kind} ${link.target}); Ctrl-C to stop`);
    opts.onReady?.();
    while (!signal.aborted) {
      await sleep(opts.intervalMs ?? 2 ** 31 - 1, signal);
      if (!signal.aborted) {
        print(`-- ${new Date().toISOString().slice(11, 19)}, ${((performance.now() - started) / 1000).toFixed(1)} s so far`);
        table(readCounts(counts), top, print);
      }
    }
  }
  const elapsedMs = performance.now() - started;
  const syscalls = readCounts(counts);
  const total = syscalls.reduce((a, r) => a + r.count, 0);
  print(`${total} syscalls in ${(elapsedMs / 1000).toFixed(1)} s${opts.pid === undefined ? '' : ` by pid ${opts.pid}`}:`);
  table(syscalls, top, print);
  return { pid: opts.pid, syscalls, total, elapsedMs, modelAccepted: model.ok, processed };
}

/** The value after `flag` on the command line as a positive integer, or undefined without the flag. */
function intArg(argv: readonly string[], flag: string): number | undefined {
  const i = argv.indexOf(flag);
  if (i < 0) return undefined;
  const n = Number(argv[i + 1]);
  if (!Number.isInteger(n) || n <= 0) throw new Error(`${flag} wants a positive integer, not ${argv[i + 1] ?? 'nothing'}`);
  return n;
}

if (isMain(import.meta.url)) {
  const argv = process.argv.slice(2);
  const i = argv.indexOf('--interval');
  const intervalMs = i < 0 ? undefined : parseDuration(['--duration', argv[i + 1] ?? '']);
  const pid = intArg(argv, '--pid');
  const top = intArg(argv, '--top');
  await runMain((o) => run({ ...o, ...(pid === undefined ? {} : { pid }), ...(top === undefined ? {} : { top }),
    ...(intervalMs === undefined ? {} : { intervalMs }) }));
}
