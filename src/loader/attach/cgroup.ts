/**
 * cgroup programs as BPF links on a cgroup v2 directory (BPF_LINK_CREATE with target_fd the
 * directory's fd): `cgroup_skb` on ingress/egress, `cgroup_sock` on socket creation, and any other
 * cgroup attach type by name or number. Plus a small helper to create (and remove) a cgroup for
 * tests and examples.
 * @module
 */
import { mkdirSync, readFileSync, rmdirSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { attachTypeNumber, attachTypeName } from '../../asm/attach-types.js';
import { AttachType } from '../../asm/attach-types.js';
import { BadInputError, NotSupportedError } from '../../errors.js';
import { syscallError } from '../errno.js';
import { closeRaw, openRaw } from '../ffi.js';
import type { HasFd } from '../fd.js';
import { Link } from '../link.js';
import { linkCreate } from './link-create.js';
import { uniqueName } from '../netns.js';

const O_RDONLY_DIRECTORY_CLOEXEC = 0o200000 | 0o2000000;

/** Short names of the usual cgroup attach points. */
export const CgroupAttach = {
  ingress: AttachType.CGROUP_INET_INGRESS,
  egress: AttachType.CGROUP_INET_EGRESS,
  sock_create: AttachType.CGROUP_INET_SOCK_CREATE,
  sock_release: AttachType.CGROUP_INET_SOCK_RELEASE,
  connect4: AttachType.CGROUP_INET4_CONNECT,
  bind4: AttachType.CGROUP_INET4_BIND,
  sendmsg4: AttachType.CGROUP_UDP4_SENDMSG,
  sock_ops: AttachType.CGROUP_SOCK_OPS,
  device: AttachType.CGROUP_DEVICE,
  sysctl: AttachType.CGROUP_SYSCTL,
} as const;

/** The mount point of the cgroup v2 hierarchy (from /proc/self/mountinfo), e.g. /sys/fs/cgroup/unified. */
export function cgroupV2Root(): string {
  let text = '';
  try {
    text = readFileSync('/proc/self/mountinfo', 'utf8');
  } catch {
    // fall through
  }
  for (const line of text.split('\n')) {
    const [left, right] = line.split(' - ');
    if (right?.startsWith('cgroup2 ')) return left!.split(' ')[4]!;
  }
  throw new NotSupportedError('cgroup programs', 'no cgroup v2 hierarchy is mounted (mount -t cgroup2 none /sys/fs/cgroup)');
}

/** Options of {@link attachCgroup}. */
export interface CgroupOptions {
  /** link_create flags (e.g. BPF_F_BEFORE/AFTER on 6.6+ mprog cgroups). */
  readonly flags?: number;
}

/**
 * Attaches a cgroup program to the cgroup v2 directory `cgroup` (a path, relative paths under
 * {@link cgroupV2Root}) at `attach` (`ingress`, `egress`, `sock_create`, an attach type name such
 * as `cgroup_inet4_connect`, or a number). Closing the link detaches it.
 */
export function attachCgroup(prog: HasFd, cgroup: string, attach: keyof typeof CgroupAttach | string | number, opts: CgroupOptions = {}): Link {
  const attachType = typeof attach === 'number' ? attach
    : (CgroupAttach as Record<string, number>)[attach] ?? attachTypeNumber(attach);
  if (attachType === undefined) throw new BadInputError(`unknown cgroup attach point "${attach}"`);
  const path = cgroup.startsWith('/') ? cgroup : join(cgroupV2Root(), cgroup);
  const dir = openRaw(path, O_RDONLY_DIRECTORY_CLOEXEC);
  if (dir < 0) throw syscallError(`open(${path})`, -dir, 'the cgroup v2 directory must exist');
  const name = attachTypeName(attachType) ?? String(attachType);
  try {
    const fd = linkCreate({
      prog, target: dir, attachType, flags: opts.flags ?? 0, what: `cgroup ${name} on ${path}`,
      hints: { 22: 'the program type does not fit this cgroup attach point (cgroup_skb for ingress/egress, cgroup_sock for sock_create), or the directory is not a cgroup v2 directory' },
    });
    return new Link({ kind: `cgroup ${name}`, target: path, links: [fd] });
  } finally {
    closeRaw(dir);
  }
}

/** A cgroup v2 directory created for a test or example, removed on `close()`. */
export class TemporaryCgroup implements Disposable {
  /** The directory. */
  readonly path: string;
  #closed = false;

  /** Creates `<root>/<name>` (name default: a unique `tsebpf…`). */
  constructor(name?: string) {
    this.path = join(cgroupV2Root(), name ?? uniqueName('tsebpf'));
    mkdirSync(this.path);
  }

  /** Moves a process into the cgroup. */
  addProcess(pid: number): void {
    writeFileSync(join(this.path, 'cgroup.procs'), `${pid}\n`);
  }

  /** The processes in the cgroup. */
  processes(): number[] {
    return readFileSync(join(this.path, 'cgroup.procs'), 'utf8').split('\n').filter(Boolean).map(Number);
  }

  /** Moves any processes left back to the root, then removes the directory. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (!existsSync(this.path)) return;
    const root = join(this.path, '..', 'cgroup.procs');
    for (const pid of this.processes()) {
      try {
        writeFileSync(root, `${pid}\n`);
      } catch {
        // the process exited meanwhile
      }
    }
    rmdirSync(this.path);
  }

  /** Same as {@link TemporaryCgroup.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}
