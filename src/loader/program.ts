/**
 * `loadProgram` and the `Program` it returns: the fd-owning object of a loaded program, with
 * `info`, `xlated`, `testRun`, `pin` and `close`.
 * @module
 */
import { readFileSync, unlinkSync } from 'node:fs';
import { BadInputError, isVerifierError } from '../errors.js';
import type { Instruction } from '../asm/instruction.js';
import { slotOffsets } from '../asm/instruction.js';
import { decode, encode } from '../asm/encoding.js';
import { kernelFunctionBtfId } from '../btf/vmlinux.js';
import { LD_IMM64, PseudoLd } from '../asm/opcode.js';
import { ProgramType } from '../asm/prog-types.js';
import { slotsFromBytes } from '../verifier/ir.js';
import { formatInsn } from '../verifier/log.js';
import { checkMapNames, referencedMapNames, resolveReferences } from './resolve.js';
import { progLoad } from './prog-load.js';
import { programInfo, xlatedBytes } from './prog-info.js';
import type { ProgramInfo } from './prog-info.js';
import { testRunFd } from './test-run.js';
import type { TestRunOptions, TestRunResult } from './test-run.js';
import { encodeObjPinAttr } from './prog-attr.js';
import { syscallError } from './errno.js';
import { nativeAlloc } from './ffi.js';
import { Fd } from './fd.js';
import { BpfCmd, bpfTry } from './syscall.js';
import { createMapForProgram, isMapObject } from './prog-maps.js';
import type { MapObject } from './prog-maps.js';
import type { MapSpec } from '../maps/spec.js';
import { progTypeNumber, attachTypeNumber } from './prog-names.js';
import { gateRejection, kernelAccepted, kernelRejected, runModel } from './model-check.js';
import type { ModelCheck, ModelMode } from './model-check.js';

/** `BPF_F_SLEEPABLE`: the program may sleep (syscall programs must). */
export const BPF_F_SLEEPABLE = 16;

/** What {@link loadProgram} takes. A `ProgramSpec` (name, type, license, instructions, maps) fits. */
export interface LoadProgramOptions {
  /** The program type: a number (`enum bpf_prog_type`) or a name such as `xdp` or `socket_filter`. */
  readonly type: number | string;
  /**
   * The instructions; or what `assemble` returned (its map objects join `maps`); or already
   * encoded bytes, loaded as they are (no names resolved).
   */
  readonly instructions: readonly Instruction[] | AssembledLike | Uint8Array;
  /** The license (default `GPL`, which GPL-only helpers need). */
  readonly license?: string;
  /**
   * The maps the instructions name (LD_IMM64 `map`), by name: a map object (used as it is; the
   * caller keeps owning it) or a spec (created for this program and closed with it).
   */
  readonly maps?: Readonly<Record<string, MapObject | MapSpec>>;
  /** The attach type the program is verified for (a number or a name such as `xdp`). */
  readonly expectedAttachType?: number | string;
  /** The program's name in the kernel (at most 15 bytes are kept). */
  readonly name?: string;
  /** BTF id of the attach target (tracing, LSM, struct_ops, ext programs). */
  readonly attachBtfId?: number;
  /** Program fd (ext programs) or module BTF fd the target lives in. */
  readonly attachFd?: number;
  /**
   * `BPF_F_*` load flags (e.g. BPF_F_SLEEPABLE = 16). Default 0, except for syscall programs,
   * which the kernel only takes sleepable: for them the default is BPF_F_SLEEPABLE.
   */
  readonly flags?: number;
  /** Network device to bind the program to. */
  readonly ifindex?: number;
  /**
   * Verifier log level to load with (1 or 2; add 4 for statistics). With a level the log is kept
   * in `Program.verifierLog`; without, the log is only fetched to explain a rejection.
   */
  readonly logLevel?: number;
  /** The first log buffer's size in bytes; it grows to what the kernel needs. */
  readonly logSize?: number;
  /** Extra fds for `fd_array` (map objects or raw fds), ahead of those MAP_IDX references add. */
  readonly fdArray?: readonly (number | MapObject)[];
  /**
   * Run the in-process verifier model (`verify()`) first, with the same type, attach type, flags,
   * license and maps, and compare its verdict with the kernel's:
   * - `'compare'` or `true`: the program is loaded whatever the model says. Both accept: the
   *   Program, with the model's result in `program.model`. Both reject: the kernel's VerifierError,
   *   with the model's verdict in `error.model` and in its message. The model accepts but the
   *   kernel rejects: a ModelDisagreementError ("the verifier model and the kernel disagree",
   *   both verdicts, instruction and source; `cause` is the kernel's VerifierError). The model
   *   rejects but the kernel accepts: the Program is returned (the kernel has the last word), with
   *   the ModelDisagreementError in `program.model.disagreement`; `verifyStrict` throws it instead.
   * - `'gate'`: as `'compare'`, except that a program the model rejects is not loaded at all: a
   *   ModelRejectionError (the kernel's words, instruction, source) before any map is created or
   *   any syscall made.
   */
  readonly verify?: boolean | ModelMode;
  /**
   * With `verify`: when the model rejects a program the kernel accepts, close it and throw the
   * ModelDisagreementError rather than return it. Default false.
   */
  readonly verifyStrict?: boolean;
}

