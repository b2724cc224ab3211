/**
 * Registers of the DSL. A register is a small frozen object, not a number, so that a builder can
 * tell `add64(R1, R2)` (register form) from `add64(R1, 2)` (immediate form) by the operand's type,
 * both for TypeScript and at run time.
 * @module
 */
import { BadInputError } from '../../errors.js';
import type { RegisterNumber } from '../opcode.js';

const REGISTER: unique symbol = Symbol.for('ts-ebpf.register');

/** An eBPF register, R0-R10. `N` is its number, so R10 can be kept out of destinations by type. */
export interface Register<N extends RegisterNumber = RegisterNumber> {
  /** The register number as it goes in `dst`/`src`. */
  readonly reg: N;
  /** The name as the kernel prints it, e.g. `r1`. */
  readonly name: `r${N}`;
  /** Brand: only the constants below (and {@link reg}) are registers. */
  readonly [REGISTER]: true;
}

/** A register that may be written: every register but R10, the read-only frame pointer. */
export type WritableRegister = Register<Exclude<RegisterNumber, 10>>;

function make<N extends RegisterNumber>(n: N): Register<N> {
  return Object.freeze({ reg: n, name: `r${n}` as `r${N}`, [REGISTER]: true as const, toString: () => `r${n}` });
}

/** R0: return value of helpers, calls and the program. */
export const R0: Register<0> = make(0);
/** R1: first argument; the context pointer at program entry. */
export const R1: Register<1> = make(1);
/** R2: second argument. */
export const R2: Register<2> = make(2);
/** R3: third argument. */
export const R3: Register<3> = make(3);
/** R4: fourth argument. */
export const R4: Register<4> = make(4);
/** R5: fifth argument. */
export const R5: Register<5> = make(5);
/** R6: callee-saved. */
export const R6: Register<6> = make(6);
/** R7: callee-saved. */
export const R7: Register<7> = make(7);
/** R8: callee-saved. */
export const R8: Register<8> = make(8);
/** R9: callee-saved. */
export const R9: Register<9> = make(9);
/** R10: the read-only frame pointer (top of the 512-byte stack). Never a destination. */
export const R10: Register<10> = make(10);

const ALL: readonly Register[] = [R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10];

/** The frame pointer under its usual alias. */
export const FP: Register<10> = R10;

/** Whether a value is one of the DSL's registers. */
export function isRegister(v: unknown): v is Register {
  return typeof v === 'object' && v !== null && (v as { [REGISTER]?: unknown })[REGISTER] === true;
}

/**
 * The register with number `n`, for generated code (statically typed code should use R0..R10).
 * Throws a BadInputError when `n` is not an integer 0-10.
 */
export function reg(n: number): Register {
  const r = Number.isInteger(n) ? ALL[n] : undefined;
  if (r === undefined) throw new BadInputError(`register number must be an integer 0-10, got ${String(n)}`);
  return r;
}
