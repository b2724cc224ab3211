/**
 * The path explorer (do_check): walks instructions from the entry, pushing the jump target of
 * every undecided branch and continuing with the fall-through, as the kernel does, so the first
 * error found is the kernel's. Checkpoints at prune points stop paths covered by a fully
 * explored state; identical states on the current path are an infinite loop.
 * @module
 */
import type { Env } from './env.js';
import { fail, Reject } from './env.js';
import { Msg } from './messages.js';
import type { VState } from './state.js';
import { T, cloneState, cur, newFrame, notInit, pointer, unknownScalar, knownScalar, typeName } from './state.js';
import { checkAlu, readReg, checkWritable } from './alu.js';
import { checkLoad, checkStore, checkStoreImm, checkAtomic } from './check-mem.js';
import { checkCondJmp } from './jump.js';
import { checkHelperCall } from './helper-call.js';
import { statesEqual } from './prune.js';
import type { StackLiveness, WalkedStackLiveness } from './stack-liveness.js';
import type { PrecisionRelevance } from './precision.js';
import { S } from './scalar.js';
import { ProgType } from './kinds.js';
import { AttachType } from '../asm/attach-types.js';
import { formatState } from './log.js';
import { StateLog } from './log-state.js';
import type { LogMark } from './log-state.js';

/** The kernel's limit on processed instructions (BPF_COMPLEXITY_LIMIT_INSNS). */
export const INSN_LIMIT = 1_000_000;
const MAX_CALL_FRAMES = 8;
const EXIT_PATH = -1;

interface Checkpoint {
  st: VState;
  insn: number;
  branches: number;
  parent: Checkpoint | undefined;
  hit: number;
  miss: number;
  /** The kernel's hash bucket of this state's list (explored_state). */
  bucket: number;
  /** Taken off the list by the miss heuristic while paths below it were still being explored. */
  evicted?: boolean;
}

interface Pending {
  st: VState; insn: number; prev: number; parent: Checkpoint | undefined;
  /** Level 1: where the log goes back to when this branch is explored (push_stack's log_pos). */
  log: LogMark | undefined;
}

/** Counters the explorer reports. */
export interface ExploreStats {
  /** Instructions processed. */
  processed: number;
  /** States saved at prune points. */
  totalStates: number;
  /** Most states kept for one instruction. */
  maxStatesPerInsn: number;
  /** Most states kept at once. */
  peakStates: number;
}

/** Explorer bookkeeping beyond Env. */
export class Explorer {
  private readonly pending: Pending[] = [];
  private readonly explored = new Map<number, Checkpoint[]>();
  private parent: Checkpoint | undefined;
  private jmps = 0;
  private prevJmps = 0;
  private prevInsns = 0;
  private statesNow = 0;
  /** States per hash bucket of the kernel's explored_states: max_states_per_insn counts a whole bucket. */
  private readonly bucketStates = new Map<number, number>();
  /** The log printer (levels 1 and 2). */
  private sl: StateLog | undefined;
  /** Statistics of the run. */
  readonly stats: ExploreStats = { processed: 0, totalStates: 0, maxStatesPerInsn: 0, peakStates: 0 };

  constructor(private readonly env: Env, private readonly live: Uint16Array, private readonly liveSlots: StackLiveness,
    private readonly precise: PrecisionRelevance, private readonly walked?: WalkedStackLiveness) {
    if (walked) env.stackRead = (from: number, to: number): void => walked.record(env.insnIdx, from, to);
    env.push = (st: VState, insn: number): void => {
      const log = this.sl && env.logLevel === 1 ? this.sl.mark() : undefined;
      this.pending.push({ st, insn, prev: env.insnIdx, parent: this.parent, log });
      if (this.parent) this.parent.branches++;
    };
  }

  /** The live stack slots at insn for comparing with a fully explored state. */
  private completeSlots(insn: number): [number, number] {
    return this.walked ? this.walked.at(insn) : [this.liveSlots.lo[insn]!, this.liveSlots.hi[insn]!];
  }

