/**
 * A toy device family that lives in the test tree alone: a tiny interrupt
 * controller for x86_64 ("toy-pic"), to show that a new family plugs into
 * the core (record, replay, dump's decoding, the TUI, breakpoints) through
 * a registry and nothing else.
 *
 * - one attribute group, TOY_GRP_CONFIG (group 1, the number of the VGIC's
 *   DIST_REGS): attr 0 TOY_BASE (the frame's guest address; 0 unmapped),
 *   attr 1 TOY_ENABLE (a mask of enabled lines), names a scenario may use;
 * - one MMIO frame, "TOY", of four registers: TOY_ENABLE (0x0, rw),
 *   TOY_PENDING (0x4, ro), TOY_ACK (0x8: a read returns the lowest pending
 *   enabled line and makes it active, 0xff when none), TOY_EOI (0xc: a
 *   write of a line ends it);
 * - two I/O ports, "TOY_PORTS" at 0x20-0x21 (x86's port bus): an IN from
 *   0x20 reads the low byte of TOY_PENDING, an OUT of a line to 0x20 ends it
 *   (as TOY_EOI does), an OUT to 0x21 sets the low byte of TOY_ENABLE;
 * - KVM_IRQ_LINE: lines 0-31, a high level makes the line pending (EINVAL
 *   above 31);
 * - a state schema (what a trace's checkpoint must look like to be restored);
 * - inspect: register names and fields, a view ("toy.line[4].pending"), and
 *   the interrupts facet (lines 0-31; irq_line raises and lowers, a TOY_ACK
 *   read acknowledges, a TOY_EOI write completes).
 */
import type { AttrGroup, DeviceModel, InterruptEffect, InterruptFacet } from '../../../devices/core/device.js';
import { constantNames } from '../../../devices/core/names.js';
import { field } from '../../../devices/core/regtable.js';
import { S } from '../../../devices/core/state.js';
import { ERRNO } from '../../../devices/core/uapi.js';
import type { DeviceRegistry } from '../../../devices/core/vm.js';

/** Not a KVM device type: a number below KVM_DEV_TYPE_MAX that no family registers. */
export const TOY_TYPE = 0;
export const TOY_GRP_CONFIG = 1;
export const TOY_BASE = 0n;
export const TOY_ENABLE = 1n;
export const REG = { ENABLE: 0x0, PENDING: 0x4, ACK: 0x8, EOI: 0xc } as const;
const NAMES: Record<number, string> = { 0x0: 'TOY_ENABLE', 0x4: 'TOY_PENDING', 0x8: 'TOY_ACK', 0xc: 'TOY_EOI' };
const LINES = 32;
const NONE = 0xff;

export interface ToyState {
  base: number;
  enabled: number;
  pending: number;
  active: number;
}

const config: AttrGroup<ToyState> = {
  id: TOY_GRP_CONFIG,
  name: 'TOY_GRP_CONFIG',
  payload: 4,
  has: (_vm, _s, attr) => (attr === TOY_BASE || attr === TOY_ENABLE ? 0 : ERRNO.ENXIO),
  get(_vm, s, attr) {
    if (attr === TOY_BASE) return { errno: 0, value: BigInt(s.base) };
    if (attr === TOY_ENABLE) return { errno: 0, value: BigInt(s.enabled >>> 0) };
    return { errno: ERRNO.ENXIO };
  },
  set(vm, s, attr, buf) {
    if (buf.nullPtr) return ERRNO.EFAULT;
    if (attr === TOY_BASE) {
      s.base = Number(buf.value & 0xfffff000n);
      vm.invalidateBus();
      return 0;
    }
    if (attr === TOY_ENABLE) {
      s.enabled = Number(buf.value & 0xffffffffn) >>> 0;
      return 0;
    }
    return ERRNO.ENXIO;
  },
  describe: (attr) => (attr === TOY_BASE ? 'TOY_BASE' : attr === TOY_ENABLE ? 'TOY_ENABLE' : `attr 0x${attr.toString(16)}`),
  // Its names, beside its row: what a scenario's attr may say here, and what describe prints.
  attrNames: constantNames({ TOY_BASE: Number(TOY_BASE), TOY_ENABLE: Number(TOY_ENABLE) }),
};

/** The lowest pending, enabled, inactive line, or NONE. */
function next(s: ToyState): number {
  const ready = (s.pending & s.enabled & ~s.active) >>> 0;
  for (let l = 0; l < LINES; l++) if (ready & (1 << l)) return l;
  return NONE;
}

