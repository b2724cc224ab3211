/**
 * `npm start`: a short tour of ts-ebpf. Builds two programs with the typed DSL (a socket filter
 * that counts packets in a map, and an XDP program using the packet-bounds macro), assembles them
 * (labels resolved, map references collected) and prints their disassembly; where bpf() works
 * (Linux, root or CAP_BPF) it loads both and runs them in the kernel with BPF_PROG_TEST_RUN.
 * Last, what a mistake looks like.
 * @module
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { asm, disassemble, formatSource, isBadInputError, loadProgram, R0, R1, R2, R6, slotOffsets, verify } from '../src/index.js';
import type { Assembled } from '../src/index.js';
import { privilegeProblem } from './lib/run.js';

// The map the socket filter counts in: anything with a name (a MapSpec fits).
const counts = { name: 'counts', type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 };

/** Socket filter: counts every packet in `counts[0]` and lets it through whole. */
const socketFilter: Assembled = asm.program([
  asm.mov64(R6, R1), // keep the skb: R1-R5 are clobbered by calls
  asm.mapLookup({ map: counts, key: 0 }), // r0 = &counts[0] or NULL
  asm.ifNull(R0, 'out'),
  asm.mov64(R1, 1),
  asm.atomicAdd64(R0, 0, R1), // lock *(u64 *)(r0 + 0) += r1
  asm.label('out'),
  asm.ldx('u32', R0, R6, 0), // r0 = skb->len: keep the whole packet
  asm.exit(),
]);

const XDP_PASS = 2;
const XDP_DROP = 1;
const ETH_P_IPV6_BE = 0xdd86; // htons(0x86dd) as the little-endian u16 load sees it

/** XDP: drops IPv6 frames, counting them in `ipv6_drops[0]`; passes everything else. */
const xdp: Assembled = asm.program([
  asm.packetBounds({ ctx: 'xdp', length: 14, orElse: 'pass' }), // r2 = data, r3 = data_end
  asm.ldx('u16', R1, R2, 12), // ethertype
  asm.jne64(R1, ETH_P_IPV6_BE, 'pass'),
  asm.mapLookup({ map: 'ipv6_drops', key: 0 }),
  asm.ifNull(R0, 'drop'),
  asm.mov64(R1, 1),
  asm.atomicAdd64(R0, 0, R1),
  asm.label('drop'),
  asm.ret(XDP_DROP),
  asm.label('pass'),
  asm.ret(XDP_PASS),
]);

for (const [title, prog] of [['socket filter', socketFilter], ['xdp', xdp]] as const) {
  const total = slotOffsets(prog.instructions).at(-1);
  console.log(`\n== ${title}: ${prog.instructions.length} instructions, ${total} slots, maps: ${prog.mapNames.join(', ')}`);
  console.log(disassemble(prog.instructions));
}

// The verifier model (pure TypeScript, any OS): the same answer the kernel gives, before loading.
console.log('\n== the verifier model');
{
  const mapSpecs = {
    counts: { type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 },
    ipv6_drops: { type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 },
  };
  for (const [title, type, prog] of [['socket filter', 'socket_filter', socketFilter], ['xdp', 'xdp', xdp]] as const) {
    const r = verify(prog.instructions, { type, maps: mapSpecs });
    console.log(`${title}: ${r.ok ? `accepted, ${r.processed} instructions processed` : `rejected: ${r.error?.message}`}`);
  }
  // One byte too far: the bounds check covers 14 bytes, the load reads bytes 13 and 14.
  const tooFar = asm.program([
    asm.packetBounds({ ctx: 'xdp', length: 14, orElse: 'pass' }),
    asm.ldx('u16', R1, R2, 13),
    asm.label('pass'),
    asm.ret(XDP_PASS),
  ]);
  const r = verify(tooFar.instructions, { type: 'xdp' });
  const src = r.error?.source;
  console.log(`reading past the check: ${r.ok ? 'accepted?!' : `rejected at insn ${r.error?.insn}: ${r.error?.message}`}` +
    (src ? `\n  at ${path.relative(process.cwd(), src.file)}:${src.line}` : ''));
}

