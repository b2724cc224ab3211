/**
 * The verifier log in the kernel's words: instructions printed as print_bpf_insn
 * (kernel/bpf/disasm.c) does for `verbose_insn`, and the statistics line of
 * print_verification_stats, and registers and states as print_reg_state and
 * print_verifier_state (kernel/bpf/log.c) print them. The model's level-1 log lists every
 * instruction of the path that failed (the kernel rewinds its log when it leaves a path), with
 * the state each leaves, then the error; an accepted program's is the statistics line alone.
 * Level 2 keeps every path and adds the `from X to Y:` and header lines (log-state.ts).
 * @module
 */
import type { Slots } from './ir.js';
import { helperName } from './helper-protos.js';
import { S } from './scalar.js';
import { scalarRangesStr, scalarStr, snumStr, unumStr } from './domains/format.js';
import type { Reg, VState } from './state.js';
import { T, base, typeName } from './state.js';
import { BTF_STRUCT_NAMES } from './kinds.js';

const ALU = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian'];
const JMP = ['jmp', '==', '>', '>=', '&', '!=', 's>', 's>=', 'call', 'exit', '<', '<=', 's<', 's<='];
const LDST = ['u32', 'u16', 'u8', 'u64'];
const LDSX = ['s32', 's16', 's8', 's64'];
const ATOMIC: Record<number, string> = { 0x00: 'add', 0x50: 'and', 0x40: 'or', 0xa0: 'xor' };
const CLASS = ['ld', 'ldx', 'st', 'stx', 'alu', 'jmp', 'jmp32', 'alu64'];

const hex2 = (n: number): string => n.toString(16).padStart(2, '0');
const signed = (n: number): string => (n >= 0 ? `+${n}` : String(n));

function hex64(lo: number, hi: number): string {
  lo >>>= 0; hi >>>= 0;
  return '0x' + (hi ? hi.toString(16) + lo.toString(16).padStart(8, '0') : lo.toString(16));
}

