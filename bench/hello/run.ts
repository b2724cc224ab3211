/**
 * bench/hello (`npm run bench:hello`): how long a fresh process takes from being spawned to seeing
 * its first execve, ts-ebpf against bpftrace. "Start to ready": the process starts, loads a
 * tracepoint program on `syscalls/sys_enter_execve`, attaches it and reports the first event; a
 * trigger process (trigger.c, compiled with the system cc at each run) runs /bin/true every
 * BENCH_TRIGGER_US microseconds all the time, so an exec comes within one interval of attaching,
 * whoever attached. The clock runs from just before spawn() to the moment the parent reads the
 * process's first `hi` line from its stdout pipe, the same for every contender:
 *
 * - `ts-ebpf (tsx)`: `node --import tsx bench/hello/ts-child.ts` (TypeScript compiled on the fly, as
 *   the examples run): imports ts-ebpf, ring buffer + program + attach, first record, prints `hi`.
 * - `ts-ebpf (node)`: the same child bundled to one JavaScript file by esbuild first (how an
 *   application using the published package starts: plain node, no TypeScript at run time).
 * - `bpftrace`: `bpftrace -e 'tracepoint:syscalls:sys_enter_execve { printf("hi\n"); exit(); }'`.
 * - `node (empty)`: `node -e` printing `hi` at once: what node's own start costs, for scale.
 *
 * Contenders run in turn inside each round (BENCH_ROUNDS rounds); medians are printed with the
 * ratio ts-ebpf/bpftrace, and where the ts-ebpf child spent its time. bpftrace is skipped, with a
 * message, when it is not installed (`apt-get install -y bpftrace`). Needs root.
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const triggerUs = Number(process.env.BENCH_TRIGGER_US ?? 2000);
const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const BPFTRACE_SCRIPT = 'tracepoint:syscalls:sys_enter_execve { printf("hi\\n"); exit(); }';
const TIMEOUT_MS = 60_000;

interface Contender {
  readonly name: string;
  readonly cmd: string;
  readonly args: readonly string[];
}

/** One start: ms from spawn to the `hi` line, and the rest of that line (the ts-ebpf child's phases). */
interface Start {
  readonly ms: number;
  readonly fields: readonly number[];
}

/** Spawns the contender and resolves when it prints its first `hi` line; waits for it to exit. */
function startToReady(c: Contender): Promise<Start> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(c.cmd, c.args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let result: Start | undefined;
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    createInterface({ input: child.stdout! }).on('line', (line) => {
      if (result || !line.startsWith('hi')) return;
      result = { ms: Number(process.hrtime.bigint() - t0) / 1e6, fields: line.split(/\s+/).slice(1).map(Number) };
    });
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      if (result) resolve(result);
      else reject(new Error(`${c.name} exited (${code}) without reporting an event: ${stderr.trim()}`));
    });
  });
}

const median = (xs: readonly number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

/** The path of bpftrace, or undefined when it is not installed. */
function findBpftrace(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (dir && existsSync(join(dir, 'bpftrace'))) return join(dir, 'bpftrace');
  }
  return undefined;
}

/**
 * Bundles ts-child.ts to one JavaScript file with esbuild (tsx's own compiler, so it is installed
 * wherever tsx is); returns its path, or undefined (with a message) when esbuild cannot be loaded.
 */
async function bundleChild(outfile: string): Promise<string | undefined> {
  let esbuild: typeof import('esbuild');
  try {
    esbuild = await import('esbuild');
  } catch (e) {
    console.log(`esbuild cannot be loaded (${(e as Error).message}): skipping ts-ebpf (node)`);
    return undefined;
  }
  await esbuild.build({
    entryPoints: [join(here, 'ts-child.ts')], bundle: true, platform: 'node', format: 'esm', target: 'node20',
    outfile, external: ['ffi-rs'], logLevel: 'warning',
  });
  return outfile;
}

