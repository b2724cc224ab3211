import { describe, it, expect } from 'vitest';
import { kernelTestContext } from '../kernel/privileged.js';
import { leftovers } from './net-leftovers.js';
import { run, udpPortFilter } from '../../examples/sockfilter.js';
import { loadProgram } from '../../src/index.js';

const kernel = kernelTestContext('examples/sockfilter');

/**
 * An Ethernet/IPv4/UDP frame to `dstPort` as the filter sees it on a packet socket (data at the
 * Ethernet header). A socket filter's test run pulls the first 14 bytes as the link header, so
 * the frame goes in behind 14 bytes of its own.
 */
function udpFrame(dstPort: number, protocol = 17): Uint8Array {
  const f = new Uint8Array(14 + 60);
  f.set([0x08, 0x00], 12);
  f.set([0x08, 0x00], 14 + 12);
  f.set([0x45, 0, 0, 46, 0, 0, 0, 0, 64, protocol, 0, 0, 127, 0, 0, 1, 127, 0, 0, 1], 14 + 14);
  f.set([0x30, 0x39, dstPort >> 8, dstPort & 0xff, 0, 26, 0, 0], 14 + 34);
  return f;
}

describe.skipIf(!kernel.ok)('examples/sockfilter', () => {
  it('keeps exactly the UDP datagrams to the port, sees the rest go by, removes everything', async () => {
    const before = leftovers();
    const lines: string[] = [];
    const report = await run({ port: 9000, print: (l) => lines.push(l) });
    expect(report.modelAccepted).toBe(true);
    expect(report.processed.kernel).toBeGreaterThan(0);
    expect(report.serverGot).toEqual(['keep-1', 'keep-2', 'keep-3']);
    expect(report.kept.map((k) => [k.protocol, k.dstPort, k.payload, k.length])).toEqual([
      ['udp', 9000, 'keep-1', 48], ['udp', 9000, 'keep-2', 48], ['udp', 9000, 'keep-3', 48],
    ]);
    // On lo every frame passes twice (out and in): 3+2 datagrams, 2 ICMP port unreachable, SYN + RST.
    expect(report.seen).toEqual({ 'udp 9000': 6, 'udp 9001': 4, icmp: 4, tcp: 4 });
    expect(lines.at(-1)).toMatch(/keep-3/);
    expect(leftovers()).toEqual(before);
  });

  it('the filter itself: keeps a whole frame to the port, drops other ports, TCP and fragments', () => {
    using prog = loadProgram({ type: 'socket_filter', instructions: udpPortFilter(5353) });
    expect(prog.testRun({ data: udpFrame(5353) }).retval).toBe(60);
    expect(prog.testRun({ data: udpFrame(5354) }).retval).toBe(0);
    expect(prog.testRun({ data: udpFrame(5353, 6) }).retval).toBe(0);
    const fragment = udpFrame(5353);
    fragment[14 + 14 + 7] = 8; // fragment offset 8 (×8 bytes)
    expect(prog.testRun({ data: fragment }).retval).toBe(0);
  });
});
