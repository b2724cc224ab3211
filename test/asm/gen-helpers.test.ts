import { describe, it, expect } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseEnum, parseFuncMapper } from '../../scripts/gen-helpers/uapi.js';
import { parseProtos, stripComments } from '../../scripts/gen-helpers/protos.js';
import { preprocess } from '../../scripts/gen-helpers/preproc.js';
import { parseFunctions } from '../../scripts/gen-helpers/cparse.js';
import type { CFunction } from '../../scripts/gen-helpers/cparse.js';
import { Interpreter } from '../../scripts/gen-helpers/interp.js';
import { rulesFor } from '../../scripts/gen-helpers/availability.js';
import type { Unmodelled } from '../../scripts/gen-helpers/availability.js';
import { generate } from '../../scripts/gen-helpers/generate.js';

// Synthetic C in the kernel's style: the generator's parsers, not kernel text.
describe('gen-helpers: uapi parsing', () => {
  it('reads the function mapper and rejects holes', () => {
    const h = '#define ___BPF_FUNC_MAPPER(FN, ctx...)\t\\\n\tFN(unspec, 0, ##ctx)\t\\\n\tFN(a, 1, ##ctx)\t\\\n\tFN(b, 2, ##ctx)\t\\\n\t/* */\n';
    expect(parseFuncMapper(h)).toEqual([{ id: 0, name: 'unspec' }, { id: 1, name: 'a' }, { id: 2, name: 'b' }]);
    expect(() => parseFuncMapper(h.replace('FN(b, 2', 'FN(b, 3'))).toThrow(/expected 2/);
  });

  it('numbers enums, follows aliases, drops __ members', () => {
    const h = 'enum e {\n\tA,\n\tB, /* c */\n\tC = B,\n\tD,\n\tE = 0x10,\n\t__MAX\n};';
    expect(parseEnum(h, 'e')).toEqual([['A', 0], ['B', 1], ['C', 1], ['D', 2], ['E', 16]]);
  });
});

describe('gen-helpers: protos', () => {
  it('splits aliases into base and flags, trims trailing DONTCARE, sizes fixed args', () => {
    const c = stripComments(`
static const struct bpf_func_proto bpf_x_proto = {
\t.func\t\t= x,
\t.gpl_only\t= true, /* GPL */
\t.ret_type\t= RET_PTR_TO_BTF_ID_OR_NULL,
\t.ret_btf_id\t= &btf_ids[1],
\t.arg1_type\t= ARG_PTR_TO_UNINIT_MEM,
\t.arg2_type\t= ARG_PTR_TO_FIXED_SIZE_MEM | MEM_WRITE |
\t\t\t  MEM_ALIGNED,
\t.arg2_size\t= sizeof(u64),
};`);
    expect(parseProtos(c, 'f.c')).toEqual([{
      symbol: 'bpf_x_proto', file: 'f.c', gplOnly: true, pktAccess: false, mightSleep: false, allowFastcall: false,
      ret: { type: 'PTR_TO_BTF_ID', flags: ['PTR_MAYBE_NULL'], btfId: 'btf_ids[1]' },
      args: [
        { type: 'PTR_TO_MEM', flags: ['MEM_UNINIT', 'MEM_WRITE'] },
        { type: 'PTR_TO_MEM', flags: ['MEM_FIXED_SIZE', 'MEM_ALIGNED', 'MEM_WRITE'], size: 8 },
      ],
    }]);
  });

  it('rejects what it does not know', () => {
    const bad = 'struct bpf_func_proto p = {\n\t.ret_type = RET_INTEGER,\n\t.arg1_type = ARG_NOPE,\n};';
    expect(() => parseProtos(bad, 'f.c')).toThrow(/ARG_NOPE/);
    const noSize = 'struct bpf_func_proto p = {\n\t.arg1_type = ARG_PTR_TO_FIXED_SIZE_MEM,\n};';
    expect(() => parseProtos(noSize, 'f.c')).toThrow(/disagree/);
  });
});

describe('gen-helpers: preprocessor', () => {
  it('keeps configured branches only and keeps line numbers', () => {
    const src = ['a', '#ifdef CONFIG_X', 'x', '#else', 'notx', '#endif', '#if IS_ENABLED(CONFIG_Y) && \\', '  defined(CONFIG_X)', 'xy', '#elif IS_MODULE(CONFIG_Y)', 'ym', '#endif', 'z'].join('\n');
    const cfg = (m: Record<string, string>) => new Map(Object.entries(m));
    const run = (m: Record<string, string>) => preprocess(src, cfg(m)).split('\n').filter(Boolean);
    expect(run({ X: 'y', Y: 'y' })).toEqual(['a', 'x', 'xy', 'z']);
    expect(run({ Y: 'm' })).toEqual(['a', 'notx', 'ym', 'z']);
    expect(preprocess(src, 'all').split('\n')).toHaveLength(13);
  });
});

