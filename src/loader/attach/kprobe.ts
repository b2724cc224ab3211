/**
 * kprobes and kretprobes on kernel functions, through the kprobe PMU (perf_event_open with the PMU's
 * dynamic type, `config1` the function name, `config2` the offset) and a perf link. Kernels built
 * without CONFIG_KPROBES have neither the PMU nor tracefs `kprobe_events`: attaching then throws
 * NotSupportedError saying which of the two is missing, found by looking, not assumed.
 * @module
 */
import { existsSync } from 'node:fs';
import { NotSupportedError } from '../../errors.js';
import { nativeAlloc } from '../ffi.js';
import type { HasFd } from '../fd.js';
import { Link } from '../link.js';
import { openPerfEvent, pmuFormatBit, pmuPath, pmuType, tracefsRoot } from '../perf-event.js';
import { attachToPerfEvent } from './perf-link.js';
import type { PerfAttachOptions } from './perf-link.js';

/** Options of {@link attachKprobe}. */
export interface KprobeOptions extends PerfAttachOptions {
  /** Probe the function's return instead of its entry (a kretprobe). */
  readonly retprobe?: boolean;
  /** Byte offset into the function (entry probes only). */
  readonly offset?: number;
  /** Only this process (default -1: all). */
  readonly pid?: number;
}

/** Why kprobes cannot be attached on this kernel, or undefined when the kprobe PMU exists. */
export function kprobeUnsupportedReason(): string | undefined {
  if (pmuType('kprobe') !== undefined) return undefined;
  let events = 'tracefs is not available either';
  try {
    const root = tracefsRoot();
    events = existsSync(`${root}/kprobe_events`)
      ? `${root}/kprobe_events exists, but ts-ebpf attaches kprobes only through the PMU (kernel 4.17+)`
      : `${root}/kprobe_events is absent too: the kernel was built without CONFIG_KPROBES`;
  } catch {
    // keep the default
  }
  return `this kernel has no kprobe PMU (${pmuPath('kprobe')} is absent); ${events}`;
}

/**
 * Attaches a `kprobe` program to the entry (or, with `retprobe`, the return) of kernel function
 * `symbol`. Throws NotSupportedError on kernels without kprobes.
 */
export function attachKprobe(prog: HasFd, symbol: string, opts: KprobeOptions = {}): Link {
  const kind = opts.retprobe ? 'kretprobe' : 'kprobe';
  const why = kprobeUnsupportedReason();
  if (why) throw new NotSupportedError(`${kind} attach (${symbol})`, why);
  const type = pmuType('kprobe')!;
  let config = 0n;
  if (opts.retprobe) {
    const bit = pmuFormatBit('kprobe', 'retprobe');
    if (bit === undefined) throw new NotSupportedError('kretprobe attach', `${pmuPath('kprobe')}/format/retprobe is absent`);
    config = 1n << BigInt(bit);
  }
  const name = nativeAlloc(Buffer.byteLength(symbol) + 1);
  const pid = opts.pid ?? -1;
  const what = `${kind} ${symbol}`;
  try {
    name.bytes.write(symbol, 0, 'utf8');
    const perf = openPerfEvent({ type, config, config1: name.addr, config2: BigInt(opts.offset ?? 0) },
      { pid, cpu: pid === -1 ? 0 : -1 }, what);
    try {
      const { link } = attachToPerfEvent(prog, perf, what, opts);
      return new Link({ kind, target: symbol, links: link ? [link] : [], others: [perf] });
    } catch (e) {
      perf.close();
      throw e;
    }
  } finally {
    name.free();
  }
}

/** Attaches a `kprobe` program to the return of kernel function `symbol` (a kretprobe). */
export function attachKretprobe(prog: HasFd, symbol: string, opts: Omit<KprobeOptions, 'retprobe' | 'offset'> = {}): Link {
  return attachKprobe(prog, symbol, { ...opts, retprobe: true });
}
