/**
 * Structural, named-field diff of device state: between two points of one
 * trace (`TRACE@N`), two traces, or a trace's recorded checkpoint and what
 * the models replay. Fields are named by the device views
 * (`gic.dist.irq[42].pending`), register values decoded into their bit
 * fields (`gic.cpu[0].ctlr.EnableGrp0`).
 */
import { structuredPatch } from 'diff';
import { diffState, type FieldDiff } from '../devices/core/state.js';
import type { BackendFactory, SessionState } from '../recorder/backend.js';
import { MODELS } from '../recorder/execute.js';
import { Timeline } from './timeline.js';
import type { TraceSource } from './trace-source.js';

/** "trace.devrr@120" -> { file, at: 120 }; no "@N" means the end of the trace. */
export function parsePoint(spec: string): { file: string; at: number | 'end' } {
  const m = /^(.*)@(\d+)$/.exec(spec);
  return m ? { file: m[1]!, at: Number(m[2]) } : { file: spec, at: 'end' };
}

/** The named view of a session state. */
export function viewOf(state: SessionState, backends: BackendFactory = MODELS): Record<string, unknown> {
  return backends.inspector.view(state);
}

/** The replayed state of `src` after events [0, at). */
export function stateAt(src: TraceSource, at: number | 'end', backends: BackendFactory = MODELS): SessionState {
  const tl = new Timeline(src, { backends });
  tl.seek(at === 'end' ? src.eventCount : at);
  return tl.snapshot();
}

/** Named-field differences between two states (a -> b). */
export function diffStates(a: SessionState, b: SessionState, backends: BackendFactory = MODELS): FieldDiff[] {
  return diffState(viewOf(a, backends), viewOf(b, backends));
}

/** Every leaf of a view as "path = value" lines, in a stable order. */
export function flattenView(v: unknown, path = '', out: string[] = []): string[] {
  if (v !== null && typeof v === 'object' && !ArrayBuffer.isView(v)) {
    if (Array.isArray(v)) v.forEach((x, i) => flattenView(x, `${path}[${i}]`, out));
    else for (const k of Object.keys(v).sort()) flattenView((v as Record<string, unknown>)[k], path ? `${path}.${k}` : k, out);
  } else out.push(`${path} = ${fmtLeaf(v)}`);
  return out;
}

/** A leaf value as devrr diff prints it: numbers in hex, as registers are read, with the decimal in brackets above 9. */
export function fmtLeaf(v: unknown): string {
  if (typeof v === 'bigint') return `0x${v.toString(16)}`;
  if (typeof v === 'number') return Number.isInteger(v) && v > 9 ? `0x${v.toString(16)} (${v})` : String(v);
  if (ArrayBuffer.isView(v)) return `[${Array.from(v as Uint8Array).join(',')}]`;
  return JSON.stringify(v) ?? 'undefined';
}

/**
 * A unified diff of the two flattened views, with one line of context:
 * what `devrr diff` prints. Empty string when the states are equal.
 */
export function renderDiff(a: SessionState, b: SessionState, nameA: string, nameB: string, backends: BackendFactory = MODELS): string {
  const la = flattenView(viewOf(a, backends));
  const lb = flattenView(viewOf(b, backends));
  const patch = structuredPatch(nameA, nameB, la.join('\n') + '\n', lb.join('\n') + '\n', '', '', { context: 1 });
  if (!patch.hunks.length) return '';
  const out = [`--- ${nameA}`, `+++ ${nameB}`];
  for (const h of patch.hunks) out.push(...h.lines);
  return out.join('\n');
}
