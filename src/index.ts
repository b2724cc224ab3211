/**
 * ts-ebpf: build eBPF programs with a typed DSL, check them against a model of the kernel
 * verifier, and load them through the `bpf()` syscall. This module only re-exports.
 * @module
 */
export * from './errors.js';
export * from './asm/index.js';
export * from './verifier/index.js';
export * from './maps/index.js';
export * from './loader/index.js';
export * from './elf/symbols.js';
export * from './btf/reader.js';
export * from './btf/vmlinux.js';
