#!/usr/bin/env node
// The devrr entry point. It runs the compiled JavaScript in dist/, which
// `npm install` builds (scripts/build.js), when that build is as new as the
// sources; otherwise (no build yet, or a source edited since: see
// bin/compiled.js) it runs the TypeScript sources directly through tsx, so
// devrr never runs stale code, only slower code until `npm run build`.
import { existsSync, writeSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { buildIsFresh, DIST } from './compiled.js';

let main;
let stdioFailureRaised;
if (buildIsFresh()) {
  // The bundle (dist/cli-*.js, scripts/build.js) when the build made one: a few files to load instead of about 150 modules.
  const bundled = existsSync(new URL('cli-main.js', DIST));
  ({ main } = await import(new URL(bundled ? 'cli-main.js' : 'bin/main.js', DIST).href));
  ({ stdioFailureRaised } = await import(new URL(bundled ? 'cli-cli.js' : 'bin/cli.js', DIST).href));
} else {
  // tsx looks for tsconfig.json from the working directory; devrr runs from
  // anywhere (npm link, npx), so name its own: the JSX transform and the
  // other compiler settings of the sources are the checkout's, whatever the
  // cwd holds.
  const { register } = await import('tsx/esm/api');
  register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
  ({ main } = await import('./main.ts'));
  ({ stdioFailureRaised } = await import('./cli.ts'));
}
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
