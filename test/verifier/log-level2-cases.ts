/**
 * Programs whose level-2 verifier log the model renders and the running kernel prints, and the
 * helpers that load them on the kernel and compare the two logs (used by log-level2.test.ts).
 * @module
 */
import { asm, R0, R1, R2, R3, R4, R5, R6, R7, R10 } from '../../src/asm/dsl/index.js';
import type { ProgramItem } from '../../src/asm/dsl/index.js';
import { encode } from '../../src/asm/encoding.js';
import { closeRaw } from '../../src/loader/ffi.js';
import { progLoad } from '../../src/loader/prog-load.js';
import { progTypeNumber } from '../../src/loader/prog-names.js';
import { createMap } from '../../src/maps/create.js';
import type { Instruction } from '../../src/asm/instruction.js';
import fc from 'fast-check';
import { possibleCpus } from '../../src/loader/platform.js';
import { arbVerifierProgram } from '../../src/testing/index.js';
import { verify } from '../../src/verifier/verify.js';
import type { VerifierMapSpec } from '../../src/verifier/types.js';
import { createFuzzMaps, resolveMaps } from '../kernel/verifier-fuzz-runner.js';

/** The maps the cases name. */
export const LOG_MAPS = {
  hash: { type: 'hash', keySize: 4, valueSize: 16, maxEntries: 4 },
  array: { type: 'array', keySize: 4, valueSize: 48, maxEntries: 4 },
  rb: { type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 },
  progs: { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 },
} as const;

/** One program of the comparison. */
export interface LogCase {
  /** What the program exercises. */
  name: string;
  /** Program type name. */
  type: string;
  /** The program. */
  items: ProgramItem[];
}

const lookup = (map: string, key = 0): ProgramItem[] => [
  asm.st('u32', R10, -4, key), asm.mov64(R2, R10), asm.add64(R2, -4), asm.loadMap(R1, map), asm.call('map_lookup_elem'),
];

