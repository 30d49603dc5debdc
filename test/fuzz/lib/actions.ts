/**
 * Random device-control calls and guest events that mean something to the
 * models: an action names a device by its position in the VM's device list,
 * an attribute group by its row in the device's group table, an MMIO access
 * by a frame the VM's devices claim now, an ITS command by the command queue
 * the ITS was given. `resolve` turns an action into a trace event against
 * the current state of a session, so that a sequence reaches deep states
 * (initialised distributors, mapped LPIs) instead of bouncing off ENXIO.
 *
 * Used by the device-model fuzz (every call returns an errno or a
 * guest-visible result, never throws) and by the `events` trace target
 * (well-framed traces of such events, replayed by every command).
 */
import fc from 'fast-check';
import { findGroup } from '../../../devices/core/device.js';
import { DEV_TYPE, ICC_SYSREG, KVM_MSI_VALID_DEVID, VGIC_GRP } from '../../../devices/core/uapi.js';
import type { Vm } from '../../../devices/core/vm.js';
import { DEVICE_MODELS } from '../../../devices/registry.js';
import type { ItsState } from '../../../devices/arm-vgic/its/state.js';
import type { Session } from '../../../recorder/execute.js';
import type { Arch } from '../../../devices/core/uapi.js';
import type { AttrTarget, TraceEvent } from '../../../traces/events.js';

export type Action =
  | { readonly a: 'vcpu'; readonly id: number }
  | { readonly a: 'device'; readonly type: number; readonly flags: number }
  | { readonly a: 'attr'; readonly verb: 'set_attr' | 'get_attr' | 'has_attr'; readonly fd: number; readonly group: number; readonly attr: AttrChoice; readonly value: bigint; readonly nullPtr: boolean }
  | { readonly a: 'run'; readonly vcpu: number }
  | { readonly a: 'mmio'; readonly vcpu: number; readonly frame: number; readonly off: number; readonly len: 1 | 2 | 4 | 8; readonly write: boolean; readonly value: bigint; readonly aligned: boolean }
  | { readonly a: 'irq'; readonly type: number; readonly vcpu: number; readonly num: number; readonly level: number }
  | { readonly a: 'sysreg'; readonly vcpu: number; readonly reg: number; readonly write: boolean; readonly value: bigint }
  | { readonly a: 'mem_write'; readonly addr: number; readonly data: readonly number[] }
  | { readonly a: 'mem_read'; readonly addr: number; readonly len: number }
  | { readonly a: 'msi'; readonly devid: number; readonly data: number; readonly flags: number; readonly offset: number }
  | { readonly a: 'itscmd'; readonly words: readonly bigint[]; readonly kick: boolean }
  | { readonly a: 'legacy'; readonly id: bigint; readonly addr: bigint }
  | { readonly a: 'create_vm'; readonly arch: Arch; readonly ipaBits: number };

/** How the attr word of a device-attribute call is built from the group it goes to. */
export interface AttrChoice {
  /** cpuid / mpidr part: a vcpu index (mapped to the right encoding), or raw. */
  readonly cpu: number;
  /** offset, address type, CTRL attribute, sysreg encoding or intid, by group. */
  readonly low: number;
  /** Use `raw` as the whole attr instead. */
  readonly raw?: bigint;
}

/** Guest RAM the examples use for tables and queues (a VMM would put them anywhere). */
export const RAM = 0x40000000;
const SYSREGS = Object.values(ICC_SYSREG);
const TYPES = [DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V2, DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V3, DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_ITS];
const BASES = [0x8000000n, 0x8010000n, 0x8020000n, 0x80a0000n, 0x8080000n, 0x9000000n, 0x8001000n, 0x0n, 0x1000n, 0xfff0000n, (1n << 40n) - 0x10000n, 1n << 40n, 0xffffffffffffffffn, 0x8000001n];
const REDIST_REGION_WORDS = [(2n << 52n) | 0x80a0000n, (1n << 52n) | 0x9000000n | 1n, (0n << 52n) | 0x80a0000n, (4095n << 52n) | 0x80a0000n];

const u64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });
const valueArb = fc.oneof(
  { weight: 3, arbitrary: fc.bigInt({ min: 0n, max: 0xffn }) },
  { weight: 3, arbitrary: fc.bigInt({ min: 0n, max: 0xffffffffn }) },
  { weight: 2, arbitrary: fc.constantFrom(...BASES, ...REDIST_REGION_WORDS, 1n, 0x12n, 0xf0n, 0xa0n, 1023n, 8192n, (1n << 63n) | 0x40200000n, 0x4000000fn, 0x40100000n) },
  { weight: 1, arbitrary: u64 },
);

