import { describe, it, expect } from 'vitest';
import { verify } from '../../src/verifier/verify.js';
import type { Instruction } from '../../src/asm/instruction.js';

// Raw instruction builders (the verifier reads numeric fields only).
const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Instruction => ({ code, dst, src, off, imm });
const movImm = (d: number, imm: number): Instruction => I(0xb7, d, 0, 0, imm);
const movReg = (d: number, s: number): Instruction => I(0xbf, d, s);
const exit = (): Instruction => I(0x95);
const ldMap = (d: number, map: string): Instruction => ({ code: 0x18, dst: d, src: 1, off: 0, imm: 0, immHi: 0, map });
const call = (id: number): Instruction => I(0x85, 0, 0, 0, id);
const stxDw = (d: number, s: number, off: number): Instruction => I(0x7b, d, s, off);
const ldxDw = (d: number, s: number, off: number): Instruction => I(0x79, d, s, off);
const addImm = (d: number, imm: number): Instruction => I(0x07, d, 0, 0, imm);
const jeqImm = (d: number, imm: number, off: number): Instruction => I(0x15, d, 0, off, imm);

const hash = { type: 'hash', keySize: 8, valueSize: 16, maxEntries: 1 } as const;

describe('verify: structure', () => {
  it('accepts the smallest program', () => {
    const r = verify([movImm(0, 0), exit()], { type: 'socket_filter' });
    expect(r).toMatchObject({ ok: true, processed: 2 });
  });
  it('rejects an unknown opcode with the kernel message', () => {
    const r = verify([I(0xff), exit()], { type: 'xdp' });
    expect(r.error).toEqual({ insn: 0, message: 'unknown opcode ff' });
  });
  it('rejects a missing exit and jumps out of range', () => {
    expect(verify([movImm(0, 0)], { type: 'xdp' }).error?.message).toBe('last insn is not an exit or jmp');
    expect(verify([I(0x05, 0, 0, 5), exit()], { type: 'xdp' }).error?.message).toBe('jump out of range from insn 0 to 6');
  });
  it('rejects unreachable code', () => {
    const r = verify([movImm(0, 0), exit(), movImm(0, 1), exit()], { type: 'xdp' });
    expect(r.error?.message).toBe('unreachable insn 2');
  });
  it('never throws on garbage bytes', () => {
    for (let seed = 1; seed < 200; seed++) {
      const b = new Uint8Array(8 * (1 + (seed % 7)));
      let x = seed;
      for (let i = 0; i < b.length; i++) { x = (x * 1103515245 + 12345) >>> 0; b[i] = x >>> 24; }
      const r = verify(b, { type: 'socket_filter' });
      expect(typeof r.ok).toBe('boolean');
      if (!r.ok) expect(r.error?.message.length).toBeGreaterThan(0);
    }
    expect(verify(new Uint8Array(5), { type: 'xdp' }).ok).toBe(false);
    expect(verify([], { type: 'xdp' }).ok).toBe(false);
  });
});

