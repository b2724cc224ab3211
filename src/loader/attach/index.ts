/**
 * Attaching loaded programs: one function per attach family, each returning a {@link Link} (close
 * detaches), plus network namespace and veth helpers. This module only re-exports (a ready list for
 * the package face). Every attach function takes the program as anything with an `fd` (a `Program`).
 * @module
 */
export { Link, LinkType, linkInfo, openPinnedLink } from '../link.js';
export type { LinkInfo, LinkParts } from '../link.js';
export { attachTracepoint } from './tracepoint.js';
export type { TracepointOptions } from './tracepoint.js';
export { attachRawTracepoint, attachTpBtf, tpBtfLoadOptions } from './raw-tracepoint.js';
export type { RawTracepointOptions, TpBtfOptions, TpBtfLoadOptions } from './raw-tracepoint.js';
export { attachUprobe, attachUretprobe, attachUprobeMulti, uprobeMultiLoadOptions, uprobeOffset, resolveBinary } from './uprobe.js';
export type { UprobeOptions, UprobeMultiOptions, UprobeTarget } from './uprobe.js';
export { attachKprobe, attachKretprobe, kprobeUnsupportedReason } from './kprobe.js';
export type { KprobeOptions } from './kprobe.js';
export { attachFentry, attachFexit, attachTrampoline, tracingLoadOptions, trampolineUnsupportedReason } from './fentry.js';
export type { TrampolineKind, TrampolineLoadOptions, TrampolineAttachOptions } from './fentry.js';
export { attachLsm, lsmLoadOptions, bpfLsmActive } from './lsm.js';
export { attachXdp, XdpFlags } from './xdp.js';
export type { XdpMode, XdpOptions } from './xdp.js';
export { attachTcx, TcxAction } from './tcx.js';
export type { TcxOptions } from './tcx.js';
export type { InterfaceTarget } from './ifaces.js';
export { attachSocketFilter, socketFd } from './socket-filter.js';
export type { SocketLike } from './socket-filter.js';
export { attachCgroup, cgroupV2Root, CgroupAttach, TemporaryCgroup } from './cgroup.js';
export type { CgroupOptions } from './cgroup.js';
export { attachIter, iterLoadOptions, iterUnsupportedReason, openIter, readIter, readIterText } from './iter.js';
export type { IterOptions } from './iter.js';
export { attachPerfEvent, onlineCpus } from './perf-event.js';
export type { PerfEventOptions } from './perf-event.js';
export type { PerfAttachMethod, PerfAttachOptions } from './perf-link.js';
export { PerfType, PerfSwId, tracefsRoot, tracepointId } from '../perf-event.js';
export { NetNamespace, VethPair, createVethPair, createTestNetwork, freeSubnet, ip } from '../netns.js';
export type { VethOptions, TestNetwork } from '../netns.js';
