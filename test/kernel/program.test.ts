import { describe, it, expect } from 'vitest';
import type { Instruction } from '../../src/asm/instruction.js';
import { LD_IMM64, PseudoLd } from '../../src/asm/opcode.js';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { loadProgram, loadPinnedProgram, openProgramById } from '../../src/loader/program.js';
import { isBadInputError, isVerifierError } from '../../src/errors.js';
import type { VerifierError } from '../../src/errors.js';
import { canUseBpf, skipReason } from './program-helpers.js';
import { I, MOV64_IMM, EXIT, ldxw, fdCount, bpffs } from './program-helpers.js';
import { createMap } from '../../src/maps/create.js';
import { u32, u64 } from '../../src/maps/codec.js';

const here = (line: number) => ({ file: 'test/kernel/program.test.ts', line, column: 1 });

describe.skipIf(!canUseBpf)(`programs on the kernel${skipReason}`, () => {
  it('socket_filter: reads skb->len', () => {
    using p = loadProgram({ type: 'socket_filter', name: 'skb_len', instructions: [ldxw(0, 1, 0), EXIT] });
    // The test run pulls the Ethernet header off for socket filters: len is the data less 14 bytes.
    expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(50);
    expect(p.testRun({ data: new Uint8Array(100) }).retval).toBe(86);
  });

  it('xdp: returns the packet length and writes the first byte', () => {
    const insns: Instruction[] = [
      ldxw(2, 1, 0), // r2 = data
      ldxw(3, 1, 4), // r3 = data_end
      I(0xbf, 0, 3), // r0 = r3
      I(0x1f, 0, 2), // r0 -= r2
      I(0xbf, 4, 2), // r4 = r2
      I(0x07, 4, 0, 0, 1), // r4 += 1
      I(0x2d, 4, 3, 1), // if r4 > r3 goto +1
      I(0x72, 2, 0, 0, 0xab), // *(u8 *)(r2 + 0) = 0xab
      EXIT,
    ];
    using p = loadProgram({ type: 'xdp', expectedAttachType: 'xdp', instructions: insns });
    const data = Uint8Array.from({ length: 60 }, (_, i) => i);
    const r = p.testRun({ data, repeat: 3 });
    expect(r.retval).toBe(60);
    expect(r.dataOut.length).toBe(60);
    expect(r.dataOut[0]).toBe(0xab);
    expect([...r.dataOut.subarray(1)]).toEqual([...data.subarray(1)]);
    expect(r.duration).toBeGreaterThanOrEqual(0);
  });

  it('sched_cls: reads and writes __sk_buff.mark through ctx', () => {
    const insns: Instruction[] = [
      ldxw(0, 1, 8), // r0 = skb->mark
      MOV64_IMM(2, 7),
      I(0x63, 1, 2, 8), // skb->mark = 7
      EXIT,
    ];
    using p = loadProgram({ type: 'sched_cls', instructions: insns });
    const ctx = new Uint8Array(192); // sizeof(struct __sk_buff)
    new DataView(ctx.buffer).setUint32(8, 1234, true);
    const r = p.testRun({ data: new Uint8Array(64), ctx });
    expect(r.retval).toBe(1234);
    expect(r.ctxOut).toBeDefined();
    expect(new DataView(r.ctxOut!.buffer, r.ctxOut!.byteOffset).getUint32(8, true)).toBe(7);
  });

  it('raw_tracepoint: reads its arguments from ctx', () => {
    using p = loadProgram({ type: 'raw_tracepoint', instructions: [I(0x79, 0, 1, 8), EXIT] });
    const ctx = new Uint8Array(16);
    new DataView(ctx.buffer).setBigUint64(8, 0x1234n, true);
    const r = p.testRun({ ctx });
    expect(r.retval).toBe(0x1234);
    expect(r.ctxOut).toBeUndefined();
  });

  it('raw_tracepoint: runs on the CPU asked for', () => {
    // r0 = bpf_get_smp_processor_id()
    using p = loadProgram({ type: 'raw_tracepoint', instructions: [I(0x85, 0, 0, 0, 8), EXIT] });
    const cpus = availableParallelism();
    for (const cpu of [0, cpus - 1]) expect(p.testRun({ ctx: new Uint8Array(8), cpu }).retval).toBe(cpu);
  });

  it('test-run failures are syscall errors with a hint', () => {
    using p = loadProgram({ type: 'raw_tracepoint', instructions: [MOV64_IMM(0, 0), EXIT] });
    let err: unknown;
    try { p.testRun({ data: new Uint8Array(64) }); } catch (e) { err = e; }
    expect(err).toMatchObject({ name: 'BpfSyscallError', command: 'BPF_PROG_TEST_RUN', code: 'EINVAL' });
    expect((err as Error).message).toMatch(/wrong size|does not support/);
    using x = loadProgram({ type: 'xdp', instructions: [MOV64_IMM(0, 2), EXIT] });
    expect(() => x.testRun({ data: new Uint8Array(64), dataSizeOut: 16 })).toThrow(/ENOSPC.*larger dataSizeOut/);
  });

  it('syscall: the context comes back with the program\'s writes', () => {
    const insns: Instruction[] = [
      ldxw(2, 1, 0),
      I(0x07, 2, 0, 0, 1), // r2 += 1
      I(0x63, 1, 2, 4), // *(u32 *)(r1 + 4) = r2
      I(0xbf, 0, 2),
      EXIT,
    ];
    // No flags: syscall programs are loaded sleepable by default, as the kernel requires.
    using p = loadProgram({ type: 'syscall', instructions: insns });
    const r = p.testRun({ ctx: Uint8Array.of(41, 0, 0, 0, 0, 0, 0, 0) });
    expect(r.retval).toBe(42);
    expect([...r.ctxOut!]).toEqual([41, 0, 0, 0, 42, 0, 0, 0]);
  });

  it('info, tag, id and xlated describe the loaded program', () => {
    using p = loadProgram({ type: 'socket_filter', name: 'a_name_that_is_too_long', instructions: [MOV64_IMM(0, 3), EXIT] });
    const info = p.info();
    expect(info.id).toBe(p.id);
    expect(info.type).toBe(1);
    expect(info.name).toBe('a_name_that_is_');
    expect(info.tag).toMatch(/^[0-9a-f]{16}$/);
    expect(info.tag).toBe(p.tag);
    expect(info.verifiedInsns).toBe(2);
    expect(info.xlatedSize).toBe(16);
    const x = p.xlated();
    expect(x.instructions).toEqual([MOV64_IMM(0, 3), EXIT]);
    expect(x.text).toEqual(['0: (b7) r0 = 3', '1: (95) exit']);
    // The same instructions give the same tag.
    using q = loadProgram({ type: 'socket_filter', instructions: [MOV64_IMM(0, 3), EXIT] });
    expect(q.tag).toBe(p.tag);
    expect(q.id).not.toBe(p.id);
  });

  it('resolves map names: a spec is created for the program, keeps state and closes with it', () => {
    // counter += 5 in an array map; returns the new value.
    const insns: Instruction[] = [
      I(0x62, 10, 0, -4, 0), // *(u32 *)(r10 - 4) = 0
      I(0xbf, 2, 10), I(0x07, 2, 0, 0, -4), // r2 = r10 - 4
      { code: LD_IMM64, dst: 1, src: PseudoLd.MAP_FD, off: 0, imm: 0, immHi: 0, map: 'counter' },
      I(0x85, 0, 0, 0, 1), // call map_lookup_elem
      I(0x55, 0, 0, 1, 0), // if r0 != 0 goto +1
      EXIT,
      I(0x79, 1, 0, 0), // r1 = *(u64 *)(r0 + 0)
      I(0x07, 1, 0, 0, 5),
      I(0x7b, 0, 1, 0), // *(u64 *)(r0 + 0) = r1
      I(0xbf, 0, 1),
      EXIT,
    ];
    const before = fdCount();
    const p = loadProgram({
      type: 'socket_filter', instructions: insns,
      maps: { counter: { type: 2, keySize: 4, valueSize: 8, maxEntries: 1 } },
    });
    expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(5);
    expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(10);
    expect(p.info().mapIds).toHaveLength(1);
    expect(Object.keys(p.maps)).toEqual(['counter']);
    expect(fdCount()).toBe(before + 2);
    p.close();
    expect(fdCount()).toBe(before);
    expect(() => p.fd).toThrow(/closed/);
    p.close();
  });

  it('unresolved map names fail as bad input before any syscall', () => {
    const insns: Instruction[] = [
      { code: LD_IMM64, dst: 1, src: PseudoLd.MAP_FD, off: 0, imm: 0, immHi: 0, map: 'events', source: here(1) },
      MOV64_IMM(0, 0), EXIT,
    ];
    const before = fdCount();
    let err: unknown;
    try {
      loadProgram({ type: 'socket_filter', instructions: insns, maps: { other: { type: 2, keySize: 4, valueSize: 8, maxEntries: 1 } } });
    } catch (e) { err = e; }
    expect(isBadInputError(err)).toBe(true);
    expect(err).toMatchObject({ index: 0, source: here(1) });
    expect((err as Error).message).toContain('"events"');
    expect(fdCount()).toBe(before); // the "other" spec was never created
  });

  it('kfunc names resolve to the kernel\'s BTF ids', () => {
    const kfunc = (name: string): Instruction => ({ code: 0x85, dst: 0, src: 2, off: 0, imm: 0, kfunc: name });
    using p = loadProgram({
      type: 'xdp',
      instructions: [kfunc('bpf_rcu_read_lock'), kfunc('bpf_rcu_read_unlock'), MOV64_IMM(0, 7), EXIT],
    });
    expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(7);
  });

  it('MAP_IDX_VALUE references go through fd_array', () => {
    using m = createMap({ type: 'array', key: u32, value: u64, maxEntries: 1 });
    m.update(0, 1234n);
    using other = createMap({ type: 'array', key: u32, value: u64, maxEntries: 1 });
    const insns: Instruction[] = [
      { code: LD_IMM64, dst: 1, src: PseudoLd.MAP_IDX_VALUE, off: 0, imm: 0, immHi: 0, map: 'm' },
      I(0x79, 0, 1, 0), // r0 = *(u64 *)(r1 + 0)
      EXIT,
    ];
    // `other` takes fd_array[0], so m must land at index 1 for this to read 1234.
    using p = loadProgram({ type: 'socket_filter', instructions: insns, maps: { m }, fdArray: [other] });
    expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(1234);
  });

  it('unknown kfuncs fail as bad input', () => {
    const call: Instruction = { code: 0x85, dst: 0, src: 2, off: 0, imm: 0, kfunc: 'bpf_no_such_kfunc_xyz', source: here(2) };
    expect(() => loadProgram({ type: 'syscall', instructions: [call, MOV64_IMM(0, 0), EXIT] }))
      .toThrow(/bpf_no_such_kfunc_xyz/);
  });

  it('a verifier rejection is a VerifierError with the kernel line and the TypeScript source', () => {
    const insns: Instruction[] = [
      MOV64_IMM(0, 0),
      { ...ldxw(2, 1, 4096), source: here(3) }, // out of the context
      EXIT,
    ];
    let err: unknown;
    try { loadProgram({ type: 'socket_filter', instructions: insns }); } catch (e) { err = e; }
    expect(isVerifierError(err)).toBe(true);
    const v = err as VerifierError;
    expect(v.kernelMessage).toBe('invalid bpf_context access off=4096 size=4');
    expect(v.insn).toBe(1);
    expect(v.source).toEqual(here(3));
    expect(v.code).toBe('EACCES');
    expect(v.log.some((l) => l.startsWith('1: (61) r2 = *(u32 *)(r1 +4096)'))).toBe(true);
    expect(v.log[v.log.length - 1]).toMatch(/^processed \d+ insns/);
    expect(v.message).toBe('program rejected by the kernel verifier (EACCES) insn 1 at test/kernel/program.test.ts:3:1: ' +
      'invalid bpf_context access off=4096 size=4');
  });

  it('grows the log buffer until the whole log fits', () => {
    // Many instructions, then an error: the level-1 log is far longer than 128 bytes.
    const insns: Instruction[] = [];
    for (let i = 0; i < 300; i++) insns.push(MOV64_IMM(i % 9 + 1, i));
    insns.push(I(0xbf, 0, 0)); // r0 = r0: R0 !read_ok
    insns.push(EXIT);
    const catchIt = (logSize?: number): VerifierError => {
      try { loadProgram({ type: 'socket_filter', instructions: insns, ...(logSize ? { logSize } : {}) }); } catch (e) { return e as VerifierError; }
      throw new Error('loaded');
    };
    const small = catchIt(128);
    const big = catchIt();
    expect(small.log.join('\n').length).toBeGreaterThan(4096);
    expect(small.log).toEqual(big.log);
    expect(small.kernelMessage).toBe('R0 !read_ok');
    expect(small.insn).toBe(300);
  });

  it('keeps the verifier log of an accepted program when asked, at level 2 too', () => {
    using p = loadProgram({ type: 'socket_filter', instructions: [MOV64_IMM(0, 1), EXIT], logLevel: 2, logSize: 128 });
    expect(p.verifierLog).toBeDefined();
    expect(p.verifierLog!.some((l) => l.startsWith('processed 2 insns'))).toBe(true);
    using q = loadProgram({ type: 'socket_filter', instructions: [MOV64_IMM(0, 1), EXIT] });
    expect(q.verifierLog).toBeUndefined();
  });

  it('loads raw bytes as they are', () => {
    const bytes = Uint8Array.from(Buffer.from('b70000002a0000009500000000000000', 'hex'));
    using p = loadProgram({ type: 'socket_filter', instructions: bytes });
    expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(42);
  });
});

