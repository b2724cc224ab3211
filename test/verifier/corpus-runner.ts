/**
 * Differential runner over a corpus in the format of `../shared/corpus/kernel-verifier-6.1`
 * (JSONL, optionally gzip-compressed): each record carries the program as hex slots, its map
 * fixups and the verdict Linux 6.18 gave. The model runs on every labelled record; the
 * comparison uses the labels only, so no kernel object is created.
 */
import { readFileSync } from 'node:fs';
import { gunzipSync } from 'node:zlib';
import { verify } from '../../src/verifier/verify.js';
import type { VerifierMapSpec } from '../../src/verifier/types.js';

/** The program types the v1 bars apply to. */
export const V1_TYPES: ReadonlySet<string> = new Set([
  'socket_filter', 'xdp', 'sched_cls', 'cgroup_skb', 'tracepoint', 'raw_tracepoint', 'kprobe', 'perf_event',
]);

interface KernelLabel {
  verdict: 'accept' | 'reject' | 'skipped';
  first_error?: string;
  processed?: number;
}

interface CorpusRecord {
  id: string;
  prog_type: number;
  prog_type_name: string;
  expected_attach_type: number | null;
  insns: string[];
  fixups: Record<string, unknown[]>;
  kernel: KernelLabel;
  extra?: { prog_flags?: number; func_info?: [number, number][] | null };
}

const F_NO_PREALLOC = 1;
/** The map each fixup kind creates (the README's table). */
const FIXUP_MAPS: Record<string, VerifierMapSpec> = {
  map_hash_8b: { type: 1, keySize: 8, valueSize: 8, maxEntries: 1, flags: F_NO_PREALLOC },
  map_hash_48b: { type: 1, keySize: 8, valueSize: 48, maxEntries: 1, flags: F_NO_PREALLOC },
  map_hash_16b: { type: 1, keySize: 8, valueSize: 16, maxEntries: 1, flags: F_NO_PREALLOC },
  map_array_48b: { type: 2, keySize: 4, valueSize: 48, maxEntries: 1 },
  map_array_ro: { type: 2, keySize: 4, valueSize: 48, maxEntries: 1, flags: 0x80 },
  map_array_wo: { type: 2, keySize: 4, valueSize: 48, maxEntries: 1, flags: 0x100 },
  map_array_small: { type: 2, keySize: 4, valueSize: 1, maxEntries: 1 },
  prog1: { type: 3, keySize: 4, valueSize: 4, maxEntries: 4 },
  prog2: { type: 3, keySize: 4, valueSize: 4, maxEntries: 8 },
  map_in_map: { type: 12, keySize: 4, valueSize: 4, maxEntries: 1, inner: { type: 2, keySize: 4, valueSize: 4, maxEntries: 1 } },
  cgroup_storage: { type: 19, keySize: 16, valueSize: 64, maxEntries: 0 },
  percpu_cgroup_storage: { type: 21, keySize: 16, valueSize: 64, maxEntries: 0 },
  map_sockmap: { type: 15, keySize: 4, valueSize: 4, maxEntries: 1 },
  map_sockhash: { type: 18, keySize: 4, valueSize: 4, maxEntries: 1 },
  map_xskmap: { type: 17, keySize: 4, valueSize: 4, maxEntries: 1 },
  map_stacktrace: { type: 7, keySize: 4, valueSize: 8, maxEntries: 1 },
  map_event_output: { type: 4, keySize: 4, valueSize: 4, maxEntries: 1 },
  map_reuseport_array: { type: 20, keySize: 4, valueSize: 8, maxEntries: 1 },
  map_ringbuf: { type: 27, keySize: 0, valueSize: 0, maxEntries: 4096 },
  map_spin_lock: { type: 2, keySize: 4, valueSize: 8, maxEntries: 1, spinLockOff: 4 },
  map_timer: { type: 2, keySize: 4, valueSize: 16, maxEntries: 1, timerOff: 0 },
  map_kptr: { type: 2, keySize: 4, valueSize: 24, maxEntries: 1, kptrOffs: [0, 8, 16] },
  sk_storage_map: { type: 24, keySize: 4, valueSize: 8, maxEntries: 0, flags: F_NO_PREALLOC, spinLockOff: 4 },
};

/** Bytes of a record's program with its fixups applied, and the fd → map table. */
export function prepareRecord(rec: CorpusRecord): { bytes: Uint8Array; maps: Record<number, VerifierMapSpec> } {
  const bytes = new Uint8Array(rec.insns.length * 8);
  rec.insns.forEach((h, i) => bytes.set(Buffer.from(h, 'hex'), i * 8));
  const dv = new DataView(bytes.buffer);
  const maps: Record<number, VerifierMapSpec> = {};
  let fd = 3;
  for (const [kind, idxs] of Object.entries(rec.fixups)) {
    const spec = FIXUP_MAPS[kind];
    if (!spec) continue;
    const myFd = fd++;
    maps[myFd] = spec;
    for (const idx of idxs) if (typeof idx === 'number' && idx * 8 + 8 <= bytes.length) dv.setInt32(idx * 8 + 4, myFd, true);
  }
  return { bytes, maps };
}

