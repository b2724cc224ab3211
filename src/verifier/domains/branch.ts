/**
 * Conditional jumps on scalars (Linux 6.18 is_scalar_branch_taken, regs_refine_cond_op,
 * reg_set_min_max). Opcodes are the JmpOp values (JEQ = 0x10 ...); {@link JSET_REV} stands for
 * "not JSET" as the kernel's rev_opcode does (BPF_JSET | BPF_X).
 * @module
 */

/** The reverse of JSET (rev_opcode's BPF_JSET | BPF_X). */
export const JSET_REV = 0x48;

/** flip_opcode: the operation with its operands swapped (JGT → JLT ...). */
export function flipOpcode(op: number): number { void op; throw new Error('todo'); }

/** rev_opcode: the condition of the fall-through branch (JGT → JLE, JSET → JSET_REV ...). */
export function revOpcode(op: number): number { void op; throw new Error('todo'); }

/**
 * is_scalar_branch_taken for `reg1 op reg2`: 1 always taken, 0 never, -1 unknown.
 * `is32` for JMP32 (compares the low 32 bits and the 32-bit bounds).
 */
export function isBranchTaken(s1: Uint32Array, b1: number, s2: Uint32Array, b2: number, op: number, is32: boolean): -1 | 0 | 1 {
  void s1; void b1; void s2; void b2; void op; void is32; throw new Error('todo');
}

/** regs_refine_cond_op: narrow both registers assuming `reg1 op reg2` holds (no sync). */
export function regsRefineCondOp(s1: Uint32Array, b1: number, s2: Uint32Array, b2: number, op: number, is32: boolean): void {
  void s1; void b1; void s2; void b2; void op; void is32; throw new Error('todo');
}

/**
 * One half of reg_set_min_max: refine both registers for the branch where `reg1 op reg2` holds,
 * reg_bounds_sync both, then reg_bounds_sanity_check both. Returns null, or the sanity-check
 * message of the first register that violated its invariants (it is then reset to unbounded,
 * as the kernel does). For the fall-through branch call it with revOpcode(op).
 */
export function refineBranch(s1: Uint32Array, b1: number, s2: Uint32Array, b2: number, op: number, is32: boolean): string | null {
  void s1; void b1; void s2; void b2; void op; void is32; throw new Error('todo');
}
