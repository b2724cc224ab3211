/**
 * Parses lines of the kernel's trace_pipe, where bpf_trace_printk output lands:
 * ```
 *            bash-1234    [001] d..31  5678.901234: bpf_trace_printk: Hello World!
 *   <idle>-0    ( 0)  [003] ..s2.  12.5: bpf_trace_printk: x     (with record-tgid on)
 * ```
 * Pure string handling, so it is testable anywhere.
 * @module
 */

/** One parsed trace_pipe line. */
export interface TraceLine {
  /** Task name (comm); may contain spaces and dashes. `<...>` when the kernel did not record it. */
  readonly comm: string;
  /** Thread id of the task that printed. */
  readonly pid: number;
  /** Thread-group id, when the `record-tgid` trace option is on. */
  readonly tgid?: number;
  /** CPU the event was recorded on. */
  readonly cpu: number;
  /** The irq/preempt flags column (e.g. `d..31`), when present. */
  readonly flags?: string;
  /** Timestamp in seconds, as the trace clock prints it. */
  readonly timestamp: number;
  /** The event or function that printed, e.g. `bpf_trace_printk`. */
  readonly event: string;
  /** The message text after `event: `. */
  readonly message: string;
}

const LINE = /^\s*(.*?)-(\d+)\s+(?:\(\s*(-?\d+|-+)\)\s+)?\[(\d+)\]\s+(?:([^\s]{4,6})\s+)?(\d+\.\d+):\s+([^:\s]+):\s?(.*)$/;

/** Parses one trace_pipe line, or returns undefined for lines that are not events (headers, blanks). */
export function parseTraceLine(line: string): TraceLine | undefined {
  const m = LINE.exec(line.replace(/\r?\n$/, ''));
  if (!m) return undefined;
  const tgid = m[3] !== undefined && /^-?\d+$/.test(m[3]) ? Number(m[3]) : undefined;
  return {
    comm: m[1]!,
    pid: Number(m[2]),
    ...(tgid !== undefined ? { tgid } : {}),
    cpu: Number(m[4]),
    ...(m[5] !== undefined ? { flags: m[5] } : {}),
    timestamp: Number(m[6]),
    event: m[7]!,
    message: m[8]!,
  };
}
