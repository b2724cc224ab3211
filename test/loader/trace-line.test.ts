import { describe, expect, it } from 'vitest';
import { parseTraceLine } from '../../src/loader/readers/trace-line.js';

describe('parseTraceLine', () => {
  it('parses a bpf_trace_printk line with the flags column', () => {
    expect(parseTraceLine('            bash-1234    [001] d..31  5678.901234: bpf_trace_printk: Hello World!\n')).toEqual({
      comm: 'bash', pid: 1234, cpu: 1, flags: 'd..31', timestamp: 5678.901234, event: 'bpf_trace_printk', message: 'Hello World!',
    });
  });

  it('keeps dashes and spaces in comm, and reads the tgid column', () => {
    const l = parseTraceLine(' kworker/u8:2-ev ent-77    (   70) [003] ..s2.  12.500000: bpf_trace_printk: a: b');
    expect(l).toMatchObject({ comm: 'kworker/u8:2-ev ent', pid: 77, tgid: 70, cpu: 3, message: 'a: b' });
  });

  it('accepts lines without a flags column and unknown comms', () => {
    expect(parseTraceLine('<...>-5 [000] 1.000001: bpf_trace_printk: x')).toMatchObject({
      comm: '<...>', pid: 5, cpu: 0, timestamp: 1.000001, message: 'x',
    });
    expect(parseTraceLine('<...>-5 [000] 1.000001: bpf_trace_printk: x')!.flags).toBeUndefined();
  });

  it('returns undefined for headers and blank lines', () => {
    expect(parseTraceLine('# tracer: nop')).toBeUndefined();
    expect(parseTraceLine('')).toBeUndefined();
    expect(parseTraceLine('#           TASK-PID     CPU#  |||||  TIMESTAMP  FUNCTION')).toBeUndefined();
  });
});
