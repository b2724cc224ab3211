/**
 * The one file that talks to native code. ffi-rs is loaded on first use (createRequire), so importing
 * the package on macOS, Windows or without ffi-rs still works for `asm` and `verify`; loader calls there
 * throw {@link UnsupportedPlatformError}.
 *
 * Every pointer crosses the boundary as a plain integer address (`I64`): memory that the kernel reads or
 * writes is native memory we allocate (calloc/mmap) and view through a zero-copy Buffer
 * (`createExternalBuffer`). That keeps argument conversion to integers only, and makes addresses stable
 * for pointers stored inside `bpf_attr`. Call descriptions are built once and reused; only their
 * `paramsValue` slots change per call.
 *
 * Results follow the kernel convention: a non-negative value, or `-errno`. errno is taken by ffi-rs
 * right after the call (`errno: true`), so nothing in between can clobber it.
 * @module
 */
import { createRequire } from 'node:module';
import { UnsupportedPlatformError } from '../errors.js';

type FfiRs = typeof import('ffi-rs');
type Desc = {
  library: string; funcName: string; retType: number; paramsType: number[]; paramsValue: unknown[];
  errno?: boolean; runInNewThread?: boolean; freeResultMemory: boolean;
};
type ErrnoResult = { value: number; errnoCode: number };

/** System call numbers this package uses, per architecture. */
export interface SyscallNumbers {
  /** bpf(2). */
  readonly bpf: number;
  /** perf_event_open(2). */
  readonly perfEventOpen: number;
  /** getpid(2), used to measure call cost. */
  readonly getpid: number;
}

const SYSCALLS: Record<string, SyscallNumbers> = {
  x64: { bpf: 321, perfEventOpen: 298, getpid: 39 },
  arm64: { bpf: 280, perfEventOpen: 241, getpid: 172 },
};

interface Lib {
  ffi: FfiRs;
  nr: SyscallNumbers;
  /** Pre-built descriptions, one per libc function and argument shape. */
  d: Record<string, Desc>;
}

let lib: Lib | undefined;
let failure: UnsupportedPlatformError | undefined;

function describe(ffi: FfiRs, funcName: string, ret: number, params: number[], errno = true): Desc {
  return {
    library: 'libc', funcName, retType: ret, paramsType: params, paramsValue: new Array(params.length).fill(0),
    errno, freeResultMemory: false,
  };
}

function load(): Lib {
  if (lib) return lib;
  if (failure) throw failure;
  const nr = SYSCALLS[process.arch];
  if (process.platform !== 'linux' || !nr) {
    failure = new UnsupportedPlatformError('the loader', `needs Linux on x86_64 or arm64, not ${process.platform}/${process.arch}`);
    throw failure;
  }
  let ffi: FfiRs;
  try {
    ffi = createRequire(import.meta.url)('ffi-rs') as FfiRs;
    ffi.open({ library: 'libc', path: 'libc.so.6' });
  } catch (e) {
    failure = new UnsupportedPlatformError('the loader', `ffi-rs could not be loaded: ${(e as Error).message}`);
    throw failure;
  }
  const { I64, I32, String: Str, External } = ffi.DataType;
  const d: Record<string, Desc> = {
    syscall1: describe(ffi, 'syscall', I64, [I64]),
    syscall4: describe(ffi, 'syscall', I64, [I64, I64, I64, I64]),
    syscall6: describe(ffi, 'syscall', I64, [I64, I64, I64, I64, I64, I64]),
    close: describe(ffi, 'close', I32, [I32]),
    fcntl: describe(ffi, 'fcntl', I32, [I32, I32, I64]),
    ioctl: describe(ffi, 'ioctl', I32, [I32, I64, I64]),
    calloc: describe(ffi, 'calloc', I64, [I64, I64], false),
    free: describe(ffi, 'free', ffi.DataType.Void, [I64], false),
    mmap: describe(ffi, 'mmap', I64, [I64, I64, I32, I32, I32, I64]),
    munmap: describe(ffi, 'munmap', I32, [I64, I64]),
    socket: describe(ffi, 'socket', I32, [I32, I32, I32]),
    setsockopt: describe(ffi, 'setsockopt', I32, [I32, I32, I32, I64, I32]),
    setns: describe(ffi, 'setns', I32, [I32, I32]),
    ifNameToIndex: describe(ffi, 'if_nametoindex', I32, [Str]),
    open: describe(ffi, 'open', I32, [Str, I32, I32]),
    mount: describe(ffi, 'mount', I32, [Str, Str, Str, I64, I64]),
    send: describe(ffi, 'send', I64, [I32, I64, I64, I32]),
    recv: describe(ffi, 'recv', I64, [I32, I64, I64, I32]),
    unshare: describe(ffi, 'unshare', I32, [I32]),
    umount2: describe(ffi, 'umount2', I32, [Str, I32]),
    epollCreate1: describe(ffi, 'epoll_create1', I32, [I32]),
    epollCtl: describe(ffi, 'epoll_ctl', I32, [I32, I32, I32, I64]),
    eventfd: describe(ffi, 'eventfd', I32, [I32, I32]),
    // memcpy(p, p, 0) returns p: the cheapest way to turn an address into an ffi-rs External.
    external: describe(ffi, 'memcpy', External, [I64, I64, I64], false),
  };
  lib = { ffi, nr, d };
  return lib;
}

