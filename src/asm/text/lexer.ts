/**
 * Shared pieces of the text dialects: comment stripping, tokens, numbers in range, and the
 * `BadInputError` every parse failure becomes (with the 1-based line number and the line's text).
 * @module
 */
import { BadInputError } from '../../errors.js';

/** A parse failure: says which line and quotes it. `index` is the slot the line would occupy. */
export function lineError(problem: string, line: number, text: string, slot?: number): BadInputError {
  return new BadInputError(`line ${line}: ${problem}: \`${text.trim()}\``, { index: slot });
}

/**
 * Splits text into lines, keeping 1-based line numbers. `comment` strips the dialect's comments.
 * Blank lines (after stripping) are dropped.
 */
export function sourceLines(text: string, comment: (line: string) => string): { n: number; text: string; raw: string }[] {
  const out: { n: number; text: string; raw: string }[] = [];
  text.split('\n').forEach((raw, i) => {
    const t = comment(raw.replace(/\r$/, '')).trim();
    if (t !== '') out.push({ n: i + 1, text: t, raw });
  });
  return out;
}

// One token: a hex or decimal number, an identifier (registers, mnemonics, labels, names with
// dots as LLVM's local labels have), or an operator, longest first.
const TOKEN = /\s*(0[xX][0-9a-fA-F]+|\d+|[A-Za-z_.$][\w.$]*|<<=|>>=|[-+*/|&^%<>=!]=|[-+*/|&^%<>=!(),[\]:#])/y;

/**
 * Splits one line into tokens; undefined when a character belongs to no token. Callers match
 * `tokens.join(' ')` against patterns written with single spaces between tokens.
 */
export function tokenize(line: string): string[] | undefined {
  const out: string[] = [];
  TOKEN.lastIndex = 0;
  let at = 0;
  while (at < line.length) {
    if (/^\s*$/.test(line.slice(at))) break;
    TOKEN.lastIndex = at;
    const m = TOKEN.exec(line);
    if (!m) return undefined;
    out.push(m[1]!);
    at = TOKEN.lastIndex;
  }
  return out;
}

/**
 * The value of a number written as tokens: optional signs (each `-` flips) then decimal or `0x`
 * hex, spaces between allowed (`+ -8` is -8). Undefined when it is not such a number.
 */
export function numberValue(s: string): bigint | undefined {
  const m = /^((?:[-+]\s*)*)(0[xX][0-9a-fA-F]+|\d+)$/.exec(s.trim());
  if (!m) return undefined;
  const negative = (m[1]!.match(/-/g)?.length ?? 0) % 2 === 1;
  const v = BigInt(m[2]!);
  return negative ? -v : v;
}

/**
 * A number that must fit `bits` as signed, or (when `unsigned` is allowed) as unsigned, returned
 * as the signed value of those bits; undefined when out of range.
 */
export function fitSigned(v: bigint, bits: number, unsigned: boolean): number | undefined {
  const b = BigInt(bits);
  const lo = -(1n << (b - 1n));
  const hi = unsigned ? (1n << b) - 1n : (1n << (b - 1n)) - 1n;
  if (v < lo || v > hi) return undefined;
  return Number(BigInt.asIntN(bits, v));
}

/** A register token `rN`/`wN` (N 0-10): number and width; undefined otherwise. */
export function registerOf(tok: string): { n: number; w: boolean } | undefined {
  const m = /^([rw])(\d+)$/.exec(tok);
  if (!m || m[2]!.length > 2 || Number(m[2]) > 10 || (m[2]!.length === 2 && m[2]![0] === '0')) return undefined;
  return { n: Number(m[2]), w: m[1] === 'w' };
}
