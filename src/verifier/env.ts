/**
 * The verification environment shared by the transfer functions (struct bpf_verifier_env, the
 * parts the model needs), and the exception used to stop at the first error.
 * @module
 */
import type { Slots } from './ir.js';
import type { Structure } from './structure.js';
import type { VState } from './state.js';

/** Thrown by a check to reject the program; caught by the explorer. */
export class Reject {
  /** Slot of the instruction being verified. */
  readonly insn: number;
  /** The kernel's error line. */
  readonly message: string;
  /** The error line is already in the log, followed by detail lines (the state dumps of an infinite loop). */
  readonly logged: boolean;
  constructor(insn: number, message: string, logged = false) {
    this.insn = insn;
    this.message = message;
    this.logged = logged;
  }
}

/** Everything a transfer function may read or change. */
export interface Env {
  /** The program. */
  readonly s: Slots;
  /** Structural facts. */
  readonly st: Structure;
  /** Program type number. */
  readonly progType: number;
  /** expected_attach_type. */
  readonly attachType: number;
  /** Whether the license is GPL-compatible. */
  readonly gpl: boolean;
  /** Loaded with BPF_F_SLEEPABLE (changes which helper protos apply). */
  readonly sleepable: boolean;
  /** BPF_F_TEST_STATE_FREQ: a checkpoint at every prune point (env->test_state_freq). */
  readonly testStateFreq: boolean;
  /** Whether the program came with BTF func_info (callbacks allowed). */
  readonly funcInfo: boolean;
  /** nr_cpu_ids of the target machine (bounds bpf_get_smp_processor_id). */
  readonly nrCpus: number;
  /** Strict alignment (BPF_F_STRICT_ALIGNMENT without BPF_F_ANY_ALIGNMENT). */
  readonly strictAlign: boolean;
  /** The state being advanced. */
  state: VState;
  /** Slot being verified. */
  insnIdx: number;
  /** Id generator (env->id_gen). */
  idGen: number;
  /** Per slot: the pointer type a load/store used first (save_aux_ptr_type), 0 when none yet. */
  readonly auxPtrType: Int32Array;
  /** Per subprogram: deepest stack use in bytes. */
  readonly stackDepth: number[];
  /** Live-in register masks per slot. */
  readonly live: Uint16Array;
  /** Log lines so far. */
  readonly log: string[];
  /** Log level. */
  readonly logLevel: number;
  /** Queues the state for exploration at `insn` (push_stack). */
  push(state: VState, insn: number): void;
  /** Records that the current instruction may read the bytes [from, to) below the frame pointer (bpf_mark_stack_read). */
  stackRead(from: number, to: number): void;
  /**
   * Level-2 logs only: a helper wrote the stack byte at this offset from its frame pointer, which
   * the kernel's log then shows among the instruction's state (mark_stack_slot_scratched).
   */
  logStackWrite?: (byteOff: number) => void;
}

/** Rejects at the current instruction. */
export function fail(env: Env, message: string): never {
  throw new Reject(env.insnIdx, message);
}
