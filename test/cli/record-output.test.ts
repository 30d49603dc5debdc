/**
 * `devrr record -o` never destroys a file, two recorders never share an
 * output, signals leave a readable partial trace, and a failed write to
 * stdout/stderr is one line and exit 2 (issue 9 items 1-4 and 11). The
 * concurrency and signal tests run real `devrr record` processes.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, test } from 'vitest';
import { tempDir } from '../tmp.js';
import { devrr } from './run.js';

const dir = tempDir();
const EX = 'traces/examples/vgic-v2-bringup/vgic-v2-bringup.json';
const EX_TRACE = 'traces/examples/two-runs-one-event/run-a.devrr';
let seq = 0;
const sub = (): string => {
  const d = join(dir, `t${seq++}`);
  mkdirSync(d);
  return d;
};

/** A GICv2 scenario of `n` distributor writes: long enough to be stopped mid-recording. */
function longScenario(n: number): string {
  const steps: object[] = [
    { op: 'create_vcpu', id: 0 },
    { op: 'create_device', type: 'KVM_DEV_TYPE_ARM_VGIC_V2', as: 'gic' },
    { op: 'set_attr', dev: 'gic', group: 'KVM_DEV_ARM_VGIC_GRP_ADDR', attr: 'KVM_VGIC_V2_ADDR_TYPE_DIST', value: '0x8000000' },
    { op: 'set_attr', dev: 'gic', group: 'KVM_DEV_ARM_VGIC_GRP_ADDR', attr: 'KVM_VGIC_V2_ADDR_TYPE_CPU', value: '0x8010000' },
    { op: 'set_attr', dev: 'gic', group: 'KVM_DEV_ARM_VGIC_GRP_CTRL', attr: 'KVM_DEV_ARM_VGIC_CTRL_INIT' },
  ];
  for (let i = 0; i < n; i++) steps.push({ op: 'mmio', vcpu: 0, dir: 'write', addr: '0x8000100', len: 4, value: i % 2 ? '0xffffffff' : '0x1' });
  const file = join(dir, `long-${n}.json`);
  if (!existsSync(file)) writeFileSync(file, JSON.stringify({ arch: 'arm64', steps }));
  return file;
}
const LONG_STEPS = 20_000;

