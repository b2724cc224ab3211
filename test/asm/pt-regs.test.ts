import { existsSync, readFileSync } from 'node:fs';
import { describe, it, expect } from 'vitest';
import { ptRegs, ptRegsArchs } from '../../src/asm/pt-regs.js';
import { asm, R0, R1, R2, R3, R6, R7, R10 } from '../../src/asm/dsl/index.js';
import type { ProgramItem } from '../../src/asm/dsl/index.js';
import { VMLINUX_BTF_PATH, kernelMemberOffset } from '../../src/btf/vmlinux.js';
import { isBadInputError } from '../../src/errors.js';
import { requireNative, syscall } from '../../src/loader/ffi.js';
import { attachRawTracepoint } from '../../src/loader/attach/raw-tracepoint.js';
import { attachUprobe, attachUretprobe } from '../../src/loader/attach/uprobe.js';
import { loadProgram } from '../../src/loader/program.js';
import { resolveBinary, uprobeOffset } from '../../src/index.js';
import { createMap } from '../../src/maps/create.js';
import { kernelTestContext } from '../kernel/privileged.js';

/**
 * The members of each `struct pt_regs` in order, as Linux 6.18 declares them (every member 8
 * bytes: x86-64's cs/ss are unions with a u64; arm64's regs[31]/sp/pc/pstate are its
 * user_pt_regs), and the members libbpf's bpf_tracing.h names for each macro.
 */
const LAYOUTS = {
  // arch/x86/include/asm/ptrace.h; bpf_tracing.h, bpf_target_x86 (__KERNEL__ || __VMLINUX_H__).
  x64: {
    members: 'r15 r14 r13 r12 bp bx r11 r10 r9 r8 ax cx dx si di orig_ax ip cs flags sp ss',
    PARM: 'di si dx cx r8 r9', PARM_SYSCALL: 'di si dx r10 r8 r9', RC: 'ax', SP: 'sp', FP: 'bp', IP: 'ip',
  },
  // arch/arm64/include/asm/ptrace.h; bpf_tracing.h, bpf_target_arm64.
  arm64: {
    members: `${Array.from({ length: 31 }, (_, i) => `regs[${i}]`).join(' ')} sp pc pstate orig_x0`,
    PARM: 'regs[0] regs[1] regs[2] regs[3] regs[4] regs[5] regs[6] regs[7]',
    PARM_SYSCALL: 'orig_x0 regs[1] regs[2] regs[3] regs[4] regs[5]', RC: 'regs[0]', SP: 'sp', FP: 'regs[29]', IP: 'pc',
  },
  // arch/riscv/include/asm/ptrace.h; bpf_tracing.h, bpf_target_riscv (user_regs_struct's pc is pt_regs' epc).
  riscv64: {
    members: 'epc ra sp gp tp t0 t1 t2 s0 s1 a0 a1 a2 a3 a4 a5 a6 a7 s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 t3 t4 t5 t6 ' +
      'status badaddr cause orig_a0',
    PARM: 'a0 a1 a2 a3 a4 a5 a6 a7', PARM_SYSCALL: 'orig_a0 a1 a2 a3 a4 a5', RC: 'a0', SP: 'sp', FP: 's0', IP: 'epc',
  },
} as const;

const words = (s: string): string[] => s.split(' ');

