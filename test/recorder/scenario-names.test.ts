/**
 * Readable names in scenarios: register names as `attr` (the names `devrr
 * dump` prints) with the vcpu part as `vcpu` or `mpidr`, and interrupt lines
 * as `spi` / `ppi` / `cpu` instead of a hand-encoded KVM_IRQ_LINE word.
 * Every name must give exactly the number the raw form gives, and the raw
 * forms keep working.
 */
import { describe, expect, test } from 'vitest';
import { armIrqLine, parseScenario, ScenarioError, type Step } from '../../recorder/scenario.js';
import { Session } from '../../recorder/execute.js';
import { describeEvent } from '../../replay/decode.js';
import { runScenario } from '../helpers.js';
import type { AttrEvent } from '../../traces/events.js';

const V2 = 'KVM_DEV_TYPE_ARM_VGIC_V2';
const V3 = 'KVM_DEV_TYPE_ARM_VGIC_V3';
const ITS = 'KVM_DEV_TYPE_ARM_VGIC_ITS';
const DIST = 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS';
const CPU = 'KVM_DEV_ARM_VGIC_GRP_CPU_REGS';
const REDIST = 'KVM_DEV_ARM_VGIC_GRP_REDIST_REGS';
const SYSREGS = 'KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS';
const LEVEL = 'KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO';
const ITS_REGS = 'KVM_DEV_ARM_VGIC_GRP_ITS_REGS';

type Raw = Record<string, unknown>;

/** The attr a get_attr step parses to, on a device created as `type` (or on "vm"). */
function attrOf(type: string | null, step: Raw, arch = 'arm64'): bigint {
  const steps: Raw[] = type ? [{ op: 'create_device', type, as: 'd' }] : [];
  steps.push({ op: 'get_attr', dev: type ? 'd' : 'vm', ...step });
  const sc = parseScenario(JSON.stringify({ arch, steps }), 't.json');
  const s = sc.steps[sc.steps.length - 1] as Extract<Step, { attr: bigint }>;
  return s.attr;
}

function parseError(doc: unknown): string {
  try {
    parseScenario(JSON.stringify(doc), 't.json');
  } catch (e) {
    expect(e).toBeInstanceOf(ScenarioError);
    return (e as Error).message;
  }
  throw new Error('parsed, but an error was expected');
}

function irqOf(step: Raw, arch = 'arm64'): number {
  const sc = parseScenario(JSON.stringify({ arch, steps: [{ op: 'irq_line', level: 1, ...step }] }), 't.json');
  return (sc.steps[0] as Extract<Step, { op: 'irq_line' }>).irq;
}

