/**
 * bench/ringbuf (`npm run bench:ringbuf`): events per second consumed from a BPF ring buffer by the
 * TypeScript reader (openRingBuffer) against a C consumer (consumer.c, libbpf's algorithm, compiled
 * with the system cc at each run), for 64-byte and 1 KiB records. Both consumers read the same ring
 * through their own mappings and do the same work per record (sum the first 32-bit word).
 *
 * Two measurements, each figure the best of BENCH_ROUNDS interleaved runs (the machine is shared):
 * - drain: a program run by BPF_PROG_TEST_RUN fills the ring with N records, then ONE consumer drains
 *   it; only the drain is timed. Every consumer faces exactly the same N records: this is the cost of
 *   consuming, with no producer in the way. TS is timed through `consume(cb)`, `consumeRaw(cb)`, the
 *   per-record async iterator `records()`, and the batch iterator `batches()` (one batch per wake-up:
 *   here the whole pre-filled ring), read with a view per record (`for (const rec of batch)`) and
 *   without (`batch.view.getUint32(batch.offsetOf(i))`).
 * - live: a C producer process (producer.c) runs the program at a fixed pace (BENCH_LIVE_RATE runs per
 *   second, 64 per syscall, for BENCH_LIVE_SECONDS) while the consumer reads, woken by epoll. Both
 *   consumers face the same event rate; reported: the share of records delivered (a consumer that
 *   falls behind makes the program's reserve fail) and the CPU the consumer process spent per event
 *   (user + system, so the epoll wakeups count too). TS/C here is C's CPU per event over TS's.
 *
 * Env: BENCH_RING_MB (drain ring, default 32), BENCH_ROUNDS (default 5), BENCH_LIVE_RATE (default
 * 1000000), BENCH_LIVE_SECONDS (default 2), BENCH_LIVE_RING_KB (default 4096). Needs root.
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { asm, R0, R1, R2, R3, R6, R7, R10 } from '../../src/index.js';
import { createMap, loadProgram, openRingBuffer } from '../../src/index.js';
import type { BpfMap, Instruction, Program } from '../../src/index.js';

const ringMb = Number(process.env.BENCH_RING_MB ?? 32);
const rounds = Number(process.env.BENCH_ROUNDS ?? 5);
const liveRate = Number(process.env.BENCH_LIVE_RATE ?? 1_000_000);
const liveRuns = Math.round(liveRate * Number(process.env.BENCH_LIVE_SECONDS ?? 2));
const liveRingKb = Number(process.env.BENCH_LIVE_RING_KB ?? 4096);
const SIZES = [64, 1024];
const PKT = new Uint8Array(64);

/** socket_filter: seq = counter[0]++; reserve `size` bytes; first word = seq; submit. Counts failures. */
function producer(size: number): Instruction[] {
  return asm.program([
    asm.st('u32', R10, -4, 0),
    asm.mov64(R2, R10), asm.add64(R2, -4),
    asm.loadMap(R1, 'counter'),
    asm.call('map_lookup_elem'),
    asm.jne64(R0, 0, 'have'),
    asm.mov64(R0, 2), asm.exit(),
    asm.label('have'),
    asm.mov64(R6, R0),
    asm.ldxdw(R7, R6, 0), asm.mov64(R1, R7), asm.add64(R1, 1), asm.stxdw(R6, 0, R1),
    asm.loadMap(R1, 'rb'), asm.mov64(R2, size), asm.mov64(R3, 0),
    asm.call('ringbuf_reserve'),
    asm.jne64(R0, 0, 'got'),
    asm.ldxdw(R1, R6, 8), asm.add64(R1, 1), asm.stxdw(R6, 8, R1),
    asm.mov64(R0, 1), asm.exit(),
    asm.label('got'),
    asm.stxdw(R0, 0, R7),
    asm.mov64(R1, R0), asm.mov64(R2, 0),
    asm.call('ringbuf_submit'),
    asm.mov64(R0, 0), asm.exit(),
  ]).instructions as Instruction[];
}

