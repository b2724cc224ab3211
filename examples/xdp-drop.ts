/**
 * XDP drop: the fastest firewall there is. One XDP program drops every frame, counting IPv4 frames
 * and everything else in a per-CPU array (no atomics needed: each CPU has its own slot). Two figures:
 *
 * - ns per packet: BPF_PROG_TEST_RUN runs the program `repeat` times on one frame and reports the
 *   average time of a run.
 * - packets per second over a veth pair: the program is attached (native XDP) to the end of a veth
 *   pair inside a new network namespace, and a burst of frames is pushed into the other end by a
 *   second XDP program run in live-frames mode (BPF_F_TEST_XDP_LIVE_FRAMES: the kernel's own packet
 *   generator; every run `bpf_redirect`s its frame out of the veth). The counter says how many arrived.
 *
 * Run: `sudo npx tsx examples/xdp-drop.ts [--duration 10s]` (one round per second until stopped;
 * without root it says what is missing). The namespace and veth are removed at the end.
 * @module
 */
import {
  asm, attachXdp, isBpfSyscallError, BPF_F_TEST_XDP_LIVE_FRAMES, createMap, createTestNetwork, loadProgram,
  R0, R1, R2, R3, u32, u64, verify,
} from '../src/index.js';
import type { Assembled, BpfMap, TestRunResult } from '../src/index.js';
import { isMain, kernelProcessed, runMain, runSignal, sleep } from './lib/run.js';
import type { ExampleOptions } from './lib/run.js';

/** Options of the xdp-drop example. */
export interface XdpDropOptions extends ExampleOptions {
  /** Test runs averaged for the ns-per-packet figure (default 1,000,000). */
  readonly repeat?: number;
  /** Frames in each burst through the veth pair (default 1,000,000). */
  readonly burst?: number;
  /** Rounds to run (default: one, or until stopped when a duration or signal is given). */
  readonly rounds?: number;
}

/** One round's figures. */
export interface XdpDropRound {
  /** Average ns per run of the drop program under BPF_PROG_TEST_RUN. */
  readonly nsPerPacket: number;
  /** Frames the generator sent into the veth. */
  readonly sent: number;
  /** Burst frames the drop program counted (and dropped) at the other end. */
  readonly dropped: number;
  /** `dropped` over the wall-clock time of the burst. */
  readonly pps: number;
  /** The generator's own average ns per frame (redirect, veth, drop), as the kernel timed it. */
  readonly generatorNsPerFrame: number;
}

/** What the example observed. */
export interface XdpDropReport {
  /** One entry per round. */
  readonly rounds: readonly XdpDropRound[];
  /** Non-IPv4 frames (the host's IPv6 chatter on the new link) the program also dropped. */
  readonly otherDropped: number;
  /** What the drop program returned under the test run (1 = XDP_DROP). */
  readonly retval: number;
  /** Whether the verifier model accepted both programs. */
  readonly modelAccepted: boolean;
  /** Instructions processed per program: by the verifier model, and by the kernel's verifier. */
  readonly processed: Readonly<Record<string, { model: number; kernel: number | undefined }>>;
}

const XDP_DROP = 1;
const ETH_P_IP_LE = 0x0008; // htons(0x0800) as a little-endian u16 load sees it
const IPV4 = 0; // `drops` slots
const OTHER = 1;

const dropsSpec = { type: 'percpu_array', keySize: 4, valueSize: 8, maxEntries: 2 } as const;

/** Drops every frame; counts it in `drops[IPV4]` or `drops[OTHER]` (this CPU's slot). */
export const dropAll: Assembled = asm.program([
  asm.mov64(R2, OTHER),
  asm.ldx('u32', R0, R1, 4), // data_end
  asm.ldx('u32', R1, R1, 0), // data
  asm.mov64(R3, R1),
  asm.add64(R3, 14),
  asm.jgt64(R3, R0, 'count'), // shorter than an Ethernet header: "other"
  asm.ldx('u16', R1, R1, 12),
  asm.jne64(R1, ETH_P_IP_LE, 'count'),
  asm.mov64(R2, IPV4),
  asm.label('count'),
  asm.mapLookup({ map: 'drops', key: R2 }),
  asm.ifNull(R0, 'drop'),
  asm.ldx('u64', R1, R0, 0),
  asm.add64(R1, 1), // per-CPU: a plain add, nobody else writes this slot
  asm.stx('u64', R0, 0, R1),
  asm.label('drop'),
  asm.ret(XDP_DROP),
]);

/** The generator: sends each frame it is run on out of interface `ifindex`. */
function redirectTo(ifindex: number): Assembled {
  return asm.program([asm.mov64(R1, ifindex), asm.mov64(R2, 0), asm.call('redirect'), asm.exit()]);
}

