import { describe, it, expect } from 'vitest';
import { readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { kernelTestContext } from './privileged.js';
import { createMap } from '../../src/maps/create.js';
import { u32, u64 } from '../../src/maps/codec.js';
import { Fd } from '../../src/loader/fd.js';

const kernel = kernelTestContext('map fd hygiene');
const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

describe.skipIf(!kernel.ok)('fd hygiene for maps', () => {
  it('creating and closing 5,000 maps leaves the open fd count unchanged', () => {
    const before = openFds();
    const seen = new Set<number>();
    for (let i = 0; i < 5000; i++) {
      const m = createMap({ type: i % 2 ? 'hash' : 'array', key: u32, value: u64, maxEntries: 4 });
      if (i % 50 === 0) {
        m.update(1, BigInt(i)); // also allocates and frees the map's scratch memory
        expect(m.lookup(1)).toBe(BigInt(i));
      }
      seen.add(m.fd);
      m.close();
    }
    expect(openFds()).toBe(before);
    expect(seen.size).toBeLessThan(10); // fd numbers are reused, i.e. really closed each time
  }, 60_000);

  it('an fd owner closes once, dup gives an independent fd, release hands ownership over', () => {
    const before = openFds();
    const m = createMap({ type: 'array', value: u32, maxEntries: 1 });
    const raw = new Fd(m.fd).dup();
    expect(raw.fd).not.toBe(m.fd);
    m.close();
    expect(readdirSync('/proc/self/fd').includes(String(raw.fd))).toBe(true);
    raw.close();
    raw.close();
    expect(String(raw)).toBe('Fd(closed)');
    expect(openFds()).toBe(before);
  });

  it('the finalization backstop closes maps that were dropped without close()', async () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const before = openFds();
    (() => {
      for (let i = 0; i < 200; i++) createMap({ type: 'array', value: u32, maxEntries: 1 }).update(0, i);
    })();
    expect(openFds()).toBe(before + 200);
    for (let i = 0; i < 50 && openFds() > before; i++) {
      gc();
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(openFds()).toBe(before);
  });

  it('never hands out fd 0: with stdin closed, a new map lands above 0', () => {
    const script = [
      "import { existsSync } from 'node:fs';",
      "const { createMap } = await import('./src/maps/create.ts');",
      "const { closeRaw } = await import('./src/loader/ffi.ts');",
      "createMap({ type: 'array', valueSize: 4, maxEntries: 1 }).close();", // loads everything first
      'const closed = closeRaw(0);', // libuv refuses to close fd 0 itself
      "const m = createMap({ type: 'array', valueSize: 4, maxEntries: 1 });",
      "console.log(JSON.stringify({ closed, fd: m.fd, zeroOpen: existsSync('/proc/self/fd/0') }));",
    ].join('\n');
    const r = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {
      cwd: repoRoot, encoding: 'utf8', timeout: 60_000,
    });
    expect(r.stderr).not.toMatch(/Error/);
    const out = JSON.parse(r.stdout.trim().split('\n').pop()!) as { closed: number; fd: number; zeroOpen: boolean };
    expect(out.closed).toBe(0);
    expect(out.fd).toBeGreaterThan(0);
    expect(out.zeroOpen).toBe(false); // the kernel's fd 0 was moved up and 0 closed again
  }, 60_000);
});