/** The programs compared line for line. */
export const LOG_CASES: LogCase[] = [
  { name: 'constants and an exit', type: 'socket_filter', items: [asm.mov64(R0, 0), asm.exit()] },
  {
    name: 'scalar arithmetic on an unknown value', type: 'socket_filter',
    items: [
      asm.call('get_prandom_u32'), asm.mov64(R1, R0), asm.and64(R1, 0xff), asm.add64(R1, 16), asm.lsh64(R1, 2),
      asm.mov32(R2, R0), asm.rsh32(R2, 28), asm.sub64(R1, R2), asm.xor64(R2, 3), asm.mov64(R0, R1), asm.exit(),
    ],
  },
  {
    name: 'signed ranges from comparisons', type: 'socket_filter',
    items: [
      asm.call('get_prandom_u32'), asm.mov64(R1, R0), asm.lsh64(R1, 32), asm.arsh64(R1, 32),
      asm.jsgt64(R1, 100, 'out'), asm.jslt64(R1, -100, 'out'), asm.mov64(R0, R1), asm.exit(),
      asm.label('out'), asm.mov64(R0, 0), asm.exit(),
    ],
  },
  {
    name: 'hash lookup with a null check', type: 'socket_filter',
    items: [
      ...lookup('hash'), asm.jeq64(R0, 0, 'out'), asm.ldx('u64', R1, R0, 8), asm.add64(R1, 1), asm.stx('u64', R0, 8, R1),
      asm.label('out'), asm.mov64(R0, 0), asm.exit(),
    ],
  },
  {
    name: 'array value indexed by a bounded scalar', type: 'socket_filter',
    items: [
      ...lookup('array', 1), asm.jeq64(R0, 0, 'out'), asm.mov64(R6, R0), asm.call('get_prandom_u32'), asm.and64(R0, 0x1f),
      asm.add64(R6, R0), asm.ldx('u8', R0, R6, 4), asm.exit(), asm.label('out'), asm.mov64(R0, 0), asm.exit(),
    ],
  },
  {
    name: 'packet bounds check', type: 'xdp',
    items: [
      asm.ldx('u32', R2, R1, 0), asm.ldx('u32', R3, R1, 4), asm.mov64(R4, R2), asm.add64(R4, 14),
      asm.jgt64(R4, R3, 'drop'), asm.ldx('u16', R0, R2, 12), asm.jne64(R0, 8, 'drop'), asm.mov64(R0, 2), asm.exit(),
      asm.label('drop'), asm.mov64(R0, 1), asm.exit(),
    ],
  },
  {
    name: 'packet pointer compared the other way', type: 'sched_cls',
    items: [
      asm.ldx('u32', R2, R1, 76), asm.ldx('u32', R3, R1, 80), asm.mov64(R4, R2), asm.add64(R4, 8),
      asm.jle64(R3, R4, 'out'), asm.ldx('u64', R0, R2, 0), asm.label('out'), asm.mov64(R0, 0), asm.exit(),
    ],
  },
  {
    name: 'stack spills and fills', type: 'kprobe',
    items: [
      asm.stx('u64', R10, -8, R1), asm.mov64(R2, 7), asm.stx('u64', R10, -16, R2), asm.st('u32', R10, -20, 0),
      asm.stx('u8', R10, -24, R2), asm.call('get_prandom_u32'), asm.stx('u64', R10, -32, R0),
      asm.ldx('u64', R3, R10, -16), asm.ldx('u64', R1, R10, -8), asm.ldx('u32', R4, R10, -20), asm.ldx('u64', R5, R10, -32),
      asm.mov64(R0, 0), asm.exit(),
    ],
  },
  {
    name: 'a bounded loop', type: 'socket_filter',
    items: [
      asm.mov64(R1, 0), asm.mov64(R0, 0), asm.label('loop'), asm.add64(R0, R1), asm.add64(R1, 1),
      asm.jlt64(R1, 4, 'loop'), asm.exit(),
    ],
  },
  {
    name: 'a BPF-to-BPF call', type: 'socket_filter',
    items: [
      asm.mov64(R1, 3), asm.stx('u64', R10, -8, R1), asm.mov64(R2, R10), asm.callSub('sub'), asm.add64(R0, 1), asm.exit(),
      asm.label('sub'), asm.ldx('u64', R0, R2, -8), asm.add64(R0, R1), asm.exit(),
    ],
  },
  {
    name: 'a branch decided by a constant', type: 'socket_filter',
    items: [
      asm.mov64(R1, 5), asm.jeq64(R1, 5, 'five'), asm.mov64(R0, 1), asm.exit(), asm.label('five'),
      asm.jgt32(R1, 9, 'out'), asm.mov64(R0, 2), asm.label('out'), asm.exit(),
    ],
  },
  {
    name: 'jmp32 on the low half', type: 'socket_filter',
    items: [
      asm.call('get_prandom_u32'), asm.mov64(R6, R0), asm.jgt32(R6, 10, 'big'), asm.mov64(R0, R6), asm.exit(),
      asm.label('big'), asm.jset64(R6, 4, 'bit'), asm.mov64(R0, 0), asm.exit(), asm.label('bit'), asm.mov64(R0, 1), asm.exit(),
    ],
  },
  {
    name: 'copies share an id', type: 'socket_filter',
    items: [
      asm.call('get_prandom_u32'), asm.mov64(R6, R0), asm.mov64(R7, R6), asm.jgt64(R6, 20, 'out'), asm.mov64(R0, R7),
      asm.exit(), asm.label('out'), asm.mov64(R0, 0), asm.exit(),
    ],
  },
  {
    name: 'a reject: map value read without a null check', type: 'socket_filter',
    items: [...lookup('hash'), asm.ldx('u64', R0, R0, 0), asm.exit()],
  },
  {
    name: 'a reject: out of bounds packet read', type: 'xdp',
    items: [
      asm.ldx('u32', R2, R1, 0), asm.ldx('u32', R3, R1, 4), asm.mov64(R4, R2), asm.add64(R4, 4),
      asm.jgt64(R4, R3, 'out'), asm.ldx('u64', R0, R2, 0), asm.label('out'), asm.mov64(R0, 2), asm.exit(),
    ],
  },
  {
    name: 'atomics on the stack', type: 'socket_filter',
    items: [
      asm.st('u64', R10, -8, 1), asm.mov64(R1, 2), asm.atomicAdd64(R10, -8, R1), asm.ldx('u64', R0, R10, -8), asm.exit(),
    ],
  },
  {
    name: 'LD_ABS and LD_IND', type: 'socket_filter',
    items: [asm.mov64(R6, R1), asm.ldAbs('u8', 23), asm.ldInd('u16', R0, 2), asm.exit()],
  },
  {
    name: 'stack read and write at a variable offset', type: 'socket_filter',
    items: [
      asm.st('u64', R10, -8, 0), asm.st('u64', R10, -16, 0), asm.call('get_prandom_u32'), asm.and64(R0, 7), asm.mov64(R1, R10),
      asm.add64(R1, -16), asm.add64(R1, R0), asm.ldx('u8', R2, R1, 0), asm.stx('u8', R1, 0, R2), asm.mov64(R0, 0), asm.exit(),
    ],
  },
  {
    name: 'a ringbuf reference: ids, refs=', type: 'socket_filter',
    items: [
      asm.loadMap(R1, 'rb'), asm.mov64(R2, 8), asm.mov64(R3, 0), asm.call('ringbuf_reserve'), asm.jeq64(R0, 0, 'out'),
      asm.st('u64', R0, 0, 1), asm.mov64(R1, R0), asm.mov64(R2, 0), asm.call('ringbuf_submit'), asm.label('out'),
      asm.mov64(R0, 0), asm.exit(),
    ],
  },
  {
    name: 'a tail call', type: 'socket_filter',
    items: [asm.loadMap(R2, 'progs'), asm.mov64(R3, 0), asm.call('tail_call'), asm.mov64(R0, 0), asm.exit()],
  },
  {
    name: 'narrow spills and a spilled frame pointer', type: 'socket_filter',
    items: [
      asm.call('get_prandom_u32'), asm.and64(R0, 0xff), asm.stx('u32', R10, -4, R0), asm.stx('u16', R10, -10, R0),
      asm.ldx('u32', R1, R10, -4), asm.ldx('u16', R2, R10, -10), asm.stx('u64', R10, -24, R10), asm.ldx('u64', R3, R10, -24),
      asm.mov64(R0, 0), asm.exit(),
    ],
  },
  {
    name: 'a subprogram writing its caller\'s stack', type: 'xdp',
    items: [
      asm.st('u64', R10, -8, 0), asm.mov64(R1, R10), asm.add64(R1, -8), asm.callSub('f'), asm.ldx('u64', R0, R10, -8), asm.exit(),
      asm.label('f'), asm.st('u64', R1, 0, 2), asm.mov64(R0, 0), asm.exit(),
    ],
  },
  {
    name: 'scalars linked by an added constant', type: 'socket_filter',
    items: [
      asm.call('get_prandom_u32'), asm.mov64(R1, R0), asm.add64(R1, 4), asm.jgt64(R0, 10, 'out'), asm.mov64(R0, R1), asm.exit(),
      asm.label('out'), asm.mov64(R0, 0), asm.exit(),
    ],
  },
  {
    name: 'a helper writing the stack', type: 'kprobe',
    items: [
      asm.mov64(R1, R10), asm.add64(R1, -16), asm.mov64(R2, 16), asm.mov64(R3, 0), asm.call('probe_read_kernel'),
      asm.ldx('u64', R0, R10, -16), asm.exit(),
    ],
  },
  {
    name: 'a reject: unreachable instruction (before the walk)', type: 'socket_filter',
    items: [asm.mov64(R0, 0), asm.exit(), asm.mov64(R0, 1), asm.exit()],
  },
  {
    name: 'a reject: infinite loop', type: 'socket_filter',
    items: [
      asm.call('get_prandom_u32'), asm.label('l'), asm.jeq64(R0, 0, 'l'), asm.mov64(R0, 0), asm.label('m'), asm.jeq64(R0, 0, 'm'),
      asm.exit(),
    ],
  },
];

