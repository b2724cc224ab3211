import { describe, it, expect } from 'vitest';
import {
  BPF_ATTR_SIZE, PROG_INFO_SIZE, decodeTestRunOutput, encodeProgLoadAttr, encodeTestRunAttr, readLogTrueSize,
} from '../../src/loader/prog-attr.js';
import { decodeProgInfo } from '../../src/loader/prog-info.js';

// Offsets printed by offsetof() against Linux 6.18's include/uapi/linux/bpf.h (x86-64).
describe('program attr layouts', () => {
  it('BPF_PROG_LOAD fields land where union bpf_attr has them', () => {
    const b = encodeProgLoadAttr({
      progType: 6, insnCnt: 9, insns: 0x1111n, license: 0x2222n, logLevel: 2, logSize: 4096, logBuf: 0x3333n,
      progFlags: 16, progName: 'a_very_long_program_name', expectedAttachType: 37, attachBtfId: 77,
      attachFd: 5, fdArray: 0x4444n, fdArrayCnt: 3,
    });
    expect(b.length).toBe(BPF_ATTR_SIZE);
    expect(b.readUInt32LE(0)).toBe(6);
    expect(b.readUInt32LE(4)).toBe(9);
    expect(b.readBigUInt64LE(8)).toBe(0x1111n);
    expect(b.readBigUInt64LE(16)).toBe(0x2222n);
    expect(b.readUInt32LE(24)).toBe(2);
    expect(b.readUInt32LE(28)).toBe(4096);
    expect(b.readBigUInt64LE(32)).toBe(0x3333n);
    expect(b.readUInt32LE(44)).toBe(16);
    expect(b.toString('latin1', 48, 64)).toBe('a_very_long_pro\0'); // 15 bytes and the NUL
    expect(b.readUInt32LE(68)).toBe(37);
    expect(b.readUInt32LE(108)).toBe(77);
    expect(b.readUInt32LE(112)).toBe(5);
    expect(b.readBigUInt64LE(120)).toBe(0x4444n);
    expect(b.readUInt32LE(148)).toBe(3);
    b.writeUInt32LE(12345, 140);
    expect(readLogTrueSize(b)).toBe(12345);
  });

  it('BPF_PROG_TEST_RUN fields and outputs', () => {
    const b = encodeTestRunAttr({ progFd: 7, dataSizeIn: 64, dataSizeOut: 128, dataIn: 0xan, dataOut: 0xbn,
      repeat: 3, ctxSizeIn: 8, ctxSizeOut: 16, ctxIn: 0xcn, ctxOut: 0xdn, flags: 1, cpu: 1 });
    expect([b.readUInt32LE(0), b.readUInt32LE(8), b.readUInt32LE(12), b.readUInt32LE(32), b.readUInt32LE(40),
      b.readUInt32LE(44), b.readUInt32LE(64), b.readUInt32LE(68)]).toEqual([7, 64, 128, 3, 8, 16, 1, 1]);
    expect([b.readBigUInt64LE(16), b.readBigUInt64LE(24), b.readBigUInt64LE(48), b.readBigUInt64LE(56)])
      .toEqual([0xan, 0xbn, 0xcn, 0xdn]);
    b.writeUInt32LE(0xffffffff, 4);
    b.writeUInt32LE(250, 36);
    expect(decodeTestRunOutput(b)).toEqual({ retval: 0xffffffff, duration: 250, dataSizeOut: 128, ctxSizeOut: 16 });
  });

  it('struct bpf_prog_info decodes from its 6.18 offsets', () => {
    const b = Buffer.alloc(PROG_INFO_SIZE);
    b.writeUInt32LE(6, 0);
    b.writeUInt32LE(42, 4);
    Buffer.from('0123456789abcdef', 'hex').copy(b, 8);
    b.writeUInt32LE(100, 16);
    b.writeUInt32LE(40, 20);
    b.write('xdp_prog', 64, 'latin1');
    b.writeUInt32LE(1, 84);
    b.writeUInt32LE(5, 216);
    b.writeBigUInt64LE(9n, 200);
    const info = decodeProgInfo(b, [3, 4]);
    expect(info).toMatchObject({ type: 6, id: 42, tag: '0123456789abcdef', jitedSize: 100, xlatedSize: 40,
      name: 'xdp_prog', gplCompatible: true, verifiedInsns: 5, runCount: 9n, mapIds: [3, 4] });
  });
});
