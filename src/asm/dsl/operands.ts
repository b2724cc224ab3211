/**
 * Operand checks shared by the builders, and `emit`, which builds the instruction value and runs
 * the encoding rules of validate.ts on it. The checks here are the ones validate.ts cannot make
 * (is this a register object, is this label a usable name, does this number fit) and they name the
 * builder, so the message reads `add64: ...` rather than in terms of raw fields.
 * @module
 */
import { BadInputError } from '../../errors.js';
import type { SourceLocation } from '../../errors.js';
import type { Instruction } from '../instruction.js';
import { checkInstruction } from '../validate.js';
import { isRegister } from './registers.js';
import type { Register } from './registers.js';

/** A jump or call target: a label name, or a raw offset in slots after the next instruction. */
export type Target = string | number;

/** Throws a BadInputError `op: problem` at `source`. */
export function fail(op: string, problem: string, source: SourceLocation | undefined): never {
  throw new BadInputError(`${op}: ${problem}`, { source });
}

/** Shows an operand for messages: strings quoted, bigints with `n`, registers by name. */
export function show(v: unknown): string {
  return typeof v === 'string' ? JSON.stringify(v) : typeof v === 'bigint' ? `${v}n` : isRegister(v) ? v.name : String(v);
}

/** Checks that `v` is a register (any, including R10); returns its number. */
export function readable(op: string, role: string, v: unknown, source: SourceLocation | undefined): number {
  if (!isRegister(v)) fail(op, `${role} must be a register R0-R10, got ${show(v)}`, source);
  return v.reg;
}

/** Checks that `v` is a register that may be written (not R10); returns its number. */
export function writable(op: string, role: string, v: unknown, source: SourceLocation | undefined): number {
  const r = readable(op, role, v, source);
  if (r === 10) fail(op, `${role} cannot be r10, the read-only frame pointer`, source);
  return r;
}

/**
 * Checks a 32-bit immediate. Signed 32-bit always fits; with `wrap32` (32-bit operations, where
 * the bits are the same) 0x8000_0000..0xffff_ffff are accepted too and stored as their signed form.
 */
export function imm32(op: string, role: string, v: unknown, wrap32: boolean, source: SourceLocation | undefined): number {
  if (typeof v === 'number' && Number.isInteger(v)) {
    if ((v | 0) === v) return v | 0; // `| 0` also turns -0 into 0
    if (wrap32 && v >= 0 && v <= 0xffff_ffff) return v | 0;
  }
  if (typeof v === 'bigint') {
    fail(op, `${role} must be a number, got the bigint ${show(v)} (64-bit constants go in lddw)`, source);
  }
  const range = wrap32 ? '-2147483648..4294967295' : 'a signed 32-bit integer (-2147483648..2147483647)';
  const hint = typeof v === 'number' && Number.isInteger(v) && !wrap32 ? '; use lddw for a 64-bit constant' : '';
  return fail(op, `${role} must be ${range}, got ${show(v)}${hint}`, source);
}

/** Checks a signed 16-bit offset. */
export function off16(op: string, role: string, v: unknown, source: SourceLocation | undefined): number {
  if (typeof v === 'number' && ((v << 16) >> 16) === v) return v | 0; // `| 0` also turns -0 into 0
  return fail(op, `${role} must be a signed 16-bit integer (-32768..32767), got ${show(v)}`, source);
}

/** Checks a label name: a non-empty string without whitespace. */
export function labelName(op: string, v: unknown, source: SourceLocation | undefined): string {
  if (typeof v !== 'string' || v.length === 0 || /\s/.test(v)) {
    fail(op, `label must be a non-empty string without whitespace, got ${show(v)}`, source);
  }
  return v;
}

/** Checks a jump target: a label name, or an integer offset checked by the caller's range. */
export function target(op: string, v: unknown, source: SourceLocation | undefined): Target {
  if (typeof v === 'number') {
    if (!Number.isInteger(v)) fail(op, `offset must be an integer, got ${show(v)}`, source);
    return v;
  }
  return labelName(op, v, source);
}

/** Whether an operand selects the register (X) form. */
export const isReg = (v: unknown): v is Register => isRegister(v);

/** Fields of an instruction being emitted (symbolic parts included). */
export interface Fields {
  code: number; dst: number; src: number; off: number; imm: number;
  immHi?: number; target?: string; map?: string; kfunc?: string;
}

/**
 * Builds the instruction value (field order fixed, optional parts only when present) and checks it
 * with `checkInstruction`, the single source of the encoding rules.
 */
export function emit(op: string, f: Fields, source: SourceLocation | undefined): Instruction {
  const insn: { -readonly [K in keyof Instruction]: Instruction[K] } =
    { code: f.code, dst: f.dst, src: f.src, off: f.off, imm: f.imm };
  if (f.immHi !== undefined) insn.immHi = f.immHi;
  if (f.target !== undefined) insn.target = f.target;
  if (f.map !== undefined) insn.map = f.map;
  if (f.kfunc !== undefined) insn.kfunc = f.kfunc;
  if (source !== undefined) insn.source = source;
  const problem = checkInstruction(insn);
  if (problem !== undefined) fail(op, problem, source);
  return insn;
}
