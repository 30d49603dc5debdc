/**
 * What each key does: one table, read both by the key handling and by the
 * help overlay (`?`), so the two cannot disagree. A binding may depend on
 * which pane has the focus: the arrows step through events in the event
 * list, walk the tree in the state pane, and scroll the diff pane.
 */
import type { KeyRecord } from './keys.js';

/** The pane that has the focus (Tab cycles). */
export type Focus = 'events' | 'state' | 'diff';

/** What a key asks the debugger to do. */
export type Action =
  | { readonly type: 'step'; readonly delta: number }
  | { readonly type: 'first' }
  | { readonly type: 'last' }
  | { readonly type: 'goto-prompt' }
  | { readonly type: 'run'; readonly direction: 1 | -1 }
  | { readonly type: 'toggle-breakpoint' }
  | { readonly type: 'toggle-watch' }
  | { readonly type: 'clear-breakpoints' }
  | { readonly type: 'search-prompt' }
  | { readonly type: 'search-again'; readonly direction: 1 | -1 }
  | { readonly type: 'mark' }
  | { readonly type: 'goto-mark' }
  | { readonly type: 'diff-mode' }
  | { readonly type: 'divergence' }
  | { readonly type: 'bisect' }
  | { readonly type: 'migrate' }
  | { readonly type: 'explain-prompt' }
  | { readonly type: 'focus'; readonly direction: 1 | -1 }
  | { readonly type: 'tree-move'; readonly delta: number }
  | { readonly type: 'tree-expand' }
  | { readonly type: 'tree-collapse' }
  | { readonly type: 'tree-toggle' }
  | { readonly type: 'scroll'; readonly delta: number }
  | { readonly type: 'help' }
  | { readonly type: 'cancel' }
  | { readonly type: 'quit' };

export type HelpGroup = 'Move' | 'Breakpoints' | 'Inspect' | 'Long work' | 'General';

export interface Binding {
  /** How the keys are written in the help overlay. */
  readonly keys: string;
  readonly help: string;
  readonly group: HelpGroup;
  /** Only when this pane has the focus (absent: any pane). */
  readonly focus?: Focus;
  readonly matches: (k: KeyRecord) => boolean;
  readonly action: Action;
}

const ch = (...cs: string[]) => (k: KeyRecord) => k.name === 'char' && !k.ctrl && !k.meta && cs.includes(k.char);
const is = (...names: KeyRecord['name'][]) => (k: KeyRecord) => names.includes(k.name) && !k.ctrl && !k.meta;
const either = (...fs: ((k: KeyRecord) => boolean)[]) => (k: KeyRecord) => fs.some((f) => f(k));

