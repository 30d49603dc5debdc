import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync, truncateSync, statSync, copyFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { tempDir } from '../tmp.js';
import { devrr } from './run.js';
import { TraceReader } from '../../traces/reader.js';
import { FORMAT_VERSION } from '../../traces/format.js';

const dir = tempDir();
const EX = 'traces/examples/vgic-v2-bringup/vgic-v2-bringup.json';

test('devrr --version and --help (the real binary)', () => {
  const v = execFileSync('node', ['bin/devrr.js', '--version'], { encoding: 'utf8' });
  expect(v).toMatch(/^devrr \d+\.\d+\.\d+\n$/);
  const h = execFileSync('node', ['bin/devrr.js', '--help'], { encoding: 'utf8' });
  for (const c of ['record', 'replay', 'dump', 'info', 'bench']) expect(h).toContain(c);
});

test('every command has --help', async () => {
  for (const c of ['record', 'replay', 'dump', 'info', 'bench', 'start']) {
    const r = await devrr(c, '--help');
    expect(r.code).toBe(0);
    expect(r.out).toContain(`Usage: devrr ${c}`);
  }
});

test('record then replay: exit 0, and the report says so', async () => {
  const t = join(dir, 'b.devrr');
  expect((await devrr('record', EX, '-o', t)).code).toBe(0);
  const r = await devrr('replay', t);
  expect(r.code).toBe(0);
  expect(r.out).toMatch(/no divergence/);
  const j = JSON.parse((await devrr('replay', t, '--json')).out);
  expect(j.divergence).toBeNull();
  expect(j.events).toBeGreaterThan(30);
});

test('record: a missed expectation prints the spec line and exits 1, and the trace is still written', async () => {
  const sc = join(dir, 'miss.json');
  writeFileSync(sc, JSON.stringify({ arch: 'arm64', steps: [
    { op: 'create_device', type: 'KVM_DEV_TYPE_ARM_VGIC_V2', as: 'gic' },
    { op: 'set_attr', dev: 'gic', group: 'KVM_DEV_ARM_VGIC_GRP_ADDR', attr: 'KVM_VGIC_V2_ADDR_TYPE_DIST', value: '0x8000000' },
    { op: 'set_attr', dev: 'gic', group: 'KVM_DEV_ARM_VGIC_GRP_ADDR', attr: 'KVM_VGIC_V2_ADDR_TYPE_DIST', value: '0x9000000', expect: 0 },
  ] }));
  const t = join(dir, 'miss.devrr');
  const r = await devrr('record', sc, '-o', t);
  expect(r.code).toBe(1);
  expect(r.out).toBe('step 2 set_attr KVM_DEV_ARM_VGIC_GRP_ADDR: expected 0, got EEXIST');
  expect((await devrr('replay', t)).code).toBe(0);
});

test('record: an invalid scenario is exit 2 naming the step and field, and writes nothing', async () => {
  const sc = join(dir, 'bad.json');
  writeFileSync(sc, JSON.stringify({ arch: 'arm64', steps: [{ op: 'create_vcpu', id: 0 }, { op: 'create_device', typo: 1 }] }));
  const t = join(dir, 'bad.devrr');
  const r = await devrr('record', sc, '-o', t);
  expect(r.code).toBe(2);
  expect(r.err).toBe(`${sc}: step 1: field "typo": unknown field for op create_device`);
  expect(() => statSync(t)).toThrow();
  writeFileSync(sc, '{"arch": "arm64", "steps": [');
  expect((await devrr('record', sc, '-o', t)).err).toMatch(/not valid JSON/);
});

test('dump decodes names; --json gives one object per line with i and kind', async () => {
  const t = join(dir, 'd.devrr');
  await devrr('record', EX, '-o', t);
  const r = await devrr('dump', t);
  expect(r.code).toBe(0);
  expect(r.out).toContain('KVM_DEV_ARM_VGIC_GRP_ADDR KVM_VGIC_V2_ADDR_TYPE_DIST');
  expect(r.out).toContain('GICC_IAR');
  expect(r.out).toContain('GICD_SGIR');
  expect(r.out).toContain('SPI 40');
  const lines = (await devrr('dump', t, '--json', '--from', '3', '--to', '6')).out.split('\n');
  expect(lines).toHaveLength(3);
  const objs = lines.map((l) => JSON.parse(l));
  expect(objs.map((o) => o.i)).toEqual([3, 4, 5]);
  for (const o of objs) expect(typeof o.kind).toBe('string');
});