// In the kernel: load both programs and run them on test packets. The loader is imported only here,
// so the part above runs anywhere.
console.log('\n== in the kernel');
try {
  {
    using filter = loadProgram({ type: 'socket_filter', instructions: socketFilter });
    const runs = [60, 1000, 1500].map((n) => filter.testRun({ data: new Uint8Array(n) }).retval);
    console.log(`socket filter (prog id ${filter.id}) returned skb->len ${runs.join(', ')} for 60-, 1000- and 1500-byte frames (the Ethernet header is pulled)`);
  }
  {
    using prog = loadProgram({
      type: 'xdp', instructions: xdp,
      maps: { ipv6_drops: { type: 'array', keySize: 4, valueSize: 8, maxEntries: 1 } },
    });
    const frame = (etherType: number): Uint8Array => {
      const f = new Uint8Array(60);
      f[12] = etherType >> 8;
      f[13] = etherType & 0xff;
      return f;
    };
    const verdict = (r: number): string => (r === XDP_DROP ? 'XDP_DROP' : r === XDP_PASS ? 'XDP_PASS' : String(r));
    console.log(`xdp (prog id ${prog.id}): IPv6 frame → ${verdict(prog.testRun({ data: frame(0x86dd) }).retval)}, ` +
      `IPv4 frame → ${verdict(prog.testRun({ data: frame(0x0800) }).retval)}`);
  }
} catch (e) {
  console.log(`skipped: ${e instanceof Error ? e.message : String(e)}`);
}

// The examples, briefly: each is a file of its own in examples/ (run one with `npx tsx examples/<name>.ts`).
console.log('\n== the examples, briefly');
const problem = privilegeProblem();
if (problem) {
  console.log(`skipped: ${problem}`);
} else {
  const indent = (line: string): void => console.log(`   ${line.replaceAll('\n', '\n   ')}`);
  // The tracing examples watch execve(): give them a few to see, once they are attached.
  const execSome = (): void => {
    for (let i = 1; i <= 3; i++) setTimeout(() => spawn('/bin/true', { stdio: 'ignore' }), 150 * i);
  };
  const examples: [string, () => Promise<unknown>][] = [
    ['hello: "Hello World!" from bpf_trace_printk on every execve, for a second', async () => (await import('./hello.js')).run({ print: indent, durationMs: 1000, onReady: execSome })],
    ['hello --kprobe: why a kprobe cannot attach on this kernel', async () => (await import('./hello.js')).run({ print: indent, kprobe: true })],
    ['hello-map: execve() count per uid in a hash map', async () => (await import('./hello-map.js')).run({ print: indent, durationMs: 1500, onReady: execSome })],
    ['syscount: syscalls by name for a second (raw_tracepoint sys_enter, per-CPU array)', async () => (await import('./syscount.js')).run({ print: indent, durationMs: 1000, top: 8 })],
    ['execsnoop: exec events over a ring buffer for a second', async () => (await import('./execsnoop.js')).run({ print: indent, durationMs: 1000, onReady: execSome })],
    ['uprobe: getppid() calls, returns and latency in a child process', async () => (await import('./uprobe.js')).run({ print: indent, calls: 10 })],
    ['tail-calls: a prog_array dispatcher under test run', async () => (await import('./tail-calls.js')).run({ print: indent })],
    ['sockfilter: udp dst port 9000 on a packet socket', async () => (await import('./sockfilter.js')).run({ print: indent })],
    ['xdp-firewall: an LPM-trie deny list on a veth in a namespace', async () => (await import('./xdp-firewall.js')).run({ print: indent, count: 2 })],
    ['xdp-drop: drop everything, ns/packet and packets/s', async () => (await import('./xdp-drop.js')).run({ print: indent, rounds: 1, burst: 200_000, repeat: 200_000 })],
  ];
  for (const [title, run] of examples) {
    console.log(`\n-- ${title}`);
    try {
      await run();
    } catch (e) {
      console.log(`   failed: ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
    }
  }
}

// Mistakes are caught where they are written, with the line that wrote them.
console.log('\n== a mistake');
try {
  asm.program([asm.call('map_lookup'), asm.exit()]);
} catch (e) {
  if (!isBadInputError(e)) throw e;
  console.log(`${e.name}: ${e.problem}\n  at ${formatSource(e.source && { ...e.source, file: path.relative(process.cwd(), e.source.file) })}`);
}
