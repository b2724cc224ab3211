/**
 * The bpf_conformance corpus through the uBPF-dialect parser: every `-- asm` section of tests/
 * assembles, agrees byte for byte with the independent port in test/kernel/ubpf-asm.ts, prints
 * and reads back; `-- raw` is compared with the assembly; negative/ files that must fail to
 * assemble do, with upstream's words.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { decode, encode } from '../../src/asm/encoding.js';
import { disassemble, parseAsm } from '../../src/asm/text/index.js';
import { isBadInputError } from '../../src/errors.js';
import { readConformanceFile, sharedDir } from '../corpus.js';
import { assembleUbpf } from '../kernel/ubpf-asm.js';

const shared = sharedDir();
const corpus = shared !== undefined ? join(shared, 'corpus/bpf_conformance') : undefined;
const files = (dir: string): string[] => readdirSync(join(corpus!, dir)).filter((f) => f.endsWith('.data')).sort();
const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** negative/ files that upstream's CMake tests expect to fail to assemble, with the words they look for. */
const ASSEMBLER_ERRORS: Readonly<Record<string, RegExp>> = {
  invalid_imm32_dec_range: /Immediate out of 32-bit range: 2147483648/,
  invalid_imm32_hex_range: /Immediate out of 32-bit range: 0x100000000/,
  invalid_label: /Invalid label: NOT_A_LABEL/,
  invalid_lock: /Invalid number of operands/,
  invalid_lock2: /Invalid number of operands for lock/,
  invalid_mnemonic: /Invalid mnemonic: ldxq/,
  invalid_offset: /Failed to decode register and offset/,
  invalid_offset_range: /Offset out of 16-bit range/,
  invalid_operand_count: /Invalid number of operands for mnemonic: lddw/,
  invalid_register: /Invalid register: %r50/,
};

describe.skipIf(corpus === undefined)(`bpf_conformance corpus, uBPF dialect${corpus ? '' : ' (skipped: ../shared not found)'}`, () => {
  it('tests/: all 313 files assemble, agree with ubpf-asm.ts and read back from the printed text', () => {
    const names = files('tests');
    expect(names.length).toBe(313);
    for (const name of names) {
      const c = readConformanceFile(join(corpus!, 'tests', name))!;
      expect(c.asm, name).not.toBe('');
      const insns = parseAsm(c.asm, { dialect: 'ubpf' });
      const bytes = encode(insns);
      expect(hex(bytes), name).toBe(hex(assembleUbpf(c.asm).bytes));
      // Printed back (labels and all) in both dialects, the same bytes come out.
      expect(hex(encode(parseAsm(disassemble(insns, { dialect: 'ubpf' }), { dialect: 'ubpf' }))), name).toBe(hex(bytes));
      expect(hex(encode(parseAsm(disassemble(insns)))), name).toBe(hex(bytes));
      if (c.raw !== undefined) {
        const raw = Buffer.alloc(c.raw.length * 8);
        c.raw.forEach((t, i) => raw.writeBigUInt64LE(BigInt.asUintN(64, BigInt(t)), i * 8));
        expect(decode(raw), name).toEqual(decode(bytes));
      }
    }
  });

  it('tests/lddw.data: the one -- raw section equals its assembly', () => {
    const c = readConformanceFile(join(corpus!, 'tests', 'lddw.data'))!;
    expect(c.raw).toBeDefined();
    const raw = Buffer.alloc(c.raw!.length * 8);
    c.raw!.forEach((t, i) => raw.writeBigUInt64LE(BigInt.asUintN(64, BigInt(t)), i * 8));
    expect(decode(raw)).toEqual(parseAsm(c.asm, { dialect: 'ubpf' }).map(({ symbol: _s, target: _t, ...x }) => x));
  });

  it('negative/: assembler errors fail with a BadInputError naming the line, in upstream\'s words', () => {
    const names = files('negative');
    expect(names.length).toBe(60);
    for (const [name, words] of Object.entries(ASSEMBLER_ERRORS)) {
      const c = readConformanceFile(join(corpus!, 'negative', `${name}.data`))!;
      let caught: unknown;
      try { parseAsm(c.asm, { dialect: 'ubpf' }); } catch (e) { caught = e; }
      expect(isBadInputError(caught), name).toBe(true);
      expect((caught as Error).message, name).toMatch(words);
      expect((caught as Error).message, name).toMatch(/^(insn \d+: )?line \d+: /);
      // Where the file says which error, that text is in ours.
      if (c.error) expect((caught as Error).message, name).toContain(c.error.trim());
    }
  });

  it('negative/: every other file with assembly assembles (its failure is at load or run time)', () => {
    const others = files('negative').filter((f) => !(f.replace(/\.data$/, '') in ASSEMBLER_ERRORS));
    let assembled = 0;
    for (const name of others) {
      const c = readConformanceFile(join(corpus!, 'negative', name));
      if (c === undefined || c.asm.trim() === '') continue;
      expect(encode(parseAsm(c.asm, { dialect: 'ubpf' })).length, name).toBeGreaterThan(0);
      assembled++;
    }
    // error.data and incorrect_return_value_high_bits.data (unused-* and the empty ones have no assembly).
    expect(assembled).toBeGreaterThanOrEqual(2);
  });
});
