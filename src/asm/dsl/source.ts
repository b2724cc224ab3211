/**
 * Source tracking: every instruction the DSL builds remembers the line of the user's TypeScript
 * that created it, so an error (ours, the model's or the kernel's) can point at that line.
 *
 * How: V8's structured call sites (`Error.prepareStackTrace` with a small `Error.stackTraceLimit`),
 * skipping frames inside ts-ebpf's own `src/` (or `dist/src/`). When a source-map aware
 * `prepareStackTrace` is installed (tsx, vitest) the raw position is of the transformed code, so
 * the chosen frame alone is passed through it once and the answer cached per raw position; with
 * none installed, Node's own source maps (`--enable-source-maps`) are asked, else the raw position
 * is the real one (plain JavaScript).
 * @module
 */
import { findSourceMap } from 'node:module';
import type { SourceMap } from 'node:module';
import { fileURLToPath } from 'node:url';
import type { SourceLocation } from '../../errors.js';

/** `.../src/` (or `.../dist/src/`): frames under it are ts-ebpf's own, never the user's line. */
const LIB_URL = new URL('../../', import.meta.url).href;
const LIB_PATH = fileURLToPath(LIB_URL);

/** Frames to collect: builder, macro and helper frames sit above the user's; 12 leaves slack. */
const STACK_LIMIT = 12;

let enabled = true;

/** Turns source tracking on or off for everything built afterwards (it is on by default). */
export function setSourceTracking(on: boolean): void {
  enabled = on;
}

/** Whether builders currently record source locations. */
export function isSourceTracking(): boolean {
  return enabled;
}

/**
 * Runs `build` with source tracking set to `on`, then restores the previous setting; for turning it
 * off for one program (or on for one program while it is globally off).
 */
export function withSourceTracking<T>(on: boolean, build: () => T): T {
  const before = enabled;
  enabled = on;
  try {
    return build();
  } finally {
    enabled = before;
  }
}

// Set while a macro builds its instructions: they all get the macro call's location, captured once.
let pinned = false;
let pinnedAt: SourceLocation | undefined;

/**
 * Runs `build` with every builder inside it taking `at` as its source location instead of
 * capturing one: a macro captures the user's line once for all the instructions it emits.
 */
export function atSource<T>(at: SourceLocation | undefined, build: () => T): T {
  const was = pinned;
  const wasAt = pinnedAt;
  pinned = true;
  pinnedAt = at;
  try {
    return build();
  } finally {
    pinned = was;
    pinnedAt = wasAt;
  }
}

const isLib = (file: string): boolean => file.startsWith(LIB_PATH) || file.startsWith(LIB_URL);

// Raw position → mapped location, per file; the number key avoids building a string per call.
const cache = new Map<string, Map<number, SourceLocation>>();
const nodeMaps = new Map<string, SourceMap | null>();

let sites: NodeJS.CallSite[] = [];
const collect = (_e: Error, s: NodeJS.CallSite[]): string => {
  sites = s;
  return '';
};

const toPath = (file: string): string => (file.startsWith('file://') ? fileURLToPath(file) : file);

function mapWith(prepare: NonNullable<typeof Error.prepareStackTrace>, site: NodeJS.CallSite,
  file: string, line: number, column: number): SourceLocation {
  try {
    const text = String(prepare(new Error(''), [site]));
    const last = text.slice(text.lastIndexOf('\n') + 1);
    const m = /\(?([^()\s][^()]*?):(\d+):(\d+)\)?\s*$/.exec(last.replace(/^\s*at\s+/, ''));
    if (m) return { file: toPath(m[1]!), line: Number(m[2]), column: Number(m[3]) };
  } catch {
    // A foreign prepareStackTrace that cannot take a lone site: fall back to the raw position.
  }
  return { file: toPath(file), line, column };
}

function mapWithNode(file: string, line: number, column: number): SourceLocation {
  let sm = nodeMaps.get(file);
  if (sm === undefined) {
    try {
      sm = findSourceMap(file) ?? null;
    } catch {
      sm = null;
    }
    nodeMaps.set(file, sm);
  }
  if (sm) {
    const e = sm.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number };
    if (e.originalSource !== undefined && e.originalLine !== undefined && e.originalColumn !== undefined) {
      return { file: toPath(e.originalSource), line: e.originalLine + 1, column: e.originalColumn + 1 };
    }
  }
  return { file: toPath(file), line, column };
}

/**
 * The user's source location of the current call: the first stack frame outside ts-ebpf.
 * `undefined` when tracking is off or no such frame is found.
 */
export function captureSource(): SourceLocation | undefined {
  if (!enabled) return undefined;
  if (pinned) return pinnedAt;
  const prepare = Error.prepareStackTrace;
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = STACK_LIMIT;
  Error.prepareStackTrace = collect;
  const holder: { stack?: string } = {};
  try {
    Error.captureStackTrace(holder);
    void holder.stack; // formatting is lazy: reading it runs `collect`
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = limit;
  }
  const got = sites;
  sites = [];
  for (const site of got) {
    const file = site.getFileName();
    if (file === undefined || file === null || isLib(file) || file.startsWith('node:')) continue;
    const line = site.getLineNumber() ?? 0;
    const column = site.getColumnNumber() ?? 0;
    let perFile = cache.get(file);
    if (perFile === undefined) cache.set(file, perFile = new Map());
    const key = line * 0x1_0000_0000 + column;
    let loc = perFile.get(key);
    if (loc === undefined) {
      loc = prepare ? mapWith(prepare, site, file, line, column) : mapWithNode(file, line, column);
      perFile.set(key, loc);
    }
    return loc;
  }
  return undefined;
}
