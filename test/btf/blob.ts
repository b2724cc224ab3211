/**
 * Builds small BTF blobs for tests, following include/uapi/linux/btf.h: a 24-byte header, the type
 * section (12-byte headers plus each kind's trailing data), the string section.
 * @module
 */
import { BtfKind } from '../../src/btf/reader.js';

/** A member for {@link BtfBuilder.struct}: name ('' for anonymous), type id, bit offset, bitfield size. */
export type MemberSpec = readonly [name: string, type: number, bitOffset: number, bitfieldSize?: number];

/** Appends types one by one; each method returns the new type's id. */
export class BtfBuilder {
  private readonly words: number[] = [];
  private strings = '\0';
  private next = 1;

  private name(s: string): number {
    if (s === '') return 0;
    const at = this.strings.indexOf(`\0${s}\0`);
    if (at >= 0) return at + 1;
    const off = this.strings.length;
    this.strings += `${s}\0`;
    return off;
  }

  private add(name: string, kind: number, vlen: number, sizeOrType: number, extra: number[], kindFlag = false): number {
    this.words.push(this.name(name), ((kindFlag ? 1 : 0) << 31 | kind << 24 | vlen) >>> 0, sizeOrType, ...extra);
    return this.next++;
  }

  /** An INT of `size` bytes; `bits`/`bitShift` give a bitfield encoding (BTF_INT_BITS/BTF_INT_OFFSET). */
  int(name: string, size: number, bits = size * 8, bitShift = 0): number {
    return this.add(name, BtfKind.INT, 0, size, [bitShift << 16 | bits]);
  }

  /** A STRUCT (or UNION with `union`); `kindFlag` puts bitfield sizes in the members' offset words. */
  struct(name: string, size: number, members: readonly MemberSpec[], opts: { union?: boolean; kindFlag?: boolean } = {}): number {
    const extra = members.flatMap(([n, type, bitOffset, bitfieldSize = 0]) =>
      [this.name(n), type, opts.kindFlag ? (bitfieldSize << 24 | bitOffset) >>> 0 : bitOffset]);
    return this.add(name, opts.union ? BtfKind.UNION : BtfKind.STRUCT, members.length, size, extra, opts.kindFlag);
  }

  /** A PTR, TYPEDEF, CONST or VOLATILE (any kind that is only a header pointing at another type). */
  ref(kind: number, name: string, type: number): number {
    return this.add(name, kind, 0, type, []);
  }

  /** The blob. */
  build(): Uint8Array {
    const strings = new TextEncoder().encode(this.strings);
    const typeLen = this.words.length * 4;
    const blob = new Uint8Array(24 + typeLen + strings.length);
    const v = new DataView(blob.buffer);
    v.setUint16(0, 0xeb9f, true); blob[2] = 1; v.setUint32(4, 24, true);
    v.setUint32(8, 0, true); v.setUint32(12, typeLen, true);
    v.setUint32(16, typeLen, true); v.setUint32(20, strings.length, true);
    this.words.forEach((w, i) => v.setUint32(24 + 4 * i, w, true));
    blob.set(strings, 24 + typeLen);
    return blob;
  }
}
