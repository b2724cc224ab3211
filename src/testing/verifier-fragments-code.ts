/**
 * The computing and calling fragments of `arbVerifierProgram`: loops, helper calls, ALU sequences,
 * range checks on an index, BPF-to-BPF calls, legacy packet loads. See `verifier-fragments` for
 * the conventions (R6 holds the context; R0-R5, R7-R9 and the stack are free).
 * @module
 */
import fc from 'fast-check';
import type { Instruction } from '../asm/instruction.js';
import { asm, R0, R1, R2, R3, R4, R6, R7, R8, R9, R10 } from '../asm/dsl/index.js';
import type { ProgramItem, WritableRegister } from '../asm/dsl/index.js';
import {
  CTX_FIELDS, I, MEM, PACKET_LAYOUT, defineFragment, mapName, random, size,
} from './verifier-fragments.js';
import { arbInstructionOf } from './instructions.js';
import type { MapName, VerifierFragment, VerifierFuzzProgramType } from './verifier-fragments.js';

// ---- loops -------------------------------------------------------------------------------------

/** Loops: counted up or down to a constant, counted down from a masked unknown (all bounded), or going round forever as the verifier sees it. */
export const arbLoopFragment: fc.Arbitrary<VerifierFragment> = fc.record({
  kind: fc.constant('loop' as const),
  /**
   * `up`/`down`: counted loops with constant bounds; `masked`: a counter from a masked unknown;
   * `forever`: a loop the verifier sees going round unchanged (an unknown 32-bit counter, or a
   * constant condition); `back`: a jump straight back to itself.
   */
  shape: fc.constantFrom('up', 'up', 'up', 'up', 'down', 'down', 'down', 'masked', 'masked', 'masked', 'forever_unknown', 'forever_const', 'back'),
  n: fc.integer({ min: 1, max: 24 }),
  step: fc.integer({ min: 1, max: 3 }),
  is32: fc.boolean(),
  /** The loop body: nothing, a sum, or a byte written at the counter's index into the stack or a map value. */
  body: fc.constantFrom('none', 'add', 'add', 'stack', 'stack', 'map'),
}).map((f) => defineFragment(f, (ctx) => {
  const head = ctx.label('head'), end = ctx.label('end');
  const jlt = f.is32 ? asm.jlt32 : asm.jlt64;
  const jsgt = f.is32 ? asm.jsgt32 : asm.jsgt64;
  const body = f.body === 'add' ? [asm.add64(R8, 3)]
    : f.body === 'stack' ? [asm.mov64(R2, R10), asm.add64(R2, -32), asm.add64(R2, R7), asm.st('u8', R2, 0, 1)]
      : f.body === 'map' ? [asm.mov64(R2, R9), asm.add64(R2, R7), asm.st('u8', R2, 0, 1)] : [];
  const init8: ProgramItem[] = f.body === 'add' ? [asm.mov64(R8, 0)]
    : f.body === 'map' ? [asm.st('u32', R10, -4, 0), asm.mov64(R2, R10), asm.add64(R2, -4), asm.loadMap(R1, 'array'),
      asm.call('map_lookup_elem'), asm.jeq64(R0, 0, end), asm.mov64(R9, R0)] : [];
  const done = [asm.label(end), asm.mov64(R0, 0)];
  switch (f.shape) {
    case 'up': return [...init8, asm.mov64(R7, 0), asm.label(head), ...body, asm.add64(R7, f.step), jlt(R7, f.n, head), ...done];
    case 'down': return [...init8, asm.mov64(R7, f.n), asm.label(head), ...body, asm.sub64(R7, f.step), jsgt(R7, 0, head), ...done];
    case 'masked': return [...random(R7), ...init8, asm.and64(R7, f.n), asm.label(head), ...body, asm.sub64(R7, f.step), jsgt(R7, 0, head), ...done];
    case 'forever_unknown': return [...random(R7), asm.label(head), asm.add32(R7, f.step), asm.jne32(R7, 0, head)];
    case 'forever_const': return [asm.label(head), asm.mov64(R7, f.n), asm.jeq64(R7, f.n, head)];
    default: return [asm.label(head), asm.ja(head)];
  }
}));


