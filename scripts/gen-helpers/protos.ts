/**
 * Extracts `struct bpf_func_proto NAME = { ... };` initialisers from C text into the plain
 * records of src/asm/helper-types.ts.
 * @module
 */
import type { HelperArg, HelperProto, HelperRet } from '../../src/asm/helper-types.js';

/** `enum bpf_type_flag` in declaration order (bit 0 first). */
const FLAGS = [
  'PTR_MAYBE_NULL', 'MEM_RDONLY', 'MEM_RINGBUF', 'MEM_USER', 'MEM_PERCPU', 'OBJ_RELEASE',
  'PTR_UNTRUSTED', 'MEM_UNINIT', 'DYNPTR_TYPE_LOCAL', 'DYNPTR_TYPE_RINGBUF', 'MEM_FIXED_SIZE',
  'MEM_ALLOC', 'PTR_TRUSTED', 'MEM_RCU', 'NON_OWN_REF', 'DYNPTR_TYPE_SKB', 'DYNPTR_TYPE_XDP',
  'MEM_ALIGNED', 'MEM_WRITE', 'DYNPTR_TYPE_SKB_META',
] as const;

const ARG_BASES = new Set([
  'DONTCARE', 'CONST_MAP_PTR', 'PTR_TO_MAP_KEY', 'PTR_TO_MAP_VALUE', 'PTR_TO_MEM', 'PTR_TO_ARENA',
  'CONST_SIZE', 'CONST_SIZE_OR_ZERO', 'PTR_TO_CTX', 'ANYTHING', 'PTR_TO_SPIN_LOCK',
  'PTR_TO_SOCK_COMMON', 'PTR_TO_SOCKET', 'PTR_TO_BTF_ID', 'PTR_TO_RINGBUF_MEM',
  'CONST_ALLOC_SIZE_OR_ZERO', 'PTR_TO_BTF_ID_SOCK_COMMON', 'PTR_TO_PERCPU_BTF_ID', 'PTR_TO_FUNC',
  'PTR_TO_STACK', 'PTR_TO_CONST_STR', 'PTR_TO_TIMER', 'KPTR_XCHG_DEST', 'PTR_TO_DYNPTR',
]);

/** `enum bpf_arg_type` extended members: base plus flags. */
const ARG_ALIASES: Record<string, string[]> = {
  PTR_TO_MAP_VALUE_OR_NULL: ['PTR_TO_MAP_VALUE', 'PTR_MAYBE_NULL'],
  PTR_TO_MEM_OR_NULL: ['PTR_TO_MEM', 'PTR_MAYBE_NULL'],
  PTR_TO_CTX_OR_NULL: ['PTR_TO_CTX', 'PTR_MAYBE_NULL'],
  PTR_TO_SOCKET_OR_NULL: ['PTR_TO_SOCKET', 'PTR_MAYBE_NULL'],
  PTR_TO_STACK_OR_NULL: ['PTR_TO_STACK', 'PTR_MAYBE_NULL'],
  PTR_TO_BTF_ID_OR_NULL: ['PTR_TO_BTF_ID', 'PTR_MAYBE_NULL'],
  PTR_TO_UNINIT_MEM: ['PTR_TO_MEM', 'MEM_UNINIT', 'MEM_WRITE'],
  PTR_TO_FIXED_SIZE_MEM: ['PTR_TO_MEM', 'MEM_FIXED_SIZE'],
};

const RET_BASES = new Set([
  'INTEGER', 'VOID', 'PTR_TO_MAP_VALUE', 'PTR_TO_SOCKET', 'PTR_TO_TCP_SOCK', 'PTR_TO_SOCK_COMMON',
  'PTR_TO_MEM', 'PTR_TO_MEM_OR_BTF_ID', 'PTR_TO_BTF_ID',
]);

/** `enum bpf_return_type` extended members: base plus flags. */
const RET_ALIASES: Record<string, string[]> = {
  PTR_TO_MAP_VALUE_OR_NULL: ['PTR_TO_MAP_VALUE', 'PTR_MAYBE_NULL'],
  PTR_TO_SOCKET_OR_NULL: ['PTR_TO_SOCKET', 'PTR_MAYBE_NULL'],
  PTR_TO_TCP_SOCK_OR_NULL: ['PTR_TO_TCP_SOCK', 'PTR_MAYBE_NULL'],
  PTR_TO_SOCK_COMMON_OR_NULL: ['PTR_TO_SOCK_COMMON', 'PTR_MAYBE_NULL'],
  PTR_TO_RINGBUF_MEM_OR_NULL: ['PTR_TO_MEM', 'PTR_MAYBE_NULL', 'MEM_RINGBUF'],
  PTR_TO_DYNPTR_MEM_OR_NULL: ['PTR_TO_MEM', 'PTR_MAYBE_NULL'],
  PTR_TO_BTF_ID_OR_NULL: ['PTR_TO_BTF_ID', 'PTR_MAYBE_NULL'],
  PTR_TO_BTF_ID_TRUSTED: ['PTR_TO_BTF_ID', 'PTR_TRUSTED'],
};

