/**
 * `loadProgram`'s `verify` option: runs the verifier model on the program it is about to load,
 * with the same type, attach type, flags, license and maps, and compares the model's verdict
 * with the kernel's. Data flows asm → verifier → loader: this file imports the verifier, never
 * the reverse.
 * @module
 */
import { ModelDisagreementError, ModelRejectionError, VerifierError } from '../errors.js';
import type { Verdict } from '../errors.js';
import type { Instruction } from '../asm/instruction.js';
import { slotOffsets } from '../asm/instruction.js';
import { LD_IMM64, PseudoLd } from '../asm/opcode.js';
import { MapType } from '../asm/map-types.js';
import { verify } from '../verifier/verify.js';
import type { VerifierMapSpec, VerifyResult } from '../verifier/types.js';
import { resolveMapSpec } from '../maps/spec.js';
import type { MapSpec, ResolvedMapSpec } from '../maps/spec.js';
import { mapInfoByFd } from '../maps/map.js';
import { specFromInfo } from '../maps/open.js';
import { possibleCpus } from './platform.js';
import { defaultMapName, isMapObject } from './prog-maps.js';
import type { MapObject } from './prog-maps.js';

/**
 * How `loadProgram` uses the verifier model:
 * - `'compare'` (or `true`): the model runs first, the program is loaded whatever it says, and the
 *   two verdicts are compared;
 * - `'gate'`: a program the model rejects is not loaded at all (no map is created, no syscall is
 *   made, so this works off Linux for programs whose maps are specs): `ModelRejectionError`.
 */
export type ModelMode = 'compare' | 'gate';

/** What the model said about a loaded program, kept on `Program.model`. */
export interface ModelCheck {
  /** The mode it ran in. */
  readonly mode: ModelMode;
  /**
   * The model's full result: verdict, processed count, and its log at the load's `logLevel` (like
   * the kernel's, only the error and statistics lines without one).
   */
  readonly result: VerifyResult;
  /** Wall time of the model run, in milliseconds. */
  readonly ms: number;
  /**
   * Set when the model rejected a program the kernel accepted (only possible in `'compare'` mode
   * without `verifyStrict`): the same error `verifyStrict` would have thrown.
   */
  readonly disagreement: ModelDisagreementError | undefined;
}

/** The options of the model run, taken from `loadProgram`'s. */
export interface ModelRunInput {
  /** `enum bpf_prog_type`. */
  readonly type: number;
  /** expected_attach_type, when given. */
  readonly expectedAttachType: number | undefined;
  /** The license. */
  readonly license: string;
  /** `prog_flags`. */
  readonly flags: number;
  /** The instructions (names unresolved) or raw bytes. */
  readonly program: readonly Instruction[] | Uint8Array;
  /** Maps by name, as given to loadProgram (specs or open map objects). */
  readonly maps: Readonly<Record<string, MapObject | MapSpec>>;
  /**
   * loadProgram's `logLevel`, as the kernel reads it: 2 (or 2 + 4) logs every path with each
   * instruction's state; 1 the failing path with states (the statistics line alone when accepted);
   * absent, only errors.
   */
  readonly logLevel?: number | undefined;
}

/** Something that carries the spec a map was created with (a `BpfMap`). */
interface WithSpec {
  readonly spec: ResolvedMapSpec;
}

function hasSpec(m: object): m is WithSpec {
  const s = (m as Partial<WithSpec>).spec;
  return typeof s === 'object' && s !== null && typeof s.type === 'number' && typeof s.keySize === 'number';
}

function fromResolved(r: ResolvedMapSpec): VerifierMapSpec {
  return {
    type: r.type, keySize: r.keySize, valueSize: r.valueSize, maxEntries: r.maxEntries, flags: r.flags,
    ...(r.name ? { name: r.name } : {}),
    ...(r.inner ? { inner: fromResolved(r.inner) } : {}),
  };
}

function cpus(): number | undefined {
  try {
    return possibleCpus();
  } catch {
    return undefined;
  }
}

/**
 * The model's view of one map: a spec is resolved as `createMap` would (no syscall); an open map
 * object gives the spec it carries (`BpfMap.spec`), or else the kernel's BPF_OBJ_GET_INFO_BY_FD.
 */
export function verifierMapSpec(m: MapObject | MapSpec): VerifierMapSpec {
  if (!isMapObject(m)) return fromResolved(resolveMapSpec(m, cpus() ?? 1));
  if (hasSpec(m)) return fromResolved(m.spec);
  return fromResolved(specFromInfo(mapInfoByFd(m.fd)));
}

/**
 * A map the loader creates from a spec without a name gets the name the program uses for it
 * (prog-maps.ts): the model's level-2 log prints it as the kernel does (`map=NAME`).
 */
function namedAsLoaded(spec: VerifierMapSpec, usedAs: string): VerifierMapSpec {
  return spec.name ? spec : { ...spec, name: defaultMapName(usedAs) };
}

/** The maps raw bytes reference by fd (LD_IMM64 MAP_FD / MAP_VALUE), described by the kernel. */
function mapsByFd(bytes: Uint8Array): Record<number, VerifierMapSpec> {
  const out: Record<number, VerifierMapSpec> = {};
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let o = 0; o + 16 <= bytes.length; o += 8) {
    if (bytes[o] !== LD_IMM64) continue;
    const src = bytes[o + 1]! >> 4;
    if (src === PseudoLd.MAP_FD || src === PseudoLd.MAP_VALUE) {
      const fd = dv.getInt32(o + 4, true);
      if (!(fd in out)) {
        try {
          out[fd] = fromResolved(specFromInfo(mapInfoByFd(fd)));
        } catch {
          // Not a map fd: the model then says what the kernel says about a bad fd.
        }
      }
    }
    o += 8;
  }
  return out;
}

