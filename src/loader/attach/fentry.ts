/**
 * fentry, fexit and fmod_ret: `tracing` programs loaded against a kernel function's BTF id and run
 * from a BPF trampoline, attached with BPF_LINK_CREATE. Some kernels refuse them at load time
 * (BPF_PROG_LOAD fails with EPERM and an empty verifier log although other programs load); the
 * load-option functions probe for that with the smallest such program and throw NotSupportedError
 * saying so, instead of leaving the user with a bare EPERM.
 * @module
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { AttachType } from '../../asm/attach-types.js';
import { ProgramType } from '../../asm/prog-types.js';
import { kernelFunctionBtfId } from '../../btf/vmlinux.js';
import { NotSupportedError } from '../../errors.js';
import { errnoName } from '../errno.js';
import type { HasFd } from '../fd.js';
import { Link } from '../link.js';
import { linkCreate } from './link-create.js';
import { canLoadAnything, probeLoad } from './probe-load.js';

/** The trampoline-based program kinds. */
export type TrampolineKind = 'fentry' | 'fexit' | 'fmod_ret' | 'lsm';

const ATTACH: Record<TrampolineKind, number> = {
  fentry: AttachType.TRACE_FENTRY, fexit: AttachType.TRACE_FEXIT, fmod_ret: AttachType.MODIFY_RETURN,
  lsm: AttachType.LSM_MAC,
};

/** The load options of a trampoline program (pass them to `loadProgram`). */
export interface TrampolineLoadOptions {
  /** `tracing`, or `lsm` for LSM programs. */
  readonly type: number;
  /** BPF_TRACE_FENTRY, BPF_TRACE_FEXIT, BPF_MODIFY_RETURN or BPF_LSM_MAC. */
  readonly expectedAttachType: number;
  /** The BTF id of the target function (for LSM: `bpf_lsm_<hook>`). */
  readonly attachBtfId: number;
}

/** A line from the kernel's build config (/proc/config.gz) about ftrace, when it can be read. */
function ftraceConfigNote(): string {
  try {
    const text = gunzipSync(readFileSync('/proc/config.gz')).toString('latin1');
    if (/^# CONFIG_FUNCTION_TRACER is not set$/m.test(text)) {
      return '; /proc/config.gz says CONFIG_FUNCTION_TRACER is not set, so there are no ftrace direct calls for trampolines';
    }
  } catch {
    // no config exposed
  }
  return '';
}

const verdicts = new Map<string, string | undefined>();

/**
 * Why this kernel refuses `kind` programs on `attachBtfId`, or undefined when a trivial one loads (or
 * fails for a reason the verifier explains, which the real load will report).
 */
export function trampolineUnsupportedReason(kind: TrampolineKind, attachBtfId: number): string | undefined {
  const key = `${kind}:${attachBtfId}`;
  if (verdicts.has(key)) return verdicts.get(key);
  const type = kind === 'lsm' ? ProgramType.LSM : ProgramType.TRACING;
  const r = probeLoad(type, ATTACH[kind], attachBtfId);
  let why: string | undefined;
  if (r.errno !== 0 && r.log === '' && (r.errno === 1 || r.errno === 524 || r.errno === 95)) {
    if (canLoadAnything()) {
      why = `BPF_PROG_LOAD of a ${kind} program fails with ${errnoName(r.errno)} and an empty verifier log, ` +
        `although this process can load other BPF programs: the kernel refuses BPF trampoline programs` +
        `${ftraceConfigNote()}`;
    }
  }
  verdicts.set(key, why);
  return why;
}

function trampolineOptions(kind: TrampolineKind, btfName: string, target: string): TrampolineLoadOptions {
  const attachBtfId = kernelFunctionBtfId(btfName);
  const why = trampolineUnsupportedReason(kind, attachBtfId);
  if (why) throw new NotSupportedError(`${kind} ${target}`, why);
  return { type: kind === 'lsm' ? ProgramType.LSM : ProgramType.TRACING, expectedAttachType: ATTACH[kind], attachBtfId };
}

/**
 * Load options for a `fentry`, `fexit` or `fmod_ret` program on kernel function `fn`. Probes the
 * kernel first: throws NotSupportedError when it refuses such programs (and when `fn` is not in
 * its BTF).
 */
export function tracingLoadOptions(kind: 'fentry' | 'fexit' | 'fmod_ret', fn: string): TrampolineLoadOptions {
  return trampolineOptions(kind, fn, fn);
}

/** Load options for an LSM program on hook `hook` (e.g. `file_open`); see {@link tracingLoadOptions}. */
export function lsmLoadOptions(hook: string): TrampolineLoadOptions {
  return trampolineOptions('lsm', `bpf_lsm_${hook}`, hook);
}

/** Options of the trampoline attach functions. */
export interface TrampolineAttachOptions {
  /** The target, for messages and `Link.target` (the kernel knows it from the load). */
  readonly target?: string;
  /** A value the program reads with bpf_get_attach_cookie. */
  readonly cookie?: bigint;
}

/** Attaches a loaded fentry/fexit/fmod_ret/LSM program (BPF_LINK_CREATE with its attach type). */
export function attachTrampoline(prog: HasFd, kind: TrampolineKind, opts: TrampolineAttachOptions = {}): Link {
  const target = opts.target ?? 'its BTF target';
  const fd = linkCreate({
    prog, target: 0, attachType: ATTACH[kind], what: `${kind} ${target}`,
    fill: (dv) => { if (opts.cookie !== undefined) dv.setBigUint64(24, opts.cookie, true); },
  });
  return new Link({ kind, target, links: [fd] });
}

/** Attaches a loaded fentry program. */
export function attachFentry(prog: HasFd, opts: TrampolineAttachOptions = {}): Link {
  return attachTrampoline(prog, 'fentry', opts);
}

/** Attaches a loaded fexit program. */
export function attachFexit(prog: HasFd, opts: TrampolineAttachOptions = {}): Link {
  return attachTrampoline(prog, 'fexit', opts);
}
