/**
 * A small BTF reader: walks the type section of a raw BTF blob (such as /sys/kernel/btf/vmlinux),
 * finds type ids by name and kind, and lists and locates struct members. It keeps only offsets, so
 * reading the 5 MB vmlinux BTF costs one pass and no per-type objects until a type is asked for.
 * @module
 */
import { BadInputError, NotSupportedError } from '../errors.js';
import { NameIndex } from './name-index.js';

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

/** One member of a struct or union. */
export interface BtfMember {
  /** Name, or '' for an anonymous member (an embedded struct or union without a name). */
  readonly name: string;
  /** Type id of the member. */
  readonly typeId: number;
  /** Offset from the start of the struct or union, in bits. */
  readonly bitOffset: number;
  /** Width in bits when the member is a bitfield, else 0. */
  readonly bitfieldSize: number;
}

/** Options of {@link Btf}. */
export interface BtfOptions {
  /** Where the blob came from (a path), named in error messages. */
  readonly source?: string;
}

const BTF_MAGIC = 0xeb9f;
/** Kinds that only name or qualify another type (their `type` field says which). */
const QUALIFIERS: ReadonlySet<number> = new Set([
  BtfKind.TYPEDEF, BtfKind.CONST, BtfKind.VOLATILE, BtfKind.RESTRICT, BtfKind.TYPE_TAG,
]);
const KIND_NAMES: Readonly<Record<number, string>> = Object.fromEntries(
  Object.entries(BtfKind).map(([name, kind]) => [kind, name.toLowerCase()]));
