import { describe, it, expect } from 'vitest';
import { kernelTestContext } from '../kernel/privileged.js';
import { leftovers } from './net-leftovers.js';
import { run } from '../../examples/xdp-firewall.js';

const kernel = kernelTestContext('examples/xdp-firewall');

describe.skipIf(!kernel.ok)('examples/xdp-firewall', () => {
  it('answers allowed clients, drops denied ones, counts per rule exactly, removes everything', async () => {
    const before = leftovers();
    const lines: string[] = [];
    const report = await run({ count: 4, timeoutMs: 1000, print: (l) => lines.push(l) });
    expect(report.modelAccepted).toBe(true);
    expect(report.processed.kernel).toBeGreaterThan(0);
    const net = report.clients[0]!.source.split('.').slice(0, 3).join('.');
    expect(report.clients).toEqual([
      { source: `${net}.1`, rule: 'default (pass)', sent: 4, replies: 4 },
      { source: `${net}.66`, rule: `allow ${net}.66/32`, sent: 4, replies: 4 },
      { source: `${net}.70`, rule: `deny ${net}.64/26`, sent: 4, replies: 0 },
      { source: `${net}.130`, rule: `deny ${net}.130/32`, sent: 4, replies: 0 },
      { source: `${net}.131`, rule: 'default (pass)', sent: 4, replies: 4 },
    ]);
    expect(report.counters).toEqual({
      'default (pass)': 8,
      [`deny ${net}.64/26`]: 4,
      [`allow ${net}.66/32`]: 4,
      [`deny ${net}.130/32`]: 4,
    });
    expect(lines.at(-1)).toMatch(/^counters: /);
    expect(leftovers()).toEqual(before);
  });
});
