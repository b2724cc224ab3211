import { describe, it, expect } from 'vitest';
import { resolveMapSpec, MapFlags } from '../../src/maps/spec.js';
import type { MapSpec } from '../../src/maps/spec.js';
import { bytes, lpmKey, struct, u32, u64 } from '../../src/maps/codec.js';
import { isBadInputError } from '../../src/errors.js';

function bad(spec: unknown, msg: RegExp): void {
  let err: unknown;
  try {
    resolveMapSpec(spec as MapSpec, 2);
  } catch (e) {
    err = e;
  }
  expect(isBadInputError(err), String(err)).toBe(true);
  expect(String((err as Error).message)).toMatch(msg);
}

describe('resolveMapSpec', () => {
  it('takes the type by name, upper-case name, C name or number', () => {
    for (const type of ['hash', 'HASH', 'BPF_MAP_TYPE_HASH', 1]) {
      expect(resolveMapSpec({ type, keySize: 4, valueSize: 8, maxEntries: 1 }).type).toBe(1);
    }
    expect(resolveMapSpec({ type: 6, valueSize: 8, maxEntries: 1 }).typeName).toBe('percpu_array');
  });

  it('takes sizes from codecs and checks them against explicit sizes', () => {
    const s = resolveMapSpec({ type: 'hash', key: u32, value: struct({ a: u32, b: u64 }), maxEntries: 10 });
    expect([s.keySize, s.valueSize, s.maxEntries, s.flags]).toEqual([4, 16, 10, 0]);
    bad({ type: 'hash', key: u32, keySize: 8, valueSize: 4, maxEntries: 1 }, /key codec is 4 bytes but keySize says 8/);
  });

  it('applies per-type defaults', () => {
    expect(resolveMapSpec({ type: 'array', value: u64, maxEntries: 4 }).keySize).toBe(4);
    const rb = resolveMapSpec({ type: 'ringbuf', maxEntries: 4096 });
    expect([rb.keySize, rb.valueSize]).toEqual([0, 0]);
    expect(resolveMapSpec({ type: 'perf_event_array' }, 6).maxEntries).toBe(6);
    expect(resolveMapSpec({ type: 'lpm_trie', key: lpmKey(bytes(4)), value: u32, maxEntries: 8 }).flags)
      .toBe(MapFlags.NO_PREALLOC);
    expect(resolveMapSpec({ type: 'arena', maxEntries: 1 }).flags).toBe(MapFlags.MMAPABLE);
    expect(resolveMapSpec({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1, numaNode: 0 }).flags)
      .toBe(MapFlags.NUMA_NODE);
  });

  it('resolves inner specs of maps of maps and requires them', () => {
    const s = resolveMapSpec({ type: 'array_of_maps', maxEntries: 2, inner: { type: 'array', value: u32, maxEntries: 1 } });
    expect(s.inner?.typeName).toBe('array');
    expect([s.keySize, s.valueSize]).toEqual([4, 4]);
    bad({ type: 'hash_of_maps', keySize: 4, maxEntries: 2 }, /needs an inner map spec/);
    bad({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 2, inner: { type: 'array', valueSize: 4, maxEntries: 1 } },
      /only array_of_maps and hash_of_maps/);
  });

  it('rejects bad specs with BadInputError naming the field', () => {
    bad({ type: 'nosuch', keySize: 4, valueSize: 4, maxEntries: 1 }, /type: unknown map type/);
    bad({ type: 'hash', keySize: 4, valueSize: 4 }, /needs maxEntries/);
    bad({ type: 'hash', valueSize: 4, maxEntries: 1 }, /needs a key codec or keySize/);
    bad({ type: 'hash', keySize: -1, valueSize: 4, maxEntries: 1 }, /keySize/);
    bad({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1, name: 'bad name!' }, /name/);
    bad({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1, name: 'a'.repeat(16) }, /name/);
    bad({ type: 'hash', key: { size: 4 }, valueSize: 4, maxEntries: 1 }, /key: expected a codec/);
    bad({ type: 'hash', keySize: 4, valueSize: 4, maxEntries: 1, bogus: 1 }, /bogus|unrecognized/i);
    bad({ type: 'lpm_trie', keySize: 4, valueSize: 4, maxEntries: 1 }, /lpm_trie key/);
  });
});
