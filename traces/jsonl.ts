/**
 * Events as JSON lines: the plain-text form `devrr bench` uses as its
 * baseline (one JSON object per event, bigints as "0x..." strings, byte
 * arrays as hex). Not the trace format; see FORMAT.md for that.
 */
import type { TraceEvent } from './events.js';
import { kindDecl } from './kinds.js';

const hex = (v: bigint) => (v < 0n ? `-0x${(-v).toString(16)}` : `0x${v.toString(16)}`);
/** A bigint from hex(): BigInt() takes "0x..." but not "-0x...". */
const big = (s: string): bigint => (s.startsWith('-') ? -BigInt(s.slice(1)) : BigInt(s));

export function eventToJsonLine(ev: TraceEvent): string {
  return JSON.stringify(ev, (_k, x) => (typeof x === 'bigint' ? hex(x) : x instanceof Uint8Array ? { hex: Buffer.from(x).toString('hex') } : x));
}

export function eventFromJsonLine(line: string): TraceEvent {
  const o = JSON.parse(line, (_k, x) => (x && typeof x === 'object' && typeof x.hex === 'string' && Object.keys(x).length === 1 ? Uint8Array.from(Buffer.from(x.hex, 'hex')) : x)) as Record<string, unknown>;
  // The kind's declaration says which fields are bigints (traces/kinds.ts).
  for (const f of (typeof o.kind === 'string' && kindDecl(o.kind)?.fields) || []) {
    const v = o[f.name];
    if (f.type === 'big' && typeof v === 'string') o[f.name] = big(v);
    else if (f.type === 'bigs' && Array.isArray(v)) o[f.name] = v.map((a) => big(a as string));
  }
  return o as unknown as TraceEvent;
}
