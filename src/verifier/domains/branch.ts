/**
 * Conditional jumps on scalars (Linux 6.18 is_scalar_branch_taken, flip_opcode, rev_opcode,
 * regs_refine_cond_op, reg_set_min_max). Opcodes are the JmpOp values (JEQ = 0x10 ...);
 * {@link JSET_REV} stands for "not JSET" as the kernel's rev_opcode does (BPF_JSET | BPF_X).
 * @module
 */
import {
  MASK_HI, MASK_LO, S32_MAX, S32_MIN, SCALAR_WORDS, SMAX_HI, SMAX_LO, SMIN_HI, SMIN_LO, U32_MAX,
  U32_MIN, UMAX_HI, UMAX_LO, UMIN_HI, UMIN_LO, VAL_HI, VAL_LO, isRegConst, markUnbounded,
} from './scalar.js';
import { lowerS32, lowerS64, lowerU32, lowerU64, raiseS32, raiseS64, raiseU32, raiseU64, regBoundsSync, sanityCheck } from './bounds-sync.js';
import { tnumAnd, tnumIntersect, tnumOr, tnumSubreg, tnumWithSubreg } from './tnum.js';
import { add64, sub64 } from './u64.js';

const JEQ = 0x10, JGT = 0x20, JGE = 0x30, JSET = 0x40, JNE = 0x50, JSGT = 0x60, JSGE = 0x70,
  JLT = 0xa0, JLE = 0xb0, JSLT = 0xc0, JSLE = 0xd0;

/** The reverse of JSET (rev_opcode's BPF_JSET | BPF_X). */
export const JSET_REV = 0x48;

/** flip_opcode: the operation with its operands swapped (JGT → JLT ...); 0 for others. */
export function flipOpcode(op: number): number {
  switch (op) {
    case JEQ: case JNE: case JSET: return op;
    case JGE: return JLE; case JGT: return JLT; case JLE: return JGE; case JLT: return JGT;
    case JSGE: return JSLE; case JSGT: return JSLT; case JSLE: return JSGE; case JSLT: return JSGT;
    default: return 0;
  }
}

/** rev_opcode: the condition of the fall-through branch (JGT → JLE, JSET → JSET_REV ...). */
export function revOpcode(op: number): number {
  switch (op) {
    case JEQ: return JNE; case JNE: return JEQ; case JSET: return JSET_REV; case JSET_REV: return JSET;
    case JGE: return JLT; case JGT: return JLE; case JLE: return JGT; case JLT: return JGE;
    case JSGE: return JSLT; case JSGT: return JSLE; case JSLE: return JSGT; case JSLT: return JSGE;
    default: return 0;
  }
}

// The two operands as is_scalar_branch_taken sees them: [umin, umax, smin, smax] as lo/hi pairs
// (32-bit views sign/zero-extended), plus the tnum, in one scratch array per operand.
const A = new Uint32Array(12), B = new Uint32Array(12);

function view(o: Uint32Array, s: Uint32Array, b: number, is32: boolean): void {
  if (is32) {
    const smin = s[b + S32_MIN]!, smax = s[b + S32_MAX]!;
    o[0] = s[b + U32_MIN]!; o[1] = 0; o[2] = s[b + U32_MAX]!; o[3] = 0;
    o[4] = smin; o[5] = (smin | 0) >> 31; o[6] = smax; o[7] = (smax | 0) >> 31;
    tnumSubreg(o, 8, s, b + VAL_LO);
  } else {
    for (let i = 0; i < 8; i++) o[i] = s[b + UMIN_LO + i]!;
    for (let i = 0; i < 4; i++) o[8 + i] = s[b + VAL_LO + i]!;
  }
}

const gtU = (a: Uint32Array, i: number, b: Uint32Array, j: number): boolean =>
  a[i + 1] !== b[j + 1] ? a[i + 1]! > b[j + 1]! : a[i]! > b[j]!;
const gtS = (a: Uint32Array, i: number, b: Uint32Array, j: number): boolean =>
  a[i + 1] !== b[j + 1] ? (a[i + 1]! | 0) > (b[j + 1]! | 0) : a[i]! > b[j]!;

