/**
 * The programs bench/verifier times: the kernel-verifier corpus (records converted by the corpus
 * runner of test/verifier, with real maps created for their fixups) and the programs examples
 * export through `programs()`. Each comes as the same bytes for the model and for the kernel,
 * with its maps described to the model by the real fd written in the program.
 * @module
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { prepareRecord, readCorpus } from '../../test/verifier/corpus-runner.js';
import type { VerifierMapSpec } from '../../src/verifier/types.js';
import { createMap } from '../../src/maps/create.js';
import type { MapSpec } from '../../src/maps/spec.js';
import { encode } from '../../src/asm/encoding.js';
import type { Instruction } from '../../src/asm/instruction.js';
import { kernelFunctionBtfId } from '../../src/btf/vmlinux.js';
import { resolveReferences } from '../../src/loader/resolve.js';
import { attachTypeNumber, progTypeNumber } from '../../src/loader/prog-names.js';
import { verifierMapSpec } from '../../src/loader/model-check.js';

/** A program with its maps created: the same bytes for the model and the kernel. */
export interface PreparedProgram {
  /** Instruction bytes with real map fds. */
  readonly bytes: Uint8Array;
  /** The maps, by the fd written in the program. */
  readonly maps: Readonly<Record<number, VerifierMapSpec>>;
  /** Closes the maps created for it. */
  close(): void;
}

/** One program to time. Its maps are created by `prepare()` (one program at a time keeps few fds open). */
export interface BenchProgram {
  /** Corpus record id, or `example:<file>:<name>`. */
  readonly id: string;
  /** Group for the report: the program type name. */
  readonly group: string;
  /** `enum bpf_prog_type`. */
  readonly progType: number;
  /** expected_attach_type (0 when none). */
  readonly expectedAttachType: number;
  /** prog_flags. */
  readonly progFlags: number;
  /** For corpus records: the verdict and processed count recorded when the corpus was made. */
  readonly label?: { readonly accepted: boolean; readonly processed: number | undefined };
  /** Creates the maps and patches their fds in. */
  prepare(): PreparedProgram;
}

/** Why a corpus record is left out, or undefined when it can be loaded as the labels were made. */
function exclusion(rec: ReturnType<typeof readCorpus>[number], maps: Record<number, VerifierMapSpec>): string | undefined {
  if (rec.kernel.verdict === 'skipped') return 'skipped by the corpus';
  if (rec.prog_type_name === 'tracing' || rec.prog_type_name === 'lsm') return 'needs an attach BTF id (and trampolines are refused here)';
  const extra = rec.extra as { btf?: string } | undefined;
  if (extra?.btf) return 'needs the program BTF (func_info)';
  if (Object.values(maps).some((m) => m.spinLockOff !== undefined || m.timerOff !== undefined || m.kptrOffs !== undefined)) {
    return 'needs a BTF-described map value (spin lock, timer, kptr)';
  }
  return undefined;
}

function toMapSpec(v: VerifierMapSpec): MapSpec {
  return {
    type: v.type, keySize: v.keySize, valueSize: v.valueSize, maxEntries: v.maxEntries, flags: v.flags ?? 0,
    ...(v.inner ? { inner: toMapSpec(v.inner) } : {}),
  };
}

function closeAll(maps: readonly { close(): void }[]): void {
  for (const m of maps) m.close();
}

/**
 * Reads the corpus and keeps its loadable records; `prepare()` creates the real maps and patches
 * their fds in where the fixups point. Returns the programs and, per reason, how many records were
 * left out.
 */
export function corpusPrograms(file: string, filter?: (id: string) => boolean):
  { programs: BenchProgram[]; excluded: Record<string, number> } {
  const programs: BenchProgram[] = [];
  const excluded: Record<string, number> = {};
  for (const rec of readCorpus(file)) {
    if (filter && !filter(rec.id)) continue;
    const prepared = prepareRecord(rec);
    const why = exclusion(rec, prepared.maps);
    if (why) {
      excluded[why] = (excluded[why] ?? 0) + 1;
      continue;
    }
    programs.push({
      id: rec.id, group: rec.prog_type_name, progType: rec.prog_type,
      expectedAttachType: rec.expected_attach_type ?? 0, progFlags: rec.extra?.prog_flags ?? 0,
      label: { accepted: rec.kernel.verdict === 'accept', processed: rec.kernel.processed },
      prepare: () => prepareCorpus(rec.fixups, prepared),
    });
  }
  return { programs, excluded };
}

