/**
 * User-space function tracing (Pixie-style, like bpftrace's `uprobe:libc:getppid { @[pid] = count() }`
 * with a `uretprobe` beside it): two `kprobe`-type programs on one function of a shared library,
 * for one process. The uprobe on the entry counts the call per process and notes when it started,
 * per thread; the uretprobe on the return measures how long the call took and keeps what it
 * returned. Both write a per-process record in a hash map keyed by the process id.
 *
 * The probes go into the library file (libc by default) with a pid filter, so only that process's
 * calls run them, all its threads included (the filter compares the address space). What is traced:
 *
 * - by default, a child (node) that waits on stdin until the probes are attached, then calls
 *   `getppid()` exactly `calls` times (`process.ppid` calls it each time); the probes are then
 *   detached and the child asked for the same calls again, which must not be counted;
 * - `command`: a command started behind a shell that waits for the probes before it execs it
 *   (same pid, new program: the filter follows the exec), traced until it exits;
 * - `pid`: a process that already runs, until stopped (Ctrl-C or `--duration`) or until it exits.
 *
 * Run: `sudo npx tsx examples/uprobe.ts [--symbol getppid] [--binary libc.so.6] [--calls 10]`,
 * `sudo npx tsx examples/uprobe.ts --pid 1234 --symbol malloc --duration 5s`, or
 * `sudo npx tsx examples/uprobe.ts --symbol malloc -- ls -l`
 * @module
 */
import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createInterface } from 'node:readline';
import {
  asm, attachUprobe, BadInputError, attachUretprobe, createMap, i64, loadProgram, R0, R1, R2, R3, R4, R6, R7, R8, R10,
  ptRegs, resolveBinary, struct, u32, u64, uprobeOffset, verify,
} from '../src/index.js';
import type { Assembled, BpfMap, CodecValue, Link, Program } from '../src/index.js';
import { isMain, kernelProcessed, runMain, runSignal, sleep } from './lib/run.js';
import type { ExampleOptions } from './lib/run.js';

/** Options of the uprobe example. */
export interface UprobeExampleOptions extends ExampleOptions {
  /** The binary or library to probe: a path or a library name (default `libc.so.6`). */
  readonly binary?: string;
  /** The function to trace (default `getppid`, which the default child calls a known number of times). */
  readonly symbol?: string;
  /** Trace this running process (until stopped or until it exits). */
  readonly pid?: number;
  /** Start this command (argv) and trace it until it exits. */
  readonly command?: readonly string[];
  /** Calls the default child makes with the probes attached, and again after (default 10). */
  readonly calls?: number;
}

/** What the probes recorded for one process. */
export interface ProcessCalls {
  /** Process id (tgid). */
  readonly pid: number;
  /** Entries into the function (uprobe). */
  readonly calls: number;
  /** Returns from it that followed a counted entry (uretprobe). */
  readonly returns: number;
  /** Mean time from entry to return, in ns. */
  readonly meanNs: number;
  /** What the last return gave (the return register, as a signed 64-bit value). */
  readonly lastReturn: bigint;
}

/** What the default child did and saw. */
export interface Workload {
  /** Calls the child made while the probes were attached. */
  readonly callsMade: number;
  /** What `getppid()` returned in the child (this process's pid). */
  readonly childSawParent: number;
  /** Calls the child made after the probes were detached. */
  readonly callsAfterDetach: number;
  /** How many of those the map counted (0 when detaching worked). */
  readonly countedAfterDetach: number;
}

/** What the example observed. */
export interface UprobeReport {
  /** The probed file (the library name resolved to its path). */
  readonly binary: string;
  /** The traced function. */
  readonly symbol: string;
  /** Its file offset in `binary`, where the probes went. */
  readonly offset: bigint;
  /** The process traced. */
  readonly tracedPid: number;
  /** Per process: calls, returns, latency, last return value. */
  readonly perPid: readonly ProcessCalls[];
  /** The default child's side (absent with `pid` or `command`). */
  readonly workload?: Workload;
  /** Ids of the two programs (gone from the kernel once the example has returned). */
  readonly programIds: readonly number[];
  /** Whether the verifier model accepted both programs. */
  readonly modelAccepted: boolean;
  /** Instructions processed per program: by the verifier model, and by the kernel's verifier. */
  readonly processed: Readonly<Record<'entry' | 'exit', { readonly model: number; readonly kernel: number | undefined }>>;
}

