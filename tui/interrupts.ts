/**
 * Which interrupt the user means: the explain prompt's default (from the
 * selected state field, or what the current event did to an interrupt, as
 * the irqchip's interrupts facet says) and the check of a typed interrupt
 * number against the irqchip's numbering. No family's numbers here: they
 * come from the Inspector (interruptEffects, interruptRanges).
 */
import type { InterruptRange } from '../devices/core/device.js';

/** What the current event did to an interrupt (Inspector.interruptEffects), with the family's name for it. */
export interface EventInterrupt {
  readonly irq: number;
  readonly action: string;
  /** "SPI 42", or undefined when the family gives no name. */
  readonly name?: string;
}

/** Whether `irq` is one of the ranges' numbers (any number when there are none to say). */
export function inRanges(irq: number, ranges: readonly InterruptRange[]): boolean {
  return ranges.length === 0 || ranges.some((r) => irq >= r.first && irq <= r.last);
}

/**
 * The interrupt a state path or the current event is about, if any: a
 * view path's `irq[N]` element (the views' name for an interrupt's state),
 * else the first interrupt the event touched; only numbers the irqchip has.
 */
export function irqOf(path: string | null, touched: readonly EventInterrupt[], ranges: readonly InterruptRange[]): number | null {
  const m = path && /\birq\[(\d+)\]/.exec(path);
  if (m && inRanges(Number(m[1]), ranges)) return Number(m[1]);
  const t = touched.find((e) => inRanges(e.irq, ranges));
  return t ? t.irq : null;
}

/** "SGI 0-15, PPI 16-31, SPI 32-1019". */
export function describeRanges(ranges: readonly InterruptRange[]): string {
  return ranges.map((r) => `${r.name} ${r.first}-${r.last}`).join(', ');
}

/** A typed interrupt number, or the message saying it is not one of the irqchip's. */
export function parseInterrupt(text: string, ranges: readonly InterruptRange[]): { readonly irq: number } | { readonly error: string } {
  const irq = Number(text);
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(irq)) return { error: `not an interrupt number: "${text}"` };
  if (!inRanges(irq, ranges)) return { error: `not an interrupt number of this irqchip (${describeRanges(ranges)}): "${text}"` };
  return { irq };
}
