/** Small helpers shared by the program kernel tests: raw instructions, fd counting, privilege. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountRaw } from '../../src/loader/ffi.js';
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

/**
 * A BPF filesystem to pin into: a fresh directory under /sys/fs/bpf when that is mounted, else a
 * bpffs mounted on a temp dir for the test (unmounted on dispose).
 */
export function bpffs(): { dir: string } & Disposable {
  const mounted = readFileSync('/proc/self/mounts', 'utf8').split('\n').some((l) => l.split(' ')[1] === '/sys/fs/bpf' && l.split(' ')[2] === 'bpf');
  if (mounted) {
    const dir = mkdtempSync('/sys/fs/bpf/ts-ebpf-');
    return { dir, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
  }
  const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-bpffs-'));
  const rc = mountRaw('bpf', dir, 'bpf', 0);
  if (rc < 0) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`mount -t bpf failed: errno ${-rc}`);
  }
  return {
    dir,
    [Symbol.dispose]: () => {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

