/**
 * Encoding throughput: builds a 1M-instruction program mixing every instruction family, then times
 * `encode`, `decode` and `decode(..., { validate: false })`. Run with `npm run bench:asm`.
 * @module
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { decode, encode } from '../src/asm/encoding.js';
import type { Instruction } from '../src/asm/instruction.js';
import { arbInstruction } from '../src/testing/instructions.js';

const COUNT = 1_000_000;
setFlagsFromString('--expose-gc');
/** A full collection before each timed run, so one run's garbage is not charged to the next. */
const gc = runInNewContext('gc') as () => void;
const RUNS = 7;

/** A pool sampled from every family (fixed seed), spread over COUNT fresh objects. */
function buildProgram(): Instruction[] {
  const pool = fc.sample(arbInstruction(), { numRuns: 8192, seed: 1 });
  const prog: Instruction[] = new Array<Instruction>(COUNT);
  for (let i = 0; i < COUNT; i++) prog[i] = { ...pool[(i * 7919) % pool.length]! };
  return prog;
}

/** Runs `f` RUNS times after one warm-up; returns the median and best time in milliseconds. */
function time(f: () => unknown): { median: number; best: number } {
  f();
  const ms: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    gc();
    const t0 = process.hrtime.bigint();
    f();
    ms.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  ms.sort((a, b) => a - b);
  return { median: ms[RUNS >> 1]!, best: ms[0]! };
}

const prog = buildProgram();
const bytes = encode(prog);
const check = decode(bytes);
if (check.length !== prog.length) throw new Error('decode did not give back every instruction');

const fmt = (n: number): string => `${(n / 1e6).toFixed(2)}M`;
console.log(`program: ${COUNT} instructions, ${bytes.length / 8} slots, ${(bytes.length / 1048576).toFixed(1)} MiB`);
for (const [name, f] of [
  ['encode (validating)', () => encode(prog)],
  ['decode (validating)', () => decode(bytes)],
  ['decode (validate: false)', () => decode(bytes, { validate: false })],
] as const) {
  const { median, best } = time(f);
  console.log(`${name.padEnd(26)} median ${median.toFixed(1).padStart(7)} ms  ${fmt(COUNT / (median / 1000))} insns/s` +
    `  (best ${fmt(COUNT / (best / 1000))} insns/s)`);
}
