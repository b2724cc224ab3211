/**
 * The assembler: the instruction value, opcode fields, binary codec, validation, the typed DSL,
 * the text formats and the table of kernel helpers and uapi enums.
 * @module
 */
export * from './opcode.js';
export * from './instruction.js';
export * from './encoding.js';
export * from './validate.js';
export * from './dsl/index.js';
export * from './text/index.js';
export * from './helpers.js';
export * from './prog-types.js';
export * from './map-types.js';
export * from './attach-types.js';
export * from './uapi-enum.js';
export * from './pt-regs.js';
