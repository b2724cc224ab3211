/**
 * Differential test against the running kernel's verifier: random straight-line ALU sequences
 * on unknown scalars (from bpf_get_prandom_u32), ending in a conditional jump, loaded as
 * socket filters with log_level 2. Every register state the kernel prints for r6..r9 must equal
 * the domain model's state formatted with scalarStr, and the branch must be predicted alike.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { encode } from '../../../src/asm/encoding.js';
import type { Instruction } from '../../../src/asm/instruction.js';
import { progLoad } from '../../../src/loader/prog-load.js';
import { closeRaw } from '../../../src/loader/ffi.js';
import { kernelTestContext } from '../../kernel/privileged.js';
import { SCALAR_WORDS, isConst, isConst32, isUnknownTnum, markKnown, markUnknown } from '../../../src/verifier/domains/scalar.js';
import { coerceRegToSize, coerceRegToSizeSx, forkKind, forkValue, linkedAdd, movImm, mov32, movsx32, movsx64, regWidth, scalarAlu, scalarByteSwap } from '../../../src/verifier/domains/alu.js';
import { sanityCheck } from '../../../src/verifier/domains/bounds-sync.js';
import { isBranchTaken, refineBranch, revOpcode } from '../../../src/verifier/domains/branch.js';
import { scalarRangesStr, scalarStr, tnumStr } from '../../../src/verifier/domains/format.js';
import { ptrOffsetAlu } from '../../../src/verifier/domains/ptr-offset.js';

const kernel = kernelTestContext('verifier domain differential test');
const W = SCALAR_WORDS;
const REGS = [6, 7, 8, 9];
/** The fp-8 stack slot, modelled as a pseudo-register after r10. */
const SLOT = 11;

const I = (code: number, dst = 0, src = 0, off = 0, imm = 0): Instruction => ({ code, dst, src, off, imm });

/**
 * The model's state: scalars of r0..r10 in one slab, with the kernel's id, link kind
 * (BPF_ADD_CONST64 / 32 as 64 / 32, 0 for none) and link offset per register.
 */
class Model {
  s = new Uint32Array(12 * W);
  id = new Array<number>(12).fill(0);
  link = new Array<number>(12).fill(0);
  off = new Array<number>(12).fill(0);
  gen = 0;
  /** Whether fp-8 holds a spilled scalar (kept as pseudo-register SLOT). */
  spilled = false;
  str(r: number): string {
    return scalarStr(this.s, r * W, this.id[r]!, false, this.link[r] ? this.off[r] : undefined);
  }
  clone(): Model {
    const m = new Model(); m.s = this.s.slice(); m.id = [...this.id]; m.link = [...this.link]; m.off = [...this.off]; m.gen = this.gen;
    m.spilled = this.spilled;
    return m;
  }
  clearId(r: number): void { this.id[r] = 0; this.link[r] = 0; this.off[r] = 0; }
  /** assign_scalar_id_before_mov. */
  assignId(r: number): void {
    if (this.link[r]) this.clearId(r);
    if (!this.id[r] && !isConst(this.s, r * W)) this.id[r] = ++this.gen;
  }
}

const TMP = new Uint32Array(W);
const immArb = fc.oneof(fc.integer({ min: -20, max: 20 }), fc.constantFrom(0xff, 0xffff, 0x7fffffff, -0x80000000, 0x80, -1, 255, 1 << 20),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }));
const reg = fc.constantFrom(...REGS);
const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0];

/** One random ALU instruction the kernel accepts. */
const aluInsn: fc.Arbitrary<Instruction> = fc.tuple(fc.constantFrom(...ALU_OPS), fc.boolean(), fc.boolean(), reg, reg, immArb,
  fc.constantFrom(0, 1), fc.constantFrom(8, 16, 32), fc.constantFrom(16, 32, 64))
  .map(([op, alu64, x, dst, src, imm, sdiv, sx, bits]) => {
    const cls = alu64 ? 0x07 : 0x04;
    if (op === 0x80) return I(cls | op, dst);
    if (op === 0xd0) return alu64 ? I(0xd7, dst, 0, 0, bits) : I(0x04 | 0xd0 | (x ? 8 : 0), dst, 0, 0, bits);
    if (op === 0xb0 && x) return I(cls | op | 8, dst, src, alu64 ? [0, 8, 16, 32][sx % 4]! : [0, 8, 16][sx % 3]!);
    const width = alu64 ? 64 : 32;
    if (op === 0x60 || op === 0x70 || op === 0xc0) {
      return x ? I(cls | op | 8, dst, src) : I(cls | op, dst, 0, 0, ((imm % width) + width) % width);
    }
    const off = (op === 0x30 || op === 0x90) ? sdiv : 0;
    if (x) return I(cls | op | 8, dst, src, off);
    if ((op === 0x30 || op === 0x90) && imm === 0) imm = 3;
    return I(cls | op, dst, 0, off, imm);
  });