describe('attr: register names as devrr dump prints them', () => {
  test('GICv2 DIST_REGS and CPU_REGS: the name gives the offset, vcpu the id in bits 39:32 (vgic_v2_parse_attr, vgic-kvm-device.c)', () => {
    expect(attrOf(V2, { group: DIST, attr: 'GICD_TYPER' })).toBe(0x4n);
    expect(attrOf(V2, { group: DIST, attr: 'GICD_ISENABLER1', vcpu: 1 })).toBe((1n << 32n) | 0x104n);
    expect(attrOf(V2, { group: DIST, attr: 'GICD_IPRIORITYR8', vcpu: 255 })).toBe((255n << 32n) | 0x420n);
    expect(attrOf(V2, { group: CPU, attr: 'GICC_PMR', vcpu: 1 })).toBe((1n << 32n) | 0x4n);
    expect(attrOf(V2, { group: CPU, attr: 'GICC_APR0' })).toBe(0xd0n);
    // A number with vcpu: the same encoding.
    expect(attrOf(V2, { group: DIST, attr: '0x104', vcpu: 1 })).toBe((1n << 32n) | 0x104n);
  });

  test('GICv3: DIST_REGS by name alone; REDIST_REGS and CPU_SYSREGS take the vcpu MPIDR in bits 63:32 (vgic_v3_parse_attr, reset_mpidr)', () => {
    expect(attrOf(V3, { group: DIST, attr: 'GICD_TYPER' })).toBe(0x4n);
    expect(attrOf(V3, { group: DIST, attr: 'GICD_IROUTER32' })).toBe(0x6100n);
    expect(attrOf(V3, { group: DIST, attr: 'GICD_IROUTER32+4' })).toBe(0x6104n);
    // vcpu 17: Aff0 = 1, Aff1 = 1 -> MPIDR 0.0.1.1.
    const m17 = 0x101n << 32n;
    expect(attrOf(V3, { group: REDIST, attr: 'GICR_TYPER', vcpu: 17 })).toBe(m17 | 0x8n);
    expect(attrOf(V3, { group: REDIST, attr: 'GICR_TYPER', mpidr: '0.0.1.1' })).toBe(m17 | 0x8n);
    expect(attrOf(V3, { group: REDIST, attr: 'GICR_TYPER', mpidr: 0x101 })).toBe(m17 | 0x8n);
    expect(attrOf(V3, { group: REDIST, attr: 'GICR_ISENABLER0', vcpu: 1 })).toBe((1n << 32n) | 0x10100n);
    expect(attrOf(V3, { group: SYSREGS, attr: 'ICC_PMR_EL1', vcpu: 1 })).toBe((1n << 32n) | 0xc230n);
    expect(attrOf(V3, { group: LEVEL, attr: 32, vcpu: 2 })).toBe((2n << 32n) | 32n);
    expect(attrOf(ITS, { group: ITS_REGS, attr: 'GITS_CBASER' })).toBe(0x80n);
  });

  test('every register name a dump prints parses back to the attr it was printed for', () => {
    // Record numeric attrs, print them as dump does, rebuild the steps from the printed names.
    const steps: Raw[] = [
      { op: 'create_vcpu', id: 0 },
      { op: 'create_vcpu', id: 1 },
      { op: 'create_device', type: V3, as: 'gic' },
      { op: 'get_attr', dev: 'gic', group: DIST, attr: '0x4' },
      { op: 'get_attr', dev: 'gic', group: DIST, attr: '0x6108' },
      { op: 'get_attr', dev: 'gic', group: REDIST, attr: '0x100000008' },
      { op: 'get_attr', dev: 'gic', group: REDIST, attr: '0x100010180' },
      { op: 'get_attr', dev: 'gic', group: SYSREGS, attr: '0x10000c230' },
    ];
    const ran = runScenario({ arch: 'arm64', steps });
    const s = new Session();
    const lines: string[] = [];
    for (const ev of ran.events) {
      lines.push(describeEvent(ev, s));
      s.execute(ev);
    }
    const attrEvents = ran.events.filter((e): e is AttrEvent => e.kind === 'get_attr');
    const printed = lines.filter((l) => l.includes('get_attr'));
    expect(printed).toHaveLength(5);
    printed.forEach((line, i) => {
      const m = /KVM_DEV_ARM_VGIC_GRP_(\w+) (?:mpidr (\S+) )?(\S+)/.exec(line)!;
      const group = `KVM_DEV_ARM_VGIC_GRP_${m[1]}`;
      const back = attrOf(V3, { group, attr: m[3], ...(m[2] && { mpidr: m[2] }) });
      expect(back, line).toBe(attrEvents[i]!.attr);
    });
  });

  test('a named read returns what the numeric read returns', () => {
    const setup: Raw[] = [
      { op: 'create_vcpu', id: 0 },
      { op: 'create_vcpu', id: 1 },
      { op: 'create_device', type: V2, as: 'gic' },
      { op: 'set_attr', dev: 'gic', group: 'KVM_DEV_ARM_VGIC_GRP_CTRL', attr: 'KVM_DEV_ARM_VGIC_CTRL_INIT', expect: 0 },
      { op: 'set_attr', dev: 'gic', group: DIST, attr: 'GICD_ISENABLER0', vcpu: 1, value: '0x08000000', expect: 0, note: 'PPI 27 of vcpu 1' },
      { op: 'get_attr', dev: 'gic', group: DIST, attr: '0x100000100', save_as: 'raw', expect: 0 },
      { op: 'get_attr', dev: 'gic', group: DIST, attr: 'GICD_ISENABLER0', vcpu: 1, expect: 0, expect_value: '$raw' },
      { op: 'get_attr', dev: 'gic', group: DIST, attr: 'GICD_ISENABLER0', vcpu: 1, expect: 0, expect_value: '0x08000000', expect_mask: '0xffff0000' },
      { op: 'get_attr', dev: 'gic', group: DIST, attr: 'GICD_ISENABLER0', vcpu: 0, expect: 0, expect_value: '0x0000ffff', note: 'vcpu 0: only its SGIs (always enabled)' },
      { op: 'get_attr', dev: 'gic', group: DIST, attr: 'GICD_TYPER', expect: 0, expect_value: '0x21', expect_mask: '0xe0' },
    ];
    expect(runScenario({ arch: 'arm64', steps: setup }).misses).toEqual([]);
  });

  test('names that do not fit the group or the device are exit-2 errors naming the field', () => {
    const v2 = (step: Raw) => ({ arch: 'arm64', steps: [{ op: 'create_device', type: V2, as: 'gic' }, { op: 'get_attr', dev: 'gic', ...step }] });
    const v3 = (step: Raw) => ({ arch: 'arm64', steps: [{ op: 'create_device', type: V3, as: 'gic' }, { op: 'get_attr', dev: 'gic', ...step }] });
    expect(parseError(v2({ group: DIST, attr: 'GICD_TYPERX' }))).toMatch(
      /^t\.json: step 1: field "attr": unknown name "GICD_TYPERX": not one of KVM_DEV_TYPE_ARM_VGIC_V2's names for KVM_DEV_ARM_VGIC_GRP_DIST_REGS \(GICD_CTLR, GICD_TYPER, /,
    );
    expect(parseError(v2({ group: DIST, attr: 'GICD_IROUTER32' }))).toMatch(/field "attr": unknown name "GICD_IROUTER32": not one of KVM_DEV_TYPE_ARM_VGIC_V2's names/);
    expect(parseError(v2({ group: CPU, attr: 'GICD_TYPER' }))).toMatch(/field "attr": unknown name "GICD_TYPER": not one of KVM_DEV_TYPE_ARM_VGIC_V2's names for KVM_DEV_ARM_VGIC_GRP_CPU_REGS \(GICC_CTLR, /);
    // Another VGIC device's register names are not this one's.
    expect(parseError({ arch: 'arm64', steps: [{ op: 'create_device', type: ITS, as: 'its' }, { op: 'get_attr', dev: 'its', group: ITS_REGS, attr: 'GICR_TYPER' }] })).toMatch(
      /step 1: field "attr": unknown name "GICR_TYPER": not one of KVM_DEV_TYPE_ARM_VGIC_ITS's names for KVM_DEV_ARM_VGIC_GRP_ITS_REGS \(GITS_CTLR, /,
    );
    expect(parseError(v2({ group: DIST, attr: 'GICD_TYPER', vcpu: 256 }))).toMatch(/field "vcpu": must be a whole number from 0 to 255/);
    expect(parseError(v2({ group: DIST, attr: 'GICD_TYPER', mpidr: 1 }))).toMatch(/field "mpidr": GICv2 names the vcpu by its id/);
    expect(parseError(v2({ group: DIST, attr: '0x100000004', vcpu: 1 }))).toMatch(/field "vcpu": the attr already holds bits 63:32/);
    expect(parseError(v3({ group: DIST, attr: 'GICD_TYPER', vcpu: 1 }))).toMatch(/field "vcpu": this group's attr names no vcpu: GICv3 DIST_REGS always act on vcpu 0/);
    expect(parseError(v3({ group: REDIST, attr: 'GICR_TYPER', vcpu: 1, mpidr: 1 }))).toMatch(/field "mpidr": give either vcpu or mpidr/);
    expect(parseError(v3({ group: REDIST, attr: 'GICR_TYPER', mpidr: '0.0.256.0' }))).toMatch(/field "mpidr": each affinity level is 0 to 255/);
    expect(parseError(v3({ group: 'KVM_DEV_ARM_VGIC_GRP_ADDR', attr: 'KVM_VGIC_V3_ADDR_TYPE_DIST', vcpu: 0 }))).toMatch(/field "vcpu": only a register group whose attr names a vcpu/);
    expect(parseError({ arch: 'arm64', steps: [{ op: 'get_attr', dev: 'vm', group: 0, attr: 'GICD_TYPER' }] })).toMatch(/field "attr": unknown name "GICD_TYPER": not one of the arm64 VM fd's names for group 0 \(it takes numbers only\)/);
    // The VM and vcpu fds take their arch's group names only: a VGIC group name is not one of them.
    expect(parseError({ arch: 'arm64', steps: [{ op: 'get_attr', dev: 'vm', group: 'KVM_DEV_ARM_VGIC_GRP_ADDR', attr: 0 }] })).toMatch(/step 0: field "group": unknown name "KVM_DEV_ARM_VGIC_GRP_ADDR": not one of the arm64 VM fd's groups/);
    expect(parseError({ arch: 'arm64', steps: [{ op: 'create_vcpu', id: 0 }, { op: 'has_attr', dev: 'vcpu:0', group: DIST, attr: 0 }] })).toMatch(/step 1: field "group": unknown name "KVM_DEV_ARM_VGIC_GRP_DIST_REGS": not one of the arm64 vcpu fd's groups/);
    // A device type devrr has no model of has no names to give.
    expect(parseError({ arch: 'arm64', steps: [{ op: 'create_device', type: 'KVM_DEV_TYPE_LOONGARCH_IPI', as: 'ipi', expect: 'ENODEV' }, { op: 'has_attr', dev: 'ipi', group: DIST, attr: 0 }] })).toMatch(
      /step 1: field "group": unknown name "KVM_DEV_ARM_VGIC_GRP_DIST_REGS": devrr has no model of KVM_DEV_TYPE_LOONGARCH_IPI, so no group names for it; give the group as a number/,
    );
  });

  test('names resolve by the type the device was created as, even when the create failed (the call then answers EBADF)', () => {
    const ran = runScenario({
      arch: 'arm64',
      steps: [
        { op: 'create_device', type: V3, as: 'gic' },
        { op: 'create_device', type: V3, as: 'again', expect: 'EEXIST' },
        { op: 'get_attr', dev: 'again', group: DIST, attr: 'GICD_TYPER', expect: 'EBADF' },
      ],
    });
    expect(ran.misses).toEqual([]);
    const last = ran.events[ran.events.length - 1] as AttrEvent;
    expect(last.attr).toBe(4n);
  });
});

describe('irq_line: spi, ppi and cpu beside the raw irq word', () => {
  test('the word is built as kvm_vm_ioctl_irq_line (arch/arm64/kvm/arm.c) decodes it: vcpu2[31:28] type[27:24] vcpu[23:16] num[15:0]', () => {
    expect(irqOf({ spi: 42 })).toBe(0x0100002a);
    expect(irqOf({ ppi: 27, vcpu: 1 })).toBe(0x0201001b);
    // vcpu 300 = 1 * 256 + 44: the high part goes to the vcpu2 field.
    expect(irqOf({ ppi: 27, vcpu: 300 })).toBe(((1 << 28) | (2 << 24) | (44 << 16) | 27) >>> 0);
    expect(irqOf({ ppi: 27, vcpu: 4095 })).toBe(0xf2ff001b);
    expect(irqOf({ cpu: 'FIQ', vcpu: 2 })).toBe(0x00020001);
    expect(irqOf({ cpu: 'IRQ', vcpu: 0 })).toBe(0);
    expect(irqOf({ irq: '0x0100002a' })).toBe(0x0100002a);
    expect(armIrqLine(1, 0, 1019)).toBe(0x010003fb);
  });

  test('the raw and the readable form record the same event, which dump names as it was written', () => {
    const setup: Raw[] = [
      { op: 'create_vcpu', id: 0 },
      { op: 'create_vcpu', id: 1 },
      { op: 'create_device', type: V2, as: 'gic' },
      { op: 'set_attr', dev: 'gic', group: 'KVM_DEV_ARM_VGIC_GRP_CTRL', attr: 'KVM_DEV_ARM_VGIC_CTRL_INIT', expect: 0 },
    ];
    const a = runScenario({ arch: 'arm64', steps: [...setup, { op: 'irq_line', spi: 42, level: 1, expect: 0 }, { op: 'irq_line', ppi: 27, vcpu: 1, level: 1, expect: 0 }] });
    const b = runScenario({ arch: 'arm64', steps: [...setup, { op: 'irq_line', irq: 0x0100002a, level: 1, expect: 0 }, { op: 'irq_line', irq: '0x0201001b', level: 1, expect: 0 }] });
    expect(a.misses).toEqual([]);
    expect(a.events).toEqual(b.events);
    const s = new Session();
    const text = a.events.map((ev) => {
      const t = describeEvent(ev, s);
      s.execute(ev);
      return t;
    });
    expect(text).toContain('irq_line SPI 42 level=1');
    expect(text).toContain('irq_line PPI 27 vcpu 1 level=1');
  });

  test('one form per step, vcpu only where the line has one, arm64 forms only on arm64', () => {
    const doc = (step: Raw, arch = 'arm64') => ({ arch, steps: [{ op: 'irq_line', level: 1, ...step }] });
    expect(parseError(doc({ level: 1 }))).toMatch(/step 0: field "irq": missing: give irq .* or spi, ppi or cpu/);
    expect(parseError(doc({ irq: 1, spi: 42 }))).toMatch(/field "spi": give one of irq, spi, ppi and cpu, not both irq and spi/);
    expect(parseError(doc({ spi: 42, vcpu: 1 }))).toMatch(/field "vcpu": only a ppi or cpu line names a vcpu; an SPI is routed by the distributor/);
    expect(parseError(doc({ ppi: 27 }))).toMatch(/field "vcpu": missing: a ppi line belongs to one vcpu/);
    expect(parseError(doc({ ppi: 27, vcpu: 4096 }))).toMatch(/field "vcpu": must be a whole number from 0 to 4095/);
    expect(parseError(doc({ spi: 65536 }))).toMatch(/field "spi": must be a whole number from 0 to 65535/);
    expect(parseError(doc({ cpu: 'NMI', vcpu: 0 }))).toMatch(/field "cpu": must be "IRQ", "FIQ" or a number/);
    expect(parseError(doc({ spi: 42 }, 'x86_64'))).toMatch(/field "spi": names an arm64 interrupt line, but this VM is x86_64: give irq/);
  });
});
