/**
 * A tcpdump-style socket filter: `udp dst port 9000` as an eBPF `socket_filter` program written
 * with the classic packet loads (LD_ABS / LD_IND, the instructions tcpdump's filters compile to),
 * attached to a raw AF_PACKET socket that sees every frame on the loopback interface. A second,
 * unfiltered packet socket counts everything that went by, for comparison.
 *
 * The loopback is that of a new network namespace, so the only traffic on it is the example's own:
 * a child process started inside it sends three UDP datagrams to port 9000 (where it listens),
 * two to port 9001 (closed: the kernel answers with ICMP port unreachable) and opens a TCP
 * connection to port 9000 (refused: SYN, then RST). Only the three datagrams to 9000 are kept.
 *
 * Run: `sudo npx tsx examples/sockfilter.ts`
 * @module
 */
import { asm, attachSocketFilter, loadProgram, NetNamespace, openPacketSocket, R0, R1, R6, R7, verify } from '../src/index.js';
import type { Assembled } from '../src/index.js';
// Not on the package face yet (requested in notes/face-requests.md: a packet-socket helper).
import { isMain, kernelProcessed, runMain } from './lib/run.js';
import type { ExampleOptions } from './lib/run.js';

/** Options of the sockfilter example. */
export interface SockfilterOptions extends ExampleOptions {
  /** The UDP port to keep (default 9000); the other port used is `port + 1`. */
  readonly port?: number;
}

/** A frame the filtered socket received, decoded. */
export interface KeptPacket {
  /** IP protocol name (`udp` expected). */
  readonly protocol: string;
  /** Source port. */
  readonly srcPort: number;
  /** Destination port. */
  readonly dstPort: number;
  /** The UDP payload as text. */
  readonly payload: string;
  /** Bytes the socket received (the whole frame: the filter keeps it all). */
  readonly length: number;
}

/** What the example observed. */
export interface SockfilterReport {
  /** The port the filter keeps. */
  readonly port: number;
  /** What the filtered socket received, in order. */
  readonly kept: readonly KeptPacket[];
  /** What the unfiltered socket saw (each frame twice: out and in), by `udp <dst port>`, `tcp`, `icmp`. */
  readonly seen: Readonly<Record<string, number>>;
  /** What the child's UDP server on the kept port received. */
  readonly serverGot: readonly string[];
  /** Whether the verifier model accepted the filter. */
  readonly modelAccepted: boolean;
  /** Instructions processed: by the verifier model, and by the kernel's verifier. */
  readonly processed: { readonly model: number; readonly kernel: number | undefined };
}

const PACKET_OUTGOING = 4;
const PROTOCOLS: Record<number, string> = { 1: 'icmp', 6: 'tcp', 17: 'udp' };

/**
 * `udp dst port <port>` (IPv4, not a later fragment; on lo only the incoming copy): returns the
 * frame's length to keep it whole, 0 to drop it. LD_ABS/LD_IND read big-endian values at offsets
 * from the frame start, take the context in R6 and clobber R0-R5.
 */
export function udpPortFilter(port: number): Assembled {
  return asm.program([
    asm.mov64(R6, R1), // LD_ABS/LD_IND want the skb in R6
    asm.ldx('u32', R0, R6, 4), // skb->pkt_type
    asm.jeq64(R0, PACKET_OUTGOING, 'drop'), // lo shows each frame going out and coming in; libpcap skips this copy too
    asm.ldAbs('u16', 12), // ethertype
    asm.jne64(R0, 0x0800, 'drop'),
    asm.ldAbs('u8', 14 + 9), // IPv4 protocol
    asm.jne64(R0, 17, 'drop'),
    asm.ldAbs('u16', 14 + 6), // flags + fragment offset
    asm.and64(R0, 0x1fff),
    asm.jne64(R0, 0, 'drop'), // a later fragment has no UDP header
    asm.ldAbs('u8', 14), // version + IHL
    asm.and64(R0, 0x0f),
    asm.lsh64(R0, 2), // IPv4 header length in bytes
    asm.mov64(R7, R0),
    asm.ldInd('u16', R7, 14 + 2), // UDP destination port
    asm.jne64(R0, port, 'drop'),
    asm.ldx('u32', R0, R6, 0), // skb->len: keep the whole frame
    asm.exit(),
    asm.label('drop'),
    asm.ret(0),
  ]);
}