/** The part of `assemble()`'s result that loadProgram uses. */
export interface AssembledLike {
  /** The instructions, labels resolved. */
  readonly instructions: readonly Instruction[];
  /** Map objects (specs or open maps) the instructions were built with, by name. */
  readonly maps?: Readonly<Record<string, object>>;
}

/** A translated program as the kernel holds it after verification and rewrites. */
export interface XlatedProgram {
  /** The translated instructions. Map references show as the kernel rewrote them. */
  readonly instructions: readonly Instruction[];
  /** The raw bytes the kernel returned. */
  readonly bytes: Uint8Array;
  /**
   * One line per instruction in the kernel's own notation (print_bpf_insn, as in verifier logs and
   * `bpftool prog dump xlated`), e.g. `0: (b7) r0 = 0`.
   */
  readonly text: readonly string[];
}


/** A loaded eBPF program. Owns its fd: call `close()` (or use `using`) when done. */
export class Program implements Disposable {
  /** `enum bpf_prog_type`. */
  readonly type: number;
  /** The name given at load. */
  readonly name: string;
  /** The kernel-wide program id. */
  readonly id: number;
  /** The program tag (16 hex digits), as bpftool shows it. */
  readonly tag: string;
  /** The maps the program was loaded with, by name (those created from specs are owned by it). */
  readonly maps: Readonly<Record<string, MapObject>>;
  /** The verifier log, when the program was loaded with a `logLevel`. */
  readonly verifierLog: readonly string[] | undefined;
  /** The verifier model's result and any disagreement, when loaded with `verify`. */
  readonly model: ModelCheck | undefined;
  readonly #fd: Fd;
  readonly #owned: MapObject[];

  /**
   * Takes ownership of a program fd; use {@link loadProgram} or {@link loadPinnedProgram}.
   * The fd (and the maps in `owned`) close with `close()`, or when this object is collected
   * (the fd's own finalization backstop; owned maps have theirs).
   */
  constructor(fd: Fd, init: { type: number; name: string; maps?: Record<string, MapObject>;
    owned?: MapObject[]; log?: readonly string[] | undefined; model?: ModelCheck }) {
    this.#fd = fd;
    this.#owned = init.owned ?? [];
    let info: ProgramInfo;
    try {
      info = programInfo(fd.fd);
    } catch (e) {
      this.close();
      throw e;
    }
    this.type = init.type;
    this.name = init.name;
    this.id = info.id;
    this.tag = info.tag;
    this.maps = Object.freeze({ ...init.maps });
    this.verifierLog = init.log;
    this.model = init.model;
  }

