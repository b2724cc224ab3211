import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, readlinkSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { kernelTestContext } from './privileged.js';
import { waitFor } from './attach-helpers.js';
import { NetNamespace, createTestNetwork, createVethPair, uniqueName } from '../../src/loader/netns.js';
import { ifNameToIndex } from '../../src/loader/ffi.js';
import { isBadInputError, isBpfSyscallError } from '../../src/errors.js';

const kernel = kernelTestContext('network namespaces and veth');

const here = () => readlinkSync('/proc/thread-self/ns/net');
const interfaces = () => readFileSync('/proc/thread-self/net/dev', 'utf8').split('\n').slice(2)
  .map((l) => l.split(':')[0]!.trim()).filter(Boolean).sort();

/** A child that sends a UDP datagram to itself at `address` and prints what it got. */
function udpEcho(address: string): string {
  const script = `const s=require('dgram').createSocket('udp4');s.on('message',(m)=>{process.stdout.write(String(m));s.close()});
s.bind(0,'${address}',()=>s.send('hello',s.address().port,'${address}'));setTimeout(()=>process.exit(3),3000).unref();`;
  return spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' }).stdout;
}

describe.skipIf(!kernel.ok)('NetNamespace and veth over netlink', () => {
  it('creates a namespace with only lo, up; run() enters and leaves it; close removes it', () => {
    const before = here();
    const ns = NetNamespace.create();
    try {
      expect(existsSync(ns.path)).toBe(true);
      const inside = ns.run(() => ({ id: here(), ifs: interfaces(), echo: udpEcho('127.0.0.1') }));
      expect(inside.id).not.toBe(before);
      expect(inside.ifs).toEqual(['lo']);
      expect(inside.echo).toBe('hello'); // loopback works: lo is up
      expect(here()).toBe(before);
      expect(() => ns.run(() => { throw new Error('inside'); })).toThrow('inside');
      expect(here()).toBe(before);
      let dup: unknown;
      try { NetNamespace.create(ns.name); } catch (e) { dup = e; }
      expect(isBadInputError(dup)).toBe(true);
    } finally {
      ns.close();
    }
    expect(existsSync(ns.path)).toBe(false);
    expect(() => ns.run(() => 1)).toThrow(/closed/);
  });

  it('creates an addressed veth pair into a namespace and removes both ends', async () => {
    const net = createTestNetwork();
    const { ns, veth } = net;
    try {
      expect(veth.ifindex).toBeGreaterThan(0);
      expect(veth.peerIfindex).toBeGreaterThan(0);
      expect(ifNameToIndex(veth.peerName)).toBe(0); // the peer is not here
      expect(ns.run(() => interfaces())).toEqual(['lo', veth.peerName].sort());
      // The peer's address answers from inside, and is reachable from here over the pair.
      expect(ns.run(() => udpEcho(veth.peerAddress!))).toBe('hello');
      expect(udpEcho(veth.address!)).toBe('hello');
      // A server spawned inside the namespace gets a datagram sent from here.
      const server = ns.run(() => spawn(process.execPath, ['-e',
        `const s=require('dgram').createSocket('udp4');s.on('message',(m)=>{process.stdout.write(String(m));s.close()});
s.bind(7777,'${veth.peerAddress}',()=>process.stdout.write('ready:'));setTimeout(()=>process.exit(3),5000).unref();`]));
      let out = '';
      server.stdout.on('data', (d) => { out += String(d); });
      const exited = new Promise<number | null>((r) => server.on('exit', r));
      await waitFor(() => out.startsWith('ready:'), 3000);
      const send = spawnSync(process.execPath, ['-e',
        `const s=require('dgram').createSocket('udp4');s.send('over-veth',7777,'${veth.peerAddress}',()=>s.close())`]);
      expect(send.status).toBe(0);
      expect(await exited).toBe(0);
      expect(out).toBe('ready:over-veth');
    } finally {
      net.close();
    }
    expect(ifNameToIndex(veth.name)).toBe(0);
    expect(existsSync(ns.path)).toBe(false);
  });

  it('refuses a duplicate interface and leaves nothing behind', () => {
    const name = uniqueName('tsd');
    using first = createVethPair({ name });
    let err: unknown;
    try { createVethPair({ name, peerName: uniqueName('tsd') }); } catch (e) { err = e; }
    expect(isBpfSyscallError(err) && err.code).toBe('EEXIST');
    expect(first.ifindex).toBeGreaterThan(0);
    first.close();
    expect(ifNameToIndex(name)).toBe(0);
    expect(ifNameToIndex(first.peerName)).toBe(0);
  });
});
