/**
 * check_alu_op: reserved fields, register reads and writes, scalar transfer through the domain,
 * and pointer arithmetic (adjust_ptr_min_max_vals) for a privileged loader (allow_ptr_leaks,
 * bypass_spec_v1: no sanitation, pointer leaks allowed).
 * @module
 */
import type { Env } from './env.js';
import { fail } from './env.js';
import { Msg } from './messages.js';
import { S } from './scalar.js';
import type { Reg } from './state.js';
import { T, F, base, cur, typeName, unknownScalar, knownScalar, cloneReg, cloneState, assignId } from './state.js';

/** bpf_alu_string, indexed by op >> 4. */
export const ALU_STR = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian'];

const ADD = 0x00, SUB = 0x10, AND = 0x50, OR = 0x40, XOR = 0xa0, NEG = 0x80, END = 0xd0, MOV = 0xb0;
const MOD = 0x90, DIV = 0x30, LSH = 0x60, RSH = 0x70, ARSH = 0xc0;
const MAX_VAR_OFF = 1 << 29;

/** check_reg_arg(SRC_OP). */
export function readReg(env: Env, r: number): Reg {
  if (r > 10) fail(env, Msg.regInvalid(r));
  const reg = cur(env.state).regs[r]!;
  if (reg.t === T.NOT_INIT) fail(env, Msg.notReadOk(r));
  return reg;
}

/** check_reg_arg(DST_OP / DST_OP_NO_MARK): validates `r` is writable. */
export function checkWritable(env: Env, r: number): void {
  if (r > 10) fail(env, Msg.regInvalid(r));
  if (r === 10) fail(env, Msg.fpReadOnly());
}

/** Writes a register of the current frame. */
export function setReg(env: Env, r: number, reg: Reg): void {
  cur(env.state).regs[r] = reg;
}

/** Verifies one ALU/ALU64 instruction. */
export function checkAlu(env: Env, i: number): void {
  const s = env.s;
  const code = s.code[i]!, op = code & 0xf0, x = (code & 8) !== 0, is64 = (code & 7) === 7;
  const dst = s.dst[i]!, src = s.src[i]!, off = s.off[i]!, imm = s.imm[i]!;
  if (op === END || op === NEG) {
    if (op === NEG) {
      if (x || src !== 0 || off !== 0 || imm !== 0) fail(env, Msg.reserved('BPF_NEG'));
    } else if (src !== 0 || off !== 0 || (imm !== 16 && imm !== 32 && imm !== 64) || (is64 && x)) {
      fail(env, Msg.reserved('BPF_END'));
    }
    const d = readReg(env, dst);
    checkWritable(env, dst);
    if (op === NEG && d.t === T.SCALAR) setReg(env, dst, scalarReg(S.alu(code, imm, d.v, d.v)));
    else if (op === END && d.t === T.SCALAR) {
      const { v, reset } = S.byteSwap(d.v, imm, x, is64);
      const r = scalarReg(v);
      if (!reset) { r.id = d.id; r.link = d.link; r.linkOff = d.linkOff; }
      setReg(env, dst, r);
    } else setReg(env, dst, unknownScalar());
    return;
  }
  if (op === MOV) {
    if (x) {
      if (!is64) {
        if ((off !== 0 && off !== 8 && off !== 16) || imm) fail(env, Msg.reserved('BPF_MOV'));
      } else if (off === 1) {
        return fail(env, Msg.notModelled('addr_space_cast (arena)'));
      } else if ((off !== 0 && off !== 8 && off !== 16 && off !== 32) || imm) {
        fail(env, Msg.reserved('BPF_MOV'));
      }
      readReg(env, src);
    } else if (src !== 0 || off !== 0) {
      fail(env, Msg.reserved('BPF_MOV'));
    }
    checkWritable(env, dst);
    const regs = cur(env.state).regs;
    if (x) {
      const sr = regs[src]!;
      const gen = (): number => ++env.idGen;
      if (is64 && off === 0) {
        // Linked scalars: a copy shares the id so bounds learnt on one apply to the other.
        assignId(sr, gen);
        regs[dst] = cloneReg(sr);
      } else if (sr.t === T.SCALAR) {
        // Which narrowing/extending moves keep the link (check_alu_op, 6.18 stable).
        const share = off === 0 ? S.width(sr.v) <= 32 : sr.v[7] === 0 && sr.v[6]! < 2 ** (off - 1);
        if (share) assignId(sr, gen);
        const v = is64 ? S.sext(sr.v, off >> 3) : off === 0 ? S.zext32(sr.v) : S.zext32(S.sext32(sr.v, off >> 3));
        const r = scalarReg(v);
        if (share) { r.id = sr.id; r.link = sr.link; r.linkOff = sr.linkOff; }
        regs[dst] = r;
      } else {
        // A pointer's bits (root may copy them): unknown, zero-extended by a 32-bit move.
        regs[dst] = is64 ? unknownScalar() : scalarReg(S.zext32(S.unknown()));
      }
    } else {
      regs[dst] = is64 ? knownScalar(imm | 0, imm < 0 ? -1 : 0) : knownScalar(imm | 0, 0);
    }
    return;
  }
  if (op > END) fail(env, Msg.invalidAluOpcode(op));
  if (x) {
    if (imm !== 0 || (off !== 0 && off !== 1) || (off === 1 && op !== MOD && op !== DIV)) fail(env, Msg.reserved('BPF_ALU'));
    readReg(env, src);
  } else if (src !== 0 || (off !== 0 && off !== 1) || (off === 1 && op !== MOD && op !== DIV)) {
    fail(env, Msg.reserved('BPF_ALU'));
  }
  readReg(env, dst);
  if ((op === MOD || op === DIV) && !x && imm === 0) fail(env, Msg.divByZero());
  if ((op === LSH || op === RSH || op === ARSH) && !x) {
    if (imm < 0 || imm >= (is64 ? 64 : 32)) fail(env, Msg.invalidShift(imm));
  }
  checkWritable(env, dst);
  adjustRegMinMax(env, i, code, dst, src, x, imm);
}

