import { readFileSync } from 'node:fs';
import { parseScenario } from '../../recorder/scenario.js';
import { DEFAULT_CHECKPOINT_EVERY, recordToFile } from '../../recorder/trace-file.js';
import { type Command, intOption, UsageError } from '../cli.js';

export const recordCommand: Command = {
  name: 'record',
  summary: 'run a scenario against the device models and write the trace',
  usage: 'devrr record SCENARIO.json -o TRACE.devrr [--checkpoint-every K]',
  help: `Runs every step of SCENARIO.json (see the scenario format in the README)
against the device models and writes every call, its result and every guest
event to TRACE. Each step that misses its expectation prints one line.

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
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const sc = parseScenario(text, file);
    const r = recordToFile(sc, out, every);
    for (const m of r.misses) io.out(m.message);
    io.err(`recorded ${r.events} events to ${out}${r.misses.length ? `; ${r.misses.length} expectation(s) missed` : ''}`);
    return r.misses.length ? 1 : 0;
  },
};
