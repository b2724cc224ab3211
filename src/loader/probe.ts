/**
 * Feature probes: does the running kernel know this map type, program type, helper? Each probe
 * creates the smallest object that can only exist when the feature does, and reads the kernel's
 * answer (errno and, for programs, the verifier's words). Answers are cached per process.
 * @module
 */
import { NotSupportedError, isBpfSyscallError, isNotSupportedError, isVerifierError } from '../errors.js';
import { kernelFunctionBtfId } from '../btf/vmlinux.js';
import { progLoad } from './prog-load.js';
import { closeRaw as closeFd, nativeAlloc } from './ffi.js';
import { BpfCmd, bpfTry } from './syscall.js';
import { progTypeNumber } from './prog-names.js';
import { mapTypeNumber } from '../asm/map-types.js';
import { helperByName } from '../asm/helpers.js';
import { BadInputError } from '../errors.js';

const EINVAL = 22;
const EPERM = 1;
const ENOTSUPP = 524;

const MAP_CREATE_ATTR_SIZE = 72;

// Map types (enum bpf_map_type) whose creation needs more than key 4 / value 4 / 1 entry.
const M = {
  STACK_TRACE: 7, LPM_TRIE: 11, ARRAY_OF_MAPS: 12, HASH_OF_MAPS: 13, CGROUP_STORAGE: 19,
  PERCPU_CGROUP_STORAGE: 21, QUEUE: 22, STACK: 23, SK_STORAGE: 24, STRUCT_OPS: 26, RINGBUF: 27,
  INODE_STORAGE: 28, TASK_STORAGE: 29, BLOOM_FILTER: 30, USER_RINGBUF: 31, CGRP_STORAGE: 32, ARENA: 33,
} as const;

interface MapCreate {
  type: number; keySize: number; valueSize: number; maxEntries: number; flags?: number;
  innerMapFd?: number; btfFd?: number; btfKeyTypeId?: number; btfValueTypeId?: number;
  btfVmlinuxValueTypeId?: number;
}

/** MAP_CREATE straight from the attr, returning the fd or -errno: probes need every field and the errno. */
function rawMapCreate(m: MapCreate): number {
  const attr = nativeAlloc(MAP_CREATE_ATTR_SIZE);
  try {
    const b = attr.bytes;
    b.writeUInt32LE(m.type >>> 0, 0);
    b.writeUInt32LE(m.keySize, 4);
    b.writeUInt32LE(m.valueSize, 8);
    b.writeUInt32LE(m.maxEntries, 12);
    b.writeUInt32LE(m.flags ?? 0, 16);
    b.writeUInt32LE(m.innerMapFd ?? 0, 20);
    b.writeUInt32LE(m.btfFd ?? 0, 48);
    b.writeUInt32LE(m.btfKeyTypeId ?? 0, 52);
    b.writeUInt32LE(m.btfValueTypeId ?? 0, 56);
    b.writeUInt32LE(m.btfVmlinuxValueTypeId ?? 0, 60);
    return bpfTry(BpfCmd.BPF_MAP_CREATE, attr, MAP_CREATE_ATTR_SIZE);
  } finally {
    attr.free();
  }
}

