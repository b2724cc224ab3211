import { describe, it, expect } from 'vitest';
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { loadProgram } from '../../src/loader/program.js';
import { isVerifierError } from '../../src/errors.js';
import { canUseBpf, skipReason, MOV64_IMM, EXIT, I, fdCount } from './program-helpers.js';

describe.skipIf(!canUseBpf)(`program fd hygiene${skipReason}`, () => {
  it('loads and closes 5,000 programs without leaking an fd', () => {
    const before = fdCount();
    const ids = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const p = loadProgram({ type: 'socket_filter', instructions: [MOV64_IMM(0, i), EXIT] });
      ids.add(p.id);
      if (i % 1000 === 0) expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(i);
      p.close();
    }
    expect(ids.size).toBe(5000);
    expect(fdCount()).toBe(before);
  }, 120_000);

  it('leaks nothing when the verifier refuses, nor for maps created from specs', () => {
    const before = fdCount();
    for (let i = 0; i < 200; i++) {
      let err: unknown;
      try {
        loadProgram({
          type: 'socket_filter',
          instructions: [I(0xbf, 0, 2), EXIT], // r0 = r2: R2 !read_ok
          maps: { unused: { type: 2, keySize: 4, valueSize: 8, maxEntries: 1 } },
        });
      } catch (e) { err = e; }
      expect(isVerifierError(err)).toBe(true);
    }
    expect(fdCount()).toBe(before);
  });

  it('using closes the program at the end of the block', () => {
    const before = fdCount();
    {
      using p = loadProgram({ type: 'socket_filter', instructions: [MOV64_IMM(0, 1), EXIT] });
      expect(fdCount()).toBe(before + 1);
      expect(p.closed).toBe(false);
    }
    expect(fdCount()).toBe(before);
  });
});

describe.skipIf(!canUseBpf)(`finalization backstop${skipReason}`, () => {
  it('closes the fds of programs (and their maps) dropped without close()', () => {
    const script = fileURLToPath(new URL('./fixtures/drop-programs.ts', import.meta.url));
    const out = execFileSync(process.execPath, ['--expose-gc', '--import', 'tsx', script], {
      encoding: 'utf8', cwd: fileURLToPath(new URL('../..', import.meta.url)),
    });
    const { before, loaded, after } = JSON.parse(out.trim().split('\n').pop()!) as Record<string, number>;
    // 100 programs and 100 maps were open (a collection may already have run during the loop).
    expect(loaded).toBeGreaterThan(before + 150);
    expect(after).toBe(before);
  }, 60_000);
});
