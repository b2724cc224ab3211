/**
 * Whether one instruction is a valid eBPF encoding: RFC 9669 plus the Linux 6.18 extensions
 * (sdiv/smod, movsx, bswap, gotol, may_goto, kfunc calls, addr_space_cast, load-acquire and
 * store-release), and `callx` (`JMP|CALL|X`, register in `dst`) which the bpf_conformance suite
 * uses and the kernel rejects.
 *
 * Reserved fields are checked where Linux 6.18 checks them (verifier.c `check_alu_op`,
 * `do_check_insn`, `check_cond_jmp_op`, `check_ld_imm`, `check_ld_abs`, `check_atomic`,
 * `resolve_pseudo_ldimm64` and core.c `bpf_opcode_in_insntable`), so what passes here passes the
 * kernel's encoding checks. One place the RFC is stricter: the kernel never looks at `off` of
 * EXIT, so neither does this.
 *
 * Deliberately not checked, because they are facts about values, not encodings, and belong to the
 * verifier model (which must report them in the kernel's order and words): division by an
 * immediate zero, shift immediates out of range, jump targets, helper ids, map fds.
 * @module
 */
import { BadInputError } from '../errors.js';
import type { Instruction } from './instruction.js';
import {
  AluOp, AtomicOp, Class, JmpOp, LD_IMM64, Mode, PseudoCall, PseudoLd, Size, Source,
} from './opcode.js';

const CLASS_NAMES = ['LD', 'LDX', 'ST', 'STX', 'ALU', 'JMP', 'JMP32', 'ALU64'];
const ALU_NAMES = ['ADD', 'SUB', 'MUL', 'DIV', 'OR', 'AND', 'LSH', 'RSH', 'NEG', 'MOD', 'XOR', 'MOV', 'ARSH', 'END'];
const JMP_NAMES = ['JA', 'JEQ', 'JGT', 'JGE', 'JSET', 'JNE', 'JSGT', 'JSGE', 'CALL', 'EXIT', 'JLT', 'JLE',
  'JSLT', 'JSLE', 'JCOND'];
const SIZE_NAMES = ['W', 'H', 'B', 'DW'];
const MODE_NAMES = ['IMM', 'ABS', 'IND', 'MEM', 'MODE(0x80)', 'MODE(0xa0)', 'ATOMIC', 'MODE(0xe0)'];
const MODE_NAMES_LDX = ['IMM', 'ABS', 'IND', 'MEM', 'MEMSX', 'MODE(0xa0)', 'ATOMIC', 'MODE(0xe0)'];

const ATOMIC_NAMES: Readonly<Record<number, string>> = {
  [AtomicOp.ADD]: 'ADD', [AtomicOp.OR]: 'OR', [AtomicOp.AND]: 'AND', [AtomicOp.XOR]: 'XOR',
  [AtomicOp.ADD | AtomicOp.FETCH]: 'FETCH ADD', [AtomicOp.OR | AtomicOp.FETCH]: 'FETCH OR',
  [AtomicOp.AND | AtomicOp.FETCH]: 'FETCH AND', [AtomicOp.XOR | AtomicOp.FETCH]: 'FETCH XOR',
  [AtomicOp.XCHG]: 'XCHG', [AtomicOp.CMPXCHG]: 'CMPXCHG',
  [AtomicOp.LOAD_ACQ]: 'LOAD_ACQ', [AtomicOp.STORE_REL]: 'STORE_REL',
};

const hex = (n: number): string => `0x${(n >>> 0).toString(16).padStart(2, '0')}`;

/** A readable name of the instruction's opcode, e.g. `ALU64 ADD with immediate`; for messages. */
export function describeOpcode(insn: Pick<Instruction, 'code' | 'imm' | 'src'>): string {
  const { code } = insn;
  const cls = code & 0x07;
  const op = code >> 4;
  const isX = (code & Source.X) !== 0;
  switch (cls) {
    case Class.ALU: case Class.ALU64: {
      if (op === AluOp.END >> 4) {
        if (cls === Class.ALU64) return isX ? 'ALU64 END with register' : 'ALU64 BSWAP';
        return isX ? 'ALU END (to big-endian)' : 'ALU END (to little-endian)';
      }
      const name = ALU_NAMES[op] ?? `OP(${hex(op << 4)})`;
      return `${CLASS_NAMES[cls]} ${name} with ${isX ? 'register' : 'immediate'}`;
    }
    case Class.JMP: case Class.JMP32: {
      const c = CLASS_NAMES[cls]!;
      if (code === (Class.JMP | JmpOp.CALL)) return 'CALL';
      if (code === (Class.JMP | JmpOp.CALL | Source.X)) return 'CALLX';
      if (code === (Class.JMP | JmpOp.EXIT)) return 'EXIT';
      if (code === (Class.JMP | JmpOp.JA)) return 'JA';
      if (code === (Class.JMP32 | JmpOp.JA)) return 'JMP32 JA (gotol)';
      if (code === (Class.JMP | JmpOp.JCOND)) return 'JCOND (may_goto)';
      const name = JMP_NAMES[op] ?? `OP(${hex(op << 4)})`;
      return `${c} ${name} with ${isX ? 'register' : 'immediate'}`;
    }
    default: {
      if (code === LD_IMM64) return 'LD_IMM64';
      const size = SIZE_NAMES[(code >> 3) & 3]!;
      const mode = (cls === Class.LDX ? MODE_NAMES_LDX : MODE_NAMES)[code >> 5]!;
      const base = `${CLASS_NAMES[cls]} ${mode} ${size}`;
      if (cls === Class.STX && (code & 0xe0) === Mode.ATOMIC) {
        const a = ATOMIC_NAMES[insn.imm];
        return a ? `${base} ${a}` : base;
      }
      return base;
    }
  }
}

