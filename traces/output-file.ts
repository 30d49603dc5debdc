/**
 * The safety rules for a trace's output path, applied by TraceWriter before
 * it writes a byte (FORMAT.md, "Writer behaviour"):
 *
 * - Only a regular file is ever replaced. A symlink is written through: the
 *   trace replaces the regular file it names, or creates it (the symlink
 *   stays). A FIFO, a device, a socket or a directory is refused, whether
 *   named directly or through symlinks.
 * - One writer per path: `<path>.lock`, created atomically (link(2) of a
 *   file already holding "pid host"), refuses a second writer while its
 *   holder lives; a lock whose process is gone is taken over, with a note.
 * - A `<path>.incomplete` left by a recording that did not finish is the
 *   only copy of that recording: it is kept under a new name
 *   (`<name>.crashed-N.devrr`, never overwriting a file), with a note.
 */
import { closeSync, linkSync, lstatSync, openSync, readFileSync, readlinkSync, renameSync, type Stats, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { threadId } from 'node:worker_threads';
import { TraceError, describeThrown } from './errors.js';

/**
 * The output path cannot be used: one line, `${file}: ${what}`, with no byte
 * offset (there is no trace yet). A TraceError with code `io`, so callers
 * that print TraceErrors as one line and exit 2 handle it as they are.
 */
export class OutputFileError extends TraceError {
  constructor(file: string, what: string, options?: { cause?: unknown }) {
    super('io', file, 0, what, options);
    this.message = `${file}: ${what}`;
  }
}

/** What kind of file `st` is, for messages ("a FIFO"). */
export function fileKind(st: Stats): string {
  if (st.isFile()) return 'a regular file';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symlink';
  if (st.isFIFO()) return 'a FIFO';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

function code(e: unknown): string | undefined {
  return (e as NodeJS.ErrnoException)?.code;
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch (e) {
    if (code(e) === 'ENOENT') return null;
    throw new OutputFileError(path, `cannot inspect: ${describeThrown(e)}`, { cause: e });
  }
}

const REFUSE = 'devrr replaces only a regular file (or writes through a symlink to one), so it left it alone';

/** Symlinks followed at most (Linux's MAXSYMLINKS). */
const MAX_SYMLINK_HOPS = 40;

/**
 * The file the trace will replace: `path` itself, or for a symlink the name
 * its chain of symlinks ends at (created there if absent, as a shell's `>`
 * does). Throws OutputFileError, touching nothing, when that is not a
 * regular file or absent, or its directory is missing.
 */
export function resolveOutput(path: string): string {
  let target = path;
  let st = lstatOrNull(target);
  for (let hops = 0; st?.isSymbolicLink(); hops++) {
    if (hops === MAX_SYMLINK_HOPS) throw new OutputFileError(path, `refusing to write the trace here: it is a symlink loop; ${REFUSE}`);
    let to: string;
    try {
      to = readlinkSync(target);
    } catch (e) {
      throw new OutputFileError(path, `cannot follow the symlink ${target}: ${describeThrown(e)}`, { cause: e });
    }
    target = resolve(dirname(target), to);
    st = lstatOrNull(target);
  }
  if (st && !st.isFile()) {
    const what = target === path ? fileKind(st) : `a symlink to ${fileKind(st)} (${target})`;
    throw new OutputFileError(path, `refusing to write the trace here: it is ${what}; ${REFUSE}`);
  }
  const dir = dirname(target);
  let dst: Stats;
  try {
    dst = statSync(dir);
  } catch (e) {
    throw new OutputFileError(path, `cannot create the trace: directory ${dir} ${code(e) === 'ENOENT' ? 'does not exist' : `cannot be used (${describeThrown(e)})`}`, { cause: e });
  }
  if (!dst.isDirectory()) throw new OutputFileError(path, `cannot create the trace: ${dir} is not a directory`);
  return target;
}

/** Checks again, just before the rename, that `target` is still absent or a regular file. */
export function checkStillReplaceable(target: string, keptAs: string): void {
  const st = lstatOrNull(target);
  if (st && !st.isFile()) throw new OutputFileError(target, `became ${fileKind(st)} during the recording; ${REFUSE}; the finished trace is ${keptAs}`);
}

let lockSeq = 0;
/** The lock files this process holds (a lock naming our pid but not in here is a dead namesake's). */
const heldHere = new Set<string>();

/** The pid and host a lock file names, or null when it does not hold "PID HOST". */
function readLock(path: string): { pid: number; host: string } | null {
  const m = /^(\d{1,10}) (\S*)\n?$/.exec(readFileSync(path, 'utf8').slice(0, 512));
  if (!m) return null;
  const pid = Number(m[1]);
  return pid > 0 ? { pid, host: m[2]! } : null;
}

/**
 * Whether a lock's holder is gone: a process on this host that no longer
 * exists, or this process's own pid on a lock this process does not hold
 * (a dead process that had the same pid, as happens across containers).
 */
function stale(lock: string, h: { pid: number; host: string }): boolean {
  if (h.host !== hostname()) return false;
  if (h.pid === process.pid) return !heldHere.has(lock);
  return !alive(h.pid);
}

/** Whether process `pid` on this host exists (EPERM: it does, as another user). */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return code(e) !== 'ESRCH';
  }
}

