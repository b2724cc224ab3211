/**
 * The kernel's log rendering of scalars (Linux 6.18 kernel/bpf/log.c): numbers up to 16 bits
 * in decimal, larger ones in hex; equal bounds merged (`smin=smin32=0`).
 * @module
 */
import {
  MASK_HI, MASK_LO, S32_MAX, S32_MIN, SMAX_HI, SMAX_LO, SMIN_HI, SMIN_LO, U32_MAX, U32_MIN,
  UMAX_HI, UMAX_LO, UMIN_HI, UMIN_LO, VAL_HI, VAL_LO, isConst,
} from './scalar.js';

/** `%#llx` as the kernel prints it (always with `0x`, also for zero). */
export function hex64(lo: number, hi: number): string {
  lo >>>= 0; hi >>>= 0;
  return '0x' + (hi !== 0 ? hi.toString(16) + lo.toString(16).padStart(8, '0') : lo.toString(16));
}

/** verbose_unum: u64 `hi:lo` as `%llu` when <= 65535, else `%#llx`. */
export function unumStr(lo: number, hi: number): string {
  lo >>>= 0;
  return (hi >>> 0) === 0 && lo <= 0xffff ? String(lo) : hex64(lo, hi);
}

/** verbose_snum: s64 `hi:lo` as `%lld` when in [-32768, 32767], else `%#llx` of the bit pattern. */
export function snumStr(lo: number, hi: number): string {
  const h = hi >>> 0, l = lo | 0;
  if (h === 0 && l >= 0 && l <= 0x7fff) return String(l);
  if (h === 0xffffffff && l < 0 && l >= -0x8000) return String(l);
  return hex64(lo, hi);
}

/** tnum_strn of var_off: the constant, or `(0x0; 0xff)`. */
export function tnumStr(s: Uint32Array, b: number): string {
  if (isConst(s, b)) return unumStr(s[b + VAL_LO]!, s[b + VAL_HI]!);
  return `(${hex64(s[b + VAL_LO]!, s[b + VAL_HI]!)}; ${hex64(s[b + MASK_LO]!, s[b + MASK_HI]!)})`;
}

const NAMES = ['smin', 'smax', 'umin', 'umax', 'smin32', 'smax32', 'umin32', 'umax32'];
const LO = new Uint32Array(8), HI = new Uint32Array(8), OMIT = new Uint8Array(8);

/** print_scalar_ranges: `smin=...,umax=...` with the kernel's omissions and merging ('' if none). */
export function scalarRangesStr(s: Uint32Array, b: number): string {
  LO[0] = s[b + SMIN_LO]!; HI[0] = s[b + SMIN_HI]!; OMIT[0] = +(LO[0] === 0 && HI[0] === 0x80000000);
  LO[1] = s[b + SMAX_LO]!; HI[1] = s[b + SMAX_HI]!; OMIT[1] = +(LO[1] === 0xffffffff && HI[1] === 0x7fffffff);
  LO[2] = s[b + UMIN_LO]!; HI[2] = s[b + UMIN_HI]!; OMIT[2] = +(LO[2] === 0 && HI[2] === 0);
  LO[3] = s[b + UMAX_LO]!; HI[3] = s[b + UMAX_HI]!; OMIT[3] = +(LO[3] === 0xffffffff && HI[3] === 0xffffffff);
  // smin32/smax32 are sign-extended only when they will print in decimal (hex would mislead).
  for (let i = 0; i < 2; i++) {
    const v = s[b + (i === 0 ? S32_MIN : S32_MAX)]! | 0;
    LO[4 + i] = v; HI[4 + i] = v >= -0x8000 && v <= 0x7fff ? v >> 31 : 0;
    OMIT[4 + i] = +(v === (i === 0 ? -0x80000000 : 0x7fffffff));
  }
  LO[6] = s[b + U32_MIN]!; HI[6] = 0; OMIT[6] = +(LO[6] === 0);
  LO[7] = s[b + U32_MAX]!; HI[7] = 0; OMIT[7] = +(LO[7] === 0xffffffff);
  let out = '';
  for (let i = 0; i < 8; i++) {
    if (OMIT[i]) continue;
    const name = NAMES[i]!;
    const neg1 = name[0] === 's' && (HI[i]! | 0) < 0;
    out += (out === '' ? '' : ',') + name + '=';
    for (let j = i + 2; j < 8; j += 2) {
      if (OMIT[j] || LO[j] !== LO[i] || HI[j] !== HI[i]) continue;
      const neg2 = NAMES[j]![0] === 's' && (HI[j]! | 0) < 0;
      if (neg2 !== neg1) continue;
      OMIT[j] = 1;
      out += NAMES[j] + '=';
    }
    out += name[0] === 's' ? snumStr(LO[i]!, HI[i]!) : unumStr(LO[i]!, HI[i]!);
  }
  return out;
}

/**
 * print_reg_state for a SCALAR_VALUE: `P` if precise, then the signed constant (`42`, `-1`,
 * `0xffff0000`) or `scalar(id=N,<ranges>,var_off=(v; m))` (id omitted when 0, var_off when unknown).
 * `linkOff`: for a linked scalar carrying BPF_ADD_CONST, its offset, printed `id=N+3`.
 */
export function scalarStr(s: Uint32Array, b: number, id = 0, precise = false, linkOff?: number): string {
  const p = precise ? 'P' : '';
  if (isConst(s, b)) return p + snumStr(s[b + VAL_LO]!, s[b + VAL_HI]!);
  const parts: string[] = [];
  if (id) parts.push(`id=${id}` + (linkOff === undefined ? '' : (linkOff >= 0 ? '+' : '') + String(linkOff)));
  const r = scalarRangesStr(s, b);
  if (r !== '') parts.push(r);
  if (!(s[b + MASK_LO] === 0xffffffff && s[b + MASK_HI] === 0xffffffff)) parts.push('var_off=' + tnumStr(s, b));
  return `${p}scalar(${parts.join(',')})`;
}
