/**
 * BPF LSM programs (type `lsm`, BPF_LSM_MAC) on a security hook, run from a BPF trampoline. Load
 * them with `lsmLoadOptions(hook)` (which throws NotSupportedError where the kernel refuses LSM
 * programs) and attach with {@link attachLsm}. The kernel also needs `bpf` in its active LSM list.
 * @module
 */
import { readFileSync } from 'node:fs';
import type { HasFd } from '../fd.js';
import type { Link } from '../link.js';
import { attachTrampoline } from './fentry.js';
import type { TrampolineAttachOptions } from './fentry.js';

export { lsmLoadOptions } from './fentry.js';

/** Whether `bpf` is among the active LSMs (/sys/kernel/security/lsm), when that can be read. */
export function bpfLsmActive(): boolean | undefined {
  try {
    return readFileSync('/sys/kernel/security/lsm', 'utf8').split(',').map((s) => s.trim()).includes('bpf');
  } catch {
    return undefined;
  }
}

/** Attaches a loaded LSM program to the hook it was loaded for. */
export function attachLsm(prog: HasFd, opts: TrampolineAttachOptions = {}): Link {
  return attachTrampoline(prog, 'lsm', opts);
}
