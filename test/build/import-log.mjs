// Loaded with `node --import`: writes the URL of every module the program
// resolves, one a line, to the file IMPORT_LOG names (test/build/package.test.ts).
import { register } from 'node:module';

register(new URL('./import-log-hooks.mjs', import.meta.url), { data: { log: process.env.IMPORT_LOG } });
