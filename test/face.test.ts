import { createRequire } from 'node:module';
import { describe, it, expect } from 'vitest';

const require = createRequire(import.meta.url);

describe('the package face (src/index.ts)', () => {
  it('imports without loading ffi-rs, and every area is reachable from it', async () => {
    const face = await import('../src/index.js');
    expect(Object.keys(require.cache).some((k) => k.includes('ffi-rs'))).toBe(false);
    // One name per area that a user reaches for first.
    for (const name of [
      'asm', 'R0', 'R10', 'encode', 'decode', 'disassemble', 'parseAsm', 'helperByName', 'ProgramType',
      'verify', 'createMap', 'BpfMap', 'u32', 'struct', 'loadProgram', 'Program', 'probe',
      'attachTracepoint', 'attachXdp', 'Link', 'createTestNetwork', 'parseTraceLine', 'RingbufConsumer',
      'EbpfError', 'NotSupportedError', 'VerifierError', 'readElf', 'Fd',
    ]) {
      expect(face, name).toHaveProperty(name);
    }
  });

  it('builds, checks and prints a program using only the face', async () => {
    const { asm, R0, R1, verify, disassemble } = await import('../src/index.js');
    const { instructions } = asm.program([asm.mov64(R0, 0), asm.jeq64(R1, 0, 'out'), asm.mov64(R0, 1), asm.label('out'), asm.exit()]);
    const r = verify(instructions, { type: 'socket_filter' });
    expect(r.ok).toBe(true);
    expect(disassemble(instructions)).toContain('1: (15) if r1 == 0x0 goto out');
  });
});
