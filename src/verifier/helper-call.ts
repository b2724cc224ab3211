/**
 * check_helper_call: availability, argument checks per prototype (check_func_arg with its
 * memory/size pairs), map/helper compatibility, reference acquire/release, spin locks, caller
 * saved register clobbering and the return value.
 * @module
 */
import type { Env } from './env.js';
import { fail } from './env.js';
import { Msg } from './messages.js';
import { S } from './scalar.js';
import type { Reg } from './state.js';
import { T, F, base, cur, typeName, notInit, pointer, unknownScalar, Slot, cloneState, newFrame } from './state.js';
import { readReg } from './alu.js';
import { helperFor, helperName, HELPER_ID_LIMIT } from './helper-protos.js';
import type { HelperProto } from './helper-protos.js';
import { memRegion, mapAccess, packetAccess, memAccess } from './check-mem.js';
import { stackBounds, frameOf } from './stack.js';
import { markPtrOrNull } from './jump.js';
import { HELPER_BTF_STRUCT, MapType, ProgType } from './kinds.js';
import type { UsedMap } from './structure.js';

/** Something that can check resource leaks (the explorer). */
export interface LeakChecker { resourceLeak(checkLock: boolean, prefix: string): void }

const MEM_TYPES = [T.STACK, T.PKT, T.PKT_META, T.MAP_KEY, T.MAP_VALUE, T.MEM, T.MEM | F.RINGBUF, T.BUF, T.BTF_ID | F.TRUSTED];
const SOCK_TYPES = [T.SOCK_COMMON, T.SOCKET, T.TCP_SOCK, T.XDP_SOCK];
const BTF_SOCK_TYPES = [...SOCK_TYPES, T.BTF_ID, T.BTF_ID | F.TRUSTED];

interface Meta {
  map?: UsedMap;
  refObj: number;
  releaseRegno: number;
  rawRegno: number;
  rawSize: number;
  constKey: number;
  memSize: number;
  msizeMax: number;
  subprog: number;
}

function isNull(r: Reg): boolean { return r.t === T.SCALAR && S.isConst(r.v) && S.constNum(r.v) === 0; }

function typeCheck(env: Env, regno: number, r: Reg, compatible: number[], stripNull: boolean): void {
  const t = stripNull ? r.t & ~F.MAYBE_NULL : r.t;
  if (compatible.includes(t & ~F.RDONLY)) return;
  fail(env, Msg.argType(regno, typeName(r.t), compatible.map(typeName).join(', ')));
}

function mayAccessPkt(env: Env, h: HelperProto): boolean {
  switch (env.progType) {
    case ProgType.CGROUP_SKB: case ProgType.LWT_IN: case ProgType.LWT_OUT: case ProgType.SK_REUSEPORT:
    case ProgType.FLOW_DISSECTOR: case ProgType.SCHED_CLS: case ProgType.SCHED_ACT: case ProgType.XDP:
    case ProgType.LWT_XMIT: case ProgType.SK_SKB: case ProgType.SK_MSG:
      return h.pkt === true;
    case ProgType.CGROUP_SOCKOPT: return true;
    default: return false;
  }
}

