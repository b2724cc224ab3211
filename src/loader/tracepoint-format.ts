/**
 * The record layout of a tracepoint, from its tracefs `format` file
 * (`events/<category>/<name>/format`): where a `tracepoint` program finds each field in the
 * context it is given. The layout differs between kernels and architectures, so a program reads
 * it at run time rather than hard-coding offsets.
 *
 * ```text
 * name: sys_enter_execve
 * ID: 862
 * format:
 * 	field:unsigned short common_type;	offset:0;	size:2;	signed:0;
 * 	...
 * 	field:const char * filename;	offset:16;	size:8;	signed:0;
 * ```
 * @module
 */
import { NotSupportedError } from '../errors.js';
import { readTracepointFile, splitTracepoint } from './perf-event.js';

/** One field of a tracepoint's record. */
export interface TracepointField {
  /** The field's name, e.g. `filename`. */
  readonly name: string;
  /**
   * Its C type as tracefs declares it, with array bounds moved after the type: `const char *`,
   * `char[16]`, `__data_loc char[]` (a u32 giving the offset (low 16 bits) and length (high 16 bits)
   * of data elsewhere in the record).
   */
  readonly type: string;
  /** Byte offset in the record. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
  /** Whether tracefs marks it signed. */
  readonly signed: boolean;
}

/** The layout of a tracepoint's record. */
export interface TracepointFormat {
  /** The event, `category/name`. */
  readonly event: string;
  /** Its perf event id (what perf_event_open takes as `config`). */
  readonly id: number;
  /** Every field, the `common_` ones first, in record order. */
  readonly fields: readonly TracepointField[];
}

const FIELD_LINE = /^\s*field:([^;]*);\s*offset:(\d+);\s*size:(\d+);\s*signed:(\d+);/;
/** A declaration: the type, the name, then array bounds, if any (`char comm[16]`). */
const DECLARATION = /^(.*?)\b([A-Za-z_][A-Za-z0-9_]*)\s*((?:\[[^\]]*\]\s*)*)$/;

/**
 * Parses the text of a tracefs `format` file. `event` names the event in messages. Throws
 * NotSupportedError when the text has no id or a field line it cannot read (a format this
 * parser does not know).
 */
export function parseTracepointFormat(event: string, text: string): TracepointFormat {
  const id = /^ID:\s*(\d+)\s*$/m.exec(text);
  if (!id) throw new NotSupportedError(`tracepoint ${event} format`, 'the format file has no "ID:" line');
  const fields: TracepointField[] = [];
  for (const line of text.split('\n')) {
    if (!/^\s*field:/.test(line)) continue;
    const m = FIELD_LINE.exec(line);
    const decl = m ? DECLARATION.exec(m[1]!.trim()) : null;
    if (!m || !decl) throw new NotSupportedError(`tracepoint ${event} format`, `cannot read the field line "${line.trim()}"`);
    fields.push({
      name: decl[2]!,
      type: `${decl[1]!.trim()}${decl[3]!.replace(/\s+/g, '')}`,
      offset: Number(m[2]),
      size: Number(m[3]),
      signed: m[4] !== '0',
    });
  }
  return { event, id: Number(id[1]), fields };
}

/**
 * The record layout of a tracepoint (`category/name`, e.g. `syscalls/sys_enter_execve`), read from
 * tracefs (mounted at /sys/kernel/tracing first if no tracefs is mounted; that needs root).
 * Throws BadInputError for a malformed name, NotSupportedError when the kernel has no such event.
 */
export function tracepointFormat(event: string): TracepointFormat {
  const [category, name] = splitTracepoint(event);
  return parseTracepointFormat(`${category}/${name}`, readTracepointFile(category, name, 'format'));
}

/**
 * The byte offset of a field in a tracepoint's record: where a `tracepoint` program loads it from
 * its context (`tracepointFieldOffset('syscalls/sys_enter_execve', 'filename')` is 16 on x86-64).
 * Throws NotSupportedError naming the event, the field and the fields it has when there is no such field.
 */
export function tracepointFieldOffset(event: string, field: string): number {
  const format = tracepointFormat(event);
  const found = format.fields.find((f) => f.name === field);
  if (!found) {
    throw new NotSupportedError(`tracepoint ${format.event} field ${field}`,
      `${format.event} has no field ${field}; its fields: ${format.fields.map((f) => f.name).join(', ')}`);
  }
  return found.offset;
}
