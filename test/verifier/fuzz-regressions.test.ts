/**
 * Model bugs the differential fuzzer (`npm run fuzz:verifier`) found, as shrunk programs with the
 * running kernel's verdict. The model is checked always; the kernel too where bpf() works, so the
 * expected lines stay the kernel's.
 */
import { describe, it, expect } from 'vitest';
import { asm, R0, R1, R2, R3, R6, R7, R10 } from '../../src/asm/dsl/index.js';
import type { ProgramItem } from '../../src/asm/dsl/index.js';
import { encode } from '../../src/asm/encoding.js';
import { verify } from '../../src/verifier/verify.js';
import { kernelTestContext } from '../kernel/privileged.js';
import { kernelVerdict } from '../kernel/verifier-fuzz-runner.js';

const kernel = kernelTestContext('verifier fuzz regressions (kernel side)');

interface Case {
  readonly name: string;
  readonly type: string;
  readonly items: ProgramItem[];
  /** The kernel's error line; empty when it accepts the program. */
  readonly message: string;
  readonly insn: number;
}

const CASES: Case[] = [
  {
    // 6.18.2's check_reg_sane_offset reads a linked scalar's delta from the same `off` field a
    // pointer's offset lives in, and refused this (r7 is known 0 after the branch, its delta is
    // 1 << 29). The running 6.18 stable kernel refused it on 2026-11-22 and accepts it now.
    name: 'a linked scalar with a delta of 2^29 added to a pointer',
    type: 'socket_filter',
    items: [
      asm.mov64(R6, R1), asm.call('get_prandom_u32'), asm.mov64(R7, R0), asm.add64(R7, 1 << 29),
      asm.jge64(R7, 1, 'out'), asm.mov64(R2, R10), asm.add64(R2, -64), asm.add64(R2, R7), asm.ldx('u8', R1, R2, 0),
      asm.label('out'), asm.mov64(R0, 0), asm.exit(),
    ],
    message: '',
    insn: -1,
  },
  {
    name: 'a negative delta of -2^29',
    type: 'xdp',
    items: [
      asm.call('get_prandom_u32'), asm.mov64(R7, R0), asm.add64(R7, -(1 << 29)),
      asm.jne64(R7, 0, 'out'), asm.mov64(R2, R10), asm.add64(R2, -64), asm.add64(R2, R7), asm.ldx('u8', R1, R2, 0),
      asm.label('out'), asm.mov64(R0, 0), asm.exit(),
    ],
    message: '',
    insn: -1,
  },
  {
    // After `w7 s< 3` fails, `w7 s>= 7` cannot fail (the low byte of w7 is 0x01, so w7 >= 257),
    // but the bounds do not show it: refining the fall-through breaks r7's invariants, and the
    // running kernel logs "verifier bug: REG INVARIANTS VIOLATION", resets r7 to unbounded and
    // goes on, where the model used to drop the branch as dead.
    name: 'a branch whose refinement contradicts the tnum is explored with the register unbounded',
    type: 'socket_filter',
    items: [
      asm.call('get_prandom_u32'), asm.mov64(R7, R0), asm.or64(R7, 255), asm.neg64(R7),
      asm.jslt32(R7, 3, 'out'), asm.jsge32(R7, 7, 'out'),
      asm.mov64(R2, R10), asm.add64(R2, -64), asm.add64(R2, R7), asm.ldx('u8', R1, R2, 0),
      asm.label('out'), asm.mov64(R0, 0), asm.exit(),
    ],
    message: 'math between fp pointer and register with unbounded min value is not allowed',
    insn: 8,
  },
  {
    // perf_event programs get the JIT's private stack like kprobes: a 512-byte callee frame
    // does not add to the caller's.
    name: 'a perf_event subprogram with a 512-byte frame called from a frame that uses 8',
    type: 'perf_event',
    items: [
      asm.st('u64', R10, -8, 0), asm.callSub('sub'), asm.mov64(R0, 0), asm.exit(),
      asm.label('sub'), asm.st('u64', R10, -512, 0), asm.mov64(R0, 0), asm.exit(),
    ],
    message: '',
    insn: -1,
  },
  {
    // ...but not when the program has a tail call anywhere (check_max_stack_depth).
    name: 'a tail call takes the private stack away',
    type: 'tracepoint',
    items: [
      asm.mov64(R6, R1), asm.st('u64', R10, -8, 0), asm.callSub('sub'), asm.mov64(R1, R6), asm.loadMap(R2, 'progs'), asm.mov64(R3, 0),
      asm.call('tail_call'), asm.mov64(R0, 0), asm.exit(),
      asm.label('sub'), asm.st('u64', R10, -512, 0), asm.mov64(R0, 0), asm.exit(),
    ],
    message: 'combined stack size of 2 calls is 528. Too large',
    insn: -1,
  },
  {
    // tp_prog_is_valid_access: `off < sizeof(void *)` is an unsigned compare, so an aligned
    // negative offset is accepted; the upper limit is PERF_MAX_TRACE_SIZE, 8192. Offset 8190
    // passes, 8192 does not.
    name: 'tracepoint context reads at negative offsets and up to 8192',
    type: 'tracepoint',
    items: [
      asm.ldx('u16', R7, R1, -2), asm.ldx('u64', R7, R1, -16), asm.ldx('u16', R7, R1, 8190), asm.ldx('u64', R7, R1, 4000),
      asm.ldx('u8', R7, R1, 8192), asm.mov64(R0, 0), asm.exit(),
    ],
    message: 'invalid bpf_context access off=8192 size=1',
    insn: 4,
  },
  {
    // In the main frame a tail call that falls through keeps packet pointers (changes_data is
    // cleared for it): r7 is still a packet pointer after it.
    name: 'packet pointers survive a tail call in the main frame',
    type: 'xdp',
    items: [
      asm.mov64(R6, R1), asm.ldx('u32', R7, R6, 0), asm.mov64(R1, R6), asm.loadMap(R2, 'progs'), asm.mov64(R3, 0),
      asm.call('tail_call'), asm.mov64(R2, R10), asm.add64(R2, R7), asm.mov64(R0, 0), asm.exit(),
    ],
    message: 'R2 pointer += pointer prohibited',
    insn: 8,
  },
  {
    // `w7 = w1` of the context pointer is an unknown u32 (zext_32_to_64), not a 64-bit unknown:
    // the pointer math passes and the write is refused as unbounded.
    name: 'a 32-bit copy of a pointer is zero-extended',
    type: 'socket_filter',
    items: [
      asm.mov32(R7, R1), asm.mov64(R2, R10), asm.add64(R2, -64), asm.add64(R2, R7), asm.st('u8', R2, 0, 0),
      asm.mov64(R0, 0), asm.exit(),
    ],
    message: 'invalid unbounded variable-offset write to stack R2',
    insn: 4,
  },
  {
    // The exit check names the pointer type as reg_type_str does, not "ptr".
    name: 'a cgroup_skb program returning the frame pointer',
    type: 'cgroup_skb',
    items: [asm.mov64(R0, R10), asm.exit()],
    message: 'At program exit the register R0 is not a known value (fp)',
    insn: 1,
  },
  {
    name: 'a cgroup_skb program returning a map value',
    type: 'cgroup_skb',
    items: [
      asm.st('u32', R10, -4, 0), asm.mov64(R2, R10), asm.add64(R2, -4), asm.loadMap(R1, 'array'), asm.call('map_lookup_elem'),
      asm.jne64(R0, 0, 'out'), asm.mov64(R0, 1), asm.label('out'), asm.exit(),
    ],
    message: 'At program exit the register R0 is not a known value (map_value)',
    insn: 8,
  },
];

