/**
 * Producer programs for the reader tests, built with the DSL and driven by testRun: every run takes
 * a sequence number from a counter map and emits one record whose contents follow from it, so a test
 * knows exactly which bytes each record must hold.
 * @module
 */
import { asm, R0, R1, R2, R3, R4, R5, R6, R7, R8, R10 } from '../../src/index.js';
import type { Instruction, ProgramItem, Register } from '../../src/index.js';

/** The u64 at slot `i` of the record with sequence number `seq`. */
export const slotValue = (seq: number, i: number): bigint => (BigInt(seq) << 8n) + BigInt(i);

/** The bytes a record of `size` bytes with sequence number `seq` must hold. */
export function expectedRecord(seq: number, size: number): Uint8Array {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  for (let i = 0; i < size / 8; i++) v.setBigUint64(i * 8, slotValue(seq, i), true);
  return b;
}

/** The record's sequence number (slot 0). */
export const seqOf = (rec: Uint8Array): number =>
  Number(new DataView(rec.buffer, rec.byteOffset, rec.byteLength).getBigUint64(0, true) >> 8n);

/**
 * Loads the sequence number into r7 (and seq << 8 into r8); r6 keeps the counter's value pointer
 * (u64 seq at 0, u64 failures at 8). Exits with 2 when the lookup fails.
 */
function takeSeq(): ProgramItem[] {
  return [
    asm.st('u32', R10, -4, 0),
    asm.mov64(R2, R10), asm.add64(R2, -4),
    asm.loadMap(R1, 'counter'),
    asm.call('map_lookup_elem'),
    asm.jne64(R0, 0, 'have'),
    asm.mov64(R0, 2), asm.exit(),
    asm.label('have'),
    asm.mov64(R6, R0),
    asm.ldxdw(R7, R6, 0),
    asm.mov64(R8, R7), asm.add64(R8, 1), asm.stxdw(R6, 0, R8),
    asm.mov64(R8, R7), asm.lsh64(R8, 8),
  ];
}

/** Writes the record body at `base + off` (size bytes) from r8. */
function fill(base: Register, off: number, size: number): ProgramItem[] {
  const out: ProgramItem[] = [];
  for (let i = 0; i < size / 8; i++) out.push(asm.mov64(R1, R8), asm.add64(R1, i), asm.stxdw(base, off + i * 8, R1));
  return out;
}

/** Counts a failed output in the counter's second slot. */
const countFailure = (): ProgramItem[] => [asm.ldxdw(R1, R6, 8), asm.add64(R1, 1), asm.stxdw(R6, 8, R1)];

/**
 * socket_filter: reserves `size` bytes in ring buffer `rb`, fills them, and submits — or discards
 * when `seq % discardEvery == discardEvery - 1` (0: never). Returns 0, or 1 when the ring was full.
 */
export function ringbufReserveProgram(size: number, discardEvery = 0): Instruction[] {
  return asm.program([
    ...takeSeq(),
    asm.loadMap(R1, 'rb'), asm.mov64(R2, size), asm.mov64(R3, 0),
    asm.call('ringbuf_reserve'),
    asm.jne64(R0, 0, 'got'),
    ...countFailure(), asm.mov64(R0, 1), asm.exit(),
    asm.label('got'),
    ...fill(R0, 0, size),
    asm.mov64(R1, R0), asm.mov64(R2, 0),
    ...(discardEvery > 0
      ? [asm.mov64(R3, R7), asm.mod64(R3, discardEvery), asm.jeq64(R3, discardEvery - 1, 'discard')]
      : []),
    asm.call('ringbuf_submit'),
    asm.mov64(R0, 0), asm.exit(),
    ...(discardEvery > 0 ? [asm.label('discard'), asm.call('ringbuf_discard'), asm.mov64(R0, 0), asm.exit()] : []),
  ]).instructions as Instruction[];
}

/** socket_filter: builds the record on the stack and copies it with bpf_ringbuf_output. */
export function ringbufOutputProgram(size: number): Instruction[] {
  return asm.program([
    ...takeSeq(),
    ...fill(R10, -size, size),
    asm.loadMap(R1, 'rb'), asm.mov64(R2, R10), asm.add64(R2, -size), asm.mov64(R3, size), asm.mov64(R4, 0),
    asm.call('ringbuf_output'),
    asm.jeq64(R0, 0, 'ok'),
    ...countFailure(),
    asm.label('ok'),
    asm.mov64(R0, 0), asm.exit(),
  ]).instructions as Instruction[];
}

const BPF_F_CURRENT_CPU = 0xffffffff;

/**
 * socket_filter: builds the record on the stack and sends it with bpf_perf_event_output(ctx, events,
 * BPF_F_CURRENT_CPU, data, size) to perf event array `events`.
 */
export function perfOutputProgram(size: number): Instruction[] {
  return asm.program([
    asm.mov64(R5, R1),
    asm.stxdw(R10, -size - 8, R5), // keep ctx: takeSeq clobbers r1..r5
    ...takeSeq(),
    ...fill(R10, -size, size),
    asm.ldxdw(R1, R10, -size - 8),
    asm.loadMap(R2, 'events'), asm.lddw(R3, BPF_F_CURRENT_CPU),
    asm.mov64(R4, R10), asm.add64(R4, -size), asm.mov64(R5, size),
    asm.call('perf_event_output'),
    asm.jeq64(R0, 0, 'ok'),
    ...countFailure(),
    asm.label('ok'),
    asm.mov64(R0, 0), asm.exit(),
  ]).instructions as Instruction[];
}

/** socket_filter: bpf_trace_printk of `text` (at most 63 bytes, no format directives). */
export function tracePrintkProgram(text: string): Instruction[] {
  const bytes = new TextEncoder().encode(`${text}\n`);
  if (bytes.length > 63 || text.includes('%')) throw new Error('trace text must be < 64 bytes without %');
  const len = Math.ceil((bytes.length + 1) / 8) * 8;
  const padded = new Uint8Array(len);
  padded.set(bytes);
  const v = new DataView(padded.buffer);
  const stores: ProgramItem[] = [];
  for (let i = 0; i < len; i += 8) {
    stores.push(asm.lddw(R1, v.getBigUint64(i, true)), asm.stxdw(R10, -len + i, R1));
  }
  return asm.program([
    ...stores,
    asm.mov64(R1, R10), asm.add64(R1, -len), asm.mov64(R2, bytes.length + 1),
    asm.call('trace_printk'),
    asm.mov64(R0, 0), asm.exit(),
  ]).instructions as Instruction[];
}
