/**
 * The real CLI on hostile traces (issue 9, items 5-8): every command reports
 * a damaged or inconsistent trace the same way, exit status 2 with one line
 * naming the file and byte offset and no stack trace, before it prints
 * anything else; inputs that used to balloon are refused under a 256 MB heap.
 * The reader side of the same inputs is test/traces/hostile.test.ts.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { modelVersions } from '../../devices/registry.js';
import { Session } from '../../recorder/execute.js';
import type { TraceEvent } from '../../traces/events.js';
import { frameRecord, RecordType } from '../../traces/format.js';
import { TraceReader } from '../../traces/reader.js';
import { tempDir } from '../tmp.js';
import { CREATE_VM, checkpoint, chunk, chunks, fileIn, traceBytes } from '../traces/craft.js';
import { devrr } from './run.js';

/** The running VGIC v2 model's version, which the notes name. */
const V2 = modelVersions()['kvm-arm-vgic-v2'];

const dir = tempDir();
const file = (name: string, bytes: Uint8Array): string => fileIn(dir, name, bytes);

/** Every command that reads a trace, with arguments that make it read `f` whole. */
const COMMANDS: readonly (readonly [string, (f: string) => string[]])[] = [
  ['replay', (f) => ['replay', f]],
  ['dump', (f) => ['dump', f]],
  ['info', (f) => ['info', f]],
  ['diff', (f) => ['diff', `${f}@0`, f]],
  ['bisect --against', (f) => ['bisect', f, '--against', f]],
  ['migrate-check', (f) => ['migrate-check', f]],
  ['explain', (f) => ['explain', f, '--irq', '33']],
];

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Exit 2, nothing on stdout, one line on stderr: "<file>: byte <offset>: <what>", no stack trace. */
function expectRefused(r: { code: number; out: string; err: string }, path: string, offset: number, what?: RegExp): void {
  expect(r.code, r.err).toBe(2);
  expect(r.out).toBe('');
  expect(r.err.split('\n'), r.err).toHaveLength(1);
  expect(r.err).toMatch(new RegExp(`^${escape(path)}: byte ${offset}: `));
  expect(r.err).not.toMatch(/\bat .*\.ts:\d+|internal error/);
  if (what) expect(r.err).toMatch(what);
}

/** Every command on `path`: refused the same way, at `offset`. */
async function allRefuse(path: string, offset: number, what?: RegExp): Promise<void> {
  const lines = new Set<string>();
  for (const [name, args] of COMMANDS) {
    const r = await devrr(...args(path));
    expect(r.code, `${name}: ${r.err}`).toBe(2);
    expectRefused(r, path, offset, what);
    lines.add(r.err);
  }
  expect([...lines]).toHaveLength(1); // the same line from every command
}

const VCPU: TraceEvent = { kind: 'create_vcpu', vm: 0, id: 0, errno: 0 };
const GIC: TraceEvent = { kind: 'create_device', vm: 0, type: 5, flags: 0, errno: 0, handle: 0 };
const BASE: TraceEvent[] = [CREATE_VM, VCPU, GIC];

function baseState(): unknown {
  const s = new Session();
  for (const ev of BASE) s.execute(ev);
  return s.snapshot();
}

/** Offsets of a crafted file's records, from its footer. */
function offsets(path: string): { chunks: number[]; checkpoints: number[] } {
  const r = TraceReader.open(path);
  const o = { chunks: r.chunks.map((c) => c.offset), checkpoints: r.checkpoints.map((c) => c.offset) };
  r.close();
  return o;
}

