/**
 * A small BTF reader: walks the type section of a raw BTF blob (such as /sys/kernel/btf/vmlinux)
 * and finds type ids by name and kind. It keeps only offsets, so reading the 5 MB vmlinux BTF
 * costs one pass and no per-type objects until a type is asked for.
 * @module
 */
import { BadInputError } from '../errors.js';

/** BTF kinds (BTF_KIND_*), as numbered in include/uapi/linux/btf.h. */
export const BtfKind = {
  INT: 1, PTR: 2, ARRAY: 3, STRUCT: 4, UNION: 5, ENUM: 6, FWD: 7, TYPEDEF: 8, VOLATILE: 9,
  CONST: 10, RESTRICT: 11, FUNC: 12, FUNC_PROTO: 13, VAR: 14, DATASEC: 15, FLOAT: 16,
  DECL_TAG: 17, TYPE_TAG: 18, ENUM64: 19,
} as const;

/** One BTF type's common header, decoded on demand. */
export interface BtfType {
  /** Type id (1-based; 0 is void). */
  readonly id: number;
  /** BTF_KIND_* of the type. */
  readonly kind: number;
  /** Name, or '' for anonymous types. */
  readonly name: string;
  /** vlen: members, params, enumerators or variables that follow the header. */
  readonly vlen: number;
  /** The kind_flag bit. */
  readonly kindFlag: boolean;
  /** `size` for INT/STRUCT/UNION/ENUM/DATASEC/FLOAT, `type` for the others. */
  readonly sizeOrType: number;
}

const BTF_MAGIC = 0xeb9f;

/** Bytes that follow the 12-byte header of a type of this kind with this vlen. */
function extraBytes(kind: number, vlen: number, id: number): number {
  switch (kind) {
    case BtfKind.INT: case BtfKind.VAR: case BtfKind.DECL_TAG: return 4;
    case BtfKind.ARRAY: return 12;
    case BtfKind.STRUCT: case BtfKind.UNION: case BtfKind.DATASEC: case BtfKind.ENUM64: return 12 * vlen;
    case BtfKind.ENUM: case BtfKind.FUNC_PROTO: return 8 * vlen;
    case BtfKind.PTR: case BtfKind.FWD: case BtfKind.TYPEDEF: case BtfKind.VOLATILE: case BtfKind.CONST:
    case BtfKind.RESTRICT: case BtfKind.FUNC: case BtfKind.FLOAT: case BtfKind.TYPE_TAG: return 0;
    default: throw new BadInputError(`BTF type ${id} has unknown kind ${kind}`);
  }
}

/** A parsed BTF blob: type offsets and the string section. */
export class Btf {
  private readonly view: DataView;
  private readonly typeStart: number;
  private readonly strStart: number;
  private readonly strLen: number;
  /** Byte offset of each type's header, indexed by id (index 0 unused). */
  private readonly offsets: Uint32Array;
  private byName: Map<string, number[]> | undefined;
  private readonly decoder = new TextDecoder();

  /** Parses a raw BTF blob; throws BadInputError if it is malformed. */
  constructor(bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (bytes.length < 24 || this.view.getUint16(0, true) !== BTF_MAGIC) {
      throw new BadInputError('not a little-endian BTF blob (bad magic)');
    }
    const hdrLen = this.view.getUint32(4, true);
    const typeOff = this.view.getUint32(8, true);
    const typeLen = this.view.getUint32(12, true);
    const strOff = this.view.getUint32(16, true);
    this.strLen = this.view.getUint32(20, true);
    this.typeStart = hdrLen + typeOff;
    this.strStart = hdrLen + strOff;
    const typeEnd = this.typeStart + typeLen;
    if (typeEnd > bytes.length || this.strStart + this.strLen > bytes.length) {
      throw new BadInputError('BTF header points past the end of the blob');
    }
    const offsets: number[] = [0];
    for (let p = this.typeStart; p < typeEnd;) {
      if (p + 12 > typeEnd) throw new BadInputError(`BTF type ${offsets.length} is truncated`);
      offsets.push(p);
      const info = this.view.getUint32(p + 4, true);
      p += 12 + extraBytes((info >>> 24) & 0x1f, info & 0xffff, offsets.length - 1);
    }
    this.offsets = Uint32Array.from(offsets);
  }

  /** Number of types, not counting void (so ids run from 1 to `count`). */
  get count(): number {
    return this.offsets.length - 1;
  }

  /** The string at an offset of the string section. */
  string(offset: number): string {
    const start = this.strStart + offset;
    const end = this.strStart + this.strLen;
    let p = start;
    while (p < end && this.view.getUint8(p) !== 0) p++;
    return this.decoder.decode(new Uint8Array(this.view.buffer, this.view.byteOffset + start, p - start));
  }

  /** The type with this id. */
  type(id: number): BtfType {
    if (!Number.isInteger(id) || id < 1 || id >= this.offsets.length) {
      throw new BadInputError(`BTF has no type id ${id}`);
    }
    const p = this.offsets[id]!;
    const info = this.view.getUint32(p + 4, true);
    return {
      id,
      kind: (info >>> 24) & 0x1f,
      name: this.string(this.view.getUint32(p, true)),
      vlen: info & 0xffff,
      kindFlag: (info >>> 31) === 1,
      sizeOrType: this.view.getUint32(p + 8, true),
    };
  }

  /** Ids of every type with this name and, if given, this kind. */
  findAll(name: string, kind?: number): number[] {
    if (!this.byName) {
      this.byName = new Map();
      for (let id = 1; id < this.offsets.length; id++) {
        const nameOff = this.view.getUint32(this.offsets[id]!, true);
        if (nameOff === 0) continue;
        const n = this.string(nameOff);
        const list = this.byName.get(n);
        if (list) list.push(id); else this.byName.set(n, [id]);
      }
    }
    const ids = this.byName.get(name) ?? [];
    return kind === undefined ? ids : ids.filter((id) => this.type(id).kind === kind);
  }

  /** The id of the one type with this name and kind, or undefined when there is none. */
  find(name: string, kind: number): number | undefined {
    return this.findAll(name, kind)[0];
  }
}
