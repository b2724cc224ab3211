/**
 * Keeping the five views of a scalar consistent (Linux 6.18 reg_bounds_sync): tnum → bounds,
 * cross-deduction between signed/unsigned and 32/64-bit bounds, bounds → tnum.
 * @module
 */

/** __update_reg_bounds: tighten all bounds from var_off. */
export function updateRegBounds(s: Uint32Array, b: number): void { void s; void b; throw new Error('todo'); }

/** __reg_deduce_bounds: __reg32_deduce_bounds, __reg64_deduce_bounds, __reg_deduce_mixed_bounds. */
export function deduceBounds(s: Uint32Array, b: number): void { void s; void b; throw new Error('todo'); }

/** __reg_bound_offset: intersect var_off with the tnum ranges of the unsigned bounds. */
export function boundOffset(s: Uint32Array, b: number): void { void s; void b; throw new Error('todo'); }

/** reg_bounds_sync: update, deduce twice, bound offset, update again. */
export function regBoundsSync(s: Uint32Array, b: number): void { void s; void b; throw new Error('todo'); }

/**
 * reg_bounds_sanity_check: `null` when consistent; otherwise the kernel's message text
 * ("range bounds violation", ...) and the scalar is reset with __mark_reg_unbounded, as the kernel
 * does when not in test_reg_invariants mode.
 */
export function sanityCheck(s: Uint32Array, b: number): string | null { void s; void b; throw new Error('todo'); }
