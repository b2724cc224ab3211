/**
 * Hello world, the classic BCC first program (`hello_world.py`): every execve() anywhere prints
 * "Hello World!" through bpf_trace_printk, and the example reads the lines back from tracefs and
 * prints who exec'd (comm and pid of the task that called execve, i.e. the name before the exec).
 *
 * How it works: a `tracepoint` program on `syscalls/sys_enter_execve` builds its format string on
 * the stack and calls the `trace_printk` helper. Each line carries a short tag of this run
 * (`Hello World! [3f9c1a]`), because every program's bpf_trace_printk output lands in the same
 * stream: only lines with our tag are counted. The lines are read from a private tracefs instance
 * (`instances/tsebpf-hello-*`) with the `bpf_trace/bpf_trace_printk` event enabled. The helper emits
 * that trace event (kernel/trace/bpf_trace.c: `trace_bpf_trace_printk(buf)`; loading a program that
 * calls it enables the event in the top-level instance only), and every instance where the event is
 * enabled records its own copy: reading ours takes nothing away from readers of the global
 * trace_pipe. `--global` reads the global trace_pipe instead, as BCC does (and consumes what it reads).
 *
 * `--kprobe` tries what BCC's hello world does, a kprobe on the execve syscall function
 * (`__x64_sys_execve` on x86-64); on a kernel without kprobes it says why it cannot attach.
 *
 * Run: `sudo npx tsx examples/hello.ts [--kprobe] [--global] [--duration 5s]`
 * @module
 */
import { mkdirSync, rmdirSync, writeFileSync } from 'node:fs';
import {
  asm, attachKprobe, attachTracepoint, isNotSupportedError, loadProgram, openTracePipe, R0, R1, R2, R10, tracefsRoot, verify,
} from '../src/index.js';
import type { Assembled, Link, ProgramItem } from '../src/index.js';
import { isMain, kernelProcessed, runMain, runSignal } from './lib/run.js';
import type { ExampleOptions } from './lib/run.js';

/** Options of the hello example. */
export interface HelloOptions extends ExampleOptions {
  /** Attach a kprobe on the execve syscall function instead of the tracepoint (needs kprobes). */
  readonly kprobe?: boolean;
  /** Read the global trace_pipe (consuming its lines) instead of a private tracefs instance. */
  readonly globalPipe?: boolean;
}

/** One "Hello World!" line of this run. */
export interface HelloEvent {
  /** Thread id of the task that called execve (for a single-threaded process, its pid). */
  readonly pid: number;
  /** Its name before the exec (`<...>` when the tracer did not record it). */
  readonly comm: string;
  /** CPU the line was recorded on. */
  readonly cpu: number;
  /** Trace clock timestamp in seconds. */
  readonly timestamp: number;
  /** The message without this run's tag: `Hello World!`. */
  readonly message: string;
}

/** What the example observed. */
export interface HelloReport {
  /** The attach point: `tracepoint syscalls/sys_enter_execve` or `kprobe <symbol>`. */
  readonly attachedTo: string;
  /** Why the kprobe could not be attached (with `kprobe: true` on a kernel without kprobes). */
  readonly notAttached?: string;
  /** The tag this run's lines carry. */
  readonly tag: string;
  /** The trace_pipe file read. */
  readonly pipe: string;
  /** This run's lines, in order (at most 10000 kept). */
  readonly events: readonly HelloEvent[];
  /** This run's lines in all. */
  readonly total: number;
  /** Lines from other programs, skipped. */
  readonly otherLines: number;
  /** Whether the verifier model accepted the program. */
  readonly modelAccepted: boolean;
  /** Instructions processed: by the verifier model, and by the kernel's verifier. */
  readonly processed: { readonly model: number; readonly kernel: number | undefined };
}

const MAX_KEPT = 10_000;

/** `bpf_trace_printk(text)`: the text (no `%` directives) stored on the stack 8 bytes at a time. */
export function helloProgram(text: string): Assembled {
  const bytes = new TextEncoder().encode(`${text}\n`);
  if (text.includes('%')) throw new Error('the hello text takes no format directives');
  const len = Math.ceil((bytes.length + 1) / 8) * 8; // room for the NUL the helper wants at the end
  if (len > 256) throw new Error('the hello text is longer than this example puts on the stack');
  const padded = new Uint8Array(len);
  padded.set(bytes);
  const words = new DataView(padded.buffer);
  const stores: ProgramItem[] = [];
  for (let i = 0; i < len; i += 8) stores.push(asm.lddw(R1, words.getBigUint64(i, true)), asm.stxdw(R10, -len + i, R1));
  return asm.program([
    ...stores,
    asm.mov64(R1, R10), asm.add64(R1, -len), // fmt
    asm.mov64(R2, bytes.length + 1), // fmt_size, NUL included
    asm.call('trace_printk'),
    asm.mov64(R0, 0), asm.exit(),
  ]);
}

