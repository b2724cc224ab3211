/**
 * The building blocks of {@link arbVerifierProgram}: fast-check arbitraries of program fragments
 * (a map lookup, a packet bounds check, a stack spill and fill, a loop, a helper call, an ALU
 * sequence, a context access), each a plain description plus the instructions it stands for.
 * Every fragment has right and wrong variants (a null check or none, a bounds check or one off by
 * one...), so a generated program is accepted or rejected for many different reasons.
 *
 * Register conventions: the program prologue saves the context in R6, which fragments only read;
 * they may clobber R0-R5 and R7-R9 and the stack.
 * @module
 */
import fc from 'fast-check';
import type { Instruction } from '../asm/instruction.js';
import { asm, R0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 } from '../asm/dsl/index.js';
import type { MemSize, ProgramItem, WritableRegister } from '../asm/dsl/index.js';

/** The program types in the verifier model's v1 scope, which generated programs are loaded as. */
export const verifierFuzzProgramTypes = [
  'socket_filter', 'xdp', 'sched_cls', 'cgroup_skb', 'tracepoint', 'raw_tracepoint', 'kprobe', 'perf_event',
] as const;

/** One of {@link verifierFuzzProgramTypes}. */
export type VerifierFuzzProgramType = typeof verifierFuzzProgramTypes[number];

/** What a fragment is built for: the program type, and a label maker unique to the fragment. */
export interface FragmentContext {
  /** The program type being generated. */
  readonly type: VerifierFuzzProgramType;
  /** Turns a local label name into one no other fragment of the program uses. */
  readonly label: (name: string) => string;
}

/**
 * A piece of a generated program: enumerable fields describing it (what fast-check prints for
 * a counterexample), and a non-enumerable `build` producing its instructions and labels. Write
 * your own with {@link defineFragment} and pass them to `arbVerifierProgram({ extra })`.
 */
export interface VerifierFragment {
  /** What kind of fragment this is, e.g. `map`, `packet`, `loop`. */
  readonly kind: string;
  /** The fragment's instructions and labels (labels made unique with `ctx.label`). */
  readonly build: (ctx: FragmentContext) => ProgramItem[];
  /** Code placed after the main program's exit (subprograms the fragment calls), when any. */
  readonly tail?: (ctx: FragmentContext) => ProgramItem[];
}

/**
 * Makes a {@link VerifierFragment} from a description, a builder and optionally a tail builder
 * (subprograms); they are attached as non-enumerable properties so that printed counterexamples
 * show only the description.
 */
export function defineFragment<T extends { readonly kind: string }>(data: T,
  build: (ctx: FragmentContext) => ProgramItem[], tail?: (ctx: FragmentContext) => ProgramItem[]): T & VerifierFragment {
  const f = Object.defineProperty({ ...data }, 'build', { value: build, enumerable: false });
  if (tail) Object.defineProperty(f, 'tail', { value: tail, enumerable: false });
  return f as T & VerifierFragment;
}

/**
 * The maps generated programs name (by these names): four with 4-byte keys and 16-byte values,
 * a ring buffer and a program array (for tail calls).
 */
export const verifierFuzzMaps = {
  hash: { type: 'hash', keySize: 4, valueSize: 16, maxEntries: 8 },
  array: { type: 'array', keySize: 4, valueSize: 16, maxEntries: 4 },
  array_ro: { type: 'array', keySize: 4, valueSize: 16, maxEntries: 4, flags: 0x80 },
  percpu: { type: 'percpu_array', keySize: 4, valueSize: 16, maxEntries: 4 },
  ringbuf: { type: 'ringbuf', keySize: 0, valueSize: 0, maxEntries: 4096 },
  progs: { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 4 },
} as const;

/** A name in {@link verifierFuzzMaps}. */
export type MapName = keyof typeof verifierFuzzMaps;
const VALUE_SIZE = 16;
/** Access sizes in bytes to DSL size names. */
export const MEM: Readonly<Record<number, MemSize>> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };
/** An access size. */
export const size = fc.constantFrom(1, 2, 4, 8);
/** A map of {@link verifierFuzzMaps}, the read-only one least often. */
export const mapName = fc.constantFrom<MapName>('hash', 'array', 'hash', 'array', 'percpu', 'array_ro');
/** A raw instruction. */
export const I = (code: number, dst: number, src = 0, off = 0, imm = 0): Instruction => ({ code, dst, src, off, imm });

/** `r = bpf_get_prandom_u32()`: an unknown scalar in [0, 2^32). */
export const random = (r: WritableRegister): ProgramItem[] => [asm.call('get_prandom_u32'), asm.mov64(r, R0)];