// ---- helper calls ------------------------------------------------------------------------------

const HELPERS = ['get_prandom_u32', 'ktime_get_ns', 'get_smp_processor_id', 'get_current_pid_tgid',
  'map_update_elem', 'map_delete_elem', 'probe_read_kernel', 'trace_printk', 'skb_load_bytes',
  'get_current_comm', 'xdp_adjust_head', 'get_socket_cookie'] as const;
type Helper = typeof HELPERS[number];
const ANY_TYPE: readonly Helper[] = ['get_prandom_u32', 'ktime_get_ns', 'get_smp_processor_id', 'map_update_elem',
  'map_delete_elem', 'probe_read_kernel', 'trace_printk'];
const TRACING: readonly Helper[] = [...ANY_TYPE, 'get_current_pid_tgid', 'get_current_comm'];
const SKB: readonly Helper[] = [...ANY_TYPE, 'skb_load_bytes', 'get_socket_cookie'];
/** Helpers meant for each program type (the `fit` ones; the kernel has the last word). */
const HELPERS_FOR: Readonly<Record<VerifierFuzzProgramType, readonly Helper[]>> = {
  socket_filter: SKB, sched_cls: SKB, cgroup_skb: SKB, xdp: [...ANY_TYPE, 'xdp_adjust_head'],
  tracepoint: TRACING, raw_tracepoint: TRACING, kprobe: TRACING, perf_event: TRACING,
};

/** Arguments of each helper: `good`, and two bad variants `a` and `b` (see each case). */
function helperArgs(helper: Helper, bad: string, n: number, map: MapName, onStack: boolean): ProgramItem[] {
  // The buffer: 16 bytes at fp-16, or what R9 points at (a map value or checked packet bytes).
  const ptr = (r: WritableRegister): ProgramItem[] => (onStack ? [asm.mov64(r, R10), asm.add64(r, -16)] : [asm.mov64(r, R9)]);
  const buf = ptr(R1);
  switch (helper) {
    case 'map_update_elem': return [
      asm.st('u32', R10, -4, 0), asm.st('u64', R10, -24, 0), bad === 'a' ? [] : asm.st('u64', R10, -16, 0),
      asm.loadMap(R1, map), bad === 'b' ? asm.mov64(R2, 0) : [asm.mov64(R2, R10), asm.add64(R2, -4)],
      onStack ? [asm.mov64(R3, R10), asm.add64(R3, -24)] : asm.mov64(R3, R9), asm.mov64(R4, 0)];
    case 'map_delete_elem': return [
      bad === 'a' ? [] : asm.st('u32', R10, -4, 1), bad === 'b' ? asm.mov64(R1, 0) : asm.loadMap(R1, map),
      asm.mov64(R2, R10), asm.add64(R2, -4)];
    case 'probe_read_kernel': return [
      bad === 'a' ? random(R2) : bad === 'b' ? [...random(R2), asm.and64(R2, n)] : asm.mov64(R2, n), ...buf, asm.mov64(R3, 0)];
    case 'trace_printk': return [
      bad === 'a' ? [] : asm.st('u64', R10, -8, 0x0a6968), asm.mov64(R1, bad === 'b' ? R6 : R10),
      bad === 'b' ? [] : asm.add64(R1, -8), asm.mov64(R2, Math.min(n, 12))];
    case 'skb_load_bytes': return [
      bad === 'a' ? [...random(R4), asm.and64(R4, 31)] : asm.mov64(R4, n), asm.mov64(R1, R6), asm.mov64(R2, 0),
      bad === 'b' ? asm.mov64(R3, R6) : ptr(R3)];
    case 'get_current_comm': return [
      bad === 'b' ? random(R2) : asm.mov64(R2, n), bad === 'a' ? asm.mov64(R1, 0) : buf];
    case 'xdp_adjust_head': return [asm.mov64(R1, bad === 'a' ? R10 : R6), asm.mov64(R2, bad === 'b' ? -n : n)];
    case 'get_socket_cookie': return [asm.mov64(R1, bad === 'a' ? R10 : R6)];
    default: return [];
  }
}

