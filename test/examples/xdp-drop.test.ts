import { describe, it, expect } from 'vitest';
import { isBadInputError } from '../../src/index.js';
import { kernelTestContext } from '../kernel/privileged.js';
import { leftovers } from './net-leftovers.js';
import { run } from '../../examples/xdp-drop.js';

const kernel = kernelTestContext('examples/xdp-drop');

describe.skipIf(!kernel.ok)('examples/xdp-drop', () => {
  it('drops every frame of a burst through a veth pair, measures ns/packet and pps, removes everything', async () => {
    const before = leftovers();
    const lines: string[] = [];
    const report = await run({ rounds: 1, repeat: 100_000, burst: 50_000, print: (l) => lines.push(l) });
    expect(report.modelAccepted).toBe(true);
    expect(report.processed.drop!.kernel).toBeGreaterThan(0);
    expect(report.processed.generator!.kernel).toBeGreaterThan(0);
    expect(report.retval).toBe(1); // XDP_DROP
    expect(report.rounds).toHaveLength(1);
    const [r] = report.rounds;
    expect(r!.sent).toBe(50_000);
    expect(r!.dropped).toBe(50_000); // every generated frame reached the drop program, once
    expect(r!.nsPerPacket).toBeGreaterThan(0);
    expect(r!.nsPerPacket).toBeLessThan(10_000);
    expect(r!.pps).toBeGreaterThan(0);
    expect(r!.generatorNsPerFrame).toBeGreaterThan(0);
    expect(lines.some((l) => /ns\/packet .* Mpps/.test(l))).toBe(true);
    expect(leftovers()).toEqual(before);
  });

  it('removes the namespace, veth, link, programs and maps when it fails half-way', async () => {
    const before = leftovers();
    // A negative repeat fails the first test run, after the network is built and the program attached.
    const err = await run({ rounds: 1, repeat: -1, print: () => {} }).catch((e: unknown) => e);
    expect(isBadInputError(err)).toBe(true);
    expect(leftovers()).toEqual(before);
  });
});
