/**
 * Writes the regression corpus: one small file per failure the fuzz suite
 * found, each the smallest input that shows it, built from its description
 * so that it can be rebuilt (`npx tsx test/fuzz/corpus/make.ts`) and read
 * (manifest.ts says what each one is and what devrr must do with it).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { digestState } from '../../../devices/core/state.js';
import { Session } from '../../../recorder/execute.js';
import type { TraceEvent } from '../../../traces/events.js';
import { RecordType, encodeValue } from '../../../traces/format.js';
import { EXAMPLES, eventsOf } from '../lib/corpus.js';
import { buildTrace, defaultHeader, eventRecords, type RecordBytes } from '../lib/trace-bytes.js';
import { CORPUS } from './manifest.js';

const DIR = fileURLToPath(new URL('.', import.meta.url));

/** The first `n` events of the v2 bring-up example, in chunks of 4, with its real checkpoint at `cpAt` whose state `f` may replace. */
function bringup(n: number, cpAt: number, state: (real: unknown) => unknown, digest?: string): Buffer {
  const evs = eventsOf(join(EXAMPLES, 'vgic-v2-bringup/vgic-v2-bringup.devrr')).slice(0, n);
  const s = new Session();
  evs.slice(0, cpAt).forEach((e) => s.execute(e));
  const real = s.snapshot();
  const cps = new Map([[cpAt, { state: state(real), digest: digest ?? digestState(real) }]]);
  return buildTrace(defaultHeader(), eventRecords(evs, 4, cps), { kind: 'rebuild' });
}

