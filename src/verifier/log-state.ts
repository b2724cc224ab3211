/**
 * The register and stack state of the level-2 log, printed where Linux 6.18 prints it: after
 * each instruction the registers and stack slots it touched (print_insn_state, with the
 * kernel's `scratched_regs`/`scratched_stack_slots`), the whole state at the start of each path
 * (`from X to Y:`), around BPF-to-BPF calls and returns, and the `Live regs before insn:` block
 * of compute_live_registers. Only built when the log level is 2, so level 0 and 1 pay nothing.
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

/** The level-2 state printer of one verification run. */
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

  constructor(private readonly log: string[], private readonly s: Slots) {}

  /** The `func#N @start` lines and the `Live regs before insn:` block printed before the walk. */
  header(live: Uint16Array): void {
    const s = this.s;
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
    if (this.from) {
      pushBounded(this.log, '');
      pushBounded(this.log, `from ${this.from.prev} to ${insn}: safe`);
      this.from = undefined;
    } else {
      pushBounded(this.log, `${insn}: safe`);
    }
  }

  /** Before the instruction line: the path's state after a jump or return, then what is scratched. */
  beforeInsn(insn: number, st: VState): void {
    const top = st.frames.length - 1;
    if (this.from) {
      pushBounded(this.log, '');
      pushBounded(this.log, `from ${this.from.prev} to ${insn}:${formatState(st, top)}`);
      this.from = undefined;
    }
    if (this.regs || this.slotLo || this.slotHi) this.insnState(insn, st);
    pushBounded(this.log, `${insn}: ${formatInsn(this.s, insn)}`);
    this.appendAt = this.log.length;
    this.insnRegs = scratchedRegs(this.s, insn);
    this.insnLo = 0;
    this.insnHi = 0;
    this.stackAccess(insn, st);
  }

  /** print_insn_state: appended to the instruction line when nothing came between, else `N:`. */
  insnState(insn: number, st: VState): void {
    const text = formatState(st, st.frames.length - 1, this.regs, this.slotLo, this.slotHi);
    const log = this.log;
    if (this.appendAt === log.length && log.length > 0) {
      const line = log[log.length - 1]!;
      log[log.length - 1] = `${line}${suffixPad(line.length)};${text}`;
    } else {
      pushBounded(log, `${insn}:${text}`);
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
    this.log.push('caller:', formatState(st, top - 1), 'callee:', formatState(st, top));
    this.scratchAll();
  }

  /** prepare_func_exit: the callee's and the caller's state; the next instruction starts a path line. */
  returned(exit: number, next: number, before: VState, after: VState): void {
    this.log.push('returning from callee:', formatState(before, before.frames.length - 1),
      `to caller at ${next}:`, formatState(after, after.frames.length - 1));
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
