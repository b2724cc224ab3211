/**
 * The loader: programs in the kernel, feature probes, links and attach points, readers of
 * program output, and network namespaces for tests. ffi-rs is loaded on first use only.
 * @module
 */
export { BPF_F_SLEEPABLE, Program, loadProgram, loadPinnedProgram, openProgramById } from './program.js';
export type { LoadProgramOptions, AssembledLike, XlatedProgram } from './program.js';
export type { ModelCheck, ModelMode } from './model-check.js';
export {
  BPF_F_TEST_RUN_ON_CPU, BPF_F_TEST_XDP_LIVE_FRAMES, BPF_F_TEST_SKB_CHECKSUM_COMPLETE,
} from './test-run.js';
export type { TestRunOptions, TestRunResult } from './test-run.js';
export { programInfo } from './prog-info.js';
export type { ProgramInfo } from './prog-info.js';
export { parseVerifierLog } from './verifier-log.js';
export type { ParsedVerifierLog } from './verifier-log.js';
export { probe } from './probe.js';
export { Fd } from './fd.js';
export type { HasFd } from './fd.js';
export { Errno, errnoName } from './errno.js';
export type { ErrnoName } from './errno.js';
export { BpfCmd, bpfCmdName } from './syscall.js';
export { possibleCpus, pageSize, BPFFS_PATH, ensureBpffs } from './platform.js';
export type { MapObject } from './prog-maps.js';
export { openPacketSocket, PacketSocket } from './packet-socket.js';
export type { PacketSocketOptions } from './packet-socket.js';
export * from './attach/index.js';
export * from './readers/index.js';
export * from './syscall-names.js';
export * from './tracepoint-format.js';
