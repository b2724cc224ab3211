/**
 * The one table of kernel helpers (Linux 6.18): ids and names from `___BPF_FUNC_MAPPER`, every
 * prototype (`struct bpf_func_proto`), and which proto each program type's `get_func_proto`
 * returns for a privileged (root) loader. The data is generated (./helpers-table.ts, by
 * scripts/gen-helpers.ts); this file builds the lookups once, at module load.
 *
 * Availability follows the kernel's choice for a program of a given type, expected attach type
 * and sleepability. Choices the generator could not model exactly (listed in helpers-table.ts)
 * take the kernel's most likely proto; {@link helperAvailability} exposes the alternatives.
 * @module
 */
import {
  CONFIG_LOCKDOWN, HELPER_NAMES, HELPER_PROTOS, HELPER_TRAIT_IDS, LOCKDOWN_GATED, MAP_HELPER_COMPAT, MAP_HELPER_COMPAT_BY_PROG, PROG_TYPE_FUNC_PROTO, PROG_TYPE_HELPER_RULES,
} from './helpers-table.js';
import type { HelperRuleTuple } from './helpers-table.js';
import type { Helper, HelperProto, HelperTraits } from './helper-types.js';
import { programTypes } from './prog-types.js';
import { attachTypes } from './attach-types.js';
import { mapTypes } from './map-types.js';

export type {
  Helper, HelperArg, HelperArgType, HelperProto, HelperRet, HelperRetType, HelperTraits, HelperTypeFlag,
} from './helper-types.js';

const protoBySymbol = new Map<string, HelperProto>(HELPER_PROTOS.map((p) => [p.symbol, deepFreeze(p)]));
const traitSets = new Map(Object.entries(HELPER_TRAIT_IDS).map(([k, ids]) => [k, new Set(ids)]));
const traitsOf = (id: number): HelperTraits => {
  const has = (k: keyof HelperTraits): boolean => traitSets.get(k)?.has(id) ?? false;
  return Object.freeze({
    changesPktData: has('changesPktData'), acquire: has('acquire'), ptrCast: has('ptrCast'), dynptrRef: has('dynptrRef'),
    syncCallback: has('syncCallback'), asyncCallback: has('asyncCallback'), storageGet: has('storageGet'),
  });
};
const helpers: readonly Helper[] = HELPER_NAMES.map((name, id) => Object.freeze({
  id, name,
  protos: Object.freeze(HELPER_PROTOS.filter((p) => p.helper === id).map((p) => protoBySymbol.get(p.symbol)!)),
  traits: traitsOf(id),
}));
const byName = new Map<string, Helper>(helpers.map((h) => [h.name, h]));

/** Rules per program type number, and per helper id within it, built once. */
const rulesByType: ReadonlyMap<number, ReadonlyMap<number, readonly HelperRuleTuple[]>> = new Map(
  Object.entries(PROG_TYPE_HELPER_RULES).map(([name, rules]) => {
    const perHelper = new Map<number, HelperRuleTuple[]>();
    for (const r of rules) {
      const list = perHelper.get(r[0]) ?? [];
      list.push(r);
      perHelper.set(r[0], list);
    }
    return [programTypes.number(name)!, perHelper];
  }),
);

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object') {
    for (const v of Object.values(o)) deepFreeze(v);
    Object.freeze(o);
  }
  return o;
}

/** Helper names without the `bpf_` prefix, indexed by id (`helperNames[1] === 'map_lookup_elem'`). */
export const helperNames: readonly string[] = HELPER_NAMES;

/** Number of helper ids in Linux 6.18 (`__BPF_FUNC_MAX_ID`); valid ids are 0 .. count-1. */
export const HELPER_COUNT: number = HELPER_NAMES.length;

/** The helper with a `BPF_FUNC_*` id; undefined when the id is not a Linux 6.18 helper. */
export function helperById(id: number): Helper | undefined {
  return Number.isInteger(id) ? helpers[id] : undefined;
}

