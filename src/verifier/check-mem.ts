/**
 * check_mem_access and the load/store/atomic instructions built on it: alignment, then the
 * rules of each pointer type (map key/value, mem, ctx, stack, packet, sockets).
 * @module
 */
import type { Env } from './env.js';
import { fail } from './env.js';
import { Msg } from './messages.js';
import { S } from './scalar.js';
import type { Reg } from './state.js';
import { T, F, base, cur, typeName, unknownScalar, pointer } from './state.js';
import { readReg, checkWritable } from './alu.js';
import { ctxAccess } from './ctx-access.js';
import { stackBounds, frameOf, stackReadFixed, stackReadVar, stackWriteFixed, stackWriteVar } from './stack.js';
import { ProgType, MapType, PROG_TYPE_NAMES } from './kinds.js';

const SIZE_BYTES = [4, 2, 1, 8];
const RDONLY_PROG = 0x80, WRONLY_PROG = 0x100;

/** Bytes of a BPF_SIZE field. */
export const sizeBytes = (code: number): number => SIZE_BYTES[(code >> 3) & 3]!;

function alignmentOk(env: Env, reg: Reg, off: number, size: number, strictOnce: boolean): void {
  let strict = env.strictAlign || strictOnce;
  const b = reg.t;
  let desc = '';
  if (b === T.PKT || b === T.PKT_META) {
    if (!strict || size === 1) return;
    if (!S.alignedAdd(reg.v, 2 + reg.off + off, size)) {
      fail(env, `misaligned packet access off 2+${S.tnumStr(reg.v)}+${reg.off}+${off} size ${size}`);
    }
    return;
  }
  switch (b) {
    case T.FLOW_KEYS: desc = 'flow keys '; break;
    case T.MAP_KEY: desc = 'key '; break;
    case T.MAP_VALUE: desc = 'value '; break;
    case T.CTX: desc = 'context '; break;
    case T.STACK: desc = 'stack '; strict = true; break;
    case T.SOCKET: desc = 'sock '; break;
    case T.SOCK_COMMON: desc = 'sock_common '; break;
    case T.TCP_SOCK: desc = 'tcp_sock '; break;
    case T.XDP_SOCK: desc = 'xdp_sock '; break;
    case T.ARENA: return;
  }
  if (!strict || size === 1) return;
  if (!S.alignedAdd(reg.v, reg.off + off, size)) {
    fail(env, `misaligned ${desc}access off ${S.tnumStr(reg.v)}+${reg.off}+${off} size ${size}`);
  }
}

function memAccessMsg(t: number, regno: number, off: number, size: number, memSize: number, id: number): string {
  switch (t) {
    case T.MAP_KEY: return Msg.invalidMapKey(memSize, off, size);
    case T.MAP_VALUE: return Msg.invalidMapValue(memSize, off, size);
    case T.PKT: case T.PKT_META: case T.PKT_END:
      return `invalid access to packet, off=${off} size=${size}, R${regno}(id=${id},off=${off},r=${memSize})`;
    default: return Msg.invalidMem(memSize >>> 0, off, size);
  }
}

/** __check_mem_access; pushes the detail line to the log and returns whether it failed. */
function memOk(env: Env, reg: Reg, regno: number, off: number, size: number, memSize: number, zeroOk: boolean): boolean {
  const sizeOk = size > 0 || (size === 0 && zeroOk);
  if (off >= 0 && sizeOk && off + size <= memSize) return true;
  env.log.push(memAccessMsg(reg.t, regno, off, size, memSize, reg.id));
  return false;
}

/** check_mem_region_access. */
export function memRegion(env: Env, reg: Reg, regno: number, off: number, size: number, memSize: number, zeroOk: boolean): void {
  const smin = S.smin(reg.v);
  if (smin < 0 && (S.sminIsMin(reg.v) || (off + smin) !== ((off + smin) | 0) || smin + off < 0)) {
    fail(env, Msg.minNegativeIdx(regno));
  }
  if (!memOk(env, reg, regno, (smin + off) | 0, size, memSize, zeroOk)) fail(env, Msg.minOutsideMem(regno));
  const umax = S.umax(reg.v);
  if (umax >= 1 << 29) fail(env, Msg.unboundedMem(regno));
  if (!memOk(env, reg, regno, (umax + off) | 0, size, memSize, zeroOk)) fail(env, Msg.maxOutsideMem(regno));
}