  private liveMask(st: VState, insn: number, masks = this.live): (f: number) => number {
    return (f: number): number => {
      if (f === st.frames.length - 1) return masks[insn]!;
      const callee = st.frames[f + 1]!;
      return masks[callee.callsite + 1] ?? 0x7ff;
    };
  }

  private endPath(): void {
    let cp = this.parent;
    while (cp) {
      if (--cp.branches > 0) break;
      // maybe_free_verifier_state: an evicted state is freed once nothing below it is explored.
      if (cp.evicted) this.statesNow--;
      cp = cp.parent;
    }
  }

  /** is_state_visited: true when the current path can be pruned here. */
  private visited(insn: number): boolean {
    const env = this.env, st = env.state;
    const forced = env.st.forceCheckpoint[insn] === 1;
    const force = forced || env.testStateFreq;
    let add = force || (this.jmps - this.prevJmps >= 2 && this.stats.processed - this.prevInsns >= 8);
    const list = this.explored.get(insn) ?? [];
    // explored_state(): the list walked is the bucket (insn ^ callsite) % prog len, which other
    // instructions' states can share; all of them count towards max_states_per_insn.
    const bucket = ((insn ^ cur(st).callsite) >>> 0) % env.s.len;
    const inBucket = this.bucketStates.get(bucket) ?? 0;
    const keep: Checkpoint[] = [];
    let hit = false;
    for (const cp of list) {
      if (!hit) {
        if (cp.branches > 0) {
          if (env.st.callsCallback[insn] === 1) {
            // A callback-calling helper: a state within an unfinished one means the iterations converged.
            if (statesEqual(cp.st, st, this.liveMask(st, insn), false, this.liveSlots.lo[insn], this.liveSlots.hi[insn])) {
              cp.hit++;
              hit = true;
              keep.push(cp);
              continue;
            }
          } else if (statesEqual(cp.st, st, () => 0x7ff, true)) {
            const top = st.frames.length - 1;
            env.log.push(Msg.infiniteLoop(insn), `cur state:${formatState(st, top)}`, `old state:${formatState(cp.st, top)}`);
            throw new Reject(insn, Msg.infiniteLoop(insn), true);
          }
          if (!force && this.jmps - this.prevJmps < 20 && this.stats.processed - this.prevInsns < 100) add = false;
        } else if (statesEqual(cp.st, st, this.liveMask(st, insn), false, ...this.completeSlots(insn),
          this.liveMask(st, insn, this.precise.regs), this.precise.lo[insn], this.precise.hi[insn])) {
          cp.hit++;
          hit = true;
          keep.push(cp);
          continue;
        }
        if (add) cp.miss++;
        const n = forced && cp.branches > 0 ? 64 : 3;
        if (cp.miss > cp.hit * n + n) {
          // Off the list; still counted in peak_states (free_list_size) while paths below it run.
          if (cp.branches > 0) cp.evicted = true;
          else this.statesNow--;
          this.bucketStates.set(cp.bucket, this.bucketStates.get(cp.bucket)! - 1);
          continue;
        }
      }
      keep.push(cp);
    }
    this.explored.set(insn, keep);
    if (hit) return true;
    if (this.stats.maxStatesPerInsn < inBucket) this.stats.maxStatesPerInsn = inBucket;
    if (!add) return false;
    this.stats.totalStates++;
    this.statesNow++;
    if (this.statesNow > this.stats.peakStates) this.stats.peakStates = this.statesNow;
    this.prevJmps = this.jmps;
    this.prevInsns = this.stats.processed;
    const cp: Checkpoint = { st: cloneState(st), insn, branches: 1, parent: this.parent, hit: 0, miss: 0, bucket };
    this.bucketStates.set(bucket, (this.bucketStates.get(bucket) ?? 0) + 1); // after this visit's evictions
    keep.push(cp);
    this.parent = cp;
    return false;
  }

