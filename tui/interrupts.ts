/**
 * Which interrupt the user means: the explain prompt's default (from the
 * selected state field or the current event) and the check of a typed
 * interrupt number.
 */
import type { DecodedEvent } from './format.js';

/** The interrupt number a path or a decoded event is about, if any. */
export function irqOf(path: string | null, ev: DecodedEvent | null): number | null {
  const m = path && /irq\[(\d+)\]/.exec(path);
  if (m) return Number(m[1]);
  if (!ev) return null;
  if (ev.kind === 'irq_line') return Number(ev.irq) & 0xffff;
  const f = typeof ev.fields === 'string' ? /\b(?:InterruptID|SGIINTID|INTID)=(0x[0-9a-f]+|\d+)/.exec(ev.fields) : null;
  if (f) {
    const n = Number(f[1]);
    return n < 1020 ? n : null;
  }
  return null;
}

/** A typed interrupt number, or the message saying it is not one. */
export function parseInterrupt(text: string): { readonly irq: number } | { readonly error: string } {
  const irq = Number(text);
  if (!/^\d+$/.test(text) || irq > 1019) return { error: `not an interrupt number (0-1019): "${text}"` };
  return { irq };
}
