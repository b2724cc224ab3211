/**
 * The `is_valid_access` callbacks of the modelled program types (net/core/filter.c,
 * kernel/trace/bpf_trace.c) for x86-64: which ctx offsets may be read or written with which
 * sizes, and which reads yield packet pointers.
 * @module
 */
import { ProgType } from './kinds.js';
import { AttachType } from '../asm/attach-types.js';
import { T, F } from './state.js';

/** Result of a ctx access check: undefined when invalid, 'unmodelled' for program types outside the model, else the type of a loaded value. */
export type CtxAccess = { readonly regType: number } | 'unmodelled' | undefined;

// struct __sk_buff field offsets.
const SKB = {
  mark: 8, queue_mapping: 12, priority: 32, tc_index: 44, cb0: 48, cb4end: 68, tc_classid: 72,
  data: 76, data_end: 80, family: 88, remote_ip4: 92, local_ip4: 96, remote_ip6: 100, local_ip6: 116,
  local_port_end: 140, data_meta: 140, flow_keys: 144, tstamp: 152, wire_len: 160, sk: 168,
  tstamp_type: 180, hwtstamp: 184, size: 192,
} as const;
const PT_REGS_SIZE = 168;

const inRange = (off: number, start: number, len: number): boolean => off >= start && off < start + len;

function skbBase(off: number, size: number, write: boolean, info: { regType: number }, ldsx: boolean): boolean {
  if (off < 0 || off >= SKB.size) return false;
  if (off % size !== 0) return false;
  if (off >= SKB.cb0 && off < SKB.cb4end) {
    if (off + size > SKB.cb4end) return false;
  } else if (inRange(off, SKB.data, 4) || inRange(off, SKB.data_meta, 4) || inRange(off, SKB.data_end, 4)) {
    if (ldsx || size !== 4) return false;
  } else if (inRange(off, SKB.remote_ip6, 16) || inRange(off, SKB.local_ip6, 16) ||
    inRange(off, SKB.remote_ip4, 4) || inRange(off, SKB.local_ip4, 4)) {
    if (size !== 4) return false;
  } else if (inRange(off, SKB.flow_keys, 8)) {
    return false;
  } else if (inRange(off, SKB.hwtstamp, 8)) {
    if (write || size !== 8) return false;
  } else if (inRange(off, SKB.tstamp, 8)) {
    if (size !== 8) return false;
  } else if (inRange(off, SKB.sk, 8)) {
    if (write || size !== 8) return false;
    info.regType = T.SOCK_COMMON | F.MAYBE_NULL;
  } else if (off === SKB.tstamp_type) {
    return false;
  } else if (off > SKB.tstamp_type && off < SKB.hwtstamp) {
    return false;
  } else if (write) {
    if (size !== 4) return false;
  } else if (!(size <= 4 && (size & (size - 1)) === 0)) {
    return false;
  }
  return true;
}

const isCb = (off: number): boolean => off >= SKB.cb0 && off < SKB.cb4end;

function skFilter(off: number, size: number, write: boolean, info: { regType: number }, ldsx: boolean): boolean {
  if (inRange(off, SKB.tc_classid, 4) || inRange(off, SKB.data, 4) || inRange(off, SKB.data_meta, 4) ||
    inRange(off, SKB.data_end, 4) || (off >= SKB.family && off < SKB.local_port_end) ||
    inRange(off, SKB.tstamp, 8) || inRange(off, SKB.wire_len, 4) || inRange(off, SKB.hwtstamp, 8)) return false;
  if (write && !isCb(off)) return false;
  return skbBase(off, size, write, info, ldsx);
}

function cgSkb(off: number, size: number, write: boolean, info: { regType: number }, ldsx: boolean): boolean {
  if (inRange(off, SKB.tc_classid, 4) || inRange(off, SKB.data_meta, 4) || inRange(off, SKB.wire_len, 4)) return false;
  if (write && !(inRange(off, SKB.mark, 4) || inRange(off, SKB.priority, 4) || isCb(off) || inRange(off, SKB.tstamp, 8))) return false;
  if (inRange(off, SKB.data, 4)) info.regType = T.PKT;
  else if (inRange(off, SKB.data_end, 4)) info.regType = T.PKT_END;
  return skbBase(off, size, write, info, ldsx);
}

function tcClsAct(off: number, size: number, write: boolean, info: { regType: number }, ldsx: boolean): boolean {
  if (write && !(inRange(off, SKB.mark, 4) || inRange(off, SKB.tc_index, 4) || inRange(off, SKB.priority, 4) ||
    inRange(off, SKB.tc_classid, 4) || isCb(off) || inRange(off, SKB.tstamp, 8) || inRange(off, SKB.queue_mapping, 4))) return false;
  if (inRange(off, SKB.data, 4)) info.regType = T.PKT;
  else if (inRange(off, SKB.data_meta, 4)) info.regType = T.PKT_META;
  else if (inRange(off, SKB.data_end, 4)) info.regType = T.PKT_END;
  else if (off >= SKB.family && off < SKB.local_port_end) return false;
  else if (off === SKB.tstamp_type) return size === 1;
  return skbBase(off, size, write, info, ldsx);
}

