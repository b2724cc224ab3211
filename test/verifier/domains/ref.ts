/**
 * Test oracle: an independent BigInt port of Linux 6.18 tnum.c and the scalar parts of
 * verifier.c, written from the kernel source in C-like style (u64/s64 via asUintN/asIntN), with
 * the running 6.18 stable kernel's sign extension where it differs (coerceToSizeSx).
 * Not shipped; used to check the split-half implementation field by field.
 */
import { SCALAR_WORDS } from '../../../src/verifier/domains/scalar.js';

import { M64, type Tn, fls64, s32, s64, u32, u64, tin, toverlap, tadd, tand, tarsh, tcast, tconst, tintersect, tlsh, tmul, tneg, tor, trange, trsh, tsub, tsubreg, tclearsub, tunknown, twithsub, txor } from './ref-tnum.js';
export * from './ref-tnum.js';
const S64_MIN = -(1n << 63n), S64_MAX = (1n << 63n) - 1n, S32_MIN = -(1n << 31n), S32_MAX = (1n << 31n) - 1n;
const U32_MAX = 0xffffffffn;

/** Register numeric state; signed fields hold signed bigints, unsigned unsigned. */
export interface R {
  v: bigint; m: bigint; umin: bigint; umax: bigint; smin: bigint; smax: bigint;
  u32min: bigint; u32max: bigint; s32min: bigint; s32max: bigint;
}

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);

// ---- slab conversion ----
export function toSlab(r: R): Uint32Array {
  const s = new Uint32Array(SCALAR_WORDS);
  const put = (i: number, x: bigint): void => { const y = u64(x); s[i] = Number(y & 0xffffffffn); s[i + 1] = Number(y >> 32n); };
  put(0, r.v); put(2, r.m); put(4, r.umin); put(6, r.umax); put(8, r.smin); put(10, r.smax);
  s[12] = Number(u32(r.u32min)); s[13] = Number(u32(r.u32max)); s[14] = Number(u32(r.s32min)); s[15] = Number(u32(r.s32max));
  return s;
}
export function fromSlab(s: Uint32Array, b = 0): R {
  const get = (i: number): bigint => (BigInt(s[b + i + 1]!) << 32n) | BigInt(s[b + i]!);
  return {
    v: get(0), m: get(2), umin: get(4), umax: get(6), smin: s64(get(8)), smax: s64(get(10)),
    u32min: BigInt(s[b + 12]!), u32max: BigInt(s[b + 13]!), s32min: s32(BigInt(s[b + 14]!)), s32max: s32(BigInt(s[b + 15]!)),
  };
}
export const clone = (r: R): R => ({ ...r });

const tn = (r: R): Tn => ({ v: r.v, m: r.m });
const setTn = (r: R, t: Tn): void => { r.v = t.v; r.m = t.m; };
const tIsConst = (t: Tn): boolean => t.m === 0n;

