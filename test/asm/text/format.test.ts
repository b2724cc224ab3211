import { describe, expect, it } from 'vitest';
import type { Instruction } from '../../../src/asm/instruction.js';
import { disassemble, formatInstruction, parseAsm } from '../../../src/asm/text/index.js';
import { isBadInputError, isNotSupportedError } from '../../../src/errors.js';

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Instruction => ({ code, dst, src, off, imm });
const lddw = (dst: number, src: number, imm: number, immHi: number, extra: Partial<Instruction> = {}): Instruction =>
  ({ code: 0x18, dst, src, off: 0, imm, immHi, ...extra });

/** [instruction, kernel dialect (disasm.c), llvm dialect]. Kernel strings written from disasm.c's formats. */
const GOLDEN: readonly (readonly [Instruction, string, string])[] = [
  [I(0x61, 0, 1, 4), 'r0 = *(u32 *)(r1 +4)', 'r0 = *(u32 *)(r1 +4)'],
  [I(0x91, 1, 2, -2), 'r1 = *(s8 *)(r2 -2)', 'r1 = *(s8 *)(r2 -2)'],
  [I(0x25, 1, 0, 3, 5), 'if r1 > 0x5 goto pc+3', 'if r1 > 0x5 goto +3'],
  [I(0xa6, 2, 0, -1, -1), 'if w2 < 0xffffffff goto pc-1', 'if w2 < 0xffffffff goto -1'],
  [I(0x6d, 1, 2, 0), 'if r1 s> r2 goto pc+0', 'if r1 s> r2 goto +0'],
  [I(0x85, 0, 0, 0, 1), 'call bpf_map_lookup_elem#1', 'call 1'],
  [I(0x85, 0, 0, 0, 100000), 'call unknown#100000', 'call 100000'],
  [I(0x85, 0, 1, 0, 7), 'call pc+7', 'call pc+7'],
  [I(0x85, 0, 2, 0, 123), 'call kernel-function#123', 'call kernel-function#123'],
  [I(0x85, 0, 2, 3, 123), 'call kernel-function#123[3]', 'call kernel-function#123[3]'],
  [{ ...I(0x85, 0, 2, 0, 9), kfunc: 'bpf_rcu_read_lock' }, 'call bpf_rcu_read_lock#9', 'call bpf_rcu_read_lock#9'],
  [I(0x8d, 5), 'callx r5', 'callx r5'],
  [I(0xdb, 10, 1, -8, 0x00), 'lock *(u64 *)(r10 -8) += r1', 'lock *(u64 *)(r10 -8) += r1'],
  [I(0xc3, 10, 1, -8, 0xa0), 'lock *(u32 *)(r10 -8) ^= r1', 'lock *(u32 *)(r10 -8) ^= w1'],
  [lddw(1, 0, 0x23456789, 0x1), 'r1 = 0x123456789 ll', 'r1 = 0x123456789 ll'],
  [lddw(1, 0, -1, -1), 'r1 = 0xffffffffffffffff ll', 'r1 = 0xffffffffffffffff ll'],
  [lddw(1, 1, 0, 0, { map: 'events' }), 'r1 = events ll', 'r1 = events ll'],
  [lddw(1, 1, 4, 0), 'r1 = map[fd:4] ll', 'r1 = map[fd:4] ll'],
  [lddw(2, 2, 4, 16), 'r2 = map[fd:4][0]+16 ll', 'r2 = map[fd:4][0]+16 ll'],
  [lddw(2, 2, 0, 8, { map: 'cfg' }), 'r2 = map[cfg][0]+8 ll', 'r2 = map[cfg][0]+8 ll'],
  [lddw(3, 4, 5, 0), 'r3 = subprog[+5] ll', 'r3 = subprog[+5] ll'],
  [lddw(3, 5, 2, 0), 'r3 = map[idx:2] ll', 'r3 = map[idx:2] ll'],
  [lddw(3, 6, 2, -4), 'r3 = map[idx:2][0]-4 ll', 'r3 = map[idx:2][0]-4 ll'],
  [lddw(3, 3, 77, 0), 'r3 = btf_id[77] ll', 'r3 = btf_id[77] ll'],
  [I(0xbc, 0, 1), 'w0 = w1', 'w0 = w1'],
  [I(0x87), 'r0 = -r0', 'r0 = -r0'],
  [I(0x84, 3), 'w3 = -w3', 'w3 = -w3'],
  [I(0xdc, 0, 0, 0, 16), 'r0 = be16 r0', 'r0 = be16 r0'],
  [I(0xd4, 0, 0, 0, 64), 'r0 = le64 r0', 'r0 = le64 r0'],
  [I(0xd7, 0, 0, 0, 64), 'r0 = bswap64 r0', 'r0 = bswap64 r0'],
  [I(0xbf, 1, 2, 8), 'r1 = (s8)r2', 'r1 = (s8)r2'],
  [I(0xbc, 1, 2, 16), 'w1 = (s16)w2', 'w1 = (s16)w2'],
  [I(0x3f, 1, 2, 1), 'r1 s/= r2', 'r1 s/= r2'],
  [I(0x94, 1, 0, 1, -3), 'w1 s%= -3', 'w1 s%= -3'],
  [I(0xc7, 1, 0, 0, 3), 'r1 s>>= 3', 'r1 s>>= 3'],
  [I(0xe5, 0, 0, 2), 'may_goto pc+2', 'may_goto +2'],
  [I(0x06, 0, 0, 0, 5), 'gotol pc+5', 'gotol +5'],
  [I(0x05, 0, 0, -4), 'goto pc-4', 'goto -4'],
  [I(0x95), 'exit', 'exit'],
  [I(0xdb, 0, 1, 0, 0x100), 'r0 = load_acquire((u64 *)(r1 +0))', 'r0 = load_acquire((u64 *)(r1 +0))'],
  [I(0xd3, 0, 1, 2, 0x100), 'r0 = load_acquire((u8 *)(r1 +2))', 'w0 = load_acquire((u8 *)(r1 +2))'],
  [I(0xcb, 1, 2, 0, 0x110), 'store_release((u16 *)(r1 +0), r2)', 'store_release((u16 *)(r1 +0), w2)'],
  [I(0xbf, 1, 1, 1, 1), 'r1 = addr_space_cast(r1, 0, 1)', 'r1 = addr_space_cast(r1, 0, 1)'],
  [I(0xbf, 1, 2, 1, 0x10000), 'r1 = addr_space_cast(r2, 1, 0)', 'r1 = addr_space_cast(r2, 1, 0)'],
  [I(0xdb, 1, 0, 0, 0x01), 'r0 = atomic64_fetch_add((u64 *)(r1 +0), r0)', 'r0 = atomic_fetch_add((u64 *)(r1 +0), r0)'],
  [I(0xc3, 1, 2, 4, 0x51), 'r2 = atomic_fetch_and((u32 *)(r1 +4), r2)', 'w2 = atomic_fetch_and((u32 *)(r1 +4), w2)'],
  [I(0xdb, 1, 2, 0, 0xe1), 'r2 = atomic64_xchg((u64 *)(r1 +0), r2)', 'r2 = xchg_64(r1 +0, r2)'],
  [I(0xc3, 1, 2, -4, 0xf1), 'r0 = atomic_cmpxchg((u32 *)(r1 -4), r0, r2)', 'w0 = cmpxchg32_32(r1 -4, w0, w2)'],
  [I(0x62, 1, 0, 0, -5), '*(u32 *)(r1 +0) = -5', '*(u32 *)(r1 +0) = -5'],
  [I(0x73, 10, 1, -1), '*(u8 *)(r10 -1) = r1', '*(u8 *)(r10 -1) = r1'],
  [I(0x30, 0, 0, 0, 5), 'r0 = *(u8 *)skb[5]', 'r0 = *(u8 *)skb[5]'],
  [I(0x48, 0, 1, 0, 0), 'r0 = *(u16 *)skb[r1 + 0]', 'r0 = *(u16 *)skb[r1]'],
  [I(0x40, 0, 1, 0, 12), 'r0 = *(u32 *)skb[r1 + 12]', 'r0 = *(u32 *)skb[r1 + 12]'],
  [I(0xb7, 0, 0, 0, -1), 'r0 = -1', 'r0 = -1'],
  [I(0x07, 1, 0, 0, 2147483647), 'r1 += 2147483647', 'r1 += 2147483647'],
];

