/**
 * Test oracle, part 1: 64-bit BigInt helpers and a BigInt port of Linux 6.18 kernel/bpf/tnum.c
 * (plus the 6.18 stable tnum_step), written from the kernel source.
 */
export const M64 = (1n << 64n) - 1n;
export const u64 = (x: bigint): bigint => BigInt.asUintN(64, x);
export const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
export const u32 = (x: bigint): bigint => BigInt.asUintN(32, x);
export const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);

export interface Tn { v: bigint; m: bigint }

// ---- tnum.c ----
export const tconst = (x: bigint): Tn => ({ v: u64(x), m: 0n });
export const tunknown = (): Tn => ({ v: 0n, m: M64 });
export function fls64(x: bigint): number { return x === 0n ? 0 : x.toString(2).length; }
export function trange(mn: bigint, mx: bigint): Tn {
  const chi = u64(mn) ^ u64(mx); const bits = fls64(chi);
  if (bits > 63) return tunknown();
  const delta = (1n << BigInt(bits)) - 1n;
  return { v: u64(mn) & ~delta, m: delta };
}
export const tlsh = (a: Tn, n: number): Tn => ({ v: u64(a.v << BigInt(n)), m: u64(a.m << BigInt(n)) });
export const trsh = (a: Tn, n: number): Tn => ({ v: a.v >> BigInt(n), m: a.m >> BigInt(n) });
export function tarsh(a: Tn, n: number, bits: 32 | 64): Tn {
  if (bits === 32) return { v: u32(s32(a.v) >> BigInt(n)), m: u32(s32(a.m) >> BigInt(n)) };
  return { v: u64(s64(a.v) >> BigInt(n)), m: u64(s64(a.m) >> BigInt(n)) };
}
export function tadd(a: Tn, b: Tn): Tn {
  const sm = u64(a.m + b.m), sv = u64(a.v + b.v), sigma = u64(sm + sv), chi = sigma ^ sv, mu = chi | a.m | b.m;
  return { v: sv & ~mu & M64, m: mu };
}
export function tsub(a: Tn, b: Tn): Tn {
  const dv = u64(a.v - b.v), alpha = u64(dv + a.m), beta = u64(dv - b.m), chi = alpha ^ beta, mu = chi | a.m | b.m;
  return { v: dv & ~mu & M64, m: mu };
}
export const tneg = (a: Tn): Tn => tsub(tconst(0n), a);
export function tand(a: Tn, b: Tn): Tn {
  const alpha = a.v | a.m, beta = b.v | b.m, v = a.v & b.v;
  return { v, m: alpha & beta & ~v & M64 };
}
export function tor(a: Tn, b: Tn): Tn { const v = a.v | b.v, mu = a.m | b.m; return { v, m: mu & ~v & M64 }; }
export function txor(a: Tn, b: Tn): Tn { const v = a.v ^ b.v, mu = a.m | b.m; return { v: v & ~mu & M64, m: mu }; }
export function tunion(a: Tn, b: Tn): Tn {
  const v = a.v & b.v, mu = (a.v ^ b.v) | a.m | b.m; return { v: v & ~mu & M64, m: mu };
}
export function tintersect(a: Tn, b: Tn): Tn { const v = a.v | b.v, mu = a.m & b.m; return { v: v & ~mu & M64, m: mu }; }
export function tmul(a: Tn, b: Tn): Tn {
  let acc = tconst(0n);
  while (a.v || a.m) {
    if (a.v & 1n) acc = tadd(acc, b);
    else if (a.m & 1n) acc = tunion(acc, tadd(acc, b));
    a = trsh(a, 1); b = tlsh(b, 1);
  }
  return acc;
}
export const toverlap = (a: Tn, b: Tn): boolean => { const mu = ~a.m & ~b.m & M64; return (a.v & mu) === (b.v & mu); };
export const tcast = (a: Tn, size: number): Tn => { const k = (1n << BigInt(size * 8)) - 1n; return { v: a.v & k, m: a.m & k }; };
export const tsubreg = (a: Tn): Tn => tcast(a, 4);
export const tclearsub = (a: Tn): Tn => tlsh(trsh(a, 32), 32);
export const twithsub = (r: Tn, sub: Tn): Tn => tor(tclearsub(r), tsubreg(sub));
export const tin = (a: Tn, x: bigint): boolean => (u64(x) & ~a.m & M64) === a.v;
