/**
 * The trace writer never destroys a file of the user's (issue 9, items 1-3):
 * it replaces only a regular file, writes through a symlink, keeps one
 * writer per path with a lock file, and keeps an earlier crashed recording.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, readFileSync, readdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { TraceError } from '../../traces/errors.js';
import type { TraceEvent } from '../../traces/events.js';
import type { TraceHeaderInit } from '../../traces/format.js';
import { TraceReader } from '../../traces/reader.js';
import { TraceWriter } from '../../traces/writer.js';
import { tempDir } from '../tmp.js';

const dir = tempDir();
let seq = 0;
/** A fresh directory per test, so listings show only what the test made. */
const sub = (): string => {
  const d = join(dir, `t${seq++}`);
  mkdirSync(d);
  return d;
};

const HEADER: TraceHeaderInit = { devrrVersion: '0.1.0', arch: 'arm64', ipaBits: 40, models: { 'arm-vgic-v2': 1 }, checkpointEvery: 1000 };
/** Event k of a recording: VM 0 is created first, as in every trace (the reader refuses events of a VM not yet made). */
const EV = (k: number): TraceEvent => (k === 0 ? { kind: 'create_vm', vm: 0, arch: 'arm64', ipaBits: 40 } : { kind: 'irq_line', vm: 0, irq: 32, level: k & 1, errno: 0 });

function record(path: string, n: number): TraceWriter {
  const w = TraceWriter.create(path, HEADER, { chunkSize: 100 });
  for (let k = 0; k < n; k++) w.append(EV(k));
  return w;
}

function events(path: string): number {
  const r = TraceReader.open(path);
  try {
    return r.eventCount;
  } finally {
    r.close();
  }
}

/** The TraceError create() throws (anything else fails the test). */
function refused(f: () => unknown): TraceError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(TraceError);
    expect((e as Error).message).not.toMatch(/\n/);
    return e as TraceError;
  }
  throw new Error('expected a refusal');
}