describe('verify: registers and memory', () => {
  it('reports reads of uninitialised registers', () => {
    expect(verify([exit()], { type: 'socket_filter' }).error).toEqual({ insn: 0, message: 'R0 !read_ok' });
    expect(verify([movReg(0, 2), exit()], { type: 'socket_filter' }).error?.message).toBe('R2 !read_ok');
  });
  it('forbids writing the frame pointer', () => {
    expect(verify([movImm(10, 0), exit()], { type: 'xdp' }).error?.message).toBe('frame pointer is read only');
  });
  it('spills and fills pointers through the stack', () => {
    const ok = verify([stxDw(10, 1, -8), ldxDw(2, 10, -8), ldxDw(0, 2, 0), movImm(0, 0), exit()], { type: 'kprobe' });
    expect(ok.ok).toBe(true);
    const bad = verify([movImm(1, 5), ldxDw(0, 1, 0), exit()], { type: 'kprobe' });
    expect(bad.error?.message).toBe("R1 invalid mem access 'scalar'");
  });
  it('requires a null check after a map lookup', () => {
    const prog = (check: boolean): Instruction[] => [
      I(0x7a, 10, 0, -8, 0), movReg(2, 10), addImm(2, -8), ldMap(1, 'm'), call(1),
      ...(check ? [jeqImm(0, 0, 1)] : []), I(0x7a, 0, 0, 0, 1), movImm(0, 0), exit(),
    ];
    expect(verify(prog(true), { type: 'socket_filter', maps: { m: hash } }).ok).toBe(true);
    const r = verify(prog(false), { type: 'socket_filter', maps: { m: hash } });
    expect(r.error).toEqual({ insn: 6, message: "R0 invalid mem access 'map_value_or_null'" });
  });
  it('bounds map value accesses', () => {
    const r = verify([
      I(0x7a, 10, 0, -8, 0), movReg(2, 10), addImm(2, -8), ldMap(1, 'm'), call(1),
      jeqImm(0, 0, 1), I(0x7a, 0, 0, 16, 1), movImm(0, 0), exit(),
    ], { type: 'socket_filter', maps: { m: hash } });
    expect(r.error?.message).toBe('R0 min value is outside of the allowed memory range');
    expect(r.log).toContain('invalid access to map value, value_size=16 off=16 size=8');
  });
  it('rejects an unknown map reference as the kernel does a bad fd', () => {
    expect(verify([ldMap(1, 'nope'), movImm(0, 0), exit()], { type: 'xdp' }).error?.message)
      .toBe('fd 0 is not pointing to valid bpf_map');
  });
});

describe('verify: control flow', () => {
  it('explores bounded loops and counts processed instructions like the kernel', () => {
    // r0 = 0; loop: r0 += 1; if r0 != 4 goto loop; exit  -> 1 + 4 * 2 + 1
    const r = verify([movImm(0, 0), addImm(0, 1), I(0x55, 0, 0, -2, 4), exit()], { type: 'xdp' });
    expect(r).toMatchObject({ ok: true, processed: 10 });
  });
  it('detects an infinite loop', () => {
    const r = verify([movImm(0, 0), jeqImm(0, 0, -1), exit()], { type: 'xdp' });
    expect(r.error?.message).toBe('infinite loop detected at insn 1');
  });
  it('verifies BPF-to-BPF calls and clobbers caller-saved registers', () => {
    const sub = [movImm(0, 1), exit()];
    const ok = verify([movImm(6, 3), I(0x85, 0, 1, 0, 2), movReg(0, 6), exit(), ...sub], { type: 'xdp' });
    expect(ok.ok).toBe(true);
    const bad = verify([movImm(1, 3), I(0x85, 0, 1, 0, 2), movReg(0, 1), exit(), ...sub], { type: 'xdp' });
    expect(bad.error?.message).toBe('R1 !read_ok');
  });
  it('tracks ringbuf references to the exit', () => {
    const rb = { type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 };
    const prog = (release: boolean): Instruction[] => [
      ldMap(1, 'rb'), movImm(2, 8), movImm(3, 0), call(131), jeqImm(0, 0, release ? 3 : 1),
      ...(release ? [movReg(1, 0), movImm(2, 0), call(132)] : [I(0x7a, 0, 0, 0, 1)]), movImm(0, 0), exit(),
    ];
    expect(verify(prog(true), { type: 'kprobe', maps: { rb } }).ok).toBe(true);
    expect(verify(prog(false), { type: 'kprobe', maps: { rb } }).error?.message)
      .toBe('BPF_EXIT instruction in main prog would lead to reference leak');
  });
  it('says "not modelled" rather than accepting what it does not model', () => {
    const r = verify([I(0x85, 0, 2, 0, 1234), movImm(0, 0), exit()], { type: 'xdp' });
    expect(r.error?.message.startsWith('not modelled')).toBe(true);
  });
});

