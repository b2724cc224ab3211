/**
 * An XDP firewall in the style of Cilium's prefilter: a policy of CIDR rules in an LPM trie
 * (longest prefix wins, so a /32 "allow" can punch a hole in a denied /26) and a per-CPU packet
 * counter per rule, on the ingress of an endpoint that lives in its own network namespace.
 *
 * The example builds the network itself (no iproute2): a namespace with a veth pair into it, the
 * endpoint `<net>.2` inside running a UDP echo service on port 7, and on this side the client
 * addresses `<net>.1`, `.66`, `.70`, `.130` and `.131`. Each client "pings" the endpoint (UDP echo)
 * a few times; the firewall drops what the policy denies by source address, so denied clients get
 * no answer, and the counters say which rule matched how often. Everything is removed at the end.
 *
 * Run: `sudo npx tsx examples/xdp-firewall.ts`
 * @module
 */
import { once } from 'node:events';
import { createSocket } from 'node:dgram';
import type { Socket } from 'node:dgram';
import {
  asm, attachXdp, bytes, createMap, createTestNetwork, loadProgram, lpmKey, MapFlags, R0, R1, R2, R6, R7,
  struct, u32, u64, verify,
} from '../src/index.js';
import type { Assembled, NetNamespace } from '../src/index.js';
// Not on the package face yet (requested in notes/face-requests.md: adding an address to an interface).
import { isMain, kernelProcessed, runMain, sleep } from './lib/run.js';
import type { ExampleOptions } from './lib/run.js';

/** Options of the xdp-firewall example. */
export interface XdpFirewallOptions extends ExampleOptions {
  /** Echo requests each client sends (default 3). */
  readonly count?: number;
  /** How long a client waits for its answers (default 400 ms). */
  readonly timeoutMs?: number;
  /** The /24 to use, as `a.b.c` (default: a random `10.x.y` no interface here is using). */
  readonly subnet?: string;
}

/** One client's pings. */
export interface FirewallClient {
  /** The client's (source) address. */
  readonly source: string;
  /** The rule that matched its address, or `default` when none did. */
  readonly rule: string;
  /** Echo requests sent. */
  readonly sent: number;
  /** Echo replies received. */
  readonly replies: number;
}

/** What the example observed. */
export interface XdpFirewallReport {
  /** One entry per client address. */
  readonly clients: readonly FirewallClient[];
  /** The per-rule counters at the end (summed over CPUs), by rule name. */
  readonly counters: Readonly<Record<string, number>>;
  /** Whether the verifier model accepted the program (the kernel did: it loaded). */
  readonly modelAccepted: boolean;
  /** Instructions processed: by the verifier model, and by the kernel's verifier. */
  readonly processed: { readonly model: number; readonly kernel: number | undefined };
}

const XDP_DROP = 1;
const XDP_PASS = 2;
const ETH_P_IP_LE = 0x0008; // htons(0x0800) as a little-endian u16 load sees it
const ECHO_PORT = 7;

/** The policy map's value: which rule matched (its counter slot) and what to do. */
const ruleValue = struct({ rule: u32, verdict: u32 });
const policySpec = { type: 'lpm_trie', key: lpmKey(bytes(4)), value: ruleValue, maxEntries: 64, flags: MapFlags.NO_PREALLOC } as const;
const countersSpec = (rules: number) => ({ type: 'percpu_array', key: u32, value: u64, maxEntries: rules + 1 }) as const;

/**
 * IPv4 frames: look the source address up in `policy` (an exact /32 key: the trie returns the
 * longest rule containing it), count the frame in `counters[rule]` (slot 0: no rule matched) and
 * return the rule's verdict (XDP_PASS when none matched). Anything else passes uncounted.
 */
const firewall: Assembled = asm.program([
  asm.packetBounds({ ctx: 'xdp', length: 14 + 20, orElse: 'pass' }), // r2 = data, r3 = data_end
  asm.ldx('u16', R1, R2, 12),
  asm.jne64(R1, ETH_P_IP_LE, 'pass'),
  asm.ldx('u32', R1, R2, 14 + 12), // source address, in network order in memory
  asm.lsh64(R1, 32), // the key { u32 prefixlen = 32; u8 addr[4] } as one little-endian u64
  asm.or64(R1, 32),
  asm.mapLookup({ map: 'policy', key: R1, keySize: 8, stackOffset: -8 }),
  asm.mov64(R6, 0), // no rule: slot 0, pass
  asm.mov64(R7, XDP_PASS),
  asm.ifNull(R0, 'count'),
  asm.ldx('u32', R6, R0, ruleValue.offsetOf('rule')),
  asm.ldx('u32', R7, R0, ruleValue.offsetOf('verdict')),
  asm.label('count'),
  asm.mapLookup({ map: 'counters', key: R6, stackOffset: -16 }),
  asm.ifNull(R0, 'verdict'),
  asm.ldx('u64', R1, R0, 0),
  asm.add64(R1, 1), // per-CPU slot: no atomics needed
  asm.stx('u64', R0, 0, R1),
  asm.label('verdict'),
  asm.mov64(R0, R7),
  asm.exit(),
  asm.label('pass'),
  asm.ret(XDP_PASS),
]);

