/**
 * bpf_conformance on the running kernel, loaded the way upstream's libbpf plugin does it (see the
 * corpus README): each test is assembled (uBPF dialect, or its `-- raw` section), an XDP prologue
 * is put in front when it has memory, and a 5-instruction wrapper calls it as a subprogram and
 * stores the full 64-bit r0 in an array map. Loaded as XDP (license MIT), run once with
 * BPF_PROG_TEST_RUN on the memory padded to 14 bytes, and r0 read back from the map.
 *
 * Assembly: the library's `parseAsm(text, { dialect: 'ubpf' })`, checked byte for byte against
 * test/kernel/ubpf-asm.ts, a second assembler written from the corpus README.
 */
import { describe, it, expect, afterAll } from 'vitest';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { encode } from '../../src/asm/encoding.js';
import { parseAsm } from '../../src/asm/text/index.js';
import { assembleUbpf } from './ubpf-asm.js';
import { loadProgram } from '../../src/loader/program.js';
import { isVerifierError } from '../../src/errors.js';
import type { VerifierError } from '../../src/errors.js';
import {
  parseConformanceData, rawBytesToBytes, rawWordsToBytes, xdpPrologue,
} from './conformance-data.js';
import type { ConformanceCase } from './conformance-data.js';
import { canUseBpf, skipReason } from './program-helpers.js';
import { createMap } from '../../src/maps/create.js';
import { u32, u64 } from '../../src/maps/codec.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const corpus = join(resolve(repoRoot, '../shared'), 'corpus/bpf_conformance');
const haveCorpus = existsSync(join(corpus, 'tests'));

/**
 * Instructions the Linux verifier refuses by design, recognised by its exact words. "unknown
 * opcode" comes from a pass before the walk, so the log names no instruction: the first slot with
 * that opcode is the one.
 */
const KERNEL_REFUSES: readonly { message: RegExp; what: string }[] = [
  { message: /^unknown opcode (8d)$/, what: 'callx (call through a register)' },
  { message: /^invalid shift -?\d+$/, what: 'a shift by an immediate out of range' },
];

function refusedSlot(v: VerifierError, known: { message: RegExp }, testBytes: Uint8Array, prefix: number): number | undefined {
  if (v.insn !== undefined) return v.insn >= prefix ? v.insn - prefix : undefined;
  const opcode = known.message.exec(v.kernelMessage)?.[1];
  if (opcode === undefined) return undefined;
  for (let slot = 0; slot * 8 < testBytes.length; slot++) if (testBytes[slot * 8] === parseInt(opcode, 16)) return slot;
  return undefined;
}

const WRAPPER_SLOTS = 5;

function wrapper(mapFd: number): Uint8Array {
  const b = Buffer.from('8510000004000000' + '1821000000000000' + '0000000000000000' +
    '7b01000000000000' + '9500000000000000', 'hex');
  b.writeInt32LE(mapFd, 8 + 4);
  return b;
}


/** Assembles a test: bytes to load, and the source line of each slot (for skip messages). */
function assemble(asm: string): { bytes: Uint8Array; lineAt: readonly string[] } {
  const bytes = encode(parseAsm(asm, { dialect: 'ubpf' }));
  const oracle = assembleUbpf(asm);
  expect(Buffer.from(bytes).toString('hex'), 'parseAsm(ubpf) and ubpf-asm.ts disagree')
    .toBe(Buffer.from(oracle.bytes).toString('hex'));
  return { bytes, lineAt: oracle.lineAt };
}

interface Outcome { r0?: bigint; rejected?: VerifierError }

/** Loads and runs one test the libbpf-plugin way. Throws anything that is not a verifier rejection. */
function runOnKernel(testBytes: Uint8Array, mem: Uint8Array): Outcome {
  using map = createMap({ type: 'array', name: 'r0', key: u32, value: u64, maxEntries: 1 });
  const prologue = mem.length > 0 ? xdpPrologue(mem.length) : new Uint8Array(0);
  const bytes = Buffer.concat([wrapper(map.fd), prologue, testBytes]);
  let prog;
  try {
    prog = loadProgram({ type: 'xdp', expectedAttachType: 'xdp', license: 'MIT', name: 'conformance_test', instructions: bytes });
  } catch (e) {
    if (isVerifierError(e)) return { rejected: e };
    throw e;
  }
  using p = prog;
  const data = new Uint8Array(Math.max(mem.length, 14));
  data.set(mem);
  p.testRun({ data, dataSizeOut: data.length, repeat: 1 });
  return { r0: map.lookup(0)! };
}

const tally = { passed: 0, failed: 0, skipped: 0 };
const skips: string[] = [];

function files(dir: string): string[] {
  return readdirSync(join(corpus, dir)).filter((f) => f.endsWith('.data')).sort();
}

