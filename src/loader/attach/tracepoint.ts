/**
 * Tracepoints by `category/name`: a PERF_TYPE_TRACEPOINT perf event (id from tracefs) with the
 * program (type `tracepoint`) attached through a perf link, or the SET_BPF ioctl as fallback.
 * @module
 */
import type { HasFd } from '../fd.js';
import { Link } from '../link.js';
import { PerfType, openPerfEvent, splitTracepoint, tracepointId } from '../perf-event.js';
import { attachToPerfEvent } from './perf-link.js';
import type { PerfAttachOptions } from './perf-link.js';

/** Options of {@link attachTracepoint}. */
export interface TracepointOptions extends PerfAttachOptions {
  /** Only events of this process (default -1: every process). */
  readonly pid?: number;
}

/**
 * Attaches a `tracepoint` program to a kernel tracepoint, e.g. `syscalls/sys_enter_execve`.
 * Closing the link detaches it.
 */
export function attachTracepoint(prog: HasFd, event: string, opts: TracepointOptions = {}): Link {
  const [category, name] = splitTracepoint(event);
  const id = tracepointId(category, name);
  const pid = opts.pid ?? -1;
  const what = `tracepoint ${category}/${name}`;
  // A tracepoint's BPF programs run on every CPU; the perf event only needs some CPU when pid is -1.
  const perf = openPerfEvent({ type: PerfType.TRACEPOINT, config: BigInt(id) }, { pid, cpu: pid === -1 ? 0 : -1 }, what);
  try {
    const { link } = attachToPerfEvent(prog, perf, what, opts);
    return new Link({ kind: 'tracepoint', target: `${category}/${name}`, links: link ? [link] : [], others: [perf] });
  } catch (e) {
    perf.close();
    throw e;
  }
}
