/**
 * The register and stack state of the level-1 and level-2 logs, printed where Linux 6.18 prints
 * it: after each instruction the registers and stack slots it touched (print_insn_state, with
 * the kernel's `scratched_regs`/`scratched_stack_slots`) and around BPF-to-BPF calls and
 * returns; at level 2 also the whole state at the start of each path (`from X to Y:`) and the
 * `Live regs before insn:` block of compute_live_registers. At level 1 the kernel rewinds its log
 * to where a branch was pushed when it goes back to explore that branch (pop_stack), so what
 * is left is the failing path and the instructions before each branch it took. Only built when
 * the log level is above 0, so level 0 pays nothing.
 * @module
 */
import type { Slots } from './ir.js';
import type { Reg, VState } from './state.js';
import { Slot, T } from './state.js';
import { S } from './scalar.js';
import { formatInsn, formatState, pushBounded } from './log.js';
import { sccIds } from './liveness.js';

const ALL_REGS = 0x7ff;
const SIZES = [4, 2, 1, 8];

/**
 * The registers an instruction passes through check_reg_arg (each one it reads or writes), the
 * kernel's scratch marks of one instruction; calls scratch R0-R5 (clear_caller_saved_regs).
 */
function scratchedRegs(s: Slots, i: number): number {
  const code = s.code[i]!, cls = code & 7, dst = 1 << s.dst[i]!, src = 1 << s.src[i]!, op = code & 0xf0;
  const x = (code & 8) !== 0;
  switch (cls) {
    case 0x04: case 0x07: return dst | (x && op !== 0xd0 && op !== 0x80 ? src : 0);
    case 0x01: return dst | src;
    case 0x02: return dst;
    case 0x03: return dst | src | ((code & 0xe0) === 0xc0 && s.imm[i] === 0xf1 ? 1 : 0);
    case 0x00:
      if (code === 0x18) return dst;
      return 0x7f | ((code & 0xe0) === 0x40 ? src : 0);
    default:
      if (op === 0x80) return s.src[i] === 1 ? ALL_REGS : 0x3f;
      if (op === 0x90 || op === 0x00) return 0;
      return dst | (x ? src : 0);
  }
}

/** vlog_alignment (print_insn_state): the spaces before the `;` after an instruction line of `len` characters. */
function suffixPad(len: number): string {
  const pos = len + 1; // the instruction's newline counts
  const col = Math.ceil(Math.max(pos + 4, 40) / 8) * 8;
  return ' '.repeat(col - pos - 1);
}

/**
 * A position in the log to rewind to (push_stack's `log_pos`): the absolute line count and the
 * last line's text then, which print_insn_state may have extended since.
 */
export interface LogMark {
  /** Lines written before it, counting those the bound dropped. */
  readonly pos: number;
  /** The last line's text at the mark. */
  readonly line: string | undefined;
}

/** The state printer of one verification run at level 1 or 2. */
export class StateLog {
  private regs = ALL_REGS;
  private slotLo = 0xffffffff;
  private slotHi = 0xffffffff;
  /** Log length right after the last instruction line: the state may be appended to it. */
  private appendAt = -1;
  private from: { prev: number; insn: number } | undefined;
  private insnRegs = 0;
  private insnLo = 0;
  private insnHi = 0;
  /** Lines the bound dropped from the log's front: absolute position = dropped + index. */
  private dropped = 0;
  /** The last instruction line as printed (print_insn_state pads from its length). */
  private insnLine = '';
  /** The log's last line right after that instruction line was written. */
  private appendLine = '';
  /** Absolute index of a line left without its newline by a rewind, or -1. */
  private openAt = -1;

  /** @param level2 Whether the log level is 2: header and `from X to Y:` lines, no rewinding. */
  constructor(private readonly log: string[], private readonly s: Slots, private readonly level2 = true) {}

  /** Writes a line, continuing a line a rewind left open. */
  private put(line: string): void {
    const log = this.log;
    if (this.openAt >= 0) {
      log[log.length - 1] += line;
      this.openAt = -1;
      return;
    }
    this.dropped += pushBounded(log, line);
  }