/** `sizeof` of the types `argN_size` uses in Linux 6.18 (x86-64). */
const SIZEOF: Record<string, number> = {
  u8: 1, s8: 1, u16: 2, s16: 2, u32: 4, s32: 4, int: 4, u64: 8, s64: 8, long: 8,
  'struct iphdr': 20, 'struct ipv6hdr': 40, 'struct tcphdr': 20,
};

/** Splits `A | B | C` into a base (from `bases` or `aliases`) and sorted flags; throws on the unknown. */
function splitType(expr: string, prefix: 'ARG_' | 'RET_', bases: Set<string>, aliases: Record<string, string[]>) {
  let base: string | undefined;
  const flags = new Set<string>();
  for (const part of expr.split('|').map((s) => s.trim())) {
    if (part.startsWith(prefix)) {
      const name = part.slice(prefix.length);
      const expanded = aliases[name] ?? (bases.has(name) ? [name] : undefined);
      if (!expanded) throw new Error(`unknown ${prefix}type ${part}`);
      if (base) throw new Error(`two base types in ${expr}`);
      base = expanded[0];
      for (const f of expanded.slice(1)) flags.add(f);
    } else if ((FLAGS as readonly string[]).includes(part)) {
      flags.add(part);
    } else {
      throw new Error(`unknown type part ${part} in ${expr}`);
    }
  }
  if (!base) throw new Error(`no base type in ${expr}`);
  return { type: base, flags: FLAGS.filter((f) => flags.has(f)) };
}

function sizeOf(expr: string): number {
  const m = /^sizeof\s*\(\s*([\w ]+?)\s*\)$/.exec(expr);
  if (/^\d+$/.test(expr)) return Number(expr);
  const n = m ? SIZEOF[m[1]!] : undefined;
  if (n === undefined) throw new Error(`cannot size ${expr}`);
  return n;
}

/** Removes C comments (keeping line structure) so initialisers can be read field by field. */
export function stripComments(text: string): string {
  return text.replace(/\/\*[\s\S]*?\*\//g, (c) => c.replace(/[^\n]/g, ' ')).replace(/\/\/[^\n]*/g, '');
}

/** Every `struct bpf_func_proto NAME = { ... };` in a C file, parsed. */
export function parseProtos(text: string, file: string): HelperProto[] {
  const out: HelperProto[] = [];
  const src = stripComments(text);
  const re = /struct\s+bpf_func_proto\s+(\w+)\s*=\s*\{([\s\S]*?)\n\s*\};/g;
  for (const m of src.matchAll(re)) {
    const symbol = m[1]!;
    const fields = new Map<string, string>();
    for (const f of m[2]!.split(/,\s*\n|,\s*$/)) {
      const fm = /^\s*\.(\w+)\s*=\s*([\s\S]+?)\s*,?\s*$/.exec(f);
      if (fm) fields.set(fm[1]!, fm[2]!.replace(/\s+/g, ' '));
    }
    try {
      out.push(makeProto(symbol, file, fields));
    } catch (e) {
      throw new Error(`${file}: ${symbol}: ${(e as Error).message}`);
    }
  }
  return out;
}

function makeProto(symbol: string, file: string, fields: Map<string, string>): HelperProto {
  const bool = (k: string) => fields.get(k) === 'true';
  // An absent ret_type is 0, RET_INTEGER (bpf_xdp_get_buff_len_trace_proto relies on it).
  const retExpr = fields.get('ret_type') ?? 'RET_INTEGER';
  const r = splitType(retExpr, 'RET_', RET_BASES, RET_ALIASES);
  const retBtf = fields.get('ret_btf_id');
  const ret = { type: r.type, flags: r.flags, ...(retBtf ? { btfId: retBtf.replace(/^&/, '') } : {}) } as HelperRet;
  const args: HelperArg[] = [];
  for (let i = 1; i <= 5; i++) {
    const expr = fields.get(`arg${i}_type`) ?? 'ARG_DONTCARE';
    const a = splitType(expr, 'ARG_', ARG_BASES, ARG_ALIASES);
    const size = fields.get(`arg${i}_size`);
    const btf = fields.get(`arg${i}_btf_id`);
    if (a.flags.includes('MEM_FIXED_SIZE') !== (size !== undefined)) {
      throw new Error(`arg${i}: MEM_FIXED_SIZE and arg${i}_size disagree`);
    }
    args.push({
      type: a.type, flags: a.flags,
      ...(size !== undefined ? { size: sizeOf(size) } : {}),
      ...(btf ? { btfId: btf.replace(/^&/, '') } : {}),
    } as HelperArg);
  }
  while (args.length && args[args.length - 1]!.type === 'DONTCARE') args.pop();
  const allowed = fields.get('allowed');
  return {
    symbol, file,
    gplOnly: bool('gpl_only'), pktAccess: bool('pkt_access'), mightSleep: bool('might_sleep'),
    allowFastcall: bool('allow_fastcall'),
    ret, args,
    ...(allowed ? { allowed } : {}),
  };
}
