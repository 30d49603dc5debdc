import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageFile } from '../../package-root.js';
import { parseScenario } from '../../recorder/scenario.js';
import { recordToFile } from '../../recorder/trace-file.js';
import { pointIn } from '../../recorder/backend.js';
import { MODELS } from '../../recorder/execute.js';
import { describeEvent } from '../../replay/decode.js';
import { replay } from '../../replay/engine.js';
import type { TraceEvent } from '../../traces/events.js';
import { formatReport } from '../../replay/report.js';
import { TraceReader } from '../../traces/reader.js';
import { type Command, stdio, UsageError } from '../cli.js';
import { tuiCommand } from './tui.js';

/** The example `npm start` runs. */
export const DEFAULT_EXAMPLE = fileURLToPath(packageFile('traces/examples/vgic-v2-bringup/vgic-v2-bringup.json'));

export const startCommand: Command = {
  name: 'start',
  usage: 'devrr start [SCENARIO.json]',
  help: `The first thing to run: records SCENARIO.json (default: the bundled
2-vcpu GICv2 bring-up, traces/examples/vgic-v2-bringup/vgic-v2-bringup.json) into a
temporary trace, replays it against fresh models and prints the replay
report with the first events decoded.

On a terminal, with no SCENARIO.json, it opens the terminal UI on the
bundled example instead (devrr tui); --report prints the report there too.

Options:
  --report   print the report even on a terminal`,
  options: { report: { type: 'boolean' } },
  run({ values, positionals }, io) {
    if (positionals.length > 1) throw new UsageError('devrr start: give at most one SCENARIO.json');
    if (!values.report && !positionals.length && io === stdio && process.stdout.isTTY && process.stdin.isTTY) return tuiCommand.run({ values: {}, positionals: [] }, io);
    const file = positionals[0] ?? DEFAULT_EXAMPLE;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (e) {
      throw new UsageError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    const sc = parseScenario(text, file);
    const dir = mkdtempSync(join(tmpdir(), 'devrr-start-'));
    try {
      const trace = join(dir, 'example.devrr');
      const rec = recordToFile(sc, trace);
      io.out(`recorded ${rec.events} events from ${file}${rec.misses.length ? `, ${rec.misses.length} expectation(s) missed:` : ', every expectation held'}`);
      for (const m of rec.misses) io.out(`  ${m.message}`);
      const t = TraceReader.open(trace);
      try {
        io.out('');
        io.out('The trace, decoded (devrr dump):');
        const backend = MODELS.create();
        for (const ev of t.events()) {
          const { i, ...plain } = ev;
          io.out(`${String(i).padStart(5)}  ${describeEvent(plain as TraceEvent, pointIn(MODELS, backend))}`);
          backend.execute(plain as TraceEvent);
        }
        io.out('');
        const r = replay(t);
        io.out(formatReport(r, t, 'the recorded trace'));
        io.out('');
        io.out('Next: devrr record SCENARIO.json -o t.devrr; devrr dump t.devrr; devrr replay t.devrr (devrr --help lists every command)');
        return r.divergence || rec.misses.length ? 1 : 0;
      } finally {
        t.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