/** The kernel function behind execve() on this architecture (the syscall wrapper's name). */
export function execveSymbol(arch: string = process.arch): string {
  const prefix: Record<string, string> = { x64: '__x64_', arm64: '__arm64_', s390x: '__s390x_', riscv64: '__riscv_', ia32: '__ia32_' };
  return `${prefix[arch] ?? ''}sys_execve`;
}

/**
 * A tracefs instance of our own with only the bpf_trace_printk event enabled: it receives a copy of
 * every bpf_trace_printk line without taking any from the global trace_pipe. Removed on dispose.
 */
export class TraceInstance implements Disposable {
  /** The instance directory. */
  readonly dir: string;

  constructor(name: string) {
    this.dir = `${tracefsRoot()}/instances/${name}`;
    mkdirSync(this.dir);
    try {
      writeFileSync(`${this.dir}/events/bpf_trace/bpf_trace_printk/enable`, '1');
    } catch (e) {
      rmdirSync(this.dir);
      throw e;
    }
  }

  /** The instance's own trace_pipe. */
  get pipe(): string {
    return `${this.dir}/trace_pipe`;
  }

  /** Removes the instance (its readers must be closed first, or the kernel says EBUSY). */
  [Symbol.dispose](): void {
    rmdirSync(this.dir);
  }
}

/** Prints "Hello World!" on every execve until stopped, and reports the lines it saw. */
export async function run(opts: HelloOptions = {}): Promise<HelloReport> {
  const print = opts.print ?? console.log;
  const signal = runSignal(opts);
  const tag = ((process.pid * 7919 + Date.now()) % 0xffffff).toString(16).padStart(6, '0');
  const hello = `Hello World! [${tag}]`;
  const program = helloProgram(hello);
  const type = opts.kprobe ? 'kprobe' : 'tracepoint';
  const symbol = execveSymbol();
  const attachedTo = opts.kprobe ? `kprobe ${symbol}` : 'tracepoint syscalls/sys_enter_execve';

  const model = verify(program.instructions, { type });
  // logLevel 4: keep the kernel verifier's statistics, to compare with the model's.
  using prog = loadProgram({ type, instructions: program, name: 'hello', logLevel: 4 });
  const processed = { model: model.processed, kernel: kernelProcessed(prog) };
  print(`verifier model ${model.ok ? `accepts (${model.processed} insns processed)` : `rejects: ${model.error?.message}`}, ` +
    `kernel accepts (${processed.kernel} insns processed)`);
  const base = { attachedTo, tag, modelAccepted: model.ok, processed };

  let link: Link;
  try {
    link = opts.kprobe ? attachKprobe(prog, symbol) : attachTracepoint(prog, 'syscalls/sys_enter_execve');
  } catch (e) {
    if (!opts.kprobe || !isNotSupportedError(e)) throw e;
    print(`cannot attach a kprobe to ${symbol}: ${e.reason}`);
    print('use the tracepoint instead (run without --kprobe): syscalls/sys_enter_execve fires on the same calls');
    return { ...base, notAttached: e.reason, pipe: '', events: [], total: 0, otherLines: 0 };
  }
  using _link = link;
  using instance = opts.globalPipe ? undefined : new TraceInstance(`tsebpf-hello-${process.pid}-${tag}`);
  using pipe = openTracePipe(instance ? { path: instance.pipe } : {});
  print(`${attachedTo}: "${hello}" on every execve, read from ${pipe.path}; Ctrl-C to stop`);
  print(`${'PID'.padStart(7)}  ${'COMM'.padEnd(16)} MESSAGE`);
  opts.onReady?.();

  const events: HelloEvent[] = [];
  let total = 0;
  let otherLines = 0;
  const suffix = ` [${tag}]`;
  await pipe.read((line) => {
    if (line.event !== 'bpf_trace_printk' || line.message !== hello) {
      otherLines++;
      return;
    }
    total++;
    const event = { pid: line.pid, comm: line.comm, cpu: line.cpu, timestamp: line.timestamp, message: hello.slice(0, -suffix.length) };
    if (events.length < MAX_KEPT) events.push(event);
    print(`${String(event.pid).padStart(7)}  ${event.comm.padEnd(16)} ${event.message}`);
  }, { signal });
  print(`${total} execs seen${otherLines ? ` (${otherLines} lines of other programs skipped)` : ''}`);
  return { ...base, pipe: pipe.path, events, total, otherLines };
}

if (isMain(import.meta.url)) {
  await runMain((o) => run({ ...o, kprobe: process.argv.includes('--kprobe'), globalPipe: process.argv.includes('--global') }));
}
