import { describe, it, expect } from 'vitest';
import { kernelTestContext } from './privileged.js';
import { getpidSyscall, nativeAlloc } from '../../src/loader/ffi.js';
import { bpfSyscall, BpfCmd } from '../../src/loader/syscall.js';
import { Fd } from '../../src/loader/fd.js';
import { isBpfSyscallError } from '../../src/errors.js';
const kernel = kernelTestContext('ffi');
describe.skipIf(!kernel.ok)('ffi', () => {
  it('getpid', () => { expect(getpidSyscall()).toBe(process.pid); });
  it('map create + EINVAL', () => {
    const a = new Uint8Array(72); const dv = new DataView(a.buffer);
    dv.setUint32(0, 2, true); dv.setUint32(4, 4, true); dv.setUint32(8, 8, true); dv.setUint32(12, 4, true);
    const fd = new Fd(bpfSyscall(BpfCmd.BPF_MAP_CREATE, a));
    expect(fd.fd).toBeGreaterThan(2);
    fd.close(); fd.close();
    dv.setUint32(0, 9999, true);
    try { bpfSyscall(BpfCmd.BPF_MAP_CREATE, a); expect.fail(); } catch (e) { expect(isBpfSyscallError(e)).toBe(true); console.log(String(e)); }
    const n = nativeAlloc(16); n.bytes[0] = 1; n.free(); n.free();
  });
});
