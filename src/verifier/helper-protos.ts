/**
 * Helper prototypes as the verifier model consumes them, derived from the shared helper table
 * (src/asm/helpers.ts: the protos and per-program-type availability of Linux 6.18). Each
 * argument becomes a short code the argument checker switches on:
 * A anything, C / Cn ctx (or null), M const map ptr, K map key, V / Vn / Vu map value (plain, or null, uninit
 * write), m / mn readable mem (or null), u / un writable mem (or null), s size, z size or zero,
 * uf / mf fixed-size writable / readable mem (suffix a: aligned), Z alloc size or zero, S sock_common, So full socket, T btf sock_common, R btf sock_common to
 * release, B ringbuf mem to release, L spin lock, Fn callback, P stack (or null), and X for
 * argument kinds outside the model.
 * @module
 */
import { helperById, helperProtoFor, HELPER_COUNT } from '../asm/helpers.js';
import type { HelperArg, HelperProto as AsmProto } from '../asm/helpers.js';

/** One prototype, in the model's terms. */
export interface HelperProto {
  /** Name without the `bpf_` prefix. */
  readonly name: string;
  /** Argument codes for R1..R5 (see the module comment). */
  readonly args: readonly string[];
  /** Fixed sizes of MEM_FIXED_SIZE arguments, by index. */
  readonly sizes: readonly (number | undefined)[];
  /** Return: i int, v void, mv? / mv map value (or null), sk? / sc? / tcp? sockets or null, rb? ringbuf mem or null, btf? kernel object or null, X other. */
  readonly ret: string;
  /** GPL-only. */
  readonly gpl: boolean;
  /** Accepts packet pointers for memory arguments (meta.pkt_access). */
  readonly pkt: boolean;
  /** Invalidates packet pointers (bpf_helper_changes_pkt_data). */
  readonly changesPkt: boolean;
  /** The returned pointer is a reference to release. */
  readonly acquire: boolean;
  /** Returns its socket argument as another socket type (keeps the reference). */
  readonly ptrCast: boolean;
}

function argCode(a: HelperArg): string {
  const f = new Set(a.flags);
  const nul = f.has('PTR_MAYBE_NULL');
  const write = f.has('MEM_UNINIT') || f.has('MEM_WRITE');
  switch (a.type) {
    case 'DONTCARE': return '';
    case 'ANYTHING': return 'A';
    case 'PTR_TO_CTX': return nul ? 'Cn' : 'C';
    case 'CONST_MAP_PTR': return 'M';
    case 'PTR_TO_MAP_KEY': return 'K';
    case 'PTR_TO_MAP_VALUE': return nul ? 'Vn' : write ? 'Vu' : 'V';
    case 'PTR_TO_MEM':
      if ([...f].some((x) => x.startsWith('DYNPTR'))) return 'X';
      if (f.has('MEM_FIXED_SIZE')) return (write ? 'uf' : 'mf') + (f.has('MEM_ALIGNED') ? 'a' : '');
      return (write ? 'u' : 'm') + (nul ? 'n' : '');
    case 'CONST_SIZE': return 's';
    case 'CONST_SIZE_OR_ZERO': return 'z';
    case 'CONST_ALLOC_SIZE_OR_ZERO': return 'Z';
    case 'PTR_TO_SOCK_COMMON': return 'S';
    case 'PTR_TO_SOCKET': return 'So';
    case 'PTR_TO_BTF_ID_SOCK_COMMON': return f.has('OBJ_RELEASE') ? 'R' : 'T';
    case 'PTR_TO_RINGBUF_MEM': return f.has('OBJ_RELEASE') ? 'B' : 'X';
    case 'PTR_TO_SPIN_LOCK': return 'L';
    case 'PTR_TO_FUNC': return 'Fn';
    case 'PTR_TO_STACK': return nul ? 'Pn' : 'P';
    default: return 'X';
  }
}

function retCode(p: AsmProto): string {
  const f = new Set(p.ret.flags);
  const q = f.has('PTR_MAYBE_NULL') ? '?' : '';
  switch (p.ret.type) {
    case 'INTEGER': return 'i';
    case 'VOID': return 'v';
    case 'PTR_TO_MAP_VALUE': return 'mv' + q;
    case 'PTR_TO_SOCKET': return 'sk' + q;
    case 'PTR_TO_SOCK_COMMON': return 'sc' + q;
    case 'PTR_TO_TCP_SOCK': return 'tcp' + q;
    case 'PTR_TO_MEM': return f.has('MEM_RINGBUF') && q ? 'rb?' : 'X';
    case 'PTR_TO_BTF_ID': return 'btf' + q;
    default: return 'X';
  }
}

const cache = new Map<string, HelperProto | null>();

/**
 * The prototype a program of `progType` (with `attachType`) gets for helper `id` as root, or
 * null when the helper is not available to it (get_helper_proto fails).
 */
export function helperFor(progType: number, attachType: number, id: number, sleepable = false): HelperProto | null {
  const key = `${progType}/${attachType}/${id}/${sleepable}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const h = helperById(id);
  let p: AsmProto | undefined;
  try {
    p = h ? helperProtoFor(progType, id, { attachType, sleepable }) : undefined;
  } catch {
    p = undefined;
  }
  const out: HelperProto | null = h && p ? {
    name: h.name,
    args: p.args.map(argCode),
    sizes: p.args.map((a) => a.size),
    ret: retCode(p),
    gpl: p.gplOnly,
    pkt: p.pktAccess,
    changesPkt: h.traits.changesPktData,
    acquire: h.traits.acquire,
    ptrCast: h.traits.ptrCast,
  } : null;
  cache.set(key, out);
  return out;
}

/** Name of helper `id` without the prefix (`unknown` outside the table), for messages. */
export function helperName(id: number): string {
  return helperById(id)?.name ?? 'unknown';
}

/** Number of helper ids Linux 6.18 knows (__BPF_FUNC_MAX_ID). */
export const HELPER_ID_LIMIT: number = HELPER_COUNT;