/** One instruction as the kernel's log prints it after `N: `, e.g. `(b7) r0 = 0`. */
export function formatInsn(s: Slots, i: number): string {
  const code = s.code[i]!, cls = code & 7, dst = s.dst[i]!, src = s.src[i]!, off = s.off[i]!, imm = s.imm[i]!;
  const c = `(${hex2(code)})`;
  const sz = (code >> 3) & 3;
  if (cls === 4 || cls === 7) {
    const w = cls === 4 ? 'w' : 'r';
    const op = code & 0xf0;
    if (op === 0xd0) return cls === 7 ? `${c} r${dst} = bswap${imm} r${dst}` : `${c} r${dst} = ${code & 8 ? 'be' : 'le'}${imm} r${dst}`;
    if (op === 0x80) return `${c} ${w}${dst} = -${w}${dst}`;
    const sdiv = (op === 0x30 || op === 0x90) && off === 1;
    const name = sdiv ? (op === 0x30 ? 's/=' : 's%=') : ALU[op >> 4]!;
    if (code & 8) {
      const sx = op === 0xb0 && (off === 8 || off === 16 || off === 32) ? `(s${off})` : '';
      return `${c} ${w}${dst} ${name} ${sx}${w}${src}`;
    }
    return `${c} ${w}${dst} ${name} ${imm}`;
  }
  if (cls === 3) {
    const t = LDST[sz]!;
    if ((code & 0xe0) === 0x60) return `${c} *(${t} *)(r${dst} ${signed(off)}) = r${src}`;
    if ((code & 0xe0) === 0xc0) {
      const b64 = sz === 3 ? '64' : '';
      if (ATOMIC[imm] !== undefined) return `${c} lock *(${t} *)(r${dst} ${signed(off)}) ${ALU[imm >> 4]} r${src}`;
      if (ATOMIC[imm & ~1] !== undefined && imm & 1) return `${c} r${src} = atomic${b64}_fetch_${ATOMIC[imm & ~1]}((${t} *)(r${dst} ${signed(off)}), r${src})`;
      if (imm === 0xf1) return `${c} r0 = atomic${b64}_cmpxchg((${t} *)(r${dst} ${signed(off)}), r0, r${src})`;
      if (imm === 0xe1) return `${c} r${src} = atomic${b64}_xchg((${t} *)(r${dst} ${signed(off)}), r${src})`;
      if (imm === 0x100) return `${c} r${dst} = load_acquire((${t} *)(r${src} ${signed(off)}))`;
      if (imm === 0x110) return `${c} store_release((${t} *)(r${dst} ${signed(off)}), r${src})`;
    }
    return `BUG_${hex2(code)}`;
  }
  if (cls === 2) return (code & 0xe0) === 0x60 ? `${c} *(${LDST[sz]!} *)(r${dst} ${signed(off)}) = ${imm}` : `BUG_st_${hex2(code)}`;
  if (cls === 1) {
    const m = code & 0xe0;
    if (m !== 0x60 && m !== 0x80) return `BUG_ldx_${hex2(code)}`;
    return `${c} r${dst} = *(${m === 0x60 ? LDST[sz] : LDSX[sz]} *)(r${src} ${signed(off)})`;
  }
  if (cls === 0) {
    const m = code & 0xe0;
    if (m === 0x20) return `${c} r0 = *(${LDST[sz]} *)skb[${imm}]`;
    if (m === 0x40) return `${c} r0 = *(${LDST[sz]} *)skb[r${src} + ${imm}]`;
    if (code === 0x18) return `${c} r${dst} = ${hex64(imm, i + 1 < s.len ? s.imm[i + 1]! : 0)}`;
    return `BUG_ld_${hex2(code)}`;
  }
  const op = code & 0xf0;
  if (op === 0x80) {
    if (src === 1) return `${c} call pc${signed(imm)}`;
    if (src === 2) return `${c} call kernel-function#${imm}`;
    // __func_get_name: the helper table's name (`unspec` for 0) for source 0, else `unknown`.
    const name = src !== 0 ? 'unknown' : imm === 0 ? 'unspec' : imm > 0 ? helperName(imm) : 'unknown';
    return `${c} call ${name !== 'unknown' ? `bpf_${name}` : 'unknown'}#${imm}`;
  }
  if (code === 0x05) return `${c} goto pc${signed(off)}`;
  if (code === 0xe5 && src === 0) return `${c} may_goto pc${signed(off)}`;
  if (code === 0x06) return `${c} gotol pc${signed(imm)}`;
  if (code === 0x95) return `${c} exit`;
  const w = cls === 6 ? 'w' : 'r';
  const name = JMP[op >> 4] ?? CLASS[cls]!;
  if (code & 8) return `${c} if ${w}${dst} ${name} ${w}${src} goto pc${signed(off)}`;
  return `${c} if ${w}${dst} ${name} 0x${(imm >>> 0).toString(16)} goto pc${signed(off)}`;
}

/** The statistics line that ends every kernel log. */
export function statsLine(processed: number, st: { maxStatesPerInsn: number; totalStates: number; peakStates: number }): string {
  return `processed ${processed} insns (limit 1000000) max_states_per_insn ${st.maxStatesPerInsn} ` +
    `total_states ${st.totalStates} peak_states ${st.peakStates} mark_read 0`;
}

/**
 * Keeps the log bounded like the kernel's rotating buffer: the newest lines survive. Returns how
 * many lines were dropped from the front (0 mostly), for positions kept into the log.
 */
export function pushBounded(log: string[], line: string, max = 200_000): number {
  log.push(line);
  if (log.length <= max) return 0;
  const drop = log.length - max / 2;
  log.splice(0, drop);
  return drop;
}

/**
 * Joins the line at `at` with the one after it: a level-1 log rewound into the middle of a line
 * (see StateLog.rewind) goes on on that line, whoever writes next.
 */