describe('formatInstruction', () => {
  for (const [insn, kernel, llvm] of GOLDEN) {
    it(kernel, () => {
      expect(formatInstruction(insn)).toBe(kernel);
      expect(formatInstruction(insn, { dialect: 'llvm' })).toBe(llvm);
      expect(parseAsm(kernel)).toEqual([insn]);
      expect(parseAsm(llvm)).toEqual([insn]);
    });
  }

  it('the ubpf dialect refuses what it has no syntax for, with NotSupportedError', () => {
    for (const x of [I(0xe5, 0, 0, 2), I(0xdb, 0, 1, 0, 0x100), I(0xbf, 1, 1, 1, 1), lddw(1, 1, 3, 0), I(0x30, 0, 0, 0, 1), I(0x85, 0, 2, 1, 5)]) {
      let caught: unknown;
      try { formatInstruction(x, { dialect: 'ubpf' }); } catch (e) { caught = e; }
      expect(isNotSupportedError(caught), JSON.stringify(x)).toBe(true);
    }
    expect(formatInstruction(I(0xbc, 1, 2, 8), { dialect: 'ubpf' })).toBe('movsx832 %r1, %r2');
    expect(formatInstruction(I(0xc3, 1, 2, -4, 0x41), { dialect: 'ubpf' })).toBe('lock fetch or32 [%r1-4], %r2');
  });
});