describe('verify: log', () => {
  it('prints instructions as the kernel does and ends with the statistics line', () => {
    const prog = [movImm(0, 0), I(0x7b, 10, 0, -8), stxDw(10, 0, -16), I(0x15, 0, 0, 0, -1), exit()];
    const r = verify(prog, { type: 'xdp', logLevel: 2 });
    const insns = r.log.filter((l) => /^\d+: \(/.test(l)).map((l) => l.replace(/ +;.*$/, ''));
    expect(insns).toEqual([
      '0: (b7) r0 = 0', '1: (7b) *(u64 *)(r10 -8) = r0', '2: (7b) *(u64 *)(r10 -16) = r0',
      '3: (15) if r0 == 0xffffffff goto pc+0', '4: (95) exit',
    ]);
    const stats = /^processed 5 insns \(limit 1000000\) max_states_per_insn \d+ total_states \d+ peak_states \d+ mark_read 0$/;
    expect(r.log[r.log.length - 1]).toMatch(stats);
    // Level 1, the default: the kernel rewinds its log when the walk succeeds.
    expect(verify(prog, { type: 'xdp' }).log).toEqual([expect.stringMatching(stats)]);
  });
  it('at level 1 keeps the failing path with the state each instruction leaves', () => {
    const r = verify([movImm(0, 0), I(0x79, 0, 1, 4096), exit()], { type: 'xdp' });
    expect(r.ok).toBe(false);
    expect(r.log.slice(0, 3)).toEqual(['0: R1=ctx() R10=fp0', '0: (b7) r0 = 0                        ; R0=0',
      '1: (79) r0 = *(u64 *)(r1 +4096)']);
  });
  it('dumps both states of an infinite loop', () => {
    const r = verify([movImm(0, 0), jeqImm(0, 0, -1), exit()], { type: 'xdp' });
    expect(r.log).toContain('cur state: R0=0 R1=ctx() R10=fp0');
    expect(r.log).toContain('old state: R0=0 R1=ctx() R10=fp0');
  });
});

describe('verify: bpf_loop callbacks', () => {
  // r1 = 3; r2 = &callback; r3 = 0; r4 = 0; call bpf_loop; r0 = 0; exit; callback: r0 = RET; exit
  const prog = (ret: number): Instruction[] => [
    movImm(1, 3), { code: 0x18, dst: 2, src: 4, off: 0, imm: 6, immHi: 0 }, movImm(3, 0), movImm(4, 0), call(181),
    movImm(0, 0), exit(), movImm(0, ret), exit(),
  ];
  it('needs BTF func_info for a function reference', () => {
    expect(verify(prog(0), { type: 'tracepoint' }).error?.message).toBe('missing btf func_info');
  });
  it('verifies the callback and its return value range', () => {
    expect(verify(prog(1), { type: 'tracepoint', funcInfo: [0, 8] }).ok).toBe(true);
    expect(verify(prog(2), { type: 'tracepoint', funcInfo: [0, 8] }).error?.message)
      .toBe('At callback return the register R0 has smin=2 smax=2 should have been in [0, 1]');
  });
});

describe('verify: linked scalars', () => {
  // r6 = ctx[0]; r7 = r6 (+ link); r7 += 4; if r7 > 12 goto out; if r6 s< 0 goto out;
  // r8 = fp - 16 + r6; *(u8 *)(r8 + 0) = 0; out: r0 = 0; exit
  const prog = (linked: boolean): Instruction[] => [
    ldxDw(6, 1, 0), linked ? movReg(7, 6) : ldxDw(7, 1, 0), addImm(7, 4), I(0x25, 7, 0, 5, 12), I(0xc5, 6, 0, 4, 0),
    movReg(8, 10), addImm(8, -16), I(0x0f, 8, 6), I(0x72, 8, 0, 0, 0), movImm(0, 0), exit(),
  ];
  it('learn bounds from a comparison of a copy with a constant delta', () => {
    expect(verify(prog(true), { type: 'kprobe' }).ok).toBe(true);
  });
  it('learn nothing without the copy', () => {
    expect(verify(prog(false), { type: 'kprobe' }).error?.message).toMatch(/^invalid unbounded variable-offset write to stack R8|math between fp pointer/);
  });
});