  /** The log position now, for a branch pushed to be explored later. */
  mark(): LogMark {
    return { pos: this.dropped + this.log.length, line: this.log[this.log.length - 1] };
  }

  /**
   * bpf_vlog_reset to a mark (level 1, when a pushed branch is popped). The kernel's position
   * is a byte offset just after the marked line's newline; when print_insn_state has since
   * replaced that newline by its padding, the line is left ending in one space and without a
   * newline, and whatever is printed next goes on on it (`1: (15) if r0 == 0x0 goto pc+2 4: R0=0`).
   */
  rewind(m: LogMark): void {
    const log = this.log, idx = m.pos - this.dropped;
    this.openAt = -1;
    if (idx <= 0) {
      // Rewound before what the bound kept: the kernel's rotated log ends up empty.
      log.length = 0;
      this.dropped = m.pos;
      return;
    }
    log.length = idx;
    if (m.line !== undefined && log[idx - 1] !== m.line) {
      log[idx - 1] = `${m.line} `;
      this.openAt = idx - 1;
    }
  }

  /** The index in the log of a line a rewind left open, or -1 (see closeOpenLine). */
  openLine(): number {
    return this.openAt;
  }

  /** The `func#N @start` lines and the `Live regs before insn:` block printed before the walk. */
  header(live: Uint16Array): void {
    const s = this.s;
    if (!this.level2) return;
    this.log.push(...subprogLines(s));
    this.log.push('Live regs before insn:');
    const scc = sccIds(s);
    for (let i = 0; i < s.len; i++) {
      let regs = '';
      for (let r = 0; r < 10; r++) regs += live[i]! & (1 << r) ? String(r) : '.';
      const c = scc[i] ? String(scc[i]).padStart(3) + ' ' : '    ';
      this.log.push(`${c}${String(i).padStart(3)}: ${regs} ${formatInsn(s, i)}`);
      if (s.code[i] === 0x18) i++;
    }
  }

  /** A path was pruned at insn: `N: safe`, or `from X to N: safe` at the start of a path. */
  safe(insn: number): void {
    // Printed at level 1 too (and always rewound there: a pruned path ends).
    if (this.from) {
      this.put('');
      this.put(`from ${this.from.prev} to ${insn}: safe`);
      this.from = undefined;
    } else {
      this.put(`${insn}: safe`);
    }
  }

  /** Before the instruction line: the path's state after a jump or return, then what is scratched. */
  beforeInsn(insn: number, st: VState): void {
    const top = st.frames.length - 1;
    if (this.from) {
      // The path's state line is level 2's (do_check: BPF_LOG_LEVEL2 && do_print_state).
      if (this.level2) {
        this.put('');
        this.put(`from ${this.from.prev} to ${insn}:${formatState(st, top)}`);
      }
      this.from = undefined;
    }
    if (this.regs || this.slotLo || this.slotHi) this.insnState(insn, st);
    this.insnLine = `${insn}: ${formatInsn(this.s, insn)}`;
    this.put(this.insnLine);
    this.appendAt = this.dropped + this.log.length;
    this.appendLine = this.log[this.log.length - 1]!;
    this.insnRegs = scratchedRegs(this.s, insn);
    this.insnLo = 0;
    this.insnHi = 0;
    this.stackAccess(insn, st);
  }

  /** print_insn_state: appended to the instruction line when nothing came between, else `N:`. */
  insnState(insn: number, st: VState): void {
    const text = formatState(st, st.frames.length - 1, this.regs, this.slotLo, this.slotHi);
    const log = this.log;
    const last = log.length - 1;
    if (this.appendAt === this.dropped + log.length && last >= 0 && (this.openAt === last || log[last] === this.appendLine)) {
      // prev_log_pos == end_pos: the newline after the instruction becomes the padding.
      log[last] = `${this.appendLine}${suffixPad(this.insnLine.length)};${text}`;
      this.openAt = -1;
    } else {
      this.put(`${insn}:${text}`);
    }
    this.regs = 0;
    this.slotLo = 0;
    this.slotHi = 0;
  }