/** Protocol, ports and UDP payload of an Ethernet/IPv4 frame. */
function decode(frame: Uint8Array): { protocol: string; srcPort: number; dstPort: number; payload: Uint8Array } {
  const dv = new DataView(frame.buffer, frame.byteOffset, frame.byteLength);
  if (frame.length < 34 || dv.getUint16(12) !== 0x0800) return { protocol: `ethertype 0x${dv.getUint16(12).toString(16)}`, srcPort: 0, dstPort: 0, payload: new Uint8Array(0) };
  const proto = frame[23]!;
  const l4 = 14 + (frame[14]! & 0x0f) * 4;
  const ports = proto === 6 || proto === 17;
  return {
    protocol: PROTOCOLS[proto] ?? `ip proto ${proto}`,
    srcPort: ports ? dv.getUint16(l4) : 0,
    dstPort: ports ? dv.getUint16(l4 + 2) : 0,
    payload: proto === 17 ? frame.subarray(l4 + 8) : new Uint8Array(0),
  };
}

/** The traffic, from a child process inside the namespace: prints what its UDP server got, as JSON. */
function trafficScript(port: number): string {
  return `const dgram = require('dgram'), net = require('net');
const got = [];
const server = dgram.createSocket('udp4');
server.on('message', (m) => { got.push(String(m)); if (got.length === 3) done(); });
const tx = dgram.createSocket('udp4');
const send = (msg, p) => new Promise((r) => tx.send(msg, p, '127.0.0.1', r));
function done() { server.close(); tx.close(); process.stdout.write(JSON.stringify(got)); }
server.bind(${port}, '127.0.0.1', async () => {
  for (let i = 1; i <= 3; i++) await send('keep-' + i, ${port});
  for (let i = 1; i <= 2; i++) await send('other-' + i, ${port + 1});
  await new Promise((r) => net.connect(${port}, '127.0.0.1').on('error', r).on('connect', r));
});
setTimeout(() => { process.stderr.write('timed out, got ' + got.length); process.exit(2); }, 3000).unref();`;
}

/** Filters loopback traffic in a private namespace and reports what was kept. */
export async function run(opts: SockfilterOptions = {}): Promise<SockfilterReport> {
  const print = opts.print ?? console.log;
  const port = opts.port ?? 9000;
  const filter = udpPortFilter(port);

  const model = verify(filter.instructions, { type: 'socket_filter' });
  // logLevel 4: keep the kernel verifier's statistics, to compare with the model's.
  using prog = loadProgram({ type: 'socket_filter', instructions: filter, name: 'udp_port', logLevel: 4 });
  const processed = { model: model.processed, kernel: kernelProcessed(prog) };
  print(`verifier model ${model.ok ? `accepts (${model.processed} insns processed)` : `rejects: ${model.error?.message}`}, ` +
    `kernel accepts (${processed.kernel} insns processed)`);
  using ns = NetNamespace.create();
  using filtered = openPacketSocket({ namespace: ns });
  using everything = openPacketSocket({ namespace: ns });
  using link = attachSocketFilter(prog, filtered.fd);
  // Frames queued before the filter was attached would be there unfiltered: the namespace is new
  // and idle, so there are none (a real tool would bind with protocol 0 first, then ETH_P_ALL).
  while (filtered.recv()) print('dropping a frame queued before the filter (unexpected)');

  const child = ns.exec(process.execPath, ['-e', trafficScript(port)]);
  if (child.status !== 0) throw new Error(`the traffic generator failed: ${child.stderr || child.error}`);
  const serverGot = JSON.parse(child.stdout) as string[];
  print(`child in ${ns.name} (lo only): 3 UDP to ${port}, 2 UDP to ${port + 1}, one TCP connect to ${port}; ` +
    `its UDP server got ${serverGot.join(', ')}`);

  const kept: KeptPacket[] = [];
  for (let f = filtered.recv(); f; f = filtered.recv()) {
    const d = decode(f);
    kept.push({ protocol: d.protocol, srcPort: d.srcPort, dstPort: d.dstPort, payload: new TextDecoder().decode(d.payload), length: f.length });
  }
  const seen: Record<string, number> = {};
  for (let f = everything.recv(); f; f = everything.recv()) {
    const d = decode(f);
    const k = d.protocol === 'udp' ? `udp ${d.dstPort}` : d.protocol;
    seen[k] = (seen[k] ?? 0) + 1;
  }
  print(`unfiltered socket saw (each frame going out and coming in): ${Object.entries(seen).map(([k, n]) => `${k} ×${n}`).join(', ')}`);
  print(`filter (${link.kind}) kept ${kept.length}:`);
  for (const k of kept) print(`  ${k.protocol} ${k.srcPort} → ${k.dstPort} "${k.payload}" (${k.length} bytes)`);
  return { port, kept, seen, serverGot, modelAccepted: model.ok, processed };
}

if (isMain(import.meta.url)) await runMain(run);
