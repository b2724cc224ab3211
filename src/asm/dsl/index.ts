/**
 * The instruction DSL: registers, one builder per instruction family, labels, `assemble` and
 * macros, gathered in the `asm` namespace object:
 *
 * ```ts
 * import { asm, R0, R1, R2 } from 'ts-ebpf';
 * const { instructions } = asm.program([
 *   asm.mov64(R0, 0),
 *   asm.jeq64(R1, 0, 'out'),
 *   asm.add64(R0, R1),
 *   asm.label('out'),
 *   asm.exit(),
 * ]);
 * ```
 * @module
 */
import * as alu from './alu.js';
import * as assembleMod from './assemble.js';
import * as atomic from './atomic.js';
import * as callMod from './call.js';
import * as imm64 from './imm64.js';
import * as jump from './jump.js';
import * as macros from './macros.js';
import * as memory from './memory.js';
import * as registers from './registers.js';
import * as source from './source.js';

export { R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10, FP, isRegister, reg } from './registers.js';
export type { Register, WritableRegister } from './registers.js';
export { setSourceTracking, isSourceTracking, withSourceTracking } from './source.js';
export { assemble, label } from './assemble.js';
export type { Assembled, AssembleOptions, Label, ProgramItem } from './assemble.js';
export type { MapRef, MapRefLike } from './imm64.js';
export type { MemSize, SignedMemSize } from './memory.js';
export type { AluBuilder } from './alu.js';
export type { JumpBuilder } from './jump.js';
export type { AtomicBuilder } from './atomic.js';
export type { KfuncOptions } from './call.js';
export type { Target } from './operands.js';
export type { MapLookupOptions, PacketBoundsOptions } from './macros.js';

const { mapObjectOf: _internalMapObjectOf, mapName: _internalMapName, refKeySize: _internalKeySize, ...imm64Builders } = imm64;
const { nearHelperNames: _internalNear, ...callBuilders } = callMod;
const { sizeBits: _internalSizeBits, ...memoryBuilders } = memory;

/**
 * Every builder, `label`, `assemble`/`program`, the macros and the registers, under one name:
 * `asm.add64(R1, 5)`, `asm.jeq64(R1, 0, 'out')`, `asm.call('map_lookup_elem')`, `asm.program([...])`.
 */
export const asm = Object.freeze({
  ...alu,
  ...jump,
  ...memoryBuilders,
  ...atomic,
  ...callBuilders,
  ...imm64Builders,
  ...macros,
  /** `name:` — a label naming the instruction that follows it. */
  label: assembleMod.label,
  /** Flattens a program, checks it and resolves every label reference; see the `assemble` export. */
  assemble: assembleMod.assemble,
  /** The same as `assemble`. */
  program: assembleMod.program,
  ...registers,
  /** Turns source tracking on or off for everything built afterwards. */
  setSourceTracking: source.setSourceTracking,
  /** Runs a function with source tracking set, then restores the setting. */
  withSourceTracking: source.withSourceTracking,
});
