import { describe, it, expect } from 'vitest';
import { assemble, label } from '../../src/asm/dsl/assemble.js';
import { R0, R1, R2, R10 } from '../../src/asm/dsl/registers.js';
import { mov64, add64 } from '../../src/asm/dsl/alu.js';
import { ldxdw, st } from '../../src/asm/dsl/memory.js';
import { loadMap } from '../../src/asm/dsl/imm64.js';
import { call, exit, kfunc } from '../../src/asm/dsl/call.js';
import { jeq64 } from '../../src/asm/dsl/jump.js';
import { encode } from '../../src/asm/encoding.js';
import { loadProgram } from '../../src/loader/program.js';
import type { MapObject } from '../../src/loader/prog-maps.js';
import { createMap } from '../../src/maps/create.js';
import { openMapById } from '../../src/maps/open.js';
import { resolveMapSpec } from '../../src/maps/spec.js';
import { u32, u64 } from '../../src/maps/codec.js';
import { isModelDisagreementError, isModelRejectionError, isVerifierError } from '../../src/errors.js';
import type { ModelDisagreementError, VerifierError } from '../../src/errors.js';
import { canUseBpf, fdCount, skipReason } from './program-helpers.js';

const thisLine = (): number => Number(/:(\d+):\d+\)?$/.exec(new Error().stack!.split('\n')[2]!)![1]);

function thrown(f: () => unknown): Error {
  try { f(); } catch (e) { return e as Error; }
  throw new Error('no error');
}

/** Looks up key 0 of map `m` and reads 8 bytes at `off` of the value: the model and the kernel check that offset against the value size. */
function readValueAt(off: number, lineOut?: { line: number }) {
  return assemble(() => [
    st('u32', R10, -4, 0),
    mov64(R2, R10), add64(R2, -4),
    loadMap(R1, 'm'),
    call('map_lookup_elem'),
    jeq64(R0, 0, 'out'),
    (lineOut && (lineOut.line = thisLine()), ldxdw(R0, R0, off)),
    exit(),
    label('out'), mov64(R0, 0), exit(),
  ]);
}

/**
 * A map object that tells the model a different value size than the kernel's map has: the only
 * way to make the two verifiers see different programs on purpose, so each kind of disagreement
 * can be provoked reliably.
 */
function misdescribed(real: MapObject, valueSize: number): MapObject & { spec: ReturnType<typeof resolveMapSpec> } {
  return {
    fd: real.fd, close: () => undefined,
    spec: resolveMapSpec({ type: 'array', keySize: 4, valueSize, maxEntries: 1 }),
  };
}

