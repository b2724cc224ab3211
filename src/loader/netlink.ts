/**
 * A small rtnetlink client: just enough to create veth pairs, move an end into a namespace, add
 * IPv4 addresses, set links up and delete them, without iproute2. Messages are built as bytes
 * (pure functions, tested without a kernel); {@link RtNetlink} sends them on a NETLINK_ROUTE socket
 * and reads the kernel's ack. A socket belongs to the network namespace it was opened in.
 *
 * Layouts (include/uapi/linux/netlink.h, rtnetlink.h, if_link.h, if_addr.h, veth.h): nlmsghdr 16
 * bytes {len u32, type u16, flags u16, seq u32, pid u32}; ifinfomsg 16 {family u8, pad, type u16,
 * index s32, flags u32, change u32}; ifaddrmsg 8 {family, prefixlen, flags, scope u8, index u32};
 * rtattr {len u16, type u16} + payload, every part 4-byte aligned.
 * @module
 */
import { BadInputError } from '../errors.js';
import { syscallError } from './errno.js';
import { nativeAlloc, recv, send, socket } from './ffi.js';
import { Fd } from './fd.js';

/** rtnetlink message types and flags used here. */
export const Rtm = { NEWLINK: 16, DELLINK: 17, NEWADDR: 20 } as const;
/** nlmsghdr flags. */
export const NlmF = { REQUEST: 1, ACK: 4, EXCL: 0x200, CREATE: 0x400 } as const;
const NLMSG_ERROR = 2;
const IFLA_IFNAME = 3;
const IFLA_LINKINFO = 18;
const IFLA_NET_NS_FD = 28;
const IFLA_INFO_KIND = 1;
const IFLA_INFO_DATA = 2;
const VETH_INFO_PEER = 1;
const IFA_ADDRESS = 1;
const IFA_LOCAL = 2;
const AF_INET = 2;
const IFF_UP = 1;

const align4 = (n: number): number => (n + 3) & ~3;

/** One rtattr: a type and a payload (bytes, a string with NUL, a u32, or nested attributes). */
export interface Attr {
  /** The attribute type. */
  readonly type: number;
  /** Payload. Strings get a terminating NUL; numbers are u32; arrays nest. */
  readonly value: Uint8Array | string | number | readonly Attr[];
}

function payload(v: Attr['value']): Uint8Array {
  if (typeof v === 'string') return Buffer.from(`${v}\0`, 'utf8');
  if (typeof v === 'number') {
    const b = Buffer.alloc(4);
    b.writeUInt32LE(v >>> 0, 0);
    return b;
  }
  if (v instanceof Uint8Array) return v;
  return encodeAttrs(v as readonly Attr[]);
}

/** Encodes rtattrs, each padded to 4 bytes. */
export function encodeAttrs(attrs: readonly Attr[]): Buffer {
  const parts: Buffer[] = [];
  for (const a of attrs) {
    const p = payload(a.value);
    const b = Buffer.alloc(align4(4 + p.length));
    b.writeUInt16LE(4 + p.length, 0);
    b.writeUInt16LE(a.type, 2);
    b.set(p, 4);
    parts.push(b);
  }
  return Buffer.concat(parts);
}

/** An ifinfomsg. */
export function ifinfomsg(index = 0, flags = 0, change = 0): Buffer {
  const b = Buffer.alloc(16);
  b.writeInt32LE(index, 4);
  b.writeUInt32LE(flags, 8);
  b.writeUInt32LE(change, 12);
  return b;
}

/** A whole netlink message: header, fixed part, attributes. */
export function nlmsg(type: number, flags: number, seq: number, body: Uint8Array): Buffer {
  const b = Buffer.alloc(16 + align4(body.length));
  b.writeUInt32LE(16 + body.length, 0);
  b.writeUInt16LE(type, 4);
  b.writeUInt16LE(flags, 6);
  b.writeUInt32LE(seq, 8);
  b.set(body, 16);
  return b;
}

/** RTM_NEWLINK creating a veth pair `name` ↔ `peer`, the peer moved into the namespace of `peerNsFd`. */
export function newVethMessage(seq: number, name: string, peer: string, peerNsFd?: number): Buffer {
  checkName(name);
  checkName(peer);
  const peerInfo = Buffer.concat([
    ifinfomsg(),
    encodeAttrs([{ type: IFLA_IFNAME, value: peer }, ...(peerNsFd !== undefined ? [{ type: IFLA_NET_NS_FD, value: peerNsFd }] : [])]),
  ]);
  const body = Buffer.concat([
    ifinfomsg(),
    encodeAttrs([
      { type: IFLA_IFNAME, value: name },
      { type: IFLA_LINKINFO, value: [
        { type: IFLA_INFO_KIND, value: 'veth' },
        { type: IFLA_INFO_DATA, value: [{ type: VETH_INFO_PEER, value: peerInfo }] },
      ] },
    ]),
  ]);
  return nlmsg(Rtm.NEWLINK, NlmF.REQUEST | NlmF.ACK | NlmF.CREATE | NlmF.EXCL, seq, body);
}

/** RTM_NEWLINK setting interface `index` up (or down). */
export function setLinkUpMessage(seq: number, index: number, up = true): Buffer {
  return nlmsg(Rtm.NEWLINK, NlmF.REQUEST | NlmF.ACK, seq, ifinfomsg(index, up ? IFF_UP : 0, IFF_UP));
}

