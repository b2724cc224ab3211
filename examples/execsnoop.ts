/**
 * execsnoop: every exec on the machine as a stream of events (pid, parent pid, uid, comm, filename),
 * like BCC's `execsnoop` and the process-exec events of Tetragon and Falco.
 *
 * How it works: a `tracepoint` program on `syscalls/sys_enter_execve` reserves a record in a ring
 * buffer (`bpf_ringbuf_reserve`), fills it in place and submits it; user space reads the records
 * with `for await` over `openRingBuffer`. A full ring drops the event and counts it in `lost`.
 *
 * - filename: the syscall's first argument is a user pointer; `bpf_probe_read_user_str` copies the
 *   string. Its place in the tracepoint record is read from tracefs with `tracepointFieldOffset`
 *   (`events/syscalls/sys_enter_execve/format`: `const char * filename` at offset 16 on 6.18).
 *   The program cannot wait for a page fault, so a string in a page not yet in memory (or a bad
 *   pointer) cannot be read: the event then carries the helper's error (`filenameError: 'EFAULT'`).
 * - ppid: `task->real_parent->tgid` (what getppid() returns; `parent` differs under ptrace), read
 *   with two `bpf_probe_read_kernel` calls from `bpf_get_current_task()`. The offsets of
 *   `real_parent` and `tgid` in `struct task_struct` change with every kernel build, so they are
 *   looked up at run time in the kernel's own BTF (/sys/kernel/btf/vmlinux, `kernelMemberOffset`)
 *   and baked into the program as constants: what CO-RE relocations do in libbpf. This works in
 *   any tracing program type; `bpf_get_current_task_btf()` with direct loads would need the
 *   verifier's BTF pointer tracking (PTR_TO_BTF_ID) for the same offsets, and gains nothing here.
 * - comm: `bpf_get_current_comm`; uid and gid: `bpf_get_current_uid_gid`; pid: the tgid half of
 *   `bpf_get_current_pid_tgid`.
 *
 * Why sys_enter_execve rather than `sched/sched_process_exec`: the syscall tracepoint sees every
 * attempt, including the failed ones (execvp trying each PATH entry, a missing or non-executable
 * file), with the filename exactly as the caller passed it: what a security tool wants to see.
 * sched_process_exec fires only for successful execs, with the resolved filename (a `__data_loc`
 * string in the record) and the new comm. The price: here `comm` is the name of the process before
 * the exec (the caller, e.g. `sh` for a command a shell runs). execveat() is a separate tracepoint
 * (`sys_enter_execveat`, filename at offset 24), not attached here.
 *
 * Run: `sudo npx tsx examples/execsnoop.ts [--duration 10s]`
 * @module
 */
import {
  asm, attachTracepoint, createMap, errnoName, kernelMemberOffset, loadProgram, openRingBuffer, pageSize, R0, R1, R2, R3, R6, R7, R10,
  tracepointFieldOffset, u32, u64, verify,
} from '../src/index.js';
import type { Assembled } from '../src/index.js';
import { isMain, kernelProcessed, runMain, runSignal } from './lib/run.js';
import type { ExampleOptions } from './lib/run.js';

/** Options of the execsnoop example: those every example has (duration, signal, print, onReady). */
export type ExecsnoopOptions = ExampleOptions;

/** One exec attempt. */
export interface ExecEvent {
  /** The process calling execve (its tgid; after a successful exec the new program has the same pid). */
  readonly pid: number;
  /** Its parent's pid (`real_parent->tgid`). */
  readonly ppid: number;
  /** Real user id. */
  readonly uid: number;
  /** Real group id. */
  readonly gid: number;
  /** The caller's name (before the exec), at most 15 characters. */
  readonly comm: string;
  /** The filename argument as passed (at most 255 bytes; empty when it could not be read). */
  readonly filename: string;
  /**
   * Why the filename could not be read (`EFAULT`: not a valid pointer, or its page not in memory:
   * a tracepoint program cannot wait for a page fault), when it could not.
   */
  readonly filenameError?: string;
}

