/**
 * Attaching a program to an open perf event (tracepoint, uprobe, kprobe, software event): a BPF
 * link (BPF_LINK_CREATE with BPF_PERF_EVENT, 5.15+), or the older PERF_EVENT_IOC_SET_BPF ioctl
 * when the kernel has no perf links. Either way the event is then enabled.
 * @module
 */
import { AttachType } from '../../asm/attach-types.js';
import { BpfSyscallError } from '../../errors.js';
import { Fd } from '../fd.js';
import type { HasFd } from '../fd.js';
import { putU64Big } from '../attr.js';
import { PerfIoctl, perfIoctl } from '../perf-event.js';
import { linkCreateTry, linkError } from './link-create.js';

/** How a program is attached to a perf event. */
export type PerfAttachMethod = 'link' | 'ioctl' | 'auto';

/** Options shared by the attach functions that go through a perf event. */
export interface PerfAttachOptions {
  /**
   * `link` (BPF_LINK_CREATE), `ioctl` (PERF_EVENT_IOC_SET_BPF) or `auto` (default): a link, and
   * the ioctl when this kernel has no perf event links (EINVAL from BPF_LINK_CREATE).
   */
  readonly method?: PerfAttachMethod;
  /** A value the program reads with bpf_get_attach_cookie (links only). */
  readonly cookie?: bigint;
}

/** What attaching gave: the BPF link fd when a link was made. */
export interface PerfAttachment {
  /** The BPF link, absent on the ioctl path. */
  readonly link: Fd | undefined;
}

const HINTS: Readonly<Partial<Record<number, string>>> = {
  22: 'the program type does not fit this perf event (tracepoints take tracepoint programs, uprobes and kprobes kprobe programs, software events perf_event programs)',
  17: 'a program is already attached to this perf event',
};

/**
 * Attaches `prog` to the perf event `perf` (which the caller keeps owning) and enables it.
 * `what` names the event in errors.
 */
export function attachToPerfEvent(prog: HasFd, perf: Fd, what: string, opts: PerfAttachOptions = {}): PerfAttachment {
  const method = opts.method ?? 'auto';
  let link: Fd | undefined;
  let linkFailure: BpfSyscallError | undefined;
  if (method !== 'ioctl') {
    const rc = linkCreateTry({
      prog, target: perf.fd, attachType: AttachType.PERF_EVENT, what,
      fill: (dv) => { if (opts.cookie !== undefined) putU64Big(dv, 16, opts.cookie); },
    });
    if (rc >= 0) {
      link = new Fd(rc);
    } else {
      linkFailure = linkError(`BPF_LINK_CREATE (${what})`, -rc, HINTS);
      if (method === 'link' || -rc !== 22) throw linkFailure;
    }
  }
  try {
    if (!link) perfIoctl(perf, PerfIoctl.SET_BPF, prog.fd, `PERF_EVENT_IOC_SET_BPF (${what})`);
    perfIoctl(perf, PerfIoctl.ENABLE, 0, `PERF_EVENT_IOC_ENABLE (${what})`);
  } catch (e) {
    link?.close();
    // Both ways failed: the link's error names the likely cause (usually the program type).
    if (linkFailure && !link) {
      throw new BpfSyscallError(`${linkFailure.command} (and the PERF_EVENT_IOC_SET_BPF fallback)`,
        linkFailure.errno, linkFailure.code, linkFailure.hint);
    }
    throw e;
  }
  return { link };
}
