/**
 * State comparison for pruning (states_equal / regsafe / stacksafe), simplified but sound: a
 * scalar is covered only if the old range and tnum contain the new ones (the kernel also skips
 * imprecise scalars, which needs precision tracking the model does not do), and pointers must
 * agree on type, offset and identity.
 * @module
 */
import { S } from './scalar.js';
import type { Reg, VState, StackSlot } from './state.js';
import { T, F, base, Slot } from './state.js';

/** check_ids: old ids must map one-to-one onto current ids (small, so linear arrays). */
class IdMap {
  private readonly olds: number[] = [];
  private readonly curs: number[] = [];
  check(o: number, c: number): boolean {
    if (o === 0 && c === 0) return true;
    if (o === 0 || c === 0) return false;
    const a = this.olds.indexOf(o), b = this.curs.indexOf(c);
    if (a < 0 && b < 0) { this.olds.push(o); this.curs.push(c); return true; }
    return a === b;
  }
  private tmp = 0;
  /** check_scalar_ids: an unlinked current scalar gets a fresh id, so it matches only a lone old id. */
  checkScalar(o: number, c: number): boolean {
    if (o === 0) return true;
    return this.check(o, c === 0 ? --this.tmp : c);
  }
}

function regsExact(o: Reg, c: Reg, ids: IdMap): boolean {
  return o.t === c.t && o.off === c.off && o.range === c.range && o.frame === c.frame && o.link === c.link && o.linkOff === c.linkOff &&
    o.map?.uid === c.map?.uid && S.equal(o.v, c.v) && ids.check(o.id, c.id) && ids.check(o.ref, c.ref);
}

function regSafe(o: Reg, c: Reg, ids: IdMap, exact: boolean, mayBePrecise = true): boolean {
  if (exact) return regsExact(o, c, ids);
  if (o.t === T.NOT_INIT) return true;
  if (c.t === T.NOT_INIT) return false;
  if (o.t === T.SCALAR) {
    if (c.t !== T.SCALAR) return false;
    // regsafe: an old scalar that is not precise matches any scalar
    if (!mayBePrecise) return true;
    if (o.link !== c.link || (o.link && o.linkOff !== c.linkOff)) return false;
    return ids.checkScalar(o.id, c.id) && S.within(o.v, c.v);
  }
  if (o.t !== c.t) return false;
  switch (base(o.t)) {
    case T.MAP_VALUE:
    case T.MEM:
      if (o.t & F.MAYBE_NULL) return regsExact(o, c, ids);
      return o.off === c.off && o.map?.uid === c.map?.uid && o.range === c.range &&
        S.within(o.v, c.v) && ids.check(o.id, c.id) && ids.check(o.ref, c.ref);
    case T.PKT:
    case T.PKT_META:
      if (o.range > c.range || (o.range < 0 && o.range !== c.range)) return false;
      return o.off === c.off && ids.check(o.id, c.id) && S.within(o.v, c.v);
    case T.STACK:
      return o.frame === c.frame && o.off === c.off && S.within(o.v, c.v);
    default:
      return regsExact(o, c, ids);
  }
}

function slotType(st: StackSlot | undefined, b: number): number { return st ? st.types[b]! : Slot.INVALID; }

function stackSafe(os: StackSlot[], cs: StackSlot[], ids: IdMap, exact: boolean, liveLo: number, liveHi: number,
  preciseLo: number, preciseHi: number): boolean {
  const n = Math.max(os.length, cs.length);
  for (let spi = 0; spi < n; spi++) {
    if (!exact && spi < 64 && !((spi < 32 ? liveLo >>> spi : liveHi >>> (spi - 32)) & 1)) continue;
    const o = os[spi], c = cs[spi];
    for (let b = 0; b < 8; b++) {
      const ot = slotType(o, b), ct = slotType(c, b);
      if (exact) { if (ot !== ct) return false; continue; }
      if (ot === Slot.INVALID) continue;
      if (ot === Slot.MISC && ct !== Slot.SPILL) continue;
      if (ot === Slot.MISC && ct === Slot.SPILL && c!.spilled.t === T.SCALAR) continue;
      if (ot !== ct) return false;
    }
    if (o && o.types[7] === Slot.SPILL) {
      if (!c || c.types[7] !== Slot.SPILL) return false;
      const mayBePrecise = spi >= 64 || ((spi < 32 ? preciseLo >>> spi : preciseHi >>> (spi - 32)) & 1) !== 0;
      if (!regSafe(o.spilled, c.spilled, ids, exact, mayBePrecise)) return false;
    } else if (exact && c && c.types[7] === Slot.SPILL) {
      return false;
    }
  }
  return true;
}

/**
 * Whether `cur` is covered by the fully explored `old` (or, with `exact`, identical to it).
 * `live(f)`: the live registers of frame f; `liveLo`/`liveHi`: the live stack slots (bit spi),
 * all by default; `precise(f)`: the registers of frame f whose old scalar may be precise (others
 * match any scalar), all by default; `preciseLo`/`preciseHi`: likewise for spilled scalars (of
 * the top frame in one-function programs, the only case where they are not all set).
 */
export function statesEqual(old: VState, cur: VState, live: (frame: number) => number, exact: boolean,
  liveLo = 0xffffffff, liveHi = 0xffffffff, precise?: (frame: number) => number,
  preciseLo = 0xffffffff, preciseHi = 0xffffffff): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  if (old.lock !== cur.lock) return false;
  if (old.refs.length !== cur.refs.length) return false;
  const ids = new IdMap();
  for (let k = 0; k < old.refs.length; k++) if (!ids.check(old.refs[k]!.id, cur.refs[k]!.id)) return false;
  for (let f = 0; f < old.frames.length; f++) {
    const of = old.frames[f]!, cf = cur.frames[f]!;
    if (of.callsite !== cf.callsite) return false;
    const mask = exact ? 0x7ff : live(f);
    const prec = precise && !exact ? precise(f) : 0x7ff;
    for (let r = 0; r < 10; r++) {
      if (!(mask & (1 << r))) continue;
      if (!regSafe(of.regs[r]!, cf.regs[r]!, ids, exact, (prec & (1 << r)) !== 0)) return false;
    }
    if (!stackSafe(of.stack, cf.stack, ids, exact, liveLo, liveHi, preciseLo, preciseHi)) return false;
  }
  return true;
}