/** What the example observed. */
export interface ExecsnoopReport {
  /** The events, in order (at most 10000 kept). */
  readonly events: readonly ExecEvent[];
  /** Events read in all. */
  readonly total: number;
  /** Events the program could not reserve room for (ring full). */
  readonly lost: number;
  /** Where the program found what it reads: the filename in the tracepoint record, the task_struct members. */
  readonly offsets: ExecOffsets;
  /** Whether the verifier model accepted the program. */
  readonly modelAccepted: boolean;
  /** Instructions processed: by the verifier model, and by the kernel's verifier. */
  readonly processed: { readonly model: number; readonly kernel: number | undefined };
}

/** Offsets the program is built with, all looked up on the running kernel. */
export interface ExecOffsets {
  /** Of `filename` in the sys_enter_execve record. */
  readonly filename: number;
  /** Of `real_parent` in `struct task_struct`. */
  readonly realParent: number;
  /** Of `tgid` in `struct task_struct`. */
  readonly tgid: number;
}

const MAX_KEPT = 10_000;
const COMM_LEN = 16;
const FILENAME_LEN = 256;
/**
 * The record: pid u32 @0, ppid u32 @4, uid u32 @8, gid u32 @12, comm[16] @16, filename[256] @32,
 * then what bpf_probe_read_user_str returned (s32 @288: bytes copied with the NUL, or -errno).
 */
const EVENT = { pid: 0, ppid: 4, uidGid: 8, comm: 16, filename: 32, readResult: 32 + FILENAME_LEN, size: 32 + FILENAME_LEN + 4 } as const;
const lostSpec = { type: 'array', key: u32, value: u64, maxEntries: 1 } as const;
/** The ring buffer's size: 64 pages (256 KiB with 4 KiB pages): about 860 events of 304 bytes (292 and the 8-byte header, rounded to 8). */
const ringBytes = (): number => 64 * pageSize();
/** The maps' shapes, for the verifier model and bench/verifier. */
const mapSpecs = () => ({
  events: { type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: ringBytes() },
  lost: { type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 },
}) as const;

/** The offsets of the running kernel. */
export function execOffsets(): ExecOffsets {
  return {
    filename: tracepointFieldOffset('syscalls/sys_enter_execve', 'filename'),
    realParent: kernelMemberOffset('task_struct', 'real_parent'),
    tgid: kernelMemberOffset('task_struct', 'tgid'),
  };
}

/** The tracepoint program: one ring buffer record per execve() call (see the module comment). */
export function execsnoopProgram(off: ExecOffsets): Assembled {
  return asm.program([
    asm.mov64(R6, R1), // the tracepoint record
    asm.loadMap(R1, 'events'), asm.mov64(R2, EVENT.size), asm.mov64(R3, 0),
    asm.call('ringbuf_reserve'),
    asm.ifNull(R0, 'lost'),
    asm.mov64(R7, R0), // the record, ours until submitted

    asm.call('get_current_pid_tgid'),
    asm.rsh64(R0, 32),
    asm.stx('u32', R7, EVENT.pid, R0),
    asm.call('get_current_uid_gid'),
    asm.stx('u64', R7, EVENT.uidGid, R0), // uid in the low half, gid in the high half
    asm.mov64(R1, R7), asm.add64(R1, EVENT.comm), asm.mov64(R2, COMM_LEN),
    asm.call('get_current_comm'),
    asm.mov64(R1, R7), asm.add64(R1, EVENT.filename), asm.mov64(R2, FILENAME_LEN),
    asm.ldx('u64', R3, R6, off.filename), // const char __user *filename
    asm.call('probe_read_user_str'), // on a fault the buffer is zeroed: an empty filename
    asm.stx('u32', R7, EVENT.readResult, R0),

    // ppid = current->real_parent->tgid (a failed read zeroes its destination: ppid 0).
    asm.call('get_current_task'),
    asm.mov64(R3, R0), asm.add64(R3, off.realParent),
    asm.mov64(R1, R10), asm.add64(R1, -8), asm.mov64(R2, 8),
    asm.call('probe_read_kernel'),
    asm.ldx('u64', R3, R10, -8),
    asm.add64(R3, off.tgid),
    asm.mov64(R1, R7), asm.add64(R1, EVENT.ppid), asm.mov64(R2, 4),
    asm.call('probe_read_kernel'),

    asm.mov64(R1, R7), asm.mov64(R2, 0),
    asm.call('ringbuf_submit'),
    asm.ret(0),

    asm.label('lost'),
    asm.mapLookup({ map: 'lost', key: 0 }),
    asm.ifNull(R0, 'out'),
    asm.mov64(R1, 1),
    asm.atomicAdd64(R0, 0, R1),
    asm.label('out'),
    asm.ret(0),
  ]);
}

