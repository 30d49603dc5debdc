/**
 * Long jobs in worker threads: they give the library's answers, report
 * progress, can be cancelled, and fail with the input's error message.
 */
import { describe, expect, test } from 'vitest';
import { writeWorkloadTrace } from '../../replay/bench.js';
import type { JobProgress } from '../../tui/jobs/run-job.js';
import { InlineRunner, WorkerRunner } from '../../tui/jobs/runner.js';
import { tempDir } from '../tmp.js';
import { MIGRATION_BAD, RUN_A, RUN_B } from './helpers.js';

const dir = tempDir();

describe('the worker runner', () => {
  test('bisect run B against run A in a worker thread: event 171, with a report', async () => {
    const progress: JobProgress[] = [];
    const job = new WorkerRunner().start({ kind: 'bisect', path: RUN_B, against: RUN_A }, (p) => progress.push(p));
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
    const job = new WorkerRunner().start({ kind: 'migrate', path: trace, at: 1000 }, () => {});
    job.cancel();
    expect(await job.outcome).toEqual({ status: 'cancelled' });
  });

  test('a bad trace fails with the reader\'s one-line message', async () => {
    const out = await new WorkerRunner().start({ kind: 'check', path: `${dir}/missing.devrr` }, () => {}).outcome;
    expect(out.status).toBe('failed');
    if (out.status === 'failed') expect(out.message).toMatch(/missing\.devrr: byte 0: cannot open trace file/);
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
