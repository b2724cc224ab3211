/**
 * The checks the kernel makes before it walks any path: add_subprog_and_kfunc, check_subprogs,
 * resolve_pseudo_ldimm64 and check_cfg of kernel/bpf/verifier.c, in that order. They also mark
 * the prune points and jump points the path explorer uses.
 * @module
 */
import type { Slots } from './ir.js';
import type { VerifierMapSpec } from './types.js';
import { Msg } from './messages.js';
import { MapType, isTracingProgType, ProgType, MAP_TYPE_NAMES, typeNumber } from './kinds.js';

/** A map the program uses, with its type resolved to a number. */
export interface UsedMap {
  /** The description given by the caller. */
  readonly spec: VerifierMapSpec;
  /** Map type number. */
  readonly type: number;
  /** Identity of the map, for "same map" comparisons. */
  readonly uid: number;
}

/** What the structural pass learns about a program. */
export interface Structure {
  /** Start slot of each subprogram, ascending, plus `len` as a sentinel. */
  readonly subprogStarts: number[];
  /** Per slot: 1 when is_state_visited runs there. */
  readonly prunePoint: Uint8Array;
  /** Per slot: 1 when a checkpoint must be forced. */
  readonly forceCheckpoint: Uint8Array;
  /** Per slot: 1 for calls of helpers that call back into the program (bpf_loop...). */
  readonly callsCallback: Uint8Array;
  /** Per LD_IMM64 slot with a map reference: the map. */
  readonly ldMap: (UsedMap | undefined)[];
}

/** A structural failure: the message and the slot (-1 when not about one). */
export interface StructError { readonly insn: number; readonly message: string }

const JMP = 0x05, JMP32 = 0x06, CALL = 0x80, EXIT = 0x90, JA = 0x00;

/** Instruction opcodes the kernel accepts at all (bpf_opcode_in_insntable). */
const OPCODE_OK: Uint8Array = (() => {
  const t = new Uint8Array(256);
  const aluOps = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0];
  for (const cls of [0x04, 0x07]) for (const op of aluOps) { t[cls | op] = 1; t[cls | op | 8] = 1; }
  t[0x84] = 1; t[0x87] = 1; t[0xd4] = 1; t[0xdc] = 1; t[0xd7] = 1;
  t[0x85] = 1; t[0x95] = 1; t[0x05] = 1; t[0x06] = 1; t[0xe5] = 1;
  const jOps = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
  for (const cls of [0x05, 0x06]) for (const op of jOps) { t[cls | op] = 1; t[cls | op | 8] = 1; }
  for (const sz of [0x00, 0x08, 0x10, 0x18]) {
    t[0xc3 | sz] = 1; t[0x63 | sz] = 1; t[0x62 | sz] = 1; t[0x61 | sz] = 1;
    if (sz !== 0x18) { t[0x81 | sz] = 1; t[0x20 | sz] = 1; t[0x40 | sz] = 1; }
  }
  t[0x18] = 1;
  return t;
})();

/** Whether the kernel knows this opcode at all. */
export function opcodeKnown(code: number): boolean { return OPCODE_OK[code] === 1; }

/** Jump offset as bpf_jmp_offset reads it: imm for JMP32|JA, off otherwise. */
export function jmpOffset(s: Slots, i: number): number {
  return s.code[i] === (JMP32 | JA) ? s.imm[i]! : s.off[i]!;
}

function isLdImm64(s: Slots, i: number): boolean { return s.code[i] === 0x18; }
function isPseudoCall(s: Slots, i: number): boolean { return s.code[i] === (JMP | CALL) && s.src[i] === 1; }
function isPseudoFunc(s: Slots, i: number): boolean { return isLdImm64(s, i) && s.src[i] === 4; }