// ---- bounds ----
export function markUnbounded(r: R): void {
  r.smin = S64_MIN; r.smax = S64_MAX; r.umin = 0n; r.umax = M64;
  r.s32min = S32_MIN; r.s32max = S32_MAX; r.u32min = 0n; r.u32max = U32_MAX;
}
const unb64 = (r: R): void => { r.smin = S64_MIN; r.smax = S64_MAX; r.umin = 0n; r.umax = M64; };
const unb32 = (r: R): void => { r.s32min = S32_MIN; r.s32max = S32_MAX; r.u32min = 0n; r.u32max = U32_MAX; };
export function unknown(): R { const r = { v: 0n, m: M64 } as R; markUnbounded(r); return r; }
export function known(x: bigint): R {
  x = u64(x);
  return { v: x, m: 0n, umin: x, umax: x, smin: s64(x), smax: s64(x), u32min: u32(x), u32max: u32(x), s32min: s32(x), s32max: s32(x) };
}
function known32(r: R, x: bigint): void {
  setTn(r, twithsub(tn(r), tconst(u32(x))));
  r.s32min = r.s32max = s32(x); r.u32min = r.u32max = u32(x);
}
function update32(r: R): void {
  const t = tsubreg(tn(r));
  r.s32min = max(r.s32min, s32(t.v | (t.m & 0x80000000n)));
  r.s32max = min(r.s32max, s32(t.v | (t.m & 0x7fffffffn)));
  r.u32min = max(r.u32min, t.v); r.u32max = min(r.u32max, t.v | t.m);
}
/** tnum_step, the first (branchy) upstream form, independent of the branchless one in src. */
export function tstep(t: Tn, z: bigint): bigint {
  const tmax = t.v | t.m;
  if (z >= tmax) return tmax;
  if (z < t.v) return t.v;
  const j = t.v | (z & t.m);
  if (j > z) {
    const p = ~z & t.v & ~t.m & M64; const k = BigInt(fls64(p));
    const q = u64(M64 << k); return (q & z) | (~q & t.v & M64);
  }
  const p = z & ~t.v & ~t.m & M64; const k = BigInt(fls64(p));
  const q = u64(M64 << k); const v = (q & t.m & z) | (q & ~t.m & M64);
  const u = u64(v + (1n << k)); return (u & t.m) | t.v;
}
function update64(r: R): void {
  r.smin = max(r.smin, s64(r.v | (r.m & (1n << 63n))));
  r.smax = min(r.smax, s64(r.v | (r.m & S64_MAX)));
  r.umin = max(r.umin, r.v); r.umax = min(r.umax, r.v | r.m);
  const next = tstep(tn(r), r.umin), inT = (r.umin & ~r.m & M64) === r.v, tmax = r.v | r.m;
  if (inT && next > r.umax) Object.assign(r, known(r.umin));
  else if (!inT && next === tmax) Object.assign(r, known(tmax));
  else if (!inT && next <= r.umax && tstep(tn(r), next) > r.umax) Object.assign(r, known(next));
}
export function updateBounds(r: R): void { update32(r); update64(r); }
function deduce32(r: R): void {
  if (r.umin >> 32n === r.umax >> 32n) {
    r.u32min = max(r.u32min, u32(r.umin)); r.u32max = min(r.u32max, u32(r.umax));
    if (s32(r.umin) <= s32(r.umax)) { r.s32min = max(r.s32min, s32(r.umin)); r.s32max = min(r.s32max, s32(r.umax)); }
  }
  if (r.smin >> 32n === r.smax >> 32n) {
    if (u32(r.smin) <= u32(r.smax)) { r.u32min = max(r.u32min, u32(r.smin)); r.u32max = min(r.u32max, u32(r.smax)); }
    if (s32(r.smin) <= s32(r.smax)) { r.s32min = max(r.s32min, s32(r.smin)); r.s32max = min(r.s32max, s32(r.smax)); }
  }
  if (u32(u32(r.umin >> 32n) + 1n) === u32(r.umax >> 32n) && s32(r.umin) < 0n && s32(r.umax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.umin)); r.s32max = min(r.s32max, s32(r.umax));
  }
  if (u32(u32(r.smin >> 32n) + 1n) === u32(r.smax >> 32n) && s32(r.smin) < 0n && s32(r.smax) >= 0n) {
    r.s32min = max(r.s32min, s32(r.smin)); r.s32max = min(r.s32max, s32(r.smax));
  }
  if (s32(r.u32min) <= s32(r.u32max)) { r.s32min = max(r.s32min, s32(r.u32min)); r.s32max = min(r.s32max, s32(r.u32max)); }
  if (u32(r.s32min) <= u32(r.s32max)) { r.u32min = max(u32(r.s32min), r.u32min); r.u32max = min(u32(r.s32max), r.u32max); }
  else if (r.u32max < u32(r.s32min)) { r.s32min = s32(r.u32min); r.u32max = min(r.u32max, u32(r.s32max)); }
  else if (u32(r.s32max) < r.u32min) { r.s32max = s32(r.u32max); r.u32min = max(r.u32min, u32(r.s32min)); }
}
function deduce64(r: R): void {
  if (s64(r.umin) <= s64(r.umax)) { r.smin = max(r.smin, s64(r.umin)); r.smax = min(r.smax, s64(r.umax)); }
  if (u64(r.smin) <= u64(r.smax)) { r.umin = max(u64(r.smin), r.umin); r.umax = min(u64(r.smax), r.umax); }
  else if (r.umax < u64(r.smin)) { r.smin = s64(r.umin); r.umax = min(r.umax, u64(r.smax)); }
  else if (u64(r.smax) < r.umin) { r.smax = s64(r.umax); r.umin = max(r.umin, u64(r.smin)); }
}
function deduceMixed(r: R): void {
  r.umin = max(r.umin, (r.umin & ~U32_MAX) | r.u32min); r.umax = min(r.umax, (r.umax & ~U32_MAX) | r.u32max);
  r.smin = max(r.smin, s64((u64(r.smin) & ~U32_MAX) | r.u32min)); r.smax = min(r.smax, s64((u64(r.smax) & ~U32_MAX) | r.u32max));
  if (r.s32min >= 0n && r.smin >= S32_MIN && r.smax <= S32_MAX) {
    r.smin = r.s32min; r.smax = r.s32max; r.umin = u64(r.s32min); r.umax = u64(r.s32max);
    setTn(r, tintersect(tn(r), trange(r.smin, r.smax)));
  }
}
export function deduce(r: R): void { deduce32(r); deduce64(r); deduceMixed(r); }
export function boundOffset(r: R): void {
  const v64 = tintersect(tn(r), trange(r.umin, r.umax));
  const v32 = tintersect(tsubreg(v64), trange(r.u32min, r.u32max));
  setTn(r, tor(tclearsub(v64), v32));
}
export function sync(r: R): void { updateBounds(r); deduce(r); deduce(r); deduce(r); boundOffset(r); updateBounds(r); }
export function sanity(r: R): string | null {
  let msg: string | null = null;
  if (r.umin > r.umax || r.smin > r.smax || r.u32min > r.u32max || r.s32min > r.s32max) msg = 'range bounds violation';
  else if (tIsConst(tn(r)) && (r.umin !== r.v || r.umax !== r.v || r.smin !== s64(r.v) || r.smax !== s64(r.v))) msg = 'const tnum out of sync with range bounds';
  else if (tsubreg(tn(r)).m === 0n) {
    const x = u32(r.v);
    if (r.u32min !== x || r.u32max !== x || r.s32min !== s32(x) || r.s32max !== s32(x)) msg = 'const subreg tnum out of sync with range bounds';
  }
  if (msg) markUnbounded(r);
  return msg;
}