function prepareCorpus(fixups: Record<string, unknown[]>, prepared: ReturnType<typeof prepareRecord>): PreparedProgram {
  const bytes = prepared.bytes.slice();
  const dv = new DataView(bytes.buffer);
  const created: { close(): void }[] = [];
  const real = new Map<number, number>();
  const maps: Record<number, VerifierMapSpec> = {};
  try {
    for (const [fake, spec] of Object.entries(prepared.maps)) {
      const m = createMap(toMapSpec(spec));
      created.push(m);
      real.set(Number(fake), m.fd);
      maps[m.fd] = spec;
    }
  } catch (e) {
    closeAll(created);
    throw e;
  }
  {
    for (const [kind, idxs] of Object.entries(fixups)) {
      for (const idx of idxs) {
        if (kind === 'kfunc_btf_id') {
          const k = idx as { kfunc: string; insn_idx: number };
          let id = 0;
          try { id = kernelFunctionBtfId(k.kfunc); } catch { /* gone from this kernel: imm stays 0, as test_verifier does */ }
          dv.setInt32(k.insn_idx * 8 + 4, id, true);
        } else if (typeof idx === 'number' && idx * 8 + 8 <= bytes.length) {
          const fd = real.get(dv.getInt32(idx * 8 + 4, true));
          if (fd !== undefined) dv.setInt32(idx * 8 + 4, fd, true);
        }
      }
    }
  }
  return { bytes, maps, close: () => closeAll(created) };
}

/** What an example may export for this bench (see the module doc of examples). */
interface ExampleProgram {
  readonly name: string;
  readonly type: string | number;
  readonly expectedAttachType?: string | number;
  readonly flags?: number;
  readonly instructions: readonly Instruction[] | { readonly instructions: readonly Instruction[] };
  readonly maps?: Readonly<Record<string, MapSpec>>;
}

/** An Assembled program and the specs of the maps it names without giving an object. */
function fromAssembled(name: string, type: string, a: unknown, named: Readonly<Record<string, MapSpec>> = {}): ExampleProgram {
  const asm = a as { instructions: readonly Instruction[]; maps?: Readonly<Record<string, unknown>> };
  if (!asm || !Array.isArray(asm.instructions)) throw new Error(`${name} is not an assembled program`);
  return { name, type, instructions: asm.instructions, maps: { ...named, ...(asm.maps as Record<string, MapSpec> | undefined) } };
}

/**
 * Examples that do not export `programs()` but export what builds their programs. The map shapes
 * given here restate those of the example's own (unexported) specs; if the example changes them,
 * its row fails to load and is reported, not silently mis-measured.
 */
const KNOWN: Readonly<Record<string, (mod: Record<string, unknown>) => ExampleProgram[]>> = {
  'sockfilter.ts': (m) => [fromAssembled('udpPortFilter(5353)', 'socket_filter', (m.udpPortFilter as (p: number) => unknown)(5353))],
  'tail-calls.ts': (m) => [fromAssembled('entry', 'xdp', m.entry, {
    jump_table: { type: 'prog_array', keySize: 4, valueSize: 4, maxEntries: 256 },
    runs: { type: 'array', keySize: 4, valueSize: 8, maxEntries: 256 },
  })],
};

/**
 * The programs of every `examples/*.ts` that exports `programs()` (or is in the table above), with
 * their maps created on `prepare()`. Returns also the examples left out, with why.
 */
export async function examplePrograms(dir: string): Promise<{ programs: BenchProgram[]; without: string[] }> {
  const programs: BenchProgram[] = [];
  const without: string[] = [];
  for (const f of readdirSync(dir).filter((n) => n.endsWith('.ts') && n !== 'tour.ts').sort()) {
    const mod = await import(pathToFileURL(join(dir, f)).href) as Record<string, unknown> & { programs?: () => ExampleProgram[] };
    let list: ExampleProgram[];
    try {
      if (typeof mod.programs === 'function') list = mod.programs();
      else if (KNOWN[f]) list = KNOWN[f](mod);
      else {
        without.push(f);
        continue;
      }
    } catch (e) {
      without.push(`${f} (${e instanceof Error ? e.message : String(e)})`);
      continue;
    }
    for (const p of list) {
      const insns = Array.isArray(p.instructions) ? p.instructions as readonly Instruction[]
        : (p.instructions as { instructions: readonly Instruction[] }).instructions;
      const progType = progTypeNumber(p.type);
      programs.push({
        id: `example:${f}:${p.name}`, group: `example ${typeof p.type === 'string' ? p.type : progType}`, progType,
        expectedAttachType: p.expectedAttachType === undefined ? 0 : attachTypeNumber(p.expectedAttachType),
        progFlags: p.flags ?? 0,
        prepare: () => prepareExample(insns, p.maps ?? {}),
      });
    }
  }
  return { programs, without };
}

function prepareExample(insns: readonly Instruction[], specs: Readonly<Record<string, MapSpec>>): PreparedProgram {
  const created: { close(): void }[] = [];
  try {
    const mapFds = new Map<string, number>();
    const maps: Record<number, VerifierMapSpec> = {};
    for (const [name, spec] of Object.entries(specs)) {
      const m = createMap(spec);
      created.push(m);
      mapFds.set(name, m.fd);
      maps[m.fd] = verifierMapSpec(spec);
    }
    const bytes = encode(resolveReferences(insns, { mapFds, kfuncId: kernelFunctionBtfId, fdArray: [] }));
    return { bytes, maps, close: () => closeAll(created) };
  } catch (e) {
    closeAll(created);
    throw e;
  }
}