export const actionArb: fc.Arbitrary<Action> = fc.oneof(
  { weight: 1, arbitrary: fc.record({ a: fc.constant('vcpu' as const), id: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.constantFrom(8, 16, 17, 255, 511, 512, 0xffffffff) }) }) },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('device' as const), type: fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...TYPES) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 20 }) }), flags: fc.constantFrom(0, 0, 0, 1, 2) }) },
  {
    weight: 8,
    arbitrary: fc.record({
      a: fc.constant('attr' as const),
      verb: fc.constantFrom('set_attr' as const, 'get_attr' as const, 'has_attr' as const),
      fd: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.integer({ min: -2, max: -1 }) }),
      group: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 12 }) }, { weight: 1, arbitrary: fc.nat() }),
      attr: fc.record(
        {
          cpu: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 4 }) }, { weight: 1, arbitrary: fc.nat(0xffffffff) }),
          low: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 0x3ff }).map((x) => x * 4) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 8 }) }, { weight: 2, arbitrary: fc.constantFrom(...SYSREGS) }, { weight: 1, arbitrary: fc.nat(0x1ffff) }),
          raw: fc.option(u64, { freq: 12, nil: undefined }),
        },
        { requiredKeys: ['cpu', 'low'] },
      ),
      value: valueArb,
      nullPtr: fc.constantFrom(false, false, false, false, false, false, false, true),
    }),
  },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('run' as const), vcpu: fc.integer({ min: 0, max: 4 }) }) },
  {
    weight: 10,
    arbitrary: fc.record({
      a: fc.constant('mmio' as const),
      vcpu: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 3 }) }, { weight: 1, arbitrary: fc.constantFrom(4, 100, 0xffffffff) }),
      frame: fc.nat(),
      off: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 0x1ff }).map((x) => x * 4) }, { weight: 2, arbitrary: fc.integer({ min: 0, max: 0x3fff }).map((x) => x * 4) }, { weight: 1, arbitrary: fc.nat() }),
      len: fc.constantFrom(4 as const, 4 as const, 4 as const, 8 as const, 1 as const, 2 as const),
      write: fc.boolean(),
      value: valueArb,
      aligned: fc.constantFrom(true, true, true, true, false),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      a: fc.constant('irq' as const),
      type: fc.constantFrom(1, 1, 2, 0, 3, 15),
      vcpu: fc.integer({ min: 0, max: 4 }),
      num: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 64 }) }, { weight: 1, arbitrary: fc.integer({ min: 0, max: 0xffff }) }),
      level: fc.constantFrom(0, 1, 1, 2),
    }),
  },
  {
    weight: 5,
    arbitrary: fc.record({
      a: fc.constant('sysreg' as const),
      vcpu: fc.integer({ min: 0, max: 4 }),
      reg: fc.oneof({ weight: 8, arbitrary: fc.constantFrom(...SYSREGS) }, { weight: 1, arbitrary: fc.nat(0xffff) }),
      write: fc.boolean(),
      value: valueArb,
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({
      a: fc.constant('mem_write' as const),
      addr: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 0x240000 }).map((x) => RAM + x) }, { weight: 1, arbitrary: fc.constantFrom(0, 2 ** 40 - 4, 2 ** 40, 2 ** 52, 2 ** 53 - 1) }),
      data: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 0, maxLength: 48 }),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      a: fc.constant('mem_read' as const),
      addr: fc.oneof({ weight: 6, arbitrary: fc.integer({ min: 0, max: 0x240000 }).map((x) => RAM + x) }, { weight: 1, arbitrary: fc.constantFrom(0, 2 ** 40 - 4, 2 ** 40) }),
      len: fc.oneof({ weight: 8, arbitrary: fc.integer({ min: 0, max: 64 }) }, { weight: 1, arbitrary: fc.constantFrom(4096, 65536) }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      a: fc.constant('msi' as const),
      devid: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 20 }) }, { weight: 1, arbitrary: fc.nat(0xffffffff) }),
      data: fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 0, max: 20 }) }, { weight: 1, arbitrary: fc.nat(0xffffffff) }),
      flags: fc.constantFrom(KVM_MSI_VALID_DEVID, KVM_MSI_VALID_DEVID, KVM_MSI_VALID_DEVID, 0, 2, 3),
      offset: fc.constantFrom(0x10040, 0x10040, 0x10040, 0x40, 0x10000, 0),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({
      a: fc.constant('itscmd' as const),
      words: fc.tuple(
        fc.oneof(
          { weight: 6, arbitrary: fc.tuple(fc.constantFrom(0x08n, 0x09n, 0x0an, 0x0bn, 0x01n, 0x0fn, 0x0cn, 0x0dn, 0x03n, 0x04n, 0x05n, 0x0en), fc.bigInt({ min: 0n, max: 20n })).map(([c, d]) => c | (d << 32n)) },
          { weight: 1, arbitrary: u64 },
        ),
        fc.oneof({ weight: 4, arbitrary: fc.bigInt({ min: 0n, max: 20n }) }, { weight: 2, arbitrary: fc.tuple(fc.bigInt({ min: 0n, max: 20n }), fc.bigInt({ min: 8192n, max: 8300n })).map(([e, l]) => e | (l << 32n)) }, { weight: 1, arbitrary: u64 }),
        fc.oneof({ weight: 4, arbitrary: fc.tuple(fc.bigInt({ min: 0n, max: 4n }), fc.bigInt({ min: 0n, max: 3n }), fc.boolean()).map(([c, t, v]) => c | (t << 16n) | (v ? 1n << 63n : 0n)) }, { weight: 1, arbitrary: u64 }),
        fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0x40230000n | (1n << 63n), 0x40230100n, 0n, 3n) }, { weight: 1, arbitrary: u64 }),
      ),
      kick: fc.constantFrom(true, true, true, false),
    }),
  },
  { weight: 1, arbitrary: fc.record({ a: fc.constant('legacy' as const), id: fc.constantFrom(0n, 1n, 0x10000n, 0x10001n, 2n, 0xffffffffn), addr: fc.constantFrom(...BASES) }) },
);

