/** Test oracle, part 3: BigInt port of is_scalar_branch_taken and regs_refine_cond_op (Linux 6.18). */
import { M64, type R, markUnbounded, s32, s64, tand, tintersect, tor, toverlap, tconst, tsubreg, twithsub, u32, u64 } from './ref.js';

const max = (a: bigint, b: bigint): bigint => (a > b ? a : b);
const min = (a: bigint, b: bigint): bigint => (a < b ? a : b);
const tn = (r: R): { v: bigint; m: bigint } => ({ v: r.v, m: r.m });
const setTn = (r: R, t: { v: bigint; m: bigint }): void => { r.v = t.v; r.m = t.m; };

// ---- branches ----
export const J = { JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40, JNE: 0x50, JSGT: 0x60, JSGE: 0x70, JLT: 0xa0, JLE: 0xb0, JSLT: 0xc0, JSLE: 0xd0, JSET_REV: 0x48 } as const;
const isConstW = (r: R, is32: boolean): boolean => (is32 ? tsubreg(tn(r)).m === 0n : r.m === 0n);
export function branchTaken(r1: R, r2: R, op: number, is32: boolean): number {
  const t1 = is32 ? tsubreg(tn(r1)) : tn(r1), t2 = is32 ? tsubreg(tn(r2)) : tn(r2);
  const umin1 = is32 ? r1.u32min : r1.umin, umax1 = is32 ? r1.u32max : r1.umax;
  const smin1 = is32 ? r1.s32min : r1.smin, smax1 = is32 ? r1.s32max : r1.smax;
  const umin2 = is32 ? r2.u32min : r2.umin, umax2 = is32 ? r2.u32max : r2.umax;
  const smin2 = is32 ? r2.s32min : r2.smin, smax2 = is32 ? r2.s32max : r2.smax;
  switch (op) {
    case J.JEQ: case J.JNE: {
      const [y, n] = op === J.JEQ ? [1, 0] : [0, 1];
      if (t1.m === 0n && t2.m === 0n) return t1.v === t2.v ? y : n;
      if (!toverlap(t1, t2)) return n;
      if (umin1 > umax2 || umax1 < umin2) return n;
      if (smin1 > smax2 || smax1 < smin2) return n;
      if (!is32) {
        if (r1.u32min > r2.u32max || r1.u32max < r2.u32min) return n;
        if (r1.s32min > r2.s32max || r1.s32max < r2.s32min) return n;
      }
      return -1;
    }
    case J.JSET: {
      let a = t1, b = t2;
      if (!isConstW(r2, is32)) { a = t2; b = t1; if (!isConstW(r1, is32)) return -1; }
      if ((~a.m & a.v) & b.v) return 1;
      if (!((a.m | a.v) & b.v)) return 0;
      return -1;
    }
    case J.JGT: return umin1 > umax2 ? 1 : umax1 <= umin2 ? 0 : -1;
    case J.JSGT: return smin1 > smax2 ? 1 : smax1 <= smin2 ? 0 : -1;
    case J.JLT: return umax1 < umin2 ? 1 : umin1 >= umax2 ? 0 : -1;
    case J.JSLT: return smax1 < smin2 ? 1 : smin1 >= smax2 ? 0 : -1;
    case J.JGE: return umin1 >= umax2 ? 1 : umax1 < umin2 ? 0 : -1;
    case J.JSGE: return smin1 >= smax2 ? 1 : smax1 < smin2 ? 0 : -1;
    case J.JLE: return umax1 <= umin2 ? 1 : umin1 > umax2 ? 0 : -1;
    case J.JSLE: return smax1 <= smin2 ? 1 : smin1 > smax2 ? 0 : -1;
    default: return -1;
  }
}
const FLIP: Record<number, number> = { [J.JGE]: J.JLE, [J.JGT]: J.JLT, [J.JSGE]: J.JSLE, [J.JSGT]: J.JSLT };
/** regs_refine_cond_op (mutates both; they may be the same object). */
export function refine(r1: R, r2: R, op: number, is32: boolean): void {
  if (FLIP[op] !== undefined) { op = FLIP[op]!; [r1, r2] = [r2, r1]; }
  switch (op) {
    case J.JEQ:
      if (is32) {
        r1.u32min = max(r1.u32min, r2.u32min); r1.u32max = min(r1.u32max, r2.u32max);
        r1.s32min = max(r1.s32min, r2.s32min); r1.s32max = min(r1.s32max, r2.s32max);
        r2.u32min = r1.u32min; r2.u32max = r1.u32max; r2.s32min = r1.s32min; r2.s32max = r1.s32max;
        const t = tintersect(tsubreg(tn(r1)), tsubreg(tn(r2)));
        setTn(r1, twithsub(tn(r1), t)); setTn(r2, twithsub(tn(r2), t));
      } else {
        r1.umin = max(r1.umin, r2.umin); r1.umax = min(r1.umax, r2.umax);
        r1.smin = max(r1.smin, r2.smin); r1.smax = min(r1.smax, r2.smax);
        r2.umin = r1.umin; r2.umax = r1.umax; r2.smin = r1.smin; r2.smax = r1.smax;
        setTn(r1, tintersect(tn(r1), tn(r2))); setTn(r2, tn(r1));
      }
      break;
    case J.JNE: case J.JSET: case J.JSET_REV: {
      if (!isConstW(r2, is32)) [r1, r2] = [r2, r1];
      if (!isConstW(r2, is32)) break;
      const val = is32 ? u32(r2.v) : r2.v;
      if (op === J.JNE) {
        if (is32) {
          if (r1.u32min === val) r1.u32min = u32(r1.u32min + 1n);
          if (r1.u32max === val) r1.u32max = u32(r1.u32max - 1n);
          if (r1.s32min === s32(val)) r1.s32min = s32(r1.s32min + 1n);
          if (r1.s32max === s32(val)) r1.s32max = s32(r1.s32max - 1n);
        } else {
          if (r1.umin === val) r1.umin = u64(r1.umin + 1n);
          if (r1.umax === val) r1.umax = u64(r1.umax - 1n);
          if (r1.smin === s64(val)) r1.smin = s64(r1.smin + 1n);
          if (r1.smax === s64(val)) r1.smax = s64(r1.smax - 1n);
        }
      } else if (op === J.JSET) {
        if (val === 0n || (val & (val - 1n)) !== 0n) break;
        if (is32) setTn(r1, twithsub(tn(r1), tor(tsubreg(tn(r1)), tconst(val))));
        else setTn(r1, tor(tn(r1), tconst(val)));
      } else {
        markUnbounded(r1);
        if (is32) setTn(r1, twithsub(tn(r1), tand(tsubreg(tn(r1)), tconst(u64(~val)))));
        else setTn(r1, tand(tn(r1), tconst(u64(~val))));
      }
      break;
    }
    case J.JLE:
      if (is32) { r1.u32max = min(r1.u32max, r2.u32max); r2.u32min = max(r1.u32min, r2.u32min); }
      else { r1.umax = min(r1.umax, r2.umax); r2.umin = max(r1.umin, r2.umin); }
      break;
    case J.JLT:
      if (is32) { r1.u32max = min(r1.u32max, u32(r2.u32max - 1n)); r2.u32min = max(u32(r1.u32min + 1n), r2.u32min); }
      else { r1.umax = min(r1.umax, u64(r2.umax - 1n)); r2.umin = max(u64(r1.umin + 1n), r2.umin); }
      break;
    case J.JSLE:
      if (is32) { r1.s32max = min(r1.s32max, r2.s32max); r2.s32min = max(r1.s32min, r2.s32min); }
      else { r1.smax = min(r1.smax, r2.smax); r2.smin = max(r1.smin, r2.smin); }
      break;
    case J.JSLT:
      if (is32) { r1.s32max = min(r1.s32max, s32(r2.s32max - 1n)); r2.s32min = max(s32(r1.s32min + 1n), r2.s32min); }
      else { r1.smax = min(r1.smax, s64(r2.smax - 1n)); r2.smin = max(s64(r1.smin + 1n), r2.smin); }
      break;
    default: break;
  }
}
/** Concrete truth of `x op y`. */
export function concreteCond(x: bigint, y: bigint, op: number, is32: boolean): boolean {
  const U = is32 ? u32 : u64, S = is32 ? s32 : s64;
  const a = U(x), b = U(y);
  switch (op) {
    case J.JEQ: return a === b; case J.JNE: return a !== b; case J.JSET: return (a & b) !== 0n; case J.JSET_REV: return (a & b) === 0n;
    case J.JGT: return a > b; case J.JGE: return a >= b; case J.JLT: return a < b; case J.JLE: return a <= b;
    case J.JSGT: return S(a) > S(b); case J.JSGE: return S(a) >= S(b); case J.JSLT: return S(a) < S(b); case J.JSLE: return S(a) <= S(b);
    default: throw new Error('op');
  }
}

