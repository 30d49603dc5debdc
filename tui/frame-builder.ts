/**
 * Builds the part of a Frame that depends on the position and the panes'
 * sizes (everything but the status line, the prompt and the help): the
 * visible event rows, the current event's detail, the state tree with what
 * the event changed, the diff pane and the overview. The work is bounded by
 * what is on screen (event-cache.ts decodes only the visible rows).
 */
import { basename } from 'node:path';
import { diffState, type FieldDiff } from '../devices/core/state.js';
import type { Timeline } from '../replay/timeline.js';
import type { DiffPane } from './diff-view.js';
import type { EventCache } from './event-cache.js';
import { count } from './format.js';
import type { EventDetail, EventRow, Frame, PaneSizes, TreeLine } from './frame.js';
import type { Focus } from './keymap.js';
import type { TreeNav } from './tree-nav.js';

/** The computed part of a frame, with the key it was computed for. */
export interface Core {
  readonly key: string;
  readonly data: Omit<Frame, 'status' | 'prompt' | 'help' | 'quit'>;
  /** Every tree line (the frame holds the visible ones). */
  readonly treeAll: readonly TreeLine[];
}

/** What a computed frame depends on besides the session: the version and the pane sizes. */
export function coreKey(version: number, s: PaneSizes): string {
  return `${version}|${s.listRows},${s.detailRows},${s.treeRows},${s.diffRows},${s.diffColumns ?? 0}`;
}

/** The session's parts a frame is built from. */
export interface FrameParts {
  readonly path: string;
  readonly againstPath: string | null;
  readonly tl: Timeline;
  readonly cache: EventCache;
  readonly tree: TreeNav;
  readonly diff: DiffPane;
}

/** The session's state a frame shows. */
export interface FrameState {
  readonly pos: number;
  readonly focus: Focus;
  /** The event with the divergence marker, if any. */
  readonly divergence: number | null;
  readonly watched: ReadonlySet<string>;
}

export class FrameBuilder {
  /** What the event before `pos` changed (kept while the position stays). */
  private changes: { pos: number; fields: FieldDiff[] } | null = null;

  constructor(private readonly parts: FrameParts) {}

  build(s: FrameState, sizes: PaneSizes, key: string): Core {
    const { tl, cache, tree: nav, diff: pane } = this.parts;
    const n = tl.length;
    const p = s.pos;
    const cur = p - 1;
    const h = Math.max(1, sizes.listRows);
    const top = n <= h ? 0 : Math.max(0, Math.min(cur - Math.floor(h / 2), n - h));
    const bottom = Math.min(n, top + h) - 1;
    cache.prepare(top, bottom, p);
    // Taken now, before anything else can push them out of their caches.
    const before = cur >= 0 ? cache.cachedView(cur) : undefined;
    const current = cur >= 0 ? cache.detail(cur)!.detail : undefined;
    // Rows below the current event: decoded on a scratch copy of the state that runs through them.
    cache.prepareBelow(top, bottom, p);

    const K = tl.checkpointEvery;
    const built = tl.checkpointCount;
    const mark = pane.mark;
    const rows: EventRow[] = [];
    for (let i = top; i <= bottom; i++) {
      const r = cache.row(i)!;
      rows.push({
        index: i,
        text: r.text,
        current: i === cur,
        breakpoint: r.breakpoint,
        divergence: s.divergence === i,
        mark: mark !== null && mark.pos - 1 === i,
        checkpoint: i % K === 0 && i / K < built,
        failed: r.failed,
      });
    }

    // The current event and what it changed.
    const after = cache.viewAt(p);
    let detail: EventDetail;
    let fields: FieldDiff[] = [];
    if (current) {
      detail = current;
      if (this.changes?.pos !== p) this.changes = { pos: p, fields: diffState(before, after) };
      fields = this.changes.fields;
    } else {
      detail = n ? { title: 'the start: no event has run yet', lines: [{ label: '', text: `n (or ↓) runs event 0; g goes to any of ${count(n)} events`, tone: 'dim' }] } : { title: 'an empty trace', lines: [] };
    }

    const t = nav.build({ view: after, fields, watched: s.watched, focused: s.focus === 'state', rows: sizes.treeRows });
    const diff = pane.build(fields, after, p, Math.max(1, sizes.diffRows), sizes.diffColumns ?? 0);
    const checkpoints: number[] = [];
    for (let k = 0; k < built; k++) checkpoints.push(k * K);
    return {
      key,
      treeAll: t.all,
      data: {
        file: basename(this.parts.path),
        against: this.parts.againstPath && basename(this.parts.againstPath),
        overview: { length: n, position: p, mark: mark?.pos ?? null, divergence: s.divergence, checkpoints },
        rows,
        rowsTop: top,
        detail,
        tree: t.visible,
        treeTop: t.top,
        treeTotal: t.all.length,
        diff,
      },
    };
  }
}