interface Setup {
  rb: BpfMap;
  counter: BpfMap<number, Uint8Array>;
  prog: Program;
  close(): void;
}

function setup(size: number, ringBytes: number): Setup {
  const rb = createMap({ type: 'ringbuf', maxEntries: ringBytes, name: 'bench_rb' });
  const counter = createMap({ type: 'array', keySize: 4, valueSize: 16, maxEntries: 1 }) as BpfMap<number, Uint8Array>;
  const prog = loadProgram({ type: 'socket_filter', instructions: producer(size), maps: { rb, counter } });
  return { rb, counter, prog, close() { prog.close(); counter.close(); rb.close(); } };
}

function counters(s: Setup): { seq: number; failures: number } {
  const v = s.counter.lookup(0)!;
  const dv = new DataView(v.buffer, v.byteOffset, 16);
  return { seq: Number(dv.getBigUint64(0, true)), failures: Number(dv.getBigUint64(8, true)) };
}

/** Fills the ring with exactly n records; returns the expected checksum (sum of the low words). */
function fill(s: Setup, n: number): number {
  const before = counters(s);
  s.prog.testRun({ data: PKT, repeat: n });
  const after = counters(s);
  if (after.failures !== before.failures) throw new Error(`the ring did not take ${n} records`);
  let sum = 0;
  for (let q = before.seq; q < before.seq + n; q++) sum += q >>> 0;
  return sum;
}

const hr = (): number => Number(process.hrtime.bigint());

function compile(dir: string, name: string): string {
  const exe = join(dir, name);
  const src = join(dirname(fileURLToPath(import.meta.url)), `${name}.c`);
  execFileSync(process.env.CC ?? 'cc', ['-O2', '-o', exe, src], { stdio: 'inherit' });
  return exe;
}

function parse(line: string): { records: number; ns: number; checksum: number; cpuNs: number } {
  const [records, ns, checksum, cpuNs] = line.trim().split(/\s+/).map(Number);
  return { records: records!, ns: ns!, checksum: checksum!, cpuNs: cpuNs! };
}

interface Drain { c: number; tsConsume: number; tsRaw: number; tsIterator: number; tsBatches: number; tsBatchRaw: number; n: number }

