/**
 * `verify()`: the verifier model's entry point. Runs the kernel's passes in its order
 * (structure, path exploration, stack depth) and reports the kernel's first error line.
 * Never throws: malformed input and internal failures come back as rejections.
 * @module
 */
import type { Instruction } from '../asm/instruction.js';
import type { Slots } from './ir.js';
import { slotsFromBytes, slotsFromInstructions } from './ir.js';
import type { VerifyOptions, VerifyResult, VerifierMapSpec } from './types.js';
import { checkStructure } from './structure.js';
import type { Structure } from './structure.js';
import type { Env } from './env.js';
import { Reject } from './env.js';
import { Explorer, entryState, INSN_LIMIT } from './explore.js';
import { liveRegisters, readStackSlots } from './liveness.js';
import { liveStackSlots, WalkedStackLiveness } from './stack-liveness.js';
import { precisionRelevant } from './precision.js';
import type { StackLiveness } from './stack-liveness.js';
import { helperFor } from './helper-protos.js';
import { PROG_TYPE_NAMES, ProgType, typeNumber } from './kinds.js';
import { Msg } from './messages.js';
import { closeOpenLine, statsLine } from './log.js';
import { subprogLines } from './log-state.js';

export type { VerifyOptions, VerifyResult, VerifierMapSpec, VerifyError } from './types.js';

