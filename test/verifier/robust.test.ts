import { describe, it, expect } from 'vitest';
import fc from 'fast-check';
import { verify } from '../../src/verifier/verify.js';
import type { Instruction } from '../../src/asm/instruction.js';

// Opcodes the kernel knows, plus a few it does not, so programs get past the first checks often.
const CODES = [0x07, 0x0f, 0x17, 0x1f, 0x27, 0x37, 0x47, 0x4f, 0x57, 0x5f, 0x67, 0x77, 0x87, 0x97, 0xa7, 0xb7, 0xbf,
  0xc7, 0x04, 0x0c, 0xb4, 0xbc, 0x54, 0xd4, 0xdc, 0xd7, 0x05, 0x06, 0x15, 0x1d, 0x25, 0x2d, 0x35, 0x45, 0x55, 0x5d,
  0x65, 0xa5, 0xb5, 0xc5, 0xd5, 0x16, 0x56, 0xa6, 0x85, 0x95, 0x61, 0x69, 0x71, 0x79, 0x81, 0x62, 0x6a, 0x72, 0x7a,
  0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb, 0x18, 0x20, 0x28, 0x30, 0x40, 0xe5, 0x00, 0xff, 0x8d];
const TYPES = ['socket_filter', 'xdp', 'sched_cls', 'cgroup_skb', 'tracepoint', 'raw_tracepoint', 'kprobe', 'perf_event', 'sk_skb', 'lsm'];

const insnArb: fc.Arbitrary<Instruction> = fc.record({
  code: fc.constantFrom(...CODES),
  dst: fc.integer({ min: 0, max: 11 }),
  src: fc.integer({ min: 0, max: 11 }),
  off: fc.oneof(fc.integer({ min: -4, max: 8 }), fc.integer({ min: -32768, max: 32767 }), fc.constantFrom(-8, -16, -512, 0)),
  imm: fc.oneof(fc.integer({ min: -2, max: 64 }), fc.integer({ min: -2147483648, max: 2147483647 }), fc.constantFrom(1, 4, 12, 131, 8)),
});

describe('verify never throws or hangs', () => {
  it('on random instruction sequences, every program type', () => {
    fc.assert(fc.property(fc.array(insnArb, { minLength: 1, maxLength: 40 }), fc.constantFrom(...TYPES), (prog, type) => {
      const t0 = performance.now();
      const r = verify(prog, { type, maps: { 0: { type: 'hash', keySize: 8, valueSize: 16, maxEntries: 4 } } });
      expect(performance.now() - t0).toBeLessThan(5000);
      expect(typeof r.ok).toBe('boolean');
      expect(r.processed).toBeLessThanOrEqual(1_000_001);
      if (!r.ok) {
        expect(typeof r.error?.message).toBe('string');
        expect(r.error!.message.length).toBeGreaterThan(0);
        // Internal failures would be bugs: the model must reject in the kernel's words or say "not modelled".
        expect(r.error!.message).not.toMatch(/internal error/);
      }
    }), { numRuns: 3000, seed: 42 });
  }, 120_000);

  it('on random programs shaped to pass the structural checks', () => {
    // Jumps land inside the program, the program ends in `r0 = 0; exit`, no ld_imm64 halves.
    const shaped = fc.array(insnArb, { minLength: 1, maxLength: 60 }).map((body) => {
      const prog = body.filter((i) => i.code !== 0x18 && i.code !== 0x85 && i.code !== 0xff && i.code !== 0x8d &&
        i.code !== 0x20 && i.code !== 0x28 && i.code !== 0x30 && i.code !== 0x40 && i.code !== 0xe5).map((raw, k, all) => {
        // Keep the reserved fields zero so that most programs reach the path explorer.
        const cls = raw.code & 7, x = (raw.code & 8) !== 0, op = raw.code & 0xf0;
        const insn = { ...raw, dst: raw.dst % 11, src: raw.src % 11 };
        if (cls === 1) insn.imm = 0;
        if (cls === 2) insn.src = 0;
        if (cls === 3 && (raw.code & 0xe0) === 0x60) insn.imm = 0;
        if (cls === 3 && (raw.code & 0xe0) === 0xc0) insn.imm = [0, 1, 0x40, 0x41, 0xe1, 0xf1][Math.abs(raw.imm) % 6]!;
        if (cls === 4 || cls === 7) {
          insn.off = 0;
          if (x) insn.imm = 0; else insn.src = 0;
          if (op === 0xd0) { insn.imm = 32; insn.src = 0; }
          if (op === 0x80) { insn.imm = 0; insn.src = 0; }
          if (op >= 0x60 && op <= 0x70 || op === 0xc0) insn.imm = Math.abs(raw.imm) % 32;
        }
        if (cls === 5 || cls === 6) { if (x) insn.imm = 0; else insn.src = 0; }
        if ((cls === 5 || cls === 6) && insn.code !== 0x95 && insn.code !== 0x85) {
          const room = all.length - k + 1;
          const off = ((insn.off % room) + room) % room - (insn.off < 0 ? Math.min(k, 3) : 0);
          return cls === 6 && (insn.code & 0xf0) === 0 ? { ...insn, imm: off } : { ...insn, off };
        }
        return insn;
      });
      const init = [0, 2, 3, 4, 5, 6, 7, 8, 9].map((r) => ({ code: 0xb7, dst: r, src: 0, off: 0, imm: r * 3 - 8 }));
      return [...init, ...prog, { code: 0xb7, dst: 0, src: 0, off: 0, imm: 0 }, { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }];
    });
    let accepted = 0;
    fc.assert(fc.property(shaped, fc.constantFrom(...TYPES), (prog, type) => {
      // Loops that never converge run into the kernel's 1M processed-instruction limit: the work is bounded.
      const r = verify(prog, { type, logLevel: 0 });
      expect(r.processed).toBeLessThanOrEqual(1_000_001);
      if (r.ok) accepted++;
      else expect(r.error!.message).not.toMatch(/internal error/);
    }), { numRuns: 800, seed: 3 });
    // The generator must reach the path explorer, not only the structural checks.
    expect(accepted).toBeGreaterThan(50);
  }, 120_000);

  it('on random bytes and malformed values', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 0, maxLength: 200 }), (bytes) => {
      const r = verify(bytes, { type: 'socket_filter' });
      expect(typeof r.ok).toBe('boolean');
    }), { numRuns: 1000, seed: 7 });
    for (const bad of [[null], [{}], [{ code: NaN, dst: -1, src: 99, off: 1e9, imm: 1e12 }], 'x', 42]) {
      const r = verify(bad as unknown as Instruction[], { type: 'xdp' });
      expect(r.ok).toBe(false);
    }
    expect(verify([{ code: 0x95, dst: 0, src: 0, off: 0, imm: 0 }], { type: 'no_such_type' }).ok).toBe(false);
  });
});
