/**
 * Reads bpf_conformance `.data` files the way upstream's bpf_test_parser.cc does (see the
 * corpus README): `#` comments, `--` section lines picked by substring in upstream's order.
 */

/** One parsed `.data` file. */
export interface ConformanceCase {
  /** The `-- asm` text (uBPF dialect), comments removed. */
  readonly asm: string;
  /** `-- raw` tokens, when present (they replace the assembly). */
  readonly raw: readonly string[] | undefined;
  /** The `-- mem` bytes. */
  readonly mem: Uint8Array;
  /** The expected full 64-bit r0, when the file has `-- result`. */
  readonly result: bigint | undefined;
  /** The `-- error` text, when the file has `-- error` (may be empty: "must be rejected"). */
  readonly error: string | undefined;
}

type Section = 'asm' | 'result' | 'mem' | 'raw' | 'ignored' | 'error';

function sectionOf(line: string): Section | undefined {
  // Upstream tests these substrings in this order.
  if (line.includes('asm')) return 'asm';
  if (line.includes('result')) return 'result';
  if (line.includes('mem')) return 'mem';
  if (line.includes('raw')) return 'raw';
  if (line.includes('no register offset')) return 'ignored';
  if (line.includes(' c')) return 'ignored';
  if (line.includes('error')) return 'error';
  return undefined;
}

/** Parses one `.data` file; returns undefined for an unknown directive (upstream drops the file). */
export function parseConformanceData(text: string): ConformanceCase | undefined {
  const parts: Record<Section, string[]> = { asm: [], result: [], mem: [], raw: [], ignored: [], error: [] };
  const seen = new Set<Section>();
  let current: Section | undefined;
  for (let line of text.split('\n')) {
    line = line.replace(/\r$/, '');
    const hash = line.indexOf('#');
    if (hash >= 0) line = line.slice(0, hash);
    if (line.includes('--')) {
      current = sectionOf(line);
      if (current === undefined) return undefined;
      seen.add(current);
      continue;
    }
    if (line.trim() === '' || current === undefined) continue;
    parts[current].push(line.trim());
  }
  const mem = parts.mem.join(' ').split(/\s+/).filter(Boolean).map((h) => parseInt(h, 16));
  const resultLine = parts.result[parts.result.length - 1];
  let result: bigint | undefined;
  if (resultLine !== undefined) {
    result = resultLine.includes('0x') ? BigInt(resultLine.slice(resultLine.indexOf('0x'))) : BigInt(resultLine);
    result = BigInt.asUintN(64, result);
  }
  return {
    asm: parts.asm.join('\n'),
    raw: seen.has('raw') ? parts.raw.join(' ').split(/\s+/).filter(Boolean) : undefined,
    mem: Uint8Array.from(mem),
    result,
    error: seen.has('error') ? parts.error.join('\n') : undefined,
  };
}

/**
 * `-- raw` of tests/lddw.data: each token is one 64-bit number whose little-endian bytes are the
 * instruction.
 */
export function rawWordsToBytes(tokens: readonly string[]): Uint8Array {
  const out = Buffer.alloc(tokens.length * 8);
  tokens.forEach((t, i) => out.writeBigUInt64LE(BigInt.asUintN(64, BigInt(t)), i * 8));
  return out;
}

/** `-- raw` of negative/unused-*.data: each line is the 8 bytes of one instruction, in memory order. */
export function rawBytesToBytes(tokens: readonly string[]): Uint8Array {
  return Uint8Array.from(tokens.map((t) => parseInt(t, 16)));
}

/**
 * The runner's XDP prologue (used when `mem` is non-empty): r1 = packet data, r2 = mem length,
 * returning -1 when the packet is shorter than `size`. Raw bytes, as upstream writes them.
 */
export function xdpPrologue(size: number): Uint8Array {
  const b = Buffer.alloc(9 * 8);
  const words = [
    'b7000000ffffffff', 'bf16000000000000', '6161000000000000', '6162040000000000',
    'bf13000000000000', '0703000000000000', 'bd23010000000000', '9500000000000000',
    'b702000000000000',
  ];
  words.forEach((w, i) => Buffer.from(w, 'hex').copy(b, i * 8));
  b.writeInt32LE(size, 5 * 8 + 4);
  b.writeInt32LE(size, 8 * 8 + 4);
  return b;
}