/** Loads a BTF blob that holds one type, `[1] int` (4 bytes, signed). Returns the fd or -errno. */
function loadIntBtf(): number {
  const strings = Buffer.from('\0int\0', 'latin1');
  const blob = Buffer.alloc(24 + 16 + strings.length);
  blob.writeUInt16LE(0xeb9f, 0); // magic
  blob.writeUInt8(1, 2); // version
  blob.writeUInt32LE(24, 4); // hdr_len
  blob.writeUInt32LE(0, 8); // type_off
  blob.writeUInt32LE(16, 12); // type_len
  blob.writeUInt32LE(16, 16); // str_off
  blob.writeUInt32LE(strings.length, 20); // str_len
  blob.writeUInt32LE(1, 24); // name_off -> "int"
  blob.writeUInt32LE(1 << 24, 28); // kind INT
  blob.writeUInt32LE(4, 32); // size
  blob.writeUInt32LE((1 << 24) | 32, 36); // BTF_INT_SIGNED, 32 bits
  strings.copy(blob, 40);
  const mem = nativeAlloc(blob.length);
  const attr = nativeAlloc(40);
  try {
    mem.bytes.set(blob);
    attr.bytes.writeBigUInt64LE(mem.address, 0);
    attr.bytes.writeUInt32LE(blob.length, 16);
    return bpfTry(BpfCmd.BPF_BTF_LOAD, attr, 40);
  } finally {
    attr.free();
    mem.free();
  }
}

function mapTypeSupported(type: number): boolean {
  const spec: MapCreate = { type, keySize: 4, valueSize: 4, maxEntries: 1 };
  const closeLater: number[] = [];
  let expectedErrno = 0;
  try {
    switch (type) {
      case M.STACK_TRACE: spec.valueSize = 8; break;
      case M.LPM_TRIE: spec.keySize = 8; spec.valueSize = 8; spec.flags = 1; break; // BPF_F_NO_PREALLOC
      case M.ARRAY_OF_MAPS: case M.HASH_OF_MAPS: {
        const inner = rawMapCreate({ type: 2, keySize: 4, valueSize: 4, maxEntries: 1 });
        if (inner < 0) return false;
        closeLater.push(inner);
        spec.innerMapFd = inner;
        break;
      }
      case M.CGROUP_STORAGE: case M.PERCPU_CGROUP_STORAGE: spec.keySize = 8; spec.maxEntries = 0; break;
      case M.QUEUE: case M.STACK: case M.BLOOM_FILTER: spec.keySize = 0; break;
      case M.RINGBUF: case M.USER_RINGBUF: spec.keySize = 0; spec.valueSize = 0; spec.maxEntries = 4096; break;
      case M.ARENA: spec.keySize = 0; spec.valueSize = 0; spec.flags = 1 << 10; break; // BPF_F_MMAPABLE
      case M.STRUCT_OPS:
        // Type id 1 is no struct_ops value type: a kernel that has the map type says ENOTSUPP.
        spec.btfVmlinuxValueTypeId = 1;
        expectedErrno = ENOTSUPP;
        break;
      case M.SK_STORAGE: case M.INODE_STORAGE: case M.TASK_STORAGE: case M.CGRP_STORAGE: {
        const btf = loadIntBtf();
        if (btf < 0) return false;
        closeLater.push(btf);
        Object.assign(spec, { maxEntries: 0, flags: 1, btfFd: btf, btfKeyTypeId: 1, btfValueTypeId: 1 });
        break;
      }
      default: break;
    }
    const fd = rawMapCreate(spec);
    if (fd >= 0) {
      closeFd(fd);
      return expectedErrno === 0;
    }
    if (-fd === EPERM) throw new NotSupportedError(`map type ${type} probe`, 'creating maps needs CAP_BPF (run as root)');
    return expectedErrno !== 0 && -fd === expectedErrno;
  } finally {
    for (const fd of closeLater) closeFd(fd);
  }
}

// Program types (enum bpf_prog_type) that need attributes to load at all.
const P = {
  KPROBE: 2, CGROUP_SOCK_ADDR: 18, LIRC_MODE2: 20, CGROUP_SOCKOPT: 25, TRACING: 26, STRUCT_OPS: 27,
  EXT: 28, LSM: 29, SK_LOOKUP: 30, SYSCALL: 31, NETFILTER: 32,
} as const;

interface ProbeLoad { expectedAttachType?: number; attachBtfId?: number; progFlags?: number; btfProbe?: boolean }