/**
 * is_scalar_branch_taken for `reg1 op reg2`: 1 always taken, 0 never, -1 unknown.
 * `is32` for JMP32 (compares the low 32 bits and the 32-bit bounds). Pointer cases of
 * is_branch_taken are the caller's.
 */
export function isBranchTaken(s1: Uint32Array, b1: number, s2: Uint32Array, b2: number, op: number, is32: boolean): -1 | 0 | 1 {
  view(A, s1, b1, is32); view(B, s2, b2, is32);
  // Field offsets in the views: umin 0, umax 2, smin 4, smax 6, tnum 8.
  switch (op) {
    case JEQ: case JNE: {
      const eq = op === JEQ ? 1 : 0, ne = op === JEQ ? 0 : 1;
      if ((A[10]! | A[11]! | B[10]! | B[11]!) === 0) return A[8] === B[8] && A[9] === B[9] ? eq : ne;
      const mul = ~A[10]! & ~B[10]!, muh = ~A[11]! & ~B[11]!;
      if (((A[8]! ^ B[8]!) & mul) !== 0 || ((A[9]! ^ B[9]!) & muh) !== 0) return ne; // !tnum_overlap
      if (gtU(A, 0, B, 2) || gtU(B, 0, A, 2)) return ne;
      if (gtS(A, 4, B, 6) || gtS(B, 4, A, 6)) return ne;
      if (!is32) {
        if (s1[b1 + U32_MIN]! > s2[b2 + U32_MAX]! || s1[b1 + U32_MAX]! < s2[b2 + U32_MIN]!) return ne;
        if ((s1[b1 + S32_MIN]! | 0) > (s2[b2 + S32_MAX]! | 0) || (s1[b1 + S32_MAX]! | 0) < (s2[b2 + S32_MIN]! | 0)) return ne;
      }
      return -1;
    }
    case JSET: {
      let t1 = A, t2 = B;
      if (!isRegConst(s2, b2, is32)) { t1 = B; t2 = A; if (!isRegConst(s1, b1, is32)) return -1; }
      if (((~t1[10]! & t1[8]! & t2[8]!) | (~t1[11]! & t1[9]! & t2[9]!)) !== 0) return 1;
      if (((((t1[10]! | t1[8]!) & t2[8]!) | ((t1[11]! | t1[9]!) & t2[9]!))) === 0) return 0;
      return -1;
    }
    case JGT: return gtU(A, 0, B, 2) ? 1 : !gtU(A, 2, B, 0) ? 0 : -1;
    case JSGT: return gtS(A, 4, B, 6) ? 1 : !gtS(A, 6, B, 4) ? 0 : -1;
    case JLT: return gtU(B, 0, A, 2) ? 1 : !gtU(B, 2, A, 0) ? 0 : -1;
    case JSLT: return gtS(B, 4, A, 6) ? 1 : !gtS(B, 6, A, 4) ? 0 : -1;
    case JGE: return !gtU(B, 2, A, 0) ? 1 : gtU(B, 0, A, 2) ? 0 : -1;
    case JSGE: return !gtS(B, 6, A, 4) ? 1 : gtS(B, 4, A, 6) ? 0 : -1;
    case JLE: return !gtU(A, 2, B, 0) ? 1 : gtU(A, 0, B, 2) ? 0 : -1;
    case JSLE: return !gtS(A, 6, B, 4) ? 1 : gtS(A, 4, B, 6) ? 0 : -1;
    default: return -1;
  }
}

const K = new Uint32Array(8);

function isPow2(lo: number, hi: number): boolean {
  if (lo !== 0 && hi !== 0) return false;
  const x = lo !== 0 ? lo : hi;
  return x !== 0 && (x & (x - 1)) === 0;
}

