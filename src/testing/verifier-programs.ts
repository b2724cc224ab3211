/**
 * fast-check arbitraries of whole, structured eBPF programs for differential testing of a
 * verifier (the ts-ebpf model against the kernel, or anything against either): a prologue saving
 * the context in R6, a few fragments (see `verifier-fragments`), and a return value. A good share
 * of them are rejected, for many different reasons, so agreement on verdicts means something.
 *
 * ```ts
 * import fc from 'fast-check';
 * import { arbVerifierProgram } from 'ts-ebpf/testing';
 * import { verify } from 'ts-ebpf';
 * fc.assert(fc.property(arbVerifierProgram(), (p) => {
 *   const r = verify(p.instructions, { type: p.type, maps: p.maps });
 *   // ... compare with your own verdict
 * }));
 * ```
 * @module
 */
import fc from 'fast-check';
import type { Instruction } from '../asm/instruction.js';
import { asm, R0, R1, R6 } from '../asm/dsl/index.js';
import type { ProgramItem } from '../asm/dsl/index.js';
import type { VerifierMapSpec } from '../verifier/types.js';
import { arbCtxFragment, arbMapFragment, arbPacketFragment, arbStackFragment, verifierFuzzMaps, verifierFuzzProgramTypes } from './verifier-fragments.js';
import {
  arbAluFragment, arbCallFragment, arbHelperFragment, arbJoinFragment, arbLdAbsFragment, arbLoopFragment,
  arbRangeFragment, arbSoupFragment,
} from './verifier-fragments-code.js';
import { arbRingbufFragment, arbTailCallFragment } from './verifier-fragments-maps.js';
import type { VerifierFragment, VerifierFuzzProgramType } from './verifier-fragments.js';

/** The fragment kinds {@link arbVerifierProgram} draws from. */
export const verifierFragmentKinds = ['map', 'packet', 'stack', 'loop', 'helper', 'alu', 'ctx', 'range', 'call', 'ldabs', 'join', 'soup', 'ringbuf', 'tailcall'] as const;

/** One of {@link verifierFragmentKinds}. */
export type VerifierFragmentKind = typeof verifierFragmentKinds[number];

const FRAGMENTS: { readonly [K in VerifierFragmentKind]: fc.Arbitrary<VerifierFragment> } = {
  map: arbMapFragment, packet: arbPacketFragment, stack: arbStackFragment, loop: arbLoopFragment,
  helper: arbHelperFragment, alu: arbAluFragment, ctx: arbCtxFragment, range: arbRangeFragment,
  call: arbCallFragment, ldabs: arbLdAbsFragment, join: arbJoinFragment,
  soup: arbSoupFragment, ringbuf: arbRingbufFragment, tailcall: arbTailCallFragment,
};

/** Fragments of one kind. */
export function arbVerifierFragment(kind: VerifierFragmentKind): fc.Arbitrary<VerifierFragment> {
  return FRAGMENTS[kind];
}

/** How a generated program sets R0 before its exit. */
export const verifierExitKinds = ['zero', 'one', 'two', 'minus_one', 'random', 'keep'] as const;

/** One of {@link verifierExitKinds}: a constant, an unknown scalar, or R0 left as it is. */
export type VerifierExitKind = typeof verifierExitKinds[number];

/** A generated program, ready for `verify` (or, with its maps created, for `loadProgram`). */
export interface GeneratedVerifierProgram {
  /** The program type to verify or load it as. */
  readonly type: VerifierFuzzProgramType;
  /** The instructions, labels resolved; map references by name (see `maps`). */
  readonly instructions: Instruction[];
  /** The maps the instructions name, as `verify` takes them (a subset of `verifierFuzzMaps`). */
  readonly maps: Readonly<Record<string, VerifierMapSpec>>;
  /** The fragments the program was built from, in order. */
  readonly fragments: readonly VerifierFragment[];
  /** How R0 is set before the exit. */
  readonly exit: VerifierExitKind;
}

/** Options of {@link arbVerifierProgram}. */
export interface ArbVerifierProgramOptions {
  /** Program types to draw from (default: {@link verifierFuzzProgramTypes}). */
  readonly types?: readonly VerifierFuzzProgramType[];
  /** Fragment kinds to draw from (default: all of {@link verifierFragmentKinds}). */
  readonly kinds?: readonly VerifierFragmentKind[];
  /** Your own fragment arbitraries, drawn alongside the built-in kinds (see `defineFragment`). */
  readonly extra?: readonly fc.Arbitrary<VerifierFragment>[];
  /** Fewest fragments (default 1). */
  readonly minFragments?: number;
  /** Most fragments (default 4). */
  readonly maxFragments?: number;
}

const EXIT_VALUE: Readonly<Record<string, number>> = { zero: 0, one: 1, two: 2, minus_one: -1 };

/**
 * Assembles fragments into a program of a type: `r6 = r1`, the fragments in order, R0 set as
 * `exit` says, `exit`, then the fragments' tails (subprograms). Throws (a BadInputError from `assemble`) only if a custom fragment builds
 * something that does not assemble.
 */
export function buildVerifierProgram(type: VerifierFuzzProgramType, fragments: readonly VerifierFragment[],
  exit: VerifierExitKind = 'zero'): GeneratedVerifierProgram {
  const items: ProgramItem[] = [asm.mov64(R6, R1)];
  const ctxs = fragments.map((_, i) => ({ type, label: (name: string) => `f${i}_${name}` }));
  fragments.forEach((f, i) => items.push(f.build(ctxs[i]!)));
  if (exit === 'random') items.push(asm.call('get_prandom_u32'));
  else if (exit !== 'keep') items.push(asm.mov64(R0, EXIT_VALUE[exit]!));
  items.push(asm.exit());
  fragments.forEach((f, i) => { if (f.tail) items.push(f.tail(ctxs[i]!)); });
  const { instructions, mapNames } = asm.program(() => items, { source: false });
  const all: Readonly<Record<string, VerifierMapSpec>> = verifierFuzzMaps;
  const maps: Record<string, VerifierMapSpec> = {};
  for (const name of mapNames) if (all[name]) maps[name] = all[name];
  return { type, instructions, maps, fragments, exit };
}

/**
 * Structured programs for differential verifier testing: a v1 program type, 1-4 fragments (map
 * lookups with and without null checks, packet bounds checks right and off by one, stack spills
 * and fills, bounded and unbounded loops, helper calls with good and bad arguments, random ALU
 * sequences, context accesses, index range checks, BPF-to-BPF calls, legacy packet loads, paths joining with different values, short runs of arbitrary instructions, ring buffer records, tail calls) and a return value. Every program assembles and encodes; whether
 * it verifies is the question. Shrinking drops fragments and simplifies their fields.
 */
export function arbVerifierProgram(opts: ArbVerifierProgramOptions = {}): fc.Arbitrary<GeneratedVerifierProgram> {
  const kinds = opts.kinds ?? verifierFragmentKinds;
  const fragment = fc.oneof(...kinds.map((k) => FRAGMENTS[k]), ...(opts.extra ?? []));
  return fc.tuple(
    fc.constantFrom(...(opts.types ?? verifierFuzzProgramTypes)),
    fc.array(fragment, { minLength: opts.minFragments ?? 1, maxLength: opts.maxFragments ?? 4 }),
    fc.constantFrom<VerifierExitKind>('zero', 'zero', 'zero', 'zero', 'one', 'one', 'two', 'minus_one', 'random', 'keep'),
  ).map(([type, fragments, exit]) => buildVerifierProgram(type, fragments, exit));
}
