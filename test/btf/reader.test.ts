import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Btf, BtfKind } from '../../src/btf/reader.js';
import { VMLINUX_BTF_PATH, rawTracepointBtfId } from '../../src/btf/vmlinux.js';

const kindNames = Object.fromEntries(Object.entries(BtfKind).map(([k, v]) => [v, k]));

let bpftool: string | undefined;
try { execFileSync('bpftool', ['version']); bpftool = 'bpftool'; } catch { /* absent */ }
const haveVmlinux = existsSync(VMLINUX_BTF_PATH);
if (!haveVmlinux || !bpftool) {
  console.log(`btf tests: skipped (${!haveVmlinux ? `no ${VMLINUX_BTF_PATH}` : 'bpftool not installed'})`);
}

describe.skipIf(!haveVmlinux || !bpftool)('Btf against bpftool on the kernel BTF', () => {
  const btf = new Btf(readFileSync(VMLINUX_BTF_PATH));
  const dump = execFileSync(bpftool!, ['btf', 'dump', 'file', VMLINUX_BTF_PATH], {
    encoding: 'utf8', maxBuffer: 512 << 20,
  });
  const lines = dump.split('\n').filter((l) => l.startsWith('['));

  it('walks every type: same count, kinds and names as bpftool', () => {
    expect(btf.count).toBe(lines.length);
    // Every 97th type: kind and name agree with bpftool's line.
    for (let i = 0; i < lines.length; i += 97) {
      const m = /^\[(\d+)\] (\w+) '([^']*)'/.exec(lines[i]!)!;
      const t = btf.type(Number(m[1]));
      expect(kindNames[t.kind]).toBe(m[2]);
      expect(t.name === '' ? '(anon)' : t.name).toBe(m[3]);
    }
  });

  it('finds the typedef a tp_btf program attaches to', () => {
    const m = /^\[(\d+)\] TYPEDEF 'btf_trace_sched_switch'/m.exec(dump)!;
    expect(rawTracepointBtfId('sched_switch')).toBe(Number(m[1]));
    expect(() => rawTracepointBtfId('no_such_event_xyz')).toThrow(/no typedef btf_trace_no_such_event_xyz/);
  });
});

describe('Btf on bad input', () => {
  it('rejects a blob with bad magic or out-of-range sections', () => {
    expect(() => new Btf(new Uint8Array(32))).toThrow(/bad magic/);
    const b = new Uint8Array(24);
    const v = new DataView(b.buffer);
    v.setUint16(0, 0xeb9f, true);
    v.setUint32(4, 24, true);
    v.setUint32(12, 100, true); // type_len past the end
    expect(() => new Btf(b)).toThrow(/past the end/);
  });

  it('reads a hand-built blob: one INT and one TYPEDEF', () => {
    const strings = new TextEncoder().encode('\0int\0myint\0');
    const types = new Uint8Array(16 + 12);
    const tv = new DataView(types.buffer);
    tv.setUint32(0, 1, true); tv.setUint32(4, BtfKind.INT << 24, true); tv.setUint32(8, 4, true);
    tv.setUint32(12, 32, true);
    tv.setUint32(16, 5, true); tv.setUint32(20, BtfKind.TYPEDEF << 24, true); tv.setUint32(24, 1, true);
    const blob = new Uint8Array(24 + types.length + strings.length);
    const v = new DataView(blob.buffer);
    v.setUint16(0, 0xeb9f, true); blob[2] = 1; v.setUint32(4, 24, true);
    v.setUint32(8, 0, true); v.setUint32(12, types.length, true);
    v.setUint32(16, types.length, true); v.setUint32(20, strings.length, true);
    blob.set(types, 24); blob.set(strings, 24 + types.length);
    const btf = new Btf(blob);
    expect(btf.count).toBe(2);
    expect(btf.find('myint', BtfKind.TYPEDEF)).toBe(2);
    expect(btf.type(2).sizeOrType).toBe(1);
    expect(btf.find('int', BtfKind.TYPEDEF)).toBeUndefined();
    expect(() => btf.type(3)).toThrow(/no type id 3/);
  });
});
