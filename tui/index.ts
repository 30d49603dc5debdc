/**
 * The terminal UI (`devrr tui`): components (Ink), the debugger session
 * behind them, the key record and key map, and the key-latency benchmark.
 */
export type { AppProps } from './components/App.js';
export type { DiffPaneProps } from './components/DiffPane.js';
export type { EventDetailProps } from './components/EventDetail.js';
export type { EventListProps } from './components/EventList.js';
export type { HelpOverlayProps, HelpSection } from './components/HelpOverlay.js';
export type { OverviewProps } from './components/Overview.js';
export type { PaneProps } from './components/Pane.js';
export type { StateTreeProps } from './components/StateTree.js';
export type { StatusBarProps } from './components/StatusBar.js';
export type * from './frame.js';
export { type Action, actionFor, BINDINGS, type Focus, helpSections } from './keymap.js';
export { charKey, type KeyName, type KeyRecord, keyLabel, namedKey, toKeyRecords } from './keys.js';
export { layoutFor } from './layout.js';
export { DebugSession, type DebugSessionOptions } from './session.js';
export { InlineRunner, type JobRunner, WorkerRunner } from './jobs/runner.js';
export { benchKeys, type KeyBenchOptions, type KeyBenchResult } from './bench.js';
export { DEFAULT_AGAINST, DEFAULT_TRACE, runTui } from './run.js';