function run(desc: Desc, ffi: FfiRs): number {
  const r = ffi.load(desc as never) as unknown as ErrnoResult | number;
  if (typeof r === 'number') return r;
  if (r === undefined || r === null) return 0;
  return r.value < 0 ? -(r.errnoCode || 1) : r.value;
}

function call(name: string, a0 = 0, a1: unknown = 0, a2: unknown = 0, a3: unknown = 0, a4: unknown = 0, a5: unknown = 0): number {
  const l = load();
  const desc = l.d[name]!;
  const v = desc.paramsValue;
  v[0] = a0;
  if (v.length > 1) v[1] = a1;
  if (v.length > 2) v[2] = a2;
  if (v.length > 3) v[3] = a3;
  if (v.length > 4) v[4] = a4;
  if (v.length > 5) v[5] = a5;
  return run(desc, l.ffi);
}

/** Throws {@link UnsupportedPlatformError} unless the loader can work here; returns the syscall numbers. */
export function requireNative(): SyscallNumbers {
  return load().nr;
}

/** Whether the loader can work here (Linux x86_64/arm64 with ffi-rs), without throwing. */
export function nativeAvailable(): boolean {
  try {
    load();
    return true;
  } catch {
    return false;
  }
}

/** bpf(cmd, attr, size) with `attr` an address of native memory. Returns the result or `-errno`. */
export function bpfRawCall(cmd: number, attrAddress: number, size: number): number {
  const l = load();
  const desc = l.d.syscall4!;
  const v = desc.paramsValue;
  v[0] = l.nr.bpf;
  v[1] = cmd;
  v[2] = attrAddress;
  v[3] = size;
  return run(desc, l.ffi);
}

/** A raw system call with up to five integer arguments. Returns the result or `-errno`. */
export function syscall(nr: number, a1 = 0, a2 = 0, a3 = 0, a4 = 0, a5 = 0): number {
  return call('syscall6', nr, a1, a2, a3, a4, a5);
}

/** getpid through syscall(2): the cheapest round trip, used to measure the FFI's own cost. */
export function getpidSyscall(): number {
  const l = load();
  return call('syscall1', l.nr.getpid);
}

/** perf_event_open(attr, pid, cpu, groupFd, flags) with `attr` an address. Returns the fd or `-errno`. */
export function perfEventOpen(attrAddress: number, pid: number, cpu: number, groupFd: number, flags: number): number {
  return call('syscall6', load().nr.perfEventOpen, attrAddress, pid, cpu, groupFd, flags);
}

/** close(2). Returns 0 or `-errno`. */
export function closeRaw(fd: number): number {
  return call('close', fd);
}

/** fcntl(2) with an integer argument. Returns the result or `-errno`. */
export function fcntl(fd: number, cmd: number, arg: number): number {
  return call('fcntl', fd, cmd, arg);
}

/** ioctl(2) with an integer (or address) argument. Returns the result or `-errno`. */
export function ioctl(fd: number, request: number, arg: number): number {
  return call('ioctl', fd, request, arg);
}

/** socket(2). Returns the fd or `-errno`. */
export function socket(domain: number, type: number, protocol: number): number {
  return call('socket', domain, type, protocol);
}

/** setsockopt(2) with the option value at an address. Returns 0 or `-errno`. */
export function setsockopt(fd: number, level: number, name: number, valueAddress: number, length: number): number {
  return call('setsockopt', fd, level, name, valueAddress, length);
}

/** setns(2). Returns 0 or `-errno`. */
export function setns(fd: number, nstype: number): number {
  return call('setns', fd, nstype);
}

/** if_nametoindex(3): the interface index, or 0 when there is no such interface. */
export function ifNameToIndex(name: string): number {
  const r = call('ifNameToIndex', name as never);
  return r < 0 ? 0 : r;
}

/** open(2). Returns the fd or `-errno`. */
export function openRaw(path: string, flags: number, mode = 0): number {
  return call('open', path as never, flags, mode);
}

/** mount(2) with no data. Returns 0 or `-errno`. */
export function mountRaw(source: string, target: string, fstype: string, flags: number): number {
  return call('mount', source as never, target, fstype, flags, 0);
}

