import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { X86_64_SYSCALLS, syscallName, syscallNumber } from '../../src/loader/syscall-names.js';

const header = '/usr/include/x86_64-linux-gnu/asm/unistd_64.h';

describe('x86-64 syscall names', () => {
  it('knows the anchors and falls back to syscall_<n>', () => {
    expect(syscallName(0, 'x64')).toBe('read');
    expect(syscallName(59, 'x64')).toBe('execve');
    expect(syscallName(321, 'x64')).toBe('bpf');
    expect(syscallName(335, 'x64')).toBe('uretprobe'); // newer than 6.1's header
    expect(syscallName(400, 'x64')).toBe('syscall_400'); // a hole in the table
    expect(syscallName(59, 'arm64')).toBe('syscall_59');
    expect(syscallNumber('openat', 'x64')).toBe(257);
    expect(syscallNumber('nope', 'x64')).toBeUndefined();
  });

  it.skipIf(!existsSync(header))('agrees with the system uapi header on every syscall it lists', () => {
    const defs = [...readFileSync(header, 'utf8').matchAll(/#define __NR_(\w+) (\d+)/g)];
    expect(defs.length).toBeGreaterThan(300);
    for (const [, name, nr] of defs) expect(X86_64_SYSCALLS[Number(nr)], name).toBe(name);
  });
});
