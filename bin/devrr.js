#!/usr/bin/env node
// The devrr entry point: runs the TypeScript sources directly through tsx,
// so a fresh clone works after `npm install` with no build step.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('./main.ts');
process.exitCode = await main(process.argv.slice(2));
