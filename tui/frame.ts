/**
 * The plain data one screen of the TUI shows. The debugger session computes
 * a Frame for a layout; components receive its parts as props and draw
 * them. Nothing here refers to the device models: components can be
 * rendered from hand-written fixtures.
 */
import type { Focus } from './keymap.js';
import type { KeyRecord } from './keys.js';

/** Colour hints; components map them to Ink styles. */
export type Tone = 'normal' | 'dim' | 'good' | 'bad' | 'warn' | 'accent' | 'head';

/** One row of the event list. */
export interface EventRow {
  readonly index: number;
  /** Compact decoded text ("v0 W GICD_IPRIORITYR8 <- 0xa0f8a0a0"). */
  readonly text: string;
  /** The current event (the one that just ran). */
  readonly current: boolean;
  /** An event breakpoint matches this event. */
  readonly breakpoint: boolean;
  /** The divergence marker is on this event. */
  readonly divergence: boolean;
  /** Point A was marked just after this event. */
  readonly mark: boolean;
  /** A checkpoint holds the state just before this event. */
  readonly checkpoint: boolean;
  /** The call failed (an errno). */
  readonly failed: boolean;
}

/** Where things are on the whole trace, for the one-line overview. */
export interface Overview {
  readonly length: number;
  readonly position: number;
  readonly mark: number | null;
  readonly divergence: number | null;
  /** Positions the timeline can restore directly. */
  readonly checkpoints: readonly number[];
}

export interface DetailLine {
  readonly label: string;
  readonly text: string;
  readonly tone?: Tone;
}

/** The current event, decoded. */
export interface EventDetail {
  /** "event 171 · mmio write · vcpu 0", or the start-of-trace note. */
  readonly title: string;
  readonly lines: readonly DetailLine[];
}

/** One visible line of the state tree. */
export interface TreeLine {
  /** The field's path in the view ("gic.dist.irq[33].priority"); a "more" line's path is its parent's. */
  readonly path: string;
  readonly depth: number;
  readonly label: string;
  /** branch: an object or array; leaf: a value; more: "… N unchanged" under an auto-opened branch. */
  readonly kind: 'branch' | 'leaf' | 'more';
  readonly expanded: boolean;
  /** Leaf value, or a branch's summary when collapsed. */
  readonly value: string;
  /** The current event changed this leaf. */
  readonly changed: boolean;
  /** The value before the current event, for a changed leaf. */
  readonly was?: string;
  /** Changed leaves below this branch. */
  readonly changedInside: number;
  readonly selected: boolean;
  /** A watchpoint is set on this path. */
  readonly watched: boolean;
}

export interface TextLine {
  readonly text: string;
  readonly tone?: Tone;
}

/** The lower-left pane: a diff, or the report of a long operation. */
export interface DiffView {
  readonly title: string;
  readonly lines: readonly TextLine[];
  /** Lines above the first shown (scrolling). */
  readonly offset: number;
  readonly total: number;
}

export interface JobStatus {
  readonly label: string;
  /** 0..1, or null when the amount of work is unknown. */
  readonly fraction: number | null;
  readonly detail: string;
  readonly cancellable: boolean;
}

export interface StatusInfo {
  readonly position: number;
  readonly length: number;
  /** What the debugger is doing: step, run, loading, bisect, ... */
  readonly mode: string;
  readonly focus: Focus;
  readonly diffMode: string;
  readonly breakpoints: number;
  readonly watches: number;
  /** Wall-clock time of the last operation (stepping, seeking, decoding), ms. */
  readonly lastOpMs: number | null;
  readonly message: string;
  readonly messageTone: Tone;
  readonly job: JobStatus | null;
  readonly background: JobStatus | null;
}

export interface PromptState {
  readonly label: string;
  readonly text: string;
}

export interface Frame {
  readonly file: string;
  readonly against: string | null;
  readonly overview: Overview;
  readonly rows: readonly EventRow[];
  /** First row's index and the list's size, for the pane title. */
  readonly rowsTop: number;
  readonly detail: EventDetail;
  readonly tree: readonly TreeLine[];
  readonly treeTop: number;
  readonly treeTotal: number;
  readonly diff: DiffView;
  readonly status: StatusInfo;
  readonly prompt: PromptState | null;
  readonly help: boolean;
  readonly quit: boolean;
}

/** How many lines each pane has room for (and how wide the diff pane is: its long lines wrap). */
export interface PaneSizes {
  readonly listRows: number;
  readonly detailRows: number;
  readonly treeRows: number;
  readonly diffRows: number;
  readonly diffColumns?: number;
}

/** What the App needs of a debugger session (DebugSession implements it; tests may fake it). */
export interface Debugger {
  subscribe(listener: () => void): () => void;
  /** Changes whenever anything on screen may have changed. */
  version(): number;
  frame(sizes: PaneSizes): Frame;
  key(k: KeyRecord): void;
}
