/**
 * A parser for the small C subset `*_func_proto()` functions are written in: switch/case, if/else,
 * return, break, declarations, assignments, calls, `?:`, comparisons, `&&`/`||`, member access.
 * Anything else becomes an `opaque` node the interpreter reports as not modelled.
 * @module
 */

/** A C expression. */
export type Expr =
  | { k: 'num'; v: number }
  | { k: 'id'; name: string }
  | { k: 'str' }
  | { k: 'un'; op: string; e: Expr }
  | { k: 'bin'; op: string; l: Expr; r: Expr }
  | { k: 'cond'; c: Expr; t: Expr; f: Expr }
  | { k: 'call'; fn: string; args: Expr[] }
  | { k: 'member'; e: Expr; name: string }
  | { k: 'index'; e: Expr; i: Expr }
  | { k: 'assign'; name: string; e: Expr };

/** A C statement. */
export type Stmt =
  | { k: 'block'; body: Stmt[] }
  | { k: 'switch'; on: Expr; body: Array<Stmt | { k: 'label'; value: Expr | 'default' }> }
  | { k: 'if'; c: Expr; t: Stmt; f?: Stmt }
  | { k: 'return'; e?: Expr }
  | { k: 'break' }
  | { k: 'goto'; label: string }
  | { k: 'expr'; e: Expr }
  | { k: 'decl'; name: string; e?: Expr }
  | { k: 'opaque'; text: string };

/** A function definition: parameter names and body. */
export interface CFunction {
  readonly name: string;
  readonly params: readonly string[];
  readonly body: Stmt[];
  readonly file: string;
  /** Defined `__weak` (a strong definition elsewhere wins). */
  readonly weak: boolean;
}

const TYPE_WORDS = new Set(['const', 'struct', 'enum', 'union', 'static', 'unsigned', 'signed', 'int', 'long',
  'bool', 'char', 'void', 'u8', 'u16', 'u32', 'u64', 's32', 's64', 'size_t', 'volatile']);

function tokenize(src: string): string[] {
  const re = /\s+|(0x[0-9a-fA-F]+[uUlL]*|\d+[uUlL]*|[A-Za-z_]\w*|"(?:\\.|[^"\\])*"|'(?:\\.|[^'\\])*'|->|==|!=|<=|>=|&&|\|\||<<|>>|[{}()[\];,?:=<>!&|+\-*/%^~.])/gy;
  const out: string[] = [];
  let m: RegExpExecArray | null;
  let last = 0;
  while ((m = re.exec(src)) !== null) {
    if (m[1] !== undefined) out.push(m[1]);
    last = re.lastIndex;
    if (last >= src.length) break;
  }
  if (last < src.length && src.slice(last).trim()) throw new Error(`cannot tokenize near: ${src.slice(last, last + 40)}`);
  return out;
}

class Parser {
  i = 0;
  constructor(readonly t: string[]) {}
  peek(o = 0): string | undefined { return this.t[this.i + o]; }
  next(): string { const x = this.t[this.i++]; if (x === undefined) throw new Error('unexpected end'); return x; }
  eat(s: string): void { const x = this.next(); if (x !== s) throw new Error(`expected ${s}, got ${x}`); }

  stmts(end: string): Stmt[] {
    const out: Stmt[] = [];
    while (this.peek() !== end) {
      if (this.peek() === undefined) {
        if (end === '') break;
        throw new Error('unexpected end');
      }
      out.push(this.stmt());
    }
    return out;
  }

  /** Skips to the end of the current statement, returning its text. */
  opaque(): Stmt {
    const start = this.i;
    let depth = 0;
    while (this.i < this.t.length) {
      const x = this.next();
      if (x === '{' || x === '(') depth++;
      if (x === '}' || x === ')') depth--;
      if (depth === 0 && (x === ';' || x === '}')) break;
    }
    return { k: 'opaque', text: this.t.slice(start, this.i).join(' ') };
  }

  stmt(): Stmt {
    const x = this.peek()!;
    if (x === '{') { this.next(); const body = this.stmts('}'); this.eat('}'); return { k: 'block', body }; }
    if (x === ';') { this.next(); return { k: 'block', body: [] }; }
    if (x === 'return') {
      this.next();
      if (this.peek() === ';') { this.next(); return { k: 'return' }; }
      const e = this.expr(); this.eat(';'); return { k: 'return', e };
    }
    if (x === 'break') { this.next(); this.eat(';'); return { k: 'break' }; }
    if (x === 'goto') { this.next(); const label = this.next(); this.eat(';'); return { k: 'goto', label }; }
    if (x === 'if') {
      this.next(); this.eat('('); const c = this.expr(); this.eat(')');
      const t = this.stmt();
      if (this.peek() === 'else') { this.next(); return { k: 'if', c, t, f: this.stmt() }; }
      return { k: 'if', c, t };
    }
    if (x === 'switch') {
      this.next(); this.eat('('); const on = this.expr(); this.eat(')'); this.eat('{');
      const body: Array<Stmt | { k: 'label'; value: Expr | 'default' }> = [];
      while (this.peek() !== '}') {
        if (this.peek() === 'case') { this.next(); const value = this.expr(); this.eat(':'); body.push({ k: 'label', value }); }
        else if (this.peek() === 'default') { this.next(); this.eat(':'); body.push({ k: 'label', value: 'default' }); }
        else body.push(this.stmt());
      }
      this.eat('}');
      return { k: 'switch', on, body };
    }
    if (TYPE_WORDS.has(x)) return this.decl();
    const save = this.i;
    try {
      const e = this.expr(); this.eat(';'); return { k: 'expr', e };
    } catch {
      this.i = save;
      return this.opaque();
    }
  }