/** The policy, relative to the network `<net>.0/24`; rule i counts in slot i + 1. */
function policy(net: string): { name: string; cidr: string; verdict: number }[] {
  return [
    { name: `deny ${net}.64/26`, cidr: `${net}.64/26`, verdict: XDP_DROP },
    { name: `allow ${net}.66/32`, cidr: `${net}.66/32`, verdict: XDP_PASS },
    { name: `deny ${net}.130/32`, cidr: `${net}.130/32`, verdict: XDP_DROP },
  ];
}

const addressBytes = (a: string): Uint8Array => Uint8Array.from(a.split('.').map(Number));

/**
 * A UDP socket bound to `address:port` inside `ns`. The socket is created when Node binds it, so
 * the bind must happen while this thread is in the namespace: a synchronous `lookup` makes
 * `bind()` create and bind the socket before it returns (the default lookup defers it a tick).
 */
async function udpSocketIn(ns: NetNamespace, address: string, port: number): Promise<Socket> {
  const s = createSocket({ type: 'udp4', lookup: (host, _opts, cb) => cb(null, host, 4) });
  const listening = once(s, 'listening');
  ns.run(() => s.bind(port, address));
  await listening;
  return s;
}

/** Sends `count` echo requests from `source` to `target`, and counts the replies within `timeoutMs`. */
async function ping(source: string, target: string, count: number, timeoutMs: number): Promise<number> {
  const s = createSocket('udp4');
  try {
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.bind(0, source, () => resolve());
    });
    let replies = 0;
    const all = new Promise<void>((resolve) => s.on('message', () => { if (++replies === count) resolve(); }));
    for (let i = 0; i < count; i++) s.send(`ping ${i} from ${source}`, ECHO_PORT, target);
    await Promise.race([all, sleep(timeoutMs)]);
    return replies;
  } finally {
    s.close();
  }
}

/** Builds the network, applies the policy, pings from every client and reports. */
export async function run(opts: XdpFirewallOptions = {}): Promise<XdpFirewallReport> {
  const print = opts.print ?? console.log;
  const count = opts.count ?? 3;
  const timeoutMs = opts.timeoutMs ?? 400;

  const model = verify(firewall.instructions, {
    type: 'xdp',
    maps: { policy: { type: 'lpm_trie', keySize: 8, valueSize: 8, maxEntries: 64, flags: MapFlags.NO_PREALLOC },
      counters: { type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 4 } },
  });

  using net = createTestNetwork(opts.subnet);
  const { ns, veth } = net;
  const subnet = veth.address!.split('.').slice(0, 3).join('.');
  const rules = policy(subnet);

  using policyMap = createMap(policySpec);
  using counters = createMap(countersSpec(rules.length));
  rules.forEach((r, i) => {
    const [address, prefix] = r.cidr.split('/');
    policyMap.update({ prefixLen: Number(prefix), data: addressBytes(address!) }, { rule: i + 1, verdict: r.verdict });
  });
  // logLevel 4: keep the kernel verifier's statistics, to compare with the model's.
  using prog = loadProgram({ type: 'xdp', instructions: firewall, maps: { policy: policyMap, counters }, name: 'firewall', logLevel: 4 });
  const processed = { model: model.processed, kernel: kernelProcessed(prog) };
  print(`verifier model ${model.ok ? `accepts (${model.processed} insns processed)` : `rejects: ${model.error?.message}`}, ` +
    `kernel accepts (${processed.kernel} insns processed)`);
  using link = attachXdp(prog, { ifname: veth.peerName, namespace: ns, mode: 'native' });
  print(`firewall on ${veth.peerName} (${veth.peerAddress}, in namespace ${ns.name}), ${link.kind}; policy:`);
  for (const r of rules) print(`  ${r.name}`);

  // The clients: more addresses on this end of the pair (each a /32: the /24 route is already there).
  const sources = [1, 66, 70, 130, 131].map((n) => `${subnet}.${n}`);
  for (const a of sources.slice(1)) veth.addAddress(`${a}/32`);

  const echo = await udpSocketIn(ns, veth.peerAddress!, ECHO_PORT);
  try {
    echo.on('message', (msg, from) => echo.send(msg, from.port, from.address));
    const replies = await Promise.all(sources.map((s) => ping(s, veth.peerAddress!, count, timeoutMs)));

    // Which rule covers a client: ask the trie itself (a /32 lookup returns the longest match).
    const ruleOf = (a: string): string => {
      const hit = policyMap.lookup({ prefixLen: 32, data: addressBytes(a) });
      return hit ? rules[hit.rule - 1]!.name : 'default (pass)';
    };
    const clients = sources.map((source, i) => ({ source, rule: ruleOf(source), sent: count, replies: replies[i]! }));
    for (const c of clients) {
      print(`ping from ${c.source.padEnd(15)} ${c.replies}/${c.sent} answered   ${c.replies ? 'passed' : 'dropped'} by ${c.rule}`);
    }

    const names = ['default (pass)', ...rules.map((r) => r.name)];
    const totals: Record<string, number> = {};
    names.forEach((name, slot) => {
      totals[name] = Number((counters.lookup(slot) ?? []).reduce((a, b) => a + b, 0n));
    });
    print(`counters: ${Object.entries(totals).map(([k, v]) => `${k}: ${v}`).join(' | ')}`);
    return { clients, counters: totals, modelAccepted: model.ok, processed };
  } finally {
    echo.close();
  }
}

if (isMain(import.meta.url)) await runMain(run);
