import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { kernelTestContext } from './privileged.js';
import { tracepointFieldOffset, tracepointFormat } from '../../src/loader/tracepoint-format.js';
import { tracefsRoot, tracepointId } from '../../src/loader/perf-event.js';
import { isBadInputError, isNotSupportedError } from '../../src/errors.js';

const kernel = kernelTestContext('tracepoint formats');

/** The thrown error. */
function thrown(f: () => unknown): Error {
  try { f(); } catch (e) { return e as Error; }
  throw new Error('did not throw');
}

describe.skipIf(!kernel.ok)('tracepoint formats from tracefs', () => {
  it('finds filename at offset 16 of sys_enter_execve, after the common fields and the syscall number', () => {
    expect(tracepointFieldOffset('syscalls/sys_enter_execve', 'filename')).toBe(16);
    const f = tracepointFormat('syscalls/sys_enter_execve');
    expect(f.id).toBe(tracepointId('syscalls', 'sys_enter_execve'));
    expect(f.fields.map((x) => x.name)).toEqual(['common_type', 'common_flags', 'common_preempt_count', 'common_pid', '__syscall_nr', 'filename', 'argv', 'envp']);
    expect(f.fields.find((x) => x.name === 'filename')).toEqual({ name: 'filename', type: 'const char *', offset: 16, size: 8, signed: false });
    expect(f.fields.find((x) => x.name === '__syscall_nr')).toMatchObject({ type: 'int', size: 4, signed: true });
  });

  it('reads every field line of a few formats, arrays and __data_loc strings included', () => {
    for (const event of ['sched/sched_switch', 'sched/sched_process_exec', 'syscalls/sys_exit_read']) {
      const text = readFileSync(`${tracefsRoot()}/events/${event}/format`, 'utf8');
      const f = tracepointFormat(event.replace('/', ':'));
      expect(f.event).toBe(event);
      expect(f.fields).toHaveLength(text.split('\n').filter((l) => l.trim().startsWith('field:')).length);
      // Fields in record order, none overlapping.
      for (let i = 1; i < f.fields.length; i++) expect(f.fields[i]!.offset).toBeGreaterThanOrEqual(f.fields[i - 1]!.offset + f.fields[i - 1]!.size);
    }
    expect(tracepointFormat('sched/sched_switch').fields.find((x) => x.name === 'prev_comm')).toMatchObject({ type: 'char[16]', size: 16 });
    expect(tracepointFormat('sched/sched_process_exec').fields.find((x) => x.name === 'filename')).toMatchObject({ type: '__data_loc char[]', size: 4 });
  });

  it('names the event and the field, and lists the fields, when there is no such event or field', () => {
    const field = thrown(() => tracepointFieldOffset('syscalls/sys_enter_execve', 'no_such_field'));
    expect(isNotSupportedError(field)).toBe(true);
    expect(field.message).toBe('tracepoint syscalls/sys_enter_execve field no_such_field is not supported: syscalls/sys_enter_execve has no field ' +
      'no_such_field; its fields: common_type, common_flags, common_preempt_count, common_pid, __syscall_nr, filename, argv, envp');
    const event = thrown(() => tracepointFormat('syscalls/no_such_event_xyz'));
    expect(isNotSupportedError(event) && event.message).toMatch(/tracepoint syscalls\/no_such_event_xyz .*category syscalls has no event no_such_event_xyz/);
    expect(thrown(() => tracepointFieldOffset('no_such_category_xyz/x', 'a')).message).toMatch(/no tracepoint category no_such_category_xyz/);
    expect(isBadInputError(thrown(() => tracepointFormat('sys_enter_execve')))).toBe(true);
  });
});
