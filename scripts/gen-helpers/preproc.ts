/**
 * Conditional compilation for the generator: keeps the lines a kernel configuration compiles
 * (`#if`/`#ifdef`/`#ifndef`/`#elif`/`#else`/`#endif` over `CONFIG_*`), blanks every directive.
 * @module
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';

/** A kernel configuration: CONFIG_ symbol (without prefix) → 'y' | 'm' | value; absent = unset. */
export type KernelConfig = ReadonlyMap<string, string> | 'all';

/** Reads a `.config` (or `config.gz`); `all` means every CONFIG_ symbol is taken as built in. */
export function readConfig(file: string | undefined): KernelConfig {
  if (!file) return 'all';
  const raw = readFileSync(file);
  const text = (file.endsWith('.gz') ? gunzipSync(raw) : raw).toString('utf8');
  const m = new Map<string, string>();
  for (const line of text.split('\n')) {
    const mm = /^CONFIG_(\w+)=(.*)$/.exec(line);
    if (mm) m.set(mm[1]!, mm[2]!);
  }
  return m;
}

function configValue(cfg: KernelConfig, sym: string): string | undefined {
  if (!sym.startsWith('CONFIG_')) return undefined;
  return cfg === 'all' ? 'y' : cfg.get(sym.slice(7));
}

/** Evaluates a `#if` expression; unknown macros are 0, as the preprocessor does. */
function evalCond(expr: string, cfg: KernelConfig): boolean {
  const js = expr
    .replace(/\/\*.*?\*\//g, '')
    .replace(/(defined|IS_ENABLED|IS_BUILTIN|IS_MODULE|IS_REACHABLE)\s*\(\s*(\w+)\s*\)|defined\s+(\w+)/g,
      (_m, fn: string | undefined, a: string | undefined, b: string | undefined) => {
        const v = configValue(cfg, (a ?? b)!);
        const on = fn === 'IS_BUILTIN' ? v === 'y' : fn === 'IS_MODULE' ? v === 'm' : v === 'y' || v === 'm' ||
          (fn === 'defined' || b !== undefined ? v !== undefined : false);
        return on ? '1' : '0';
      })
    .replace(/\b[A-Za-z_]\w*\b/g, '0');
  if (!/^[\d\s()!&|=<>+-]*$/.test(js)) throw new Error(`cannot evaluate #if ${expr}`);
  return Boolean(new Function(`return (${js});`)());
}

/** The text with inactive conditional blocks and every preprocessor line blanked (line count kept). */
export function preprocess(text: string, cfg: KernelConfig): string {
  const lines = text.split('\n');
  // Join continuation lines of directives first, keeping the line count.
  for (let i = 0; i < lines.length; i++) {
    if (/^\s*#/.test(lines[i]!)) {
      while (lines[i]!.endsWith('\\') && i + 1 < lines.length) {
        lines[i] = lines[i]!.slice(0, -1) + ' ' + lines[i + 1]!;
        lines[i + 1] = '';
        i++;
      }
    }
  }
  const out: string[] = [];
  // Stack of [this branch active, some branch already taken, parent active].
  const stack: Array<[boolean, boolean, boolean]> = [];
  const active = () => stack.every((s) => s[0]);
  for (const line of lines) {
    const d = /^\s*#\s*(\w+)\s*(.*)$/.exec(line);
    if (!d) { out.push(active() ? line : ''); continue; }
    const [, dir, rest] = d as unknown as [string, string, string];
    const parent = active();
    if (dir === 'if' || dir === 'ifdef' || dir === 'ifndef') {
      const c = dir === 'if' ? evalCond(rest, cfg)
        : dir === 'ifdef' ? evalCond(`defined(${rest.trim().split(/\s/)[0]})`, cfg)
          : !evalCond(`defined(${rest.trim().split(/\s/)[0]})`, cfg);
      stack.push([c, c, parent]);
    } else if (dir === 'elif') {
      const top = stack[stack.length - 1]!;
      const c = !top[1] && evalCond(rest, cfg);
      top[0] = c; top[1] = top[1] || c;
    } else if (dir === 'else') {
      const top = stack[stack.length - 1]!;
      top[0] = !top[1]; top[1] = true;
    } else if (dir === 'endif') {
      stack.pop();
    }
    out.push('');
  }
  return out.join('\n');
}
