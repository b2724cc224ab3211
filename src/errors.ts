/**
 * The error kinds of ts-ebpf. Each has a stable `name` and an `isX()` guard that checks the name,
 * not the prototype, so two copies of the package (or a structured clone) still agree.
 * @module
 */

/** Where in the user's TypeScript an instruction was created. */
export interface SourceLocation {
  /** File path or URL as it appears in the stack trace. */
  readonly file: string;
  /** 1-based line. */
  readonly line: number;
  /** 1-based column. */
  readonly column: number;
}

/** Formats a source location as `file:line:column`. */
export function formatSource(loc: SourceLocation | undefined): string {
  return loc ? `${loc.file}:${loc.line}:${loc.column}` : '';
}

/** Base class of every error ts-ebpf throws on purpose. */
export class EbpfError extends Error {
  override name: string = 'EbpfError';
}

/** Checks whether a value is any ts-ebpf error. */
export function isEbpfError(e: unknown): e is EbpfError {
  return e instanceof Error && typeof e.name === 'string' &&
    ['EbpfError', 'BadInputError', 'NotSupportedError', 'UnsupportedPlatformError',
      'BpfSyscallError', 'VerifierError', 'ModelRejectionError', 'ModelDisagreementError'].includes(e.name);
}

/** Details attached to a {@link BadInputError}. */
export interface BadInputDetails {
  /** Instruction index (in 8-byte slots) the problem is at, when it is about an instruction. */
  readonly index?: number;
  /** The TypeScript line that created the instruction, when known. */
  readonly source?: SourceLocation;
}

/** Input that cannot be valid: a bad operand, an unknown label, a reserved encoding, a bad spec. */
export class BadInputError extends EbpfError {
  override name = 'BadInputError';
  /** Instruction index (in 8-byte slots), when the problem is about an instruction. */
  readonly index: number | undefined;
  /** The TypeScript line that created the offending instruction, when known. */
  readonly source: SourceLocation | undefined;
  /** The problem alone, without the index or source prefix. */
  readonly problem: string;

  constructor(problem: string, details: BadInputDetails = {}) {
    const where = [
      details.index !== undefined ? `insn ${details.index}` : '',
      details.source ? `at ${formatSource(details.source)}` : '',
    ].filter(Boolean).join(' ');
    super(where ? `${where}: ${problem}` : problem);
    this.problem = problem;
    this.index = details.index;
    this.source = details.source;
  }
}

/** Checks whether a value is a {@link BadInputError}. */
export function isBadInputError(e: unknown): e is BadInputError {
  return e instanceof Error && e.name === 'BadInputError';
}

/** A feature this kernel, platform or version of ts-ebpf does not support, and why. */
export class NotSupportedError extends EbpfError {
  override name = 'NotSupportedError';
  /** The feature that is not supported, e.g. `kprobe attach` or `map type arena`. */
  readonly feature: string;
  /** Why it is not supported. */
  readonly reason: string;

  constructor(feature: string, reason: string) {
    super(`${feature} is not supported: ${reason}`);
    this.feature = feature;
    this.reason = reason;
  }
}

/** Checks whether a value is a {@link NotSupportedError}. */
export function isNotSupportedError(e: unknown): e is NotSupportedError {
  return e instanceof Error && (e.name === 'NotSupportedError' || e.name === 'UnsupportedPlatformError');
}

/** The loader cannot work on this platform (not Linux, or ffi-rs missing). asm and verify still work. */
export class UnsupportedPlatformError extends NotSupportedError {
  override name = 'UnsupportedPlatformError';
}

/** Checks whether a value is an {@link UnsupportedPlatformError}. */
export function isUnsupportedPlatformError(e: unknown): e is UnsupportedPlatformError {
  return e instanceof Error && e.name === 'UnsupportedPlatformError';
}

/** A `bpf()` or libc call failed. */
export class BpfSyscallError extends EbpfError {
  override name = 'BpfSyscallError';
  /** The command or call, e.g. `BPF_MAP_CREATE` or `perf_event_open`. */
  readonly command: string;
  /** The errno number. */
  readonly errno: number;
  /** The errno name, e.g. `EPERM`. */
  readonly code: string;
  /** What usually causes this errno for this command. */
  readonly hint: string | undefined;

  constructor(command: string, errno: number, code: string, hint?: string) {
    super(`${command} failed: ${code} (errno ${errno})${hint ? `: ${hint}` : ''}`);
    this.command = command;
    this.errno = errno;
    this.code = code;
    this.hint = hint;
  }
}

/** Checks whether a value is a {@link BpfSyscallError}. */
export function isBpfSyscallError(e: unknown): e is BpfSyscallError {
  return e instanceof Error && e.name === 'BpfSyscallError';
}

/** Details of a rejection, by the kernel or by the model. */
export interface RejectionDetails {
  /** Index (in 8-byte slots) of the instruction the verifier stopped at, when known. */
  readonly insn?: number;
  /** The TypeScript line that created that instruction, when known. */
  readonly source?: SourceLocation;
}

/** One side's verdict on a program: the verifier model's or the kernel's. */
export interface Verdict {
  /** Whether this side accepts the program. */
  readonly accepted: boolean;
  /** The error line, when it rejects (the kernel's words; the model's may be `not modelled: ...`). */
  readonly message?: string;
  /** Index (in 8-byte slots) of the instruction it stopped at, when known. */
  readonly insn?: number;
  /** The TypeScript line that created that instruction, when known. */
  readonly source?: SourceLocation;
  /** Instructions processed (`processed N insns`), when known. */
  readonly processed?: number;
}

