import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Btf, BtfKind } from '../../src/btf/reader.js';
import { VMLINUX_BTF_PATH, kernelMemberOffset } from '../../src/btf/vmlinux.js';
import { isBadInputError, isNotSupportedError } from '../../src/errors.js';

let bpftool: string | undefined;
try { execFileSync('bpftool', ['version']); bpftool = 'bpftool'; } catch { /* absent */ }
const haveVmlinux = existsSync(VMLINUX_BTF_PATH);
if (!haveVmlinux || !bpftool) {
  console.log(`btf member tests: skipped (${!haveVmlinux ? `no ${VMLINUX_BTF_PATH}` : 'bpftool not installed'})`);
}

/** A type as `bpftool btf dump` prints it. */
interface Dumped {
  kind: string;
  name: string;
  /** `type_id=` of a typedef, qualifier or pointer. */
  typeId: number;
  members: Array<{ name: string; typeId: number; bitOffset: number; bitfieldSize: number }>;
}

/** Parses bpftool's raw dump: `[id] KIND 'name' ... type_id=N`, then member lines under structs and unions. */
function parseDump(dump: string): Map<number, Dumped> {
  const types = new Map<number, Dumped>();
  let current: Dumped | undefined;
  for (const line of dump.split('\n')) {
    const t = /^\[(\d+)\] (\w+) '([^']*)'(?:.* type_id=(\d+))?/.exec(line);
    if (t) {
      current = { kind: t[2]!, name: t[3] === '(anon)' ? '' : t[3]!, typeId: Number(t[4] ?? 0), members: [] };
      types.set(Number(t[1]), current);
      continue;
    }
    const m = /^\t'([^']*)' type_id=(\d+) bits_offset=(\d+)(?: bitfield_size=(\d+))?$/.exec(line);
    if (m && current && (current.kind === 'STRUCT' || current.kind === 'UNION')) {
      current.members.push({ name: m[1] === '(anon)' ? '' : m[1]!, typeId: Number(m[2]), bitOffset: Number(m[3]), bitfieldSize: Number(m[4] ?? 0) });
    }
  }
  return types;
}

describe.skipIf(!haveVmlinux || !bpftool)('Btf members against bpftool on the kernel BTF', () => {
  const btf = new Btf(readFileSync(VMLINUX_BTF_PATH));
  const dumped = parseDump(execFileSync(bpftool!, ['btf', 'dump', 'file', VMLINUX_BTF_PATH], {
    encoding: 'utf8', maxBuffer: 512 << 20,
  }));
  const structIds = new Map<string, number>();
  for (const [id, t] of dumped) if (t.kind === 'STRUCT' && !structIds.has(t.name)) structIds.set(t.name, id);
  const structId = (name: string): number => structIds.get(name)!;

  /** An independent walk over bpftool's dump: bit offset of `path` in struct `name`, anonymous members searched. */
  function oracle(name: string, path: string): number {
    const resolve = (id: number): Dumped => {
      let t = dumped.get(id)!;
      while (['TYPEDEF', 'CONST', 'VOLATILE', 'RESTRICT', 'TYPE_TAG'].includes(t.kind)) t = dumped.get(t.typeId)!;
      return t;
    };
    const inside = (t: Dumped, member: string): [number, number] | undefined => {
      for (const m of t.members) {
        if (m.name === member) return [m.bitOffset, m.typeId];
        const inner = m.name === '' ? inside(resolve(m.typeId), member) : undefined;
        if (inner) return [m.bitOffset + inner[0], inner[1]];
      }
      return undefined;
    };
    let t = dumped.get(structId(name))!;
    let bits = 0;
    for (const part of path.split('.')) {
      const [off, typeId] = inside(t, part)!;
      bits += off;
      t = resolve(typeId);
    }
    return bits;
  }

  it('lists the members of every struct and union as bpftool does', () => {
    let compared = 0;
    for (const [id, t] of dumped) {
      if (t.kind !== 'STRUCT' && t.kind !== 'UNION') continue;
      expect(btf.members(id)).toEqual(t.members);
      compared++;
    }
    expect(compared).toBeGreaterThan(1000);
  });

  it('finds every 211th named type by name, as bpftool lists them', () => {
    const byName = new Map<string, number[]>();
    for (const [id, t] of dumped) if (t.name !== '') byName.set(t.name, [...byName.get(t.name) ?? [], id]);
    const names = [...byName.keys()];
    for (let i = 0; i < names.length; i += 211) expect(btf.findAll(names[i]!)).toEqual(byName.get(names[i]!));
    expect(btf.find('task_struct', BtfKind.STRUCT)).toBe(structId('task_struct'));
  });

  it('gives member offsets in task_struct and sk_buff as a walk over bpftool\'s dump does', () => {
    const paths: Array<[string, string]> = [
      ['task_struct', 'real_parent'], ['task_struct', 'tgid'], ['task_struct', 'se.vruntime'], ['task_struct', 'comm'],
      // sk_buff opens with union { struct { next; prev; union { dev; dev_scratch; }; }; rbnode; ... }.
      ['sk_buff', 'next'], ['sk_buff', 'prev'], ['sk_buff', 'dev'], ['sk_buff', 'dev_scratch'], ['sk_buff', 'rbnode'], ['sk_buff', 'len'],
    ];
    for (const [struct, path] of paths) {
      const bits = oracle(struct, path);
      expect(bits % 8).toBe(0);
      expect([struct, path, btf.memberOffset(struct, path)]).toEqual([struct, path, bits / 8]);
    }
    expect(btf.memberOffset('sk_buff', 'dev')).toBe(btf.memberOffset('sk_buff', 'dev_scratch'));
    expect(kernelMemberOffset('task_struct', 'real_parent')).toBe(oracle('task_struct', 'real_parent') / 8);
  });

  it('names the struct and member in errors on the kernel\'s BTF', () => {
    const errorOf = (f: () => unknown): Error => { try { f(); } catch (e) { return e as Error; } throw new Error('no error'); };
    const missing = errorOf(() => kernelMemberOffset('task_struct', 'no_such_member'));
    expect(isNotSupportedError(missing)).toBe(true);
    expect(missing.message).toMatch(/struct task_struct has no member no_such_member in \/sys\/kernel\/btf\/vmlinux; its members: thread_info, /);
    expect(isNotSupportedError(errorOf(() => kernelMemberOffset('no_such_struct_xyz', 'a')))).toBe(true);
    const bitfield = dumped.get(structId('task_struct'))!.members.find((m) => m.bitfieldSize > 0)!;
    expect(isBadInputError(errorOf(() => kernelMemberOffset('task_struct', bitfield.name)))).toBe(true);
    expect(errorOf(() => kernelMemberOffset('task_struct', 'real_parent.tgid')).message).toMatch(/task_struct\.real_parent is a pointer/);
  });
});