/**
 * Helper calls with right and wrong arguments (an uninitialized buffer, a scalar for a pointer,
 * an unbounded or too large size, the wrong pointer kind), some not available to the program
 * type at all; sometimes followed by a read of a register the call clobbered.
 */
export const arbHelperFragment: fc.Arbitrary<VerifierFragment> = fc.record({
  kind: fc.constant('helper' as const),
  helper: fc.constantFrom(...HELPERS),
  bad: fc.constantFrom('good', 'good', 'good', 'a', 'b'),
  n: fc.integer({ min: 1, max: 32 }),
  map: mapName,
  readClobbered: fc.oneof({ arbitrary: fc.constant(false), weight: 9 }, { arbitrary: fc.constant(true), weight: 1 }),
  /** Swap a helper the program type is not meant to have for one it is (else call it anyway). */
  fit: fc.constantFrom(true, true, true, false),
  /** Where buffer arguments point: the stack, a map value, or 16 bounds-checked packet bytes. */
  buffer: fc.constantFrom('stack', 'stack', 'stack', 'map', 'packet'),
}).map((f) => defineFragment(f, (ctx) => {
  const mine = HELPERS_FOR[ctx.type];
  const helper = !f.fit || mine.includes(f.helper) ? f.helper : mine[f.n % mine.length]!;
  const end = ctx.label('end');
  const [data, dataEnd] = PACKET_LAYOUT[ctx.type === 'xdp' ? 'xdp' : 'skb'];
  const buffer: ProgramItem[] = f.buffer === 'map'
    ? [asm.st('u32', R10, -4, 0), asm.mov64(R2, R10), asm.add64(R2, -4), asm.loadMap(R1, 'hash'),
      asm.call('map_lookup_elem'), asm.jeq64(R0, 0, end), asm.mov64(R9, R0)]
    : f.buffer === 'packet' ? [asm.ldx('u32', R9, R6, data), asm.ldx('u32', R3, R6, dataEnd), asm.mov64(R4, R9),
      asm.add64(R4, 16), asm.jgt64(R4, R3, end)] : [];
  return [buffer, helperArgs(helper, f.bad, f.n, f.map, f.buffer === 'stack'), asm.call(helper),
    f.readClobbered ? asm.mov64(R8, R1) : [], asm.label(end)];
}));

// ---- ALU sequences -----------------------------------------------------------------------------

const ALU_OPS = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x80, 0x90, 0xa0, 0xb0, 0xc0, 0xd0];
const imm32 = fc.oneof(fc.integer({ min: -8, max: 70 }), fc.constantFrom(0, -1, 0xff, 0xffff, 0x7fffffff, -0x80000000),
  fc.integer({ min: -0x8000_0000, max: 0x7fff_ffff }));

const aluOp = fc.record({
  op: fc.constantFrom(...ALU_OPS),
  alu64: fc.boolean(),
  dst: fc.constantFrom(7, 8),
  src: fc.oneof({ arbitrary: fc.constantFrom('imm', 'imm', 'r7', 'r8'), weight: 15 }, { arbitrary: fc.constant('ctx'), weight: 1 }),
  imm: imm32,
});