// ---- ALU ----
function addS(a: bigint, b: bigint, w: 32 | 64): [bigint, boolean] {
  const x = a + b; const y = w === 32 ? s32(x) : s64(x); return [y, x !== y];
}
function addU(a: bigint, b: bigint, w: 32 | 64): [bigint, boolean] {
  const x = a + b; const y = w === 32 ? u32(x) : u64(x); return [y, x !== y];
}
function sMinMaxAdd(r: R, s: R, w: 32 | 64): void {
  const k = w === 32 ? ['s32min', 's32max', 'u32min', 'u32max'] as const : ['smin', 'smax', 'umin', 'umax'] as const;
  const [a, oa] = addS(r[k[0]], s[k[0]], w);
  let ob = false, bb = r[k[1]];
  if (!oa) [bb, ob] = addS(r[k[1]], s[k[1]], w);
  if (oa || ob) { r[k[0]] = w === 32 ? S32_MIN : S64_MIN; r[k[1]] = w === 32 ? S32_MAX : S64_MAX; } else { r[k[0]] = a; r[k[1]] = bb; }
  const [c, mo] = addU(r[k[2]], s[k[2]], w); const [d, xo] = addU(r[k[3]], s[k[3]], w);
  r[k[2]] = c; r[k[3]] = d;
  if (!mo && xo) { r[k[2]] = 0n; r[k[3]] = w === 32 ? U32_MAX : M64; }
}
function sMinMaxSub(r: R, s: R, w: 32 | 64): void {
  const k = w === 32 ? ['s32min', 's32max', 'u32min', 'u32max'] as const : ['smin', 'smax', 'umin', 'umax'] as const;
  const [a, oa] = addS(r[k[0]], -s[k[1]], w);
  let ob = false, bb = r[k[1]];
  if (!oa) [bb, ob] = addS(r[k[1]], -s[k[0]], w);
  if (oa || ob) { r[k[0]] = w === 32 ? S32_MIN : S64_MIN; r[k[1]] = w === 32 ? S32_MAX : S64_MAX; } else { r[k[0]] = a; r[k[1]] = bb; }
  const [c, mo] = addU(r[k[2]], -s[k[3]], w); const [d, xo] = addU(r[k[3]], -s[k[2]], w);
  r[k[2]] = c; r[k[3]] = d;
  if (mo && !xo) { r[k[2]] = 0n; r[k[3]] = w === 32 ? U32_MAX : M64; }
}
function sMinMaxMul(r: R, s: R, w: 32 | 64): void {
  const k = w === 32 ? ['s32min', 's32max', 'u32min', 'u32max'] as const : ['smin', 'smax', 'umin', 'umax'] as const;
  const umax = r[k[3]] * s[k[3]], umin = r[k[2]] * s[k[2]];
  const ulim = w === 32 ? U32_MAX : M64;
  if (umax > ulim || umin > ulim) { r[k[2]] = 0n; r[k[3]] = ulim; } else { r[k[2]] = umin; r[k[3]] = umax; }
  const p = [r[k[0]] * s[k[0]], r[k[0]] * s[k[1]], r[k[1]] * s[k[0]], r[k[1]] * s[k[1]]];
  const lo = w === 32 ? S32_MIN : S64_MIN, hi = w === 32 ? S32_MAX : S64_MAX;
  if (p.some((x) => x < lo || x > hi)) { r[k[0]] = lo; r[k[1]] = hi; } else { r[k[0]] = p.reduce(min); r[k[1]] = p.reduce(max); }
}
function sBit32(r: R, s: R, op: 'and' | 'or' | 'xor'): void {
  const t = tsubreg(tn(r));
  if (tsubreg(tn(s)).m === 0n && t.m === 0n) { known32(r, t.v); return; }
  if (op === 'and') { r.u32min = t.v; r.u32max = min(r.u32max, s.u32max); }
  else if (op === 'or') { r.u32min = max(r.u32min, s.u32min); r.u32max = t.v | t.m; }
  else { r.u32min = t.v; r.u32max = t.v | t.m; }
  if (s32(r.u32min) <= s32(r.u32max)) { r.s32min = s32(r.u32min); r.s32max = s32(r.u32max); } else { r.s32min = S32_MIN; r.s32max = S32_MAX; }
}
function sBit64(r: R, s: R, op: 'and' | 'or' | 'xor'): void {
  if (s.m === 0n && r.m === 0n) { Object.assign(r, known(r.v)); return; }
  if (op === 'and') { r.umin = r.v; r.umax = min(r.umax, s.umax); }
  else if (op === 'or') { r.umin = max(r.umin, s.umin); r.umax = r.v | r.m; }
  else { r.umin = r.v; r.umax = r.v | r.m; }
  if (s64(r.umin) <= s64(r.umax)) { r.smin = s64(r.umin); r.smax = s64(r.umax); } else { r.smin = S64_MIN; r.smax = S64_MAX; }
  updateBounds(r);
}
function lsh32b(r: R, umin: bigint, umax: bigint): void {
  r.s32min = S32_MIN; r.s32max = S32_MAX;
  if (umax > 31n || r.u32max > 1n << (31n - umax)) { r.u32min = 0n; r.u32max = U32_MAX; }
  else { r.u32min = u32(r.u32min << umin); r.u32max = u32(r.u32max << umax); }
}
function shift(r: R, s: R, op: 'lsh' | 'rsh' | 'arsh', alu32: boolean): void {
  if (alu32) {
    const umin = s.u32min, umax = s.u32max, sub = tsubreg(tn(r));
    if (op === 'lsh') { lsh32b(r, umin, umax); setTn(r, tsubreg(tlsh(sub, Number(umin)))); }
    else if (op === 'rsh') {
      r.s32min = S32_MIN; r.s32max = S32_MAX; setTn(r, trsh(sub, Number(umin)));
      r.u32min = r.u32min >> umax; r.u32max = r.u32max >> umin;
    } else {
      r.s32min = r.s32min >> umin; r.s32max = r.s32max >> umin;
      setTn(r, tarsh(sub, Number(umin), 32)); r.u32min = 0n; r.u32max = U32_MAX;
    }
    unb64(r); update32(r);
    return;
  }
  const umin = s.umin, umax = s.umax;
  if (op === 'lsh') {
    r.smax = umin === 32n && umax === 32n ? r.s32max << 32n : S64_MAX;
    r.smin = umin === 32n && umax === 32n ? r.s32min << 32n : S64_MIN;
    if (r.umax > 1n << (63n - umax)) { r.umin = 0n; r.umax = M64; } else { r.umin = u64(r.umin << umin); r.umax = u64(r.umax << umax); }
    lsh32b(r, umin, umax);
    setTn(r, tlsh(tn(r), Number(umin)));
  } else if (op === 'rsh') {
    r.smin = S64_MIN; r.smax = S64_MAX; setTn(r, trsh(tn(r), Number(umin)));
    r.umin = r.umin >> umax; r.umax = r.umax >> umin; unb32(r);
  } else {
    r.smin = r.smin >> umin; r.smax = r.smax >> umin; setTn(r, tarsh(tn(r), Number(umin), 64));
    r.umin = 0n; r.umax = M64; unb32(r);
  }
  updateBounds(r);
}
export function zext(r: R): void {
  setTn(r, tsubreg(tn(r)));
  r.umin = r.u32min; r.umax = r.u32max;
  if (r.s32min >= 0n && r.s32max >= 0n) { r.smin = r.s32min; r.smax = r.s32max; } else { r.smin = 0n; r.smax = U32_MAX; }
}
export type Op = 'add' | 'sub' | 'mul' | 'div' | 'or' | 'and' | 'lsh' | 'rsh' | 'neg' | 'mod' | 'xor' | 'arsh';
export const OPCODE: Record<Op, number> = {
  add: 0x00, sub: 0x10, mul: 0x20, div: 0x30, or: 0x40, and: 0x50, lsh: 0x60, rsh: 0x70, neg: 0x80, mod: 0x90, xor: 0xa0, arsh: 0xc0,
};
/** adjust_scalar_min_max_vals; returns the new dst. */
export function alu(dst: R, src: R, op: Op, alu64: boolean): R {
  const r = clone(dst); const s = op === 'neg' ? clone(dst) : clone(src);
  const srcConst = alu64 ? s.m === 0n && s.smin === s.smax && s.umin === s.umax
    : tsubreg(tn(s)).m === 0n && s.s32min === s.s32max && s.u32min === s.u32max;
  const safe = ['add', 'sub', 'neg', 'and', 'xor', 'or', 'mul'].includes(op) ||
    (['lsh', 'rsh', 'arsh'].includes(op) && srcConst && s.umax < (alu64 ? 64n : 32n));
  if (!safe) return unknown();
  switch (op) {
    case 'add': sMinMaxAdd(r, s, 32); sMinMaxAdd(r, s, 64); setTn(r, tadd(tn(r), tn(s))); break;
    case 'sub': sMinMaxSub(r, s, 32); sMinMaxSub(r, s, 64); setTn(r, tsub(tn(r), tn(s))); break;
    case 'neg': Object.assign(r, known(0n)); sMinMaxSub(r, s, 32); sMinMaxSub(r, s, 64); setTn(r, tneg(tn(s))); break;
    case 'mul': setTn(r, tmul(tn(r), tn(s))); sMinMaxMul(r, s, 32); sMinMaxMul(r, s, 64); break;
    case 'and': setTn(r, tand(tn(r), tn(s))); sBit32(r, s, 'and'); sBit64(r, s, 'and'); break;
    case 'or': setTn(r, tor(tn(r), tn(s))); sBit32(r, s, 'or'); sBit64(r, s, 'or'); break;
    case 'xor': setTn(r, txor(tn(r), tn(s))); sBit32(r, s, 'xor'); sBit64(r, s, 'xor'); break;
    case 'lsh': case 'rsh': case 'arsh': shift(r, s, op, !alu64); break;
    default: break;
  }
  if (!alu64) zext(r);
  sync(r);
  return r;
}
/** Concrete BPF semantics of the op (the oracle for soundness). */
export function concrete(x: bigint, y: bigint, op: Op, alu64: boolean): bigint {
  const w = alu64 ? 64 : 32;
  const U = (v: bigint): bigint => BigInt.asUintN(w, v), S = (v: bigint): bigint => BigInt.asIntN(w, v);
  x = U(x); y = U(y);
  const sh = BigInt(Number(y) & (w - 1));
  switch (op) {
    case 'add': return U(x + y); case 'sub': return U(x - y); case 'mul': return U(x * y);
    case 'div': return y === 0n ? 0n : x / y; case 'mod': return y === 0n ? x : x % y;
    case 'or': return x | y; case 'and': return x & y; case 'xor': return x ^ y;
    case 'lsh': return U(x << sh); case 'rsh': return x >> sh; case 'arsh': return U(S(x) >> sh);
    case 'neg': return U(-x);
  }
}
/** Whether concrete x is a member of abstract r. */
export function member(r: R, x: bigint): boolean {
  x = u64(x);
  return tin(tn(r), x) && r.umin <= x && x <= r.umax && r.smin <= s64(x) && s64(x) <= r.smax &&
    r.u32min <= u32(x) && u32(x) <= r.u32max && r.s32min <= s32(x) && s32(x) <= r.s32max;
}

