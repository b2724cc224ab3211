import { describe, expect, it } from 'vitest';
import { parseTracepointFormat } from '../../src/loader/tracepoint-format.js';
import { isNotSupportedError } from '../../src/errors.js';

/**
 * A format file laid out as tracefs prints it (tabs, the blank line after the common fields), with
 * the kinds of declarations real events have: sched_switch's first fields, then a pointer to pointers
 * (sys_enter_execve's argv), a __data_loc string (sched_process_exec), an array of longs (sys_enter).
 */
const FORMAT = `name: sched_switch
ID: 372
format:
\tfield:unsigned short common_type;\toffset:0;\tsize:2;\tsigned:0;
\tfield:unsigned char common_flags;\toffset:2;\tsize:1;\tsigned:0;
\tfield:unsigned char common_preempt_count;\toffset:3;\tsize:1;\tsigned:0;
\tfield:int common_pid;\toffset:4;\tsize:4;\tsigned:1;

\tfield:char prev_comm[16];\toffset:8;\tsize:16;\tsigned:0;
\tfield:pid_t prev_pid;\toffset:24;\tsize:4;\tsigned:1;
\tfield:const char *const * argv;\toffset:32;\tsize:8;\tsigned:0;
\tfield:__data_loc char[] filename;\toffset:40;\tsize:4;\tsigned:0;
\tfield:unsigned long args[6];\toffset:48;\tsize:48;\tsigned:0;

print fmt: "prev_comm=%s prev_pid=%d", REC->prev_comm, REC->prev_pid
`;

describe('parseTracepointFormat', () => {
  it('reads the id and every field: name, type with array bounds after it, offset, size, signedness', () => {
    const f = parseTracepointFormat('sched/sched_switch', FORMAT);
    expect(f.event).toBe('sched/sched_switch');
    expect(f.id).toBe(372);
    expect(f.fields.map((x) => [x.name, x.type, x.offset, x.size, x.signed])).toEqual([
      ['common_type', 'unsigned short', 0, 2, false],
      ['common_flags', 'unsigned char', 2, 1, false],
      ['common_preempt_count', 'unsigned char', 3, 1, false],
      ['common_pid', 'int', 4, 4, true],
      ['prev_comm', 'char[16]', 8, 16, false],
      ['prev_pid', 'pid_t', 24, 4, true],
      ['argv', 'const char *const *', 32, 8, false],
      ['filename', '__data_loc char[]', 40, 4, false],
      ['args', 'unsigned long[6]', 48, 48, false],
    ]);
  });

  it('refuses a text without an id or with a field line it cannot read', () => {
    const noId = (() => { try { parseTracepointFormat('a/b', 'name: b\nformat:\n'); } catch (e) { return e; } })();
    expect(isNotSupportedError(noId) && noId.message).toMatch(/tracepoint a\/b format .*no "ID:" line/);
    expect(() => parseTracepointFormat('a/b', 'ID: 1\n\tfield:int x;\toffset:zero;\n')).toThrow(/cannot read the field line "field:int x;\toffset:zero;"/);
  });
});
