/**
 * Test helpers for code built on ts-ebpf (the `ts-ebpf/testing` face). Needs `fast-check`.
 * @module
 */
export {
  arbInstruction, arbInstructionOf, arbProgram, instructionFamilies,
} from './instructions.js';
export type { ArbProgramOptions, InstructionFamily } from './instructions.js';
