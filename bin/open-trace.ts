/**
 * Opening a trace for a command: errors become one clear line and exit 2;
 * a trace whose recorder died (no footer) is read up to its last complete
 * record, with a note saying so.
 */
import { TraceReader } from '../traces/reader.js';
import type { Io } from './cli.js';

export function openTrace(path: string): TraceReader {
  return TraceReader.open(path);
}

/**
 * Prints what is wrong with an incomplete trace. Returns true when the trace
 * is damaged beyond a missing footer (a bad record in the middle): the
 * command still reports what it recovered, then exits 2.
 */
export function traceWarnings(t: TraceReader, io: Io): boolean {
  if (t.complete) return false;
  const d = t.damage;
  io.err(`note: ${t.path} was not closed cleanly (no footer): read ${t.eventCount} events from its complete records${d ? `; stopped at ${d.message}` : ''}`);
  return d !== undefined && d.code !== 'truncated';
}
