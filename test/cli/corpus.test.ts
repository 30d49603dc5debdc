/**
 * Issue 13: a corpus on every core. `devrr replay` and `devrr migrate-check`
 * given several traces or a directory check them all (worker threads, one
 * per core), report a table or one JSON line per trace and a summary, and
 * exit with the worst status among the traces.
 */
import { copyFileSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { listTraces, MAX_DEPTH } from '../../bin/corpus-list.js';
import { checkAll } from '../../bin/corpus.js';
import { writeWorkloadTrace } from '../../replay/bench.js';
import { tempDir } from '../tmp.js';
import { devrr } from './run.js';

const tmp = tempDir();
const EX = 'traces/examples';

/** A directory of traces: good ones (one in a subdirectory), a README, and optionally a diverging and a cut trace. */
function corpus(name: string, opts: { diverged?: boolean; cut?: boolean } = {}): string {
  const d = join(tmp, name);
  mkdirSync(join(d, 'sub'), { recursive: true });
  copyFileSync(`${EX}/vgic-v2-bringup/vgic-v2-bringup.devrr`, join(d, 'b-bringup.devrr'));
  copyFileSync(`${EX}/two-runs-one-event/run-a.devrr`, join(d, 'sub', 'run-a.devrr'));
  copyFileSync(`${EX}/vgic-v2-bringup/README.md`, join(d, 'README.md'));
  writeFileSync(join(d, 'sub', 'notes.txt'), 'not a trace');
  if (opts.diverged) writeWorkloadTrace(join(d, 'a-planted.devrr'), 3000, { checkpointEvery: 1024, plantAt: 2000 });
  if (opts.cut) writeFileSync(join(d, 'c-cut.devrr'), 'DEVRR but not really');
  return d;
}

describe('devrr replay DIR', () => {
  test('every .devrr under the directory, in sorted order, in a table with a summary; other files are counted as skipped; exit 0', async () => {
    const d = corpus('ok');
    const r = await devrr('replay', d);
    expect(r.code).toBe(0);
    const lines = r.out.split('\n');
    expect(lines[0]).toMatch(/^TRACE\s+EVENTS\s+TIME\s+RESULT$/);
    expect(lines[1]).toMatch(new RegExp(`^${join(d, 'b-bringup.devrr')}\\s+35\\s+[\\d.]+ ms\\s+ok$`));
    expect(lines[2]).toMatch(new RegExp(`^${join(d, 'sub', 'run-a.devrr')}\\s+264\\s+[\\d.]+ ms\\s+ok$`));
    expect(lines[3]).toMatch(/^2 trace\(s\) \(2 non-\.devrr entries skipped\): 2 ok, 0 diverged, 0 unreadable; 299 events in [\d.]+ s on 2 thread\(s\)$/);
  });

  test('a diverging trace makes the exit status 1 and its row names the event; an unreadable one makes it 2', async () => {
    const d = corpus('div', { diverged: true });
    const r = await devrr('replay', d, '--jobs', '1');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/a-planted\.devrr\s+3000\s+[\d.]+ ms\s+diverged at event \d+ \(result\)/);
    const cut = corpus('divcut', { diverged: true, cut: true });
    const r2 = await devrr('replay', cut, '--jobs', '1');
    expect(r2.code).toBe(2);
    expect(r2.out).toMatch(/c-cut\.devrr\s+-\s+[\d.]+ ms\s+unreadable: byte \d+: /);
    expect(r2.out).toMatch(/4 trace\(s\) .*: 2 ok, 1 diverged, 1 unreadable;/);
    // And on stderr, as a single run says it: the file and the byte offset.
    expect(r2.err).toMatch(new RegExp(`^${join(cut, 'c-cut.devrr')}: byte \\d+: [^\\n]*$`));
  });

  test('--json: one object per trace per line, with the single-trace keys, then a summary', async () => {
    const d = corpus('json', { diverged: true, cut: true });
    const r = await devrr('replay', d, '--json');
    expect(r.code).toBe(2);
    const objs = r.out.split('\n').map((l) => JSON.parse(l));
    expect(objs.map((o) => o.file ?? 'summary')).toEqual([join(d, 'a-planted.devrr'), join(d, 'b-bringup.devrr'), join(d, 'c-cut.devrr'), join(d, 'sub', 'run-a.devrr'), 'summary']);
    expect(objs[0]).toMatchObject({ status: 1, divergence: { reason: 'result' } });
    expect(objs[0].events).toBeLessThan(3000); // as a single replay --json: the events replayed, up to the divergence
    expect(typeof objs[0].divergence.event).toBe('number');
    expect(objs[1]).toMatchObject({ status: 0, events: 35, divergence: null, complete: true });
    expect(objs[2].status).toBe(2);
    expect(objs[2].error).toMatch(/c-cut\.devrr: byte \d+/);
    expect(objs[4].summary).toMatchObject({ traces: 4, ok: 2, diverged: 1, unreadable: 1, skipped: 2, events: 3000 + 35 + 264, status: 2 });
  });

  test('several files on the command line are a corpus too, in the order given; one file alone keeps the single report', async () => {
    const a = `${EX}/two-runs-one-event/run-b.devrr`;
    const b = `${EX}/vgic-v2-bringup/vgic-v2-bringup.devrr`;
    const r = await devrr('replay', a, b, '--json');
    expect(r.code).toBe(0);
    expect(r.out.split('\n').map((l) => JSON.parse(l).file)).toEqual([a, b, undefined]);
    const one = await devrr('replay', b, '--json');
    expect(Object.keys(JSON.parse(one.out))).toEqual(['events', 'checkpoints', 'complete', 'divergence']);
  });

  test('a missing file among several is one unreadable row, not the end of the run', async () => {
    const r = await devrr('replay', `${EX}/vgic-v2-bringup/vgic-v2-bringup.devrr`, join(tmp, 'nope.devrr'));
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/nope\.devrr\s+-\s+[\d.]+ ms\s+unreadable: /);
    expect(r.out).toMatch(/1 ok, 0 diverged, 1 unreadable/);
    const two = await devrr('replay', join(tmp, 'nope.devrr'), join(tmp, 'nope2.devrr'));
    expect(two.err).toMatch(/^[^\n]*nope\.devrr: byte 0: cannot open trace file: [^\n]* \(and 1 more trace\(s\) like it: see the table\)$/);
  });

  test('a directory with no traces is exit 2 with one line; --jobs 0 too', async () => {
    const d = join(tmp, 'empty');
    mkdirSync(d);
    writeFileSync(join(d, 'x.txt'), '');
    const r = await devrr('replay', d);
    expect(r.code).toBe(2);
    expect(r.err).toBe('devrr replay: no .devrr traces found (1 other entry skipped)');
    expect((await devrr('replay', d, '--jobs', '0')).code).toBe(2);
  });

  test('--progress: progress lines on stderr even when it is not a terminal, and none without it', async () => {
    const d = corpus('progress');
    const r = await devrr('replay', d, '--progress', '--jobs', '1');
    expect(r.err).toMatch(/^replay: \d+\/2 traces · /m);
    expect(r.err).toMatch(/replay: 2\/2 traces · 2 ok · 0 diverged · 0 unreadable · /);
    expect((await devrr('replay', d, '--jobs', '1')).err).toBe('');
    expect((await devrr('replay', d, '--jobs', '1', '--json')).err).toBe('');
  });
});

