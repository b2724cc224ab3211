/**
 * Fragments of `arbVerifierProgram` around the special maps of `verifierFuzzMaps`: ring buffer
 * records (references the verifier must see released exactly once) and tail calls.
 * @module
 */
import fc from 'fast-check';
import { asm, R0, R1, R2, R3, R6, R7, R8, R10 } from '../asm/dsl/index.js';
import type { ProgramItem, Register } from '../asm/dsl/index.js';
import { MEM, defineFragment, random, size } from './verifier-fragments.js';
import type { VerifierFragment } from './verifier-fragments.js';

/**
 * `bpf_ringbuf_reserve` with a constant (or unknown) size, a null check or not, an access in or
 * past the record, then `submit`, `discard`, both, twice, or neither (a leaked reference), maybe
 * through a copy of the pointer or after the record was already released.
 */
export const arbRingbufFragment: fc.Arbitrary<VerifierFragment> = fc.record({
  kind: fc.constant('ringbuf' as const),
  size: fc.constantFrom(8, 16, 16, 24, 0, -1),
  check: fc.constantFrom('null', 'null', 'null', 'null', 'none', 'late'),
  access: fc.constantFrom('write', 'read', 'none', 'after_release'),
  accessSize: size,
  off: fc.constantFrom(0, 0, 4, 8, 16),
  finish: fc.constantFrom('submit', 'submit', 'discard', 'discard', 'none', 'twice', 'copy'),
}).map((f) => defineFragment(f, (ctx) => {
  const end = ctx.label('end');
  const sz = MEM[f.accessSize]!;
  const access: ProgramItem[] = f.access === 'write' || f.access === 'after_release' ? [asm.st(sz, R7, f.off, 1)]
    : f.access === 'read' ? [asm.ldx(sz, R8, R7, f.off)] : [];
  const release = (ptr: Register, which: 'submit' | 'discard'): ProgramItem[] =>
    [asm.mov64(R1, ptr), asm.mov64(R2, 0), asm.call(which === 'submit' ? 'ringbuf_submit' : 'ringbuf_discard')];
  const finish: ProgramItem[] = f.finish === 'submit' || f.finish === 'discard' ? release(R7, f.finish)
    : f.finish === 'twice' ? [release(R7, 'submit'), release(R7, 'discard')]
      : f.finish === 'copy' ? [asm.mov64(R8, R7), release(R8, 'submit')] : [];
  return [
    f.size < 0 ? [...random(R2), asm.mov64(R2, R0)] : asm.mov64(R2, f.size),
    asm.loadMap(R1, 'ringbuf'), asm.mov64(R3, 0), asm.call('ringbuf_reserve'), asm.mov64(R7, R0),
    f.check === 'null' ? asm.jeq64(R7, 0, end) : [],
    f.access === 'after_release' ? [] : access,
    f.check === 'late' ? asm.jeq64(R7, 0, end) : [],
    finish,
    f.access === 'after_release' ? access : [],
    asm.label(end),
  ];
}));

/**
 * `bpf_tail_call(ctx, &progs, index)` with a constant, unknown or out-of-range index, or with
 * the wrong first argument; the program goes on when the call falls through.
 */
export const arbTailCallFragment: fc.Arbitrary<VerifierFragment> = fc.record({
  kind: fc.constant('tailcall' as const),
  index: fc.constantFrom('const', 'const', 'random', 'big'),
  n: fc.nat({ max: 5 }),
  ctxArg: fc.constantFrom(true, true, true, false),
}).map((f) => defineFragment(f, () => [
  f.index === 'random' ? [...random(R8), asm.mov64(R3, R8)] : asm.mov64(R3, f.index === 'big' ? 1000 : f.n),
  asm.mov64(R1, f.ctxArg ? R6 : R10), asm.loadMap(R2, 'progs'), asm.call('tail_call'), asm.mov64(R0, 0),
]));
