/**
 * The human replay report: a one-line verdict, or the first divergence with
 * the event decoded in the kernel's names, recorded vs replayed results (a
 * word diff where they differ) and the state fields around it.
 */
import { diffWords } from 'diff';
import type { FieldDiff } from '../devices/core/state.js';
import { Session } from '../recorder/execute.js';
import { describeEvent } from './decode.js';
import { type ReplayReport, stateBefore, type TraceSource } from './engine.js';

function fmt(v: unknown): string {
  if (typeof v === 'number') return v > 9 || v < 0 ? `0x${(v >>> 0).toString(16)}` : String(v);
  if (typeof v === 'bigint') return `0x${v.toString(16)}`;
  if (v === undefined) return '(none)';
  return JSON.stringify(v, (_k, x) => (typeof x === 'bigint' ? `0x${x.toString(16)}` : x));
}

/** "0x0 -> 0x400 (set bit 10)": for integer words, which bits moved. */
export function formatField(f: FieldDiff): string {
  let bits = '';
  if (typeof f.a === 'number' && typeof f.b === 'number' && Number.isInteger(f.a) && Number.isInteger(f.b)) {
    const set: number[] = [];
    const cleared: number[] = [];
    const x = (f.a ^ f.b) >>> 0;
    for (let i = 0; i < 32; i++) if ((x >>> i) & 1) ((f.b >>> i) & 1 ? set : cleared).push(i);
    if (set.length + cleared.length <= 4 && Math.max(Math.abs(f.a), Math.abs(f.b)) > 1) {
      const parts = [set.length ? `set bit ${set.join(',')}` : '', cleared.length ? `cleared bit ${cleared.join(',')}` : ''].filter(Boolean);
      bits = ` (${parts.join('; ')})`;
    }
  }
  return `${f.path}: ${fmt(f.a)} -> ${fmt(f.b)}${bits}`;
}

/** Marks what changed between two lines: [-old-]{+new+}. */
export function wordDiff(a: string, b: string): string {
  return diffWords(a, b)
    .map((p) => (p.added ? `{+${p.value}+}` : p.removed ? `[-${p.value}-]` : p.value))
    .join('');
}

export function formatReport(r: ReplayReport, src: TraceSource, file: string, maxFields = 40): string {
  const d = r.divergence;
  if (!d) return `replayed ${r.events} events of ${file}, ${r.checkpoints} checkpoint digest(s) checked: no divergence`;
  const lines: string[] = [];
  const session = new Session();
  session.restore(stateBefore(src, d.event));
  if (d.reason === 'result') {
    const rec = describeEvent(d.recorded!, session);
    const rep = describeEvent(d.replayed!, session);
    lines.push(`DIVERGENCE at event ${d.event}: the replayed result differs from the recorded one`);
    lines.push(`  recorded: ${rec}`);
    lines.push(`  replayed: ${rep}`);
    lines.push(`  diff:     ${wordDiff(rec, rep)}`);
    lines.push(`  device state changed by this event on replay (before -> after):`);
  } else {
    lines.push(`DIVERGENCE at event ${d.event}: replayed state digest ${d.replayedDigest} != recorded checkpoint ${d.recordedDigest}`);
    if (d.recorded) lines.push(`  next event: ${describeEvent(d.recorded, session)}`);
    lines.push(`  fields (recorded checkpoint -> replayed):`);
  }
  if (d.fields.length === 0) lines.push('    (none)');
  for (const f of d.fields.slice(0, maxFields)) lines.push(`    ${formatField(f)}`);
  if (d.fields.length > maxFields) lines.push(`    ... ${d.fields.length - maxFields} more (use --json for all)`);
  lines.push(`replayed ${r.events} events before the divergence, ${r.checkpoints} checkpoint digest(s) checked`);
  return lines.join('\n');
}
