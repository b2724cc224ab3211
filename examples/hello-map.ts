/**
 * Hello, maps: execs per user. A `tracepoint` program on `syscalls/sys_enter_execve` counts every
 * execve() in a hash map keyed by the caller's uid (u32 key, u64 count), and Node prints the map as
 * a small table every second. It is the step after hello world in the BCC tutorial (a BPF_HASH
 * counted in the kernel and read from user space, as in `sync_count.py` or `hello_fields.py`).
 *
 * The program calls bpf_get_current_uid_gid() (uid in the low 32 bits), looks the uid up, and adds 1
 * with an atomic add when the entry exists. A new uid is inserted with BPF_NOEXIST; when another CPU
 * inserted the same uid first the insert fails with EEXIST, and the program looks it up once more and adds.
 *
 * Run: `sudo npx tsx examples/hello-map.ts [--duration 5s]`
 * @module
 */
import { readFileSync } from 'node:fs';
import {
  asm, attachTracepoint, createMap, loadProgram, R0, R1, R2, R3, R4, R10, u32, u64, verify,
} from '../src/index.js';
import type { Assembled } from '../src/index.js';
import { isMain, kernelProcessed, runMain, runSignal, sleep } from './lib/run.js';
import type { ExampleOptions } from './lib/run.js';

/** Options of the hello-map example. */
export interface HelloMapOptions extends ExampleOptions {
  /** How often the table is printed, in ms (default 1000). */
  readonly intervalMs?: number;
}

/** One row of the table. */
export interface UidCount {
  /** The uid that called execve. */
  readonly uid: number;
  /** Its name from /etc/passwd, or the number when it has none. */
  readonly user: string;
  /** execve() calls counted. */
  readonly execs: number;
}

/** What the example observed. */
export interface HelloMapReport {
  /** The map at the end, most execs first. */
  readonly counts: readonly UidCount[];
  /** Tables printed (one per interval, and the last one). */
  readonly tables: number;
  /** Whether the verifier model accepted the program. */
  readonly modelAccepted: boolean;
  /** Instructions processed: by the verifier model, and by the kernel's verifier. */
  readonly processed: { readonly model: number; readonly kernel: number | undefined };
}

/** The map: uid → execve() calls. */
export const execsSpec = { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 1024 } as const;

const BPF_NOEXIST = 1;
const KEY = -4; // the uid, on the stack
const ONE = -16; // the u64 1 a new entry starts with

/** `execs[uid on the stack] += 1` when the entry exists; jumps to `missing` when it does not. */
const addOne = (missing: string) => [
  asm.mov64(R2, R10), asm.add64(R2, KEY),
  asm.loadMap(R1, 'execs'),
  asm.call('map_lookup_elem'),
  asm.ifNull(R0, missing),
  asm.mov64(R1, 1),
  asm.atomicAdd64(R0, 0, R1), // other CPUs may count the same uid at the same time
  asm.ret(0),
];

/** Adds 1 to `execs[uid]`, inserting it when the uid is new. */
export const countExecs: Assembled = asm.program([
  asm.call('get_current_uid_gid'), // gid << 32 | uid
  asm.stx('u32', R10, KEY, R0),
  ...addOne('insert'),
  asm.label('insert'),
  asm.st('u64', R10, ONE, 1),
  asm.loadMap(R1, 'execs'),
  asm.mov64(R2, R10), asm.add64(R2, KEY),
  asm.mov64(R3, R10), asm.add64(R3, ONE),
  asm.mov64(R4, BPF_NOEXIST),
  asm.call('map_update_elem'),
  asm.ifNull(R0, 'done'),
  // EEXIST: another CPU inserted this uid in between; add to its entry (a full map is E2BIG: not counted).
  ...addOne('done'),
  asm.label('done'),
  asm.ret(0),
]);

/** uid → user name, from /etc/passwd (empty when it cannot be read). */
function userNames(): Map<number, string> {
  const names = new Map<number, string>();
  try {
    for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
      const [name, , uid] = line.split(':');
      if (name && uid !== undefined && /^\d+$/.test(uid)) names.set(Number(uid), name);
    }
  } catch {
    // no names: the table shows numbers
  }
  return names;
}

/** Counts execve() calls per uid until stopped, printing the table every interval. */
export async function run(opts: HelloMapOptions = {}): Promise<HelloMapReport> {
  const print = opts.print ?? console.log;
  const signal = runSignal(opts);
  const intervalMs = opts.intervalMs ?? 1000;

  const model = verify(countExecs.instructions, { type: 'tracepoint', maps: { execs: execsSpec } });
  using execs = createMap({ ...execsSpec, key: u32, value: u64, name: 'execs' });
  // logLevel 4: keep the kernel verifier's statistics, to compare with the model's.
  using prog = loadProgram({ type: 'tracepoint', instructions: countExecs, maps: { execs }, name: 'count_execs', logLevel: 4 });
  const processed = { model: model.processed, kernel: kernelProcessed(prog) };
  print(`verifier model ${model.ok ? `accepts (${model.processed} insns processed)` : `rejects: ${model.error?.message}`}, ` +
    `kernel accepts (${processed.kernel} insns processed)`);
  using link = attachTracepoint(prog, 'syscalls/sys_enter_execve');
  print(`counting execve() per uid (${link.kind} ${link.target}); Ctrl-C to stop`);
  opts.onReady?.();

  const names = userNames();
  const snapshot = (): UidCount[] =>
    [...execs.entries()]
      .map(([uid, n]) => ({ uid, user: names.get(uid) ?? String(uid), execs: Number(n) }))
      .sort((a, b) => b.execs - a.execs || a.uid - b.uid);
  let tables = 0;
  const table = (rows: readonly UidCount[]): void => {
    tables++;
    print(`${new Date().toISOString().slice(11, 19)}  ${'UID'.padStart(7)}  ${'USER'.padEnd(12)} ${'EXECS'.padStart(8)}`);
    for (const r of rows) print(`${' '.repeat(8)}  ${String(r.uid).padStart(7)}  ${r.user.padEnd(12)} ${String(r.execs).padStart(8)}`);
    if (rows.length === 0) print(`${' '.repeat(8)}  (no execs yet)`);
  };
  while (!signal.aborted) {
    await sleep(intervalMs, signal);
    if (!signal.aborted) table(snapshot());
  }
  const counts = snapshot();
  table(counts);
  return { counts, tables, modelAccepted: model.ok, processed };
}

if (isMain(import.meta.url)) await runMain(run);
