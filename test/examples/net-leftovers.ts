/**
 * What the networking example tests compare before and after: open fds, and the network
 * namespaces (/run/netns) and interfaces this process created (netns.ts names them
 * `tsebpf<pid tag><n>` and `tsv<pid tag><n>[p]`; other processes' are ignored, so tests running at
 * the same time elsewhere do not disturb the comparison).
 * @module
 */
import { existsSync, readdirSync } from 'node:fs';

/** A snapshot of what an example could leave behind. */
export interface Leftovers {
  /** Number of open fds of this process. */
  readonly fds: number;
  /** Named network namespaces this process created. */
  readonly netns: readonly string[];
  /** Interfaces this process created, in its own network namespace. */
  readonly links: readonly string[];
}

const tag = (process.pid % 100000).toString(36);
const ours = (names: string[]): string[] => names.filter((n) => n.startsWith(`tsebpf${tag}`) || n.startsWith(`tsv${tag}`)).sort();

/** Takes the snapshot. */
export function leftovers(): Leftovers {
  return {
    fds: readdirSync('/proc/self/fd').length,
    netns: ours(existsSync('/run/netns') ? readdirSync('/run/netns') : []),
    links: ours(readdirSync('/sys/class/net')),
  };
}
