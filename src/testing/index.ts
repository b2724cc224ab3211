/**
 * Test helpers for code built on ts-ebpf (the `ts-ebpf/testing` face). Needs `fast-check`.
 * @module
 */
export {
  arbInstruction, arbInstructionOf, arbProgram, instructionFamilies,
} from './instructions.js';
export type { ArbProgramOptions, InstructionFamily } from './instructions.js';
export {
  arbVerifierProgram, arbVerifierFragment, buildVerifierProgram, verifierFragmentKinds, verifierExitKinds,
} from './verifier-programs.js';
export type {
  ArbVerifierProgramOptions, GeneratedVerifierProgram, VerifierExitKind, VerifierFragmentKind,
} from './verifier-programs.js';
export {
  arbCtxFragment, arbMapFragment, arbPacketFragment, arbStackFragment, defineFragment, verifierFuzzMaps,
  verifierFuzzProgramTypes,
} from './verifier-fragments.js';
export {
  arbAluFragment, arbCallFragment, arbHelperFragment, arbJoinFragment, arbLdAbsFragment, arbLoopFragment,
  arbRangeFragment, arbSoupFragment,
} from './verifier-fragments-code.js';
export { arbRingbufFragment, arbTailCallFragment } from './verifier-fragments-maps.js';
export type { FragmentContext, VerifierFragment, VerifierFuzzProgramType } from './verifier-fragments.js';
