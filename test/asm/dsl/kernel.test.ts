// DSL programs loaded into the running kernel and run with BPF_PROG_TEST_RUN: the kernel accepts
// every family's encoding as the DSL builds it, and the results match what the instructions mean.
// Not here: loadFunc callbacks (bpf_loop), which the kernel loads only with BTF func_info.
import { afterAll, describe, expect, it } from 'vitest';
import { asm, R0, R1, R2, R3, R4, R6, R10 } from '../../../src/asm/dsl/index.js';
import type { ProgramItem } from '../../../src/asm/dsl/index.js';
import { loadProgram } from '../../../src/loader/program.js';
import { createMap } from '../../../src/maps/create.js';
import { u32, u64 } from '../../../src/maps/codec.js';
import { kernelTestContext } from '../../kernel/privileged.js';

const kernel = kernelTestContext('DSL programs on the kernel');
const packet = new Uint8Array(64).map((_, i) => i);

/** Loads `items` as a socket filter, runs it once on `packet`, returns R0 as the kernel reports it (u32). */
function run(items: readonly ProgramItem[]): number {
  const { instructions } = asm.program(items);
  const prog = loadProgram({ type: 'socket_filter', instructions });
  try {
    return prog.testRun({ data: packet }).retval;
  } finally {
    prog.close();
  }
}
const u32of = (v: bigint): number => Number(BigInt.asUintN(32, v));

