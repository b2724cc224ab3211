/**
 * Socket filters: a `socket_filter` program on one socket (setsockopt SO_ATTACH_BPF), detached with
 * SO_DETACH_BPF. There is no BPF link for this: the Link holds the detach action, and the filter
 * also goes away with the socket.
 * @module
 */
import { BadInputError } from '../../errors.js';
import { syscallError } from '../errno.js';
import { fcntl, nativeAlloc, setsockopt } from '../ffi.js';
import { Fd } from '../fd.js';
import type { HasFd } from '../fd.js';
import { Link } from '../link.js';
import type { Socket as DgramSocket } from 'node:dgram';
import type { Socket as NetSocket } from 'node:net';

const SOL_SOCKET = 1;
const SO_ATTACH_BPF = 50;
const SO_DETACH_BPF = 27;
const F_DUPFD_CLOEXEC = 1030;

/** A socket: a raw fd, something with `fd`, or a Node `dgram`/`net` socket (its handle's fd). */
export type SocketLike = number | HasFd | DgramSocket | NetSocket;

/**
 * The fd of a socket given as a number, an `{ fd }` or a Node socket (bound or connected). For a
 * `dgram` socket the handle sits in its internal state (reading the deprecated `_handle` getter
 * would print DEP0112); for a `net` socket in `_handle`.
 */
export function socketFd(s: SocketLike): number {
  if (typeof s === 'number') return s;
  if (typeof (s as HasFd).fd === 'number') return (s as HasFd).fd;
  let fd: number | undefined;
  for (const sym of Object.getOwnPropertySymbols(s)) {
    const state = (s as unknown as Record<symbol, { handle?: { fd?: number } } | undefined>)[sym];
    if (typeof state?.handle?.fd === 'number') fd = state.handle.fd;
  }
  fd ??= (s as unknown as { _handle?: { fd?: number } | null })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) {
    throw new BadInputError('the socket has no file descriptor yet: bind or connect it first');
  }
  return fd;
}

function setOpt(fd: number, name: number, value: number, what: string): void {
  const v = nativeAlloc(4);
  try {
    v.bytes.writeInt32LE(value, 0);
    const rc = setsockopt(fd, SOL_SOCKET, name, v.addr, 4);
    if (rc < 0) {
      throw syscallError(`setsockopt(${what})`, -rc, {
        9: 'not an open file descriptor', 88: 'the fd is not a socket',
        22: 'the program is not a socket_filter program', 2: 'no filter is attached',
      }[-rc]);
    }
  } finally {
    v.free();
  }
}

/**
 * Attaches a `socket_filter` program to a socket: it sees every packet the socket would receive,
 * and its return value is how many bytes to keep (0 drops). Closing the link detaches it.
 * The link keeps its own duplicate of the socket fd, so detaching never hits a reused fd number.
 */
export function attachSocketFilter(prog: HasFd, socket: SocketLike): Link {
  const fd = socketFd(socket);
  const rc = fcntl(fd, F_DUPFD_CLOEXEC, 1);
  if (rc < 0) throw syscallError('fcntl(F_DUPFD_CLOEXEC) on the socket', -rc);
  const own = new Fd(rc);
  try {
    setOpt(own.fd, SO_ATTACH_BPF, prog.fd, 'SO_ATTACH_BPF');
  } catch (e) {
    own.close();
    throw e;
  }
  return new Link({
    kind: 'socket_filter', target: `socket fd ${fd}`, others: [own],
    detach: () => setOpt(own.fd, SO_DETACH_BPF, 0, 'SO_DETACH_BPF'),
  });
}