function aluInsn(o: { op: number; alu64: boolean; dst: number; src: string; imm: number }): Instruction {
  const cls = o.alu64 ? 0x07 : 0x04;
  if (o.op === 0x80) return I(cls | 0x80, o.dst);
  // END: to-le/to-be (32-bit class) or the unconditional bswap (64-bit class).
  if (o.op === 0xd0) return I(cls | 0xd0 | (!o.alu64 && o.src !== 'imm' ? 8 : 0), o.dst, 0, 0, [16, 32, 64][Math.abs(o.imm) % 3]!);
  // Shift amounts mostly within the width, sometimes just past it (which the verifier refuses).
  const width = o.alu64 ? 64 : 32;
  if (o.src === 'imm' && (o.op === 0x60 || o.op === 0x70 || o.op === 0xc0)) {
    return I(cls | o.op, o.dst, 0, 0, ((o.imm % (width + 4)) + width + 4) % (width + 4));
  }
  if (o.src === 'imm') return I(cls | o.op, o.dst, 0, 0, o.imm);
  return I(cls | o.op | 8, o.dst, o.src === 'r7' ? 7 : o.src === 'r8' ? 8 : 6);
}

/**
 * Random ALU sequences on R7 and R8 (constants, unknowns or unset registers), with division by
 * zero, out-of-range shifts and pointer arithmetic among them, whose result may then index the
 * stack or become the return value.
 */
export const arbAluFragment: fc.Arbitrary<VerifierFragment> = fc.record({
  kind: fc.constant('alu' as const),
  init7: fc.oneof({ arbitrary: fc.constantFrom('const', 'random', 'random'), weight: 10 }, { arbitrary: fc.constant('unset'), weight: 1 }),
  init8: fc.oneof({ arbitrary: fc.constantFrom('const', 'random'), weight: 10 }, { arbitrary: fc.constant('unset'), weight: 1 }),
  c: imm32,
  ops: fc.array(aluOp, { minLength: 1, maxLength: 6 }),
  /** `stack`: R7 indexes a 64-byte stack area; `ret`: R7 becomes R0. */
  sink: fc.constantFrom('none', 'none', 'stack', 'ret'),
}).map((f) => defineFragment(f, () => [
  f.init7 === 'const' ? asm.mov64(R7, f.c) : f.init7 === 'random' ? random(R7) : [],
  f.init8 === 'const' ? asm.mov64(R8, f.c >> 3) : f.init8 === 'random' ? random(R8) : [],
  f.ops.map(aluInsn),
  f.sink === 'stack' ? [asm.mov64(R2, R10), asm.add64(R2, -64), asm.add64(R2, R7), asm.st('u8', R2, 0, 0)]
    : f.sink === 'ret' ? asm.mov64(R0, R7) : [],
]));

// ---- range checks on an index ------------------------------------------------------------------

const JMP_OPS = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];
const BOUNDARY = fc.constantFrom(0, 1, 3, 7, 8, 12, 15, 16, 31, 63, 64, 255, -1, -8, 0x7fffffff, -0x80000000);

/**
 * An unknown scalar (random, the CPU number, a context field) reshaped by a few ALU steps, then
 * narrowed by a chain of 32- and 64-bit, signed and unsigned conditional jumps, and used (itself,
 * or a copy linked to it with a constant delta) as a variable offset into the stack, a map value
 * or the packet: whether the verifier's bounds after the branches allow the access is the test.
 */
