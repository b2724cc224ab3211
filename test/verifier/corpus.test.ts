import { describe, it, expect } from 'vitest';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readCorpus, runCorpus, ratio } from './corpus-runner.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const file = path.resolve(repoRoot, '../shared/corpus/kernel-verifier-6.1/tests.jsonl');
const largeFile = path.resolve(repoRoot, '../shared/corpus/kernel-verifier-6.1/tests-large.jsonl.gz');
const present = existsSync(file);
if (!present) console.log(`skipping verifier corpus: ${file} not found`);
const largePresent = existsSync(largeFile);
if (!largePresent) console.log(`skipping large verifier corpus: ${largeFile} not found`);

// Ratchet: the figures the model reached on this corpus. Raise them when the model improves;
// a drop means a regression.
const FLOOR = { verdictV1: 1210, firstErrorV1: 532, processedV1: 1197, verdictOther: 117 };

describe.skipIf(!present)('verifier model vs Linux 6.18 on the 6.1 test_verifier corpus', () => {
  it('keeps verdict, first-error and processed-count agreement at or above the ratchet', () => {
    const sum = runCorpus(readCorpus(file));
    console.log(`verdict v1 ${ratio(sum.verdictV1)}, other ${ratio(sum.verdictOther)}; ` +
      `first error v1 ${ratio(sum.firstErrorV1)}; processed v1 ${ratio(sum.processedV1)}`);
    expect(sum.verdictV1.total).toBe(1212);
    expect(sum.verdictV1.agree).toBeGreaterThanOrEqual(FLOOR.verdictV1);
    expect(sum.firstErrorV1.agree).toBeGreaterThanOrEqual(FLOOR.firstErrorV1);
    expect(sum.processedV1.agree).toBeGreaterThanOrEqual(FLOOR.processedV1);
    expect(sum.verdictOther.agree).toBeGreaterThanOrEqual(FLOOR.verdictOther);
    // The bars of issue 5.
    expect(sum.verdictV1.agree / sum.verdictV1.total).toBeGreaterThanOrEqual(0.95);
    expect(sum.firstErrorV1.agree / sum.firstErrorV1.total).toBeGreaterThanOrEqual(0.8);
  }, 300_000);
});

describe.skipIf(!largePresent)('verifier model on the million-instruction programs', () => {
  it('agrees with the kernel on verdicts and processed counts', () => {
    const sum = runCorpus(readCorpus(largeFile));
    expect(sum.verdict).toEqual({ agree: 3, total: 3 });
    expect(sum.processedV1).toEqual({ agree: 3, total: 3 });
  }, 300_000);
});
