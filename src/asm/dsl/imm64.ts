/**
 * The two-slot LD_IMM64 builders: a 64-bit constant (`lddw`), a map reference (`loadMap`,
 * `loadMapValue`) and a subprogram reference for callbacks (`loadFunc`). Map references are by name;
 * a map object may be given instead of its name (anything with a `name`, see {@link MapRefLike}),
 * and `assemble` then lists it in its `maps`.
 * @module
 */
import type { SourceLocation } from '../../errors.js';
import type { Instruction } from '../instruction.js';
import { splitImm64 } from '../instruction.js';
import { LD_IMM64, PseudoLd } from '../opcode.js';
import { captureSource } from './source.js';
import { emit, fail, labelName, show, writable } from './operands.js';
import type { WritableRegister } from './registers.js';

/**
 * Something that stands for a map: a `MapSpec`, a loaded map (which carries its resolved `spec`),
 * or any object with a `name`. The DSL needs only the name (the key size, when present, gives
 * `mapLookup` its default); it never touches fds. `name` is optional in the type so that a
 * `MapSpec` fits as is; a reference to an object without a name is rejected when it is built.
 */
export interface MapRefLike {
  /** The map's name, as instructions reference it. */
  readonly name?: string | undefined;
  /** Key size in bytes, when known. */
  readonly keySize?: number | undefined;
  /** Value size in bytes, when known. */
  readonly valueSize?: number | undefined;
  /** A key codec, when known: its `size` is the key size. */
  readonly key?: { readonly size: number } | undefined;
  /** A loaded map's spec: its `name` and `keySize` are used when the object has none of its own. */
  readonly spec?: { readonly name?: string | undefined; readonly keySize?: number | undefined } | undefined;
}

/** The key size a map object tells, if any: `keySize`, the key codec's size, or its spec's. */
export function refKeySize(map: MapRefLike): number | undefined {
  return map.keySize ?? map.key?.size ?? map.spec?.keySize;
}

/** A map given by name or by an object that has one. */
export type MapRef = string | MapRefLike;

// The object a map reference was given as, keyed by the instruction: instructions stay plain data,
// and `assemble` can still hand the objects back.
const mapObjects = new WeakMap<Instruction, MapRefLike>();

/** The map object an instruction was built with, when it was given as an object. */
export function mapObjectOf(insn: Instruction): MapRefLike | undefined {
  return mapObjects.get(insn);
}

/** Checks a map reference; returns its name (and the object, when one was given). */
export function mapName(op: string, map: unknown, source: SourceLocation | undefined): { name: string; obj?: MapRefLike } {
  if (typeof map === 'string') {
    if (map.length === 0 || /\s/.test(map)) fail(op, `map name must be non-empty without whitespace, got ${show(map)}`, source);
    return { name: map };
  }
  if (typeof map === 'object' && map !== null) {
    const ref = map as MapRefLike;
    const n = ref.name ?? ref.spec?.name;
    if (typeof n !== 'string' || n === '') {
      fail(op, `map object has no name (name the spec, or pass the name), got name ${show(n)}`, source);
    }
    return { name: mapName(op, n, source).name, obj: ref };
  }
  return fail(op, `map must be a name or an object with a name, got ${show(map)}`, source);
}

const MIN64 = -(1n << 63n);
const MAX64 = (1n << 64n) - 1n;

/** `dst = value` for any 64-bit constant (signed or unsigned); takes two slots. */
export function lddw(dst: WritableRegister, value: bigint | number): Instruction {
  const source = captureSource();
  const d = writable('lddw', 'dst', dst, source);
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) fail('lddw', `value must be a safe integer or a bigint, got ${show(value)}`, source);
  } else if (typeof value !== 'bigint' || value < MIN64 || value > MAX64) {
    fail('lddw', `value must fit in 64 bits (-2^63..2^64-1), got ${show(value)}`, source);
  }
  const { imm, immHi } = splitImm64(value);
  return emit('lddw', { code: LD_IMM64, dst: d, src: PseudoLd.NONE, off: 0, imm, immHi }, source);
}

/** `dst = map` (a pointer to the map): LD_IMM64 with src MAP_FD, the fd filled in at load. */
export function loadMap(dst: WritableRegister, map: MapRef): Instruction {
  const source = captureSource();
  const d = writable('loadMap', 'dst', dst, source);
  const { name, obj } = mapName('loadMap', map, source);
  const insn = emit('loadMap', { code: LD_IMM64, dst: d, src: PseudoLd.MAP_FD, off: 0, imm: 0, immHi: 0, map: name }, source);
  if (obj) mapObjects.set(insn, obj);
  return insn;
}

/**
 * `dst = &map.value[0] + off`: a direct pointer into the value of a single-entry array map
 * (global data); LD_IMM64 with src MAP_VALUE.
 */
export function loadMapValue(dst: WritableRegister, map: MapRef, off = 0): Instruction {
  const source = captureSource();
  const d = writable('loadMapValue', 'dst', dst, source);
  const { name, obj } = mapName('loadMapValue', map, source);
  if (typeof off !== 'number' || !Number.isInteger(off) || off < 0 || off > 0x7fff_ffff) {
    fail('loadMapValue', `value offset must be an integer 0..2147483647, got ${show(off)}`, source);
  }
  const insn = emit('loadMapValue', {
    code: LD_IMM64, dst: d, src: PseudoLd.MAP_VALUE, off: 0, imm: 0, immHi: off | 0, map: name,
  }, source);
  if (obj) mapObjects.set(insn, obj);
  return insn;
}

/** `dst = &fn`: a pointer to the subprogram at label `fn`, for callback helpers (`bpf_loop`, ...). */
export function loadFunc(dst: WritableRegister, fn: string): Instruction {
  const source = captureSource();
  const d = writable('loadFunc', 'dst', dst, source);
  const t = labelName('loadFunc', fn, source);
  return emit('loadFunc', { code: LD_IMM64, dst: d, src: PseudoLd.FUNC, off: 0, imm: 0, immHi: 0, target: t }, source);
}