/** `rX = rY; rX += k` (or -=, or the 32-bit forms): creates linked registers with a delta. */
const linkIdiom: fc.Arbitrary<Instruction[]> = fc.tuple(reg, reg, fc.boolean(), fc.boolean(), fc.constantFrom(0x00, 0x10), immArb)
  .map(([d, s, mov64, add64, op, imm]) => [I(mov64 ? 0xbf : 0xbc, d, s), I((add64 ? 0x07 : 0x04) | op, d, 0, 0, imm)]);
/** Spill a register to fp-8, then fill part of it back (zero- or sign-extending): coerce_reg_to_size{,_sx}. */
const spillFill: fc.Arbitrary<Instruction[]> = fc.tuple(reg, reg, fc.constantFrom(0x71, 0x69, 0x61, 0x91, 0x89, 0x81))
  .map(([s, d, ld]) => [I(0x7b, 10, s, -8), I(ld, d, 10, -8)]);
/** A segment body: ALU instructions with some linking idioms mixed in. */
const bodyArb: fc.Arbitrary<Instruction[]> = fc.array(fc.oneof({ arbitrary: aluInsn.map((i) => [i]), weight: 4 }, { arbitrary: linkIdiom, weight: 1 }, { arbitrary: spillFill, weight: 1 }), { maxLength: 6 })
  .map((parts) => parts.flat());

const JOPS = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
const jmpInsn = fc.tuple(fc.constantFrom(...JOPS), fc.boolean(), fc.boolean(), reg, reg, immArb)
  .map(([op, is32, x, dst, src, imm]) => I((is32 ? 0x06 : 0x05) | op | (x ? 8 : 0), dst, x ? src : 0, 0, x ? 0 : imm));

/**
 * Applies one ALU instruction to the model as check_alu_op does, with the id rules of the
 * running 6.18 stable kernel (linked deltas through `+=`/`-=` const, 64- and 32-bit).
 */
