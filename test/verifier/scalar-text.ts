/**
 * Reads a scalar as the kernel's verifier log prints it (`scalar(smin=smin32=0,umax=240,
 * var_off=(0x0; 0xff))`, or a constant such as `-5`) back into the domain model's slab, so that
 * states copied from a kernel log can be fed to the transfer functions. Ids are ignored.
 */
import { SCALAR_WORDS, markKnown, markUnknown } from '../../src/verifier/domains/scalar.js';

/** Slab word of the low half of each 64-bit bound, and the word of each 32-bit one. */
const BOUND64: Readonly<Record<string, number>> = { umin: 4, umax: 6, smin: 8, smax: 10 };
const BOUND32: Readonly<Record<string, number>> = { umin32: 12, umax32: 13, smin32: 14, smax32: 15 };

const u64 = (text: string): bigint => BigInt.asUintN(64, BigInt(text));

/** Parses one register state the kernel printed; fields it omitted take their unbounded values. */
export function parseScalarText(text: string): Uint32Array {
  const s = new Uint32Array(SCALAR_WORDS);
  const put = (i: number, x: bigint): void => { s[i] = Number(x & 0xffffffffn); s[i + 1] = Number(x >> 32n); };
  if (!text.startsWith('scalar(')) {
    const v = u64(text);
    markKnown(s, 0, Number(v & 0xffffffffn), Number(v >> 32n));
    return s;
  }
  markUnknown(s, 0);
  let body = text.slice('scalar('.length, -1);
  const varOff = /var_off=\((0x[0-9a-f]+); (0x[0-9a-f]+)\)/.exec(body);
  if (varOff) { put(0, u64(varOff[1]!)); put(2, u64(varOff[2]!)); body = body.replace(varOff[0], ''); }
  for (const part of body.split(',')) {
    if (part === '' || part.startsWith('id=')) continue;
    const names = part.split('=');
    const value = u64(names.pop()!);
    for (const n of names) {
      if (BOUND64[n] !== undefined) put(BOUND64[n]!, value);
      else if (BOUND32[n] !== undefined) s[BOUND32[n]!] = Number(value & 0xffffffffn);
      else throw new Error(`unknown field ${n} in ${text}`);
    }
  }
  return s;
}

/** The state without its `id=N` (or `id=N+k`) field. */
export function withoutId(text: string): string {
  return text.replace(/id=\d+(?:[+-]\d+)?,?/, '').replace('scalar(,', 'scalar(').replace(',)', ')');
}
