/**
 * The maps `loadProgram` takes: objects that own a map fd (a `BpfMap`, used as it is and left
 * open), or `MapSpec`s, created with `createMap` for the program and closed with it.
 * @module
 */
import { createMap } from '../maps/create.js';
import type { MapSpec } from '../maps/spec.js';

/** Something that owns a map fd: a `BpfMap`, or anything with `fd` and `close()`. */
export interface MapObject {
  /** The map fd. */
  readonly fd: number;
  /** Closes the fd. */
  close(): void;
}

/** Whether a `maps` entry is an fd-owning object rather than a spec. */
export function isMapObject(m: MapObject | MapSpec): m is MapObject {
  return typeof (m as MapObject).fd === 'number' && typeof (m as MapObject).close === 'function';
}

/** The kernel name a map created for a program gets by default: the name the program uses for it, cut to 15 bytes of `[A-Za-z0-9_.]`. */
export function defaultMapName(usedAs: string): string {
  return usedAs.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
}

/**
 * Creates the map of a spec for a program; the program owns it. The map's kernel name defaults to
 * {@link defaultMapName}.
 */
export function createMapForProgram(name: string, spec: MapSpec): MapObject {
  return createMap({ ...spec, name: spec.name ?? defaultMapName(name) });
}