/** One process's record in the `stats` map (32 bytes, fields at 0, 8, 16, 24). */
const statsValue = struct({ calls: u64, returns: u64, totalNs: u64, lastReturn: i64 });
/** A decoded `stats` record. */
type StatsValue = CodecValue<typeof statsValue>;
const CALLS = 0;
const RETURNS = 8;
const TOTAL_NS = 16;
const LAST_RETURN = 24;
const BPF_NOEXIST = 1;

const mapSpecs = {
  /** Process id → its record. */
  stats: { type: 'hash', keySize: 4, valueSize: statsValue.size, maxEntries: 1024 },
  /** Thread (pid_tgid) → ktime of the call in progress. */
  starts: { type: 'hash', keySize: 8, valueSize: 8, maxEntries: 10240 },
} as const;

/** The uprobe: `stats[pid].calls++` (creating the record), `starts[pid_tgid] = now`. */
export const onEntry: Assembled = asm.program([
  asm.call('get_current_pid_tgid'),
  asm.mov64(R6, R0),
  asm.mov64(R7, R0),
  asm.rsh64(R7, 32), // the process id (tgid)
  ...asm.mapLookup({ map: 'stats', key: R7, keySize: 4, stackOffset: -24 }),
  asm.ifNotNull(R0, 'count'),
  // First call seen from this process: insert a zeroed record (another thread may win the race;
  // NOEXIST keeps its counts), then look it up again.
  asm.st('u64', R10, -56, 0),
  asm.st('u64', R10, -48, 0),
  asm.st('u64', R10, -40, 0),
  asm.st('u64', R10, -32, 0),
  asm.loadMap(R1, 'stats'),
  asm.mov64(R2, R10),
  asm.add64(R2, -24),
  asm.mov64(R3, R10),
  asm.add64(R3, -56),
  asm.mov64(R4, BPF_NOEXIST),
  asm.call('map_update_elem'),
  ...asm.mapLookup({ map: 'stats', key: R7, keySize: 4, stackOffset: -24 }),
  asm.ifNull(R0, 'out'),
  asm.label('count'),
  asm.mov64(R1, 1),
  asm.atomicAdd64(R0, CALLS, R1),
  // Last, so that the time spent here is not counted in the call's latency.
  asm.call('ktime_get_ns'),
  asm.stx('u64', R10, -8, R6),
  asm.stx('u64', R10, -16, R0),
  asm.loadMap(R1, 'starts'),
  asm.mov64(R2, R10),
  asm.add64(R2, -8),
  asm.mov64(R3, R10),
  asm.add64(R3, -16),
  asm.mov64(R4, 0), // BPF_ANY
  asm.call('map_update_elem'),
  asm.label('out'),
  asm.ret(0),
]);

/**
 * The uretprobe: latency from `starts[pid_tgid]` (a return without a counted entry, e.g. a call
 * already running when the probes went in, is skipped), `stats[pid].returns++`, the return value.
 * @param retOffset Where the return-value register is in the context (`struct pt_regs`, as the
 * kernel gives it): libbpf's `PT_REGS_RC`, for the architecture this runs on by default.
 */
export function onReturn(retOffset = ptRegs().ret): Assembled {
  return asm.program([
    asm.mov64(R6, R1), // the context (pt_regs at the return): calls clobber R1-R5, keep R6-R9
    asm.call('ktime_get_ns'),
    asm.mov64(R8, R0),
    asm.call('get_current_pid_tgid'),
    asm.mov64(R7, R0),
    ...asm.mapLookup({ map: 'starts', key: R7, keySize: 8, stackOffset: -8 }),
    asm.ifNull(R0, 'out'),
    asm.ldx('u64', R1, R0, 0),
    asm.sub64(R8, R1), // ns from entry to return
    asm.loadMap(R1, 'starts'),
    asm.mov64(R2, R10),
    asm.add64(R2, -8),
    asm.call('map_delete_elem'),
    asm.rsh64(R7, 32),
    ...asm.mapLookup({ map: 'stats', key: R7, keySize: 4, stackOffset: -16 }),
    asm.ifNull(R0, 'out'),
    asm.mov64(R1, 1),
    asm.atomicAdd64(R0, RETURNS, R1),
    asm.atomicAdd64(R0, TOTAL_NS, R8),
    asm.ldx('u64', R1, R6, retOffset),
    asm.stx('u64', R0, LAST_RETURN, R1),
    asm.label('out'),
    asm.ret(0),
  ]);
}

