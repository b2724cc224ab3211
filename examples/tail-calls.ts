/**
 * Tail calls: an XDP entry program reads the IP protocol of a frame and tail-calls the handler for
 * it out of a `prog_array` (slot = protocol number: 1 ICMP, 6 TCP, 17 UDP). Each handler counts
 * itself in a shared `runs` map and returns its own verdict; when the slot is empty the tail call
 * falls through and the entry counts a "fall-through" and passes the frame. Everything runs under
 * BPF_PROG_TEST_RUN on crafted frames, so nothing is attached anywhere. Last, the TCP slot is
 * emptied and the TCP frame falls through too.
 *
 * Run: `sudo npx tsx examples/tail-calls.ts`
 * @module
 */
import { asm, createMap, loadProgram, R0, R1, R2, R3, R6, R7, u32, u64, verify } from '../src/index.js';
import type { Assembled, BpfMap, Program } from '../src/index.js';
import { isMain, kernelProcessed, runMain } from './lib/run.js';
import type { ExampleOptions } from './lib/run.js';

/** Options of the tail-calls example (it runs once: no duration). */
export type TailCallsOptions = ExampleOptions;

/** One crafted frame and what the dispatcher did with it. */
export interface TailCallRun {
  /** Which frame: `icmp`, `tcp`, `udp`, `sctp` (no handler), `tcp` again after its slot was emptied. */
  readonly frame: string;
  /** The program that ran last: a handler's name, or `fall-through` (the entry's own code after the call). */
  readonly ranBy: string;
  /** What the test run returned. */
  readonly verdict: string;
}

/** What the example observed. */
export interface TailCallsReport {
  /** One entry per test run, in order. */
  readonly runs: readonly TailCallRun[];
  /** The `runs` map at the end: handler or `fall-through` → times counted. */
  readonly counts: Readonly<Record<string, number>>;
  /** Whether the verifier model accepted every program (the kernel did: they loaded). */
  readonly modelAccepted: boolean;
  /** Instructions processed per program: by the verifier model, and by the kernel's verifier. */
  readonly processed: Readonly<Record<string, { model: number; kernel: number | undefined }>>;
}

const XDP_VERDICTS = ['XDP_ABORTED', 'XDP_DROP', 'XDP_PASS', 'XDP_TX', 'XDP_REDIRECT'];
const XDP_DROP = 1;
const XDP_PASS = 2;
const XDP_TX = 3;
const ETH_P_IP_LE = 0x0008; // htons(0x0800) as a little-endian u16 load sees it
const FALL_THROUGH = 0; // `runs` slot of the entry's fall-through (protocol 0 has no handler)

const mapSpecs = {
  /** Slot = IP protocol number → handler program. */
  jump_table: { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 256 },
  /** Slot = protocol number (0: fall-through) → times run. */
  runs: { type: 'array', keySize: 4, valueSize: 8, maxEntries: 256 },
} as const;

/** Adds one to `runs[slot]`. Clobbers R0-R5. */
const countIn = (slot: number) => [
  asm.mapLookup({ map: 'runs', key: slot }),
  asm.ifNull(R0, `skip${slot}`),
  asm.mov64(R1, 1),
  asm.atomicAdd64(R0, 0, R1),
  asm.label(`skip${slot}`),
];

/** The entry: protocol → tail call into `jump_table[protocol]`; only an empty slot comes back. */
export const entry: Assembled = asm.program([
  asm.mov64(R6, R1), // the context, for the tail call
  asm.packetBounds({ ctx: 'xdp', length: 14 + 20, orElse: 'pass' }), // Ethernet + IPv4 header
  asm.ldx('u16', R1, R2, 12),
  asm.jne64(R1, ETH_P_IP_LE, 'pass'),
  asm.ldx('u8', R7, R2, 14 + 9), // IPv4 protocol
  asm.mov64(R1, R6),
  asm.loadMap(R2, 'jump_table'),
  asm.mov64(R3, R7),
  asm.call('tail_call'), // does not return when jump_table[protocol] holds a program
  ...countIn(FALL_THROUGH),
  asm.label('pass'),
  asm.ret(XDP_PASS),
]);

/** A handler: counts itself under its protocol number and returns its verdict. */
function handler(protocol: number, verdict: number): Assembled {
  return asm.program([...countIn(protocol), asm.ret(verdict)]);
}

