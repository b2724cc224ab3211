/**
 * A small uBPF-dialect assembler for the bpf_conformance files, written from the corpus README's
 * description of upstream's assembler: the test oracle the conformance test checks the library's
 * `parseAsm(text, { dialect: 'ubpf' })` against, byte for byte, with upstream's error messages.
 * Emits encoded bytes (8 per slot), exactly as upstream lays them out.
 */

const ALU: Readonly<Record<string, number>> = {
  add: 0x0, sub: 0x1, mul: 0x2, div: 0x3, or: 0x4, and: 0x5, lsh: 0x6, rsh: 0x7, neg: 0x8, mod: 0x9,
  xor: 0xa, mov: 0xb, arsh: 0xc, sdiv: 0x3, smod: 0x9, movsx: 0xb,
};
const JMP: Readonly<Record<string, number>> = {
  jeq: 0x1, jgt: 0x2, jge: 0x3, jset: 0x4, jne: 0x5, jsgt: 0x6, jsge: 0x7, jlt: 0xa, jle: 0xb, jslt: 0xc, jsle: 0xd,
};
const SIZE: Readonly<Record<string, number>> = { b: 0x10, h: 0x08, w: 0x00, dw: 0x18 };
const ATOMIC: Readonly<Record<string, number>> = { add: 0x00, or: 0x40, and: 0x50, xor: 0xa0, xchg: 0xe1, cmpxchg: 0xf1 };

interface Slot { code: number; dst: number; src: number; off: number; imm: number }

function reg(s: string): number {
  const m = /^%r(\d+)$/.exec(s);
  if (!m || Number(m[1]) > 10) throw new Error(`Invalid register: ${s}`);
  return Number(m[1]);
}

/** A signed decimal or `0x` hex number (a negative hex one wraps, as upstream's stoull does). */
function big(s: string): bigint {
  const neg = s.startsWith('-');
  const body = neg || s.startsWith('+') ? s.slice(1) : s;
  if (!/^(0x[0-9a-fA-F]+|\d+)$/.test(body)) throw new Error(`Invalid number: ${s}`);
  return neg ? -BigInt(body) : BigInt(body);
}

function int(s: string, bits: 16 | 32, what: string): number {
  const hex = s.includes('0x');
  const v = big(s);
  const lo = hex ? 0n : -(1n << BigInt(bits - 1));
  const hi = hex ? (1n << BigInt(bits)) - 1n : (1n << BigInt(bits - 1)) - 1n;
  if (v < lo || v > hi) throw new Error(`${what} out of ${bits}-bit range: ${s}`);
  return Number(BigInt.asIntN(bits, v));
}
const imm32 = (s: string): number => int(s, 32, 'Immediate');
const off16 = (s: string): number => int(s, 16, 'Offset');

function mem(s: string): [number, number] {
  const m = /^\[(%r\d+)(?:([+-].*))?\]$/.exec(s);
  if (!m) throw new Error(`Failed to decode register and offset: ${s}`);
  return [reg(m[1]!), m[2] ? off16(m[2]) : 0];
}

/** What {@link assembleUbpf} returns. */
export interface UbpfProgram {
  /** The encoded instructions, 8 bytes a slot. */
  readonly bytes: Uint8Array;
  /** The source line of each slot (both slots of an lddw name its line). */
  readonly lineAt: readonly string[];
}

