import { describe, expect, it } from 'vitest';
import { asm, R0, R1, R2, R10 } from '../../../src/asm/dsl/index.js';
import type { WritableRegister } from '../../../src/asm/dsl/index.js';
import { I, badInput, bare } from './util.js';

describe('atomic builders', () => {
  it('read-modify-write, with and without fetch, 32 and 64 bits', () => {
    const cases = [
      [asm.atomicAdd64, 0xdb, 0x00], [asm.atomicAdd32, 0xc3, 0x00],
      [asm.atomicOr64, 0xdb, 0x40], [asm.atomicOr32, 0xc3, 0x40],
      [asm.atomicAnd64, 0xdb, 0x50], [asm.atomicAnd32, 0xc3, 0x50],
      [asm.atomicXor64, 0xdb, 0xa0], [asm.atomicXor32, 0xc3, 0xa0],
      [asm.atomicFetchAdd64, 0xdb, 0x01], [asm.atomicFetchAdd32, 0xc3, 0x01],
      [asm.atomicFetchOr64, 0xdb, 0x41], [asm.atomicFetchOr32, 0xc3, 0x41],
      [asm.atomicFetchAnd64, 0xdb, 0x51], [asm.atomicFetchAnd32, 0xc3, 0x51],
      [asm.atomicFetchXor64, 0xdb, 0xa1], [asm.atomicFetchXor32, 0xc3, 0xa1],
      [asm.xchg64, 0xdb, 0xe1], [asm.xchg32, 0xc3, 0xe1],
      [asm.cmpxchg64, 0xdb, 0xf1], [asm.cmpxchg32, 0xc3, 0xf1],
    ] as const;
    for (const [op, code, imm] of cases) expect(bare(op(R1, -8, R2))).toEqual(I(code, 1, 2, -8, imm));
  });

  it('load-acquire and store-release of every size', () => {
    expect(bare(asm.loadAcquire('u64', R0, R1, 8))).toEqual(I(0xdb, 0, 1, 8, 0x100));
    expect(bare(asm.loadAcquire('u8', R0, R1, 0))).toEqual(I(0xd3, 0, 1, 0, 0x100));
    expect(bare(asm.storeRelease('u32', R1, 4, R2))).toEqual(I(0xc3, 1, 2, 4, 0x110));
    expect(bare(asm.storeRelease('u16', R10, -2, R2))).toEqual(I(0xcb, 10, 2, -2, 0x110));
  });

  it('the fetch forms write src, so src cannot be R10; the plain forms may read it', () => {
    expect(badInput(() => asm.atomicFetchAdd64(R1, 0, R10)).problem).toBe('atomicFetchAdd64: src cannot be r10, the read-only frame pointer');
    expect(badInput(() => asm.xchg32(R1, 0, R10)).problem).toMatch(/xchg32: src cannot be r10/);
    expect(bare(asm.atomicAdd64(R1, 0, R10))).toEqual(I(0xdb, 1, 10, 0, 0));
    expect(bare(asm.cmpxchg64(R1, 0, R10))).toEqual(I(0xdb, 1, 10, 0, 0xf1));
    expect(badInput(() => asm.loadAcquire('u32', R10 as unknown as WritableRegister, R1, 0)).problem).toMatch(/loadAcquire: dst cannot be r10/);
    expect(badInput(() => asm.atomicAdd32(R1, 1 << 16, R2)).problem).toMatch(/atomicAdd32: offset must be a signed 16-bit/);
  });
});
