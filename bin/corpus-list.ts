/**
 * Which traces a corpus run checks (`devrr replay DIR`, `devrr migrate-check
 * A B C`): the arguments in the order given; a directory stands for every
 * `.devrr` file under it, in sorted order. The walk is bounded (depth and
 * entries, so a directory from a stranger cannot make it run away), never
 * follows a symlink to a directory (no cycles), and counts what it skips.
 */
import { lstatSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from './cli.js';

/** Deepest directory level walked below an argument. */
export const MAX_DEPTH = 32;
/** Most directory entries looked at, over all arguments. */
export const MAX_ENTRIES = 1_000_000;

export interface TraceList {
  /** The traces to check, in order. */
  readonly files: string[];
  /** Entries under the directories that are not `.devrr` files (other files, symlinks to directories, sockets, ...). */
  readonly skipped: number;
  /** Whether some argument was a directory (then even one trace is reported as a corpus). */
  readonly sawDirectory: boolean;
}

/** The traces the arguments name: files as given, directories walked. */
export function listTraces(cmd: string, args: readonly string[]): TraceList {
  const files: string[] = [];
  let skipped = 0;
  let entries = 0;
  let sawDirectory = false;
  const walk = (dir: string, depth: number): void => {
    if (depth > MAX_DEPTH) throw new UsageError(`devrr ${cmd}: ${dir}: directories nest deeper than ${MAX_DEPTH} levels; give a narrower directory`);
    let names;
    try {
      names = readdirSync(dir, { withFileTypes: true });
    } catch (e) {
      throw new UsageError(`devrr ${cmd}: cannot read directory ${dir}: ${(e as Error).message}`);
    }
    entries += names.length;
    if (entries > MAX_ENTRIES) throw new UsageError(`devrr ${cmd}: more than ${MAX_ENTRIES} entries under the directories given; give a narrower directory`);
    // Sorted by name (code units), so the order is the same on every file system.
    names.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const d of names) {
      const path = join(dir, d.name);
      if (d.isDirectory()) walk(path, depth + 1);
      else if (!d.name.endsWith('.devrr')) skipped++;
      else if (d.isFile()) files.push(path);
      else if (d.isSymbolicLink() && isFile(path)) files.push(path); // a link to a trace; never to a directory
      else skipped++;
    }
  };
  for (const a of args) {
    let st;
    try {
      st = lstatSync(a);
    } catch {
      files.push(a); // missing: checked, and reported unreadable, with the rest
      continue;
    }
    if (st.isDirectory() || (st.isSymbolicLink() && isDirectory(a))) {
      sawDirectory = true;
      walk(a, 0);
    } else files.push(a);
  }
  return { files, skipped, sawDirectory };
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