/** A 64-byte IPv4/UDP frame (broadcast MAC: XDP sees it before any address filtering). */
export function udpFrame(): Uint8Array {
  const f = new Uint8Array(64);
  f.set([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 1, 0x08, 0x00]);
  f.set([0x45, 0, 0, 50, 0, 0, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2], 14); // IPv4, UDP
  f.set([0x30, 0x39, 0, 9, 0, 30, 0, 0], 34); // UDP 12345 → 9 (discard)
  return f;
}

/** Sum of a per-CPU counter. */
function total(map: BpfMap<number, bigint[]>, slot: number): number {
  return Number((map.lookup(slot) ?? []).reduce((a, b) => a + b, 0n));
}

/** Measures the drop program under test run and over a veth pair, round after round. */
export async function run(opts: XdpDropOptions = {}): Promise<XdpDropReport> {
  const print = opts.print ?? console.log;
  const signal = runSignal(opts);
  const repeat = opts.repeat ?? 1_000_000;
  const burst = opts.burst ?? 1_000_000;
  const maxRounds = opts.rounds ?? (opts.durationMs === undefined && opts.signal === undefined ? 1 : Infinity);

  using drops = createMap({ ...dropsSpec, key: u32, value: u64 }); // per-CPU: values are arrays, one per CPU
  // logLevel 4: keep the kernel verifier's statistics, to compare with the model's.
  using drop = loadProgram({ type: 'xdp', instructions: dropAll, maps: { drops }, name: 'drop_all', logLevel: 4 });
  using net = createTestNetwork();
  const generator = redirectTo(net.veth.ifindex);
  using gen = loadProgram({ type: 'xdp', instructions: generator, name: 'xdp_gen', logLevel: 4 });
  const processed: Record<string, { model: number; kernel: number | undefined }> = {};
  let modelAccepted = true;
  for (const [name, prog, r] of [
    ['drop', drop, verify(dropAll.instructions, { type: 'xdp', maps: { drops: dropsSpec } })],
    ['generator', gen, verify(generator.instructions, { type: 'xdp' })],
  ] as const) {
    processed[name] = { model: r.processed, kernel: kernelProcessed(prog) };
    modelAccepted &&= r.ok;
    print(`${name}: verifier model ${r.ok ? `accepts (${r.processed} insns processed)` : `rejects: ${r.error?.message}`}, ` +
      `kernel accepts (${processed[name].kernel} insns processed)`);
  }
  using link = attachXdp(drop, { ifname: net.veth.peerName, namespace: net.ns, mode: 'native' });
  print(`drop program attached (native XDP) to ${net.veth.peerName} in namespace ${net.ns.name}; ` +
    `bursts go into ${net.veth.name} (link ${link.kind})`);

  const frame = udpFrame();
  const rounds: XdpDropRound[] = [];
  let retval = -1;
  while (rounds.length < maxRounds && !signal.aborted) {
    let tr: TestRunResult;
    let g: TestRunResult;
    let before: number;
    let t0: bigint;
    try {
      tr = drop.testRun({ data: frame, repeat });
      before = total(drops, IPV4);
      t0 = process.hrtime.bigint();
      g = gen.testRun({ data: frame, repeat: burst, flags: BPF_F_TEST_XDP_LIVE_FRAMES, dataSizeOut: 0 });
    } catch (e) {
      // Ctrl-C lands while the kernel runs the batch: the test run ends with EINTR before the
      // abort signal fires. Stop like the signal asks, with the summary.
      if (isBpfSyscallError(e) && e.code === 'EINTR') break;
      throw e;
    }
    retval = tr.retval;
    const elapsedNs = Number(process.hrtime.bigint() - t0);
    const dropped = total(drops, IPV4) - before;
    const pps = Math.round(dropped / (elapsedNs / 1e9));
    rounds.push({ nsPerPacket: tr.duration, sent: burst, dropped, pps, generatorNsPerFrame: g.duration });
    print(`test run: ${tr.duration} ns/packet (${repeat} runs) | veth: ${dropped}/${burst} frames dropped in ` +
      `${(elapsedNs / 1e6).toFixed(1)} ms = ${(pps / 1e6).toFixed(2)} Mpps (generator ${g.duration} ns/frame)`);
    if (rounds.length < maxRounds) await sleep(1000, signal);
  }
  const otherDropped = total(drops, OTHER);
  print(`also dropped ${otherDropped} non-IPv4 frames (IPv6 neighbour discovery and the like from the host)`);
  return { rounds, otherDropped, retval, modelAccepted, processed };
}

if (isMain(import.meta.url)) await runMain(run);
