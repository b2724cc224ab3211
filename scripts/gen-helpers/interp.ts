/**
 * Evaluates a program type's `get_func_proto(func_id, prog)` over the parsed C functions, for a
 * given program (type, expected attach type, sleepable) as root. Conditions on things the model
 * does not know (BTF ids, aux fields, unknown functions) fork: every outcome is collected.
 * @module
 */
import type { CFunction, Expr, Stmt } from './cparse.js';

/** What a program looks like to `get_func_proto`. */
export interface ProgContext {
  readonly type: number;
  readonly attachType: number;
  readonly sleepable: boolean;
  /** Kernel lockdown level as an `enum lockdown_reason` value (0: none, LOCKDOWN_INTEGRITY_MAX, ...). */
  readonly lockdown: number;
}

/** Uapi constants by C name (BPF_FUNC_*, BPF_PROG_TYPE_*, attach types, ...). */
export type Constants = ReadonlyMap<string, number>;

/** One possible result of `get_func_proto`: a proto symbol or null (helper not available). */
export type Outcome = string | null;

/** The result of evaluating one call, with what it depended on. */
export interface Evaluation {
  /** Every outcome a fork produced (more than one when unknowns decided it). */
  readonly outcomes: readonly Outcome[];
  /** Whether `prog->expected_attach_type` was read. */
  readonly readAttach: boolean;
  /** Whether `prog->sleepable` was read. */
  readonly readSleepable: boolean;
  /** Whether `security_locked_down()` was called. */
  readonly readLockdown: boolean;
  /** The unknowns decided on some path (for the not-modelled list). */
  readonly unknowns: readonly string[];
}

type Value =
  | { t: 'num'; v: number }
  | { t: 'addr'; sym: string }
  | { t: 'prog' }
  | { t: 'env' }
  | { t: 'map'; type: number }
  | { t: 'goto'; label: string }
  | { t: 'unknown'; why: string };

const NUM = (v: number): Value => ({ t: 'num', v });
const NULLV = NUM(0);
const UNKNOWN = (why: string): Value => ({ t: 'unknown', why });

/** Calls that model root on an unlocked-down kernel. */
const ROOT_CALLS: Record<string, number> = {
  bpf_token_capable: 1, capable: 1, perfmon_capable: 1, bpf_capable: 1, ns_capable: 1,
  has_capability: 1,
};

class Return { constructor(readonly v: Value) {} }
class Break {}
class Goto { constructor(readonly label: string) {} }

/** Evaluates `get_func_proto` functions by name. */
export class Interpreter {
  private decisions: boolean[] = [];
  private pos = 0;
  private readAttach = false;
  private readSleepable = false;
  private readLockdown = false;
  private readType = false;
  private unknownsSeen = new Set<string>();
  private ctx!: ProgContext;

  constructor(private readonly fns: ReadonlyMap<string, CFunction>, private readonly consts: Constants,
    private readonly protoSymbols: ReadonlySet<string>) {}

  /** Runs `fn(func_id, prog)`, exploring every decision on unknowns (up to 64 paths). */
  evaluate(fn: string, funcId: number, ctx: ProgContext): Evaluation {
    this.ctx = ctx;
    this.readAttach = false;
    this.readSleepable = false;
    this.readLockdown = false;
    this.unknownsSeen = new Set();
    const outcomes = new Set<Outcome>();
    // Depth-first over decision vectors: each run fixes a prefix and takes `true` beyond it; the
    // alternatives are the prefixes flipped at each new decision.
    const pending: boolean[][] = [[]];
    let runs = 0;
    while (pending.length && runs++ < 64) {
      const prefix = pending.pop()!;
      this.decisions = [...prefix];
      this.pos = 0;
      const v = this.call(fn, [NUM(funcId), { t: 'prog' }]);
      outcomes.add(v.t === 'addr' ? v.sym : v.t === 'num' && v.v === 0 ? null : `?${v.t === 'unknown' ? v.why : 'value'}`);
      for (let i = this.decisions.length - 1; i >= prefix.length; i--) {
        pending.push([...this.decisions.slice(0, i), false]);
      }
    }
    return { outcomes: [...outcomes], readAttach: this.readAttach, readSleepable: this.readSleepable, readLockdown: this.readLockdown, unknowns: [...this.unknownsSeen] };
  }

