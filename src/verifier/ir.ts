/**
 * The verifier's view of a program: one record per 8-byte slot, exactly as the kernel reads
 * `prog->insnsi` (an LD_IMM64 is two slots, the second with code 0 and the high half in `imm`).
 * Fields live in typed arrays so the hot loop reads numbers, not objects.
 * @module
 */
import type { SourceLocation } from '../errors.js';
import type { Instruction } from '../asm/instruction.js';
import { LD_IMM64 } from '../asm/opcode.js';

/** A program split into slots. */
export interface Slots {
  /** Number of slots. */
  readonly len: number;
  /** Opcode byte per slot. */
  readonly code: Uint8Array;
  /** dst_reg (low nibble of byte 1) per slot. */
  readonly dst: Uint8Array;
  /** src_reg (high nibble of byte 1) per slot. */
  readonly src: Uint8Array;
  /** Signed 16-bit offset per slot. */
  readonly off: Int16Array;
  /** Signed 32-bit immediate per slot. */
  readonly imm: Int32Array;
  /** Map name given symbolically on an LD_IMM64 (first slot), when the input was Instructions. */
  readonly mapName: (string | undefined)[];
  /** Where each slot's instruction was written, when known. */
  readonly source: (SourceLocation | undefined)[];
}

function alloc(len: number): Slots {
  return {
    len, code: new Uint8Array(len), dst: new Uint8Array(len), src: new Uint8Array(len),
    off: new Int16Array(len), imm: new Int32Array(len),
    mapName: new Array<string | undefined>(len), source: new Array<SourceLocation | undefined>(len),
  };
}

/** Splits raw bytes (8 per slot, little-endian fields) into slots. `undefined` if the length is not a multiple of 8. */
export function slotsFromBytes(bytes: Uint8Array): Slots | undefined {
  if (bytes.length % 8 !== 0) return undefined;
  const s = alloc(bytes.length / 8);
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < s.len; i++) {
    const b = i * 8;
    s.code[i] = bytes[b]!;
    s.dst[i] = bytes[b + 1]! & 0x0f;
    s.src[i] = bytes[b + 1]! >> 4;
    s.off[i] = dv.getInt16(b + 2, true);
    s.imm[i] = dv.getInt32(b + 4, true);
  }
  return s;
}

/**
 * Expands Instruction values into slots, resolving `target` labels against `symbol`s (a
 * problem, such as an unknown label, comes back as a string). Field values are truncated the way the encoder would (4-bit registers, 16/32-bit fields).
 */
export function slotsFromInstructions(insns: readonly Instruction[]): Slots | string {
  let len = 0;
  const labels = new Map<string, number>();
  for (let k = 0; k < insns.length; k++) {
    const insn = insns[k];
    if (typeof insn !== 'object' || insn === null) return `element ${k} is not an Instruction`;
    if (insn.symbol !== undefined) labels.set(insn.symbol, len);
    len += insn.code === LD_IMM64 ? 2 : 1;
  }
  const s = alloc(len);
  let i = 0;
  for (const insn of insns) {
    s.code[i] = insn.code & 0xff;
    s.dst[i] = insn.dst & 0x0f;
    s.src[i] = insn.src & 0x0f;
    s.off[i] = insn.off;
    s.imm[i] = insn.imm;
    if (insn.target !== undefined) {
      const t = labels.get(insn.target);
      if (t === undefined) return `unknown label '${insn.target}' at insn ${i}`;
      const rel = t - (i + 1);
      const cls = insn.code & 7;
      // Calls, JMP32|JA and function references carry the offset in imm; other jumps in off.
      if ((insn.code & 0xf0) === 0x80 || insn.code === LD_IMM64 || (cls === 6 && (insn.code & 0xf0) === 0)) s.imm[i] = rel;
      else s.off[i] = rel;
    }
    s.mapName[i] = insn.map;
    s.source[i] = insn.source;
    if (insn.code === LD_IMM64) {
      i++;
      s.imm[i] = insn.immHi ?? 0;
      s.source[i] = insn.source;
    }
    i++;
  }
  return s;
}