async function main(): Promise<void> {
  if (process.getuid?.() !== 0) throw new Error('bench:hello loads and attaches programs: run it as root');
  const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-hello-'));
  // The bundle lives in the checkout (bench/out/, ignored by git) so it finds ffi-rs in node_modules.
  const out = join(root, 'bench', 'out');
  mkdirSync(out, { recursive: true });
  const bundle = await bundleChild(join(out, 'hello-child.mjs'));
  const triggerExe = join(dir, 'trigger');
  execFileSync(process.env.CC ?? 'cc', ['-O2', '-o', triggerExe, join(here, 'trigger.c')], { stdio: 'inherit' });
  const trigger = spawn(triggerExe, [String(triggerUs)], { stdio: 'ignore' });
  try {
    const contenders: Contender[] = [
      { name: 'ts-ebpf (tsx)', cmd: process.execPath, args: ['--import', 'tsx', join(here, 'ts-child.ts')] },
    ];
    if (bundle) contenders.push({ name: 'ts-ebpf (node)', cmd: process.execPath, args: [bundle] });
    const bpftrace = findBpftrace();
    if (bpftrace) contenders.push({ name: 'bpftrace', cmd: bpftrace, args: ['-e', BPFTRACE_SCRIPT] });
    contenders.push({ name: 'node (empty)', cmd: process.execPath, args: ['-e', 'process.stdout.write("hi\\n")'] });

    console.log(`bench:hello — spawn to first execve seen, ${rounds} rounds (contenders in turn), medians; ` +
      `an exec every ${triggerUs} µs; node ${process.version}, ${process.arch}`);
    if (!bpftrace) console.log('bpftrace is not installed (apt-get install -y bpftrace): measuring ts-ebpf alone');
    else console.log(`bpftrace: ${execFileSync(bpftrace, ['--version'], { encoding: 'utf8' }).trim()}`);

    const runs = new Map<string, Start[]>(contenders.map((c) => [c.name, []]));
    for (let r = 0; r < rounds; r++) {
      // Rotate who goes first, so no contender always follows the same one.
      for (let i = 0; i < contenders.length; i++) {
        const c = contenders[(i + r) % contenders.length]!;
        runs.get(c.name)!.push(await startToReady(c));
      }
      if (process.stderr.isTTY) process.stderr.write(`round ${r + 1}/${rounds}\r`);
    }
    if (process.stderr.isTTY) process.stderr.write(' '.repeat(20) + '\r');

    const med = (name: string): number => median(runs.get(name)!.map((s) => s.ms));
    console.log(`${'contender'.padEnd(16)}${'median'.padStart(10)}${'min'.padStart(10)}${'max'.padStart(10)}` +
      `${bpftrace ? '  vs bpftrace' : ''}`);
    for (const c of contenders) {
      const ms = runs.get(c.name)!.map((s) => s.ms);
      const ratio = bpftrace ? `${(med(c.name) / med('bpftrace')).toFixed(2).padStart(12)}` : '';
      console.log(`${c.name.padEnd(16)}${`${med(c.name).toFixed(0)} ms`.padStart(10)}${`${Math.min(...ms).toFixed(0)} ms`.padStart(10)}` +
        `${`${Math.max(...ms).toFixed(0)} ms`.padStart(10)}${ratio}`);
    }
    for (const name of contenders.map((c) => c.name).filter((n) => n.startsWith('ts-ebpf'))) {
      // Fields (ms from the child's start): its code runs, ts-ebpf imported, ring buffer created (the
      // first bpf() call, which loads ffi-rs), program loaded, attached, first record read.
      const f = (k: number): number => median(runs.get(name)!.map((s) => s.fields[k]!));
      const d = (a: number, b: number): string => `${(f(b) - f(a)).toFixed(1)} ms`;
      console.log(`${name}, inside the child (medians): node start ${f(0).toFixed(0)} ms, import ts-ebpf ${d(0, 1)}, ` +
        `ring buffer (ffi-rs loads) ${d(1, 2)}, program load ${d(2, 3)}, attach ${d(3, 4)}, first record ${d(4, 5)} later`);
    }
    if (bpftrace) {
      console.log(`ratio ts-ebpf/bpftrace (medians): tsx ${(med('ts-ebpf (tsx)') / med('bpftrace')).toFixed(2)}` +
        `${bundle ? `, node ${(med('ts-ebpf (node)') / med('bpftrace')).toFixed(2)}` : ''}`);
    }
  } finally {
    trigger.kill();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
