/**
 * errno names and the hints that turn a bare errno into something a user can act on. Linux numbers
 * (asm-generic/errno-base.h, errno.h, and the kernel-internal ENOTSUPP=524 that bpf() leaks).
 * @module
 */
import { BpfSyscallError } from '../errors.js';

/** errno numbers by name, for the errnos bpf() and the calls around it return. */
export const Errno = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, ENXIO: 6, E2BIG: 7, ENOEXEC: 8, EBADF: 9,
  ECHILD: 10, EAGAIN: 11, ENOMEM: 12, EACCES: 13, EFAULT: 14, ENOTBLK: 15, EBUSY: 16, EEXIST: 17,
  EXDEV: 18, ENODEV: 19, ENOTDIR: 20, EISDIR: 21, EINVAL: 22, ENFILE: 23, EMFILE: 24, ENOTTY: 25,
  ETXTBSY: 26, EFBIG: 27, ENOSPC: 28, ESPIPE: 29, EROFS: 30, EMLINK: 31, EPIPE: 32, EDOM: 33,
  ERANGE: 34, EDEADLK: 35, ENAMETOOLONG: 36, ENOLCK: 37, ENOSYS: 38, ENOTEMPTY: 39, ELOOP: 40,
  ENOMSG: 42, EOVERFLOW: 75, EBADFD: 77, ENOTSOCK: 88, EPROTOTYPE: 91, ENOPROTOOPT: 92,
  EPROTONOSUPPORT: 93, EOPNOTSUPP: 95, EAFNOSUPPORT: 97, EADDRINUSE: 98, EADDRNOTAVAIL: 99,
  ENETDOWN: 100, ENOBUFS: 105, EISCONN: 106, ENOTCONN: 107, ETIMEDOUT: 110, ECONNREFUSED: 111,
  EALREADY: 114, EINPROGRESS: 115, ESTALE: 116, EDQUOT: 122, ECANCELED: 125, EOWNERDEAD: 130,
  ERFKILL: 132, EHWPOISON: 133, ENOTSUPP: 524,
} as const;

/** An errno name from {@link Errno}. */
export type ErrnoName = keyof typeof Errno;

const NAMES = new Map<number, string>(Object.entries(Errno).map(([k, v]) => [v, k]));

/** The name of an errno number (`EPERM`), or `errno N` for one not in the table. */
export function errnoName(errno: number): string {
  return NAMES.get(errno) ?? `errno ${errno}`;
}

const PERM = 'needs root, or CAP_BPF (plus CAP_PERFMON for tracing and CAP_NET_ADMIN for networking); ' +
  'also check kernel.unprivileged_bpf_disabled and lockdown; on kernels before 5.11 a low RLIMIT_MEMLOCK ' +
  'also gives EPERM (raise it, e.g. ulimit -l unlimited)';

/** Hints for any command, by errno, used when no command-specific hint exists. */
const GENERIC: Partial<Record<number, string>> = {
  [Errno.EPERM]: PERM,
  [Errno.EACCES]: 'permission denied: needs root or CAP_BPF, or an LSM (SELinux, AppArmor, lockdown) refused',
  [Errno.EBADF]: 'a file descriptor in the request is closed or not a BPF object of the right kind',
  [Errno.EFAULT]: 'a pointer in bpf_attr points to memory the kernel cannot read or write',
  [Errno.E2BIG]: 'bpf_attr carries non-zero bytes the kernel does not know (a newer field this kernel lacks), or a size is too large',
  [Errno.ENOSYS]: 'the kernel has no bpf() syscall (CONFIG_BPF_SYSCALL off)',
  [Errno.ENOTSUPP]: 'the kernel does not support this operation for this object (ENOTSUPP, kernel-internal 524)',
  [Errno.EOPNOTSUPP]: 'this operation is not supported for this object type',
  [Errno.ENOMEM]: 'the kernel could not allocate memory (or RLIMIT_MEMLOCK is too low on kernels before 5.11)',
  [Errno.EMFILE]: 'too many open files in this process (RLIMIT_NOFILE)',
};

/** Hints by command, then errno. */
const BY_COMMAND: Record<string, Partial<Record<number, string>>> = {
  BPF_MAP_CREATE: {
    [Errno.EINVAL]: 'the map spec is invalid for this type: check key/value sizes, max entries, flags and the type\'s own rules',
    [Errno.ENOMEM]: 'not enough kernel memory for the map (max entries × value size), or RLIMIT_MEMLOCK too low before 5.11',
    [Errno.E2BIG]: 'key or value size, or max entries, exceed this map type\'s limits',
    [Errno.EPERM]: `${PERM}; some map types (e.g. arena, devmap, sockmap) need CAP_SYS_ADMIN or CAP_NET_ADMIN`,
  },
  BPF_MAP_UPDATE_ELEM: {
    [Errno.E2BIG]: 'the map is full (max entries reached)',
    [Errno.ENOSPC]: 'the map is full',
    [Errno.EEXIST]: 'the key already exists and the update asked for BPF_NOEXIST',
    [Errno.ENOENT]: 'the key does not exist and the update asked for BPF_EXIST',
    [Errno.EINVAL]: 'bad flags, or an index out of range for an array-like map',
    [Errno.EPERM]: 'the map is frozen or read-only for user space (BPF_F_RDONLY / freeze), or missing privileges',
  },
  BPF_MAP_LOOKUP_ELEM: { [Errno.EPERM]: 'the map is write-only for user space (BPF_F_WRONLY), or missing privileges' },
  BPF_MAP_DELETE_ELEM: {
    [Errno.EINVAL]: 'this map type (e.g. array) does not support deleting elements',
    [Errno.EPERM]: 'the map is frozen or read-only for user space',
  },
  BPF_MAP_FREEZE: {
    [Errno.EBUSY]: 'the map has writable memory mappings (or a freeze raced with another)',
    [Errno.EPERM]: 'the map is already frozen, or this fd is read-only',
    [Errno.ENOTSUPP]: 'struct_ops maps and maps with special fields (spin locks, timers, kptrs) cannot be frozen',
  },
  BPF_MAP_LOOKUP_AND_DELETE_ELEM: { [Errno.ENOENT]: 'the queue or stack is empty' },
  BPF_OBJ_PIN: {
    [Errno.EEXIST]: 'a file already exists at the pin path',
    [Errno.ENOENT]: 'the pin directory does not exist',
    [Errno.EPERM]: 'the pin path is not on a bpf filesystem (mount -t bpf bpf /sys/fs/bpf), or missing privileges',
  },
  BPF_OBJ_GET: {
    [Errno.ENOENT]: 'nothing is pinned at that path',
    [Errno.EINVAL]: 'the path is not a pinned BPF object, or bad open flags',
  },
  BPF_PROG_LOAD: {
    [Errno.EINVAL]: 'the program was refused; load with a verifier log to see why',
    [Errno.E2BIG]: 'the program is too large (more than 1M instructions processed, or too many instructions)',
  },
};

/** The hint for a failed `command` with `errno`, when one is known. */
export function errnoHint(command: string, errno: number): string | undefined {
  return BY_COMMAND[command]?.[errno] ?? GENERIC[errno];
}

/** Builds the {@link BpfSyscallError} for a failed `command` (e.g. `BPF_MAP_CREATE`, `close`). */
export function syscallError(command: string, errno: number, hint?: string): BpfSyscallError {
  return new BpfSyscallError(command, errno, errnoName(errno), hint ?? errnoHint(command, errno));
}
