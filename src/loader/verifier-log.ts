/**
 * Reading the kernel verifier's log: which line is the error, and which instruction it is about.
 * Pure text handling, so it is tested without a kernel.
 * @module
 */

/** What {@link parseVerifierLog} finds in a verifier log. */
export interface ParsedVerifierLog {
  /** The log split into lines, without the trailing empty line and NUL padding. */
  readonly lines: readonly string[];
  /**
   * The kernel's error line: the last non-empty line before the `processed N insns` summary (or
   * the last non-empty line when there is no summary). Empty when the log is empty.
   */
  readonly kernelMessage: string;
  /** Index (in 8-byte slots) of the instruction the error is about, when the log names one. */
  readonly insn: number | undefined;
}

// The summary do_check() prints after the run, on success and on failure alike.
const PROCESSED = /^processed \d+ insns \(limit \d+\)/;
// Lines print_verification_stats() puts before the summary when BPF_LOG_STATS is on.
const STATS = /^(verification time \d+ usec|stack depth [\d+]+)$/;
// An instruction as do_check() prints it at log level 1 and above: `12: (85) call ...`.
const INSN_LINE = /^(\d+): \([0-9a-f]{2}\)/;
// Errors found before the walk (CFG checks) name the instruction in the message itself.
const MESSAGE_INSN = [
  /^unreachable insn (\d+)/,
  /^jump out of range from insn (\d+) to -?\d+/,
  /^back-edge from insn (\d+) to \d+/,
  /^infinite loop detected at insn (\d+)/,
  /^insn (\d+) cannot/,
];

/** Splits the raw log (as the kernel wrote it, NUL-terminated) into lines. */
export function splitLog(raw: string): string[] {
  const nul = raw.indexOf('\0');
  const text = nul >= 0 ? raw.slice(0, nul) : raw;
  const lines = text.split('\n');
  while (lines.length > 0 && lines[lines.length - 1] === '') lines.pop();
  return lines;
}

/**
 * Finds the error line and the failing instruction in a verifier log.
 * @param log The log as one string (NUL padding is ignored) or as lines.
 */
export function parseVerifierLog(log: string | readonly string[]): ParsedVerifierLog {
  const lines = typeof log === 'string' ? splitLog(log) : [...log];
  let end = lines.length;
  for (let i = lines.length - 1; i >= 0; i--) {
    if (PROCESSED.test(lines[i]!)) { end = i; break; }
  }
  let msgIndex = -1;
  for (let i = end - 1; i >= 0; i--) {
    const line = lines[i]!.trim();
    if (line === '' || STATS.test(line)) continue;
    msgIndex = i;
    break;
  }
  const kernelMessage = msgIndex >= 0 ? lines[msgIndex]!.trim() : '';
  return { lines, kernelMessage, insn: failingInsn(lines, msgIndex, kernelMessage) };
}

function failingInsn(lines: readonly string[], msgIndex: number, message: string): number | undefined {
  for (const re of MESSAGE_INSN) {
    const m = re.exec(message);
    if (m) return Number(m[1]);
  }
  // At level 1 and 2 the verifier prints each instruction before checking it, so the last one
  // printed before the error line is the one that failed.
  for (let i = msgIndex; i >= 0; i--) {
    const m = INSN_LINE.exec(lines[i]!);
    if (m) return Number(m[1]);
  }
  return undefined;
}
