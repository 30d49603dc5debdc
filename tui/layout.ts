/**
 * Where the panes go for a terminal size. Two columns: the event list over
 * the diff pane on the left, the decoded event over the state tree on the
 * right, and a status line at the bottom. The screen uses one line less than
 * the terminal has (a frame as tall as the terminal makes Ink clear and
 * redraw the whole screen on every update). Each pane spends its first line
 * on a title; the event list spends one more on the trace overview.
 */
import type { PaneSizes } from './frame.js';

export interface Layout {
  readonly width: number;
  /** Lines drawn (the terminal's rows minus one). */
  readonly height: number;
  readonly leftWidth: number;
  /** Including the one-column border on its left. */
  readonly rightWidth: number;
  readonly eventsHeight: number;
  readonly diffHeight: number;
  readonly detailHeight: number;
  readonly treeHeight: number;
  readonly sizes: PaneSizes;
}

/** The smallest screen laid out properly; smaller terminals get this and are cut. */
export const MIN_COLUMNS = 60;
export const MIN_ROWS = 16;

export function layoutFor(columns: number, rows: number): Layout {
  const width = Math.max(MIN_COLUMNS, columns);
  const height = Math.max(MIN_ROWS, rows) - 1;
  const body = height - 1; // the status line
  const eventsHeight = Math.max(5, Math.round(body * 0.58));
  const diffHeight = body - eventsHeight;
  const detailHeight = Math.min(9, Math.max(5, Math.round(body * 0.3)));
  const treeHeight = body - detailHeight;
  const leftWidth = Math.floor(width / 2);
  return {
    width,
    height,
    leftWidth,
    rightWidth: width - leftWidth,
    eventsHeight,
    diffHeight,
    detailHeight,
    treeHeight,
    sizes: { listRows: eventsHeight - 2, diffRows: diffHeight - 1, diffColumns: leftWidth, detailRows: detailHeight - 1, treeRows: treeHeight - 1 },
  };
}

/** Cuts a plain string to `width` columns (with an ellipsis when cut). */
export function clip(s: string, width: number): string {
  if (width <= 0) return '';
  if (s.length <= width) return s;
  return width === 1 ? '…' : s.slice(0, width - 1) + '…';
}
