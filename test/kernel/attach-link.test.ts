import { execFileSync, spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, expect, afterAll } from 'vitest';
import { kernelTestContext } from './privileged.js';
import { asm, R0, R1, R2 } from '../../src/asm/dsl/index.js';
import { createMap, u32, u64 } from '../../src/maps/index.js';
import type { BpfMap } from '../../src/maps/index.js';
import { loadProgram } from '../../src/loader/program.js';
import type { Program } from '../../src/loader/program.js';
import { attachRawTracepoint } from '../../src/loader/attach/raw-tracepoint.js';
import { attachSocketFilter } from '../../src/loader/attach/socket-filter.js';
import { attachIter, iterLoadOptions, readIter } from '../../src/loader/attach/iter.js';
import { attachCgroup, TemporaryCgroup } from '../../src/loader/attach/cgroup.js';
import { openPinnedLink, LinkType } from '../../src/loader/link.js';
import { isBpfSyscallError, isNotSupportedError } from '../../src/errors.js';

const kernel = kernelTestContext('attach: links');
const bpffs = existsSync('/sys/fs/bpf') ? '/sys/fs/bpf' : '';
const pinDir = kernel.ok && bpffs ? mkdtempSync(join(bpffs, 'ts-ebpf-link-')) : '';

afterAll(() => {
  if (pinDir) rmSync(pinDir, { recursive: true, force: true });
});

/** A raw_tracepoint program (DSL, loadProgram) adding `step` to slot 0 of `counts` on each event. */
function counter(counts: BpfMap<number, bigint>, step: number): Program {
  return loadProgram({
    type: 'raw_tracepoint',
    name: `count_by_${step}`,
    maps: { counts },
    instructions: asm.program([
      ...asm.mapLookup({ map: 'counts', key: 0 }),
      asm.ifNull(R0, 'out'),
      asm.mov64(R1, step),
      asm.atomicAdd64(R0, 0, R1),
      asm.label('out'),
      asm.mov64(R0, 0),
      asm.exit(),
    ]),
  });
}

/** A task iterator program adding `step` to slot 0 of `counts` for each task. */
function taskCounter(counts: BpfMap<number, bigint>, step: number): Program {
  return loadProgram({
    ...iterLoadOptions('task'),
    maps: { counts },
    instructions: asm.program([
      asm.ldx('u64', R2, R1, 8),
      asm.ifNull(R2, 'out'),
      ...asm.mapLookup({ map: 'counts', key: 0 }),
      asm.ifNull(R0, 'out'),
      asm.mov64(R1, step),
      asm.atomicAdd64(R0, 0, R1),
      asm.label('out'),
      asm.mov64(R0, 0),
      asm.exit(),
    ]),
  });
}

/** A child process that joins `cgroup` and sends 3 UDP datagrams over loopback. */
function udpFromCgroup(cgroup: string): void {
  const script = `require('fs').writeFileSync(${JSON.stringify(`${cgroup}/cgroup.procs`)}, String(process.pid));
const s=require('dgram').createSocket('udp4');let i=0;const next=()=>{if(i++===3)return s.close();s.send('x',9,'127.0.0.1',next)};next();`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10000 });
  expect(r.status, r.stderr).toBe(0);
}

function execTrue(n: number): void {
  for (let i = 0; i < n; i++) execFileSync('/bin/true');
}

function newCounts(): BpfMap<number, bigint> {
  return createMap({ name: 'counts', type: 'array', key: u32, value: u64, maxEntries: 1 });
}

describe.skipIf(!kernel.ok)('Link: pin, reopen, update, detach (with loadProgram and createMap)', () => {
  it('a pinned link stays attached after close, reopens from its pin, and detaches when unpinned', () => {
    expect(pinDir).not.toBe('');
    using counts = newCounts();
    using prog = counter(counts, 1);
    const path = join(pinDir, 'exec');
    const link = attachRawTracepoint(prog, 'sched_process_exec');
    const id = link.info().id;
    link.pin(path);
    link.close();
    // other processes exec too: the counts are lower bounds
    execTrue(2);
    expect(counts.lookup(0)).toBeGreaterThanOrEqual(2n);
    const again = openPinnedLink(path);
    try {
      const info = again.info();
      expect(info.id).toBe(id);
      expect(info.type).toBe(LinkType.RAW_TRACEPOINT);
      expect(info.progId).toBe(prog.id);
      expect(again.kind).toBe('raw_tracepoint');
      again.unpin(path);
      expect(existsSync(path)).toBe(false);
    } finally {
      again.close();
    }
    const after = counts.lookup(0);
    execTrue(2);
    expect(counts.lookup(0)).toBe(after);
  });

  it('update swaps the program of an iterator link; a wrong expected program is refused', () => {
    using counts = newCounts();
    using one = taskCounter(counts, 1);
    using ten = taskCounter(counts, 10);
    using link = attachIter(one, { task: { pid: process.pid }, target: 'task' });
    readIter(link);
    const threads = counts.lookup(0)!;
    expect(threads).toBeGreaterThan(0n);
    link.update(ten, one);
    expect(link.info().progId).toBe(ten.id);
    readIter(link);
    expect(counts.lookup(0)).toBe(threads * 11n);
    let err: unknown;
    try { link.update(one, one); } catch (e) { err = e; }
    expect(isBpfSyscallError(err) && err.code).toBe('EPERM');
  });

  it('detach makes a cgroup link defunct while its fd stays open', () => {
    using cg = new TemporaryCgroup();
    using counts = newCounts();
    using prog = loadProgram({
      type: 'cgroup_skb', maps: { counts },
      instructions: asm.program([
        ...asm.mapLookup({ map: 'counts', key: 0 }),
        asm.ifNull(R0, 'out'),
        asm.mov64(R1, 1),
        asm.atomicAdd64(R0, 0, R1),
        asm.label('out'),
        asm.mov64(R0, 1),
        asm.exit(),
      ]),
    });
    using link = attachCgroup(prog, cg.path, 'egress');
    udpFromCgroup(cg.path);
    const before = counts.lookup(0)!;
    expect(before).toBeGreaterThanOrEqual(3n);
    link.detach();
    expect(link.closed).toBe(false);
    expect(link.info().cgroupId).toBe(0n);
    udpFromCgroup(cg.path);
    expect(counts.lookup(0)).toBe(before);
  });

  it('a socket filter is no BPF link: pin and info say so', async () => {
    using prog = loadProgram({ type: 'socket_filter', instructions: asm.program([asm.mov64(R0, 0), asm.exit()]) });
    const sock = createSocket('udp4');
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    try {
      using link = attachSocketFilter(prog, sock);
      expect(link.isBpfLink).toBe(false);
      for (const op of [() => link.pin(join(pinDir, 'nope')), () => link.info()]) {
        let err: unknown;
        try { op(); } catch (e) { err = e; }
        expect(isNotSupportedError(err)).toBe(true);
        expect(String(err)).toMatch(/not a BPF link/);
      }
    } finally {
      sock.close();
    }
  });
});
