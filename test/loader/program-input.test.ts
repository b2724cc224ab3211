import { describe, it, expect } from 'vitest';
import { loadProgram } from '../../src/loader/program.js';
import { isBadInputError } from '../../src/errors.js';
import type { Instruction } from '../../src/asm/instruction.js';

// Bad input is refused before any syscall, so these run anywhere (no kernel, no privileges).
const exit: Instruction = { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 };
const mov0: Instruction = { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 };

function badInput(f: () => unknown): Error {
  try { f(); } catch (e) { expect(isBadInputError(e)).toBe(true); return e as Error; }
  throw new Error('no error');
}

describe('loadProgram refuses bad input before any syscall', () => {
  it('unknown program and attach types', () => {
    expect(badInput(() => loadProgram({ type: 'no_such_type', instructions: [mov0, exit] })).message)
      .toBe('unknown program type "no_such_type"');
    expect(badInput(() => loadProgram({ type: 'xdp', expectedAttachType: 'nope', instructions: [mov0, exit] })).message)
      .toBe('unknown attach type "nope"');
    expect(badInput(() => loadProgram({ type: -1, instructions: [mov0, exit] })).message).toMatch(/non-negative integer/);
  });

  it('no instructions, or bytes that are not whole instructions', () => {
    expect(badInput(() => loadProgram({ type: 'xdp', instructions: [] })).message).toMatch(/at least one instruction/);
    expect(badInput(() => loadProgram({ type: 'xdp', instructions: new Uint8Array(12) })).message).toMatch(/got 12 bytes/);
  });

  it('invalid encodings and unknown labels, with the slot index', () => {
    const e = badInput(() => loadProgram({ type: 'xdp', instructions: [mov0, { ...mov0, dst: 11 }, exit] }));
    expect(e).toMatchObject({ index: 1 });
    const l = badInput(() => loadProgram({ type: 'xdp', instructions: [{ code: 0x05, dst: 0, src: 0, off: 0, imm: 0, target: 'end' }, exit] }));
    expect(l.message).toMatch(/unknown label "end"/);
  });
});
