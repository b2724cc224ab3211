/**
 * XDP programs on a network interface, as a BPF link (BPF_LINK_CREATE with BPF_XDP): native
 * (driver) mode, generic (skb) mode, or offload, chosen with the XDP_FLAGS_* mode bits.
 * @module
 */
import { AttachType } from '../../asm/attach-types.js';
import type { HasFd } from '../fd.js';
import { Link } from '../link.js';
import { inInterfaceNamespace } from './ifaces.js';
import type { InterfaceTarget } from './ifaces.js';
import { linkCreate } from './link-create.js';

/** XDP attach modes: `native` (driver), `generic` (skb), `offload` (NIC), `auto` (native if possible). */
export type XdpMode = 'native' | 'generic' | 'offload' | 'auto';

/** XDP_FLAGS_* mode bits (include/uapi/linux/if_link.h). */
export const XdpFlags = { UPDATE_IF_NOEXIST: 1, SKB_MODE: 2, DRV_MODE: 4, HW_MODE: 8, REPLACE: 16 } as const;

const MODE_FLAGS: Record<XdpMode, number> = {
  auto: 0, generic: XdpFlags.SKB_MODE, native: XdpFlags.DRV_MODE, offload: XdpFlags.HW_MODE,
};

/** Where and how to attach an XDP program. */
export interface XdpOptions extends InterfaceTarget {
  /** Default `auto`. */
  readonly mode?: XdpMode;
}

/** Attaches an `xdp` program to an interface. Closing the link detaches it. */
export function attachXdp(prog: HasFd, opts: XdpOptions): Link {
  const mode = opts.mode ?? 'auto';
  return inInterfaceNamespace(opts, (ifindex, label) => {
    const fd = linkCreate({
      prog, target: ifindex, attachType: AttachType.XDP, flags: MODE_FLAGS[mode], what: `xdp (${mode}) on ${label}`,
      hints: {
        16: 'another XDP program is attached to this interface in this mode (or by netlink)',
        95: mode === 'native' ? 'the driver has no native XDP support: use mode "generic"' : 'this interface does not support XDP in this mode',
        19: 'no such interface',
        22: 'the program is not an xdp program, or the mode flags conflict with an XDP program already attached',
      },
    });
    return new Link({ kind: `xdp ${mode}`, target: label, links: [fd] });
  });
}
