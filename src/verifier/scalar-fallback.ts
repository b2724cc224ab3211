/**
 * Stop-gap scalar transfer used only while a ./domains function is not implemented yet (it
 * throws 'todo'): sound but imprecise (tnum-only arithmetic, bounds derived from the tnum,
 * refinement only against constants). Remove once the domain bodies have all landed.
 * @module
 */
import * as D from './domains/scalar.js';
import * as N from './domains/tnum.js';
import { fls64, leU64, ltU64, leS64, ltS64 } from './domains/u64.js';

const V = D.VAL_LO;

/** Bounds from the tnum (a sound __update_reg_bounds without the deduction steps). */
export function fbSync(r: Uint32Array): void {
  const vl = r[V]!, vh = r[V + 1]!, ml = r[D.MASK_LO]!, mh = r[D.MASK_HI]!;
  D.markUnbounded(r, 0);
  r[D.UMIN_LO] = vl; r[D.UMIN_HI] = vh; r[D.UMAX_LO] = (vl | ml) >>> 0; r[D.UMAX_HI] = (vh | mh) >>> 0;
  r[D.SMIN_LO] = vl; r[D.SMIN_HI] = (vh | (mh & 0x80000000)) >>> 0;
  r[D.SMAX_LO] = (vl | ml) >>> 0; r[D.SMAX_HI] = (vh | (mh & 0x7fffffff)) >>> 0;
  r[D.U32_MIN] = vl; r[D.U32_MAX] = (vl | ml) >>> 0;
  r[D.S32_MIN] = (vl | (ml & 0x80000000)) >>> 0; r[D.S32_MAX] = (vl | (ml & 0x7fffffff)) >>> 0;
}

/** dst op= src on the tnum only. */
export function fbAlu(r: Uint32Array, src: Uint32Array, op: number, alu64: boolean): void {
  const bits = alu64 ? 64 : 32;
  const konst = N.tnumIsConst(src, V);
  const sh = src[V]! & (bits - 1);
  switch (op) {
    case 0x00: N.tnumAdd(r, V, r, V, src, V); break;
    case 0x10: N.tnumSub(r, V, r, V, src, V); break;
    case 0x20: N.tnumMul(r, V, r, V, src, V); break;
    case 0x40: N.tnumOr(r, V, r, V, src, V); break;
    case 0x50: N.tnumAnd(r, V, r, V, src, V); break;
    case 0xa0: N.tnumXor(r, V, r, V, src, V); break;
    case 0x80: N.tnumNeg(r, V, r, V); break;
    case 0x60: if (konst && src[V]! < bits && src[V + 1] === 0) N.tnumLshift(r, V, r, V, sh); else N.tnumUnknown(r, V); break;
    case 0x70:
      if (konst && src[V]! < bits && src[V + 1] === 0) {
        if (!alu64) N.tnumCast(r, V, r, V, 4);
        N.tnumRshift(r, V, r, V, sh);
      } else N.tnumUnknown(r, V);
      break;
    case 0xc0:
      if (konst && src[V]! < bits && src[V + 1] === 0) {
        if (!alu64) { N.tnumCast(r, V, r, V, 4); N.tnumArshift(r, V, r, V, sh, 32); } else N.tnumArshift(r, V, r, V, sh, 64);
      } else N.tnumUnknown(r, V);
      break;
    default: N.tnumUnknown(r, V); D.markUnbounded(r, 0); return;
  }
  if (!alu64) N.tnumCast(r, V, r, V, 4);
  fbSync(r);
}

/** Truncation to `size` bytes (zero extension). */
export function fbTrunc(r: Uint32Array, size: number): void { N.tnumCast(r, V, r, V, size); fbSync(r); }

/** Sign extension from `size` bytes to 64 bits: exact for constants, else unknown. */
export function fbSext(r: Uint32Array, size: number, to32: boolean): void {
  if (!N.tnumIsConst(r, V)) { D.markUnknown(r, 0); if (to32) { N.tnumCast(r, V, r, V, 4); fbSync(r); } return; }
  const bits = size * 8;
  let lo = r[V]!;
  lo = bits === 32 ? lo | 0 : (lo << (32 - bits)) >> (32 - bits);
  D.markKnown(r, 0, lo, to32 ? 0 : lo < 0 ? -1 : 0);
}