describe.skipIf(!canUseBpf)(`loadProgram with verify: the model first, then the kernel${skipReason}`, () => {
  const spec = { type: 'array', key: u32, value: u64, maxEntries: 1 } as const;

  it('both accept: the Program keeps the model result, and the processed counts agree', () => {
    using p = loadProgram({ type: 'socket_filter', instructions: readValueAt(0), maps: { m: spec }, verify: true });
    expect(p.model?.mode).toBe('compare');
    expect(p.model?.result.ok).toBe(true);
    expect(p.model?.disagreement).toBeUndefined();
    expect(p.model?.result.processed).toBe(p.info().verifiedInsns);
    expect(p.model?.ms).toBeGreaterThan(0);
    expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(0);
    // Like the kernel's, the model's log is the statistics alone unless a logLevel asks for more.
    expect(p.model?.result.log).toEqual([expect.stringMatching(/^processed \d+ insns/)]);
    using logged = loadProgram({ type: 'socket_filter', instructions: readValueAt(0), maps: { m: spec }, verify: true, logLevel: 2 });
    // At level 2 an instruction line carries the state it leaves (`... = 0    ; R10=fp0 fp-8=0000????`).
    const starts = (prefix: string): boolean => (logged.model?.result.log ?? []).some((l) => l.startsWith(prefix));
    expect(starts('0: (62) *(u32 *)(r10 -4) = 0')).toBe(true);
    expect(starts('7: (79) r0 = *(u64 *)(r0 +0)')).toBe(true);
    expect(logged.model?.result.log).toContain('func#0 @0');
  });

  it('both reject: the kernel\'s VerifierError, carrying the model\'s verdict (same line, same insn)', () => {
    let line = 0;
    const prog = assemble(() => [mov64(R0, 0), (line = thisLine(), ldxdw(R2, R1, 4096)), exit()]);
    const e = thrown(() => loadProgram({ type: 'socket_filter', instructions: prog, verify: 'compare' })) as VerifierError;
    expect(isVerifierError(e)).toBe(true);
    expect(e.kernelMessage).toBe('invalid bpf_context access off=4096 size=8');
    expect(e.model).toMatchObject({ accepted: false, message: e.kernelMessage, insn: 1 });
    expect(e.model?.source?.line).toBe(line);
    expect(e.message).toMatch(/: invalid bpf_context access off=4096 size=8; the verifier model rejects it too, with the same line$/);
  });

  it('model accepts, kernel rejects: ModelDisagreementError with both verdicts, the insn and the TypeScript line', () => {
    using real = createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
    const at = { line: 0 };
    const prog = readValueAt(32, at);
    const before = fdCount();
    const e = thrown(() => loadProgram({ type: 'socket_filter', instructions: prog, maps: { m: misdescribed(real, 64) }, verify: true })) as ModelDisagreementError;
    expect(fdCount()).toBe(before);
    expect(isModelDisagreementError(e)).toBe(true);
    expect(e.model.accepted).toBe(true);
    expect(e.kernel).toMatchObject({ accepted: false, insn: 7, message: 'R0 min value is outside of the allowed memory range' });
    expect(e.kernel.source?.line).toBe(at.line);
    expect(e.kernel.processed).toBeGreaterThan(0);
    expect(isVerifierError(e.cause)).toBe(true);
    expect(e.kernelLog).toContain('invalid access to map value, value_size=8 off=32 size=8');
    expect(e.message).toMatch(new RegExp(
      '^the verifier model and the kernel disagree: the model accepts the program, the kernel rejects it at insn 7 ' +
      `\\(at [^)]*program-verify-first\\.test\\.ts:${at.line}:\\d+\\): R0 min value is outside of the allowed memory range$`));
  });

  it('model rejects, kernel accepts: the Program is returned with the disagreement; verifyStrict throws it and leaves nothing open', () => {
    using real = createMap({ type: 'array', keySize: 4, valueSize: 64, maxEntries: 1 });
    const at = { line: 0 };
    const prog = readValueAt(8, at);
    const maps = { m: misdescribed(real, 4) };
    using p = loadProgram({ type: 'socket_filter', instructions: prog, maps, verify: 'compare' });
    const d = p.model?.disagreement;
    expect(p.model?.result.ok).toBe(false);
    expect(d?.kernel).toEqual({ accepted: true, processed: p.info().verifiedInsns });
    expect(d?.model).toMatchObject({ accepted: false, insn: 7, message: 'R0 min value is outside of the allowed memory range' });
    expect(d?.message).toMatch(new RegExp(
      '^the verifier model and the kernel disagree: the kernel accepts the program, the model rejects it at insn 7 ' +
      `\\(at [^)]*program-verify-first\\.test\\.ts:${at.line}:\\d+\\): R0 min value is outside of the allowed memory range$`));

    const before = fdCount();
    const e = thrown(() => loadProgram({ type: 'socket_filter', instructions: prog, maps, verify: true, verifyStrict: true }));
    expect(isModelDisagreementError(e)).toBe(true);
    expect(e.message).toBe(d?.message);
    expect(fdCount()).toBe(before);
  });

  it('a feature the model does not cover (kfunc calls) is a disagreement that says "not modelled"', () => {
    const prog = assemble([kfunc('bpf_rcu_read_lock'), kfunc('bpf_rcu_read_unlock'), mov64(R0, 2), exit()]);
    using p = loadProgram({ type: 'xdp', instructions: prog, verify: true });
    expect(p.model?.disagreement?.model.message).toBe('not modelled: kfunc calls');
    expect(p.model?.disagreement?.message).toMatch(/^the verifier model and the kernel disagree: the kernel accepts the program, the model rejects it at insn 0 \(at .*\): not modelled: kfunc calls$/);
  });

  it('gate: what the model rejects is never loaded (no map created, no program), ModelRejectionError in the kernel\'s words', () => {
    const prog = assemble([kfunc('bpf_rcu_read_lock'), kfunc('bpf_rcu_read_unlock'), mov64(R0, 2), exit()]);
    const before = fdCount();
    const e = thrown(() => loadProgram({ type: 'xdp', instructions: prog, verify: 'gate' }));
    expect(isModelRejectionError(e)).toBe(true);
    expect(e).toMatchObject({ kernelMessage: 'not modelled: kfunc calls', insn: 0 });
    expect(fdCount()).toBe(before);
    // What the model accepts is loaded as usual.
    using p = loadProgram({ type: 'socket_filter', instructions: readValueAt(0), maps: { m: spec }, verify: 'gate' });
    expect(p.model).toMatchObject({ mode: 'gate', disagreement: undefined });
  });

  it('map-in-map: the inner map comes from the spec or BpfMap; opened by id (no inner in the kernel\'s info) it is "not modelled"', () => {
    const outerSpec = { type: 'array_of_maps', maxEntries: 1, inner: { type: 'array', key: u32, value: u64, maxEntries: 1 } } as const;
    const prog = assemble([
      st('u32', R10, -4, 0), mov64(R2, R10), add64(R2, -4), loadMap(R1, 'm'), call('map_lookup_elem'),
      jeq64(R0, 0, 'out'),
      mov64(R1, R0), mov64(R2, R10), add64(R2, -4), call('map_lookup_elem'),
      jeq64(R0, 0, 'out'),
      ldxdw(R0, R0, 0), exit(),
      label('out'), mov64(R0, 0), exit(),
    ]);
    using bySpec = loadProgram({ type: 'socket_filter', instructions: prog, maps: { m: outerSpec }, verify: true });
    expect(bySpec.model?.result.ok).toBe(true);
    using outer = createMap(outerSpec);
    using byMap = loadProgram({ type: 'socket_filter', instructions: prog, maps: { m: outer }, verify: true });
    expect(byMap.model?.result.ok).toBe(true);
    using opened = openMapById(outer.info().id);
    using byId = loadProgram({ type: 'socket_filter', instructions: prog, maps: { m: opened }, verify: true });
    expect(byId.model?.disagreement?.model).toMatchObject({ insn: 3,
      message: expect.stringMatching(/^not modelled: the inner map of map m is unknown/) });
  });

  it('raw bytes: the model reads each referenced map\'s shape from the kernel by its fd', () => {
    using real = createMap({ type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 });
    const bytes = (off: number) => encode(readValueAt(off).instructions.map((i) => (i.map ? { ...i, map: undefined, src: 1, imm: real.fd } : i)));
    using ok = loadProgram({ type: 'socket_filter', instructions: bytes(0), verify: true });
    expect(ok.model?.result.ok).toBe(true);
    const e = thrown(() => loadProgram({ type: 'socket_filter', instructions: bytes(8), verify: true })) as VerifierError;
    expect(isVerifierError(e)).toBe(true);
    expect(e.model).toMatchObject({ accepted: false, message: e.kernelMessage, insn: 7 });
  });
});
