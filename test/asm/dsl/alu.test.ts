import { describe, expect, it } from 'vitest';
import { asm, R0, R1, R2, R9, R10 } from '../../../src/asm/dsl/index.js';
import type { WritableRegister } from '../../../src/asm/dsl/index.js';
import { I, badInput, bare } from './util.js';

describe('ALU builders', () => {
  it('immediate and register forms, 64 and 32 bits', () => {
    expect(bare(asm.add64(R1, 5))).toEqual(I(0x07, 1, 0, 0, 5));
    expect(bare(asm.add64(R1, R2))).toEqual(I(0x0f, 1, 2, 0, 0));
    expect(bare(asm.add32(R1, -3))).toEqual(I(0x04, 1, 0, 0, -3));
    expect(bare(asm.add32(R1, R2))).toEqual(I(0x0c, 1, 2, 0, 0));
    expect(bare(asm.sub64(R9, R0))).toEqual(I(0x1f, 9, 0, 0, 0));
    expect(bare(asm.mul64(R1, 7))).toEqual(I(0x27, 1, 0, 0, 7));
    expect(bare(asm.div64(R1, 3))).toEqual(I(0x37, 1, 0, 0, 3));
    expect(bare(asm.or32(R1, 0x10))).toEqual(I(0x44, 1, 0, 0, 0x10));
    expect(bare(asm.and64(R1, R2))).toEqual(I(0x5f, 1, 2, 0, 0));
    expect(bare(asm.lsh64(R1, 63))).toEqual(I(0x67, 1, 0, 0, 63));
    expect(bare(asm.rsh32(R1, 31))).toEqual(I(0x74, 1, 0, 0, 31));
    expect(bare(asm.mod64(R1, R2))).toEqual(I(0x9f, 1, 2, 0, 0));
    expect(bare(asm.xor64(R1, R1))).toEqual(I(0xaf, 1, 1, 0, 0));
    expect(bare(asm.mov64(R0, 0))).toEqual(I(0xb7, 0, 0, 0, 0));
    expect(bare(asm.mov64(R0, R10))).toEqual(I(0xbf, 0, 10, 0, 0));
    expect(bare(asm.mov32(R0, R1))).toEqual(I(0xbc, 0, 1, 0, 0));
    expect(bare(asm.arsh64(R1, 4))).toEqual(I(0xc7, 1, 0, 0, 4));
  });

  it('signed division and modulo set off=1', () => {
    expect(bare(asm.sdiv64(R1, 3))).toEqual(I(0x37, 1, 0, 1, 3));
    expect(bare(asm.sdiv32(R1, R2))).toEqual(I(0x3c, 1, 2, 1, 0));
    expect(bare(asm.smod64(R1, R2))).toEqual(I(0x9f, 1, 2, 1, 0));
    expect(bare(asm.smod32(R1, -5))).toEqual(I(0x94, 1, 0, 1, -5));
  });

  it('32-bit immediates accept the unsigned spelling; 64-bit ones do not', () => {
    expect(bare(asm.mov32(R1, 0xffff_ffff))).toEqual(I(0xb4, 1, 0, 0, -1));
    expect(bare(asm.and32(R1, 0x8000_0000))).toEqual(I(0x54, 1, 0, 0, -0x8000_0000));
    expect(badInput(() => asm.mov64(R1, 0xffff_ffff)).message).toMatch(/mov64: immediate must be a signed 32-bit.*lddw/);
    expect(badInput(() => asm.add32(R1, 0x1_0000_0000)).problem).toMatch(/add32: immediate must be/);
  });

  it('neg, movsx, byte swaps, addr_space_cast', () => {
    expect(bare(asm.neg64(R1))).toEqual(I(0x87, 1, 0, 0, 0));
    expect(bare(asm.neg32(R2))).toEqual(I(0x84, 2, 0, 0, 0));
    expect(bare(asm.movsx64(R1, R2, 8))).toEqual(I(0xbf, 1, 2, 8, 0));
    expect(bare(asm.movsx64(R1, R2, 32))).toEqual(I(0xbf, 1, 2, 32, 0));
    expect(bare(asm.movsx32(R1, R2, 16))).toEqual(I(0xbc, 1, 2, 16, 0));
    expect(bare(asm.bswap(R1, 64))).toEqual(I(0xd7, 1, 0, 0, 64));
    expect(bare(asm.toLe(R1, 16))).toEqual(I(0xd4, 1, 0, 0, 16));
    expect(bare(asm.toBe(R1, 32))).toEqual(I(0xdc, 1, 0, 0, 32));
    expect(bare(asm.addrSpaceCast(R1, R2, 0, 1))).toEqual(I(0xbf, 1, 2, 1, 1));
    expect(bare(asm.addrSpaceCast(R1, R2, 1, 0))).toEqual(I(0xbf, 1, 2, 1, 0x10000));
  });

  it('rejects bad operands with the builder name', () => {
    expect(badInput(() => asm.add64(R10 as unknown as WritableRegister, 1)).problem)
      .toBe('add64: dst cannot be r10, the read-only frame pointer');
    expect(badInput(() => asm.add64(1 as unknown as WritableRegister, 1)).problem)
      .toBe('add64: dst must be a register R0-R10, got 1');
    expect(badInput(() => asm.add64(R1, 1.5)).problem).toMatch(/add64: immediate must be/);
    expect(badInput(() => asm.add64(R1, 5n as unknown as number)).problem).toMatch(/bigint 5n/);
    expect(badInput(() => asm.add64(R1, 'x' as unknown as number)).problem).toMatch(/got "x"/);
    expect(badInput(() => asm.lsh64(R1, 64)).problem).toBe('lsh64: shift by 64 is out of range 0..63');
    expect(badInput(() => asm.rsh32(R1, 32)).problem).toBe('rsh32: shift by 32 is out of range 0..31');
    expect(badInput(() => asm.arsh64(R1, -1)).problem).toMatch(/shift by -1/);
    expect(badInput(() => asm.div64(R1, 0)).problem).toBe('div64: division by the immediate 0');
    expect(badInput(() => asm.smod32(R1, 0)).problem).toBe('smod32: division by the immediate 0');
    expect(badInput(() => asm.movsx64(R1, R2, 64 as 8)).problem).toBe('movsx64: bits must be 8, 16, 32, got 64');
    expect(badInput(() => asm.movsx32(R1, R2, 32 as 8)).problem).toBe('movsx32: bits must be 8, 16, got 32');
    expect(badInput(() => asm.bswap(R1, 8 as 16)).problem).toBe('bswap: bits must be 16, 32 or 64, got 8');
    expect(badInput(() => asm.addrSpaceCast(R1, R2, 1, 1)).problem).toMatch(/only casts between address spaces 1 and 0/);
    expect(badInput(() => asm.neg64(R10 as unknown as WritableRegister)).problem).toMatch(/neg64: dst cannot be r10/);
  });

  it('R10 is not a WritableRegister at the type level', () => {
    // @ts-expect-error R10 is the read-only frame pointer
    expect(() => asm.mov64(R10, 0)).toThrow(/r10/);
  });
});