// ---- coerce ----
export function coerceToSize(r: R, size: number): void {
  setTn(r, tcast(tn(r), size));
  const mask = (1n << BigInt(size * 8)) - 1n;
  if ((r.umin & ~mask) === (r.umax & ~mask)) { r.umin &= mask; r.umax &= mask; } else { r.umin = 0n; r.umax = mask; }
  r.smin = s64(r.umin); r.smax = s64(r.umax);
  if (size < 4) unb32(r);
  sync(r);
}
const sx = (x: bigint, size: number): bigint => BigInt.asIntN(size * 8, x);
export function coerceToSizeSx(r: R, size: number): void {
  if (r.m === 0n) { Object.assign(r, known(sx(r.v, size))); return; }
  const nb = BigInt(size * 8);
  // 6.18 stable, as observed: when the s32 range fits in `size` bytes, sign-extend the 32-bit bounds
  if (r.s32min >= -(1n << (nb - 1n)) && r.s32max < (1n << (nb - 1n))) {
    r.smin = r.s32min; r.smax = r.s32max;
    const crosses = r.u32min <= S32_MAX && r.u32max > S32_MAX;
    r.umin = crosses ? r.u32min : u64(s32(r.u32min)); r.umax = u64(s32(r.u32max));
    setTn(r, tunknown()); sync(r); return;
  }
  if (((u64(r.smax) >> nb) << nb) === ((u64(r.smin) >> nb) << nb)) {
    const a = sx(u64(r.smax), size), b = sx(u64(r.smin), size);
    const mx = max(a, b), mn = min(a, b);
    if ((mx >= 0n) === (mn >= 0n)) {
      r.smin = mn; r.s32min = s32(mn); r.smax = mx; r.s32max = s32(mx);
      r.umin = u64(mn); r.u32min = u32(mn); r.umax = u64(mx); r.u32max = u32(mx);
      setTn(r, trange(mn, mx)); return;
    }
  }
  const lim = 1n << (nb - 1n);
  r.smin = r.s32min = -lim; r.smax = r.s32max = lim - 1n; r.umin = r.u32min = 0n; r.umax = M64; r.u32max = U32_MAX;
  setTn(r, tunknown());
}
export function coerceSubregSx(r: R, size: number): void {
  if (r.m === 0n) {
    setTn(r, tconst(sx(u32(r.v), size))); const x = u32(r.v);
    r.s32min = r.s32max = s32(x); r.u32min = r.u32max = x; return;
  }
  const nb = BigInt(size * 8);
  if (((u32(r.s32max) >> nb) << nb) === ((u32(r.s32min) >> nb) << nb)) {
    const a = sx(u32(r.s32max), size), b = sx(u32(r.s32min), size);
    const mx = max(a, b), mn = min(a, b);
    if ((mn >= 0n) === (mx >= 0n)) {
      r.s32min = mn; r.s32max = mx; r.u32min = u32(mn); r.u32max = u32(mx);
      setTn(r, tsubreg(trange(mn, mx))); return;
    }
  }
  const lim = 1n << (nb - 1n);
  r.s32min = -lim; r.s32max = lim - 1n; r.u32min = 0n; r.u32max = U32_MAX; setTn(r, tsubreg(tunknown()));
}

