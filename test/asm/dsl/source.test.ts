import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { asm, R1, R10, isSourceTracking, setSourceTracking, withSourceTracking } from '../../../src/asm/dsl/index.js';
import type { WritableRegister } from '../../../src/asm/dsl/index.js';
import { badInput } from './util.js';

const thisFile = fileURLToPath(import.meta.url);
const lines = readFileSync(thisFile, 'utf8').split('\n');
/** The 1-based line and column of `needle` on the line carrying `marker`. */
function where(marker: string, needle: string): { line: number; column: number } {
  const i = lines.findIndex((l) => l.includes(`// ${marker}`));
  return { line: i + 1, column: lines[i]!.indexOf(needle) + 1 };
}

afterEach(() => setSourceTracking(true));

describe('source locations', () => {
  it('point at the line of this test that built the instruction', () => {
    const insn = asm.add64(R1, 5); // @add
    expect(insn.source).toEqual({ file: thisFile, ...where('@add', 'add64') });
  });

  it('macro instructions carry the line of the macro call, not ts-ebpf lines', () => {
    const seq = asm.mapLookup({ map: 'm', key: 1 }); // @macro
    const at = { file: thisFile, ...where('@macro', 'mapLookup') };
    for (const insn of seq) expect(insn.source).toEqual(at);
    const pkt = asm.packetBounds({ ctx: 'xdp', length: 4, orElse: 'x' }); const r = asm.ret(1); // @two
    for (const insn of pkt) expect(insn.source).toEqual({ file: thisFile, ...where('@two', 'packetBounds') });
    for (const insn of r) expect(insn.source).toEqual({ file: thisFile, ...where('@two', 'ret(') });
    // After a macro, builders capture their own line again.
    expect(asm.exit().source?.line).toBe(where('@after', 'exit').line); // @after
  });

  it('label markers and assembled instructions keep them', () => {
    const p = asm.program([
      asm.ja('x'), // @ja
      asm.label('x'), // @label
      asm.exit(),
    ]);
    expect(p.instructions[0]!.source?.line).toBe(where('@ja', 'ja').line);
    expect(asm.label('y').source?.file).toBe(thisFile);
  });

  it('errors name the location', () => {
    const e = badInput(() => asm.mov64(R10 as unknown as WritableRegister, 0)); // @bad
    const at = where('@bad', 'mov64');
    expect(e.source).toEqual({ file: thisFile, ...at });
    expect(e.message).toBe(`at ${thisFile}:${at.line}:${at.column}: mov64: dst cannot be r10, the read-only frame pointer`);
  });

  it('can be turned off globally and per block', () => {
    setSourceTracking(false);
    expect(isSourceTracking()).toBe(false);
    expect(asm.exit().source).toBeUndefined();
    expect(withSourceTracking(true, () => asm.exit()).source?.file).toBe(thisFile);
    expect(isSourceTracking()).toBe(false);
    setSourceTracking(true);
    expect(withSourceTracking(false, () => asm.exit()).source).toBeUndefined();
    expect(isSourceTracking()).toBe(true);
    expect(() => withSourceTracking(false, () => { throw new Error('boom'); })).toThrow('boom');
    expect(isSourceTracking()).toBe(true);
  });

  it('errors without tracking carry no location', () => {
    setSourceTracking(false);
    const e = badInput(() => asm.lsh64(R1, 99));
    expect(e.source).toBeUndefined();
    expect(e.message).toBe('lsh64: shift by 99 is out of range 0..63');
  });

  it('leaves Error.prepareStackTrace and Error.stackTraceLimit as they were', () => {
    const prepare = Error.prepareStackTrace;
    const limit = Error.stackTraceLimit;
    asm.exit();
    expect(Error.prepareStackTrace).toBe(prepare);
    expect(Error.stackTraceLimit).toBe(limit);
  });
});
