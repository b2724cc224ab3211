/**
 * The by-name index of a BTF blob, kept as bytes: a chained hash table in two typed arrays, keyed by
 * a hash of each type's name as it sits in the string section. Building it decodes no string and
 * allocates no per-type object, so the first lookup in the 5 MB vmlinux BTF costs a few
 * milliseconds where a `Map<string, number[]>` of decoded names cost several hundred.
 * Internal to src/btf.
 * @module
 */

/** FNV-1a (32-bit) of the bytes from `start` up to the first NUL or `end`. */
function fnv1a(bytes: Uint8Array, start: number, end: number): number {
  let h = 0x811c9dc5;
  for (let p = start; p < end && bytes[p] !== 0; p++) h = Math.imul(h ^ bytes[p]!, 0x01000193);
  return h >>> 0;
}

/** Type ids by name, compared as bytes. */
export class NameIndex {
  /** First id of each bucket's chain (0: empty). */
  private readonly heads: Int32Array;
  /** Next id in the same bucket's chain, by id (0: end). Chains run in ascending id order. */
  private readonly next: Int32Array;
  private readonly mask: number;
  private readonly encoder = new TextEncoder();

  /**
   * @param bytes - the whole blob.
   * @param nameAt - byte position in `bytes` of each type's NUL-terminated name by id, or -1 for anonymous types.
   * @param stringsEnd - end of the string section in `bytes` (a name never runs past it).
   */
  constructor(private readonly bytes: Uint8Array, private readonly nameAt: Int32Array, private readonly stringsEnd: number) {
    let size = 1024;
    while (size < nameAt.length * 2) size *= 2;
    this.mask = size - 1;
    this.heads = new Int32Array(size);
    this.next = new Int32Array(nameAt.length);
    // Walk down so that pushing on the chain's head leaves it in ascending order.
    for (let id = nameAt.length - 1; id >= 1; id--) {
      const start = nameAt[id]!;
      if (start < 0) continue;
      const bucket = fnv1a(bytes, start, stringsEnd) & this.mask;
      this.next[id] = this.heads[bucket]!;
      this.heads[bucket] = id;
    }
  }

  /** Ids of every type named `name`, ascending. */
  lookup(name: string): number[] {
    const want = this.encoder.encode(name);
    const ids: number[] = [];
    if (want.length === 0 || want.includes(0)) return ids;
    for (let id = this.heads[fnv1a(want, 0, want.length) & this.mask]!; id !== 0; id = this.next[id]!) {
      if (this.nameIs(this.nameAt[id]!, want)) ids.push(id);
    }
    return ids;
  }

  private nameIs(start: number, want: Uint8Array): boolean {
    const end = start + want.length;
    if (end > this.stringsEnd) return false;
    for (let i = 0; i < want.length; i++) if (this.bytes[start + i] !== want[i]) return false;
    return end === this.stringsEnd || this.bytes[end] === 0;
  }
}
