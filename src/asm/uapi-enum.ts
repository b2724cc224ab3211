/**
 * Name ↔ number lookups for the uapi enums of program, map and attach types. Names are the
 * enum member without its prefix, lower case (`xdp`, `percpu_array`); lookups also accept the
 * upper-case form and the full C name (`BPF_PROG_TYPE_XDP`).
 * @module
 */

/** A uapi enum as lookups in both directions. */
export interface UapiEnum {
  /** The C prefix of the members, e.g. `BPF_PROG_TYPE_`. */
  readonly prefix: string;
  /** Canonical lower-case names indexed by value (aliases excluded). */
  readonly names: readonly string[];
  /** The value of a name (any accepted spelling) or number; undefined when unknown. */
  number(t: number | string): number | undefined;
  /** The canonical lower-case name of a value; undefined when unknown. */
  name(n: number): string | undefined;
}

/**
 * Builds the lookups of a uapi enum from its members in declaration order. When two members share
 * a value (C aliases), the later one is the canonical name, as the kernel's later member is the
 * current spelling (e.g. `cgroup_storage` over `cgroup_storage_deprecated`).
 */
export function uapiEnum(prefix: string, members: Readonly<Record<string, number>>): UapiEnum {
  const names: string[] = [];
  const byName = new Map<string, number>();
  for (const [k, v] of Object.entries(members)) {
    names[v] = k.toLowerCase();
    byName.set(k.toLowerCase(), v);
  }
  const lowerPrefix = prefix.toLowerCase();
  return {
    prefix,
    names,
    number(t) {
      if (typeof t === 'number') return Number.isInteger(t) && names[t] !== undefined ? t : undefined;
      let s = t.toLowerCase();
      if (s.startsWith(lowerPrefix)) s = s.slice(lowerPrefix.length);
      return byName.get(s);
    },
    name(n) {
      return Number.isInteger(n) ? names[n] : undefined;
    },
  };
}
