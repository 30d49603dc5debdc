import { MAX_SCENARIO_BYTES, readScenarioFile } from '../../recorder/scenario-file.js';
import { parseScenario } from '../../recorder/scenario.js';
import { DEFAULT_CHECKPOINT_EVERY, recordToFile } from '../../recorder/trace-file.js';
import { type Command, intOption, UsageError } from '../cli.js';
import { ScenarioError } from '../../recorder/scenario-error.js';

/** Warnings printed one per step for failed calls without "expect"; past this, a count. */
const MAX_WARNINGS = 10;

export const recordCommand: Command = {
  name: 'record',
  summary: 'run a scenario against the device models and write the trace',
  usage: 'devrr record SCENARIO.json -o TRACE.devrr [--checkpoint-every K]',
  help: `Runs every step of SCENARIO.json (the format: docs/scenarios.md) against
the device models and writes every call, its result and every guest event to
TRACE. Each step that misses its expectation prints one line on stdout. Each
step without "expect" whose call failed prints a warning on stderr (the
first ${MAX_WARNINGS}, then their count); it does not change the exit status.
A scenario file may hold at most ${MAX_SCENARIO_BYTES >> 20} MiB.

Options:
  -o, --output TRACE        where to write the trace (required; .devrr)
  --checkpoint-every K      state checkpoint every K events (default ${DEFAULT_CHECKPOINT_EVERY})
  --live                    record against the host's /dev/kvm (not available in this version)

Exit status: 0 every expectation held; 1 at least one missed (the trace is
still written whole); 2 the scenario is invalid (nothing is written).`,
  options: { output: { type: 'string', short: 'o' }, 'checkpoint-every': { type: 'string' }, live: { type: 'boolean' } },
  run({ values, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('devrr record: give one SCENARIO.json (see devrr record --help)');
    const out = values.output as string | undefined;
    if (!out) throw new UsageError('devrr record: -o TRACE is required (see devrr record --help)');
    if (values.live) throw new UsageError('devrr record: --live is not available in this version of devrr; record against the models');
    const every = intOption('record', values, 'checkpoint-every', DEFAULT_CHECKPOINT_EVERY)!;
    const file = positionals[0]!;
    let text: string;
    try {
      text = readScenarioFile(file);
    } catch (e) {
      if (e instanceof ScenarioError) throw e;
      throw new UsageError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const sc = parseScenario(text, file);
    const r = recordToFile(sc, out, every);
    for (const m of r.misses) io.out(m.message);
    for (const u of r.unexpected.slice(0, MAX_WARNINGS)) io.err(`warning: ${u.message}`);
    if (r.unexpected.length > MAX_WARNINGS) io.err(`warning: and ${r.unexpected.length - MAX_WARNINGS} more step(s) failed with no "expect"`);
    const failed = r.unexpected.length ? `; ${r.unexpected.length} step(s) failed with no "expect"` : '';
    io.err(`recorded ${r.events} events to ${out}${r.misses.length ? `; ${r.misses.length} expectation(s) missed` : ''}${failed}`);
    return r.misses.length ? 1 : 0;
  },
};