/** Runs the structural checks. `maps` resolves a (name or fd) reference to its spec. */
export function checkStructure(
  s: Slots, progType: number,
  lookupMap: (name: string | undefined, fd: number) => VerifierMapSpec | undefined,
): Structure | StructError {
  const len = s.len;
  // add_subprog_and_kfunc
  const starts = [0];
  for (let i = 0; i < len; i++) {
    if (s.code[i] === (JMP | CALL) && s.src[i] === 2) return { insn: i, message: Msg.notModelled('kfunc calls') };
    if (!isPseudoFunc(s, i) && !isPseudoCall(s, i)) continue;
    const off = i + s.imm[i]! + 1;
    if (off >= len || off < 0) return { insn: i, message: Msg.callInvalidDest() };
    if (!starts.includes(off)) {
      if (starts.length >= 256) return { insn: i, message: Msg.tooManySubprogs() };
      starts.push(off);
    }
  }
  starts.sort((a, b) => a - b);
  starts.push(len);

  // check_subprogs
  let cur = 0, subStart = starts[0]!, subEnd = starts[1]!;
  for (let i = 0; i < len; i++) {
    const code = s.code[i]!, cls = code & 7;
    if ((cls === JMP || cls === JMP32) && (code & 0xf0) !== EXIT && (code & 0xf0) !== CALL) {
      const to = i + jmpOffset(s, i) + 1;
      if (to < subStart || to >= subEnd) return { insn: i, message: Msg.jumpOutOfRange(i, to) };
    }
    if (i === subEnd - 1) {
      if (code !== (JMP | EXIT) && code !== (JMP32 | JA) && code !== (JMP | JA)) {
        return { insn: i, message: Msg.lastInsnNotExit() };
      }
      subStart = subEnd;
      cur++;
      if (cur < starts.length - 1) subEnd = starts[cur + 1]!;
    }
  }

  // resolve_pseudo_ldimm64
  const ldMap: (UsedMap | undefined)[] = new Array(len);
  const used = new Map<VerifierMapSpec, UsedMap>();
  const storages = new Map<number, VerifierMapSpec>();
  for (let i = 0; i < len; i++) {
    const code = s.code[i]!;
    if ((code & 7) === 0x01 && (((code & 0xe0) !== 0x60 && (code & 0xe0) !== 0x80) || s.imm[i] !== 0)) {
      return { insn: i, message: Msg.ldxReserved() };
    }
    if (code === 0x18) {
      if (i === len - 1 || s.code[i + 1] !== 0 || s.dst[i + 1] !== 0 || s.src[i + 1] !== 0 || s.off[i + 1] !== 0) {
        return { insn: i, message: Msg.invalidLdImm64() };
      }
      const src = s.src[i]!;
      if (src === 0 || src === 4) { i++; continue; }
      if (src === 3) return { insn: i, message: Msg.notModelled('ld_imm64 of a BTF id (ksym)') };
      if (!(src === 2 || src === 6 || ((src === 1 || src === 5) && s.imm[i + 1] === 0))) {
        return { insn: i, message: Msg.unrecognizedLdImm64() };
      }
      if (src === 5 || src === 6) return { insn: i, message: 'fd_idx without fd_array is invalid' };
      const fd = s.imm[i]!;
      const spec = lookupMap(s.mapName[i], fd);
      const type = spec ? typeNumber(spec.type, MAP_TYPE_NAMES) : -1;
      if (!spec || type < 0) return { insn: i, message: Msg.badMapFd(fd) };
      let um = used.get(spec);
      if (!um) {
        const err = mapCompat(spec, type, progType, storages);
        if (err) return { insn: i, message: err };
        um = { spec, type, uid: used.size + 1 };
        used.set(spec, um);
      }
      if (src === 2) {
        const off = s.imm[i + 1]! >>> 0;
        if (off >= 1 << 29) return { insn: i, message: Msg.directValueOffset(off) };
        if (type !== MapType.ARRAY) return { insn: i, message: Msg.noDirectValue() };
        if (spec.maxEntries !== 1 || off >= spec.valueSize) {
          return { insn: i, message: Msg.invalidMapValuePtr(spec.valueSize, off) };
        }
      }
      ldMap[i] = um;
      i++;
      continue;
    }
    if (!opcodeKnown(code)) return { insn: i, message: Msg.unknownOpcode(code) };
  }

  const cfg = checkCfg(s);
  if ('message' in cfg) return cfg;
  return { subprogStarts: starts, prunePoint: cfg.prune, forceCheckpoint: cfg.force, callsCallback: cfg.cb, ldMap };
}