/** The two programs with their maps, for bench/verifier. */
export function programs(): Array<{ name: string; type: string; instructions: Assembled; maps: typeof mapSpecs }> {
  return [
    { name: 'entry', type: 'kprobe', instructions: onEntry, maps: mapSpecs },
    { name: 'exit', type: 'kprobe', instructions: onReturn(), maps: mapSpecs },
  ];
}

/** The default child: says `ready`, then on each `go` line calls getppid() `calls` times and says `done <ppid>`. */
function childScript(calls: number): string {
  return `const rl = require('readline').createInterface({ input: process.stdin });
rl.on('line', (l) => {
  let ppid = 0;
  for (let i = 0; i < ${calls}; i++) ppid = process.ppid; // getppid() each time
  process.stdout.write('done ' + ppid + '\\n');
});
rl.on('close', () => process.exit(0));
process.stdout.write('ready\\n');`;
}

/** Lines of a child's stdout, one at a time: undefined once it has closed or the signal has aborted. */
function lineReader(child: ChildProcess, signal: AbortSignal): () => Promise<string | undefined> {
  const queue: string[] = [];
  let wake: (() => void) | undefined;
  let ended = false;
  createInterface({ input: child.stdout! }).on('line', (l) => { queue.push(l); wake?.(); }).on('close', () => { ended = true; wake?.(); });
  return async () => {
    while (queue.length === 0 && !ended && !signal.aborted) {
      const woken = (): void => wake?.();
      await new Promise<void>((resolve) => {
        wake = resolve;
        signal.addEventListener('abort', woken, { once: true });
      });
      signal.removeEventListener('abort', woken);
      wake = undefined;
    }
    return queue.shift();
  };
}

/** Waits for the child to exit and its pipes to close (kills it when the signal aborts first). */
function exited(child: ChildProcess, signal: AbortSignal): Promise<number | null> {
  return new Promise((resolve) => {
    if (child.stdout?.closed && (child.exitCode !== null || child.signalCode !== null)) return resolve(child.exitCode);
    const onAbort = (): void => { child.kill('SIGTERM'); };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    child.once('close', (code) => {
      signal.removeEventListener('abort', onAbort);
      resolve(code);
    });
  });
}

/** The `stats` map as records. */
function readStats(stats: BpfMap<number, StatsValue>): ProcessCalls[] {
  return [...stats.entries()].map(([pid, v]) => ({
    pid, calls: Number(v.calls), returns: Number(v.returns),
    meanNs: v.returns > 0n ? Math.round(Number(v.totalNs) / Number(v.returns)) : 0, lastReturn: v.lastReturn,
  })).sort((a, b) => a.pid - b.pid);
}