  decl(): Stmt {
    const save = this.i;
    // Type words and identifiers up to the declared name, then `;` or `= expr;`.
    let name: string | undefined;
    while (this.peek() !== ';' && this.peek() !== '=') {
      const x = this.next();
      if (x === '(' || x === '{') { this.i = save; return this.opaque(); }
      if (/^[A-Za-z_]\w*$/.test(x) && !TYPE_WORDS.has(x)) name = x;
    }
    if (!name) { this.i = save; return this.opaque(); }
    if (this.next() === ';') return { k: 'decl', name };
    const e = this.expr(); this.eat(';');
    return { k: 'decl', name, e };
  }

  expr(): Expr {
    const l = this.ternary();
    if (this.peek() === '=' && l.k === 'id') { this.next(); return { k: 'assign', name: l.name, e: this.expr() }; }
    return l;
  }

  ternary(): Expr {
    const c = this.binary(0);
    if (this.peek() !== '?') return c;
    this.next(); const t = this.expr(); this.eat(':'); const f = this.ternary();
    return { k: 'cond', c, t, f };
  }

  static readonly PREC: Array<readonly string[]> = [
    ['||'], ['&&'], ['|'], ['^'], ['&'], ['==', '!='], ['<', '>', '<=', '>='], ['<<', '>>'], ['+', '-'], ['*', '/', '%'],
  ];

  binary(level: number): Expr {
    if (level >= Parser.PREC.length) return this.unary();
    let l = this.binary(level + 1);
    while (Parser.PREC[level]!.includes(this.peek() ?? '')) {
      const op = this.next();
      l = { k: 'bin', op, l, r: this.binary(level + 1) };
    }
    return l;
  }

  unary(): Expr {
    const x = this.peek()!;
    if (['!', '-', '&', '*', '~'].includes(x)) { this.next(); return { k: 'un', op: x, e: this.unary() }; }
    if (x === '(' && TYPE_WORDS.has(this.peek(1) ?? '')) {
      // A cast: skip the type.
      while (this.next() !== ')');
      return this.unary();
    }
    return this.postfix(this.primary());
  }

  primary(): Expr {
    const x = this.next();
    if (x === '(') { const e = this.expr(); this.eat(')'); return e; }
    if (/^\d/.test(x)) return { k: 'num', v: Number(x.replace(/[uUlL]+$/, '')) };
    if (x.startsWith('"') || x.startsWith("'")) return { k: 'str' };
    if (/^[A-Za-z_]\w*$/.test(x)) {
      if (this.peek() === '(') {
        this.next();
        const args: Expr[] = [];
        while (this.peek() !== ')') { args.push(this.expr()); if (this.peek() === ',') this.next(); }
        this.eat(')');
        return { k: 'call', fn: x, args };
      }
      return { k: 'id', name: x };
    }
    throw new Error(`unexpected ${x}`);
  }

  postfix(e: Expr): Expr {
    for (;;) {
      const x = this.peek();
      if (x === '->' || x === '.') { this.next(); e = { k: 'member', e, name: this.next() }; }
      else if (x === '[') { this.next(); const i = this.expr(); this.eat(']'); e = { k: 'index', e, i }; }
      else return e;
    }
  }
}

/**
 * Every function definition in preprocessed, comment-free C text whose body parses, by name.
 * Parameters are the last identifier of each comma-separated declarator.
 */
export function parseFunctions(src: string, file: string): CFunction[] {
  const out: CFunction[] = [];
  const re = /(?:^|\n)([A-Za-z_][\w \t*\n]*?)\b([a-z_]\w*)\s*\(([^()]*)\)\s*\{/g;
  for (const m of src.matchAll(re)) {
    const name = m[2]!;
    const weak = m[1]!.includes('__weak');
    if (['if', 'switch', 'while', 'for', 'return', 'sizeof'].includes(name)) continue;
    const open = m.index! + m[0].length - 1;
    let depth = 0;
    let end = open;
    for (; end < src.length; end++) {
      if (src[end] === '{') depth++;
      else if (src[end] === '}' && --depth === 0) break;
    }
    const params = m[3]!.split(',').map((p) => /(\w+)\s*$/.exec(p.trim())?.[1] ?? '').filter((p) => p && p !== 'void');
    try {
      const p = new Parser(tokenize(src.slice(open + 1, end)));
      out.push({ name, params, body: p.stmts(''), file, weak });
    } catch {
      // Bodies outside the subset are skipped; calls to them evaluate as not modelled.
    }
  }
  return out;
}
