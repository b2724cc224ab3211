/**
 * perf_event_open(2) for attaching programs: the `struct perf_event_attr` layout, PMU types and
 * format bits from sysfs, and tracepoint ids from tracefs (mounted on demand).
 *
 * `struct perf_event_attr` (include/uapi/linux/perf_event.h): type @0, size @4, config @8,
 * sample_period/freq @16, sample_type @24, read_format @32, flag bits @40 (disabled 0, inherit 1,
 * exclude_user 4, exclude_kernel 5, freq 10, ...), wakeup_events @48, bp_type @52,
 * config1 (uprobe_path, kprobe_func) @56, config2 (probe_offset) @64. Size PERF_ATTR_SIZE_VER8 = 136.
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { BadInputError, NotSupportedError } from '../errors.js';
import { syscallError } from './errno.js';
import { ioctl, mountRaw, nativeAlloc, perfEventOpen } from './ffi.js';
import { Fd } from './fd.js';

/** `enum perf_type_id` values used here. */
export const PerfType = { HARDWARE: 0, SOFTWARE: 1, TRACEPOINT: 2, HW_CACHE: 3, RAW: 4, BREAKPOINT: 5 } as const;

/** `enum perf_sw_ids`. */
export const PerfSwId = {
  CPU_CLOCK: 0, TASK_CLOCK: 1, PAGE_FAULTS: 2, CONTEXT_SWITCHES: 3, CPU_MIGRATIONS: 4,
  PAGE_FAULTS_MIN: 5, PAGE_FAULTS_MAJ: 6, ALIGNMENT_FAULTS: 7, EMULATION_FAULTS: 8, DUMMY: 9,
  BPF_OUTPUT: 10, CGROUP_SWITCHES: 11,
} as const;

/** perf event ioctls (`_IO('$', n)` / `_IOW('$', 8, __u32)`). */
export const PerfIoctl = { ENABLE: 0x2400, DISABLE: 0x2401, SET_BPF: 0x40042408 } as const;

/** PERF_ATTR_SIZE_VER8. */
export const PERF_ATTR_SIZE = 136;
const PERF_FLAG_FD_CLOEXEC = 8;

/** The fields of `struct perf_event_attr` the attach functions set. */
export interface PerfEventAttr {
  /** `type`: a {@link PerfType} or a dynamic PMU type (uprobe, kprobe). */
  readonly type: number;
  /** `config`. */
  readonly config?: bigint;
  /** `sample_period`, or `sample_freq` when {@link PerfEventAttr.freq} is set. */
  readonly samplePeriod?: number;
  /** Sample at a frequency (Hz) instead of every `samplePeriod` events. */
  readonly freq?: boolean;
  /** Open disabled (enable with the ENABLE ioctl). */
  readonly disabled?: boolean;
  /** `config1` (uprobe_path / kprobe_func: an address). */
  readonly config1?: number;
  /** `config2` (probe_offset). */
  readonly config2?: bigint;
}

/** Encodes a `struct perf_event_attr`. */
export function encodePerfEventAttr(a: PerfEventAttr): Buffer {
  const b = Buffer.alloc(PERF_ATTR_SIZE);
  b.writeUInt32LE(a.type >>> 0, 0);
  b.writeUInt32LE(PERF_ATTR_SIZE, 4);
  b.writeBigUInt64LE(a.config ?? 0n, 8);
  b.writeBigUInt64LE(BigInt(a.samplePeriod ?? 0), 16);
  let flags = 0;
  if (a.disabled) flags |= 1;
  if (a.freq) flags |= 1 << 10;
  b.writeUInt32LE(flags, 40);
  b.writeBigUInt64LE(BigInt(a.config1 ?? 0), 56);
  b.writeBigUInt64LE(a.config2 ?? 0n, 64);
  return b;
}

/** Where to open a perf event: a process (`pid`, -1 for all) on a CPU (`cpu`, -1 for any). */
export interface PerfTarget {
  /** Process id, or -1 for every process (then `cpu` must be a CPU). */
  readonly pid: number;
  /** CPU number, or -1 for any CPU (then `pid` must be a process). */
  readonly cpu: number;
}

/** perf_event_open(2) with close-on-exec; throws BpfSyscallError naming `what` on failure. */
export function openPerfEvent(attr: PerfEventAttr, target: PerfTarget, what: string): Fd {
  const mem = nativeAlloc(PERF_ATTR_SIZE);
  try {
    mem.bytes.set(encodePerfEventAttr(attr));
    const rc = perfEventOpen(mem.addr, target.pid, target.cpu, -1, PERF_FLAG_FD_CLOEXEC);
    if (rc < 0) throw syscallError(`perf_event_open (${what})`, -rc, PERF_HINTS[-rc]);
    return new Fd(rc);
  } finally {
    mem.free();
  }
}

