/**
 * ts-ebpf: build eBPF programs with a typed DSL, check them against a model of the kernel
 * verifier, and load them through the `bpf()` syscall. This module only re-exports.
 * @module
 */
export * from './errors.js';
export * from './asm/index.js';
export * from './elf/symbols.js';
export * from './btf/reader.js';
export * from './btf/vmlinux.js';
export * from './loader/readers/trace-line.js';
export * from './loader/readers/ringbuf-consumer.js';
export * from './loader/readers/perf-ring.js';
export * from './loader/syscall-names.js';