  /** The program fd. Throws once the program is closed. */
  get fd(): number {
    if (this.#fd.closed) throw new BadInputError(`program ${this.name || this.id} is closed`);
    return this.#fd.fd;
  }

  /** Whether `close()` was called. */
  get closed(): boolean {
    return this.#fd.closed;
  }

  /** What the kernel reports about the program now (sizes, verified instructions, map ids...). */
  info(): ProgramInfo {
    return programInfo(this.fd);
  }

  /** The translated instructions (after the verifier's rewrites), decoded. */
  xlated(): XlatedProgram {
    const bytes = xlatedBytes(this.fd);
    return { bytes, instructions: decode(bytes, { validate: false }), text: kernelNotation(bytes) };
  }

  /** Runs the program in the kernel on the given data and context (BPF_PROG_TEST_RUN). */
  testRun(opts: TestRunOptions = {}): TestRunResult {
    return testRunFd(this.fd, this.type, opts);
  }

  /** Pins the program to a path on a BPF filesystem (e.g. `/sys/fs/bpf/name`). */
  pin(path: string): void {
    objPin(path, this.fd);
  }

  /** Removes a pin made with {@link Program.pin} (the program stays loaded while this object is open). */
  unpin(path: string): void {
    unlinkSync(path);
  }

  /** Closes the program fd, and the maps created for it from specs. Safe to call twice. */
  close(): void {
    this.#fd.close();
    for (const m of this.#owned.splice(0)) m.close();
  }

  /** Same as {@link Program.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/**
 * Loads a program into the kernel. Map names resolve to the `maps` given (specs are created on
 * demand), kfunc names to BTF ids, labels to offsets; anything unresolved is a BadInputError
 * before any syscall. A rejection by the verifier is a VerifierError with the kernel's log.
 * With `verify`, the verifier model runs first (see {@link LoadProgramOptions.verify}).
 */
export function loadProgram(opts: LoadProgramOptions): Program {
  const type = progTypeNumber(opts.type);
  const flags = opts.flags ?? (type === ProgramType.SYSCALL ? BPF_F_SLEEPABLE : 0);
  const expectedAttachType = opts.expectedAttachType === undefined ? undefined : attachTypeNumber(opts.expectedAttachType);
  const raw = opts.instructions instanceof Uint8Array;
  const assembled = !raw && !Array.isArray(opts.instructions) ? opts.instructions as AssembledLike : undefined;
  // Map objects the DSL saw are specs or open maps; createMap validates a spec when it is created.
  const given = { ...(assembled?.maps as Record<string, MapObject | MapSpec> | undefined), ...opts.maps };
  const insns: readonly Instruction[] = raw ? [] : assembled ? assembled.instructions : opts.instructions as readonly Instruction[];
  if (!raw) {
    checkMapNames(insns, new Set(Object.keys(given)));
    // Dry run with placeholder fds: labels, kfuncs and encodings fail here, before any map exists.
    const dry = new Map(referencedMapNames(insns).map((n) => [n, 0]));
    encode(resolveReferences(insns, { mapFds: dry, kfuncId: kernelFunctionBtfId, fdArray: [] }));
  }
  const mode: ModelMode | undefined = opts.verify === true ? 'compare' : opts.verify === false ? undefined : opts.verify;
  if (mode !== undefined && mode !== 'compare' && mode !== 'gate') {
    throw new BadInputError(`verify must be true, false, 'compare' or 'gate', got ${JSON.stringify(mode)}`);
  }
  const license = opts.license ?? 'GPL';
  const model = mode === undefined ? undefined : runModel({
    type, expectedAttachType, license, flags, maps: given, logLevel: opts.logLevel,
    program: raw ? opts.instructions as Uint8Array : insns,
  });
  if (mode === 'gate' && model && !model.result.ok) throw gateRejection(model.result);
  const maps: Record<string, MapObject> = {};
  const owned: MapObject[] = [];
  try {
    for (const [name, m] of Object.entries(given)) {
      if (isMapObject(m)) {
        maps[name] = m;
      } else {
        const created = createMapForProgram(name, m);
        owned.push(created);
        maps[name] = created;
      }
    }
    const fdArray = (opts.fdArray ?? []).map((f) => (typeof f === 'number' ? f : f.fd));
    let bytes: Uint8Array;
    if (raw) {
      bytes = opts.instructions as Uint8Array;
    } else {
      const mapFds = new Map(Object.entries(maps).map(([n, m]) => [n, m.fd]));
      bytes = encode(resolveReferences(insns, { mapFds, kfuncId: kernelFunctionBtfId, fdArray }));
    }
    if (bytes.length === 0 || bytes.length % 8 !== 0) {
      throw new BadInputError(`a program needs at least one instruction (8 bytes each), got ${bytes.length} bytes`);
    }
    const slots = raw ? undefined : slotOffsets(insns);
    const result = progLoad({
      progType: type,
      insns: bytes,
      license,
      attr: {
        ...(opts.name !== undefined ? { progName: opts.name } : {}),
        ...(expectedAttachType !== undefined ? { expectedAttachType } : {}),
        ...(opts.attachBtfId !== undefined ? { attachBtfId: opts.attachBtfId } : {}),
        ...(opts.attachFd !== undefined ? { attachFd: opts.attachFd } : {}),
        ...(flags !== 0 ? { progFlags: flags } : {}),
        ...(opts.ifindex !== undefined ? { progIfindex: opts.ifindex } : {}),
      },
      fdArray,
      ...(opts.logLevel !== undefined ? { logLevel: opts.logLevel } : {}),
      ...(opts.logSize !== undefined ? { logSize: opts.logSize } : {}),
      sourceAt: (slot) => (slots ? sourceAtSlot(insns, slots, slot) : undefined),
    });
    const disagreement = model && !model.result.ok ? kernelAccepted(model.result, verifiedInsns(result.fd)) : undefined;
    const program = new Program(new Fd(result.fd), { type, name: opts.name ?? '', maps, owned, log: result.log,
      ...(model && mode ? { model: { mode, result: model.result, ms: model.ms, disagreement } } : {}) });
    if (disagreement && opts.verifyStrict) {
      program.close();
      throw disagreement;
    }
    return program;
  } catch (e) {
    // close() is idempotent: maps a half-built Program already closed are fine to close again.
    for (const m of owned) m.close();
    if (model && isVerifierError(e)) throw kernelRejected(e, model.result);
    throw e;
  }
}

/** The kernel's count of verified instructions, for a disagreement record (undefined if unreadable). */
function verifiedInsns(fd: number): number | undefined {
  try {
    return programInfo(fd).verifiedInsns;
  } catch {
    return undefined;
  }
}

/** Each instruction as the kernel prints it, prefixed with its slot (LD_IMM64 takes two). */
function kernelNotation(bytes: Uint8Array): string[] {
  const slots = slotsFromBytes(bytes);
  if (!slots) return [];
  const out: string[] = [];
  for (let i = 0; i < slots.len; i += slots.code[i] === LD_IMM64 ? 2 : 1) {
    // The dump holds map ids where the program held fds; name them as bpftool does.
    const src = slots.src[i];
    if (slots.code[i] === LD_IMM64 && (src === PseudoLd.MAP_FD || src === PseudoLd.MAP_VALUE)) {
      const hi = i + 1 < slots.len ? slots.imm[i + 1]! : 0;
      out.push(`${i}: (18) r${slots.dst[i]} = map[id:${slots.imm[i]}]${src === PseudoLd.MAP_VALUE ? `[0]+${hi}` : ''}`);
    } else {
      out.push(`${i}: ${formatInsn(slots, i)}`);
    }
  }
  return out;
}

function sourceAtSlot(insns: readonly Instruction[], slots: Uint32Array, slot: number) {
  // slots is sorted: binary search for the instruction starting at (or spanning) this slot.
  let lo = 0;
  let hi = insns.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (slots[mid]! <= slot) lo = mid; else hi = mid - 1;
  }
  return insns[lo]?.source;
}


function objPin(path: string, fd: number): void {
  const name = nativeAlloc(Buffer.byteLength(path) + 1);
  const attr = nativeAlloc(24);
  try {
    name.bytes.write(path, 0, 'utf8');
    attr.bytes.set(encodeObjPinAttr(name.address, fd));
    const rc = bpfTry(BpfCmd.BPF_OBJ_PIN, attr, 24);
    if (rc < 0) {
      throw syscallError('BPF_OBJ_PIN', -rc,
        -rc === 1 || -rc === 22 ? 'the path must be on a mounted BPF filesystem (mount -t bpf bpf /sys/fs/bpf)'
          : -rc === 17 ? 'the path exists already' : undefined);
    }
  } finally {
    attr.free();
    name.free();
  }
}

/** Opens a loaded program by its kernel-wide id (BPF_PROG_GET_FD_BY_ID). The result owns a new fd. */
export function openProgramById(id: number): Program {
  if (!Number.isInteger(id) || id <= 0 || id > 0xffff_ffff) throw new BadInputError(`program id must be a positive 32-bit integer, got ${id}`);
  const attr = new Uint8Array(16);
  new DataView(attr.buffer).setUint32(0, id, true);
  const fd = bpfTry(BpfCmd.BPF_PROG_GET_FD_BY_ID, attr);
  if (fd < 0) throw syscallError('BPF_PROG_GET_FD_BY_ID', -fd, -fd === 2 ? `no program has id ${id}` : undefined);
  return wrapOpened(new Fd(fd));
}

function wrapOpened(owner: Fd): Program {
  let info: ProgramInfo;
  try {
    info = programInfo(owner.fd);
  } catch (e) {
    owner.close();
    throw e;
  }
  return new Program(owner, { type: info.type, name: info.name });
}

/** Opens a program pinned at `path` (BPF_OBJ_GET). The result owns a new fd. */
export function loadPinnedProgram(path: string): Program {
  const name = nativeAlloc(Buffer.byteLength(path) + 1);
  const attr = nativeAlloc(24);
  let fd: number;
  try {
    name.bytes.write(path, 0, 'utf8');
    attr.bytes.set(encodeObjPinAttr(name.address, 0));
    fd = bpfTry(BpfCmd.BPF_OBJ_GET, attr, 24);
  } finally {
    attr.free();
    name.free();
  }
  if (fd < 0) {
    throw syscallError('BPF_OBJ_GET', -fd, -fd === 2 ? `nothing is pinned at ${path}` : undefined);
  }
  const owner = new Fd(fd);
  // A pinned map opens just as well: only a program's fdinfo has a prog_tag line.
  if (!/^prog_tag:/m.test(readFileSync(`/proc/self/fdinfo/${owner.fd}`, 'utf8'))) {
    owner.close();
    throw new BadInputError(`${path} is not a pinned program`);
  }
  return wrapOpened(owner);
}
