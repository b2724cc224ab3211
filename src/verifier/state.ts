/**
 * Abstract machine state as the kernel keeps it (include/linux/bpf_verifier.h): register types
 * and their fixed/variable offsets, stack slots per byte, call frames, and acquired references.
 * The numeric part of every register (var_off and the bounds) is a domain `Scalar`.
 * @module
 */
import type { Scalar } from './scalar.js';
import { S } from './scalar.js';
import type { UsedMap } from './structure.js';

/** Base register types (enum bpf_reg_type), low byte of {@link Reg.t}. */
export const T = {
  NOT_INIT: 0, SCALAR: 1, CTX: 2, MAP_PTR: 3, MAP_VALUE: 4, MAP_KEY: 5, STACK: 6, PKT_META: 7,
  PKT: 8, PKT_END: 9, FLOW_KEYS: 10, SOCKET: 11, SOCK_COMMON: 12, TCP_SOCK: 13, TP_BUFFER: 14,
  XDP_SOCK: 15, BTF_ID: 16, MEM: 17, ARENA: 18, BUF: 19, FUNC: 20,
} as const;

/** Type flags (enum bpf_type_flag), above the base type. */
export const F = {
  MAYBE_NULL: 0x100, RDONLY: 0x200, RINGBUF: 0x400, USER: 0x800, PERCPU: 0x1000, RCU: 0x2000,
  UNTRUSTED: 0x4000, TRUSTED: 0x8000, ALLOC: 0x10000,
} as const;

const BASE_NAMES = ['?', 'scalar', 'ctx', 'map_ptr', 'map_value', 'map_key', 'fp', 'pkt_meta', 'pkt',
  'pkt_end', 'flow_keys', 'sock', 'sock_common', 'tcp_sock', 'tp_buffer', 'xdp_sock', 'ptr_', 'mem',
  'arena', 'buf', 'func'];

/** The base type of a register type. */
export const base = (t: number): number => t & 0xff;

/** reg_type_str: the name the kernel prints for a register type. */
export function typeName(t: number): string {
  const b = base(t);
  let post = '';
  if (t & F.MAYBE_NULL) post = b === T.BTF_ID ? 'or_null_' : '_or_null';
  const pre = (t & F.RDONLY ? 'rdonly_' : '') + (t & F.RINGBUF ? 'ringbuf_' : '') + (t & F.USER ? 'user_' : '') +
    (t & F.PERCPU ? 'percpu_' : '') + (t & F.RCU ? 'rcu_' : '') + (t & F.UNTRUSTED ? 'untrusted_' : '') +
    (t & F.TRUSTED ? 'trusted_' : '');
  return pre + (BASE_NAMES[b] ?? '?') + post;
}

/** One register (struct bpf_reg_state). */
export interface Reg {
  /** Type: base type | flags. */
  t: number;
  /** Fixed offset of a pointer. */
  off: number;
  /** var_off and bounds: the value of a scalar, the variable offset of a pointer. */
  v: Scalar;
  /** Identity shared by copies (null checks, packet ranges, linked scalars). */
  id: number;
  /** Id of the reference this pointer holds (0 when none). */
  ref: number;
  /** The map of a map_ptr / map_value / map_key. */
  map: UsedMap | undefined;
  /** Packet pointers: bytes known to be in bounds after `off`. PTR_TO_MEM: its size. PTR_TO_FUNC: the subprogram. */
  range: number;
  /** Stack pointers: the frame they point into. */
  frame: number;
  /** Scalars linked by `r += const`: 64 or 32 (BPF_ADD_CONST64/32), 0 when not. */
  link: number;
  /** The constant of such a link (this register = the others' value + linkOff). */
  linkOff: number;
}

/** A fresh NOT_INIT register. */
export function notInit(): Reg {
  return { t: T.NOT_INIT, off: 0, v: S.unknown(), id: 0, ref: 0, map: undefined, range: 0, frame: 0, link: 0, linkOff: 0 };
}

/** A register holding an unknown scalar (mark_reg_unknown). */
export function unknownScalar(): Reg {
  return { t: T.SCALAR, off: 0, v: S.unknown(), id: 0, ref: 0, map: undefined, range: 0, frame: 0, link: 0, linkOff: 0 };
}

/** A register holding a known 64-bit scalar given as two 32-bit halves. */
export function knownScalar(lo: number, hi: number): Reg {
  return { t: T.SCALAR, off: 0, v: S.known(lo, hi), id: 0, ref: 0, map: undefined, range: 0, frame: 0, link: 0, linkOff: 0 };
}

