/**
 * The state pane's navigation: which branches the user opened or closed,
 * the selected field, and the scroll position. The tree's lines come from
 * tree.ts (buildTree); this module decides which of them are visible and
 * moves the selection. Nothing here knows a device: paths are the named
 * view's.
 */
import type { FieldDiff } from '../devices/core/state.js';
import type { TreeLine } from './frame.js';
import { buildTree, MORE } from './tree.js';

/** The tree as built for one frame: every line, and the ones in the pane. */
export interface BuiltTree {
  readonly all: readonly TreeLine[];
  readonly visible: readonly TreeLine[];
  /** Index in `all` of the first visible line. */
  readonly top: number;
}

export interface TreeBuildInput {
  /** The named view at the current position. */
  readonly view: unknown;
  /** What the current event changed. */
  readonly fields: readonly FieldDiff[];
  /** Paths with a watchpoint. */
  readonly watched: ReadonlySet<string>;
  /** The state pane has the focus (the selection is shown). */
  readonly focused: boolean;
  /** Lines the pane has room for. */
  readonly rows: number;
}

/** The parent of a view path ("gic.cpu[1].pmr" -> "gic.cpu[1]"), or null at the top. */
export function parentPath(path: string): string | null {
  const i = Math.max(path.lastIndexOf('.'), path.lastIndexOf('['));
  return i > 0 ? path.slice(0, i) : null;
}

export class TreeNav {
  /** The selected line's path (a "more" line's is its parent's + MORE). */
  selected: string | null = null;
  private top = 0;
  private readonly expanded = new Set<string>();
  private readonly collapsed = new Set<string>();
  private readonly seenTop = new Set<string>();

  /** The selected field's path (a "… N unchanged" line stands for its branch), or null. */
  selectedField(): string | null {
    const sel = this.selected;
    return sel?.endsWith(MORE) ? sel.slice(0, -MORE.length) : sel;
  }

  /** Builds the tree's lines for a frame and scrolls so that the selection (or the first change) is in sight. */
  build(input: TreeBuildInput): BuiltTree {
    const after = input.view;
    // The tree's top level starts open.
    for (const k of Object.keys(after as object)) {
      if (this.seenTop.has(k)) continue;
      this.seenTop.add(k);
      this.expanded.add(k);
    }
    const changed = new Map(input.fields.map((f) => [f.path, { a: f.a, b: f.b }] as const));
    const selected = input.focused ? this.selected : null;
    let all = buildTree({ view: after, changed, expanded: this.expanded, collapsed: this.collapsed, watched: input.watched, selected });
    if (input.focused && this.selected && !all.some((l) => l.selected)) {
      // The selection went out of sight (a branch closed automatically): select its nearest shown ancestor.
      const shown = new Set(all.map((l) => l.path));
      let sel: string | null = this.selected;
      while (sel && !shown.has(sel)) sel = parentPath(sel);
      this.selected = sel ?? all[0]?.path ?? null;
      all = all.map((l) => ({ ...l, selected: l.path === this.selected }));
    }
    const rows = Math.max(1, input.rows);
    const selIdx = all.findIndex((l) => l.selected);
    if (selIdx >= 0) {
      if (selIdx < this.top) this.top = selIdx;
      if (selIdx >= this.top + rows) this.top = selIdx - rows + 1;
    } else {
      const first = all.findIndex((l) => l.changed);
      if (first >= 0 && (first < this.top || first >= this.top + rows)) this.top = Math.max(0, first - 2);
    }
    this.top = Math.max(0, Math.min(this.top, all.length - rows));
    return { all, visible: all.slice(this.top, this.top + rows), top: this.top };
  }

  /** Selects the first changed line, else the first line. */
  selectDefault(lines: readonly TreeLine[]): void {
    this.selected = (lines.find((l) => l.changed) ?? lines[0])?.path ?? null;
  }

  /** Moves the selection by `delta` lines. */
  move(lines: readonly TreeLine[], delta: number): void {
    if (!lines.length) return;
    const i = Math.max(0, lines.findIndex((l) => l.path === this.selected));
    this.selected = lines[Math.max(0, Math.min(lines.length - 1, i + delta))]!.path;
  }

  /** open: true expands, false collapses, null toggles the selected branch. */
  open(lines: readonly TreeLine[], open: boolean | null): void {
    const line = lines.find((l) => l.path === this.selected);
    if (!line) return this.selectDefault(lines);
    if (line.kind === 'more') {
      const parent = line.path.slice(0, -MORE.length);
      this.expanded.add(parent);
      this.collapsed.delete(parent);
      return;
    }
    if (line.kind === 'leaf') {
      if (open === false) this.selectParent(line.path);
      return;
    }
    const want = open ?? !line.expanded;
    if (want) {
      if (line.expanded && open === true) {
        // Already open: move into it.
        const i = lines.indexOf(line);
        if (lines[i + 1] && lines[i + 1]!.depth > line.depth) this.selected = lines[i + 1]!.path;
        this.expanded.add(line.path);
        this.collapsed.delete(line.path);
        return;
      }
      this.expanded.add(line.path);
      this.collapsed.delete(line.path);
    } else if (line.expanded) {
      this.expanded.delete(line.path);
      this.collapsed.add(line.path);
    } else this.selectParent(line.path);
  }

  private selectParent(path: string): void {
    const parent = parentPath(path);
    if (parent) this.selected = parent;
  }
}