const bad = (insn: Instruction, field: string, expected: string, got: number | string): string =>
  `${describeOpcode(insn)}: ${field} must be ${expected}, got ${got}`;

const unknown = (insn: Instruction, why: string): string => `unknown opcode ${hex(insn.code)} (${why})`;

/** Register that is read: 0-10. */
const readReg = (insn: Instruction, field: 'dst' | 'src', r: number): string | undefined =>
  r > 10 ? bad(insn, field, 'a register r0-r10', r) : undefined;

/** Register that is written: 0-9 (R10 is the read-only frame pointer). */
const writeReg = (insn: Instruction, field: 'dst' | 'src', r: number): string | undefined =>
  r > 10 ? bad(insn, field, 'a register r0-r10', r)
    : r === 10 ? `${describeOpcode(insn)}: ${field} cannot be r10, the read-only frame pointer` : undefined;

// Each test is true only for a number that is an integer in range (NaN, fractions, bigints, strings
// and undefined all fail), in one or two int32 operations: this runs for every instruction encoded.
const isU8 = (v: number): boolean => typeof v === 'number' && (v & 0xff) === v;
const isU4 = (v: number): boolean => typeof v === 'number' && (v & 0x0f) === v;
const isS16 = (v: number): boolean => typeof v === 'number' && ((v << 16) >> 16) === v;
const isS32 = (v: number): boolean => typeof v === 'number' && (v | 0) === v;

function checkFields(insn: Instruction): string | undefined {
  if (!isU8(insn.code)) return `code must be an integer 0-255, got ${String(insn.code)}`;
  if (!isU4(insn.dst)) return `dst must be an integer 0-15, got ${String(insn.dst)}`;
  if (!isU4(insn.src)) return `src must be an integer 0-15, got ${String(insn.src)}`;
  if (!isS16(insn.off)) return `off must be a signed 16-bit integer, got ${String(insn.off)}`;
  if (!isS32(insn.imm)) return `imm must be a signed 32-bit integer, got ${String(insn.imm)}`;
  if (insn.immHi !== undefined) {
    if (!isS32(insn.immHi)) return `immHi must be a signed 32-bit integer, got ${String(insn.immHi)}`;
    if (insn.code !== LD_IMM64 && insn.immHi !== 0) {
      return `${describeOpcode(insn)}: immHi is only for LD_IMM64, got ${insn.immHi}`;
    }
  }
  return undefined;
}