export const arbRangeFragment: fc.Arbitrary<VerifierFragment> = fc.record({
  kind: fc.constant('range' as const),
  from: fc.constantFrom('random', 'random', 'cpu', 'ctx'),
  ops: fc.array(aluOp.map((o) => ({ ...o, dst: 7, src: 'imm' })), { maxLength: 2 }),
  checks: fc.array(fc.record({ op: fc.constantFrom(...JMP_OPS), is32: fc.boolean(), imm: BOUNDARY }), { minLength: 1, maxLength: 3 }),
  /** Use a copy `r8 = r7 + delta` made before the checks (linked registers) instead of R7. */
  copy: fc.constantFrom(false, false, true),
  delta: fc.constantFrom(0, 1, -1, 4, -4),
  /** Pass the index through a stack slot before use: not, whole, its low 32 bits, sign-extended. */
  spill: fc.constantFrom<'none' | 'u64' | 'u32' | 's32'>('none', 'none', 'none', 'u64', 'u32', 's32'),
  target: fc.constantFrom('stack', 'map', 'packet'),
  size,
  off: fc.constantFrom(0, 0, 1, 4, 8, -1),
}).map((f) => defineFragment(f, (ctx) => {
  const end = ctx.label('end');
  const idx = f.copy ? R8 : R7;
  const [fieldOff, fieldSize] = CTX_FIELDS[ctx.type][0]!;
  const items: ProgramItem[] = [
    f.from === 'random' ? random(R7) : f.from === 'cpu' ? [asm.call('get_smp_processor_id'), asm.mov64(R7, R0)]
      : asm.ldx(MEM[fieldSize]!, R7, R6, fieldOff),
    f.ops.map(aluInsn),
  ];
  if (f.target === 'map') {
    items.push(asm.st('u32', R10, -4, 0), asm.mov64(R2, R10), asm.add64(R2, -4), asm.loadMap(R1, 'array'),
      asm.call('map_lookup_elem'), asm.jeq64(R0, 0, end));
  }
  if (f.copy) items.push(asm.mov64(R8, R7), f.delta === 0 ? [] : asm.add64(R8, f.delta));
  items.push(f.checks.map((c) => I((c.is32 ? 0x06 : 0x05) | c.op, 7, 0, 0, c.imm)).map((insn) => ({ ...insn, target: end, off: 0 })));
  // Through the stack: spill the index, fill it back whole or its low half (or sign-extended).
  if (f.spill !== 'none') {
    items.push(asm.stx('u64', R10, -8, idx), f.spill === 's32' ? asm.ldxsx('s32', R9, R10, -8) : asm.ldx(f.spill, R9, R10, -8));
  }
  const index = f.spill === 'none' ? idx : R9;
  const sz = MEM[f.size]!;
  if (f.target === 'stack') {
    items.push(asm.mov64(R2, R10), asm.add64(R2, -64), asm.add64(R2, index), asm.ldx(sz, R1, R2, f.off));
  } else if (f.target === 'map') {
    items.push(asm.add64(R0, index), asm.ldx(sz, R1, R0, f.off));
  } else {
    const [data, dataEnd] = PACKET_LAYOUT[ctx.type === 'xdp' ? 'xdp' : 'skb'];
    items.push(asm.ldx('u32', R2, R6, data), asm.ldx('u32', R3, R6, dataEnd), asm.add64(R2, index),
      asm.mov64(R4, R2), asm.add64(R4, f.size + Math.max(f.off, 0)), asm.jgt64(R4, R3, end), asm.ldx(sz, R1, R2, f.off));
  }
  items.push(asm.label(end));
  return items;
}));

// ---- BPF-to-BPF calls --------------------------------------------------------------------------

/**
 * BPF-to-BPF calls of a subprogram placed after the main exit: passing the context, a pointer to
 * the caller's (initialized or not) stack, or a scalar; the callee adds, reads or writes through
 * its argument, returns it (a stack pointer may not go back up), reads a callee-saved register it
 * never set, or takes so much stack that the frames together pass 512 bytes.
 */
export const arbCallFragment: fc.Arbitrary<VerifierFragment> = fc.record({
  kind: fc.constant('call' as const),
  arg: fc.constantFrom('ctx', 'stack', 'stack', 'scalar', 'uninit_stack'),
  body: fc.constantFrom('sum', 'read', 'read', 'write', 'ret_arg', 'callee_saved', 'deep_stack'),
  n: fc.integer({ min: 0, max: 16 }),
  depth: fc.constantFrom(8, 64, 256, 480, 512),
  deref: fc.constantFrom(false, false, true),
}).map((f) => defineFragment(f, (ctx) => {
  const arg: ProgramItem[] = f.arg === 'ctx' ? [asm.mov64(R1, R6)]
    : f.arg === 'stack' ? [asm.st('u64', R10, -8, f.n), asm.mov64(R1, R10), asm.add64(R1, -8)]
      : f.arg === 'uninit_stack' ? [asm.mov64(R1, R10), asm.add64(R1, -256)] : [asm.mov64(R1, f.n)];
  return [arg, asm.mov64(R2, f.n), asm.callSub(ctx.label('sub')), f.deref ? asm.ldx('u64', R7, R0, 0) : [], asm.mov64(R0, 0)];
}, (ctx) => {
  const body: ProgramItem[] = f.body === 'sum' ? [asm.mov64(R0, R1), asm.add64(R0, R2)]
    : f.body === 'read' ? [asm.ldx('u64', R0, R1, 0)]
      : f.body === 'write' ? [asm.stx('u64', R1, 0, R2), asm.mov64(R0, 0)]
        : f.body === 'ret_arg' ? [asm.mov64(R0, R1)]
          : f.body === 'callee_saved' ? [asm.mov64(R0, R6)]
            : [asm.st('u64', R10, -f.depth, 0), asm.mov64(R0, 0)];
  return [asm.label(ctx.label('sub')), body, asm.exit()];
}));