  /** Runs do_check from the entry state. Throws Reject on the first error. */
  run(entry: VState, start: number): void {
    const env = this.env;
    const sl = env.logLevel > 0 ? new StateLog(env.log, env.s, env.logLevel > 1) : undefined;
    this.sl = sl;
    if (sl) {
      sl.header(this.live);
      env.logStackWrite = (off: number): void => sl.markSlot(off);
    }
    env.state = entry;
    let idx = start;
    for (;;) {
      if (idx < 0 || idx >= env.s.len) fail(env, `invalid insn idx ${idx} insn_cnt ${env.s.len}`);
      env.insnIdx = idx;
      if (++this.stats.processed > INSN_LIMIT) fail(env, Msg.tooLarge(this.stats.processed));
      let next: number;
      if (env.st.prunePoint[idx] === 1 && this.visited(idx)) {
        sl?.safe(idx);
        next = EXIT_PATH;
      } else if (sl) {
        next = this.stepLogged(idx, sl);
      } else {
        next = this.step(idx);
      }
      if (next === EXIT_PATH) {
        this.endPath();
        const p = this.pending.pop();
        sl?.pathEnded(p && { prev: p.prev, insn: p.insn });
        if (!p) return;
        // pop_stack at level 1 (pop_log): the log goes back to where the branch was pushed.
        if (p.log) sl!.rewind(p.log);
        env.state = p.st;
        this.parent = p.parent;
        idx = p.insn;
      } else {
        idx = next;
      }
    }
  }

  /** The log index of a line a level-1 rewind left without its newline, or -1. */
  openLogLine(): number {
    return this.sl?.openLine() ?? -1;
  }

  /** step() with the state lines around it. */
  private stepLogged(i: number, sl: StateLog): number {
    const env = this.env, s = env.s, code = s.code[i]!;
    sl.beforeInsn(i, env.state);
    const frames = env.state.frames.length;
    const before = code === 0x95 && frames > 1 ? { ...env.state, frames: env.state.frames.slice() } : undefined;
    const next = this.step(i);
    if (next === EXIT_PATH) return next;
    sl.afterInsn(i, env.state);
    if (code === 0x85 && s.src[i] === 1 && env.state.frames.length > frames) sl.called(env.state);
    if (before && env.state.frames.length < frames) sl.returned(i, next, before, env.state);
    return next;
  }

  private step(i: number): number {
    const env = this.env, s = env.s;
    const code = s.code[i]!, cls = code & 7;
    switch (cls) {
      case 0x04: case 0x07: checkAlu(env, i); return i + 1;
      case 0x01: checkLoad(env, i); return i + 1;
      case 0x03:
        if ((code & 0xe0) === 0xc0) { checkAtomic(env, i); return i + 1; }
        if ((code & 0xe0) !== 0x60 || s.imm[i] !== 0) fail(env, Msg.reserved('BPF_STX'));
        checkStore(env, i);
        return i + 1;
      case 0x02:
        if ((code & 0xe0) !== 0x60 || s.src[i] !== 0) fail(env, Msg.reserved('BPF_ST'));
        checkStoreImm(env, i);
        return i + 1;
      case 0x05: case 0x06: {
        this.jmps++;
        const op = code & 0xf0;
        if (op === 0x80) return this.call(i);
        if (op === 0x00) {
          if ((code & 8) || s.src[i] !== 0 || s.dst[i] !== 0 || (cls === 5 && s.imm[i] !== 0) || (cls === 6 && s.off[i] !== 0)) {
            fail(env, Msg.reserved('BPF_JA'));
          }
          return i + (cls === 5 ? s.off[i]! : s.imm[i]!) + 1;
        }
        if (op === 0x90) {
          if ((code & 8) || s.imm[i] !== 0 || s.src[i] !== 0 || s.dst[i] !== 0 || cls === 6) fail(env, Msg.reserved('BPF_EXIT'));
          return this.exit();
        }
        const n = checkCondJmp(env, i);
        return n < 0 ? EXIT_PATH : n;
      }
      case 0x00: {
        const mode = code & 0xe0;
        if (mode === 0x20 || mode === 0x40) { this.ldAbs(i); return i + 1; }
        if (mode !== 0) fail(env, Msg.invalidLdMode());
        this.ldImm(i);
        return i + 2;
      }
      default:
        return fail(env, `unknown insn class ${cls}`);
    }
  }