function checkAlu(insn: Instruction): string | undefined {
  const { code, src, off, imm } = insn;
  const cls = code & 0x07;
  const op = code & 0xf0;
  const isX = (code & Source.X) !== 0;
  if (op > AluOp.END) return unknown(insn, `no ALU operation ${hex(op)}`);
  if (op === AluOp.NEG) {
    if (isX) return unknown(insn, 'NEG has no register form');
    if (src !== 0) return bad(insn, 'src', '0', src);
    if (off !== 0) return bad(insn, 'off', '0', off);
    if (imm !== 0) return bad(insn, 'imm', '0', imm);
  } else if (op === AluOp.END) {
    if (cls === Class.ALU64 && isX) return unknown(insn, 'ALU64 byte swap has no to-big-endian form');
    if (src !== 0) return bad(insn, 'src', '0', src);
    if (off !== 0) return bad(insn, 'off', '0', off);
    if (imm !== 16 && imm !== 32 && imm !== 64) return bad(insn, 'imm', '16, 32 or 64', imm);
  } else if (op === AluOp.MOV) {
    if (!isX) {
      if (src !== 0) return bad(insn, 'src', '0', src);
      if (off !== 0) return bad(insn, 'off', '0', off);
    } else if (cls === Class.ALU) {
      if (off !== 0 && off !== 8 && off !== 16) return bad(insn, 'off', '0, 8 or 16 (movsx)', off);
      if (imm !== 0) return bad(insn, 'imm', '0', imm);
    } else if (off === 1) {
      if (imm !== 1 && imm !== 1 << 16) return bad(insn, 'imm', '1 or 65536 (addr_space_cast)', imm);
    } else {
      if (off !== 0 && off !== 8 && off !== 16 && off !== 32) {
        return bad(insn, 'off', '0, 8, 16, 32 (movsx) or 1 (addr_space_cast)', off);
      }
      if (imm !== 0) return bad(insn, 'imm', '0', imm);
    }
    if (isX) { const e = readReg(insn, 'src', src); if (e) return e; }
  } else {
    if (isX) {
      if (imm !== 0) return bad(insn, 'imm', '0', imm);
      const e = readReg(insn, 'src', src); if (e) return e;
    } else if (src !== 0) {
      return bad(insn, 'src', '0', src);
    }
    if (off !== 0 && !(off === 1 && (op === AluOp.DIV || op === AluOp.MOD))) {
      return bad(insn, 'off', op === AluOp.DIV || op === AluOp.MOD ? '0 or 1 (signed)' : '0', off);
    }
  }
  return writeReg(insn, 'dst', insn.dst);
}

function checkJmp(insn: Instruction): string | undefined {
  const { code, dst, src, off, imm } = insn;
  const cls = code & 0x07;
  const op = code & 0xf0;
  const isX = (code & Source.X) !== 0;
  switch (op) {
    case JmpOp.CALL:
      if (cls === Class.JMP32) return unknown(insn, 'no JMP32 CALL');
      if (isX) { // callx: the register holding the target is in dst
        if (src !== 0) return bad(insn, 'src', '0', src);
        if (off !== 0) return bad(insn, 'off', '0', off);
        if (imm !== 0) return bad(insn, 'imm', '0', imm);
        return readReg(insn, 'dst', dst);
      }
      if (dst !== 0) return bad(insn, 'dst', '0', dst);
      if (src !== PseudoCall.HELPER && src !== PseudoCall.CALL && src !== PseudoCall.KFUNC) {
        return bad(insn, 'src', '0 (helper), 1 (BPF-to-BPF call) or 2 (kfunc)', src);
      }
      if (src !== PseudoCall.KFUNC && off !== 0) return bad(insn, 'off', '0', off);
      return undefined;
    case JmpOp.EXIT:
      if (cls === Class.JMP32) return unknown(insn, 'no JMP32 EXIT');
      if (isX) return unknown(insn, 'EXIT has no register form');
      if (dst !== 0) return bad(insn, 'dst', '0', dst);
      if (src !== 0) return bad(insn, 'src', '0', src);
      if (imm !== 0) return bad(insn, 'imm', '0', imm);
      return undefined;
    case JmpOp.JA:
      if (isX) return unknown(insn, 'JA has no register form');
      if (dst !== 0) return bad(insn, 'dst', '0', dst);
      if (src !== 0) return bad(insn, 'src', '0', src);
      if (cls === Class.JMP && imm !== 0) return bad(insn, 'imm', '0', imm);
      if (cls === Class.JMP32 && off !== 0) return bad(insn, 'off', '0 (gotol jumps by imm)', off);
      return undefined;
    case JmpOp.JCOND:
      if (cls === Class.JMP32 || isX) return unknown(insn, 'only JMP|JCOND|K (may_goto) exists');
      if (src !== 0) return bad(insn, 'src', '0 (may_goto)', src);
      if (dst !== 0) return bad(insn, 'dst', '0', dst);
      if (imm !== 0) return bad(insn, 'imm', '0', imm);
      return undefined;
    case 0xf0:
      return unknown(insn, `no jump operation ${hex(op)}`);
    default:
      if (isX) {
        if (imm !== 0) return bad(insn, 'imm', '0', imm);
        const e = readReg(insn, 'src', src); if (e) return e;
      } else if (src !== 0) {
        return bad(insn, 'src', '0', src);
      }
      return readReg(insn, 'dst', dst);
  }
}

