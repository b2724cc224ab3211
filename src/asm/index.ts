/**
 * The assembler: the instruction value, opcode fields, binary codec and validation.
 * @module
 */
export * from './opcode.js';
export * from './instruction.js';
export * from './encoding.js';
export * from './validate.js';
