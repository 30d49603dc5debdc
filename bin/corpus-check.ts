/**
 * One trace of a corpus run, checked: what `devrr replay TRACE` or `devrr
 * migrate-check TRACE` does for a single trace, reduced to a row of the
 * summary table and the object `--json` prints for it. Runs in a worker
 * thread (corpus-worker.ts) or on the main thread; its result is plain data.
 */
import { threadId } from 'node:worker_threads';
import { migrateCheck, MigrateError } from '../replay/migrate.js';
import { replay } from '../replay/engine.js';
import { TraceError } from '../traces/errors.js';
import type { TraceReader } from '../traces/reader.js';
import { oneLine, toJson } from './cli.js';
import { migrateJson } from './commands/migrate-check.js';
import { replayJson } from './commands/replay.js';
import { openTrace, traceWarnings } from './open-trace.js';

/** What to do with each trace. */
export type CorpusTask = { readonly kind: 'replay' } | { readonly kind: 'migrate-check'; readonly every?: number };

/** A checked trace. */
export interface TraceOutcome {
  readonly file: string;
  /** The exit status a single-trace run would have given: 0 ok, 1 diverged or failed, 2 unreadable, 70 a bug in devrr. */
  readonly status: number;
  /** Events read (null: the trace could not be read). */
  readonly events: number | null;
  /** The result column: "ok", "diverged at event 171 (result)", "2 of 8 checks failed", "unreadable: ...". */
  readonly result: string;
  /** Wall time for this trace (opening, checking, and the JSON), in ms. */
  readonly ms: number;
  /** The notes a single run prints on stderr (other model versions, not closed cleanly). */
  readonly notes: readonly string[];
  /** Why it could not be checked (status 2 or 70): the line a single run prints on stderr. */
  readonly error?: string;
  /** The thread that checked it (0: the main thread). */
  readonly thread: number;
  /** The line `--json` prints for it (already serialised: bigints as hex, as single runs write them). */
  readonly json: string;
}

/** Checks one trace; never throws (a bug in devrr is an outcome with status 70). */
export function checkTrace(task: CorpusTask, file: string): TraceOutcome {
  const t0 = performance.now();
  const notes: string[] = [];
  const done = (status: number, events: number | null, result: string, body: Record<string, unknown>, error?: string): TraceOutcome => {
    const ms = +(performance.now() - t0).toFixed(2);
    return { file, status, events, result, ms, notes, thread: threadId, json: toJson({ file, status, ms, ...body }), ...(error !== undefined && { error }) };
  };
  let t: TraceReader | undefined;
  try {
    t = openTrace(file);
    traceWarnings(t, { out: () => {}, err: (l) => void notes.push(l) });
    if (task.kind === 'replay') {
      const r = replay(t);
      const d = r.divergence;
      return done(d ? 1 : 0, t.eventCount, d ? `diverged at event ${d.event} (${d.reason})` : 'ok', replayJson(r, t));
    }
    const r = migrateCheck(t, task.every);
    const failed = r.failures.length;
    const result = failed ? `${failed} of ${r.checks} check(s) failed (first at event ${r.failures[0]!.event})` : `ok (${r.checks} check(s))`;
    return done(failed ? 1 : 0, t.eventCount, result, { events: t.eventCount, ...migrateJson(r, t) });
  } catch (e) {
    if (e instanceof TraceError || e instanceof MigrateError) {
      const message = oneLine(e.message);
      // The row names the file already.
      const short = message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message;
      return done(2, null, `unreadable: ${short}`, { error: message }, message);
    }
    const message = `internal error (a bug in devrr, please report it): ${(e as Error).stack ?? String(e)}`;
    return done(70, null, oneLine(message), { error: message }, `devrr: ${file}: ${message}`);
  } finally {
    t?.close();
  }
}
