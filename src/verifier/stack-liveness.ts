/**
 * Stack slot liveness per instruction, for pruning: the role of Linux 6.18's kernel/bpf/liveness.c
 * (live_before = may_read ∪ (live_after ∖ must_write), joined over successors), computed
 * statically before the walk. The kernel records the reads of the paths it walks; here every
 * read an instruction may make counts, so a slot is live here wherever it may be live in the
 * kernel (the model prunes no more often than the kernel does).
 *
 * Reads through a register other than R10 are placed with a forward pass that knows which
 * registers may hold a stack pointer and at which fixed offset: a load through `fp-16` reads its
 * bytes, a helper given `fp-16` may read any slot from there up to the frame's top, a pointer of
 * unknown offset may read any slot. Only programs of one function are handled; with BPF-to-BPF
 * calls or callbacks, {@link liveStackSlots} gives undefined and the caller falls back to one set
 * of slots for the whole program.
 * @module
 */
import type { Slots } from './ir.js';

/** Per instruction, the live stack slots before it: bit spi of `lo` (spi < 32) or `hi` (spi - 32). */
export interface StackLiveness {
  /** Slots 0..31 (fp-8 is slot 0), one word an instruction. */
  readonly lo: Uint32Array;
  /** Slots 32..63. */
  readonly hi: Uint32Array;
}

/**
 * The static liveness, and what is needed to refine it with the reads the walk records: the slots
 * each instruction reads at offsets known before the walk, the slots it surely writes (lo, hi
 * interleaved), and the instructions whose reads only the walk can place (through a stack pointer
 * of unknown offset, or by a helper).
 */
export interface StackLivenessInfo extends StackLiveness {
  /** Per instruction, the slots it reads at offsets known before the walk (lo, hi interleaved). */
  readonly knownReads: Uint32Array;
  /** Per instruction, the slots it surely writes whole (8-byte stores through R10). */
  readonly writes: Uint32Array;
  /** Per instruction, 1 when the walk has to place its reads. */
  readonly walkReads: Uint8Array;
}

/**
 * The liveness the kernel queries for a fully explored state: the known reads plus the reads the
 * walk has recorded so far (bpf_mark_stack_read), propagated again when they grew.
 */
export class WalkedStackLiveness {
  private readonly reads: Uint32Array;
  private readonly lo: Uint32Array;
  private readonly hi: Uint32Array;
  private dirty = true;
  constructor(private readonly s: Slots, private readonly info: StackLivenessInfo) {
    this.reads = info.knownReads.slice();
    this.lo = new Uint32Array(s.len); this.hi = new Uint32Array(s.len);
  }
  /** Records a read of bytes [from, to) below the frame pointer by instruction i. */
  record(i: number, from: number, to: number): void {
    if (!this.info.walkReads[i]) return;
    const l = this.reads[2 * i], h = this.reads[2 * i + 1];
    markBytes(this.reads, i, from, to);
    if (l !== this.reads[2 * i] || h !== this.reads[2 * i + 1]) this.dirty = true;
  }
  /** The live slots before instruction i: [lo, hi]. */
  at(i: number): [number, number] {
    if (this.dirty) { propagateStackLiveness(this.s, this.reads, this.info.writes, this.lo, this.hi); this.dirty = false; }
    return [this.lo[i]!, this.hi[i]!];
  }
}

const ALL = 0xffffffff;
const SIZES = [4, 2, 1, 8];

/**
 * What a register may hold, one float a register: NOT (no stack pointer), a fixed offset from the
 * frame pointer, or NaN (a stack pointer at an unknown offset).
 */
const NOT = Number.POSITIVE_INFINITY;

function joinPtr(a: number, b: number): number {
  if (a === NOT) return b;
  if (b === NOT || a === b) return a;
  return Number.NaN;
}