test('dump --from N lists, from N on, what the whole dump lists (the events before it replayed, not listed), on every example', async () => {
  for (const f of readdirSync('traces/examples', { recursive: true }).map(String).filter((n) => n.endsWith('.devrr'))) {
    const path = join('traces/examples', f);
    const all = (await devrr('dump', path)).out.split('\n');
    const from = Math.floor(all.length / 2);
    expect((await devrr('dump', path, '--from', String(from))).out.split('\n'), f).toEqual(all.slice(from));
  }
});

test('info --json has the contract keys', async () => {
  const t = join(dir, 'i.devrr');
  await devrr('record', EX, '-o', t);
  const j = JSON.parse((await devrr('info', t, '--json')).out);
  expect(j.format_version).toBe(FORMAT_VERSION.join('.'));
  expect(j.kinds).toMatchObject({ create_vm: { needed: true, known: true }, mmio: { needed: true, known: true } });
  expect(j.arch).toBe('arm64');
  expect(j.events).toBeGreaterThan(30);
  expect(j.devices).toEqual([expect.objectContaining({ type_name: 'KVM_DEV_TYPE_ARM_VGIC_V2' })]);
});

test('a corrupt trace is exit 2 with one line naming the file and byte offset, no stack', async () => {
  const t = join(dir, 'c.devrr');
  await devrr('record', EX, '-o', t);
  const bad = join(dir, 'c-bad.devrr');
  const bytes = readFileSync(t);
  bytes[bytes.length >> 1] ^= 0xff;
  writeFileSync(bad, bytes);
  const r = await devrr('replay', bad);
  expect(r.code).toBe(2);
  expect(r.err).toMatch(new RegExp(`${bad.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: byte \\d+`));
  expect(r.err).not.toMatch(/\n\s+at /);
  const notATrace = join(dir, 'x.devrr');
  writeFileSync(notATrace, 'hello');
  expect((await devrr('info', notATrace)).code).toBe(2);
});

test('a truncated trace (recorder died) replays its complete chunks', async () => {
  const t = join(dir, 't.devrr');
  await devrr('record', EX, '-o', t, '--checkpoint-every', '4');
  const cut = join(dir, 't-cut.devrr');
  copyFileSync(t, cut);
  // Cut where a recorder that died leaves the file: at the start of a record.
  const r0 = TraceReader.open(t);
  truncateSync(cut, r0.chunks[r0.chunks.length >> 1]!.offset);
  r0.close();
  const r = await devrr('replay', cut, '--json');
  expect(r.code).toBe(0);
  expect(r.err).toMatch(/not closed cleanly/);
  const j = JSON.parse(r.out);
  expect(j.divergence).toBeNull();
  expect(j.complete).toBe(false);
  expect(j.events).toBeGreaterThan(0);
});

test('unknown commands and options are exit 2 with one line', async () => {
  expect((await devrr('frobnicate')).code).toBe(2);
  const r = await devrr('replay', '--bogus', 'x');
  expect(r.code).toBe(2);
  expect(r.err).toMatch(/^devrr replay: .*bogus/);
  const spawned = spawnSync('node', ['bin/devrr.js', 'replay', join(dir, 'missing.devrr')], { encoding: 'utf8' });
  expect(spawned.status).toBe(2);
  expect(spawned.stderr.trim().split('\n')).toHaveLength(1);
});

test('bench --json reports every figure as a number, with progress on stderr (tiny run)', async () => {
  const r = await devrr('bench', '--json', '--quick', '--events', '20000', '--timeline-events', '30000', '--corpus', '6');
  expect(r.code).toBe(0);
  const j = JSON.parse(r.out);
  const keys = [
    'replay_events_per_s', 'decode_events_per_s', 'replay_vs_decode_ratio', 'bytes_per_event', 'record_events_per_s',
    'msgpack_replay_events_per_s', 'msgpack_bytes_per_event', 'jsonl_replay_events_per_s', 'jsonl_bytes_per_event',
    'gicv3_replay_events_per_s', 'attrs_replay_events_per_s',
    'seek_ms_median', 'seek_ms_worst', 'step_back_ms_median', 'bisect_ms', 'bisect_s', 'search_10m_s', 'peak_rss_mb',
    'corpus_speedup_2_cores', 'corpus_1_thread_s', 'corpus_2_threads_s', 'step_key_ms_median', 'step_back_key_ms_median', 'goto_key_ms_median',
  ];
  for (const k of keys) expect(typeof j[k], k).toBe('number');
  expect(j.replay_vs_decode_ratio).toBeCloseTo(j.replay_events_per_s / j.decode_events_per_s, 2);
  // Each command's peak memory on the time-travel trace, spawned: a Node process is tens of MB, and the run's peak covers each.
  for (const c of ['info', 'replay', 'bisect', 'migrate_check']) {
    expect(j[`${c}_peak_rss_mb`], c).toBeGreaterThan(20);
    expect(j[`${c}_peak_rss_mb`], c).toBeLessThanOrEqual(j.peak_rss_mb);
    expect(j[`${c}_cmd_s`], c).toBeGreaterThan(0);
  }
  expect(j.bisect_found_planted).toBe(1);
  expect(j.diverged).toBe(0);
  expect(j.corpus_traces).toBe(6);
  expect(j.corpus_diverged).toBe(0);
  expect(r.err).toMatch(/^\[[\d.]+ s\] recording 20000 GICv2 MMIO\/IRQ events\.\.\.$/m);
  expect(r.err).toMatch(/\] done$/);
}, 240_000); // startup_ms spawns devrr 6 times even in a quick run: slow on a loaded 2-core machine

