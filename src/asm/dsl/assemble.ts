/**
 * Labels and `assemble`: turns a nested list of instructions and label markers into the final
 * instruction list with every jump, BPF-to-BPF call and function reference resolved to its
 * offset (counting LD_IMM64 as two slots). Labels become the `symbol` of the instruction they
 * name and references keep their `target`, so later stages (loader, printers) still see the names.
 * @module
 */
import { BadInputError } from '../../errors.js';
import type { SourceLocation } from '../../errors.js';
import type { Instruction } from '../instruction.js';
import { Class, JmpOp, LD_IMM64, PseudoCall, PseudoLd } from '../opcode.js';
import { checkInstruction } from '../validate.js';
import { mapObjectOf } from './imm64.js';
import type { MapRefLike } from './imm64.js';
import { labelName, show } from './operands.js';
import { captureSource, withSourceTracking } from './source.js';

/** A label marker: names the next instruction of the program. Not an instruction itself. */
export interface Label {
  /** The label's name. */
  readonly label: string;
  /** Where the label was written, when source tracking is on. */
  readonly source?: SourceLocation;
}

/** What a program is built from: instructions, labels, and (nested) lists of them. */
export type ProgramItem = Instruction | Label | readonly ProgramItem[];

/** `name:` — a label naming the instruction that follows it. */
export function label(name: string): Label {
  const source = captureSource();
  const l = labelName('label', name, source);
  return source === undefined ? { label: l } : { label: l, source };
}

/** Options of {@link assemble}. */
export interface AssembleOptions {
  /**
   * Source locations: `false` leaves them out of the result (and, when the program is given as a
   * function, does not record them at all, which saves their cost); `true` records them even when
   * {@link setSourceTracking} turned tracking off. Default: the global setting.
   */
  readonly source?: boolean;
}

/** The result of {@link assemble}. */
export interface Assembled {
  /** The instructions, with every label-relative offset filled in. */
  readonly instructions: Instruction[];
  /** The map objects given to `loadMap`/`loadMapValue` (objects only, not bare names), by name. */
  readonly maps: Record<string, MapRefLike>;
  /** Every map name the instructions reference, objects or bare names, in order of first use. */
  readonly mapNames: string[];
}

const isLabel = (v: object): v is Label =>
  typeof (v as Label).label === 'string' && (v as { code?: unknown }).code === undefined;

/** Which field a reference resolves into, and its range. */
function refKind(insn: Instruction): 'off' | 'imm' | undefined {
  const cls = insn.code & 0x07;
  const op = insn.code & 0xf0;
  if (insn.code === LD_IMM64) return insn.src === PseudoLd.FUNC ? 'imm' : undefined;
  if (cls === Class.JMP32) return op === JmpOp.JA ? 'imm' : op === JmpOp.CALL || op === JmpOp.EXIT ? undefined : 'off';
  if (cls !== Class.JMP) return undefined;
  if (op === JmpOp.CALL) return insn.src === PseudoCall.CALL ? 'imm' : undefined;
  return op === JmpOp.EXIT ? undefined : 'off';
}

function near(name: string, known: Iterable<string>): string {
  const hits = [...known].filter((k) => k.toLowerCase().includes(name.toLowerCase()) ||
    name.toLowerCase().includes(k.toLowerCase()) || (k.length > 2 && k.slice(0, 3) === name.slice(0, 3)));
  return hits.length ? `; known labels close to it: ${hits.slice(0, 5).map((h) => `"${h}"`).join(', ')}` : '';
}

/**
 * Flattens `items`, checks every instruction, attaches labels and resolves every `target`.
 * `items` may also be a function returning them, so that `{ source: false }` skips recording
 * source locations for this program. Throws a BadInputError (with the slot index and source
 * location) for an invalid instruction, an unknown or duplicate label, a label with no
 * instruction after it, an offset out of range, or two different map objects with one name.
 */