function step(m: Model, insn: Instruction): boolean {
  const op = insn.code & 0xf0, alu64 = (insn.code & 7) === 7, x = (insn.code & 8) !== 0;
  const d = insn.dst, db = d * W, sb = insn.src * W;
  const cls = insn.code & 7;
  if (cls === 3) {
    // check_stack_write_fixed_off: an 8-byte spill of a scalar shares its id first
    m.assignId(insn.src);
    m.s.copyWithin(SLOT * W, sb, sb + W); m.id[SLOT] = m.id[insn.src]!; m.link[SLOT] = m.link[insn.src]!; m.off[SLOT] = m.off[insn.src]!;
    m.spilled = true;
    return false;
  }
  if (cls === 1) {
    // narrow fill of a spilled scalar: copy, break the link if the value does not fit (for a
    // sign-extending fill: if its sign bit may be set), then coerce
    const size = { 0x10: 1, 0x08: 2, 0x00: 4 }[insn.code & 0x18]!;
    const sx = (insn.code & 0xe0) === 0x80;
    m.s.copyWithin(db, SLOT * W, SLOT * W + W); m.id[d] = m.id[SLOT]!; m.link[d] = m.link[SLOT]!; m.off[d] = m.off[SLOT]!;
    if (regWidth(m.s, SLOT * W) > size * 8 - (sx ? 1 : 0)) m.clearId(d);
    if (sx) coerceRegToSizeSx(m.s, db, size); else coerceRegToSize(m.s, db, size);
    return false;
  }
  if (op === 0xd0) {
    if (scalarByteSwap(m.s, db, insn.imm, x, alu64)) m.clearId(d);
    sanityCheck(m.s, db);
    return false;
  }
  if (op === 0xb0) {
    const sr = insn.src;
    if (!x) { movImm(m.s, db, insn.imm, alu64); m.clearId(d); }
    else {
      // check_alu_op: which moves share the source's id (assign_scalar_id_before_mov), then copy.
      let share = true;
      if (insn.off === 0 && !alu64) share = regWidth(m.s, sb) <= 32;
      else if (insn.off !== 0) share = m.s[sb + 7] === 0 && m.s[sb + 6]! < 2 ** (insn.off - 1);
      if (share) m.assignId(sr);
      // (6.18 stable clears the delta whenever it clears an id)
      m.id[d] = share ? m.id[sr]! : 0; m.link[d] = share ? m.link[sr]! : 0; m.off[d] = share ? m.off[sr]! : 0;
      if (insn.off === 0 && alu64) m.s.copyWithin(db, sb, sb + W);
      else if (insn.off === 0) mov32(m.s, db, m.s, sb);
      else if (alu64) movsx64(m.s, db, m.s, sb, insn.off >> 3);
      else movsx32(m.s, db, m.s, sb, insn.off >> 3);
    }
    sanityCheck(m.s, db);
    return false;
  }
  let src: Uint32Array = m.s, so = sb;
  if (!x) { markKnown(TMP, 0, insn.imm | 0, insn.imm < 0 ? -1 : 0); src = TMP; so = 0; }
  const dstUmaxHi = m.s[db + 7]!;
  let forked = false;
  if ((op === 0x50 || op === 0x40) && isConst(src, so)) {
    // maybe_fork_scalars: this path continues with dst = -1 (the log's first copy of the insn)
    const kind = forkKind(m.s, db);
    if (kind) { forkValue(m.s, db, kind, true); if (kind === 64) m.clearId(d); forked = true; }
  }
  scalarAlu(m.s, db, src, so, op, alu64);
  if (op === 0x80) { m.clearId(d); sanityCheck(m.s, db); return false; }
  // adjust_reg_min_max_vals' tail: linked scalars through `r += const` / `r -= const`
  const alu32 = !alu64;
  if ((op === 0x00 || op === 0x10) && m.id[d] && (alu32 ? isConst32(src, so) : isConst(src, so))) {
    const lo = src[so]! | 0, hi = alu32 ? 0 : src[so + 1]! | 0;
    let off = lo;
    let clear = (!alu32 && hi !== lo >> 31) || (alu32 && dstUmaxHi !== 0);
    if (!clear && op === 0x10) { if (off === -0x80000000) clear = true; else off = -off; }
    if (clear || m.link[d]) m.clearId(d);
    else { m.link[d] = alu32 ? 32 : 64; m.off[d] = off; }
  } else m.clearId(d);
  sanityCheck(m.s, db);
  return forked;
}

/** Registers live before each instruction (bit i = Ri), for the straight-line-and-forward-jump programs built here. */
function liveBefore(prog: Instruction[]): number[] {
  const live = new Array<number>(prog.length + 1).fill(0);
  for (let i = prog.length - 1; i >= 0; i--) {
    const { code, dst, src, off } = prog[i]!;
    const cls = code & 7, op = code & 0xf0, x = (code & 8) !== 0;
    let use = 0, def = 0, out = live[i + 1]!;
    if (cls === 4 || cls === 7) {
      def = 1 << dst;
      if (op !== 0xb0) use |= 1 << dst;
      if (x && op !== 0xd0) use |= 1 << src;
    } else if (cls === 3) { use = (1 << dst) | (1 << src); } else if (cls === 1) { def = 1 << dst; use = 1 << src;
    } else if (code === 0x95) { use = 1; out = 0; } else if (code === 0x85) { def = 0x3f; } else if (cls === 5 || cls === 6) {
      use = (1 << dst) | (x ? 1 << src : 0);
      out |= live[i + 1 + off]!;
    }
    live[i] = (out & ~def) | use;
  }
  return live;
}

/** sync_linked_regs of the running kernel: copy the refined register into its links, shifted by their delta. */
function syncLinked(mm: Model, known: number, set: number[]): void {
  for (const r of set) {
    if (r === known || mm.id[r] !== mm.id[known]) continue;
    const lr = mm.link[r]!, lk = mm.link[known]!;
    if (lr && lk && lr !== lk) continue; // mixed 32/64-bit links
    if ((!lr && !lk) || mm.off[r] === mm.off[known]) {
      mm.s.copyWithin(r * W, known * W, known * W + W);
      mm.link[r] = lk; mm.off[r] = mm.off[known]!;
      copies++;
    } else {
      const delta = mm.off[r]! - mm.off[known]!; // s64, |delta| < 2^33
      mm.s.copyWithin(r * W, known * W, known * W + W);
      linkedAdd(mm.s, r * W, delta >>> 0, Math.floor(delta / 4294967296), lr === 32 || lk === 32);
      deltaSyncs++;
    }
  }
}

