/**
 * Reading the LLVM dialect: what `llvm-mc -triple=bpfel -mcpu=v4` assembles, plus the kernel
 * verifier log's forms that {@link disassemble} prints (`call bpf_map_lookup_elem#1`,
 * `goto pc+3`, `atomic64_fetch_add`, `0: (b7) r0 = 0` prefixes, LD_IMM64 pseudo sources).
 *
 * Each line is split into tokens and matched, as a string of tokens joined by single spaces,
 * against one pattern per instruction shape. A jump target is `pc+N`, `+N`, `-N` or a label.
 * @module
 */
import type { Instruction } from '../instruction.js';
import { splitImm64 } from '../instruction.js';
import {
  AluOp, AtomicOp, Class, JmpOp, LD_IMM64, Mode, PseudoCall, PseudoLd, Size, Source,
} from '../opcode.js';
import { helperByName } from '../helpers.js';
import { fitSigned, numberValue, registerOf } from './lexer.js';

/** A parsed line before labels are resolved: `ref` names the label a field must point at. */
export interface PendingInstruction {
  /** The instruction, with `off`/`imm` 0 where `ref` will fill it. */
  insn: Instruction;
  /** Label the jump/call/function reference points at, and which field takes the offset. */
  ref?: { label: string; field: 'off' | 'imm' };
}

/** What a line-level parser throws: the caller adds the line number and text. */
export class LineProblem extends Error {}

const NUM = '((?:[-+] )*(?:0[xX][0-9a-fA-F]+|\\d+))';
const REG = '([rw]\\d+)';
const SZ = '(u8|u16|u32|u64|s8|s16|s32|s64)';
const OFF = '([-+] (?:[-+] )*(?:0[xX][0-9a-fA-F]+|\\d+))';
const MEM = `\\( ${SZ} \\* \\) \\( ${REG} ${OFF} \\)`;
const TGT = '((?:pc )?[-+] (?:0[xX][0-9a-fA-F]+|\\d+)|[A-Za-z_.$][\\w.$]*)';
const IDENT = '([A-Za-z_.$][\\w.$]*)';

const SIZES: Readonly<Record<string, number>> = { u8: Size.B, u16: Size.H, u32: Size.W, u64: Size.DW, s8: Size.B, s16: Size.H, s32: Size.W, s64: Size.DW };
const ALU_OPS: Readonly<Record<string, [number, number]>> = {
  '+=': [AluOp.ADD, 0], '-=': [AluOp.SUB, 0], '*=': [AluOp.MUL, 0], '/=': [AluOp.DIV, 0], '|=': [AluOp.OR, 0],
  '&=': [AluOp.AND, 0], '<<=': [AluOp.LSH, 0], '>>=': [AluOp.RSH, 0], '%=': [AluOp.MOD, 0], '^=': [AluOp.XOR, 0],
  '=': [AluOp.MOV, 0], 's >>=': [AluOp.ARSH, 0], 's /=': [AluOp.DIV, 1], 's %=': [AluOp.MOD, 1],
};
const JMP_OPS: Readonly<Record<string, number>> = {
  '==': JmpOp.JEQ, '>': JmpOp.JGT, '>=': JmpOp.JGE, '&': JmpOp.JSET, '!=': JmpOp.JNE, 's >': JmpOp.JSGT,
  's >=': JmpOp.JSGE, '<': JmpOp.JLT, '<=': JmpOp.JLE, 's <': JmpOp.JSLT, 's <=': JmpOp.JSLE,
};
const LOCK_OPS: Readonly<Record<string, number>> = { '+=': AtomicOp.ADD, '|=': AtomicOp.OR, '&=': AtomicOp.AND, '^=': AtomicOp.XOR };
const FETCH_OPS: Readonly<Record<string, number>> = { add: AtomicOp.ADD, or: AtomicOp.OR, and: AtomicOp.AND, xor: AtomicOp.XOR };

const fail = (problem: string): never => { throw new LineProblem(problem); };

function reg(tok: string, want?: 'r' | 'w'): { n: number; w: boolean } {
  const r = registerOf(tok) ?? fail(`not a register r0-r10/w0-w10: ${tok}`);
  if (want === 'r' && r.w) fail(`expected a 64-bit register, got ${tok}`);
  return r;
}
function num(s: string, bits: number, unsigned: boolean, what: string): number {
  const v = numberValue(s) ?? fail(`not a number: ${s}`);
  return fitSigned(v, bits, unsigned) ?? fail(`${what} out of ${bits}-bit range: ${s.replace(/ /g, '')}`);
}
const off16 = (s: string): number => num(s, 16, false, 'offset');
const imm32 = (s: string): number => num(s, 32, true, 'immediate');

