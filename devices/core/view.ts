/**
 * Named views of VM state: what diff, watchpoints, explain and the TUI show.
 * A device's raw state is laid out for speed (bitmaps, packed words); its
 * view names every field the way a KVM engineer does
 * (`gic.dist.irq[42].pending`, `gic.cpu[1].pmr`). Paths address fields of
 * the view; `resolvePath` finds one field without building the whole view
 * when the device offers a resolver for it.
 */
import type { VmState } from './vm-state.js';

/** A path step: a property name or an array index. */
export type PathStep = string | number;

/** Parses "gic.dist.irq[42].pending" into ["gic", "dist", "irq", 42, "pending"]. */
export function parsePath(path: string): PathStep[] | undefined {
  const steps: PathStep[] = [];
  const re = /([A-Za-z_][A-Za-z0-9_]*)|\[(\d+)\]|(\.)/gy;
  let m: RegExpExecArray | null;
  let expectName = true;
  let pos = 0;
  while (pos < path.length) {
    re.lastIndex = pos;
    m = re.exec(path);
    if (!m) return undefined;
    if (m[1] !== undefined) {
      if (!expectName) return undefined;
      steps.push(m[1]);
      expectName = false;
    } else if (m[2] !== undefined) {
      if (expectName && steps.length === 0) return undefined;
      steps.push(Number(m[2]));
      expectName = false;
    } else {
      if (expectName) return undefined;
      expectName = true;
    }
    pos = re.lastIndex;
  }
  return steps.length && !expectName ? steps : undefined;
}

export function formatPath(steps: readonly PathStep[]): string {
  return steps.map((s, i) => (typeof s === 'number' ? `[${s}]` : i ? `.${s}` : s)).join('');
}

/** Walks a plain object along `steps`; undefined when a step does not exist. */
export function walk(root: unknown, steps: readonly PathStep[]): unknown {
  let v = root;
  for (const s of steps) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string | number, unknown>)[s];
  }
  return v;
}

/**
 * How a device appears in views: a root name ("gic"), the view builder, and
 * optionally a resolver that reads one field straight from raw state (used
 * by watchpoints, which evaluate after every event).
 */
export interface DeviceView<S> {
  readonly root: string;
  build(vm: VmState, s: S): Record<string, unknown>;
  resolve?(vm: VmState, s: S, steps: readonly PathStep[]): unknown;
}
