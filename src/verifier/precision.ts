/**
 * Which registers may be marked precise, per instruction: a static stand-in for the kernel's
 * precision tracking (mark_chain_precision, backtrack_insn). The kernel compares an old scalar
 * with the current one only when the old one is precise, that is when its value flowed into
 * something whose safety depends on it: a pointer ± scalar, a conditional jump, a helper argument,
 * the return value. Here a register counts as possibly precise before an instruction if its value
 * may flow, along some path and through ALU operations, moves, spills and fills through R10, into
 * such a use; a spilled scalar likewise. Values stored elsewhere count as used there. Every register
 * and slot the kernel can mark precise is in the sets, so pruning on the others is never more eager
 * than the kernel's.
 * @module
 */
import type { Slots } from './ir.js';
import { successors } from './stack-liveness.js';

const ARGS = 0b111110, CALLER_SAVED = 0b111111, ALL = 0xffffffff;
const SIZES = [4, 2, 1, 8];

/** The stack slots (lo, hi) a transfer leaves relevant before the instruction; set by {@link transfer}. */
let outLo = 0, outHi = 0;
/** The registers an exit may mark precise: R0 where check_return_code enforces a range (or may, in a subprogram). */
let exitRegs = 1;

/** Bits of the slots holding bytes [from, to) below the frame pointer, into spanLo/spanHi. */
let spanLo = 0, spanHi = 0;
function span(from: number, to: number): void {
  spanLo = 0; spanHi = 0;
  for (let b = Math.max(from, -512); b < Math.min(to, 0); b++) {
    const spi = Math.floor((-b - 1) / 8);
    if (spi < 32) spanLo |= 1 << spi; else spanHi |= 1 << (spi - 32);
  }
}

/**
 * backtrack_insn, statically: the registers (returned) and stack slots (outLo/outHi) whose values
 * may be needed precise before instruction i, from those after it.
 */
function transfer(s: Slots, i: number, helperArgs: (id: number) => number, after: number, aLo: number, aHi: number): number {
  const code = s.code[i]!, cls = code & 7, op = code & 0xf0, x = (code & 8) !== 0, mode = code & 0xe0;
  const d = s.dst[i]!, sr = s.src[i]!, dst = 1 << d, src = 1 << sr, off = s.off[i]!;
  outLo = aLo; outHi = aHi;
  switch (cls) {
    case 0x04: case 0x07: {
      if (op === 0xb0) {
        // mov: the destination's precision moves to the source
        const rest = after & ~dst;
        return x && (after & dst) ? rest | src : rest;
      }
      // pointer ± scalar marks the scalar precise; a precise result makes its operands precise
      let before = after;
      if (cls === 0x07 && x && (op === 0x00 || op === 0x10)) before |= dst | src;
      else if (x && (after & dst)) before |= src;
      return before;
    }
    case 0x01:
      // a fill passes the precision on to the slot it reads (through another register: any slot)
      if (after & dst) {
        if (sr === 10) { span(off, off + SIZES[(code >> 3) & 3]!); outLo |= spanLo; outHi |= spanHi; } else { outLo = ALL; outHi = ALL; }
      }
      return after & ~dst;
    case 0x02:
      if (d === 10 && (code & 0x18) === 0x18 && off % 8 === 0) { span(off, off + 8); outLo &= ~spanLo; outHi &= ~spanHi; }
      return after;
    case 0x03: {
      if (mode === 0xc0) {
        const imm = s.imm[i]!;
        const fetched = imm === 0x100 ? after & dst : imm === 0xf1 ? after & 1 : imm & 1 ? after & src : 0;
        if (fetched) {
          const base = imm === 0x100 ? sr : d;
          if (base === 10) { span(off, off + SIZES[(code >> 3) & 3]!); outLo |= spanLo; outHi |= spanHi; } else { outLo = ALL; outHi = ALL; }
        }
        if (imm === 0x100) return after & ~dst; // load-acquire
        if (imm === 0xf1) return (after & ~1) | src | 1;
        return (imm & 1 ? after & ~src : after) | src;
      }
      // a spill through R10 passes a slot's precision on to the register stored; any other store
      // counts as a use of the value
      if (d !== 10) return after | src;
      const size = SIZES[(code >> 3) & 3]!;
      span(off, off + size);
      const needed = (aLo & spanLo) !== 0 || (aHi & spanHi) !== 0;
      if (size === 8 && off % 8 === 0) { outLo &= ~spanLo; outHi &= ~spanHi; }
      return needed ? after | src : after;
    }
    case 0x00:
      if (code === 0x18) return after & ~dst;
      return (after & ~CALLER_SAVED) | (mode === 0x40 ? src : 0);
    case 0x05: case 0x06:
      if (op === 0x80) {
        const n = s.src[i] === 0 ? helperArgs(s.imm[i]!) : 5;
        // a helper may need the memory its arguments point to (a map key on the stack)
        if (n > 0) { outLo = ALL; outHi = ALL; }
        return (after & ~CALLER_SAVED) | (((1 << (n + 1)) - 2) & ARGS);
      }
      if (op === 0x90) { outLo = 0; outHi = 0; return exitRegs; }
      if (op === 0x00 || op === 0xe0) return after;
      return after | dst | (x ? src : 0);
    default: return after;
  }
}

/**
 * Per slot, the registers and the stack slots whose values may be marked precise before it.
 * Stack slots are tracked for one-function programs only (else every slot counts).
 */
export interface PrecisionRelevance {
  /** Registers, bit r = Rr. */
  readonly regs: Uint16Array;
  /** Stack slots 0..31 (fp-8 is 0). */
  readonly lo: Uint32Array;
  /** Stack slots 32..63. */
  readonly hi: Uint32Array;
}

/**
 * The registers and stack slots that may be marked precise before each slot. `returnChecked`:
 * whether the program type's return value has a range check (check_return_code's enforce_retval,
 * which marks R0 precise); without one, the exits of a one-function program mark nothing.
 */
export function precisionRelevant(s: Slots, helperArgs: (id: number) => number = () => 5, returnChecked = true): PrecisionRelevance {
  const n = s.len;
  const rel = new Uint16Array(n), lo = new Uint32Array(n), hi = new Uint32Array(n);
  let oneFunction = true;
  for (let i = 0; i < n; i++) {
    if ((s.code[i] === 0x85 && s.src[i] === 1) || (s.code[i] === 0x18 && s.src[i] === 4)) oneFunction = false;
  }
  // A subprogram's or callback's exit hands R0 to its caller, whose uses are not followed here.
  exitRegs = returnChecked || !oneFunction ? 1 : 0;
  const succ = new Int32Array(2);
  for (let changed = true; changed;) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      successors(s, i, succ);
      let after = 0, aLo = 0, aHi = 0;
      for (let e = 0; e < 2; e++) {
        const t = succ[e]!;
        if (t >= 0 && t < n) { after |= rel[t]!; aLo |= lo[t]!; aHi |= hi[t]!; }
      }
      const v = transfer(s, i, helperArgs, after, aLo, aHi) & 0x3ff;
      const vLo = oneFunction ? outLo >>> 0 : ALL, vHi = oneFunction ? outHi >>> 0 : ALL;
      if (v !== rel[i] || vLo !== lo[i] || vHi !== hi[i]) { rel[i] = v; lo[i] = vLo; hi[i] = vHi; changed = true; }
    }
  }
  return { regs: rel, lo, hi };
}