describe.skipIf(!canUseBpf)(`tail calls and pins${skipReason}`, () => {
  it('a dispatcher tail-calls into a program stored in a prog_array', () => {
    using callee = loadProgram({ type: 'socket_filter', name: 'callee', instructions: [MOV64_IMM(0, 77), EXIT] });
    const dispatcher: Instruction[] = [
      { code: LD_IMM64, dst: 2, src: PseudoLd.MAP_FD, off: 0, imm: 0, immHi: 0, map: 'jumps' },
      MOV64_IMM(3, 0), // index 0
      I(0x85, 0, 0, 0, 12), // call tail_call(ctx, jumps, 0)
      MOV64_IMM(0, 1), // reached only when the slot is empty
      EXIT,
    ];
    using jumps = createMap({ type: 'prog_array', key: u32, valueSize: 4, maxEntries: 1 });
    using p = loadProgram({ type: 'socket_filter', instructions: dispatcher, maps: { jumps } });
    expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(1);
    jumps.update(0, callee);
    expect(p.testRun({ data: new Uint8Array(64) }).retval).toBe(77);
    // The user's map object is not the program's: it stays open after the program closes.
    p.close();
    expect(jumps.closed).toBe(false);
  });

  it('opens a program by its id', () => {
    using p = loadProgram({ type: 'socket_filter', instructions: [MOV64_IMM(0, 5), EXIT] });
    using q = openProgramById(p.id);
    expect(q.tag).toBe(p.tag);
    expect(q.testRun({ data: new Uint8Array(64) }).retval).toBe(5);
    expect(() => openProgramById(0xfffffff0)).toThrow(/ENOENT/);
  });

  it('pins, opens the pin as a new Program, and unpins', () => {
    using fs = bpffs();
    using p = loadProgram({ type: 'socket_filter', name: 'pinned', instructions: [MOV64_IMM(0, 9), EXIT] });
    const path = `${fs.dir}/prog`;
    p.pin(path);
    using q = loadPinnedProgram(path);
    expect(q.id).toBe(p.id);
    expect(q.tag).toBe(p.tag);
    expect(q.type).toBe(1);
    expect(q.name).toBe('pinned');
    expect(q.fd).not.toBe(p.fd);
    expect(q.testRun({ data: new Uint8Array(64) }).retval).toBe(9);
    p.unpin(path);
    expect(existsSync(path)).toBe(false);
    // A pinned map is not a program.
    using m = createMap({ type: 'array', key: u32, value: u64, maxEntries: 1 });
    m.pin(`${fs.dir}/map`);
    expect(() => loadPinnedProgram(`${fs.dir}/map`)).toThrow(/is not a pinned program/);
    expect(() => loadPinnedProgram(path)).toThrow(/BPF_OBJ_GET failed: ENOENT/);
  });
});

