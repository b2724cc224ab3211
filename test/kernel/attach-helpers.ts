/**
 * Small kernel fixtures for the attach tests: a one-slot u64 counter map and programs that bump it,
 * loaded straight through bpf() (so these tests depend only on the syscall layer), plus a tiny
 * instruction encoder for the few instructions the programs use.
 * @module
 */
import { BpfCmd, bpfTry } from '../../src/loader/syscall.js';
import { nativeAlloc } from '../../src/loader/ffi.js';
import { Fd } from '../../src/loader/fd.js';

/** One encoded instruction (8 bytes). */
export function insn(code: number, dst: number, src: number, off: number, imm: number): Buffer {
  const b = Buffer.alloc(8);
  b[0] = code;
  b[1] = (dst & 0xf) | ((src & 0xf) << 4);
  b.writeInt16LE(off, 2);
  b.writeInt32LE(imm | 0, 4);
  return b;
}

/** LD_IMM64 of a map fd (two slots). */
export function ldMapFd(dst: number, fd: number): Buffer {
  return Buffer.concat([insn(0x18, dst, 1, 0, fd), insn(0, 0, 0, 0, 0)]);
}

/** `r0 = imm; exit`. */
export function ret(imm: number): Buffer {
  return Buffer.concat([insn(0xb7, 0, 0, 0, imm), insn(0x95, 0, 0, 0, 0)]);
}

/** A BPF array map of u64 values with u32 keys, read and written from the test. */
export class ArrayMap implements Disposable {
  readonly fd: Fd;
  constructor(readonly entries = 1) {
    const attr = new Uint8Array(72);
    const dv = new DataView(attr.buffer);
    dv.setUint32(0, 2, true); // BPF_MAP_TYPE_ARRAY
    dv.setUint32(4, 4, true);
    dv.setUint32(8, 8, true);
    dv.setUint32(12, entries, true);
    const rc = bpfTry(BpfCmd.BPF_MAP_CREATE, attr);
    if (rc < 0) throw new Error(`BPF_MAP_CREATE failed: errno ${-rc}`);
    this.fd = new Fd(rc);
  }

  /** The value at `key`. */
  get(key = 0): bigint {
    const mem = nativeAlloc(16);
    try {
      mem.bytes.writeUInt32LE(key, 0);
      const attr = new Uint8Array(32);
      const dv = new DataView(attr.buffer);
      dv.setUint32(0, this.fd.fd, true);
      dv.setBigUint64(8, mem.address, true);
      dv.setBigUint64(16, mem.address + 8n, true);
      const rc = bpfTry(BpfCmd.BPF_MAP_LOOKUP_ELEM, attr);
      if (rc < 0) throw new Error(`BPF_MAP_LOOKUP_ELEM failed: errno ${-rc}`);
      return mem.bytes.readBigUInt64LE(8);
    } finally {
      mem.free();
    }
  }

  /** Sets the value at `key`. */
  set(key: number, value: bigint): void {
    const mem = nativeAlloc(16);
    try {
      mem.bytes.writeUInt32LE(key, 0);
      mem.bytes.writeBigUInt64LE(value, 8);
      const attr = new Uint8Array(32);
      const dv = new DataView(attr.buffer);
      dv.setUint32(0, this.fd.fd, true);
      dv.setBigUint64(8, mem.address, true);
      dv.setBigUint64(16, mem.address + 8n, true);
      const rc = bpfTry(BpfCmd.BPF_MAP_UPDATE_ELEM, attr);
      if (rc < 0) throw new Error(`BPF_MAP_UPDATE_ELEM failed: errno ${-rc}`);
    } finally {
      mem.free();
    }
  }

  close(): void {
    this.fd.close();
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** Instructions that add 1 to slot 0 of `map` (clobbers r0-r5), without the final exit. */
export function bumpCounter(map: ArrayMap): Buffer {
  return Buffer.concat([
    insn(0x62, 10, 0, -4, 0), // *(u32 *)(r10 - 4) = 0
    ldMapFd(1, map.fd.fd),
    insn(0xbf, 2, 10, 0, 0), // r2 = r10
    insn(0x07, 2, 0, 0, -4), // r2 += -4
    insn(0x85, 0, 0, 0, 1), // call bpf_map_lookup_elem
    insn(0x15, 0, 0, 2, 0), // if r0 == 0 goto +2
    insn(0xb7, 1, 0, 0, 1), // r1 = 1
    insn(0xdb, 0, 1, 0, 0), // lock *(u64 *)(r0 + 0) += r1
  ]);
}

/** Load options beyond type and instructions. */
export interface RawLoadOptions {
  expectedAttachType?: number;
  attachBtfId?: number;
  license?: string;
}

/** A program loaded for a test. */
export interface TestProgram extends Disposable {
  readonly fd: number;
  close(): void;
}

/** The errno and verifier log of a failed load. */
export class LoadFailure extends Error {
  constructor(readonly errno: number, readonly log: string) {
    super(`BPF_PROG_LOAD failed: errno ${errno}${log ? `\n${log}` : ''}`);
  }
}

/** BPF_PROG_LOAD with a log; throws LoadFailure with the errno and log. */
export function loadRaw(type: number, code: Buffer, opts: RawLoadOptions = {}): TestProgram {
  const insns = nativeAlloc(code.length);
  const license = nativeAlloc(8);
  const log = nativeAlloc(65536);
  try {
    insns.bytes.set(code);
    license.bytes.write(opts.license ?? 'GPL', 0);
    const attr = new Uint8Array(160);
    const dv = new DataView(attr.buffer);
    dv.setUint32(0, type, true);
    dv.setUint32(4, code.length / 8, true);
    dv.setBigUint64(8, insns.address, true);
    dv.setBigUint64(16, license.address, true);
    dv.setUint32(24, 1, true);
    dv.setUint32(28, 65536, true);
    dv.setBigUint64(32, log.address, true);
    dv.setUint32(68, opts.expectedAttachType ?? 0, true);
    dv.setUint32(108, opts.attachBtfId ?? 0, true);
    const rc = bpfTry(BpfCmd.BPF_PROG_LOAD, attr);
    if (rc < 0) throw new LoadFailure(-rc, log.bytes.toString('utf8').replace(/\0.*$/s, '').trim());
    const fd = new Fd(rc);
    return { get fd() { return fd.fd; }, close: () => fd.close(), [Symbol.dispose]: () => fd.close() };
  } finally {
    log.free();
    license.free();
    insns.free();
  }
}

/** A program of `type` that bumps `map` slot 0 and returns `retval`. */
export function counterProgram(type: number, map: ArrayMap, retval: number, opts: RawLoadOptions = {}): TestProgram {
  return loadRaw(type, Buffer.concat([bumpCounter(map), ret(retval)]), opts);
}

/** Waits until `check()` is true or `ms` pass; returns the last result. */
export async function waitFor(check: () => boolean, ms = 2000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (check()) return true;
    await new Promise((r) => setTimeout(r, 20));
  }
  return check();
}
