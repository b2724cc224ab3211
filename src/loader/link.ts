/**
 * `Link`: the object every attach function returns. It owns what keeps a program attached: one or
 * more BPF link fds (BPF_LINK_CREATE, BPF_RAW_TRACEPOINT_OPEN), the perf event fds a tracepoint,
 * uprobe or perf_event attachment rides on, or a detach action (socket filters, which are no link).
 * `close()` detaches; `using` works through `[Symbol.dispose]`; the fds have the Fd backstop.
 * @module
 */
import { unlinkSync } from 'node:fs';
import { BadInputError, NotSupportedError } from '../errors.js';
import { attachTypeName } from '../asm/attach-types.js';
import { getU32, getU64Big, putU32, putU64, viewOf } from './attr.js';
import { syscallError } from './errno.js';
import { nativeAlloc } from './ffi.js';
import { Fd } from './fd.js';
import type { HasFd } from './fd.js';
import { BpfCmd, bpfSyscall, bpfTry } from './syscall.js';

/** `enum bpf_link_type` (include/uapi/linux/bpf.h, Linux 6.18). */
export const LinkType = {
  UNSPEC: 0, RAW_TRACEPOINT: 1, TRACING: 2, CGROUP: 3, ITER: 4, NETNS: 5, XDP: 6, PERF_EVENT: 7,
  KPROBE_MULTI: 8, STRUCT_OPS: 9, NETFILTER: 10, TCX: 11, UPROBE_MULTI: 12, NETKIT: 13, SOCKMAP: 14,
} as const;

const LINK_TYPE_NAMES = new Map<number, string>(Object.entries(LinkType).map(([k, v]) => [v, k.toLowerCase()]));

/** What the kernel reports about a BPF link (BPF_OBJ_GET_INFO_BY_FD, `struct bpf_link_info`). */
export interface LinkInfo {
  /** `enum bpf_link_type`. */
  readonly type: number;
  /** The type's name in lower case (`xdp`, `perf_event`, `tcx`...). */
  readonly typeName: string;
  /** The kernel-wide link id. */
  readonly id: number;
  /** The id of the attached program. */
  readonly progId: number;
  /** Attach type (`enum bpf_attach_type`) for cgroup, tcx, netns, tracing and netkit links. */
  readonly attachType?: number;
  /** The interface index for xdp, tcx and netkit links. */
  readonly ifindex?: number;
  /** The cgroup id for cgroup links. */
  readonly cgroupId?: bigint;
  /** The map id for iterators over a map, struct_ops and sockmap links. */
  readonly mapId?: number;
  /** The `struct bpf_link_info` bytes as the kernel filled them, for fields not decoded here. */
  readonly raw: Uint8Array;
}

/** Size of `struct bpf_link_info` in Linux 6.18 (16-byte head, 48-byte union). */
const LINK_INFO_SIZE = 64;

/** Reads `struct bpf_link_info` of a BPF link fd. */
export function linkInfo(fd: number): LinkInfo {
  const info = nativeAlloc(LINK_INFO_SIZE);
  try {
    const attr = new Uint8Array(16);
    const dv = viewOf(attr);
    putU32(dv, 0, fd);
    putU32(dv, 4, LINK_INFO_SIZE);
    putU64(dv, 8, info.addr);
    bpfSyscall(BpfCmd.BPF_OBJ_GET_INFO_BY_FD, attr);
    const raw = Uint8Array.from(info.bytes.subarray(0, LINK_INFO_SIZE));
    const v = viewOf(raw);
    const type = getU32(v, 0);
    const base = { type, typeName: LINK_TYPE_NAMES.get(type) ?? `link type ${type}`, id: getU32(v, 4), progId: getU32(v, 8), raw };
    const U = 16; // the union
    switch (type) {
      case LinkType.XDP: return { ...base, ifindex: getU32(v, U) };
      case LinkType.TCX: case LinkType.NETKIT: return { ...base, ifindex: getU32(v, U), attachType: getU32(v, U + 4) };
      case LinkType.CGROUP: return { ...base, cgroupId: getU64Big(v, U), attachType: getU32(v, U + 8) };
      case LinkType.NETNS: return { ...base, attachType: getU32(v, U + 4) };
      case LinkType.TRACING: return { ...base, attachType: getU32(v, U) };
      case LinkType.ITER: return getU32(v, U + 12) ? { ...base, mapId: getU32(v, U + 12) } : base;
      case LinkType.STRUCT_OPS: return { ...base, mapId: getU32(v, U) };
      case LinkType.SOCKMAP: return { ...base, mapId: getU32(v, U), attachType: getU32(v, U + 4) };
      default: return base;
    }
  } finally {
    info.free();
  }
}

/** The parts a {@link Link} owns. */
export interface LinkParts {
  /** What kind of attachment this is, e.g. `tracepoint` or `xdp`; used in messages. */
  readonly kind: string;
  /** What it is attached to, e.g. `syscalls/sys_enter_execve` or `veth0 (ifindex 5)`. */
  readonly target: string;
  /** BPF link fds (the first is {@link Link.fd}). Closing them detaches. */
  readonly links?: readonly Fd[];
  /** Other fds kept open while attached (perf events), closed after the links. */
  readonly others?: readonly Fd[];
  /** Detaches what has no link fd (e.g. SO_DETACH_BPF); run first on close. */
  readonly detach?: () => void;
}

/**
 * An attached program. Closing it detaches the program (unless the link was pinned, in which case
 * the pin keeps it attached until removed).
 */
