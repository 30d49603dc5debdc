/** Driving the TUI in tests: terminal key sequences, an app on an example trace, flushing Ink's input. */
import { render } from 'ink-testing-library';
import { fileURLToPath } from 'node:url';
import App from '../../tui/components/App.js';
import { InlineRunner } from '../../tui/jobs/runner.js';
import { DebugSession, type DebugSessionOptions } from '../../tui/session.js';

export const KEY = {
  up: '\x1b[A',
  down: '\x1b[B',
  right: '\x1b[C',
  left: '\x1b[D',
  pageUp: '\x1b[5~',
  pageDown: '\x1b[6~',
  home: '\x1b[H',
  end: '\x1b[F',
  tab: '\t',
  shiftTab: '\x1b[Z',
  enter: '\r',
  escape: '\x1b',
  backspace: '\x7f',
  ctrlC: '\x03',
} as const;

export const example = (rel: string) => fileURLToPath(new URL(`../../traces/examples/${rel}`, import.meta.url));
export const RUN_A = example('two-runs-one-event/run-a.devrr');
export const RUN_B = example('two-runs-one-event/run-b.devrr');
export const SGI = example('sgi-never-arrives/sgi-never-arrives.devrr');
export const MIGRATION_BAD = example('migration-missing-cpu-regs/migration-bad.devrr');
/** The ppc64 XICS story: hypercalls, GRP_SOURCES words, a second VM. */
export const XICS_BAD = example('xics-queued-across-migration/xics-pq-bad.devrr');
export const MIGRATION_GOOD = example('migration-missing-cpu-regs/migration-good.devrr');
export const BRINGUP = example('vgic-v2-bringup/vgic-v2-bringup.devrr');

/** One turn of the event loop: Ink reads a lone Esc after it (it may start a sequence), and effects run. */
export const tick = () => new Promise<void>((r) => setImmediate(r));

/** The App on a trace, jobs run inline, at a fixed terminal size; resolves once loaded. */
export async function openApp(trace: string, opts: DebugSessionOptions & { columns?: number; rows?: number } = {}) {
  const { columns = 120, rows = 40, ...sessionOpts } = opts;
  const session = new DebugSession(trace, { runner: new InlineRunner(), check: false, ...sessionOpts });
  const app = render(<App session={session} size={{ columns, rows }} />);
  await tick();
  await session.idle();
  /** Types keys (each string is one key press) and waits for any work they started. */
  const press = async (...keys: string[]) => {
    for (const k of keys) {
      app.stdin.write(k);
      if (k === KEY.escape) await tick();
    }
    await tick();
    await session.idle();
  };
  /** Types text, one key per character. */
  const type = (text: string) => press(...[...text]);
  const screen = () => plain(app.lastFrame() ?? '');
  const close = () => {
    app.unmount();
    session.close();
  };
  return { app, session, press, type, screen, close };
}

/** A frame without colours (CI terminals may get them). */
export function plain(frame: string): string {
  return frame.replace(/\x1b\[[0-9;]*m/g, '');
}

/** The line of a screen that contains `text`. */
export function lineWith(screen: string, text: string): string | undefined {
  return screen.split('\n').find((l) => l.includes(text));
}
