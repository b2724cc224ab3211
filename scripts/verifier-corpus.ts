/**
 * `npm run verifier:corpus -- FILE [--json] [--v1]`: runs the verifier model over a corpus of
 * kernel-labelled tests and prints verdict, first-error-line and processed-count agreement.
 */
import { readCorpus, runCorpus, ratio, V1_TYPES } from '../test/verifier/corpus-runner.js';

const args = process.argv.slice(2);
const json = args.includes('--json');
const onlyV1 = args.includes('--v1');
const file = args.find((a) => !a.startsWith('--'));
if (!file) {
  console.error('usage: npm run verifier:corpus -- FILE [--json] [--v1]');
  process.exit(2);
}
const t0 = performance.now();
const sum = runCorpus(readCorpus(file), onlyV1 ? (r) => V1_TYPES.has(r.prog_type_name) : undefined);
const ms = performance.now() - t0;
if (json) {
  console.log(JSON.stringify({ file, ms: Math.round(ms), ...sum }));
} else {
  console.log(`corpus ${file}: ${sum.records} records, ${sum.labelled} labelled, ${(ms / 1000).toFixed(1)} s`);
  console.log(`verdict agreement, all:          ${ratio(sum.verdict)}`);
  console.log(`verdict agreement, v1 types:     ${ratio(sum.verdictV1)}`);
  console.log(`verdict agreement, other types:  ${ratio(sum.verdictOther)}`);
  console.log(`first-error line, v1 rejects:    ${ratio(sum.firstErrorV1)}`);
  console.log(`first-error line, all rejects:   ${ratio(sum.firstError)}`);
  console.log(`processed count, v1 agreed:      ${ratio(sum.processedV1)}`);
  console.log(`"not modelled" rejections:       ${sum.notModelled}`);
}