  private ldImm(i: number): void {
    const env = this.env, s = env.s;
    if (s.code[i] !== 0x18) fail(env, 'invalid BPF_LD_IMM insn');
    if (s.off[i] !== 0) fail(env, Msg.reserved('BPF_LD_IMM64'));
    const dst = s.dst[i]!;
    checkWritable(env, dst);
    const regs = cur(env.state).regs;
    const src = s.src[i]!;
    if (src === 0) { regs[dst] = knownScalar(s.imm[i]!, s.imm[i + 1]!); return; }
    if (src === 4) {
      if (!env.funcInfo) fail(env, 'missing btf func_info');
      regs[dst] = pointer(T.FUNC, { range: env.st.subprogStarts.indexOf(i + s.imm[i]! + 1) });
      return;
    }
    const m = env.st.ldMap[i]!;
    if (src === 2) regs[dst] = pointer(T.MAP_VALUE, { map: m, off: s.imm[i + 1]! });
    else regs[dst] = pointer(T.MAP_PTR, { map: m });
  }

  private ldAbs(i: number): void {
    const env = this.env, s = env.s;
    const pt = env.progType;
    if (pt !== ProgType.SOCKET_FILTER && pt !== ProgType.SCHED_CLS && pt !== ProgType.SCHED_ACT) fail(env, Msg.ldAbsNeedsSkb());
    const mode = s.code[i]! & 0xe0;
    if (s.dst[i] !== 0 || s.off[i] !== 0 || (s.code[i]! & 0x18) === 0x18 || (mode === 0x20 && s.src[i] !== 0)) fail(env, Msg.ldAbsReserved());
    readReg(env, 6);
    this.resourceLeak(true, 'BPF_LD_[ABS|IND]');
    const regs = cur(env.state).regs;
    if (regs[6]!.t !== T.CTX) fail(env, 'at the time of BPF_LD_ABS|IND R6 != pointer to skb');
    if (mode === 0x40) readReg(env, s.src[i]!);
    const r6 = regs[6]!;
    if (r6.off < 0) fail(env, `negative offset ctx ptr R6 off=${r6.off} disallowed`);
    if (r6.off) fail(env, Msg.modifiedCtx(6, r6.off));
    for (let r = 0; r <= 5; r++) regs[r] = notInit();
    regs[0] = unknownScalar();
  }

  /** check_resource_leak. */
  resourceLeak(checkLock: boolean, prefix: string): void {
    const env = this.env, st = env.state;
    if (checkLock && st.lock) fail(env, `${prefix} cannot be used inside bpf_spin_lock-ed region`);
    const leaked = st.refs.filter((r) => r.kind === 'ptr');
    if (leaked.length && (st.frames.length === 1 || prefix !== 'BPF_EXIT instruction in main prog')) {
      for (const r of leaked) env.log.push(Msg.unreleasedRef(r.id, r.insn));
      fail(env, `${prefix} would lead to reference leak`);
    }
  }

  private exit(): number {
    const env = this.env, st = env.state;
    this.resourceLeak(st.frames.length === 1, 'BPF_EXIT instruction in main prog');
    if (st.frames.length > 1) {
      const callee = cur(st);
      const r0 = callee.regs[0]!;
      if (r0.t !== T.STACK && callee.inCallback) {
        // prepare_func_exit of a callback: R0 in [0, 1], then the helper call runs again.
        if (r0.t !== T.SCALAR) fail(env, 'R0 not a scalar value');
        const smin = S.smin(r0.v), smax = S.smax(r0.v);
        if (!(smin >= 0 && smax <= 1)) {
          let m = 'At callback return the register R0 has';
          if (!S.sminIsMin(r0.v)) m += ` smin=${S.sminStr(r0.v)}`;
          if (!S.smaxIsMax(r0.v)) m += ` smax=${S.smaxStr(r0.v)}`;
          if (S.sminIsMin(r0.v) && S.smaxIsMax(r0.v)) m += ' unknown scalar value';
          fail(env, `${m} should have been in [0, 1]`);
        }
        st.frames.pop();
        return callee.callsite;
      }
      if (r0.t === T.STACK) fail(env, Msg.cannotReturnStack());
      st.frames.pop();
      cur(st).regs[0] = r0;
      return callee.callsite + 1;
    }
    const r0 = readReg(env, 0);
    this.returnCode(r0);
    return EXIT_PATH;
  }

