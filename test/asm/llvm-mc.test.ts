/**
 * Agreement with LLVM: a broad sample of instructions is printed in the `llvm` dialect, assembled
 * by llvm-mc in one run (`-triple=bpfel -mcpu=v4 -show-encoding`), and each `encoding: [...]` is
 * compared with `encode(parseAsm(line))` and with the instruction the text came from.
 * Skips (saying so) when no llvm-mc with ISA v4 is installed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { encode } from '../../src/asm/encoding.js';
import type { Instruction } from '../../src/asm/instruction.js';
import { formatInstruction, parseAsm } from '../../src/asm/text/index.js';
import { arbInstruction, instructionFamilies } from '../../src/testing/instructions.js';
import type { InstructionFamily } from '../../src/testing/instructions.js';

/** llvm-mc 14 has no ISA v4: prefer the newer ones (CI installs llvm-22). */
const LLVM_MC = ['/usr/bin/llvm-mc-22', '/usr/bin/llvm-mc-21', '/usr/bin/llvm-mc-20', '/usr/bin/llvm-mc-19']
  .find((p) => existsSync(p));

/**
 * Families with an LLVM syntax for every member. Left out: BPF-to-BPF and kfunc calls and
 * LD_IMM64 with a pseudo source (LLVM writes those as symbols with relocations, not numbers).
 */
const FAMILIES = instructionFamilies.filter((f) => !(['call_pseudo', 'call_kfunc'] as InstructionFamily[]).includes(f));

function sample(): Instruction[] {
  const arb = arbInstruction(FAMILIES).filter((x) =>
    (x.code !== 0x18 || x.src === 0) &&
    // llvm-mc reads a numeric gotol target as 16 bits only (a label reaches further).
    (x.code !== 0x06 || (x.imm >= -0x8000 && x.imm <= 0x7fff)) &&
    // llvm-mc reads only `skb[rN]` for LD_IND.
    ((x.code & 0xe7) !== 0x40 || x.imm === 0));
  return fc.sample(arb, { numRuns: 3000, seed: 6_18 });
}

describe.skipIf(LLVM_MC === undefined)(`llvm-mc agreement${LLVM_MC ? ` (${LLVM_MC})` : ' (skipped: no llvm-mc 19+ at /usr/bin)'}`, () => {
  it('the bytes of llvm-mc and of encode(parseAsm(text)) are the same for a 3000-instruction sample', () => {
    const insns = sample();
    const lines = insns.map((x) => formatInstruction(x, { dialect: 'llvm' }));
    const dir = mkdtempSync(join(tmpdir(), 'ts-ebpf-llvm-mc-'));
    let out: string;
    try {
      writeFileSync(join(dir, 'sample.s'), `${lines.join('\n')}\n`);
      out = execFileSync(LLVM_MC!, ['-triple=bpfel', '-mcpu=v4', '-show-encoding', join(dir, 'sample.s')],
        { encoding: 'utf8', maxBuffer: 64 << 20, stdio: ['ignore', 'pipe', 'pipe'] });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    const matches = [...out.matchAll(/^\s*(.*?)\s*# encoding: \[([^\]]*)\]/gm)];
    const encodings = matches.map((m) => Buffer.from(m[2]!.split(',').map((b) => parseInt(b, 16))).toString('hex'));
    // LLVM's own printing of each line (`r0 = *(u32 *)(r1 + 4)`, `if r1 > 5 goto +3`) reads back too.
    const llvmText = matches.map((m) => m[1]!);
    expect(encodings.length).toBe(insns.length);
    const families = new Set<number>();
    insns.forEach((x, i) => {
      const ours = encode(parseAsm(lines[i]!));
      expect(Buffer.from(ours).toString('hex'), lines[i]).toBe(encodings[i]);
      expect(Buffer.from(encode([x])).toString('hex'), lines[i]).toBe(encodings[i]);
      expect(Buffer.from(encode(parseAsm(llvmText[i]!))).toString('hex'), llvmText[i]).toBe(encodings[i]);
      families.add(x.code);
    });
    // The sample reaches far: over a hundred distinct opcodes.
    expect(families.size).toBeGreaterThan(100);
  });
});