describe.skipIf(!kernel.ok)(`DSL on the kernel ${kernel.release}`, () => {
  it('ALU: signed division, sign extension, byte swaps, shifts, neg, lddw', () => {
    expect(run([asm.mov64(R0, -7), asm.sdiv64(R0, 2), asm.exit()])).toBe(u32of(-3n));
    expect(run([asm.mov64(R0, -7), asm.mov64(R1, 2), asm.smod64(R0, R1), asm.exit()])).toBe(u32of(-1n));
    expect(run([asm.mov32(R0, 0xffff_fff9), asm.sdiv32(R0, 2), asm.exit()])).toBe(u32of(-3n));
    expect(run([asm.mov64(R1, 0x80), asm.movsx64(R0, R1, 8), asm.rsh64(R0, 32), asm.exit()])).toBe(0xffff_ffff);
    expect(run([asm.mov64(R1, 0x8001), asm.movsx32(R0, R1, 16), asm.exit()])).toBe(0xffff_8001);
    expect(run([asm.mov64(R0, 0x1234), asm.bswap(R0, 16), asm.exit()])).toBe(0x3412);
    expect(run([asm.mov64(R0, 0x1122_3344), asm.toBe(R0, 32), asm.exit()])).toBe(0x4433_2211);
    expect(run([asm.lddw(R0, 0x1_0000_5678n), asm.toLe(R0, 16), asm.exit()])).toBe(0x5678);
    expect(run([asm.mov64(R0, -16), asm.arsh64(R0, 2), asm.exit()])).toBe(u32of(-4n));
    expect(run([asm.mov32(R0, 5), asm.neg32(R0), asm.exit()])).toBe(u32of(-5n));
    expect(run([asm.lddw(R0, 0x1234_5678_9abc_def0n), asm.rsh64(R0, 32), asm.exit()])).toBe(0x1234_5678);
    expect(run([asm.mov64(R0, 6), asm.mov64(R1, 7), asm.mul32(R0, R1), asm.xor64(R0, 1), asm.exit()])).toBe(43);
  });

  it('jumps: 32- and 64-bit compares, gotol, may_goto', () => {
    expect(run([
      asm.lddw(R1, 0x1_0000_0005n),
      asm.mov64(R0, 0),
      asm.jeq32(R1, 5, 'eq32'), // low half equals
      asm.ret(99),
      asm.label('eq32'),
      asm.jeq64(R1, 5, 'wrong'), // the whole value does not
      asm.gotol('end'),
      asm.label('wrong'),
      asm.ret(98),
      asm.label('end'),
      asm.ret(1),
    ])).toBe(1);
    expect(run([
      asm.mov64(R0, 0),
      asm.label('loop'),
      asm.jge64(R0, 10, 'out'),
      asm.mayGoto('out'),
      asm.add64(R0, 1),
      asm.ja('loop'),
      asm.label('out'),
      asm.exit(),
    ])).toBe(10);
  });

  it('memory and atomics on the stack, load-acquire and store-release', () => {
    expect(run([
      asm.st('u64', R10, -8, 40),
      asm.mov64(R1, 2),
      asm.atomicAdd64(R10, -8, R1),
      asm.mov64(R2, 100),
      asm.atomicFetchAdd64(R10, -8, R2), // r2 = 42, slot = 142
      asm.ldx('u64', R0, R10, -8),
      asm.add64(R0, R2), // 184
      asm.exit(),
    ])).toBe(184);
    expect(run([
      asm.st('u64', R10, -8, 7),
      asm.mov64(R0, 7),
      asm.mov64(R1, 9),
      asm.cmpxchg64(R10, -8, R1), // equal: stores 9, r0 = 7
      asm.mov64(R2, 3),
      asm.xchg64(R10, -8, R2), // r2 = 9, slot = 3
      asm.ldx('u64', R3, R10, -8),
      asm.mul64(R2, 10),
      asm.add64(R2, R3), // 93
      asm.mov64(R0, R2),
      asm.exit(),
    ])).toBe(93);
    expect(run([
      asm.mov64(R1, 0x55),
      asm.storeRelease('u32', R10, -4, R1),
      asm.loadAcquire('u32', R0, R10, -4),
      asm.stx('u8', R10, -5, R0),
      asm.ldxsx('s8', R4, R10, -5),
      asm.add64(R0, R4), // 0xaa
      asm.exit(),
    ])).toBe(0xaa);
  });

  it('legacy packet loads, helpers and BPF-to-BPF calls', () => {
    // The test run pulls the 14-byte Ethernet header: skb->data starts at packet[14].
    expect(run([asm.mov64(R6, R1), asm.ldAbs('u16', 12), asm.exit()])).toBe(0x1a1b);
    expect(run([asm.mov64(R6, R1), asm.mov64(R2, 2), asm.ldInd('u8', R2, 3), asm.exit()])).toBe(19);
    expect(run([asm.call('ktime_get_ns'), asm.jne64(R0, 0, 'ok'), asm.ret(0), asm.label('ok'), asm.ret(1)])).toBe(1);
    expect(run([
      asm.mov64(R1, 20),
      asm.callSub('double'),
      asm.add64(R0, 1),
      asm.exit(),
      asm.label('double'),
      asm.mov64(R0, R1),
      asm.lsh64(R0, 1),
      asm.exit(),
    ])).toBe(41);
  });

  const maps: { close(): void }[] = [];
  afterAll(() => { for (const m of maps) m.close(); });

  it('the XDP program of the tour: bounds check, map lookup, counting', () => {
    const drops = createMap({ type: 'array', name: 'ipv6_drops', key: u32, value: u64, maxEntries: 1 });
    maps.push(drops);
    const { instructions, mapNames } = asm.program([
      asm.packetBounds({ ctx: 'xdp', length: 14, orElse: 'pass' }),
      asm.ldx('u16', R1, R2, 12),
      asm.jne64(R1, 0xdd86, 'pass'),
      asm.mapLookup({ map: drops, key: 0 }),
      asm.ifNull(R0, 'drop'),
      asm.mov64(R1, 1),
      asm.atomicAdd64(R0, 0, R1),
      asm.label('drop'),
      asm.ret(1),
      asm.label('pass'),
      asm.ret(2),
    ]);
    expect(mapNames).toEqual(['ipv6_drops']);
    const prog = loadProgram({ type: 'xdp', instructions, maps: { ipv6_drops: drops } });
    try {
      const frame = new Uint8Array(60);
      frame.set([0x86, 0xdd], 12);
      expect(prog.testRun({ data: frame }).retval).toBe(1);
      expect(prog.testRun({ data: frame }).retval).toBe(1);
      frame.set([0x08, 0x00], 12);
      expect(prog.testRun({ data: frame }).retval).toBe(2);
      expect(drops.lookup(0)).toBe(2n);
    } finally {
      prog.close();
    }
  });
});