/** An action list for one VM, weighted so that most sequences begin by creating vcpus and an irqchip. */
export const programArb = (maxLength: number): fc.Arbitrary<Action[]> => fc.array(actionArb, { minLength: 1, maxLength });

function mpidrAttr(vm: Vm, cpu: number): bigint {
  const v = vm.state.vcpus[cpu];
  const id = v ? v.id : cpu;
  return BigInt((id & 0xf) | (((id >> 4) & 0xff) << 8));
}

/** The attr word for a group, built the way the group encodes it (arm-vgic-v2.rst, arm-vgic-v3.rst, arm-vgic-its.rst). */
function attrWord(vm: Vm, group: number, c: AttrChoice, v3: boolean): bigint {
  if (c.raw !== undefined) return c.raw;
  const low = BigInt(c.low >>> 0);
  switch (group) {
    case VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
    case VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_CPU_REGS:
    case VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
      return ((v3 ? mpidrAttr(vm, c.cpu) : BigInt(c.cpu & 0xff)) << 32n) | (low & 0xffffn);
    case VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS:
      return (mpidrAttr(vm, c.cpu) << 32n) | (low & 0xffffn);
    case VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO:
      return (mpidrAttr(vm, c.cpu) << 32n) | (low & 0x3ffn);
    case VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_ADDR:
    case VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_CTRL:
    case VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_NR_IRQS:
      return low % 8n;
    default:
      return low;
  }
}

/** The ITS of a VM and its handle, if it has one. */
function itsOf(vm: Vm): { handle: number; s: ItsState } | undefined {
  const h = vm.state.devices.findIndex((d) => d.type === DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_ITS);
  return h < 0 ? undefined : { handle: h, s: vm.state.devices[h]!.state as ItsState };
}

/**
 * The trace events an action becomes against VM `vmIndex` of `session`
 * now (results left 0: executing them fills them in). An ITS command is a
 * mem_write into the command queue and, when `kick`, the GITS_CWRITER write.
 */
