/**
 * Stack slot liveness per instruction, for pruning: the role of Linux 6.18's kernel/bpf/liveness.c
 * (live_before = may_read ∪ (live_after ∖ must_write), joined over successors). Reads through R10
 * are placed before the walk; the others (through another stack pointer, by helpers) are
 * recorded by the walk as the kernel records them (bpf_mark_stack_read), and a fully explored
 * state is compared on the slots live with the reads recorded so far. Only programs of one
 * function are handled; with BPF-to-BPF calls or callbacks {@link liveStackSlots} gives undefined
 * and the caller falls back to one set of slots for the whole program.
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
 * interleaved), and the instructions whose reads only the walk can place (through a register
 * other than R10, or by a call).
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

/** The successors of slot i within its function (a call falls through): [a, b], -1 for none. */
export function successors(s: Slots, i: number, out: Int32Array): void {
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
  for (let b = Math.max(from, -512); b < Math.min(to, 0); b++) {
    const spi = Math.floor((-b - 1) / 8);
    if (spi < 32) m[2 * i] = m[2 * i]! | (1 << spi); else m[2 * i + 1] = m[2 * i + 1]! | (1 << (spi - 32));
  }
}

/**
 * The stack reads and writes of a one-function program, or undefined when the program calls
 * subprograms or passes callbacks. Loads and atomics through R10 read known slots; those through
 * another register and calls are left to the walk; 8-byte stores through R10 at a slot boundary
 * write a whole slot (the kernel's must_write). `lo`/`hi` take every slot as read where the walk
 * places the reads.
 */
export function liveStackSlots(s: Slots): StackLivenessInfo | undefined {
  const n = s.len;
  const known = new Uint32Array(2 * n), writes = new Uint32Array(2 * n), all = new Uint32Array(2 * n);
  const walkReads = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const code = s.code[i]!, cls = code & 7, mode = code & 0xe0, off = s.off[i]!;
    const size = SIZES[(code >> 3) & 3]!;
    if (code === 0x18) {
      if (s.src[i] === 4) return undefined;
      i++;
      continue;
    }
    if (code === 0x85 && s.src[i] === 1) return undefined;
    // the register an access goes through: LDX and load-acquire read through src, others through dst
    const atomic = cls === 0x03 && mode === 0xc0;
    const base = cls === 0x01 || (atomic && s.imm[i] === 0x100) ? s.src[i]! : s.dst[i]!;
    const reads = cls === 0x01 || (atomic && s.imm[i] !== 0x110);
    if (reads && base === 10) markBytes(known, i, off, off + size);
    else if (reads || code === 0x85) walkReads[i] = 1;
    if ((cls === 0x02 || (cls === 0x03 && mode === 0x60)) && base === 10 && size === 8 && off % 8 === 0) markBytes(writes, i, off, off + 8);
  }
  for (let i = 0; i < n; i++) {
    all[2 * i] = walkReads[i] ? ALL : known[2 * i]!;
    all[2 * i + 1] = walkReads[i] ? ALL : known[2 * i + 1]!;
  }
  const lo = new Uint32Array(n), hi = new Uint32Array(n);
  propagateStackLiveness(s, all, writes, lo, hi);
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
