import { describe, expect, test } from 'vitest';
import { type Action, actionFor, BINDINGS, helpSections } from '../../tui/keymap.js';
import { charKey, type InkKeyLike, keyLabel, namedKey, toKeyRecords } from '../../tui/keys.js';

const none: InkKeyLike = {
  upArrow: false,
  downArrow: false,
  leftArrow: false,
  rightArrow: false,
  pageDown: false,
  pageUp: false,
  home: false,
  end: false,
  return: false,
  escape: false,
  ctrl: false,
  shift: false,
  tab: false,
  backspace: false,
  delete: false,
  meta: false,
};

describe('the key adapter', () => {
  test('named keys become records with that name and no character', () => {
    expect(toKeyRecords('', { ...none, upArrow: true })).toEqual([namedKey('up')]);
    expect(toKeyRecords('', { ...none, pageDown: true })).toEqual([namedKey('pagedown')]);
    expect(toKeyRecords('', { ...none, home: true })).toEqual([namedKey('home')]);
    expect(toKeyRecords('', { ...none, return: true })).toEqual([namedKey('return')]);
    expect(toKeyRecords('', { ...none, tab: true, shift: true })).toEqual([namedKey('tab', { shift: true })]);
  });

  test('Escape is never reported with meta (Ink sets meta for it)', () => {
    expect(toKeyRecords('', { ...none, escape: true, meta: true })).toEqual([namedKey('escape')]);
  });

  test('Backspace arrives as DEL (delete) from terminals: both are backspace', () => {
    expect(toKeyRecords('', { ...none, delete: true })[0]!.name).toBe('backspace');
    expect(toKeyRecords('', { ...none, backspace: true })[0]!.name).toBe('backspace');
  });

  test('characters, upper case with shift, a paste as one record per character', () => {
    expect(toKeyRecords('g', none)).toEqual([charKey('g')]);
    expect(toKeyRecords('B', { ...none, shift: true })).toEqual([{ name: 'char', char: 'B', ctrl: false, shift: true, meta: false }]);
    expect(toKeyRecords('171', none).map((k) => k.char)).toEqual(['1', '7', '1']);
    // Keys that arrive together, Enter among them.
    expect(toKeyRecords('g17\r', none).map((k) => k.name + k.char)).toEqual(['charg', 'char1', 'char7', 'return']);
    expect(toKeyRecords('a\x7f\t', none).map((k) => k.name)).toEqual(['char', 'backspace', 'tab']);
  });

  test('Ctrl+letter keeps the letter with ctrl set', () => {
    expect(toKeyRecords('c', { ...none, ctrl: true })).toEqual([charKey('c', { ctrl: true })]);
  });

  test('labels for the help and messages', () => {
    expect(keyLabel(namedKey('pagedown'))).toBe('PgDn');
    expect(keyLabel(namedKey('tab', { shift: true }))).toBe('Shift+Tab');
    expect(keyLabel(charKey('c', { ctrl: true }))).toBe('Ctrl+c');
  });
});

describe('the key map', () => {
  const act = (k: Parameters<typeof actionFor>[0], focus: Parameters<typeof actionFor>[1] = 'events') => actionFor(k, focus);

  test('n/p and the arrows step in the event list; n/p step from any pane', () => {
    expect(act(charKey('n'))).toEqual({ type: 'step', delta: 1 });
    expect(act(namedKey('down'))).toEqual({ type: 'step', delta: 1 });
    expect(act(namedKey('right'))).toEqual({ type: 'step', delta: 1 });
    expect(act(charKey('p'))).toEqual({ type: 'step', delta: -1 });
    expect(act(namedKey('up'))).toEqual({ type: 'step', delta: -1 });
    expect(act(charKey('n'), 'state')).toEqual({ type: 'step', delta: 1 });
    expect(act(charKey('p'), 'diff')).toEqual({ type: 'step', delta: -1 });
  });

  test('by 10, 100, 1000', () => {
    expect(act(charKey(']'))).toEqual({ type: 'step', delta: 10 });
    expect(act(charKey('['))).toEqual({ type: 'step', delta: -10 });
    expect(act(charKey('}'))).toEqual({ type: 'step', delta: 100 });
    expect(act(charKey('{'))).toEqual({ type: 'step', delta: -100 });
    expect(act(namedKey('pagedown'))).toEqual({ type: 'step', delta: 1000 });
    expect(act(namedKey('pageup'))).toEqual({ type: 'step', delta: -1000 });
  });

  test('the arrows walk the tree in the state pane and scroll the diff pane', () => {
    expect(act(namedKey('down'), 'state')).toEqual({ type: 'tree-move', delta: 1 });
    expect(act(namedKey('right'), 'state')).toEqual({ type: 'tree-expand' });
    expect(act(namedKey('left'), 'state')).toEqual({ type: 'tree-collapse' });
    expect(act(namedKey('return'), 'state')).toEqual({ type: 'tree-toggle' });
    expect(act(namedKey('down'), 'diff')).toEqual({ type: 'scroll', delta: 1 });
    expect(act(namedKey('pagedown'), 'diff')).toEqual({ type: 'scroll', delta: 10 });
  });

  test('upper and lower case are different keys', () => {
    expect(act(charKey('c'))).toEqual({ type: 'run', direction: 1 });
    expect(act(charKey('C'))).toEqual({ type: 'run', direction: -1 });
    expect(act(charKey('B'))).toEqual({ type: 'bisect' });
    expect(act(charKey('b'))).toEqual({ type: 'toggle-breakpoint' });
    expect(act(charKey('D'))).toEqual({ type: 'divergence' });
    expect(act(charKey('d'))).toEqual({ type: 'diff-mode' });
  });

  test('quit: q and Ctrl+C; unknown keys do nothing', () => {
    expect(act(charKey('q'))).toEqual({ type: 'quit' });
    expect(act(charKey('c', { ctrl: true }))).toEqual({ type: 'quit' });
    expect(act(charKey('z'))).toBeNull();
    expect(act(charKey('n', { ctrl: true }))).toBeNull();
  });

  test('the help lists what the issue asks for, grouped', () => {
    const helped = new Set(BINDINGS.filter((b) => b.help).map((b) => b.action.type));
    const required: Action['type'][] = ['step', 'first', 'last', 'goto-prompt', 'run', 'toggle-breakpoint', 'toggle-watch', 'clear-breakpoints', 'search-prompt', 'search-again', 'mark', 'diff-mode', 'divergence', 'bisect', 'migrate', 'explain-prompt', 'focus', 'tree-move', 'tree-expand', 'scroll', 'help', 'cancel', 'quit'];
    for (const t of required) expect(helped.has(t), `action ${t} has a help line`).toBe(true);
    expect(helpSections().map((s) => s.group)).toEqual(['Move', 'Breakpoints', 'Inspect', 'Long work', 'General']);
  });
});
