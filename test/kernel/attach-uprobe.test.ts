import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { kernelTestContext } from './privileged.js';
import { ArrayMap, counterProgram } from './attach-helpers.js';
import {
  attachUprobe, attachUprobeMulti, attachUretprobe, resolveBinary, uprobeMultiLoadOptions, uprobeOffset,
} from '../../src/loader/attach/uprobe.js';

const kernel = kernelTestContext('attach: uprobes');
const KPROBE = 2;

const SOURCE = `
#include <stdlib.h>
#include <unistd.h>
__attribute__((noinline)) int ts_probe_a(int x) { __asm__ volatile(""); return x + 1; }
__attribute__((noinline)) int ts_probe_b(int x) { __asm__ volatile(""); return x * 2; }
int main(int argc, char **argv) {
  int n = atoi(argv[1]), m = atoi(argv[2]);
  volatile int s = 0;
  for (int i = 0; i < n; i++) s += ts_probe_a(i);
  for (int i = 0; i < m; i++) s += ts_probe_b(i);
  for (int i = 0; i < n; i++) s += getppid();
  return 0;
}
`;

let dir = '';
let bin = '';
let compileError = '';

beforeAll(() => {
  if (!kernel.ok) return;
  dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-uprobe-'));
  bin = join(dir, 'target');
  writeFileSync(join(dir, 'target.c'), SOURCE);
  try {
    execFileSync('cc', ['-O1', '-o', bin, join(dir, 'target.c')], { stdio: 'pipe' });
  } catch (e) {
    compileError = (e as Error).message;
  }
});

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

function run(n: number, m: number): void {
  execFileSync(bin, [String(n), String(m)]);
}

describe.skipIf(!kernel.ok)('uprobe attach', () => {
  it('has a target binary (needs a C compiler)', () => {
    expect(compileError).toBe('');
  });

  for (const method of ['link', 'ioctl'] as const) {
    it(`counts calls of a function by symbol (${method}), exactly, and stops after close`, () => {
      using map = new ArrayMap();
      using prog = counterProgram(KPROBE, map, 0);
      const link = attachUprobe(prog, bin, 'ts_probe_a', { method });
      try {
        expect(link.target).toBe(`${bin}:ts_probe_a`);
        run(5, 3);
        expect(map.get()).toBe(5n);
        run(2, 0);
        expect(map.get()).toBe(7n);
      } finally {
        link.close();
      }
      run(4, 4);
      expect(map.get()).toBe(7n);
    });
  }

  it('attaches by file offset and as a uretprobe', () => {
    using map = new ArrayMap(2);
    using entry = counterProgram(KPROBE, map, 0);
    const off = uprobeOffset(bin, 'ts_probe_b');
    expect(off).toBeGreaterThan(0n);
    using entryLink = attachUprobe(entry, bin, off);
    using r = attachUretprobe(entry, bin, 'ts_probe_b');
    expect(r.kind).toBe('uretprobe');
    expect(entryLink.kind).toBe('uprobe');
    run(1, 6);
    // entry + return, both counted in slot 0
    expect(map.get()).toBe(12n);
  });

  it('counts a libc function called by a child (getppid)', () => {
    const libc = resolveBinary('libc');
    expect(libc).toMatch(/libc\.so/);
    using map = new ArrayMap();
    using prog = counterProgram(KPROBE, map, 0);
    const link = attachUprobe(prog, 'libc', 'getppid');
    try {
      run(9, 0);
      expect(map.get()).toBeGreaterThanOrEqual(9n);
    } finally {
      link.close();
    }
    const after = map.get();
    run(9, 0);
    expect(map.get()).toBe(after);
  });

  it('filters by pid: only this process\'s getppid calls count', () => {
    using map = new ArrayMap();
    using prog = counterProgram(KPROBE, map, 0);
    using link = attachUprobe(prog, 'libc', 'getppid', { pid: process.pid });
    run(9, 0); // another process: not counted
    let ppid = 0;
    for (let i = 0; i < 6; i++) ppid += process.ppid; // node calls getppid() each time
    expect(ppid).toBeGreaterThan(0);
    expect(map.get()).toBe(6n);
    expect(link.kind).toBe('uprobe');
  });

  for (const retprobe of [false, true]) {
    it(`uprobe_multi on two symbols in one link${retprobe ? ' (returns)' : ''}`, () => {
      using map = new ArrayMap();
      using prog = counterProgram(uprobeMultiLoadOptions.type, map, 0, uprobeMultiLoadOptions);
      const link = attachUprobeMulti(prog, bin, ['ts_probe_a', 'ts_probe_b'], { retprobe });
      try {
        expect(link.info().typeName).toBe('uprobe_multi');
        run(3, 4);
        expect(map.get()).toBe(7n);
      } finally {
        link.close();
      }
      run(3, 4);
      expect(map.get()).toBe(7n);
    });
  }

  it('names an unknown symbol', () => {
    using map = new ArrayMap();
    using prog = counterProgram(KPROBE, map, 0);
    expect(() => attachUprobe(prog, bin, 'ts_probe_missing')).toThrow(/symbol ts_probe_missing not found/);
  });
});
