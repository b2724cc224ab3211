/**
 * ts-ebpf: build eBPF programs with a typed DSL, check them against a model of the kernel
 * verifier, and load them through the `bpf()` syscall. This module only re-exports.
 * @module
 */
export * from './errors.js';
export * from './asm/opcode.js';
export * from './asm/instruction.js';