/** RTM_DELLINK of interface `index`. */
export function deleteLinkMessage(seq: number, index: number): Buffer {
  return nlmsg(Rtm.DELLINK, NlmF.REQUEST | NlmF.ACK, seq, ifinfomsg(index));
}

/** Parses `a.b.c.d/prefix` into the 4 address bytes and the prefix length. */
export function parseCidr(cidr: string): { bytes: Uint8Array; prefix: number } {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?:\/(\d{1,2}))?$/.exec(cidr);
  const parts = m ? m.slice(1, 5).map(Number) : [];
  const prefix = m?.[5] === undefined ? 32 : Number(m[5]);
  if (!m || parts.some((p) => p > 255) || prefix > 32) throw new BadInputError(`not an IPv4 address with prefix: ${cidr}`);
  return { bytes: Uint8Array.from(parts), prefix };
}

/** RTM_NEWADDR adding IPv4 `cidr` (e.g. `10.1.2.1/24`) to interface `index`. */
export function addAddressMessage(seq: number, index: number, cidr: string): Buffer {
  const { bytes, prefix } = parseCidr(cidr);
  const ifa = Buffer.alloc(8);
  ifa[0] = AF_INET;
  ifa[1] = prefix;
  ifa.writeUInt32LE(index, 4);
  const body = Buffer.concat([ifa, encodeAttrs([{ type: IFA_LOCAL, value: bytes }, { type: IFA_ADDRESS, value: bytes }])]);
  return nlmsg(Rtm.NEWADDR, NlmF.REQUEST | NlmF.ACK | NlmF.CREATE | NlmF.EXCL, seq, body);
}

function checkName(name: string): void {
  if (!/^[A-Za-z0-9_.:-]{1,15}$/.test(name)) throw new BadInputError(`bad interface name "${name}" (1-15 bytes of [A-Za-z0-9_.:-])`);
}

/**
 * The errno of the NLMSG_ERROR answering `seq` in a received buffer: 0 for an ack, a positive errno
 * for a failure, undefined when the buffer holds no answer to `seq`.
 */
export function ackErrno(buf: Uint8Array, length: number, seq: number): number | undefined {
  const b = Buffer.from(buf.buffer, buf.byteOffset, length);
  let off = 0;
  while (off + 16 <= length) {
    const len = b.readUInt32LE(off);
    if (len < 16) break;
    if (b.readUInt16LE(off + 4) === NLMSG_ERROR && b.readUInt32LE(off + 8) === seq) return -b.readInt32LE(off + 16) || 0;
    off += align4(len);
  }
  return undefined;
}

const AF_NETLINK = 16;
const SOCK_RAW_CLOEXEC = 3 | 0o2000000;
const NETLINK_ROUTE = 0;

/** A NETLINK_ROUTE socket in the network namespace it was opened in. */
export class RtNetlink implements Disposable {
  readonly #fd: Fd;
  #seq = 1;

  /** Opens the socket (in the calling thread's network namespace). */
  constructor() {
    const rc = socket(AF_NETLINK, SOCK_RAW_CLOEXEC, NETLINK_ROUTE);
    if (rc < 0) throw syscallError('socket(AF_NETLINK)', -rc);
    this.#fd = new Fd(rc);
  }

  /** Sends one request and waits for its ack; throws BpfSyscallError naming `what` on a netlink error. */
  request(build: (seq: number) => Buffer, what: string): void {
    const seq = this.#seq++;
    const msg = build(seq);
    const out = nativeAlloc(msg.length);
    const inb = nativeAlloc(8192);
    try {
      out.bytes.set(msg);
      const sent = send(this.#fd.fd, out.addr, msg.length, 0);
      if (sent < 0) throw syscallError(`netlink send (${what})`, -sent);
      for (;;) {
        const n = recv(this.#fd.fd, inb.addr, 8192, 0);
        if (n < 0) throw syscallError(`netlink recv (${what})`, -n);
        const errno = ackErrno(inb.bytes, n, seq);
        if (errno === undefined) continue;
        if (errno !== 0) throw syscallError(`netlink ${what}`, errno, NETLINK_HINTS[errno]);
        return;
      }
    } finally {
      inb.free();
      out.free();
    }
  }

  /** Creates a veth pair; the peer goes into the namespace of `peerNsFd` when given. */
  addVeth(name: string, peer: string, peerNsFd?: number): void {
    this.request((seq) => newVethMessage(seq, name, peer, peerNsFd), `create veth ${name} <-> ${peer}`);
  }

  /** Sets interface `index` up or down. */
  setUp(index: number, up = true): void {
    this.request((seq) => setLinkUpMessage(seq, index, up), `set ifindex ${index} ${up ? 'up' : 'down'}`);
  }

  /** Adds an IPv4 address with prefix to interface `index`. */
  addAddress(index: number, cidr: string): void {
    this.request((seq) => addAddressMessage(seq, index, cidr), `add ${cidr} to ifindex ${index}`);
  }

  /** Deletes interface `index`. */
  deleteLink(index: number): void {
    this.request((seq) => deleteLinkMessage(seq, index), `delete ifindex ${index}`);
  }

  /** Closes the socket. */
  close(): void {
    this.#fd.close();
  }

  /** Same as {@link RtNetlink.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

const NETLINK_HINTS: Readonly<Partial<Record<number, string>>> = {
  1: 'needs CAP_NET_ADMIN',
  17: 'an interface or address with that name already exists',
  19: 'no such interface',
  95: 'the kernel has no veth driver (CONFIG_VETH)',
};