/** The successors of slot i (no BPF-to-BPF calls here): [a, b], -1 for none. */
function successors(s: Slots, i: number, out: Int32Array): void {
  const code = s.code[i]!, cls = code & 7, op = code & 0xf0;
  out[0] = i + 1; out[1] = -1;
  if (code === 0x18) { out[0] = i + 2; return; }
  if (cls !== 0x05 && cls !== 0x06) return;
  if (op === 0x90) { out[0] = -1; return; }
  if (op === 0x80) return;
  if (op === 0x00) { out[0] = i + (cls === 0x05 ? s.off[i]! : s.imm[i]!) + 1; return; }
  out[1] = i + s.off[i]! + 1;
}

/** Sets in `m` (lo, hi interleaved) the slots of instruction i holding bytes [from, to) below the frame pointer. */
export function markBytes(m: Uint32Array, i: number, from: number, to: number): void {
  if (Number.isNaN(from)) { m[2 * i] = ALL; m[2 * i + 1] = ALL; return; }
  for (let b = Math.max(from, -512); b < Math.min(to, 0); b++) {
    const spi = Math.floor((-b - 1) / 8);
    if (spi < 32) m[2 * i] = m[2 * i]! | (1 << spi); else m[2 * i + 1] = m[2 * i + 1]! | (1 << (spi - 32));
  }
}

/**
 * The live stack slots before each instruction of a one-function program, or undefined when the
 * program calls subprograms or passes callbacks. `helperArgs(id)`: the argument count of a helper.
 */