/** The registers a log line lists after `;` (or after `from a to b:`), P marks stripped. */
function regsOf(text: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const m of text.matchAll(/R(\d+)=((?:[^ ;]|; )+)/g)) out.set(Number(m[1]), m[2]!.replace(/^P/, ''));
  return out;
}

let compared = 0, branches = 0, copies = 0, deltaSyncs = 0;

/**
 * Loads the prologue then `body1; jmp1; body2; jmp2; ...`, each jump to its own exit block (so
 * taken states are printed, never pruned), and compares every r6..r9 state printed along the
 * all-fall-through path, and every taken branch's full state, with the model.
 */
function check(segs: [Instruction[], Instruction][]): void {
  const prologue: Instruction[] = [];
  for (const r of REGS) prologue.push(I(0x85, 0, 0, 0, 7), I(0xbf, r, 0), I(0xa7, r, 0, 0, 0)); // call; rX = r0; rX ^= 0
  const prog = [...prologue];
  const jumpAt: number[] = [];
  for (const [body, jmp] of segs) { prog.push(...body); jumpAt.push(prog.length); prog.push({ ...jmp }); }
  prog.push(I(0xb7, 0, 0, 0, 1), I(0x95));
  const targetOf: number[] = [];
  for (let k = 0; k < segs.length; k++) {
    targetOf.push(prog.length);
    prog[jumpAt[k]!] = { ...prog[jumpAt[k]!]!, off: prog.length - jumpAt[k]! - 1 };
    prog.push(I(0xb7, 0, 0, 0, 0), I(0x95));
  }
  const live = liveBefore(prog);
  const { fd, log } = progLoad({ progType: 1, insns: encode(prog), license: 'GPL', logLevel: 2 });
  closeRaw(fd);
  const lines = log!;
  let m = new Model();
  for (const r of REGS) markUnknown(m.s, r * W);
  m.gen = REGS.length;
  const lineOf = (idx: number): string => {
    const l = lines.find((t) => t.startsWith(`${idx}: (`));
    if (l === undefined) throw new Error(`no log line for insn ${idx}:\n${lines.join('\n')}`);
    return l;
  };
  const ctx = (): string => `program:\n${lines.filter((l) => /^\d+: \(|^from /.test(l)).join('\n')}`;
  let idx = prologue.length, forked = false;
  for (let k = 0; k < segs.length; k++) {
    const [body, jmp] = segs[k]!;
    for (const insn of body) {
      if (step(m, insn)) forked = true;
      const got = regsOf(lineOf(idx).split('; ').slice(1).join('; '));
      for (const r of [insn.dst, insn.src]) {
        if (!got.has(r) || !REGS.includes(r)) continue;
        expect(got.get(r), `R${r} after insn ${idx}\n${ctx()}`).toBe(m.str(r));
        compared++;
      }
      idx++;
    }
    const op = jmp.code & 0xf0, is32 = (jmp.code & 7) === 6, x = (jmp.code & 8) !== 0;
    const srcOf = (mm: Model): [Uint32Array, number] => {
      if (x) return [mm.s, jmp.src * W];
      const c = new Uint32Array(W); markKnown(c, 0, jmp.imm | 0, jmp.imm < 0 ? -1 : 0); return [c, 0];
    };
    const [s0, b0] = srcOf(m);
    const pred = isBranchTaken(m.s, jmp.dst * W, s0, b0, op, is32);
    // Pushed states pop last-in first-out, so this path's `from` line for a jump is the first
    // one naming it (a fork's replay can only reach later jumps, and pops after them).
    const from = lines.find((l) => l.startsWith(`from ${idx} to ${targetOf[k]}:`));
    if (pred === -1 || !forked) {
      expect(from !== undefined, `branch at ${idx} explored both ways? model pred=${pred}\n${ctx()}`).toBe(pred === -1);
    }
    if (pred === 1) return;
    if (pred === 0) { idx++; continue; }
    branches++;
    // collect_linked_regs on this state before the push: src's group, then dst's (duplicates and
    // all), live registers only (6.18 stable), then spilled slots; past LINKED_REGS_MAX (6) the
    // kernel drops the register's id instead.
    const linked: number[] = [];
    const collect = (id: number): void => {
      for (const r of [...REGS.filter((q) => (live[idx]! & (1 << q)) !== 0), ...(m.spilled ? [SLOT] : [])]) {
        if (m.id[r] !== id) continue;
        if (linked.length < 6) linked.push(r); else m.clearId(r);
      }
    };
    if (x && m.id[jmp.src]) collect(m.id[jmp.src]!);
    if (m.id[jmp.dst]) collect(m.id[jmp.dst]!);
    const t = m.clone(), f = m.clone();
    const [ts, tb] = srcOf(t), [fs, fb] = srcOf(f);
    refineBranch(t.s, jmp.dst * W, ts, tb, op, is32);
    refineBranch(f.s, jmp.dst * W, fs, fb, revOpcode(op), is32);
    for (const known of x ? [jmp.src, jmp.dst] : [jmp.dst]) {
      if (!m.id[known]) continue;
      syncLinked(f, known, linked); syncLinked(t, known, linked);
    }
    const fall = regsOf(lineOf(idx).split('; ').slice(1).join('; '));
    for (const r of REGS) {
      if (fall.has(r)) { expect(fall.get(r), `R${r} fall-through of ${idx}\n${ctx()}`).toBe(f.str(r)); compared++; }
    }
    const taken = regsOf(from!.slice(from!.indexOf(':') + 1));
    for (const r of REGS) {
      expect(taken.get(r), `R${r} taken branch of ${idx}\n${ctx()}`).toBe(t.str(r)); compared++;
    }
    m = f;
    idx++;
  }
}

