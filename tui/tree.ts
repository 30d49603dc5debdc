/**
 * The state pane's collapsible tree over a named state view. Only the
 * lines of open branches are produced. A branch is open when the user
 * opened it, or, automatically, when the current event changed something
 * below it: an automatically opened branch lists only its changed children
 * and a "… N unchanged" line, so the change is in sight without unfolding
 * a 1024-entry interrupt array.
 */
import { ancestors, formatValue } from './format.js';
import type { TreeLine } from './frame.js';

export interface LeafChange {
  readonly a: unknown;
  readonly b: unknown;
}

export interface TreeInput {
  /** The named view at the current position. */
  readonly view: unknown;
  /** Leaf path -> its change by the current event. */
  readonly changed: ReadonlyMap<string, LeafChange>;
  /** Branches the user opened, and closed (closing beats an automatic opening). */
  readonly expanded: ReadonlySet<string>;
  readonly collapsed: ReadonlySet<string>;
  readonly watched: ReadonlySet<string>;
  readonly selected: string | null;
}

/** Suffix of the path of a "… N unchanged" line (its parent's path + this). */
export const MORE = '#more';

/** Branch path -> number of changed leaves below it. */
export function changeCounts(changed: Iterable<string>): Map<string, number> {
  const m = new Map<string, number>();
  for (const p of changed) for (const a of ancestors(p)) m.set(a, (m.get(a) ?? 0) + 1);
  return m;
}

function isBranch(v: unknown): v is Record<string, unknown> | unknown[] {
  return v !== null && typeof v === 'object' && !ArrayBuffer.isView(v);
}

function children(v: Record<string, unknown> | unknown[]): [label: string, key: string | number, value: unknown][] {
  if (Array.isArray(v)) {
    const out: [string, number, unknown][] = [];
    v.forEach((x, i) => {
      if (x !== null && x !== undefined) out.push([`[${i}]`, i, x]);
    });
    return out;
  }
  return Object.keys(v).map((k) => [k, k, v[k]]);
}

const childPath = (parent: string, key: string | number) => (typeof key === 'number' ? `${parent}[${key}]` : parent ? `${parent}.${key}` : key);

/** What a closed branch shows: the size of an array, or the flags that are set. */
function summary(v: Record<string, unknown> | unknown[]): string {
  if (Array.isArray(v)) return `[${v.filter((x) => x !== null && x !== undefined).length}]`;
  const set = Object.keys(v).filter((k) => v[k] === true);
  if (set.length) return set.slice(0, 5).join(' ') + (set.length > 5 ? ' …' : '');
  return `{${Object.keys(v).length}}`;
}

/** The visible lines of the tree, top to bottom. */
export function buildTree(input: TreeInput): TreeLine[] {
  const counts = changeCounts(input.changed.keys());
  const out: TreeLine[] = [];
  const visit = (path: string, label: string, v: unknown, depth: number) => {
    const watched = input.watched.has(path);
    if (!isBranch(v)) {
      const ch = input.changed.get(path);
      out.push({
        path,
        depth,
        label,
        kind: 'leaf',
        expanded: false,
        value: formatValue(v),
        changed: ch !== undefined || counts.has(path),
        ...(ch && { was: formatValue(ch.a) }),
        changedInside: counts.get(path) ?? 0,
        selected: input.selected === path,
        watched,
      });
      return;
    }
    const inside = counts.get(path) ?? 0;
    const full = input.expanded.has(path) && !input.collapsed.has(path);
    const auto = !full && inside > 0 && !input.collapsed.has(path);
    out.push({ path, depth, label, kind: 'branch', expanded: full || auto, value: summary(v), changed: false, changedInside: inside, selected: input.selected === path, watched });
    if (!full && !auto) return;
    let hidden = 0;
    for (const [l, key, x] of children(v)) {
      const p = childPath(path, key);
      if (auto && !input.changed.has(p) && !counts.has(p)) {
        hidden++;
        continue;
      }
      visit(p, l, x, depth + 1);
    }
    if (hidden) out.push({ path: path + MORE, depth: depth + 1, label: `… ${hidden} unchanged`, kind: 'more', expanded: false, value: '', changed: false, changedInside: 0, selected: input.selected === path + MORE, watched: false });
  };
  if (isBranch(input.view)) for (const [l, key, x] of children(input.view)) visit(childPath('', key), l, x, 0);
  return out;
}
