/**
 * Printing instructions as text. The default dialect, `kernel`, is the syntax of the Linux 6.18
 * verifier log (kernel/bpf/disasm.c `print_bpf_insn`), which llvm-objdump shares for most
 * instructions: `r0 = *(u32 *)(r1 +4)`, `if r1 > 0x5 goto pc+3`, `call bpf_map_lookup_elem#1`,
 * `lock *(u64 *)(r10 -8) += r1`, `r0 = atomic64_fetch_add((u64 *)(r1 +0), r0)`.
 *
 * Where disasm.c prints something that cannot be read back, this printer adds what is missing
 * (each is accepted by {@link parseAsm}):
 * - LD_IMM64 ends in ` ll` (as LLVM writes it), so `r1 = 0x5 ll` is not read as a 32-bit move;
 *   its pseudo sources print as bpftool does (`map[fd:3]`, `map[fd:3][0]+8`, `map[idx:2]`,
 *   `subprog[+4]`) plus `btf_id[N]` (`btf_id[N][M]` with a BTF fd index M); with a map name set,
 *   a map reference prints in LLVM's symbol form `r1 = events ll` (value: `map[events][0]+8`).
 * - an invalid encoding prints its raw fields: `raw(code=0xf4 dst=1 src=0 off=0 imm=5)`.
 * - kfunc calls print `call kernel-function#ID` (or the `kfunc` name) and, when `off` (the BTF fd
 *   index) is not 0, `call kernel-function#ID[OFF]`; callx prints `callx rN`.
 *
 * The `llvm` dialect prints what `llvm-mc -triple=bpfel -mcpu=v4` assembles: jump offsets as
 * `+3` (no `pc`), helper calls as `call 1`, 32-bit atomics with `w` registers and LLVM's atomic
 * names (`atomic_fetch_add`, `xchg_64`, `cmpxchg32_32`). The `ubpf` dialect is the assembly of
 * the bpf_conformance suite (see ./print-ubpf.ts).
 * @module
 */
import type { Instruction } from '../instruction.js';
import { slotOffsets } from '../instruction.js';
import { imm64 } from '../instruction.js';
import {
  AluOp, AtomicOp, Class, JmpOp, LD_IMM64, Mode, PseudoCall, PseudoLd, Size, Source, sizeName,
} from '../opcode.js';
import { helperById } from '../helpers.js';
import { checkInstruction } from '../validate.js';
import { formatUbpf } from './print-ubpf.js';

/** The text dialects: the kernel's log syntax, what llvm-mc reads, and the uBPF/bpf_conformance assembly. */
export type AsmDialect = 'kernel' | 'llvm' | 'ubpf';

/** Options of {@link formatInstruction}. */
export interface FormatOptions {
  /** Syntax to print (default `kernel`). */
  readonly dialect?: AsmDialect;
}

/** Options of {@link disassemble}. */
export interface DisassembleOptions extends FormatOptions {
  /**
   * Prefix each line with its slot number and opcode, as the verifier log does (`0: (b7) r0 = 0`).
   * Default: true for the `kernel` dialect, false for the others (whose lines are indented by a tab).
   */
  readonly slots?: boolean;
}

const ALU_STR = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian'];
const JMP_STR = ['jmp', '==', '>', '>=', '&', '!=', 's>', 's>=', 'call', 'exit', '<', '<=', 's<', 's<='];
const LDSX_STR: Readonly<Record<number, string>> = { [Size.W]: 's32', [Size.H]: 's16', [Size.B]: 's8', [Size.DW]: 's64' };
const ATOMIC_ALU: Readonly<Record<number, string>> = { [AtomicOp.ADD]: 'add', [AtomicOp.AND]: 'and', [AtomicOp.OR]: 'or', [AtomicOp.XOR]: 'xor' };

/** `%+d`, as C prints it. */
const signed = (n: number): string => (n < 0 ? `${n}` : `+${n}`);
const hex32 = (n: number): string => `0x${(n >>> 0).toString(16)}`;
const mem = (size: number, reg: number, off: number): string => `(${sizeName(size)} *)(r${reg} ${signed(off)})`;

function jumpTarget(insn: Instruction, rel: number, llvm: boolean): string {
  if (insn.target !== undefined) return insn.target;
  return llvm ? signed(rel) : `pc${signed(rel)}`;
}