describe('only a regular file is replaced (issue 9 item 1)', () => {
  it('a FIFO at the output path is refused and left a FIFO, with no .incomplete or .lock beside it', () => {
    const d = sub();
    const fifo = join(d, 'out.devrr');
    expect(spawnSync('mkfifo', [fifo]).status).toBe(0);
    const e = refused(() => TraceWriter.create(fifo, HEADER));
    expect(e.message).toBe(`${fifo}: refusing to write the trace here: it is a FIFO; devrr replaces only a regular file (or writes through a symlink to one), so it left it alone`);
    expect(lstatSync(fifo).isFIFO()).toBe(true);
    expect(readdirSync(d)).toEqual(['out.devrr']);
  });

  it('a directory, a symlink (or a chain of them) to a FIFO and a symlink loop are refused, nothing touched', () => {
    const d = sub();
    mkdirSync(join(d, 'adir'));
    spawnSync('mkfifo', [join(d, 'fifo')]);
    symlinkSync('fifo', join(d, 'to-fifo.devrr'));
    symlinkSync('to-fifo.devrr', join(d, 'chain.devrr'));
    symlinkSync('loop-b', join(d, 'loop-a'));
    symlinkSync('loop-a', join(d, 'loop-b'));
    expect(refused(() => TraceWriter.create(join(d, 'adir'), HEADER)).message).toMatch(/: it is a directory;/);
    expect(refused(() => TraceWriter.create(join(d, 'to-fifo.devrr'), HEADER)).message).toMatch(/: it is a symlink to a FIFO \(.*fifo\);/);
    expect(refused(() => TraceWriter.create(join(d, 'chain.devrr'), HEADER)).message).toMatch(/: it is a symlink to a FIFO \(.*fifo\);/);
    expect(refused(() => TraceWriter.create(join(d, 'loop-a'), HEADER)).message).toMatch(/: it is a symlink loop;/);
    expect(readdirSync(d).sort()).toEqual(['adir', 'chain.devrr', 'fifo', 'loop-a', 'loop-b', 'to-fifo.devrr']);
    expect(readdirSync(join(d, 'adir'))).toEqual([]);
    expect(lstatSync(join(d, 'fifo')).isFIFO()).toBe(true);
  });

  it('a character device at the output path is refused (a mknod in a temp dir, never the real /dev/null)', (ctx) => {
    const d = sub();
    const dev = join(d, 'null.devrr');
    if (spawnSync('mknod', [dev, 'c', '1', '3']).status !== 0) {
      ctx.skip('mknod is not permitted here (not root, or no CAP_MKNOD): character device case not tested');
      return;
    }
    expect(refused(() => TraceWriter.create(dev, HEADER)).message).toMatch(/: it is a character device;/);
    expect(lstatSync(dev).isCharacterDevice()).toBe(true);
    expect(readdirSync(d)).toEqual(['null.devrr']);
  });

  it('a symlink to a regular file is written through: the file it names gets the trace, the symlink stays', () => {
    const d = sub();
    writeFileSync(join(d, 'real.devrr'), 'old contents');
    symlinkSync('real.devrr', join(d, 'link.devrr'));
    const w = record(join(d, 'link.devrr'), 250);
    expect(w.path).toBe(join(d, 'real.devrr'));
    w.close();
    expect(lstatSync(join(d, 'link.devrr')).isSymbolicLink()).toBe(true);
    expect(events(join(d, 'real.devrr'))).toBe(250);
    expect(readdirSync(d).sort()).toEqual(['link.devrr', 'real.devrr']);
  });

  it('a symlink to a file not there yet is written through too: the file is created where it points', () => {
    const d = sub();
    mkdirSync(join(d, 'traces'));
    symlinkSync('traces/latest.devrr', join(d, 'alias.devrr'));
    record(join(d, 'alias.devrr'), 7).close();
    expect(events(join(d, 'traces', 'latest.devrr'))).toBe(7);
    expect(lstatSync(join(d, 'alias.devrr')).isSymbolicLink()).toBe(true);
    expect(readdirSync(join(d, 'traces'))).toEqual(['latest.devrr']);
  });

  it('a path that turns into a FIFO while recording is left alone on close; the whole trace stays in .incomplete', () => {
    const d = sub();
    const path = join(d, 'out.devrr');
    const w = record(path, 150);
    spawnSync('mkfifo', [path]);
    expect(refused(() => w.close()).message).toMatch(/became a FIFO during the recording; .*the finished trace is .*out\.devrr\.incomplete$/);
    expect(lstatSync(path).isFIFO()).toBe(true);
    const r = TraceReader.open(`${path}.incomplete`);
    expect([r.complete, r.eventCount]).toEqual([true, 150]);
    r.close();
    expect(existsSync(`${path}.lock`)).toBe(false);
  });
});

