/**
 * Names per family (issue 10): KVM numbers attribute groups per device
 * (group 1 is the VGIC's DIST_REGS, the MPIC's GRP_MISC, XICS's SOURCES,
 * VFIO's FILE, the FLIC's GET_ALL_IRQS), so every name is resolved, and
 * every number named, through the table of the fd a call addresses. For
 * every registered model and every architecture's VM and vcpu fd: group
 * and attr names are unique and round-trip (name -> number -> name, the
 * number named by the row's own `describe`); across families one number
 * may carry two names, and scenarios and decoding each use the addressed
 * device's table (the toy family's group 1 beside the VGIC's).
 */
import { describe, expect, test } from 'vitest';
import { ARCH_RULES, archFdNames } from '../../devices/arch/index.js';
import type { FdAttrRules } from '../../devices/core/arch.js';
import type { AttrGroup, DeviceModel, FamilyNames } from '../../devices/core/device.js';
import { deviceNames, type FdNames } from '../../devices/core/names.js';
import type { DeviceRegistry } from '../../devices/core/vm.js';
import { DEVICE_MODELS } from '../../devices/registry.js';
import { pointIn } from '../../recorder/backend.js';
import { modelBackends } from '../../recorder/execute.js';
import { type EventSink, recordScenario } from '../../recorder/record.js';
import { parseScenario, ScenarioError } from '../../recorder/scenario.js';
import { describeEvent, eventToJson } from '../../replay/decode.js';
import { matches } from '../../replay/timeline.js';
import type { AttrEvent, TraceEvent } from '../../traces/events.js';
import { breakpointFor } from '../../tui/breakpoints.js';
import type { DecodedEvent } from '../../tui/format.js';
import { toyPic, TOY_TYPE } from './toy/toy-pic.js';

/** Every name table there is: each registered model, the toy family, and each arch's VM and vcpu fd. */
const FDS: { what: string; rows: readonly AttrGroup<any>[]; extra: FamilyNames | undefined; names: FdNames }[] = [
  ...[...DEVICE_MODELS.values(), toyPic as DeviceModel<any>].map((m) => ({ what: m.typeName, rows: m.kernel.groups, extra: m.names, names: deviceNames(m) })),
  ...Object.values(ARCH_RULES).flatMap((r) =>
    (['vmAttrs', 'vcpuAttrs'] as const).map((fd) => {
      const rules: FdAttrRules = r[fd];
      const names = archFdNames(r.arch, fd === 'vmAttrs' ? 'vm' : 'vcpu');
      return { what: names.what, rows: rules.groups, extra: rules.names, names };
    }),
  ),
];

describe.each(FDS)('$what', ({ rows, extra, names }) => {
  test('its group table has one row per id and one id per name, and its family names agree with the rows', () => {
    expect(new Set(rows.map((g) => g.id)).size).toBe(rows.length);
    expect(new Set(rows.map((g) => g.name)).size).toBe(rows.length);
    const extraIds = new Map<number, string>();
    for (const [name, id] of Object.entries(extra?.groups ?? {})) {
      expect(extraIds.has(id), `two names for group ${id}: ${extraIds.get(id)} and ${name}`).toBe(false);
      extraIds.set(id, name);
      const row = rows.find((g) => g.id === id || g.name === name);
      if (row) expect([row.id, row.name], `the family's ${name} = ${id}`).toEqual([id, name]);
    }
  });

  test('group names round-trip: name -> id -> name (an older name the header keeps, a group alias, resolves to the group under its current name)', () => {
    const aliases = extra?.groupAliases ?? {};
    expect(names.groups.size).toBe(names.byId.size + Object.keys(aliases).length);
    for (const [name, g] of names.groups) expect(names.byId.get(g.id)?.name).toBe(Object.prototype.hasOwnProperty.call(aliases, name) ? g.name : name);
    for (const [name, id] of Object.entries(aliases)) expect(names.groups.get(name)?.id, name).toBe(id);
  });

  test("each group's attr names are unique, round-trip through the row's describe, and no any-group constant shadows one", () => {
    for (const g of names.byId.values()) {
      const own = g.attrNames?.() ?? new Map<string, number>();
      // One number per name (a Map), one name per number.
      const byNumber = new Map<number, string>();
      for (const [name, n] of own) {
        expect(byNumber.get(n), `${g.name}: ${name} and ${byNumber.get(n)} are both ${n}`).toBeUndefined();
        byNumber.set(n, name);
        expect(Number.isInteger(n) && n >= 0 && n <= 0xffffffff, `${g.name} ${name}`).toBe(true);
        // name -> number -> name, by the same row that decodes a trace's events (its last word, before a
        // remark in parentheses: the MPIC's "GTCCR0 (a read answers GTBCR0)").
        if (g.row) expect(g.row.describe(BigInt(n)).replace(/ \(.*\)$/, '').split(' ').at(-1), `${g.name} ${name}`).toBe(name);
      }
      for (const [name, n] of names.anyGroupAttrs) if (own.has(name)) expect(own.get(name), `${g.name} ${name}`).toBe(n);
    }
  });
});

