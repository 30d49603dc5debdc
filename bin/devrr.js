#!/usr/bin/env node
// The devrr entry point: runs the TypeScript sources directly through tsx,
// so a fresh clone works after `npm install` with no build step.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

// tsx looks for tsconfig.json from the working directory; devrr runs from
// anywhere (npm link, npx), so name its own: the JSX transform and the other
// compiler settings of the sources are the checkout's, whatever the cwd holds.
register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
// A reader that stops early (`devrr dump t.devrr | head`) closes the pipe:
// stop quietly, as Unix tools do, instead of dying with a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (e) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
}
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
