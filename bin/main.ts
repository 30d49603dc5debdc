/**
 * `devrr`: the command line (docs/cli.md). Exit status 0 = done and
 * nothing diverged or missed; 1 = something diverged, missed or failed a
 * check; 2 = the input or command line is invalid (one line on stderr, no
 * stack trace). Anything else is a bug in devrr.
 */
import { ScenarioError } from '../recorder/scenario.js';
import { DEVRR_VERSION } from '../recorder/trace-file.js';
import { TraceError } from '../traces/errors.js';
import { type Command, type Io, oneLine, parseCommandArgs, stdio, UsageError } from './cli.js';
import { benchCommand } from './commands/bench.js';
import { dumpCommand } from './commands/dump.js';
import { infoCommand } from './commands/info.js';
import { recordCommand } from './commands/record.js';
import { replayCommand } from './commands/replay.js';
import { startCommand } from './commands/start.js';
import { diffCommand } from './commands/diff.js';
import { bisectCommand } from './commands/bisect.js';
import { migrateCheckCommand } from './commands/migrate-check.js';
import { explainCommand } from './commands/explain.js';
import { exportCommand } from './commands/export.js';
import { tuiCommand } from './commands/tui.js';

export const COMMANDS: readonly Command[] = [recordCommand, replayCommand, dumpCommand, infoCommand, diffCommand, bisectCommand, migrateCheckCommand, explainCommand, exportCommand, tuiCommand, benchCommand, startCommand];

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
  const cmd = COMMANDS.find((c) => c.name === name);
  try {
    if (!cmd) throw new UsageError(`devrr: unknown command "${name}" (commands: ${COMMANDS.map((c) => c.name).join(', ')})`);
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