function probeAttrs(type: number): ProbeLoad {
  switch (type) {
    case P.CGROUP_SOCK_ADDR: return { expectedAttachType: 10 }; // BPF_CGROUP_INET4_CONNECT
    case P.LIRC_MODE2: return { expectedAttachType: 16 };
    case P.CGROUP_SOCKOPT: return { expectedAttachType: 21 }; // BPF_CGROUP_GETSOCKOPT
    case P.SK_LOOKUP: return { expectedAttachType: 36 };
    case P.NETFILTER: return { expectedAttachType: 45 };
    case P.SYSCALL: return { progFlags: 16 }; // BPF_F_SLEEPABLE
    // These need an attach target; BTF id 1 (an int in vmlinux) is never one, and only a kernel
    // that knows the type gets far enough to say so.
    // tp_btf (BPF_TRACE_RAW_TP) rather than fentry: it needs no trampoline, which some kernels
    // (and this project's VMs) refuse with EPERM while tracing programs as such load.
    case P.TRACING: return { expectedAttachType: 23, attachBtfId: 1, btfProbe: true };
    case P.LSM: return { expectedAttachType: 27, attachBtfId: 1, btfProbe: true }; // BPF_LSM_MAC
    case P.EXT: case P.STRUCT_OPS: return { attachBtfId: 1, btfProbe: true };
    default: return {};
  }
}

const BTF_PROBE_MESSAGE = /^attach_btf_id 1 is not a|^attach_btf_id 1 is invalid|is not a supported struct/;
const HELPER_REFUSED = /^(invalid func |program of this type cannot use helper |unknown func )/;
// A BTF function that is no kfunc (or not one for this program type), or one the kernel cannot call.
const KFUNC_REFUSED = /^(calling kernel function \S+ is not allowed|cannot find address for kernel function |kernel btf_id \d+ is not a function)/;

/** Loads `body` as a program of `type`. true: loaded or verified far enough; false: refused as asked. */
function tryLoad(type: number, body: Uint8Array, refused: (message: string) => boolean): boolean {
  const a = probeAttrs(type);
  try {
    const { fd } = progLoad({
      progType: type, insns: body, license: 'GPL',
      attr: {
        ...(a.expectedAttachType !== undefined ? { expectedAttachType: a.expectedAttachType } : {}),
        ...(a.attachBtfId !== undefined ? { attachBtfId: a.attachBtfId } : {}),
        ...(a.progFlags !== undefined ? { progFlags: a.progFlags } : {}),
      },
    });
    closeFd(fd);
    return !a.btfProbe;
  } catch (e) {
    if (isVerifierError(e)) {
      if (a.btfProbe && BTF_PROBE_MESSAGE.test(e.kernelMessage)) return true;
      return !refused(e.kernelMessage);
    }
    if (isBpfSyscallError(e)) {
      if (e.errno === EPERM) {
        // EPERM for one type while a socket filter loads: this process may not load this type
        // here (a security module or lockdown stops it), which is a "no" for the caller.
        if (type !== SOCKET_FILTER && probe.programType(SOCKET_FILTER)) return false;
        throw new NotSupportedError(`program type ${type} probe`, 'loading programs needs CAP_BPF (run as root)');
      }
      if (e.errno === EINVAL || e.errno === ENOTSUPP || e.errno === 95) return false;
    }
    throw e;
  }
}

const SOCKET_FILTER = 1;
const RETURN_0 = Uint8Array.from(Buffer.from('b7000000000000009500000000000000', 'hex'));

function callKfunc(btfId: number): Uint8Array {
  const b = Buffer.from(callHelper(btfId));
  b.writeUInt8(0x20, 1); // src_reg = BPF_PSEUDO_KFUNC_CALL
  return Uint8Array.from(b);
}

function callHelper(helper: number): Uint8Array {
  const b = Buffer.alloc(24);
  b.writeUInt8(0x85, 0);
  b.writeInt32LE(helper, 4);
  Buffer.from('b7000000000000009500000000000000', 'hex').copy(b, 8);
  return Uint8Array.from(b);
}

