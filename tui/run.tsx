/**
 * Running the TUI on the real terminal: the alternate screen (the shell's
 * screen comes back on quit), Ink drawing only the lines that changed, and
 * the session closed however the app ends.
 */
import { render } from 'ink';
import { fileURLToPath } from 'node:url';
import { packageFile } from '../package-root.js';
import App from './components/App.js';
import { DebugSession, type DebugSessionOptions } from './session.js';

/** The bundled example `devrr tui` opens with no TRACE: run B of two-runs-one-event, against run A. */
export const DEFAULT_TRACE = fileURLToPath(packageFile('traces/examples/two-runs-one-event/run-b.devrr'));
export const DEFAULT_AGAINST = fileURLToPath(packageFile('traces/examples/two-runs-one-event/run-a.devrr'));

const ALT_SCREEN_ON = '\x1b[?1049h\x1b[H';
const ALT_SCREEN_OFF = '\x1b[?1049l';

/** Opens TRACE in the TUI and resolves with the exit status when the user quits. Throws a TraceError for a bad file. */
export async function runTui(trace: string, opts: DebugSessionOptions = {}): Promise<number> {
  const session = new DebugSession(trace, opts);
  const out = process.stdout;
  out.write(ALT_SCREEN_ON);
  try {
    const app = render(<App session={session} />, { exitOnCtrlC: false, patchConsole: true, maxFps: 60 });
    await app.waitUntilExit();
    return 0;
  } finally {
    session.close();
    out.write(ALT_SCREEN_OFF);
  }
}