  private returnCode(r0: ReturnType<typeof readReg>): void {
    const env = this.env;
    let lo = 0, hi = 1;
    switch (env.progType) {
      case ProgType.CGROUP_SKB:
        if (env.attachType === 1) hi = 3;
        break;
      case ProgType.CGROUP_SOCK: case ProgType.SOCK_OPS: case ProgType.CGROUP_DEVICE:
      case ProgType.CGROUP_SYSCTL: case ProgType.CGROUP_SOCKOPT:
        break;
      case ProgType.SK_LOOKUP: case ProgType.NETFILTER: break;
      case ProgType.CGROUP_SOCK_ADDR: {
        const a = env.attachType;
        if ([AttachType.CGROUP_UDP4_RECVMSG, AttachType.CGROUP_UDP6_RECVMSG, AttachType.CGROUP_UNIX_RECVMSG,
          AttachType.CGROUP_INET4_GETPEERNAME, AttachType.CGROUP_INET6_GETPEERNAME, AttachType.CGROUP_UNIX_GETPEERNAME,
          AttachType.CGROUP_INET4_GETSOCKNAME, AttachType.CGROUP_INET6_GETSOCKNAME, AttachType.CGROUP_UNIX_GETSOCKNAME].includes(a as 19)) lo = 1;
        if (a === AttachType.CGROUP_INET4_BIND || a === AttachType.CGROUP_INET6_BIND) hi = 3;
        break;
      }
      default: return;
    }
    if (r0.t !== T.SCALAR) fail(env, `At program exit the register R0 is not a known value (${typeName(r0.t)})`);
    const smin = S.smin(r0.v), smax = S.smax(r0.v);
    if (smin >= lo && smax <= hi) return;
    let m = 'At program exit the register R0 has';
    let unknown = true;
    if (!S.sminIsMin(r0.v)) { m += ` smin=${S.sminStr(r0.v)}`; unknown = false; }
    if (!S.smaxIsMax(r0.v)) { m += ` smax=${S.smaxStr(r0.v)}`; unknown = false; }
    if (unknown) m += ' unknown scalar value';
    fail(env, `${m} should have been in [${lo}, ${hi}]`);
  }

  private call(i: number): number {
    const env = this.env, s = env.s;
    const code = s.code[i]!, src = s.src[i]!;
    if ((code & 8) || (src !== 2 && s.off[i] !== 0) || (src !== 0 && src !== 1 && src !== 2) || s.dst[i] !== 0 || (code & 7) === 6) {
      fail(env, Msg.reserved('BPF_CALL'));
    }
    if (env.state.lock && !(src === 0 && s.imm[i] === 94)) fail(env, Msg.callsWhileLocked());
    if (src === 1) return this.pseudoCall(i);
    if (src === 2) return fail(env, Msg.notModelled('kfunc calls'));
    return checkHelperCall(env, i, this) ? EXIT_PATH : i + 1;
  }

  private pseudoCall(i: number): number {
    const env = this.env, st = env.state;
    const target = i + env.s.imm[i]! + 1;
    const sub = env.st.subprogStarts.indexOf(target);
    if (st.frames.length >= MAX_CALL_FRAMES) fail(env, Msg.callTooDeep(st.frames.length + 1));
    const caller = cur(st);
    const callee = newFrame(st.frames.length, i, sub);
    for (let r = 1; r <= 5; r++) callee.regs[r] = caller.regs[r]!;
    for (let r = 0; r <= 5; r++) caller.regs[r] = notInit();
    st.frames.push(callee);
    return target;
  }
}

/** The state at program entry: R1 = ctx, R10 = frame pointer. */
export function entryState(): VState {
  const f = newFrame(0, -1, 0);
  f.regs[1] = pointer(T.CTX);
  return { frames: [f], refs: [], lock: 0, lockId: 0 };
}

