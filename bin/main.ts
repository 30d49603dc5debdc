/**
 * `devrr`: the command line (docs/cli.md). Exit status 0 = done and
 * nothing diverged or missed; 1 = something diverged, missed or failed a
 * check; 2 = the input or command line is invalid (one line on stderr, no
 * stack trace). Anything else is a bug in devrr.
 */
import { DEVRR_VERSION } from '../package-root.js';
import { ScenarioError } from '../recorder/scenario-error.js';
import { TraceError } from '../traces/errors.js';
import { type Command, type Io, oneLine, parseCommandArgs, stdio, UsageError } from './cli.js';

/**
 * A command as `devrr --help` lists it, and how to load it. A command's
 * module, and what it imports (the models, the trace reader, Ink and React
 * for the TUI, the word diff for reports), loads only when that command runs:
 * `devrr --version` and `devrr info` do not pay for the rest.
 */
export interface CommandEntry {
  readonly name: string;
  readonly summary: string;
  load(): Promise<Command>;
}

export const COMMANDS: readonly CommandEntry[] = [
  { name: 'record', summary: 'run a scenario against the device models and write the trace', load: async () => (await import('./commands/record.js')).recordCommand },
  { name: 'replay', summary: 're-execute a trace against the models, checking every result and digest', load: async () => (await import('./commands/replay.js')).replayCommand },
  { name: 'dump', summary: 'list the events of a trace, decoded', load: async () => (await import('./commands/dump.js')).dumpCommand },
  { name: 'info', summary: 'header, devices, event counts and checkpoints of a trace', load: async () => (await import('./commands/info.js')).infoCommand },
  { name: 'diff', summary: 'device state at two points (TRACE@N) or of two traces, field by field', load: async () => (await import('./commands/diff.js')).diffCommand },
  { name: 'bisect', summary: 'the first event at which device state diverges (trace vs models, or two traces)', load: async () => (await import('./commands/bisect.js')).bisectCommand },
  { name: 'migrate-check', summary: 'save/restore round trips through the device attributes; state that does not survive', load: async () => (await import('./commands/migrate-check.js')).migrateCheckCommand },
  { name: 'explain', summary: 'why interrupt N is or is not delivered, with the event that last changed each condition', load: async () => (await import('./commands/explain.js')).explainCommand },
  { name: 'export', summary: "write a trace in another tool's format (perfetto: Chrome trace event JSON)", load: async () => (await import('./commands/export.js')).exportCommand },
  { name: 'tui', summary: 'the terminal UI: step through a trace, device state, diffs, bisect', load: async () => (await import('./commands/tui.js')).tuiCommand },
  { name: 'bench', summary: 'the benchmark suite: record, replay and decode speed beside a baseline', load: async () => (await import('./commands/bench.js')).benchCommand },
  { name: 'start', summary: 'record a bundled example scenario, replay it and print the report', load: async () => (await import('./commands/start.js')).startCommand },
];

function usage(): string {
  const w = Math.max(...COMMANDS.map((c) => c.name.length));
  return [
    `devrr ${DEVRR_VERSION}: deterministic record/replay debugger for KVM virtual devices`,
    '',
    'Usage: devrr COMMAND [options]',
    '',
    'Commands:',
    ...COMMANDS.map((c) => `  ${c.name.padEnd(w)}  ${c.summary}`),
    '',
    'devrr COMMAND --help shows a command\'s options; devrr --version its version.',
  ].join('\n');
}

export async function main(argv: string[], io: Io = stdio): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  if (name === '--version' || name === '-V') {
    io.out(`devrr ${DEVRR_VERSION}`);
    return 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  try {
    if (!entry) throw new UsageError(`devrr: unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
    const cmd = await entry.load();
    const args = parseCommandArgs(cmd, rest);
    if (args.values.help) {
      io.out(`Usage: ${cmd.usage}\n\n${cmd.help}`);
      return 0;
    }
    return await cmd.run(args, io);
  } catch (e) {
    if (e instanceof UsageError || e instanceof ScenarioError || e instanceof TraceError) {
      io.err(oneLine(e.message));
      return 2;
    }
    io.err(`devrr: internal error (a bug in devrr, please report it): ${(e as Error).stack ?? String(e)}`);
    return 70;
  }
}