function mapCompat(spec: VerifierMapSpec, type: number, progType: number, storages: Map<number, VerifierMapSpec>): string | undefined {
  if (spec.spinLockOff !== undefined) {
    if (progType === ProgType.SOCKET_FILTER) return Msg.socketFilterSpinLock();
    if (isTracingProgType(progType)) return Msg.tracingSpinLock();
  }
  if (spec.timerOff !== undefined && isTracingProgType(progType)) return Msg.tracingTimer();
  if (type === MapType.STRUCT_OPS) return 'bpf_struct_ops map cannot be used in prog';
  if (type === MapType.CGROUP_STORAGE || type === MapType.PERCPU_CGROUP_STORAGE) {
    const prev = storages.get(type);
    if (prev && prev !== spec) return Msg.oneCgroupStorage();
    storages.set(type, spec);
  }
  return undefined;
}

const DISCOVERED = 0x10, EXPLORED = 0x20, FALLTHROUGH = 1, BRANCH = 2;

/** check_cfg: depth-first walk from insn 0; every slot must be reached (bpf_capable: back-edges allowed). */
function checkCfg(s: Slots): { prune: Uint8Array; force: Uint8Array; cb: Uint8Array } | StructError {
  const len = s.len;
  const state = new Int32Array(len);
  const stack = new Int32Array(len + 1);
  const prune = new Uint8Array(len), force = new Uint8Array(len), cb = new Uint8Array(len);
  let sp = 0;
  state[0] = DISCOVERED;
  stack[sp++] = 0;
  let failure: StructError | undefined;
  const KEEP = 1, DONE = 0;
  const push = (t: number, w: number, e: number): number => {
    if (e === FALLTHROUGH && state[t]! >= (DISCOVERED | FALLTHROUGH)) return DONE;
    if (e === BRANCH && state[t]! >= (DISCOVERED | BRANCH)) return DONE;
    if (w < 0 || w >= len) { failure = { insn: t, message: Msg.jumpOutOfRange(t, w) }; return -1; }
    if (e === BRANCH) prune[w] = 1;
    if (state[w] === 0) {
      state[t] = DISCOVERED | e;
      state[w] = DISCOVERED;
      stack[sp++] = w;
      return KEEP;
    } else if ((state[w]! & 0xf0) === DISCOVERED) {
      return DONE;
    } else if (state[w] === EXPLORED) {
      state[t] = DISCOVERED | e;
    }
    return DONE;
  };
  const visitCall = (t: number, callee: boolean): number => {
    const sz = isLdImm64(s, t) ? 2 : 1;
    let r = push(t, t + sz, FALLTHROUGH);
    if (r) return r;
    if (t + sz < len) prune[t + sz] = 1;
    if (callee) {
      prune[t] = 1;
      r = push(t, t + s.imm[t]! + 1, BRANCH);
    }
    return r;
  };
  while (sp > 0) {
    const t = stack[sp - 1]!;
    const code = s.code[t]!, cls = code & 7;
    let r: number;
    if (isPseudoFunc(s, t)) r = visitCall(t, true);
    else if (cls !== JMP && cls !== JMP32) r = push(t, t + (isLdImm64(s, t) ? 2 : 1), FALLTHROUGH);
    else {
      const op = code & 0xf0;
      if (op === EXIT) r = DONE;
      else if (op === CALL) {
        // bpf_loop and friends call back into the program: checkpoint before the call
        if (s.src[t] === 0 && (s.imm[t] === 181 || s.imm[t] === 164 || s.imm[t] === 207 || s.imm[t] === 160)) {
          prune[t] = 1; force[t] = 1; cb[t] = 1;
        }
        r = visitCall(t, s.src[t] === 1);
      } else if (op === JA) {
        if (code & 8) return { insn: t, message: Msg.reserved('BPF_JA') };
        const off = cls === JMP ? s.off[t]! : s.imm[t]!;
        r = push(t, t + off + 1, FALLTHROUGH);
        if (r >= 0 && t + off + 1 >= 0 && t + off + 1 < len) prune[t + off + 1] = 1;
      } else {
        prune[t] = 1;
        if (code === 0xe5) force[t] = 1;
        r = push(t, t + 1, FALLTHROUGH);
        if (r === 0) r = push(t, t + s.off[t]! + 1, BRANCH);
      }
    }
    if (r < 0) return failure!;
    if (r === DONE) { state[t] = EXPLORED; sp--; }
  }
  for (let i = 0; i < len; i++) {
    if (state[i] !== EXPLORED) return { insn: i, message: Msg.unreachable(i) };
    if (isLdImm64(s, i)) {
      if (state[i + 1] !== 0) return { insn: i, message: Msg.jumpIntoLdImm64(i) };
      i++;
    }
  }
  return { prune, force, cb };
}