describe('disassemble', () => {
  const prog: Instruction[] = [
    { ...I(0xb7, 0, 0, 0, 0), symbol: 'entry' },
    lddw(1, 0, 5, 0),
    { ...I(0x15, 1, 0, 0, 0), target: 'out' },
    { ...I(0x85, 0, 1, 0, 0), target: 'sub' },
    { ...I(0x95), symbol: 'out' },
    { ...I(0xb7, 0, 0, 0, 1), symbol: 'sub' },
    I(0x95),
  ];

  it('prints kernel-log slots and labels', () => {
    expect(disassemble(prog)).toBe([
      'entry:', '0: (b7) r0 = 0', '1: (18) r1 = 0x5 ll', '3: (15) if r1 == 0x0 goto out', '4: (85) call sub',
      'out:', '5: (95) exit', 'sub:', '6: (b7) r0 = 1', '7: (95) exit', '',
    ].join('\n'));
    expect(disassemble(prog, { dialect: 'llvm' }).split('\n').slice(0, 3)).toEqual(['entry:', '\tr0 = 0', '\tr1 = 0x5 ll']);
  });

  it('reads labels back: offsets counted in slots, target and symbol kept', () => {
    const back = parseAsm(disassemble(prog));
    expect(back[2]).toEqual({ ...I(0x15, 1, 0, 1, 0), target: 'out' });
    expect(back[3]).toEqual({ ...I(0x85, 0, 1, 0, 1), target: 'sub' });
    expect(back.map((x) => x.symbol)).toEqual(['entry', undefined, undefined, undefined, 'out', 'sub', undefined]);
    expect(parseAsm(disassemble(prog, { dialect: 'ubpf' }), { dialect: 'ubpf' })).toEqual(back);
  });
});