/** check_map_access, including the BTF-described fields a load/store may not touch. */
export function mapAccess(env: Env, reg: Reg, regno: number, off: number, size: number, zeroOk: boolean, direct: boolean): void {
  const spec = reg.map!.spec;
  memRegion(env, reg, regno, off, size, spec.valueSize, zeroOk);
  const lo = S.smin(reg.v) + off, hi = S.umax(reg.v) + off + size;
  if (spec.spinLockOff !== undefined && lo < spec.spinLockOff + 4 && spec.spinLockOff < hi) {
    fail(env, 'bpf_spin_lock cannot be accessed directly by load/store');
  }
  if (spec.timerOff !== undefined && lo < spec.timerOff + 16 && spec.timerOff < hi) {
    fail(env, 'bpf_timer cannot be accessed directly by load/store');
  }
  for (const k of spec.kptrOffs ?? []) {
    if (lo < k + 8 && k < hi) {
      if (!direct) fail(env, 'kptr cannot be accessed indirectly by helper');
      fail(env, Msg.notModelled('kptr fields'));
    }
  }
}

/** check_packet_access. */
export function packetAccess(env: Env, reg: Reg, regno: number, off: number, size: number, zeroOk: boolean): void {
  if (S.smin(reg.v) < 0) fail(env, Msg.minNegativeIdx(regno));
  if (reg.range < 0 || !memOk(env, reg, regno, off, size, reg.range, zeroOk)) fail(env, Msg.offsetOutsidePacket(regno));
}

function mayWritePkt(progType: number): boolean {
  return progType === ProgType.SCHED_CLS || progType === ProgType.SCHED_ACT || progType === ProgType.XDP ||
    progType === ProgType.LWT_XMIT || progType === ProgType.SK_SKB || progType === ProgType.SK_MSG;
}

function sockAccess(t: number, off: number, size: number): boolean {
  if (off < 0 || off % size !== 0) return false;
  const narrow = (fs: number): boolean => size <= fs && (size & (size - 1)) === 0;
  const sock = (): boolean => {
    if (off >= 80) return false;
    if ([72, 4, 8, 12, 44, 76].includes(off) || (off >= 24 && off < 28) || (off >= 28 && off < 44) ||
      (off >= 52 && off < 56) || (off >= 56 && off < 72)) return narrow(4);
    if (off >= 48 && off < 50) return narrow(size === 4 ? 4 : 2);
    if (off >= 50 && off < 52) return false;
    return size === 4;
  };
  switch (base(t)) {
    case T.SOCK_COMMON: return off >= 8 && off < 24 ? false : sock();
    case T.SOCKET: return sock();
    case T.TCP_SOCK:
      if (off >= 112) return false;
      return off === 80 || off === 88 ? size === 8 : size === 4;
    case T.XDP_SOCK: return off < 4 && size === 4;
    default: return false;
  }
}

/**
 * check_mem_access. `valueRegno` is the register loaded into or stored from (-1: none);
 * `stImm` the immediate of a BPF_ST. Returns the loaded value for reads into a register.
 */
