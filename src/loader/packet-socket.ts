/**
 * AF_PACKET sockets: every frame on one interface (or all of them), as the wire carries it, the
 * way tcpdump reads. Socket filters attach to them (`attachSocketFilter`) to keep only some frames.
 * Non-blocking: `recv()` returns what is queued now and never waits.
 * @module
 */
import { BadInputError } from '../errors.js';
import { syscallError } from './errno.js';
import { ifNameToIndex, nativeAlloc, recv, socket, syscall } from './ffi.js';
import type { NativeBuffer } from './ffi.js';
import { Fd } from './fd.js';
import type { HasFd } from './fd.js';
import type { NetNamespace } from './netns.js';

const AF_PACKET = 17;
const SOCK_RAW = 3;
const SOCK_NONBLOCK = 0o4000;
const SOCK_CLOEXEC = 0o2000000;
/** ETH_P_ALL: every protocol. */
const ETH_P_ALL = 0x0003;
const EAGAIN = 11;
const SOCKADDR_LL_SIZE = 20;
/** bind(2) by number: the FFI module has no bind of its own. */
const BIND_NR: Record<string, number> = { x64: 49, arm64: 200 };
/** Large enough for any frame on a 64 KiB-MTU interface (lo). */
const FRAME_MAX = 65_536;

/** Where and what an {@link openPacketSocket} socket captures. */
export interface PacketSocketOptions {
  /** Capture on this interface only (default: every interface of the namespace). */
  readonly ifname?: string;
  /** Create the socket inside this namespace (it keeps capturing there after the call returns). */
  readonly namespace?: NetNamespace;
  /** Ethertype to capture, host order (default ETH_P_ALL: everything). */
  readonly protocol?: number;
}

const htons = (v: number): number => ((v & 0xff) << 8) | ((v >> 8) & 0xff);

/** A raw packet socket; `recv()` returns whole frames (Ethernet header first). */
export class PacketSocket implements HasFd, Disposable {
  readonly #owner: Fd;
  readonly #buf: NativeBuffer;
  /** Interface index bound to, or 0 for all. */
  readonly ifindex: number;

  /** @internal Use {@link openPacketSocket}. */
  constructor(owner: Fd, ifindex: number) {
    this.#owner = owner;
    this.ifindex = ifindex;
    this.#buf = nativeAlloc(FRAME_MAX);
  }

  /** The socket's fd (attach a socket filter to this). */
  get fd(): number {
    return this.#owner.fd;
  }

  /** Whether `close()` has run. */
  get closed(): boolean {
    return this.#owner.closed;
  }

  /** The next queued frame (a copy), or undefined when none is queued. Never blocks. */
  recv(): Uint8Array | undefined {
    const n = recv(this.fd, this.#buf.addr, FRAME_MAX, 0);
    if (n === -EAGAIN) return undefined;
    if (n < 0) throw syscallError('recv(AF_PACKET)', -n);
    return Uint8Array.prototype.slice.call(this.#buf.bytes, 0, n);
  }

  /** Every frame queued now, oldest first. */
  drain(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (let f = this.recv(); f !== undefined; f = this.recv()) out.push(f);
    return out;
  }

  /** Closes the socket. Safe to call twice. */
  close(): void {
    if (this.#owner.closed) return;
    this.#owner.close();
    this.#buf.free();
  }

  /** Same as {@link PacketSocket.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

function open(opts: PacketSocketOptions): PacketSocket {
  const protocol = opts.protocol ?? ETH_P_ALL;
  if (!Number.isInteger(protocol) || protocol < 0 || protocol > 0xffff) {
    throw new BadInputError(`packet socket protocol must be an ethertype 0..0xffff, not ${protocol}`);
  }
  let ifindex = 0;
  if (opts.ifname !== undefined) {
    ifindex = ifNameToIndex(opts.ifname);
    if (ifindex === 0) {
      throw new BadInputError(`no interface named "${opts.ifname}"${opts.namespace ? ` in namespace ${opts.namespace.name}` : ''}`);
    }
  }
  const raw = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, htons(protocol));
  if (raw < 0) throw syscallError('socket(AF_PACKET)', -raw, -raw === 1 ? 'packet sockets need CAP_NET_RAW (root)' : undefined);
  const owner = new Fd(raw);
  try {
    const s = new PacketSocket(owner, ifindex);
    if (ifindex !== 0) {
      const addr = nativeAlloc(SOCKADDR_LL_SIZE);
      try {
        const dv = new DataView(addr.bytes.buffer, addr.bytes.byteOffset, SOCKADDR_LL_SIZE);
        dv.setUint16(0, AF_PACKET, true);
        dv.setUint16(2, htons(protocol), true);
        dv.setInt32(4, ifindex, true);
        const nr = BIND_NR[process.arch];
        if (nr === undefined) throw new BadInputError(`packet sockets: no bind(2) number for ${process.arch}`);
        const rc = syscall(nr, s.fd, addr.addr, SOCKADDR_LL_SIZE);
        if (rc < 0) throw syscallError(`bind(AF_PACKET, ${opts.ifname})`, -rc);
      } finally {
        addr.free();
      }
      // Frames from other interfaces may have queued between socket() and bind(): drop them.
      s.drain();
    }
    return s;
  } catch (e) {
    owner.close();
    throw e;
  }
}

/**
 * Opens a non-blocking AF_PACKET raw socket capturing every frame (or one ethertype) on `ifname`,
 * inside `namespace` when given. On loopback each frame is seen twice (outgoing and incoming).
 */
export function openPacketSocket(opts: PacketSocketOptions = {}): PacketSocket {
  return opts.namespace ? opts.namespace.run(() => open(opts)) : open(opts);
}