/** The case's instructions with its map names resolved to fds. */
export function caseInstructions(c: LogCase): readonly Instruction[] {
  return asm.program(c.items, { source: false }).instructions;
}

/**
 * Loads every case on the kernel at `logLevel` (2 unless told) and returns each log (of the
 * accepted program or of the rejection). Maps are created for the run and closed after.
 */
export function kernelLogs(cases: readonly LogCase[], logLevel = 2): string[][] {
  const maps = Object.fromEntries(Object.entries(LOG_MAPS).map(([name, spec]) => [name, createMap({ ...spec, name: `l2_${name}` })]));
  try {
    return cases.map((c) => {
      const bytes = encode(caseInstructions(c).map((i) => (i.map === undefined ? i : { ...i, map: undefined, imm: maps[i.map]!.fd })));
      try {
        const { fd, log } = progLoad({ progType: progTypeNumber(c.type), insns: bytes, license: 'GPL', logLevel });
        closeRaw(fd);
        return [...(log ?? [])];
      } catch (e) {
        const log = (e as { log?: readonly string[] }).log;
        if (!log) throw e;
        return [...log];
      }
    });
  } finally {
    for (const m of Object.values(maps)) m.close();
  }
}

/** Lines of the kernel's level-2 log the model does not write (see log-level2.test.ts). */
const UNMODELLED = [
  /^mark_precise: /, // precision backtracking (mark_chain_precision)
  /^\([\d,]+\) (frame \d+ insn \d+ [+-]|live stack update)/, // stack liveness debug (liveness.c)
  /^SCC (enter|exit|backedge) /, // loop state bookkeeping (compute_scc callchains)
  /^frame \d+: propagating /, // precision carried to a state pruned against (propagate_precision)
];