/** A jump target: a number of slots (with or without `pc`) or a label to resolve. */
function target(s: string, field: 'off' | 'imm', make: (rel: number) => Instruction): PendingInstruction {
  if (/^[A-Za-z_.$]/.test(s) && !s.startsWith('pc ')) return { insn: make(0), ref: { label: s, field } };
  const rel = s.replace(/^pc /, '');
  return { insn: make(field === 'off' ? off16(rel) : num(rel, 32, false, 'offset')) };
}

const ins = (code: number, dst: number, src: number, off: number, imm: number): Instruction => ({ code, dst, src, off, imm });
const lddw = (dst: number, src: number, imm: number, immHi: number, extra: Partial<Instruction> = {}): Instruction =>
  ({ code: LD_IMM64, dst, src, off: 0, imm, immHi, ...extra });

type Rule = readonly [RegExp, (m: RegExpExecArray, ctx: LineContext) => PendingInstruction | Instruction];

/** Facts about the line outside its instruction text: the kernel log's opcode prefix, defined labels. */
export interface LineContext {
  /** The opcode from a `(b7)` prefix, when the line had one. */
  readonly code: number | undefined;
  /** Whether a label of this name is defined anywhere in the text. */
  readonly isLabel: (name: string) => boolean;
}

const rx = (s: string): RegExp => new RegExp(`^${s}$`);

function memOperand(m: RegExpExecArray, i: number): { size: number; sx: boolean; reg: number; off: number } {
  return { size: SIZES[m[i]!]!, sx: m[i]!.startsWith('s'), reg: reg(m[i + 1]!, 'r').n, off: off16(m[i + 2]!) };
}

function atomicSized(size: number, r: { w: boolean }): void {
  if (r.w && size === Size.DW) fail('a 64-bit access needs r registers');
}

