import { describe, it, expect } from 'vitest';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { kernelTestContext } from '../kernel/privileged.js';
import { leftovers } from './net-leftovers.js';

/**
 * `npm start` is what a new user runs first: the tour must finish cleanly, as root (every example
 * runs and none fails) and as an unprivileged user (it says what privilege is missing and still
 * shows the DSL, the disassembly and the verifier model).
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const kernel = kernelTestContext('examples/tour');
const NOBODY = 65534;
/** Running the tour as nobody needs the checkout readable by nobody (not so under a private home). */
const nobodyReads = spawnSync('/bin/sh', ['-c', 'test -r examples/tour.ts && test -r node_modules/tsx/package.json'], { cwd: root, uid: NOBODY, gid: NOBODY }).status === 0;
if (kernel.ok && !nobodyReads) console.log(`skipping the unprivileged tour: uid ${NOBODY} cannot read ${root}`);

function tour(uid?: number): { status: number | null; out: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'examples/tour.ts'], {
    cwd: root, encoding: 'utf8', timeout: 120_000, ...(uid === undefined ? {} : { uid, gid: uid }),
  });
  return { status: r.status, out: `${r.stdout}${r.stderr}` };
}

/** The `-- title` sections of the examples part, each with its lines. */
function exampleSections(out: string): Map<string, string> {
  const part = out.split('\n== the examples, briefly\n')[1]?.split('\n== a mistake')[0] ?? '';
  return new Map(part.split('\n-- ').slice(1).map((s) => [s.slice(0, s.indexOf('\n')), s]));
}

describe.skipIf(!kernel.ok)('examples/tour (npm start)', () => {
  it('as root: loads, runs and every example reports without failing; leaves nothing behind', () => {
    const before = leftovers();
    const { status, out } = tour();
    expect(status, out).toBe(0);
    expect(out).toMatch(/socket filter: accepted, \d+ instructions processed/);
    expect(out).toMatch(/reading past the check: rejected at insn \d+: R2 offset is outside of the packet\n  at examples\/tour.ts:\d+/);
    expect(out).toMatch(/socket filter \(prog id \d+\) returned skb->len 46, 986, 1486/);
    expect(out).toMatch(/IPv6 frame → XDP_DROP, IPv4 frame → XDP_PASS/);
    const sections = exampleSections(out);
    expect(sections.size).toBeGreaterThanOrEqual(4);
    for (const [title, text] of sections) expect(text, title).not.toMatch(/^ {3}failed:/m);
    expect(out).toMatch(/BadInputError: call: unknown helper "map_lookup"; did you mean 'map_lookup_elem'/);
    expect(leftovers()).toEqual(before);
  }, 120_000);

  it.skipIf(!nobodyReads)('unprivileged: says what privilege is needed and still shows the DSL and the model', () => {
    const { status, out } = tour(NOBODY);
    expect(status, out).toBe(0);
    expect(out).toMatch(/== socket filter: \d+ instructions/);
    expect(out).toMatch(/socket filter: accepted, \d+ instructions processed/);
    expect(out).toMatch(/== in the kernel\nskipped: .*EPERM.*needs root, or CAP_BPF/);
    expect(out).toMatch(/== the examples, briefly\nskipped: .*needs root/);
    expect(out).toMatch(/BadInputError/);
  }, 60_000);
});