// ---- legacy packet loads -----------------------------------------------------------------------

/**
 * LD_ABS / LD_IND: the legacy packet loads socket filters and tc programs have (others refuse
 * them), at constant or register offsets; they take the context from R6.
 */
export const arbLdAbsFragment: fc.Arbitrary<VerifierFragment> = fc.record({
  kind: fc.constant('ldabs' as const),
  size: fc.constantFrom<'u8' | 'u16' | 'u32'>('u8', 'u16', 'u32'),
  ind: fc.boolean(),
  index: fc.constantFrom('const', 'random', 'unset'),
  imm: fc.oneof(fc.integer({ min: 0, max: 64 }), fc.constantFrom(-1, 0x7fffffff)),
  /** Only in socket filters and tc programs (else the fragment is empty); `false`: in any type. */
  fit: fc.constantFrom(true, true, true, false),
}).map((f) => defineFragment(f, (ctx) => {
  if (f.fit && ctx.type !== 'socket_filter' && ctx.type !== 'sched_cls') return [];
  if (!f.ind) return [asm.ldAbs(f.size, f.imm)];
  const index = f.index === 'const' ? [asm.mov64(R8, 14)] : f.index === 'random' ? random(R8) : [];
  return [index, asm.ldInd(f.size, R8, f.imm)];
}));

// ---- paths that join ---------------------------------------------------------------------------

const JOIN_VALUES = ['fp', 'ctx', 'zero', 'eight', 'big', 'unknown', 'masked'] as const;

/** `r8 =` one of {@link JOIN_VALUES}. */
function joinValue(v: typeof JOIN_VALUES[number]): ProgramItem[] {
  switch (v) {
    case 'fp': return [asm.mov64(R8, R10), asm.add64(R8, -16)];
    case 'ctx': return [asm.mov64(R8, R6)];
    case 'zero': return [asm.mov64(R8, 0)];
    case 'eight': return [asm.mov64(R8, 8)];
    case 'big': return [asm.mov64(R8, 100)];
    case 'unknown': return [asm.ldx('u64', R8, R10, -32)];
    default: return [asm.ldx('u64', R8, R10, -32), asm.and64(R8, 7)];
  }
}

/**
 * Two paths, split on an unknown, that give R8 different values (a stack or context pointer,
 * different constants, unknown or masked scalars), directly or through a stack slot, and join
 * before R8 is used as a pointer or an index: the verifier must check the use on both paths,
 * and may only prune the second one when what the use needs of R8 is the same.
 */
