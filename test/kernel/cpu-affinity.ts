/**
 * Pinning the test thread to one CPU, for tests of per-CPU behaviour (BPF_F_CURRENT_CPU).
 * @module
 */
import { expect } from 'vitest';
import { nativeAlloc, syscall } from '../../src/loader/ffi.js';

/** Runs `fn` with this thread pinned to one CPU (sched_setaffinity), so BPF_F_CURRENT_CPU is known. */
export function onCpu<T>(cpu: number, fn: () => T): T {
  const [set, get] = process.arch === 'arm64' ? [122, 123] : [203, 204];
  const old = nativeAlloc(128);
  const mask = nativeAlloc(128);
  try {
    expect(syscall(get, 0, 128, old.addr)).toBeGreaterThan(0);
    mask.bytes[cpu >> 3] = 1 << (cpu & 7);
    expect(syscall(set, 0, 128, mask.addr)).toBe(0);
    try {
      return fn();
    } finally {
      syscall(set, 0, 128, old.addr);
    }
  } finally {
    old.free();
    mask.free();
  }
}