describe.skipIf(!canUseBpf || !haveCorpus)(
  `bpf_conformance on the kernel${skipReason}${haveCorpus ? '' : ' (skipped: corpus not found at ../shared)'}`, () => {
    afterAll(() => {
      // Not the "N passed, N failed" shape on purpose: CI reads that line as the suite's total.
      console.log(`bpf_conformance tests/ on the kernel: passed ${tally.passed}, failed ${tally.failed}, ` +
        `skipped ${tally.skipped}\n${skips.map((s) => `  skip ${s}`).join('\n')}`);
    });

    describe('tests/', () => {
      for (const file of haveCorpus ? files('tests') : []) {
        it(file, (ctx) => {
          const c = parseConformanceData(readFileSync(join(corpus, 'tests', file), 'utf8'))!;
          expect(c.result).toBeDefined();
          const prog = c.raw ? undefined : assemble(c.asm);
          const testBytes = c.raw ? rawWordsToBytes(c.raw) : prog!.bytes;
          let out: Outcome;
          try {
            out = runOnKernel(testBytes, c.mem);
          } catch (e) {
            tally.failed++;
            throw e;
          }
          if (out.rejected) {
            const v = out.rejected;
            const known = KERNEL_REFUSES.find((k) => k.message.test(v.kernelMessage));
            const prefix = WRAPPER_SLOTS + (c.mem.length > 0 ? 9 : 0);
            const slot = known ? refusedSlot(v, known, testBytes, prefix) : undefined;
            if (known && slot !== undefined) {
              const line = prog?.lineAt[slot] ?? `slot ${slot}`;
              const why = `${file}: the kernel refuses \`${line}\`, ${known.what} ("${v.kernelMessage}")`;
              tally.skipped++;
              skips.push(why);
              ctx.skip(why);
            }
            tally.failed++;
            throw new Error(`${file}: rejected: ${v.message}\n${v.log.slice(-8).join('\n')}`);
          }
          try {
            expect(`0x${out.r0!.toString(16)}`).toBe(`0x${c.result!.toString(16)}`);
          } catch (e) {
            tally.failed++;
            throw e;
          }
          tally.passed++;
        });
      }
    });

    describe('negative/', () => {
      const dir = join(corpus, 'negative');
      const read = (f: string): ConformanceCase | undefined => parseConformanceData(readFileSync(join(dir, f), 'utf8'));

      it('assembler errors: each file fails to assemble', () => {
        const bad = ['invalid_imm32_dec_range', 'invalid_imm32_hex_range', 'invalid_label', 'invalid_lock',
          'invalid_lock2', 'invalid_mnemonic', 'invalid_offset', 'invalid_offset_range', 'invalid_operand_count',
          'invalid_register'];
        const messages: Record<string, RegExp> = {
          invalid_imm32_dec_range: /^Immediate out of 32-bit range: 2147483648$/,
          invalid_imm32_hex_range: /^Immediate out of 32-bit range: 0x100000000$/,
          invalid_label: /^Invalid label: NOT_A_LABEL$/,
          invalid_lock: /^Invalid number of operands/,
          invalid_lock2: /^Invalid number of operands for lock$/,
          invalid_mnemonic: /^Invalid mnemonic: ldxq$/,
          invalid_offset: /^Failed to decode register and offset/,
          invalid_offset_range: /^Offset out of 16-bit range/,
          invalid_operand_count: /^Invalid number of operands for mnemonic: lddw$/,
          invalid_register: /^Invalid register: %r50$/,
        };
        for (const name of bad) {
          const c = read(`${name}.data`)!;
          expect(() => parseAsm(c.asm, { dialect: 'ubpf' }), `parseAsm: ${name}`).toThrow();
          expect(() => assembleUbpf(c.asm), name).toThrow(messages[name]!);
        }
      });

      it('files without instructions give nothing to run (upstream skips them)', () => {
        expect(read('invalid_unknown_directive.data')).toBeUndefined();
        for (const name of ['empty', 'empty_instructions']) {
          const c = read(`${name}.data`)!;
          expect(c.asm.trim()).toBe('');
          expect(c.raw).toBeUndefined();
        }
      });

      it('error.data assembles but the kernel refuses it (R0 !read_ok)', () => {
        const c = read('error.data')!;
        expect(c.error).toBeDefined();
        const out = runOnKernel(assemble(c.asm).bytes, c.mem);
        expect(out.rejected?.kernelMessage).toBe('R0 !read_ok');
      });

      it('incorrect_return_value_high_bits.data: the full 64 bits differ from the wrong expectation', () => {
        const c = read('incorrect_return_value_high_bits.data')!;
        const out = runOnKernel(assemble(c.asm).bytes, c.mem);
        expect(out.r0).toBe(0x8877665544332211n);
        expect(out.r0).not.toBe(c.result);
      });

      it('unused-*.data: every instruction with a reserved field set is rejected', () => {
        const unused = files('negative').filter((f) => f.startsWith('unused-'));
        expect(unused.length).toBe(45);
        const accepted: string[] = [];
        const why = new Map<string, number>();
        for (const f of unused) {
          const c = read(f)!;
          expect(c.error).toBe('');
          const out = runOnKernel(rawBytesToBytes(c.raw!), c.mem);
          if (!out.rejected) { accepted.push(f); continue; }
          // Group the kernel's words, numbers left out ("BPF_ALU uses reserved fields" and the like).
          const kind = out.rejected.kernelMessage.replace(/\d+/g, 'N').replace(/^BPF_\w+ /, '');
          why.set(kind, (why.get(kind) ?? 0) + 1);
        }
        expect(accepted).toEqual([]);
        console.log(`unused-*.data rejections: ${JSON.stringify(Object.fromEntries(why))}`);
        expect(why.get('uses reserved fields')).toBe(36);
      });
    });
  });
