import { readdirSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { kernelTestContext } from '../kernel/privileged.js';
import { run } from '../../examples/tail-calls.js';

const kernel = kernelTestContext('examples/tail-calls');

describe.skipIf(!kernel.ok)('examples/tail-calls', () => {
  it('dispatches by protocol, falls through on an empty slot, and leaves no fd behind', async () => {
    const fds = readdirSync('/proc/self/fd').length;
    const lines: string[] = [];
    const report = await run({ print: (l) => lines.push(l) });
    expect(report.modelAccepted).toBe(true);
    expect(Object.keys(report.processed)).toEqual(['entry', 'icmp', 'tcp', 'udp']);
    for (const p of Object.values(report.processed)) expect(p.kernel).toBeGreaterThan(0);
    expect(report.runs).toEqual([
      { frame: 'icmp', ranBy: 'icmp', verdict: 'XDP_DROP' },
      { frame: 'tcp', ranBy: 'tcp', verdict: 'XDP_PASS' },
      { frame: 'udp', ranBy: 'udp', verdict: 'XDP_TX' },
      { frame: 'sctp (no handler)', ranBy: 'fall-through', verdict: 'XDP_PASS' },
      { frame: 'tcp (slot emptied)', ranBy: 'fall-through', verdict: 'XDP_PASS' },
    ]);
    expect(report.counts).toEqual({ 'fall-through': 2, icmp: 1, tcp: 1, udp: 1 });
    expect(lines.some((l) => l.startsWith('runs: '))).toBe(true);
    expect(readdirSync('/proc/self/fd').length).toBe(fds);
  });
});
