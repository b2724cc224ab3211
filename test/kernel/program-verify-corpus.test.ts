import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadProgram } from '../../src/loader/program.js';
import { verify } from '../../src/verifier/verify.js';
import { possibleCpus } from '../../src/loader/platform.js';
import { isModelDisagreementError, isVerifierError } from '../../src/errors.js';
import { corpusPrograms } from '../../bench/verifier/programs.js';
import { sharedDir } from '../corpus.js';
import { canUseBpf, fdCount, skipReason } from './program-helpers.js';

const file = resolve(sharedDir() ?? '/nonexistent', 'corpus/kernel-verifier-6.1/tests.jsonl');
const haveCorpus = existsSync(file);

// loadProgram({ verify }) over the kernel-verifier corpus, as raw bytes with real map fds: the model
// learns each map's shape from the kernel by its fd. Each outcome must follow from the two verdicts.
describe.skipIf(!canUseBpf || !haveCorpus)(`loadProgram verify over the corpus${skipReason}${haveCorpus ? '' : ' (skipped: no corpus)'}`, () => {
  it('every record: the outcome is the one the model\'s and the kernel\'s verdicts call for', () => {
    const { programs } = corpusPrograms(file);
    const nrCpus = possibleCpus();
    const tally = { bothAccept: 0, bothReject: 0, modelOnlyRejects: 0, kernelOnlyRejects: 0 };
    const before = fdCount();
    let checked = 0;
    for (const p of programs) {
      // The few programs that take the kernel over 10k instructions are the bench's business.
      if (p.label?.processed !== undefined && p.label.processed > 10_000) continue;
      const prep = p.prepare();
      try {
        // From raw bytes the loader knows each map from the kernel's info, which does not describe a
        // map-in-map's inner map: those programs are "not modelled" before the model runs.
        const innerUnknown = Object.values(prep.maps).some((m) => m.type === 12 || m.type === 13);
        const alone = innerUnknown
          ? { ok: false, processed: 0, error: { insn: -1, message: expect.stringMatching(/^not modelled: the inner map of map fd \d+ is unknown/) as unknown as string } }
          : verify(prep.bytes, { type: p.progType, expectedAttachType: p.expectedAttachType, maps: prep.maps, progFlags: p.progFlags, nrCpus });
        let outcome: unknown;
        try {
          outcome = loadProgram({ type: p.progType, instructions: prep.bytes, expectedAttachType: p.expectedAttachType,
            flags: p.progFlags, verify: true });
        } catch (e) {
          outcome = e;
        }
        const kernelAccepts = p.label!.accepted;
        if (kernelAccepts) {
          expect(outcome, p.id).toHaveProperty('fd');
          const prog = outcome as ReturnType<typeof loadProgram>;
          expect(prog.model?.result.ok, p.id).toBe(alone.ok);
          expect(prog.model?.result.processed, p.id).toBe(alone.processed);
          if (alone.ok) {
            expect(prog.model?.disagreement, p.id).toBeUndefined();
            tally.bothAccept++;
          } else {
            expect(prog.model?.disagreement?.model.message, p.id).toEqual(alone.error?.message);
            expect(prog.model?.disagreement?.kernel.processed, p.id).toBe(prog.info().verifiedInsns);
            tally.modelOnlyRejects++;
          }
          prog.close();
        } else if (alone.ok) {
          expect(isModelDisagreementError(outcome), p.id).toBe(true);
          expect(isVerifierError((outcome as Error).cause), p.id).toBe(true);
          tally.kernelOnlyRejects++;
        } else {
          expect(isVerifierError(outcome), p.id).toBe(true);
          expect((outcome as { model?: { message?: string } }).model?.message, p.id).toEqual(alone.error?.message);
          tally.bothReject++;
        }
        checked++;
      } finally {
        prep.close();
      }
    }
    expect(fdCount()).toBe(before);
    expect(checked).toBeGreaterThan(1000);
    console.log(`loadProgram verify over ${checked} corpus programs: ${JSON.stringify(tally)}`);
  }, 120_000);
});
