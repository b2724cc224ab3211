/**
 * `npx tsx bench/dsl.ts`: cost of building instructions with the DSL, with source tracking on
 * (one V8 stack capture per instruction) and off.
 * @module
 */
import { asm, R1, R2, setSourceTracking } from '../src/asm/dsl/index.js';
import type { Instruction } from '../src/asm/instruction.js';

function build(n: number): Instruction[] {
  const out: Instruction[] = [];
  for (let i = 0; i < n; i++) out.push(i & 1 ? asm.add64(R1, i & 0xff) : asm.ldx('u32', R2, R1, 4));
  return out;
}

function perInsn(n: number): number {
  build(10_000); // warm up
  const t = process.hrtime.bigint();
  build(n);
  return Number(process.hrtime.bigint() - t) / n;
}

const N = 200_000;
for (const on of [true, false, true, false]) {
  setSourceTracking(on);
  console.log(`source tracking ${on ? 'on ' : 'off'}: ${perInsn(N).toFixed(0)} ns per instruction`);
}
setSourceTracking(false);
const items = build(N);
const t = process.hrtime.bigint();
asm.program(items);
console.log(`assemble: ${(Number(process.hrtime.bigint() - t) / N).toFixed(0)} ns per instruction`);
