/**
 * Test helpers for the shared corpora: where `../shared` is, and reading bpf_conformance `.data`
 * files (upstream's bpf_test_parser.cc rules, see the corpus README).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');

/** `../shared` next to the repository, or undefined when absent (tests then skip). */
export function sharedDir(): string | undefined {
  const dir = resolve(repoRoot, '../shared');
  return existsSync(dir) ? dir : undefined;
}

/** One bpf_conformance `.data` file, by section. */
export interface ConformanceFile {
  /** `-- asm` text (uBPF dialect), `#` comments removed, one instruction a line. */
  readonly asm: string;
  /** `-- raw` tokens when the section exists (lddw.data: 64-bit words; negative/unused-*: bytes). */
  readonly raw: readonly string[] | undefined;
  /** `-- mem` bytes. */
  readonly mem: Uint8Array;
  /** `-- result`: the expected 64-bit r0 (last line counts), when present. */
  readonly result: bigint | undefined;
  /** `-- error` text when the section exists (empty: "must be rejected"). */
  readonly error: string | undefined;
}

type Section = 'asm' | 'result' | 'mem' | 'raw' | 'ignored' | 'error';

function sectionOf(line: string): Section | undefined {
  // Upstream tests these substrings in this order.
  if (line.includes('asm')) return 'asm';
  if (line.includes('result')) return 'result';
  if (line.includes('mem')) return 'mem';
  if (line.includes('raw')) return 'raw';
  if (line.includes('no register offset')) return 'ignored';
  if (line.includes(' c')) return 'ignored';
  if (line.includes('error')) return 'error';
  return undefined;
}

/** Parses `.data` text; undefined for an unknown `--` directive (upstream drops such a file). */
export function parseConformanceText(text: string): ConformanceFile | undefined {
  const parts: Record<Section, string[]> = { asm: [], result: [], mem: [], raw: [], ignored: [], error: [] };
  const seen = new Set<Section>();
  let current: Section | undefined;
  for (let line of text.split('\n')) {
    line = line.replace(/\r$/, '');
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    if (line.includes('--')) {
      current = sectionOf(line);
      if (current === undefined) return undefined;
      seen.add(current);
      continue;
    }
    if (line.trim() === '' || current === undefined) continue;
    parts[current].push(line.trim());
  }
  const last = parts.result[parts.result.length - 1];
  let result: bigint | undefined;
  if (last !== undefined) result = BigInt.asUintN(64, BigInt(last.includes('0x') ? last.slice(last.indexOf('0x')) : last));
  return {
    asm: parts.asm.join('\n'),
    raw: seen.has('raw') ? parts.raw.join(' ').split(/\s+/).filter(Boolean) : undefined,
    mem: Uint8Array.from(parts.mem.join(' ').split(/\s+/).filter(Boolean).map((h) => parseInt(h, 16))),
    result,
    error: seen.has('error') ? parts.error.join('\n') : undefined,
  };
}

/** Reads one `.data` file (see {@link parseConformanceText}). */
export function readConformanceFile(path: string): ConformanceFile | undefined {
  return parseConformanceText(readFileSync(path, 'utf8'));
}