export class Link implements HasFd, Disposable {
  /** What kind of attachment this is (`tracepoint`, `raw_tracepoint`, `uprobe`, `xdp`, ...). */
  readonly kind: string;
  /** What it is attached to. */
  readonly target: string;
  #links: Fd[];
  #others: Fd[];
  #detach: (() => void) | undefined;
  #closed = false;

  /** @internal Built by the attach functions. */
  constructor(parts: LinkParts) {
    this.kind = parts.kind;
    this.target = parts.target;
    this.#links = [...(parts.links ?? [])];
    this.#others = [...(parts.others ?? [])];
    this.#detach = parts.detach;
  }

  /**
   * The BPF link fd; for an attachment that rides on a perf event without a BPF link (the ioctl
   * path), the perf event fd. Throws once closed, or when the attachment owns no fd (socket filter).
   */
  get fd(): number {
    if (this.#closed) throw new BadInputError(`${this.kind} link on ${this.target} is closed`);
    const f = this.#links[0] ?? this.#others[0];
    if (!f) throw new BadInputError(`${this.kind} attachment on ${this.target} has no file descriptor`);
    return f.fd;
  }

  /** Whether the attachment is a BPF link (can be pinned, queried, updated). */
  get isBpfLink(): boolean {
    return this.#links.length > 0;
  }

  /** Number of BPF link fds held (more than one for e.g. a perf event on every CPU). */
  get linkCount(): number {
    return this.#links.length;
  }

  /** Whether `close()` has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /** What the kernel reports about the (first) BPF link. */
  info(): LinkInfo {
    return linkInfo(this.#bpfLink('info').fd);
  }

  /**
   * Pins the link on a BPF filesystem: it stays attached after this process closes it, until the
   * pin is removed ({@link Link.unpin} or `rm`). Only single BPF links can be pinned.
   */
  pin(path: string): void {
    const link = this.#bpfLink('pinning');
    if (this.#links.length > 1) {
      throw new NotSupportedError(`pinning a ${this.kind} attachment`, `it consists of ${this.#links.length} BPF links; pin them one by one`);
    }
    objPin(path, link.fd);
  }

  /** Removes a pin made with {@link Link.pin}. */
  unpin(path: string): void {
    unlinkSync(path);
  }

  /**
   * Detaches the program now (BPF_LINK_DETACH) while keeping the fd: the link becomes defunct,
   * also for every other holder (pins included). Not every link type supports it (EOPNOTSUPP).
   */
  detach(): void {
    for (const l of this.#links) {
      const attr = new Uint8Array(4);
      putU32(viewOf(attr), 0, l.fd);
      bpfSyscall(BpfCmd.BPF_LINK_DETACH, attr);
    }
  }

  /** Replaces the attached program (BPF_LINK_UPDATE); with `expected`, only if that one is attached. */
  update(prog: HasFd, expected?: HasFd): void {
    const link = this.#bpfLink('updating');
    const attr = new Uint8Array(16);
    const dv = viewOf(attr);
    putU32(dv, 0, link.fd);
    putU32(dv, 4, prog.fd);
    if (expected) {
      putU32(dv, 8, 1 << 2); // BPF_F_REPLACE
      putU32(dv, 12, expected.fd);
    }
    bpfSyscall(BpfCmd.BPF_LINK_UPDATE, attr);
  }

  /** Detaches: runs the detach action, closes the links, then the perf events. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    let failure: unknown;
    try {
      this.#detach?.();
    } catch (e) {
      failure = e;
    }
    for (const f of this.#links.splice(0)) f.close();
    for (const f of this.#others.splice(0)) f.close();
    if (failure) throw failure;
  }

  /** Same as {@link Link.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }

  /** Prints as `Link(xdp on veth0)`. */
  toString(): string {
    return `Link(${this.kind} on ${this.target}${this.#closed ? ', closed' : ''})`;
  }

  #bpfLink(what: string): Fd {
    if (this.#closed) throw new BadInputError(`${this.kind} link on ${this.target} is closed`);
    const l = this.#links[0];
    if (!l) {
      throw new NotSupportedError(`${what} a ${this.kind} attachment`,
        'it is not a BPF link (attached by ioctl or setsockopt); the kernel offers no link object for it');
    }
    return l;
  }
}

function withPath<T>(path: string, fn: (addr: number) => T): T {
  const name = nativeAlloc(Buffer.byteLength(path) + 1);
  try {
    name.bytes.write(path, 0, 'utf8');
    return fn(name.addr);
  } finally {
    name.free();
  }
}

function objPin(path: string, fd: number): void {
  withPath(path, (addr) => {
    const attr = new Uint8Array(24);
    const dv = viewOf(attr);
    putU64(dv, 0, addr);
    putU32(dv, 8, fd);
    bpfSyscall(BpfCmd.BPF_OBJ_PIN, attr);
  });
}

/** Opens a link pinned at `path` (BPF_OBJ_GET). Closing the result does not detach while pinned. */
export function openPinnedLink(path: string): Link {
  const fd = withPath(path, (addr) => {
    const attr = new Uint8Array(24);
    putU64(viewOf(attr), 0, addr);
    const rc = bpfTry(BpfCmd.BPF_OBJ_GET, attr);
    if (rc < 0) throw syscallError('BPF_OBJ_GET', -rc);
    return new Fd(rc);
  });
  let info: LinkInfo;
  try {
    info = linkInfo(fd.fd);
  } catch (e) {
    fd.close();
    throw e;
  }
  const at = info.attachType !== undefined ? ` ${attachTypeName(info.attachType) ?? info.attachType}` : '';
  return new Link({ kind: `${info.typeName}${at}`, target: path, links: [fd] });
}
