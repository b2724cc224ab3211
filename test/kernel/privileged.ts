/**
 * Shared gate for kernel tests: they run where bpf() works (Linux, ffi-rs, root or CAP_BPF) and are
 * skipped elsewhere with the reason printed once, so a skipped run says why.
 *
 * ```ts
 * const kernel = kernelTestContext();
 * describe.skipIf(!kernel.ok)('maps on the kernel', () => { ... });
 * ```
 * @module
 */
import { readFileSync } from 'node:fs';
import { nativeAvailable } from '../../src/loader/ffi.js';
import { bpfTry, BpfCmd } from '../../src/loader/syscall.js';
import { closeRaw } from '../../src/loader/ffi.js';

/** Whether kernel tests can run here, and why not when they cannot. */
export interface KernelTestContext {
  /** True when bpf() can be called with the privileges the tests need. */
  readonly ok: boolean;
  /** Why the kernel tests are skipped; empty when `ok`. */
  readonly reason: string;
  /** The running kernel's release (`uname -r`), when known. */
  readonly release: string;
}

let cached: KernelTestContext | undefined;
const printed = new Set<string>();

function probe(): KernelTestContext {
  let release = '';
  try {
    release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    // not Linux
  }
  if (process.platform !== 'linux') return { ok: false, reason: `not Linux (${process.platform})`, release };
  if (!nativeAvailable()) return { ok: false, reason: 'ffi-rs is not available on this platform', release };
  // The cheapest privileged probe: create a 1-entry array map. EPERM means unprivileged.
  const attr = new Uint8Array(72);
  const dv = new DataView(attr.buffer);
  dv.setUint32(0, 2, true);
  dv.setUint32(4, 4, true);
  dv.setUint32(8, 4, true);
  dv.setUint32(12, 1, true);
  const rc = bpfTry(BpfCmd.BPF_MAP_CREATE, attr);
  if (rc < 0) {
    const why = rc === -1 || rc === -13 ? 'not privileged (needs root or CAP_BPF)' : `bpf() failed with errno ${-rc}`;
    return { ok: false, reason: why, release };
  }
  closeRaw(rc);
  return { ok: true, reason: '', release };
}

/**
 * Probes once whether kernel tests can run, and prints the reason (once per `what`) when they cannot.
 * @param what - a label for the printed skip message, e.g. the test file's subject.
 */
export function kernelTestContext(what = 'kernel tests'): KernelTestContext {
  cached ??= probe();
  if (!cached.ok && !printed.has(what)) {
    printed.add(what);
    console.warn(`[skip] ${what}: ${cached.reason}`);
  }
  return cached;
}
