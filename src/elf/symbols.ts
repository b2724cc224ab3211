/**
 * A small ELF64 reader: just enough to find function symbols and turn their addresses into the
 * file offsets that uprobes attach at. Pure TypeScript, no I/O beyond the caller's bytes.
 * @module
 */
import { BadInputError } from '../errors.js';

/** One symbol from `.symtab` or `.dynsym`. */
export interface ElfSymbol {
  /** Symbol name, without any version suffix. */
  readonly name: string;
  /** Virtual address (st_value). */
  readonly address: bigint;
  /** Size in bytes (st_size). */
  readonly size: bigint;
  /** STT_* type: 0 notype, 1 object, 2 func, 10 gnu_ifunc, ... */
  readonly type: number;
  /** STB_* binding: 0 local, 1 global, 2 weak. */
  readonly bind: number;
  /** Section index (0: undefined, i.e. imported). */
  readonly section: number;
}

/** A PT_LOAD segment: maps file offsets to virtual addresses. */
export interface ElfSegment {
  /** File offset (p_offset). */
  readonly offset: bigint;
  /** Virtual address (p_vaddr). */
  readonly vaddr: bigint;
  /** Size in the file (p_filesz). */
  readonly fileSize: bigint;
  /** Size in memory (p_memsz). */
  readonly memSize: bigint;
  /** Segment flags (PF_X = 1, PF_W = 2, PF_R = 4). */
  readonly flags: number;
}

/** What {@link readElf} finds in an ELF file. */
export interface ElfFile {
  /** e_type: 2 executable, 3 shared object or PIE. */
  readonly type: number;
  /** e_machine: 62 x86-64, 183 aarch64, 247 BPF. */
  readonly machine: number;
  /** Defined symbols of `.symtab` and `.dynsym` (symtab first; duplicates kept). */
  readonly symbols: readonly ElfSymbol[];
  /** PT_LOAD segments. */
  readonly segments: readonly ElfSegment[];
}

const SHT_SYMTAB = 2;
const SHT_DYNSYM = 11;
const PT_LOAD = 1;

/** Reads the symbols and load segments of a little-endian ELF64 file. */
export function readElf(bytes: Uint8Array): ElfFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 64 || view.getUint32(0, false) !== 0x7f454c46) {
    throw new BadInputError('not an ELF file (bad magic)');
  }
  if (bytes[4] !== 2) throw new BadInputError('only 64-bit ELF files are supported');
  if (bytes[5] !== 1) throw new BadInputError('only little-endian ELF files are supported');
  const type = view.getUint16(16, true);
  const machine = view.getUint16(18, true);
  const phoff = Number(view.getBigUint64(32, true));
  const shoff = Number(view.getBigUint64(40, true));
  const phentsize = view.getUint16(54, true);
  const phnum = view.getUint16(56, true);
  const shentsize = view.getUint16(58, true);
  const shnum = view.getUint16(60, true);
  const inFile = (off: number, len: number) => off >= 0 && off + len <= bytes.length;

  const segments: ElfSegment[] = [];
  for (let i = 0; i < phnum; i++) {
    const p = phoff + i * phentsize;
    if (!inFile(p, 56)) throw new BadInputError(`program header ${i} lies outside the file`);
    if (view.getUint32(p, true) !== PT_LOAD) continue;
    segments.push({
      flags: view.getUint32(p + 4, true),
      offset: view.getBigUint64(p + 8, true),
      vaddr: view.getBigUint64(p + 16, true),
      fileSize: view.getBigUint64(p + 32, true),
      memSize: view.getBigUint64(p + 40, true),
    });
  }

  interface Section { type: number; offset: number; size: number; link: number; entsize: number }
  const sections: Section[] = [];
  for (let i = 0; i < shnum; i++) {
    const s = shoff + i * shentsize;
    if (!inFile(s, 64)) throw new BadInputError(`section header ${i} lies outside the file`);
    sections.push({
      type: view.getUint32(s + 4, true),
      offset: Number(view.getBigUint64(s + 24, true)),
      size: Number(view.getBigUint64(s + 32, true)),
      link: view.getUint32(s + 40, true),
      entsize: Number(view.getBigUint64(s + 56, true)),
    });
  }

  const decoder = new TextDecoder();
  const symbols: ElfSymbol[] = [];
  for (const want of [SHT_SYMTAB, SHT_DYNSYM]) {
    for (const sec of sections) {
      if (sec.type !== want || sec.entsize < 24) continue;
      const strtab = sections[sec.link];
      if (!strtab || !inFile(sec.offset, sec.size) || !inFile(strtab.offset, strtab.size)) {
        throw new BadInputError('symbol table or its string table lies outside the file');
      }
      const count = Math.floor(sec.size / sec.entsize);
      for (let i = 1; i < count; i++) {
        const e = sec.offset + i * sec.entsize;
        const nameOff = view.getUint32(e, true);
        const info = bytes[e + 4]!;
        const shndx = view.getUint16(e + 6, true);
        if (shndx === 0 || nameOff === 0 || nameOff >= strtab.size) continue;
        let end = strtab.offset + nameOff;
        const limit = strtab.offset + strtab.size;
        while (end < limit && bytes[end] !== 0) end++;
        const name = decoder.decode(bytes.subarray(strtab.offset + nameOff, end));
        symbols.push({
          name: name.split('@')[0]!,
          address: view.getBigUint64(e + 8, true),
          size: view.getBigUint64(e + 16, true),
          type: info & 0xf,
          bind: info >> 4,
          section: shndx,
        });
      }
    }
  }
  return { type, machine, symbols, segments };
}

/**
 * The file offset of a virtual address, as uprobes want it: found through the PT_LOAD segment
 * that contains the address. Throws if no segment maps it.
 */
export function addressToFileOffset(elf: ElfFile, address: bigint): bigint {
  for (const seg of elf.segments) {
    if (address >= seg.vaddr && address < seg.vaddr + seg.memSize) {
      return address - seg.vaddr + seg.offset;
    }
  }
  throw new BadInputError(`address 0x${address.toString(16)} is in no loadable segment`);
}

/**
 * Finds a defined function symbol by name and returns its uprobe file offset. GNU ifuncs are
 * accepted (the probe then hits the resolver, as with other tools). Throws with near matches.
 */
export function symbolFileOffset(elf: ElfFile, name: string): bigint {
  const sym = elf.symbols.find((s) => s.name === name && (s.type === 2 || s.type === 10)) ??
    elf.symbols.find((s) => s.name === name);
  if (!sym) {
    const near = elf.symbols.filter((s) => s.name.includes(name)).slice(0, 5).map((s) => s.name);
    throw new BadInputError(`symbol ${name} not found${near.length ? ` (did you mean ${near.join(', ')}?)` : ''}`);
  }
  return addressToFileOffset(elf, sym.address);
}