/** One test where model and kernel disagree. */
export interface Disagreement {
  /** Record id. */
  id: string;
  /** Program type name. */
  type: string;
  /** What disagrees. */
  kind: 'verdict' | 'message' | 'processed';
  /** The kernel's verdict / first error / processed count. */
  kernel: string | number;
  /** The model's. */
  model: string | number;
}

/** Agreement figures over a corpus. */
export interface CorpusSummary {
  /** Records in the file. */
  records: number;
  /** Records with a kernel verdict (not skipped). */
  labelled: number;
  /** Verdict agreement, all labelled records. */
  verdict: { agree: number; total: number };
  /** Verdict agreement, v1 program types. */
  verdictV1: { agree: number; total: number };
  /** Verdict agreement, other program types. */
  verdictOther: { agree: number; total: number };
  /** On kernel rejects of v1 types: the model's last log line before `processed` equals the kernel's (the README's first_error). */
  firstErrorV1: { agree: number; total: number };
  /** On all kernel rejects. */
  firstError: { agree: number; total: number };
  /** Processed-instruction count agreement on v1 types where the verdicts agree. */
  processedV1: { agree: number; total: number };
  /** Records where the model said "not modelled". */
  notModelled: number;
  /** Every disagreement. */
  disagreements: Disagreement[];
}

/** Reads the records of a JSONL file (gzip when the name ends in .gz). */
export function readCorpus(file: string): CorpusRecord[] {
  let buf = readFileSync(file);
  if (file.endsWith('.gz')) buf = gunzipSync(buf);
  return buf.toString('utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as CorpusRecord);
}

/** Runs the model over every labelled record and compares with the labels. */
export function runCorpus(records: readonly CorpusRecord[], filter?: (r: CorpusRecord) => boolean): CorpusSummary {
  const sum: CorpusSummary = {
    records: records.length, labelled: 0,
    verdict: { agree: 0, total: 0 }, verdictV1: { agree: 0, total: 0 }, verdictOther: { agree: 0, total: 0 },
    firstErrorV1: { agree: 0, total: 0 }, firstError: { agree: 0, total: 0 }, processedV1: { agree: 0, total: 0 },
    notModelled: 0, disagreements: [],
  };
  for (const rec of records) {
    if (rec.kernel.verdict === 'skipped' || (filter && !filter(rec))) continue;
    sum.labelled++;
    const { bytes, maps } = prepareRecord(rec);
    const res = verify(bytes, {
      type: rec.prog_type, expectedAttachType: rec.expected_attach_type ?? 0, maps,
      progFlags: rec.extra?.prog_flags ?? 0, logLevel: 0, nrCpus: 2,
      funcInfo: rec.extra?.func_info?.map((f) => f[0]),
    });
    const v1 = V1_TYPES.has(rec.prog_type_name);
    const kAccept = rec.kernel.verdict === 'accept';
    const agree = res.ok === kAccept;
    if (res.error?.message.startsWith('not modelled')) sum.notModelled++;
    for (const bucket of [sum.verdict, v1 ? sum.verdictV1 : sum.verdictOther]) {
      bucket.total++;
      if (agree) bucket.agree++;
    }
    if (!agree) {
      sum.disagreements.push({ id: rec.id, type: rec.prog_type_name, kind: 'verdict', kernel: rec.kernel.verdict,
        model: res.ok ? 'accept' : `reject: ${res.error?.message ?? ''}` });
    }
    if (!kAccept) {
      // The README's first_error: the last non-empty log line before the `processed` line.
      const lines = res.log.filter((l) => l.trim() !== '' && !l.startsWith('processed '));
      const modelFirst = res.ok ? '' : lines[lines.length - 1] ?? res.error?.message ?? '';
      const same = !res.ok && modelFirst === rec.kernel.first_error;
      for (const bucket of v1 ? [sum.firstError, sum.firstErrorV1] : [sum.firstError]) {
        bucket.total++;
        if (same) bucket.agree++;
      }
      if (agree && !same) {
        sum.disagreements.push({ id: rec.id, type: rec.prog_type_name, kind: 'message',
          kernel: rec.kernel.first_error ?? '', model: modelFirst });
      }
    }
    if (v1 && agree && rec.kernel.processed !== undefined) {
      sum.processedV1.total++;
      if (res.processed === rec.kernel.processed) sum.processedV1.agree++;
      else sum.disagreements.push({ id: rec.id, type: rec.prog_type_name, kind: 'processed', kernel: rec.kernel.processed, model: res.processed });
    }
  }
  return sum;
}

/** Formats a ratio as `agree/total (pct%)`. */
export function ratio(r: { agree: number; total: number }): string {
  const pct = r.total === 0 ? 100 : (100 * r.agree) / r.total;
  return `${r.agree}/${r.total} (${pct.toFixed(1)}%)`;
}
