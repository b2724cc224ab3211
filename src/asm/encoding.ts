/**
 * Binary encoding of eBPF programs, as the kernel lays them out (`struct bpf_insn`, little-endian):
 *
 * ```
 *  byte 0     1            2..3       4..7
 *      code   dst | src<<4  off (s16)  imm (s32)
 * ```
 * LD_IMM64 takes two slots; the second has only `imm` (the high 32 bits, in `immHi`), all else zero.
 *
 * `encode` writes the numeric fields only. The symbolic parts of an {@link Instruction}
 * (`symbol`, `target`, `map`, `kfunc`) are ignored here: resolving them into `off`/`imm` is the
 * assembler's job and must happen before `encode`.
 * @module
 */
import { BadInputError } from '../errors.js';
import type { Instruction } from './instruction.js';
import { LD_IMM64 } from './opcode.js';
import { checkInstruction } from './validate.js';

/** Bytes of one instruction slot. */
export const SLOT_BYTES = 8;

/**
 * Encodes instructions into the kernel's byte layout. Every instruction is validated first
 * (see `validateInstruction`); the first invalid one throws a `BadInputError` whose index counts
 * slots. Symbolic fields are not looked at: only `code, dst, src, off, imm, immHi` are written.
 */
export function encode(insns: readonly Instruction[]): Uint8Array {
  const n = insns.length;
  let slots = n;
  for (let i = 0; i < n; i++) if (insns[i]!.code === LD_IMM64) slots++;
  const out = new Uint8Array(slots * SLOT_BYTES);
  const view = new DataView(out.buffer);
  let p = 0;
  for (let i = 0; i < n; i++) {
    const insn = insns[i]!;
    const problem = checkInstruction(insn);
    if (problem !== undefined) throw new BadInputError(problem, { index: p / SLOT_BYTES, source: insn.source });
    out[p] = insn.code;
    out[p + 1] = insn.dst | (insn.src << 4);
    view.setInt16(p + 2, insn.off, true);
    view.setInt32(p + 4, insn.imm, true);
    p += SLOT_BYTES;
    if (insn.code === LD_IMM64) {
      // The second slot's other bytes stay zero, as the fresh buffer holds them.
      view.setInt32(p + 4, insn.immHi ?? 0, true);
      p += SLOT_BYTES;
    }
  }
  return out;
}

/** Options of {@link decode}. */
export interface DecodeOptions {
  /**
   * Check every instruction (default `true`). With `false`, `decode` only splits slots, so a
   * program the kernel would reject can still be read (the verifier model needs that):
   *
   * - each field is taken as it is (`dst`/`src` 0-15, any opcode);
   * - an LD_IMM64 opcode always takes the next slot as its second half. If that slot has a
   *   non-zero `code`, `dst`, `src` or `off` (the kernel: "invalid bpf_ld_imm64 insn"), the
   *   instruction comes back **without `immHi`**, and the second slot's contents are dropped;
   * - an LD_IMM64 opcode in the last slot (no second half) also comes back without `immHi`;
   *   it is the last instruction, and `slotOffsets` counts it as two slots, one more than the bytes.
   *
   * So with `validate: false`, a missing `immHi` on LD_IMM64 means "the kernel rejects this
   * instruction as an invalid ld_imm64"; with validation on, every LD_IMM64 has `immHi`.
   */
  readonly validate?: boolean;
}

/**
 * Decodes the kernel's byte layout into instructions; the exact inverse of {@link encode}.
 * Every result has exactly the raw fields `code, dst, src, off, imm`, and `immHi` on LD_IMM64 only,
 * so `decode(encode(x))` deep-equals `x` for raw instructions. Throws a `BadInputError` naming the
 * slot index for a length that is not a multiple of 8, and (unless `validate: false`) for the
 * first invalid instruction.
 */
export function decode(bytes: Uint8Array, opts: DecodeOptions = {}): Instruction[] {
  const validate = opts.validate ?? true;
  const len = bytes.length;
  if (len % SLOT_BYTES !== 0) {
    throw new BadInputError(`program length must be a multiple of ${SLOT_BYTES} bytes, got ${len}`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, len);
  // Sized for the worst case (no LD_IMM64) and trimmed at the end: no regrowth while filling.
  const out = new Array<Instruction>(len / SLOT_BYTES);
  let n = 0;
  for (let p = 0; p < len; p += SLOT_BYTES) {
    const code = bytes[p]!;
    const regs = bytes[p + 1]!;
    const dst = regs & 0x0f;
    const src = regs >> 4;
    const off = view.getInt16(p + 2, true);
    const imm = view.getInt32(p + 4, true);
    let insn: Instruction;
    if (code === LD_IMM64) {
      const index = p / SLOT_BYTES;
      if (p + SLOT_BYTES >= len) {
        if (validate) throw new BadInputError('LD_IMM64 has no second slot: the program ends', { index });
        out[n++] = { code, dst, src, off, imm };
        break;
      }
      p += SLOT_BYTES;
      // Bytes 0..3 of the second slot: code, regs and off must all be zero.
      if (view.getUint32(p, true) !== 0) {
        if (validate) {
          throw new BadInputError(`LD_IMM64: the second slot must be zero except imm, got code ${bytes[p]}, ` +
            `dst ${bytes[p + 1]! & 0x0f}, src ${bytes[p + 1]! >> 4}, off ${view.getInt16(p + 2, true)}`, { index });
        }
        out[n++] = { code, dst, src, off, imm };
        continue;
      }
      insn = { code, dst, src, off, imm, immHi: view.getInt32(p + 4, true) };
      if (validate) {
        const problem = checkInstruction(insn);
        if (problem !== undefined) throw new BadInputError(problem, { index });
      }
    } else {
      insn = { code, dst, src, off, imm };
      if (validate) {
        const problem = checkInstruction(insn);
        if (problem !== undefined) throw new BadInputError(problem, { index: p / SLOT_BYTES });
      }
    }
    out[n++] = insn;
  }
  out.length = n;
  return out;
}