const ARRAY = { type: 'array', keySize: 4, valueSize: 16, maxEntries: 4 } as const;
const PROGS = { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 } as const;

describe('verifier model: bugs found by the differential fuzzer', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const { instructions } = asm.program(c.items, { source: false });
      const r = verify(instructions, { type: c.type, maps: { array: ARRAY, progs: PROGS }, nrCpus: 2 });
      if (c.message === '') {
        expect(r.error).toBeUndefined();
        expect(r.ok).toBe(true);
      } else {
        expect(r.ok).toBe(false);
        expect(r.error).toMatchObject({ message: c.message, insn: c.insn });
      }
    });
  }

  it.skipIf(!kernel.ok)('the kernel gives the same lines', async () => {
    const { createMap } = await import('../../src/maps/create.js');
    const map = createMap({ ...ARRAY, name: 'array' });
    const progs: { close(): void }[] = [];
    try {
      for (const c of CASES) {
        // A program array takes the type of its first program, so each case gets its own.
        const progArray = createMap({ ...PROGS, name: 'progs' });
        progs.push(progArray);
        const { instructions } = asm.program(c.items, { source: false });
        const bytes = encode(instructions.map((i) => (i.map === undefined ? i
          : { ...i, map: undefined, imm: i.map === 'progs' ? progArray.fd : map.fd })));
        expect(kernelVerdict(c.type, bytes), c.name).toEqual(c.message === '' ? { ok: true } : { ok: false, message: c.message });
      }
    } finally {
      map.close();
      for (const p of progs) p.close();
    }
  });
});