/** Packet pointer offsets in the context: `struct xdp_md` or `struct __sk_buff`. */
export const PACKET_LAYOUT = { xdp: [0, 4], skb: [76, 80] } as const;
/** The program types with direct packet access. */
const PACKET_TYPES: ReadonlySet<string> = new Set(['xdp', 'sched_cls', 'cgroup_skb']);

const SKB_FIELDS: readonly (readonly [number, number])[] = [[0, 4], [4, 4], [8, 4], [16, 4], [24, 4], [36, 4], [40, 4], [48, 4], [68, 4], [76, 4], [80, 4]];
/** Readable context fields `[offset, size]` of each program type (some only for some sizes or types). */
export const CTX_FIELDS: Readonly<Record<VerifierFuzzProgramType, readonly (readonly [number, number])[]>> = {
  socket_filter: SKB_FIELDS, sched_cls: SKB_FIELDS, cgroup_skb: SKB_FIELDS,
  xdp: [[0, 4], [4, 4], [8, 4], [12, 4], [16, 4], [20, 4]],
  tracepoint: [[0, 8], [8, 8], [16, 4], [24, 8], [8, 4]],
  raw_tracepoint: [[0, 8], [8, 8], [16, 8]],
  kprobe: [[0, 8], [8, 8], [16, 8], [80, 8], [112, 8], [128, 8]],
  perf_event: [[0, 8], [8, 8], [168, 8], [176, 8]],
};

// ---- map lookups -------------------------------------------------------------------------------

/** Map lookups: the key stored or not, the result null-checked rightly, through a copy, the wrong way, too late or not at all, then read or written at an offset in or past the 16-byte value, with or without a variable index. */
export const arbMapFragment: fc.Arbitrary<VerifierFragment> = fc.record({
  kind: fc.constant('map' as const),
  map: mapName,
  /** The key: stored as an immediate, or not stored at all (an uninitialized read). */
  key: fc.constantFrom('imm', 'imm', 'imm', 'uninit'),
  keyValue: fc.integer({ min: 0, max: 5 }),
  /** `null`: the right check; `copy`: checked through a copy; `inverted`: the wrong branch; `late`: after the access. */
  check: fc.constantFrom('null', 'null', 'null', 'null', 'null', 'null', 'copy', 'none', 'inverted', 'late'),
  access: fc.constantFrom('read', 'read', 'write', 'store_imm', 'atomic_add'),
  size,
  /** The offset: `in` the value (slot-th multiple of the size that fits), at its `edge`, one `past` it, or `any`. */
  offMode: fc.constantFrom('in', 'in', 'in', 'edge', 'past', 'any'),
  slot: fc.nat({ max: 15 }),
  anyOff: fc.integer({ min: -2, max: VALUE_SIZE }),
  /** A variable index added to the value pointer: none, masked, compared, or unchecked. */
  index: fc.constantFrom('none', 'none', 'none', 'mask', 'mask', 'compare', 'compare', 'unchecked'),
  bound: fc.constantFrom(3, 7, 8, 15),
}).map((f) => defineFragment(f, (ctx) => {
  const end = ctx.label('end');
  const sz = MEM[f.size]!;
  const room = VALUE_SIZE - f.size;
  // With an index, `in` leaves room for its largest value.
  const roomIn = Math.max(0, room - (f.index === 'none' || f.index === 'unchecked' ? 0 : f.bound));
  const off = f.offMode === 'in' ? (f.slot % (Math.floor(roomIn / f.size) + 1)) * f.size
    : f.offMode === 'edge' ? room : f.offMode === 'past' ? room + 1 : f.anyOff;
  const pre: ProgramItem[] = [];
  if (f.index !== 'none') {
    pre.push(random(R7));
    if (f.index === 'mask') pre.push(asm.and64(R7, f.bound));
    if (f.index === 'compare') pre.push(asm.jgt64(R7, f.bound, end));
  }
  const access: ProgramItem[] = f.access === 'read' ? [asm.ldx(sz, R1, R0, off)]
    : f.access === 'write' ? [asm.mov64(R1, 7), asm.stx(sz, R0, off, R1)]
      : f.access === 'store_imm' ? [asm.st(sz, R0, off, 1)]
        : [asm.mov64(R1, 1), f.size === 8 ? asm.atomicAdd64(R0, off, R1) : asm.atomicAdd32(R0, off, R1)];
  const useIndex = f.index === 'none' ? [] : [asm.add64(R0, R7)];
  const body = f.check === 'late' ? [...useIndex, ...access, asm.jeq64(R0, 0, end)]
    : f.check === 'null' ? [asm.jeq64(R0, 0, end), ...useIndex, ...access]
      : f.check === 'copy' ? [asm.mov64(R2, R0), asm.jeq64(R2, 0, end), ...useIndex, ...access]
        : f.check === 'inverted' ? [asm.jne64(R0, 0, end), ...useIndex, ...access]
          : [...useIndex, ...access];
  return [
    ...pre,
    f.key === 'imm' ? asm.st('u32', R10, -4, f.keyValue) : [],
    asm.mov64(R2, R10), asm.add64(R2, -4), asm.loadMap(R1, f.map), asm.call('map_lookup_elem'),
    ...body,
    asm.label(end), asm.mov64(R0, 0),
  ];
}));