// The `P` of a register marked precise: the model's states carry no precision marks.
const PRECISE = /=P(?=-?\d|scalar\()/g;

// A map's LD_IMM64 shows the map's kernel address; the model knows no address and shows the fd.
const LD_IMM64 = /^( *(?:\d+ +)?(\d+): (?:[.0-9]{10} )?\(18\) r\d+ = )(0x[0-9a-f]+)(?: +;(.*))?$/;

function normalizeAddress(line: string, isMapLoad: (slot: number) => boolean): string {
  const m = LD_IMM64.exec(line);
  if (!m || !isMapLoad(Number(m[2]))) return line;
  return `${m[1]!}<map>${m[4] === undefined ? '' : ` ;${m[4]}`}`;
}

/** The slots of a program's map-referencing LD_IMM64 instructions (source register not 0). */
export function mapLoadSlots(program: readonly Instruction[] | Uint8Array): Set<number> {
  const out = new Set<number>();
  if (program instanceof Uint8Array) {
    for (let i = 0; i * 8 < program.length; i++) if (program[i * 8] === 0x18 && program[i * 8 + 1]! >> 4 !== 0) out.add(i);
    return out;
  }
  let slot = 0;
  for (const insn of program) {
    if (insn.code === 0x18 && (insn.src !== 0 || insn.map !== undefined)) out.add(slot);
    slot += insn.code === 0x18 ? 2 : 1;
  }
  return out;
}

/** print_insn_state's alignment: the `;` column after an instruction line of `len` characters. */
function appendState(insnLine: string, state: string): string {
  const pos = insnLine.length + 1;
  const col = Math.ceil(Math.max(pos + 4, 40) / 8) * 8;
  return `${insnLine}${' '.repeat(col - pos - 1)};${state}`;
}

/**
 * The kernel's log without the lines the model does not write. Where such lines came between
 * an instruction and its state, the kernel printed the state on a line of its own (`11: R0=...`):
 * it is put back after the instruction, padded, as the kernel prints it when nothing intervenes.
 */
export function comparableKernelLog(log: readonly string[], mapLoads: ReadonlySet<number>): string[] {
  const out: string[] = [];
  let dropped = false;
  for (const line of log) {
    if (UNMODELLED.some((re) => re.test(line))) { dropped = true; continue; }
    const prev = out[out.length - 1];
    const state = /^\d+:((?: (?!\()(?!safe$).*)?)$/.exec(line);
    if (dropped && state && prev !== undefined && /^\d+: \(/.test(prev) && !prev.includes(';')) {
      out[out.length - 1] = appendState(prev, state[1]!);
    } else {
      out.push(line);
    }
    dropped = false;
  }
  return out.map((l) => normalizeAddress(l.replace(PRECISE, '='), (slot) => mapLoads.has(slot)));
}

/** The model's log in the same form (the map LD_IMM64 values normalized). */
export function comparableModelLog(log: readonly string[], mapLoads: ReadonlySet<number>): string[] {
  return log.map((l) => normalizeAddress(l, (slot) => mapLoads.has(slot)));
}

/** The outcome of comparing generated programs' level-2 logs. */
export interface GeneratedComparison {
  /** Programs compared (those the kernel gave a log for). */
  total: number;
  /** Programs whose logs are identical after the normalization above. */
  same: number;
  /** Programs whose kernel log holds more than the statistics line. */
  longer: number;
  /** For each differing program: its type and the first differing pair of lines. */
  diffs: string[];
}

/**
 * Compares the logs at `logLevel` (2 unless told) of `count` programs of the verifier fuzz
 * generator (seeded), loaded on the kernel with the fuzz maps, with the model's.
 */
export function compareGenerated(count: number, seed: number, logLevel = 2): GeneratedComparison {
  const maps = createFuzzMaps();
  try {
    // The kernel prints map names: give the model's specs the names the maps were created with.
    const named: Record<number, VerifierMapSpec> = {};
    for (const [name, fd] of Object.entries(maps.fds)) named[fd] = { ...maps.byFd[fd]!, name };
    for (const fd of Object.values(maps.progArrays)) named[fd] = { ...maps.byFd[fd]!, name: 'progs' };
    const out: GeneratedComparison = { total: 0, same: 0, longer: 0, diffs: [] };
    for (const p of fc.sample(arbVerifierProgram(), { seed, numRuns: count })) {
      const bytes = encode(resolveMaps(p.instructions, maps, p.type));
      let klog: readonly string[];
      try {
        const r = progLoad({ progType: progTypeNumber(p.type), insns: bytes, license: 'GPL', logLevel });
        closeRaw(r.fd);
        klog = r.log ?? [];
      } catch (e) {
        const log = (e as { log?: readonly string[] }).log;
        if (!log) continue;
        klog = log;
      }
      out.total++;
      const loads = mapLoadSlots(bytes);
      const want = comparableKernelLog(klog, loads);
      if (want.length > 1) out.longer++;
      const got = comparableModelLog(verify(bytes, { type: p.type, maps: named, logLevel, nrCpus: possibleCpus() }).log, loads);
      let j = 0;
      while (j < Math.max(want.length, got.length) && want[j] === got[j]) j++;
      if (j === Math.max(want.length, got.length)) out.same++;
      else out.diffs.push(`${p.type}: kernel ${want[j] ?? '(end)'} | model ${got[j] ?? '(end)'}`);
    }
    return out;
  } finally {
    maps.close();
  }
}
