/**
 * Stack accesses (check_stack_access_within_bounds, check_stack_write_*, check_stack_read_*) for
 * a privileged loader: uninitialised stack may be read (allow_uninit_stack), pointers may be
 * partially overwritten (allow_ptr_leaks).
 * @module
 */
import type { Env } from './env.js';
import { fail } from './env.js';
import { Msg } from './messages.js';
import { S } from './scalar.js';
import type { Frame, Reg, StackSlot } from './state.js';
import { T, Slot, base, cloneReg, knownScalar, newSlot, notInit, unknownScalar, assignId, clearId } from './state.js';

const MAX_STACK = 512;

/** The frame a stack pointer points into. */
export function frameOf(env: Env, ptr: Reg): Frame {
  return env.state.frames[ptr.frame]!;
}

function slotAt(fr: Frame, spi: number): StackSlot {
  while (fr.stack.length <= spi) fr.stack.push(newSlot());
  return fr.stack[spi]!;
}

/** check_stack_access_within_bounds; grows the frame's stack. `off` includes reg.off. */
export function stackBounds(env: Env, regno: number, ptr: Reg, off: number, size: number, write: boolean): void {
  const extra = write ? ' write to' : ' read from';
  let minOff: number, maxOff: number;
  const konst = S.isConst(ptr.v);
  if (konst) {
    minOff = S.constNum(ptr.v) + off;
    maxOff = minOff + size;
  } else {
    if (S.smax(ptr.v) >= 1 << 29 || S.smin(ptr.v) <= -(1 << 29)) {
      fail(env, `invalid unbounded variable-offset${extra} stack R${regno}`);
    }
    minOff = S.smin(ptr.v) + off;
    maxOff = S.smax(ptr.v) + off + size;
  }
  if (minOff < -MAX_STACK || minOff > -1 || maxOff > 0 || size < 0) {
    if (konst) fail(env, `invalid${extra} stack R${regno} off=${off} size=${size}`);
    fail(env, `invalid variable-offset${extra} stack R${regno} var_off=${S.tnumStr(ptr.v)} off=${off} size=${size}`);
  }
  const fr = frameOf(env, ptr);
  const need = Math.ceil(-minOff / 8);
  slotAt(fr, need - 1);
  const sub = fr.subprog;
  if ((env.stackDepth[sub] ?? 0) < need * 8) env.stackDepth[sub] = need * 8;
}

function isSpillable(t: number): boolean {
  const b = base(t);
  return b !== T.NOT_INIT && b !== T.SCALAR && b !== T.TP_BUFFER;
}

/** Writes `size` bytes at fixed `off` (absolute, negative) of `fr`; `val` is the stored register or the ST immediate. */
export function stackWriteFixed(env: Env, fr: Frame, off: number, size: number, val: Reg | undefined, stImm: number | undefined): void {
  const slot = -off - 1, spi = Math.floor(slot / 8);
  const st = slotAt(fr, spi);
  const curFrame = env.state.frames[env.state.frames.length - 1]!;
  if (val && off % 8 === 0 && val.t === T.SCALAR) {
    const fits = S.width(val.v) <= size * 8;
    if (fits) assignId(val, () => ++env.idGen);
    save(st, val, size);
    if (!fits) clearId(st.spilled);
  } else if (!val && off % 8 === 0 && stImm !== undefined) {
    save(st, knownScalar(stImm | 0, stImm < 0 ? -1 : 0), size);
  } else if (val && isSpillable(val.t)) {
    if (size !== 8) fail(env, 'invalid size of register spill');
    if (fr !== curFrame && val.t === T.STACK) fail(env, 'cannot spill pointers to stack into stack frame of the caller');
    save(st, val, size);
  } else {
    st.spilled = notInit();
    // A partial overwrite of a spill scrubs the whole slot to plain data (scrub_spilled_slot).
    if (st.types[7] === Slot.SPILL) for (let i = 0; i < 8; i++) if (st.types[i] !== Slot.INVALID) st.types[i] = Slot.MISC;
    const zero = (val && val.t === T.SCALAR && S.isConst(val.v) && S.constNum(val.v) === 0) || (!val && stImm === 0);
    const type = zero ? Slot.ZERO : Slot.MISC;
    for (let i = 0; i < size; i++) st.types[(slot - i) % 8] = type;
  }
}