/** Every binding, in the order the help overlay lists them. */
export const BINDINGS: readonly Binding[] = [
  { keys: 'n  ↓  →', help: 'step forward one event', group: 'Move', focus: 'events', matches: either(ch('n'), is('down', 'right')), action: { type: 'step', delta: 1 } },
  { keys: 'p  ↑  ←', help: 'step back one event', group: 'Move', focus: 'events', matches: either(ch('p'), is('up', 'left')), action: { type: 'step', delta: -1 } },
  { keys: 'n', help: '', group: 'Move', matches: ch('n'), action: { type: 'step', delta: 1 } },
  { keys: 'p', help: '', group: 'Move', matches: ch('p'), action: { type: 'step', delta: -1 } },
  { keys: ']  [', help: 'forward / back 10 events', group: 'Move', matches: ch(']'), action: { type: 'step', delta: 10 } },
  { keys: '', help: '', group: 'Move', matches: ch('['), action: { type: 'step', delta: -10 } },
  { keys: '}  {', help: 'forward / back 100 events', group: 'Move', matches: ch('}'), action: { type: 'step', delta: 100 } },
  { keys: '', help: '', group: 'Move', matches: ch('{'), action: { type: 'step', delta: -100 } },
  { keys: 'PgDn  PgUp', help: 'forward / back 1000 events', group: 'Move', focus: 'events', matches: is('pagedown'), action: { type: 'step', delta: 1000 } },
  { keys: '', help: '', group: 'Move', focus: 'events', matches: is('pageup'), action: { type: 'step', delta: -1000 } },
  { keys: 'Home  <', help: 'the start (before event 0)', group: 'Move', matches: either(is('home'), ch('<')), action: { type: 'first' } },
  { keys: 'End  >', help: 'last event', group: 'Move', matches: either(is('end'), ch('>')), action: { type: 'last' } },
  { keys: 'g', help: 'go to event N (or +N, -N)', group: 'Move', matches: ch('g'), action: { type: 'goto-prompt' } },
  { keys: 'c  C', help: 'run fwd / back to breakpoint', group: 'Move', matches: ch('c'), action: { type: 'run', direction: 1 } },
  { keys: '', help: '', group: 'Move', matches: ch('C'), action: { type: 'run', direction: -1 } },
  { keys: 'b', help: "toggle break on event's kind", group: 'Breakpoints', matches: ch('b'), action: { type: 'toggle-breakpoint' } },
  { keys: 'w', help: 'toggle watch: selected field', group: 'Breakpoints', matches: ch('w'), action: { type: 'toggle-watch' } },
  { keys: 'x', help: 'clear breakpoints, watches', group: 'Breakpoints', matches: ch('x'), action: { type: 'clear-breakpoints' } },
  { keys: '/', help: 'search events by text', group: 'Inspect', matches: ch('/'), action: { type: 'search-prompt' } },
  { keys: '.  ,', help: 'next / previous match', group: 'Inspect', matches: ch('.'), action: { type: 'search-again', direction: 1 } },
  { keys: '', help: '', group: 'Inspect', matches: ch(','), action: { type: 'search-again', direction: -1 } },
  { keys: 'Tab', help: 'focus: events, state, diff', group: 'Inspect', matches: (k) => k.name === 'tab' && !k.shift, action: { type: 'focus', direction: 1 } },
  { keys: '', help: '', group: 'Inspect', matches: (k) => k.name === 'tab' && k.shift, action: { type: 'focus', direction: -1 } },
  { keys: '↑ ↓', help: 'state pane: select a field', group: 'Inspect', focus: 'state', matches: is('down'), action: { type: 'tree-move', delta: 1 } },
  { keys: '', help: '', group: 'Inspect', focus: 'state', matches: is('up'), action: { type: 'tree-move', delta: -1 } },
  { keys: '', help: '', group: 'Inspect', focus: 'state', matches: is('pagedown'), action: { type: 'tree-move', delta: 10 } },
  { keys: '', help: '', group: 'Inspect', focus: 'state', matches: is('pageup'), action: { type: 'tree-move', delta: -10 } },
  { keys: '→ ← Enter', help: 'state: open / close / toggle', group: 'Inspect', focus: 'state', matches: is('right'), action: { type: 'tree-expand' } },
  { keys: '', help: '', group: 'Inspect', focus: 'state', matches: is('left'), action: { type: 'tree-collapse' } },
  { keys: '', help: '', group: 'Inspect', focus: 'state', matches: is('return'), action: { type: 'tree-toggle' } },
  { keys: '↑ ↓ PgUp/Dn', help: 'diff pane: scroll', group: 'Inspect', focus: 'diff', matches: is('down'), action: { type: 'scroll', delta: 1 } },
  { keys: '', help: '', group: 'Inspect', focus: 'diff', matches: is('up'), action: { type: 'scroll', delta: -1 } },
  { keys: '', help: '', group: 'Inspect', focus: 'diff', matches: is('pagedown'), action: { type: 'scroll', delta: 10 } },
  { keys: '', help: '', group: 'Inspect', focus: 'diff', matches: is('pageup'), action: { type: 'scroll', delta: -10 } },
  { keys: 'm  a', help: 'mark A here / go back to A', group: 'Inspect', matches: ch('m'), action: { type: 'mark' } },
  { keys: '', help: '', group: 'Inspect', matches: ch('a'), action: { type: 'goto-mark' } },
  { keys: 'd', help: 'diff: event/A vs here/other', group: 'Inspect', matches: ch('d'), action: { type: 'diff-mode' } },
  { keys: 'e', help: 'explain selected interrupt', group: 'Inspect', matches: ch('e'), action: { type: 'explain-prompt' } },
  { keys: 'D', help: 'jump to the divergence', group: 'Long work', matches: ch('D'), action: { type: 'divergence' } },
  { keys: 'B', help: 'bisect: first divergence', group: 'Long work', matches: ch('B'), action: { type: 'bisect' } },
  { keys: 'M', help: 'migrate-check from here', group: 'Long work', matches: ch('M'), action: { type: 'migrate' } },
  { keys: 'Esc', help: 'cancel work, close a report', group: 'Long work', matches: (k) => k.name === 'escape', action: { type: 'cancel' } },
  { keys: '?', help: 'this help', group: 'General', matches: ch('?'), action: { type: 'help' } },
  { keys: 'q  Ctrl+C', help: 'quit', group: 'General', matches: (k) => (k.name === 'char' && k.char === 'q' && !k.ctrl) || (k.ctrl && k.char === 'c'), action: { type: 'quit' } },
];

/** The action of a key press in a pane, or null if the key does nothing there. */
export function actionFor(k: KeyRecord, focus: Focus): Action | null {
  // Pane-specific bindings win over global ones.
  for (const b of BINDINGS) if (b.focus === focus && b.matches(k)) return b.action;
  for (const b of BINDINGS) if (b.focus === undefined && b.matches(k)) return b.action;
  return null;
}

/** The help overlay's content: groups of (keys, what they do). */
export function helpSections(): { readonly group: HelpGroup; readonly rows: readonly { readonly keys: string; readonly help: string }[] }[] {
  const groups: HelpGroup[] = ['Move', 'Breakpoints', 'Inspect', 'Long work', 'General'];
  return groups.map((group) => ({ group, rows: BINDINGS.filter((b) => b.group === group && b.help).map((b) => ({ keys: b.keys, help: b.help })) }));
}