  /** The instruction ran: its scratch marks stand; a conditional jump prints its state at once. */
  afterInsn(insn: number, st: VState): void {
    this.regs |= this.insnRegs;
    this.slotLo |= this.insnLo;
    this.slotHi |= this.insnHi;
    const code = this.s.code[insn]!, cls = code & 7, op = code & 0xf0;
    if ((cls === 5 || cls === 6) && op !== 0x00 && op !== 0x80 && op !== 0x90) this.insnState(insn, st);
  }

  /** check_func_call: both frames in full; the callee starts with everything scratched. */
  called(st: VState): void {
    const top = st.frames.length - 1;
    for (const line of ['caller:', formatState(st, top - 1), 'callee:', formatState(st, top)]) this.put(line);
    this.scratchAll();
  }

  /** prepare_func_exit: the callee's and the caller's state; the next instruction starts a path line. */
  returned(exit: number, next: number, before: VState, after: VState): void {
    for (const line of ['returning from callee:', formatState(before, before.frames.length - 1),
      `to caller at ${next}:`, formatState(after, after.frames.length - 1)]) this.put(line);
    this.from = { prev: exit, insn: next };
  }

  /** A path ended (exit or prune): everything is scratched; the next path starts with `from X to Y`. */
  pathEnded(next?: { prev: number; insn: number }): void {
    this.scratchAll();
    this.from = next;
  }

  private scratchAll(): void {
    this.regs = ALL_REGS;
    this.slotLo = 0xffffffff;
    this.slotHi = 0xffffffff;
  }

  /** Stack slots a load or store through a stack pointer marks (check_stack_{read,write}_*_off). */
  private stackAccess(i: number, st: VState): void {
    const s = this.s, code = s.code[i]!, cls = code & 7;
    let ptr: Reg | undefined; // undefined for register numbers above R10, which the step rejects
    const regs = st.frames[st.frames.length - 1]!.regs;
    if (cls === 0x01) ptr = regs[s.src[i]!]!;
    else if (cls === 0x02 || (cls === 0x03 && !((code & 0xe0) === 0xc0 && s.imm[i] === 0x100))) ptr = regs[s.dst[i]!]!;
    else if (cls === 0x03) ptr = regs[s.src[i]!]!;
    else return;
    if (ptr?.t !== T.STACK) return;
    const size = SIZES[(code >> 3) & 3]!;
    const base = ptr.off + s.off[i]!;
    if (S.isConst(ptr.v)) {
      this.markSlot(base + S.constNum(ptr.v));
      return;
    }
    const lo = base + S.smin(ptr.v), hi = base + S.smax(ptr.v) + size;
    // mark_reg_stack_read stops at the first byte that is not STACK_ZERO; a write marks them all.
    const stack = cls === 0x01 ? st.frames[ptr.frame]?.stack : undefined;
    for (let b = lo; b < hi && b < 0; b++) {
      this.markSlot(b);
      const slot = -b - 1;
      if (stack && stack[Math.floor(slot / 8)]?.types[slot % 8] !== Slot.ZERO) break;
    }
  }

  /** Marks the stack slot holding the byte at `byteOff` from the frame pointer as scratched. */
  markSlot(byteOff: number): void {
    const spi = Math.floor((-byteOff - 1) / 8);
    if (spi < 0 || spi >= 64) return;
    if (spi < 32) this.insnLo = (this.insnLo | (1 << spi)) >>> 0;
    else this.insnHi = (this.insnHi | (1 << (spi - 32))) >>> 0;
  }
}

/**
 * The `func#N @start` lines the kernel prints at level 2 once add_subprog_and_kfunc has found the
 * subprograms (so also before a later structural rejection), or none when that step itself
 * fails (a call to an invalid destination, too many subprograms, a kfunc call).
 */
export function subprogLines(s: Slots): string[] {
  const starts = [0];
  for (let i = 0; i < s.len; i++) {
    const code = s.code[i]!, src = s.src[i]!;
    if (code === 0x85 && src === 2) return [];
    if (!((code === 0x85 && src === 1) || (code === 0x18 && src === 4))) continue;
    const to = i + s.imm[i]! + 1;
    if (to < 0 || to >= s.len) return [];
    if (!starts.includes(to)) starts.push(to);
  }
  if (starts.length > 256) return [];
  return starts.sort((a, b) => a - b).map((at, f) => `func#${f} @${at}`);
}
