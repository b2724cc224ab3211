import { execFileSync } from 'node:child_process';
import { readFileSync, existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addressToFileOffset, readElf, symbolFileOffset } from '../../src/elf/symbols.js';
import { isBadInputError } from '../../src/errors.js';

const libc = ['/lib/x86_64-linux-gnu/libc.so.6', '/lib/aarch64-linux-gnu/libc.so.6', '/usr/lib/libc.so.6']
  .find((p) => existsSync(p));
let readelf = false;
try { execFileSync('readelf', ['--version']); readelf = true; } catch { /* absent */ }
if (!libc || !readelf) console.log(`elf tests: skipped (${!libc ? 'no libc.so.6 found' : 'readelf not installed'})`);

describe.skipIf(!libc || !readelf)('readElf against readelf', () => {
  const bytes = new Uint8Array(readFileSync(libc!));
  const elf = readElf(bytes);

  it('finds every dynamic FUNC symbol at the address readelf prints', () => {
    const out = execFileSync('readelf', ['-W', '--dyn-syms', libc!], { encoding: 'utf8', maxBuffer: 64 << 20 });
    const expected = new Map<string, bigint>();
    for (const line of out.split('\n')) {
      const m = /^\s*\d+:\s+([0-9a-f]+)\s+\d+\s+FUNC\s+\S+\s+\S+\s+(\d+)\s+([^@\s]+)/.exec(line);
      if (m) expected.set(m[3]!, BigInt('0x' + m[1]));
    }
    expect(expected.size).toBeGreaterThan(500);
    const got = new Map(elf.symbols.filter((s) => s.type === 2).map((s) => [s.name, s.address]));
    for (const [name, addr] of expected) expect(got.get(name), name).toBe(addr);
  });

  it('maps addresses to file offsets through the PT_LOAD segments', () => {
    const out = execFileSync('readelf', ['-W', '-l', libc!], { encoding: 'utf8' });
    const loads = [...out.matchAll(/LOAD\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)/g)];
    expect(elf.segments.length).toBe(loads.length);
    for (const [i, m] of loads.entries()) {
      expect(elf.segments[i]!.offset).toBe(BigInt('0x' + m[1]));
      expect(elf.segments[i]!.vaddr).toBe(BigInt('0x' + m[2]));
    }
    const getpid = elf.symbols.find((s) => s.name === 'getpid')!;
    expect(symbolFileOffset(elf, 'getpid')).toBe(addressToFileOffset(elf, getpid.address));
  });

  it('names near matches when a symbol is missing', () => {
    try {
      symbolFileOffset(elf, 'mallo');
      expect.unreachable();
    } catch (e) {
      expect(isBadInputError(e)).toBe(true);
      expect(String(e)).toMatch(/symbol mallo not found \(did you mean .*malloc/);
    }
  });
});

describe('readElf on bad input', () => {
  it('rejects non-ELF bytes and truncated headers with a clear error', () => {
    expect(() => readElf(new Uint8Array(100))).toThrow(/not an ELF file/);
    const hdr = new Uint8Array(64);
    hdr.set([0x7f, 0x45, 0x4c, 0x46, 2, 1]);
    new DataView(hdr.buffer).setBigUint64(40, 1000n, true); // shoff past the end
    new DataView(hdr.buffer).setUint16(60, 1, true); // one section
    expect(() => readElf(hdr)).toThrow(/section header 0 lies outside the file/);
  });
});
