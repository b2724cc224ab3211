/**
 * Pinning BPF objects (maps, programs, links) in a bpf filesystem, and opening them again from their
 * path. bpffs is mounted at /sys/fs/bpf on demand when a path under it is used.
 * @module
 */
import { rmSync } from 'node:fs';
import { BadInputError } from '../errors.js';
import { nativeAlloc } from '../loader/ffi.js';
import { syscallError } from '../loader/errno.js';
import { Fd } from '../loader/fd.js';
import { BpfCmd, bpfTry } from '../loader/syscall.js';
import { BPFFS_PATH, ensureBpffs } from '../loader/platform.js';
import { encodeObjAttr, OBJ_ATTR_SIZE } from './map-attr.js';

/** How a pinned object is opened: both ways (default), read-only or write-only. */
export type PinAccess = 'rw' | 'read' | 'write';

const FILE_FLAGS: Record<PinAccess, number> = { rw: 0, read: 1 << 3, write: 1 << 4 }; // BPF_F_RDONLY / BPF_F_WRONLY

function checkPath(path: string): void {
  if (typeof path !== 'string' || !path.startsWith('/') || path.includes('\0')) {
    throw new BadInputError(`pin path must be an absolute path, got ${JSON.stringify(path)}`);
  }
  if (path === BPFFS_PATH || path.startsWith(`${BPFFS_PATH}/`)) ensureBpffs(BPFFS_PATH);
}

function objCall(cmd: number, path: string, fd: number, flags: number): number {
  checkPath(path);
  const enc = Buffer.from(`${path}\0`, 'utf8');
  const mem = nativeAlloc(OBJ_ATTR_SIZE + enc.length);
  try {
    mem.bytes.set(enc, OBJ_ATTR_SIZE);
    encodeObjAttr(mem.bytes, mem.addr + OBJ_ATTR_SIZE, fd, flags);
    return bpfTry(cmd, mem, OBJ_ATTR_SIZE);
  } finally {
    mem.free();
  }
}

/** Pins the object behind `fd` at `path` (BPF_OBJ_PIN). */
export function pinFd(fd: number, path: string): void {
  const rc = objCall(BpfCmd.BPF_OBJ_PIN, path, fd, 0);
  if (rc < 0) throw syscallError('BPF_OBJ_PIN', -rc);
}

/** Opens the object pinned at `path` (BPF_OBJ_GET) and owns the new fd. */
export function openPinnedFd(path: string, access: PinAccess = 'rw'): Fd {
  const rc = objCall(BpfCmd.BPF_OBJ_GET, path, 0, FILE_FLAGS[access]);
  if (rc < 0) throw syscallError('BPF_OBJ_GET', -rc);
  return new Fd(rc);
}

/** Removes a pin (the object lives on while other fds or pins refer to it). False if nothing was there. */
export function unpin(path: string): boolean {
  checkPath(path);
  try {
    rmSync(path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw e;
  }
}
