/**
 * Scalar ALU transfer functions (Linux 6.18 adjust_scalar_min_max_vals and the scalar parts of
 * check_alu_op): the result of `dst op= src` on the abstract values, in place in `dst`.
 * @module
 */

/**
 * adjust_scalar_min_max_vals: `op` is the ALU operation as encoded (AluOp.ADD = 0x00 ...
 * AluOp.ARSH = 0xc0); `alu64` for BPF_ALU64. For NEG `src` is ignored. Ops the kernel cannot
 * compute (div, mod, shift by a non-constant or >= width) make `dst` fully unknown (64-bit, no
 * zext) exactly as the kernel does. Ends with zext (alu32) and reg_bounds_sync.
 * An immediate operand is a scalar made with markKnown(imm, imm < 0 ? -1 : 0) (the kernel
 * sign-extends the 32-bit imm to 64 bits for both ALU and ALU64).
 */
export function scalarAlu(d: Uint32Array, db: number, src: Uint32Array, sb: number, op: number, alu64: boolean): void {
  void d; void db; void src; void sb; void op; void alu64; throw new Error('todo');
}

/** zext_32_to_64: keep the low 32 bits (var_off and the 32-bit bounds become the 64-bit ones). */
export function zext32to64(s: Uint32Array, b: number): void { void s; void b; throw new Error('todo'); }

/** coerce_reg_to_size: truncate to `size` bytes (1, 2, 4) as a zero-extending load does. */
export function coerceRegToSize(s: Uint32Array, b: number, size: number): void { void s; void b; void size; throw new Error('todo'); }

/** coerce_reg_to_size_sx: sign-extend the low `size` bytes (1, 2, 4) to 64 bits (movsx, ldsx). */
export function coerceRegToSizeSx(s: Uint32Array, b: number, size: number): void { void s; void b; void size; throw new Error('todo'); }

/** coerce_subreg_to_size_sx: sign-extend the low `size` bytes (1, 2) to 32 bits (movsx32). */
export function coerceSubregToSizeSx(s: Uint32Array, b: number, size: number): void { void s; void b; void size; throw new Error('todo'); }

/** get_reg_width: fls64(umax_value), the number of significant bits of the largest value. */
export function regWidth(s: Uint32Array, b: number): number { void s; void b; throw new Error('todo'); }
