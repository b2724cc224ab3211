/**
 * Reading the uBPF assembly of the bpf_conformance suite, as upstream's `bpf_assembler.cc`
 * reads it (see the corpus README): `%rN` registers, `[%rN+off]` memory operands, mnemonics with
 * a `32` suffix for 32-bit forms, `lddw`, `lock [fetch] op`, `call local label`, `ja32`.
 * Numbers: signed decimal, or `0x` hex up to the field's unsigned maximum. Problems are reported
 * in upstream's words ("Invalid mnemonic: ldxq").
 * @module
 */
import type { Instruction } from '../instruction.js';
import { splitImm64 } from '../instruction.js';
import { AluOp, AtomicOp, Class, JmpOp, LD_IMM64, Mode, PseudoCall, Size, Source } from '../opcode.js';
import { LineProblem } from './parse-llvm.js';
import type { PendingInstruction } from './parse-llvm.js';

const ALU: Readonly<Record<string, number>> = {
  add: AluOp.ADD, sub: AluOp.SUB, mul: AluOp.MUL, div: AluOp.DIV, or: AluOp.OR, and: AluOp.AND, lsh: AluOp.LSH,
  rsh: AluOp.RSH, neg: AluOp.NEG, mod: AluOp.MOD, xor: AluOp.XOR, mov: AluOp.MOV, arsh: AluOp.ARSH, sdiv: AluOp.DIV, smod: AluOp.MOD,
  movsx: AluOp.MOV,
};
const JMP: Readonly<Record<string, number>> = {
  jeq: JmpOp.JEQ, jgt: JmpOp.JGT, jge: JmpOp.JGE, jset: JmpOp.JSET, jne: JmpOp.JNE, jsgt: JmpOp.JSGT, jsge: JmpOp.JSGE,
  jlt: JmpOp.JLT, jle: JmpOp.JLE, jslt: JmpOp.JSLT, jsle: JmpOp.JSLE,
};
const SIZE: Readonly<Record<string, number>> = { b: Size.B, h: Size.H, w: Size.W, dw: Size.DW };
const ATOMIC: Readonly<Record<string, number>> = {
  add: AtomicOp.ADD, or: AtomicOp.OR, and: AtomicOp.AND, xor: AtomicOp.XOR, xchg: AtomicOp.XCHG, cmpxchg: AtomicOp.CMPXCHG,
};

const fail = (problem: string): never => { throw new LineProblem(problem); };

function reg(s: string): number {
  const m = /^%r(\d+)$/.exec(s);
  if (!m || Number(m[1]) > 10) fail(`Invalid register: ${s}`);
  return Number(m![1]);
}

function big(s: string): bigint {
  const neg = s.startsWith('-');
  const body = neg || s.startsWith('+') ? s.slice(1) : s;
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(body)) fail(`Invalid number: ${s}`);
  return neg ? -BigInt(body) : BigInt(body);
}

/** Upstream's range rule: decimal is signed, hex is unsigned (so `0xffffffff` is -1 in imm). */
function int(s: string, bits: 16 | 32, what: string): number {
  const hex = s.includes('0x');
  const v = big(s);
  const lo = hex ? 0n : -(1n << BigInt(bits - 1));
  const hi = hex ? (1n << BigInt(bits)) - 1n : (1n << BigInt(bits - 1)) - 1n;
  if (v < lo || v > hi) fail(`${what} out of ${bits}-bit range: ${s}`);
  return Number(BigInt.asIntN(bits, v));
}
const imm32 = (s: string): number => int(s, 32, 'Immediate');
const off16 = (s: string): number => int(s, 16, 'Offset');

function mem(s: string): [number, number] {
  const m = /^\[(%r\d+)(?:([+-].*))?\]$/.exec(s);
  if (!m) fail(`Failed to decode register and offset: ${s}`);
  return [reg(m![1]!), m![2] ? off16(m![2]) : 0];
}

/** `+N`/`-N` slots, or a label to resolve into `field`. */
function jump(s: string, field: 'off' | 'imm', make: (rel: number) => Instruction): PendingInstruction {
  // Upstream reads every numeric target as 16 bits; `imm` targets (ja32, call local) take 32 here.
  if (/^[+-]/.test(s)) return { insn: make(field === 'off' ? off16(s) : int(s, 32, 'Offset')) };
  return { insn: make(0), ref: { label: s, field } };
}

const ins = (code: number, dst: number, src: number, off: number, imm: number): Instruction => ({ code, dst, src, off, imm });

/** Splits a line into upstream's words: whitespace-separated, a trailing comma dropped. */
export function ubpfWords(line: string): string[] {
  return line.trim().split(/\s+/).filter(Boolean).map((w) => w.replace(/,$/, ''));
}

