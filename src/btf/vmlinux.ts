/**
 * The running kernel's BTF, read once from /sys/kernel/btf/vmlinux.
 * @module
 */
import { readFileSync } from 'node:fs';
import { NotSupportedError } from '../errors.js';
import { Btf, BtfKind } from './reader.js';

/** Where the kernel exposes its own BTF. */
export const VMLINUX_BTF_PATH = '/sys/kernel/btf/vmlinux';

let cached: Btf | undefined;

/** The running kernel's BTF (cached). Throws NotSupportedError where the kernel exposes none. */
export function vmlinuxBtf(): Btf {
  if (cached) return cached;
  let bytes: Uint8Array;
  try {
    bytes = readFileSync(VMLINUX_BTF_PATH);
  } catch (e) {
    throw new NotSupportedError('kernel BTF', `cannot read ${VMLINUX_BTF_PATH} (${(e as Error).message}); the kernel needs CONFIG_DEBUG_INFO_BTF`);
  }
  cached = new Btf(bytes, { source: VMLINUX_BTF_PATH });
  return cached;
}

/**
 * The BTF id that a tp_btf program names as its attach target: the typedef `btf_trace_<event>`
 * that the kernel declares for each raw tracepoint.
 */
export function rawTracepointBtfId(event: string): number {
  const id = vmlinuxBtf().find(`btf_trace_${event}`, BtfKind.TYPEDEF);
  if (id === undefined) {
    throw new NotSupportedError(`tp_btf ${event}`, `the kernel's BTF has no typedef btf_trace_${event}`);
  }
  return id;
}

/** The BTF id of a kernel function (a kfunc, or an fentry/fexit target). */
export function kernelFunctionBtfId(name: string): number {
  const id = vmlinuxBtf().find(name, BtfKind.FUNC);
  if (id === undefined) throw new NotSupportedError(`kernel function ${name}`, 'not in the kernel\'s BTF');
  return id;
}

/**
 * The byte offset of a member of a kernel struct in the running kernel (what a CO-RE field
 * relocation computes): `kernelMemberOffset('task_struct', 'real_parent')`. See
 * {@link Btf.memberOffset} for paths (`se.vruntime`) and errors.
 */
export function kernelMemberOffset(structName: string, path: string): number {
  return vmlinuxBtf().memberOffset(structName, path);
}