function checkLd(insn: Instruction): string | undefined {
  const { code, dst, src, off } = insn;
  if (code === LD_IMM64) {
    if (off !== 0) return bad(insn, 'off', '0', off);
    if (src > PseudoLd.MAP_IDX_VALUE) return bad(insn, 'src', 'a pseudo source 0-6', src);
    if ((src === PseudoLd.MAP_FD || src === PseudoLd.MAP_IDX) && (insn.immHi ?? 0) !== 0) {
      return bad(insn, 'immHi', '0 for a map reference without value offset', insn.immHi ?? 0);
    }
    return writeReg(insn, 'dst', dst);
  }
  const mode = code & 0xe0;
  if ((mode !== Mode.ABS && mode !== Mode.IND) || (code & 0x18) === Size.DW) {
    return unknown(insn, 'LD is only LD_IMM64 (0x18) or ABS/IND with size B, H or W');
  }
  if (dst !== 0) return bad(insn, 'dst', '0', dst);
  if (off !== 0) return bad(insn, 'off', '0', off);
  if (mode === Mode.ABS) return src !== 0 ? bad(insn, 'src', '0', src) : undefined;
  return readReg(insn, 'src', src);
}

function checkMem(insn: Instruction): string | undefined {
  const { code, dst, src, imm } = insn;
  const cls = code & 0x07;
  const mode = code & 0xe0;
  const size = code & 0x18;
  if (cls === Class.LDX) {
    if (mode !== Mode.MEM && mode !== Mode.MEMSX) return unknown(insn, 'LDX is only MEM or MEMSX');
    if (mode === Mode.MEMSX && size === Size.DW) return unknown(insn, 'no 64-bit sign-extending load');
    if (imm !== 0) return bad(insn, 'imm', '0', imm);
    return writeReg(insn, 'dst', dst) ?? readReg(insn, 'src', src);
  }
  if (cls === Class.ST) {
    if (mode !== Mode.MEM) return unknown(insn, 'ST is only MEM');
    if (src !== 0) return bad(insn, 'src', '0', src);
    return readReg(insn, 'dst', dst);
  }
  // STX
  if (mode === Mode.MEM) {
    if (imm !== 0) return bad(insn, 'imm', '0', imm);
    return readReg(insn, 'dst', dst) ?? readReg(insn, 'src', src);
  }
  if (mode !== Mode.ATOMIC) return unknown(insn, 'STX is only MEM or ATOMIC');
  switch (imm) {
    case AtomicOp.LOAD_ACQ:
      return writeReg(insn, 'dst', dst) ?? readReg(insn, 'src', src);
    case AtomicOp.STORE_REL:
      return readReg(insn, 'dst', dst) ?? readReg(insn, 'src', src);
    case AtomicOp.ADD: case AtomicOp.OR: case AtomicOp.AND: case AtomicOp.XOR: case AtomicOp.CMPXCHG:
      if (size !== Size.W && size !== Size.DW) return bad(insn, 'size', 'W or DW for read-modify-write', SIZE_NAMES[size >> 3]!);
      return readReg(insn, 'dst', dst) ?? readReg(insn, 'src', src);
    case AtomicOp.ADD | AtomicOp.FETCH: case AtomicOp.OR | AtomicOp.FETCH:
    case AtomicOp.AND | AtomicOp.FETCH: case AtomicOp.XOR | AtomicOp.FETCH: case AtomicOp.XCHG:
      if (size !== Size.W && size !== Size.DW) return bad(insn, 'size', 'W or DW for read-modify-write', SIZE_NAMES[size >> 3]!);
      // The old value is loaded into src, so src is written.
      return readReg(insn, 'dst', dst) ?? writeReg(insn, 'src', src);
    default:
      return `${describeOpcode(insn)}: imm is not an atomic operation, got ${hex(imm)}`;
  }
}

/**
 * Checks one instruction; returns what is wrong with it, or `undefined` when it is valid.
 * Does not throw and builds no string unless the instruction is invalid.
 */
export function checkInstruction(insn: Instruction): string | undefined {
  const e = checkFields(insn);
  if (e) return e;
  switch (insn.code & 0x07) {
    case Class.ALU: case Class.ALU64: return checkAlu(insn);
    case Class.JMP: case Class.JMP32: return checkJmp(insn);
    case Class.LD: return checkLd(insn);
    default: return checkMem(insn);
  }
}

/**
 * Throws a {@link BadInputError} naming exactly what is wrong if the instruction is not a valid
 * encoding. `index` is the instruction's slot index, for the message.
 */
export function validateInstruction(insn: Instruction, index?: number): void {
  const problem = checkInstruction(insn);
  if (problem !== undefined) {
    throw new BadInputError(problem, { index, source: insn.source });
  }
}

/** Validates every instruction of a program; the error's index counts 8-byte slots. */
export function validateInstructions(insns: readonly Instruction[]): void {
  let slot = 0;
  for (let i = 0; i < insns.length; i++) {
    const insn = insns[i]!;
    validateInstruction(insn, slot);
    slot += insn.code === LD_IMM64 ? 2 : 1;
  }
}
