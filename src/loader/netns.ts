/**
 * Network namespaces and veth pairs for tests and examples, from TypeScript: a namespace is made
 * the way `ip netns add` makes it (unshare(CLONE_NEWNET) on this thread, bind-mount its nsfs file
 * at /run/netns/<name>, setns back), interfaces and addresses over rtnetlink (./netlink.ts).
 * Entering is done in this process with setns(2) on the calling thread, so the rest of the process
 * (and children spawned meanwhile) see the namespace without `ip netns exec` (which remounts /sys). Everything created is removed by `close()`, and
 * anything still open when the process exits (or gets SIGINT/SIGTERM) is removed then too.
 * @module
 */
import { spawnSync } from 'node:child_process';
import type { SpawnSyncReturns } from 'node:child_process';
import { existsSync, mkdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { networkInterfaces } from 'node:os';
import { BadInputError, NotSupportedError } from '../errors.js';
import { syscallError } from './errno.js';
import { closeRaw, ifNameToIndex, mountRaw, openRaw, setns, umount2, unshare } from './ffi.js';
import { RtNetlink } from './netlink.js';

const CLONE_NEWNET = 0x4000_0000;
const O_RDONLY_CLOEXEC = 0o2000000;
const MS_BIND = 4096;
const MNT_DETACH = 2;
const NETNS_DIR = '/run/netns';

/**
 * Runs iproute2's `ip` with `args`, for setup beyond what this module does over netlink; throws with
 * its stderr on failure, NotSupportedError when `ip` is missing.
 */
export function ip(args: readonly string[]): string {
  const r = spawnSync('ip', args, { encoding: 'utf8' });
  if (r.error) {
    if ((r.error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new NotSupportedError('network setup', 'needs iproute2\'s `ip` command (apt-get install iproute2)');
    }
    throw r.error;
  }
  if (r.status !== 0) throw new BadInputError(`ip ${args.join(' ')} failed: ${r.stderr.trim()}`);
  return r.stdout;
}

/** Things to remove when the process exits, if their owner was never closed. */
const leftovers = new Set<{ close(): void }>();
let exitHook = false;

function cleanup(): void {
  for (const l of [...leftovers]) {
    try {
      l.close();
    } catch {
      // best effort at exit
    }
  }
}

/**
 * On Ctrl-C or kill with nobody else listening: remove what is left, then die of the signal as if
 * nothing had listened. When the application listens too, it decides how to stop (and closes what
 * it opened); the exit hook removes whatever is still left when the process ends.
 */
function onSignal(signal: NodeJS.Signals): void {
  if (process.listenerCount(signal) > 1) return;
  cleanup();
  process.removeListener('SIGINT', onSignal);
  process.removeListener('SIGTERM', onSignal);
  if (process.listenerCount(signal) === 0) process.kill(process.pid, signal);
}

function track(o: { close(): void }): void {
  leftovers.add(o);
  if (!exitHook) {
    exitHook = true;
    process.once('exit', cleanup);
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }
}

let serial = 0;

/** A unique short name (interface names are limited to 15 bytes). */
export function uniqueName(prefix: string): string {
  const s = `${prefix}${(process.pid % 100000).toString(36)}${(serial++).toString(36)}`;
  if (s.length > 15) throw new BadInputError(`name ${s} is longer than 15 bytes; use a shorter prefix`);
  return s;
}

/** unshare a new network namespace on this thread, bind-mount it at `path`, and return to the old one. */
function bindNewNamespace(path: string): void {
  const back = openRaw('/proc/thread-self/ns/net', O_RDONLY_CLOEXEC);
  if (back < 0) throw syscallError('open(/proc/thread-self/ns/net)', -back);
  try {
    const rc = unshare(CLONE_NEWNET);
    if (rc < 0) throw syscallError('unshare(CLONE_NEWNET)', -rc, 'creating a network namespace needs CAP_SYS_ADMIN');
    try {
      const m = mountRaw('/proc/thread-self/ns/net', path, 'none', MS_BIND);
      if (m < 0) throw syscallError(`mount --bind (${path})`, -m);
    } finally {
      const rb = setns(back, CLONE_NEWNET);
      if (rb < 0) throw syscallError('setns (back to the original network namespace)', -rb);
    }
  } finally {
    closeRaw(back);
  }
}

/** A named network namespace (`/run/netns/<name>`), removed on `close()`. */
export class NetNamespace implements Disposable {
  /** The namespace's name, as `ip netns` shows it. */
  readonly name: string;
  #closed = false;

  /** @internal Use {@link NetNamespace.create}. */
  private constructor(name: string) {
    this.name = name;
  }

  /** Creates a new network namespace (with its loopback up) named `name` or a unique `tsebpf…` name. */
  static create(name?: string): NetNamespace {
    const n = name ?? uniqueName('tsebpf');
    if (!/^[A-Za-z0-9_.-]{1,64}$/.test(n) || n === '.' || n === '..') throw new BadInputError(`bad namespace name "${n}"`);
    mkdirSync(NETNS_DIR, { recursive: true });
    const path = `${NETNS_DIR}/${n}`;
    try {
      writeFileSync(path, '', { flag: 'wx', mode: 0o444 });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw new BadInputError(`network namespace ${n} already exists`);
      throw e;
    }
    const ns = new NetNamespace(n);
    track(ns);
    try {
      bindNewNamespace(path);
      ns.run(() => {
        using nl = new RtNetlink();
        nl.setUp(ifNameToIndex('lo'));
      });
    } catch (e) {
      ns.close();
      throw e;
    }
    return ns;
  }

  /** The bind mount that keeps the namespace alive. */
  get path(): string {
    return `/run/netns/${this.name}`;
  }

  /** Whether `close()` has run. */
  get closed(): boolean {
    return this.#closed;
  }

  /**
   * Runs `fn` with this thread in the namespace (setns), then returns to the namespace it was in.
   * `fn` must be synchronous: sockets it opens and processes it spawns belong to the namespace.
   */
  run<T>(fn: () => T): T {
    if (this.#closed) throw new BadInputError(`network namespace ${this.name} is closed`);
    const back = openRaw('/proc/thread-self/ns/net', O_RDONLY_CLOEXEC);
    if (back < 0) throw syscallError('open(/proc/thread-self/ns/net)', -back);
    let result: T;
    try {
      const target = openRaw(this.path, O_RDONLY_CLOEXEC);
      if (target < 0) throw syscallError(`open(${this.path})`, -target);
      const rc = setns(target, CLONE_NEWNET);
      closeRaw(target);
      if (rc < 0) throw syscallError(`setns(${this.path})`, -rc, 'entering a network namespace needs CAP_SYS_ADMIN');
      try {
        result = fn();
      } finally {
        const rb = setns(back, CLONE_NEWNET);
        if (rb < 0) throw syscallError('setns (back to the original network namespace)', -rb);
      }
    } finally {
      closeRaw(back);
    }
    if (result !== null && typeof result === 'object' && typeof (result as { then?: unknown }).then === 'function') {
      throw new BadInputError('NetNamespace.run takes a synchronous function (async work would continue outside the namespace)');
    }
    return result;
  }

  /** Runs iproute2's `ip` inside the namespace (`ip -n <name> ...`). */
  ip(args: readonly string[]): string {
    return ip(['-n', this.name, ...args]);
  }

  /** Runs a program inside the namespace (spawned while this thread is in it) and waits for it. */
  exec(file: string, args: readonly string[] = [], input?: string): SpawnSyncReturns<string> {
    return this.run(() => spawnSync(file, args, { encoding: 'utf8', ...(input !== undefined ? { input } : {}) }));
  }

  /** The index of interface `name` inside the namespace (0 when there is none). */
  ifindex(name: string): number {
    return this.run(() => ifNameToIndex(name));
  }

  /** Deletes the namespace (and the interfaces in it). Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    leftovers.delete(this);
    if (!existsSync(this.path)) return;
    // Like `ip netns delete`: the namespace dies with its last user once the bind mount is gone.
    const rc = umount2(this.path, MNT_DETACH);
    if (rc < 0 && -rc !== 22) throw syscallError(`umount2(${this.path})`, -rc);
    unlinkSync(this.path);
  }

  /** Same as {@link NetNamespace.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** What {@link createVethPair} sets up. */
export interface VethOptions {
  /** Name of the end that stays in this namespace (default: unique `tsv…h`). */
  readonly name?: string;
  /** Name of the other end (default: unique `tsv…p`). */
  readonly peerName?: string;
  /** Move the peer into this namespace. */
  readonly peerNamespace?: NetNamespace;
  /** Address with prefix for this end, e.g. `10.200.1.1/24`. */
  readonly address?: string;
  /** Address with prefix for the peer end, e.g. `10.200.1.2/24`. */
  readonly peerAddress?: string;
}

/** A veth pair, both ends up, removed on `close()`. */
export class VethPair implements Disposable {
  /** This end's name (in the current namespace). */
  readonly name: string;
  /** The peer's name (in `peerNamespace` when given). */
  readonly peerName: string;
  /** The namespace the peer is in, if it was moved. */
  readonly peerNamespace: NetNamespace | undefined;
  /** This end's address without prefix, when one was given. */
  readonly address: string | undefined;
  /** The peer's address without prefix, when one was given. */
  readonly peerAddress: string | undefined;
  #closed = false;

  /** @internal Use {@link createVethPair}. */
  constructor(o: { name: string; peerName: string; peerNamespace: NetNamespace | undefined; address: string | undefined; peerAddress: string | undefined }) {
    this.name = o.name;
    this.peerName = o.peerName;
    this.peerNamespace = o.peerNamespace;
    this.address = o.address;
    this.peerAddress = o.peerAddress;
  }

  /** This end's interface index. */
  get ifindex(): number {
    return ifNameToIndex(this.name);
  }

  /** The peer's interface index (looked up inside its namespace). */
  get peerIfindex(): number {
    return this.peerNamespace ? this.peerNamespace.ifindex(this.peerName) : ifNameToIndex(this.peerName);
  }

  /** Adds an address (with prefix, e.g. `10.200.1.5/24`) to this end. */
  addAddress(cidr: string): void {
    using nl = new RtNetlink();
    nl.addAddress(this.ifindex, cidr);
  }

  /** Adds an address (with prefix) to the peer end, inside its namespace when it has one. */
  addPeerAddress(cidr: string): void {
    const add = (): void => {
      using nl = new RtNetlink();
      nl.addAddress(ifNameToIndex(this.peerName), cidr);
    };
    if (this.peerNamespace) this.peerNamespace.run(add); else add();
  }

  /** Deletes the pair (deleting one end removes both). Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    leftovers.delete(this);
    const here = ifNameToIndex(this.name);
    if (here !== 0) {
      using nl = new RtNetlink();
      nl.deleteLink(here);
    } else if (this.peerNamespace && !this.peerNamespace.closed) {
      this.peerNamespace.run(() => {
        const there = ifNameToIndex(this.peerName);
        if (there === 0) return;
        using nl = new RtNetlink();
        nl.deleteLink(there);
      });
    }
  }

  /** Same as {@link VethPair.close}, for `using`. */
  [Symbol.dispose](): void {
    this.close();
  }
}

/** Creates a veth pair, optionally moving the peer into a namespace and giving both ends addresses. */
export function createVethPair(opts: VethOptions = {}): VethPair {
  const name = opts.name ?? uniqueName('tsv');
  const peerName = opts.peerName ?? `${name.slice(0, 14)}p`;
  const ns = opts.peerNamespace;
  {
    using nl = new RtNetlink();
    const nsFd = ns ? openRaw(ns.path, O_RDONLY_CLOEXEC) : undefined;
    if (nsFd !== undefined && nsFd < 0) throw syscallError(`open(${ns!.path})`, -nsFd);
    try {
      nl.addVeth(name, peerName, nsFd);
    } finally {
      if (nsFd !== undefined) closeRaw(nsFd);
    }
  }
  const pair = new VethPair({
    name, peerName, peerNamespace: ns,
    address: opts.address?.split('/')[0], peerAddress: opts.peerAddress?.split('/')[0],
  });
  track(pair);
  try {
    const configure = (ifname: string, cidr: string | undefined) => {
      using nl = new RtNetlink();
      const index = ifNameToIndex(ifname);
      if (cidr) nl.addAddress(index, cidr);
      nl.setUp(index);
    };
    configure(name, opts.address);
    if (ns) ns.run(() => configure(peerName, opts.peerAddress)); else configure(peerName, opts.peerAddress);
  } catch (e) {
    pair.close();
    throw e;
  }
  return pair;
}

/**
 * A `10.a.b` /24 that no interface here has an address in: random, so that test networks set up
 * at the same time by different processes do not collide.
 */
export function freeSubnet(): string {
  const used = new Set(Object.values(networkInterfaces()).flat().map((i) => i?.address.split('.').slice(0, 3).join('.')));
  for (;;) {
    const s = `10.${100 + Math.floor(Math.random() * 150)}.${Math.floor(Math.random() * 256)}`;
    if (!used.has(s)) return s;
  }
}

/** A namespace with a veth pair into it: the test and example network. */
export interface TestNetwork extends Disposable {
  /** The namespace holding the peer end. */
  readonly ns: NetNamespace;
  /** The pair: `name` here, `peerName` in `ns`. */
  readonly veth: VethPair;
  /** Removes the pair, then the namespace. */
  close(): void;
}

/**
 * Creates a namespace and a veth pair into it, addressed `10.<a>.<b>.1/24` here and `.2` in the
 * namespace (`subnet` picks `<a>.<b>`, default a random one no interface here uses: {@link freeSubnet}). Removed on close,
 * and on failure part-way.
 */
export function createTestNetwork(subnet?: string): TestNetwork {
  const net = subnet ?? freeSubnet();
  const ns = NetNamespace.create();
  let veth: VethPair;
  try {
    veth = createVethPair({ peerNamespace: ns, address: `${net}.1/24`, peerAddress: `${net}.2/24` });
  } catch (e) {
    ns.close();
    throw e;
  }
  const close = () => {
    try {
      veth.close();
    } finally {
      ns.close();
    }
  };
  return { ns, veth, close, [Symbol.dispose]: close };
}
