/**
 * The TUI's one key record. Every key press goes through `toKeyRecord`
 * (called by the single input hook, hooks/use-key-input.ts), and everything
 * downstream (the key map, prompts, the help overlay) works on this shape
 * only, never on Ink's raw (input, key) pair.
 */

/** Names of the keys the TUI distinguishes; printable characters are 'char'. */
export type KeyName =
  | 'char'
  | 'up'
  | 'down'
  | 'left'
  | 'right'
  | 'pageup'
  | 'pagedown'
  | 'home'
  | 'end'
  | 'return'
  | 'escape'
  | 'tab'
  | 'backspace'
  | 'delete'
  | 'unknown';

/**
 * One key press.
 *
 * - `name`: which key; 'char' for a printable character.
 * - `char`: the character typed when `name` is 'char' (one character; a
 *   paste arrives as one record per character), otherwise ''. For Ctrl+letter
 *   it is the letter, with `ctrl` set.
 * - `ctrl`, `shift`, `meta`: modifiers. `shift` is set for upper-case
 *   letters and Shift+Tab; `meta` for Alt/Option combinations (never for
 *   Escape on its own).
 */
export interface KeyRecord {
  readonly name: KeyName;
  readonly char: string;
  readonly ctrl: boolean;
  readonly shift: boolean;
  readonly meta: boolean;
}

/** The subset of Ink's Key this adapter reads. */
export interface InkKeyLike {
  readonly upArrow: boolean;
  readonly downArrow: boolean;
  readonly leftArrow: boolean;
  readonly rightArrow: boolean;
  readonly pageDown: boolean;
  readonly pageUp: boolean;
  readonly home?: boolean;
  readonly end?: boolean;
  readonly return: boolean;
  readonly escape: boolean;
  readonly ctrl: boolean;
  readonly shift: boolean;
  readonly tab: boolean;
  readonly backspace: boolean;
  readonly delete: boolean;
  readonly meta: boolean;
}

/** Builds a record for a printable character (tests and the bench use it too). */
export function charKey(c: string, mods: { ctrl?: boolean; meta?: boolean } = {}): KeyRecord {
  return { name: 'char', char: c, ctrl: mods.ctrl ?? false, shift: c.length === 1 && c !== c.toLowerCase(), meta: mods.meta ?? false };
}

/** Builds a record for a named key. */
export function namedKey(name: Exclude<KeyName, 'char'>, mods: { ctrl?: boolean; shift?: boolean; meta?: boolean } = {}): KeyRecord {
  return { name, char: '', ctrl: mods.ctrl ?? false, shift: mods.shift ?? false, meta: mods.meta ?? false };
}

/**
 * Ink's (input, key) pair -> key records: one per key press, or several
 * when `input` holds several keys (a paste, or keys that arrived together:
 * Enter, Tab and Backspace inside them count as those keys). Terminals send
 * Backspace as DEL (0x7f), which Ink reports as `delete`: both are
 * 'backspace' here.
 */
export function toKeyRecords(input: string, key: InkKeyLike): KeyRecord[] {
  const mods = { ctrl: key.ctrl, shift: key.shift, meta: key.meta && !key.escape };
  const named = (name: Exclude<KeyName, 'char'>): KeyRecord[] => [namedKey(name, mods)];
  if (key.upArrow) return named('up');
  if (key.downArrow) return named('down');
  if (key.leftArrow) return named('left');
  if (key.rightArrow) return named('right');
  if (key.pageUp) return named('pageup');
  if (key.pageDown) return named('pagedown');
  if (key.home) return named('home');
  if (key.end) return named('end');
  if (key.return) return named('return');
  if (key.escape) return [namedKey('escape')];
  if (key.tab) return named('tab');
  if (key.backspace || key.delete) return named('backspace');
  if (!input) return named('unknown');
  if (key.ctrl) return [charKey(input.slice(0, 1).toLowerCase(), { ctrl: true })];
  // Several characters at once (a paste, or keys typed faster than they are read): one record each.
  const out: KeyRecord[] = [];
  for (const c of input) {
    if (c === '\r' || c === '\n') out.push(namedKey('return'));
    else if (c === '\t') out.push(namedKey('tab'));
    else if (c === '\x7f' || c === '\b') out.push(namedKey('backspace'));
    else if (c >= ' ') out.push(charKey(c, { meta: mods.meta }));
  }
  return out;
}

/** How a key record is written in the help overlay and messages ("g", "Shift+Tab", "PgDn"). */
export function keyLabel(k: KeyRecord): string {
  const base: Record<KeyName, string> = {
    char: k.char,
    up: '↑',
    down: '↓',
    left: '←',
    right: '→',
    pageup: 'PgUp',
    pagedown: 'PgDn',
    home: 'Home',
    end: 'End',
    return: 'Enter',
    escape: 'Esc',
    tab: 'Tab',
    backspace: 'Backspace',
    delete: 'Delete',
    unknown: '?',
  };
  const b = base[k.name];
  return `${k.ctrl ? 'Ctrl+' : ''}${k.meta ? 'Alt+' : ''}${k.shift && k.name !== 'char' ? 'Shift+' : ''}${b}`;
}
