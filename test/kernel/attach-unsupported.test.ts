import { existsSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { kernelTestContext } from './privileged.js';
import { ArrayMap, LoadFailure, counterProgram, loadRaw, ret } from './attach-helpers.js';
import { attachKprobe, attachKretprobe, kprobeUnsupportedReason } from '../../src/loader/attach/kprobe.js';
import { attachFentry, tracingLoadOptions } from '../../src/loader/attach/fentry.js';
import { attachLsm, lsmLoadOptions } from '../../src/loader/attach/lsm.js';
import { kernelFunctionBtfId } from '../../src/btf/vmlinux.js';
import { isNotSupportedError } from '../../src/errors.js';
import type { NotSupportedError } from '../../src/errors.js';

const kernel = kernelTestContext('attach: kprobe, fentry, lsm');
const KPROBE = 2;

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (e) {
    return e;
  }
  return undefined;
}

/** What the kernel answers to the smallest program of this kind: errno (0 = loaded) and log. */
function rawAnswer(type: number, expectedAttachType: number, fn: string): { errno: number; log: string } {
  try {
    loadRaw(type, ret(0), { expectedAttachType, attachBtfId: kernelFunctionBtfId(fn) }).close();
    return { errno: 0, log: '' };
  } catch (e) {
    if (e instanceof LoadFailure) return { errno: e.errno, log: e.log };
    throw e;
  }
}

describe.skipIf(!kernel.ok)('attach kinds this kernel may refuse', () => {
  it('kprobe: NotSupportedError exactly when there is no kprobe PMU', () => {
    using map = new ArrayMap();
    using prog = counterProgram(KPROBE, map, 0);
    const hasPmu = existsSync('/sys/bus/event_source/devices/kprobe/type');
    const err = thrown(() => attachKprobe(prog, 'do_sys_openat2').close());
    const errRet = thrown(() => attachKretprobe(prog, 'do_sys_openat2').close());
    if (hasPmu) {
      expect(err).toBeUndefined();
      expect(errRet).toBeUndefined();
      expect(kprobeUnsupportedReason()).toBeUndefined();
    } else {
      for (const e of [err, errRet]) {
        expect(isNotSupportedError(e)).toBe(true);
        expect((e as NotSupportedError).reason).toMatch(/no kprobe PMU \(\/sys\/bus\/event_source\/devices\/kprobe is absent\)/);
      }
      expect((err as NotSupportedError).feature).toBe('kprobe attach (do_sys_openat2)');
      expect((errRet as NotSupportedError).feature).toBe('kretprobe attach (do_sys_openat2)');
      const tracefsHasKprobes = existsSync('/sys/kernel/tracing/kprobe_events');
      if (!tracefsHasKprobes) expect((err as NotSupportedError).reason).toMatch(/kprobe_events is absent too/);
    }
  });

  for (const [kind, type, attach, fn] of [['fentry', 26, 24, 'do_unlinkat'], ['fexit', 26, 25, 'do_unlinkat']] as const) {
    it(`${kind}: NotSupportedError exactly when the kernel answers EPERM with an empty log`, () => {
      const answer = rawAnswer(type, attach, fn);
      const err = thrown(() => tracingLoadOptions(kind, fn));
      if (answer.errno === 1 && answer.log === '') {
        expect(isNotSupportedError(err)).toBe(true);
        expect((err as NotSupportedError).feature).toBe(`${kind} ${fn}`);
        expect((err as NotSupportedError).reason).toMatch(/fails with EPERM and an empty verifier log/);
      } else {
        expect(err).toBeUndefined();
        if (kind === 'fentry' && answer.errno === 0) {
          const o = tracingLoadOptions('fentry', fn);
          using map = new ArrayMap();
          using prog = counterProgram(o.type, map, 0, o);
          attachFentry(prog, { target: fn }).close();
        }
      }
    });
  }

  it('lsm: NotSupportedError exactly when the kernel answers EPERM with an empty log', () => {
    const answer = rawAnswer(29, 27, 'bpf_lsm_file_open');
    const err = thrown(() => lsmLoadOptions('file_open'));
    if (answer.errno === 1 && answer.log === '') {
      expect(isNotSupportedError(err)).toBe(true);
      expect((err as NotSupportedError).feature).toBe('lsm file_open');
      expect((err as NotSupportedError).reason).toMatch(/lsm program fails with EPERM and an empty verifier log/);
    } else {
      expect(err).toBeUndefined();
      if (answer.errno === 0) {
        const o = lsmLoadOptions('file_open');
        using map = new ArrayMap();
        using prog = counterProgram(o.type, map, 0, o);
        attachLsm(prog, { target: 'file_open' }).close();
      }
    }
  });
});