function scalarReg(v: ReturnType<typeof S.unknown>): Reg {
  const r = unknownScalar();
  r.v = v;
  return r;
}

function adjustRegMinMax(env: Env, i: number, code: number, dst: number, src: number, x: boolean, imm: number): void {
  const regs = cur(env.state).regs;
  const d = regs[dst]!;
  const op = code & 0xf0;
  if (d.t === T.ARENA) return;
  const sreg: Reg = x ? regs[src]! : knownScalar(imm | 0, imm < 0 ? -1 : 0);
  if (x && sreg.t !== T.SCALAR) {
    if (d.t !== T.SCALAR) {
      if (op === SUB) { regs[dst] = unknownScalar(); return; }
      fail(env, Msg.ptrOpPtr(dst, ALU_STR[op >> 4]!));
    }
    adjustPtr(env, code, dst, sreg, d, true);
    return;
  }
  if (d.t !== T.SCALAR) {
    adjustPtr(env, code, dst, d, sreg, false);
    return;
  }
  if ((op === AND || op === OR) && S.isConst(sreg.v)) {
    const kind = S.forkKind(d.v);
    if (kind) {
      // maybe_fork_scalars (6.18 stable): a [-1, 0] destination splits into its two values; the
      // state with 0 re-executes this instruction later.
      const other = cloneState(env.state);
      const od = cur(other).regs[dst]!;
      od.v = S.forkValue(d.v, kind, false);
      if (kind === 64) { od.id = 0; od.link = 0; od.linkOff = 0; }
      env.push(other, i);
      d.v = S.forkValue(d.v, kind, true);
      if (kind === 64) { d.id = 0; d.link = 0; d.linkOff = 0; }
    }
  }
  const nv = S.alu(code, x ? 0 : imm, d.v, sreg.v);
  const nr = scalarReg(nv);
  // Linked scalars survive `r += const` / `r -= const` as a delta (BPF_ADD_CONST64/32).
  const alu32 = (code & 7) !== 7;
  if ((op === ADD || op === SUB) && d.id && (alu32 ? (sreg.v[2] === 0) : S.isConst(sreg.v))) {
    const lo = sreg.v[0]! | 0, hi = alu32 ? 0 : sreg.v[1]! | 0;
    let delta = lo;
    let clear = (!alu32 && hi !== lo >> 31) || (alu32 && d.v[7] !== 0);
    if (!clear && op === SUB) { if (delta === -0x80000000) clear = true; else delta = -delta; }
    if (!clear && !d.link) { nr.id = d.id; nr.link = alu32 ? 32 : 64; nr.linkOff = delta; }
  }
  regs[dst] = nr;
}

