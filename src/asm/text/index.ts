/**
 * Instructions as text: {@link disassemble} and {@link formatInstruction} print the kernel
 * verifier log's syntax (or LLVM's, or uBPF's), {@link parseAsm} reads them back.
 * @module
 */
export { disassemble, formatInstruction } from './disassemble.js';
export type { AsmDialect, DisassembleOptions, FormatOptions } from './disassemble.js';
export { parseAsm } from './parse.js';
export type { ParseAsmOptions } from './parse.js';
