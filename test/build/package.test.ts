/**
 * The package as `npm install` leaves it (issue 13): scripts/build.js (the
 * `prepare` script) compiles the sources to dist/, JavaScript with .d.ts
 * declarations; bin/devrr.js runs that build while it is as new as the
 * sources and the sources through tsx otherwise; the library is imported by
 * its package name from plain Node, typed; and a command loads only what it
 * needs (Ink, React and the word diff are not loaded by `devrr info`).
 *
 * The build is what is checked here, so it is first brought up to date
 * (incrementally) if a source changed since the last one.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { beforeAll, describe, expect, test } from 'vitest';
import { buildIsFresh } from '../../bin/compiled.js';
import { devrr } from '../cli/run.js';
import { tempDir } from '../tmp.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const ROOT_URL = pathToFileURL(ROOT).href;
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string; types: string; exports: { '.': { types: string; default: string } } };
const SMALL = join(ROOT, 'traces/examples/sgi-never-arrives/sgi-never-arrives.devrr');
const RUN_A = join(ROOT, 'traces/examples/two-runs-one-event/run-a.devrr');
const RUN_B = join(ROOT, 'traces/examples/two-runs-one-event/run-b.devrr');
const IMPORT_LOG = join(ROOT, 'test/build/import-log.mjs');
const dir = tempDir();

beforeAll(() => {
  if (buildIsFresh()) return;
  const r = spawnSync(process.execPath, [join(ROOT, 'scripts/build.js')], { cwd: ROOT, encoding: 'utf8', timeout: 600_000 });
  expect(r.status, `npm run build failed:\n${r.stdout}${r.stderr}`).toBe(0);
  expect(buildIsFresh()).toBe(true);
}, 600_000);

/** Runs `node [--import import-log.mjs] BIN ARGS`; returns its output and the modules it resolved. */
function run(bin: string, args: string[], cwd = ROOT) {
  const log = join(dir, `imports-${Math.random().toString(36).slice(2)}.log`);
  writeFileSync(log, '');
  const r = spawnSync(process.execPath, ['--import', IMPORT_LOG, bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, IMPORT_LOG: log } });
  const modules = readFileSync(log, 'utf8').split('\n').filter(Boolean);
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, modules };
}

/** A directory with a plain package.json ("type": "module") and devrr installed in its node_modules, as npm links it. */
function userProject(): string {
  const d = join(dir, 'project');
  mkdirSync(join(d, 'node_modules'), { recursive: true });
  writeFileSync(join(d, 'package.json'), JSON.stringify({ name: 'a-user', type: 'module', private: true }));
  symlinkSync(ROOT, join(d, 'node_modules/devrr'));
  return d;
}
const project = userProject();

