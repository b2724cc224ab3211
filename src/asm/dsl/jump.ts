/**
 * Jump builders: `jeq64(R1, 0, 'out')` (immediate form), `jgt64(R1, R2, 'out')` (register form), the
 * `32` variants comparing the low 32 bits, `ja`, `gotol` (32-bit range) and `mayGoto`. A target is
 * a label name, resolved by `assemble`, or a raw offset in slots after the next instruction.
 * @module
 */
import type { Instruction } from '../instruction.js';
import { Class, JmpOp, Source } from '../opcode.js';
import { captureSource } from './source.js';
import type { SourceLocation } from '../../errors.js';
import { emit, imm32, isReg, off16, readable, target } from './operands.js';
import type { Target } from './operands.js';
import type { Register } from './registers.js';

/** A conditional jump builder: `op(dst, srcRegisterOrImmediate, target)`. */
export type JumpBuilder = (dst: Register, src: Register | number, to: Target) => Instruction;

/** Splits a checked target into the `target` label or the raw 16-bit `off`. */
function offTarget(name: string, to: unknown, source: SourceLocation | undefined): { off: number; target?: string } {
  const t = target(name, to, source);
  return typeof t === 'string' ? { off: 0, target: t } : { off: off16(name, 'offset', t, source) };
}

function jumpOp(name: string, cls: number, op: number): JumpBuilder {
  const is32 = cls === Class.JMP32;
  return (dst, src, to) => {
    const source = captureSource();
    const d = readable(name, 'dst', dst, source);
    const t = offTarget(name, to, source);
    if (isReg(src)) {
      return emit(name, { code: cls | op | Source.X, dst: d, src: readable(name, 'src', src, source), imm: 0, ...t }, source);
    }
    return emit(name, { code: cls | op | Source.K, dst: d, src: 0, imm: imm32(name, 'immediate', src, is32, source), ...t }, source);
  };
}

/** `if dst == src goto to` (64-bit compare). */
export const jeq64: JumpBuilder = jumpOp('jeq64', Class.JMP, JmpOp.JEQ);
/** `if dst != src goto to` (64-bit compare). */
export const jne64: JumpBuilder = jumpOp('jne64', Class.JMP, JmpOp.JNE);
/** `if dst > src goto to` (unsigned, 64-bit). */
export const jgt64: JumpBuilder = jumpOp('jgt64', Class.JMP, JmpOp.JGT);
/** `if dst >= src goto to` (unsigned, 64-bit). */
export const jge64: JumpBuilder = jumpOp('jge64', Class.JMP, JmpOp.JGE);
/** `if dst < src goto to` (unsigned, 64-bit). */
export const jlt64: JumpBuilder = jumpOp('jlt64', Class.JMP, JmpOp.JLT);
/** `if dst <= src goto to` (unsigned, 64-bit). */
export const jle64: JumpBuilder = jumpOp('jle64', Class.JMP, JmpOp.JLE);
/** `if dst s> src goto to` (signed, 64-bit). */
export const jsgt64: JumpBuilder = jumpOp('jsgt64', Class.JMP, JmpOp.JSGT);
/** `if dst s>= src goto to` (signed, 64-bit). */
export const jsge64: JumpBuilder = jumpOp('jsge64', Class.JMP, JmpOp.JSGE);
/** `if dst s< src goto to` (signed, 64-bit). */
export const jslt64: JumpBuilder = jumpOp('jslt64', Class.JMP, JmpOp.JSLT);
/** `if dst s<= src goto to` (signed, 64-bit). */
export const jsle64: JumpBuilder = jumpOp('jsle64', Class.JMP, JmpOp.JSLE);
/** `if dst & src goto to` (64-bit). */
export const jset64: JumpBuilder = jumpOp('jset64', Class.JMP, JmpOp.JSET);

/** `if w_dst == src goto to` (32-bit compare). */
export const jeq32: JumpBuilder = jumpOp('jeq32', Class.JMP32, JmpOp.JEQ);
/** `if w_dst != src goto to` (32-bit compare). */
export const jne32: JumpBuilder = jumpOp('jne32', Class.JMP32, JmpOp.JNE);
/** `if w_dst > src goto to` (unsigned, 32-bit). */
export const jgt32: JumpBuilder = jumpOp('jgt32', Class.JMP32, JmpOp.JGT);
/** `if w_dst >= src goto to` (unsigned, 32-bit). */
export const jge32: JumpBuilder = jumpOp('jge32', Class.JMP32, JmpOp.JGE);
/** `if w_dst < src goto to` (unsigned, 32-bit). */
export const jlt32: JumpBuilder = jumpOp('jlt32', Class.JMP32, JmpOp.JLT);
/** `if w_dst <= src goto to` (unsigned, 32-bit). */
export const jle32: JumpBuilder = jumpOp('jle32', Class.JMP32, JmpOp.JLE);
/** `if w_dst s> src goto to` (signed, 32-bit). */
export const jsgt32: JumpBuilder = jumpOp('jsgt32', Class.JMP32, JmpOp.JSGT);
/** `if w_dst s>= src goto to` (signed, 32-bit). */
export const jsge32: JumpBuilder = jumpOp('jsge32', Class.JMP32, JmpOp.JSGE);
/** `if w_dst s< src goto to` (signed, 32-bit). */
export const jslt32: JumpBuilder = jumpOp('jslt32', Class.JMP32, JmpOp.JSLT);
/** `if w_dst s<= src goto to` (signed, 32-bit). */
export const jsle32: JumpBuilder = jumpOp('jsle32', Class.JMP32, JmpOp.JSLE);
/** `if w_dst & src goto to` (32-bit). */
export const jset32: JumpBuilder = jumpOp('jset32', Class.JMP32, JmpOp.JSET);

/** `goto to`: unconditional jump within ±32767 slots (`JMP|JA`, 16-bit offset). */
export function ja(to: Target): Instruction {
  const source = captureSource();
  return emit('ja', { code: Class.JMP | JmpOp.JA, dst: 0, src: 0, imm: 0, ...offTarget('ja', to, source) }, source);
}

/** `gotol to`: unconditional jump with a 32-bit offset in `imm` (`JMP32|JA`, Linux 6.6+). */
export function gotol(to: Target): Instruction {
  const source = captureSource();
  const t = target('gotol', to, source);
  return typeof t === 'string'
    ? emit('gotol', { code: Class.JMP32 | JmpOp.JA, dst: 0, src: 0, off: 0, imm: 0, target: t }, source)
    : emit('gotol', { code: Class.JMP32 | JmpOp.JA, dst: 0, src: 0, off: 0, imm: imm32('gotol', 'offset', t, false, source) }, source);
}

/**
 * `may_goto to` (`JMP|JCOND`, Linux 6.9+): jumps once the verifier-inserted loop budget runs out;
 * falls through otherwise. The target is usually the loop's exit.
 */
export function mayGoto(to: Target): Instruction {
  const source = captureSource();
  return emit('mayGoto', { code: Class.JMP | JmpOp.JCOND, dst: 0, src: 0, imm: 0, ...offTarget('mayGoto', to, source) }, source);
}