function formatLdImm64(insn: Instruction): string {
  const r = `r${insn.dst}`;
  const hi = insn.immHi ?? 0;
  switch (insn.src) {
    case PseudoLd.MAP_FD:
      return insn.map !== undefined ? `${r} = ${insn.map} ll` : `${r} = map[fd:${insn.imm}] ll`;
    case PseudoLd.MAP_VALUE:
      return `${r} = map[${insn.map ?? `fd:${insn.imm}`}][0]${signed(hi)} ll`;
    case PseudoLd.MAP_IDX:
      return `${r} = map[idx:${insn.imm}] ll`;
    case PseudoLd.MAP_IDX_VALUE:
      return `${r} = map[idx:${insn.imm}][0]${signed(hi)} ll`;
    case PseudoLd.FUNC:
      return `${r} = subprog[${insn.target ?? signed(insn.imm)}] ll`;
    case PseudoLd.BTF_ID:
      return `${r} = btf_id[${insn.imm}]${hi !== 0 ? `[${hi}]` : ''} ll`;
    default:
      return `${r} = 0x${imm64(insn).toString(16)} ll`;
  }
}

function formatCall(insn: Instruction, llvm: boolean): string {
  // LLVM has no syntax for a numeric BPF-to-BPF call; `pc+N` (the kernel's) is read back by parseAsm.
  if (insn.src === PseudoCall.CALL) return `call ${insn.target ?? `pc${signed(insn.imm)}`}`;
  if (insn.src === PseudoCall.KFUNC) {
    return `call ${insn.kfunc ?? 'kernel-function'}#${insn.imm}${insn.off !== 0 ? `[${insn.off}]` : ''}`;
  }
  if (llvm) return `call ${insn.imm}`;
  const helper = insn.imm >= 0 ? helperById(insn.imm) : undefined;
  return `call ${helper ? `bpf_${helper.name}` : 'unknown'}#${insn.imm}`;
}

function formatAlu(insn: Instruction): string {
  const { code, dst, src, off, imm } = insn;
  const cls = code & 0x07;
  const op = code & 0xf0;
  const w = cls === Class.ALU ? 'w' : 'r';
  if (op === AluOp.END) {
    if (cls === Class.ALU64) return `r${dst} = bswap${imm} r${dst}`;
    return `r${dst} = ${(code & Source.X) !== 0 ? 'be' : 'le'}${imm} r${dst}`;
  }
  if (op === AluOp.NEG) return `${w}${dst} = -${w}${dst}`;
  if (code === (Class.ALU64 | AluOp.MOV | Source.X) && off === 1) {
    return `r${dst} = addr_space_cast(r${src}, ${imm >>> 16}, ${imm & 0xffff})`;
  }
  const sdiv = (op === AluOp.DIV || op === AluOp.MOD) && off === 1;
  const name = sdiv ? (op === AluOp.DIV ? 's/=' : 's%=') : ALU_STR[op >> 4]!;
  if ((code & Source.X) !== 0) {
    const movsx = op === AluOp.MOV && off !== 0 ? `(s${off})` : '';
    return `${w}${dst} ${name} ${movsx}${w}${src}`;
  }
  return `${w}${dst} ${name} ${imm}`;
}

function formatJmp(insn: Instruction, llvm: boolean): string {
  const { code, dst, src, off, imm } = insn;
  const cls = code & 0x07;
  const op = code & 0xf0;
  if (cls === Class.JMP32 && op === JmpOp.JA) return `gotol ${jumpTarget(insn, imm, llvm)}`;
  if (op === JmpOp.JCOND) return `may_goto ${jumpTarget(insn, off, llvm)}`;
  if (code === (Class.JMP | JmpOp.CALL)) return formatCall(insn, llvm);
  if (code === (Class.JMP | JmpOp.CALL | Source.X)) return `callx r${dst}`;
  if (code === (Class.JMP | JmpOp.JA)) return `goto ${jumpTarget(insn, off, llvm)}`;
  if (code === (Class.JMP | JmpOp.EXIT)) return 'exit';
  const w = cls === Class.JMP32 ? 'w' : 'r';
  const rhs = (code & Source.X) !== 0 ? `${w}${src}` : hex32(imm);
  return `if ${w}${dst} ${JMP_STR[op >> 4]} ${rhs} goto ${jumpTarget(insn, off, llvm)}`;
}

function formatAtomic(insn: Instruction, llvm: boolean): string {
  const { code, dst, src, off, imm } = insn;
  const size = code & 0x18;
  const m = mem(size, dst, off);
  // LLVM names the 32-bit (and narrower, for acquire/release) value registers `w`; the kernel never does.
  const v = llvm && size !== Size.DW ? 'w' : 'r';
  const bits = size === Size.DW ? '64' : '';
  const fetchOp = ATOMIC_ALU[imm & ~AtomicOp.FETCH];
  if (ATOMIC_ALU[imm] !== undefined) return `lock *${m} ${ALU_STR[imm >> 4]} ${v}${src}`;
  if (fetchOp !== undefined && (imm & AtomicOp.FETCH) !== 0 && imm !== AtomicOp.XCHG && imm !== AtomicOp.CMPXCHG) {
    return `${v}${src} = atomic${llvm ? '' : bits}_fetch_${fetchOp}(${m}, ${v}${src})`;
  }
  if (imm === AtomicOp.CMPXCHG) {
    return llvm ? `${v}0 = cmpxchg${size === Size.DW ? '' : '32'}_${size === Size.DW ? 64 : 32}(r${dst} ${signed(off)}, ${v}0, ${v}${src})`
      : `r0 = atomic${bits}_cmpxchg(${m}, r0, r${src})`;
  }
  if (imm === AtomicOp.XCHG) {
    return llvm ? `${v}${src} = xchg${size === Size.DW ? '' : '32'}_${size === Size.DW ? 64 : 32}(r${dst} ${signed(off)}, ${v}${src})`
      : `r${src} = atomic${bits}_xchg(${m}, r${src})`;
  }
  if (imm === AtomicOp.LOAD_ACQ) return `${v}${dst} = load_acquire((${sizeName(size)} *)(r${src} ${signed(off)}))`;
  if (imm === AtomicOp.STORE_REL) return `store_release(${m}, ${v}${src})`;
  return `BUG_${code.toString(16).padStart(2, '0')}`;
}