const interrupts: InterruptFacet<ToyState> = {
  ranges: [{ name: 'LINE', first: 0, last: LINES - 1 }],
  name: (irq) => `toy line ${irq}`,
  effects(_vm, _s, ev): InterruptEffect[] {
    if (ev.errno) return [];
    if (ev.kind === 'irq_line') return ev.irq < LINES ? [{ action: ev.level ? 'raise' : 'lower', irq: ev.irq }] : [];
    if (ev.kind === 'pio') return ev.write && ev.offset === 0 && ev.len === 1 && ev.value < BigInt(LINES) ? [{ action: 'complete', irq: Number(ev.value), vcpu: ev.vcpu }] : [];
    if (ev.kind !== 'mmio' || ev.len !== 4) return [];
    const line = Number(ev.value & 0xffn);
    if (!ev.write && ev.offset === REG.ACK && line !== NONE) return [{ action: 'acknowledge', irq: line, vcpu: ev.vcpu }];
    if (ev.write && ev.offset === REG.EOI && line < LINES) return [{ action: 'complete', irq: line, vcpu: ev.vcpu }];
    return [];
  },
};

export const toyPic: DeviceModel<ToyState> = {
  type: TOY_TYPE,
  typeName: 'KVM_DEV_TYPE_TOY_PIC',
  inodeName: 'toy-pic',
  arches: ['x86_64'],
  modelVersion: 1,
  isIrqchip: true,
  stateSchema: () => S.obj({ base: S.int(0, 0xfffff000), enabled: S.int(0, 0xffffffff), pending: S.int(0, 0xffffffff), active: S.int(0, 0xffffffff) }),
  kernel: {
    ops: { get: true, set: true, has: true },
    groups: [config],
    create: () => ({ errno: 0, state: { base: 0, enabled: 0, pending: 0, active: 0 } }),
    frames: (s) => (s.base ? [{ base: s.base, size: 0x100, kind: 0, name: 'TOY' }] : []),
    mmio(_vm, s, _vcpu, _frame, offset, len, write, value) {
      if (len !== 4) return 0;
      switch (offset) {
        case REG.ENABLE:
          if (write) s.enabled = value >>> 0;
          return s.enabled >>> 0;
        case REG.PENDING:
          return s.pending >>> 0;
        case REG.ACK: {
          if (write) return 0;
          const l = next(s);
          if (l !== NONE) {
            s.pending = (s.pending & ~(1 << l)) >>> 0;
            s.active = (s.active | (1 << l)) >>> 0;
          }
          return l;
        }
        case REG.EOI:
          if (write && value < LINES) s.active = (s.active & ~(1 << value)) >>> 0;
          return 0;
        default:
          return 0;
      }
    },
    ports: () => [{ base: 0x20, size: 2, kind: 0, name: 'TOY_PORTS' }],
    pio(_vm, s, _vcpu, _range, offset, len, write, value) {
      if (len !== 1) return 0;
      if (offset === 0 && !write) return s.pending & 0xff;
      if (offset === 0 && write && value < LINES) s.active = (s.active & ~(1 << value)) >>> 0;
      if (offset === 1 && write) s.enabled = ((s.enabled & ~0xff) | (value & 0xff)) >>> 0;
      return 0;
    },
    irqLine(_vm, s, irq, level) {
      if (irq >= LINES) return ERRNO.EINVAL;
      if (level) s.pending = (s.pending | (1 << irq)) >>> 0;
      return 0;
    },
  },
  inspect: {
    describeMmio: (_s, _frame, offset) => NAMES[offset] ?? `TOY+0x${offset.toString(16)}`,
    registerFields: (_frame, offset) => (offset === REG.ACK || offset === REG.EOI ? [field('LINE', 0, 8)] : undefined),
    view: {
      root: 'toy',
      build: (_vm, s) => ({
        base: s.base,
        line: Array.from({ length: LINES }, (_, l) => ({ enabled: !!(s.enabled & (1 << l)), pending: !!(s.pending & (1 << l)), active: !!(s.active & (1 << l)) })),
      }),
    },
    interrupts,
  },
};

/** A registry with the toy family alone: what the test gives the backends. */
export const TOY_REGISTRY: DeviceRegistry = new Map([[TOY_TYPE, toyPic as DeviceModel<any>]]);