  /**
   * The value of a predicate `fn(func_id, NULL...)` such as is_acquire_function(): true, false,
   * or undefined when it depends on something not modelled.
   */
  predicate(fn: string, funcId: number): boolean | undefined {
    this.ctx = { type: 0, attachType: 0, sleepable: false, lockdown: 0 };
    this.decisions = [];
    this.pos = 0;
    const v = this.call(fn, [NUM(funcId), NULLV, NULLV]);
    if (this.decisions.length || v.t === 'unknown') return undefined;
    return v.t === 'num' ? v.v !== 0 : true;
  }

  /**
   * The outcomes of `fn(env, map, func_id)` such as check_map_func_compatibility() for a map of
   * `mapType` in a program of `ctx`: `goto <label>` exits by label, `ok` for returning 0,
   * `other` for anything else; `readType`/`readAttach` say whether the program mattered.
   */
  mapCheck(fn: string, funcId: number, mapType: number, ctx: ProgContext): { exits: string[]; readType: boolean; readAttach: boolean; unknowns: string[] } {
    this.ctx = ctx;
    this.unknownsSeen = new Set();
    this.readType = false;
    this.readAttach = false;
    const exits = new Set<string>();
    const pending: boolean[][] = [[]];
    let runs = 0;
    while (pending.length && runs++ < 64) {
      const prefix = pending.pop()!;
      this.decisions = [...prefix];
      this.pos = 0;
      const v = this.call(fn, [{ t: 'env' }, { t: 'map', type: mapType }, NUM(funcId)]);
      exits.add(v.t === 'goto' ? `goto ${v.label}` : v.t === 'num' && v.v === 0 ? 'ok' : 'other');
      for (let i = this.decisions.length - 1; i >= prefix.length; i--) pending.push([...this.decisions.slice(0, i), false]);
    }
    return { exits: [...exits], readType: this.readType, readAttach: this.readAttach, unknowns: [...this.unknownsSeen] };
  }

  private decide(why: string): boolean {
    this.unknownsSeen.add(why);
    if (this.pos < this.decisions.length) return this.decisions[this.pos++]!;
    this.decisions.push(true);
    this.pos++;
    return true;
  }

  private call(name: string, args: Value[]): Value {
    const f = this.fns.get(name);
    if (name in ROOT_CALLS) return NUM(ROOT_CALLS[name]!);
    if (name === 'security_locked_down') {
      // lockdown_is_locked_down(): -EPERM when the level is at or above the reason.
      this.readLockdown = true;
      const what = args[0];
      if (what?.t !== 'num') return UNKNOWN('security_locked_down(?)');
      return NUM(this.ctx.lockdown >= what.v ? -1 : 0);
    }
    if (!f) return UNKNOWN(`${name}()`);
    const env = new Map<string, Value>();
    f.params.forEach((p, i) => env.set(p, args[i] ?? UNKNOWN(p)));
    try {
      this.block(f.body, env);
    } catch (e) {
      if (e instanceof Return) return e.v;
      if (e instanceof Break) return UNKNOWN(`${name}: break outside switch`);
      if (e instanceof Goto) return { t: 'goto', label: e.label };
      throw e;
    }
    return UNKNOWN(`${name}: no return`);
  }

  private block(body: readonly Stmt[], env: Map<string, Value>): void {
    for (const s of body) this.stmt(s, env);
  }

  private truth(v: Value, why: string): boolean {
    if (v.t === 'num') return v.v !== 0;
    if (v.t === 'unknown') return this.decide(`${why}: ${v.why}`);
    return true;
  }

  private stmt(s: Stmt, env: Map<string, Value>): void {
    switch (s.k) {
      case 'block': this.block(s.body, env); return;
      case 'return': throw new Return(s.e ? this.expr(s.e, env) : UNKNOWN('void return'));
      case 'break': throw new Break();
      case 'goto': throw new Goto(s.label);
      case 'expr': this.expr(s.e, env); return;
      case 'decl': env.set(s.name, s.e ? this.expr(s.e, env) : UNKNOWN(`uninitialised ${s.name}`)); return;
      case 'opaque': return;
      case 'if':
        if (this.truth(this.expr(s.c, env), 'if')) this.stmt(s.t, env);
        else if (s.f) this.stmt(s.f, env);
        return;
      case 'switch': {
        const on = this.expr(s.on, env);
        let start = -1;
        let dflt = -1;
        for (let i = 0; i < s.body.length; i++) {
          const item = s.body[i]!;
          if (item.k !== 'label') continue;
          if (item.value === 'default') { dflt = i; continue; }
          const lv = this.expr(item.value, env);
          if (on.t === 'num' && lv.t === 'num' && on.v === lv.v && start < 0) start = i;
          else if (on.t !== 'num' || lv.t !== 'num') throw new Return(UNKNOWN(`switch on ${on.t === 'unknown' ? on.why : 'a non-number'}`));
        }
        if (start < 0) start = dflt;
        if (start < 0) return;
        try {
          for (let i = start; i < s.body.length; i++) {
            const item = s.body[i]!;
            if (item.k !== 'label') this.stmt(item as Stmt, env);
          }
        } catch (e) {
          if (!(e instanceof Break)) throw e;
        }
        return;
      }
    }
  }

