/**
 * The regression corpus: inputs the fuzz suite found that broke the oracle
 * (traces: every command and the TUI's loader; scenarios: `devrr record`,
 * which must write nothing when it exits 2, then replay of what it wrote)
 * (an exception, an exit status outside 0/1/2, more than one line or a
 * stack trace with exit 2), each the smallest found. make.ts rebuilds the
 * trace files; regressions.test.ts runs every command on each and expects
 * the oracle to hold.
 *
 * `open` names what is still broken and who fixes it: those entries are
 * skipped until the fix is merged; delete the `open` line to enable one.
 */
export interface CorpusEntry {
  readonly file: string;
  /** What the input is and what went wrong. */
  readonly what: string;
  /** Still failing: the issue item (or the part of devrr) that fixes it. The test is skipped. */
  readonly open?: string;
  /** Beyond the oracle: no command's stderr may match this. */
  readonly stderrNot?: RegExp;
}

export const CORPUS: readonly CorpusEntry[] = [
  {
    file: 'vm-never-created.devrr',
    what: 'an event for VM 1, which no create_vm made: replay, dump, diff, bisect, migrate-check, explain and the TUI threw "event refers to VM 1, which was never created" (exit 70)',
  },
  {
    file: 'vm-4294967295.devrr',
    what: 'an event for VM 2^32-1 (4294967295): the reader\'s stream-rule gate (vm + 1 in a Uint32Array) wrapped to 0, the event slipped past the VM check, and replay, dump and diff threw (exit 70)',
  },
  {
    file: 'checkpoint-state-null.devrr',
    what: 'a checkpoint whose state is null: diff TRACE@8 and bisect crashed reading .vms (exit 70)',
  },
  {
    file: 'checkpoint-vms-not-array.devrr',
    what: 'a checkpoint whose state is {vms: 5}: diff and bisect crashed (exit 70)',
  },
  {
    file: 'checkpoint-bad-arch.devrr',
    what: 'a checkpoint with the real state but arch "sparc": Vm.restore looked it up in ARCH_LIMITS and crashed (devices/core/vm.ts, exit 70)',
  },
  {
    file: 'checkpoint-device-state-empty.devrr',
    what: 'a checkpoint whose VGIC state is {}: the views, firstRun and the irq helpers read missing fields (devices/arm-vgic/view.ts, irq.ts, common.ts; exit 70)',
  },
  {
    file: 'checkpoint-at-0-bad-digest.devrr',
    what: 'a checkpoint at event 0 with a digest the models do not reproduce: bisect failed with "event -1 is outside chunk" (exit 70)',
  },
  {
    file: 'note-bigint.devrr',
    what: 'a note holding a bigint (allowed by FORMAT.md): dump\'s text and explain serialised it with JSON.stringify and crashed (replay/decode.ts, exit 70)',
  },
  {
    file: 'chunk-bad-crc-indexed.devrr',
    what: 'a cleanly closed trace whose last chunk has a bad CRC: the CLI commands exit 2, but the TUI opens it (the footer is fine) and the TraceError escapes DebugSession.frame() when that chunk is drawn',
  },
  {
    file: 'chunk-kind-bigint.devrr',
    what: 'a chunk shape whose kind is a bigint: exit 2 as it should, but the message is "unexpected error while decoding: Do not know how to serialize a BigInt" (checkShape and checkEvent JSON.stringify the kind)',
    stderrNot: /unexpected error|serialize a BigInt/,
  },
  {
    file: 'header-model-name-newline.devrr',
    what: 'a header naming a device model with a line break in its name (fuzz: header, seed 20250901, input 12351): every command\'s note "recorded with other device model versions" quoted it raw, over two lines; info printed it (and a devrrVersion with a line break) raw too',
  },
  {
    file: 'scenario-bad-json.json',
    what: 'a scenario with a byte that is not JSON between line breaks: record exits 2, but the message (V8\'s JSON.parse message, which quotes the text around the error) is three lines',
  },
  {
    file: 'scenario-failed-device.json',
    what: 'a step naming a device whose create_device failed (handle -1): record crashed with "field target is not an attribute target" (exit 70) and left the .incomplete file',
  },
  {
    file: 'scenario-op-tostring.json',
    what: 'a step with op "toString": record crashed with "allowed.includes is not a function" (exit 70)',
  },
];