describe.skipIf(!kernel.ok)('domain model vs the kernel verifier log (socket filter, log_level 2)', () => {
  it('random ALU sequences and a final branch print the same register states', () => {
    compared = 0; branches = 0; copies = 0; deltaSyncs = 0;
    fc.assert(fc.property(fc.array(fc.tuple(bodyArb, jmpInsn), { minLength: 1, maxLength: 3 }), check),
      { numRuns: Number(process.env.KDIFF_RUNS ?? 400) });
    expect(compared).toBeGreaterThan(1000);
    expect(branches).toBeGreaterThan(50);
    // linked registers were exercised both ways (plain copies and shifted by a delta)
    console.log(`kernel-diff: ${compared} states compared, ${branches} branches, ${copies} linked copies, ${deltaSyncs} delta syncs`);
    expect(copies).toBeGreaterThan(0);
    expect(deltaSyncs).toBeGreaterThan(0);
  }, 120_000);
  it('hand-picked cases: single tnum member in range, sign-crossing s32, <<32 of negatives, forks, byte swaps', () => {
    const A = (op: number, dst: number, imm: number, cls = 0x07): Instruction => I(cls | op, dst, 0, 0, imm);
    const J = (op: number, dst: number, imm: number, cls = 0x05): Instruction => I(cls | op, dst, 0, 0, imm);
    const cases: [Instruction[], Instruction][] = [
      [[A(0x50, 6, 0xf0)], J(0x20, 6, 0xe0)], // only tmax (0xf0) left
      [[A(0x50, 6, 0x11)], J(0x20, 6, 0x10)], // only 0x11 left
      [[A(0x50, 6, 0x11)], J(0xa0, 6, 1)], // only 0 left
      [[A(0x50, 6, 0x111)], J(0x30, 6, 0x102)], // 0x110 and 0x111
      [[A(0x50, 6, 0x6)], J(0x50, 6, 2)],
      [[I(0xbc, 6, 6, 16), A(0x00, 6, 0, 0x04)], J(0x60, 6, 0x7fff)],
      [[A(0xc0, 6, 31, 0x04), A(0x60, 6, 32)], J(0x60, 6, -1)],
      [[A(0xc0, 6, 63), A(0x50, 6, 12)], J(0x10, 6, 0)],
      [[A(0xc0, 6, 31, 0x04), A(0x40, 6, 7, 0x04)], J(0x10, 6, 7, 0x06)],
      [[A(0x50, 6, 0xff00), I(0xdc, 6, 0, 0, 16)], J(0x20, 6, 0x7f)],
      [[A(0x50, 6, 0xff), I(0xd7, 6, 0, 0, 64)], J(0x20, 6, 0)],
      [[A(0x50, 6, 0xff), I(0xd4, 6, 0, 0, 64)], J(0xb0, 6, 0x10)],
      [[A(0x70, 6, 60), A(0x20, 6, 3)], J(0x30, 6, 40)],
      [[A(0x50, 6, 0x7fffffff), A(0x10, 6, 0x40000000)], J(0xc0, 6, 0, 0x06)],
      [[A(0x50, 6, 6)], J(0x40, 6, 4)], // JSET with one bit: learns the bit / JSET_REV clears it
      [[A(0x50, 6, 6)], J(0x40, 6, 4, 0x06)],
      [[A(0x50, 6, 0xff), A(0x00, 6, -128)], J(0x40, 6, 0x80)],
      [[A(0x50, 6, 0xfff)], J(0x50, 6, 0xfff)], // JNE at the edge of the range
      [[A(0x50, 6, 0xfff)], J(0x50, 6, 0)],
      [[A(0xc0, 6, 32), A(0x50, 6, -16)], J(0x70, 6, -8)],
      [[A(0xc0, 6, 32)], J(0xd0, 6, -0x8000, 0x06)],
      [[A(0x70, 6, 1), A(0xa0, 6, -1)], J(0x60, 6, 0)],
    ];
    for (const c of cases) check([c]);
  });
});

