/**
 * Opcode fields of eBPF (RFC 9669 and the Linux 6.18 extensions).
 *
 * ```
 *  ALU/JMP:  +----------------+----+------+     LD/ST:  +--------+------+------+
 *            |  op (4 bits)   | s  |class |             | mode(3)|size 2|class |
 *            +----------------+----+------+             +--------+------+------+
 *             7             4   3   2    0               7      5 4    3 2    0
 * ```
 * `s` is the source bit: 0 = immediate (K), 1 = register (X).
 * @module
 */

/** Instruction classes: the low three bits of the opcode. */
export const Class = {
  LD: 0x00, LDX: 0x01, ST: 0x02, STX: 0x03, ALU: 0x04, JMP: 0x05, JMP32: 0x06, ALU64: 0x07,
} as const;

/** ALU operations: the high four bits of an ALU/ALU64 opcode. */
export const AluOp = {
  ADD: 0x00, SUB: 0x10, MUL: 0x20, DIV: 0x30, OR: 0x40, AND: 0x50, LSH: 0x60, RSH: 0x70,
  NEG: 0x80, MOD: 0x90, XOR: 0xa0, MOV: 0xb0, ARSH: 0xc0, END: 0xd0,
} as const;

/** Jump operations: the high four bits of a JMP/JMP32 opcode. */
export const JmpOp = {
  JA: 0x00, JEQ: 0x10, JGT: 0x20, JGE: 0x30, JSET: 0x40, JNE: 0x50, JSGT: 0x60, JSGE: 0x70,
  CALL: 0x80, EXIT: 0x90, JLT: 0xa0, JLE: 0xb0, JSLT: 0xc0, JSLE: 0xd0, JCOND: 0xe0,
} as const;

/** Source bit of ALU/JMP opcodes. For END (byte swap) it selects to-big-endian (X) or to-little-endian (K). */
export const Source = { K: 0x00, X: 0x08 } as const;

/** Access sizes of load/store opcodes. */
export const Size = { W: 0x00, H: 0x08, B: 0x10, DW: 0x18 } as const;

/** Modes of load/store opcodes. */
export const Mode = { IMM: 0x00, ABS: 0x20, IND: 0x40, MEM: 0x60, MEMSX: 0x80, ATOMIC: 0xc0 } as const;

/** Atomic operations, in the `imm` of an STX|ATOMIC instruction. */
export const AtomicOp = {
  ADD: 0x00, OR: 0x40, AND: 0x50, XOR: 0xa0, FETCH: 0x01, XCHG: 0xe1, CMPXCHG: 0xf1,
  /** `dst = load_acquire(src + off)` (Linux 6.15+). */
  LOAD_ACQ: 0x100,
  /** `store_release(dst + off, src)` (Linux 6.15+). */
  STORE_REL: 0x110,
} as const;

/** `src` of an LD_IMM64 instruction: what the 64-bit immediate stands for. */
export const PseudoLd = {
  /** A plain 64-bit constant. */
  NONE: 0,
  /** `imm` is a map fd; the register becomes a map pointer. */
  MAP_FD: 1,
  /** `imm` is a map fd, the second `imm` an offset into its (single) value. */
  MAP_VALUE: 2,
  /** `imm` is a BTF id of a kernel variable. */
  BTF_ID: 3,
  /** `imm` is a relative instruction offset of a subprogram (a callback). */
  FUNC: 4,
  /** `imm` is an index into the `fd_array` given at load. */
  MAP_IDX: 5,
  /** Like MAP_IDX, the second `imm` an offset into the value. */
  MAP_IDX_VALUE: 6,
} as const;

/** `src` of a CALL instruction. */
export const PseudoCall = {
  /** `imm` is a helper id. */
  HELPER: 0,
  /** `imm` is a relative instruction offset of a BPF-to-BPF subprogram. */
  CALL: 1,
  /** `imm` is the BTF id of a kernel function; `off` the index of its BTF in `fd_array` (0: vmlinux). */
  KFUNC: 2,
} as const;

/** `src` of a JMP|JCOND instruction. */
export const PseudoCond = { MAY_GOTO: 0 } as const;

/** `off` of `ALU64|MOV|X` that makes it an address-space cast (Linux 6.9+). */
export const ADDR_SPACE_CAST = 1;

/** Register numbers. R10 is the read-only frame pointer. */
export type RegisterNumber = 0 | 1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9 | 10;

/** The LD_IMM64 opcode (`BPF_LD | BPF_IMM | BPF_DW`): the only instruction that takes two slots. */
export const LD_IMM64 = Class.LD | Mode.IMM | Size.DW;

/** Extracts the class of an opcode. */
export const classOf = (code: number): number => code & 0x07;
/** Extracts the ALU/JMP operation of an opcode. */
export const opOf = (code: number): number => code & 0xf0;
/** Extracts the source bit of an ALU/JMP opcode. */
export const sourceOf = (code: number): number => code & 0x08;
/** Extracts the size of a load/store opcode. */
export const sizeOf = (code: number): number => code & 0x18;
/** Extracts the mode of a load/store opcode. */
export const modeOf = (code: number): number => code & 0xe0;

/** Whether the class is ALU or ALU64. */
export const isAluClass = (cls: number): boolean => cls === Class.ALU || cls === Class.ALU64;
/** Whether the class is JMP or JMP32. */
export const isJmpClass = (cls: number): boolean => cls === Class.JMP || cls === Class.JMP32;

/** Bytes accessed by each load/store size. */
export function sizeBytes(size: number): 1 | 2 | 4 | 8 {
  switch (size) {
    case Size.B: return 1;
    case Size.H: return 2;
    case Size.W: return 4;
    default: return 8;
  }
}

/** The C type name the kernel's printer uses for each size (`u8`, `u16`, `u32`, `u64`). */
export function sizeName(size: number): 'u8' | 'u16' | 'u32' | 'u64' {
  switch (size) {
    case Size.B: return 'u8';
    case Size.H: return 'u16';
    case Size.W: return 'u32';
    default: return 'u64';
  }
}
