/**
 * What every example shares: its options (how long to run, a stop signal, where to print), the
 * check for the privilege bpf() needs, and the few lines that run it from the command line
 * (`npx tsx examples/<name>.ts [--duration 5s] [args]`, Ctrl-C stops it).
 * @module
 */
import { pathToFileURL } from 'node:url';
import { isEbpfError } from '../../src/index.js';

/** Options every example's `run()` accepts. */
export interface ExampleOptions {
  /** Stop after this long; without it, run until the signal aborts (Ctrl-C on the command line). */
  durationMs?: number;
  /** Stops the example early. */
  signal?: AbortSignal;
  /** Where the example prints its lines (default: console.log). */
  print?: (line: string) => void;
  /**
   * Called once the example is attached and watching: events from now on are seen. Tests and the
   * tour use it to start the activity the example observes.
   */
  onReady?: () => void;
}

/** True when this module is the script node was started with (not imported by a test or the tour). */
export function isMain(metaUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && (pathToFileURL(entry).href === metaUrl || pathToFileURL(entry).href + '.ts' === metaUrl);
}

/** Why bpf() cannot be used here, or undefined when it can (Linux, root). */
export function privilegeProblem(): string | undefined {
  if (process.platform !== 'linux') return `eBPF needs Linux; this is ${process.platform}`;
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    return 'loading and attaching eBPF programs needs root (or CAP_BPF, CAP_PERFMON and CAP_NET_ADMIN): run with sudo';
  }
  return undefined;
}

/** A signal that aborts after `durationMs` (if given) or when `signal` aborts. */
export function runSignal(opts: ExampleOptions): AbortSignal {
  const signals: AbortSignal[] = [];
  if (opts.signal) signals.push(opts.signal);
  if (opts.durationMs !== undefined) signals.push(AbortSignal.timeout(opts.durationMs));
  return signals.length === 0 ? new AbortController().signal : AbortSignal.any(signals);
}

/** Resolves after `ms`, or early (without throwing) when the signal aborts. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/** Parses `--duration 5s` / `--duration 500ms` / `--duration 5` (seconds) out of argv. */
export function parseDuration(argv: readonly string[]): number | undefined {
  const i = argv.indexOf('--duration');
  if (i < 0) return undefined;
  const m = /^(\d+(?:\.\d+)?)(ms|s)?$/.exec(argv[i + 1] ?? '');
  if (!m) throw new Error(`--duration wants a time like 5s or 500ms, not ${argv[i + 1] ?? 'nothing'}`);
  return m[2] === 'ms' ? Number(m[1]) : Number(m[1]) * 1000;
}

/**
 * Runs an example from the command line: checks privilege, wires Ctrl-C to the stop signal and
 * `--duration` to the time limit, prints a clear message (not a stack) for library errors.
 */
export async function runMain(run: (opts: ExampleOptions) => Promise<unknown>, needsPrivilege = true): Promise<void> {
  const problem = needsPrivilege ? privilegeProblem() : undefined;
  if (problem) {
    console.error(`cannot run: ${problem}`);
    process.exitCode = 1;
    return;
  }
  const ac = new AbortController();
  // A first Ctrl-C stops the example (its cleanup and summary run); a second one exits at once.
  const stop = (): void => {
    if (ac.signal.aborted) process.exit(130);
    ac.abort();
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
  try {
    const durationMs = parseDuration(process.argv.slice(2));
    await run({ signal: ac.signal, ...(durationMs === undefined ? {} : { durationMs }) });
  } catch (e) {
    if (isEbpfError(e)) {
      console.error(`${e.name}: ${e.message}`);
      process.exitCode = 1;
    } else {
      throw e;
    }
  } finally {
    process.off('SIGINT', stop);
    process.off('SIGTERM', stop);
  }
}

/**
 * The instruction count the kernel's verifier reported for a program loaded with a `logLevel`
 * (`processed N insns ...`, the line the verifier model's `processed` mirrors), or undefined
 * when there is no log.
 */
export function kernelProcessed(prog: { readonly verifierLog: readonly string[] | undefined }): number | undefined {
  for (const line of prog.verifierLog ?? []) {
    const m = /^processed (\d+) insns/.exec(line);
    if (m) return Number(m[1]);
  }
  return undefined;
}