/** The program (built with this kernel's offsets) and its maps, for bench/verifier. */
export function programs(): Array<{ name: string; type: string; instructions: Assembled; maps: ReturnType<typeof mapSpecs> }> {
  return [{ name: 'sys_enter_execve', type: 'tracepoint', instructions: execsnoopProgram(execOffsets()), maps: mapSpecs() }];
}

const decoder = new TextDecoder();
/** A NUL-terminated string out of a fixed-size field. */
function cString(bytes: Uint8Array): string {
  const nul = bytes.indexOf(0);
  return decoder.decode(nul < 0 ? bytes : bytes.subarray(0, nul));
}

/** Decodes one record (a view into the ring: everything is copied out). */
function decodeEvent(r: Uint8Array): ExecEvent {
  const dv = new DataView(r.buffer, r.byteOffset, r.byteLength);
  const read = dv.getInt32(EVENT.readResult, true);
  return {
    ...(read < 0 ? { filenameError: errnoName(-read) } : {}),
    pid: dv.getUint32(EVENT.pid, true),
    ppid: dv.getUint32(EVENT.ppid, true),
    uid: dv.getUint32(EVENT.uidGid, true),
    gid: dv.getUint32(EVENT.uidGid + 4, true),
    comm: cString(r.subarray(EVENT.comm, EVENT.comm + COMM_LEN)),
    filename: cString(r.subarray(EVENT.filename, EVENT.filename + FILENAME_LEN)),
  };
}

/** Streams exec events until stopped, and reports them. */
export async function run(opts: ExecsnoopOptions = {}): Promise<ExecsnoopReport> {
  const print = opts.print ?? console.log;
  const signal = runSignal(opts);
  const offsets = execOffsets();
  const program = execsnoopProgram(offsets);

  const model = verify(program.instructions, { type: 'tracepoint', maps: mapSpecs() });
  using events = createMap({ type: 'ringbuf', maxEntries: ringBytes() });
  using lost = createMap(lostSpec);
  // logLevel 4: keep the kernel verifier's statistics, to compare with the model's.
  using prog = loadProgram({ type: 'tracepoint', instructions: program, maps: { events, lost }, name: 'execsnoop', logLevel: 4 });
  const processed = { model: model.processed, kernel: kernelProcessed(prog) };
  print(`verifier model ${model.ok ? `accepts (${model.processed} insns processed)` : `rejects: ${model.error?.message}`}, ` +
    `kernel accepts (${processed.kernel} insns processed)`);
  print(`offsets on this kernel: filename @${offsets.filename} in the record, task_struct.real_parent @${offsets.realParent}, .tgid @${offsets.tgid}`);

  const kept: ExecEvent[] = [];
  let total = 0;
  const onEvent = (r: Uint8Array): void => {
    const e = decodeEvent(r);
    total++;
    if (kept.length < MAX_KEPT) kept.push(e);
    print(`${String(e.pid).padStart(7)} ${String(e.ppid).padStart(7)} ${String(e.uid).padStart(5)}  ${e.comm.padEnd(16)} ${e.filenameError ? `<unreadable: ${e.filenameError}>` : e.filename}`);
  };
  {
    using link = attachTracepoint(prog, 'syscalls/sys_enter_execve');
    using reader = openRingBuffer(events);
    print(`${link.kind} ${link.target} → ring buffer (${ringBytes() / 1024} KiB); Ctrl-C to stop`);
    print(`${'PID'.padStart(7)} ${'PPID'.padStart(7)} ${'UID'.padStart(5)}  ${'COMM'.padEnd(16)} FILENAME`);
    opts.onReady?.();
    for await (const record of reader.records({ signal })) onEvent(record);
    // Detach first, then take what was submitted before the stop but not yet read.
    link.close();
    reader.consume(onEvent);
  }
  const lostCount = Number(lost.lookup(0) ?? 0n);
  print(`${total} execs${lostCount ? `, ${lostCount} lost (ring buffer full)` : ''}`);
  return { events: kept, total, lost: lostCount, offsets, modelAccepted: model.ok, processed };
}

if (isMain(import.meta.url)) await runMain(run);