const RULES: readonly Rule[] = [
  [rx(`raw \\( code = ${NUM} dst = ${NUM} src = ${NUM} off = ${NUM} imm = ${NUM}(?: hi = ${NUM})? \\)`), (m) => {
    const field = (i: number, max: number, what: string): number => {
      const v = numberValue(m[i]!);
      return v !== undefined && v >= 0n && v <= BigInt(max) ? Number(v) : fail(`${what} must be 0-${max}: ${m[i]}`);
    };
    const insn = { code: field(1, 255, 'code'), dst: field(2, 15, 'dst'), src: field(3, 15, 'src'), off: off16(m[4]!), imm: imm32(m[5]!) };
    return m[6] !== undefined ? { ...insn, immHi: imm32(m[6]) } : insn;
  }],
  [rx('exit'), () => ins(Class.JMP | JmpOp.EXIT, 0, 0, 0, 0)],
  [rx(`goto ${TGT}`), (m) => target(m[1]!, 'off', (o) => ins(Class.JMP | JmpOp.JA, 0, 0, o, 0))],
  [rx(`gotol ${TGT}`), (m) => target(m[1]!, 'imm', (i) => ins(Class.JMP32 | JmpOp.JA, 0, 0, 0, i))],
  [rx(`may_goto ${TGT}`), (m) => target(m[1]!, 'off', (o) => ins(Class.JMP | JmpOp.JCOND, 0, 0, o, 0))],
  [rx(`if ${REG} (s [<>]=?|[<>]=?|==|!=|&) ${REG} goto ${TGT}`), (m) => {
    const d = reg(m[1]!); const s = reg(m[3]!);
    if (d.w !== s.w) fail('both registers of a comparison must be r or both w');
    return target(m[4]!, 'off', (o) => ins((d.w ? Class.JMP32 : Class.JMP) | JMP_OPS[m[2]!]! | Source.X, d.n, s.n, o, 0));
  }],
  [rx(`if ${REG} (s [<>]=?|[<>]=?|==|!=|&) ${NUM} goto ${TGT}`), (m) => {
    const d = reg(m[1]!); const imm = imm32(m[3]!);
    return target(m[4]!, 'off', (o) => ins((d.w ? Class.JMP32 : Class.JMP) | JMP_OPS[m[2]!]! | Source.K, d.n, 0, o, imm));
  }],
  [rx(`call ${NUM}`), (m) => ins(Class.JMP | JmpOp.CALL, 0, PseudoCall.HELPER, 0, imm32(m[1]!))],
  [rx(`call pc ${OFF}`), (m) => ins(Class.JMP | JmpOp.CALL, 0, PseudoCall.CALL, 0, num(m[1]!, 32, false, 'offset'))],
  [rx(`call (kernel - function|${IDENT.slice(1, -1)}) # ${NUM}(?: \\[ ${NUM} \\])?`), (m) => {
    const name = m[1]!; const imm = imm32(m[2]!); const off = m[3] !== undefined ? off16(m[3]) : 0;
    if (m[3] === undefined && name !== 'kernel - function') {
      if (name === 'unknown') return ins(Class.JMP | JmpOp.CALL, 0, PseudoCall.HELPER, 0, imm);
      const h = helperByName(name);
      if (h !== undefined && h.id === imm) return ins(Class.JMP | JmpOp.CALL, 0, PseudoCall.HELPER, 0, imm);
    }
    const insn = ins(Class.JMP | JmpOp.CALL, 0, PseudoCall.KFUNC, off, imm);
    return name === 'kernel - function' ? insn : { ...insn, kfunc: name };
  }],
  [rx(`call ${IDENT}`), (m, ctx) => {
    const h = ctx.isLabel(m[1]!) ? undefined : helperByName(m[1]!);
    if (h !== undefined) return ins(Class.JMP | JmpOp.CALL, 0, PseudoCall.HELPER, 0, h.id);
    return { insn: ins(Class.JMP | JmpOp.CALL, 0, PseudoCall.CALL, 0, 0), ref: { label: m[1]!, field: 'imm' } };
  }],
  [rx(`callx ${REG}`), (m) => ins(Class.JMP | JmpOp.CALL | Source.X, reg(m[1]!, 'r').n, 0, 0, 0)],
  [rx(`lock \\* ${MEM} (\\+=|\\|=|&=|\\^=) ${REG}`), (m) => {
    const a = memOperand(m, 1); const s = reg(m[5]!); atomicSized(a.size, s);
    return ins(Class.STX | Mode.ATOMIC | a.size, a.reg, s.n, a.off, LOCK_OPS[m[4]!]!);
  }],
  [rx(`${REG} = atomic(64)?_fetch_(add|and|or|xor) \\( ${MEM} , ${REG} \\)`), (m) => {
    const d = reg(m[1]!); const a = memOperand(m, 4); const s = reg(m[7]!);
    if (d.n !== s.n) fail('atomic fetch loads into its source register: both must be the same');
    atomicSized(a.size, s);
    return ins(Class.STX | Mode.ATOMIC | a.size, a.reg, s.n, a.off, FETCH_OPS[m[3]!]! | AtomicOp.FETCH);
  }],
  [rx(`${REG} = atomic(64)?_xchg \\( ${MEM} , ${REG} \\)`), (m) => {
    const d = reg(m[1]!); const a = memOperand(m, 3); const s = reg(m[6]!);
    if (d.n !== s.n) fail('xchg loads into its source register: both must be the same');
    return ins(Class.STX | Mode.ATOMIC | a.size, a.reg, s.n, a.off, AtomicOp.XCHG);
  }],
  [rx(`${REG} = atomic(64)?_cmpxchg \\( ${MEM} , ${REG} , ${REG} \\)`), (m) => {
    const a = memOperand(m, 3);
    if (reg(m[1]!).n !== 0 || reg(m[6]!).n !== 0) fail('cmpxchg compares with and loads into r0');
    return ins(Class.STX | Mode.ATOMIC | a.size, a.reg, reg(m[7]!).n, a.off, AtomicOp.CMPXCHG);
  }],
  [rx(`${REG} = xchg(32)?_(32|64) \\( ${REG} ${OFF} , ${REG} \\)`), (m) => {
    const d = reg(m[1]!); const s = reg(m[6]!);
    if (d.n !== s.n) fail('xchg loads into its source register: both must be the same');
    return ins(Class.STX | Mode.ATOMIC | (m[3] === '64' ? Size.DW : Size.W), reg(m[4]!, 'r').n, s.n, off16(m[5]!), AtomicOp.XCHG);
  }],
  [rx(`${REG} = cmpxchg(32)?_(32|64) \\( ${REG} ${OFF} , ${REG} , ${REG} \\)`), (m) => {
    if (reg(m[1]!).n !== 0 || reg(m[6]!).n !== 0) fail('cmpxchg compares with and loads into r0');
    return ins(Class.STX | Mode.ATOMIC | (m[3] === '64' ? Size.DW : Size.W), reg(m[4]!, 'r').n, reg(m[7]!).n, off16(m[5]!), AtomicOp.CMPXCHG);
  }],
  [rx(`${REG} = load_acquire \\( ${MEM} \\)`), (m) => {
    const d = reg(m[1]!); const a = memOperand(m, 2); atomicSized(a.size, d);
    return ins(Class.STX | Mode.ATOMIC | a.size, d.n, a.reg, a.off, AtomicOp.LOAD_ACQ);
  }],
  [rx(`store_release \\( ${MEM} , ${REG} \\)`), (m) => {
    const a = memOperand(m, 1); const s = reg(m[4]!); atomicSized(a.size, s);
    return ins(Class.STX | Mode.ATOMIC | a.size, a.reg, s.n, a.off, AtomicOp.STORE_REL);
  }],
  [rx(`${REG} = \\* \\( ${SZ} \\* \\) skb \\[ ${NUM} \\]`), (m) => {
    if (reg(m[1]!, 'r').n !== 0) fail('legacy packet loads write r0');
    return ins(Class.LD | Mode.ABS | SIZES[m[2]!]!, 0, 0, 0, imm32(m[3]!));
  }],
  [rx(`${REG} = \\* \\( ${SZ} \\* \\) skb \\[ ${REG}(?: ${OFF})? \\]`), (m) => {
    if (reg(m[1]!, 'r').n !== 0) fail('legacy packet loads write r0');
    return ins(Class.LD | Mode.IND | SIZES[m[2]!]!, 0, reg(m[3]!, 'r').n, 0, m[4] !== undefined ? imm32(m[4]) : 0);
  }],
  [rx(`${REG} = \\* ${MEM}`), (m) => {
    const a = memOperand(m, 2);
    if (a.sx && a.size === Size.DW) fail('there is no 64-bit sign-extending load');
    return ins(Class.LDX | (a.sx ? Mode.MEMSX : Mode.MEM) | a.size, reg(m[1]!, 'r').n, a.reg, a.off, 0);
  }],
  [rx(`\\* ${MEM} = ${REG}`), (m) => {
    const a = memOperand(m, 1);
    if (a.sx) fail('stores take u8..u64');
    return ins(Class.STX | Mode.MEM | a.size, a.reg, reg(m[4]!).n, a.off, 0);
  }],
  [rx(`\\* ${MEM} = ${NUM}`), (m) => {
    const a = memOperand(m, 1);
    if (a.sx) fail('stores take u8..u64');
    return ins(Class.ST | Mode.MEM | a.size, a.reg, 0, a.off, imm32(m[4]!));
  }],
  [rx(`${REG} = (be|le|bswap)(16|32|64) ${REG}`), (m) => {
    const d = reg(m[1]!, 'r');
    if (reg(m[4]!, 'r').n !== d.n) fail('a byte swap works in place: both registers must be the same');
    const code = m[2] === 'bswap' ? Class.ALU64 | AluOp.END | Source.K : Class.ALU | AluOp.END | (m[2] === 'be' ? Source.X : Source.K);
    return ins(code, d.n, 0, 0, Number(m[3]));
  }],
  [rx(`${REG} = - ${REG}`), (m) => {
    const d = reg(m[1]!); const s = reg(m[2]!);
    if (d.n !== s.n || d.w !== s.w) fail('negation works in place: both registers must be the same');
    return ins((d.w ? Class.ALU : Class.ALU64) | AluOp.NEG, d.n, 0, 0, 0);
  }],
  [rx(`${REG} = addr_space_cast \\( ${REG} , ${NUM} , ${NUM} \\)`), (m) => {
    const to = num(m[3]!, 16, true, 'address space'); const from = num(m[4]!, 16, true, 'address space');
    return ins(Class.ALU64 | AluOp.MOV | Source.X, reg(m[1]!, 'r').n, reg(m[2]!, 'r').n, 1, ((to & 0xffff) << 16 | (from & 0xffff)) | 0);
  }],
  [rx(`${REG} = \\( s(8|16|32) \\) ${REG}`), (m) => {
    const d = reg(m[1]!); const s = reg(m[3]!);
    if (d.w !== s.w) fail('both registers of a move must be r or both w');
    if (d.w && m[2] === '32') fail('a 32-bit move sign-extends from 8 or 16 bits only');
    return ins((d.w ? Class.ALU : Class.ALU64) | AluOp.MOV | Source.X, d.n, s.n, Number(m[2]), 0);
  }],
  [rx(`${REG} = ${NUM} ll`), (m) => ldImm(m[1]!, m[2]!)],
  [rx(`${REG} = map \\[ fd : ${NUM} \\] ll`), (m) => lddw(reg(m[1]!, 'r').n, PseudoLd.MAP_FD, imm32(m[2]!), 0)],
  [rx(`${REG} = map \\[ idx : ${NUM} \\] ll`), (m) => lddw(reg(m[1]!, 'r').n, PseudoLd.MAP_IDX, imm32(m[2]!), 0)],
  [rx(`${REG} = map \\[ fd : ${NUM} \\] \\[ 0 \\] ${OFF} ll`), (m) => lddw(reg(m[1]!, 'r').n, PseudoLd.MAP_VALUE, imm32(m[2]!), imm32(m[3]!))],
  [rx(`${REG} = map \\[ idx : ${NUM} \\] \\[ 0 \\] ${OFF} ll`), (m) => lddw(reg(m[1]!, 'r').n, PseudoLd.MAP_IDX_VALUE, imm32(m[2]!), imm32(m[3]!))],
  [rx(`${REG} = map \\[ ${IDENT} \\] \\[ 0 \\] ${OFF} ll`), (m) =>
    lddw(reg(m[1]!, 'r').n, PseudoLd.MAP_VALUE, 0, imm32(m[3]!), { map: m[2]! })],
  [rx(`${REG} = map \\[ ${IDENT} \\] ll`), (m) => lddw(reg(m[1]!, 'r').n, PseudoLd.MAP_FD, 0, 0, { map: m[2]! })],
  [rx(`${REG} = btf_id \\[ ${NUM} \\](?: \\[ ${NUM} \\])? ll`), (m) =>
    lddw(reg(m[1]!, 'r').n, PseudoLd.BTF_ID, imm32(m[2]!), m[3] !== undefined ? imm32(m[3]) : 0)],
  [rx(`${REG} = subprog \\[ ${TGT} \\] ll`), (m) =>
    target(m[2]!, 'imm', (i) => lddw(reg(m[1]!, 'r').n, PseudoLd.FUNC, i, 0))],
  [rx(`${REG} = ${IDENT} ll`), (m) => lddw(reg(m[1]!, 'r').n, PseudoLd.MAP_FD, 0, 0, { map: m[2]! })],
  [rx(`${REG} (s >>=|s /=|s %=|<<=|>>=|[-+*/|&%^]=|=) ${REG}`), (m) => {
    const d = reg(m[1]!); const s = reg(m[3]!);
    if (d.w !== s.w) fail('both registers of an ALU operation must be r or both w');
    const [op, off] = ALU_OPS[m[2]!]!;
    return ins((d.w ? Class.ALU : Class.ALU64) | op | Source.X, d.n, s.n, off, 0);
  }],
  [rx(`${REG} (s >>=|s /=|s %=|<<=|>>=|[-+*/|&%^]=|=) ${NUM}`), (m, ctx) => {
    const d = reg(m[1]!);
    const [op, off] = ALU_OPS[m[2]!]!;
    // The kernel log prints LD_IMM64 without `ll`: its `(18)` prefix, or a value no imm32 holds, says which.
    if (op === AluOp.MOV && !d.w && (ctx.code === LD_IMM64 || fitSigned(numberValue(m[3]!)!, 32, true) === undefined)) {
      return ldImm(m[1]!, m[3]!);
    }
    return ins((d.w ? Class.ALU : Class.ALU64) | op | Source.K, d.n, 0, off, imm32(m[3]!));
  }],
];

function ldImm(r: string, value: string): Instruction {
  const v = numberValue(value) ?? fail(`not a number: ${value}`);
  if (v < -(1n << 63n) || v >= 1n << 64n) fail(`immediate out of 64-bit range: ${value.replace(/ /g, '')}`);
  const { imm, immHi } = splitImm64(v);
  return lddw(reg(r, 'r').n, PseudoLd.NONE, imm, immHi);
}

/** Parses the tokens of one instruction (joined by single spaces). Throws {@link LineProblem}. */
export function parseLlvmInstruction(tokens: string, ctx: LineContext): PendingInstruction {
  for (const [re, build] of RULES) {
    const m = re.exec(tokens);
    if (m) {
      const out = build(m, ctx);
      return 'insn' in out ? out : { insn: out };
    }
  }
  return fail('not an instruction of the LLVM/kernel syntax');
}