/**
 * The model's answer when a map-in-map's inner map is unknown: the kernel's map info does not
 * describe it, so an outer map opened by fd, id or pin (rather than created from a spec with
 * `inner`) leaves the model unable to type what a lookup returns. Undefined when every inner is known.
 */
function unknownInner(program: readonly Instruction[] | Uint8Array, maps: Record<string | number, VerifierMapSpec>): VerifyResult | undefined {
  const key = Object.keys(maps).find((k) => {
    const m = maps[k]!;
    return (m.type === MapType.ARRAY_OF_MAPS || m.type === MapType.HASH_OF_MAPS) && !m.inner;
  });
  if (key === undefined) return undefined;
  let insn = -1;
  let source: Instruction['source'];
  if (program instanceof Uint8Array) {
    const dv = new DataView(program.buffer, program.byteOffset, program.byteLength);
    for (let o = 0; o + 16 <= program.length && insn < 0; o += program[o] === LD_IMM64 ? 16 : 8) {
      if (program[o] === LD_IMM64 && dv.getInt32(o + 4, true) === Number(key)) insn = o / 8;
    }
  } else {
    const at = program.findIndex((i) => i.map === key);
    if (at >= 0) {
      insn = slotOffsets(program)[at]!;
      source = program[at]!.source;
    }
  }
  const what = program instanceof Uint8Array ? `map fd ${key}` : `map ${key}`;
  const message = `not modelled: the inner map of ${what} is unknown (the kernel's map info does not give it; pass a MapSpec or createMap() result with inner)`;
  return { ok: false, processed: 0, error: { insn, message, ...(source ? { source } : {}) }, log: [message] };
}

/** Runs the verifier model on what loadProgram is about to load, and times it. */
export function runModel(input: ModelRunInput): { result: VerifyResult; ms: number } {
  const raw = input.program instanceof Uint8Array;
  const maps: Record<string | number, VerifierMapSpec> = raw
    ? mapsByFd(input.program as Uint8Array)
    : Object.fromEntries(Object.entries(input.maps).map(([n, m]) => [n, namedAsLoaded(verifierMapSpec(m), n)]));
  const unknown = unknownInner(input.program, maps);
  if (unknown) return { result: unknown, ms: 0 };
  const nrCpus = cpus();
  const t0 = performance.now();
  const result = verify(input.program, {
    type: input.type,
    ...(input.expectedAttachType !== undefined ? { expectedAttachType: input.expectedAttachType } : {}),
    license: input.license, progFlags: input.flags, maps,
    logLevel: (input.logLevel ?? 0) & 2 ? 2 : (input.logLevel ?? 0) & 1 ? 1 : 0,
    ...(nrCpus !== undefined ? { nrCpus } : {}),
  });
  return { result, ms: performance.now() - t0 };
}

/** The model's verdict as an error field. */
export function modelVerdict(r: VerifyResult): Verdict {
  if (r.ok) return { accepted: true, processed: r.processed };
  const e = r.error;
  return {
    accepted: false, processed: r.processed,
    ...(e ? { message: e.message } : {}),
    ...(e && e.insn >= 0 ? { insn: e.insn } : {}),
    ...(e?.source ? { source: e.source } : {}),
  };
}

/** The kernel's verdict on a program it rejected. */
export function kernelVerdict(e: VerifierError): Verdict {
  const m = /^processed (\d+) insns/.exec([...e.log].reverse().find((l) => l.startsWith('processed ')) ?? '');
  return {
    accepted: false, message: e.kernelMessage,
    ...(e.insn !== undefined ? { insn: e.insn } : {}),
    ...(e.source ? { source: e.source } : {}),
    ...(m ? { processed: Number(m[1]) } : {}),
  };
}

/** The error of `'gate'` mode: the model's rejection, in the kernel's words, before any load. */
export function gateRejection(r: VerifyResult): ModelRejectionError {
  const e = r.error;
  return new ModelRejectionError(e?.message ?? 'rejected', {
    ...(e && e.insn >= 0 ? { insn: e.insn } : {}),
    ...(e?.source ? { source: e.source } : {}),
  });
}

/**
 * What a kernel rejection becomes when the model ran: both rejected → the kernel's VerifierError
 * with the model's verdict added (`error.model`, and a note in the message); the model accepted →
 * a ModelDisagreementError whose `cause` is the kernel's error.
 */
export function kernelRejected(e: VerifierError, model: VerifyResult): VerifierError | ModelDisagreementError {
  const mv = modelVerdict(model);
  if (model.ok) return new ModelDisagreementError(mv, kernelVerdict(e), e.log, { cause: e });
  return new VerifierError(e.kernelMessage, e.log, e.code, {
    ...(e.insn !== undefined ? { insn: e.insn } : {}),
    ...(e.source ? { source: e.source } : {}),
    model: mv,
  });
}

/** The disagreement of a model rejection the kernel accepted (`verifiedInsns`: the kernel's count, when known). */
export function kernelAccepted(model: VerifyResult, verifiedInsns?: number): ModelDisagreementError {
  return new ModelDisagreementError(modelVerdict(model),
    { accepted: true, ...(verifiedInsns !== undefined ? { processed: verifiedInsns } : {}) });
}
