import { describe, expect, it } from 'vitest';
import { asm, R0, R1, R2, R3, R4, R6, R7 } from '../../../src/asm/dsl/index.js';
import type { Instruction } from '../../../src/asm/instruction.js';
import { u32, u64 } from '../../../src/maps/codec.js';
import type { MapSpec } from '../../../src/maps/spec.js';
import { I, badInput, bare } from './util.js';

const bareAll = (insns: Instruction[]) => insns.map(bare);
const mapRef = (dst: number, name: string) => ({ ...I(0x18, dst, 1, 0, 0), immHi: 0, map: name });

describe('macros', () => {
  it('mapLookup with an immediate key: 4-byte key at r10-4 by default', () => {
    expect(bareAll(asm.mapLookup({ map: 'counts', key: 7 }))).toEqual([
      I(0x62, 10, 0, -4, 7),
      I(0xbf, 2, 10, 0, 0),
      I(0x07, 2, 0, 0, -4),
      mapRef(1, 'counts'),
      I(0x85, 0, 0, 0, 1),
    ]);
  });

  it('mapLookup with a register key takes the key size from the map object', () => {
    const spec = { name: 'pids', keySize: 8, valueSize: 8 };
    expect(bareAll(asm.mapLookup({ map: spec, key: R6, stackOffset: -16 }))).toEqual([
      I(0x7b, 10, 6, -16, 0),
      I(0xbf, 2, 10, 0, 0),
      I(0x07, 2, 0, 0, -16),
      mapRef(1, 'pids'),
      I(0x85, 0, 0, 0, 1),
    ]);
    expect(bare(asm.mapLookup({ map: spec, key: R6, keySize: 2 })[0]!)).toEqual(I(0x6b, 10, 6, -2, 0));
    const { maps } = asm.program([asm.mapLookup({ map: spec, key: 1 }), asm.exit()]);
    expect(maps.pids).toBe(spec);
  });

  it('a MapSpec is accepted as is; its key codec gives the key size', () => {
    const spec: MapSpec = { type: 'hash', name: 'by_pid', key: u64, value: u32, maxEntries: 64 };
    const seq = asm.mapLookup({ map: spec, key: R6 });
    expect(bare(seq[0]!)).toEqual(I(0x7b, 10, 6, -8, 0));
    expect(bare(seq[3]!)).toEqual(mapRef(1, 'by_pid'));
    expect(asm.program([seq, asm.exit()]).maps).toEqual({ by_pid: spec });
  });

  it('mapLookup rejects bad key sizes and stack offsets', () => {
    expect(badInput(() => asm.mapLookup({ map: 'm', key: 1, keySize: 16 })).problem).toMatch(/mapLookup: keySize must be 1, 2, 4 or 8/);
    expect(badInput(() => asm.mapLookup({ map: { name: 'm', keySize: 3 }, key: 1 })).problem).toMatch(/got 3/);
    expect(badInput(() => asm.mapLookup({ map: 'm', key: 1, stackOffset: 4 })).problem)
      .toBe('mapLookup: stackOffset must be a negative multiple of 4 in -512..-4, got 4');
    expect(badInput(() => asm.mapLookup({ map: 'm', key: 1, stackOffset: -6 })).problem).toMatch(/got -6/);
    expect(badInput(() => asm.mapLookup({ map: 'm', key: 1, stackOffset: -516 })).problem).toMatch(/got -516/);
    expect(badInput(() => asm.mapLookup({ map: 'm', key: 1n as unknown as number })).problem).toMatch(/^st: immediate must be a number/);
  });

  it('ifNull and ifNotNull', () => {
    expect(bare(asm.ifNull(R0, 'miss'))).toEqual({ ...I(0x15, 0, 0, 0, 0), target: 'miss' });
    expect(bare(asm.ifNotNull(R0, 'hit'))).toEqual({ ...I(0x55, 0, 0, 0, 0), target: 'hit' });
  });

  it('packetBounds for xdp and skb contexts', () => {
    expect(bareAll(asm.packetBounds({ ctx: 'xdp', length: 14, orElse: 'pass' }))).toEqual([
      I(0x61, 2, 1, 0, 0),
      I(0x61, 3, 1, 4, 0),
      I(0xbf, 4, 2, 0, 0),
      I(0x07, 4, 0, 0, 14),
      { ...I(0x2d, 4, 3, 0, 0), target: 'pass' },
    ]);
    expect(bareAll(asm.packetBounds({ ctx: 'skb', length: 34, orElse: 3, ctxReg: R6, data: R7, dataEnd: R2, tmp: R3 }))).toEqual([
      I(0x61, 7, 6, 76, 0),
      I(0x61, 2, 6, 80, 0),
      I(0xbf, 3, 7, 0, 0),
      I(0x07, 3, 0, 0, 34),
      I(0x2d, 3, 2, 3, 0),
    ]);
  });

  it('packetBounds loads data_end first when data reuses the context register', () => {
    const seq = bareAll(asm.packetBounds({ ctx: 'xdp', length: 1, orElse: 'x', data: R1 }));
    expect(seq.slice(0, 2)).toEqual([I(0x61, 3, 1, 4, 0), I(0x61, 1, 1, 0, 0)]);
  });

  it('packetBounds rejects clashing registers and bad options', () => {
    expect(badInput(() => asm.packetBounds({ ctx: 'xdp', length: 14, orElse: 'x', tmp: R2 })).problem)
      .toBe('packetBounds: tmp and data must be different registers, both are r2');
    expect(badInput(() => asm.packetBounds({ ctx: 'tc' as 'skb', length: 14, orElse: 'x' })).problem)
      .toBe("packetBounds: ctx must be 'xdp' or 'skb', got \"tc\"");
    expect(badInput(() => asm.packetBounds({ ctx: 'xdp', length: 0, orElse: 'x' })).problem).toMatch(/length must be an integer 1..65535, got 0/);
    expect(badInput(() => asm.packetBounds({ ctx: 'xdp', length: 8, orElse: 'x', data: R4, tmp: R3 })).problem)
      .toMatch(/tmp and dataEnd must be different registers/);
  });

  it('ret', () => {
    expect(bareAll(asm.ret(2))).toEqual([I(0xb7, 0, 0, 0, 2), I(0x95, 0, 0, 0, 0)]);
    expect(badInput(() => asm.ret(2 ** 40)).problem).toMatch(/mov64: immediate must be a signed 32-bit/);
  });

  it('a whole lookup-and-count program assembles', () => {
    const { instructions } = asm.program([
      asm.mapLookup({ map: 'counts', key: 0 }),
      asm.ifNull(R0, 'out'),
      asm.mov64(R1, 1),
      asm.atomicAdd64(R0, 0, R1),
      asm.label('out'),
      asm.ret(0),
    ]);
    // st, mov, add, lddw(2), call = slots 0-5; jeq at 6; mov 7; xadd 8; out at 9
    expect(instructions[5]).toMatchObject({ code: 0x15, off: 2, target: 'out' });
    expect(instructions[8]!.symbol).toBe('out');
    expect(R4.reg).toBe(4);
  });
});
