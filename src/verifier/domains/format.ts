/**
 * The kernel's log rendering of scalars (Linux 6.18 kernel/bpf/log.c): numbers up to 16 bits
 * in decimal, larger ones in hex; equal bounds merged (`smin=smin32=0`).
 * @module
 */

/** verbose_unum: u64 `hi:lo` as `%llu` when <= 65535, else `%#llx`. */
export function unumStr(lo: number, hi: number): string { void lo; void hi; throw new Error('todo'); }

/** verbose_snum: s64 `hi:lo` as `%lld` when in [-32768, 32767], else `%#llx` of the bit pattern. */
export function snumStr(lo: number, hi: number): string { void lo; void hi; throw new Error('todo'); }

/** tnum_strn of var_off: the constant, or `(0x0; 0xff)`. */
export function tnumStr(s: Uint32Array, b: number): string { void s; void b; throw new Error('todo'); }

/** print_scalar_ranges: `smin=...,umax=...` with the kernel's omissions and merging ('' if none). */
export function scalarRangesStr(s: Uint32Array, b: number): string { void s; void b; throw new Error('todo'); }

/**
 * print_reg_state for a SCALAR_VALUE: `P` if precise, then the signed constant (`42`, `-1`,
 * `0xffff0000`) or `scalar(id=N,<ranges>,var_off=(v; m))` (id omitted when 0, var_off when unknown).
 * `linkOff`: for a linked scalar carrying BPF_ADD_CONST, its offset, printed `id=N+3`.
 */
export function scalarStr(s: Uint32Array, b: number, id = 0, precise = false, linkOff?: number): string {
  void s; void b; void id; void precise; void linkOff; throw new Error('todo');
}