export function closeOpenLine(log: string[], at: number): void {
  if (at >= 0 && at + 1 < log.length) log.splice(at, 2, log[at]! + log[at + 1]!);
}

/** print_reg_state: one register as the kernel prints it (`ctx()`, `fp-8`, `map_value(map=m,ks=8,vs=48)`, `42`). */
export function formatReg(r: Reg, frameno: number): string {
  if (r.t === T.SCALAR) return scalarStr(r.v, 0, r.id, false, r.link ? r.linkOff : undefined);
  let out = typeName(r.t);
  if (r.t === T.STACK) {
    if (r.frame !== frameno) out += `[${r.frame}]`;
    if (S.isConst(r.v)) return out + signedNum(S.constNum(r.v) + r.off);
  }
  if (base(r.t) === T.BTF_ID) out += BTF_STRUCT_NAMES[r.range] ?? '';
  const parts: string[] = [];
  if (r.id) parts.push(`id=${r.id}`);
  if (r.ref) parts.push(`ref_obj_id=${r.ref}`);
  const b = base(r.t);
  if (b === T.MAP_PTR || b === T.MAP_VALUE || b === T.MAP_KEY) {
    const name = r.map!.spec.name?.slice(0, 15);
    if (name) parts.push(`map=${name}`);
    parts.push(`ks=${r.map!.spec.keySize},vs=${r.map!.spec.valueSize}`);
  }
  if (r.off) parts.push(`off=${signedNum(r.off)}`);
  // `range` is an int printed with verbose_unum: AT_PKT_END (-1) shows as 0xffffffffffffffff.
  if (b === T.PKT || b === T.PKT_META) parts.push(`r=${unumStr(r.range, r.range < 0 ? -1 : 0)}`);
  if (b === T.MEM) parts.push(`sz=${unumStr(r.range, 0)}`);
  if (S.isConst(r.v)) {
    if (S.constNum(r.v)) parts.push(`imm=${S.snum(r.v[0]!, r.v[1]!)}`);
  } else {
    const ranges = scalarRangesStr(r.v, 0);
    if (ranges) parts.push(ranges);
    if (!(r.v[2] === 0xffffffff && r.v[3] === 0xffffffff)) parts.push(`var_off=${S.tnumStr(r.v)}`);
  }
  return `${out}(${parts.join(',')})`;
}

/** verbose_snum of a small JavaScript integer. */
function signedNum(n: number): string {
  return snumStr(n, n < 0 ? -1 : 0);
}

const SLOT_CHAR = ['?', 'r', 'm', '0'];

/**
 * print_verifier_state of one frame, with the leading space of each item: every register and
 * slot (print_all), or only those whose bit is set in `regs` and `slotLo`/`slotHi` (bit spi).
 */
export function formatState(st: VState, frameno: number, regs = 0x7ff, slotLo = 0xffffffff, slotHi = 0xffffffff): string {
  const f = st.frames[frameno]!;
  let out = f.frameno ? ` frame${f.frameno}:` : '';
  f.regs.forEach((r, i) => {
    if (r.t === T.NOT_INIT || !(regs & (1 << i))) return;
    out += ` R${i}=${formatReg(r, f.frameno)}`;
  });
  f.stack.forEach((sl, i) => {
    if (!((i < 32 ? slotLo >>> i : slotHi >>> (i - 32)) & 1)) return;
    if (!sl.types.some((t) => t !== 0)) return;
    let types = [...sl.types].map((t) => SLOT_CHAR[t]!).join('');
    if (sl.types[7] === 1) {
      const j = sl.types.indexOf(1);
      types = types.slice(0, j);
      out += ` fp${(-i - 1) * 8}=${types}${formatReg(sl.spilled, f.frameno)}`;
    } else {
      out += ` fp${(-i - 1) * 8}=${types}`;
    }
  });
  if (st.refs.length) out += ` refs=${st.refs.map((r) => r.id).join(',')}`;
  if (f.inCallback) out += ' cb';
  return out;
}