/** regs_refine_cond_op: narrow both registers assuming `reg1 op reg2` holds (no sync). */
export function regsRefineCondOp(s1: Uint32Array, b1: number, s2: Uint32Array, b2: number, op: number, is32: boolean): void {
  if (op === JGE || op === JGT || op === JSGE || op === JSGT) {
    op = flipOpcode(op);
    const ts = s1; s1 = s2; s2 = ts; const tb = b1; b1 = b2; b2 = tb;
  }
  switch (op) {
    case JEQ:
      if (is32) {
        raiseU32(s1, b1 + U32_MIN, s2[b2 + U32_MIN]!); lowerU32(s1, b1 + U32_MAX, s2[b2 + U32_MAX]!);
        raiseS32(s1, b1 + S32_MIN, s2[b2 + S32_MIN]!); lowerS32(s1, b1 + S32_MAX, s2[b2 + S32_MAX]!);
        for (let i = U32_MIN; i <= S32_MAX; i++) s2[b2 + i] = s1[b1 + i]!;
        tnumSubreg(K, 0, s1, b1 + VAL_LO); tnumSubreg(K, 4, s2, b2 + VAL_LO);
        tnumIntersect(K, 0, K, 0, K, 4);
        tnumWithSubreg(s1, b1 + VAL_LO, s1, b1 + VAL_LO, K, 0);
        tnumWithSubreg(s2, b2 + VAL_LO, s2, b2 + VAL_LO, K, 0);
      } else {
        raiseU64(s1, b1 + UMIN_LO, s2[b2 + UMIN_LO]!, s2[b2 + UMIN_HI]!);
        lowerU64(s1, b1 + UMAX_LO, s2[b2 + UMAX_LO]!, s2[b2 + UMAX_HI]!);
        raiseS64(s1, b1 + SMIN_LO, s2[b2 + SMIN_LO]!, s2[b2 + SMIN_HI]!);
        lowerS64(s1, b1 + SMAX_LO, s2[b2 + SMAX_LO]!, s2[b2 + SMAX_HI]!);
        for (let i = UMIN_LO; i <= SMAX_HI; i++) s2[b2 + i] = s1[b1 + i]!;
        tnumIntersect(s1, b1 + VAL_LO, s1, b1 + VAL_LO, s2, b2 + VAL_LO);
        for (let i = VAL_LO; i <= MASK_HI; i++) s2[b2 + i] = s1[b1 + i]!;
      }
      break;
    case JNE: case JSET: case JSET_REV: {
      if (!isRegConst(s2, b2, is32)) { const ts = s1; s1 = s2; s2 = ts; const tb = b1; b1 = b2; b2 = tb; }
      if (!isRegConst(s2, b2, is32)) break;
      const vl = s2[b2 + VAL_LO]!, vh = is32 ? 0 : s2[b2 + VAL_HI]!;
      if (op === JNE) refineNe(s1, b1, vl, vh, is32);
      else if (op === JSET) {
        if (!isPow2(vl, vh)) break;
        K[0] = vl; K[1] = vh; K[2] = 0; K[3] = 0;
        if (is32) {
          tnumSubreg(K, 4, s1, b1 + VAL_LO); tnumOr(K, 4, K, 4, K, 0);
          tnumWithSubreg(s1, b1 + VAL_LO, s1, b1 + VAL_LO, K, 4);
        } else tnumOr(s1, b1 + VAL_LO, s1, b1 + VAL_LO, K, 0);
      } else {
        // Forget the ranges before narrowing the tnum (avoids invariant violations on dead branches).
        markUnbounded(s1, b1);
        K[0] = ~vl; K[1] = ~vh; K[2] = 0; K[3] = 0;
        if (is32) {
          tnumSubreg(K, 4, s1, b1 + VAL_LO); tnumAnd(K, 4, K, 4, K, 0);
          tnumWithSubreg(s1, b1 + VAL_LO, s1, b1 + VAL_LO, K, 4);
        } else tnumAnd(s1, b1 + VAL_LO, s1, b1 + VAL_LO, K, 0);
      }
      break;
    }
    case JLE:
      if (is32) {
        lowerU32(s1, b1 + U32_MAX, s2[b2 + U32_MAX]!); raiseU32(s2, b2 + U32_MIN, s1[b1 + U32_MIN]!);
      } else {
        lowerU64(s1, b1 + UMAX_LO, s2[b2 + UMAX_LO]!, s2[b2 + UMAX_HI]!);
        raiseU64(s2, b2 + UMIN_LO, s1[b1 + UMIN_LO]!, s1[b1 + UMIN_HI]!);
      }
      break;
    case JLT:
      if (is32) {
        lowerU32(s1, b1 + U32_MAX, s2[b2 + U32_MAX]! - 1); raiseU32(s2, b2 + U32_MIN, s1[b1 + U32_MIN]! + 1);
      } else {
        sub64(K, 0, s2[b2 + UMAX_LO]!, s2[b2 + UMAX_HI]!, 1, 0); lowerU64(s1, b1 + UMAX_LO, K[0]!, K[1]!);
        add64(K, 0, s1[b1 + UMIN_LO]!, s1[b1 + UMIN_HI]!, 1, 0); raiseU64(s2, b2 + UMIN_LO, K[0]!, K[1]!);
      }
      break;
    case JSLE:
      if (is32) {
        lowerS32(s1, b1 + S32_MAX, s2[b2 + S32_MAX]!); raiseS32(s2, b2 + S32_MIN, s1[b1 + S32_MIN]!);
      } else {
        lowerS64(s1, b1 + SMAX_LO, s2[b2 + SMAX_LO]!, s2[b2 + SMAX_HI]!);
        raiseS64(s2, b2 + SMIN_LO, s1[b1 + SMIN_LO]!, s1[b1 + SMIN_HI]!);
      }
      break;
    case JSLT:
      if (is32) {
        lowerS32(s1, b1 + S32_MAX, (s2[b2 + S32_MAX]! - 1) | 0); raiseS32(s2, b2 + S32_MIN, (s1[b1 + S32_MIN]! + 1) | 0);
      } else {
        sub64(K, 0, s2[b2 + SMAX_LO]!, s2[b2 + SMAX_HI]!, 1, 0); lowerS64(s1, b1 + SMAX_LO, K[0]!, K[1]!);
        add64(K, 0, s1[b1 + SMIN_LO]!, s1[b1 + SMIN_HI]!, 1, 0); raiseS64(s2, b2 + SMIN_LO, K[0]!, K[1]!);
      }
      break;
    default:
      break;
  }
}

