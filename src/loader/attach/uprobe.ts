/**
 * uprobes and uretprobes on a user-space binary, by symbol (read from the ELF file in TypeScript)
 * or file offset: the uprobe PMU (type from /sys/bus/event_source/devices/uprobe/type, the
 * retprobe bit from its format/retprobe; `config1` the path, `config2` the offset) with a perf link;
 * and uprobe_multi, many offsets in one binary in one BPF link (BPF_TRACE_UPROBE_MULTI, 6.6+).
 * @module
 */
import { existsSync, readFileSync } from 'node:fs';
import { AttachType } from '../../asm/attach-types.js';
import { ProgramType } from '../../asm/prog-types.js';
import { readElf, symbolFileOffset } from '../../elf/symbols.js';
import type { ElfFile } from '../../elf/symbols.js';
import { BadInputError, NotSupportedError } from '../../errors.js';
import { putU32, putU64 } from '../attr.js';
import { nativeAlloc } from '../ffi.js';
import type { HasFd } from '../fd.js';
import { Link } from '../link.js';
import { openPerfEvent, pmuFormatBit, pmuPath, pmuType } from '../perf-event.js';
import { linkCreate } from './link-create.js';
import { attachToPerfEvent } from './perf-link.js';
import type { PerfAttachOptions } from './perf-link.js';

/** Where in a binary to probe: a symbol name, or a file offset. */
export type UprobeTarget = string | number | bigint;

/** Options of {@link attachUprobe}. */
export interface UprobeOptions extends PerfAttachOptions {
  /** Probe the function's return (a uretprobe). */
  readonly retprobe?: boolean;
  /** Only this process (default -1: every process that maps the binary). */
  readonly pid?: number;
  /** File offset of a USDT semaphore (reference counter) to increment while attached. */
  readonly refCtrOffset?: number;
}

const LIB_DIRS = ['/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib/aarch64-linux-gnu',
  '/usr/lib/aarch64-linux-gnu', '/lib64', '/usr/lib64', '/lib', '/usr/lib'];

/**
 * The path of a binary or shared library: a path is returned as it is; a bare library name (`libc`,
 * `libc.so.6`) is looked up in this process's mappings, then in the usual library directories.
 */
export function resolveBinary(name: string): string {
  if (name.includes('/')) {
    if (!existsSync(name)) throw new BadInputError(`uprobe target ${name} does not exist`);
    return name;
  }
  const want = (file: string) => file === name || file.startsWith(`${name}.so`) || file.startsWith(`${name}-`);
  try {
    for (const line of readFileSync('/proc/self/maps', 'utf8').split('\n')) {
      const path = line.slice(line.indexOf('/'));
      if (line.includes('/') && want(path.slice(path.lastIndexOf('/') + 1))) return path;
    }
  } catch {
    // no procfs
  }
  for (const dir of LIB_DIRS) {
    if (existsSync(`${dir}/${name}`)) return `${dir}/${name}`;
    if (existsSync(`${dir}/${name}.so.6`)) return `${dir}/${name}.so.6`;
  }
  throw new BadInputError(`cannot find the binary or library ${name}; give its path`);
}

const elfCache = new Map<string, ElfFile>();

/** The file offset a uprobe on `target` (symbol or offset) in `binary` uses. */
export function uprobeOffset(binary: string, target: UprobeTarget): bigint {
  if (typeof target !== 'string') {
    const off = BigInt(target);
    if (off < 0n) throw new BadInputError(`uprobe offset must not be negative, got ${off}`);
    return off;
  }
  let elf = elfCache.get(binary);
  if (!elf) {
    elf = readElf(readFileSync(binary));
    elfCache.set(binary, elf);
  }
  return symbolFileOffset(elf, target);
}

function describe(target: UprobeTarget): string {
  return typeof target === 'string' ? target : `0x${BigInt(target).toString(16)}`;
}

/**
 * Attaches a `kprobe`-type program as a uprobe on `target` (a symbol, or a file offset) in `binary`
 * (a path, or a library name such as `libc`).
 */
