/**
 * Pruning as the running 6.18 kernel does it, seen in its `processed N insns` count: stack slots
 * that are dead at a checkpoint (per-instruction stack liveness, with the reads the walk places),
 * old scalars (in registers or spilled) that cannot be precise, registers kept live by LD_ABS, and
 * BPF_F_TEST_STATE_FREQ. Each program's count is the kernel's (checked live
 * where bpf() works); before these rules the model processed more.
 */
import { describe, it, expect } from 'vitest';
import { asm, R0, R1, R2, R3, R4, R6, R7, R8, R9, R10 } from '../../src/asm/dsl/index.js';
import type { ProgramItem } from '../../src/asm/dsl/index.js';
import { encode } from '../../src/asm/encoding.js';
import { closeRaw } from '../../src/loader/ffi.js';
import { progLoad } from '../../src/loader/prog-load.js';
import { progTypeNumber } from '../../src/loader/prog-names.js';
import { createMap } from '../../src/maps/create.js';
import { verify } from '../../src/verifier/verify.js';
import { kernelTestContext } from '../kernel/privileged.js';

const kernel = kernelTestContext('verifier pruning (kernel side)');

const MAPS = {
  array: { type: 'array', keySize: 4, valueSize: 16, maxEntries: 4 },
  hash: { type: 'hash', keySize: 4, valueSize: 16, maxEntries: 4 },
} as const;