function adjustPtr(env: Env, code: number, dst: number, ptr: Reg, offReg: Reg, offIsDst: boolean): void {
  const regs = cur(env.state).regs;
  const op = code & 0xf0, is64 = (code & 7) === 7;
  const ov = offReg.v;
  const known = S.isConst(ov);
  if (!S.sane(ov)) { regs[dst] = unknownScalar(); return; }
  if (!is64) {
    if (op === SUB) { regs[dst] = unknownScalar(); return; }
    fail(env, Msg.ptrArith32(dst));
  }
  if (ptr.t & F.MAYBE_NULL) fail(env, Msg.ptrArithNull(dst, typeName(ptr.t)));
  const b = base(ptr.t);
  if (b === T.MEM && (ptr.t & F.UNTRUSTED)) return;
  const allowed = b === T.CTX || b === T.MAP_VALUE || b === T.MAP_KEY || b === T.STACK || b === T.PKT_META ||
    b === T.PKT || b === T.TP_BUFFER || b === T.BTF_ID || b === T.MEM || b === T.BUF || b === T.FUNC ||
    (b === T.FLOW_KEYS && known) ||
    ((b === T.FLOW_KEYS || b === T.MAP_PTR) && known && S.constNum(ov) === 0 && op === ADD);
  if (!allowed) fail(env, Msg.ptrArithOn(dst, typeName(ptr.t)));
  const out = cloneReg(ptr);
  checkSaneOffset(env, offReg, ptr.t);
  checkSaneOffset(env, ptr, ptr.t);
  const isPkt = b === T.PKT || b === T.PKT_META;
  switch (op) {
    case ADD: {
      const c = known ? S.constNum(ov) : 0;
      if (known && Number.isSafeInteger(c) && (ptr.off + c) === ((ptr.off + c) | 0)) {
        out.off = ptr.off + c;
        break;
      }
      out.v = S.ptrAdd(ptr.v, ov, false);
      if (isPkt) { out.id = ++env.idGen; out.range = 0; }
      break;
    }
    case SUB: {
      if (offIsDst) fail(env, Msg.subPtrFromScalar(dst));
      if (ptr.t === T.STACK) fail(env, Msg.subFromStackPtr(dst));
      const c = known ? S.constNum(ov) : 0;
      if (known && Number.isSafeInteger(c) && (ptr.off - c) === ((ptr.off - c) | 0)) {
        out.off = ptr.off - c;
        break;
      }
      out.v = S.ptrAdd(ptr.v, ov, true);
      if (isPkt) { out.id = ++env.idGen; if (S.smin(ov) < 0) out.range = 0; }
      break;
    }
    case AND: case OR: case XOR:
      return fail(env, Msg.bitwiseOnPtr(dst, ALU_STR[op >> 4]!));
    default:
      fail(env, Msg.ptrArithOp(dst, ALU_STR[op >> 4]!));
  }
  checkSaneOffset(env, out, ptr.t);
  regs[dst] = out;
}

/** check_reg_sane_offset. */
function checkSaneOffset(env: Env, r: Reg, t: number): void {
  const v = r.v;
  if (S.isConst(v)) {
    const val = S.constNum(v);
    if (val >= MAX_VAR_OFF || val <= -MAX_VAR_OFF) fail(env, Msg.mathBetween(typeName(t), S.constStr(v)));
  }
  // 6.18.2 keeps a linked scalar's delta in the same `off` field and so checks it here too; the
  // running 6.18 stable kernel does not (r7 = r0; r7 += 1 << 29; fp += r7 passes where r7 is
  // bounded, though the log still prints r7 as id=N+536870912).
  const off = r.t === T.SCALAR ? 0 : r.off;
  if (off >= MAX_VAR_OFF || off <= -MAX_VAR_OFF) fail(env, Msg.ptrOffNotAllowed(typeName(t), off));
  if (S.sminIsMin(v)) fail(env, `math between ${typeName(t)} pointer and register with unbounded min value is not allowed`);
  const smin = S.smin(v);
  if (smin >= MAX_VAR_OFF || smin <= -MAX_VAR_OFF) fail(env, Msg.valueMakesOob(S.sminStr(v), typeName(t)));
}

