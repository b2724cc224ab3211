/**
 * Program and attach types given by name or number, checked: an unknown one is bad input.
 * @module
 */
import { BadInputError } from '../errors.js';
import { programTypeNumber } from '../asm/prog-types.js';
import { attachTypeNumber as attachNumber } from '../asm/attach-types.js';

/** The `enum bpf_prog_type` number of a program type given by number or name (`xdp`, `SCHED_CLS`). */
export function progTypeNumber(t: number | string): number {
  if (typeof t === 'number') {
    if (!Number.isInteger(t) || t < 0) throw new BadInputError(`program type must be a non-negative integer, got ${t}`);
    return t;
  }
  const n = programTypeNumber(t);
  if (n === undefined) throw new BadInputError(`unknown program type "${t}"`);
  return n;
}

/** The `enum bpf_attach_type` number of an attach type given by number or name (`xdp`, `cgroup_inet_egress`). */
export function attachTypeNumber(t: number | string): number {
  if (typeof t === 'number') {
    if (!Number.isInteger(t) || t < 0) throw new BadInputError(`attach type must be a non-negative integer, got ${t}`);
    return t;
  }
  const n = attachNumber(t);
  if (n === undefined) throw new BadInputError(`unknown attach type "${t}"`);
  return n;
}
