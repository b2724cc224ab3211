import { describe, it, expect } from 'vitest';
import { kernelAccepted, kernelRejected, kernelVerdict, modelVerdict, verifierMapSpec } from '../../src/loader/model-check.js';
import { loadProgram } from '../../src/loader/program.js';
import { u32, u64, struct, bytes } from '../../src/maps/codec.js';
import { ModelDisagreementError, VerifierError, isModelDisagreementError, isModelRejectionError, isVerifierError, isEbpfError } from '../../src/errors.js';
import type { Instruction } from '../../src/asm/instruction.js';
import type { VerifyResult } from '../../src/verifier/types.js';

// The pure parts of loadProgram's `verify` option: no kernel, no privileges.
const src = { file: '/x/prog.ts', line: 12, column: 5 };
const rejected: VerifyResult = { ok: false, processed: 3, error: { insn: 1, message: 'R0 !read_ok', source: src }, log: ['R0 !read_ok'] };
const accepted: VerifyResult = { ok: true, processed: 2, log: ['processed 2 insns'] };
const kernelError = (msg: string, insn: number) =>
  new VerifierError(msg, ['0: (95) exit', msg, 'processed 9 insns (limit 1000000) max_states_per_insn 0'], 'EACCES', { insn, source: src });

describe('the model\'s view of maps', () => {
  it('a spec resolves as createMap would: codec sizes, default flags, inner map', () => {
    expect(verifierMapSpec({ type: 'hash', key: u32, value: struct({ a: u64, b: u32 }), maxEntries: 8 }))
      .toEqual({ type: 1, keySize: 4, valueSize: 16, maxEntries: 8, flags: 0 });
    expect(verifierMapSpec({ type: 'lpm_trie', keySize: 8, value: bytes(3), maxEntries: 4 }))
      .toEqual({ type: 11, keySize: 8, valueSize: 3, maxEntries: 4, flags: 1 });
    expect(verifierMapSpec({ type: 'array_of_maps', maxEntries: 2, inner: { type: 'array', value: u64, maxEntries: 1 } }))
      .toEqual({ type: 12, keySize: 4, valueSize: 4, maxEntries: 2, flags: 0,
        inner: { type: 2, keySize: 4, valueSize: 8, maxEntries: 1, flags: 0 } });
  });

  it('an open map object gives the spec it carries', () => {
    const obj = { fd: 99, close: () => undefined, spec: { type: 2, typeName: 'array', name: '', keySize: 4, valueSize: 48,
      maxEntries: 3, flags: 0x80, inner: undefined, mapExtra: 0n, numaNode: 0, ifindex: 0, btfFd: 0, btfKeyTypeId: 0,
      btfValueTypeId: 0, btfVmlinuxValueTypeId: 0 } };
    expect(verifierMapSpec(obj)).toEqual({ type: 2, keySize: 4, valueSize: 48, maxEntries: 3, flags: 0x80 });
  });
});

describe('verdicts and the errors that report them', () => {
  it('both reject: the kernel\'s error, with the model\'s verdict; the message says whether the line is the same', () => {
    const same = kernelRejected(kernelError('R0 !read_ok', 1), rejected) as VerifierError;
    expect(isVerifierError(same)).toBe(true);
    expect(same.model).toEqual({ accepted: false, processed: 3, message: 'R0 !read_ok', insn: 1, source: src });
    expect(same.message).toBe('program rejected by the kernel verifier (EACCES) insn 1 at /x/prog.ts:12:5: R0 !read_ok; the verifier model rejects it too, with the same line');
    const other = kernelRejected(kernelError('R1 invalid mem access \'scalar\'', 4), rejected) as VerifierError;
    expect(other.message).toBe('program rejected by the kernel verifier (EACCES) insn 4 at /x/prog.ts:12:5: R1 invalid mem access \'scalar\'; ' +
      'the verifier model rejects it too at insn 1 (at /x/prog.ts:12:5): R0 !read_ok');
    expect(other.log).toHaveLength(3);
    const unknown = kernelRejected(kernelError('R0 !read_ok', 1), { ok: false, processed: 0, error: { insn: 0, message: 'not modelled: kfunc calls' }, log: [] });
    expect(unknown.message).toBe('program rejected by the kernel verifier (EACCES) insn 1 at /x/prog.ts:12:5: R0 !read_ok; ' +
      'the verifier model does not cover it at insn 0: not modelled: kfunc calls');
  });

  it('model accepts, kernel rejects: a ModelDisagreementError caused by the kernel\'s error', () => {
    const k = kernelError('R0 !read_ok', 1);
    const e = kernelRejected(k, accepted) as ModelDisagreementError;
    expect(isModelDisagreementError(e)).toBe(true);
    expect(isEbpfError(e)).toBe(true);
    expect(isVerifierError(e)).toBe(false);
    expect(e.cause).toBe(k);
    expect(e.model).toEqual({ accepted: true, processed: 2 });
    expect(e.kernel).toEqual({ accepted: false, message: 'R0 !read_ok', insn: 1, source: src, processed: 9 });
    expect(e.message).toBe('the verifier model and the kernel disagree: the model accepts the program, the kernel rejects it at insn 1 (at /x/prog.ts:12:5): R0 !read_ok');
  });

  it('model rejects, kernel accepts', () => {
    const e = kernelAccepted(rejected, 5);
    expect(e.kernel).toEqual({ accepted: true, processed: 5 });
    expect(e.message).toBe('the verifier model and the kernel disagree: the kernel accepts the program, the model rejects it at insn 1 (at /x/prog.ts:12:5): R0 !read_ok');
    // A rejection not at an instruction (insn -1) names no place.
    const noInsn = kernelAccepted({ ok: false, processed: 0, error: { insn: -1, message: 'not modelled: program type lsm' }, log: [] });
    expect(noInsn.message).toBe('the verifier model and the kernel disagree: the kernel accepts the program, the model rejects it: not modelled: program type lsm');
    expect(modelVerdict(rejected).insn).toBe(1);
    expect(kernelVerdict(kernelError('x', 2)).processed).toBe(9);
  });
});

describe('gate mode refuses before any syscall (runs anywhere)', () => {
  const exit: Instruction = { code: 0x95, dst: 0, src: 0, off: 0, imm: 0 };
  it('an unknown verify mode is bad input', () => {
    expect(() => loadProgram({ type: 'socket_filter', instructions: [exit], verify: 'later' as 'gate' }))
      .toThrow('verify must be true, false, \'compare\' or \'gate\', got "later"');
  });

  it('a program the model rejects is a ModelRejectionError in the kernel\'s words', () => {
    let err: unknown;
    try { loadProgram({ type: 'socket_filter', instructions: [exit], verify: 'gate' }); } catch (e) { err = e; }
    expect(isModelRejectionError(err)).toBe(true);
    expect(err).toMatchObject({ kernelMessage: 'R0 !read_ok', insn: 0,
      message: 'program rejected by the verifier model insn 0: R0 !read_ok' });
  });
});
