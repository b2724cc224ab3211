/** Small helpers shared by the program kernel tests: raw instructions, fd counting, privilege. */
import { readdirSync } from 'node:fs';
import type { Instruction } from '../../src/asm/instruction.js';
import { kernelTestContext } from './privileged.js';

const kernel = kernelTestContext('program tests');

/** Whether this process may load BPF programs (the shared gate of test/kernel/privileged.ts). */
export const canUseBpf = kernel.ok;

/** Appended to suite names so a skipped suite says why. */
export const skipReason = canUseBpf ? '' : ` (skipped: ${kernel.reason})`;

/** A raw instruction. */
export function I(code: number, dst = 0, src = 0, off = 0, imm = 0): Instruction {
  return { code, dst, src, off, imm };
}

/** `dst = imm` (64-bit). */
export const MOV64_IMM = (dst: number, imm: number): Instruction => I(0xb7, dst, 0, 0, imm);
/** `exit`. */
export const EXIT: Instruction = I(0x95);
/** `dst = *(u32 *)(src + off)`. */
export const ldxw = (dst: number, src: number, off: number): Instruction => I(0x61, dst, src, off);

/** Open fds of this process. */
export function fdCount(): number {
  return readdirSync('/proc/self/fd').length;
}
