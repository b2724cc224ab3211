import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { flipOpcode, isBranchTaken, refineBranch, regsRefineCondOp, revOpcode, JSET_REV } from '../../../src/verifier/domains/branch.js';
import { SCALAR_WORDS } from '../../../src/verifier/domains/scalar.js';
import * as Ref from './ref.js';
import { constArb, scalarArb } from './arb.js';

const { J } = Ref;
const CONDS = [J.JEQ, J.JNE, J.JSET, J.JGT, J.JGE, J.JLT, J.JLE, J.JSGT, J.JSGE, J.JSLT, J.JSLE];
const operand = fc.oneof(scalarArb(true), constArb);
const P = { numRuns: 2500 };

describe('branches on scalars', () => {
  it('is_scalar_branch_taken equals the port and agrees with concrete members', () => {
    fc.assert(fc.property(operand, operand, fc.constantFrom(...CONDS), fc.boolean(), (a, b, op, is32) => {
      const t = isBranchTaken(Ref.toSlab(a.r), 0, Ref.toSlab(b.r), 0, op, is32);
      expect(t).toBe(Ref.branchTaken(a.r, b.r, op, is32));
      const truth = Ref.concreteCond(a.x, b.x, op, is32);
      if (t === 1) expect(truth).toBe(true);
      if (t === 0) expect(truth).toBe(false);
    }), P);
  });
  it('refinement equals the port and keeps members of the branch that holds', () => {
    fc.assert(fc.property(operand, operand, fc.constantFrom(...CONDS, JSET_REV), fc.boolean(), fc.boolean(), (a, b, op0, is32, fallthrough) => {
      const op = fallthrough ? revOpcode(op0) : op0;
      const slab = new Uint32Array(2 * SCALAR_WORDS + 7);
      slab.set(Ref.toSlab(a.r), 1); slab.set(Ref.toSlab(b.r), 1 + SCALAR_WORDS + 3);
      const err = refineBranch(slab, 1, slab, 1 + SCALAR_WORDS + 3, op, is32);
      const r1 = Ref.clone(a.r), r2 = Ref.clone(b.r);
      Ref.refine(r1, r2, op, is32); Ref.sync(r1); Ref.sync(r2);
      const e1 = Ref.sanity(r1), e2 = Ref.sanity(r2);
      expect(err).toBe(e1 ?? e2);
      expect(Ref.fromSlab(slab, 1)).toEqual(r1);
      expect(Ref.fromSlab(slab, 1 + SCALAR_WORDS + 3)).toEqual(r2);
      if (Ref.concreteCond(a.x, b.x, op, is32)) {
        expect(Ref.member(r1, a.x)).toBe(true);
        expect(Ref.member(r2, b.x)).toBe(true);
      }
    }), P);
  });
  it('refinement of one register against itself matches the port', () => {
    fc.assert(fc.property(scalarArb(true), fc.constantFrom(...CONDS, JSET_REV), fc.boolean(), ({ r }, op, is32) => {
      const s = Ref.toSlab(r);
      regsRefineCondOp(s, 0, s, 0, op, is32);
      const w = Ref.clone(r); Ref.refine(w, w, op, is32);
      expect(Ref.fromSlab(s)).toEqual(w);
    }));
  });
  it('flip and reverse opcodes', () => {
    expect(CONDS.map(flipOpcode)).toEqual([J.JEQ, J.JNE, J.JSET, J.JLT, J.JLE, J.JGT, J.JGE, J.JSLT, J.JSLE, J.JSGT, J.JSGE]);
    expect(CONDS.map(revOpcode)).toEqual([J.JNE, J.JEQ, JSET_REV, J.JLE, J.JLT, J.JGE, J.JGT, J.JSLE, J.JSLT, J.JSGE, J.JSGT]);
    expect(revOpcode(JSET_REV)).toBe(J.JSET);
  });
  it('r > 5 on an unknown learns umin=6 in the taken branch and umax=5 in the other', () => {
    const t = Ref.toSlab(Ref.unknown()), f = Ref.toSlab(Ref.unknown());
    const k = Ref.toSlab(Ref.known(5n));
    expect(refineBranch(t, 0, k.slice(), 0, J.JGT, false)).toBeNull();
    expect(refineBranch(f, 0, k.slice(), 0, revOpcode(J.JGT), false)).toBeNull();
    expect(Ref.fromSlab(t).umin).toBe(6n);
    expect(Ref.fromSlab(f).umax).toBe(5n);
    expect(Ref.fromSlab(f).smin).toBe(0n);
  });
});