describe('parseAsm', () => {
  function badInput(text: string, dialect: 'llvm' | 'ubpf' = 'llvm'): string {
    try { parseAsm(text, { dialect }); } catch (e) {
      if (isBadInputError(e)) return e.message;
      throw e;
    }
    throw new Error('expected a BadInputError');
  }

  it('reads the verifier log as the kernel prints it (prefixes, `;` state, LD_IMM64 without ll)', () => {
    const log = [
      '0: R1=ctx() R10=fp0',
      '0: (b7) r0 = 0                        ; R0_w=0',
      '1: (18) r1 = 0xffff888100000000',
      '3: (85) call bpf_ktime_get_ns#5       ; R0_w=scalar()',
      '4: (95) exit',
    ].join('\n');
    expect(() => parseAsm(log)).toThrow(/line 1/);
    expect(parseAsm(log.split('\n').slice(1).join('\n'))).toEqual([
      I(0xb7), lddw(1, 0, 0, 0xffff8881 | 0), I(0x85, 0, 0, 0, 5), I(0x95),
    ]);
  });

  it('reads LLVM forms: symbols, labels, directives, comments, helper names', () => {
    const text = `
      .text
      .globl prog
    prog:                 # the entry
      r1 = events ll      // map by name
      call bpf_map_lookup_elem
      if r0 == 0 goto LBB0_2
      r0 = *(u64 *)(r0 + 0) ; a load
    LBB0_2:
      exit
    `;
    expect(parseAsm(text)).toEqual([
      { ...lddw(1, 1, 0, 0), map: 'events', symbol: 'prog' },
      I(0x85, 0, 0, 0, 1),
      { ...I(0x15, 0, 0, 1, 0), target: 'LBB0_2' },
      I(0x79, 0, 0, 0),
      { ...I(0x95), symbol: 'LBB0_2' },
    ]);
  });

  it('a call to a local label is a BPF-to-BPF call even when the name is a helper\'s', () => {
    expect(parseAsm('call map_lookup_elem\nexit\nmap_lookup_elem:\nexit')[0]).toEqual({ ...I(0x85, 0, 1, 0, 1), target: 'map_lookup_elem' });
  });

  it('errors name the line and quote it', () => {
    expect(badInput('r0 = 0\n\n  r0 = frob r1\nexit')).toMatch(/^insn 1: line 3: .*`r0 = frob r1`$/);
    expect(badInput('r11 = 1')).toMatch(/line 1: not a register.*r11/);
    expect(badInput('r1 += 0x100000000')).toMatch(/line 1: immediate out of 32-bit range: 0x100000000/);
    expect(badInput('goto nowhere')).toMatch(/line 1: unknown label nowhere/);
    expect(badInput('a:\na:\nexit')).toMatch(/line 2: duplicate label a/);
    expect(badInput('r0 = *(u32 *)(r1 +40000)')).toMatch(/offset out of 16-bit range/);
    expect(badInput('w1 += r2')).toMatch(/both registers/);
    expect(badInput('0: (b7) r0 = r1')).toMatch(/opcode prefix \(b7\) does not match/);
    expect(badInput('mov %r0, %r11', 'ubpf')).toMatch(/line 1: Invalid register: %r11/);
    expect(badInput('ja far', 'ubpf')).toMatch(/Invalid label: far/);
  });

  it('ubpf: labels count slots (lddw takes two), the first exit is the label `exit`', () => {
    expect(parseAsm('ja exit\nlddw %r0, 0x100000000\nexit\nexit', { dialect: 'ubpf' })).toEqual([
      { ...I(0x05, 0, 0, 2), target: 'exit' }, lddw(0, 0, 0, 1), { ...I(0x95), symbol: 'exit' }, I(0x95),
    ]);
    expect(parseAsm('jeq %r1, 0x10, +1\nmov32 %r0, -1\nexit', { dialect: 'ubpf' })).toEqual([
      I(0x15, 1, 0, 1, 16), I(0xb4, 0, 0, 0, -1), I(0x95),
    ]);
  });
});

describe('invalid encodings', () => {
  it('print their raw fields and read back unchanged (decode with validate: false)', () => {
    const bad: Instruction[] = [
      I(0xf4, 1, 0, 0, 5), I(0x07, 10, 0, 0, 1), I(0xb7, 1, 3, 0, 0), I(0x8f, 15, 12, -1, 7),
      // LD_IMM64 with an unknown pseudo source and without a second slot; a map fd with a high half.
      { code: 0x18, dst: 1, src: 9, off: 0, imm: 1 }, { code: 0x18, dst: 1, src: 1, off: 0, imm: 1, immHi: 2 },
    ];
    for (const x of bad) {
      const text = formatInstruction(x);
      expect(text, text).toMatch(/^raw\(code=0x[0-9a-f]{2} dst=\d+ src=\d+ off=-?\d+ imm=-?\d+( hi=-?\d+)?\)$/);
      expect(parseAsm(text)).toEqual([x]);
    }
    expect(formatInstruction(I(0xf4, 1, 0, 0, 5))).toBe('raw(code=0xf4 dst=1 src=0 off=0 imm=5)');
  });
});
