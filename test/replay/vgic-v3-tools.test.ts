/**
 * The debugger on GICv3 and ITS traces: the bundled v3 examples decode into
 * the kernel's names (attribute groups, registers by spec name, MPIDRs,
 * redistributor region words, ICC registers, ITS commands), the named views
 * resolve (`gic.lpi[8192].pending`, `its.device[16].ite[3].lpi`), and
 * `explain` walks a GICv3 interrupt's conditions, LPIs included.
 */
import { describe, expect, test } from 'vitest';
import { parsePath } from '../../devices/core/view.js';
import { resolveSessionPath } from '../../devices/core/vm-view.js';
import { DEVICE_MODELS } from '../../devices/registry.js';
import { Session } from '../../recorder/execute.js';
import { describeEvent, eventToJson } from '../../replay/decode.js';
import { explain } from '../../replay/explain.js';
import { Timeline } from '../../replay/timeline.js';
import { TraceReader } from '../../traces/reader.js';

const EX = (name: string) => `traces/examples/${name}/${name}.devrr`;

/** Every event of a trace described against the state just before it. */
function dump(path: string): string[] {
  const r = TraceReader.open(path);
  const s = new Session();
  const out: string[] = [];
  for (const { i: _i, ...ev } of r.events()) {
    out.push(describeEvent(ev as never, s));
    s.execute(ev as never);
  }
  r.close();
  return out;
}

describe('devrr dump names GICv3 and ITS events', () => {
  test('bring-up: region words, MPIDR-keyed attributes with register names and fields, GICD_IROUTER<n>, ICC registers', () => {
    const text = dump(EX('vgic-v3-bringup')).join('\n');
    expect(text).toContain('KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION value=0x20000008200001 [index 1 base 0x8200000 count 2]');
    expect(text).toContain('KVM_DEV_ARM_VGIC_GRP_REDIST_REGS mpidr 0.0.0.1 GICR_TYPER -> 0x110 [Last Processor_Number=1]');
    expect(text).toContain('KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS mpidr 0.0.0.2 ICC_CTLR_EL1 -> 0x8400 [PRIbits=4 IDbits=0 A3V]');
    expect(text).toContain('mmio vcpu 0 write GICD_IROUTER40 @0x8006140/8 <- 0x2');
    expect(text).toContain('mmio vcpu 3 read  GICR_TYPER (vcpu 3) @0x8220008/8 -> 0x300000310');
    expect(text).toContain('sysreg vcpu 2 read  ICC_IAR1_EL1 -> 0x28');
    expect(text).toContain('sysreg vcpu 0 write ICC_SGI1R_EL1 <- 0x1000008');
  });

  test('ITS: commands queued by mem_write are decoded; property-table bytes are decoded; MSIs show delivered or blocked; ITS registers by name', () => {
    const text = dump(EX('vgic-v3-its-msi')).join('\n');
    expect(text).toContain('[ITS command queue +0x0: MAPD dev 0x10 itt 0x40230000 eventbits 4, MAPC coll 1 -> vcpu id 1, MAPTI dev 0x10 event 3 -> LPI 8192 coll 1, SYNC]');
    expect(text).toContain('[ITS command queue +0xa0: INV dev 0x10 event 4]');
    expect(text).toContain('[ITS command queue +0xc0: DISCARD dev 0x10 event 3]');
    expect(text).toContain('[LPI property table: LPI 8193: disabled, priority 0xa0]');
    expect(text).toContain('signal_msi address=0x8090040 devid=0x10 eventid=3 -> 1 (delivered)');
    expect(text).toContain('signal_msi address=0x8090040 devid=0x10 eventid=4 -> 0 (blocked)');
    expect(text).toContain('mmio vcpu 0 write GITS_BASER1 @0x8080108/8 <- 0x8000000040210000');
    expect(text).toContain('mmio vcpu 0 read  GITS_TYPER @0x8080008/8 -> 0x1ef71');
  });

  test('migration: ITS_REGS attributes by register name, LEVEL_INFO ranges, a second VM tagged', () => {
    const text = dump(EX('vgic-v3-its-migration')).join('\n');
    expect(text).toContain('KVM_DEV_ARM_VGIC_GRP_ITS_REGS GITS_CBASER');
    expect(text).toContain('KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO mpidr 0.0.0.1 line levels of INTID 32..63');
    expect(text).toContain('KVM_DEV_ARM_ITS_RESTORE_TABLES');
    expect(text).toMatch(/\[vm 1\] sysreg vcpu 1 read {2}ICC_IAR1_EL1 -> 0x2000/);
  });

  test('dump --json carries the decoded names beside the numbers', () => {
    const r = TraceReader.open(EX('vgic-v3-its-msi'));
    const s = new Session();
    const json: Record<string, unknown>[] = [];
    for (const { i, ...ev } of r.events()) {
      json.push(eventToJson(ev as never, i, s));
      s.execute(ev as never);
    }
    r.close();
    expect(json.find((j) => j.kind === 'sysreg')?.reg_name).toBe('ICC_PMR_EL1');
    expect(String(json.find((j) => j.kind === 'mem_write' && j.decoded)?.decoded)).toMatch(/^ITS command queue/);
    expect(json.find((j) => j.kind === 'signal_msi')).toMatchObject({ errno_name: 'EBUSY' });
  });
});

