/**
 * Raw tracepoints: `raw_tracepoint` programs by tracepoint name (BPF_RAW_TRACEPOINT_OPEN), and
 * `tp_btf` programs (type `tracing`, expected attach type BPF_TRACE_RAW_TP, loaded with the BTF id
 * of `btf_trace_<event>`), attached by BPF_RAW_TRACEPOINT_OPEN or BPF_LINK_CREATE.
 *
 * BPF_RAW_TRACEPOINT_OPEN attr: name @0 (address of a C string, 0 for tp_btf), prog_fd @8,
 * cookie @16 (6.10+).
 * @module
 */
import { AttachType } from '../../asm/attach-types.js';
import { ProgramType } from '../../asm/prog-types.js';
import { rawTracepointBtfId } from '../../btf/vmlinux.js';
import { putU32, putU64, putU64Big, viewOf } from '../attr.js';
import { nativeAlloc } from '../ffi.js';
import { Fd } from '../fd.js';
import type { HasFd } from '../fd.js';
import { Link } from '../link.js';
import { BpfCmd, bpfTry } from '../syscall.js';
import { linkCreate, linkError } from './link-create.js';

/** Options of the raw tracepoint attach functions. */
export interface RawTracepointOptions {
  /** A value the program reads with bpf_get_attach_cookie (6.10+). */
  readonly cookie?: bigint;
}

function rawTracepointOpen(prog: HasFd, name: string | undefined, cookie: bigint | undefined, what: string): Fd {
  const str = name === undefined ? undefined : nativeAlloc(Buffer.byteLength(name) + 1);
  try {
    str?.bytes.write(name!, 0, 'utf8');
    const attr = new Uint8Array(24);
    const dv = viewOf(attr);
    putU64(dv, 0, str?.addr ?? 0);
    putU32(dv, 8, prog.fd);
    if (cookie !== undefined) putU64Big(dv, 16, cookie);
    const rc = bpfTry(BpfCmd.BPF_RAW_TRACEPOINT_OPEN, attr);
    if (rc < 0) {
      throw linkError(`BPF_RAW_TRACEPOINT_OPEN (${what})`, -rc, {
        2: `the kernel has no raw tracepoint ${name ?? ''}`.trim(),
        22: 'the program is not a raw_tracepoint program (or a tp_btf program loaded for a tracepoint)',
      });
    }
    return new Fd(rc);
  } finally {
    str?.free();
  }
}

/**
 * Attaches a `raw_tracepoint` program to the raw tracepoint `name` (e.g. `sys_enter`,
 * `sched_process_exec`). Its context is the tracepoint's raw arguments.
 */
export function attachRawTracepoint(prog: HasFd, name: string, opts: RawTracepointOptions = {}): Link {
  const fd = rawTracepointOpen(prog, name, opts.cookie, `raw_tracepoint ${name}`);
  return new Link({ kind: 'raw_tracepoint', target: name, links: [fd] });
}

/** The load options a tp_btf program for `event` needs (pass them to `loadProgram`). */
export interface TpBtfLoadOptions {
  /** Program type `tracing`. */
  readonly type: number;
  /** BPF_TRACE_RAW_TP. */
  readonly expectedAttachType: number;
  /** The BTF id of `btf_trace_<event>` in the kernel's BTF. */
  readonly attachBtfId: number;
}

/**
 * What a tp_btf program for the raw tracepoint `event` (e.g. `sched_switch`) is loaded with.
 * Throws NotSupportedError when the kernel's BTF has no such tracepoint.
 */
export function tpBtfLoadOptions(event: string): TpBtfLoadOptions {
  return { type: ProgramType.TRACING, expectedAttachType: AttachType.TRACE_RAW_TP, attachBtfId: rawTracepointBtfId(event) };
}

/** Options of {@link attachTpBtf}. */
export interface TpBtfOptions extends RawTracepointOptions {
  /** `raw_tracepoint_open` (default, any kernel with tp_btf) or `link` (BPF_LINK_CREATE). */
  readonly method?: 'raw_tracepoint_open' | 'link';
  /** The event, for messages and `Link.target` (the kernel knows it from the load). */
  readonly event?: string;
}

/**
 * Attaches a tp_btf program (loaded with {@link tpBtfLoadOptions}); the tracepoint is the one it
 * was loaded for.
 */
export function attachTpBtf(prog: HasFd, opts: TpBtfOptions = {}): Link {
  const target = opts.event ?? 'its BTF target';
  const what = `tp_btf ${target}`;
  if (opts.method === 'link') {
    const fd = linkCreate({
      prog, target: 0, attachType: AttachType.TRACE_RAW_TP, what,
      // link_create.tracing: target_btf_id @16, cookie @24.
      fill: (dv) => { if (opts.cookie !== undefined) putU64Big(dv, 24, opts.cookie); },
    });
    return new Link({ kind: 'tp_btf', target, links: [fd] });
  }
  return new Link({ kind: 'tp_btf', target, links: [rawTracepointOpen(prog, undefined, opts.cookie, what)] });
}
