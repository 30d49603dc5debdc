/**
 * Issue 13: TUI search decodes each distinct guest access or interrupt line
 * once and replays over the events it has judged (replay/search.ts). Its
 * answers must be exactly those of decoding every event with the state just
 * before it: checked here against that, on every bundled example (GICv2,
 * GICv3 with 8-byte accesses, the ITS, migrations, two VMs) and on the
 * bench workload, for queries made of the events' own words, both ways.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { writeWorkloadTrace } from '../../replay/bench.js';
import { describeEvent } from '../../replay/decode.js';
import { matchesQuery, searchEvents } from '../../replay/search.js';
import { Timeline } from '../../replay/timeline.js';
import type { BackendFactory } from '../../recorder/backend.js';
import { modelBackends } from '../../recorder/execute.js';
import { traceHeader } from '../../recorder/trace-file.js';
import type { TraceEvent } from '../../traces/events.js';
import { TraceReader } from '../../traces/reader.js';
import { TraceWriter } from '../../traces/writer.js';
import { tempDir } from '../tmp.js';
import { TOY_BASE, TOY_GRP_CONFIG, TOY_REGISTRY, TOY_TYPE } from './toy/toy-pic.js';

const EX = 'traces/examples';
const examples = readdirSync(EX, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).flatMap((d) => readdirSync(join(EX, d)).filter((f) => f.endsWith('.devrr')).map((f) => join(EX, d, f)));

/** Every event's text, decoded the slow, obvious way. */
function allTexts(r: TraceReader, backends?: BackendFactory): string[] {
  const tl = new Timeline(r, backends ? { backends } : {});
  const out: string[] = [];
  for (let i = 0; i < r.eventCount; i++) {
    tl.seek(i);
    out.push(describeEvent(tl.event(i), tl.point()));
  }
  return out;
}

/** Queries from the texts' own words: register names, values, IRQ names, errnos, and an index. */
function queriesOf(texts: string[]): string[] {
  const words = new Set<string>();
  texts.forEach((t, i) => {
    if (i % 7 !== 0) return;
    const w = t.split(/\s+/).filter((x) => x.length > 2);
    for (const x of w.slice(0, 6)) words.add(x);
  });
  return [...words].slice(0, 24).concat(['SPI 3', 'vcpu 1 read', `#${Math.floor(texts.length / 2)}`, 'no such thing']);
}

function check(path: string): void {
  const r = TraceReader.open(path);
  try {
    const texts = allTexts(r);
    const n = texts.length;
    const starts = [0, Math.floor(n / 3), Math.floor((2 * n) / 3), n - 1];
    for (const q of queriesOf(texts)) {
      const hits = texts.flatMap((t, i) => (matchesQuery(q, i, t) ? [i] : []));
      for (const s of starts) {
        const fwd = hits.find((i) => i >= s) ?? null;
        const back = [...hits].reverse().find((i) => i <= s) ?? null;
        const f = searchEvents(r, q, s, 1);
        const b = searchEvents(r, q, s, -1);
        expect(f?.event ?? null, `${path} "${q}" forward from ${s}`).toBe(fwd);
        expect(b?.event ?? null, `${path} "${q}" backward from ${s}`).toBe(back);
        if (f) expect(f.text).toBe(texts[f.event]);
      }
    }
  } finally {
    r.close();
  }
}

describe('search finds what decoding every event finds', () => {
  for (const path of examples) test(path, () => check(path));

  test('the bench workload (12,000 events: the same accesses over and over, with values that vary)', () => {
    const t = join(tempDir(), 'w.devrr');
    writeWorkloadTrace(t, 12_000, { checkpointEvery: 4096 });
    check(t);
  });
});

test('an access named differently once the layout changes (the same fields and value before and after a device frame is mapped) is decoded again', () => {
  // The toy family's frame can be mapped at any time (the GIC refuses a new address once it runs).
  const TOY = modelBackends(TOY_REGISTRY);
  const t = join(tempDir(), 'layout.devrr');
  const ack: TraceEvent = { kind: 'mmio', vm: 0, vcpu: 0, write: true, addr: 0x10008, len: 4, value: 0n, exit: false, errno: 0 };
  const events: TraceEvent[] = [
    { kind: 'create_vm', vm: 0, arch: 'x86_64', ipaBits: 48 },
    { kind: 'create_vcpu', vm: 0, id: 0, errno: 0 },
    { kind: 'create_device', vm: 0, type: TOY_TYPE, flags: 0, errno: 0, handle: -1 },
    { kind: 'run_vcpu', vm: 0, vcpu: 0, errno: 0 },
    ack, // no frame there yet: no register name
    { kind: 'set_attr', vm: 0, target: { kind: 'device', handle: 0 }, group: TOY_GRP_CONFIG, attr: TOY_BASE, value: 0x10000n, errno: 0 },
    ack, // the same access, now TOY_ACK
  ];
  const w = TraceWriter.create(t, { ...traceHeader({ arch: 'x86_64', ipaBits: 48 }, 0), models: { 'toy-pic': 1 } });
  for (const e of events) w.append(e);
  w.close();
  const r = TraceReader.open(t);
  try {
    const texts = allTexts(r, TOY);
    expect(texts[4]).not.toContain('TOY_ACK');
    expect(texts[6]).toContain('TOY_ACK');
    expect(searchEvents(r, 'TOY_ACK', 0, 1, { backends: TOY })?.event).toBe(6);
    expect(searchEvents(r, 'TOY_ACK', 6, -1, { backends: TOY })?.event).toBe(6);
    expect(searchEvents(r, 'TOY_ACK', 5, -1, { backends: TOY })).toBeNull();
  } finally {
    r.close();
  }
});
