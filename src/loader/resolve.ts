/**
 * Load-time resolution of the symbolic parts of instructions: jump/call labels to offsets, map
 * names to fds (or fd_array indexes), kfunc names to BTF ids. Everything here runs before any
 * syscall, so an unresolved name fails with a BadInputError that names the instruction.
 * @module
 */
import { BadInputError, isNotSupportedError } from '../errors.js';
import type { Instruction } from '../asm/instruction.js';
import { slotOffsets } from '../asm/instruction.js';
import { Class, JmpOp, LD_IMM64, PseudoCall, PseudoLd, classOf, opOf } from '../asm/opcode.js';

/** Map names an instruction list references (LD_IMM64 with a `map` name). */
export function referencedMapNames(insns: readonly Instruction[]): string[] {
  const names = new Set<string>();
  for (const insn of insns) if (insn.code === LD_IMM64 && insn.map !== undefined) names.add(insn.map);
  return [...names];
}

/** Throws a BadInputError for the first map name not in `known`, pointing at its instruction. */
export function checkMapNames(insns: readonly Instruction[], known: ReadonlySet<string>): void {
  const slots = slotOffsets(insns);
  insns.forEach((insn, i) => {
    if (insn.code !== LD_IMM64 || insn.map === undefined || known.has(insn.map)) return;
    const given = [...known];
    throw new BadInputError(
      `map "${insn.map}" is not given (maps option has ${given.length ? given.map((n) => `"${n}"`).join(', ') : 'none'})`,
      { index: slots[i]!, source: insn.source });
  });
}

/** What {@link resolveReferences} needs to know. */
export interface References {
  /** The fd of each map by name. */
  readonly mapFds: ReadonlyMap<string, number>;
  /** The BTF id of a kernel function; throws NotSupportedError when the kernel has none. */
  readonly kfuncId: (name: string) => number;
  /** The fd_array the program is loaded with; MAP_IDX references to named maps are appended. */
  readonly fdArray: number[];
}

/**
 * Returns the instructions with labels turned into offsets, map names into fds (or fd_array
 * indexes for MAP_IDX/MAP_IDX_VALUE) and kfunc names into BTF ids. The result has no symbolic
 * parts left that the kernel would need. The input is not modified.
 */
export function resolveReferences(insns: readonly Instruction[], refs: References): Instruction[] {
  const slots = slotOffsets(insns);
  const labels = new Map<string, number>();
  insns.forEach((insn, i) => { if (insn.symbol !== undefined) labels.set(insn.symbol, slots[i]!); });
  const idxOf = new Map<string, number>();
  return insns.map((insn, i) => {
    const at = { index: slots[i]!, source: insn.source };
    let out: Instruction = insn;
    if (insn.target !== undefined) {
      const to = labels.get(insn.target);
      if (to === undefined) throw new BadInputError(`unknown label "${insn.target}"`, at);
      const rel = to - (slots[i]! + 1);
      const cls = classOf(insn.code);
      const usesImm = insn.code === LD_IMM64 ||
        (cls === Class.JMP && opOf(insn.code) === JmpOp.CALL) ||
        (cls === Class.JMP32 && opOf(insn.code) === JmpOp.JA);
      if (!usesImm && (rel < -32768 || rel > 32767)) {
        throw new BadInputError(`jump to "${insn.target}" is ${rel} slots away: out of the 16-bit offset range`, at);
      }
      out = usesImm ? { ...out, imm: rel } : { ...out, off: rel };
    }
    if (insn.code === LD_IMM64 && insn.map !== undefined) {
      const fd = refs.mapFds.get(insn.map);
      if (fd === undefined) throw new BadInputError(`map "${insn.map}" is not given`, at);
      if (insn.src === PseudoLd.MAP_FD || insn.src === PseudoLd.MAP_VALUE) {
        out = { ...out, imm: fd };
      } else if (insn.src === PseudoLd.MAP_IDX || insn.src === PseudoLd.MAP_IDX_VALUE) {
        let idx = idxOf.get(insn.map);
        if (idx === undefined) {
          idx = refs.fdArray.push(fd) - 1;
          idxOf.set(insn.map, idx);
        }
        out = { ...out, imm: idx };
      } else {
        throw new BadInputError(`map "${insn.map}" on an LD_IMM64 whose src ${insn.src} is not a map reference`, at);
      }
    }
    if (insn.kfunc !== undefined) {
      if (insn.code !== (Class.JMP | JmpOp.CALL) || insn.src !== PseudoCall.KFUNC) {
        throw new BadInputError(`kfunc "${insn.kfunc}" on an instruction that is not a kfunc call`, at);
      }
      let id: number;
      try {
        id = refs.kfuncId(insn.kfunc);
      } catch (e) {
        if (isNotSupportedError(e)) throw new BadInputError(`kfunc "${insn.kfunc}": ${e.reason}`, at);
        throw e;
      }
      out = { ...out, imm: id, off: 0 };
    }
    return out;
  });
}