/** The JNE case: a constant at the edge of a range shrinks it by one. */
function refineNe(s: Uint32Array, b: number, vl: number, vh: number, is32: boolean): void {
  if (is32) {
    if (s[b + U32_MIN] === vl) s[b + U32_MIN] = vl + 1;
    if (s[b + U32_MAX] === vl) s[b + U32_MAX] = vl - 1;
    if (s[b + S32_MIN] === vl) s[b + S32_MIN] = vl + 1;
    if (s[b + S32_MAX] === vl) s[b + S32_MAX] = vl - 1;
    return;
  }
  if (s[b + UMIN_LO] === vl && s[b + UMIN_HI] === vh) add64(s, b + UMIN_LO, vl, vh, 1, 0);
  if (s[b + UMAX_LO] === vl && s[b + UMAX_HI] === vh) sub64(s, b + UMAX_LO, vl, vh, 1, 0);
  if (s[b + SMIN_LO] === vl && s[b + SMIN_HI] === vh) add64(s, b + SMIN_LO, vl, vh, 1, 0);
  if (s[b + SMAX_LO] === vl && s[b + SMAX_HI] === vh) sub64(s, b + SMAX_LO, vl, vh, 1, 0);
}

/**
 * One half of reg_set_min_max: refine both registers for the branch where `reg1 op reg2` holds,
 * reg_bounds_sync both, then reg_bounds_sanity_check both. Returns null, or the sanity-check
 * message of the first register that violated its invariants (it is then reset to unbounded,
 * as the kernel does). For the fall-through branch call it with revOpcode(op). The two
 * registers may be the same scalar (`if r1 > r1`), as in the kernel.
 */
export function refineBranch(s1: Uint32Array, b1: number, s2: Uint32Array, b2: number, op: number, is32: boolean): string | null {
  regsRefineCondOp(s1, b1, s2, b2, op, is32);
  regBoundsSync(s1, b1);
  regBoundsSync(s2, b2);
  const e1 = sanityCheck(s1, b1);
  const e2 = sanityCheck(s2, b2);
  return e1 ?? e2;
}

void SCALAR_WORDS;