export function liveStackSlots(s: Slots, helperArgs: (id: number) => number): StackLivenessInfo | undefined {
  const n = s.len;
  for (let i = 0; i < n; i++) {
    if (s.code[i] === 0x85 && s.src[i] === 1) return undefined;
    if (s.code[i] === 0x18 && s.src[i] === 4) return undefined;
  }
  // Forward: which registers may hold a stack pointer (and where) before each instruction.
  const W = 11;
  const before = new Float64Array(n * W).fill(NOT);
  const reached = new Uint8Array(n);
  before[10] = 0;
  reached[0] = 1;
  const r = new Float64Array(W);
  const succ = new Int32Array(2);
  let spilledPtr = false;
  const reads = new Uint32Array(2 * n), writes = new Uint32Array(2 * n), known = new Uint32Array(2 * n);
  const walkReads = new Uint8Array(n);
  /** A read of [from, to): placed now when `from` is a known offset, else left to the walk. */
  const read = (i: number, from: number, to: number, helper: boolean): void => {
    markBytes(reads, i, from, to);
    if (Number.isNaN(from) || helper) walkReads[i] = 1; else markBytes(known, i, from, to);
  };
  for (let changed = true; changed;) {
    changed = false;
    reads.fill(0); writes.fill(0); known.fill(0); walkReads.fill(0);
    const spilledBefore: boolean = spilledPtr;
    for (let i = 0; i < n; i++) {
      if (!reached[i]) continue;
      const b = i * W;
      for (let k = 0; k < W; k++) r[k] = before[b + k]!;
      const code = s.code[i]!, cls = code & 7, op = code & 0xf0, mode = code & 0xe0;
      const dst = s.dst[i]!, src = s.src[i]!, off = s.off[i]!;
      switch (cls) {
        case 0x07:
          if (op === 0xb0) r[dst] = (code & 8) && off === 0 ? before[b + src]! : NOT;
          else if ((op === 0x00 || op === 0x10) && !(code & 8)) {
            r[dst] = r[dst] === NOT ? NOT : r[dst]! + (op === 0x00 ? s.imm[i]! : -s.imm[i]!);
          } else if ((op === 0x00 || op === 0x10) && (code & 8)) {
            r[dst] = before[b + dst] !== NOT || (op === 0x00 && before[b + src] !== NOT) ? Number.NaN : NOT;
          } else r[dst] = NOT;
          break;
        case 0x04: r[dst] = NOT; break;
        case 0x00:
          if (code === 0x18) r[dst] = NOT;
          else for (let k = 0; k <= 5; k++) r[k] = NOT;
          break;
        case 0x01: {
          const p = before[b + src] === NOT ? NOT : before[b + src]! + off;
          if (p !== NOT) read(i, p, p + SIZES[(code >> 3) & 3]!, false);
          r[dst] = p !== NOT && spilledPtr ? Number.NaN : NOT;
          break;
        }
        case 0x02: case 0x03: {
          const p = before[b + dst] === NOT ? NOT : before[b + dst]! + off, size = SIZES[(code >> 3) & 3]!;
          if (cls === 0x03 && mode === 0xc0 && s.imm[i] === 0x100) {
            // load-acquire: dst = *(src + off)
            const q = before[b + src] === NOT ? NOT : before[b + src]! + off;
            if (q !== NOT) read(i, q, q + size, false);
            r[dst] = q !== NOT && spilledPtr ? Number.NaN : NOT;
          } else if (cls === 0x03 && mode === 0xc0 && s.imm[i] !== 0x110) {
            if (p !== NOT) read(i, p, p + size, false);
            if (before[b + src] !== NOT) spilledPtr = true;
            const fetched = p !== NOT && spilledPtr ? Number.NaN : NOT;
            if (s.imm[i] === 0xf1) r[0] = fetched; else if (s.imm[i]! & 1) r[src] = fetched;
          } else if (cls === 0x03 && before[b + src] !== NOT) spilledPtr = true;
          if (dst === 10 && size === 8 && off % 8 === 0 && mode !== 0xc0) markBytes(writes, i, off, off + 8);
          break;
        }
        case 0x05: case 0x06:
          if (op === 0x80) {
            const args = src === 0 ? helperArgs(s.imm[i]!) : 5;
            for (let k = 1; k <= Math.min(args, 5); k++) if (before[b + k] !== NOT) read(i, before[b + k]!, 0, true);
            for (let k = 0; k <= 5; k++) r[k] = NOT;
          }
          break;
        default: break;
      }
      successors(s, i, succ);
      for (let e = 0; e < 2; e++) {
        const t = succ[e]!;
        if (t < 0 || t >= n) continue;
        const tb = t * W;
        if (!reached[t]) { reached[t] = 1; before.set(r, tb); changed = true; continue; }
        for (let k = 0; k < W; k++) {
          if (r[k] === NOT) continue; // join(x, NOT) = x
          const j = joinPtr(before[tb + k]!, r[k]!);
          if (!Object.is(j, before[tb + k])) { before[tb + k] = j; changed = true; }
        }
      }
    }
    if (spilledPtr !== spilledBefore) changed = true;
  }
  const lo = new Uint32Array(n), hi = new Uint32Array(n);
  propagateStackLiveness(s, reads, writes, lo, hi);
  return { lo, hi, knownReads: known, writes, walkReads };
}

/** The backward pass: live_before = may_read ∪ (live_after ∖ must_write), to a fixed point, into lo/hi. */
export function propagateStackLiveness(s: Slots, reads: Uint32Array, writes: Uint32Array, lo: Uint32Array, hi: Uint32Array): void {
  const n = s.len;
  const succ = new Int32Array(2);
  lo.fill(0); hi.fill(0);
  for (let changed = true; changed;) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      let aLo = 0, aHi = 0;
      successors(s, i, succ);
      for (let e = 0; e < 2; e++) {
        const t = succ[e]!;
        if (t >= 0 && t < n) { aLo |= lo[t]!; aHi |= hi[t]!; }
      }
      const bLo = (reads[2 * i]! | (aLo & ~writes[2 * i]!)) >>> 0, bHi = (reads[2 * i + 1]! | (aHi & ~writes[2 * i + 1]!)) >>> 0;
      if (bLo !== lo[i] || bHi !== hi[i]) { lo[i] = bLo; hi[i] = bHi; changed = true; }
    }
  }
}
