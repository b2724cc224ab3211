/**
 * Parses include/uapi/linux/bpf.h: the helper ids of `___BPF_FUNC_MAPPER` and the names of
 * simple uapi enums (values implicit or aliasing an earlier member).
 * @module
 */

/** One helper id from `___BPF_FUNC_MAPPER`. */
export interface UapiHelper {
  readonly id: number;
  readonly name: string;
}

/** The helpers of `___BPF_FUNC_MAPPER`, in id order; throws when the ids are not 0..n-1. */
export function parseFuncMapper(header: string): UapiHelper[] {
  const start = header.indexOf('#define ___BPF_FUNC_MAPPER(');
  if (start < 0) throw new Error('___BPF_FUNC_MAPPER not found');
  const body: string[] = [];
  for (const line of header.slice(start).split('\n').slice(1)) {
    body.push(line);
    if (!line.trimEnd().endsWith('\\')) break;
  }
  const out: UapiHelper[] = [];
  for (const m of body.join('\n').matchAll(/FN\((\w+),\s*(\d+),/g)) {
    const id = Number(m[2]);
    if (id !== out.length) throw new Error(`helper ${m[1]} has id ${id}, expected ${out.length}`);
    out.push({ id, name: m[1]! });
  }
  return out;
}

/**
 * The members of `enum <name>` as [member, value], following C's implicit numbering and
 * `A = B` aliases; members starting with `__` are dropped.
 */
export function parseEnum(header: string, name: string): Array<[string, number]> {
  const m = new RegExp(`enum ${name} \\{([\\s\\S]*?)\\n\\};`).exec(header);
  if (!m) throw new Error(`enum ${name} not found`);
  const text = m[1]!.replace(/\/\*[\s\S]*?\*\//g, '').replace(/\/\/.*$/gm, '');
  const values = new Map<string, number>();
  const out: Array<[string, number]> = [];
  let next = 0;
  for (const raw of text.split(',')) {
    const item = raw.trim();
    if (!item) continue;
    const [member, expr] = item.split('=').map((s) => s.trim()) as [string, string | undefined];
    let value = next;
    if (expr !== undefined) {
      if (/^\d+$/.test(expr)) value = Number(expr);
      else if (/^0x[0-9a-f]+$/i.test(expr)) value = Number.parseInt(expr, 16);
      else if (values.has(expr)) value = values.get(expr)!;
      else throw new Error(`enum ${name}: cannot evaluate ${member} = ${expr}`);
    }
    values.set(member, value);
    next = value + 1;
    if (!member.startsWith('__')) out.push([member, value]);
  }
  return out;
}