describe('one writer per output path (issue 9 item 2)', () => {
  it('a second writer on the same path is refused naming the path, the holder pid and the lock file; the first finishes whole', () => {
    const d = sub();
    const path = join(d, 'run.devrr');
    const a = record(path, 300);
    const e = refused(() => TraceWriter.create(path, HEADER));
    expect(e.message).toBe(`${path}: another devrr is writing this trace (pid ${process.pid}, lock file ${path}.lock); refusing a second writer (remove the lock file only if that process is not devrr)`);
    // Through a symlink too: the lock is on the file written.
    symlinkSync('run.devrr', join(d, 'alias.devrr'));
    expect(refused(() => TraceWriter.create(join(d, 'alias.devrr'), HEADER)).message).toMatch(/another devrr is writing this trace/);
    a.append(EV(0));
    a.close();
    expect(events(path)).toBe(301);
    expect(existsSync(`${path}.lock`)).toBe(false);
    // Released: the path can be recorded again.
    record(path, 5).close();
    expect(events(path)).toBe(5);
  });

  it('abort() and a refused header release the lock', () => {
    const d = sub();
    const path = join(d, 'run.devrr');
    record(path, 10).abort();
    expect(existsSync(`${path}.lock`)).toBe(false);
    expect(() => TraceWriter.create(path, { ...HEADER, ipaBits: 0 })).toThrow(/ipaBits/);
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('a lock left by a process that is gone is taken over, with a note naming its pid', () => {
    const d = sub();
    const path = join(d, 'run.devrr');
    // A real process that has exited: its pid is free (a reuse within this test is not plausible).
    const gone = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
    const pid = Number(gone.stdout);
    writeFileSync(`${path}.lock`, `${pid} ${hostname()}\n`);
    const w = record(path, 20);
    expect(w.notes).toEqual([`note: ${path}.lock was left by devrr pid ${pid}, which is no longer running; took the lock over`]);
    expect(readFileSync(`${path}.lock`, 'utf8')).toBe(`${process.pid} ${hostname()}\n`);
    w.close();
    expect(events(path)).toBe(20);
    expect(readdirSync(d)).toEqual(['run.devrr']);
  });

  it('a lock naming this pid that this process does not hold (a dead namesake, as across containers) is stale', () => {
    const d = sub();
    const path = join(d, 'run.devrr');
    writeFileSync(`${path}.lock`, `${process.pid} ${hostname()}\n`);
    const w = record(path, 1);
    expect(w.notes[0]).toMatch(/was left by devrr pid \d+, which is no longer running; took the lock over/);
    w.close();
  });

  it('a lock from another host, or a file that is not a devrr lock, is refused and left as it was', () => {
    const d = sub();
    const path = join(d, 'run.devrr');
    writeFileSync(`${path}.lock`, `1 some-other-host\n`);
    expect(refused(() => TraceWriter.create(path, HEADER)).message).toMatch(/another devrr is writing this trace \(pid 1 on host some-other-host, lock file /);
    writeFileSync(`${path}.lock`, 'not a lock');
    expect(refused(() => TraceWriter.create(path, HEADER)).message).toBe(`${path}.lock: exists but does not hold a devrr lock ("PID HOST"); remove it if no devrr is writing ${path}`);
    expect(readFileSync(`${path}.lock`, 'utf8')).toBe('not a lock');
    expect(readdirSync(d)).toEqual(['run.devrr.lock']);
  });
});

describe("an earlier crash's .incomplete is kept, never truncated (issue 9 item 3)", () => {
  it('is renamed to NAME.crashed-N.devrr (the first free N, an existing one never overwritten), with a note, and the new recording proceeds', () => {
    const d = sub();
    const path = join(d, 'run.devrr');
    record(path, 250).abort(); // the crashed recording: 200 events in complete chunks
    writeFileSync(join(d, 'run.crashed-1.devrr'), 'a file of the user'); // the name is taken
    const w = record(path, 30);
    expect(w.notes).toEqual([
      `note: ${path}.incomplete (${lstatSync(join(d, 'run.crashed-2.devrr')).size} bytes) was left by a recording that did not finish (crashed, killed or interrupted); kept it as ${join(d, 'run.crashed-2.devrr')} (devrr info/replay read it)`,
    ]);
    w.close();
    expect(readFileSync(join(d, 'run.crashed-1.devrr'), 'utf8')).toBe('a file of the user');
    expect(events(join(d, 'run.crashed-2.devrr'))).toBe(200);
    expect(events(path)).toBe(30);
    expect(readdirSync(d).sort()).toEqual(['run.crashed-1.devrr', 'run.crashed-2.devrr', 'run.devrr']);
  });

  it('a name without .devrr gets .crashed-N.devrr appended', () => {
    const d = sub();
    const path = join(d, 'trace.out');
    record(path, 100).abort();
    record(path, 1).close();
    expect(readdirSync(d).sort()).toEqual(['trace.out', 'trace.out.crashed-1.devrr']);
  });

  it('a .incomplete that is a symlink is refused and never followed (its target keeps its bytes)', () => {
    const d = sub();
    const path = join(d, 'run.devrr');
    writeFileSync(join(d, 'victim'), 'precious');
    symlinkSync('victim', `${path}.incomplete`);
    expect(refused(() => TraceWriter.create(path, HEADER)).message).toBe(`${path}: ${path}.incomplete exists and is a symlink, not a trace devrr left; remove it to record here`);
    expect(readFileSync(join(d, 'victim'), 'utf8')).toBe('precious');
    expect(readdirSync(d).sort()).toEqual(['run.devrr.incomplete', 'victim']);
  });

  it('discard() removes the .incomplete it wrote and never touches the path', () => {
    const d = sub();
    const path = join(d, 'run.devrr');
    writeFileSync(path, 'earlier trace');
    record(path, 10).discard();
    expect(readdirSync(d)).toEqual(['run.devrr']);
    expect(readFileSync(path, 'utf8')).toBe('earlier trace');
  });
});