export function assemble(items: readonly ProgramItem[] | (() => readonly ProgramItem[]), opts: AssembleOptions = {}): Assembled {
  if (typeof items === 'function') {
    const build = items;
    items = opts.source === undefined ? build() : withSourceTracking(opts.source, build);
  }
  const keepSource = opts.source !== false;
  const out: Instruction[] = [];
  const originals: Instruction[] = [];
  const slots: number[] = [];
  const labels = new Map<string, number>(); // name → index in out
  const canonical = new Map<string, string>(); // label → the symbol kept on its instruction
  let pending: Label[] = [];
  let slot = 0;

  const visit = (list: readonly ProgramItem[]): void => {
    for (const item of list) {
      if (Array.isArray(item)) { visit(item); continue; }
      if (typeof item !== 'object' || item === null) {
        throw new BadInputError(`program item at slot ${slot} is not an instruction or a label: ${show(item)}`, { index: slot });
      }
      if (isLabel(item as object)) {
        const l = item as Label;
        labelName('label', l.label, l.source);
        pending.push(l);
        continue;
      }
      const insn = item as Instruction;
      if (typeof insn.code !== 'number') {
        throw new BadInputError(`program item at slot ${slot} is not an instruction or a label: ${show(item)}`, { index: slot });
      }
      const problem = checkInstruction(insn);
      if (problem !== undefined) throw new BadInputError(problem, { index: slot, source: insn.source });
      const names = pending.map((l) => ({ name: l.label, source: l.source }));
      if (insn.symbol !== undefined) names.unshift({ name: insn.symbol, source: insn.source });
      let copy: Instruction = insn;
      if (names.length) {
        const sym = names[0]!.name;
        for (const { name, source } of names) {
          const had = labels.get(name);
          if (had !== undefined) {
            const first = originals[had]?.source;
            throw new BadInputError(`duplicate label "${name}" (first on the instruction at slot ${slots[had] ?? slot}${
              first ? `, ${first.file}:${first.line}` : ''})`, { index: slot, source });
          }
          labels.set(name, out.length);
          canonical.set(name, sym);
        }
        if (insn.symbol !== sym) copy = { ...copy, symbol: sym };
        pending = [];
      }
      if (!keepSource && copy.source !== undefined) {
        const { source: _drop, ...rest } = copy;
        copy = rest;
      }
      originals.push(insn);
      out.push(copy);
      slots.push(slot);
      slot += insn.code === LD_IMM64 ? 2 : 1;
    }
  };
  visit(items);
  if (pending.length) {
    const l = pending[0]!;
    throw new BadInputError(`label "${l.label}" is at the end of the program: no instruction follows it to name`,
      { index: slot, source: l.source });
  }

  const maps: Record<string, MapRefLike> = {};
  const mapNames: string[] = [];
  for (let i = 0; i < out.length; i++) {
    const insn = out[i]!;
    const at = { index: slots[i]!, source: originals[i]!.source };
    if (insn.map !== undefined) {
      if (!mapNames.includes(insn.map)) mapNames.push(insn.map);
      const obj = mapObjectOf(originals[i]!);
      if (obj !== undefined) {
        const had = maps[insn.map];
        if (had !== undefined && had !== obj) {
          throw new BadInputError(`two different map objects are both named "${insn.map}"`, at);
        }
        maps[insn.map] = obj;
      }
    }
    if (insn.target === undefined) continue;
    const kind = refKind(insn);
    if (kind === undefined) throw new BadInputError(`target "${insn.target}" on an instruction that cannot jump or call`, at);
    const to = labels.get(insn.target);
    if (to === undefined) throw new BadInputError(`unknown label "${insn.target}"${near(insn.target, labels.keys())}`, at);
    const rel = slots[to]! - (slots[i]! + 1);
    const name = canonical.get(insn.target)!;
    if (kind === 'off') {
      if (rel < -0x8000 || rel > 0x7fff) {
        const hint = insn.code === (Class.JMP | JmpOp.JA)
          ? 'use gotol, whose offset is 32-bit'
          : 'branch over a gotol instead (invert the condition, then gotol to the label)';
        throw new BadInputError(`jump to "${insn.target}" is ${rel} slots away, beyond the 16-bit offset range (-32768..32767): ${hint}`, at);
      }
      out[i] = { ...insn, off: rel, target: name };
    } else {
      if ((rel | 0) !== rel) throw new BadInputError(`reference to "${insn.target}" is ${rel} slots away, beyond the 32-bit range`, at);
      out[i] = { ...insn, imm: rel, target: name };
    }
  }
  return { instructions: out, maps, mapNames };
}

/** The same as {@link assemble}: `asm.program([...])`. */
export const program: typeof assemble = assemble;
