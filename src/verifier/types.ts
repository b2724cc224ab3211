/**
 * Public types of the verifier model: options, map descriptions and results.
 * @module
 */
import type { SourceLocation } from '../errors.js';

/** What the verifier needs to know about a map: the `BPF_MAP_CREATE` attributes, plus BTF-described fields. */
export interface VerifierMapSpec {
  /** Map type number (`enum bpf_map_type`) or its lower-case name without prefix (`'hash'`, `'array'`). */
  readonly type: number | string;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Maximum number of entries. */
  readonly maxEntries: number;
  /** `map_flags` (e.g. `BPF_F_RDONLY_PROG` 0x80, `BPF_F_WRONLY_PROG` 0x100). */
  readonly flags?: number;
  /** Offset of a `struct bpf_spin_lock` in the value, when the value's BTF has one. */
  readonly spinLockOff?: number;
  /** Offset of a `struct bpf_timer` in the value, when the value's BTF has one. */
  readonly timerOff?: number;
  /** Offsets of kptr fields in the value, when the value's BTF has them (not modelled: rejected on use). */
  readonly kptrOffs?: readonly number[];
  /** For map-in-map types: the inner map. */
  readonly inner?: VerifierMapSpec;
  /** The map's name, which level-1 and level-2 logs print as the kernel does (`map_value(map=NAME,...)`). */
  readonly name?: string;
}

/** Options of {@link verify}. */
export interface VerifyOptions {
  /** Program type: `enum bpf_prog_type` number or name (`'socket_filter'`, `'xdp'`, `'kprobe'`...). */
  readonly type: number | string;
  /** `expected_attach_type` number (0 when absent). */
  readonly expectedAttachType?: number;
  /**
   * Maps the program references: by name (for Instructions with `map`) or by the fd written in
   * the `imm` of an LD_IMM64 (for raw bytes, e.g. `{ 3: spec }`).
   */
  readonly maps?: Readonly<Record<string | number, VerifierMapSpec>>;
  /** License string (GPL-only helpers need a GPL-compatible one). Default `'GPL'`. */
  readonly license?: string;
  /**
   * Log level, as the kernel's: 0 (errors only); 1 (default: the statistics line for an accepted
   * program, else the failing path with each instruction's state, as the kernel rewinds its log);
   * 2 (every path walked, with the `Live regs` header and each path's starting state).
   */
  readonly logLevel?: number;
  /**
   * Start slots of the functions the program's BTF `func_info` describes, all taken as static
   * (global functions, which the kernel verifies on their own, are not modelled). Without it, as
   * without BTF in the kernel, callbacks (`ld_imm64` of a function) are refused.
   */
  readonly funcInfo?: readonly number[];
  /** nr_cpu_ids of the target machine, which bounds `bpf_get_smp_processor_id()`. Default 64. */
  readonly nrCpus?: number;
  /** `prog_flags` (`BPF_F_STRICT_ALIGNMENT` 1, `BPF_F_ANY_ALIGNMENT` 2, `BPF_F_TEST_STATE_FREQ` 8). */
  readonly progFlags?: number;
}

/** Where and why the model rejected a program. */
export interface VerifyError {
  /** Slot index of the instruction the verifier stopped at (-1 when the problem is not at one). */
  readonly insn: number;
  /** The kernel's error line, word for word (or `not modelled: ...` for features outside the model). */
  readonly message: string;
  /** The TypeScript line that created that instruction, when known. */
  readonly source?: SourceLocation;
}

/** Result of {@link verify}. */
export interface VerifyResult {
  /** Whether the program would be accepted. */
  readonly ok: boolean;
  /** Instructions processed, as the kernel's `processed N insns` line counts them. */
  readonly processed: number;
  /** The rejection, when `ok` is false. */
  readonly error?: VerifyError;
  /** The verification log, line by line, in the kernel's format. */
  readonly log: readonly string[];
}