function mapNumber(type: number | string): number {
  if (typeof type === 'number') return type;
  const n = mapTypeNumber(type);
  if (n === undefined) throw new BadInputError(`unknown map type "${type}"`);
  return n;
}

function helperNumber(helper: number | string): number {
  if (typeof helper === 'number') return helper;
  const h = helperByName(helper);
  if (h === undefined) throw new BadInputError(`unknown helper "${helper}"`);
  return h.id;
}

const mapCache = new Map<number, boolean>();
const progCache = new Map<number, boolean>();
const helperCache = new Map<string, boolean>();
const kfuncCache = new Map<string, boolean>();

/** Feature probes against the running kernel. Results are cached for the process. */
export const probe = {
  /** Whether the kernel can create maps of this type (a number or a name such as `ringbuf`). */
  mapType(type: number | string): boolean {
    const t = mapNumber(type);
    let r = mapCache.get(t);
    if (r === undefined) mapCache.set(t, r = mapTypeSupported(t));
    return r;
  },
  /** Whether the kernel can load programs of this type (a number or a name such as `xdp`). */
  programType(type: number | string): boolean {
    const t = progTypeNumber(type);
    let r = progCache.get(t);
    if (r === undefined) progCache.set(t, r = tryLoad(t, RETURN_0, () => false));
    return r;
  },
  /**
   * Whether programs of this type may call the helper: an id (`enum bpf_func_id`) or a name
   * (`map_lookup_elem`, `bpf_map_lookup_elem`).
   */
  helper(progType: number | string, helper: number | string): boolean {
    const t = progTypeNumber(progType);
    const id = helperNumber(helper);
    const key = `${t}:${id}`;
    let r = helperCache.get(key);
    if (r === undefined) {
      r = probe.programType(t) && tryLoad(t, callHelper(id), (m) => HELPER_REFUSED.test(m));
      helperCache.set(key, r);
    }
    return r;
  },
  /**
   * Whether programs of this type may call the kernel function `name` as a kfunc (it must be in
   * the kernel's BTF and registered as a kfunc for this type).
   */
  kfunc(progType: number | string, name: string): boolean {
    const t = progTypeNumber(progType);
    const key = `${t}:${name}`;
    let r = kfuncCache.get(key);
    if (r === undefined) {
      let id: number | undefined;
      try {
        id = kernelFunctionBtfId(name);
      } catch (e) {
        if (!isNotSupportedError(e)) throw e;
      }
      r = id !== undefined && probe.programType(t) && tryLoad(t, callKfunc(id), (m) => KFUNC_REFUSED.test(m));
      kfuncCache.set(key, r);
    }
    return r;
  },
  /** Throws NotSupportedError naming the map type unless {@link probe.mapType} says yes. */
  requireMapType(type: number | string): void {
    if (!probe.mapType(type)) throw new NotSupportedError(`map type ${type}`, 'this kernel cannot create it');
  },
  /** Throws NotSupportedError naming the program type unless {@link probe.programType} says yes. */
  requireProgramType(type: number | string): void {
    if (!probe.programType(type)) throw new NotSupportedError(`program type ${type}`, 'this kernel cannot load it');
  },
  /** Throws NotSupportedError naming the kfunc unless {@link probe.kfunc} says yes. */
  requireKfunc(progType: number | string, name: string): void {
    if (!probe.kfunc(progType, name)) {
      throw new NotSupportedError(`kfunc ${name} in ${progType} programs`, 'this kernel does not offer it there');
    }
  },
  /** Throws NotSupportedError naming the helper unless {@link probe.helper} says yes. */
  requireHelper(progType: number | string, helper: number | string): void {
    if (!probe.helper(progType, helper)) {
      throw new NotSupportedError(`helper ${helper} in ${progType} programs`, 'this kernel does not allow it there');
    }
  },
};
