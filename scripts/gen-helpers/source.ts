/**
 * Reads files of a Linux source tree given either as a checked-out directory or as a bare git
 * directory (read at HEAD with `git show`), so the generator works on the fetched mirror as is.
 * @module
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/** A read-only view of a kernel source tree. */
export interface KernelTree {
  /** The text of a file by its path inside the tree, or undefined when absent. */
  read(rel: string): string | undefined;
  /** The paths of files inside the tree containing `needle` (fixed string), within `under` folders. */
  grep(needle: string, under: readonly string[]): string[];
}

/** Opens a kernel tree: a work tree when it has `include/uapi`, else a bare git directory at HEAD. */
export function openKernelTree(root: string): KernelTree {
  const isWorkTree = existsSync(path.join(root, 'include', 'uapi'));
  const git = (args: string[]): string =>
    execFileSync('git', isWorkTree ? ['-C', root, ...args] : ['--git-dir', root, ...args], {
      encoding: 'utf8', maxBuffer: 1 << 28, stdio: ['ignore', 'pipe', 'ignore'],
    });
  return {
    read(rel) {
      if (isWorkTree) {
        const p = path.join(root, rel);
        return existsSync(p) ? readFileSync(p, 'utf8') : undefined;
      }
      try { return git(['show', `HEAD:${rel}`]); } catch { return undefined; }
    },
    grep(needle, under) {
      let out = '';
      try {
        out = isWorkTree
          ? execFileSync('grep', ['-rlF', '--include=*.c', '--include=*.h', needle, ...under], {
            cwd: root, encoding: 'utf8', maxBuffer: 1 << 26,
          })
          : git(['grep', '-lF', needle, 'HEAD', '--', ...under.map((u) => `${u}/*.c`), ...under.map((u) => `${u}/*.h`)]);
      } catch (e) {
        // grep exits 1 when nothing matches.
        out = (e as { stdout?: string }).stdout ?? '';
      }
      return [...new Set(out.split('\n').filter(Boolean).map((l) => l.replace(/^HEAD:/, '')))].sort();
    },
  };
}
