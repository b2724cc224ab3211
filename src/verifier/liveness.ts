/**
 * Register liveness per slot (the role of compute_live_registers in Linux 6.18): a register not
 * read before being written on any path from an instruction does not matter for pruning there.
 * Computed once, backwards, to a fixed point; a helper call reads the arguments of its
 * prototype, other calls R1-R5.
 * @module
 */
import type { Slots } from './ir.js';

const ARGS = 0b111110, CLOBBER = 0b111111;

function usesDefs(s: Slots, i: number, helperArgs: (id: number) => number): [number, number] {
  const code = s.code[i]!, cls = code & 7, dst = 1 << s.dst[i]!, src = 1 << s.src[i]!;
  const op = code & 0xf0, x = (code & 8) !== 0;
  switch (cls) {
    case 0x04: case 0x07:
      if (op === 0xb0) return [x ? src : 0, dst];
      if (op === 0xd0) return [dst, dst]; // END: the source bit picks the byte order, not a register
      return [dst | (x ? src : 0), dst];
    case 0x01: return [src, dst];
    case 0x02: return [dst, 0];
    case 0x03: {
      if ((code & 0xe0) === 0xc0) {
        const imm = s.imm[i]!;
        if (imm === 0xf1) return [dst | src | 1, 1];
        if (imm === 0x100) return [src, dst];
        return [dst | src, imm & 1 ? src : 0];
      }
      return [dst | src, 0];
    }
    case 0x00:
      if (code === 0x18) return [0, dst];
      // LD_ABS/LD_IND: compute_insn_live_regs keeps its defaults, every register used, none defined
      return [0x7ff, 0];
    case 0x05: case 0x06:
      if (op === 0x80) return [s.src[i] === 0 ? ((1 << (helperArgs(s.imm[i]!) + 1)) - 2) & ARGS : ARGS, CLOBBER];
      if (op === 0x90) return [1, 0];
      if (op === 0x00 || op === 0xe0) return [0, 0];
      return [dst | (x ? src : 0), 0];
    default: return [0, 0];
  }
}

/** Live-in register masks (bit r = Rr) per slot. */
export function liveRegisters(s: Slots, helperArgs: (id: number) => number = () => 5): Uint16Array {
  const n = s.len;
  const live = new Uint16Array(n);
  const use = new Uint16Array(n), def = new Uint16Array(n);
  for (let i = 0; i < n; i++) {
    const [u, d] = usesDefs(s, i, helperArgs);
    use[i] = u; def[i] = d;
  }
  const succ = (i: number): number[] => {
    const code = s.code[i]!, cls = code & 7, op = code & 0xf0;
    if (code === 0x18) return [i + 2];
    if (cls !== 0x05 && cls !== 0x06) return [i + 1];
    if (op === 0x90) return [];
    if (op === 0x80) return [i + 1];
    if (op === 0x00) return [i + (cls === 0x05 ? s.off[i]! : s.imm[i]!) + 1];
    return [i + 1, i + s.off[i]! + 1];
  };
  let changed = true;
  while (changed) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      let out = 0;
      for (const t of succ(i)) if (t >= 0 && t < n) out |= live[t]!;
      const v = (use[i]! | (out & ~def[i]!)) & 0x7ff;
      if (v !== live[i]) { live[i] = v; changed = true; }
    }
  }
  return live;
}

/**
 * Stack slots any instruction may read, as a per-slot flag (index = spi, 64 slots), or
 * undefined when some read cannot be placed statically (a load through a register other than
 * R10, or a helper taking memory) and every slot must count as live. Slots never read do not
 * matter for pruning, as in the kernel's stack liveness.
 */
export function readStackSlots(s: Slots, helperReadsMemory: (id: number) => boolean): Uint8Array | undefined {
  const live = new Uint8Array(64);
  const mark = (off: number, size: number): void => {
    for (let b = off; b < off + size; b++) {
      const spi = Math.floor((-b - 1) / 8);
      if (spi >= 0 && spi < 64) live[spi] = 1;
    }
  };
  const SIZES = [4, 2, 1, 8];
  for (let i = 0; i < s.len; i++) {
    const code = s.code[i]!, cls = code & 7;
    if (code === 0x18) { i++; continue; }
    if (cls === 0x01) {
      if (s.src[i] !== 10) return undefined;
      mark(s.off[i]!, SIZES[(code >> 3) & 3]!);
    } else if (cls === 0x03 && (code & 0xe0) === 0xc0) {
      const base = s.imm[i] === 0x100 ? s.src[i] : s.dst[i];
      if (base !== 10) return undefined;
      mark(s.off[i]!, SIZES[(code >> 3) & 3]!);
    } else if (code === 0x85) {
      if (s.src[i] === 0 && helperReadsMemory(s.imm[i]!)) return undefined;
      if (s.src[i] === 2) return undefined;
    }
  }
  return live;
}

/**
 * compute_scc: the strongly connected component of each instruction (0 when it is in no loop),
 * numbered from 1 in the order the kernel's iterative Tarjan walk closes them, as the level-2
 * `Live regs before insn:` block prints them.
 */
export function sccIds(s: Slots): Uint32Array {
  const n = s.len, NOT_ON_STACK = 0xffffffff;
  const scc = new Uint32Array(n), pre = new Uint32Array(n), low = new Uint32Array(n);
  const stack: number[] = [], dfs: number[] = [];
  let nextPre = 1, nextScc = 1;
  const succ = (i: number): number[] => {
    const code = s.code[i]!, cls = code & 7, op = code & 0xf0;
    const jmp = cls === 0x05 || cls === 0x06;
    const out: number[] = [];
    if (!(jmp && (op === 0x90 || op === 0x00))) out.push(i + (code === 0x18 ? 2 : 1));
    if (jmp && op !== 0x90 && op !== 0x80) out.push(i + (code === 0x06 ? s.imm[i]! : s.off[i]!) + 1);
    return out.filter((t) => t >= 0 && t < n);
  };
  for (let i = 0; i < n; i++) {
    if (pre[i]) continue;
    dfs.length = 0;
    dfs.push(i);
    outer: while (dfs.length) {
      const w = dfs[dfs.length - 1]!;
      if (pre[w] === 0) {
        low[w] = pre[w] = nextPre++;
        stack.push(w);
      }
      const next = succ(w);
      for (const t of next) {
        if (pre[t]) {
          low[w] = Math.min(low[w]!, low[t]!);
        } else {
          dfs.push(t);
          continue outer;
        }
      }
      if (low[w]! < pre[w]!) { dfs.pop(); continue; }
      const assign = stack[stack.length - 1] !== w || next.includes(w);
      let t: number;
      do {
        t = stack.pop()!;
        low[t] = NOT_ON_STACK;
        if (assign) scc[t] = nextScc;
      } while (t !== w);
      if (assign) nextScc++;
      dfs.pop();
    }
  }
  return scc;
}
