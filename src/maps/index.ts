/**
 * Maps: specs, codecs, and open kernel maps. This module only re-exports (a ready list for the
 * package face).
 * @module
 */
export * from './codec.js';
export { MapFlags, mapSpecSchema, resolveMapSpec, PERCPU_TYPES, FD_VALUE_TYPES } from './spec.js';
export type { MapSpec, ResolvedMapSpec } from './spec.js';
export { createMap, perCpu } from './create.js';
export type { PerCpuArrayMapType, PerCpuHashMapType, FdArrayMapType, FdHashMapType, IndexMapType } from './create.js';
export { BpfMap, mapInfoByFd, updateFlag } from './map.js';
export type { UpdateFlag } from './map.js';
export type { MapInfo } from './map-attr.js';
export { MappedArray, MappedRegion, mmapArray, mmapMap } from './mmap.js';
export { pinFd, openPinnedFd, unpin } from './pin.js';
export type { PinAccess } from './pin.js';
export { openPinnedMap, openMapById, mapFromFd } from './open.js';
export type { OpenMapOptions } from './open.js';
