/**
 * The generator proper: reads a Linux tree and returns the text of src/asm/helpers-table.ts.
 * @module
 */
import path from 'node:path';
import { openKernelTree } from './source.js';
import { parseEnum, parseFuncMapper } from './uapi.js';
import { parseProtos, stripComments } from './protos.js';
import { preprocess, readConfig } from './preproc.js';
import { parseFunctions } from './cparse.js';
import type { CFunction } from './cparse.js';
import { rulesFor } from './availability.js';
import type { Rule, Unmodelled } from './availability.js';
import type { MapCompat } from './emit.js';
import { Interpreter } from './interp.js';
import { emitTable } from './emit.js';
import type { HelperProto } from '../../src/asm/helper-types.js';

/** Generates the table from a kernel tree (work tree or bare git dir) and an optional .config. */
export function generate(root: string, configFile: string | undefined): { text: string; summary: string } {
  const tree = openKernelTree(root);
  const cfg = readConfig(configFile);
  const must = (rel: string): string => {
    const t = tree.read(rel);
    if (t === undefined) throw new Error(`${root}: ${rel} not found`);
    return t;
  };

  // uapi: helper ids, program and attach types.
  const uapi = must('include/uapi/linux/bpf.h');
  const helpers = parseFuncMapper(uapi);
  const progTypes = parseEnum(uapi, 'bpf_prog_type');
  const attachTypes = parseEnum(uapi, 'bpf_attach_type');
  const consts = new Map<string, number>();
  for (const h of helpers) consts.set(`BPF_FUNC_${h.name}`, h.id);
  for (const [n, v] of [...progTypes, ...parseEnum(uapi, 'bpf_map_type'), ...attachTypes]) consts.set(n, v);

  // Kernel lockdown: reasons and levels (include/linux/security.h), and the level the config forces.
  const lockdownEnum = parseEnum(must('include/linux/security.h'), 'lockdown_reason');
  for (const [n, v] of lockdownEnum) consts.set(n, v);
  const lockdownLevels: Array<[string, number]> = [
    ['integrity', consts.get('LOCKDOWN_INTEGRITY_MAX')!], ['confidentiality', consts.get('LOCKDOWN_CONFIDENTIALITY_MAX')!],
  ];
  const forcedLockdown = cfg === 'all' ? 'none'
    : cfg.get('LOCK_DOWN_KERNEL_FORCE_CONFIDENTIALITY') === 'y' ? 'confidentiality'
      : cfg.get('LOCK_DOWN_KERNEL_FORCE_INTEGRITY') === 'y' ? 'integrity' : 'none';
  const lockdownGates = new Map<string, string>();

  // Protos (all, whatever the config) and the functions that choose them (as configured).
  const DIRS = ['kernel', 'net', 'drivers/media/rc', 'security', 'fs'];
  const files = tree.grep('bpf_func_proto', DIRS);
  const EXTRA = ['include/linux/bpf_verifier.h', 'include/linux/bpf.h', 'kernel/bpf/trampoline.c', 'kernel/bpf/verifier.c'];
  const protos = new Map<string, HelperProto>();
  const fns = new Map<string, CFunction>();
  const opsFunc = new Map<string, string>();
  // `case BPF_FUNC_x: return &proto;` anywhere, even in code this configuration compiles out.
  const staticCases: Array<[string, string]> = [];
  for (const f of [...new Set([...files, ...EXTRA])]) {
    const raw = stripComments(must(f));
    if (f.endsWith('.c')) {
      for (const p of parseProtos(raw, f)) {
        if (protos.has(p.symbol)) throw new Error(`proto ${p.symbol} defined twice`);
        protos.set(p.symbol, p);
      }
    }
    for (const m of raw.matchAll(/case\s+BPF_FUNC_(\w+)\s*:\s*return\s+&(\w+)\s*;/g)) staticCases.push([m[1]!, m[2]!]);
    const src = preprocess(raw, cfg);
    for (const fn of parseFunctions(src, f)) {
      const old = fns.get(fn.name);
      if (!old || (old.weak && !fn.weak)) fns.set(fn.name, fn);
    }
    for (const m of src.matchAll(/bpf_verifier_ops\s+(\w+)\s*=\s*\{([\s\S]*?)\};/g)) {
      const g = /\.get_func_proto\s*=\s*(\w+)/.exec(m[2]!);
      if (g) opsFunc.set(m[1]!, g[1]!);
    }
  }

  // Program type → verifier ops (include/linux/bpf_types.h) → get_func_proto.
  const types = preprocess(stripComments(must('include/linux/bpf_types.h')), cfg);
  const progFuncProto = new Map<string, string | null>();
  for (const m of types.matchAll(/BPF_PROG_TYPE\(BPF_PROG_TYPE_(\w+),\s*(\w+),/g)) {
    progFuncProto.set(m[1]!.toLowerCase(), opsFunc.get(`${m[2]}_verifier_ops`) ?? null);
  }

  const unmodelled: Unmodelled[] = [];
  const rules = new Map<string, Rule[]>();
  const helperNames = helpers.map((h) => h.name);
  for (const [name, value] of progTypes) {
    const pt = name.replace(/^BPF_PROG_TYPE_/, '').toLowerCase();
    const fn = progFuncProto.get(pt);
    if (!fn) continue;
    rules.set(pt, rulesFor(fns, consts, new Set(protos.keys()), fn, value, pt, helperNames, attachTypes.length, unmodelled,
      lockdownLevels, lockdownGates));
  }

  // Per-helper predicates of the verifier (verifier.c) and of filter.c, evaluated for every id.
  const TRAITS: Array<[string, string]> = [
    ['changesPktData', 'bpf_helper_changes_pkt_data'], ['acquire', 'is_acquire_function'],
    ['ptrCast', 'is_ptr_cast_function'], ['dynptrRef', 'is_dynptr_ref_function'],
    ['syncCallback', 'is_sync_callback_calling_function'], ['asyncCallback', 'is_async_callback_calling_function'],
    ['storageGet', 'is_storage_get_function'],
  ];
  const traits = new Map<string, number[]>();
  const pred = new Interpreter(fns, consts, new Set(protos.keys()));
  for (const [trait, fn] of TRAITS) {
    if (!fns.has(fn)) throw new Error(`predicate ${fn} not found`);
    const ids: number[] = [];
    for (const h of helpers) {
      const v = pred.predicate(fn, h.id);
      if (v === undefined) throw new Error(`${fn}(${h.name}) not decidable`);
      if (v) ids.push(h.id);
    }
    traits.set(trait, ids);
  }

  // check_map_func_compatibility(): which helpers take which map types, per program type where
  // the kernel asks (may_update_sockmap); a path reaching `goto error` is the rejection.
  const mapTypes = [...new Map(parseEnum(uapi, 'bpf_map_type').map(([, v]) => [v, v])).keys()];
  const progNums = progTypes.map(([, v]) => v).filter((v) => v !== 0);
  const mapCompat: MapCompat[] = [];
  const mixedCompat: string[] = [];
  for (const mt of mapTypes.filter((m) => m !== 0)) {
    for (const h of helpers.filter((x) => x.id !== 0)) {
      const ok = (exits: string[]) => exits.some((x) => x !== 'goto error');
      const first = pred.mapCheck('check_map_func_compatibility', h.id, mt, { type: 0, attachType: 0, sleepable: false, lockdown: 0 });
      if (first.exits.includes("goto error") && first.exits.length > 1) mixedCompat.push(`${mt}/${h.name}:${first.exits.join("+")} ${first.unknowns.join(";")}`);
      if (!first.readType && !first.readAttach) {
        if (ok(first.exits)) mapCompat.push([mt, h.id, null]);
        continue;
      }
      const allowed: Array<number | [number, number[]]> = [];
      for (const pt of progNums) {
        const attaches = [...Array(attachTypes.length).keys()].filter((a) =>
          ok(pred.mapCheck('check_map_func_compatibility', h.id, mt, { type: pt, attachType: a, sleepable: false, lockdown: 0 }).exits));
        if (attaches.length === attachTypes.length) allowed.push(pt);
        else if (attaches.length) allowed.push([pt, attaches]);
      }
      if (allowed.length) mapCompat.push([mt, h.id, allowed]);
    }
  }
  if (mixedCompat.length) throw new Error(`map compatibility depends on unknowns: ${mixedCompat.join(', ')}`);

  // Which helper each proto implements: every rule that returns it (a proto serves one id).
  const protoHelper = new Map<string, number>();
  for (const [pt, list] of rules) {
    for (const r of list) {
      for (const s of [r.proto, ...(r.alternatives ?? [])]) {
        if (!s) continue;
        const old = protoHelper.get(s);
        if (old !== undefined && old !== r.helper) throw new Error(`${s} serves ${old} and ${r.helper} (${pt})`);
        protoHelper.set(s, r.helper);
      }
    }
  }

  // Protos no configured program type reaches (struct_ops-only, configured out): by their case label.
  for (const [name, sym] of staticCases) {
    const id = helpers.find((h) => h.name === name)?.id;
    if (id !== undefined && protos.has(sym) && !protoHelper.has(sym)) protoHelper.set(sym, id);
  }

  const text = emitTable({
    helperNames, protos: [...protos.values()], protoHelper, rules, progFuncProto, unmodelled,
    config: configFile ? path.basename(configFile) : 'all options enabled', lockdownGates, forcedLockdown, traits, mapCompat,
    allProgTypes: progTypes.map(([n]) => n.replace(/^BPF_PROG_TYPE_/, '').toLowerCase()).filter((n) => n !== 'unspec'),
  });
  return {
    text,
    summary: `${helpers.length} helpers, ${protos.size} protos, ${rules.size} program types, ` +
      `${unmodelled.length} cases not modelled exactly`,
  };
}
