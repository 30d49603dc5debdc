/**
 * Recording a scenario into a trace file: the header devrr writes and the
 * glue between the scenario runner and the trace writer.
 */
import { DEVRR_VERSION } from '../package-root.js';
import { modelVersions } from '../devices/registry.js';
import { kindFlags, type TraceHeader } from '../traces/format.js';
import type { BackendFactory } from './backend.js';
import { TraceWriter } from '../traces/writer.js';
import { recordScenario, recordSteps, type RecordResult } from './record.js';
import { type Scenario, ScenarioError } from './scenario.js';

/** devrr's own version, from package.json (package-root.ts). */
export { DEVRR_VERSION };

/** Default distance between checkpoints, in events. */
export const DEFAULT_CHECKPOINT_EVERY = 4096;

/**
 * The header of a recording. With the scenario's steps, its kinds map names
 * exactly the kinds they record (create_vm and each step's); without them,
 * every kind this devrr knows.
 */
export function traceHeader(sc: { arch: Scenario['arch']; ipaBits: number; steps?: Scenario['steps'] }, checkpointEvery: number, models: Readonly<Record<string, number>> = modelVersions()): TraceHeader {
  return {
    formatVersion: [1, 0],
    devrrVersion: DEVRR_VERSION,
    arch: sc.arch,
    ipaBits: sc.ipaBits,
    models,
    checkpointEvery,
    requiredReader: [1, 0],
    ...(sc.steps && { kinds: kindFlags(['create_vm', ...sc.steps.map((st) => (st.op === 'declared' ? st.kind : st.op))]) }),
  };
}

/** What recording to a file did. */
export interface FileRecordResult extends RecordResult {
  /** The file the trace went to: the path given, or the regular file a symlink names. */
  readonly path: string;
  /** Notes from opening the output (a stale lock taken over, a crashed recording kept aside). */
  readonly notes: readonly string[];
  /**
   * Set when the recording was stopped before its last step: the reason
   * (e.g. "SIGINT") and the partial trace, `<path>.incomplete`, holding
   * every event recorded (no footer; readers read it to its last record).
   * `path` itself was not touched.
   */
  readonly interrupted?: { readonly reason: string; readonly incompletePath: string };
}

/** Runs `sc` and writes the trace to `path` (via path.incomplete, renamed on success). */
export function recordToFile(sc: Scenario, path: string, checkpointEvery = DEFAULT_CHECKPOINT_EVERY): FileRecordResult {
  const w = TraceWriter.create(path, traceHeader(sc, checkpointEvery));
  let r: RecordResult;
  try {
    r = recordScenario(sc, w, { checkpointEvery, finalCheckpoint: true });
    w.close();
  } catch (e) {
    stopAfterError(w, e);
    throw e;
  }
  return { ...r, path: w.path, notes: w.notes };
}

export interface InterruptibleRecordOptions {
  readonly checkpointEvery?: number;
  /** Called between slices of steps; a string stops the recording (the reason, e.g. "SIGTERM"). */
  readonly stop: () => string | undefined;
  /** Gets each note from opening the output, before the first step runs. */
  readonly onNote?: (line: string) => void;
  /** What runs the steps (default: the device models). */
  readonly backends?: BackendFactory;
}

/**
 * recordToFile that lets the event loop run between slices of steps, so
 * that signal handlers run, and stops when `opts.stop()` says so: the events
 * recorded so far are written out and left in `<path>.incomplete` (see
 * FileRecordResult.interrupted); `path` is not touched.
 */
export async function recordToFileInterruptible(sc: Scenario, path: string, opts: InterruptibleRecordOptions): Promise<FileRecordResult> {
  const checkpointEvery = opts.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  const models = opts.backends ? (opts.backends.versions?.() ?? {}) : modelVersions();
  const origin = opts.backends?.origin?.();
  const w = TraceWriter.create(path, { ...traceHeader(sc, checkpointEvery, models), ...(origin && { origin }) });
  try {
    for (const n of w.notes) opts.onNote?.(n);
    const run = recordSteps(sc, w, { checkpointEvery, finalCheckpoint: true, ...(opts.backends && { backends: opts.backends }) });
    for (;;) {
      const r = run.next();
      if (r.done) {
        w.close();
        return { ...r.value, path: w.path, notes: w.notes };
      }
      await new Promise<void>((resolve) => setImmediate(resolve));
      const reason = opts.stop();
      if (reason !== undefined) {
        w.flush(); // every event recorded is complete: keep them all
        w.abort();
        return { events: w.eventCount, misses: r.value.misses, unexpected: r.value.unexpected, path: w.path, notes: w.notes, interrupted: { reason, incompletePath: w.incompletePath } };
      }
    }
  } catch (e) {
    stopAfterError(w, e);
    throw e;
  }
}

/**
 * The recording failed: an invalid scenario (or nothing recorded yet)
 * leaves no file; anything else leaves `<path>.incomplete` as a crash
 * would, with every complete event in it.
 */
function stopAfterError(w: TraceWriter, e: unknown): void {
  if (e instanceof ScenarioError || w.eventCount === 0) {
    w.discard();
    return;
  }
  try {
    w.flush();
  } catch {
    // The writer itself failed; what it wrote stays readable.
  }
  w.abort();
}
