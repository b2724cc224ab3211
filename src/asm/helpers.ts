/**
 * The one table of kernel helpers (Linux 6.18): ids and names from `___BPF_FUNC_MAPPER`, the
 * prototypes (`struct bpf_func_proto`) and which proto each program type's `get_func_proto`
 * returns. The data is generated (./helpers-table.ts, by scripts/gen-helpers.ts); this file
 * builds the lookups once, at module load.
 * @module
 */
import { HELPER_NAMES } from './helpers-table.js';
import type { Helper } from './helper-types.js';

export type { Helper, HelperArg, HelperArgType, HelperProto, HelperRet, HelperRetType, HelperTypeFlag } from './helper-types.js';

const helpers: readonly Helper[] = HELPER_NAMES.map((name, id) => Object.freeze({ id, name, protos: [] }));
const byName = new Map<string, Helper>(helpers.map((h) => [h.name, h]));

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