describe.skipIf(!canUseBpf)(`xlated programs${skipReason}`, () => {
  it('shows the kernel\'s rewrites: map references, helper calls, in the kernel\'s notation', () => {
    const insns: Instruction[] = [
      I(0x62, 10, 0, -4, 0),
      I(0xbf, 2, 10), I(0x07, 2, 0, 0, -4),
      { code: LD_IMM64, dst: 1, src: PseudoLd.MAP_FD, off: 0, imm: 0, immHi: 0, map: 'm' },
      I(0x85, 0, 0, 0, 1), // map_lookup_elem
      MOV64_IMM(0, 0),
      EXIT,
    ];
    using p = loadProgram({ type: 'socket_filter', instructions: insns, maps: { m: { type: 'hash', keySize: 4, valueSize: 8, maxEntries: 4 } } });
    const x = p.xlated();
    const info = p.info();
    expect(x.bytes.length).toBe(info.xlatedSize);
    expect(x.text.join('\n')).toMatch(/^0: \(62\) \*\(u32 \*\)\(r10 -4\) = 0$/m);
    // The dump names the map by id where the program had its fd.
    const ld = x.instructions.find((i) => i.code === LD_IMM64)!;
    expect(ld.imm).toBe(info.mapIds[0]);
    expect(x.text).toContain(`3: (18) r1 = map[id:${info.mapIds[0]}]`);
    expect(x.text.some((l) => /\(85\) call /.test(l))).toBe(true);
  });
});
