// Shared by the DSL tests: the raw fields of an instruction, without its source location.
import type { Instruction } from '../../../src/asm/instruction.js';
import { isBadInputError } from '../../../src/errors.js';
import type { BadInputError } from '../../../src/errors.js';

/** The instruction without `source`, for comparing with hand-written fields. */
export function bare(insn: Instruction): Omit<Instruction, 'source'> {
  const { source: _source, ...rest } = insn;
  return rest;
}

/** Hand-written expected fields. */
export const I = (code: number, dst: number, src: number, off: number, imm: number): Instruction =>
  ({ code, dst, src, off, imm });

/** Runs `f`, which must throw a BadInputError; returns it. */
export function badInput(f: () => unknown): BadInputError {
  try {
    f();
  } catch (e) {
    if (isBadInputError(e)) return e;
    throw e;
  }
  throw new Error('expected a BadInputError, nothing was thrown');
}