/** Traces one function of one process and reports the calls per process. */
export async function run(opts: UprobeExampleOptions = {}): Promise<UprobeReport> {
  const print = opts.print ?? console.log;
  const signal = runSignal(opts);
  const binary = resolveBinary(opts.binary ?? 'libc.so.6');
  const symbol = opts.symbol ?? 'getppid';
  const calls = opts.calls ?? 10;
  const offset = uprobeOffset(binary, symbol); // fails here, before anything starts, on an unknown symbol
  if (opts.pid !== undefined && opts.command) throw new BadInputError('give either pid or command, not both');

  const exitProgram = onReturn();
  const model = {
    entry: verify(onEntry.instructions, { type: 'kprobe', maps: mapSpecs }),
    exit: verify(exitProgram.instructions, { type: 'kprobe', maps: mapSpecs }),
  };
  using stats = createMap({ ...mapSpecs.stats, key: u32, value: statsValue });
  using starts = createMap({ ...mapSpecs.starts, key: u64, value: u64 });
  const maps = { stats, starts };
  // logLevel 4: keep the kernel verifier's statistics, to compare with the model's.
  using entry = loadProgram({ type: 'kprobe', instructions: onEntry, maps, name: 'uprobe_entry', logLevel: 4 });
  using exit = loadProgram({ type: 'kprobe', instructions: exitProgram, maps, name: 'uprobe_exit', logLevel: 4 });
  const processed = {
    entry: { model: model.entry.processed, kernel: kernelProcessed(entry) },
    exit: { model: model.exit.processed, kernel: kernelProcessed(exit) },
  };
  for (const name of ['entry', 'exit'] as const) {
    const r = model[name];
    print(`${name}: verifier model ${r.ok ? `accepts (${r.processed} insns processed)` : `rejects: ${r.error?.message}`}, ` +
      `kernel accepts (${processed[name].kernel} insns processed)`);
  }

  let workload: Workload | undefined;
  let tracedPid: number;
  let perPid: ProcessCalls[];
  if (opts.pid !== undefined) {
    tracedPid = opts.pid;
    perPid = await traceRunning(entry, exit, { binary, symbol, pid: tracedPid, stats, signal, print });
  } else {
    ({ tracedPid, perPid, workload } = await traceChild(entry, exit, { binary, symbol, offset, stats, signal, print, calls, command: opts.command }));
  }

  for (const p of perPid) {
    // A value beyond 32 bits is most likely a pointer (malloc): in hex.
    const last = p.lastReturn > 0xffff_ffffn ? `0x${p.lastReturn.toString(16)}` : String(p.lastReturn);
    print(`pid ${p.pid}: ${p.calls} calls of ${symbol}, ${p.returns} returns, mean ${p.meanNs} ns, last returned ${last}`);
  }
  if (perPid.length === 0) print(`pid ${tracedPid}: no calls of ${symbol}`);
  if (workload) {
    print(`the child called getppid() ${workload.callsMade} times (it gave ${workload.childSawParent}, this process is ${process.pid}); ` +
      `after detaching, ${workload.callsAfterDetach} more calls, ${workload.countedAfterDetach} counted`);
  }
  return {
    binary, symbol, offset, tracedPid, perPid, ...(workload ? { workload } : {}), programIds: [entry.id, exit.id],
    modelAccepted: model.entry.ok && model.exit.ok, processed,
  };
}

/** The uprobe and uretprobe on `symbol`, for `pid` only. */
function attach(entry: Program, exit: Program, binary: string, symbol: string, pid: number): Link[] {
  const links: Link[] = [];
  try {
    links.push(attachUprobe(entry, binary, symbol, { pid }));
    links.push(attachUretprobe(exit, binary, symbol, { pid }));
    return links;
  } catch (e) {
    for (const l of links) l.close();
    throw e;
  }
}

/** What {@link traceChild} needs. */
interface TraceChildOptions {
  readonly binary: string;
  readonly symbol: string;
  readonly offset: bigint;
  readonly stats: BpfMap<number, StatsValue>;
  readonly signal: AbortSignal;
  readonly print: (line: string) => void;
  readonly calls: number;
  readonly command: readonly string[] | undefined;
}

/**
 * Starts the default child (or the command behind a waiting shell), attaches once it is waiting,
 * lets it run; the default child then makes its calls again with the probes detached.
 */
