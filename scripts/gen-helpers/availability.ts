/**
 * Which proto each program type's `get_func_proto` returns for each helper id, as rules:
 * `[helperId, proto | null, attachTypes | null, sleepable | null, alternatives?]`, first match wins.
 * @module
 */
import type { CFunction } from './cparse.js';
import { Interpreter } from './interp.js';
import type { Constants, Outcome, ProgContext } from './interp.js';

/** One rule of a program type: helper, proto (null: not available), and the context it needs. */
export interface Rule {
  readonly helper: number;
  readonly proto: string | null;
  /** Expected attach types this rule is limited to; null when it holds for any. */
  readonly attachTypes: readonly number[] | null;
  /** Limited to sleepable (true) or non-sleepable (false) programs; null when either. */
  readonly sleepable: boolean | null;
  /** Other protos the kernel may pick on conditions not modelled (proto is the first candidate). */
  readonly alternatives?: readonly (string | null)[];
}

/** A case the generator could not decide exactly. */
export interface Unmodelled {
  readonly progType: string;
  readonly helper: string;
  readonly outcomes: readonly Outcome[];
  readonly unknowns: readonly string[];
}

function key(outcomes: readonly Outcome[]): string {
  return JSON.stringify([...outcomes].sort());
}

/** Evaluates every helper for one program type and folds the results into rules. */
export function rulesFor(
  fns: ReadonlyMap<string, CFunction>, consts: Constants, protoSymbols: ReadonlySet<string>,
  getFuncProto: string, progType: number, progTypeName: string, helperNames: readonly string[],
  attachCount: number, unmodelled: Unmodelled[], lockdownLevels: readonly [string, number][],
  lockdownGates: Map<string, string>,
): Rule[] {
  const interp = new Interpreter(fns, consts, protoSymbols);
  const rules: Rule[] = [];
  for (let id = 1; id < helperNames.length; id++) {
    // Evaluate once; widen to every attach type / sleepability only if the code looked at them.
    const first = interp.evaluate(getFuncProto, id, { type: progType, attachType: 0, sleepable: false, lockdown: 0 });
    if (first.readLockdown) {
      // Which lockdown level first takes each proto away (the rules themselves assume none).
      for (const [level, value] of lockdownLevels) {
        const ev = interp.evaluate(getFuncProto, id, { type: progType, attachType: 0, sleepable: false, lockdown: value });
        for (const o of first.outcomes) {
          if (o && !ev.outcomes.includes(o) && !lockdownGates.has(o)) lockdownGates.set(o, level);
        }
      }
    }
    const attaches = first.readAttach ? [...Array(attachCount).keys()] : [0];
    const sleeps = first.readSleepable ? [false, true] : [false];
    const cells: Array<{ attach: number; sleepable: boolean; outcomes: readonly Outcome[] }> = [];
    for (const attach of attaches) {
      for (const sleepable of sleeps) {
        const ctx: ProgContext = { type: progType, attachType: attach, sleepable, lockdown: 0 };
        const ev = attach === 0 && !sleepable ? first : interp.evaluate(getFuncProto, id, ctx);
        cells.push({ attach, sleepable, outcomes: ev.outcomes });
        if (ev.outcomes.length > 1 || ev.outcomes.some((o) => o?.startsWith('?'))) {
          if (!unmodelled.some((u) => u.progType === progTypeName && u.helper === helperNames[id] && key(u.outcomes) === key(ev.outcomes))) {
            unmodelled.push({ progType: progTypeName, helper: helperNames[id]!, outcomes: ev.outcomes, unknowns: ev.unknowns });
          }
        }
      }
    }
    rules.push(...fold(id, cells, first.readAttach, first.readSleepable));
  }
  return rules;
}

function toRule(helper: number, outcomes: readonly Outcome[], attachTypes: number[] | null, sleepable: boolean | null): Rule {
  const real = outcomes.filter((o) => !o?.startsWith('?'));
  const sorted = [...real].sort((a, b) => (a === null ? 1 : b === null ? -1 : a.localeCompare(b)));
  const proto = sorted.find((o) => o !== null) ?? null;
  return {
    helper, proto, attachTypes, sleepable,
    ...(outcomes.length > 1 ? { alternatives: sorted.filter((o) => o !== proto) } : {}),
  };
}

/** Folds per-context outcomes into rules: specific ones first, the most common one last, unrestricted. */
function fold(helper: number, cells: Array<{ attach: number; sleepable: boolean; outcomes: readonly Outcome[] }>,
  readAttach: boolean, readSleepable: boolean): Rule[] {
  // Per attach type: one outcome set for both sleepabilities, or two.
  const groups = new Map<string, { outcomes: readonly Outcome[]; sleepable: boolean | null; attaches: number[] }>();
  const attaches = [...new Set(cells.map((c) => c.attach))];
  for (const a of attaches) {
    const mine = cells.filter((c) => c.attach === a);
    const same = mine.every((c) => key(c.outcomes) === key(mine[0]!.outcomes));
    for (const c of same ? [mine[0]!] : mine) {
      const sl = same ? null : c.sleepable;
      const g = `${key(c.outcomes)}|${sl}`;
      if (!groups.has(g)) groups.set(g, { outcomes: c.outcomes, sleepable: sl, attaches: [] });
      groups.get(g)!.attaches.push(a);
    }
  }
  const list = [...groups.values()];
  const unrestricted = list.filter((g) => g.sleepable === null).sort((a, b) => b.attaches.length - a.attaches.length)[0];
  const rules: Rule[] = [];
  for (const g of list) {
    if (g === unrestricted) continue;
    rules.push(toRule(helper, g.outcomes, readAttach ? g.attaches : null, g.sleepable));
  }
  void readSleepable;
  if (unrestricted) {
    const r = toRule(helper, unrestricted.outcomes, null, null);
    if (r.proto !== null || r.alternatives) rules.push(r);
  }
  // Rules saying "not available" only matter before an unrestricted rule that says otherwise.
  const last = rules[rules.length - 1];
  const hasDefault = last !== undefined && last.attachTypes === null && last.sleepable === null;
  return rules.filter((r) => r.proto !== null || r.alternatives || hasDefault);
}