describe('devrr migrate-check DIR', () => {
  test('a trace whose migration loses state is a failed row and exit 1', async () => {
    const d = join(tmp, 'mig');
    mkdirSync(d);
    copyFileSync(`${EX}/migration-missing-cpu-regs/migration-bad.devrr`, join(d, 'bad.devrr'));
    copyFileSync(`${EX}/migration-missing-cpu-regs/migration-good.devrr`, join(d, 'good.devrr'));
    const r = await devrr('migrate-check', d, '--jobs', '1');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/bad\.devrr\s+133\s+[\d.]+ ms\s+\d+ of \d+ check\(s\) failed \(first at event \d+\)/);
    expect(r.out).toMatch(/good\.devrr\s+138\s+[\d.]+ ms\s+ok \(\d+ check\(s\)\)/);
    const j = (await devrr('migrate-check', d, '--json')).out.split('\n').map((l) => JSON.parse(l));
    expect(j[0]).toMatchObject({ file: join(d, 'bad.devrr'), status: 1 });
    expect(j[0].failures.length).toBeGreaterThan(0);
    expect(j[2].summary).toMatchObject({ traces: 2, ok: 1, failed: 1, status: 1 });
  });
});

describe('worker threads', () => {
  test('traces checked in two worker threads give the outcomes of one thread, in the list\'s order', async () => {
    const d = corpus('threads', { diverged: true, cut: true });
    const { files } = listTraces('replay', [d, d, d]);
    const strip = (o: { status: number; events: number | null; result: string }) => [o.status, o.events, o.result];
    const one = await checkAll({ kind: 'replay' }, files, 1);
    expect(one.every((o) => o.thread === 0)).toBe(true);
    const order: number[] = [];
    const two = await checkAll({ kind: 'replay' }, files, 2, (i) => order.push(i), { here: false });
    expect(two.every((o) => o.thread !== 0)).toBe(true);
    expect(two.map(strip)).toEqual(one.map(strip));
    expect(two.map((o) => o.file)).toEqual(files);
    expect([...order].sort((a, b) => a - b)).toEqual(files.map((_, i) => i));
  });
});

describe('the directory walk', () => {
  test('sorted, recursive, non-.devrr entries counted, a symlink to a directory not followed (no cycles)', () => {
    const d = join(tmp, 'walk');
    mkdirSync(join(d, 'b', 'c'), { recursive: true });
    for (const f of ['z.devrr', 'a.devrr', 'b/c/y.devrr', 'b/x.devrr', 'b/readme']) writeFileSync(join(d, f), '');
    symlinkSync(d, join(d, 'b', 'loop'));
    symlinkSync(join(d, 'a.devrr'), join(d, 'link.devrr'));
    const l = listTraces('replay', [d]);
    expect(l.files).toEqual(['a.devrr', 'b/c/y.devrr', 'b/x.devrr', 'link.devrr', 'z.devrr'].map((f) => join(d, f)));
    expect(l.skipped).toBe(2);
    expect(l.sawDirectory).toBe(true);
  });

  test(`directories nested deeper than ${MAX_DEPTH} levels are refused with one line`, () => {
    let p = join(tmp, 'deep');
    for (let k = 0; k <= MAX_DEPTH + 1; k++) p = join(p, 'd');
    mkdirSync(p, { recursive: true });
    expect(() => listTraces('replay', [join(tmp, 'deep')])).toThrow(/nest deeper than 32 levels/);
  });
});
