import { describe, it, expect } from 'vitest';
import { newKnown, newScalar, markKnown } from '../../../src/verifier/domains/scalar.js';
import { scalarAlu, coerceRegToSize } from '../../../src/verifier/domains/alu.js';
import { hex64, scalarRangesStr, scalarStr, snumStr, tnumStr, unumStr } from '../../../src/verifier/domains/format.js';

// Expected strings are copied from Linux 6.18 verifier logs (log_level 2) of the same operations.
const imm = (v: number): Uint32Array => newKnown(v | 0, v < 0 ? -1 : 0);

describe('kernel log formatting (print_reg_state / print_scalar_ranges)', () => {
  it('numbers: 16-bit decimal, else %#llx', () => {
    expect(unumStr(65535, 0)).toBe('65535');
    expect(unumStr(65536, 0)).toBe('0x10000');
    expect(unumStr(0, 1)).toBe('0x100000000');
    expect(snumStr(-32768, -1)).toBe('-32768');
    expect(snumStr(-32769, -1)).toBe('0xffffffffffff7fff');
    expect(snumStr(32767, 0)).toBe('32767');
    expect(snumStr(0x80000000, 0)).toBe('0x80000000');
    expect(hex64(0, 0)).toBe('0x0');
  });
  it('constants print as signed numbers', () => {
    expect(scalarStr(newKnown(42, 0), 0)).toBe('42');
    expect(scalarStr(newKnown(-1, -1), 0)).toBe('-1');
    expect(scalarStr(newKnown(0xffffffff, 0), 0)).toBe('0xffffffff');
    expect(scalarStr(newKnown(0, 0), 0, 0, true)).toBe('P0');
  });
  it('an unknown scalar is scalar(), with id when linked', () => {
    expect(scalarStr(newScalar(), 0)).toBe('scalar()');
    expect(scalarStr(newScalar(), 0, 3)).toBe('scalar(id=3)');
    expect(scalarStr(newScalar(), 0, 5, false, 0)).toBe('scalar(id=5+0)');
    expect(scalarStr(newScalar(), 0, 5, false, -4)).toBe('scalar(id=5-4)');
  });
  it('r &= 255 on an unknown', () => {
    const r = newScalar(); scalarAlu(r, 0, imm(255), 0, 0x50, true);
    expect(scalarStr(r, 0)).toBe('scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))');
  });
  it('a u32 load', () => {
    const r = newScalar(); coerceRegToSize(r, 0, 4);
    expect(scalarStr(r, 0)).toBe('scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))');
  });
  it('r <<= 32 of an unknown, then s>>= 32', () => {
    const r = newScalar(); scalarAlu(r, 0, imm(32), 0, 0x60, true);
    expect(scalarStr(r, 0)).toBe('scalar(smax=0x7fffffff00000000,umax=0xffffffff00000000,smin32=0,smax32=umax32=0,var_off=(0x0; 0xffffffff00000000))');
    scalarAlu(r, 0, imm(32), 0, 0xc0, true);
    expect(scalarStr(r, 0)).toBe('scalar(smin=0xffffffff80000000,smax=0x7fffffff)');
  });
  it('r = -(r & 1) keeps negatives apart from positives when merging', () => {
    const r = newScalar(); scalarAlu(r, 0, imm(1), 0, 0x50, true); scalarAlu(r, 0, r, 0, 0x80, true);
    expect(scalarStr(r, 0)).toBe('scalar(smin=smin32=-1,smax=smax32=0)');
    expect(scalarRangesStr(r, 0)).toBe('smin=smin32=-1,smax=smax32=0');
  });
  it('var_off rendering', () => {
    const r = newScalar(); markKnown(r, 0, 7, 0);
    expect(tnumStr(r, 0)).toBe('7');
    expect(tnumStr(newScalar(), 0)).toBe('(0x0; 0xffffffffffffffff)');
  });
});

describe('REG INVARIANTS VIOLATION line', () => {
  it('prints the bounds before the reset, in the kernel format', async () => {
    const { invariantViolationLine, sanityCheck } = await import('../../../src/verifier/domains/bounds-sync.js');
    const r = newKnown(5, 0);
    r[6] = 4; // umax < umin
    expect(invariantViolationLine(r, 0, 'alu')).toBe(
      'verifier bug: REG INVARIANTS VIOLATION (alu): range bounds violation u64=[0x5, 0x4] s64=[0x5, 0x5] u32=[0x5, 0x5] s32=[0x5, 0x5] var_off=(0x5, 0x0)');
    expect(sanityCheck(r, 0)).toBe('range bounds violation');
    expect(invariantViolationLine(r, 0, 'alu')).toBe(
      'verifier bug: REG INVARIANTS VIOLATION (alu): const tnum out of sync with range bounds u64=[0x0, 0xffffffffffffffff] s64=[0x8000000000000000, 0x7fffffffffffffff] u32=[0x0, 0xffffffff] s32=[0x80000000, 0x7fffffff] var_off=(0x5, 0x0)');
    expect(invariantViolationLine(newKnown(1, 2), 0, 'alu')).toBeNull();
  });
});