export const arbJoinFragment: fc.Arbitrary<VerifierFragment> = fc.record({
  kind: fc.constant('join' as const),
  a: fc.constantFrom(...JOIN_VALUES),
  b: fc.constantFrom(...JOIN_VALUES),
  split: fc.constantFrom(0x20, 0x30, 0x40, 0x50, 0xa0),
  bound: fc.constantFrom(0, 1, 100, 0x7fffffff),
  /** Store the value in a stack slot on each path and fill R8 from it after the join. */
  viaStack: fc.boolean(),
  use: fc.constantFrom('deref', 'index_stack', 'index_stack', 'index_map', 'add'),
}).map((f) => defineFragment(f, (ctx) => {
  const other = ctx.label('other'), join = ctx.label('join'), end = ctx.label('end');
  const keep = f.viaStack ? [asm.stx('u64', R10, -24, R8)] : [];
  const use: ProgramItem[] = f.use === 'deref' ? [asm.ldx('u64', R9, R8, 0)]
    : f.use === 'index_stack' ? [asm.mov64(R2, R10), asm.add64(R2, -64), asm.add64(R2, R8), asm.ldx('u8', R9, R2, 0)]
      : f.use === 'index_map' ? [asm.st('u32', R10, -4, 0), asm.mov64(R2, R10), asm.add64(R2, -4), asm.loadMap(R1, 'array'),
        asm.call('map_lookup_elem'), asm.jeq64(R0, 0, end), asm.add64(R0, R8), asm.ldx('u8', R9, R0, 0)]
        : [asm.add64(R8, 1), asm.mov64(R9, R8)];
  return [
    asm.st('u64', R10, -16, 0), random(R7), asm.stx('u64', R10, -32, R7),
    { ...I(0x05 | f.split, 7, 0, 0, f.bound), target: other },
    joinValue(f.a), keep, asm.ja(join),
    asm.label(other), joinValue(f.b), keep,
    asm.label(join), f.viaStack ? asm.ldx('u64', R8, R10, -24) : [],
    use, asm.label(end), asm.mov64(R0, 0),
  ];
}));

// ---- instruction soup --------------------------------------------------------------------------

const SOUP_FAMILIES = ['alu', 'alu', 'mov', 'movsx', 'neg', 'endian', 'bswap', 'jmp_cond', 'ldx', 'ldxsx', 'st', 'stx', 'atomic'] as const;

/**
 * A few arbitrary valid instructions (from `arbInstructionOf`) on R7-R9 and the stack: ALU of
 * every kind, sign-extending moves and loads, byte swaps, atomics, conditional jumps to the
 * fragment's end. Memory accesses go through R10 at small offsets so that some are fine.
 */
export const arbSoupFragment: fc.Arbitrary<VerifierFragment> = fc.record({
  kind: fc.constant('soup' as const),
  insns: fc.array(fc.tuple(fc.constantFrom(...SOUP_FAMILIES).chain((fam) => arbInstructionOf(fam)),
    fc.constantFrom(7, 8, 9), fc.constantFrom(7, 8, 9), fc.integer({ min: 1, max: 8 })), { minLength: 1, maxLength: 5 }),
  init: fc.constantFrom('random', 'const'),
}).map((f) => defineFragment(f, (ctx) => {
  const end = ctx.label('end');
  const body = f.insns.map(([insn, d, s, slot]): Instruction => {
    const cls = insn.code & 7;
    const mem = cls === 1 || cls === 2 || cls === 3;
    if (!mem) {
      const j = cls === 5 || cls === 6;
      // A register source (BPF_X) becomes one of R7-R9; byte swaps use the X bit for "to big-endian".
      const regSrc = (insn.code & 8) !== 0 && (insn.code & 0xf0) !== 0xd0;
      const out: Instruction = { code: insn.code, dst: d, src: regSrc ? s : insn.src, off: j ? 0 : insn.off, imm: insn.imm };
      return j ? { ...out, target: end } : out;
    }
    // Loads read from the stack into dst; stores and atomics write src (or imm) to the stack.
    const off = -8 * slot;
    return cls === 1 ? { code: insn.code, dst: d, src: 10, off, imm: 0 } : { code: insn.code, dst: 10, src: cls === 2 ? 0 : s, off, imm: insn.imm };
  });
  const init = f.init === 'random' ? [random(R7), asm.mov64(R8, R7), asm.rsh64(R8, 3), asm.mov64(R9, 1)]
    : [asm.mov64(R7, 5), asm.mov64(R8, -3), asm.mov64(R9, 1)];
  return [init, asm.st('u64', R10, -8, 0), asm.st('u64', R10, -16, 0), body, asm.label(end)];
}));
