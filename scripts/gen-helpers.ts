/**
 * `npx tsx scripts/gen-helpers.ts KERNEL_TREE [--config FILE] [--out FILE]`: generates
 * src/asm/helpers-table.ts, the one table of kernel helpers, from a Linux source tree (a
 * checked-out directory or a bare git dir, read at HEAD). `--config` is a kernel .config (or
 * config.gz) deciding `#ifdef CONFIG_*`; without it every option counts as built in.
 * Only derived data is written; no kernel text is copied.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { generate } from './gen-helpers/generate.js';

const argv = process.argv.slice(2);
const opt = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv.splice(i, 2)[1] : undefined;
};
const configFile = opt('--config');
const outArg = opt('--out');
const root = argv[0];
if (!root) {
  console.error('usage: npx tsx scripts/gen-helpers.ts KERNEL_TREE [--config FILE] [--out FILE]');
  process.exit(2);
}
const here = path.dirname(fileURLToPath(import.meta.url));
const out = outArg ?? path.resolve(here, '../src/asm/helpers-table.ts');
const { text, summary } = generate(root, configFile);
writeFileSync(out, text);
console.log(`${out}: ${summary}`);
