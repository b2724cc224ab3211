import { spawnSync } from 'node:child_process';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import { existsSync } from 'node:fs';
import { describe, it, expect, beforeAll, afterAll } from 'vitest';
import { kernelTestContext } from './privileged.js';
import { ArrayMap, counterProgram, waitFor } from './attach-helpers.js';
import { createTestNetwork } from '../../src/loader/netns.js';
import type { TestNetwork } from '../../src/loader/netns.js';
import { attachXdp } from '../../src/loader/attach/xdp.js';
import { attachTcx, TcxAction } from '../../src/loader/attach/tcx.js';
import { attachSocketFilter } from '../../src/loader/attach/socket-filter.js';
import { attachCgroup, cgroupV2Root, TemporaryCgroup } from '../../src/loader/attach/cgroup.js';
import { AttachType } from '../../src/asm/attach-types.js';

const kernel = kernelTestContext('attach: networking');
const XDP = 6;
const SCHED_CLS = 3;
const SOCKET_FILTER = 1;
const CGROUP_SKB = 8;
const CGROUP_SOCK = 9;
const XDP_PASS = 2;

/** Sends `n` UDP datagrams from a child process (run here, or inside a namespace by the caller). */
function sendUdp(address: string, port: number, n: number): void {
  const script = `const s=require('dgram').createSocket('udp4');let i=0;const next=()=>{if(i++===${n})return s.close();s.send('x',${port},'${address}',next)};next();`;
  const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
}

describe.skipIf(!kernel.ok)('XDP and tcx on a veth pair into a namespace', () => {
  let net: TestNetwork | undefined;
  beforeAll(() => {
    net = createTestNetwork();
  });
  afterAll(() => {
    net?.close();
    if (net) expect(existsSync(net.ns.path)).toBe(false);
  });

  for (const mode of ['native', 'generic'] as const) {
    it(`XDP (${mode}) in the namespace counts arriving packets, and stops after close`, () => {
      const { ns, veth } = net!;
      using map = new ArrayMap();
      using prog = counterProgram(XDP, map, XDP_PASS);
      const link = attachXdp(prog, { ifname: veth.peerName, namespace: ns, mode });
      try {
        expect(link.info().typeName).toBe('xdp');
        expect(link.info().ifindex).toBe(veth.peerIfindex);
        sendUdp(veth.peerAddress!, 9999, 5);
        expect(map.get()).toBeGreaterThanOrEqual(5n);
      } finally {
        link.close();
      }
      const after = map.get();
      sendUdp(veth.peerAddress!, 9999, 5);
      expect(map.get()).toBe(after);
    });
  }

  it('tcx ingress (in the namespace) and egress (here) see the same datagrams', () => {
    const { ns, veth } = net!;
    using inMap = new ArrayMap();
    using outMap = new ArrayMap();
    using inProg = counterProgram(SCHED_CLS, inMap, TcxAction.PASS);
    using outProg = counterProgram(SCHED_CLS, outMap, TcxAction.NEXT);
    const links = [
      attachTcx(inProg, { ifname: veth.peerName, namespace: ns, direction: 'ingress' }),
      attachTcx(outProg, { ifindex: veth.ifindex, direction: 'egress' }),
    ];
    try {
      expect(links.map((l) => l.info().attachType)).toEqual([AttachType.TCX_INGRESS, AttachType.TCX_EGRESS]);
      sendUdp(veth.peerAddress!, 9999, 6);
      expect(inMap.get()).toBeGreaterThanOrEqual(6n);
      expect(outMap.get()).toBeGreaterThanOrEqual(6n);
    } finally {
      for (const l of links) l.close();
    }
    const [i, o] = [inMap.get(), outMap.get()];
    sendUdp(veth.peerAddress!, 9999, 3);
    expect([inMap.get(), outMap.get()]).toEqual([i, o]);
  });

  it('names a missing interface', () => {
    using map = new ArrayMap();
    using prog = counterProgram(XDP, map, XDP_PASS);
    expect(() => attachXdp(prog, { ifname: 'tsebpf-none', mode: 'generic' })).toThrow(/no network interface named tsebpf-none/);
  });
});

