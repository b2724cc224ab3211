/**
 * `perf_event` programs on a perf event: by default a software event (PERF_COUNT_SW_CPU_CLOCK)
 * sampled on every online CPU, one perf event and one perf link per CPU, held by one Link.
 * @module
 */
import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { BadInputError } from '../../errors.js';
import type { Fd, HasFd } from '../fd.js';
import { Link } from '../link.js';
import { PerfSwId, PerfType, openPerfEvent } from '../perf-event.js';
import { attachToPerfEvent } from './perf-link.js';
import type { PerfAttachOptions } from './perf-link.js';

/** Options of {@link attachPerfEvent}. */
export interface PerfEventOptions extends PerfAttachOptions {
  /** `perf_event_attr.type` (default PERF_TYPE_SOFTWARE). */
  readonly type?: number;
  /** `perf_event_attr.config` (default PERF_COUNT_SW_CPU_CLOCK). */
  readonly config?: number | bigint;
  /** Run the program every this many events (for CPU_CLOCK: nanoseconds). */
  readonly samplePeriod?: number;
  /** Or: run it this many times per second. The default is 1000 Hz when neither is given. */
  readonly sampleFreq?: number;
  /** The CPUs to sample on (default: every online CPU). */
  readonly cpus?: readonly number[];
  /** Only this process (default -1: every process). With a pid, CPUs default to "any" (-1). */
  readonly pid?: number;
}

/** The online CPUs, from /sys/devices/system/cpu/online (e.g. `0-3,6`). */
export function onlineCpus(): number[] {
  let text: string;
  try {
    text = readFileSync('/sys/devices/system/cpu/online', 'utf8').trim();
  } catch {
    return Array.from({ length: availableParallelism() }, (_, i) => i);
  }
  const cpus: number[] = [];
  for (const part of text.split(',')) {
    const [a, b] = part.split('-').map((s) => Number.parseInt(s, 10));
    for (let c = a!; c <= (b ?? a!); c++) cpus.push(c);
  }
  return cpus;
}

/** Attaches a `perf_event` program to a (software, by default) perf event. */
export function attachPerfEvent(prog: HasFd, opts: PerfEventOptions = {}): Link {
  if (opts.samplePeriod !== undefined && opts.sampleFreq !== undefined) {
    throw new BadInputError('perf event: give samplePeriod or sampleFreq, not both');
  }
  const type = opts.type ?? PerfType.SOFTWARE;
  const config = BigInt(opts.config ?? PerfSwId.CPU_CLOCK);
  const freq = opts.samplePeriod === undefined;
  const period = opts.samplePeriod ?? opts.sampleFreq ?? 1000;
  const pid = opts.pid ?? -1;
  const cpus = opts.cpus ?? (pid === -1 ? onlineCpus() : [-1]);
  const target = `perf event type ${type} config ${config}`;
  const links: Fd[] = [];
  const perfs: Fd[] = [];
  try {
    for (const cpu of cpus) {
      const what = `${target} on cpu ${cpu}`;
      const perf = openPerfEvent({ type, config, samplePeriod: period, freq }, { pid, cpu }, what);
      perfs.push(perf);
      const { link } = attachToPerfEvent(prog, perf, what, opts);
      if (link) links.push(link);
    }
  } catch (e) {
    for (const f of [...links, ...perfs]) f.close();
    throw e;
  }
  return new Link({ kind: 'perf_event', target, links, others: perfs });
}
