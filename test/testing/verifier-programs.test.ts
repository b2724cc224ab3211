/**
 * The program arbitraries of ts-ebpf/testing on their own (no kernel): every program encodes and
 * decodes back, names only the maps it lists, has the shape its fragments promise, and the
 * verifier model judges the mix both ways for many reasons.
 */
import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { decode, encode } from '../../src/asm/encoding.js';
import type { Instruction } from '../../src/asm/instruction.js';
import { validateInstructions } from '../../src/asm/validate.js';
import { asm, R0 } from '../../src/asm/dsl/index.js';
import { verify } from '../../src/verifier/verify.js';
import {
  arbVerifierFragment, arbVerifierProgram, buildVerifierProgram, defineFragment, verifierFragmentKinds,
  verifierFuzzMaps, verifierFuzzProgramTypes,
} from '../../src/testing/index.js';
import type { GeneratedVerifierProgram } from '../../src/testing/index.js';

/** Map names replaced by stand-in fds, as a loader would. */
const withFds = (insns: readonly Instruction[]): Instruction[] =>
  insns.map((i) => (i.map === undefined ? i : { code: i.code, dst: i.dst, src: i.src, off: i.off, imm: 3, immHi: i.immHi ?? 0 }));
const raw = (i: Instruction) => ({ code: i.code, dst: i.dst, src: i.src, off: i.off, imm: i.imm, ...(i.immHi !== undefined ? { immHi: i.immHi } : {}) });
const judge = (p: GeneratedVerifierProgram) => verify(p.instructions, { type: p.type, maps: p.maps, logLevel: 0, nrCpus: 2 });
const helperIds = (p: GeneratedVerifierProgram) => p.instructions.filter((i) => i.code === 0x85 && i.src === 0).map((i) => i.imm);

