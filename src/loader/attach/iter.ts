/**
 * BPF iterators: a `tracing` program with expected attach type BPF_TRACE_ITER, loaded against the
 * BTF id of `bpf_iter_<target>` (`task`, `bpf_map`, `bpf_map_elem`, `tcp`...), linked with
 * BPF_LINK_CREATE (plus `union bpf_iter_link_info` for map or task targets); each BPF_ITER_CREATE
 * on the link gives a fd whose read() runs the program over the objects, until EOF.
 *
 * `union bpf_iter_link_info`: map.map_fd @0; task.tid @0, pid @4, pid_fd @8; cgroup.order @0,
 * cgroup_fd @4, cgroup_id @8 (16 bytes).
 * @module
 */
import { readSync } from 'node:fs';
import { AttachType } from '../../asm/attach-types.js';
import { ProgramType } from '../../asm/prog-types.js';
import { kernelFunctionBtfId } from '../../btf/vmlinux.js';
import { BadInputError, NotSupportedError } from '../../errors.js';
import { putU32, putU64, viewOf } from '../attr.js';
import { syscallError } from '../errno.js';
import { nativeAlloc } from '../ffi.js';
import { Fd } from '../fd.js';
import type { HasFd } from '../fd.js';
import { Link } from '../link.js';
import { BpfCmd, bpfTry } from '../syscall.js';
import { linkCreate } from './link-create.js';
import { canLoadAnything, logExplainsNothing, probeLoad } from './probe-load.js';

/** The load options of an iterator program over `target` (pass them to `loadProgram`). */
export function iterLoadOptions(target: string): { readonly type: number; readonly expectedAttachType: number; readonly attachBtfId: number } {
  const attachBtfId = kernelFunctionBtfId(`bpf_iter_${target}`);
  const why = iterUnsupportedReason(target, attachBtfId);
  if (why) throw new NotSupportedError(`BPF iterator ${target}`, why);
  return { type: ProgramType.TRACING, expectedAttachType: AttachType.TRACE_ITER, attachBtfId };
}

const iterVerdicts = new Map<string, string | undefined>();

/**
 * Why this kernel refuses iterator programs over `target`, or undefined when a trivial one loads
 * (or fails for a reason its log explains, which the real load will report). Some kernels refuse
 * map element iterators (`bpf_map_elem`, `bpf_sk_storage_map`) with EPERM and a log without an
 * error line, while task or map iterators load.
 */
export function iterUnsupportedReason(target: string, attachBtfId = kernelFunctionBtfId(`bpf_iter_${target}`)): string | undefined {
  if (iterVerdicts.has(target)) return iterVerdicts.get(target);
  const r = probeLoad(ProgramType.TRACING, AttachType.TRACE_ITER, attachBtfId);
  let why: string | undefined;
  if (r.errno === 1 && logExplainsNothing(r.log) && canLoadAnything()) {
    why = `BPF_PROG_LOAD of a ${target} iterator fails with EPERM and no error in the verifier log, although this ` +
      'process can load other BPF programs: this kernel refuses iterators over this target';
  }
  iterVerdicts.set(target, why);
  return why;
}

/** What the iterator walks, beyond its program's target. */
export interface IterOptions {
  /** For map element iterators (`bpf_map_elem`, `bpf_sk_storage_map`...): the map. */
  readonly map?: HasFd;
  /** For task iterators: only this thread (`tid`), this process (`pid`) or the process of a pidfd. */
  readonly task?: { readonly tid?: number; readonly pid?: number; readonly pidFd?: number };
  /** Names the target for messages and `Link.target`. */
  readonly target?: string;
}

/** Links an iterator program (loaded with {@link iterLoadOptions}); read it with {@link readIter}. */
export function attachIter(prog: HasFd, opts: IterOptions = {}): Link {
  if (opts.map && opts.task) throw new BadInputError('an iterator walks a map or tasks, not both');
  const info = opts.map || opts.task ? nativeAlloc(16) : undefined;
  try {
    if (info) {
      const dv = viewOf(info.bytes);
      if (opts.map) putU32(dv, 0, opts.map.fd);
      if (opts.task) {
        putU32(dv, 0, opts.task.tid ?? 0);
        putU32(dv, 4, opts.task.pid ?? 0);
        putU32(dv, 8, opts.task.pidFd ?? 0);
      }
    }
    const target = opts.target ?? 'iterator';
    const fd = linkCreate({
      prog, target: 0, attachType: AttachType.TRACE_ITER, what: `iter ${target}`,
      fill: (dv) => {
        if (!info) return;
        putU64(dv, 16, info.addr);
        putU32(dv, 24, 16);
      },
      hints: { 22: 'the program must be a tracing program loaded with iterLoadOptions, and a map iterator needs the map' },
    });
    return new Link({ kind: 'iter', target, links: [fd] });
  } finally {
    info?.free();
  }
}

/** A new read fd of an iterator link (BPF_ITER_CREATE): each one walks the objects once. */
export function openIter(link: HasFd): Fd {
  const attr = new Uint8Array(8);
  putU32(viewOf(attr), 0, link.fd);
  const rc = bpfTry(BpfCmd.BPF_ITER_CREATE, attr);
  if (rc < 0) throw syscallError('BPF_ITER_CREATE', -rc);
  return new Fd(rc);
}

/** Runs the iterator once: opens a read fd, reads it to EOF, closes it; returns the bytes. */
export function readIter(link: HasFd): Buffer {
  using fd = openIter(link);
  const chunks: Buffer[] = [];
  const buf = Buffer.alloc(64 * 1024);
  for (;;) {
    let n: number;
    try {
      n = readSync(fd.fd, buf, 0, buf.length, null);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EAGAIN' || (e as NodeJS.ErrnoException).code === 'EINTR') continue;
      throw e;
    }
    if (n === 0) break;
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
  return Buffer.concat(chunks);
}

/** {@link readIter} decoded as UTF-8 text (for programs that write with bpf_seq_printf). */
export function readIterText(link: HasFd): string {
  return readIter(link).toString('utf8');
}
