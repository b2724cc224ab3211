import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { scalarAlu, coerceRegToSize, coerceRegToSizeSx, coerceSubregToSizeSx, movsx32, zext32to64, regWidth } from '../../../src/verifier/domains/alu.js';
import { regBoundsSync, sanityCheck } from '../../../src/verifier/domains/bounds-sync.js';
import { SCALAR_WORDS } from '../../../src/verifier/domains/scalar.js';
import * as Ref from './ref.js';
import { constArb, scalarArb, u64Arb } from './arb.js';

const OPS = Object.keys(Ref.OPCODE) as Ref.Op[];
const P = { numRuns: 1500 };
const operand = fc.oneof(scalarArb(true), constArb, scalarArb(false));
const shiftAmount = fc.integer({ min: 0, max: 70 }).map((n) => ({ r: Ref.known(BigInt(n)), x: BigInt(n) }));

function runAlu(d: Ref.R, s: Ref.R, op: Ref.Op, alu64: boolean): Ref.R {
  // Place both in one slab at odd bases to catch base-offset mistakes.
  const slab = new Uint32Array(3 * SCALAR_WORDS + 5);
  slab.set(Ref.toSlab(d), 3); slab.set(Ref.toSlab(s), 3 + 2 * SCALAR_WORDS);
  scalarAlu(slab, 3, slab, 3 + 2 * SCALAR_WORDS, Ref.OPCODE[op], alu64);
  expect(Ref.fromSlab(slab, 3 + 2 * SCALAR_WORDS)).toEqual(s); // src untouched
  return Ref.fromSlab(slab, 3);
}

describe('scalar ALU (adjust_scalar_min_max_vals)', () => {
  for (const alu64 of [true, false]) {
    for (const op of OPS) {
      const src = op === 'lsh' || op === 'rsh' || op === 'arsh' ? fc.oneof(shiftAmount, operand) : operand;
      it(`${alu64 ? 'ALU64' : 'ALU32'} ${op}: exact vs the BigInt port, sound for members`, () => {
        fc.assert(fc.property(operand, src, ({ r: d, x }, { r: s, x: y }) => {
          const got = runAlu(d, s, op, alu64);
          expect(got).toEqual(Ref.alu(d, s, op, alu64));
          // Soundness only from consistent inputs (the kernel never feeds others).
          const ok = Ref.member(d, x) && Ref.member(s, y);
          if (ok) expect(Ref.member(got, Ref.concrete(x, y, op, alu64))).toBe(true);
        }), P);
      });
    }
  }
  it('dst and src the same register (r1 += r1, r1 *= r1)', () => {
    fc.assert(fc.property(scalarArb(true), fc.constantFrom<Ref.Op>('add', 'sub', 'mul', 'xor', 'and'), fc.boolean(), ({ r, x }, op, alu64) => {
      const slab = Ref.toSlab(r);
      scalarAlu(slab, 0, slab, 0, Ref.OPCODE[op], alu64);
      const got = Ref.fromSlab(slab);
      expect(got).toEqual(Ref.alu(r, r, op, alu64));
      expect(Ref.member(got, Ref.concrete(x, x, op, alu64))).toBe(true);
    }), P);
  });
  it('div/mod and shifts by non-constants make the register fully unknown (no zext)', () => {
    const d = Ref.toSlab(Ref.known(5n)), s = Ref.toSlab(Ref.known(2n));
    scalarAlu(d, 0, s, 0, 0x30, false);
    expect(Ref.fromSlab(d)).toEqual(Ref.unknown());
    const d2 = Ref.toSlab(Ref.known(5n)), s2 = Ref.toSlab({ ...Ref.unknown(), v: 0n, m: 1n, umax: 1n });
    scalarAlu(d2, 0, s2, 0, 0x60, true);
    expect(Ref.fromSlab(d2)).toEqual(Ref.unknown());
  });
});

describe('bounds sync', () => {
  it('reg_bounds_sync equals the BigInt port (synced and raw inputs), keeps members, is sane', () => {
    fc.assert(fc.property(scalarArb(false), ({ r, x }) => {
      const slab = Ref.toSlab(r);
      regBoundsSync(slab, 0);
      const want = Ref.clone(r); Ref.sync(want);
      expect(Ref.fromSlab(slab)).toEqual(want);
      expect(Ref.member(want, x)).toBe(true);
      expect(sanityCheck(slab, 0)).toBeNull();
    }), { numRuns: 4000 });
  });
  it('sanity check matches the port on arbitrary (possibly inconsistent) states', () => {
    fc.assert(fc.property(scalarArb(false), u64Arb, fc.integer({ min: 0, max: 9 }), ({ r }, junk, field) => {
      const bad = Ref.clone(r);
      const keys = ['v', 'm', 'umin', 'umax', 'smin', 'smax', 'u32min', 'u32max', 's32min', 's32max'] as const;
      const k = keys[field]!;
      bad[k] = k.startsWith('s32') ? Ref.s32(junk) : k.startsWith('u32') ? Ref.u32(junk) : k.startsWith('s') ? Ref.s64(junk) : junk;
      if (k === 'v') bad.v &= ~bad.m & Ref.M64;
      const slab = Ref.toSlab(bad);
      const want = Ref.clone(bad);
      expect(sanityCheck(slab, 0)).toBe(Ref.sanity(want));
      expect(Ref.fromSlab(slab)).toEqual(want);
    }), { numRuns: 3000 });
  });
});