describe('the library, compiled, from a plain Node script', () => {
  test('import from "devrr" without a TypeScript loader: opens a bundled example and replays it, as the CLI does', async () => {
    writeFileSync(
      join(project, 'replay-example.js'),
      `import { DEVRR_VERSION, replay, TraceReader } from 'devrr';
const t = TraceReader.open(process.argv[2]);
const r = replay(t);
t.close();
console.log(JSON.stringify({ from: import.meta.resolve('devrr'), version: DEVRR_VERSION, events: r.events, divergence: r.divergence }));
`,
    );
    const r = spawnSync(process.execPath, [join(project, 'replay-example.js'), RUN_A], { cwd: project, encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { from: string; version: string; events: number; divergence: unknown };
    expect(out.from).toBe(`${ROOT_URL}dist/index.js`);
    expect(out.version).toBe(PKG.version);
    expect(out.divergence).toBeNull();
    const info = await devrr('info', '--json', RUN_A);
    expect(out.events).toBe(JSON.parse(info.out).events);
  });

  test('package.json names the compiled entry and its declarations, and TypeScript checks a script against them', () => {
    expect(PKG.exports['.']).toEqual({ types: './dist/index.d.ts', default: './dist/index.js' });
    expect(PKG.types).toBe('./dist/index.d.ts');
    writeFileSync(
      join(project, 'typed.ts'),
      `import { createVm, replay, TraceReader, type ReplayReport } from 'devrr';
const vm = createVm('arm64');
vm.createVcpu(0);
const report: ReplayReport = replay(TraceReader.open('t.devrr'));
export const events: number = report.events;
// @ts-expect-error: an architecture is one of devrr's names, not a number
createVm(64);
// @ts-expect-error: a report's events are a number
export const wrong: string = report.events;
`,
    );
    const tsc = join(ROOT, 'node_modules/typescript/bin/tsc');
    const r = spawnSync(process.execPath, [tsc, '--noEmit', '--strict', '--target', 'es2022', '--module', 'nodenext', '--moduleResolution', 'nodenext', '--skipLibCheck', join(project, 'typed.ts')], { cwd: project, encoding: 'utf8', timeout: 120_000 });
    expect(r.stdout + r.stderr).toBe('');
    expect(r.status).toBe(0);
  });

  test("the TUI's job threads run the compiled worker: bisect run B against run A from dist/ names event 171", () => {
    writeFileSync(
      join(project, 'job.js'),
      `import { WorkerRunner } from ${JSON.stringify(`${ROOT_URL}dist/tui/jobs/runner.js`)};
const out = await new WorkerRunner({ spare: 0 }).start({ kind: 'bisect', path: process.argv[2], against: process.argv[3] }, () => {}).outcome;
console.log(JSON.stringify({ status: out.status, event: out.result?.event, message: out.message }));
`,
    );
    const r = spawnSync(process.execPath, ['--import', IMPORT_LOG, join(project, 'job.js'), RUN_B, RUN_A], { cwd: project, encoding: 'utf8', env: { ...process.env, IMPORT_LOG: join(dir, 'job.log') } });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({ status: 'done', event: 171 });
  });

  test("a corpus's worker threads run the compiled worker (dist/bin/corpus-worker.js): every trace checked on a worker, none lost", () => {
    writeFileSync(
      join(project, 'corpus.js'),
      `import { checkAll } from ${JSON.stringify(`${ROOT_URL}dist/bin/corpus.js`)};
const out = await checkAll({ kind: 'replay' }, [process.argv[2], process.argv[3]], 2, () => {}, { here: false });
console.log(JSON.stringify(out.map((o) => ({ status: o.status, onWorker: o.thread > 0 }))));
`,
    );
    const r = spawnSync(process.execPath, [join(project, 'corpus.js'), RUN_A, RUN_B], { cwd: project, encoding: 'utf8', timeout: 120_000 });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual([{ status: 0, onWorker: true }, { status: 0, onWorker: true }]);
  });
});

/** The text of the package's own compiled files a run loaded (the CLI's bundle: dist/cli-*.js). */
function loadedText(modules: readonly string[]): string {
  return modules.filter((m) => m.startsWith(`${ROOT_URL}dist/`)).map((m) => readFileSync(fileURLToPath(m), 'utf8')).join('\n');
}

/** A string that only a command's own module holds: its usage line. */
const usageOf = (cmd: string) => new RegExp(`usage: ["']devrr ${cmd} `);

describe('bin/devrr.js runs the compiled build (the bundle, scripts/build.js), and a command loads only what it needs', () => {
  test('--version: the bundle only (a few files), no command module, no device model, no package', () => {
    const r = run(join(ROOT, 'bin/devrr.js'), ['--version']);
    expect(r.stdout).toBe(`devrr ${PKG.version}\n`);
    const ours = r.modules.filter((m) => m.startsWith(ROOT_URL));
    expect(ours.filter((m) => !m.startsWith(`${ROOT_URL}dist/`))).toEqual([`${ROOT_URL}bin/devrr.js`, `${ROOT_URL}bin/compiled.js`]);
    expect(ours).toContain(`${ROOT_URL}dist/cli-main.js`);
    expect(ours.every((m) => !m.startsWith(`${ROOT_URL}dist/`) || /\/dist\/cli-[\w-]+\.js$/.test(m))).toBe(true);
    expect(ours.length).toBeLessThanOrEqual(12); // the bundle's chunks that every entry shares
    const text = loadedText(r.modules);
    expect(text).not.toMatch(usageOf('info'));
    expect(text).not.toContain('KVM_DEV_TYPE_ARM_VGIC_V2'); // no device model
    expect(r.modules.filter((m) => m.includes('/node_modules/'))).toEqual([]);
  });

  test('info on a small trace: its own command module, the reader and the models; no Ink, React, word diff or TUI; the same output as the sources give', async () => {
    const r = run(join(ROOT, 'bin/devrr.js'), ['info', SMALL]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${(await devrr('info', SMALL)).out}\n`);
    expect(r.modules.some((m) => m.endsWith('.ts') || m.endsWith('.tsx'))).toBe(false);
    const ours = r.modules.filter((m) => m.startsWith(`${ROOT_URL}dist/`));
    expect(ours.every((m) => /\/dist\/cli-[\w-]+\.js$/.test(m))).toBe(true);
    expect(ours.length).toBeLessThanOrEqual(30); // 157 modules before the bundle
    const text = loadedText(r.modules);
    expect(text).toMatch(usageOf('info'));
    expect(text).toContain('KVM_DEV_TYPE_ARM_VGIC_V2');
    for (const other of ['replay', 'tui', 'bisect', 'dump']) expect(text, other).not.toMatch(usageOf(other));
    expect(r.modules.filter((m) => /\/node_modules\/(ink|react|diff|tsx)\//.test(m))).toEqual([]);
  });

  test('replay of a trace that does not diverge: no Ink, React or word diff (the report loads the diff only to show a divergence)', () => {
    const r = run(join(ROOT, 'bin/devrr.js'), ['replay', RUN_A]);
    expect(r.status).toBe(0);
    expect(loadedText(r.modules)).toMatch(usageOf('replay'));
    expect(r.modules.filter((m) => /\/node_modules\/(ink|react|diff|tsx)\//.test(m))).toEqual([]);
  });

  test('with no build (or a stale one), it runs the TypeScript sources through tsx: the same output', async () => {
    // A package root of its own with no dist/: bin/ copied (its root is where it lies), the rest linked.
    const pkg = join(dir, 'unbuilt');
    mkdirSync(pkg);
    cpSync(join(ROOT, 'bin'), join(pkg, 'bin'), { recursive: true });
    for (const f of ['package.json', 'tsconfig.json', 'tsconfig.build.json', 'index.ts', 'package-root.ts', 'devices', 'recorder', 'replay', 'traces', 'tui', 'node_modules']) symlinkSync(join(ROOT, f), join(pkg, f));
    const r = run(join(pkg, 'bin/devrr.js'), ['info', SMALL]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`${(await devrr('info', SMALL)).out}\n`);
    expect(r.modules).toContain(pathToFileURL(join(pkg, 'bin/main.ts')).href);
    expect(r.modules.filter((m) => m.startsWith(`${ROOT_URL}dist/`))).toEqual([]);
    rmSync(pkg, { recursive: true });
  });
});