/** At most this many member names in a "has no member" message. */
const LISTED_MEMBERS = 40;

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
  private readonly bytes: Uint8Array;
  private readonly view: DataView;
  private readonly typeStart: number;
  private readonly strStart: number;
  private readonly strLen: number;
  /** Byte offset of each type's header, indexed by id (index 0 unused). */
  private readonly offsets: Uint32Array;
  /** Built on the first lookup by name. */
  private index: NameIndex | undefined;
  private readonly decoder = new TextDecoder();
  /** ` in <source>` for messages, or ''. */
  private readonly where: string;

  /** Parses a raw BTF blob; throws BadInputError if it is malformed. */
  constructor(bytes: Uint8Array, options: BtfOptions = {}) {
    this.bytes = bytes;
    this.where = options.source ? ` in ${options.source}` : '';
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
    // Every type takes at least 12 bytes: size the table for that, and trim it after the walk.
    const offsets = new Uint32Array(Math.floor(typeLen / 12) + 1);
    let n = 1;
    for (let p = this.typeStart; p < typeEnd; n++) {
      if (p + 12 > typeEnd) throw new BadInputError(`BTF type ${n} is truncated`);
      offsets[n] = p;
      const info = this.view.getUint32(p + 4, true);
      p += 12 + extraBytes((info >>> 24) & 0x1f, info & 0xffff, n);
    }
    this.offsets = offsets.slice(0, n);
  }

  /** Number of types, not counting void (so ids run from 1 to `count`). */
  get count(): number {
    return this.offsets.length - 1;
  }

  /** The string at an offset of the string section. */
  string(offset: number): string {
    const start = this.strStart + offset;
    const end = this.strStart + this.strLen;
    if (start >= end) return '';
    const nul = this.bytes.indexOf(0, start);
    return this.decoder.decode(this.bytes.subarray(start, nul < 0 || nul > end ? end : nul));
  }

  /** The type with this id. */
  type(id: number): BtfType {
    const p = this.header(id);
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

  /** Ids of every type with this name and, if given, this kind, in ascending order. */
  findAll(name: string, kind?: number): number[] {
    this.index ??= this.buildIndex();
    const ids = this.index.lookup(name);
    return kind === undefined ? ids : ids.filter((id) => this.kindOf(id) === kind);
  }

  /** The id of the one type with this name and kind, or undefined when there is none. */
  find(name: string, kind: number): number | undefined {
    return this.findAll(name, kind)[0];
  }

  /**
   * The members of a struct or union, in declaration order. `typeId` may name it through typedefs
   * and const/volatile/restrict qualifiers. A bitfield has its own bit offset and a nonzero
   * `bitfieldSize`, whichever of BTF's two encodings the blob uses (kind_flag set: the size in the
   * member's offset word; not set: in the BTF_INT encoding of the member's int type).
   * Throws BadInputError when the type is not a struct or union.
   */
  members(typeId: number): BtfMember[] {
    const id = this.resolve(typeId);
    const kind = this.kindOf(id);
    if (kind !== BtfKind.STRUCT && kind !== BtfKind.UNION) {
      throw new BadInputError(`BTF type ${typeId} (${this.describe(typeId)}) is not a struct or union${this.where}`);
    }
    const p = this.header(id);
    const info = this.view.getUint32(p + 4, true);
    const kindFlag = (info >>> 31) === 1;
    const out: BtfMember[] = [];
    for (let i = 0, m = p + 12; i < (info & 0xffff); i++, m += 12) {
      const memberType = this.view.getUint32(m + 4, true);
      const word = this.view.getUint32(m + 8, true);
      let bitOffset = kindFlag ? word & 0xffffff : word;
      let bitfieldSize = kindFlag ? word >>> 24 : 0;
      if (!kindFlag) {
        // Without kind_flag a bitfield is an int whose encoding is narrower than its size, or shifted.
        const base = this.resolve(memberType);
        if (base !== 0 && this.kindOf(base) === BtfKind.INT) {
          const encoding = this.view.getUint32(this.header(base) + 12, true);
          const bits = encoding & 0xff;
          const shift = (encoding >>> 16) & 0xff;
          if (shift !== 0 || bits !== this.view.getUint32(this.header(base) + 8, true) * 8) {
            bitOffset += shift;
            bitfieldSize = bits;
          }
        }
      }
      out.push({ name: this.string(this.view.getUint32(m, true)), typeId: memberType, bitOffset, bitfieldSize });
    }
    return out;
  }

  /**
   * The byte offset of a member in the struct (or union) named `structName`. `path` is a member
   * name, or a dotted path (`se.vruntime`) through nested embedded structs and unions (not through
   * pointers: their target is elsewhere in memory). Anonymous members are searched through, as C
   * does: `sk_buff`'s `dev` is found inside its anonymous unions. With several types of the name,
   * the first struct is used (then the first union).
   *
   * Throws NotSupportedError when the BTF has no such struct or member (what differs between
   * kernels), BadInputError for a malformed path, a path through a non-struct member, or a bitfield
   * (it has no byte offset).
   */
  memberOffset(structName: string, path: string): number {
    const top = this.findAll(structName).filter((id) => this.kindOf(id) === BtfKind.STRUCT)[0] ??
      this.find(structName, BtfKind.UNION);
    if (top === undefined) throw new NotSupportedError(`struct ${structName}`, `no struct or union ${structName}${this.where}`);
    const parts = path.split('.');
    if (parts.some((part) => !/^[A-Za-z_][A-Za-z0-9_]*$/.test(part))) {
      throw new BadInputError(`member path "${path}" of struct ${structName}: expected member names joined by dots, e.g. se.vruntime`);
    }
    let typeId = top;
    let bits = 0;
    for (let i = 0; i < parts.length; i++) {
      const walked = [structName, ...parts.slice(0, i)].join('.');
      const composite = this.resolve(typeId);
      const kind = this.kindOf(composite);
      if (kind !== BtfKind.STRUCT && kind !== BtfKind.UNION) {
        throw new BadInputError(`${walked} is ${this.describe(typeId)}, not a struct or union: a member path walks ` +
          'embedded structs and unions only, not pointers');
      }
      const found = this.findMember(composite, parts[i]!);
      if (!found) {
        const what = i === 0 ? this.describe(composite) : `${walked} (${this.describe(composite)})`;
        throw new NotSupportedError(`member ${structName}.${path}`, `${what} has no member ${parts[i]}${this.where}; ` +
          `its members: ${this.memberNames(composite)}`);
      }
      if (found.member.bitfieldSize !== 0) {
        throw new BadInputError(`${structName}.${path} is a bitfield (${found.member.bitfieldSize} bits at bit ` +
          `${bits + found.bitOffset}): it has no byte offset`);
      }
      bits += found.bitOffset;
      typeId = found.member.typeId;
    }
    if (bits % 8 !== 0) throw new BadInputError(`${structName}.${path} starts at bit ${bits}, not on a byte`);
    return bits / 8;
  }

  /** The member named `name` of a struct or union, looking into anonymous members; its offset in bits. */
  private findMember(composite: number, name: string): { member: BtfMember; bitOffset: number } | undefined {
    for (const member of this.members(composite)) {
      if (member.name === name) return { member, bitOffset: member.bitOffset };
      if (member.name !== '') continue;
      const inner = this.resolve(member.typeId);
      const kind = this.kindOf(inner);
      if (kind !== BtfKind.STRUCT && kind !== BtfKind.UNION) continue;
      const found = this.findMember(inner, name);
      if (found) return { member: found.member, bitOffset: member.bitOffset + found.bitOffset };
    }
    return undefined;
  }

  /** Member names for a message (those of anonymous members included), at most LISTED_MEMBERS. */
  private memberNames(composite: number): string {
    const names: string[] = [];
    const collect = (id: number): void => {
      for (const m of this.members(id)) {
        if (m.name !== '') { names.push(m.name); continue; }
        const inner = this.resolve(m.typeId);
        if (this.kindOf(inner) === BtfKind.STRUCT || this.kindOf(inner) === BtfKind.UNION) collect(inner);
      }
    };
    collect(composite);
    const more = names.length - LISTED_MEMBERS;
    return names.slice(0, LISTED_MEMBERS).join(', ') + (more > 0 ? `, ... (${more} more)` : '');
  }

  /** The id behind typedefs and qualifiers (0 for void). */
  private resolve(id: number): number {
    for (let hops = 0; id !== 0 && QUALIFIERS.has(this.kindOf(id)); hops++) {
      if (hops > 64) throw new BadInputError(`BTF type ${id}: a loop of typedefs or qualifiers${this.where}`);
      id = this.view.getUint32(this.header(id) + 8, true);
    }
    return id;
  }

  /** `struct task_struct`, `a pointer`, `typedef pid_t`, `int`: a type for messages. */
  private describe(id: number): string {
    if (id === 0) return 'void';
    const t = this.type(id);
    if (t.kind === BtfKind.PTR) return 'a pointer';
    if (t.kind === BtfKind.ARRAY) return 'an array';
    if (t.kind === BtfKind.INT || t.kind === BtfKind.FLOAT) return t.name;
    const kind = KIND_NAMES[t.kind] ?? `kind ${t.kind}`;
    return t.name ? `${kind} ${t.name}` : `an anonymous ${kind}`;
  }

  private kindOf(id: number): number {
    return (this.view.getUint32(this.header(id) + 4, true) >>> 24) & 0x1f;
  }

  /** Byte offset of a type's header; throws for an id out of range. */
  private header(id: number): number {
    if (!Number.isInteger(id) || id < 1 || id >= this.offsets.length) {
      throw new BadInputError(`BTF has no type id ${id}${this.where}`);
    }
    return this.offsets[id]!;
  }

  private buildIndex(): NameIndex {
    const nameAt = new Int32Array(this.offsets.length).fill(-1);
    for (let id = 1; id < this.offsets.length; id++) {
      const nameOff = this.view.getUint32(this.offsets[id]!, true);
      if (nameOff !== 0 && nameOff < this.strLen) nameAt[id] = this.strStart + nameOff;
    }
    return new NameIndex(this.bytes, nameAt, this.strStart + this.strLen);
  }
}
