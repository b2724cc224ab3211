import { describe, expect, it } from 'vitest';
import { Btf, BtfKind } from '../../src/btf/reader.js';
import { isBadInputError, isNotSupportedError } from '../../src/errors.js';
import { BtfBuilder } from './blob.js';

/** The thrown error, for checking its class and message together. */
function thrown(f: () => unknown): Error {
  try { f(); } catch (e) { return e as Error; }
  throw new Error('did not throw');
}

/**
 * struct node {                      // kind_flag set: bitfield sizes in the offset words
 *   struct node *next;               // @0
 *   union { unsigned id; struct { unsigned lo, hi; }; };   // @8
 *   const point_t pos;               // @16, point_t a typedef of struct point { int x, y; }
 *   unsigned a:3, b:5;               // bits 256 and 259
 * };
 * struct old { int c:3; int d:5; };  // kind_flag clear: bitfields in the int encoding
 * union u { int i; unsigned char c; };
 */
function sample() {
  const b = new BtfBuilder();
  const int = b.int('int', 4);
  const uint = b.int('unsigned int', 4);
  const u8 = b.int('unsigned char', 1);
  const point = b.struct('point', 8, [['x', int, 0], ['y', int, 32]]);
  const pointT = b.ref(BtfKind.TYPEDEF, 'point_t', point);
  const constPoint = b.ref(BtfKind.CONST, '', pointT);
  const nodePtr = b.ref(BtfKind.PTR, '', 10);
  const loHi = b.struct('', 8, [['lo', uint, 0], ['hi', uint, 32]]);
  const idUnion = b.struct('', 8, [['id', uint, 0], ['', loHi, 0]], { union: true });
  const node = b.struct('node', 40, [
    ['next', nodePtr, 0], ['', idUnion, 64], ['pos', constPoint, 128], ['a', uint, 256, 3], ['b', uint, 259, 5],
  ], { kindFlag: true });
  const int3 = b.int('int', 4, 3);
  const int5at2 = b.int('int', 4, 5, 2);
  const old = b.struct('old', 4, [['c', int3, 0], ['d', int5at2, 0]]);
  const union = b.struct('u', 4, [['i', int, 0], ['c', u8, 0]], { union: true });
  const dupTypedef = b.ref(BtfKind.TYPEDEF, 'node', node);
  return { btf: new Btf(b.build(), { source: 'sample.btf' }), int, uint, point, pointT, nodePtr, node, old, union, dupTypedef, int3, int5at2 };
}

describe('Btf members and member offsets on a hand-built blob', () => {
  const s = sample();
  const { btf } = s;

  it('finds types by name as bytes: every type of the name in id order, by kind, no prefix matches', () => {
    expect(s.node).toBe(10); // the pointer above was built to point here
    expect(btf.findAll('node')).toEqual([s.node, s.dupTypedef]);
    expect(btf.findAll('node', BtfKind.TYPEDEF)).toEqual([s.dupTypedef]);
    expect(btf.findAll('int')).toEqual([s.int, s.int3, s.int5at2]);
    expect(btf.findAll('poin')).toEqual([]);
    expect(btf.findAll('point_tx')).toEqual([]);
    expect(btf.findAll('')).toEqual([]);
    expect(btf.findAll('point\0')).toEqual([]);
    expect(btf.find('unsigned int', BtfKind.INT)).toBe(s.uint);
  });

  it('lists members, through typedefs and qualifiers, with both bitfield encodings', () => {
    expect(btf.members(s.pointT)).toEqual([
      { name: 'x', typeId: s.int, bitOffset: 0, bitfieldSize: 0 },
      { name: 'y', typeId: s.int, bitOffset: 32, bitfieldSize: 0 },
    ]);
    expect(btf.members(s.node).map((m) => [m.name, m.bitOffset, m.bitfieldSize])).toEqual([
      ['next', 0, 0], ['', 64, 0], ['pos', 128, 0], ['a', 256, 3], ['b', 259, 5],
    ]);
    expect(btf.members(s.old).map((m) => [m.name, m.bitOffset, m.bitfieldSize])).toEqual([['c', 0, 3], ['d', 2, 5]]);
    const e = thrown(() => btf.members(s.nodePtr));
    expect(isBadInputError(e) && e.message).toBe(`BTF type ${s.nodePtr} (a pointer) is not a struct or union in sample.btf`);
  });

  it('gives byte offsets of members, dotted paths and members of anonymous unions and structs', () => {
    expect(btf.memberOffset('node', 'next')).toBe(0);
    expect(btf.memberOffset('node', 'id')).toBe(8);
    expect(btf.memberOffset('node', 'hi')).toBe(12);
    expect(btf.memberOffset('node', 'pos')).toBe(16);
    expect(btf.memberOffset('node', 'pos.y')).toBe(20);
    expect(btf.memberOffset('u', 'c')).toBe(0); // no struct u: the union
  });

  it('says which struct and member when a path cannot be followed', () => {
    const missing = thrown(() => btf.memberOffset('node', 'pos.z'));
    expect(isNotSupportedError(missing)).toBe(true);
    expect(missing.message).toBe('member node.pos.z is not supported: node.pos (struct point) has no member z in sample.btf; its members: x, y');
    const top = thrown(() => btf.memberOffset('node', 'nope'));
    expect(top.message).toMatch(/struct node has no member nope in sample\.btf; its members: next, id, lo, hi, pos, a, b$/);
    expect(isNotSupportedError(thrown(() => btf.memberOffset('nothing', 'x')))).toBe(true);
    expect(thrown(() => btf.memberOffset('nothing', 'x')).message).toMatch(/no struct or union nothing in sample\.btf/);

    const pointer = thrown(() => btf.memberOffset('node', 'next.next'));
    expect(isBadInputError(pointer) && pointer.message).toMatch(/^node\.next is a pointer, not a struct or union: .*not pointers/);
    const bitfield = thrown(() => btf.memberOffset('node', 'b'));
    expect(isBadInputError(bitfield) && bitfield.message).toBe('node.b is a bitfield (5 bits at bit 259): it has no byte offset');
    expect(thrown(() => btf.memberOffset('old', 'd')).message).toMatch(/old\.d is a bitfield \(5 bits at bit 2\)/);
    for (const bad of ['', 'pos.', '.pos', 'pos..y', 'pos->y', '0x']) {
      expect(isBadInputError(thrown(() => btf.memberOffset('node', bad)))).toBe(true);
    }
  });
});