/** check_helper_mem_access. */
function helperMem(env: Env, regno: number, size: number, write: boolean, zeroOk: boolean, meta: Meta | undefined, raw: boolean): void {
  const r = cur(env.state).regs[regno]!;
  switch (base(r.t)) {
    case T.PKT: case T.PKT_META:
      return packetAccess(env, r, regno, r.off, size, zeroOk);
    case T.MAP_KEY:
      if (write) fail(env, Msg.cannotWriteInto(regno, typeName(r.t)));
      return memRegion(env, r, regno, r.off, size, r.map!.spec.keySize, false);
    case T.MAP_VALUE: {
      const spec = r.map!.spec, fl = spec.flags ?? 0;
      if (write && (fl & 0x80)) fail(env, Msg.writeMapForbidden(spec.valueSize, r.off, size));
      if (!write && (fl & 0x100)) fail(env, Msg.readMapForbidden(spec.valueSize, r.off, size));
      return mapAccess(env, r, regno, r.off, size, zeroOk, false);
    }
    case T.MEM:
      if (write && (r.t & F.RDONLY)) fail(env, Msg.cannotWriteInto(regno, typeName(r.t)));
      return memRegion(env, r, regno, r.off, size, r.range, zeroOk);
    case T.STACK: {
      if (size === 0 && !zeroOk) fail(env, 'invalid zero-sized read');
      stackBounds(env, regno, r, r.off, size, write);
      if (raw && meta && S.isConst(r.v)) { meta.rawRegno = regno; meta.rawSize = size; return; }
      const fr = frameOf(env, r);
      let minOff: number, maxOff: number;
      if (S.isConst(r.v)) minOff = maxOff = S.constNum(r.v) + r.off;
      else { minOff = S.smin(r.v) + r.off; maxOff = S.smax(r.v) + r.off; }
      env.stackRead(minOff, maxOff + size);
      if (write) {
        for (let i = minOff; i < maxOff + size; i++) {
          const slot = -i - 1, sl = fr.stack[Math.floor(slot / 8)]!;
          const b = slot % 8;
          if (sl.types[7] === Slot.SPILL) { sl.spilled = unknownScalar(); for (let k = 0; k < 8; k++) sl.types[k] = Slot.MISC; }
          else if (sl.types[b] === Slot.ZERO || sl.types[b] === Slot.INVALID) sl.types[b] = Slot.MISC;
        }
      }
      return;
    }
    case T.CTX:
      if (size === 0) { if (!zeroOk) fail(env, `R${regno} type=${typeName(r.t)} expected=fp`); return; }
      memAccess(env, regno, size - 1, 1, write, -1, false, false);
      return;
    default:
      if (zeroOk && size === 0 && isNull(r)) return;
      fail(env, `R${regno} type=${typeName(r.t)} expected=fp`);
  }
}

function mapCompatible(env: Env, m: UsedMap, id: number, name: string): void {
  const t = m.type;
  const err = (): never => fail(env, Msg.cannotPassMap(t, `bpf_${name}`, id));
  switch (t) {
    case MapType.PROG_ARRAY: if (id !== 12) err(); break;
    case MapType.PERF_EVENT_ARRAY: if (![22, 25, 111, 55, 121].includes(id)) err(); break;
    case MapType.RINGBUF: if (![130, 131, 134, 198, 199, 200].includes(id)) err(); break;
    case MapType.STACK_TRACE: if (id !== 27) err(); break;
    case MapType.CGROUP_ARRAY: if (id !== 33 && id !== 37) err(); break;
    case MapType.CGROUP_STORAGE: case MapType.PERCPU_CGROUP_STORAGE: if (id !== 81) err(); break;
    case MapType.DEVMAP: case MapType.DEVMAP_HASH: if (id !== 51 && id !== 1) err(); break;
    case MapType.CPUMAP: if (id !== 51) err(); break;
    case MapType.XSKMAP: if (id !== 51 && id !== 1) err(); break;
    case MapType.ARRAY_OF_MAPS: case MapType.HASH_OF_MAPS: if (id !== 1) err(); break;
    case MapType.SOCKMAP: if (![52, 53, 60, 82, 1, 2, 3].includes(id)) err(); break;
    case MapType.SOCKHASH: if (![72, 70, 71, 82, 1, 2, 3].includes(id)) err(); break;
    case MapType.REUSEPORT_SOCKARRAY: if (id !== 82) err(); break;
    case MapType.QUEUE: case MapType.STACK: if (![87, 88, 89].includes(id)) err(); break;
    case MapType.SK_STORAGE: if (![107, 108, 194].includes(id)) err(); break;
    case MapType.BLOOM_FILTER: if (id !== 87 && id !== 89) err(); break;
  }
  switch (id) {
    case 12: if (t !== MapType.PROG_ARRAY) err(); break;
    case 22: case 25: case 55: case 111: case 121: if (t !== MapType.PERF_EVENT_ARRAY) err(); break;
    case 130: case 131: case 134: if (t !== MapType.RINGBUF) err(); break;
    case 27: if (t !== MapType.STACK_TRACE) err(); break;
    case 51: if (![MapType.DEVMAP, MapType.DEVMAP_HASH, MapType.CPUMAP, MapType.XSKMAP].includes(t as 14)) err(); break;
    case 81: if (t !== MapType.CGROUP_STORAGE && t !== MapType.PERCPU_CGROUP_STORAGE) err(); break;
    case 88: if (t !== MapType.QUEUE && t !== MapType.STACK) err(); break;
    case 87: case 89: if (t !== MapType.QUEUE && t !== MapType.STACK && t !== MapType.BLOOM_FILTER) err(); break;
    case 107: case 108: if (t !== MapType.SK_STORAGE) err(); break;
  }
}

