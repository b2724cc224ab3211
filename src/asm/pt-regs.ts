/**
 * Where the registers are in `struct pt_regs`, the context of kprobe, uprobe and their return
 * probes: byte offsets of the argument, return-value, stack-pointer, frame-pointer and
 * instruction-pointer registers, as libbpf's `PT_REGS_PARM1..8`, `PT_REGS_RC`, `PT_REGS_SP`,
 * `PT_REGS_FP`, `PT_REGS_IP` and `PT_REGS_PARMn_SYSCALL` (tools/lib/bpf/bpf_tracing.h) name them,
 * with the layouts of arch/x86/include/asm/ptrace.h, arch/arm64/include/asm/ptrace.h and
 * arch/riscv/include/asm/ptrace.h (Linux 6.18). Pure data: `asm.ldx('u64', R1, R6, ptRegs().arg(1))`.
 * @module
 */
import { BadInputError } from '../errors.js';

/** The architectures whose `struct pt_regs` is known here, by Node's `process.arch` names. */
export const ptRegsArchs = ['x64', 'arm64', 'riscv64'] as const;

/** An architecture of {@link ptRegsArchs}. */
export type PtRegsArch = (typeof ptRegsArchs)[number];

/** Byte offsets of registers in one architecture's `struct pt_regs` (each register is 8 bytes). */
export interface PtRegsLayout {
  /** The architecture. */
  readonly arch: PtRegsArch;
  /** How many arguments {@link PtRegsLayout.arg} knows (libbpf's `PT_REGS_PARM1` up to this). */
  readonly maxArgs: number;
  /**
   * The `n`th argument (1-based, as `PT_REGS_PARMn`) of a function, at its entry (kprobe, uprobe).
   * @throws BadInputError when `n` is not an integer from 1 to {@link PtRegsLayout.maxArgs}.
   */
  arg(n: number): number;
  /**
   * The `n`th argument (1-based, 1 to 6, as `PT_REGS_PARMn_SYSCALL`) of a system call, in the
   * `pt_regs` the user-space registers were saved in at the syscall's entry. On x86-64 the 4th is
   * in r10, not rcx (the `syscall` instruction clobbers rcx); on arm64 and riscv64 the 1st is the
   * saved original (`orig_x0`, `orig_a0`: x0/a0 are overwritten by the return value). With
   * syscall wrappers (x86-64, arm64, riscv64), a kprobe on `__x64_sys_*` gets that `pt_regs` as
   * its own first argument, a pointer to read through (`bpf_probe_read_kernel`).
   * @throws BadInputError when `n` is not an integer from 1 to 6.
   */
  syscallArg(n: number): number;
  /** The return value (`PT_REGS_RC`), at a function's return (kretprobe, uretprobe). */
  readonly ret: number;
  /** The stack pointer (`PT_REGS_SP`). */
  readonly sp: number;
  /** The frame pointer (`PT_REGS_FP`; meaningful only in code built with frame pointers). */
  readonly fp: number;
  /** The instruction pointer (`PT_REGS_IP`): at a probe, the probed address. */
  readonly ip: number;
}

/** The registers of one layout, as offsets (argument and syscall-argument lists are PARM1 first). */
interface RegisterOffsets {
  readonly args: readonly number[];
  readonly syscallArgs: readonly number[];
  readonly ret: number;
  readonly sp: number;
  readonly fp: number;
  readonly ip: number;
}

const U64 = 8;

// x86-64 struct pt_regs: r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di orig_ax ip cs flags sp ss.
const X64 = { r10: 7, r9: 8, r8: 9, bp: 4, ax: 10, cx: 11, dx: 12, si: 13, di: 14, ip: 16, sp: 19 } as const;
// arm64 struct pt_regs: regs[31] sp pc pstate (struct user_pt_regs), then orig_x0.
const ARM64 = { sp: 31, pc: 32, origX0: 34 } as const;
// riscv64 struct pt_regs: epc ra sp gp tp t0 t1 t2 s0 s1 a0..a7 s2..s11 t3..t6 status badaddr cause orig_a0.
const RISCV64 = { epc: 0, sp: 2, s0: 8, a0: 10, origA0: 35 } as const;

const at = (slot: number): number => slot * U64;

const LAYOUTS: Readonly<Record<PtRegsArch, RegisterOffsets>> = {
  x64: {
    args: [X64.di, X64.si, X64.dx, X64.cx, X64.r8, X64.r9].map(at),
    syscallArgs: [X64.di, X64.si, X64.dx, X64.r10, X64.r8, X64.r9].map(at),
    ret: at(X64.ax), sp: at(X64.sp), fp: at(X64.bp), ip: at(X64.ip),
  },
  arm64: {
    args: [0, 1, 2, 3, 4, 5, 6, 7].map(at),
    syscallArgs: [ARM64.origX0, 1, 2, 3, 4, 5].map(at),
    ret: at(0), sp: at(ARM64.sp), fp: at(29), ip: at(ARM64.pc),
  },
  riscv64: {
    args: [0, 1, 2, 3, 4, 5, 6, 7].map((i) => at(RISCV64.a0 + i)),
    syscallArgs: [RISCV64.origA0, ...[1, 2, 3, 4, 5].map((i) => RISCV64.a0 + i)].map(at),
    ret: at(RISCV64.a0), sp: at(RISCV64.sp), fp: at(RISCV64.s0), ip: at(RISCV64.epc),
  },
};

// The kernel's (uname -m) names of the same architectures.
const ALIASES: Readonly<Record<string, PtRegsArch>> = { x86_64: 'x64', aarch64: 'arm64' };

function pick(list: readonly number[], n: number, what: string, arch: PtRegsArch): number {
  if (!Number.isInteger(n) || n < 1 || n > list.length) {
    throw new BadInputError(`${what} ${n} is not in pt_regs on ${arch}: arguments are numbered 1 to ${list.length}`);
  }
  return list[n - 1]!;
}

/**
 * The `struct pt_regs` offsets of an architecture (default: the one this runs on, which is the
 * kernel's, as BPF programs see the kernel's `pt_regs`).
 * @param arch `process.arch` name (`x64`, `arm64`, `riscv64`) or the kernel's (`x86_64`, `aarch64`).
 * @throws BadInputError for an architecture whose layout is not known here.
 */
export function ptRegs(arch: string = process.arch): PtRegsLayout {
  const name = ALIASES[arch] ?? arch;
  if (!(ptRegsArchs as readonly string[]).includes(name)) {
    throw new BadInputError(`the layout of struct pt_regs is not known for ${arch} (known: ${ptRegsArchs.join(', ')})`);
  }
  const known = name as PtRegsArch;
  const r = LAYOUTS[known];
  return {
    arch: known, maxArgs: r.args.length,
    arg: (n) => pick(r.args, n, 'argument', known),
    syscallArg: (n) => pick(r.syscallArgs, n, 'syscall argument', known),
    ret: r.ret, sp: r.sp, fp: r.fp, ip: r.ip,
  };
}
