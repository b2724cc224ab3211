/**
 * Printing one instruction in the uBPF assembly the bpf_conformance suite is written in
 * (upstream's `bpf_assembler.cc`): `mov32 %r0, 1`, `jeq %r1, 0, +2`, `ldxw %r0, [%r1+4]`,
 * `lock fetch add [%r1+0], %r2`, `call local +3`. That dialect has no syntax for LD_IMM64 with a
 * pseudo source, legacy packet loads, load-acquire/store-release, addr_space_cast, may_goto or
 * a kfunc call with a BTF fd index: those throw `NotSupportedError`.
 * @module
 */
import { NotSupportedError } from '../../errors.js';
import type { Instruction } from '../instruction.js';
import { imm64 } from '../instruction.js';
import { AluOp, AtomicOp, Class, JmpOp, LD_IMM64, Mode, PseudoCall, Size, Source } from '../opcode.js';

const ALU = ['add', 'sub', 'mul', 'div', 'or', 'and', 'lsh', 'rsh', 'neg', 'mod', 'xor', 'mov', 'arsh'];
const JMP = ['ja', 'jeq', 'jgt', 'jge', 'jset', 'jne', 'jsgt', 'jsge', 'call', 'exit', 'jlt', 'jle', 'jslt', 'jsle'];
const SIZE: Readonly<Record<number, string>> = { [Size.B]: 'b', [Size.H]: 'h', [Size.W]: 'w', [Size.DW]: 'dw' };
const ATOMIC: Readonly<Record<number, string>> = { [AtomicOp.ADD]: 'add', [AtomicOp.OR]: 'or', [AtomicOp.AND]: 'and', [AtomicOp.XOR]: 'xor' };

const signed = (n: number): string => (n < 0 ? `${n}` : `+${n}`);
const memRef = (reg: number, off: number): string => `[%r${reg}${signed(off)}]`;
const unsupported = (what: string): NotSupportedError =>
  new NotSupportedError(`${what} in the ubpf assembly dialect`, 'bpf_conformance\'s assembler has no syntax for it');

function alu(insn: Instruction): string {
  const { code, dst, src, off, imm } = insn;
  const cls = code & 0x07;
  const op = code & 0xf0;
  const width = cls === Class.ALU ? '32' : '';
  if (op === AluOp.END) {
    if (cls === Class.ALU64) return `bswap${imm} %r${dst}`;
    return `${(code & Source.X) !== 0 ? 'be' : 'le'}${imm} %r${dst}`;
  }
  if (op === AluOp.NEG) return `neg${width} %r${dst}`;
  const x = (code & Source.X) !== 0;
  if (op === AluOp.MOV && x && off !== 0) {
    if (cls === Class.ALU64 && off === 1) throw unsupported('addr_space_cast');
    return `movsx${off}${cls === Class.ALU ? '32' : '64'} %r${dst}, %r${src}`;
  }
  const name = (off === 1 ? 's' : '') + ALU[op >> 4]!;
  return `${name}${width} %r${dst}, ${x ? `%r${src}` : imm}`;
}

function jmp(insn: Instruction): string {
  const { code, dst, src, off, imm } = insn;
  const cls = code & 0x07;
  const op = code & 0xf0;
  const to = (rel: number): string => insn.target ?? signed(rel);
  if (cls === Class.JMP32 && op === JmpOp.JA) return `ja32 ${to(imm)}`;
  if (op === JmpOp.JCOND) throw unsupported('may_goto');
  if (code === (Class.JMP | JmpOp.JA)) return `ja ${to(off)}`;
  if (code === (Class.JMP | JmpOp.EXIT)) return 'exit';
  if (code === (Class.JMP | JmpOp.CALL | Source.X)) return `call %r${dst}`;
  if (code === (Class.JMP | JmpOp.CALL)) {
    if (src === PseudoCall.CALL) return `call local ${to(imm)}`;
    if (src === PseudoCall.KFUNC) {
      if (off !== 0) throw unsupported('a kfunc call with a BTF fd index');
      return `call runtime ${imm}`;
    }
    return `call ${imm}`;
  }
  const width = cls === Class.JMP32 ? '32' : '';
  return `${JMP[op >> 4]}${width} %r${dst}, ${(code & Source.X) !== 0 ? `%r${src}` : imm}, ${to(off)}`;
}

function memory(insn: Instruction): string {
  const { code, dst, src, off, imm } = insn;
  const cls = code & 0x07;
  const size = code & 0x18;
  const mode = code & 0xe0;
  if (code === LD_IMM64) {
    if (src !== 0) throw unsupported('LD_IMM64 with a pseudo source');
    return `lddw %r${dst}, 0x${imm64(insn).toString(16)}`;
  }
  switch (cls) {
    case Class.LDX: return `ldx${mode === Mode.MEMSX ? 's' : ''}${SIZE[size]} %r${dst}, ${memRef(src, off)}`;
    case Class.ST: return `st${SIZE[size]} ${memRef(dst, off)}, ${imm}`;
    case Class.STX: {
      if (mode === Mode.MEM) return `stx${SIZE[size]} ${memRef(dst, off)}, %r${src}`;
      const width = size === Size.W ? '32' : '';
      const args = `${memRef(dst, off)}, %r${src}`;
      if (imm === AtomicOp.XCHG) return `lock xchg${width} ${args}`;
      if (imm === AtomicOp.CMPXCHG) return `lock cmpxchg${width} ${args}`;
      const name = ATOMIC[imm & ~AtomicOp.FETCH];
      if (name === undefined || imm > 0xff) throw unsupported('load-acquire and store-release');
      return `lock ${(imm & AtomicOp.FETCH) !== 0 ? 'fetch ' : ''}${name}${width} ${args}`;
    }
    default: throw unsupported('legacy packet loads (LD_ABS, LD_IND)');
  }
}

/** One instruction in the uBPF assembly dialect; `NotSupportedError` when the dialect cannot say it. */
export function formatUbpf(insn: Instruction): string {
  switch (insn.code & 0x07) {
    case Class.ALU: case Class.ALU64: return alu(insn);
    case Class.JMP: case Class.JMP32: return jmp(insn);
    default: return memory(insn);
  }
}