function spinLock(env: Env, regno: number, r: Reg, lock: boolean): void {
  const st = env.state;
  if (!S.isConst(r.v)) fail(env, `R${regno} doesn't have constant offset. bpf_spin_lock has to be at the constant offset`);
  const spec = r.map!.spec;
  if (spec.spinLockOff === undefined) fail(env, `map '${''}' has no valid bpf_spin_lock`);
  const off = S.constNum(r.v) + r.off;
  if (off !== spec.spinLockOff) fail(env, `off ${off} doesn't point to 'struct bpf_spin_lock' that is at ${spec.spinLockOff}`);
  const ident = r.map!.uid * 1048576 + r.id;
  if (lock) {
    if (st.lock) fail(env, 'Locking two bpf_spin_locks are not allowed');
    st.lock = ident;
    st.lockId = r.id;
  } else {
    if (!st.lock) fail(env, 'bpf_spin_unlock without taking a lock');
    if (st.lock !== ident) fail(env, 'bpf_spin_unlock of different lock');
    st.lock = 0;
    st.lockId = 0;
  }
}

function checkArg(env: Env, h: HelperProto, id: number, arg: number, meta: Meta): void {
  const code = h.args[arg];
  if (code === undefined) return;
  const regno = arg + 1;
  const r = readReg(env, regno);
  if (code === 'A') return;
  const isPkt = r.t === T.PKT || r.t === T.PKT_META || r.t === T.PKT_END;
  if (isPkt && !mayAccessPkt(env, h)) fail(env, Msg.helperPacket());
  const maybeNull = code === 'mn' || code === 'un' || code === 'Vn' || code === 'Pn' || code === 'Cn';
  if (isNull(r) && maybeNull) {
    if (code === 'Vn') return;
  } else {
    switch (code) {
      case 'C': case 'Cn': typeCheck(env, regno, r, [T.CTX], maybeNull); break;
      case 'M': typeCheck(env, regno, r, [T.MAP_PTR], false); break;
      case 'K': case 'V': case 'Vn': case 'Vu': case 'm': case 'mn': case 'u': case 'un':
      case 'uf': case 'ufa': case 'mf': case 'mfa':
        typeCheck(env, regno, r, MEM_TYPES, maybeNull); break;
      case 's': case 'z': case 'Z': typeCheck(env, regno, r, [T.SCALAR], false); break;
      case 'S': typeCheck(env, regno, r, SOCK_TYPES, false); break;
      case 'So': typeCheck(env, regno, r, [T.SOCKET], false); break;
      case 'T': case 'R': typeCheck(env, regno, r, BTF_SOCK_TYPES, false); break;
      case 'B': typeCheck(env, regno, r, [T.MEM | F.RINGBUF], false); break;
      case 'L': typeCheck(env, regno, r, [T.MAP_VALUE, T.BTF_ID | F.ALLOC], false); break;
      case 'Fn': typeCheck(env, regno, r, [T.FUNC], false); break;
      case 'P': case 'Pn': typeCheck(env, regno, r, [T.STACK], true); break;
    }
    // check_func_arg_reg_off
    if (code === 'R' || code === 'B') {
      if (r.off) fail(env, `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
    } else if (!(r.t === T.STACK || r.t === T.PKT || r.t === T.PKT_META || r.t === T.MAP_KEY || r.t === T.MAP_VALUE ||
      base(r.t) === T.MEM || base(r.t) === T.BUF || r.t === T.SCALAR || base(r.t) === T.BTF_ID || r.t === T.ARENA)) {
      if (r.off < 0) fail(env, `negative offset ${typeName(r.t)} ptr R${regno} off=${r.off} disallowed`);
      if (r.off) fail(env, `dereference of modified ${typeName(r.t)} ptr R${regno} off=${r.off} disallowed`);
      if (!S.isConst(r.v) || S.constNum(r.v) !== 0) fail(env, `variable ${typeName(r.t)} access var_off=${S.tnumStr(r.v)} disallowed`);
    }
  }
  if (code === 'R' || code === 'B') {
    if (!r.ref && !isNull(r)) fail(env, Msg.mustBeReferenced(regno));
    meta.releaseRegno = regno;
  }
  if (r.ref) {
    if (meta.refObj) fail(env, `more than one arg with ref_obj_id R${regno} ${r.ref} ${meta.refObj}`);
    meta.refObj = r.ref;
  }
  switch (code) {
    case 'M': meta.map = r.map; break;
    case 'K': {
      helperMem(env, regno, meta.map!.spec.keySize, false, false, undefined, false);
      if ((meta.map!.type === MapType.ARRAY || meta.map!.type === MapType.PERCPU_ARRAY)) meta.constKey = constKey(env, r, meta.map!.spec.keySize);
      break;
    }
    case 'V': case 'Vn': case 'Vu':
      helperMem(env, regno, meta.map!.spec.valueSize, code === 'Vu', false, meta, code === 'Vu');
      break;
    case 'L': spinLock(env, regno, r, id === 93); break;
    case 'Fn': meta.subprog = r.range; break;
    case 'uf': case 'ufa': case 'mf': case 'mfa': {
      const size = h.sizes[arg] ?? 0, write = code[0] === 'u';
      helperMem(env, regno, size, write, false, meta, write);
      if (code.endsWith('a') && !S.alignedAdd(r.v, r.off, size)) {
        fail(env, `misaligned ${r.t === T.STACK ? 'stack ' : r.t === T.MAP_VALUE ? 'value ' : ''}access off ${S.tnumStr(r.v)}+${r.off}+0 size ${size}`);
      }
      break;
    }
    case 's': case 'z': {
      const prevCode = h.args[arg - 1]!;
      const write = prevCode === 'u' || prevCode === 'un';
      if (S.smin(r.v) < 0) fail(env, Msg.minNegative(regno));
      if (S.umin(r.v) === 0 && code === 's') fail(env, Msg.zeroSizedRead(regno, `u64=[${S.uminStr(r.v)},${S.umaxStr(r.v)}]`));
      if (S.umax(r.v) >= 1 << 29) fail(env, Msg.unboundedMemVar(regno));
      meta.msizeMax = S.umax(r.v);
      helperMem(env, regno - 1, S.umax(r.v), write, code === 'z', S.isConst(r.v) ? meta : undefined, write);
      break;
    }
    case 'Z':
      if (!S.isConst(r.v)) fail(env, `R${regno} is not a known constant'`);
      meta.memSize = S.constNum(r.v);
      break;
  }
}

/** get_constant_map_key: the key a stack pointer points at, when it is a known constant of the key's size. */
function constKey(env: Env, r: Reg, keySize: number): number {
  if (r.t !== T.STACK || !S.isConst(r.v)) return -1;
  const stackOff = S.constNum(r.v) + r.off;
  const slot = -stackOff - 1, spi = Math.floor(slot / 8), off = slot % 8;
  const sl = frameOf(env, r).stack[spi];
  if (!sl) return -1;
  let zero = 0, spill = 0;
  for (let i = off; i >= 0 && sl.types[i] === Slot.ZERO; i--) zero++;
  if (zero >= keySize) return 0;
  if (sl.types[7] !== Slot.SPILL || sl.spilled.t !== T.SCALAR) return -1;
  for (let i = off; i >= 0 && sl.types[i] === Slot.SPILL; i--) spill++;
  if (spill !== keySize || !S.isConst(sl.spilled.v)) return -1;
  return S.constNum(sl.spilled.v);
}

/** push_callback_call with set_loop_callback_state: queue one more iteration of the callback. */
function loopCallback(env: Env, i: number, subprog: number): void {
  const st = env.state;
  const caller = cur(st);
  if (caller.callbackDepth < S.umax(caller.regs[1]!.v)) {
    if (st.frames.length >= 8) fail(env, Msg.callTooDeep(st.frames.length + 1));
    const cb = cloneState(st);
    const callee = newFrame(cb.frames.length, i, subprog);
    callee.regs[1] = unknownScalar();
    callee.regs[2] = cur(cb).regs[3]!;
    callee.inCallback = true;
    cur(cb).callbackDepth++;
    cb.frames.push(callee);
    env.push(cb, env.st.subprogStarts[subprog]!);
    caller.callbackDepth = 0;
  } else {
    caller.callbackDepth = 0;
  }
}

function clearPktPointers(env: Env): void {
  for (const f of env.state.frames) {
    for (let r = 0; r < f.regs.length; r++) {
      const t = f.regs[r]!.t;
      if (t === T.PKT || t === T.PKT_META || t === T.PKT_END) f.regs[r] = unknownScalar();
    }
    for (const sl of f.stack) {
      const t = sl.spilled.t;
      if (sl.types[7] === Slot.SPILL && (t === T.PKT || t === T.PKT_META || t === T.PKT_END)) sl.spilled = unknownScalar();
    }
  }
}

/** Verifies a helper call at slot `i`. Returns true when the path ends (never for helpers in v1). */
export function checkHelperCall(env: Env, i: number, leak: LeakChecker): boolean {
  const id = env.s.imm[i]!;
  if (id <= 0 || id >= HELPER_ID_LIMIT) fail(env, Msg.invalidFunc(id > 0 && id < HELPER_ID_LIMIT ? `bpf_${helperName(id)}` : 'unknown', id));
  const h = helperFor(env.progType, env.attachType, id, env.sleepable);
  if (!h) return fail(env, Msg.helperNotAllowed(`bpf_${helperName(id)}`, id));
  if (!env.gpl && h.gpl) fail(env, Msg.gplOnly());
  const unmodelled = h.args.indexOf('X');
  if (unmodelled >= 0) fail(env, Msg.notModelled(`argument ${unmodelled + 1} of bpf_${h.name}`));
  if (h.ret === 'X') fail(env, Msg.notModelled(`return type of bpf_${h.name}`));
  const meta: Meta = { refObj: 0, releaseRegno: 0, rawRegno: -1, rawSize: 0, constKey: -1, memSize: 0, msizeMax: 0, subprog: -1 };
  for (let a = 0; a < 5; a++) checkArg(env, h, id, a, meta);
  if (meta.map) {
    mapCompatible(env, meta.map, id, h.name);
    if ((meta.map.spec.flags ?? 0) & 0x80 && [2, 3, 87, 88].includes(id)) fail(env, 'write into map forbidden');
  }
  if (meta.rawRegno >= 0) {
    for (let k = 0; k < meta.rawSize; k++) memAccess(env, meta.rawRegno, k, 1, true, -1, false, false);
    const raw = cur(env.state).regs[meta.rawRegno]!;
    if (env.logStackWrite) for (let k = 0; k < meta.rawSize; k++) env.logStackWrite(S.constNum(raw.v) + raw.off + k);
  }
  const st = env.state;
  if (meta.releaseRegno) {
    if (meta.refObj) {
      const idx = st.refs.findIndex((x) => x.id === meta.refObj);
      if (idx < 0) fail(env, `func bpf_${h.name}#${id} reference has not been acquired before`);
      st.refs.splice(idx, 1);
      const ref = meta.refObj;
      for (const f of st.frames) {
        for (let r = 0; r < f.regs.length; r++) if (f.regs[r]!.ref === ref) f.regs[r] = unknownScalar();
        for (const sl of f.stack) if (sl.types[7] === Slot.SPILL && sl.spilled.ref === ref) sl.spilled = unknownScalar();
      }
    } else if (!isNull(cur(st).regs[meta.releaseRegno]!)) {
      fail(env, `func bpf_${h.name}#${id} reference has not been acquired before`);
    }
  }
  const regs = cur(st).regs;
  if (id === 12) leak.resourceLeak(true, 'tail_call');
  if (id === 81 && !isNull(regs[2]!)) fail(env, Msg.getLocalStorageFlags());
  if (id === 181) loopCallback(env, i, meta.subprog);
  else if (h.args.includes('Fn')) fail(env, Msg.notModelled(`callbacks of bpf_${h.name}`));
  for (let r = 0; r <= 5; r++) regs[r] = notInit();
  const ret = h.ret;
  let r0: Reg;
  switch (ret) {
    case 'i':
      r0 = unknownScalar();
      if (id === 67 || id === 141 || id === 45 || id === 115 || id === 114) r0.v = S.retvalRange(meta.msizeMax, true);
      else if (id === 8) r0.v = S.retvalRange(env.nrCpus - 1, false);
      break;
    case 'v': r0 = notInit(); break;
    case 'sk': r0 = pointer(T.SOCKET); break;
    case 'mv?': case 'mv': {
      let t = T.MAP_VALUE | (ret === 'mv?' ? F.MAYBE_NULL : 0);
      if (id === 1 && meta.map && (meta.map.type === MapType.ARRAY || meta.map.type === MapType.PERCPU_ARRAY) &&
        meta.constKey >= 0 && meta.constKey < meta.map.spec.maxEntries) t &= ~F.MAYBE_NULL;
      r0 = pointer(t, { map: meta.map });
      if (!(t & F.MAYBE_NULL) && meta.map?.spec.spinLockOff !== undefined) r0.id = ++env.idGen;
      break;
    }
    case 'sk?': r0 = pointer(T.SOCKET | F.MAYBE_NULL); break;
    case 'sc?': r0 = pointer(T.SOCK_COMMON | F.MAYBE_NULL); break;
    case 'tcp?': r0 = pointer(T.TCP_SOCK | F.MAYBE_NULL); break;
    case 'rb?': r0 = pointer(T.MEM | F.RINGBUF | F.MAYBE_NULL, { range: meta.memSize }); break;
    case 'btf?': r0 = pointer(T.BTF_ID | F.MAYBE_NULL, { range: HELPER_BTF_STRUCT[id] ?? 0 }); break;
    default: r0 = unknownScalar();
  }
  if (r0.t & F.MAYBE_NULL && !r0.id) r0.id = ++env.idGen;
  const sockmapLookup = id === 1 && (meta.map?.type === MapType.SOCKMAP || meta.map?.type === MapType.SOCKHASH);
  if (h.acquire || sockmapLookup) {
    // acquire_reference takes a fresh id after the one a maybe-null result already got.
    r0.id = ++env.idGen;
    r0.ref = r0.id;
    st.refs.push({ id: r0.id, insn: i, kind: 'ptr' });
  } else if (meta.refObj && h.ptrCast) {
    r0.ref = meta.refObj;
  }
  regs[0] = r0;
  // A tail call that falls through in the main frame leaves packet pointers valid
  // (check_helper_call sets changes_data = false there).
  if (h.changesPkt && !(id === 12 && env.state.frames.length === 1)) clearPktPointers(env);
  void markPtrOrNull;
  return false;
}