function save(st: StackSlot, reg: Reg, size: number): void {
  st.spilled = cloneReg(reg);
  let i = 8;
  for (; i > 8 - size; i--) st.types[i - 1] = Slot.SPILL;
  for (; i; i--) if (st.types[i - 1] !== Slot.ZERO && st.types[i - 1] !== Slot.INVALID) st.types[i - 1] = Slot.MISC;
}

/** Variable-offset write: every byte in range becomes misc (or stays zero when writing zero). */
export function stackWriteVar(env: Env, fr: Frame, ptr: Reg, off: number, size: number, val: Reg | undefined, stImm: number | undefined): void {
  const minOff = S.smin(ptr.v) + off, maxOff = S.smax(ptr.v) + off + size;
  const zero = (val && val.t === T.SCALAR && S.isConst(val.v) && S.constNum(val.v) === 0) || (!val && stImm === 0);
  for (let i = minOff; i < maxOff; i++) {
    const slot = -i - 1, spi = Math.floor(slot / 8);
    const st = slotAt(fr, spi);
    const b = slot % 8;
    if (zero && st.types[b] === Slot.SPILL && st.spilled.t === T.SCALAR && S.isConst(st.spilled.v) && S.constNum(st.spilled.v) === 0) continue;
    st.spilled = notInit();
    const nt = zero && st.types[b] === Slot.ZERO ? Slot.ZERO : Slot.MISC;
    st.types[b] = nt;
  }
  for (let i = minOff; i < maxOff; i++) {
    const st = fr.stack[Math.floor((-i - 1) / 8)]!;
    if (st.types[7] !== Slot.SPILL) for (let k = 0; k < 8; k++) if (st.types[k] === Slot.SPILL) st.types[k] = Slot.MISC;
  }
}

/**
 * Reads `size` bytes at fixed `off` of `fr`; returns the register a load produces (undefined:
 * helper read, no value). `ldsx`: a sign-extending load, which keeps a narrow fill's id only when
 * the value is below the sign bit (6.18 stable; 6.18.2 keeps it up to the full width).
 */
export function stackReadFixed(env: Env, fr: Frame, off: number, size: number, wantValue: boolean, ldsx = false): Reg | undefined {
  const slot = -off - 1, spi = Math.floor(slot / 8);
  const st = slotAt(fr, spi);
  const ty = st.types;
  if (ty[7] === Slot.SPILL) {
    let spillSize = 1;
    for (let i = 7; i > 0 && ty[i - 1] === Slot.SPILL; i--) spillSize++;
    const reg = st.spilled;
    if (size !== 8 || spillSize !== 8) {
      if (reg.t !== T.SCALAR) fail(env, Msg.invalidFillSize());
      if (!wantValue) return undefined;
      if (size <= spillSize && off % 8 === 0) {
        const r = cloneReg(reg);
        if (S.width(reg.v) > size * 8 - (ldsx ? 1 : 0)) clearId(r);
        return r;
      }
      let spill = 0, zero = 0;
      for (let i = 0; i < size; i++) {
        const t = ty[(slot - i) % 8];
        if (t === Slot.SPILL) spill++;
        else if (t === Slot.ZERO) zero++;
      }
      if (spill === size && S.isConst(reg.v) && S.constNum(reg.v) === 0) return knownScalar(0, 0);
      if (zero === size) return knownScalar(0, 0);
      return unknownScalar();
    }
    return wantValue ? cloneReg(reg) : undefined;
  }
  if (!wantValue) return undefined;
  let zeros = 0;
  for (let i = 0; i < size; i++) if (ty[(slot - i) % 8] === Slot.ZERO) zeros++;
  return zeros === size ? knownScalar(0, 0) : unknownScalar();
}

/** Variable-offset read into a register: zero only if every byte in range is zero. */
export function stackReadVar(env: Env, fr: Frame, ptr: Reg, off: number, size: number): Reg {
  const minOff = S.smin(ptr.v) + off, maxOff = S.smax(ptr.v) + off + size;
  for (let i = minOff; i < maxOff; i++) {
    const slot = -i - 1;
    const st = slotAt(fr, Math.floor(slot / 8));
    if (st.types[slot % 8] !== Slot.ZERO) return unknownScalar();
  }
  void env;
  return knownScalar(0, 0);
}
