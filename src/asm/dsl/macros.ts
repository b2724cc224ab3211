/**
 * Macros for the boilerplate nearly every program has: a map lookup with the key on the stack, a
 * null check, a bounds-checked packet window, returning a constant. Each returns a short list of
 * ordinary instructions (nest it in the program list as is); every instruction carries the
 * user's source line, not the macro's.
 * @module
 */
import type { SourceLocation } from '../../errors.js';
import type { Instruction } from '../instruction.js';
import { add64, mov64 } from './alu.js';
import { call, exit } from './call.js';
import { loadMap, refKeySize } from './imm64.js';
import type { MapRef } from './imm64.js';
import { jeq64, jgt64, jne64 } from './jump.js';
import { ldx, st, stx } from './memory.js';
import type { MemSize } from './memory.js';
import { fail, isReg, readable, show, writable } from './operands.js';
import { R0, R1, R2, R3, R4, R10 } from './registers.js';
import type { Register, WritableRegister } from './registers.js';
import type { Target } from './operands.js';
import { atSource, captureSource } from './source.js';

const KEY_SIZES: Readonly<Record<number, MemSize>> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };

/** Options of `asm.mapLookup`. */
export interface MapLookupOptions {
  /** The map, by name or object. */
  readonly map: MapRef;
  /** The key: a register whose low `keySize` bytes are the key, or an immediate. */
  readonly key: Register | number;
  /** Key size in bytes (1, 2, 4 or 8). Default: the map object's `keySize` (or key codec size), else 4. */
  readonly keySize?: number;
  /** Where on the stack the key goes, relative to R10; a negative multiple of `keySize`. Default: `-keySize`. */
  readonly stackOffset?: number;
}

/**
 * `r0 = bpf_map_lookup_elem(&map, &key)` with the key stored on the stack:
 * store the key at `r10 + stackOffset`, `r2 = r10 + stackOffset`, `r1 = map`, `call`. R0 is then the
 * value pointer or NULL (check it with {@link ifNull}); R1-R5 are clobbered.
 */
export function mapLookup(opts: MapLookupOptions): Instruction[] {
  const source = captureSource();
  const op = 'mapLookup';
  if (typeof opts !== 'object' || opts === null) fail(op, `options must be an object, got ${show(opts)}`, source);
  const fromMap = typeof opts.map === 'object' && opts.map !== null ? refKeySize(opts.map) : undefined;
  const keySize = opts.keySize ?? fromMap ?? 4;
  const size = Object.hasOwn(KEY_SIZES, keySize) ? KEY_SIZES[keySize] : undefined;
  if (size === undefined) fail(op, `keySize must be 1, 2, 4 or 8 (larger keys: build them on the stack yourself), got ${show(keySize)}`, source);
  const at = opts.stackOffset ?? -keySize;
  if (typeof at !== 'number' || !Number.isInteger(at) || at >= 0 || at < -512 || at % keySize !== 0) {
    fail(op, `stackOffset must be a negative multiple of ${keySize} in -512..-${keySize}, got ${show(at)}`, source);
  }
  return atSource(source, () => [
    isReg(opts.key) ? stx(size, R10, at, opts.key) : st(size, R10, at, opts.key),
    mov64(R2, R10),
    add64(R2, at),
    loadMap(R1, opts.map),
    call('map_lookup_elem'),
  ]);
}

/** `if reg == 0 goto to`: the null check the verifier wants after a lookup. */
export function ifNull(reg: Register, to: Target): Instruction {
  return jeq64(reg, 0, to);
}

/** `if reg != 0 goto to`. */
export function ifNotNull(reg: Register, to: Target): Instruction {
  return jne64(reg, 0, to);
}

/** Context offsets of the packet pointers, per program kind. */
const PACKET_CTX = {
  /** `struct xdp_md`: data at 0, data_end at 4. */
  xdp: { data: 0, dataEnd: 4 },
  /** `struct __sk_buff` (tc, cgroup_skb, socket filters with direct access): data at 76, data_end at 80. */
  skb: { data: 76, dataEnd: 80 },
} as const;

/** Options of `asm.packetBounds`. */
export interface PacketBoundsOptions {
  /** Which context: `xdp` (`struct xdp_md`) or `skb` (`struct __sk_buff`: tc and friends). */
  readonly ctx: 'xdp' | 'skb';
  /** Bytes from the packet start that must be readable after the check. */
  readonly length: number;
  /** Where to go when the packet is shorter than `length`. */
  readonly orElse: Target;
  /** The register holding the context. Default R1. */
  readonly ctxReg?: Register;
  /** Receives `data`. Default R2. */
  readonly data?: WritableRegister;
  /** Receives `data_end`. Default R3. */
  readonly dataEnd?: WritableRegister;
  /** Scratch register for `data + length`. Default R4. */
  readonly tmp?: WritableRegister;
}

function distinct(op: string, regs: Record<string, Register>, source: SourceLocation | undefined): void {
  const seen = new Map<number, string>();
  for (const [role, r] of Object.entries(regs)) {
    const other = seen.get(r.reg);
    if (other !== undefined) fail(op, `${role} and ${other} must be different registers, both are ${r.name}`, source);
    seen.set(r.reg, role);
  }
}

/**
 * Loads `data` and `data_end` from the context and jumps to `orElse` unless
 * `data + length <= data_end`; after it, `[data, data + length)` may be read directly.
 */
export function packetBounds(opts: PacketBoundsOptions): Instruction[] {
  const source = captureSource();
  const op = 'packetBounds';
  if (typeof opts !== 'object' || opts === null) fail(op, `options must be an object, got ${show(opts)}`, source);
  if (opts.ctx !== 'xdp' && opts.ctx !== 'skb') fail(op, `ctx must be 'xdp' or 'skb', got ${show(opts.ctx)}`, source);
  const layout = PACKET_CTX[opts.ctx];
  if (typeof opts.length !== 'number' || !Number.isInteger(opts.length) || opts.length <= 0 || opts.length > 0xffff) {
    fail(op, `length must be an integer 1..65535, got ${show(opts.length)}`, source);
  }
  const ctx = opts.ctxReg ?? R1;
  const data = opts.data ?? R2;
  const dataEnd = opts.dataEnd ?? R3;
  const tmp = opts.tmp ?? R4;
  readable(op, 'ctxReg', ctx, source);
  writable(op, 'data', data, source);
  writable(op, 'dataEnd', dataEnd, source);
  writable(op, 'tmp', tmp, source);
  distinct(op, { data, dataEnd, tmp }, source);
  return atSource(source, () => {
    // Load into the register that is not the context first, so ctx may be reused as data or dataEnd.
    const loads = [ldx('u32', data, ctx, layout.data), ldx('u32', dataEnd, ctx, layout.dataEnd)];
    if (data.reg === ctx.reg) loads.reverse();
    return [...loads, mov64(tmp, data), add64(tmp, opts.length), jgt64(tmp, dataEnd, opts.orElse)];
  });
}

/** `r0 = value; exit`: return a constant. */
export function ret(value: number): Instruction[] {
  return atSource(captureSource(), () => [mov64(R0, value), exit()]);
}

