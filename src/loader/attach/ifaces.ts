/**
 * Naming the network interface an XDP or tcx program attaches to: by name or index, optionally
 * inside a network namespace (entered with setns for the lookup and the attach).
 * @module
 */
import { BadInputError } from '../../errors.js';
import { ifNameToIndex } from '../ffi.js';
import type { NetNamespace } from '../netns.js';

/** An interface by name or index, optionally in another network namespace. */
export interface InterfaceTarget {
  /** Interface name, e.g. `eth0`. */
  readonly ifname?: string;
  /** Interface index (wins over `ifname`). */
  readonly ifindex?: number;
  /** The namespace the interface is in (default: the current one). */
  readonly namespace?: NetNamespace;
}

/** Runs `fn` in the target's namespace (or here) with the resolved ifindex and a printable name. */
export function inInterfaceNamespace<T>(t: InterfaceTarget, fn: (ifindex: number, label: string) => T): T {
  const body = () => {
    let ifindex = t.ifindex;
    if (ifindex === undefined) {
      if (!t.ifname) throw new BadInputError('name the interface: ifname or ifindex');
      ifindex = ifNameToIndex(t.ifname);
      if (ifindex === 0) throw new BadInputError(`no network interface named ${t.ifname}${t.namespace ? ` in namespace ${t.namespace.name}` : ''}`);
    }
    const label = `${t.ifname ?? 'ifindex'} (ifindex ${ifindex})${t.namespace ? ` in ${t.namespace.name}` : ''}`;
    return fn(ifindex, label);
  };
  return t.namespace ? t.namespace.run(body) : body();
}
