/**
 * Reading a scenario file from a stranger: the size is bounded before
 * anything is held in memory (`devrr record /dev/zero` stops at the bound),
 * and the JSON's shape (nesting, number of values) is bounded before
 * JSON.parse builds it, so a 64 MiB file cannot become gigabytes of objects
 * or minutes of parsing. The limits are stated in docs/scenarios.md.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { ScenarioError } from './scenario-error.js';

/** The largest scenario file devrr reads. */
export const MAX_SCENARIO_BYTES = 64 << 20;
/** The deepest nesting of arrays and objects: a note may nest 256 levels (the trace's bound), inside the file, its steps and the step. */
export const MAX_SCENARIO_DEPTH = 260;
/** The most JSON values (objects, arrays, numbers, strings, ...) one file may hold. */
export const MAX_SCENARIO_VALUES = 8 << 20;
/** The most objects and arrays one file may hold (each costs far more memory than a number). */
export const MAX_SCENARIO_CONTAINERS = 2 << 20;

/**
 * Reads at most MAX_SCENARIO_BYTES (+1 to notice more) from `file`, whatever
 * it is (a regular file, a pipe, a character device). Throws ScenarioError
 * for a file that is too large; lets the caller report an unreadable one.
 */
export function readScenarioFile(file: string): string {
  const fd = openSync(file, 'r');
  try {
    const st = fstatSync(fd);
    if (st.isFile() && st.size > MAX_SCENARIO_BYTES) throw tooLarge(file);
    const parts: Buffer[] = [];
    let total = 0;
    for (;;) {
      const want = Math.min(1 << 20, MAX_SCENARIO_BYTES + 1 - total);
      const buf = Buffer.allocUnsafe(want);
      const n = readSync(fd, buf, 0, want, null);
      if (n === 0) break;
      parts.push(n === want ? buf : buf.subarray(0, n));
      total += n;
      if (total > MAX_SCENARIO_BYTES) throw tooLarge(file);
    }
    return Buffer.concat(parts, total).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

function tooLarge(file: string): ScenarioError {
  return new ScenarioError(file, null, null, `larger than ${MAX_SCENARIO_BYTES / (1 << 20)} MiB, the most devrr reads from a scenario`);
}

/**
 * One linear pass over the text, outside strings: the nesting depth and the
 * number of values and containers. Returns the first limit crossed, with the
 * byte offset where it was crossed, or undefined. Malformed JSON is left
 * to JSON.parse to report.
 */
export function checkJsonShape(text: string): { offset: number; what: string } | undefined {
  const at = (i: number, what: string) => ({ offset: Buffer.byteLength(text.slice(0, i)), what });
  let depth = 0;
  let containers = 0;
  let values = 1;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
      continue;
    }
    switch (c) {
      case 0x22:
        inString = true;
        break;
      case 0x5b: // [
      case 0x7b: // {
        if (++depth > MAX_SCENARIO_DEPTH) return at(i, `nested deeper than ${MAX_SCENARIO_DEPTH} levels`);
        if (++containers > MAX_SCENARIO_CONTAINERS) return at(i, `holds more than ${MAX_SCENARIO_CONTAINERS} objects and arrays`);
        break;
      case 0x5d: // ]
      case 0x7d: // }
        depth--;
        break;
      case 0x2c: // ,
        if (++values > MAX_SCENARIO_VALUES) return at(i, `holds more than ${MAX_SCENARIO_VALUES} values`);
        break;
    }
  }
  return undefined;
}