describe.skipIf(!kernel.ok)('pointer offsets vs the kernel log', () => {
  it('fp + bounded scalars prints the var_off and bounds ptrOffsetAlu computes', () => {
    const masks = [0xff, 0x7, 0xf0, 0x1ff];
    for (const mask of masks) {
      for (const sh of [56, 60, 62]) {
        const prog: Instruction[] = [
          I(0x85, 0, 0, 0, 7), I(0xbf, 6, 0), I(0x57, 6, 0, 0, mask), // r6 = rand & mask
          I(0x85, 0, 0, 0, 7), I(0xbf, 7, 0), I(0x67, 7, 0, 0, sh), I(0xc7, 7, 0, 0, sh), // r7 = signed small
          I(0xbf, 2, 10), I(0x07, 2, 0, 0, -512), I(0x0f, 2, 6), I(0x0f, 2, 7), // r2 = fp - 512 + r6 + r7
          I(0xb7, 0, 0, 0, 0), I(0x95),
        ];
        const { fd, log } = progLoad({ progType: 1, insns: encode(prog), license: 'GPL', logLevel: 2 });
        closeRaw(fd);
        // model: r6, r7 as the ALU transfer gives them; r2's numeric part starts at 0 (off -512)
        const s = new Uint32Array(4 * W);
        markUnknown(s, 0); scalarAlu(s, 0, Uint32Array.of(mask, 0, 0, 0, mask, 0, mask, 0, mask, 0, mask, 0, mask, mask, mask, mask), 0, 0x50, true);
        markUnknown(s, W); scalarAlu(s, W, ((): Uint32Array => { const k = new Uint32Array(W); markKnown(k, 0, sh, 0); return k; })(), 0, 0x60, true);
        const k = new Uint32Array(W); markKnown(k, 0, sh, 0); scalarAlu(s, W, k, 0, 0xc0, true);
        markKnown(s, 2 * W, 0, 0);
        const fpStr = (): string => {
          const ranges = scalarRangesStr(s, 2 * W);
          const vo = isUnknownTnum(s, 2 * W) ? '' : `,var_off=${tnumStr(s, 2 * W)}`;
          return `fp(off=-512${ranges ? ',' + ranges : ''}${vo})`;
        };
        // The state after insn idx-1 is printed as `idx: R2=...` (after the precision backtracking lines).
        const state = (idx: number, r: number): string | undefined => {
          const l = log!.find((t) => t.startsWith(`${idx}: R`));
          return l === undefined ? undefined : regsOf(l.slice(l.indexOf(':') + 1)).get(r);
        };
        ptrOffsetAlu(s, 2 * W, s, 2 * W, s, 0, false, false);
        expect(state(10, 2), log!.join('\n')).toBe(fpStr());
        ptrOffsetAlu(s, 2 * W, s, 2 * W, s, W, false, false);
        expect(state(11, 2), log!.join('\n')).toBe(fpStr());
      }
    }
  });
});