/**
 * An exclusive lock on one output path, held by this process: `<target>.lock`.
 * Node has no flock(2), so the lock is a file created with O_EXCL semantics
 * (link(2) fails with EEXIST when the name exists) that names its holder.
 */
export class OutputLock {
  private held = true;

  private constructor(
    readonly path: string,
    private readonly content: string,
  ) {}

  /**
   * Takes the lock on `target` for `path` (the name the user gave, for
   * messages), or throws OutputFileError naming the holder. A lock whose
   * holder is no longer running on this host is taken over; `notes` gets a
   * line saying so.
   */
  static acquire(target: string, path: string, notes: string[]): OutputLock {
    const lock = `${target}.lock`;
    const content = `${process.pid} ${hostname()}\n`;
    let tmp = '';
    let fd = -1;
    for (let tries = 0; fd < 0; tries++) {
      // O_EXCL: never write through a name someone else planted.
      tmp = `${lock}.${process.pid}-${threadId}-${lockSeq++}.tmp`;
      try {
        fd = openSync(tmp, 'wx');
      } catch (e) {
        if (code(e) !== 'EEXIST' || tries > 100) throw new OutputFileError(path, `cannot create the lock file ${lock}: ${code(e) ?? describeThrown(e)}`, { cause: e });
      }
    }
    try {
      writeSync(fd, content);
    } finally {
      closeSync(fd);
    }
    try {
      for (let attempt = 0; attempt < 8; attempt++) {
        if (tryLink(tmp, lock, content)) {
          heldHere.add(lock);
          return new OutputLock(lock, content);
        }
        let holder: { pid: number; host: string } | null;
        try {
          holder = readLock(lock);
        } catch (e) {
          if (code(e) === 'ENOENT') continue; // released meanwhile: try again
          throw new OutputFileError(path, `cannot read the lock file ${lock}: ${code(e) ?? describeThrown(e)}`, { cause: e });
        }
        if (holder === null) throw new OutputFileError(lock, `exists but does not hold a devrr lock ("PID HOST"); remove it if no devrr is writing ${target}`);
        if (!stale(lock, holder)) throw held(path, lock, holder);
        // Stale: move it aside under a name of our own, then check that what
        // moved is still the dead holder's (another process may have taken
        // the lock over between our read and the rename).
        const aside = `${lock}.${process.pid}-${threadId}-${lockSeq++}.stale`;
        try {
          renameSync(lock, aside);
        } catch (e) {
          if (code(e) === 'ENOENT') continue;
          throw new OutputFileError(path, `cannot take over the stale lock ${lock}: ${code(e) ?? describeThrown(e)}`, { cause: e });
        }
        const moved = readLock(aside);
        if (moved && !stale(lock, moved)) {
          try {
            linkSync(aside, lock); // put the live lock back
          } catch {
            // Someone holds the name again; the live holder's lock is theirs to lose.
          }
          unlinkSync(aside);
          throw held(path, lock, moved);
        }
        unlinkSync(aside);
        notes.push(`note: ${lock} was left by devrr pid ${holder.pid}, which is no longer running; took the lock over`);
      }
      throw new OutputFileError(path, `cannot take the lock ${lock}: other processes keep taking it`);
    } finally {
      try {
        unlinkSync(tmp);
      } catch {
        // Already gone (the non-link fallback renames it).
      }
    }
  }