export function attachUprobe(prog: HasFd, binary: string, target: UprobeTarget, opts: UprobeOptions = {}): Link {
  const kind = opts.retprobe ? 'uretprobe' : 'uprobe';
  const type = pmuType('uprobe');
  if (type === undefined) throw new NotSupportedError(`${kind} attach`, `this kernel has no uprobe PMU (${pmuPath('uprobe')} is absent; CONFIG_UPROBE_EVENTS)`);
  const path = resolveBinary(binary);
  const offset = uprobeOffset(path, target);
  let config = 0n;
  if (opts.retprobe) {
    const bit = pmuFormatBit('uprobe', 'retprobe');
    if (bit === undefined) throw new NotSupportedError('uretprobe attach', `${pmuPath('uprobe')}/format/retprobe is absent`);
    config |= 1n << BigInt(bit);
  }
  if (opts.refCtrOffset) {
    const bit = pmuFormatBit('uprobe', 'ref_ctr_offset');
    if (bit === undefined) throw new NotSupportedError('uprobe reference counters', `${pmuPath('uprobe')}/format/ref_ctr_offset is absent`);
    config |= BigInt(opts.refCtrOffset) << BigInt(bit);
  }
  const what = `${kind} ${path}:${describe(target)}`;
  const pid = opts.pid ?? -1;
  const str = nativeAlloc(Buffer.byteLength(path) + 1);
  try {
    str.bytes.write(path, 0, 'utf8');
    const perf = openPerfEvent({ type, config, config1: str.addr, config2: offset }, { pid, cpu: pid === -1 ? 0 : -1 }, what);
    try {
      const { link } = attachToPerfEvent(prog, perf, what, opts);
      return new Link({ kind, target: `${path}:${describe(target)}`, links: link ? [link] : [], others: [perf] });
    } catch (e) {
      perf.close();
      throw e;
    }
  } finally {
    str.free();
  }
}

/** Attaches a uretprobe: {@link attachUprobe} on the function's return. */
export function attachUretprobe(prog: HasFd, binary: string, target: UprobeTarget, opts: Omit<UprobeOptions, 'retprobe'> = {}): Link {
  return attachUprobe(prog, binary, target, { ...opts, retprobe: true });
}

/** The load options of a uprobe_multi program (type `kprobe`, expected attach type BPF_TRACE_UPROBE_MULTI). */
export const uprobeMultiLoadOptions: { readonly type: number; readonly expectedAttachType: number } = Object.freeze({
  type: ProgramType.KPROBE, expectedAttachType: AttachType.TRACE_UPROBE_MULTI,
});

/** Options of {@link attachUprobeMulti}. */
export interface UprobeMultiOptions {
  /** Probe returns (BPF_F_UPROBE_MULTI_RETURN). */
  readonly retprobe?: boolean;
  /** Only this process (default 0: every process). */
  readonly pid?: number;
  /** One bpf_get_attach_cookie value per target. */
  readonly cookies?: readonly bigint[];
}

/**
 * Attaches a program loaded with {@link uprobeMultiLoadOptions} to many places in one binary at
 * once (one BPF link).
 */
export function attachUprobeMulti(prog: HasFd, binary: string, targets: readonly UprobeTarget[], opts: UprobeMultiOptions = {}): Link {
  if (targets.length === 0) throw new BadInputError('uprobe_multi needs at least one target');
  if (opts.cookies && opts.cookies.length !== targets.length) {
    throw new BadInputError(`uprobe_multi: ${opts.cookies.length} cookies for ${targets.length} targets`);
  }
  const path = resolveBinary(binary);
  const offsets = targets.map((t) => uprobeOffset(path, t));
  const str = nativeAlloc(Buffer.byteLength(path) + 1);
  const offs = nativeAlloc(8 * offsets.length);
  const cookies = opts.cookies ? nativeAlloc(8 * offsets.length) : undefined;
  try {
    str.bytes.write(path, 0, 'utf8');
    offsets.forEach((o, i) => offs.bytes.writeBigUInt64LE(o, 8 * i));
    opts.cookies?.forEach((c, i) => cookies!.bytes.writeBigUInt64LE(c, 8 * i));
    const kind = opts.retprobe ? 'uretprobe_multi' : 'uprobe_multi';
    const fd = linkCreate({
      prog, target: 0, attachType: AttachType.TRACE_UPROBE_MULTI, what: `${kind} ${path}`,
      fill: (dv) => {
        putU64(dv, 16, str.addr);
        putU64(dv, 24, offs.addr);
        if (cookies) putU64(dv, 40, cookies.addr);
        putU32(dv, 48, offsets.length);
        putU32(dv, 52, opts.retprobe ? 1 : 0);
        putU32(dv, 56, opts.pid ?? 0);
      },
      hints: { 22: 'the program must be of type kprobe loaded with expected attach type trace_uprobe_multi (uprobeMultiLoadOptions)' },
    });
    return new Link({ kind, target: `${path}:${targets.map(describe).join(',')}`, links: [fd] });
  } finally {
    cookies?.free();
    offs.free();
    str.free();
  }
}