/** Formats a rejecting verdict's place and line: ` at insn 3 (at f.ts:1:2): R0 !read_ok`, or `: line`. */
function verdictText(v: Verdict): string {
  const where = [
    v.insn !== undefined && v.insn >= 0 ? `at insn ${v.insn}` : '',
    v.source ? `(at ${formatSource(v.source)})` : '',
  ].filter(Boolean).join(' ');
  return `${where ? ` ${where}` : ''}: ${v.message ?? ''}`;
}

/** Details of a kernel rejection: {@link RejectionDetails} plus the verifier model's verdict when it ran. */
export interface VerifierErrorDetails extends RejectionDetails {
  /** The verifier model's verdict on the same program, when `loadProgram` ran it first. */
  readonly model?: Verdict;
}

/** The kernel's verifier refused a program. `log` holds the whole verifier log. */
export class VerifierError extends EbpfError {
  override name = 'VerifierError';
  /** The kernel's error line, e.g. `R0 !read_ok`. */
  readonly kernelMessage: string;
  /** The whole verifier log, line by line. */
  readonly log: readonly string[];
  /** The errno of BPF_PROG_LOAD (e.g. EACCES, EINVAL). */
  readonly code: string;
  /** Index (in 8-byte slots) of the failing instruction, when the log names it. */
  readonly insn: number | undefined;
  /** The TypeScript line that created the failing instruction, when known. */
  readonly source: SourceLocation | undefined;
  /** The verifier model's verdict (a rejection too), when `loadProgram` ran the model first. */
  readonly model: Verdict | undefined;

  constructor(kernelMessage: string, log: readonly string[], code: string, details: VerifierErrorDetails = {}) {
    const where = [
      details.insn !== undefined ? `insn ${details.insn}` : '',
      details.source ? `at ${formatSource(details.source)}` : '',
    ].filter(Boolean).join(' ');
    const m = details.model;
    const sameLine = m !== undefined && m.message === kernelMessage && (m.insn === undefined || m.insn === details.insn);
    const modelNote = m === undefined ? ''
      : sameLine ? '; the verifier model rejects it too, with the same line'
        : m.message?.startsWith('not modelled') ? `; the verifier model does not cover it${verdictText(m)}`
          : `; the verifier model rejects it too${verdictText(m)}`;
    super(`program rejected by the kernel verifier (${code})${where ? ` ${where}` : ''}: ${kernelMessage}${modelNote}`);
    this.kernelMessage = kernelMessage;
    this.log = log;
    this.code = code;
    this.insn = details.insn;
    this.source = details.source;
    this.model = m;
  }
}

/** Checks whether a value is a {@link VerifierError}. */
export function isVerifierError(e: unknown): e is VerifierError {
  return e instanceof Error && e.name === 'VerifierError';
}

/** The in-process verifier model refused a program, in the kernel's words. */
export class ModelRejectionError extends EbpfError {
  override name = 'ModelRejectionError';
  /** The kernel-compatible error line. */
  readonly kernelMessage: string;
  /** Index (in 8-byte slots) of the failing instruction. */
  readonly insn: number | undefined;
  /** The TypeScript line that created the failing instruction, when known. */
  readonly source: SourceLocation | undefined;

  constructor(kernelMessage: string, details: RejectionDetails = {}) {
    const where = [
      details.insn !== undefined ? `insn ${details.insn}` : '',
      details.source ? `at ${formatSource(details.source)}` : '',
    ].filter(Boolean).join(' ');
    super(`program rejected by the verifier model${where ? ` ${where}` : ''}: ${kernelMessage}`);
    this.kernelMessage = kernelMessage;
    this.insn = details.insn;
    this.source = details.source;
  }
}

/** Checks whether a value is a {@link ModelRejectionError}. */
export function isModelRejectionError(e: unknown): e is ModelRejectionError {
  return e instanceof Error && e.name === 'ModelRejectionError';
}

/**
 * The verifier model and the kernel gave different verdicts on the same program (`loadProgram`
 * with `verify`). Both verdicts are kept; when the kernel rejected, `cause` is its VerifierError.
 */
export class ModelDisagreementError extends EbpfError {
  override name = 'ModelDisagreementError';
  /** The verifier model's verdict. */
  readonly model: Verdict;
  /** The kernel's verdict. */
  readonly kernel: Verdict;
  /** The kernel's verifier log, when it rejected (empty otherwise). */
  readonly kernelLog: readonly string[];

  constructor(model: Verdict, kernel: Verdict, kernelLog: readonly string[] = [], options?: { cause?: unknown }) {
    const [yes, no] = model.accepted ? ['model', 'kernel'] : ['kernel', 'model'];
    const rejecting = model.accepted ? kernel : model;
    super(`the verifier model and the kernel disagree: the ${yes} accepts the program, the ${no} rejects it${verdictText(rejecting)}`,
      options?.cause !== undefined ? { cause: options.cause } : undefined);
    this.model = model;
    this.kernel = kernel;
    this.kernelLog = kernelLog;
  }
}

/** Checks whether a value is a {@link ModelDisagreementError}. */
export function isModelDisagreementError(e: unknown): e is ModelDisagreementError {
  return e instanceof Error && e.name === 'ModelDisagreementError';
}