  /** Removes the lock file if it is still ours. Never throws. */
  release(): void {
    if (!this.held) return;
    this.held = false;
    heldHere.delete(this.path);
    try {
      if (readFileSync(this.path, 'utf8') === this.content) unlinkSync(this.path);
    } catch {
      // Gone already, or unreadable: nothing of ours to remove.
    }
  }
}

/** link(tmp, lock): true when we now hold `lock`, false when it exists. */
function tryLink(tmp: string, lock: string, content: string): boolean {
  try {
    linkSync(tmp, lock);
    return true;
  } catch (e) {
    if (code(e) === 'EEXIST') return false;
    if (code(e) !== 'EPERM' && code(e) !== 'ENOTSUP' && code(e) !== 'ENOSYS') throw new OutputFileError(lock, `cannot create the lock file: ${code(e) ?? describeThrown(e)}`, { cause: e });
  }
  // A file system without hard links: O_EXCL create, then write the holder.
  let fd: number;
  try {
    fd = openSync(lock, 'wx');
  } catch (e) {
    if (code(e) === 'EEXIST') return false;
    throw new OutputFileError(lock, `cannot create the lock file: ${code(e) ?? describeThrown(e)}`, { cause: e });
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

function held(path: string, lock: string, h: { pid: number; host: string }): OutputFileError {
  const who = h.host === hostname() ? `pid ${h.pid}` : `pid ${h.pid} on host ${h.host}`;
  return new OutputFileError(path, `another devrr is writing this trace (${who}, lock file ${lock}); refusing a second writer (remove the lock file only if that process is not devrr)`);
}

/** `run.devrr` -> `run.crashed-N.devrr` (other names: `NAME.crashed-N.devrr`). */
export function crashedName(target: string, n: number): string {
  return `${target.endsWith('.devrr') ? target.slice(0, -'.devrr'.length) : target}.crashed-${n}.devrr`;
}

/**
 * Keeps a `<target>.incomplete` left by a recording that did not finish
 * (crashed, killed or interrupted): renames it to the first free
 * `crashed-N` name, never overwriting a file, and adds a note. Call it with
 * the lock held. Throws OutputFileError when the name holds something that
 * is not a regular file.
 */
export function keepCrashed(target: string, path: string, notes: string[]): void {
  const inc = `${target}.incomplete`;
  const st = lstatOrNull(inc);
  if (st === null) return;
  if (!st.isFile()) throw new OutputFileError(path, `${inc} exists and is ${fileKind(st)}, not a trace devrr left; remove it to record here`);
  for (let n = 1; n < 100000; n++) {
    const name = crashedName(target, n);
    try {
      linkSync(inc, name);
    } catch (e) {
      if (code(e) === 'EEXIST') continue;
      if (code(e) !== 'EPERM' && code(e) !== 'ENOTSUP' && code(e) !== 'ENOSYS') throw new OutputFileError(path, `cannot keep ${inc} as ${name}: ${code(e) ?? describeThrown(e)}`, { cause: e });
      // No hard links here: rename when the name is free (we hold the lock).
      if (lstatOrNull(name) !== null) continue;
      renameSync(inc, name);
      notes.push(crashedNote(inc, name, st.size));
      return;
    }
    unlinkSync(inc);
    notes.push(crashedNote(inc, name, st.size));
    return;
  }
  throw new OutputFileError(path, `cannot keep ${inc}: every name ${crashedName(target, 1)}..${crashedName(target, 99999)} is taken`);
}

function crashedNote(inc: string, name: string, size: number): string {
  return `note: ${inc} (${size} bytes) was left by a recording that did not finish (crashed, killed or interrupted); kept it as ${name} (devrr info/replay read it)`;
}
