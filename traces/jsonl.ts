/**
 * Events as JSON lines: the plain-text form `devrr bench` uses as its
 * baseline (one JSON object per event, bigints as "0x..." strings, byte
 * arrays as hex). Not the trace format; see FORMAT.md for that.
 */
import type { TraceEvent } from './events.js';

const hex = (v: bigint) => `0x${v.toString(16)}`;

export function eventToJsonLine(ev: TraceEvent): string {
  return JSON.stringify(ev, (_k, x) => (typeof x === 'bigint' ? hex(x) : x instanceof Uint8Array ? { hex: Buffer.from(x).toString('hex') } : x));
}

/** Fields that are bigint in each kind (the rest are numbers, strings, booleans). */
const BIGINT_FIELDS: Partial<Record<TraceEvent['kind'], readonly string[]>> = {
  set_attr: ['attr', 'value', 'outValue'],
  get_attr: ['attr', 'value', 'outValue'],
  has_attr: ['attr', 'value', 'outValue'],
  arm_set_device_addr: ['id', 'addr'],
  mmio: ['value'],
  hcall: ['ret'],
};

export function eventFromJsonLine(line: string): TraceEvent {
  const o = JSON.parse(line, (_k, x) => (x && typeof x === 'object' && typeof x.hex === 'string' && Object.keys(x).length === 1 ? Uint8Array.from(Buffer.from(x.hex, 'hex')) : x)) as Record<string, unknown>;
  for (const f of BIGINT_FIELDS[o.kind as TraceEvent['kind']] ?? []) if (typeof o[f] === 'string') o[f] = BigInt(o[f] as string);
  if (Array.isArray(o.args)) o.args = o.args.map((a) => BigInt(a as string));
  return o as unknown as TraceEvent;
}