describe('ptRegs: struct pt_regs offsets', () => {
  for (const arch of ptRegsArchs) {
    it(`${arch}: libbpf's PT_REGS_* members at their place in the struct`, () => {
      const l = LAYOUTS[arch];
      const members = words(l.members);
      const offset = (member: string): number => {
        const i = members.indexOf(member);
        expect(i, member).toBeGreaterThanOrEqual(0);
        return i * 8;
      };
      const regs = ptRegs(arch);
      expect(regs.arch).toBe(arch);
      expect(regs.maxArgs).toBe(words(l.PARM).length);
      words(l.PARM).forEach((m, i) => expect(regs.arg(i + 1), `PT_REGS_PARM${i + 1}`).toBe(offset(m)));
      words(l.PARM_SYSCALL).forEach((m, i) => expect(regs.syscallArg(i + 1), `PT_REGS_PARM${i + 1}_SYSCALL`).toBe(offset(m)));
      expect(regs.ret).toBe(offset(l.RC));
      expect(regs.sp).toBe(offset(l.SP));
      expect(regs.fp).toBe(offset(l.FP));
      expect(regs.ip).toBe(offset(l.IP));
    });
  }

  it('takes the kernel\'s architecture names, defaults to this one, and says what it does not know', () => {
    expect(ptRegs('x86_64')).toMatchObject({ arch: 'x64', ret: 80 });
    expect(ptRegs('aarch64')).toMatchObject({ arch: 'arm64', ret: 0 });
    if ((ptRegsArchs as readonly string[]).includes(process.arch)) expect(ptRegs().arch).toBe(process.arch);
    const thrown = (f: () => unknown): unknown => { try { f(); } catch (e) { return e; } return undefined; };
    const unknownArch = thrown(() => ptRegs('s390x'));
    expect(isBadInputError(unknownArch)).toBe(true);
    expect(String(unknownArch)).toMatch(/pt_regs is not known for s390x \(known: x64, arm64, riscv64\)/);
    for (const n of [0, 7, 1.5, -1]) {
      const e = thrown(() => ptRegs('x64').arg(n));
      expect(isBadInputError(e), String(n)).toBe(true);
      expect(String(e)).toMatch(/argument .* is not in pt_regs on x64: arguments are numbered 1 to 6/);
    }
    expect(ptRegs('arm64').arg(8)).toBe(56);
    expect(String(thrown(() => ptRegs('arm64').syscallArg(7)))).toMatch(/syscall argument 7 .* numbered 1 to 6/);
  });

  // The running kernel's own layout, from its BTF (a file: no bpf() needed).
  it.skipIf(process.arch !== 'x64' || !existsSync(VMLINUX_BTF_PATH))('x64: the running kernel\'s BTF puts the registers there', () => {
    const regs = ptRegs();
    const l = LAYOUTS.x64;
    words(l.PARM).forEach((m, i) => expect(regs.arg(i + 1), m).toBe(kernelMemberOffset('pt_regs', m)));
    words(l.PARM_SYSCALL).forEach((m, i) => expect(regs.syscallArg(i + 1), m).toBe(kernelMemberOffset('pt_regs', m)));
    expect([regs.ret, regs.sp, regs.fp, regs.ip]).toEqual(['ax', 'sp', 'bp', 'ip'].map((m) => kernelMemberOffset('pt_regs', m)));
  });
});

const kernel = kernelTestContext('asm/pt-regs');

/** Slots of the `seen` record. */
const ARGS = 0; // 6 arguments at entry
const IP = 6;
const SP = 7;
const ARMED = 8; // the entry saw the marked call; its return is next
const RET = 9;
const SYSCALL_ARGS = 10; // 6 syscall arguments, then the same pt_regs read at arg(4)
const ARG4_AS_FUNCTION = 16;
const SLOTS = 17;

