import { type Command, stdio, UsageError } from '../cli.js';

export const tuiCommand: Command = {
  name: 'tui',
  usage: 'devrr tui [TRACE] [--against OTHER]',
  help: `Opens TRACE in the terminal UI: an event timeline you step through
forwards and backwards, the current event decoded in the kernel's names, the
device state as a tree with the fields the event changed highlighted, a diff
pane (this event, a marked point A against here, or against OTHER), and
breakpoints, watchpoints, search, bisect, migrate-check and explain on keys.
? shows every key; q quits.

With no TRACE it opens the bundled example
traces/examples/two-runs-one-event/run-b.devrr against run-a.devrr: press B
to bisect to event 171, where the two runs part.

Options:
  --against OTHER   a second trace of the same workload: B bisects against
                    it, d diffs against it

Needs a terminal: with stdin or stdout redirected it refuses (exit 2); use
devrr replay TRACE for the report, devrr dump TRACE for the events.`,
  options: { against: { type: 'string' } },
  async run({ values, positionals }, io) {
    if (positionals.length > 1) throw new UsageError('devrr tui: give at most one TRACE (see devrr tui --help)');
    if (io !== stdio || !process.stdout.isTTY || !process.stdin.isTTY) {
      io.err(`devrr tui: not a terminal (stdin and stdout must be one); use devrr replay ${positionals[0] ?? 'TRACE'} for the report or devrr dump ${positionals[0] ?? 'TRACE'} for the events`);
      return 2;
    }
    // Ink and React load only for the TUI, and React in its production build
    // (the development build doubles the cost of every frame).
    process.env.NODE_ENV ??= 'production';
    const { runTui, DEFAULT_TRACE, DEFAULT_AGAINST } = await import('../../tui/run.js');
    const trace = positionals[0] ?? DEFAULT_TRACE;
    const against = (values.against as string | undefined) ?? (positionals[0] ? undefined : DEFAULT_AGAINST);
    return runTui(trace, against ? { against } : {});
  },
};