/** Parses one instruction given as words (mnemonic first). Throws {@link LineProblem}. */
export function parseUbpfInstruction(words: readonly string[]): PendingInstruction {
  let [op, ...args] = words as [string, ...string[]];
  const arity = (n: number): void => {
    if (args.length !== n) fail(`Invalid number of operands for mnemonic: ${op}`);
  };
  if (op === 'lock') {
    if (args.length === 0) fail('Invalid number of operands for lock');
    const fetch = args[0] === 'fetch';
    if (fetch) args = args.slice(1);
    const name = args[0] ?? '';
    const base = name.replace(/32$/, '');
    if (ATOMIC[base] === undefined) fail(`Invalid mnemonic: ${name}`);
    args = args.slice(1);
    if (args.length !== 2) fail('Invalid number of operands for lock');
    const [dst, off] = mem(args[0]!);
    const size = name.endsWith('32') ? Size.W : Size.DW;
    return { insn: ins(Class.STX | Mode.ATOMIC | size, dst, reg(args[1]!), off, ATOMIC[base]! | (fetch ? AtomicOp.FETCH : 0)) };
  }
  if (op === 'call') {
    if (args.length === 1) args.unshift('helper');
    arity(2);
    const [mode, t] = args as [string, string];
    const call = Class.JMP | JmpOp.CALL;
    if (mode === 'helper' && t.startsWith('%')) return { insn: ins(call | Source.X, reg(t), 0, 0, 0) };
    if (mode === 'helper') return { insn: ins(call, 0, PseudoCall.HELPER, 0, imm32(t)) };
    if (mode === 'local') return jump(t, 'imm', (rel) => ins(call, 0, PseudoCall.CALL, 0, rel));
    if (mode === 'runtime') return { insn: ins(call, 0, PseudoCall.KFUNC, 0, imm32(t)) };
    return fail('Invalid call mode');
  }
  if (op === 'exit') { arity(0); return { insn: ins(Class.JMP | JmpOp.EXIT, 0, 0, 0, 0) }; }
  if (op === 'ja') { arity(1); return jump(args[0]!, 'off', (rel) => ins(Class.JMP | JmpOp.JA, 0, 0, rel, 0)); }
  if (op === 'ja32') { arity(1); return jump(args[0]!, 'imm', (rel) => ins(Class.JMP32 | JmpOp.JA, 0, 0, 0, rel)); }
  if (op === 'lddw') {
    arity(2);
    const v = big(args[1]!);
    if (v < -(1n << 63n) || v >= 1n << 64n) fail(`Immediate out of 64-bit range: ${args[1]}`);
    return { insn: { code: LD_IMM64, dst: reg(args[0]!), src: 0, off: 0, ...splitImm64(v) } };
  }
  let m = /^ldx(s?)(b|h|w|dw)$/.exec(op);
  if (m) {
    arity(2);
    const [src, off] = mem(args[1]!);
    if (m[1] && m[2] === 'dw') fail(`Invalid mnemonic: ${op}`);
    return { insn: ins(Class.LDX | SIZE[m[2]!]! | (m[1] ? Mode.MEMSX : Mode.MEM), reg(args[0]!), src, off, 0) };
  }
  m = /^st(x?)(b|h|w|dw)$/.exec(op);
  if (m) {
    arity(2);
    const [dst, off] = mem(args[0]!);
    if (m[1]) return { insn: ins(Class.STX | Mode.MEM | SIZE[m[2]!]!, dst, reg(args[1]!), off, 0) };
    return { insn: ins(Class.ST | Mode.MEM | SIZE[m[2]!]!, dst, 0, off, imm32(args[1]!)) };
  }
  m = /^(be|le|b?swap)(16|32|64)$/.exec(op);
  if (m) {
    arity(1);
    const code = m[1] === 'be' ? Class.ALU | AluOp.END | Source.X : m[1] === 'le' ? Class.ALU | AluOp.END | Source.K
      : Class.ALU64 | AluOp.END | Source.K;
    return { insn: ins(code, reg(args[0]!), 0, 0, Number(m[2])) };
  }
  const jmp = JMP[op.replace(/32$/, '')];
  if (jmp !== undefined) {
    arity(3);
    const cls = op.endsWith('32') ? Class.JMP32 : Class.JMP;
    const dst = reg(args[0]!);
    const x = args[1]!.startsWith('%');
    const src = x ? reg(args[1]!) : 0;
    const imm = x ? 0 : imm32(args[1]!);
    return jump(args[2]!, 'off', (rel) => ins(cls | jmp | (x ? Source.X : Source.K), dst, src, rel, imm));
  }
  m = /^(movsx)(8|16|32)(32|64)$/.exec(op) ?? /^([a-z]+?)(32|64)?$/.exec(op);
  const name = m?.[1] ?? '';
  const movsx = name === 'movsx';
  const width = movsx ? m![3] : m?.[2];
  if (ALU[name] === undefined || (movsx && m![3] === undefined)) fail(`Invalid mnemonic: ${op}`);
  arity(name === 'neg' ? 1 : 2);
  const cls = width === '32' ? Class.ALU : Class.ALU64;
  const off = name === 'sdiv' || name === 'smod' ? 1 : movsx ? Number(m![2]) : 0;
  const dst = reg(args[0]!);
  if (args.length === 1) return { insn: ins(cls | ALU[name]!, dst, 0, off, 0) };
  if (args[1]!.startsWith('%')) return { insn: ins(cls | ALU[name]! | Source.X, dst, reg(args[1]!), off, 0) };
  return { insn: ins(cls | ALU[name]!, dst, 0, off, imm32(args[1]!)) };
}