function formatMem(insn: Instruction, llvm: boolean): string {
  const { code, dst, src, off, imm } = insn;
  const cls = code & 0x07;
  const size = code & 0x18;
  const mode = code & 0xe0;
  switch (cls) {
    case Class.STX:
      if (mode === Mode.MEM) return `*${mem(size, dst, off)} = r${src}`;
      return formatAtomic(insn, llvm);
    case Class.ST:
      return `*${mem(size, dst, off)} = ${imm}`;
    case Class.LDX:
      return `r${dst} = *(${mode === Mode.MEMSX ? LDSX_STR[size] : sizeName(size)} *)(r${src} ${signed(off)})`;
    default:
      if (code === LD_IMM64) return formatLdImm64(insn);
      if (mode === Mode.ABS) return `r0 = *(${sizeName(size)} *)skb[${imm}]`;
      // llvm-mc reads only `skb[rN]`; the kernel always prints the immediate.
      if (llvm && imm === 0) return `r0 = *(${sizeName(size)} *)skb[r${src}]`;
      return `r0 = *(${sizeName(size)} *)skb[r${src} + ${imm}]`;
  }
}

function formatRaw(insn: Instruction): string {
  const hi = insn.immHi !== undefined ? ` hi=${insn.immHi}` : '';
  return `raw(code=0x${(insn.code & 0xff).toString(16).padStart(2, '0')} dst=${insn.dst} src=${insn.src} off=${insn.off} imm=${insn.imm}${hi})`;
}

/**
 * One instruction as text, without slot number or opcode: `r0 = *(u32 *)(r1 +4)`. A jump or
 * call with `target` prints the label instead of the offset. Throws `NotSupportedError` for an
 * instruction the `ubpf` dialect cannot express.
 */
export function formatInstruction(insn: Instruction, opts: FormatOptions = {}): string {
  const dialect = opts.dialect ?? 'kernel';
  if (dialect === 'ubpf') return formatUbpf(insn);
  // An encoding no kernel accepts (e.g. from `decode(bytes, { validate: false })`) has no syntax:
  // its raw fields print so that nothing is hidden, and parseAsm reads them back as they are.
  // An LD_IMM64 without `immHi` is how `decode` reports one with a broken second slot.
  if (checkInstruction(insn) !== undefined || (insn.code === LD_IMM64 && insn.immHi === undefined)) return formatRaw(insn);
  // The kernel ignores `off` of EXIT, so such an exit is valid, but `exit` cannot carry the field.
  if (insn.code === (Class.JMP | JmpOp.EXIT) && insn.off !== 0) return formatRaw(insn);
  const llvm = dialect === 'llvm';
  switch (insn.code & 0x07) {
    case Class.ALU: case Class.ALU64: return formatAlu(insn);
    case Class.JMP: case Class.JMP32: return formatJmp(insn, llvm);
    default: return formatMem(insn, llvm);
  }
}

/**
 * A program as text, one instruction a line; an instruction with a `symbol` is preceded by a
 * `symbol:` label line. In the `kernel` dialect each line starts as in the verifier log,
 * `0: (b7) r0 = 0`, where the number is the slot index (LD_IMM64 takes two).
 * {@link parseAsm} reads the result back (with the matching dialect: `llvm` for kernel and llvm).
 */
export function disassemble(insns: readonly Instruction[], opts: DisassembleOptions = {}): string {
  const dialect = opts.dialect ?? 'kernel';
  const slots = opts.slots ?? dialect === 'kernel';
  const at = slotOffsets(insns);
  const lines: string[] = [];
  insns.forEach((insn, i) => {
    if (insn.symbol !== undefined) lines.push(`${insn.symbol}:`);
    const text = formatInstruction(insn, { dialect });
    lines.push(slots ? `${at[i]}: (${insn.code.toString(16).padStart(2, '0')}) ${text}` : `\t${text}`);
  });
  return lines.length > 0 ? `${lines.join('\n')}\n` : '';
}