export function memAccess(env: Env, regno: number, off: number, size: number, write: boolean,
  valueRegno: number, strictOnce: boolean, ldsx: boolean, stImm?: number): Reg | undefined {
  const regs = cur(env.state).regs;
  const reg = regs[regno]!;
  alignmentOk(env, reg, off, size, strictOnce);
  off += reg.off;
  const wantValue = !write && valueRegno >= 0;
  let out: Reg | undefined;
  const t = reg.t;
  if (t === T.MAP_KEY) {
    if (write) fail(env, `write to change key R${regno} not allowed`);
    memRegion(env, reg, regno, off, size, reg.map!.spec.keySize, false);
    if (wantValue) out = unknownScalar();
  } else if (t === T.MAP_VALUE) {
    const spec = reg.map!.spec;
    const flags = spec.flags ?? 0;
    if (write && (flags & RDONLY_PROG)) fail(env, Msg.writeMapForbidden(spec.valueSize, off, size));
    if (!write && (flags & WRONLY_PROG)) fail(env, Msg.readMapForbidden(spec.valueSize, off, size));
    mapAccess(env, reg, regno, off, size, false, true);
    if (wantValue) {
      const type = reg.map!.type;
      const roArray = (flags & RDONLY_PROG) && type === MapType.ARRAY && S.isConst(reg.v);
      // Contents of a frozen read-only array are not known to the model: treat as unknown.
      out = roArray ? unknownScalar() : unknownScalar();
    }
  } else if (base(t) === T.MEM) {
    if (t & F.MAYBE_NULL) fail(env, Msg.invalidMemAccess(regno, typeName(t)));
    if (write && (t & F.RDONLY)) fail(env, Msg.cannotWriteInto(regno, typeName(t)));
    if (!((t & F.RDONLY) && (t & F.UNTRUSTED))) memRegion(env, reg, regno, off, size, reg.range, false);
    if (valueRegno >= 0 && (!write || (t & F.RDONLY))) out = unknownScalar();
  } else if (t === T.CTX) {
    if (reg.off < 0) fail(env, `negative offset ctx ptr R${regno} off=${reg.off} disallowed`);
    if (reg.off) fail(env, Msg.modifiedCtx(regno, reg.off));
    if (!S.isConst(reg.v) || S.constNum(reg.v) !== 0) fail(env, `variable ctx access var_off=${S.tnumStr(reg.v)} disallowed`);
    const info = ctxAccess(env.progType, env.attachType, off, size, write, ldsx);
    if (info === 'unmodelled') return fail(env, Msg.notModelled(`ctx access for program type ${PROG_TYPE_NAMES[env.progType] ?? env.progType}`));
    if (!info) fail(env, Msg.invalidCtxAccess(off, size));
    if (wantValue) {
      if (info.regType === T.SCALAR) out = unknownScalar();
      else {
        out = pointer(info.regType);
        if (info.regType & F.MAYBE_NULL) out.id = ++env.idGen;
      }
    }
  } else if (t === T.STACK) {
    stackBounds(env, regno, reg, off, size, write);
    const fr = frameOf(env, reg);
    const konst = S.isConst(reg.v);
    if (!write) {
      if (konst) env.stackRead(off + S.constNum(reg.v), off + S.constNum(reg.v) + size);
      else env.stackRead(S.smin(reg.v) + off, S.smax(reg.v) + off + size);
      if (konst) out = stackReadFixed(env, fr, off + S.constNum(reg.v), size, wantValue, ldsx);
      else if (valueRegno < 0) {
        fail(env, `variable offset stack pointer cannot be passed into helper function; var_off=${S.tnumStr(reg.v)} off=${off} size=${size}`);
      } else out = stackReadVar(env, fr, reg, off, size);
    } else {
      const val = valueRegno >= 0 ? regs[valueRegno]! : undefined;
      if (konst) stackWriteFixed(env, fr, off + S.constNum(reg.v), size, val, stImm);
      else stackWriteVar(env, fr, reg, off, size, val, stImm);
    }
  } else if (t === T.PKT || t === T.PKT_META) {
    if (write && !mayWritePkt(env.progType)) fail(env, 'cannot write into packet');
    packetAccess(env, reg, regno, off, size, false);
    if (wantValue) out = unknownScalar();
  } else if (t === T.SOCKET || t === T.SOCK_COMMON || t === T.TCP_SOCK || t === T.XDP_SOCK) {
    if (write) fail(env, Msg.cannotWriteInto(regno, typeName(t)));
    if (S.smin(reg.v) < 0) fail(env, Msg.minNegativeIdx(regno));
    if (!sockAccess(t, off, size)) fail(env, Msg.invalidSockAccess(regno, typeName(t), off, size));
    if (valueRegno >= 0) out = unknownScalar();
  } else if (t === T.MAP_PTR) {
    // check_ptr_to_map_access: the struct behind the map (bpf_array, bpf_htab) may be read.
    const mt = reg.map!.type;
    const tname = [2, 3, 4, 6, 8, 12].includes(mt) ? 'bpf_array' : [1, 5, 9, 10, 13].includes(mt) ? 'bpf_htab' : undefined;
    if (!tname) fail(env, Msg.notModelled(`struct access to map type ${mt}`));
    if (off < 0) fail(env, `R${regno} is ${tname} invalid negative access: off=${off}`);
    if (write) fail(env, `only read from ${tname} is supported`);
    if (off >= 256) fail(env, Msg.notModelled(`struct ${tname} field at offset ${off}`));
    if (valueRegno >= 0) out = unknownScalar();
  } else if (t === T.BTF_ID || t === (T.BTF_ID | F.TRUSTED) || t === (T.BTF_ID | F.UNTRUSTED) || t === (T.BTF_ID | F.RCU)) {
    fail(env, Msg.notModelled('accesses through BTF-typed kernel pointers'));
  } else if (t === T.ARENA) {
    if (wantValue) out = unknownScalar();
  } else {
    fail(env, Msg.invalidMemAccess(regno, typeName(t)));
  }
  if (out && !write && size < 8 && out.t === T.SCALAR) {
    out.v = ldsx ? S.sext(out.v, size) : S.truncate(out.v, size);
  }
  return out;
}

