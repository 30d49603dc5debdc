/**
 * The debugger on the x86 irqchip example (traces/examples/x86-ioapic-remote-irr):
 * a level-triggered IOAPIC interrupt ended with the 8259's EOI. explain names
 * the remote_irr the delivery left (ioapic_service) and the vector left in
 * service (apic_has_interrupt_for_ppr); interrupt breakpoints stop where the
 * facet says (the irq_line_status raises, take_interrupt acknowledges, the
 * APIC EOI completes); the TUI shows the declared kinds by the generic
 * path, with the family's decoding of the payloads; migrate-check passes.
 */
import { describe, expect, test } from 'vitest';
import { explain } from '../../replay/explain.js';
import { migrateCheck } from '../../replay/migrate.js';
import { Timeline } from '../../replay/timeline.js';
import { TraceReader } from '../../traces/reader.js';
import { charKey, namedKey } from '../../tui/keys.js';
import { DebugSession } from '../../tui/session.js';

const TRACE = 'traces/examples/x86-ioapic-remote-irr/x86-ioapic-remote-irr.devrr';
/** Events (event i is step i - 1): the first delivery, the wrong EOI, the refused second raise. */
const DELIVERED = 8;
const TAKEN = 9;
const PIC_EOI = 11;
const REFUSED = 14;
const APIC_EOI = 16;

describe('explain GSI 17 after the refused raise', () => {
  test('the IOAPIC blocks on remote_irr, set by the first delivery; the APIC on PPR, set by the interrupt taken (ioapic_service, apic_has_interrupt_for_ppr)', () => {
    const r = TraceReader.open(TRACE);
    const e = explain(r, 17, REFUSED + 1);
    r.close();
    expect(e.deliverableTo).toEqual([]);
    const byName = (s: string) => e.blocking.find((c) => c.name.startsWith(s))!;
    expect(byName('remote_irr clear')).toMatchObject({ value: '1' });
    expect(byName('remote_irr clear').changedBy[0]!.event).toBe(DELIVERED);
    expect(byName('vector class above PPR')).toMatchObject({ value: 'class 0x30, PPR 0x30' });
    expect(byName('vector class above PPR').changedBy[0]!.event).toBe(TAKEN);
    // The PIC's EOI changed neither: the 8259 had nothing in service.
    expect(e.conditions.flatMap((c) => c.changedBy.map((x) => x.event))).not.toContain(PIC_EOI);
  });
});

describe('interrupt breakpoints on GSI 17 and vector 0x35', () => {
  const stops = (irq: number) => {
    const r = TraceReader.open(TRACE);
    const tl = new Timeline(r);
    const bp = [{ kind: 'event' as const, match: { irq } }];
    const out: number[] = [];
    for (let h = tl.runForward(bp); h; h = tl.runForward(bp)) out.push(h.event);
    r.close();
    return out;
  };

  test('GSI 17 stops at each irq_line_status that drives it (KVM_IRQ_LINE_STATUS is KVM_IRQ_LINE to the facet)', () => {
    expect(stops(17)).toEqual([DELIVERED, 10, REFUSED]);
  });

  test('vector 0x35 stops where a vcpu takes it and where the APIC EOI completes it, never at the 8259 EOI', () => {
    const s = stops(0x100 + 0x35);
    expect(s).toContain(TAKEN);
    expect(s).toContain(APIC_EOI);
    expect(s).not.toContain(PIC_EOI);
  });
});

describe("the TUI's frame shows the declared kinds by the generic path", () => {
  test('the list and the detail pane describe them, the payloads decoded by the family; the diff names the IOAPIC field', async () => {
    const sizes = { listRows: 14, detailRows: 8, treeRows: 40, diffRows: 10 };
    const s = new DebugSession(TRACE, {});
    s.frame(sizes);
    s.start();
    await s.idle();
    for (const c of `g${REFUSED}`) s.key(charKey(c));
    s.key(namedKey('return'));
    const f = s.frame(sizes);
    s.close();
    const rows = new Map(f.rows.map((r) => [r.index, r.text]));
    expect(rows.get(TAKEN)).toBe('take_interrupt vcpu 0 -> vector 0x35');
    expect(rows.get(PIC_EOI)).toBe('pio vcpu 0 out PIC_CMD port 0x20/1 <- 0x20');
    expect(rows.get(12)).toMatch(/^get_irqchip IOAPIC -> 216 bytes \[.*pin17\{vector=0x35 dm=0 physical dest=0 level remote_irr\}\]$/);
    expect(rows.get(13)).toMatch(/isr=\[0x35\] tmr=\[0x35\]/);
    expect(f.detail.title).toBe(`event ${REFUSED} · irq_line_status`);
    expect(f.detail.lines[0]).toMatchObject({ label: 'call', text: 'irq_line_status irq=17 level=1 -> status -1 (not delivered: masked, no route, or remote_irr set)' });
    expect(f.diff.lines.map((l) => l.text)).toEqual(['irqchip.ioapic.irr: 0 -> 0x20000 (set bit 17)']);
  });
});

test('migrate-check passes at every point: remote_irr and the ISR cross in the chips\' and the LAPIC\'s bytes', () => {
  const r = TraceReader.open(TRACE);
  const m = migrateCheck(r, 1);
  r.close();
  expect(m.failures).toEqual([]);
  expect(m.points).toContain(REFUSED);
});