describe('gen-helpers: evaluating get_func_proto', () => {
  const C = `
static bool is_multi(const struct bpf_prog *prog)
{
\treturn prog->expected_attach_type == BPF_M1 ||
\t       prog->expected_attach_type == BPF_M2;
}

const struct bpf_func_proto *
base_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
\tswitch (func_id) {
\tcase BPF_FUNC_a:
\t\treturn &a_proto;
\tdefault:
\t\tbreak;
\t}
\tif (!bpf_token_capable(prog->aux->token, CAP_PERFMON))
\t\treturn NULL;
\tswitch (func_id) {
\tcase BPF_FUNC_b:
\t\treturn security_locked_down(LOCKDOWN_R) < 0 ? NULL : &b_proto;
\tdefault:
\t\treturn NULL;
\t}
}

static const struct bpf_func_proto *
t_func_proto(enum bpf_func_id func_id, const struct bpf_prog *prog)
{
\tconst struct bpf_func_proto *fp;

\tswitch (func_id) {
\tcase BPF_FUNC_c:
\t\tif (is_multi(prog))
\t\t\treturn &c_multi_proto;
\t\treturn prog->sleepable ? &c_sleep_proto : &c_proto;
\tcase BPF_FUNC_d:
\t\tif (unknown_thing(prog->aux->attach_btf_id))
\t\t\treturn &d1_proto;
\t\treturn &d2_proto;
\tdefault:
\t\tfp = base_func_proto(func_id, prog);
\t\treturn fp;
\t}
}`;
  const fns = new Map<string, CFunction>(parseFunctions(C, 't.c').map((f) => [f.name, f]));
  const consts = new Map<string, number>([
    ['BPF_FUNC_a', 1], ['BPF_FUNC_b', 2], ['BPF_FUNC_c', 3], ['BPF_FUNC_d', 4], ['BPF_FUNC_e', 5],
    ['BPF_M1', 1], ['BPF_M2', 2], ['LOCKDOWN_R', 3],
  ]);
  const protos = new Set(['a_proto', 'b_proto', 'c_proto', 'c_multi_proto', 'c_sleep_proto', 'd1_proto', 'd2_proto']);
  const interp = new Interpreter(fns, consts, protos);
  const ev = (id: number, attachType = 0, sleepable = false, lockdown = 0) =>
    interp.evaluate('t_func_proto', id, { type: 9, attachType, sleepable, lockdown });

  it('parses the functions', () => {
    expect([...fns.keys()].sort()).toEqual(['base_func_proto', 'is_multi', 't_func_proto']);
    expect(fns.get('t_func_proto')!.params).toEqual(['func_id', 'prog']);
  });

  it('follows switches, fallthrough calls, privilege (root) and lockdown', () => {
    expect(ev(1).outcomes).toEqual(['a_proto']);
    expect(ev(2).outcomes).toEqual(['b_proto']);
    expect(ev(2).readLockdown).toBe(true);
    expect(ev(2, 0, false, 3).outcomes).toEqual([null]);
    expect(ev(5).outcomes).toEqual([null]);
  });

  it('records reads of the attach type and sleepability', () => {
    expect(ev(3)).toMatchObject({ outcomes: ['c_proto'], readAttach: true, readSleepable: true });
    expect(ev(3, 2).outcomes).toEqual(['c_multi_proto']);
    expect(ev(3, 0, true).outcomes).toEqual(['c_sleep_proto']);
    expect(ev(1)).toMatchObject({ readAttach: false, readSleepable: false });
  });

  it('forks on what it cannot know and keeps every outcome', () => {
    const e = ev(4);
    expect([...e.outcomes].sort()).toEqual(['d1_proto', 'd2_proto']);
    expect(e.unknowns.join()).toMatch(/unknown_thing/);
  });

  it('folds outcomes into rules, most common last and unrestricted', () => {
    const unmodelled: Unmodelled[] = [];
    const names = ['unspec', 'a', 'b', 'c', 'd', 'e'];
    const rules = rulesFor(fns, consts, protos, 't_func_proto', 9, 't', names, 4, unmodelled, [['integrity', 3]], new Map());
    expect(rules.filter((r) => r.helper === 3)).toEqual([
      { helper: 3, proto: 'c_proto', attachTypes: [0, 3], sleepable: false },
      { helper: 3, proto: 'c_sleep_proto', attachTypes: [0, 3], sleepable: true },
      { helper: 3, proto: 'c_multi_proto', attachTypes: null, sleepable: null },
    ]);
    expect(rules.filter((r) => r.helper === 4)).toEqual([
      { helper: 4, proto: 'd1_proto', attachTypes: null, sleepable: null, alternatives: ['d2_proto'] },
    ]);
    expect(rules.some((r) => r.helper === 5)).toBe(false);
    expect(unmodelled.map((u) => u.helper)).toEqual(['d']);
  });
});

// The committed table must be what the generator makes from Linux 6.18 with the machine's
// config; runs only where the kernel mirror and /proc/config.gz are present.
const here = path.dirname(fileURLToPath(import.meta.url));
const tree = process.env.KERNEL_TREE ?? '/work/.mirror/gfunkmonk+linux-6.18.2/repo';
const canRegen = existsSync(tree) && existsSync('/proc/config.gz');
describe.skipIf(!canRegen)('gen-helpers: committed table is current', () => {
  it('regenerates byte for byte', () => {
    const { text } = generate(tree, '/proc/config.gz');
    expect(text === readFileSync(path.resolve(here, '../../src/asm/helpers-table.ts'), 'utf8')).toBe(true);
  }, 60_000);
});
if (!canRegen) console.log(`gen-helpers: regeneration check skipped (no kernel tree at ${tree} or no /proc/config.gz)`);
