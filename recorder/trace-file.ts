/**
 * Recording a scenario into a trace file: the header devrr writes and the
 * glue between the scenario runner and the trace writer.
 */
import { readFileSync } from 'node:fs';
import { modelVersions } from '../devices/registry.js';
import type { TraceHeader } from '../traces/format.js';
import { TraceWriter } from '../traces/writer.js';
import { recordScenario, type RecordResult } from './record.js';
import type { Scenario } from './scenario.js';

/** devrr's own version, from package.json. */
export const DEVRR_VERSION: string = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')).version;

/** Default distance between checkpoints, in events. */
export const DEFAULT_CHECKPOINT_EVERY = 4096;

export function traceHeader(sc: { arch: Scenario['arch']; ipaBits: number }, checkpointEvery: number): TraceHeader {
  return {
    formatVersion: [1, 0],
    devrrVersion: DEVRR_VERSION,
    arch: sc.arch,
    ipaBits: sc.ipaBits,
    models: modelVersions(),
    checkpointEvery,
    requiredReader: [1, 0],
  };
}

/** Runs `sc` and writes the trace to `path` (via path.incomplete, renamed on success). */
export function recordToFile(sc: Scenario, path: string, checkpointEvery = DEFAULT_CHECKPOINT_EVERY): RecordResult {
  const w = TraceWriter.create(path, traceHeader(sc, checkpointEvery));
  const r = recordScenario(sc, w, { checkpointEvery, finalCheckpoint: true });
  w.close();
  return r;
}