function lwt(off: number, size: number, write: boolean, info: { regType: number }, ldsx: boolean): boolean {
  if (inRange(off, SKB.tc_classid, 4) || (off >= SKB.family && off < SKB.local_port_end) || inRange(off, SKB.data_meta, 4) ||
    inRange(off, SKB.tstamp, 8) || inRange(off, SKB.wire_len, 4) || inRange(off, SKB.hwtstamp, 8)) return false;
  if (write && !(inRange(off, SKB.mark, 4) || inRange(off, SKB.priority, 4) || isCb(off))) return false;
  if (inRange(off, SKB.data, 4)) info.regType = T.PKT;
  else if (inRange(off, SKB.data_end, 4)) info.regType = T.PKT_END;
  return skbBase(off, size, write, info, ldsx);
}

function skSkb(off: number, size: number, write: boolean, info: { regType: number }, ldsx: boolean): boolean {
  if (inRange(off, SKB.tc_classid, 4) || inRange(off, SKB.data_meta, 4) || inRange(off, SKB.tstamp, 8) ||
    inRange(off, SKB.wire_len, 4) || inRange(off, SKB.hwtstamp, 8)) return false;
  if (write && !(inRange(off, SKB.tc_index, 4) || inRange(off, SKB.priority, 4))) return false;
  if (inRange(off, SKB.mark, 4)) return false;
  if (inRange(off, SKB.data, 4)) info.regType = T.PKT;
  else if (inRange(off, SKB.data_end, 4)) info.regType = T.PKT_END;
  return skbBase(off, size, write, info, ldsx);
}

function skMsg(off: number, size: number, write: boolean, info: { regType: number }): boolean {
  if (write || off % size !== 0) return false;
  if (inRange(off, 0, 8)) { info.regType = T.PKT; return size === 8; }
  if (inRange(off, 8, 8)) { info.regType = T.PKT_END; return size === 8; }
  if (inRange(off, 72, 8)) { info.regType = T.SOCKET; return size === 8; }
  if (off >= 16 && off < 72) return size === 4;
  return false;
}

function xdp(off: number, size: number, write: boolean, info: { regType: number }, ldsx: boolean, eat: number): boolean {
  if (eat !== AttachType.XDP_DEVMAP && off === 20) return false;
  if (write) return false;
  if ((off === 0 || off === 4 || off === 8) && ldsx) return false;
  if (off === 0) info.regType = T.PKT;
  else if (off === 8) info.regType = T.PKT_META;
  else if (off === 4) info.regType = T.PKT_END;
  return off >= 0 && off < 24 && off % size === 0 && size === 4;
}

function perfEvent(off: number, size: number, write: boolean): boolean {
  if (off < 0 || off >= PT_REGS_SIZE + 16) return false;
  if (write) return false;
  if (off % size !== 0) return false;
  if (off >= PT_REGS_SIZE) return size <= 8 && (size & (size - 1)) === 0;
  return size === 8;
}

/** Checks a ctx access of `size` bytes at `off` (reg.off included) for the program type. */
export function ctxAccess(progType: number, eat: number, off: number, size: number, write: boolean, ldsx: boolean): CtxAccess {
  const info = { regType: T.SCALAR };
  let ok: boolean;
  switch (progType) {
    case ProgType.SOCKET_FILTER: ok = skFilter(off, size, write, info, ldsx); break;
    case ProgType.CGROUP_SKB: ok = cgSkb(off, size, write, info, ldsx); break;
    case ProgType.SCHED_CLS: case ProgType.SCHED_ACT: ok = tcClsAct(off, size, write, info, ldsx); break;
    case ProgType.XDP: ok = xdp(off, size, write, info, ldsx, eat); break;
    // 6.18.2 lets kprobes write pt_regs; the running 6.18 stable kernel (our oracle) refuses it.
    case ProgType.KPROBE: ok = off >= 0 && off < PT_REGS_SIZE && !write && off % size === 0 && off + size <= PT_REGS_SIZE; break;
    // tp_prog_is_valid_access compares `off < sizeof(void *)` unsigned, so negative offsets pass;
    // PERF_MAX_TRACE_SIZE is 8192.
    case ProgType.TRACEPOINT: ok = (off < 0 || off >= 8) && off < 8192 && !write && off % size === 0; break;
    case ProgType.RAW_TRACEPOINT: ok = off >= 0 && off < 96 && !write && off % size === 0; break;
    case ProgType.PERF_EVENT: ok = perfEvent(off, size, write); break;
    case ProgType.LWT_IN: case ProgType.LWT_OUT: case ProgType.LWT_XMIT: case ProgType.LWT_SEG6LOCAL:
      ok = lwt(off, size, write, info, ldsx); break;
    case ProgType.SK_SKB: ok = skSkb(off, size, write, info, ldsx); break;
    case ProgType.SK_MSG: ok = skMsg(off, size, write, info); break;
    default: return 'unmodelled';
  }
  return ok ? info : undefined;
}