async function drainBench(cExe: string, size: number): Promise<Drain> {
  const ringBytes = ringMb * 1024 * 1024;
  const s = setup(size, ringBytes);
  try {
    const n = Math.floor((ringBytes - 1) / (size + 8));
    const id = s.rb.info().id;
    using reader = openRingBuffer(s.rb);
    const best = { c: 0, tsConsume: 0, tsRaw: 0, tsIterator: 0, tsBatches: 0, tsBatchRaw: 0 };
    for (let r = 0; r < rounds; r++) {
      // C
      let want = fill(s, n);
      const c = parse(execFileSync(cExe, ['drain', String(id), String(n)], { encoding: 'utf8' }));
      if (c.records !== n || c.checksum !== want) throw new Error(`C consumer: ${c.records}/${n} records, checksum ${c.checksum} != ${want}`);
      best.c = Math.max(best.c, n / (c.ns / 1e9));
      // Each TS contender: the ring refilled, its loop timed, the record count and checksum checked.
      let sum = 0;
      const ts = async (key: Exclude<keyof typeof best, 'c'>, what: string, drain: () => number | Promise<number>): Promise<void> => {
        want = fill(s, n);
        sum = 0;
        const t0 = hr();
        const r = drain();
        const got = typeof r === 'number' ? r : await r;
        const ns = hr() - t0;
        if (got !== n || sum !== want) throw new Error(`TS ${what}: ${got}/${n}, checksum ${sum} != ${want}`);
        best[key] = Math.max(best[key], n / (ns / 1e9));
      };
      await ts('tsConsume', 'consume', () => {
        let got = 0;
        while (got < n) got += reader.consume((rec) => { sum += (rec[0]! | rec[1]! << 8 | rec[2]! << 16 | rec[3]! << 24) >>> 0; });
        return got;
      });
      // without a view per record
      await ts('tsRaw', 'consumeRaw', () => {
        let got = 0;
        while (got < n) got += reader.consumeRaw((d, o) => { sum += (d[o]! | d[o + 1]! << 8 | d[o + 2]! << 16 | d[o + 3]! << 24) >>> 0; });
        return got;
      });
      await ts('tsIterator', 'iterator', async () => {
        let got = 0;
        for await (const rec of reader.records()) {
          sum += (rec[0]! | rec[1]! << 8 | rec[2]! << 16 | rec[3]! << 24) >>> 0;
          if (++got === n) break;
        }
        return got;
      });
      // the batch iterator: a view per record from the batch's own iterator
      await ts('tsBatches', 'batches', async () => {
        let got = 0;
        outer: for await (const batch of reader.batches()) {
          for (const rec of batch) {
            sum += (rec[0]! | rec[1]! << 8 | rec[2]! << 16 | rec[3]! << 24) >>> 0;
            if (++got === n) break outer;
          }
        }
        return got;
      });
      // the batch iterator without a view per record (the batch's DataView and offsets)
      await ts('tsBatchRaw', 'batch raw', async () => {
        let got = 0;
        for await (const batch of reader.batches()) {
          const v = batch.view;
          for (let i = 0; i < batch.length; i++) sum += v.getUint32(batch.offsetOf(i), true);
          if ((got += batch.length) >= n) break;
        }
        return got;
      });
    }
    return { ...best, n };
  } finally {
    s.close();
  }
}

interface Live {
  /** Records delivered. */
  records: number;
  /** Records the program could not reserve (the ring was full). */
  dropped: number;
  /** CPU time (user + system) of the consumer process per delivered record, in ns. */
  cpuPerEvent: number;
  /** Program runs per second the producer achieved. */
  produced: number;
}

/** Runs producer.c; resolves to its wall time in seconds. */
function runProducer(exe: string, progId: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const p = spawn(exe, [String(progId), String(liveRuns), '64', String(liveRate)], { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    p.stdout!.on('data', (d: Buffer) => { out += d.toString(); });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve(Number(out.trim().split(/\s+/)[1]) / 1e9)
      : reject(new Error(`producer exited with ${code}`))));
  });
}

async function liveC(cExe: string, pExe: string, s: Setup): Promise<Live> {
  const before = counters(s);
  const child = spawn(cExe, ['live', String(s.rb.info().id), '300'], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout! })[Symbol.asyncIterator]();
  if ((await lines.next()).value !== 'ready') throw new Error('C consumer did not start');
  const secs = await runProducer(pExe, s.prog.id);
  const r = parse((await lines.next()).value as string);
  const after = counters(s);
  return { records: r.records, dropped: after.failures - before.failures, cpuPerEvent: r.cpuNs / r.records,
    produced: liveRuns / secs };
}

async function liveTs(pExe: string, s: Setup): Promise<Live> {
  const before = counters(s);
  using reader = openRingBuffer(s.rb);
  reader.consume(() => {});
  const ctl = new AbortController();
  let sum = 0;
  const onRecord = (rec: Uint8Array): void => {
    sum += (rec[0]! | rec[1]! << 8 | rec[2]! << 16 | rec[3]! << 24) >>> 0;
  };
  const cpu0 = process.cpuUsage();
  const records = reader.read(onRecord, { signal: ctl.signal });
  const secs = await runProducer(pExe, s.prog.id);
  await new Promise((r) => setTimeout(r, 300));
  ctl.abort();
  const n = await records;
  const cpu = process.cpuUsage(cpu0);
  const after = counters(s);
  if (sum < 0) throw new Error('unreachable');
  const dropped = after.failures - before.failures;
  if (n + dropped !== liveRuns) throw new Error(`TS live: ${n} records + ${dropped} dropped != ${liveRuns} runs`);
  return { records: n, dropped, cpuPerEvent: ((cpu.user + cpu.system) * 1000) / n, produced: liveRuns / secs };
}