/** get_reg_width. */
export function fbWidth(r: Uint32Array): number { return fls64(r[D.UMAX_LO]!, r[D.UMAX_HI]!); }

function rng(r: Uint32Array, is32: boolean, signed: boolean): [number, number, number, number] {
  if (is32) {
    return signed ? [r[D.S32_MIN]! | 0, 0, r[D.S32_MAX]! | 0, 0] : [r[D.U32_MIN]!, 0, r[D.U32_MAX]!, 0];
  }
  return signed ? [r[D.SMIN_LO]!, r[D.SMIN_HI]!, r[D.SMAX_LO]!, r[D.SMAX_HI]!] : [r[D.UMIN_LO]!, r[D.UMIN_HI]!, r[D.UMAX_LO]!, r[D.UMAX_HI]!];
}

/** is_branch_taken from intervals and tnums. */
export function fbTaken(a: Uint32Array, b: Uint32Array, op: number, is32: boolean): -1 | 0 | 1 {
  const signed = op === 0x60 || op === 0x70 || op === 0xc0 || op === 0xd0;
  const [al, ah, xl, xh] = rng(a, is32, signed), [bl, bh, yl, yh] = rng(b, is32, signed);
  const lt = is32 ? (p: number, q: number, r: number, s: number): boolean => (signed ? p < r : (p >>> 0) < (r >>> 0)) || (void q, void s, false)
    : signed ? ltS64 : ltU64;
  const le = is32 ? (p: number, q: number, r: number, s: number): boolean => (signed ? p <= r : (p >>> 0) <= (r >>> 0)) || (void q, void s, false)
    : signed ? leS64 : leU64;
  const constEq = (): boolean => N.tnumIsConst(a, V) && N.tnumIsConst(b, V) && a[V] === b[V] && (is32 || a[V + 1] === b[V + 1]);
  switch (op) {
    case 0x10: if (constEq()) return 1; if (lt(xl, xh, bl, bh) || lt(yl, yh, al, ah)) return 0; return -1;
    case 0x50: if (constEq()) return 0; if (lt(xl, xh, bl, bh) || lt(yl, yh, al, ah)) return 1; return -1;
    case 0x20: case 0x60: if (lt(yl, yh, al, ah)) return 1; if (le(xl, xh, bl, bh)) return 0; return -1;
    case 0x30: case 0x70: if (le(yl, yh, al, ah)) return 1; if (lt(xl, xh, bl, bh)) return 0; return -1;
    case 0xa0: case 0xc0: if (lt(xl, xh, bl, bh)) return 1; if (le(yl, yh, al, ah)) return 0; return -1;
    case 0xb0: case 0xd0: if (le(xl, xh, bl, bh)) return 1; if (lt(yl, yh, al, ah)) return 0; return -1;
    case 0x40: {
      if ((a[V]! & b[V]!) !== 0 || (!is32 && (a[V + 1]! & b[V + 1]!) !== 0)) return 1;
      const ml = (a[V]! | a[D.MASK_LO]!) & (b[V]! | b[D.MASK_LO]!);
      const mh = is32 ? 0 : (a[V + 1]! | a[D.MASK_HI]!) & (b[V + 1]! | b[D.MASK_HI]!);
      return ml === 0 && mh === 0 ? 0 : -1;
    }
    default: return -1;
  }
}

/** Refinement for `a op b`: only JEQ against a 64-bit constant is used (sound, imprecise). */
export function fbRefine(a: Uint32Array, b: Uint32Array, op: number, is32: boolean): boolean {
  if (fbTaken(a, b, op, is32) === 0) return false;
  if (op === 0x10 && !is32) {
    if (N.tnumIsConst(b, V)) D.copyScalar(a, 0, b, 0);
    else if (N.tnumIsConst(a, V)) D.copyScalar(b, 0, a, 0);
  }
  return true;
}

/** tnum_strn. */
export function fbTnumStr(r: Uint32Array): string {
  const h = (lo: number, hi: number): string => '0x' + (hi ? hi.toString(16) + lo.toString(16).padStart(8, '0') : lo.toString(16));
  return `(${h(r[V]!, r[V + 1]!)}; ${h(r[D.MASK_LO]!, r[D.MASK_HI]!)})`;
}