export function build(name: string): Buffer {
  switch (name) {
    case 'vm-never-created.devrr': {
      // Issue 9 item 6: an event for VM 1, which no create_vm made.
      const evs: TraceEvent[] = [
        { kind: 'create_vm', vm: 0, arch: 'arm64', ipaBits: 40 },
        { kind: 'create_vcpu', vm: 1, id: 0, errno: 0 },
      ];
      return buildTrace(defaultHeader(), eventRecords(evs, 16), { kind: 'rebuild' });
    }
    case 'checkpoint-state-null.devrr':
      return bringup(12, 8, () => null);
    case 'checkpoint-vms-not-array.devrr':
      return bringup(12, 8, () => ({ vms: 5 }));
    case 'checkpoint-bad-arch.devrr':
      // The real state with an arch no model knows: restore looks it up in ARCH_LIMITS.
      return bringup(12, 8, (real) => ({ vms: (real as { vms: Record<string, unknown>[] }).vms.map((v) => ({ ...v, arch: 'sparc' })) }));
    case 'checkpoint-device-state-empty.devrr':
      // The real state with the VGIC's own state emptied: views and restores read its fields.
      return bringup(12, 8, (real) => ({
        vms: (real as { vms: { devices: { type: number; state: unknown }[] }[] }).vms.map((v) => ({ ...v, devices: v.devices.map((d) => ({ ...d, state: {} })) })),
      }));
    case 'checkpoint-at-0-bad-digest.devrr': {
      // Issue 9 item 6: bisect with a checkpoint at event 0 whose digest the models do not reproduce.
      const evs = eventsOf(join(EXAMPLES, 'vgic-v2-bringup/vgic-v2-bringup.devrr')).slice(0, 8);
      const cps = new Map([[0, { state: { vms: [] }, digest: 'not-the-digest' }]]);
      return buildTrace(defaultHeader(), eventRecords(evs, 4, cps), { kind: 'rebuild' });
    }
    case 'vm-4294967295.devrr': {
      // Fuzz finding (events, seed 20250901, input 1127): VM 2^32-1 wrapped the reader's
      // stream-rule gate (vm + 1 in a Uint32Array) to 0, so the event slipped past the VM check.
      const evs: TraceEvent[] = [
        { kind: 'create_vm', vm: 0, arch: 'arm64', ipaBits: 40 },
        { kind: 'create_vcpu', vm: 4294967295, id: 0, errno: 0 },
      ];
      return buildTrace(defaultHeader(), eventRecords(evs, 16), { kind: 'rebuild' });
    }
    case 'note-bigint.devrr': {
      // Issue 9 item 6: a note holding a bigint (FORMAT.md allows it): dump's text and explain serialise it.
      const evs: TraceEvent[] = [
        { kind: 'create_vm', vm: 0, arch: 'arm64', ipaBits: 40 },
        { kind: 'create_vcpu', vm: 0, id: 0, errno: 0, note: { n: 1n } },
      ];
      return buildTrace(defaultHeader(), eventRecords(evs, 16), { kind: 'rebuild' });
    }
    case 'chunk-bad-crc-indexed.devrr': {
      // Found by the tui-loader oracle: a footer that indexes every chunk, one chunk's CRC wrong.
      // The reader opens the file (the index is fine); the damage is found when the TUI draws.
      const evs = eventsOf(join(EXAMPLES, 'vgic-v2-bringup/vgic-v2-bringup.devrr'));
      const good = buildTrace(defaultHeader(), eventRecords(evs, 8), { kind: 'rebuild' });
      const bad = Buffer.from(good);
      // The last chunk record's CRC: the 4 bytes before the footer record.
      const footerAt = Number(bad.readBigUInt64LE(bad.length - 16));
      bad[footerAt - 1] ^= 0xff;
      return bad;
    }
    case 'chunk-kind-bigint.devrr': {
      // A shape whose kind is a bigint: checkShape's message JSON.stringify()s it and throws,
      // so the reader reports "unexpected error while decoding: Do not know how to serialize a BigInt".
      const evs: TraceEvent[] = [{ kind: 'create_vm', vm: 0, arch: 'arm64', ipaBits: 40 }];
      const payload = encodeValue({ f: 0, n: 1, s: [{ kind: 1n, vm: 0 }], i: Buffer.from([0]), v: Buffer.alloc(0) });
      void evs;
      const records: RecordBytes[] = [{ type: RecordType.Chunk, payload }];
      return buildTrace(defaultHeader(), records, { kind: 'rebuild' });
    }
    case 'header-model-name-newline.devrr': {
      // Fuzz finding (header, seed 20250901, input 12351): a model name in the header with a line
      // break (and bytes that are no text) in it; every command's "recorded with other device model
      // versions" note printed it raw, over two lines.
      const evs = eventsOf(join(EXAMPLES, 'vgic-v2-bringup/vgic-v2-bringup.devrr')).slice(0, 8);
      return buildTrace(defaultHeader({ models: { 'kvm-arm-vgic-v2': 2, 'kvm-arm-vgik-its\n*\u0005Tarm-vgic-v3': 2 }, devrrVersion: '0.1\n0' }), eventRecords(evs, 4), { kind: 'rebuild' });
    }
    case 'scenario-bad-json.json':
      // A byte that is not JSON, with line breaks around it: V8's message quotes the text around it,
      // line breaks included, and record printed that as a three-line message.
      return Buffer.from('{\n "arch": "arm64",\n "steps": [\n  {"op": "create_vcpu", "id": ?}\n ]\n}\n');
    case 'scenario-failed-device.json':
      // Issue 9 item 9: a step naming a device whose create_device failed (type 0: ENODEV, handle -1).
      return Buffer.from(JSON.stringify({ arch: 'arm64', steps: [{ op: 'create_device', type: 0, as: 'gic' }, { op: 'has_attr', dev: 'gic', group: 0, attr: 0 }] }));
    case 'scenario-op-tostring.json':
      // Issue 9 item 9: an op named like an Object.prototype method.
      return Buffer.from(JSON.stringify({ arch: 'arm64', steps: [{ op: 'toString', id: 0 }] }));
    default:
      throw new Error(`no builder for ${name}`);
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const c of CORPUS) writeFileSync(join(DIR, c.file), build(c.file));
  console.log(`wrote ${CORPUS.length} files to ${DIR}`);
}