describe('casts and extensions', () => {
  it('zext_32_to_64, coerce_reg_to_size, coerce_reg_to_size_sx, coerce_subreg_to_size_sx vs the port', () => {
    fc.assert(fc.property(fc.oneof(scalarArb(true), constArb), fc.constantFrom(1, 2, 4), ({ r, x }, size) => {
      let slab = Ref.toSlab(r); zext32to64(slab, 0);
      let want = Ref.clone(r); Ref.zext(want);
      expect(Ref.fromSlab(slab)).toEqual(want);

      slab = Ref.toSlab(r); coerceRegToSize(slab, 0, size);
      want = Ref.clone(r); Ref.coerceToSize(want, size);
      expect(Ref.fromSlab(slab)).toEqual(want);
      expect(Ref.member(want, x & ((1n << BigInt(size * 8)) - 1n))).toBe(true);

      slab = Ref.toSlab(r); coerceRegToSizeSx(slab, 0, size);
      want = Ref.clone(r); Ref.coerceToSizeSx(want, size);
      expect(Ref.fromSlab(slab)).toEqual(want);
      expect(Ref.member(want, Ref.u64(BigInt.asIntN(size * 8, x)))).toBe(true);

      if (size < 4) {
        slab = Ref.toSlab(r); coerceSubregToSizeSx(slab, 0, size);
        want = Ref.clone(r); Ref.coerceSubregSx(want, size);
        expect(Ref.fromSlab(slab)).toEqual(want);
        // the whole movsx32 sequence is sound
        const out = new Uint32Array(SCALAR_WORDS);
        movsx32(out, 0, Ref.toSlab(r), 0, size);
        expect(Ref.member(Ref.fromSlab(out), Ref.u32(BigInt.asIntN(size * 8, x)))).toBe(true);
      }
    }), { numRuns: 3000 });
  });
  it('get_reg_width', () => {
    fc.assert(fc.property(scalarArb(true), ({ r }) => {
      expect(regWidth(Ref.toSlab(r), 0)).toBe(r.umax === 0n ? 0 : r.umax.toString(2).length);
    }));
  });
});

describe('byte swap (BPF_END, scalar_byte_swap of the 6.18 stable kernel)', () => {
  it('equals the port and is sound', async () => {
    const { scalarByteSwap } = await import('../../../src/verifier/domains/alu.js');
    fc.assert(fc.property(fc.oneof(scalarArb(true), constArb), fc.constantFrom(16, 32, 64), fc.boolean(), fc.boolean(), ({ r, x }, imm, toBe, alu64) => {
      if (alu64 && toBe) toBe = false; // ALU64 END is only encoded with TO_LE
      const slab = Ref.toSlab(r);
      const mutated = scalarByteSwap(slab, 0, imm, toBe, alu64);
      expect(mutated).toBe(alu64 || toBe || imm !== 64);
      const want = Ref.byteSwap(r, imm, toBe, alu64);
      expect(Ref.fromSlab(slab)).toEqual(want);
      const bytes = imm / 8, low = x & ((1n << BigInt(imm)) - 1n);
      let sw = 0n; for (let i = 0; i < bytes; i++) sw |= ((low >> BigInt(8 * i)) & 0xffn) << BigInt(8 * (bytes - 1 - i));
      const concrete = alu64 || toBe ? sw : imm === 64 ? x : low;
      expect(Ref.member(want, concrete)).toBe(true);
    }), { numRuns: 2000 });
  });
});

describe('sync_linked_regs scalar step', () => {
  it('linkedAdd is add (32 and 64 bounds, tnum) then optional zext then sync, and sound', async () => {
    const { linkedAdd } = await import('../../../src/verifier/domains/alu.js');
    fc.assert(fc.property(scalarArb(true), fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.boolean(), ({ r, x }, delta, zx) => {
      const slab = Ref.toSlab(r);
      linkedAdd(slab, 0, delta | 0, delta < 0 ? -1 : 0, zx);
      const got = Ref.fromSlab(slab);
      expect(got).toEqual(Ref.linkedAdd(r, BigInt(delta), zx));
      if (!zx) expect(got).toEqual(Ref.alu(r, Ref.known(BigInt(delta)), 'add', true));
      expect(Ref.member(got, zx ? Ref.u32(x + BigInt(delta)) : Ref.u64(x + BigInt(delta)))).toBe(true);
    }), { numRuns: 2000 });
  });
});

describe('pointer offset arithmetic (adjust_ptr_min_max_vals)', () => {
  it('equals the port and is sound', async () => {
    const { ptrOffsetAlu } = await import('../../../src/verifier/domains/ptr-offset.js');
    fc.assert(fc.property(fc.oneof(scalarArb(true), constArb), fc.oneof(scalarArb(true), constArb), fc.boolean(), fc.boolean(),
      ({ r: p, x }, { r: o, x: y }, isSub, fixed) => {
        const slab = new Uint32Array(3 * SCALAR_WORDS);
        slab.set(Ref.toSlab(p), 0); slab.set(Ref.toSlab(o), SCALAR_WORDS);
        ptrOffsetAlu(slab, 2 * SCALAR_WORDS, slab, 0, slab, SCALAR_WORDS, isSub, fixed);
        const want = Ref.ptrOffset(p, o, isSub, fixed);
        expect(Ref.fromSlab(slab, 2 * SCALAR_WORDS)).toEqual(want);
        if (!fixed) expect(Ref.member(want, isSub ? Ref.u64(x - y) : Ref.u64(x + y))).toBe(true);
        // aliasing dst with the pointer gives the same result
        const s2 = Ref.toSlab(p);
        ptrOffsetAlu(s2, 0, s2, 0, Ref.toSlab(o), 0, isSub, fixed);
        expect(Ref.fromSlab(s2)).toEqual(want);
      }), { numRuns: 3000 });
  });
});