/** Assembles uBPF-dialect text into instruction bytes. Throws with upstream's messages. */
export function assembleUbpf(text: string): UbpfProgram {
  const slots: Slot[] = [];
  const lineAt: string[] = [];
  const labels = new Map<string, number>();
  let sawExit = false;
  const fixups: { at: number; label: string; field: 'off' | 'imm' }[] = [];
  const target = (at: number, s: string, field: 'off' | 'imm'): number => {
    if (/^[+-]/.test(s)) return off16(s);
    fixups.push({ at, label: s, field });
    return 0;
  };
  for (const line of text.split('\n')) {
    const words = line.trim().split(/\s+/).filter(Boolean).map((w) => w.replace(/,$/, ''));
    if (words.length === 0) continue;
    let [op, ...args] = words as [string, ...string[]];
    if (op.endsWith(':')) {
      const name = op.slice(0, -1);
      if (labels.has(name)) throw new Error(`Duplicate label (${name})`);
      labels.set(name, slots.length);
      continue;
    }
    // The first exit is also the label `exit` (upstream sets it even over a label of that name).
    if (op === 'exit' && !sawExit) { labels.set('exit', slots.length); sawExit = true; }
    const at = slots.length;
    const s: Slot = { code: 0, dst: 0, src: 0, off: 0, imm: 0 };
    const arity = (n: number): void => {
      if (args.length !== n) throw new Error(`Invalid number of operands for mnemonic: ${op}`);
    };
    if (op === 'lock') {
      if (args.length === 0) throw new Error('Invalid number of operands for lock');
      const fetch = args[0] === 'fetch';
      if (fetch) args = args.slice(1);
      const name = args[0] ?? '';
      const base = name.replace(/32$/, '');
      if (ATOMIC[base] === undefined) throw new Error(`Invalid mnemonic: ${name}`);
      op = name;
      args = args.slice(1);
      arity(2);
      [s.dst, s.off] = mem(args[0]!);
      s.src = reg(args[1]!);
      s.code = 0xc3 | (name.endsWith('32') ? SIZE.w! : SIZE.dw!);
      s.imm = ATOMIC[base]! | (fetch ? 0x01 : 0);
    } else if (op === 'call') {
      if (args.length === 1) args.unshift('helper');
      arity(2);
      const [mode, t] = args as [string, string];
      s.code = 0x85;
      if (mode === 'helper' && t.startsWith('%')) { s.code |= 0x08; s.dst = reg(t); } else if (mode === 'helper') s.imm = imm32(t);
      else if (mode === 'local') { s.src = 1; s.imm = target(at, t, 'imm'); } else if (mode === 'runtime') { s.src = 2; s.imm = imm32(t); } else throw new Error('Invalid call mode');
    } else if (op === 'exit') { arity(0); s.code = 0x95; } else if (op === 'ja' || op === 'ja32') {
      arity(1);
      s.code = op === 'ja' ? 0x05 : 0x06;
      if (op === 'ja') s.off = target(at, args[0]!, 'off'); else s.imm = target(at, args[0]!, 'imm');
    } else if (op === 'lddw') {
      arity(2);
      s.code = 0x18;
      s.dst = reg(args[0]!);
      const v = BigInt.asUintN(64, big(args[1]!));
      s.imm = Number(BigInt.asIntN(32, v));
      slots.push(s, { code: 0, dst: 0, src: 0, off: 0, imm: Number(BigInt.asIntN(32, v >> 32n)) });
      lineAt.push(line.trim(), line.trim());
      continue;
    } else if (/^ldxs?(b|h|w|dw)$/.test(op)) {
      arity(2);
      const sx = op.startsWith('ldxs');
      const sz = SIZE[op.slice(sx ? 4 : 3)]!;
      s.code = 0x01 | sz | (sx ? 0x80 : 0x60);
      s.dst = reg(args[0]!);
      [s.src, s.off] = mem(args[1]!);
    } else if (/^stx?(b|h|w|dw)$/.test(op)) {
      arity(2);
      const x = op.startsWith('stx');
      s.code = (x ? 0x03 : 0x02) | 0x60 | SIZE[op.slice(x ? 3 : 2)]!;
      [s.dst, s.off] = mem(args[0]!);
      if (x) s.src = reg(args[1]!); else s.imm = imm32(args[1]!);
    } else if (/^(be|le)(16|32|64)$/.test(op) || /^b?swap(16|32|64)$/.test(op)) {
      arity(1);
      s.code = op.startsWith('be') ? 0xdc : op.startsWith('le') ? 0xd4 : 0xd7;
      s.dst = reg(args[0]!);
      s.imm = Number(/\d+$/.exec(op)![0]);
    } else if (JMP[op.replace(/32$/, '')] !== undefined) {
      arity(3);
      s.code = (op.endsWith('32') ? 0x06 : 0x05) | (JMP[op.replace(/32$/, '')]! << 4);
      s.dst = reg(args[0]!);
      if (args[1]!.startsWith('%')) { s.code |= 0x08; s.src = reg(args[1]!); } else s.imm = imm32(args[1]!);
      s.off = target(at, args[2]!, 'off');
    } else {
      const m = /^(movsx)(8|16|32)(32|64)$/.exec(op) ?? /^([a-z]+?)(32|64)?$/.exec(op);
      const name = m?.[1] ?? '';
      const movsx = name === 'movsx';
      const width = movsx ? m![3] : m?.[2];
      if (ALU[name] === undefined || (movsx && m![3] === undefined)) throw new Error(`Invalid mnemonic: ${op}`);
      arity(name === 'neg' ? 1 : 2);
      s.code = (width === '32' ? 0x04 : 0x07) | (ALU[name]! << 4);
      if (name === 'sdiv' || name === 'smod') s.off = 1;
      if (movsx) s.off = Number(m![2]);
      s.dst = reg(args[0]!);
      if (args.length === 2) {
        if (args[1]!.startsWith('%')) { s.code |= 0x08; s.src = reg(args[1]!); } else s.imm = imm32(args[1]!);
      }
    }
    slots.push(s);
    lineAt.push(line.trim());
  }
  for (const f of fixups) {
    const to = labels.get(f.label);
    if (to === undefined) throw new Error(`Invalid label: ${f.label}`);
    slots[f.at]![f.field] = to - f.at - 1;
  }
  const out = Buffer.alloc(slots.length * 8);
  slots.forEach((s, i) => {
    out[i * 8] = s.code;
    out[i * 8 + 1] = (s.dst & 0xf) | ((s.src & 0xf) << 4);
    out.writeInt16LE(s.off, i * 8 + 2);
    out.writeInt32LE(s.imm | 0, i * 8 + 4);
  });
  return { bytes: out, lineAt };
}