interface Running {
  child: ChildProcess;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** A real `devrr record` of the long scenario to `out`, checkpointing often so its .incomplete grows at once. */
function startRecording(out: string): Running {
  const child = spawn(process.execPath, ['bin/devrr.js', 'record', longScenario(LONG_STEPS), '-o', out, '--checkpoint-every', '8'], { stdio: ['ignore', 'pipe', 'pipe'] });
  let err = '';
  child.stderr!.setEncoding('utf8').on('data', (s: string) => (err += s));
  child.stdout!.resume();
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  return { child, stderr: () => err, exited };
}

/** Waits until the recorder is mid-recording: its .incomplete holds 64 KiB (a few hundred events). */
async function midRecording(out: string, r: Running): Promise<void> {
  for (;;) {
    let size = 0;
    try {
      size = statSync(`${out}.incomplete`).size;
    } catch {
      // not created yet
    }
    if (size >= 64 << 10) return;
    if (r.child.exitCode !== null || r.child.signalCode !== null) throw new Error(`the recorder ended before it was mid-recording: ${r.stderr()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

function run(...args: string[]): { status: number | null; stdout: string; stderr: string } {
  return spawnSync(process.execPath, ['bin/devrr.js', ...args], { encoding: 'utf8' });
}

function infoEvents(trace: string): number {
  const r = run('info', trace, '--json');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout).events;
}

describe('record -o replaces only a regular file (issue 9 item 1)', () => {
  it('a FIFO, a directory or a symlink to a FIFO is refused: exit 2, one line, nothing touched', async () => {
    const d = sub();
    spawnSync('mkfifo', [join(d, 'fifo.devrr')]);
    mkdirSync(join(d, 'dir.devrr'));
    symlinkSync('fifo.devrr', join(d, 'to-fifo.devrr'));
    for (const [name, kind] of [['fifo.devrr', 'a FIFO'], ['dir.devrr', 'a directory'], ['to-fifo.devrr', 'a symlink to a FIFO']]) {
      const out = join(d, name!);
      const r = await devrr('record', EX, '-o', out);
      expect(r.code).toBe(2);
      expect(r.err).toMatch(new RegExp(`^${out}: refusing to write the trace here: it is ${kind}\\b.*so it left it alone$`));
    }
    expect(lstatSync(join(d, 'fifo.devrr')).isFIFO()).toBe(true);
    expect(readdirSync(join(d, 'dir.devrr'))).toEqual([]);
    expect(readdirSync(d).sort()).toEqual(['dir.devrr', 'fifo.devrr', 'to-fifo.devrr']);
  });

  it('a character device (a mknod of /dev/null\'s numbers in a temp dir) is refused and stays a device', async (ctx) => {
    const d = sub();
    const dev = join(d, 'null');
    if (spawnSync('mknod', [dev, 'c', '1', '3']).status !== 0) {
      ctx.skip('mknod is not permitted here: the character device case is not tested');
      return;
    }
    const r = await devrr('record', EX, '-o', dev);
    expect([r.code, r.err]).toEqual([2, `${dev}: refusing to write the trace here: it is a character device; devrr replaces only a regular file (or writes through a symlink to one), so it left it alone`]);
    expect(lstatSync(dev).isCharacterDevice()).toBe(true);
    expect(readdirSync(d)).toEqual(['null']);
  });

  it('a symlink is written through, and the report names the file written', async () => {
    const d = sub();
    writeFileSync(join(d, 'real.devrr'), 'old');
    symlinkSync('real.devrr', join(d, 'link.devrr'));
    const r = await devrr('record', EX, '-o', join(d, 'link.devrr'));
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/^recorded \d+ events to .*link\.devrr \(through the symlink, .*real\.devrr\)$/);
    expect(lstatSync(join(d, 'link.devrr')).isSymbolicLink()).toBe(true);
    expect((await devrr('replay', join(d, 'link.devrr'))).code).toBe(0);
  });

  it('-o naming the scenario file itself is refused, and the scenario keeps its bytes', async () => {
    const d = sub();
    const sc = join(d, 'sc.json');
    writeFileSync(sc, readFileSync(EX));
    const r = await devrr('record', sc, '-o', sc);
    expect([r.code, r.err]).toEqual([2, `devrr record: -o ${sc} is the scenario file itself; refusing to replace it with the trace`]);
    expect(readFileSync(sc, 'utf8')).toBe(readFileSync(EX, 'utf8'));
  });

  it('an invalid scenario leaves no trace, no .incomplete and no .lock (the writer opens only after parsing)', async () => {
    const d = sub();
    const sc = join(d, 'bad.json');
    writeFileSync(sc, JSON.stringify({ arch: 'arm64', steps: [{ op: 'create_vcpu', id: 0 }, { op: 'mmio', vcpu: 0 }] }));
    const r = await devrr('record', sc, '-o', join(d, 'out.devrr'));
    expect(r.code).toBe(2);
    expect(readdirSync(d)).toEqual(['bad.json']);
  });
});

describe('one recorder per output (issue 9 item 2), real processes', () => {
  it('a second recorder on the path of a running one is refused naming the path and its pid; the first finishes and the file holds its recording', async () => {
    const d = sub();
    const out = join(d, 'run.devrr');
    const a = startRecording(out);
    try {
      await midRecording(out, a);
      a.child.kill('SIGSTOP'); // hold A mid-recording while B tries
      const before = statSync(`${out}.incomplete`);
      const b = run('record', EX, '-o', out);
      expect(b.status).toBe(2);
      expect(b.stderr).toBe(`${out}: another devrr is writing this trace (pid ${a.child.pid}, lock file ${out}.lock); refusing a second writer (remove the lock file only if that process is not devrr)\n`);
      const after = statSync(`${out}.incomplete`);
      expect([after.ino, after.size]).toEqual([before.ino, before.size]);
    } finally {
      a.child.kill('SIGCONT');
    }
    expect(await a.exited).toEqual({ code: 0, signal: null });
    expect(a.stderr()).toBe(`recorded ${LONG_STEPS + 6} events to ${out}\n`);
    expect(infoEvents(out)).toBe(LONG_STEPS + 6);
    expect(readdirSync(d)).toEqual(['run.devrr']);
  });

  it('after a recorder is killed (SIGKILL), the next one takes over its lock and keeps its .incomplete as run.crashed-1.devrr, saying both', async () => {
    const d = sub();
    const out = join(d, 'run.devrr');
    const a = startRecording(out);
    await midRecording(out, a);
    a.child.kill('SIGKILL');
    await a.exited;
    expect(existsSync(`${out}.lock`)).toBe(true);
    const c = run('record', EX, '-o', out);
    expect(c.status).toBe(0);
    const crashed = join(d, 'run.crashed-1.devrr');
    expect(c.stderr.split('\n')).toEqual([
      `note: ${out}.lock was left by devrr pid ${a.child.pid}, which is no longer running; took the lock over`,
      expect.stringMatching(new RegExp(`^note: ${out}\\.incomplete \\(\\d+ bytes\\) was left by a recording that did not finish \\(crashed, killed or interrupted\\); kept it as ${crashed} \\(devrr info/replay read it\\)$`)),
      expect.stringMatching(/^recorded \d+ events to /),
      '',
    ]);
    expect(infoEvents(crashed)).toBeGreaterThan(100);
    expect(run('replay', crashed).status).toBe(0);
    expect(readdirSync(d).sort()).toEqual(['run.crashed-1.devrr', 'run.devrr']);
  });
});

describe("an earlier crash's .incomplete is kept (issue 9 item 3)", () => {
  it('a new recording renames it aside with a note on stderr instead of truncating it, and proceeds', async () => {
    const d = sub();
    const out = join(d, 'run.devrr');
    writeFileSync(`${out}.incomplete`, readFileSync(EX_TRACE)); // a crashed recording's bytes
    const r = await devrr('record', EX, '-o', out);
    expect(r.code).toBe(0);
    expect(r.err.split('\n')[0]).toBe(
      `note: ${out}.incomplete (${statSync(EX_TRACE).size} bytes) was left by a recording that did not finish (crashed, killed or interrupted); kept it as ${join(d, 'run.crashed-1.devrr')} (devrr info/replay read it)`,
    );
    expect(readFileSync(join(d, 'run.crashed-1.devrr')).equals(readFileSync(EX_TRACE))).toBe(true);
    expect(readdirSync(d).sort()).toEqual(['run.crashed-1.devrr', 'run.devrr']);
  });
});

describe('signals during record (issue 9 item 11), real processes', () => {
  for (const [sig, status] of [['SIGINT', 130], ['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    it(`${sig}: the recorded events are flushed to run.devrr.incomplete, readable by info and replay; stderr says where; run.devrr is untouched; devrr ends by ${sig} (shell status ${status})`, async () => {
      const d = sub();
      const out = join(d, 'run.devrr');
      writeFileSync(out, 'an earlier trace');
      const a = startRecording(out);
      await midRecording(out, a);
      a.child.kill(sig);
      expect(await a.exited).toEqual({ code: null, signal: sig });
      const m = /^devrr record: stopped by (\w+) after (\d+) events; the partial trace is (.*) \(no footer; devrr info\/dump\/replay read its \2 events\), and (.*) was left as it was\n$/.exec(a.stderr());
      expect(m, a.stderr()).not.toBeNull();
      expect([m![1], m![3], m![4]]).toEqual([sig, `${out}.incomplete`, out]);
      const n = Number(m![2]);
      expect(n).toBeGreaterThan(100);
      expect(n).toBeLessThan(LONG_STEPS + 6);
      // Every recorded event was written: the reader finds exactly n.
      expect(infoEvents(`${out}.incomplete`)).toBe(n);
      const rp = run('replay', `${out}.incomplete`);
      expect(rp.status).toBe(0);
      expect(rp.stdout).toMatch(new RegExp(`replayed ${n} events .*no divergence`));
      expect(readFileSync(out, 'utf8')).toBe('an earlier trace');
      expect(readdirSync(d).sort()).toEqual(['run.devrr', 'run.devrr.incomplete']);
    });
  }

  test('record --help states what a signal does and the exit status', async () => {
    const h = (await devrr('record', '--help')).out;
    expect(h).toMatch(/SIGINT \(Ctrl-C\), SIGTERM or SIGHUP stop the recording/);
    expect(h).toMatch(/130 SIGINT, 143 SIGTERM, 129 SIGHUP/);
    expect(h).toMatch(/A FIFO,\s+character or block device \(e\.g\. \/dev\/null\), socket or directory/);
  });
});

describe('a failed write to stdout or stderr is one line and exit 2 (issue 9 item 4)', () => {
  const NO_FULL = 'this system has no /dev/full: output write errors are not tested';
  /** Runs the real binary with stdout (or stderr) on /dev/full. */
  function toFull(stream: 'stdout' | 'stderr', ...args: string[]): { status: number | null; stderr: string } {
    const fd = openSync('/dev/full', 'w');
    try {
      const r = spawnSync(process.execPath, ['bin/devrr.js', ...args], { stdio: ['ignore', stream === 'stdout' ? fd : 'ignore', stream === 'stderr' ? fd : 'pipe'], encoding: 'utf8' });
      return { status: r.status, stderr: r.stderr ?? '' };
    } finally {
      closeSync(fd);
    }
  }

  it('dump, info, replay and --help with stdout on /dev/full: "cannot write to standard output: ENOSPC", exit 2, no stack trace', (ctx) => {
    if (!existsSync('/dev/full')) return ctx.skip(NO_FULL);
    for (const args of [['dump', EX_TRACE], ['info', EX_TRACE, '--json'], ['replay', EX_TRACE], ['--help']]) {
      const r = toFull('stdout', ...args);
      expect([args, r.status, r.stderr]).toEqual([args, 2, 'devrr: cannot write to standard output: ENOSPC: no space left on device, write\n']);
    }
  });

  it('with stderr on /dev/full, a command that must report on stderr still exits 2 (never 1 or 70)', (ctx) => {
    if (!existsSync('/dev/full')) return ctx.skip(NO_FULL);
    expect(toFull('stderr', 'info', join(dir, 'missing.devrr')).status).toBe(2);
    const d = sub();
    // record's report line goes to stderr; the trace is whole all the same.
    expect(toFull('stderr', 'record', EX, '-o', join(d, 'r.devrr')).status).toBe(2);
    expect(infoEvents(join(d, 'r.devrr'))).toBeGreaterThan(30);
  });
});
