/**
 * Little-endian field writers for `union bpf_attr` and the info structs. Each command's layout is a
 * table of byte offsets next to the code that uses it; these helpers keep the accesses uniform.
 * @module
 */

/** A DataView over `bytes` (sharing its memory). */
export function viewOf(bytes: Uint8Array): DataView {
  return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Writes a u32 at `off`. */
export function putU32(dv: DataView, off: number, v: number): void {
  dv.setUint32(off, v >>> 0, true);
}

/** Writes a s32 at `off`. */
export function putI32(dv: DataView, off: number, v: number): void {
  dv.setInt32(off, v | 0, true);
}

/**
 * Writes a u64 at `off` from a number (exact below 2^53: addresses, counts, flags) without BigInt.
 */
export function putU64(dv: DataView, off: number, v: number): void {
  dv.setUint32(off, v % 0x1_0000_0000, true);
  dv.setUint32(off + 4, Math.floor(v / 0x1_0000_0000), true);
}

/** Writes a u64 at `off` from a bigint. */
export function putU64Big(dv: DataView, off: number, v: bigint): void {
  dv.setBigUint64(off, BigInt.asUintN(64, v), true);
}

/** Reads a u32 at `off`. */
export function getU32(dv: DataView, off: number): number {
  return dv.getUint32(off, true);
}

/** Reads a u64 at `off` as a number (exact below 2^53). */
export function getU64(dv: DataView, off: number): number {
  return dv.getUint32(off, true) + dv.getUint32(off + 4, true) * 0x1_0000_0000;
}

/** Reads a u64 at `off` as a bigint. */
export function getU64Big(dv: DataView, off: number): bigint {
  return dv.getBigUint64(off, true);
}

/** Writes `s` as a NUL-padded C string of at most `max` bytes (including the NUL) at `off`. */
export function putCString(bytes: Uint8Array, off: number, s: string, max: number): void {
  const enc = new TextEncoder().encode(s);
  const n = Math.min(enc.length, max - 1);
  bytes.set(enc.subarray(0, n), off);
  bytes.fill(0, off + n, off + max);
}

/** Reads a NUL-terminated C string of at most `max` bytes at `off`. */
export function getCString(bytes: Uint8Array, off: number, max: number): string {
  let end = off;
  while (end < off + max && bytes[end] !== 0) end++;
  return new TextDecoder().decode(bytes.subarray(off, end));
}
