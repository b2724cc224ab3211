/**
 * The maps `loadProgram` takes: objects that own a map fd (used as they are), or specs that are
 * created for the program and closed with it.
 * @module
 */
import { BadInputError } from '../errors.js';
import { mapTypeNumber } from '../asm/map-types.js';
import { putCString } from './attr.js';
import { syscallError } from './errno.js';
import { Fd } from './fd.js';
import { BpfCmd, bpfTry } from './syscall.js';

/** Something that owns a map fd: a `BpfMap`, or anything with `fd` and `close()`. */
export interface MapObject {
  /** The map fd. */
  readonly fd: number;
  /** Closes the fd. */
  close(): void;
}

/** The fields of a map spec that creating the map needs (a `MapSpec` has them). */
export interface MapSpecLike {
  /** Map type: `enum bpf_map_type` number or name (`array`, `hash`, ...). */
  readonly type: number | string;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** Maximum number of entries. */
  readonly maxEntries: number;
  /** `BPF_F_*` map flags. */
  readonly flags?: number;
  /** The map's name in the kernel (at most 15 bytes are kept); defaults to the name the program uses. */
  readonly name?: string;
}

/** Whether a `maps` entry is an fd-owning object rather than a spec. */
export function isMapObject(m: MapObject | MapSpecLike): m is MapObject {
  return typeof (m as MapObject).fd === 'number' && typeof (m as MapObject).close === 'function';
}

/** A map created for a program from a spec. */
class ProgramOwnedMap implements MapObject {
  readonly #fd: Fd;
  constructor(fd: Fd) { this.#fd = fd; }
  get fd(): number { return this.#fd.fd; }
  close(): void { this.#fd.close(); }
}

/** Creates a map from a spec with BPF_MAP_CREATE; the program that asked owns it. */
export function createMapForProgram(name: string, spec: MapSpecLike): MapObject {
  const type = typeof spec.type === 'number' ? spec.type : mapTypeNumber(spec.type);
  if (type === undefined) throw new BadInputError(`map "${name}": unknown map type "${spec.type}"`);
  const attr = new Uint8Array(72);
  const dv = new DataView(attr.buffer);
  dv.setUint32(0, type, true);
  dv.setUint32(4, spec.keySize, true);
  dv.setUint32(8, spec.valueSize, true);
  dv.setUint32(12, spec.maxEntries, true);
  dv.setUint32(16, spec.flags ?? 0, true);
  putCString(attr, 28, (spec.name ?? name).replace(/[^A-Za-z0-9_.]/g, '_'), 16);
  const fd = bpfTry(BpfCmd.BPF_MAP_CREATE, attr);
  if (fd < 0) throw syscallError('BPF_MAP_CREATE', -fd);
  return new ProgramOwnedMap(new Fd(fd));
}
