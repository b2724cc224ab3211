import { describe, it, expect } from 'vitest';
import { constants } from 'node:os';
import { Errno, errnoHint, errnoName, syscallError } from '../../src/loader/errno.js';
import { isBpfSyscallError } from '../../src/errors.js';

describe('errno names', () => {
  it('agree with the platform numbers Node knows, plus the kernel-internal ENOTSUPP', () => {
    if (process.platform === 'linux') {
      for (const [name, n] of Object.entries(Errno)) {
        const node = (constants.errno as Record<string, number>)[name];
        if (node !== undefined) expect([name, n]).toEqual([name, node]);
      }
    }
    expect(errnoName(524)).toBe('ENOTSUPP');
    expect(errnoName(95)).toBe('EOPNOTSUPP');
    expect(errnoName(7)).toBe('E2BIG');
    expect(errnoName(4242)).toBe('errno 4242');
  });

  it('hints per command first, then per errno', () => {
    expect(errnoHint('BPF_MAP_UPDATE_ELEM', Errno.EEXIST)).toMatch(/BPF_NOEXIST/);
    expect(errnoHint('BPF_MAP_UPDATE_ELEM', Errno.E2BIG)).toMatch(/full/);
    expect(errnoHint('BPF_MAP_CREATE', Errno.EPERM)).toMatch(/CAP_BPF/);
    expect(errnoHint('anything', Errno.EPERM)).toMatch(/CAP_PERFMON/);
    expect(errnoHint('anything', Errno.EPERM)).toMatch(/RLIMIT_MEMLOCK/);
    expect(errnoHint('anything', Errno.ERANGE)).toBeUndefined();
  });

  it('builds BpfSyscallError with command, errno, code and hint', () => {
    const e = syscallError('BPF_MAP_CREATE', 22);
    expect(isBpfSyscallError(e)).toBe(true);
    expect([e.command, e.errno, e.code]).toEqual(['BPF_MAP_CREATE', 22, 'EINVAL']);
    expect(e.message).toMatch(/^BPF_MAP_CREATE failed: EINVAL \(errno 22\): /);
    expect(syscallError('close', 9, 'custom').hint).toBe('custom');
  });
});
