/**
 * The variable-offset arithmetic of a pointer (Linux 6.18 adjust_ptr_min_max_vals, ADD / SUB):
 * a pointer's var_off and bounds are the sum of its own and the scalar's, with the pointer
 * rules for overflow (which differ from scalar_min_max_add / _sub), no 32-bit bounds, then
 * reg_bounds_sync.
 * @module
 */
import {
  SCALAR_WORDS, SMAX_HI, SMAX_LO, SMIN_HI, SMIN_LO, UMAX_HI, UMAX_LO, UMIN_HI, UMIN_LO, VAL_LO,
  copyScalar, markUnbounded32,
} from './scalar.js';
import { regBoundsSync } from './bounds-sync.js';
import { tnumAdd, tnumSub } from './tnum.js';
import { add64, addOvS64, ltU64, sub64, subOvS64 } from './u64.js';

const P = new Uint32Array(SCALAR_WORDS), O = new Uint32Array(SCALAR_WORDS), T = new Uint32Array(4);

/**
 * `dst = ptr ± off` for the numeric part of a pointer register: `fixed` when the kernel folds a
 * known offset into the pointer's fixed `off` field (the caller decides: off is a constant and
 * ptr.off ± value fits in s32), in which case the numeric part is the pointer's unchanged;
 * otherwise the variable-offset rules. Always ends with __mark_reg32_unbounded and
 * reg_bounds_sync, as adjust_ptr_min_max_vals does. `d` may alias either input.
 */
export function ptrOffsetAlu(d: Uint32Array, db: number, ptr: Uint32Array, pb: number, off: Uint32Array, ob: number,
  isSub: boolean, fixed: boolean): void {
  copyScalar(P, 0, ptr, pb); copyScalar(O, 0, off, ob);
  copyScalar(d, db, P, 0);
  if (!fixed) {
    if (!isSub) {
      if (addOvS64(T, 0, P[SMIN_LO]!, P[SMIN_HI]!, O[SMIN_LO]!, O[SMIN_HI]!) ||
          addOvS64(T, 2, P[SMAX_LO]!, P[SMAX_HI]!, O[SMAX_LO]!, O[SMAX_HI]!)) setS64(d, db, 0, 0x80000000, 0xffffffff, 0x7fffffff);
      else setS64(d, db, T[0]!, T[1]!, T[2]!, T[3]!);
      // Any unsigned overflow loses the unsigned bounds (scalars keep them when both ends wrap).
      if (add64(T, 0, P[UMIN_LO]!, P[UMIN_HI]!, O[UMIN_LO]!, O[UMIN_HI]!) ||
          add64(T, 2, P[UMAX_LO]!, P[UMAX_HI]!, O[UMAX_LO]!, O[UMAX_HI]!)) setU64(d, db, 0, 0, 0xffffffff, 0xffffffff);
      else setU64(d, db, T[0]!, T[1]!, T[2]!, T[3]!);
      tnumAdd(d, db + VAL_LO, P, VAL_LO, O, VAL_LO);
    } else {
      if (subOvS64(T, 0, P[SMIN_LO]!, P[SMIN_HI]!, O[SMAX_LO]!, O[SMAX_HI]!) ||
          subOvS64(T, 2, P[SMAX_LO]!, P[SMAX_HI]!, O[SMIN_LO]!, O[SMIN_HI]!)) setS64(d, db, 0, 0x80000000, 0xffffffff, 0x7fffffff);
      else setS64(d, db, T[0]!, T[1]!, T[2]!, T[3]!);
      if (ltU64(P[UMIN_LO]!, P[UMIN_HI]!, O[UMAX_LO]!, O[UMAX_HI]!)) setU64(d, db, 0, 0, 0xffffffff, 0xffffffff);
      else {
        sub64(T, 0, P[UMIN_LO]!, P[UMIN_HI]!, O[UMAX_LO]!, O[UMAX_HI]!);
        sub64(T, 2, P[UMAX_LO]!, P[UMAX_HI]!, O[UMIN_LO]!, O[UMIN_HI]!);
        setU64(d, db, T[0]!, T[1]!, T[2]!, T[3]!);
      }
      tnumSub(d, db + VAL_LO, P, VAL_LO, O, VAL_LO);
    }
  }
  markUnbounded32(d, db);
  regBoundsSync(d, db);
}

function setS64(d: Uint32Array, db: number, minLo: number, minHi: number, maxLo: number, maxHi: number): void {
  d[db + SMIN_LO] = minLo; d[db + SMIN_HI] = minHi; d[db + SMAX_LO] = maxLo; d[db + SMAX_HI] = maxHi;
}
function setU64(d: Uint32Array, db: number, minLo: number, minHi: number, maxLo: number, maxHi: number): void {
  d[db + UMIN_LO] = minLo; d[db + UMIN_HI] = minHi; d[db + UMAX_LO] = maxLo; d[db + UMAX_HI] = maxHi;
}
