import { describe, expect, it } from 'vitest';
import { asm, R0, R1, R2, R10 } from '../../../src/asm/dsl/index.js';
import { I, badInput, bare } from './util.js';

describe('jump builders', () => {
  it('conditional jumps keep the label as target, off 0 until assembled', () => {
    expect(bare(asm.jeq64(R1, 0, 'out'))).toEqual({ ...I(0x15, 1, 0, 0, 0), target: 'out' });
    expect(bare(asm.jeq64(R1, R2, 'out'))).toEqual({ ...I(0x1d, 1, 2, 0, 0), target: 'out' });
    expect(bare(asm.jeq32(R1, 7, 'x'))).toEqual({ ...I(0x16, 1, 0, 0, 7), target: 'x' });
    expect(bare(asm.jne32(R1, R2, 'x'))).toEqual({ ...I(0x5e, 1, 2, 0, 0), target: 'x' });
  });

  it('every operation, with raw offsets', () => {
    const ops = [
      [asm.jeq64, 0x15], [asm.jgt64, 0x25], [asm.jge64, 0x35], [asm.jset64, 0x45], [asm.jne64, 0x55],
      [asm.jsgt64, 0x65], [asm.jsge64, 0x75], [asm.jlt64, 0xa5], [asm.jle64, 0xb5], [asm.jslt64, 0xc5],
      [asm.jsle64, 0xd5],
      [asm.jeq32, 0x16], [asm.jgt32, 0x26], [asm.jge32, 0x36], [asm.jset32, 0x46], [asm.jne32, 0x56],
      [asm.jsgt32, 0x66], [asm.jsge32, 0x76], [asm.jlt32, 0xa6], [asm.jle32, 0xb6], [asm.jslt32, 0xc6],
      [asm.jsle32, 0xd6],
    ] as const;
    for (const [op, code] of ops) {
      expect(bare(op(R10, -1, 3))).toEqual(I(code, 10, 0, 3, -1));
      expect(bare(op(R0, R10, -2))).toEqual(I(code | 0x08, 0, 10, -2, 0));
    }
  });

  it('ja, gotol and may_goto', () => {
    expect(bare(asm.ja('l'))).toEqual({ ...I(0x05, 0, 0, 0, 0), target: 'l' });
    expect(bare(asm.ja(-1))).toEqual(I(0x05, 0, 0, -1, 0));
    expect(bare(asm.gotol('l'))).toEqual({ ...I(0x06, 0, 0, 0, 0), target: 'l' });
    expect(bare(asm.gotol(100_000))).toEqual(I(0x06, 0, 0, 0, 100_000));
    expect(bare(asm.mayGoto('done'))).toEqual({ ...I(0xe5, 0, 0, 0, 0), target: 'done' });
    expect(bare(asm.mayGoto(4))).toEqual(I(0xe5, 0, 0, 4, 0));
  });

  it('32-bit compares take the unsigned spelling of an immediate, 64-bit ones do not', () => {
    expect(bare(asm.jeq32(R1, 0xffff_ffff, 1))).toEqual(I(0x16, 1, 0, 1, -1));
    expect(badInput(() => asm.jeq64(R1, 0xffff_ffff, 1)).problem).toMatch(/jeq64: immediate must be a signed 32-bit/);
  });

  it('rejects bad targets and operands', () => {
    expect(badInput(() => asm.ja(40_000)).problem).toBe('ja: offset must be a signed 16-bit integer (-32768..32767), got 40000');
    expect(badInput(() => asm.jeq64(R1, 0, 1.5)).problem).toBe('jeq64: offset must be an integer, got 1.5');
    expect(badInput(() => asm.jeq64(R1, 0, '')).problem).toMatch(/jeq64: label must be a non-empty string/);
    expect(badInput(() => asm.jeq64(R1, 0, 'a b')).problem).toMatch(/without whitespace, got "a b"/);
    expect(badInput(() => asm.jeq64(3 as unknown as typeof R1, 0, 'x')).problem).toBe('jeq64: dst must be a register R0-R10, got 3');
    expect(badInput(() => asm.gotol(2 ** 31)).problem).toMatch(/gotol: offset must be a signed 32-bit/);
    expect(badInput(() => asm.mayGoto(null as unknown as string)).problem).toMatch(/mayGoto: label must be/);
  });
});
