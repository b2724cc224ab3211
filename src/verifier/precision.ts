/**
 * Which registers may be marked precise, per instruction: a static stand-in for the kernel's
 * precision tracking (mark_chain_precision, backtrack_insn). The kernel compares an old scalar
 * with the current one only when the old one is precise, that is when its value flowed into
 * something whose safety depends on it: a pointer ± scalar, a conditional jump, a helper argument,
 * the return value. Here a register counts as possibly precise before an instruction if its value
 * may flow, along some path and through ALU operations and moves, into such a use. Values stored to
 * memory count as used there (a spilled scalar is compared as it is). Every register the kernel
 * can mark precise is in the set, so pruning on the registers outside it is never more eager than
 * the kernel's.
 * @module
 */
import type { Slots } from './ir.js';
import { successors } from './stack-liveness.js';

const ARGS = 0b111110, CALLER_SAVED = 0b111111;

/** [demanded: needed here whatever follows; kill: defined here; from: for each register the registers its new value comes from]. */
function transfer(s: Slots, i: number, helperArgs: (id: number) => number, after: number): number {
  const code = s.code[i]!, cls = code & 7, op = code & 0xf0, x = (code & 8) !== 0;
  const d = s.dst[i]!, sr = s.src[i]!, dst = 1 << d, src = 1 << sr;
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
    case 0x01: return after & ~dst;
    case 0x02: return after;
    case 0x03: {
      if ((code & 0xe0) === 0xc0) {
        const imm = s.imm[i]!;
        if (imm === 0x100) return after & ~dst; // load-acquire
        if (imm === 0xf1) return (after & ~1) | src | 1;
        return (imm & 1 ? after & ~src : after) | src;
      }
      return after | src;
    }
    case 0x00:
      if (code === 0x18) return after & ~dst;
      return (after & ~CALLER_SAVED) | ((code & 0xe0) === 0x40 ? src : 0);
    case 0x05: case 0x06:
      if (op === 0x80) {
        const args = s.src[i] === 0 ? ((1 << (helperArgs(s.imm[i]!) + 1)) - 2) & ARGS : ARGS;
        return (after & ~CALLER_SAVED) | args;
      }
      if (op === 0x90) return 1;
      if (op === 0x00 || op === 0xe0) return after;
      return after | dst | (x ? src : 0);
    default: return after;
  }
}

/** Per slot, the registers (bit r = Rr) that may be marked precise before it. */
export function precisionRelevant(s: Slots, helperArgs: (id: number) => number = () => 5): Uint16Array {
  const n = s.len;
  const rel = new Uint16Array(n);
  const succ = new Int32Array(2);
  for (let changed = true; changed;) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      successors(s, i, succ);
      let after = 0;
      for (let e = 0; e < 2; e++) { const t = succ[e]!; if (t >= 0 && t < n) after |= rel[t]!; }
      const v = transfer(s, i, helperArgs, after) & 0x3ff;
      if (v !== rel[i]) { rel[i] = v; changed = true; }
    }
  }
  return rel;
}