function reg_type_mismatch_ok(t: number): boolean {
  const b = base(t);
  return !(b === T.CTX || b === T.SOCKET || b === T.SOCK_COMMON || b === T.TCP_SOCK || b === T.XDP_SOCK || b === T.BTF_ID || b === T.ARENA);
}

/** save_aux_ptr_type: one instruction may not see ctx/socket pointers on one path and others on another. */
export function saveAuxPtrType(env: Env, t: number): void {
  const prev = env.auxPtrType[env.insnIdx]!;
  if (prev === 0) env.auxPtrType[env.insnIdx] = t;
  else if (t !== prev && (!reg_type_mismatch_ok(t) || !reg_type_mismatch_ok(prev))) fail(env, Msg.sameInsnDifferentPtrs());
}

/** LDX (MEM / MEMSX). */
export function checkLoad(env: Env, i: number, strictOnce = false): void {
  const s = env.s;
  const src = s.src[i]!, dst = s.dst[i]!;
  const ldsx = (s.code[i]! & 0xe0) === 0x80;
  const sreg = readReg(env, src);
  checkWritable(env, dst);
  const t = sreg.t;
  const out = memAccess(env, src, s.off[i]!, sizeBytes(s.code[i]!), false, dst, strictOnce, ldsx);
  cur(env.state).regs[dst] = out ?? unknownScalar();
  saveAuxPtrType(env, t);
}

/** STX MEM. */
export function checkStore(env: Env, i: number, strictOnce = false): void {
  const s = env.s;
  const src = s.src[i]!, dst = s.dst[i]!;
  readReg(env, src);
  const d = readReg(env, dst);
  const t = d.t;
  memAccess(env, dst, s.off[i]!, sizeBytes(s.code[i]!), true, src, strictOnce, false);
  saveAuxPtrType(env, t);
}

/** ST MEM (immediate store). */
export function checkStoreImm(env: Env, i: number): void {
  const s = env.s;
  const dst = s.dst[i]!;
  const d = readReg(env, dst);
  const t = d.t;
  memAccess(env, dst, s.off[i]!, sizeBytes(s.code[i]!), true, -1, false, false, s.imm[i]!);
  saveAuxPtrType(env, t);
}

function atomicPtrOk(r: Reg): boolean {
  const t = r.t;
  return !(t === T.CTX || t === T.PKT || t === T.PKT_META || t === T.PKT_END || t === T.FLOW_KEYS ||
    t === T.SOCKET || t === T.SOCK_COMMON || t === T.TCP_SOCK || t === T.XDP_SOCK);
}

/** STX ATOMIC. */
export function checkAtomic(env: Env, i: number): void {
  const s = env.s;
  const imm = s.imm[i]!, size = sizeBytes(s.code[i]!), src = s.src[i]!, dst = s.dst[i]!;
  const regs = (): Reg[] => cur(env.state).regs;
  switch (imm) {
    case 0x00: case 0x01: case 0x50: case 0x51: case 0x40: case 0x41: case 0xa0: case 0xa1: case 0xe1: case 0xf1: {
      if (size !== 4 && size !== 8) fail(env, 'invalid atomic operand size');
      readReg(env, src);
      readReg(env, dst);
      if (imm === 0xf1) readReg(env, 0);
      if (!atomicPtrOk(regs()[dst]!)) fail(env, Msg.atomicIntoCtx(dst, typeName(regs()[dst]!.t)));
      let loadReg = -1;
      if (imm & 1) {
        loadReg = imm === 0xf1 ? 0 : src;
        checkWritable(env, loadReg);
        regs()[loadReg] = unknownScalar();
      }
      memAccess(env, dst, s.off[i]!, size, false, -1, true, false);
      if (loadReg >= 0) {
        const v = memAccess(env, dst, s.off[i]!, size, false, loadReg, true, false);
        regs()[loadReg] = v ?? unknownScalar();
      }
      memAccess(env, dst, s.off[i]!, size, true, -1, true, false);
      return;
    }
    case 0x100:
      checkLoad(env, i, true);
      if (!atomicPtrOk(regs()[src]!)) fail(env, `BPF_ATOMIC loads from R${src} ${typeName(regs()[src]!.t)} is not allowed`);
      return;
    case 0x110:
      checkStore(env, i, true);
      if (!atomicPtrOk(regs()[dst]!)) fail(env, Msg.atomicIntoCtx(dst, typeName(regs()[dst]!.t)));
      return;
    default:
      fail(env, `BPF_ATOMIC uses invalid atomic opcode ${(imm & 0xff).toString(16).padStart(2, '0')}`);
  }
}