export function resolve(act: Action, session: Session, vmIndex = 0): TraceEvent[] {
  const vm = session.vms[vmIndex];
  const base = { vm: vmIndex };
  if (act.a === 'create_vm') return [{ kind: 'create_vm', vm: session.vms.length, arch: act.arch, ipaBits: act.ipaBits }];
  if (!vm) return [];
  switch (act.a) {
    case 'vcpu':
      return [{ kind: 'create_vcpu', ...base, id: act.id >>> 0, errno: 0 }];
    case 'device':
      return [{ kind: 'create_device', ...base, type: act.type, flags: act.flags, errno: 0, handle: -1 }];
    case 'attr': {
      const devs = vm.state.devices;
      let target: AttrTarget;
      let group = act.group;
      let v3 = false;
      if (act.fd === -1) target = { kind: 'vm' };
      else if (act.fd === -2) target = { kind: 'vcpu', id: vm.state.vcpus[0]?.id ?? 0 };
      else {
        const handle = devs.length ? act.fd % (devs.length + 1) : act.fd;
        target = { kind: 'device', handle };
        const model = devs[handle] ? DEVICE_MODELS.get(devs[handle]!.type) : undefined;
        v3 = devs[handle]?.type === DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V3;
        // Mostly a group the device has (its table), sometimes any number.
        if (model && act.group <= 12) group = model.groups[act.group % model.groups.length]!.id;
        if (model && !findGroup(model, group) && act.group <= 12) group = act.group;
      }
      const attr = attrWord(vm, group, act.attr, v3);
      const ev = { kind: act.verb, ...base, target, group: group >>> 0, attr, errno: 0 } as const;
      if (act.verb === 'has_attr') return [ev];
      return [{ ...ev, value: act.value, ...(act.nullPtr && { nullPtr: true }) }];
    }
    case 'run':
      return [{ kind: 'run_vcpu', ...base, vcpu: vm.state.vcpus[act.vcpu % Math.max(1, vm.state.vcpus.length)]?.id ?? act.vcpu, errno: 0 }];
    case 'mmio': {
      const frames = vm.frames();
      const vcpu = act.vcpu < 4 ? (vm.state.vcpus[act.vcpu % Math.max(1, vm.state.vcpus.length)]?.id ?? act.vcpu) : act.vcpu >>> 0;
      let addr: number;
      if (frames.length && act.frame % 8 !== 7) {
        const f = frames[act.frame % frames.length]!.frame;
        let off = act.off % f.size;
        if (act.aligned) off -= off % act.len;
        addr = f.base + off;
      } else addr = act.off;
      const value = act.write ? BigInt.asUintN(8 * act.len, act.value) : 0n;
      return [{ kind: 'mmio', ...base, vcpu, write: act.write, addr, len: act.len, value, exit: false, errno: 0 }];
    }
    case 'irq': {
      const vcpu = vm.state.vcpus[act.vcpu]?.id ?? act.vcpu;
      const irq = ((act.type & 0xf) << 24) | ((vcpu & 0xff) << 16) | (((vcpu >> 8) & 0xf) << 28) | (act.num & 0xffff);
      return [{ kind: 'irq_line', ...base, irq: irq >>> 0, level: act.level, errno: 0 }];
    }
    case 'sysreg': {
      const vcpu = vm.state.vcpus[act.vcpu]?.id ?? act.vcpu;
      return [{ kind: 'sysreg', ...base, vcpu, write: act.write, reg: act.reg, value: act.value, errno: 0 }];
    }
    case 'mem_write':
      return [{ kind: 'mem_write', ...base, addr: act.addr, data: Uint8Array.from(act.data), errno: 0 }];
    case 'mem_read':
      return [{ kind: 'mem_read', ...base, addr: act.addr, len: act.len, data: new Uint8Array(0), errno: 0 }];
    case 'msi': {
      const its = itsOf(vm);
      const itsBase = its && its.s.base !== 0xffffffffffffffffn ? its.s.base : 0x8080000n;
      return [{ kind: 'signal_msi', ...base, address: itsBase + BigInt(act.offset), data: act.data >>> 0, flags: act.flags, devid: act.devid >>> 0, ret: 0, errno: 0 }];
    }
    case 'itscmd': {
      const its = itsOf(vm);
      if (!its) return [];
      // GITS_CBASER: physical address bits [51:12], size in 4 KiB pages - 1 in [7:0].
      const q = Number((its.s.cbaser >> 12n) & 0xffffffffffn) * 4096;
      const pages = Number(its.s.cbaser & 0xffn) + 1;
      const addr = (q || RAM + 0x220000) + (its.s.cwriter % (pages * 4096));
      const data = new Uint8Array(32);
      const dv = new DataView(data.buffer);
      act.words.forEach((w, i) => dv.setBigUint64(i * 8, BigInt.asUintN(64, w), true));
      const out: TraceEvent[] = [{ kind: 'mem_write', ...base, addr, data, errno: 0 }];
      if (act.kick && its.s.base !== 0xffffffffffffffffn) {
        const next = (its.s.cwriter + 32) % (pages * 4096);
        out.push({ kind: 'mmio', ...base, vcpu: vm.state.vcpus[0]?.id ?? 0, write: true, addr: Number(its.s.base) + 0x88, len: 8, value: BigInt(next), exit: false, errno: 0 });
      }
      return out;
    }
    case 'legacy':
      return [{ kind: 'arm_set_device_addr', ...base, id: act.id, addr: act.addr, errno: 0 }];
  }
}