const PERF_HINTS: Readonly<Partial<Record<number, string>>> = {
  1: 'needs root or CAP_PERFMON; also check /proc/sys/kernel/perf_event_paranoid',
  2: 'no such event, PMU, file or symbol',
  13: 'needs root or CAP_PERFMON; also check /proc/sys/kernel/perf_event_paranoid',
  22: 'the kernel refused the event attributes (bad config, offset or pid/cpu combination)',
};

/** perf event ioctl; throws on failure. */
export function perfIoctl(fd: Fd, request: number, arg: number, what: string): void {
  const rc = ioctl(fd.fd, request, arg);
  if (rc < 0) throw syscallError(`ioctl ${what}`, -rc);
}

const PMU_DIR = '/sys/bus/event_source/devices';

/** The type number of a dynamic PMU (`uprobe`, `kprobe`), or undefined when the kernel has none. */
export function pmuType(pmu: string): number | undefined {
  try {
    return Number.parseInt(readFileSync(`${PMU_DIR}/${pmu}/type`, 'utf8').trim(), 10);
  } catch {
    return undefined;
  }
}

/** Where a PMU is described in sysfs (for messages). */
export function pmuPath(pmu: string): string {
  return `${PMU_DIR}/${pmu}`;
}

/**
 * The config bit of a PMU format field (e.g. `retprobe` of the uprobe PMU: `config:0` gives 0).
 * Undefined when the PMU has no such field.
 */
export function pmuFormatBit(pmu: string, field: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(`${PMU_DIR}/${pmu}/format/${field}`, 'utf8').trim();
  } catch {
    return undefined;
  }
  const m = /^config:(\d+)/.exec(text);
  return m ? Number(m[1]) : undefined;
}

const TRACEFS_CANDIDATES = ['/sys/kernel/tracing', '/sys/kernel/debug/tracing'];
let tracefs: string | undefined;

/**
 * The tracefs mount point. Mounts tracefs at /sys/kernel/tracing when no mounted tracefs is found
 * (needs root). Throws NotSupportedError when there is none and it cannot be mounted.
 */
export function tracefsRoot(): string {
  if (tracefs && existsSync(`${tracefs}/events`)) return tracefs;
  for (const dir of TRACEFS_CANDIDATES) {
    if (existsSync(`${dir}/events`)) return (tracefs = dir);
  }
  const rc = mountRaw('tracefs', TRACEFS_CANDIDATES[0]!, 'tracefs', 0);
  if (rc < 0 || !existsSync(`${TRACEFS_CANDIDATES[0]}/events`)) {
    throw new NotSupportedError('tracefs', `no tracefs is mounted and mounting it at ${TRACEFS_CANDIDATES[0]} failed` +
      `${rc < 0 ? ` (errno ${-rc})` : ''}; the kernel needs CONFIG_TRACING, mounting needs root`);
  }
  return (tracefs = TRACEFS_CANDIDATES[0]!);
}

/** Splits `category/name` (or `category:name`) into its parts; throws on anything else. */
export function splitTracepoint(event: string): [string, string] {
  const m = /^([A-Za-z0-9_.-]+)[/:]([A-Za-z0-9_.-]+)$/.exec(event);
  if (!m) throw new BadInputError(`tracepoint "${event}": a tracepoint is named category/name, e.g. syscalls/sys_enter_execve`);
  return [m[1]!, m[2]!];
}

/** The perf event id of a tracepoint, from tracefs `events/<category>/<name>/id`. */
export function tracepointId(category: string, name: string): number {
  return Number.parseInt(readTracepointFile(category, name, 'id').trim(), 10);
}

/**
 * One file of a tracepoint's tracefs directory (`id`, `format`...); NotSupportedError naming the
 * missing category or event when the kernel has no such tracepoint.
 */
export function readTracepointFile(category: string, name: string, file: string): string {
  const root = tracefsRoot();
  try {
    return readFileSync(`${root}/events/${category}/${name}/${file}`, 'utf8');
  } catch {
    const why = existsSync(`${root}/events/${category}`)
      ? `category ${category} has no event ${name}`
      : `no tracepoint category ${category}`;
    throw new NotSupportedError(`tracepoint ${category}/${name}`, `${why} in ${root}/events`);
  }
}
