/**
 * The smallest load of a program kind (`r0 = 0; exit`), to tell "this kernel refuses the kind"
 * from "the user's program is wrong". Some kernels refuse whole kinds of BTF-attached programs
 * (fentry, LSM, some iterators) with a bare EPERM while root loads everything else: the attach
 * modules use this to throw NotSupportedError saying so instead.
 * @module
 */
import { ProgramType } from '../../asm/prog-types.js';
import { putU32, putU64, viewOf } from '../attr.js';
import { closeRaw, nativeAlloc } from '../ffi.js';
import { BpfCmd, bpfTry } from '../syscall.js';

const EXIT_0 = Uint8Array.of(0xb7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0);

/** Loads `r0 = 0; exit` (GPL, log level 2) as `type`; returns the errno (0 on success) and the log. */
export function probeLoad(type: number, expectedAttachType: number, attachBtfId: number): { errno: number; log: string } {
  const insns = nativeAlloc(EXIT_0.length);
  const license = nativeAlloc(4);
  const log = nativeAlloc(4096);
  try {
    insns.bytes.set(EXIT_0);
    license.bytes.write('GPL', 0, 'latin1');
    const attr = new Uint8Array(128);
    const dv = viewOf(attr);
    putU32(dv, 0, type);
    putU32(dv, 4, 2);
    putU64(dv, 8, insns.addr);
    putU64(dv, 16, license.addr);
    putU32(dv, 24, 1);
    putU32(dv, 28, 4096);
    putU64(dv, 32, log.addr);
    putU32(dv, 68, expectedAttachType);
    putU32(dv, 108, attachBtfId);
    const rc = bpfTry(BpfCmd.BPF_PROG_LOAD, attr);
    if (rc >= 0) {
      closeRaw(rc);
      return { errno: 0, log: '' };
    }
    return { errno: -rc, log: log.bytes.toString('utf8').replace(/\0[\s\S]*$/, '').trim() };
  } finally {
    log.free();
    license.free();
    insns.free();
  }
}

/** Whether a plain socket filter loads: tells "refused for this kind" from "not privileged". */
export function canLoadAnything(): boolean {
  return probeLoad(ProgramType.SOCKET_FILTER, 0, 0).errno === 0;
}

/**
 * True when a verifier log says nothing about why: empty, or only the lines every log has
 * (`func#0 @0`, the `processed N insns` statistics).
 */
export function logExplainsNothing(log: string): boolean {
  return log.split('\n').every((l) => l.trim() === '' || /^func#\d+ @\d+$/.test(l.trim()) || /^processed \d+ insns/.test(l.trim()));
}