// ---- packet bounds -----------------------------------------------------------------------------

/** Direct packet access after a bounds check that is right, stricter, backwards or missing, at an offset that fits or is off by one; read or write. In program types without packet pointers the context loads themselves are what the verifier judges. */
export const arbPacketFragment: fc.Arbitrary<VerifierFragment> = fc.record({
  kind: fc.constant('packet' as const),
  len: fc.integer({ min: 1, max: 40 }),
  /** `gt`, `ge`, `lt_rev`: right checks; `wrong`: the branch the wrong way round; `none`: no check. */
  cmp: fc.constantFrom('gt', 'gt', 'ge', 'lt_rev', 'wrong', 'none', 'jmp32', 'eq'),
  /** Check `data_meta + len <= data` and access the metadata instead (XDP and tc have it). */
  meta: fc.constantFrom(false, false, false, false, true),
  size,
  /** Where the access ends relative to the checked length: 0 is the last byte, 1 is off by one. */
  slack: fc.constantFrom(0, 0, 0, 0, 0, 1, 1, -1, -4),
  write: fc.boolean(),
  /** Only in program types with packet pointers (else the fragment is empty); `false`: in any type. */
  fit: fc.constantFrom(true, true, true, false),
}).map((f) => defineFragment(f, (ctx) => {
  if (f.fit && !PACKET_TYPES.has(ctx.type)) return [];
  const [pktData, pktEnd] = PACKET_LAYOUT[ctx.type === 'xdp' ? 'xdp' : 'skb'];
  // data_meta sits at 8 in xdp_md and 140 in __sk_buff; it is bounded by data.
  const [data, dataEnd] = f.meta ? [ctx.type === 'xdp' ? 8 : 140, pktData] : [pktData, pktEnd];
  const end = ctx.label('end');
  const off = f.len - f.size + f.slack;
  const sz = MEM[f.size]!;
  const check = f.cmp === 'gt' ? [asm.jgt64(R4, R3, end)] : f.cmp === 'ge' ? [asm.jge64(R4, R3, end)]
    : f.cmp === 'lt_rev' ? [asm.jlt64(R3, R4, end)] : f.cmp === 'wrong' ? [asm.jlt64(R4, R3, end)]
      : f.cmp === 'jmp32' ? [asm.jgt32(R4, R3, end)] : f.cmp === 'eq' ? [asm.jne64(R4, R3, end)] : [];
  return [
    asm.ldx('u32', R2, R6, data), asm.ldx('u32', R3, R6, dataEnd), asm.mov64(R4, R2), asm.add64(R4, f.len),
    ...check,
    f.write ? asm.st(sz, R2, off, 0) : asm.ldx(sz, R5, R2, off),
    asm.label(end),
  ];
}));

// ---- stack spills and fills --------------------------------------------------------------------

