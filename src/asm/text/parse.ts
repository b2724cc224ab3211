/**
 * `parseAsm`: text to instructions, in the LLVM/kernel-log dialect or the uBPF dialect.
 *
 * Labels: `name:` on its own line or before an instruction. After parsing, every jump, call or
 * `subprog[...]` that names a label gets both the resolved number (`off`, or `imm` for `gotol`,
 * BPF-to-BPF calls and function references; counted in slots from the next instruction) and
 * `target: label`; the labelled instruction gets `symbol: label` (the first label, when several
 * name it; targets then use that first one). A label after the last instruction has nothing to
 * name: jumps to it keep only the number. The uBPF dialect's implicit label `exit` (its first
 * `exit`) becomes a symbol only when something jumps to it, so a program without labels parses to
 * bare instructions that compare equal to `decode`'s output.
 * @module
 */
import type { Instruction } from '../instruction.js';
import { LD_IMM64 } from '../opcode.js';
import { fitSigned, lineError, sourceLines, tokenize } from './lexer.js';
import { LineProblem, parseLlvmInstruction } from './parse-llvm.js';
import type { PendingInstruction } from './parse-llvm.js';
import { parseUbpfInstruction, ubpfWords } from './parse-ubpf.js';

/** Options of {@link parseAsm}. */
export interface ParseAsmOptions {
  /**
   * `llvm` (default): what `llvm-mc -triple=bpfel -mcpu=v4` assembles, plus the kernel verifier
   * log's forms as `disassemble` prints them (also for its `kernel` dialect, with or without the
   * `0: (b7)` prefixes). `ubpf`: the bpf_conformance suite's assembly.
   */
  readonly dialect?: 'llvm' | 'kernel' | 'ubpf';
}

interface Line { n: number; text: string; pending: PendingInstruction; slot: number }

const LABEL = /^([A-Za-z_.$][\w.$]*):(?!\S)\s*/;

function llvmComment(line: string): string {
  return line.replace(/(\/\/|;).*$/, '').replace(/(^|\s)#.*$/, '');
}

/**
 * Parses assembly text into instructions. Throws a `BadInputError` whose message names the line
 * number and quotes the line (and whose `index` is the slot it would take) for anything it cannot
 * read: unknown syntax, a number out of range, an unknown or duplicate label, an offset too far.
 */
export function parseAsm(text: string, opts: ParseAsmOptions = {}): Instruction[] {
  const ubpf = opts.dialect === 'ubpf';
  const labels = new Map<string, number>();
  const labelLine = new Map<string, { n: number; text: string }>();
  const lines: Line[] = [];
  const src = sourceLines(text, ubpf ? (l) => l.replace(/#.*$/, '') : llvmComment);
  // Labels first, so `call name` can tell a local function from a helper of the same name.
  const bodies: { n: number; text: string; body: string; code: number | undefined; names: string[] }[] = [];
  let implicitExit: number | undefined;
  let slot = 0;
  for (const { n, text: t } of src) {
    let body = t;
    let code: number | undefined;
    const names: string[] = [];
    for (let m = LABEL.exec(body); m; m = LABEL.exec(body)) {
      if (labelLine.has(m[1]!)) throw lineError(ubpf ? `Duplicate label (${m[1]})` : `duplicate label ${m[1]}`, n, t);
      labelLine.set(m[1]!, { n, text: t });
      names.push(m[1]!);
      body = body.slice(m[0].length);
    }
    if (!ubpf) {
      const k = /^\d+:\s*(?:\(([0-9a-fA-F]{2})\)\s*)?/.exec(body);
      if (k) { body = body.slice(k[0].length); code = k[1] !== undefined ? parseInt(k[1], 16) : undefined; }
      if (body.startsWith('.')) body = ''; // assembler directives (.text, .globl) carry no instruction
    }
    bodies.push({ n, text: t, body, code, names });
  }
  const isLabel = (name: string): boolean => labelLine.has(name);
  for (const { n, text: t, body, code, names } of bodies) {
    for (const name of names) labels.set(name, slot);
    if (body.trim() === '') continue;
    let pending: PendingInstruction;
    try {
      if (ubpf) {
        const words = ubpfWords(body);
        if (words[0] === 'exit' && implicitExit === undefined) implicitExit = slot;
        pending = parseUbpfInstruction(words);
      } else {
        const tokens = tokenize(body);
        if (tokens === undefined) throw new LineProblem('unexpected character');
        pending = parseLlvmInstruction(tokens.join(' '), { code, isLabel });
        if (code !== undefined && pending.insn.code !== code) {
          throw new LineProblem(`the opcode prefix (${code.toString(16).padStart(2, '0')}) does not match the instruction (${pending.insn.code.toString(16).padStart(2, '0')})`);
        }
      }
    } catch (e) {
      if (e instanceof LineProblem) throw lineError(e.message, n, t, slot);
      throw e;
    }
    lines.push({ n, text: t, pending, slot });
    slot += pending.insn.code === LD_IMM64 ? 2 : 1;
  }
  return resolve(lines, labels, labelLine, slot, implicitExit, ubpf);
}

function resolve(lines: readonly Line[], explicit: ReadonlyMap<string, number>,
  labelLine: ReadonlyMap<string, { n: number; text: string }>, total: number, implicitExit: number | undefined,
  ubpf: boolean): Instruction[] {
  // Recompute label slots in order: a label names the next instruction's slot.
  const labels = new Map<string, number>();
  for (const [name] of labelLine) labels.set(name, explicit.get(name) ?? total);
  // Upstream sets `exit` to the first exit instruction even over an explicit label of that name.
  let exitUsed = false;
  if (implicitExit !== undefined) labels.set('exit', implicitExit);
  const firstLabelAt = new Map<number, string>();
  for (const [name, at] of labels) {
    if (name === 'exit' && implicitExit !== undefined && !labelLine.has('exit')) continue;
    if (!firstLabelAt.has(at)) firstLabelAt.set(at, name);
  }
  const out = lines.map(({ n, text, pending, slot }) => {
    let insn = pending.insn;
    if (pending.ref) {
      const { label, field } = pending.ref;
      const at = labels.get(label);
      if (at === undefined) throw lineError(ubpf ? `Invalid label: ${label}` : `unknown label ${label}`, n, text, slot);
      const rel = at - slot - 1;
      if (field === 'off' && fitSigned(BigInt(rel), 16, false) === undefined) {
        throw lineError(`jump to ${label} is ${rel} slots away, more than a 16-bit offset holds (use gotol)`, n, text, slot);
      }
      if (label === 'exit' && implicitExit !== undefined && at === implicitExit) exitUsed = true;
      const name = at < total ? firstLabelAt.get(at) ?? label : undefined;
      insn = { ...insn, [field]: rel, ...(name !== undefined ? { target: name } : {}) };
    }
    return { insn, slot };
  });
  if (exitUsed && !firstLabelAt.has(implicitExit!)) firstLabelAt.set(implicitExit!, 'exit');
  return out.map(({ insn, slot }) => {
    const name = firstLabelAt.get(slot);
    return name !== undefined ? { ...insn, symbol: name } : insn;
  });
}
