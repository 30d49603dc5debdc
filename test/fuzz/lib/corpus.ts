/**
 * The fuzzer's seeds: the committed example traces and scenarios
 * (traces/examples/), and small traces derived from the examples with many
 * chunks and checkpoints (the examples hold one chunk and one checkpoint
 * each), so that mutations reach the index, the chunk boundaries and
 * restores from checkpoints. Everything here is deterministic.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { digestState } from '../../../devices/core/state.js';
import { Session } from '../../../recorder/execute.js';
import type { TraceEvent } from '../../../traces/events.js';
import { TraceReader } from '../../../traces/reader.js';
import { buildTrace, eventRecords, parseTrace, type TraceParts } from './trace-bytes.js';

export const EXAMPLES = fileURLToPath(new URL('../../../traces/examples/', import.meta.url));

export interface TraceSeed {
  readonly name: string;
  readonly bytes: Buffer;
  readonly parts: TraceParts;
  /** Event indexes of its checkpoints. */
  readonly checkpoints: readonly number[];
  readonly events: number;
}

export interface ScenarioSeed {
  readonly name: string;
  readonly text: string;
}

function exampleFiles(ext: string): string[] {
  const out: string[] = [];
  for (const d of readdirSync(EXAMPLES, { withFileTypes: true }).filter((x) => x.isDirectory()).map((x) => x.name).sort()) {
    for (const f of readdirSync(join(EXAMPLES, d)).filter((x) => x.endsWith(ext)).sort()) out.push(join(EXAMPLES, d, f));
  }
  return out;
}

function seedOf(name: string, bytes: Buffer): TraceSeed {
  const parts = parseTrace(bytes);
  const path = join(EXAMPLES, '..', '..', 'package.json'); // any readable file: we read the header and index from `bytes`
  void path;
  let events = 0;
  const checkpoints: number[] = [];
  const f = parts.footer as { events?: number; checkpoints?: { event: number }[] } | undefined;
  if (f) {
    events = f.events ?? 0;
    for (const c of f.checkpoints ?? []) checkpoints.push(c.event);
  }
  return { name, bytes, parts, checkpoints, events };
}

let examples: TraceSeed[] | undefined;
/** Every committed example trace. */
export function exampleTraces(): TraceSeed[] {
  return (examples ??= exampleFiles('.devrr').map((p) => seedOf(p.slice(EXAMPLES.length), readFileSync(p))));
}

let scenarios: ScenarioSeed[] | undefined;
/** Every committed example scenario. */
export function exampleScenarios(): ScenarioSeed[] {
  return (scenarios ??= exampleFiles('.json').map((p) => ({ name: p.slice(EXAMPLES.length), text: readFileSync(p, 'utf8') })));
}

/** The events of a trace file. */
export function eventsOf(path: string): TraceEvent[] {
  const r = TraceReader.open(path);
  try {
    return [...r.events()].map(({ i: _i, ...ev }) => ev as TraceEvent);
  } finally {
    r.close();
  }
}

/**
 * A copy of an example cut to its first `max` events, in chunks of `chunk`
 * events with a checkpoint (the models' state, as the recorder writes it)
 * every `every` events and at the end.
 */
export function derivedSeed(example: string, max: number, chunk: number, every: number): TraceSeed {
  const all = eventsOf(join(EXAMPLES, example)).slice(0, max);
  const session = new Session();
  const cps = new Map<number, { state: unknown; digest: string }>();
  all.forEach((ev, i) => {
    if (i > 0 && i % every === 0) {
      const st = session.snapshot();
      cps.set(i, { state: st, digest: digestState(st) });
    }
    session.execute(ev);
  });
  const st = session.snapshot();
  cps.set(all.length, { state: st, digest: digestState(st) });
  const header = parseTrace(readFileSync(join(EXAMPLES, example))).header as Record<string, unknown>;
  const bytes = buildTrace({ ...header, checkpointEvery: every }, eventRecords(all, chunk, cps), { kind: 'rebuild' });
  return seedOf(`${example.replace(/\.devrr$/, '')}@${max}/${chunk}/${every}`, bytes);
}

let small: TraceSeed[] | undefined;
/** Small multi-chunk, multi-checkpoint traces derived from the examples: v2, v3, ITS, a migration. */
export function derivedSeeds(): TraceSeed[] {
  return (small ??= [
    derivedSeed('vgic-v2-bringup/vgic-v2-bringup.devrr', 35, 8, 8),
    derivedSeed('sgi-never-arrives/sgi-never-arrives.devrr', 24, 5, 6),
    derivedSeed('vgic-v3-bringup/vgic-v3-bringup.devrr', 40, 8, 10),
    derivedSeed('vgic-v3-its-msi/vgic-v3-its-msi.devrr', 52, 10, 13),
    derivedSeed('migration-missing-cpu-regs/migration-bad.devrr', 60, 16, 16),
    derivedSeed('two-runs-one-event/run-b.devrr', 48, 12, 12),
  ]);
}

/** Every trace seed: the examples as committed, then the derived ones. */
export function traceSeeds(): TraceSeed[] {
  return [...exampleTraces(), ...derivedSeeds()];
}
