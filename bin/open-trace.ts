/**
 * Opening a trace for a command: replay/open-trace.ts checks it whole (one
 * line naming the file and byte offset, exit status 2, before anything is
 * done); here, the notes a command prints about what it opened.
 */
import { modelMismatches, unknownKindNote } from '../replay/open-trace.js';
import type { TraceReader } from '../traces/reader.js';
import type { Io } from './cli.js';

export { checkCheckpoint, modelMismatches, openTrace, shownText } from '../replay/open-trace.js';

/**
 * Prints the notes about an opened trace: other model versions, and a
 * recording that was not closed. Returns false: damage never gets this far
 * (openTrace throws it), so a command that reads the trace has read all of it.
 */
export function traceWarnings(t: TraceReader, io: Io): boolean {
  const models = modelMismatches(t.header);
  if (models.length) io.err(`note: ${t.path} was recorded with other device model versions: ${models.join(', ')}; replayed results may differ from the recorded ones`);
  const kinds = unknownKindNote(t.header);
  if (kinds) io.err(`note: ${t.path} ${kinds}`);
  if (!t.complete) {
    const n = t.eventCount;
    const read =
      t.footerEvents === n
        ? `read all ${n} events its footer lists (only the end trailer is missing)`
        : t.footerEvents !== undefined && t.footerEvents > n
          ? `read ${n} events from its complete records; its footer lists ${t.footerEvents}, so ${t.footerEvents - n} are missing`
          : `read ${n} events from its complete records; any events after byte ${t.recoveredUpTo} are missing, and how many is not known`;
    io.err(`note: ${t.path} was not closed cleanly (the recorder crashed, was killed or is still running): ${read}`);
  }
  return false;
}