function bound(): Promise<Socket> {
  return new Promise((resolve) => {
    const s = createSocket('udp4');
    s.bind(0, '127.0.0.1', () => resolve(s));
  });
}

async function exchange(rx: Socket, n: number, settleMs = 0): Promise<number> {
  let got = 0;
  const onMsg = () => { got++; };
  rx.on('message', onMsg);
  const tx = createSocket('udp4');
  for (let i = 0; i < n; i++) await new Promise<void>((r) => tx.send('ping', rx.address().port, '127.0.0.1', () => r()));
  await waitFor(() => got >= n, settleMs || 2000);
  if (settleMs) await new Promise((r) => setTimeout(r, settleMs));
  tx.close();
  rx.off('message', onMsg);
  return got;
}

describe.skipIf(!kernel.ok)('socket filter', () => {
  it('sees each datagram a loopback socket receives, and none after close', async () => {
    const rx = await bound();
    try {
      using map = new ArrayMap();
      using prog = counterProgram(SOCKET_FILTER, map, -1);
      const link = attachSocketFilter(prog, rx);
      try {
        expect(link.isBpfLink).toBe(false);
        expect(await exchange(rx, 4)).toBe(4);
        expect(map.get()).toBe(4n);
      } finally {
        link.close();
      }
      expect(await exchange(rx, 3)).toBe(3);
      expect(map.get()).toBe(4n);
    } finally {
      rx.close();
    }
  });

  it('drops what the filter returns 0 for', async () => {
    const rx = await bound();
    try {
      using map = new ArrayMap();
      using prog = counterProgram(SOCKET_FILTER, map, 0);
      using link = attachSocketFilter(prog, rx);
      expect(await exchange(rx, 3, 200)).toBe(0);
      expect(map.get()).toBe(3n);
    } finally {
      rx.close();
    }
  });
});

describe.skipIf(!kernel.ok)('cgroup links', () => {
  it(`counts skb ingress/egress and socket creation of a process in a new cgroup under ${kernel.ok ? cgroupV2Root() : 'cgroup v2'}`, () => {
    using cg = new TemporaryCgroup();
    using ingress = new ArrayMap();
    using egress = new ArrayMap();
    using socks = new ArrayMap();
    using pIn = counterProgram(CGROUP_SKB, ingress, 1);
    using pOut = counterProgram(CGROUP_SKB, egress, 1);
    using pSock = counterProgram(CGROUP_SOCK, socks, 1);
    const child = () => {
      const script = `require('fs').writeFileSync(${JSON.stringify(`${cg.path}/cgroup.procs`)}, String(process.pid));
const d=require('dgram');const rx=d.createSocket('udp4');rx.bind(0,'127.0.0.1',()=>{const tx=d.createSocket('udp4');let got=0;
rx.on('message',()=>{if(++got===5){rx.close();tx.close();}});for(let i=0;i<5;i++)tx.send('x',rx.address().port,'127.0.0.1');});`;
      const r = spawnSync(process.execPath, ['-e', script], { encoding: 'utf8', timeout: 10000 });
      expect(r.status, r.stderr).toBe(0);
    };
    const links = [
      attachCgroup(pIn, cg.path, 'ingress'),
      attachCgroup(pOut, cg.path, 'egress'),
      attachCgroup(pSock, cg.path, 'sock_create'),
    ];
    try {
      expect(links[0]!.info().typeName).toBe('cgroup');
      expect(links[2]!.info().attachType).toBe(AttachType.CGROUP_INET_SOCK_CREATE);
      child();
      expect(egress.get()).toBeGreaterThanOrEqual(5n);
      expect(ingress.get()).toBeGreaterThanOrEqual(5n);
      expect(socks.get()).toBeGreaterThanOrEqual(2n);
    } finally {
      for (const l of links) l.close();
    }
    const before = [ingress.get(), egress.get(), socks.get()];
    child();
    expect([ingress.get(), egress.get(), socks.get()]).toEqual(before);
  });
});
