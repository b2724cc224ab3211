import { describe, it, expect } from 'vitest';
import {
  ackErrno, addAddressMessage, deleteLinkMessage, encodeAttrs, newVethMessage, parseCidr, setLinkUpMessage,
} from '../../src/loader/netlink.js';
import { isBadInputError } from '../../src/errors.js';

interface Parsed { type: number; data: Buffer }

/** Walks rtattrs the way the kernel's nla_for_each_attr does. */
function attrs(b: Buffer): Parsed[] {
  const out: Parsed[] = [];
  let off = 0;
  while (off + 4 <= b.length) {
    const len = b.readUInt16LE(off);
    expect(len).toBeGreaterThanOrEqual(4);
    out.push({ type: b.readUInt16LE(off + 2), data: b.subarray(off + 4, off + len) });
    off += (len + 3) & ~3;
  }
  expect(off).toBe(b.length);
  return out;
}

function header(m: Buffer) {
  return { len: m.readUInt32LE(0), type: m.readUInt16LE(4), flags: m.readUInt16LE(6), seq: m.readUInt32LE(8) };
}

describe('rtnetlink messages', () => {
  it('RTM_NEWLINK for a veth pair nests IFLA_LINKINFO / INFO_DATA / VETH_INFO_PEER with the peer ifinfomsg', () => {
    const m = newVethMessage(7, 'tsv0', 'tsv0p', 42);
    const h = header(m);
    expect(h).toEqual({ len: m.length, type: 16, flags: 1 | 4 | 0x400 | 0x200, seq: 7 });
    expect(m.length % 4).toBe(0);
    const top = attrs(m.subarray(32)); // 16 header + 16 ifinfomsg
    expect(top.map((a) => a.type)).toEqual([3, 18]);
    expect(top[0]!.data.toString()).toBe('tsv0\0');
    const linkinfo = attrs(top[1]!.data);
    expect(linkinfo.map((a) => a.type)).toEqual([1, 2]);
    expect(linkinfo[0]!.data.toString()).toBe('veth\0');
    const data = attrs(linkinfo[1]!.data);
    expect(data.map((a) => a.type)).toEqual([1]);
    const peer = data[0]!.data;
    expect(peer.subarray(0, 16).every((x) => x === 0)).toBe(true);
    const peerAttrs = attrs(peer.subarray(16));
    expect(peerAttrs.map((a) => a.type)).toEqual([3, 28]);
    expect(peerAttrs[0]!.data.toString()).toBe('tsv0p\0');
    expect(peerAttrs[1]!.data.readUInt32LE(0)).toBe(42);
  });

  it('set up, delete and add address carry the index, flags and address', () => {
    const up = setLinkUpMessage(1, 9);
    expect(header(up).type).toBe(16);
    expect(up.readInt32LE(20)).toBe(9);
    expect(up.readUInt32LE(24)).toBe(1);
    expect(up.readUInt32LE(28)).toBe(1);
    expect(setLinkUpMessage(1, 9, false).readUInt32LE(24)).toBe(0);
    const del = deleteLinkMessage(2, 11);
    expect(header(del)).toMatchObject({ type: 17, flags: 5, seq: 2 });
    expect(del.readInt32LE(20)).toBe(11);
    const add = addAddressMessage(3, 5, '10.201.3.1/24');
    expect(header(add)).toMatchObject({ type: 20, seq: 3 });
    expect([add[16], add[17]]).toEqual([2, 24]);
    expect(add.readUInt32LE(20)).toBe(5);
    const a = attrs(add.subarray(24));
    expect(a.map((x) => x.type)).toEqual([2, 1]);
    for (const x of a) expect([...x.data]).toEqual([10, 201, 3, 1]);
  });

  it('pads attributes to 4 bytes', () => {
    const b = encodeAttrs([{ type: 1, value: 'ab' }, { type: 2, value: 5 }]);
    expect(b.length).toBe(8 + 8);
    expect(b.readUInt16LE(0)).toBe(7);
  });

  it('reads the ack or error for a sequence number', () => {
    const ack = Buffer.alloc(36);
    ack.writeUInt32LE(36, 0);
    ack.writeUInt16LE(2, 4);
    ack.writeUInt32LE(5, 8);
    ack.writeInt32LE(-17, 16);
    expect(ackErrno(ack, 36, 5)).toBe(17);
    expect(ackErrno(ack, 36, 6)).toBeUndefined();
    ack.writeInt32LE(0, 16);
    expect(ackErrno(ack, 36, 5)).toBe(0);
  });

  it('parses IPv4 CIDRs and refuses bad ones', () => {
    expect(parseCidr('10.0.0.1/8')).toEqual({ bytes: Uint8Array.of(10, 0, 0, 1), prefix: 8 });
    expect(parseCidr('192.168.1.2').prefix).toBe(32);
    for (const bad of ['10.0.0.256/8', '10.0.0/8', '10.0.0.1/33', 'fe80::1/64']) {
      let err: unknown;
      try { parseCidr(bad); } catch (e) { err = e; }
      expect(isBadInputError(err), bad).toBe(true);
    }
    expect(() => newVethMessage(1, 'this-name-is-too-long', 'p')).toThrow(/bad interface name/);
  });
});