const HANDLERS = [
  { name: 'icmp', protocol: 1, verdict: XDP_DROP },
  { name: 'tcp', protocol: 6, verdict: XDP_PASS },
  { name: 'udp', protocol: 17, verdict: XDP_TX },
] as const;

/** An Ethernet + IPv4 frame (60 bytes) whose IPv4 protocol field is `protocol`. */
export function ipv4Frame(protocol: number): Uint8Array {
  const f = new Uint8Array(60);
  f.set([0x08, 0x00], 12); // ethertype IPv4
  f.set([0x45, 0, 0, 46], 14); // version 4, IHL 5, total length
  f[14 + 8] = 64; // TTL
  f[14 + 9] = protocol;
  f.set([10, 0, 0, 1, 10, 0, 0, 2], 14 + 12); // source, destination
  return f;
}

/** Runs the dispatcher on crafted frames and reports which program handled each. */
export async function run(opts: TailCallsOptions = {}): Promise<TailCallsReport> {
  const print = opts.print ?? console.log;

  // The verifier model first (pure TypeScript): the entry and every handler.
  const programs = [['entry', entry], ...HANDLERS.map((h) => [h.name, handler(h.protocol, h.verdict)] as const)] as const;
  const model = new Map(programs.map(([name, prog]) => [name, verify(prog.instructions, { type: 'xdp', maps: mapSpecs })]));
  const processed: Record<string, { model: number; kernel: number | undefined }> = {};

  using jumpTable = createMap(mapSpecs.jump_table);
  using runs = createMap({ ...mapSpecs.runs, key: u32, value: u64 });
  const maps = { jump_table: jumpTable, runs };
  const loaded: Program[] = [];
  try {
    // logLevel 4: keep the kernel verifier's statistics, to compare with the model's.
    const dispatcher = loadProgram({ type: 'xdp', instructions: entry, maps, name: 'dispatch', logLevel: 4 });
    loaded.push(dispatcher);
    for (const h of HANDLERS) {
      const p = loadProgram({ type: 'xdp', instructions: handler(h.protocol, h.verdict), maps, name: `handle_${h.name}`, logLevel: 4 });
      loaded.push(p);
      jumpTable.update(h.protocol, p); // the slot holds the program: the map keeps it alive
    }
    loaded.forEach((p, i) => {
      const name = programs[i]![0];
      const r = model.get(name)!;
      processed[name] = { model: r.processed, kernel: kernelProcessed(p) };
      print(`${name}: verifier model ${r.ok ? `accepts (${r.processed} insns processed)` : `rejects: ${r.error?.message}`}, ` +
        `kernel accepts (${processed[name].kernel} insns processed)`);
    });

    const names = new Map<number, string>([[FALL_THROUGH, 'fall-through'], ...HANDLERS.map((h) => [h.protocol, h.name] as const)]);
    const result: TailCallRun[] = [];
    const send = (frame: string, protocol: number): void => {
      const before = snapshot(runs);
      const { retval } = dispatcher.testRun({ data: ipv4Frame(protocol) });
      const after = snapshot(runs);
      const ran = [...after.keys()].filter((k) => after.get(k) !== before.get(k));
      const ranBy = ran.map((k) => names.get(k) ?? `slot ${k}`).join('+') || 'nothing counted';
      const verdict = XDP_VERDICTS[retval] ?? String(retval);
      result.push({ frame, ranBy, verdict });
      print(`${frame.padEnd(22)} protocol ${String(protocol).padStart(3)} → ran ${ranBy.padEnd(12)} ${verdict}`);
    };

    send('icmp', 1);
    send('tcp', 6);
    send('udp', 17);
    send('sctp (no handler)', 132);
    jumpTable.delete(6);
    print('emptied jump_table[6] (tcp)');
    send('tcp (slot emptied)', 6);

    const counts: Record<string, number> = {};
    for (const [k, v] of snapshot(runs)) counts[names.get(k) ?? `slot ${k}`] = v;
    print(`runs: ${Object.entries(counts).map(([k, v]) => `${k}=${v}`).join(' ')}`);
    return { runs: result, counts, modelAccepted: [...model.values()].every((r) => r.ok), processed };
  } finally {
    for (const p of loaded) p.close();
  }
}

/** The non-zero slots of `runs`. */
function snapshot(runs: BpfMap<number, bigint>): Map<number, number> {
  const out = new Map<number, number>();
  for (const [k, v] of runs.entries()) if (v !== 0n) out.set(k, Number(v));
  return out;
}

if (isMain(import.meta.url)) await runMain(run);