/** A pointer of type `t` with zero offset (mark_reg_known_zero + type). */
export function pointer(t: number, extra: Partial<Reg> = {}): Reg {
  return { t, off: 0, v: S.known(0, 0), id: 0, ref: 0, map: undefined, range: 0, frame: 0, link: 0, linkOff: 0, ...extra };
}

/** Copies a register (registers are mutated in place by the transfer functions). */
export function cloneReg(r: Reg): Reg {
  return { t: r.t, off: r.off, v: r.v, id: r.id, ref: r.ref, map: r.map, range: r.range, frame: r.frame, link: r.link, linkOff: r.linkOff };
}

/** Drops a scalar's identity and link (the kernel clears the delta whenever it clears the id). */
export function clearId(r: Reg): void {
  r.id = 0; r.link = 0; r.linkOff = 0;
}

/** assign_scalar_id_before_mov: a scalar about to be copied gets an id so the copies stay linked. */
export function assignId(r: Reg, gen: () => number): void {
  if (r.t !== T.SCALAR) return;
  if (r.link) clearId(r);
  if (!r.id && !S.isConst(r.v)) r.id = gen();
}

/** Whether a register holds a pointer (anything but NOT_INIT and scalar). */
export function isPointer(r: Reg): boolean { return r.t !== T.NOT_INIT && r.t !== T.SCALAR; }

/** Per-byte stack slot types (enum bpf_stack_slot_type). */
export const Slot = { INVALID: 0, SPILL: 1, MISC: 2, ZERO: 3 } as const;

/** One 8-byte stack slot (struct bpf_stack_state). */
export interface StackSlot {
  /** Type of each byte; index `(-off - 1 - i) % 8` as the kernel numbers them. */
  types: Uint8Array;
  /** The spilled register when the slot holds a spill. */
  spilled: Reg;
}

/** One call frame (struct bpf_func_state). */
export interface Frame {
  /** R0-R10. */
  regs: Reg[];
  /** Stack slots, index 0 = bytes -8..-1. */
  stack: StackSlot[];
  /** Slot index of the call instruction that created this frame (-1 for main). */
  callsite: number;
  /** Frame number. */
  frameno: number;
  /** Subprogram index. */
  subprog: number;
  /** A callback's frame (bpf_loop): its exit returns to the calling helper, which runs again. */
  inCallback: boolean;
  /** Iterations of the callback verified from this frame's current call (callback_depth). */
  callbackDepth: number;
}

/** An acquired reference (struct bpf_reference_state). */
export interface RefState {
  /** Reference id. */
  id: number;
  /** Instruction that acquired it. */
  insn: number;
  /** What kind of reference (ptr, lock...). */
  kind: 'ptr' | 'lock';
}

/** A verifier state (struct bpf_verifier_state): frames, references, the lock held. */
export interface VState {
  /** Call frames, innermost last. */
  frames: Frame[];
  /** Acquired references not yet released. */
  refs: RefState[];
  /** Identity of the held spin lock (map uid * 2^20 + id), 0 when none. */
  lock: number;
  /** Id of the register the lock was taken through. */
  lockId: number;
}

/** The innermost frame. */
export function cur(st: VState): Frame { return st.frames[st.frames.length - 1]!; }

function cloneSlot(s: StackSlot): StackSlot {
  return { types: s.types.slice(), spilled: cloneReg(s.spilled) };
}

/** A new empty stack slot. */
export function newSlot(): StackSlot { return { types: new Uint8Array(8), spilled: notInit() }; }

/** Deep copy of a state. */
export function cloneState(st: VState): VState {
  return {
    frames: st.frames.map((f) => ({
      regs: f.regs.map(cloneReg), stack: f.stack.map(cloneSlot), callsite: f.callsite,
      frameno: f.frameno, subprog: f.subprog, inCallback: f.inCallback, callbackDepth: f.callbackDepth,
    })),
    refs: st.refs.map((r) => ({ ...r })),
    lock: st.lock, lockId: st.lockId,
  };
}

/** A fresh frame with every register NOT_INIT and R10 the frame pointer. */
export function newFrame(frameno: number, callsite: number, subprog: number): Frame {
  const regs: Reg[] = [];
  for (let i = 0; i < 11; i++) regs.push(notInit());
  regs[10] = pointer(T.STACK, { frame: frameno });
  return { regs, stack: [], callsite, frameno, subprog, inCallback: false, callbackDepth: 0 };
}