/**
 * The helper of a name, with or without the `bpf_` prefix (`map_lookup_elem`,
 * `bpf_map_lookup_elem`) or as the uapi constant (`BPF_FUNC_map_lookup_elem`); undefined when unknown.
 */
export function helperByName(name: string): Helper | undefined {
  return byName.get(name) ?? byName.get(name.replace(/^(BPF_FUNC_|bpf_)/, ''));
}

/** A proto by its kernel symbol (e.g. `bpf_skb_load_bytes_relative_proto`); undefined when unknown. */
export function helperProtoBySymbol(symbol: string): HelperProto | undefined {
  return protoBySymbol.get(symbol);
}

/** Every proto of the table, sorted by symbol. */
export const helperProtos: readonly HelperProto[] = [...protoBySymbol.values()];

/** What, beyond its type, decides which protos a program gets. */
export interface HelperProgramContext {
  /**
   * `expected_attach_type` of the program (number or name such as `cgroup_inet4_connect`);
   * absent means 0, as in a `BPF_PROG_LOAD` that does not set it (with the kernel's load-time
   * defaults for cgroup_sock and sk_reuseport applied). An unknown name makes every helper unavailable.
   */
  readonly attachType?: number | string;
  /**
   * Whether the program is loaded sleepable (`BPF_F_SLEEPABLE`); default false, except for
   * `syscall` programs, which the kernel only loads sleepable.
   */
  readonly sleepable?: boolean;
  /**
   * The kernel's lockdown level (`/sys/kernel/security/lockdown`); default {@link HELPER_TABLE_LOCKDOWN},
   * the level the configuration the table was generated with forces. `integrity` takes
   * `probe_write_user` away, `confidentiality` also the kernel-reading probes.
   */
  readonly lockdown?: LockdownLevel;
}

/** Kernel lockdown levels, weakest first. */
export type LockdownLevel = 'none' | 'integrity' | 'confidentiality';

/**
 * The lockdown level forced by the kernel configuration the table was generated from
 * (Linux 6.18 with this project's test machine's config: CONFIG_LOCK_DOWN_KERNEL_FORCE_INTEGRITY).
 */
export const HELPER_TABLE_LOCKDOWN: LockdownLevel = CONFIG_LOCKDOWN;

const SYSCALL = programTypes.number('syscall')!;

const LOCKDOWN_RANK: Record<LockdownLevel, number> = { none: 0, integrity: 1, confidentiality: 2 };

/**
 * bpf_prog_load_fixup_attach_type(): these types load with attach type 0 as if they had said
 * this one (kernel/bpf/syscall.c).
 */
const DEFAULT_ATTACH: ReadonlyMap<number, number> = new Map([
  [programTypes.number('cgroup_sock')!, attachTypes.number('cgroup_inet_sock_create')!],
  [programTypes.number('sk_reuseport')!, attachTypes.number('sk_reuseport_select')!],
]);

/** The kernel's choice of proto for a helper in a program, with the alternatives not modelled. */
export interface HelperAvailability {
  /** The proto the verifier checks the call against. */
  readonly proto: HelperProto;
  /**
   * Other protos (or null: unavailable) the kernel may pick on conditions the table does not
   * model, such as the LSM hook's BTF id or an allocation failing; empty when the choice is exact.
   */
  readonly alternatives: readonly (HelperProto | null)[];
}

function findRule(progType: number | string, helperId: number, ctx: HelperProgramContext): HelperRuleTuple | undefined {
  const pt = programTypes.number(progType);
  if (pt === undefined) return undefined;
  const rules = rulesByType.get(pt)?.get(helperId);
  if (!rules) return undefined;
  const sleepable = ctx.sleepable ?? pt === SYSCALL;
  let attach = ctx.attachType === undefined ? 0 : attachTypes.number(ctx.attachType);
  if (attach === undefined) return undefined;
  if (attach === 0 && DEFAULT_ATTACH.has(pt)) attach = DEFAULT_ATTACH.get(pt)!;
  for (const r of rules) {
    if (r[3] !== null && r[3] !== sleepable) continue;
    if (r[2] !== null && !r[2].includes(attach)) continue;
    const gate = r[1] === null ? undefined : LOCKDOWN_GATED[r[1]];
    if (gate && LOCKDOWN_RANK[ctx.lockdown ?? CONFIG_LOCKDOWN] >= LOCKDOWN_RANK[gate]) return undefined;
    return r;
  }
  return undefined;
}