test('the registered families name group 1 as their own (the VGIC\'s DIST_REGS), and the toy family names it otherwise', () => {
  const vgic = [...DEVICE_MODELS.values()].filter((m) => deviceNames(m).byId.get(1)?.name === 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS');
  expect(vgic.length).toBeGreaterThan(0);
  expect(deviceNames(toyPic).byId.get(1)?.name).toBe('TOY_GRP_CONFIG');
  expect(deviceNames(toyPic).groups.has('KVM_DEV_ARM_VGIC_GRP_DIST_REGS')).toBe(false);
});

describe('two devices whose group 1 differ, in one VM', () => {
  // The toy family, made an arm64 device beside a GICv2 (and not the irqchip, which the VGIC is).
  const toyArm: DeviceModel<any> = { ...toyPic, arches: ['arm64'], isIrqchip: false };
  const registry: DeviceRegistry = new Map([...DEVICE_MODELS, [TOY_TYPE, toyArm]]);
  const doc = (steps: unknown[]) => JSON.stringify({ arch: 'arm64', steps: [{ op: 'create_vcpu', id: 0 }, { op: 'create_device', type: 'KVM_DEV_TYPE_ARM_VGIC_V2', as: 'gic' }, { op: 'create_device', type: TOY_TYPE, as: 'toy' }, ...steps] });
  const refused = (steps: unknown[]): string => {
    try {
      parseScenario(doc(steps), 't.json', registry);
    } catch (e) {
      expect(e).toBeInstanceOf(ScenarioError);
      return (e as Error).message;
    }
    throw new Error('parsed, but an error was expected');
  };

  test("a scenario's names resolve through the device the step addresses; the other family's are exit-2 errors naming step, field and this device's names", () => {
    const sc = parseScenario(
      doc([
        { op: 'set_attr', dev: 'toy', group: 'TOY_GRP_CONFIG', attr: 'TOY_ENABLE', value: 1 },
        { op: 'get_attr', dev: 'gic', group: 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS', attr: 'GICD_TYPER', vcpu: 0 },
      ]),
      't.json',
      registry,
    );
    expect(sc.steps.slice(3).map((s) => ('group' in s ? [s.group, s.attr] : []))).toEqual([
      [1, 1n],
      [1, 4n],
    ]);
    expect(refused([{ op: 'set_attr', dev: 'toy', group: 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS', attr: 0 }])).toBe(
      `t.json: step 3: field "group": unknown name "KVM_DEV_ARM_VGIC_GRP_DIST_REGS": not one of KVM_DEV_TYPE_TOY_PIC's groups (TOY_GRP_CONFIG)`,
    );
    expect(refused([{ op: 'set_attr', dev: 'gic', group: 'TOY_GRP_CONFIG', attr: 0 }])).toMatch(
      /^t\.json: step 3: field "group": unknown name "TOY_GRP_CONFIG": not one of KVM_DEV_TYPE_ARM_VGIC_V2's groups \(KVM_DEV_ARM_VGIC_GRP_ADDR, KVM_DEV_ARM_VGIC_GRP_DIST_REGS, /,
    );
    // Group 1 given as a number: the attr's names are still the addressed device's.
    expect(refused([{ op: 'set_attr', dev: 'toy', group: 1, attr: 'GICD_TYPER' }])).toBe(`t.json: step 3: field "attr": unknown name "GICD_TYPER": not one of KVM_DEV_TYPE_TOY_PIC's names for TOY_GRP_CONFIG (TOY_BASE, TOY_ENABLE)`);
    expect(refused([{ op: 'set_attr', dev: 'gic', group: 1, attr: 'TOY_ENABLE' }])).toMatch(/^t\.json: step 3: field "attr": unknown name "TOY_ENABLE": not one of KVM_DEV_TYPE_ARM_VGIC_V2's names for KVM_DEV_ARM_VGIC_GRP_DIST_REGS \(GICD_CTLR, /);
    // The toy family's attr takes no vcpu part.
    expect(refused([{ op: 'set_attr', dev: 'toy', group: 1, attr: 'TOY_ENABLE', vcpu: 0 }])).toMatch(/field "vcpu": only a register group whose attr names a vcpu takes it \(KVM_DEV_TYPE_TOY_PIC has none\)/);
  });

  test('decoding a trace names each event by the table of the device it addressed', () => {
    const sc = parseScenario(
      doc([
        { op: 'set_attr', dev: 'toy', group: 1, attr: 1, value: 1 },
        { op: 'get_attr', dev: 'gic', group: 1, attr: 4 },
        { op: 'has_attr', dev: 'toy', group: 5, attr: 0, expect: 'ENXIO' },
        { op: 'has_attr', dev: 'gic', group: 5, attr: 0, expect: 'ENXIO' },
        { op: 'has_attr', dev: 'vm', group: 1, attr: 0, expect: 'ENXIO' },
      ]),
      't.json',
      registry,
    );
    const events: TraceEvent[] = [];
    const sink: EventSink = { append: (e) => void events.push(e), checkpoint: () => {} };
    const backends = modelBackends(registry);
    expect(recordScenario(sc, sink, { backends }).misses).toEqual([]);
    const b = backends.create();
    const lines: string[] = [];
    const json: Record<string, unknown>[] = [];
    events.forEach((ev, i) => {
      lines.push(describeEvent(ev, pointIn(backends, b)));
      json.push(eventToJson(ev, i, pointIn(backends, b)));
      b.execute(ev);
    });
    expect(lines.slice(4)).toEqual([
      'set_attr dev 1 (toy-pic) TOY_GRP_CONFIG TOY_ENABLE value=0x1',
      'get_attr dev 0 (kvm-arm-vgic-v2) KVM_DEV_ARM_VGIC_GRP_DIST_REGS vcpu 0 GICD_TYPER -> 0x7',
      // A group the toy's table does not have is its number; the VGIC's table names its group 5 though v2 has no such group.
      'has_attr dev 1 (toy-pic) group 5 0x0 -> ENXIO',
      'has_attr dev 0 (kvm-arm-vgic-v2) KVM_DEV_ARM_VGIC_GRP_REDIST_REGS 0x0 -> ENXIO',
      // The arm64 VM fd has no groups of its own: no family's name reaches it.
      'has_attr vm group 1 0x0 -> ENXIO',
    ]);
    expect(json[4]).toMatchObject({ group_name: 'TOY_GRP_CONFIG', attr_name: 'TOY_ENABLE' });
    expect(json[5]).toMatchObject({ group_name: 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS', attr_name: 'vcpu 0 GICD_TYPER' });
    // Without the state before the event, a group number is printed as a number: it means nothing apart from its fd.
    expect(describeEvent(events[5]!)).toBe('get_attr dev 0 group 1 0x4 -> 0x7');
    // The TUI's breakpoint on that event is on the VGIC's group 1, not on every device's.
    const bp = breakpointFor(events[5]!, json[5] as DecodedEvent);
    expect(bp.label).toBe('get_attr KVM_DEV_ARM_VGIC_GRP_DIST_REGS vcpu 0 GICD_TYPER');
    expect(matches(bp.match, events[5]!, undefined)).toBe(true);
    expect(matches(bp.match, { ...(events[5] as AttrEvent), target: { kind: 'device', handle: 1 } }, undefined)).toBe(false);
  });
});