const CASES: { name: string; type: string; items: ProgramItem[]; processed: number; progFlags?: number }[] = [
  {
    // At `out` the main path's state has fp-8 written, the path from the packet check has not;
    // nothing reads the stack after `out`, so the kernel prunes there (the model compared fp-8).
    name: 'a stack slot written before a checkpoint and never read after it',
    type: 'xdp',
    items: [
      asm.mov64(R6, R1), asm.ldx('u32', R2, R1, 0), asm.ldx('u32', R3, R1, 4), asm.mov64(R4, R2), asm.add64(R4, 34),
      asm.jgt64(R4, R3, 'out'), asm.ldx('u16', R1, R2, 12), asm.jne64(R1, 8, 'out'),
      asm.st('u32', R10, -4, 0), asm.mov64(R2, R10), asm.add64(R2, -4), asm.loadMap(R1, 'array'), asm.call('map_lookup_elem'),
      asm.jeq64(R0, 0, 'out'), asm.mov64(R1, 1), asm.atomicAdd64(R0, 0, R1), asm.call('get_prandom_u32'),
      asm.mov64(R1, 0), asm.mov64(R2, 0), asm.mov64(R3, 0), asm.mov64(R4, 0),
      asm.label('out'), asm.mov64(R0, 2), asm.exit(),
    ],
    processed: 25,
  },
  {
    // The read at the end goes through fp-64 + r8 (r8 in [0, 7]): only fp-64 is read, which the
    // walk knows and a static pass does not, so fp-32 (different on the two paths) is dead at
    // the join and the kernel prunes there.
    name: 'a read through a stack pointer of variable offset keeps only the slots it can reach live',
    type: 'sched_cls',
    items: [
      asm.mov64(R6, R1), asm.st('u64', R10, -16, 0), asm.call('get_prandom_u32'), asm.mov64(R7, R0),
      asm.stx('u64', R10, -32, R7), asm.jge64(R7, 0x7fffffff, 'zero'), asm.ldx('u64', R8, R10, -32), asm.and64(R8, 7),
      asm.ja('join'), asm.label('zero'), asm.mov64(R8, 0),
      asm.label('join'), asm.mov64(R2, R10), asm.add64(R2, -64), asm.add64(R2, R8), asm.ldx('u8', R9, R2, 0),
      asm.mov64(R0, 0), asm.exit(),
    ],
    processed: 17,
  },
  {
    // r8 is 8 on one path and 0 on the other when they meet; r8 only flows into r9, which nothing
    // reads, so the kernel never marks it precise and prunes (the model compared the values).
    name: 'a scalar that never reaches a pointer, a branch, a helper or the return value',
    type: 'socket_filter',
    items: [
      asm.mov64(R6, R1), asm.st('u64', R10, -16, 0), asm.call('get_prandom_u32'), asm.mov64(R7, R0),
      asm.stx('u64', R10, -32, R7), asm.jgt64(R7, 0, 'zero'), asm.mov64(R8, 8), asm.ja('join'),
      asm.label('zero'), asm.mov64(R8, 0), asm.label('join'), asm.add64(R8, 1), asm.mov64(R9, R8),
      asm.mov64(R0, 0), asm.mov64(R0, 1), asm.exit(),
    ],
    processed: 15,
  },
  {
    // The same for a spilled scalar: fp-24 holds [0, 7] on one path and >= 101 on the other, but
    // the value filled from it only reaches r9, so the kernel prunes at the fill.
    name: 'a spilled scalar that is filled into a register that never matters',
    type: 'socket_filter',
    items: [
      asm.mov64(R6, R1), asm.st('u64', R10, -16, 0), asm.call('get_prandom_u32'), asm.mov64(R7, R0),
      asm.stx('u64', R10, -32, R7), asm.jgt64(R7, 100, 'big'), asm.ldx('u64', R8, R10, -32), asm.and64(R8, 7),
      asm.stx('u64', R10, -24, R8), asm.ja('join'), asm.label('big'), asm.ldx('u64', R8, R10, -32), asm.stx('u64', R10, -24, R8),
      asm.label('join'), asm.ldx('u64', R8, R10, -24), asm.add64(R8, 1), asm.mov64(R9, R8),
      asm.mov64(R0, 0), asm.exit(),
    ],
    processed: 18,
  },
  {
    // compute_insn_live_regs keeps every register live before LD_ABS: r9 (a map value on one
    // path, unset on the other) counts at the join, so the kernel does not prune there.
    name: 'every register is live before LD_ABS',
    type: 'sched_cls',
    items: [
      asm.mov64(R6, R1), asm.st('u32', R10, -4, 0), asm.mov64(R2, R10), asm.add64(R2, -4), asm.loadMap(R1, 'hash'),
      asm.call('map_lookup_elem'), asm.jeq64(R0, 0, 'join'), asm.mov64(R9, R0), asm.st('u32', R10, -4, 0),
      asm.st('u64', R10, -24, 0), asm.loadMap(R1, 'array'), asm.mov64(R2, R10), asm.add64(R2, -4), asm.mov64(R3, R9),
      asm.mov64(R4, 0), asm.call('map_update_elem'),
      asm.label('join'), asm.call('get_prandom_u32'), asm.mov64(R7, R0), asm.mov64(R8, 0xfffffff), asm.or32(R7, 0),
      asm.ldAbs('u16', -1), asm.mov64(R0, 1), asm.exit(),
    ],
    processed: 30,
  },
  {
    // BPF_F_TEST_STATE_FREQ: a checkpoint at every prune point, so the path from the jump meets
    // the fall-through's state at 2 and is pruned there.
    name: 'BPF_F_TEST_STATE_FREQ checkpoints every prune point',
    type: 'xdp',
    items: [
      asm.mov64(R3, R10), asm.jne64(R3, 123, 'next'), asm.label('next'), asm.st('u64', R3, -8, 0),
      asm.ldx('u64', R4, R10, -8), asm.mov64(R0, -1), asm.jgt64(R4, R0, 'end'), asm.label('end'), asm.exit(),
    ],
    processed: 8,
    progFlags: 8,
  },
];

describe('verifier model: pruning like the running kernel', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const { instructions } = asm.program(c.items, { source: false });
      const r = verify(instructions, { type: c.type, maps: MAPS, nrCpus: 2, progFlags: c.progFlags ?? 0 });
      expect(r.error).toBeUndefined();
      expect(r.processed).toBe(c.processed);
    });
  }

  it.skipIf(!kernel.ok)('the kernel processes as many instructions', () => {
    const maps = Object.fromEntries(Object.entries(MAPS).map(([name, spec]) => [name, createMap({ ...spec, name })]));
    try {
      for (const c of CASES) {
        const { instructions } = asm.program(c.items, { source: false });
        const bytes = encode(instructions.map((i) => (i.map === undefined ? i : { ...i, map: undefined, imm: maps[i.map]!.fd })));
        const { fd, log } = progLoad({
          progType: progTypeNumber(c.type), insns: bytes, license: 'GPL', logLevel: 4, attr: { progFlags: c.progFlags ?? 0 },
        });
        closeRaw(fd);
        expect(Number(/processed (\d+) insns/.exec((log ?? []).join('\n'))?.[1]), c.name).toBe(c.processed);
      }
    } finally {
      for (const m of Object.values(maps)) m.close();
    }
  });
});