/** Stack spills and fills: a constant, unknown scalar, context or frame pointer stored at an aligned or misaligned slot, read back whole, partly or from an unwritten slot, then maybe used as a pointer. */
export const arbStackFragment: fc.Arbitrary<VerifierFragment> = fc.record({
  kind: fc.constant('stack' as const),
  /** What is spilled: a constant, an unknown scalar, the context pointer, the frame pointer. */
  value: fc.constantFrom('const', 'scalar', 'ctx', 'ctx', 'fp'),
  useSt: fc.boolean(),
  storeSize: fc.constantFrom(8, 8, 8, 8, 8, 8, 4, 2, 1),
  slot: fc.integer({ min: 1, max: 64 }),
  /** Misaligns the store and load by this many bytes. */
  skew: fc.oneof({ arbitrary: fc.constant(0), weight: 12 }, { arbitrary: fc.constantFrom(1, 4, -4, 8), weight: 1 }),
  /** The fill's size: 0 is the spill's own. */
  loadSize: fc.constantFrom(0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 4, 8),
  /** Where the fill reads relative to the spill: the same place, next to it, an unwritten slot. */
  loadAt: fc.oneof({ arbitrary: fc.constant(0), weight: 6 }, { arbitrary: fc.constantFrom(4, -8, 8), weight: 1 }),
  /** `deref`: read through the filled value as a pointer; `arith`: add to it; `none`. */
  use: fc.constantFrom('none', 'none', 'none', 'deref', 'arith'),
  imm: fc.constantFrom(0, 1, -1, 0x7fffffff),
  /** Between spill and fill, overwrite `clobberSize` bytes at this offset into the slot (-1: don't). */
  clobberAt: fc.oneof({ arbitrary: fc.constant(-1), weight: 5 }, { arbitrary: fc.constantFrom(0, 2, 4, 7), weight: 1 }),
  clobberSize: fc.constantFrom(1, 2, 4),
  clobberZero: fc.boolean(),
}).map((f) => defineFragment(f, (ctx) => {
  const off = -8 * f.slot + f.skew;
  const sz = MEM[f.storeSize]!;
  const value: ProgramItem[] = f.value === 'const' ? [asm.mov64(R7, f.imm)] : f.value === 'scalar' ? random(R7)
    : f.value === 'ctx' ? [asm.mov64(R7, R6)] : [asm.mov64(R7, R10)];
  const store = f.useSt && f.value === 'const' ? asm.st(sz, R10, off, f.imm) : asm.stx(sz, R10, off, R7);
  const [fieldOff, fieldSize] = CTX_FIELDS[ctx.type][0]!;
  const use = f.use === 'deref' ? [asm.ldx(MEM[fieldSize]!, R9, R8, fieldOff)] : f.use === 'arith' ? [asm.add64(R8, 1)] : [];
  const clobberOff = off + f.clobberAt - (f.clobberAt % f.clobberSize);
  const clobber = f.clobberAt < 0 ? [] : [asm.st(MEM[f.clobberSize]!, R10, clobberOff, f.clobberZero ? 0 : 0x41)];
  return [...value, store, ...clobber, asm.ldx(MEM[f.loadSize || f.storeSize]!, R8, R10, off + f.loadAt), ...use];
}));

// ---- context access ----------------------------------------------------------------------------

const CTX_OFFSETS = [0, 4, 8, 12, 16, 24, 32, 36, 40, 48, 56, 64, 76, 80, 88, 100, 104, 112, 128, 140, 144, 160, 168, 176];

/**
 * Context accesses: mostly reads of a field of the program type's context at its size, else
 * reads and writes at offsets that are fields in some program types and not in others, with
 * right and wrong sizes.
 */
export const arbCtxFragment: fc.Arbitrary<VerifierFragment> = fc.record({
  kind: fc.constant('ctx' as const),
  /**
   * `field`: the field-th readable field of the type; `narrow`: a smaller load inside it (maybe
   * sign-extending); `field_write`: a store to it; `any`: `off` and `size` as they are.
   */
  mode: fc.constantFrom('field', 'field', 'field', 'narrow', 'field_write', 'any', 'any'),
  field: fc.nat({ max: 10 }),
  off: fc.oneof({ arbitrary: fc.constantFrom(...CTX_OFFSETS), weight: 3 },
    { arbitrary: fc.integer({ min: -16, max: 200 }), weight: 1 }, { arbitrary: fc.integer({ min: -0x8000, max: 0x7fff }), weight: 1 }),
  size: fc.constantFrom(1, 2, 4, 4, 8, 8),
  /** For `narrow`: the byte inside the field. */
  within: fc.nat({ max: 7 }),
  signed: fc.boolean(),
  write: fc.constantFrom('none', 'none', 'none', 'st', 'stx'),
}).map((f) => defineFragment(f, (ctx) => {
  const fields = CTX_FIELDS[ctx.type];
  const [fieldOff, fieldSize] = fields[f.field % fields.length]!;
  if (f.mode === 'field') return [asm.ldx(MEM[fieldSize]!, R7, R6, fieldOff)];
  if (f.mode === 'narrow') {
    const sz = Math.min(f.size, fieldSize);
    const off = fieldOff + (f.within % fieldSize);
    return sz < 8 && f.signed ? [asm.ldxsx(sz === 1 ? 's8' : sz === 2 ? 's16' : 's32', R7, R6, off)] : [asm.ldx(MEM[sz]!, R7, R6, off)];
  }
  if (f.mode === 'field_write') {
    return f.write === 'st' ? [asm.st(MEM[fieldSize]!, R6, fieldOff, 1)] : [asm.mov64(R7, 1), asm.stx(MEM[fieldSize]!, R6, fieldOff, R7)];
  }
  const sz = MEM[f.size]!;
  return f.write === 'st' ? [asm.st(sz, R6, f.off, 1)]
    : f.write === 'stx' ? [asm.mov64(R7, 1), asm.stx(sz, R6, f.off, R7)] : [asm.ldx(sz, R7, R6, f.off)];
}));