describe('item 5: inputs that made the tools allocate without bound are refused under a 256 MB heap', () => {
  /** The real binary, heap capped: exit 2 and one line, not a crash. */
  function capped(cmd: string, path: string): { status: number | null; stderr: string; stdout: string } {
    const p = spawnSync(process.execPath, ['--max-old-space-size=256', 'bin/devrr.js', cmd, path], { encoding: 'utf8', timeout: 120_000 });
    return { status: p.status, stderr: p.stderr.trimEnd(), stdout: p.stdout };
  }

  const inputs: [string, () => string, RegExp][] = [
    ['a mem_read of 1 GiB', () => file('mem-1g', traceBytes([chunk(0, [CREATE_VM, { kind: 'mem_read', vm: 0, addr: 0, len: 2 ** 30, data: new Uint8Array(0), errno: 0 }])])), /\(mem_read\) len 1073741824 is over the 1048576-byte limit/],
    ['a mem_read of 4 GiB', () => file('mem-4g', traceBytes([chunk(0, [CREATE_VM, { kind: 'mem_read', vm: 0, addr: 0, len: 2 ** 32 - 1, data: new Uint8Array(0), errno: 0 }])])), /\(mem_read\) len 4294967295 is over/],
    ['1.5 MB of repeated create_vm events', () => file('vm-storm', traceBytes(chunks(0, Array.from({ length: 1_500_000 }, () => CREATE_VM)))), /event 1 \(create_vm\) names its new VM 0, but it is VM 1/],
    [
      'a footer declaring an array of 120M empty maps',
      () => {
        const good = traceBytes([chunk(0, BASE)]);
        const footerAt = Number(good.readBigUInt64LE(good.length - 16));
        const payload = Buffer.concat([Buffer.from([0x82, 0xa6]), Buffer.from('events'), Buffer.from([0x03, 0xa6]), Buffer.from('chunks'), Buffer.from([0xdd, 0x07, 0x27, 0x0e, 0x00]), Buffer.alloc(200, 0x80)]);
        return file('footer-120m', Buffer.concat([good.subarray(0, footerAt), frameRecord(RecordType.Footer, payload), good.subarray(good.length - 16)]));
      },
      /footer: payload is not valid msgpack \(msgpack container at byte \d+ declares 120000000 values/,
    ],
    [
      '100k footer checkpoint entries',
      () => file('footer-100k', traceBytes([chunk(0, BASE), checkpoint(3, baseState())], { footer: (m) => ({ ...m, checkpoints: Array.from({ length: 100_000 }, () => (m['checkpoints'] as unknown[])[0]) }) })),
      /footer: 1 chunk and 100000 checkpoint entries, but the \d+ bytes of records hold at most \d+ records/,
    ],
    [
      // Fuzz checkpoint, seed 20250901, input 78394: 49,518 copies (432 MB) made every command take 1 GB; memory is bounded by the file's size (FORMAT.md, Limits), and the list by the model limit.
      'a checkpoint whose VM lists one device 2,000 times',
      () => {
        const s = baseState() as { vms: { devices: unknown[] }[] };
        const state = { ...s, vms: [{ ...s.vms[0]!, devices: Array.from({ length: 2000 }, () => s.vms[0]!.devices[0]) }] };
        return file('devices-2000', traceBytes([chunk(0, BASE), checkpoint(3, state)]));
      },
      /checkpoint for event 3: state does not fit the models: vms\[0\]\.devices has 2000 elements, more than 256/,
    ],
  ];
  for (const [what, make, message] of inputs) {
    it(`${what}: replay and info exit 2 with one line`, { timeout: 240_000 }, () => {
      const path = make();
      for (const cmd of ['replay', 'info']) {
        const p = capped(cmd, path);
        expect(p.status, p.stderr.slice(0, 500)).toBe(2);
        expect(p.stdout).toBe('');
        expect(p.stderr.split('\n')).toHaveLength(1);
        expect(p.stderr).toMatch(new RegExp(`^${escape(path)}: byte \\d+: `));
        expect(p.stderr).toMatch(message);
      }
    });
  }
});

describe('item 6: inconsistent content is exit 2 with the byte offset, from every command', () => {
  it('an event for a VM that was never created', async () => {
    const path = file('no-vm', traceBytes([chunk(0, [...BASE, { kind: 'irq_line', vm: 1, irq: 33, level: 1, errno: 0 }])]));
    await allRefuse(path, offsets(path).chunks[0]!, /event chunk: event 3 \(irq_line\) is for VM 1, which no earlier create_vm created/);
  });

  for (const [what, state, message] of [
    ['null', null, /state does not fit the models: state is not an object/],
    ['a number', 42, /state is not an object/],
    ['vms not an array', { vms: { 0: 1 } }, /vms is not an array/],
    ['a VM without its devices', { vms: [{ arch: 'arm64', ipaBits: 40, maxVcpus: 8, vcpus: [], irqchip: -1, dead: false }] }, /vms\[0\]\.devices is missing/],
  ] as const) {
    it(`checkpoint state that is ${what}`, async () => {
      const path = file('cp-shape', traceBytes([chunk(0, BASE), checkpoint(3, state)]));
      await allRefuse(path, offsets(path).checkpoints[0]!, message);
      // bisect without --against restores checkpoints: refused the same way.
      expectRefused(await devrr('bisect', path), path, offsets(path).checkpoints[0]!, message);
    });
  }

  it('a checkpoint at event 0 with a bad digest (bisect said "event -1 is outside chunk")', async () => {
    const path = file('cp0', traceBytes([checkpoint(0, { vms: [] }, '0'.repeat(32)), chunk(0, BASE), checkpoint(3, baseState())]));
    const at = offsets(path).checkpoints[0]!;
    expectRefused(await devrr('bisect', path), path, at, /checkpoint for event 0: state does not match its digest/);
    expectRefused(await devrr('bisect', path, '--json'), path, at);
    await allRefuse(path, at);
  });

  it('a bigint inside a note (FORMAT.md allows it) is printed by dump and explain', async () => {
    const path = file('big-note', traceBytes([chunk(0, [{ ...CREATE_VM, note: { id: 2n ** 63n, tag: 'boot', bytes: new Uint8Array([1, 2]) } }, VCPU, GIC])]));
    const dump = await devrr('dump', path);
    expect([dump.code, dump.err]).toEqual([0, '']);
    expect(dump.out.split('\n')[0]).toMatch(/# \{"id":"0x8000000000000000","tag":"boot","bytes":"0102"\}$/);
    const json = await devrr('dump', path, '--json');
    expect(json.code).toBe(0);
    const explain = await devrr('explain', path, '--irq', '33');
    expect(explain.code, explain.err).toBe(0);
  });
});

describe('item 7: damage is reported the same way by every command', () => {
  // One VM with a VGIC v2 and a vcpu that ran, a checkpoint after each step.
  const s = new Session();
  const events: TraceEvent[] = [];
  const states: unknown[] = [];
  for (const ev of [...BASE, { kind: 'run_vcpu', vm: 0, vcpu: 0, errno: 0 }, { kind: 'irq_line', vm: 0, irq: 33, level: 1, errno: 0 }] as TraceEvent[]) {
    events.push(s.execute(ev)); // with the results the models give
    states.push(s.snapshot());
  }
  const good = traceBytes(events.flatMap((ev, i) => [chunk(i, [ev]), checkpoint(i + 1, states[i])]));
  const goodPath = file('good', good);
  const o = offsets(goodPath);

  it('the undamaged trace reads', async () => {
    for (const [name, args] of COMMANDS) {
      const r = await devrr(...args(goodPath));
      expect([0, 1], `${name}: ${r.err}`).toContain(r.code);
      expect(r.err).toBe('');
    }
  });

  it('single-bit flips inside a checkpoint record: exit 2 at that record from every command (each bit: test/traces)', async () => {
    const at = o.checkpoints[2]!;
    const end = o.chunks[3]!;
    for (let bit = 5; bit < (end - at) * 8; bit += 97) {
      const bytes = Buffer.from(good);
      bytes[at + (bit >> 3)]! ^= 1 << (bit & 7);
      const path = file(`flip-${bit}`, bytes);
      await allRefuse(path, at);
    }
  });

  it('a bad CRC in the middle: every command exits 2 before printing anything (none reads half the events)', async () => {
    const bytes = Buffer.from(good);
    bytes[o.chunks[2]! + 12]! ^= 0x04;
    const path = file('mid-crc', bytes);
    await allRefuse(path, o.chunks[2]!, /event chunk record CRC mismatch/);
    expectRefused(await devrr('bisect', path), path, o.chunks[2]!);
  });

  it('cut inside a record: exit 2, the same from every command', async () => {
    const path = file('cut-inside', good.subarray(0, o.chunks[3]! + 7));
    await allRefuse(path, o.chunks[3]!, /event chunk record needs \d+ bytes but only 7 remain/);
  });

  it('cut at a record boundary (a crashed recording): read with one note saying what is missing', async () => {
    const path = file('cut-boundary', good.subarray(0, o.chunks[3]!));
    for (const [name, args] of COMMANDS) {
      const r = await devrr(...args(path));
      expect([0, 1], `${name}: ${r.err}`).toContain(r.code);
      // One note per opening (diff and bisect --against open the file twice here).
      const notes = new Set(r.err.split('\n'));
      expect([...notes], name).toEqual([
        `note: ${path} was not closed cleanly (the recorder crashed, was killed or is still running): read 3 events from its complete records; any events after byte ${o.chunks[3]} are missing, and how many is not known`,
      ]);
    }
    const dump = await devrr('dump', path);
    expect(dump.out.split('\n')).toHaveLength(3);
  });

  it('cut inside the end trailer: the footer survived and says no event is missing', async () => {
    const path = file('cut-trailer', good.subarray(0, good.length - 5));
    const r = await devrr('replay', path);
    expect(r.code).toBe(0);
    expect(r.err).toBe(`note: ${path} was not closed cleanly (the recorder crashed, was killed or is still running): read all 5 events its footer lists (only the end trailer is missing)`);
  });
});

describe('item 8: a trace recorded with other model versions says so before any report', () => {
  const path = file('v999', traceBytes([chunk(0, BASE), checkpoint(3, baseState())], { header: { models: { 'kvm-arm-vgic-v2': 999 } } }));
  const note = `note: ${path} was recorded with other device model versions: kvm-arm-vgic-v2 v999 (this devrr: v${V2}); replayed results may differ from the recorded ones`;

  it('every command prints the note (replay still replays)', async () => {
    for (const [name, args] of COMMANDS) {
      const r = await devrr(...args(path));
      expect([0, 1], `${name}: ${r.err}`).toContain(r.code);
      expect(new Set(r.err.split('\n')), name).toEqual(new Set([note]));
    }
    expect((await devrr('bisect', path)).err.split('\n')[0]).toBe(note);
  });

  it('info shows it in its report and --json', async () => {
    const r = await devrr('info', path);
    expect(r.out).toContain(`recorded with other model versions than this devrr's: kvm-arm-vgic-v2 v999 (this devrr: v${V2})`);
    expect(JSON.parse((await devrr('info', path, '--json')).out).model_mismatches).toEqual([`kvm-arm-vgic-v2 v999 (this devrr: v${V2})`]);
  });

  it('a trace recorded with this devrr\'s models has no note', async () => {
    const same = file('same', traceBytes([chunk(0, BASE)]));
    expect((await devrr('replay', same)).err).toBe('');
  });
});

