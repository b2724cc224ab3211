import { describe, expect, it } from 'vitest';
import { asm, R0, R1, R2, R6, R10 } from '../../../src/asm/dsl/index.js';
import type { WritableRegister } from '../../../src/asm/dsl/index.js';
import { I, badInput, bare } from './util.js';

describe('load and store builders', () => {
  it('ldx by size name and shorthand', () => {
    expect(bare(asm.ldx('u32', R0, R1, 4))).toEqual(I(0x61, 0, 1, 4, 0));
    expect(bare(asm.ldx('u16', R0, R1, -2))).toEqual(I(0x69, 0, 1, -2, 0));
    expect(bare(asm.ldx('u8', R0, R10, -1))).toEqual(I(0x71, 0, 10, -1, 0));
    expect(bare(asm.ldx('u64', R0, R1, 8))).toEqual(I(0x79, 0, 1, 8, 0));
    expect(bare(asm.ldxw(R0, R1, 4))).toEqual(bare(asm.ldx('u32', R0, R1, 4)));
    expect(bare(asm.ldxb(R2, R1, 0))).toEqual(I(0x71, 2, 1, 0, 0));
    expect(bare(asm.ldxh(R2, R1, 0))).toEqual(I(0x69, 2, 1, 0, 0));
    expect(bare(asm.ldxdw(R2, R1, 0))).toEqual(I(0x79, 2, 1, 0, 0));
  });

  it('sign-extending loads', () => {
    expect(bare(asm.ldxsx('s8', R0, R1, 0))).toEqual(I(0x91, 0, 1, 0, 0));
    expect(bare(asm.ldxsx('s16', R0, R1, 2))).toEqual(I(0x89, 0, 1, 2, 0));
    expect(bare(asm.ldxsx('s32', R0, R1, 4))).toEqual(I(0x81, 0, 1, 4, 0));
  });

  it('st and stx', () => {
    expect(bare(asm.st('u32', R10, -4, 0))).toEqual(I(0x62, 10, 0, -4, 0));
    expect(bare(asm.st('u16', R10, -2, 0xffff))).toEqual(I(0x6a, 10, 0, -2, 0xffff));
    expect(bare(asm.st('u8', R10, -1, 7))).toEqual(I(0x72, 10, 0, -1, 7));
    expect(bare(asm.st('u64', R10, -8, -1))).toEqual(I(0x7a, 10, 0, -8, -1));
    expect(bare(asm.st('u32', R10, -4, 0xffff_ffff))).toEqual(I(0x62, 10, 0, -4, -1));
    expect(bare(asm.stx('u64', R10, -8, R1))).toEqual(I(0x7b, 10, 1, -8, 0));
    expect(bare(asm.stx('u32', R1, 0, R10))).toEqual(I(0x63, 1, 10, 0, 0));
    expect(bare(asm.stxb(R1, 1, R2))).toEqual(I(0x73, 1, 2, 1, 0));
    expect(bare(asm.stxh(R1, 1, R2))).toEqual(I(0x6b, 1, 2, 1, 0));
    expect(bare(asm.stxw(R1, 1, R2))).toEqual(I(0x63, 1, 2, 1, 0));
    expect(bare(asm.stxdw(R1, 1, R2))).toEqual(I(0x7b, 1, 2, 1, 0));
  });

  it('legacy packet loads', () => {
    expect(bare(asm.ldAbs('u8', 23))).toEqual(I(0x30, 0, 0, 0, 23));
    expect(bare(asm.ldAbs('u16', 12))).toEqual(I(0x28, 0, 0, 0, 12));
    expect(bare(asm.ldAbs('u32', 0))).toEqual(I(0x20, 0, 0, 0, 0));
    expect(bare(asm.ldInd('u32', R6, 4))).toEqual(I(0x40, 0, 6, 0, 4));
    expect(bare(asm.ldInd('u8', R2, -1))).toEqual(I(0x50, 0, 2, 0, -1));
  });

  it('rejects bad sizes, offsets and registers', () => {
    expect(badInput(() => asm.ldx('u128' as 'u8', R0, R1, 0)).problem)
      .toBe("ldx: size must be 'u8', 'u16', 'u32', 'u64', got \"u128\"");
    expect(badInput(() => asm.ldxsx('s64' as 's8', R0, R1, 0)).problem).toMatch(/ldxsx: size must be 's8', 's16', 's32'/);
    expect(badInput(() => asm.ldAbs('u64' as 'u8', 0)).problem).toMatch(/ldAbs: size must be 'u8', 'u16', 'u32', got "u64"/);
    expect(badInput(() => asm.ldx('u32', R0, R1, 0x8000)).problem).toBe('ldx: offset must be a signed 16-bit integer (-32768..32767), got 32768');
    expect(badInput(() => asm.ldx('u32', R10 as unknown as WritableRegister, R1, 0)).problem).toMatch(/ldx: dst cannot be r10/);
    expect(badInput(() => asm.st('u64', R10, -8, 0xffff_ffff)).problem).toMatch(/st: immediate must be a signed 32-bit/);
    expect(badInput(() => asm.stx('u32', R10, -4, 1 as unknown as typeof R1)).problem).toBe('stx: src must be a register R0-R10, got 1');
  });
});
