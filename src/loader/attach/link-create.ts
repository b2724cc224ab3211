/**
 * BPF_LINK_CREATE, the one command behind most attach functions. The common head of the attr is
 * written here; each family fills its part of the union (offset 16 on) itself.
 *
 * Layout (include/uapi/linux/bpf.h, Linux 6.18, `link_create`): prog_fd @0, target_fd/ifindex @4,
 * attach_type @8, flags @12, union @16 (target_btf_id; iter_info @16 + len @24; perf_event cookie
 * @16; tracing btf id @16 + cookie @24; tcx/netkit/cgroup relative fd @16 + expected revision @24;
 * uprobe_multi path @16, offsets @24, ref_ctr_offsets @32, cookies @40, cnt @48, flags @52, pid @56).
 * @module
 */
import { viewOf, putU32 } from '../attr.js';
import { errnoHint, errnoName } from '../errno.js';
import { BpfSyscallError } from '../../errors.js';
import { Fd } from '../fd.js';
import type { HasFd } from '../fd.js';
import { BpfCmd, bpfTry } from '../syscall.js';

/** Size of the `link_create` part of `union bpf_attr` in 6.18 (uprobe_multi ends at 60; rounded up). */
export const LINK_CREATE_ATTR_SIZE = 64;

/** One BPF_LINK_CREATE request. */
export interface LinkCreateRequest {
  /** The program to attach. */
  readonly prog: HasFd;
  /** target_fd or target_ifindex (0 where the attach type has no target). */
  readonly target: number;
  /** `enum bpf_attach_type`. */
  readonly attachType: number;
  /** `link_create.flags`. */
  readonly flags?: number;
  /** Writes the attach type's part of the union (byte offsets 16 and up). */
  readonly fill?: (dv: DataView) => void;
  /** What is being attached to what, for the error message (e.g. `xdp on veth0`). */
  readonly what: string;
  /** Hints by errno, ahead of the generic ones. */
  readonly hints?: Readonly<Partial<Record<number, string>>>;
}

const COMMON_HINTS: Readonly<Partial<Record<number, string>>> = {
  22: 'the program\'s type or expected attach type does not fit this attach point, or a flag is wrong',
  16: 'something exclusive is already attached there',
  17: 'a program is already attached there',
  95: 'the target does not support this kind of link',
};

/** BPF_LINK_CREATE, returning the -errno instead of throwing. The fd (>= 0) is the caller's to own. */
export function linkCreateTry(req: LinkCreateRequest): number {
  const attr = new Uint8Array(LINK_CREATE_ATTR_SIZE);
  const dv = viewOf(attr);
  putU32(dv, 0, req.prog.fd);
  putU32(dv, 4, req.target);
  putU32(dv, 8, req.attachType);
  putU32(dv, 12, req.flags ?? 0);
  req.fill?.(dv);
  return bpfTry(BpfCmd.BPF_LINK_CREATE, attr);
}

/** BPF_LINK_CREATE; throws BpfSyscallError naming what was attached, with a hint. */
export function linkCreate(req: LinkCreateRequest): Fd {
  const rc = linkCreateTry(req);
  if (rc < 0) throw linkError(`BPF_LINK_CREATE (${req.what})`, -rc, req.hints);
  return new Fd(rc);
}

/** The error for a failed attach call, with the hint for this errno. */
export function linkError(command: string, errno: number, hints?: Readonly<Partial<Record<number, string>>>): BpfSyscallError {
  const hint = hints?.[errno] ?? COMMON_HINTS[errno] ?? errnoHint('BPF_LINK_CREATE', errno);
  return new BpfSyscallError(command, errno, errnoName(errno), hint);
}
