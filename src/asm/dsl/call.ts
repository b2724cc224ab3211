/**
 * Calls and exit: helpers by name or id (`call('map_lookup_elem')`), BPF-to-BPF calls by label
 * (`callSub('fn')`), kernel functions by name (`kfunc('bpf_obj_new_impl')`, the BTF id found at
 * load), and `exit()`.
 * @module
 */
import type { SourceLocation } from '../../errors.js';
import { helperById, helperByName, helperNames } from '../helpers.js';
import type { Instruction } from '../instruction.js';
import { Class, JmpOp, PseudoCall } from '../opcode.js';
import { captureSource } from './source.js';
import { emit, fail, imm32, labelName, off16, show, target } from './operands.js';
import type { Target } from './operands.js';

/** Levenshtein distance, for suggesting helper names. */
function distance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length]!;
}

/** Up to five helper names close to `name` (by edit distance, or containing it). */
export function nearHelperNames(name: string): string[] {
  const bare = name.replace(/^(BPF_FUNC_|bpf_)/, '');
  return helperNames
    .map((h, id) => ({ h, id, d: h.includes(bare) || bare.includes(h) ? 0 : distance(bare, h) }))
    .filter((x) => x.id !== 0 && x.h !== '' && x.d <= Math.max(2, Math.floor(bare.length / 3)))
    .sort((a, b) => a.d - b.d || a.h.length - b.h.length)
    .slice(0, 5)
    .map((x) => x.h);
}

function helperId(name: unknown, source: SourceLocation | undefined): number {
  if (typeof name === 'number') {
    const id = imm32('call', 'helper id', name, false, source);
    if (id <= 0 || helperById(id) === undefined) {
      fail('call', `${id} is not a helper id of Linux 6.18 (1..${helperNames.length - 1})`, source);
    }
    return id;
  }
  if (typeof name !== 'string') return fail('call', `helper must be a name or an id, got ${show(name)}`, source);
  const h = helperByName(name);
  if (h === undefined || h.id === 0) {
    const near = nearHelperNames(name);
    fail('call', `unknown helper ${show(name)}${near.length ? `; did you mean ${near.map((n) => `'${n}'`).join(', ')}?` : ''}`, source);
  }
  return h.id;
}

/** `call helper`: a kernel helper by name (with or without `bpf_`) or `BPF_FUNC_*` id. Result in R0. */
export function call(helper: string | number): Instruction {
  const source = captureSource();
  return emit('call', { code: Class.JMP | JmpOp.CALL, dst: 0, src: PseudoCall.HELPER, off: 0, imm: helperId(helper, source) }, source);
}

/** `call fn`: a BPF-to-BPF call of the subprogram at label `fn` (or a raw offset in slots). */
export function callSub(fn: Target): Instruction {
  const source = captureSource();
  const t = target('callSub', fn, source);
  const code = Class.JMP | JmpOp.CALL;
  return typeof t === 'string'
    ? emit('callSub', { code, dst: 0, src: PseudoCall.CALL, off: 0, imm: 0, target: t }, source)
    : emit('callSub', { code, dst: 0, src: PseudoCall.CALL, off: 0, imm: imm32('callSub', 'offset', t, false, source) }, source);
}

/** Options of `asm.kfunc`. */
export interface KfuncOptions {
  /** Index in the load's `fd_array` of the module BTF that defines the function; 0 (default) is vmlinux. */
  readonly btfFdIndex?: number;
}

/**
 * `call name`: a kernel function (kfunc). The name is kept in `kfunc` and resolved to its BTF id
 * when the program is loaded; `imm` stays 0 until then.
 */
export function kfunc(name: string, opts: KfuncOptions = {}): Instruction {
  const source = captureSource();
  const n = labelName('kfunc', name, source);
  if (typeof opts !== 'object' || opts === null) fail('kfunc', `options must be an object, got ${show(opts)}`, source);
  const off = off16('kfunc', 'btfFdIndex', opts.btfFdIndex ?? 0, source);
  if (off < 0) fail('kfunc', `btfFdIndex must not be negative, got ${off}`, source);
  return emit('kfunc', { code: Class.JMP | JmpOp.CALL, dst: 0, src: PseudoCall.KFUNC, off, imm: 0, kfunc: n }, source);
}

/** `exit`: return R0 to the caller (or end the program). */
export function exit(): Instruction {
  const source = captureSource();
  return emit('exit', { code: Class.JMP | JmpOp.EXIT, dst: 0, src: 0, off: 0, imm: 0 }, source);
}