const swab = (x: bigint, bytes: number): bigint => {
  let r = 0n; for (let i = 0; i < bytes; i++) r |= ((x >> BigInt(8 * i)) & 0xffn) << BigInt(8 * (bytes - 1 - i)); return r;
};
/** scalar_byte_swap + reg_bounds_sync (the END case of adjust_scalar_min_max_vals). */
export function byteSwap(dst: R, imm: number, toBe: boolean, alu64: boolean): R {
  const r = clone(dst); const need = alu64 || toBe; const bytes = imm / 8;
  if (need) { setTn(r, { v: swab(r.v & ((1n << BigInt(imm)) - 1n), bytes), m: swab(r.m & ((1n << BigInt(imm)) - 1n), bytes) }); markUnbounded(r); }
  if (imm === 16 || imm === 32) coerceToSize(r, bytes);
  sync(r);
  return r;
}
/** sync_linked_regs' scalar step: add a known delta (32- and 64-bit bounds, tnum), zext if asked, sync. */
export function linkedAdd(r0: R, delta: bigint, zx: boolean): R {
  const r = clone(r0), k = known(delta);
  sMinMaxAdd(r, k, 32); sMinMaxAdd(r, k, 64); setTn(r, tadd(tn(r), tn(k)));
  if (zx) zext(r);
  sync(r);
  return r;
}
export * from './ref-branch.js';
/** adjust_ptr_min_max_vals' ADD / SUB of a variable offset (or `fixed`: numeric part unchanged), then 32-bit unbounded and sync. */
export function ptrOffset(p: R, o: R, isSub: boolean, fixed: boolean): R {
  const r = clone(p);
  if (!fixed) {
    const S64_MIN = -(1n << 63n), S64_MAX = (1n << 63n) - 1n;
    if (!isSub) {
      const a = p.smin + o.smin, b = p.smax + o.smax;
      [r.smin, r.smax] = a !== s64(a) || b !== s64(b) ? [S64_MIN, S64_MAX] : [a, b];
      const c = p.umin + o.umin, d = p.umax + o.umax;
      [r.umin, r.umax] = c > M64 || d > M64 ? [0n, M64] : [c, d];
      setTn(r, tadd(tn(p), tn(o)));
    } else {
      const a = p.smin - o.smax, b = p.smax - o.smin;
      [r.smin, r.smax] = a !== s64(a) || b !== s64(b) ? [S64_MIN, S64_MAX] : [a, b];
      [r.umin, r.umax] = p.umin < o.umax ? [0n, M64] : [p.umin - o.umax, u64(p.umax - o.umin)];
      setTn(r, tsub(tn(p), tn(o)));
    }
  }
  r.s32min = -(1n << 31n); r.s32max = (1n << 31n) - 1n; r.u32min = 0n; r.u32max = 0xffffffffn;
  sync(r);
  return r;
}
