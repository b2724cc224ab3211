/**
 * The printer against the running kernel: a program written in the LLVM dialect is parsed,
 * loaded with verifier log level 2, and every instruction line of the log (`N: (xx) text`) must
 * be exactly what `formatInstruction` prints for slot N (less the ` ll` LD_IMM64 suffix the
 * kernel does not print). Skips where BPF cannot be used.
 */
import { describe, expect, it } from 'vitest';
import { parseAsm, formatInstruction } from '../../../src/asm/text/index.js';
import { slotOffsets } from '../../../src/asm/instruction.js';
import { loadProgram } from '../../../src/loader/program.js';
import { canUseBpf, skipReason } from '../../kernel/program-helpers.js';

const PROGRAM = `
  r0 = 0
  r6 = r1
  w1 = 5
  r1 += 3
  w1 -= 2
  r1 *= r1
  w2 = w1
  r2 /= 3
  r2 s/= 7
  w2 s%= 5
  r2 |= 0x10
  r2 &= -1
  r2 <<= 3
  r2 >>= 1
  r2 s>>= 2
  r2 ^= r1
  r3 = r2
  r3 = -r3
  w3 = -w3
  r3 = be16 r3
  r3 = le32 r3
  r3 = bswap64 r3
  r4 = (s8)r3
  w4 = (s16)w3
  r4 = (s32)r3
  *(u64 *)(r10 -8) = r4
  *(u32 *)(r10 -16) = 7
  *(u16 *)(r10 -12) = 1
  *(u8 *)(r10 -11) = 2
  *(u8 *)(r10 -10) = r1
  r5 = *(u64 *)(r10 -8)
  r5 = *(s8 *)(r10 -8)
  r5 = *(s16 *)(r10 -8)
  r5 = *(s32 *)(r10 -8)
  r5 = *(u32 *)(r10 -16)
  lock *(u64 *)(r10 -8) += r1
  lock *(u32 *)(r10 -16) |= w1
  r1 = atomic_fetch_and((u64 *)(r10 -8), r1)
  r1 = atomic64_fetch_xor((u64 *)(r10 -8), r1)
  r0 = 0
  r0 = cmpxchg_64(r10 -8, r0, r1)
  r1 = atomic64_xchg((u64 *)(r10 -8), r1)
  r1 = load_acquire((u64 *)(r10 -8))
  store_release((u32 *)(r10 -16), w1)
  r7 = 0x123456789abcdef ll
  call bpf_ktime_get_ns
  r1 = *(u64 *)(r10 -8)
  r2 = *(u32 *)(r10 -16)
  r0 = 0
  if r1 > 0x5 goto l1
  if w1 s< w2 goto l1
  if r1 & 1 goto +0
l1:
  if r1 != r2 goto l2
  goto l2
l2:
  gotol l3
l3:
  may_goto l4
l4:
  r0 = 1
  exit
`;

describe.skipIf(!canUseBpf)(`formatInstruction and the Linux verifier log${skipReason}`, () => {
  it('every instruction line of a level-2 log is what formatInstruction prints', () => {
    const insns = parseAsm(PROGRAM);
    using prog = loadProgram({ type: 'socket_filter', license: 'GPL', instructions: insns, logLevel: 2 });
    const at = slotOffsets(insns);
    const bySlot = new Map<number, string>();
    // The kernel knows no labels: print the numbers.
    insns.forEach(({ target: _t, ...x }, i) =>
      bySlot.set(at[i]!, `(${x.code.toString(16).padStart(2, '0')}) ${formatInstruction(x).replace(/ ll$/, '')}`));
    const seen = new Set<number>();
    for (const line of prog.verifierLog!) {
      const m = /^(\d+): (\([0-9a-f]{2}\) .*?)(?:\s+;.*)?$/.exec(line);
      if (!m) continue;
      const slot = Number(m[1]);
      const text = m[2]!;
      expect(text, `slot ${slot}`).toBe(bySlot.get(slot));
      seen.add(slot);
    }
    // The log reaches every instruction at least once.
    expect([...bySlot.keys()].filter((s) => !seen.has(s))).toEqual([]);
  });
});
