import { statSync } from 'node:fs';
import { constants } from 'node:os';
import { MAX_SCENARIO_BYTES, readScenarioFile } from '../../recorder/scenario-file.js';
import { parseScenario } from '../../recorder/scenario.js';
import { DEFAULT_CHECKPOINT_EVERY, recordToFileInterruptible } from '../../recorder/trace-file.js';
import { type Command, intOption, UsageError } from '../cli.js';
import { ScenarioError } from '../../recorder/scenario-error.js';
import type { BackendFactory } from '../../recorder/backend.js';
import { LIVE } from '../../recorder/live/backend.js';
import { liveUnavailable } from '../../recorder/live/host.js';
import { planLive } from '../../recorder/live/plan.js';
import type { Scenario } from '../../recorder/scenario.js';

/** Warnings printed one per step for failed calls without "expect"; past this, a count. */
const MAX_WARNINGS = 10;

/** The signals that stop a recording cleanly (the partial trace is kept). */
const STOP_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;

export const recordCommand: Command = {
  name: 'record',
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
  --live                    run the steps on the host's /dev/kvm instead of the
                            models: each result in the trace is the kernel's
                            answer, so "devrr replay" of it checks the models
                            against a real kernel

--live issues the device-control calls (KVM_CREATE_VM, KVM_CREATE_VCPU,
KVM_CREATE_DEVICE, KVM_SET/GET/HAS_DEVICE_ATTR, KVM_IRQ_LINE,
KVM_SIGNAL_MSI, KVM_ENABLE_CAP, KVM_ARM_SET_DEVICE_ADDR) through libc's
ioctl. A scenario the host cannot run is refused before /dev/kvm is
opened, naming the step: a VM of another architecture than the host's, or
a guest event (mmio, run_vcpu, sysreg, hcall, guest RAM), since no guest
runs yet. Live traces hold no checkpoints (the kernel's state is not
data devrr can read).

The output: the trace is written to TRACE.incomplete and renamed to TRACE
when it is whole, so TRACE is replaced only by a finished trace, and only
if TRACE is a regular file or absent. A symlink is written through: the
file it names is replaced (or created), the symlink stays. A FIFO,
character or block device (e.g. /dev/null), socket or directory, named
directly or through symlinks, is refused (exit 2, nothing touched): devrr
does not stream traces.
TRACE.lock keeps a second recorder off TRACE while the first runs (it is
refused, naming the first one's pid); a lock left by a recorder that died
is taken over, with a note. A TRACE.incomplete left by an earlier recording
that did not finish is never truncated: it is renamed to NAME.crashed-N.devrr
(for TRACE = NAME.devrr; the first N free), with a note, and the new
recording proceeds.

Signals: SIGINT (Ctrl-C), SIGTERM or SIGHUP stop the recording after the
step being run. Every event recorded so far is written to TRACE.incomplete
(no footer: devrr info, dump and replay read all its events, with a note),
TRACE is left as it was, stderr says where the partial trace is, and devrr
ends by that signal: the shell's exit status is 128 + the signal's number
(130 SIGINT, 143 SIGTERM, 129 SIGHUP).

Exit status: 0 every expectation held; 1 at least one missed (the trace is
still written whole); 2 the scenario is invalid (nothing is written), or
TRACE is refused (see above); 128+N stopped by signal N.`,
  options: { output: { type: 'string', short: 'o' }, 'checkpoint-every': { type: 'string' }, live: { type: 'boolean' } },
  async run({ values, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('devrr record: give one SCENARIO.json (see devrr record --help)');
    const out = values.output as string | undefined;
    if (!out) throw new UsageError('devrr record: -o TRACE is required (see devrr record --help)');
    const every = intOption('record', values, 'checkpoint-every', DEFAULT_CHECKPOINT_EVERY)!;
    const file = positionals[0]!;
    let text: string;
    try {
      text = readScenarioFile(file);
    } catch (e) {
      if (e instanceof ScenarioError) throw e;
      throw new UsageError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`);
    }
    if (sameFile(file, out)) throw new UsageError(`devrr record: -o ${out} is the scenario file itself; refusing to replace it with the trace`);
    // The scenario is parsed (and refused if invalid) before any file is opened.
    const sc = parseScenario(text, file);
    const backends = values.live ? liveBackends(sc) : undefined;
    let signal: (typeof STOP_SIGNALS)[number] | undefined;
    const onSignal = (s: NodeJS.Signals) => void (signal ??= s as (typeof STOP_SIGNALS)[number]);
    for (const s of STOP_SIGNALS) process.on(s, onSignal);
    let r;
    try {
      r = await recordToFileInterruptible(sc, out, { checkpointEvery: every, stop: () => signal, onNote: (l) => io.err(l), ...(backends && { backends }) });
    } finally {
      for (const s of STOP_SIGNALS) process.removeListener(s, onSignal);
    }
    for (const m of r.misses) io.out(m.message);
    for (const u of r.unexpected.slice(0, MAX_WARNINGS)) io.err(`warning: ${u.message}`);
    if (r.unexpected.length > MAX_WARNINGS) io.err(`warning: and ${r.unexpected.length - MAX_WARNINGS} more step(s) failed with no "expect"`);
    const failed = r.unexpected.length ? `; ${r.unexpected.length} step(s) failed with no "expect"` : '';
    const where = r.path === out ? out : `${out} (through the symlink, ${r.path})`;
    if (r.interrupted) {
      io.err(
        `devrr record: stopped by ${r.interrupted.reason} after ${r.events} events; the partial trace is ${r.interrupted.incompletePath} ` +
          `(no footer; devrr info/dump/replay read its ${r.events} events), and ${where} was left as it was` +
          `${r.misses.length ? `; ${r.misses.length} expectation(s) missed so far` : ''}${failed}`,
      );
    } else {
      io.err(`recorded ${r.events} events to ${where}${r.misses.length ? `; ${r.misses.length} expectation(s) missed` : ''}${failed}`);
    }
    if (signal !== undefined) {
      // End by the signal itself, so the shell and a parent see 128+N and
      // stop too (a loop over recordings stops at Ctrl-C). Our handler is
      // gone: the default action ends the process, or the caller's own
      // handlers run and we return 128+N.
      process.kill(process.pid, signal);
      return 128 + constants.signals[signal];
    }
    return r.misses.length ? 1 : 0;
  },
};

/**
 * The host's /dev/kvm as the backend, after checking that it can be used
 * and that every step of `sc` can run on it (nothing is opened before).
 */
function liveBackends(sc: Scenario): BackendFactory {
  const why = liveUnavailable();
  if (why) throw new UsageError(`devrr record --live: ${why}`);
  const plan = planLive(sc);
  const r = plan.refusals[0];
  if (r) {
    const more = plan.refusals.length > 1 ? ` (and ${plan.refusals.length - 1} more step(s))` : '';
    throw new UsageError(`devrr record --live: ${r.step < 0 ? 'the scenario\'s VM' : `step ${r.step}`} cannot run on this host: ${r.why}${more}`);
  }
  return LIVE;
}

/** Whether `a` and `b` name one existing file (through symlinks and hard links). */
function sameFile(a: string, b: string): boolean {
  try {
    const sa = statSync(a);
    const sb = statSync(b);
    return sa.dev === sb.dev && sa.ino === sb.ino;
  } catch {
    return false;
  }
}
