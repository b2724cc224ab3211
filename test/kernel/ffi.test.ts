import { describe, it, expect } from 'vitest';
import { kernelTestContext } from './privileged.js';
import {
  closeRaw, epollCreate1, epollWait, getpidSyscall, ifNameToIndex, mmapRaw, munmapRaw, nativeAlloc, poll, socket, viewAt,
} from '../../src/loader/ffi.js';
import { BpfCmd, bpfSyscall, bpfTry } from '../../src/loader/syscall.js';
import { MAP_INFO_SIZE } from '../../src/maps/map-attr.js';
import { isBpfSyscallError } from '../../src/errors.js';

const kernel = kernelTestContext('ffi on the kernel');

function arrayMapAttr(): Uint8Array {
  const a = new Uint8Array(72);
  const dv = new DataView(a.buffer);
  dv.setUint32(0, 2, true);
  dv.setUint32(4, 4, true);
  dv.setUint32(8, 8, true);
  dv.setUint32(12, 4, true);
  return a;
}

describe.skipIf(!kernel.ok)('ffi', () => {
  it('a raw syscall round trip returns the real value', () => {
    expect(getpidSyscall()).toBe(process.pid);
  });

  it('bpf() errors carry errno, name and hint; successes return fds', () => {
    const a = arrayMapAttr();
    const fd = bpfSyscall(BpfCmd.BPF_MAP_CREATE, a);
    expect(fd).toBeGreaterThan(2);
    new DataView(a.buffer).setUint32(0, 9999, true);
    expect(bpfTry(BpfCmd.BPF_MAP_CREATE, a)).toBe(-22);
    try {
      bpfSyscall(BpfCmd.BPF_MAP_CREATE, a);
      expect.unreachable();
    } catch (e) {
      expect(isBpfSyscallError(e) && [e.command, e.code, e.errno]).toEqual(['BPF_MAP_CREATE', 'EINVAL', 22]);
    }
    expect(closeRaw(fd)).toBe(0);
    expect(closeRaw(fd)).toBe(-9); // EBADF the second time
  });

  it('kernel write-backs into a plain Uint8Array attr are visible (info_len is shortened)', () => {
    const fd = bpfSyscall(BpfCmd.BPF_MAP_CREATE, arrayMapAttr());
    const info = nativeAlloc(256);
    const attr = new Uint8Array(16);
    const dv = new DataView(attr.buffer);
    dv.setUint32(0, fd, true);
    dv.setUint32(4, 256, true);
    dv.setBigUint64(8, info.address, true);
    bpfSyscall(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, attr);
    expect(dv.getUint32(4, true)).toBe(MAP_INFO_SIZE);
    expect(info.bytes.readUInt32LE(0)).toBe(2); // type: array, written by the kernel into native memory
    expect(info.bytes.readUInt32LE(12)).toBe(8); // value_size
    info.free();
    info.free();
    closeRaw(fd);
  });

  it('mmap gives a zero-copy view over native memory', () => {
    const len = 8192;
    const addr = mmapRaw(len, 3, 0x22, -1, 0); // PROT_READ|WRITE, MAP_PRIVATE|MAP_ANONYMOUS
    expect(addr).toBeGreaterThan(0);
    const a = viewAt(addr, len);
    const b = viewAt(addr, len);
    a.writeUInt32LE(0x12345678, 4100);
    expect(b.readUInt32LE(4100)).toBe(0x12345678);
    expect(munmapRaw(addr, len)).toBe(0);
  });

  it('blocking waits run off the event loop', async () => {
    const ep = epollCreate1(0x80000); // EPOLL_CLOEXEC
    expect(ep).toBeGreaterThan(2);
    const events = nativeAlloc(12 * 4);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 5);
    const t0 = Date.now();
    const n = await epollWait(ep, events.addr, 4, 120);
    clearInterval(timer);
    expect(n).toBe(0);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(100);
    expect(ticks).toBeGreaterThan(3); // timers kept firing while epoll_wait blocked
    expect(await poll(0, 0, 20)).toBe(0);
    events.free();
    closeRaw(ep);
  });

  it('sockets and interface names', () => {
    expect(ifNameToIndex('lo')).toBe(1);
    expect(ifNameToIndex('no-such-if0')).toBe(0);
    const s = socket(2, 2 | 0x80000, 0); // AF_INET, SOCK_DGRAM | SOCK_CLOEXEC
    expect(s).toBeGreaterThan(2);
    expect(closeRaw(s)).toBe(0);
  });
});