describe.skipIf(!kernel.ok || !(ptRegsArchs as readonly string[]).includes(process.arch))('ptRegs on this kernel: a uprobe, uretprobe and raw tracepoint read what was passed', () => {
  it('reads syscall()\'s six arguments, its address and stack, its return value, and getpid\'s syscall arguments', () => {
    const regs = ptRegs();
    // A value of this run, to tell our call from any other.
    const mark = 0x1000_0000 + ((process.pid * 7919 + Date.now()) % 0x0fff_ffff);
    const args = [requireNative().getpid, mark, mark + 1, mark + 2, mark + 3, mark + 4];
    using seen = createMap({ type: 'array', keySize: 4, valueSize: SLOTS * 8, maxEntries: 1, name: 'ptregs_seen' });
    const lookupSeen: ProgramItem[] = [...asm.mapLookup({ map: 'seen', key: 0, stackOffset: -4 }), asm.ifNull(R0, 'out')];
    const save = (slot: number, offset: number): ProgramItem[] => [asm.ldx('u64', R1, R6, offset), asm.stx('u64', R0, slot * 8, R1)];

    // Entry of libc's syscall(nr, a1..a5): when the second argument is the mark, keep all six, ip and sp.
    const entry = asm.program([
      asm.mov64(R6, R1),
      asm.ldx('u64', R7, R6, regs.arg(2)),
      asm.jne64(R7, mark, 'out'),
      ...lookupSeen,
      ...[1, 2, 3, 4, 5, 6].flatMap((n) => save(ARGS + n - 1, regs.arg(n))),
      ...save(IP, regs.ip),
      ...save(SP, regs.sp),
      asm.st('u64', R0, ARMED * 8, 1),
      asm.label('out'),
      ...asm.ret(0),
    ]);
    // Its return, right after the marked entry: the return value.
    const exit = asm.program([
      asm.mov64(R6, R1),
      ...lookupSeen,
      asm.ldx('u64', R1, R0, ARMED * 8),
      asm.jne64(R1, 1, 'out'),
      asm.st('u64', R0, ARMED * 8, 0),
      ...save(RET, regs.ret),
      asm.label('out'),
      ...asm.ret(0),
    ]);
    // The raw tracepoint sys_enter gets the user registers saved at the syscall's entry (args[0],
    // what a syscall wrapper gets as its first argument) and the syscall number (args[1]).
    const readUserReg = (slot: number, offset: number): ProgramItem[] => [
      asm.mov64(R1, R10), asm.add64(R1, -16), asm.mov64(R2, 8), asm.mov64(R3, R7), asm.add64(R3, offset),
      asm.call('probe_read_kernel'),
      ...lookupSeen,
      asm.ldx('u64', R1, R10, -16),
      asm.stx('u64', R0, slot * 8, R1),
    ];
    const sysEnter = asm.program([
      asm.mov64(R6, R1),
      asm.call('get_current_pid_tgid'),
      asm.rsh64(R0, 32),
      asm.jne64(R0, process.pid, 'out'),
      asm.ldx('u64', R1, R6, 8),
      asm.jne64(R1, args[0]!, 'out'),
      asm.ldx('u64', R7, R6, 0),
      asm.st('u64', R10, -16, 0),
      asm.mov64(R1, R10), asm.add64(R1, -16), asm.mov64(R2, 8), asm.mov64(R3, R7), asm.add64(R3, regs.syscallArg(2)),
      asm.call('probe_read_kernel'),
      asm.ldx('u64', R1, R10, -16),
      asm.jne64(R1, mark + 1, 'out'),
      ...[1, 2, 3, 4, 5, 6].flatMap((n) => readUserReg(SYSCALL_ARGS + n - 1, regs.syscallArg(n))),
      ...readUserReg(ARG4_AS_FUNCTION, regs.arg(4)),
      asm.label('out'),
      ...asm.ret(0),
    ]);
    const maps = { seen };
    using onEntry = loadProgram({ type: 'kprobe', instructions: entry, maps, name: 'ptregs_entry' });
    using onExit = loadProgram({ type: 'kprobe', instructions: exit, maps, name: 'ptregs_exit' });
    using onSysEnter = loadProgram({ type: 'raw_tracepoint', instructions: sysEnter, maps, name: 'ptregs_sys' });
    const libc = resolveBinary('libc.so.6');
    let got: number;
    {
      using _e = attachUprobe(onEntry, libc, 'syscall', { pid: process.pid });
      using _x = attachUretprobe(onExit, libc, 'syscall', { pid: process.pid });
      using _t = attachRawTracepoint(onSysEnter, 'sys_enter');
      got = syscall(args[0]!, args[1], args[2], args[3], args[4], args[5]);
    }
    expect(got).toBe(process.pid);
    const v = Buffer.from(seen.lookup(0)! as Uint8Array);
    const slot = (i: number): bigint => v.readBigUInt64LE(i * 8);
    expect([0, 1, 2, 3, 4, 5].map((i) => slot(ARGS + i))).toEqual(args.map(BigInt));
    expect(slot(RET)).toBe(BigInt(process.pid));
    expect(slot(ARMED)).toBe(0n);
    // syscall(nr, a1..a5) passes a1..a5 on as the syscall's arguments 1..5.
    expect([0, 1, 2, 3, 4].map((i) => slot(SYSCALL_ARGS + i))).toEqual(args.slice(1).map(BigInt));
    // On x86-64 the syscall's 4th argument is in r10: rcx holds the user return address instead.
    if (process.arch === 'x64') expect(slot(ARG4_AS_FUNCTION)).not.toBe(BigInt(args[4]!));
    // The probe's ip is syscall()'s address in libc's mapping; sp is on this thread's stack.
    const maps_ = readFileSync('/proc/self/maps', 'utf8').trim().split('\n').map((l) => l.split(/\s+/));
    const offset = uprobeOffset(libc, 'syscall');
    const text = maps_.find(([range, perms, off, , , path]) => {
      const [lo, hi] = range!.split('-').map((h) => BigInt(`0x${h}`));
      const fileOff = BigInt(`0x${off}`);
      return path === libc && perms!.includes('x') && offset >= fileOff && offset < fileOff + (hi! - lo!);
    });
    expect(text).toBeDefined();
    expect(slot(IP)).toBe(BigInt(`0x${text![0]!.split('-')[0]}`) + offset - BigInt(`0x${text![2]}`));
    const stack = maps_.find((m) => m[5] === '[stack]')!;
    const [lo, hi] = stack[0]!.split('-').map((h) => BigInt(`0x${h}`));
    expect(slot(SP) >= lo! && slot(SP) < hi!).toBe(true);
  });
});
