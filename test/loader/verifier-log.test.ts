import { describe, it, expect } from 'vitest';
import { parseVerifierLog, splitLog } from '../../src/loader/verifier-log.js';

// Logs in the shape Linux 6.18 writes them at log level 1.
const ACCESS_LOG = [
  'func#0 @0',
  '0: R1=ctx() R10=fp0',
  '0: (b7) r0 = 0                        ; R0_w=0',
  '1: (61) r2 = *(u32 *)(r1 +4096)',
  'invalid bpf_context access off=4096 size=4',
  'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
  '',
].join('\n');

describe('parseVerifierLog', () => {
  it('takes the last non-empty line before the summary and the last printed instruction', () => {
    const p = parseVerifierLog(ACCESS_LOG + '\0\0\0');
    expect(p.kernelMessage).toBe('invalid bpf_context access off=4096 size=4');
    expect(p.insn).toBe(1);
    expect(p.lines).toHaveLength(6);
    expect(p.lines[5]).toMatch(/^processed 2 insns/);
  });

  it('uses the instruction named in CFG-check messages', () => {
    expect(parseVerifierLog('unreachable insn 3\nprocessed 0 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0\n'))
      .toMatchObject({ kernelMessage: 'unreachable insn 3', insn: 3 });
    expect(parseVerifierLog('jump out of range from insn 2 to 9\n'))
      .toMatchObject({ kernelMessage: 'jump out of range from insn 2 to 9', insn: 2 });
    expect(parseVerifierLog('back-edge from insn 4 to 1\n').insn).toBe(4);
  });

  it('skips the stats lines of BPF_LOG_STATS and keeps multi-line errors readable', () => {
    const log = [
      '0: (bf) r0 = r10',
      '1: (0f) r0 += r1',
      'R1 !read_ok',
      'verification time 12 usec',
      'stack depth 0',
      'processed 2 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0',
    ];
    expect(parseVerifierLog(log)).toMatchObject({ kernelMessage: 'R1 !read_ok', insn: 1 });
  });

  it('has no message and no instruction for an empty log', () => {
    expect(parseVerifierLog('')).toEqual({ lines: [], kernelMessage: '', insn: undefined });
    expect(splitLog('a\nb\n\0garbage')).toEqual(['a', 'b']);
  });

  it('does not mistake register-state lines for instructions', () => {
    const log = ['0: R1=ctx() R10=fp0', 'R0 !read_ok'];
    expect(parseVerifierLog(log)).toMatchObject({ kernelMessage: 'R0 !read_ok', insn: undefined });
  });
});
