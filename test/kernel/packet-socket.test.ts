import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { kernelTestContext } from './privileged.js';
import { NetNamespace, createTestNetwork, openPacketSocket } from '../../src/index.js';
import { isBadInputError } from '../../src/errors.js';

const kernel = kernelTestContext('packet sockets');
const openFds = (): number => readdirSync('/proc/self/fd').length;

/** Sends one UDP datagram with `payload` to 127.0.0.1:`port` from a child started inside `ns`. */
function sendUdp(ns: NetNamespace, port: number, payload: string): void {
  const script = `const s=require('dgram').createSocket('udp4');s.send(${JSON.stringify(payload)},${port},'127.0.0.1',()=>s.close());`;
  const r = ns.run(() => spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' }));
  expect(r.status, r.stderr).toBe(0);
}

/** Where the UDP payload of an Ethernet+IPv4+UDP frame starts, or -1. */
function udpPayload(frame: Uint8Array): string | undefined {
  if (frame.length < 42 || frame[12] !== 0x08 || frame[13] !== 0x00 || frame[23] !== 17) return undefined;
  const ihl = (frame[14]! & 0xf) * 4;
  return Buffer.from(frame.subarray(14 + ihl + 8)).toString();
}

describe.skipIf(!kernel.ok)('openPacketSocket', () => {
  it('captures the frames of lo inside a namespace, whole, and nothing from elsewhere', async () => {
    const fds = openFds();
    const ns = NetNamespace.create();
    try {
      using s = openPacketSocket({ namespace: ns, ifname: 'lo' });
      expect(s.ifindex).toBeGreaterThan(0);
      expect(s.recv()).toBeUndefined(); // nothing yet, and it does not block
      sendUdp(ns, 9999, 'packet-socket-test');
      let frames: Uint8Array[] = [];
      for (let i = 0; i < 50 && frames.length === 0; i++) {
        frames = s.drain();
        if (frames.length === 0) await new Promise((r) => setTimeout(r, 20));
      }
      const payloads = frames.map(udpPayload).filter((p) => p !== undefined);
      // On loopback each frame is seen going out and coming in.
      expect(payloads).toEqual(['packet-socket-test', 'packet-socket-test']);
    } finally {
      ns.close();
    }
    expect(openFds()).toBe(fds);
  });

  it('says clearly when the interface does not exist or the protocol is not an ethertype', () => {
    let e1: unknown;
    try { openPacketSocket({ ifname: 'no-such-if0' }); } catch (e) { e1 = e; }
    expect(isBadInputError(e1)).toBe(true);
    expect(String(e1)).toContain('no interface named "no-such-if0"');
    let e2: unknown;
    try { openPacketSocket({ protocol: 0x10000 }); } catch (e) { e2 = e; }
    expect(isBadInputError(e2)).toBe(true);
  });
});

describe.skipIf(!kernel.ok)('VethPair addresses', () => {
  it('adds addresses to either end, the peer inside its namespace', () => {
    using net = createTestNetwork();
    const base = net.veth.address!.split('.').slice(0, 3).join('.');
    net.veth.addAddress(`${base}.11/24`);
    net.veth.addPeerAddress(`${base}.12/24`);
    const list = (json: string, name: string): string[] =>
      ((JSON.parse(json) as Record<string, { address: string; family: string }[]>)[name] ?? [])
        .filter((a) => a.family === 'IPv4').map((a) => a.address).sort();
    const script = 'process.stdout.write(JSON.stringify(require("os").networkInterfaces()))';
    const here = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' }).stdout;
    const there = net.ns.run(() => spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' })).stdout;
    expect(list(here, net.veth.name)).toEqual([`${base}.1`, `${base}.11`]);
    expect(list(there, net.veth.peerName)).toEqual([`${base}.12`, `${base}.2`]);
  });
});