  private expr(e: Expr, env: Map<string, Value>): Value {
    switch (e.k) {
      case 'num': return NUM(e.v);
      case 'str': return UNKNOWN('string');
      case 'id': {
        if (env.has(e.name)) return env.get(e.name)!;
        if (e.name === 'NULL' || e.name === 'false') return NULLV;
        if (e.name === 'true') return NUM(1);
        const c = this.consts.get(e.name);
        if (c !== undefined) return NUM(c);
        return UNKNOWN(e.name);
      }
      case 'assign': { const v = this.expr(e.e, env); env.set(e.name, v); return v; }
      case 'un': {
        if (e.op === '&') {
          if (e.e.k === 'id' && this.protoSymbols.has(e.e.name)) return { t: 'addr', sym: e.e.name };
          return UNKNOWN('address');
        }
        const v = this.expr(e.e, env);
        if (e.op === '!') return v.t === 'unknown' ? v : NUM(this.truth(v, '!') ? 0 : 1);
        if (e.op === '-' && v.t === 'num') return NUM(-v.v);
        return UNKNOWN(`unary ${e.op}`);
      }
      case 'cond': return this.truth(this.expr(e.c, env), '?:') ? this.expr(e.t, env) : this.expr(e.f, env);
      case 'bin': {
        if (e.op === '&&') return this.truth(this.expr(e.l, env), '&&') ? NUM(this.truth(this.expr(e.r, env), '&&') ? 1 : 0) : NUM(0);
        if (e.op === '||') return this.truth(this.expr(e.l, env), '||') ? NUM(1) : NUM(this.truth(this.expr(e.r, env), '||') ? 1 : 0);
        const l = this.expr(e.l, env);
        const r = this.expr(e.r, env);
        if (l.t === 'unknown') return l;
        if (r.t === 'unknown') return r;
        if (l.t !== 'num' || r.t !== 'num') {
          if (e.op === '==' || e.op === '!=') {
            const same = JSON.stringify(l) === JSON.stringify(r);
            return NUM(same === (e.op === '==') ? 1 : 0);
          }
          return UNKNOWN(`${e.op} on pointers`);
        }
        const ops: Record<string, (a: number, b: number) => number> = {
          '==': (a, b) => +(a === b), '!=': (a, b) => +(a !== b), '<': (a, b) => +(a < b), '>': (a, b) => +(a > b),
          '<=': (a, b) => +(a <= b), '>=': (a, b) => +(a >= b), '|': (a, b) => a | b, '&': (a, b) => a & b,
          '+': (a, b) => a + b, '-': (a, b) => a - b,
        };
        const op = ops[e.op];
        return op ? NUM(op(l.v, r.v)) : UNKNOWN(`operator ${e.op}`);
      }
      case 'member': {
        const base = this.expr(e.e, env);
        if (base.t === 'env' && e.name === 'prog') return { t: 'prog' };
        if (base.t === 'map' && e.name === 'map_type') return NUM(base.type);
        if (base.t === 'prog') {
          if (e.name === 'expected_attach_type') { this.readAttach = true; return NUM(this.ctx.attachType); }
          if (e.name === 'type') { this.readType = true; return NUM(this.ctx.type); }
          if (e.name === 'sleepable') { this.readSleepable = true; return NUM(this.ctx.sleepable ? 1 : 0); }
          return UNKNOWN(`prog->${e.name}`);
        }
        return UNKNOWN(base.t === 'unknown' ? `${base.why}->${e.name}` : `->${e.name}`);
      }
      case 'index': return UNKNOWN('index');
      case 'call': {
        const args = e.args.map((a) => this.expr(a, env));
        return this.call(e.fn, args);
      }
    }
  }
}