describe('views and explain on GICv3 state', () => {
  test('the gic and its views resolve LPI, ITS, redistributor and ICC paths', () => {
    const r = TraceReader.open(EX('vgic-v3-its-msi'));
    const tl = new Timeline(r);
    tl.seek(31); // just after the first MSI was delivered
    const vms = tl.snapshot().vms;
    const at = (p: string) => resolveSessionPath(vms, DEVICE_MODELS, parsePath(p)!);
    expect(at('gic.lpi[8192].pending')).toBe(true);
    expect(at('gic.lpi[8192].target_vcpu')).toBe(1);
    expect(at('its.device[16].ite[3].lpi')).toBe(8192);
    expect(at('its.collection[1].target')).toBe(1);
    expect(at('its.enabled')).toBe(true);
    expect(at('gic.cpu[1].redist.lpis_enabled')).toBe(true);
    expect(at('gic.cpu[1].icc.pmr')).toBe(0xf0);
    expect(at('gic.dist.irq[40].target_vcpu')).toBe(0);
    r.close();
  });

  test('explain an LPI: what blocks it on each vcpu, and the event that last changed it', () => {
    const r = TraceReader.open(EX('vgic-v3-its-msi'));
    const e = explain(r, 8193);
    expect(e.deliverableTo).toEqual([]);
    const blocking = e.blocking.map((c) => `${c.vcpu} ${c.name}`);
    expect(blocking).toContain('1 enabled (property table)');
    expect(blocking).toContain('1 LPIs enabled at the redistributor (GICR_CTLR.EnableLPIs)');
    const lpisOff = e.blocking.find((c) => c.vcpu === 1 && c.name.startsWith('LPIs enabled'))!;
    expect(lpisOff.changedBy[0]!.event).toBe(48);
    r.close();
  });

  test('explain an SPI: routed by GICD_IROUTER to one vcpu only', () => {
    const r = TraceReader.open(EX('vgic-v3-bringup'));
    const e = explain(r, 40, 36);
    expect(e.blocking.filter((c) => c.name.startsWith('routed')).map((c) => c.vcpu)).toEqual([0, 1, 3]);
    r.close();
  });
});

describe('interrupt breakpoints on GICv3 follow the interrupts facet', () => {
  /** Every event an `irq` breakpoint stops at, run forward from the start. */
  const stops = (name: string, irq: number): string[] => {
    const r = TraceReader.open(EX(name));
    const tl = new Timeline(r);
    const out: string[] = [];
    for (let h = tl.runForward([{ kind: 'event', match: { irq } }]); h; h = tl.runForward([{ kind: 'event', match: { irq } }])) {
      const ev = tl.event(h.event);
      out.push(`${h.event} ${ev.kind}${ev.kind === 'sysreg' ? (ev.write ? ' write' : ' read') : ''}`);
    }
    r.close();
    return out;
  };

  test('SPI 40: the line going high, then vcpu 2 acknowledging it with ICC_IAR1_EL1 and ending it with ICC_EOIR1_EL1 (vcpu 0 read 0x3ff: no interrupt)', () => {
    expect(stops('vgic-v3-bringup', 40)).toEqual(['41 irq_line', '43 sysreg read', '45 sysreg write']);
  });

  test('LPI 8192 (no 0xffff mask, no 1020 cap): raised by the MSI the ITS translated, acknowledged and completed through the ICC registers', () => {
    expect(stops('vgic-v3-its-msi', 8192).slice(0, 3)).toEqual(['30 signal_msi', '32 sysreg read', '34 sysreg write']);
  });
});