/**
 * The proto a program type's `get_func_proto` returns for a helper id (as root, at the
 * context's lockdown level), or undefined when the helper is not available to that program. The program type is a
 * number or a name (`xdp`, `BPF_PROG_TYPE_XDP`). `struct_ops` and `ext` programs take their
 * helper set from their target at load time, so they get undefined here.
 */
export function helperProtoFor(progType: number | string, helperId: number, ctx: HelperProgramContext = {}): HelperProto | undefined {
  const r = findRule(progType, helperId, ctx);
  return r && r[1] !== null ? protoBySymbol.get(r[1]) : undefined;
}

/** Like {@link helperProtoFor}, with the alternatives of choices the table does not model exactly. */
export function helperAvailability(progType: number | string, helperId: number, ctx: HelperProgramContext = {}): HelperAvailability | undefined {
  const r = findRule(progType, helperId, ctx);
  if (!r || r[1] === null) return undefined;
  return {
    proto: protoBySymbol.get(r[1])!,
    alternatives: (r[4] ?? []).map((s) => (s === null ? null : protoBySymbol.get(s)!)),
  };
}

/** The ids of the helpers available to a program type (ascending), under {@link helperProtoFor}'s rules. */
export function helpersAvailableTo(progType: number | string, ctx: HelperProgramContext = {}): number[] {
  const out: number[] = [];
  for (let id = 1; id < HELPER_COUNT; id++) if (helperProtoFor(progType, id, ctx)) out.push(id);
  return out;
}

/**
 * The kernel function that chooses protos for a program type (e.g. `xdp_func_proto`), null for
 * types whose choice depends on the load (`struct_ops`, `ext`), undefined for unknown or
 * configured-out types.
 */
export function helperFuncProtoOf(progType: number | string): string | null | undefined {
  const name = typeof progType === 'number' ? programTypes.name(progType) : programTypes.name(programTypes.number(progType) ?? -1);
  return name === undefined ? undefined : PROG_TYPE_FUNC_PROTO[name];
}

const mapCompat = new Map(Object.entries(MAP_HELPER_COMPAT).map(([m, c]) => [Number(m), {
  only: c.only ? new Set(c.only) : undefined, except: c.except ? new Set(c.except) : undefined,
}]));
const mapCompatByProg = new Map(MAP_HELPER_COMPAT_BY_PROG.map(([m, h, allowed]) => [`${m}/${h}`, allowed]));

/**
 * Whether the verifier's `check_map_func_compatibility()` lets a helper take a map of a type
 * (number or name such as `ringbuf`), both ways: the map type's list of helpers and the helper's
 * list of map types. For sockmap/sockhash update and delete the answer depends on the program
 * (`may_update_sockmap()`): pass `progType` (and `attachType` for tracing iterators); without it
 * those pairs answer false. Unknown map types or ids answer false.
 */
export function helperAcceptsMap(helperId: number, mapType: number | string, progType?: number | string,
  attachType: number | string = 0): boolean {
  const m = mapTypes.number(mapType);
  if (m === undefined || m === 0 || helperById(helperId) === undefined || helperId === 0) return false;
  const byProg = mapCompatByProg.get(`${m}/${helperId}`);
  if (byProg) {
    const pt = progType === undefined ? undefined : programTypes.number(progType);
    const at = attachTypes.number(attachType);
    if (pt === undefined || at === undefined) return false;
    return byProg.some((a) => (typeof a === 'number' ? a === pt : a[0] === pt && a[1].includes(at)));
  }
  const c = mapCompat.get(m);
  if (!c) return false;
  return c.only ? c.only.has(helperId) : !c.except!.has(helperId);
}
