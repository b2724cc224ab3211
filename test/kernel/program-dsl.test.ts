import { describe, it, expect } from 'vitest';
import { assemble, label } from '../../src/asm/dsl/assemble.js';
import { R0, R1, R2, R10 } from '../../src/asm/dsl/registers.js';
import { mov64, add64 } from '../../src/asm/dsl/alu.js';
import { ldxdw, stxdw, st } from '../../src/asm/dsl/memory.js';
import { loadMap } from '../../src/asm/dsl/imm64.js';
import { call, exit } from '../../src/asm/dsl/call.js';
import { jeq64 } from '../../src/asm/dsl/jump.js';
import { loadProgram } from '../../src/loader/program.js';
import { u32, u64 } from '../../src/maps/codec.js';
import { createMap } from '../../src/maps/create.js';
import type { VerifierError } from '../../src/errors.js';
import { canUseBpf, skipReason } from './program-helpers.js';

const thisLine = (): number => Number(/:(\d+):\d+\)?$/.exec(new Error().stack!.split('\n')[2]!)![1]);

describe.skipIf(!canUseBpf)(`DSL programs on the kernel${skipReason}`, () => {
  const counter = { name: 'counter', type: 'array', key: u32, value: u64, maxEntries: 1 } as const;

  // counter[0] += 3, returns the new value: map lookup through the DSL's map reference.
  const bump = () => assemble([
    st('u32', R10, -4, 0),
    mov64(R2, R10), add64(R2, -4),
    loadMap(R1, counter),
    call('map_lookup_elem'),
    jeq64(R0, 0, 'out'),
    ldxdw(R1, R0, 0), add64(R1, 3), stxdw(R0, 0, R1),
    mov64(R0, R1),
    exit(),
    label('out'), mov64(R0, 0), exit(),
  ]);

  it('loads what assemble() returns; the spec it references becomes the program\'s map', () => {
    using p = loadProgram({ type: 'socket_filter', instructions: bump() });
    expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(3);
    expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(6);
    expect(Object.keys(p.maps)).toEqual(['counter']);
  });

  it('uses an open map given by the caller instead of creating one', () => {
    using m = createMap(counter);
    m.update(0, 100n);
    using p = loadProgram({ type: 'socket_filter', instructions: bump(), maps: { counter: m } });
    expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(103);
    expect(m.lookup(0)).toBe(103n);
    expect(p.info().mapIds).toEqual([m.info().id]);
  });

  it('a rejection points at the TypeScript line that built the failing instruction', () => {
    let line = 0;
    const prog = assemble(() => [
      mov64(R0, 0),
      (line = thisLine(), ldxdw(R2, R1, 4096)), // out of the context: the kernel refuses this line
      exit(),
    ]);
    let err: VerifierError | undefined;
    try { loadProgram({ type: 'socket_filter', instructions: prog }); } catch (e) { err = e as VerifierError; }
    expect(err?.name).toBe('VerifierError');
    expect(err!.insn).toBe(1);
    expect(err!.kernelMessage).toBe('invalid bpf_context access off=4096 size=8');
    expect(err!.source?.file).toMatch(/program-dsl\.test\.ts$/);
    expect(err!.source?.line).toBe(line);
    expect(err!.message).toContain(`program-dsl.test.ts:${line}:`);
  });
});
