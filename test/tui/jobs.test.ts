/**
 * Long jobs in worker threads: they give the library's answers, report
 * progress, can be cancelled, and fail with the input's error message.
 */
import { describe, expect, test } from 'vitest';
import { writeWorkloadTrace } from '../../replay/bench.js';
import type { JobProgress, JobSpec } from '../../tui/jobs/run-job.js';
import { InlineRunner, WorkerRunner } from '../../tui/jobs/runner.js';
import { charKey, namedKey } from '../../tui/keys.js';
import { DebugSession, INLINE_EVENTS } from '../../tui/session.js';
import { tempDir } from '../tmp.js';
import { MIGRATION_BAD, RUN_A, RUN_B } from './helpers.js';

const dir = tempDir();

describe('the worker runner', () => {
  test('bisect run B against run A in a worker thread: event 171, with a report', async () => {
    const progress: JobProgress[] = [];
    const job = new WorkerRunner({ spare: 0 }).start({ kind: 'bisect', path: RUN_B, against: RUN_A }, (p) => progress.push(p));
    const out = await job.outcome;
    expect(out.status).toBe('done');
    if (out.status !== 'done' || out.result.kind !== 'bisect') throw new Error('no bisect result');
    expect(out.result.event).toBe(171);
    expect(out.result.report.title).toBe('bisect: first divergence at event 171');
    expect(out.result.report.lines.some((l) => l.text.startsWith('  gic.dist.irq[33].priority: 0xf8 -> 0xa0'))).toBe(true);
    expect(progress.length).toBeGreaterThan(0);
    expect(progress[0]!.total).toBeGreaterThan(0);
  });

  test('a job on a large trace is cancelled at once: terminated, outcome cancelled', async () => {
    const trace = `${dir}/big.devrr`;
    writeWorkloadTrace(trace, 200_000, { checkpointEvery: 4096, plantAt: 150_000 });
    const job = new WorkerRunner({ spare: 0 }).start({ kind: 'migrate', path: trace, at: 1000 }, () => {});
    job.cancel();
    expect(await job.outcome).toEqual({ status: 'cancelled' });
  });

  test('threads stay up between jobs: the next job runs on the thread of the last one; a cancelled job\'s thread is not reused', async () => {
    const runner = new WorkerRunner({ spare: 0 });
    try {
      const first = runner.start({ kind: 'search', path: RUN_B, query: 'GICC_IAR', from: 0, direction: 1 }, () => {});
      expect((await first.outcome).status).toBe('done');
      const second = runner.start({ kind: 'search', path: RUN_B, query: 'GICC_IAR', from: 200, direction: 1 }, () => {});
      const out = await second.outcome;
      if (out.status !== 'done' || out.result.kind !== 'search') throw new Error(JSON.stringify(out));
      expect(out.result.match?.text).toContain('GICC_IAR');
      expect(second.thread).toBe(first.thread);
      second.cancel(); // finished already: nothing to stop
      const third = runner.start({ kind: 'check', path: RUN_B }, () => {});
      expect(third.thread).toBe(first.thread);
      third.cancel();
      expect(await third.outcome).toEqual({ status: 'cancelled' });
      const fourth = runner.start({ kind: 'check', path: RUN_B }, () => {});
      expect(fourth.thread).not.toBe(first.thread);
      expect((await fourth.outcome).status).toBe('done');
    } finally {
      runner.close();
    }
  });

  test('a bad trace fails with the reader\'s one-line message', async () => {
    const out = await new WorkerRunner({ spare: 0 }).start({ kind: 'check', path: `${dir}/missing.devrr` }, () => {}).outcome;
    expect(out.status).toBe('failed');
    if (out.status === 'failed') expect(out.message).toMatch(/missing\.devrr: byte 0: cannot open trace file/);
  });
});

describe('where the TUI runs a job', () => {
  /** A real WorkerRunner that counts the jobs it is given. */
  function counted() {
    const inner = new WorkerRunner({ spare: 0 });
    const runner = { jobs: 0, start: (spec: JobSpec, p: (x: JobProgress) => void) => (runner.jobs++, inner.start(spec, p)), close: () => inner.close() };
    return runner;
  }

  test('a search on a small trace runs on the TUI\'s own thread: the match is there after one turn, no thread asked', async () => {
    const threads = counted();
    const session = new DebugSession(RUN_B, { threads, check: false });
    try {
      const sizes = { listRows: 10, detailRows: 5, treeRows: 10, diffRows: 5 };
      session.frame(sizes);
      session.start();
      await session.idle();
      for (const k of '/GICC_IAR') session.key(charKey(k));
      session.key(namedKey('return'));
      await new Promise<void>((r) => setImmediate(r));
      const st = session.frame(sizes).status;
      expect(st.message).toMatch(/^"GICC_IAR" at event \d+/);
      session.key(charKey('.'));
      await new Promise<void>((r) => setImmediate(r));
      expect(session.frame(sizes).status.position).toBeGreaterThan(st.position);
      expect(threads.jobs).toBe(0);
      // explain costs about 2 ms an event: on 264 events it runs in a thread.
      expect(264).toBeGreaterThan(INLINE_EVENTS.explain);
      session.key(charKey('e'));
      for (let i = 0; i < 5; i++) session.key(namedKey('backspace'));
      for (const k of '33') session.key(charKey(k));
      session.key(namedKey('return'));
      await session.idle();
      expect(threads.jobs).toBe(1);
      expect(session.frame(sizes).status.message).toMatch(/^irq 33 is/);
    } finally {
      session.close();
      threads.close();
    }
  });
});

describe('the inline runner', () => {
  test('migrate-check at a point of the bad migration: the CPU interface is lost', async () => {
    const out = await new InlineRunner().start({ kind: 'migrate', path: MIGRATION_BAD, at: 73 }, () => {}).outcome;
    if (out.status !== 'done' || out.result.kind !== 'migrate') throw new Error(JSON.stringify(out));
    expect(out.result.failures).toBe(1);
    expect(out.result.report.lines.some((l) => l.text.startsWith('  gic.cpu[0].pmr: 0xf0 -> 0'))).toBe(true);
  });

  test('bisect against the models needs checkpoints to bisect over', async () => {
    const trace = `${dir}/nocp.devrr`;
    writeWorkloadTrace(trace, 500);
    const out = await new InlineRunner().start({ kind: 'bisect', path: trace }, () => {}).outcome;
    expect(out.status).toBe('failed');
    if (out.status === 'failed') expect(out.message).toMatch(/has no checkpoints to bisect over/);
  });

  test('cancelled before it starts', async () => {
    const job = new InlineRunner().start({ kind: 'check', path: RUN_B }, () => {});
    job.cancel();
    expect(await job.outcome).toEqual({ status: 'cancelled' });
  });
});