describe('the debugger commands follow the CLI contract', () => {
  const E = 'traces/examples';
  test('bisect --against: exit 1 and first_divergence.event in --json', async () => {
    const r = await devrr('bisect', `${E}/two-runs-one-event/run-b.devrr`, '--against', `${E}/two-runs-one-event/run-a.devrr`, '--json');
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j.first_divergence.event).toBe(171);
    expect(j.first_divergence.fields).toEqual([{ path: 'gic.dist.irq[33].priority', a: 248, b: 160 }]);
    const same = await devrr('bisect', `${E}/two-runs-one-event/run-a.devrr`, '--json');
    expect(same.code).toBe(0);
    expect(JSON.parse(same.out).first_divergence).toBeNull();
  });

  test('migrate-check: exit 1 with failures[].event and fields on the bad VMM, exit 0 on the good one', async () => {
    const bad = await devrr('migrate-check', `${E}/migration-missing-cpu-regs/migration-bad.devrr`, '--json');
    expect(bad.code).toBe(1);
    const j = JSON.parse(bad.out);
    expect(j.checks).toBeGreaterThan(1);
    expect(j.failures).toEqual([expect.objectContaining({ event: 130, fields: expect.arrayContaining([{ path: 'gic.cpu[0].pmr', a: 240, b: 0 }]) })]);
    const text = await devrr('migrate-check', `${E}/migration-missing-cpu-regs/migration-bad.devrr`);
    expect(text.out).toContain('gic.cpu[0].pmr: 0xf0 -> 0');
    expect((await devrr('migrate-check', `${E}/migration-missing-cpu-regs/migration-good.devrr`)).code).toBe(0);
  });

  test('explain: the blocking condition and the event that caused it', async () => {
    const r = await devrr('explain', `${E}/sgi-never-arrives/sgi-never-arrives.devrr`, '--irq', '3');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/BLOCKS\s+enabled \(GICD_ISENABLER\): false\n\s+last changed by event 18: mmio vcpu 1 write GICD_ICENABLER0/);
    const j = JSON.parse((await devrr('explain', `${E}/sgi-never-arrives/sgi-never-arrives.devrr`, '--irq', '3', '--json')).out);
    expect(j.deliverable_to).toEqual([]);
    expect(j.blocking.find((c: { vcpu: number }) => c.vcpu === 1).changed_by[0].event).toBe(18);
    expect((await devrr('explain', `${E}/sgi-never-arrives/sgi-never-arrives.devrr`)).code).toBe(2);
  });

  test('diff: TRACE@N against TRACE@M, exit 1 when they differ, with a unified diff', async () => {
    const t = `${E}/vgic-v2-eoi-out-of-order/vgic-v2-eoi-out-of-order.devrr`;
    const r = await devrr('diff', `${t}@20`, `${t}@25`);
    expect(r.code).toBe(1);
    expect(r.out).toContain('-gic.dist.irq[33].active = true');
    expect(r.out).toContain('+gic.dist.irq[33].active = false');
    const j = JSON.parse((await devrr('diff', `${t}@20`, `${t}@25`, '--json')).out);
    expect(j.fields).toContainEqual({ path: 'gic.cpu[0].rpr', a: 64, b: 160 });
    expect((await devrr('diff', `${t}@20`, `${t}@20`)).code).toBe(0);
    // One argument: the recorded checkpoint against the replayed models.
    const info = JSON.parse((await devrr('info', t, '--json')).out);
    const cp = info.checkpoints.at(-1).event;
    expect((await devrr('diff', `${t}@${cp}`)).code).toBe(0);
    expect((await devrr('diff', `${t}@3`)).code).toBe(2);
  });
});

test('a reader that closes the pipe early (devrr dump | head) ends devrr quietly', () => {
  const r = spawnSync('sh', ['-c', 'node bin/devrr.js dump traces/examples/two-runs-one-event/run-a.devrr | head -1'], { encoding: 'utf8' });
  expect(r.stdout.trim()).toMatch(/^0\s+create_vm arm64/);
  expect(r.stderr).not.toMatch(/EPIPE|at /);
});
