import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { kernelTestContext } from './kernel/privileged.js';

/**
 * The README's first program runs as written (against this checkout instead of the published
 * package) and prints what its comments say it prints: the README stays true.
 */
const root = fileURLToPath(new URL('..', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const snippet = /## A first program\s+```ts\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
const kernel = kernelTestContext('README first program');

/** `console.log(...); // expected` lines: the expected output, in order. */
function expectedOutput(code: string): string[] {
  return code.split('\n').flatMap((l) => {
    const m = /^\s*console\.log\(.*\);\s*\/\/\s*(.+)$/.exec(l);
    return m ? [m[1]!.trim()] : [];
  });
}

describe('README', () => {
  it('has a first program whose comments say what it prints', () => {
    expect(snippet).toMatch(/from 'ts-ebpf'/);
    expect(expectedOutput(snippet).length).toBeGreaterThanOrEqual(2);
  });

  it.skipIf(!kernel.ok)('its first program prints exactly that', () => {
    const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-readme-'));
    try {
      const file = join(dir, 'first.ts');
      const face = pathToFileURL(join(root, 'src/index.ts')).href;
      writeFileSync(file, snippet.replaceAll("from 'ts-ebpf'", `from '${face}'`));
      const r = spawnSync(process.execPath, ['--import', 'tsx', file], { cwd: root, encoding: 'utf8', timeout: 60_000 });
      expect(r.stderr).toBe('');
      expect(r.stdout.trim().split('\n')).toEqual(expectedOutput(snippet));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