const GPL_COMPATIBLE = ['GPL', 'GPL v2', 'GPL and additional rights', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL'];

/**
 * Verifies a program as Linux 6.18 would when loaded by root, without a kernel.
 * `program` is Instructions (labels and map names resolved here) or the raw bytes the kernel
 * reads. Map references resolve through `options.maps` by name or by the fd in `imm`.
 */
export function verify(program: readonly Instruction[] | Uint8Array, options: VerifyOptions): VerifyResult {
  if ((options.logLevel ?? 1) === 1) {
    // An accepted program's level-1 log is the statistics line alone, as at level 0: a walk
    // without the log (which costs as much as the walk) says whether the logged one is needed.
    const quick = verifyCaught(program, { ...options, logLevel: 0 });
    if (quick.ok) return quick;
  }
  return verifyCaught(program, options);
}

function verifyCaught(program: readonly Instruction[] | Uint8Array, options: VerifyOptions): VerifyResult {
  try {
    return verifyUnsafe(program, options);
  } catch (e) {
    const message = e instanceof Reject ? e.message : `not modelled: internal error: ${e instanceof Error ? e.message : String(e)}`;
    const insn = e instanceof Reject ? e.insn : -1;
    return { ok: false, processed: 0, error: { insn, message }, log: [message] };
  }
}

/** `openAt`: a log line left without its newline (level 1), which the next line written continues. */
function reject(insn: number, message: string, log: string[], processed: number, s?: Slots,
  stats?: { maxStatesPerInsn: number; totalStates: number; peakStates: number }, logged = false, openAt = -1): VerifyResult {
  const source = s && insn >= 0 ? s.source[insn] : undefined;
  const tail = [...(logged ? [] : [message]), ...(stats ? [statsLine(processed, stats)] : [])];
  const out = [...log, ...tail];
  closeOpenLine(out, openAt);
  return { ok: false, processed, error: source ? { insn, message, source } : { insn, message }, log: out };
}

function verifyUnsafe(program: readonly Instruction[] | Uint8Array, options: VerifyOptions): VerifyResult {
  const progType = typeNumber(options.type ?? -1, PROG_TYPE_NAMES);
  if (progType <= 0) return reject(-1, Msg.notModelled(`program type ${String(options.type)}`), [], 0);
  if (progType === ProgType.TRACING || progType === ProgType.LSM || progType === ProgType.STRUCT_OPS || progType === ProgType.EXT) {
    // These attach to a BTF-described kernel function whose prototype decides the ctx and the return value.
    return reject(-1, Msg.notModelled(`program type ${PROG_TYPE_NAMES[progType]} (BTF attach targets)`), [], 0);
  }
  let s: Slots;
  if (program instanceof Uint8Array) {
    const r = slotsFromBytes(program);
    if (!r) return reject(-1, `invalid program length ${program.length} (not a multiple of 8 bytes)`, [], 0);
    s = r;
  } else if (Array.isArray(program)) {
    const r = slotsFromInstructions(program);
    if (typeof r === 'string') return reject(-1, r, [], 0);
    s = r;
  } else {
    return reject(-1, 'program must be an array of Instructions or a Uint8Array', [], 0);
  }
  if (s.len === 0 || s.len > INSN_LIMIT) return reject(-1, `invalid program length: ${s.len} instructions (E2BIG)`, [], 0);
  const maps = options.maps ?? {};
  const lookup = (name: string | undefined, fd: number): VerifierMapSpec | undefined =>
    (name !== undefined ? maps[name] : undefined) ?? maps[fd] ?? maps[String(fd)];
  const structure = checkStructure(s, progType, lookup);
  const log: string[] = [];
  if ('message' in structure) {
    // The kernel ends with the statistics line as after any rejection; at level 2 it has printed
    // the subprograms before its later structural checks.
    const level = options.logLevel ?? 1;
    if (level < 1) return reject(structure.insn, structure.message, log, 0, s);
    const none = { maxStatesPerInsn: 0, totalStates: 0, peakStates: 0 };
    return reject(structure.insn, structure.message, level > 1 ? subprogLines(s) : log, 0, s, none);
  }
  const flags = options.progFlags ?? 0;
  const env: Env = {
    s, st: structure, progType, attachType: options.expectedAttachType ?? 0,
    gpl: GPL_COMPATIBLE.includes(options.license ?? 'GPL'),
    strictAlign: (flags & 1) !== 0 && (flags & 2) === 0,
    nrCpus: options.nrCpus ?? 64,
    funcInfo: (options.funcInfo?.length ?? 0) > 0,
    sleepable: (flags & 16) !== 0, testStateFreq: (flags & 8) !== 0,
    state: entryState(), insnIdx: 0, idGen: 0, auxPtrType: new Int32Array(s.len),
    stackDepth: structure.subprogStarts.map(() => 0), log, logLevel: options.logLevel ?? 1,
    push: () => undefined, stackRead: () => undefined, live: new Uint16Array(0),
  };
  const readsMemory = (id: number): boolean => {
    const h = helperFor(progType, env.attachType, id);
    return !h || h.args.some((a) => a !== 'A' && a !== 'C' && a !== 'Cn' && a !== 'M' && a !== 's' && a !== 'z' && a !== 'Z');
  };
  const helperArgs = (id: number): number => helperFor(progType, env.attachType, id)?.args.length ?? 5;
  const live = liveRegisters(s, helperArgs);
  (env as { live: Uint16Array }).live = live;
  const info = liveStackSlots(s);
  const slots = info ?? wholeProgramSlots(s.len, readStackSlots(s, readsMemory));
  const walked = info && info.walkReads.includes(1) ? new WalkedStackLiveness(s, info) : undefined;
  const ex = new Explorer(env, live, slots, precisionRelevant(s, helperArgs, returnChecked(progType, env.attachType)), walked);
  try {
    ex.run(entryState(), 0);
  } catch (e) {
    if (!(e instanceof Reject)) throw e;
    return reject(e.insn, e.message, log, ex.stats.processed, s, ex.stats, e.logged, ex.openLogLine());
  }
  // do_check_common: a successful walk at level 1 (pop_log) resets the log to its start.
  if (env.logLevel === 1) log.length = 0;
  const depthErr = checkStackDepth(s, structure, env.stackDepth, progType);
  if (depthErr) return reject(-1, depthErr, log, ex.stats.processed, s, ex.stats);
  return { ok: true, processed: ex.stats.processed, log: [...log, statsLine(ex.stats.processed, ex.stats)] };
}

/**
 * Whether check_return_code enforces a range on R0 at the main program's exit (and so marks it
 * precise): the types the explorer's return check covers, and kprobes of a session attach type.
 */
function returnChecked(progType: number, attachType: number): boolean {
  switch (progType) {
    case ProgType.CGROUP_SKB: case ProgType.CGROUP_SOCK: case ProgType.SOCK_OPS: case ProgType.CGROUP_DEVICE:
    case ProgType.CGROUP_SYSCTL: case ProgType.CGROUP_SOCKOPT: case ProgType.SK_LOOKUP: case ProgType.NETFILTER:
    case ProgType.CGROUP_SOCK_ADDR:
      return true;
    case ProgType.KPROBE: return attachType !== 0;
    default: return false;
  }
}

/** check_max_stack_depth for the main program's call graph (JIT on: 16-byte rounding). */
function checkStackDepth(s: Slots, st: Structure, depths: number[], progType: number): string | undefined {
  const starts = st.subprogStarts;
  // bpf_enable_priv_stack: these types get PRIV_STACK_ADAPTIVE from the x86-64 JIT, unless a
  // subprogram has a tail call (check_max_stack_depth). 6.18.2's source lists kprobes too, but the
  // running 6.18 stable kernel gives them none: a kprobe's callee frames add to the caller's
  // (observed: 48 + 480 is "combined stack size of 2 calls is 528" for a kprobe, accepted for
  // a tracepoint, raw_tracepoint or perf_event program).
  let tailCall = false;
  for (let i = 0; i < s.len && !tailCall; i++) tailCall = s.code[i] === 0x85 && s.src[i] === 0 && s.imm[i] === 12;
  const privStack = !tailCall && (progType === ProgType.TRACEPOINT ||
    progType === ProgType.RAW_TRACEPOINT || progType === ProgType.PERF_EVENT);
  const round = (d: number): number => Math.ceil(d / 16) * 16;
  const walk = (idx: number, frame: number, depth: number): string | undefined => {
    const d = round(depths[idx] ?? 0);
    if (!(privStack && d >= 64)) {
      depth += d;
      if (depth > 512) return Msg.combinedStack(frame + 1, depth);
    }
    for (let i = starts[idx]!; i < starts[idx + 1]!; i++) {
      const isCall = s.code[i] === 0x85 && s.src[i] === 1;
      const isFunc = s.code[i] === 0x18 && s.src[i] === 4;
      if (!isCall && !isFunc) continue;
      const sidx = starts.indexOf(i + s.imm[i]! + 1);
      if (frame + 1 >= 8) return Msg.callStackTooDeep(frame + 1);
      const r = walk(sidx, frame + 1, depth);
      if (r) return r;
    }
    return undefined;
  };
  return walk(0, 0, 0);
}

/** One set of live stack slots (from readStackSlots; undefined: all) for every instruction. */
function wholeProgramSlots(len: number, slots: Uint8Array | undefined): StackLiveness {
  let lo = 0, hi = 0;
  for (let spi = 0; spi < 64; spi++) {
    if (slots && !slots[spi]) continue;
    if (spi < 32) lo |= 1 << spi; else hi |= 1 << (spi - 32);
  }
  return { lo: new Uint32Array(len).fill(lo >>> 0), hi: new Uint32Array(len).fill(hi >>> 0) };
}