describe('arbVerifierProgram', () => {
  it('generates valid, encodable programs that name only the maps they list', () => {
    fc.assert(fc.property(arbVerifierProgram(), (p) => {
      expect(verifierFuzzProgramTypes).toContain(p.type);
      validateInstructions(p.instructions);
      const resolved = withFds(p.instructions);
      expect(decode(encode(resolved)).map(raw)).toEqual(resolved.map(raw));
      expect(p.instructions[0]).toMatchObject({ code: 0xbf, dst: 6, src: 1 });
      expect(p.instructions.at(-1)!.code).toBe(0x95);
      const named = new Set(p.instructions.flatMap((i) => (i.map === undefined ? [] : [i.map])));
      expect(new Set(Object.keys(p.maps))).toEqual(named);
      for (const n of named) expect(p.maps[n]).toEqual(verifierFuzzMaps[n as keyof typeof verifierFuzzMaps]);
      expect(p.fragments.length).toBeGreaterThanOrEqual(1);
      expect(p.fragments.length).toBeLessThanOrEqual(4);
    }), { numRuns: 300, seed: 1 });
  });

  it('builds each kind of fragment in its intended shape', () => {
    const sample = (kind: typeof verifierFragmentKinds[number], type?: typeof verifierFuzzProgramTypes[number]) =>
      fc.sample(arbVerifierProgram({ kinds: [kind], minFragments: 1, maxFragments: 1, ...(type ? { types: [type] } : {}) }), { numRuns: 100, seed: 3 });
    // Map lookups call bpf_map_lookup_elem (helper 1) on a map loaded with LD_IMM64.
    for (const p of sample('map')) {
      expect(helperIds(p)).toContain(1);
      expect(p.instructions.some((i) => i.code === 0x18 && i.map !== undefined)).toBe(true);
    }
    // Packet checks in XDP read data and data_end (ctx offsets 0 and 4), or data_meta and data
    // (8 and 0), then compare the two.
    const seen = new Set<string>();
    for (const p of sample('packet', 'xdp')) {
      const loads = p.instructions.filter((i) => i.code === 0x61 && i.src === 6).map((i) => i.off);
      expect([[0, 4], [8, 0]]).toContainEqual(loads);
      seen.add(loads.join());
      const compares = p.instructions.some((i) => (i.code & 0x0f) === 0x0d || (i.code & 0x0f) === 0x0e);
      expect(compares).toBe((p.fragments[0] as unknown as { cmp: string }).cmp !== 'none');
    }
    expect(seen.size).toBe(2);
    // Loops jump backwards.
    for (const p of sample('loop')) {
      expect(p.instructions.some((i) => [5, 6].includes(i.code & 7) && (i.code & 0xf0) !== 0x80 && (i.code & 0xf0) !== 0x90 && i.off < 0)).toBe(true);
    }
    // Stack fragments store relative to R10 and read back relative to R10.
    for (const p of sample('stack')) {
      expect(p.instructions.some((i) => (i.code & 7) >= 2 && (i.code & 7) <= 3 && i.dst === 10)).toBe(true);
      expect(p.instructions.some((i) => (i.code & 7) === 1 && i.src === 10)).toBe(true);
    }
    // Helper fragments call a helper; context fragments access memory through R6.
    for (const p of sample('helper')) expect(helperIds(p).length).toBeGreaterThan(0);
    for (const p of sample('ctx')) expect(p.instructions.some((i) => [1, 2, 3].includes(i.code & 7) && (i.src === 6 || i.dst === 6))).toBe(true);
    // ALU fragments carry ALU instructions on R7/R8.
    for (const p of sample('alu')) expect(p.instructions.some((i) => [4, 7].includes(i.code & 7) && (i.dst === 7 || i.dst === 8))).toBe(true);
  });

  it('gives the model programs to accept and to reject, for many reasons, in every fragment kind', () => {
    const all = new Set<string>();
    for (const kind of verifierFragmentKinds) {
      const verdicts = fc.sample(arbVerifierProgram({ kinds: [kind], maxFragments: 2 }), { numRuns: 300, seed: 5 }).map(judge);
      const accepted = verdicts.filter((r) => r.ok).length;
      expect(accepted, kind).toBeGreaterThan(30);
      expect(accepted, kind).toBeLessThan(270);
      const reasons = new Set(verdicts.filter((r) => !r.ok).map((r) => r.error!.message.replace(/-?\d+/g, 'N')));
      expect(reasons.size, kind).toBeGreaterThanOrEqual(3);
      expect([...reasons].filter((m) => m.startsWith('not modelled')), kind).toEqual([]);
      for (const r of reasons) all.add(r);
    }
    expect(all.size).toBeGreaterThan(60);
  });

  it('labels fragments apart, so one kind may repeat', () => {
    const loops = fc.sample(arbVerifierFragment('loop'), { numRuns: 4, seed: 9 });
    const p = buildVerifierProgram('kprobe', loops, 'one');
    expect(new Set(p.instructions.flatMap((i) => (i.symbol ? [i.symbol] : []))).size)
      .toBe(p.instructions.filter((i) => i.symbol).length);
  });

  it('takes custom fragments, which print as their description only', () => {
    const mine = fc.integer({ min: 1, max: 9 }).map((k) => defineFragment({ kind: 'mine', k }, () => [asm.mov64(R0, k)]));
    const [f] = fc.sample(mine, { numRuns: 1, seed: 1 });
    expect(Object.keys(f!)).toEqual(['kind', 'k']);
    expect(fc.stringify(f)).not.toContain('build');
    const ps = fc.sample(arbVerifierProgram({ kinds: [], extra: [mine] }), { numRuns: 20, seed: 2 });
    for (const p of ps) {
      expect(p.fragments.every((x) => x.kind === 'mine')).toBe(true);
      expect(p.instructions.filter((i) => i.code === 0xb7 && i.dst === 0 && i.imm >= 1 && i.imm <= 9).length).toBeGreaterThanOrEqual(p.fragments.length);
    }
  });
});
