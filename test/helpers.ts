/**
 * Test helpers: run a scenario (as a JS object) against the models and get
 * its events and missed expectations back, the way `devrr record` would.
 */
import { recordScenario, type EventSink } from '../recorder/record.js';
import { parseScenario } from '../recorder/scenario.js';
import type { TraceEvent } from '../traces/events.js';

export interface Ran {
  readonly events: TraceEvent[];
  readonly misses: string[];
  readonly checkpoints: { event: number; digest: string; state: unknown }[];
}

export function runScenario(doc: unknown, opts: { checkpointEvery?: number } = {}): Ran {
  const sc = parseScenario(JSON.stringify(doc), 'test.json');
  const events: TraceEvent[] = [];
  const checkpoints: Ran['checkpoints'] = [];
  const sink: EventSink = { append: (e) => void events.push(e), checkpoint: (event, state, digest) => void checkpoints.push({ event, digest, state }) };
  const r = recordScenario(sc, sink, opts);
  return { events, misses: r.misses.map((m) => m.message), checkpoints };
}

/** Asserts-free shortcut: the misses of a scenario whose steps all carry expectations. */
export function missesOf(doc: unknown): string[] {
  return runScenario(doc).misses;
}
