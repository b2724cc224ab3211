/** Small helpers shared by the program kernel tests: raw instructions, fd counting, privilege. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mountRaw, nativeAlloc } from '../../src/loader/ffi.js';
import { Fd } from '../../src/loader/fd.js';
import { BpfCmd, bpfSyscall } from '../../src/loader/syscall.js';
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

/** A prog_array map with `n` slots, made with a raw MAP_CREATE so these tests need only the loader. */
export function createProgArray(n: number): Fd {
  const attr = new Uint8Array(72);
  const dv = new DataView(attr.buffer);
  dv.setUint32(0, 3, true); // BPF_MAP_TYPE_PROG_ARRAY
  dv.setUint32(4, 4, true);
  dv.setUint32(8, 4, true);
  dv.setUint32(12, n, true);
  return new Fd(bpfSyscall(BpfCmd.BPF_MAP_CREATE, attr));
}

/** Stores a program fd in a prog_array slot (BPF_MAP_UPDATE_ELEM). */
export function setProgArraySlot(mapFd: number, slot: number, progFd: number): void {
  const kv = nativeAlloc(8);
  try {
    kv.bytes.writeUInt32LE(slot, 0);
    kv.bytes.writeUInt32LE(progFd, 4);
    const attr = new Uint8Array(32);
    const dv = new DataView(attr.buffer);
    dv.setUint32(0, mapFd, true);
    dv.setBigUint64(8, kv.address, true);
    dv.setBigUint64(16, kv.address + 4n, true);
    bpfSyscall(BpfCmd.BPF_MAP_UPDATE_ELEM, attr);
  } finally {
    kv.free();
  }
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

/** An array map, made with a raw MAP_CREATE so these tests need only the loader. */
export function createArrayMap(keySize: number, valueSize: number, maxEntries: number): Fd {
  const attr = new Uint8Array(72);
  const dv = new DataView(attr.buffer);
  dv.setUint32(0, 2, true); // BPF_MAP_TYPE_ARRAY
  dv.setUint32(4, keySize, true);
  dv.setUint32(8, valueSize, true);
  dv.setUint32(12, maxEntries, true);
  return new Fd(bpfSyscall(BpfCmd.BPF_MAP_CREATE, attr));
}

/** Reads the u64 value at a u32 key (BPF_MAP_LOOKUP_ELEM). */
export function lookupU64(mapFd: number, key: number): bigint {
  const kv = nativeAlloc(16);
  try {
    kv.bytes.writeUInt32LE(key, 0);
    const attr = new Uint8Array(32);
    const dv = new DataView(attr.buffer);
    dv.setUint32(0, mapFd, true);
    dv.setBigUint64(8, kv.address, true);
    dv.setBigUint64(16, kv.address + 8n, true);
    bpfSyscall(BpfCmd.BPF_MAP_LOOKUP_ELEM, attr);
    return kv.bytes.readBigUInt64LE(8);
  } finally {
    kv.free();
  }
}
