/**
 * The CI sample of the differential fuzz harness (`npm run fuzz:verifier` runs longer): a fixed
 * seed, a few hundred structured programs through the verifier model and the running kernel.
 * The bar: verdicts disagree on fewer than 2% of programs, and where both accept, the processed
 * counts are equal on at least 95% (measured 107/108 on this seed, 2521/2536 on 10000 programs of
 * seed 20261202). The sample must also be a real test: both verdicts common, many different kernel
 * error lines.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, it, expect } from 'vitest';
import { decode, encode } from '../../src/asm/encoding.js';
import { disassemble } from '../../src/asm/text/index.js';
import { arbVerifierProgram } from '../../src/testing/index.js';
import type { GeneratedVerifierProgram } from '../../src/testing/index.js';
import { kernelTestContext } from './privileged.js';
import { createFuzzMaps, kernelVerdict, modelVerdict, resolveMaps, runFuzz } from './verifier-fuzz-runner.js';
import type { DisagreementRecord, MessageMismatchRecord } from './verifier-fuzz-runner.js';

const kernel = kernelTestContext('verifier fuzz sample');
const SEED = 20261122;
const RUNS = 500;

describe.skipIf(!kernel.ok)('verifier model vs the kernel on generated programs', () => {
  it(`disagrees on fewer than 2% of ${RUNS} programs (seed ${SEED})`, () => {
    // Shrunk disagreements go to a file as they would from `npm run fuzz:verifier`.
    const out = join(tmpdir(), 'ts-ebpf-verifier-disagreements.jsonl');
    rmSync(out, { force: true });
    const s = runFuzz({ seed: SEED, runs: RUNS, out });
    const disagree = s.programs - s.verdictAgree;
    const rate = disagree / s.programs;
    console.log(`verifier fuzz sample, seed ${SEED}: ${s.programs} programs, kernel ${s.kernelAccepts} accept / ${s.kernelRejects} reject, ` +
      `${disagree} verdict disagreements (${(100 * rate).toFixed(2)}%), error line ${s.messageAgree}/${s.bothReject} on common rejects, ` +
      `processed count ${s.processedAgree}/${s.bothAccept} on common accepts, ` +
      `${s.kernelMessages.size} distinct kernel error lines, ${(s.ms / 1000).toFixed(1)} s`);
    if (s.disagreements.length > 0) console.log(`shrunk disagreements written to ${out}`);
    for (const d of s.disagreements) console.log(`  disagreement: ${d.type} kernel=${JSON.stringify(d.kernel)} model=${JSON.stringify(d.model)}\n    ${d.disassembly.join('\n    ')}`);
    expect(s.programs).toBe(RUNS);
    expect(rate).toBeLessThan(0.02);
    // Agreement only means something when both verdicts are common and rejections varied.
    expect(s.kernelAccepts).toBeGreaterThan(RUNS * 0.15);
    expect(s.kernelRejects).toBeGreaterThan(RUNS * 0.3);
    expect(s.kernelMessages.size).toBeGreaterThan(30);
    expect(s.messageAgree / s.bothReject).toBeGreaterThan(0.9);
    // Ratchet: the model walks the program as the kernel does (same pruning) on nearly all of them.
    expect(s.bothAccept).toBeGreaterThan(RUNS * 0.15);
    expect(s.processedAgree / s.bothAccept).toBeGreaterThanOrEqual(0.95);
    expect(s.processedMismatches).toHaveLength(s.bothAccept - s.processedAgree);
  }, 60_000);

  it('writes each common rejection with different error lines, replayable by seed and path', () => {
    // A stand-in model: the real one, with a changed error line on rejected programs of odd length.
    const dir = mkdtempSync(join(tmpdir(), 'fuzz-'));
    const maps = createFuzzMaps();
    try {
      const messagesOut = join(dir, 'messages.jsonl');
      const s = runFuzz({
        seed: 11, runs: 60, messagesOut,
        model: (t, bytes, m) => {
          const v = modelVerdict(t, bytes, m);
          return !v.ok && (bytes.length / 8) % 2 === 1 ? { ok: false, message: 'changed' } : v;
        },
      });
      const lines = readFileSync(messagesOut, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as MessageMismatchRecord);
      expect(lines.length).toBeGreaterThan(0);
      expect(lines.length).toBe(s.bothReject - s.messageAgree);
      const foldFds = (text: string[]): string[] => text.map((l) => l.replace(/fd:\d+/g, 'fd:N'));
      for (const d of lines) {
        expect(d.seed).toBe(11);
        expect(d.model).toBe('changed');
        expect((d.hex.length / 16) % 2).toBe(1);
        // Replaying the seed at the path gives the same program (the run's maps, and so their fds, are gone)...
        let replayed: GeneratedVerifierProgram | undefined;
        fc.check(fc.property(arbVerifierProgram(), (p) => { replayed = p; return true; }), { seed: d.seed, path: d.path, numRuns: 1 });
        expect(replayed!.type).toBe(d.type);
        const insns = resolveMaps(replayed!.instructions, maps, d.type);
        const bytes = encode(insns);
        expect(bytes.length).toBe(d.hex.length / 2);
        expect(foldFds(disassemble(insns).trimEnd().split('\n'))).toEqual(foldFds(d.disassembly));
        // ...and the kernel's line is what it says about it.
        expect(kernelVerdict(d.type, bytes)).toMatchObject({ ok: false, message: d.kernel });
      }
    } finally {
      maps.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  it('shrinks each disagreement and writes it as a JSON line', () => {
    // A stand-in "model" that rejects every program longer than 12 slots: the kernel accepts
    // many of those, and each disagreement shrinks towards a program just over 12 slots.
    const dir = mkdtempSync(join(tmpdir(), 'fuzz-'));
    try {
      const out = join(dir, 'dis.jsonl');
      const s = runFuzz({
        seed: 7, runs: 60, out, shrinkBudget: 150,
        model: (_t, bytes) => (bytes.length / 8 > 12 ? { ok: false, message: 'too long' } : { ok: true }),
      });
      const lines = readFileSync(out, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as DisagreementRecord);
      expect(s.programs - s.verdictAgree).toBeGreaterThan(0);
      expect(lines.length).toBe(s.disagreements.length);
      expect(lines.length).toBe(s.programs - s.verdictAgree);
      let before = 0;
      let after = 0;
      let shortest = Infinity;
      for (const d of lines) {
        expect(d.seed).toBe(7);
        expect(d.kernel.ok).not.toBe(d.model.ok);
        const slots = d.hex.length / 16;
        expect(d.disassembly.filter((l) => /^\d+: /.test(l)).length).toBe(decode(Buffer.from(d.hex, 'hex'), { validate: false }).length);
        if (d.kernel.ok) {
          before += d.originalSlots;
          after += slots;
          shortest = Math.min(shortest, slots);
        }
        // The disagreement survives shrinking: past 12 slots exactly when the kernel accepts.
        expect(slots > 12).toBe(d.kernel.ok);
      }
      // Shrinking simplifies the generated values, which mostly (not always) means fewer slots:
      // the "too long" ones come down towards the 13 slots where the stand-in starts to refuse.
      expect(after).toBeLessThan(before);
      expect(shortest).toBe(13);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});
