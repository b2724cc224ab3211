/**
 * tcx: `sched_cls` programs on an interface's ingress or egress, as BPF links (BPF_TCX_INGRESS /
 * BPF_TCX_EGRESS, 6.6+), no qdisc needed. Several programs can be attached; order them with
 * `before`/`after` another program or link.
 * @module
 */
import { AttachType } from '../../asm/attach-types.js';
import { BadInputError } from '../../errors.js';
import { putU32, putU64 } from '../attr.js';
import type { HasFd } from '../fd.js';
import { Link } from '../link.js';
import { inInterfaceNamespace } from './ifaces.js';
import type { InterfaceTarget } from './ifaces.js';
import { linkCreate } from './link-create.js';

/** tcx program return codes. */
export const TcxAction = { NEXT: -1, PASS: 0, DROP: 2, REDIRECT: 7 } as const;

const BPF_F_BEFORE = 1 << 3;
const BPF_F_AFTER = 1 << 4;
const BPF_F_LINK = 1 << 13;

/** Where and how to attach a tcx program. */
export interface TcxOptions extends InterfaceTarget {
  /** `ingress` or `egress`. */
  readonly direction: 'ingress' | 'egress';
  /** Run before this program (or, if it is a Link, the program of that link). */
  readonly before?: HasFd | Link;
  /** Run after this program (or link). */
  readonly after?: HasFd | Link;
  /** Fail unless the interface's tcx revision is this (0: do not check). */
  readonly expectedRevision?: number;
}

/** Attaches a `sched_cls` program to an interface's tcx ingress or egress hook. */
export function attachTcx(prog: HasFd, opts: TcxOptions): Link {
  if (opts.before && opts.after) throw new BadInputError('tcx: give before or after, not both');
  const attachType = opts.direction === 'ingress' ? AttachType.TCX_INGRESS : AttachType.TCX_EGRESS;
  const rel = opts.before ?? opts.after;
  let flags = opts.before ? BPF_F_BEFORE : opts.after ? BPF_F_AFTER : 0;
  if (rel instanceof Link) flags |= BPF_F_LINK;
  return inInterfaceNamespace(opts, (ifindex, label) => {
    const fd = linkCreate({
      prog, target: ifindex, attachType, flags, what: `tcx ${opts.direction} on ${label}`,
      fill: (dv) => {
        if (rel) putU32(dv, 16, rel.fd);
        if (opts.expectedRevision) putU64(dv, 24, opts.expectedRevision);
      },
      hints: {
        22: 'the program must be sched_cls (loaded with or without expected attach type tcx_ingress/tcx_egress)',
        116: 'the expected revision does not match: the interface\'s programs changed',
      },
    });
    return new Link({ kind: `tcx ${opts.direction}`, target: label, links: [fd] });
  });
}