async function traceChild(entry: Program, exit: Program, o: TraceChildOptions): Promise<{ tracedPid: number; perPid: ProcessCalls[]; workload?: Workload }> {
  // `ready` comes once the child waits on stdin: a shell's own start (dash calls getppid() for
  // $PPID) or node's is over before the probes go in.
  const argv = o.command ? ['/bin/sh', '-c', 'echo ready; read _ && exec "$@"', 'sh', ...o.command] : [process.execPath, '-e', childScript(o.calls)];
  const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'inherit'] });
  try {
    const tracedPid = child.pid;
    if (tracedPid === undefined) throw new Error(`could not start ${argv[0]}`);
    const nextLine = lineReader(child, o.signal);
    const ready = await nextLine();
    if (ready !== 'ready') throw new Error(`the child did not say ready (${ready ?? (o.signal.aborted ? 'stopped' : 'it ended')})`);
    let workload: Workload | undefined;
    const links = attach(entry, exit, o.binary, o.symbol, tracedPid);
    try {
      o.print(`tracing ${o.symbol} in ${o.binary} (offset 0x${o.offset.toString(16)}) for pid ${tracedPid}` +
        (o.command ? `: ${o.command.join(' ')}` : ''));
      child.stdin!.write('go\n');
      if (o.command) {
        child.stdin!.end();
        for (let l = await nextLine(); l !== undefined; l = await nextLine()) o.print(`  | ${l}`);
        await exited(child, o.signal);
      } else {
        workload = { callsMade: o.calls, childSawParent: await parentSeen(nextLine), callsAfterDetach: 0, countedAfterDetach: 0 };
      }
    } finally {
      for (const l of links) l.close();
    }
    const perPid = readStats(o.stats);
    if (workload) {
      // The probes are gone: the same calls again must leave the counts as they are.
      const before = perPid.find((p) => p.pid === tracedPid)?.calls ?? 0;
      child.stdin!.write('go\n');
      await parentSeen(nextLine);
      const counted = (readStats(o.stats).find((p) => p.pid === tracedPid)?.calls ?? 0) - before;
      workload = { ...workload, callsAfterDetach: o.calls, countedAfterDetach: counted };
      child.stdin!.end();
      await exited(child, o.signal);
    }
    return { tracedPid, perPid, ...(workload ? { workload } : {}) };
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** The default child's answer to `go`: `done <ppid>`. */
async function parentSeen(nextLine: () => Promise<string | undefined>): Promise<number> {
  const line = await nextLine();
  const m = /^done (\d+)$/.exec(line ?? '');
  if (!m) throw new Error(`the traced child answered ${line === undefined ? 'nothing' : JSON.stringify(line)}`);
  return Number(m[1]);
}

/** Traces a running process until the signal aborts or it exits, printing its counts each second. */
async function traceRunning(entry: Program, exit: Program, o: {
  binary: string; symbol: string; pid: number; stats: BpfMap<number, StatsValue>; signal: AbortSignal; print: (l: string) => void;
}): Promise<ProcessCalls[]> {
  const links = attach(entry, exit, o.binary, o.symbol, o.pid);
  try {
    o.print(`tracing ${o.symbol} in ${o.binary} for pid ${o.pid} (Ctrl-C to stop)`);
    let last = -1;
    while (!o.signal.aborted && existsSync(`/proc/${o.pid}`)) {
      await sleep(1000, o.signal);
      const now = readStats(o.stats).find((p) => p.pid === o.pid)?.calls ?? 0;
      if (now !== last) o.print(`  ${now} calls so far`);
      last = now;
    }
  } finally {
    for (const l of links) l.close();
  }
  return readStats(o.stats);
}

/** The command line: `--pid N`, `--binary B`, `--symbol S`, `--calls N`, `-- command args...`. */
function fromArgv(argv: readonly string[]): Partial<UprobeExampleOptions> {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const value = (flag: string): string | undefined => {
    const i = own.indexOf(flag);
    return i < 0 ? undefined : own[i + 1];
  };
  const num = (flag: string): number | undefined => (value(flag) === undefined ? undefined : Number(value(flag)));
  return {
    ...(value('--binary') ? { binary: value('--binary')! } : {}),
    ...(value('--symbol') ? { symbol: value('--symbol')! } : {}),
    ...(num('--pid') !== undefined ? { pid: num('--pid')! } : {}),
    ...(num('--calls') !== undefined ? { calls: num('--calls')! } : {}),
    ...(dash >= 0 ? { command: argv.slice(dash + 1) } : {}),
  };
}

if (isMain(import.meta.url)) await runMain((o) => run({ ...o, ...fromArgv(process.argv.slice(2)) }));