/** send(2) of `length` bytes at an address. Returns the bytes sent or `-errno`. */
export function send(fd: number, bufferAddress: number, length: number, flags: number): number {
  return call('send', fd, bufferAddress, length, flags);
}

/** recv(2) into `length` bytes at an address (blocking unless the socket is not). Returns the bytes or `-errno`. */
export function recv(fd: number, bufferAddress: number, length: number, flags: number): number {
  return call('recv', fd, bufferAddress, length, flags);
}

/** unshare(2) for the calling thread. Returns 0 or `-errno`. */
export function unshare(flags: number): number {
  return call('unshare', flags);
}

/** umount2(2). Returns 0 or `-errno`. */
export function umount2(target: string, flags: number): number {
  return call('umount2', target as never, flags);
}

/** epoll_create1(2). Returns the fd or `-errno`. */
export function epollCreate1(flags: number): number {
  return call('epollCreate1', flags);
}

/** epoll_ctl(2) with the `struct epoll_event` at an address. Returns 0 or `-errno`. */
export function epollCtl(epfd: number, op: number, fd: number, eventAddress: number): number {
  return call('epollCtl', epfd, op, fd, eventAddress);
}

/** eventfd(2) (`EFD_CLOEXEC` 0o2000000, `EFD_NONBLOCK` 0o4000). Returns the fd or `-errno`. */
export function eventfd(initval: number, flags: number): number {
  return call('eventfd', initval, flags);
}

/**
 * epoll_wait(2) on a worker thread (ffi-rs `runInNewThread`), so the event loop keeps running while it
 * blocks. Resolves to the number of events or `-errno`.
 */
export async function epollWait(epfd: number, eventsAddress: number, maxEvents: number, timeoutMs: number): Promise<number> {
  const l = load();
  const { I32, I64 } = l.ffi.DataType;
  const desc = { ...describe(l.ffi, 'epoll_wait', I32, [I32, I64, I32, I32]), runInNewThread: true };
  desc.paramsValue = [epfd, eventsAddress, maxEvents, timeoutMs];
  const r = await (l.ffi.load(desc as never) as unknown as Promise<ErrnoResult>);
  return r.value < 0 ? -(r.errnoCode || 1) : r.value;
}

/** poll(2) on a worker thread, like {@link epollWait}. Resolves to the number of ready fds or `-errno`. */
export async function poll(fdsAddress: number, nfds: number, timeoutMs: number): Promise<number> {
  const l = load();
  const { I32, I64 } = l.ffi.DataType;
  const desc = { ...describe(l.ffi, 'poll', I32, [I64, I64, I32]), runInNewThread: true };
  desc.paramsValue = [fdsAddress, nfds, timeoutMs];
  const r = await (l.ffi.load(desc as never) as unknown as Promise<ErrnoResult>);
  return r.value < 0 ? -(r.errnoCode || 1) : r.value;
}

/** mmap(2); `address` is a hint, or the exact place with MAP_FIXED. Returns the address, or `-errno` (MAP_FAILED). */
export function mmapRaw(length: number, prot: number, flags: number, fd: number, offset: number, address = 0): number {
  return call('mmap', address, length, prot, flags, fd, offset);
}

/** munmap(2). Returns 0 or `-errno`. */
export function munmapRaw(address: number, length: number): number {
  return call('munmap', address, length);
}

/**
 * A zero-copy Buffer over native memory at `address`. The caller keeps the memory alive (and mapped)
 * for as long as the Buffer is used; nothing frees it when the Buffer is collected.
 */
export function viewAt(address: number, length: number): Buffer {
  const l = load();
  const desc = l.d.external!;
  desc.paramsValue[0] = address;
  desc.paramsValue[1] = address;
  desc.paramsValue[2] = 0;
  const ext = l.ffi.load(desc as never) as unknown as import('ffi-rs').JsExternal;
  return l.ffi.createExternalBuffer(ext, length);
}

/** Native memory with a known address, viewed as a Buffer. */
export interface NativeBuffer {
  /** The bytes, a zero-copy view of the native memory. */
  readonly bytes: Buffer;
  /** The address of the first byte, as a bigint (for attr fields). */
  readonly address: bigint;
  /** The address of the first byte, as a number (exact: user addresses are below 2^53). */
  readonly addr: number;
  /** Releases the memory; the view must not be used afterwards. Safe to call twice. */
  free(): void;
}

/** Allocates zeroed native memory (calloc) of at least one byte. */
export function nativeAlloc(size: number): NativeBuffer {
  const n = Math.max(1, size);
  const addr = call('calloc', 1, n);
  if (addr <= 0) throw new RangeError(`calloc(${n}) failed`);
  const bytes = viewAt(addr, n);
  let freed = false;
  return {
    bytes, address: BigInt(addr), addr,
    free() {
      if (freed) return;
      freed = true;
      call('free', addr);
    },
  };
}
