/**
 * `devrr explain`: for interrupt N at a point of a trace, every condition
 * for its delivery to each vcpu, with its value, whether it holds, and the
 * event that last changed each value it depends on. The conditions come
 * from the inspector (the irqchip's family: DeviceModel.explainIrq);
 * finding the last change is generic: replay backwards interval by
 * interval, each event once.
 */
import type { IrqCondition } from '../devices/core/device.js';
import type { BackendFactory } from '../recorder/backend.js';
import { afterEvents } from './report.js';
import { Timeline } from './timeline.js';
import type { TraceSource } from './trace-source.js';

export interface ExplainedCondition extends IrqCondition {
  /** For each path: the event that last changed it before the point, or null (unchanged since the start). */
  readonly changedBy: readonly { readonly path: string; readonly event: number | null }[];
}

export interface Explanation {
  readonly irq: number;
  /** State after events [0, at). */
  readonly at: number;
  readonly conditions: readonly ExplainedCondition[];
  /** vcpu indexes to which every condition holds (GICC_IAR would return it). */
  readonly deliverableTo: readonly number[];
  /** The conditions that do not hold. */
  readonly blocking: readonly ExplainedCondition[];
}

export class ExplainError extends Error {}

export function explain(src: TraceSource, irq: number, at: number = src.eventCount, vmIndex = 0, backends?: BackendFactory): Explanation {
  const point = Math.max(0, Math.min(at, src.eventCount));
  const tl = new Timeline(src, backends ? { backends } : {});
  tl.seek(point);
  const here = tl.point();
  if (!here) throw new ExplainError(`explain needs a backend that can give its state; ${tl.backends.name} cannot`);
  if (!here.state.vms[vmIndex]) throw new ExplainError(`there is no VM ${vmIndex} ${afterEvents(point)}`);
  const conditions = here.inspector.explainIrq(here.state, vmIndex, irq);
  if (!conditions) throw new ExplainError(`VM ${vmIndex} has no in-kernel irqchip ${afterEvents(point)}, so nothing delivers interrupt ${irq}`);
  const paths = [...new Set(conditions.flatMap((c) => c.paths))];
  const last = tl.lastChanges(paths, point);
  const explained = conditions.map((c) => ({ ...c, changedBy: c.paths.map((p) => ({ path: p, event: last.get(p) ?? null })) }));
  const perVcpu = new Map<number, boolean>();
  for (const c of explained) if (c.vcpu >= 0) perVcpu.set(c.vcpu, (perVcpu.get(c.vcpu) ?? true) && c.ok);
  const global = explained.filter((c) => c.vcpu < 0).every((c) => c.ok);
  return {
    irq,
    at: point,
    conditions: explained,
    deliverableTo: [...perVcpu].filter(([, ok]) => ok && global).map(([v]) => v),
    blocking: explained.filter((c) => !c.ok),
  };
}

/** The text `devrr explain` prints; `events`, the trace's length, marks the end as such. */
export function formatExplanation(e: Explanation, describe: (event: number) => string, events?: number): string {
  const lines = [`interrupt ${e.irq} ${afterEvents(e.at, events)}: ${e.deliverableTo.length ? `deliverable to vcpu ${e.deliverableTo.join(', ')}` : 'not deliverable to any vcpu'}`];
  let vcpu = -2;
  for (const c of e.conditions) {
    if (c.vcpu !== vcpu) {
      vcpu = c.vcpu;
      lines.push(vcpu < 0 ? 'device:' : `vcpu ${vcpu}:`);
    }
    const changes = c.changedBy.filter((x) => x.event !== null).sort((a, b) => b.event! - a.event!);
    const by = changes.length ? `last changed by event ${changes[0]!.event}: ${describe(changes[0]!.event!)}` : 'unchanged since the start';
    lines.push(`  ${c.ok ? 'ok     ' : 'BLOCKS '} ${c.name}: ${c.value}`);
    lines.push(`          ${by}`);
  }
  return lines.join('\n');
}
