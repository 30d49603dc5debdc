#!/usr/bin/env node
// The devrr entry point: runs the TypeScript sources directly through tsx,
// so a fresh clone works after `npm install` with no build step.
import { writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// tsx looks for tsconfig.json from the working directory; devrr runs from
// anywhere (npm link, npx), so name its own: the JSX transform and the other
// compiler settings of the sources are the checkout's, whatever the cwd holds.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
const { main } = await import('./main.ts');
const { stdioFailureRaised } = await import('./cli.ts');
// Write errors on stdout/stderr arrive as stream events. A reader that stops
// early (`devrr dump t.devrr | head`) closes the pipe: stop quietly, as Unix
// tools do. Any other failure (ENOSPC, `> /dev/full`, EIO) is one line on
// stderr, if it still works, and exit status 2, never a stack trace.
const say = (line) => {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // stderr is what failed: there is nowhere left to say it.
  }
};
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    // Thrown already as an OutputError (bin/cli.ts): main reports it and
    // returns 2, or rejects and the catch below does.
    if (stdioFailureRaised()) {
      process.exitCode = 2;
      return;
    }
    say(`devrr: cannot write to ${stream === process.stdout ? 'standard output' : 'standard error'}: ${String(e.message).split('\n')[0]}`);
    process.exit(2);
  });
}
try {
  process.exitCode = await main(process.argv.slice(2));
} catch (e) {
  // main reports what goes wrong through stdio; an OutputError escapes it
  // when the report itself cannot be written (or comes from --help).
  if (e?.name !== 'OutputError') throw e;
  say(e.message);
  process.exit(2);
}