const fmt = (n: number): string => Math.round(n).toLocaleString('en-US').padStart(13);

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-ringbuf-'));
  try {
    const cExe = compile(dir, 'consumer');
    const pExe = compile(dir, 'producer');
    console.log(`bench:ringbuf — ${rounds} interleaved rounds, best of each; node ${process.version}, ${process.arch}`);
    console.log(`\ndrain: a ${ringMb} MiB ring pre-filled by BPF_PROG_TEST_RUN, time to consume every record (events/s)`);
    console.log(`${'record'.padEnd(8)}${'records'.padStart(9)}${'C'.padStart(14)}${'TS consume'.padStart(14)}${'TS/C'.padStart(6)}` +
      `${'TS raw'.padStart(14)}${'TS/C'.padStart(6)}${'TS iterator'.padStart(14)}${'TS/C'.padStart(6)}` +
      `${'TS batches'.padStart(14)}${'TS/C'.padStart(6)}${'batch raw'.padStart(14)}${'TS/C'.padStart(6)}`);
    for (const size of SIZES) {
      const d = await drainBench(cExe, size);
      const r = (x: number): string => (x / d.c).toFixed(3).padStart(7);
      console.log(`${`${size} B`.padEnd(8)}${String(d.n).padStart(9)}${fmt(d.c)} ${fmt(d.tsConsume)}${r(d.tsConsume)} ` +
        `${fmt(d.tsRaw)}${r(d.tsRaw)} ${fmt(d.tsIterator)}${r(d.tsIterator)} ${fmt(d.tsBatches)}${r(d.tsBatches)} ` +
        `${fmt(d.tsBatchRaw)}${r(d.tsBatchRaw)}`);
    }
    console.log(`\nlive: a C producer paced at ${liveRate.toLocaleString('en-US')} runs/s (64 per syscall, ` +
      `${liveRuns.toLocaleString('en-US')} runs) while the consumer reads a ${liveRingKb} KiB ring`);
    console.log('deliv. = records delivered / runs; cpu = consumer process CPU (user+sys) per delivered record');
    console.log(`${'record'.padEnd(8)}${'C: prod/s'.padStart(12)}${'deliv.'.padStart(8)}${'cpu/ev'.padStart(9)}` +
      `${'TS: prod/s'.padStart(13)}${'deliv.'.padStart(8)}${'cpu/ev'.padStart(9)}${'TS/C'.padStart(7)}`);
    const pct = (l: Live): string => `${((100 * l.records) / liveRuns).toFixed(1)}%`;
    const ns = (l: Live): string => `${l.cpuPerEvent.toFixed(0)} ns`;
    for (const size of SIZES) {
      let bc: Live | undefined;
      let bt: Live | undefined;
      for (let r = 0; r < rounds; r++) {
        const s = setup(size, liveRingKb * 1024);
        try {
          const c = await liveC(cExe, pExe, s);
          if (!bc || c.cpuPerEvent < bc.cpuPerEvent) bc = c;
          const t = await liveTs(pExe, s);
          if (!bt || t.cpuPerEvent < bt.cpuPerEvent) bt = t;
        } finally {
          s.close();
        }
      }
      const k = (n: number): string => `${Math.round(n / 1000).toLocaleString('en-US')}k`;
      console.log(`${`${size} B`.padEnd(8)}${k(bc!.produced).padStart(12)}${pct(bc!).padStart(8)}${ns(bc!).padStart(9)}` +
        `${k(bt!.produced).padStart(13)}${pct(bt!).padStart(8)}${ns(bt!).padStart(9)}` +
        `${(bc!.cpuPerEvent / bt!.cpuPerEvent).toFixed(2).padStart(7)}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
