/**
 * KVM_DEV_TYPE_ARM_VGIC_ITS (kvm_arm_vgic_its_ops, vgic-its.c, v6.17): the
 * attribute groups, the guest frame and MSI translation. Several ITSs may
 * exist in a VM; each feeds the LPIs of the VM's GICv3 VGIC. Sources:
 * Documentation/virt/kvm/devices/arm-vgic-its.rst, vgic-its.c,
 * shared/reference/kvm-device-api.md section 3.4.
 */
import type { AttrGroup, AttrOutcome, DeviceModel, UserBuf, VmCtx } from '../../core/device.js';
import { ACC64, type BitField, decodeFields } from '../../core/regtable.js';
import { DEV_TYPE, ERRNO, type Errno, KVM_VGIC_V3_ITS_SIZE, nameOf, VGIC_ADDR_TYPE, VGIC_ADDR_UNDEF, VGIC_CTRL, VGIC_GRP } from '../../core/uapi.js';
import { checkIorange } from '../common.js';
import { itsCreated } from '../v3/lpi.js';
import { describeCommand, triggerMsi } from './cmd.js';
import { freeLists, GITS_PIDR4, ITS_REGS } from './regs.js';
import { cbaserAddress, cmdQueueSize, type ItsState, itsSchema, newItsState, GITS_BASER } from './state.js';
import { restoreTables, saveTables } from './tables.js';
import { itsView } from './view.js';
import { itsMigration } from './migration.js';
import { itsInterrupts } from './interrupts.js';
import { ADDR_TYPE_NAMES, CTRL_NAMES, ITS_NO_VCPU, REG_NAMES, VGIC_NAMES } from '../names.js';

const ITS_ADDR = BigInt(VGIC_ADDR_TYPE.KVM_VGIC_ITS_ADDR_TYPE);

/** A 64-bit register value decoded into its named fields (the low 32 bits carry every field decoded here). */
function fieldsOf(fields: readonly BitField[] | undefined, value: bigint): string | undefined {
  return fields ? decodeFields(Number(BigInt.asUintN(32, value)), fields) || undefined : undefined;
}

/**
 * Userspace accesses are 32-bit below GITS_TYPER and from GITS_PIDR4 on,
 * 64-bit elsewhere; a misaligned offset is EINVAL (vgic_its_attr_regs_access).
 */
function alignErr(offset: bigint): Errno {
  const align = offset < 0x8n || offset >= BigInt(GITS_PIDR4) ? 3n : 7n;
  return offset & align ? ERRNO.EINVAL : 0;
}

/** vgic_its_attr_regs_access: EFAULT (set), EINVAL alignment, ENXIO no base or no register, then the access. */
function regsAccess(vm: VmCtx, its: ItsState, attr: bigint, buf: UserBuf, write: boolean): AttrOutcome {
  if (write && buf.nullPtr) return { errno: ERRNO.EFAULT };
  const e = alignErr(attr);
  if (e) return { errno: e };
  if (its.base === VGIC_ADDR_UNDEF || attr >= 0x20000n) return { errno: ERRNO.ENXIO };
  const off = Number(attr);
  const row = ITS_REGS.find(off);
  if (!row) return { errno: ERRNO.ENXIO };
  const wide = (row.widths & ACC64) !== 0;
  if (write) {
    const v = BigInt.asUintN(64, buf.value);
    if (wide) return { errno: row.uwrite64 ? row.uwrite64(vm, its, 0, off, v) : (row.write64!(vm, its, 0, off, v), 0) };
    const v32 = Number(BigInt.asUintN(32, v));
    return { errno: row.uwrite ? row.uwrite(vm, its, 0, off, v32) : (row.write(vm, its, 0, off, 4, v32), 0) };
  }
  return { errno: 0, value: wide ? row.read64!(vm, its, 0, off) : BigInt(row.read(vm, its, 0, off, 4) >>> 0) };
}

/** vgic_its_reset (KVM_DEV_ARM_ITS_CTRL_RESET): Valid cleared in both BASERs, queue registers zeroed, disabled, lists freed. */
function reset(vm: VmCtx, its: ItsState): void {
  its.baserColl &= ~GITS_BASER.VALID;
  its.baserDevice &= ~GITS_BASER.VALID;
  its.cbaser = 0n;
  its.creadr = 0;
  its.cwriter = 0;
  its.enabled = false;
  freeLists(vm, its, true, true);
}

const GROUPS: readonly AttrGroup<ItsState>[] = [
  {
    id: VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_ADDR,
    name: 'KVM_DEV_ARM_VGIC_GRP_ADDR',
    payload: 8,
    has: (_vm, _s, attr) => (attr === ITS_ADDR ? 0 : ERRNO.ENXIO),
    // Any other type is ENODEV here (vgic_its_get/set_attr do not translate it to ENXIO).
    get: (_vm, s, attr) => (attr === ITS_ADDR ? { errno: 0, value: s.base } : { errno: ERRNO.ENODEV }),
    set(vm, s, attr, buf) {
      if (attr !== ITS_ADDR) return ERRNO.ENODEV;
      if (buf.nullPtr) return ERRNO.EFAULT;
      const addr = BigInt.asUintN(64, buf.value);
      const e = checkIorange(vm, s.base, addr, 0x10000n, BigInt(KVM_VGIC_V3_ITS_SIZE));
      if (e) return e;
      s.base = addr;
      vm.invalidateBus();
      return 0;
    },
    describe: (attr) => (attr < 16n ? nameOf(VGIC_ADDR_TYPE, Number(attr)) : undefined) ?? `type ${attr}`,
    attrNames: ADDR_TYPE_NAMES,
  },
  {
    id: VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_CTRL,
    name: 'KVM_DEV_ARM_VGIC_GRP_CTRL',
    payload: 0,
    has: (_vm, _s, attr) =>
      [VGIC_CTRL.KVM_DEV_ARM_VGIC_CTRL_INIT, VGIC_CTRL.KVM_DEV_ARM_ITS_CTRL_RESET, VGIC_CTRL.KVM_DEV_ARM_ITS_SAVE_TABLES, VGIC_CTRL.KVM_DEV_ARM_ITS_RESTORE_TABLES].some((a) => BigInt(a) === attr)
        ? 0
        : ERRNO.ENXIO,
    // vgic_its_ctrl: INIT does nothing; RESET, SAVE_TABLES, RESTORE_TABLES; any other attr returns 0.
    set(vm, s, attr) {
      switch (attr) {
        case BigInt(VGIC_CTRL.KVM_DEV_ARM_ITS_CTRL_RESET):
          reset(vm, s);
          return 0;
        case BigInt(VGIC_CTRL.KVM_DEV_ARM_ITS_SAVE_TABLES):
          return saveTables(vm, s);
        case BigInt(VGIC_CTRL.KVM_DEV_ARM_ITS_RESTORE_TABLES):
          return restoreTables(vm, s);
        default:
          return 0;
      }
    },
    describe: (attr) => (attr < 16n ? nameOf(VGIC_CTRL, Number(attr)) : undefined) ?? `attr ${attr}`,
    attrNames: CTRL_NAMES,
  },
  {
    id: VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_ITS_REGS,
    name: 'KVM_DEV_ARM_VGIC_GRP_ITS_REGS',
    payload: 8,
    // vgic_its_has_attr_regs: alignment (EINVAL), then a register at that offset (ENXIO); the base is not needed.
    has(_vm, _s, attr) {
      const e = alignErr(attr);
      if (e) return e;
      return attr < 0x20000n && ITS_REGS.find(Number(attr)) ? 0 : ERRNO.ENXIO;
    },
    get: (vm, s, attr, buf) => regsAccess(vm, s, attr, buf, false),
    set: (vm, s, attr, buf) => regsAccess(vm, s, attr, buf, true).errno,
    describe: (attr) => (attr < 0x20000n ? ITS_REGS.nameAt(Number(attr)) : `+0x${attr.toString(16)}`),
    describeValue: (attr, value) => fieldsOf(attr < 0x20000n ? ITS_REGS.find(Number(attr))?.fields : undefined, value),
    attrNames: REG_NAMES.its,
    attrVcpu: ITS_NO_VCPU,
  },
];

export const vgicIts: DeviceModel<ItsState> = {
  type: DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_ITS,
  typeName: 'KVM_DEV_TYPE_ARM_VGIC_ITS',
  inodeName: 'kvm-arm-vgic-its',
  arches: ['arm64'],
  modelVersion: 2,
  stateSchema: itsSchema,
  names: VGIC_NAMES,
  kernel: {
    ops: { get: true, set: true, has: true },
    groups: GROUPS,
    /**
     * vgic_its_create: no VGIC is needed to create one. It marks the VM as
     * having an ITS (msis_require_devid, has_its) and resets the VGIC's
     * PROPBASER to INITIAL_PROPBASER_VALUE.
     */
    create(vm) {
      itsCreated(vm);
      return { errno: 0, state: newItsState() };
    },
    frames: (s) => (s.base === VGIC_ADDR_UNDEF ? [] : [{ base: Number(s.base), size: KVM_VGIC_V3_ITS_SIZE, kind: 0, name: 'GITS' }]),
    // Guest accesses: a width or alignment the register does not allow, or an offset with no register, is RAZ/WI.
    mmio(vm, s, _vcpu, _frame, off, len, write, value) {
      const row = ITS_REGS.lookup(off, len);
      if (!row) return 0;
      if (write) {
        row.write(vm, s, 0, off, len, value);
        return 0;
      }
      return row.read(vm, s, 0, off, len);
    },
    mmio64(vm, s, _vcpu, _frame, off, write, value) {
      const row = ITS_REGS.lookup(off, 8);
      if (!row?.read64) return 0n;
      if (write) {
        row.write64!(vm, s, 0, off, value);
        return 0n;
      }
      return row.read64(vm, s, 0, off);
    },
    /**
     * vgic_its_inject_msi once the VGIC found this ITS at the MSI's address
     * (kvm_set_msi, v3/device.ts): vgic_its_trigger_msi's -EBUSY is the
     * ioctl's errno; an event not mapped is 0 (the guest blocked it); 1 delivered.
     */
    signalMsi(vm, s, msi) {
      const r = triggerMsi(vm, s, msi.devid >>> 0, msi.data >>> 0);
      if (r < 0) return { errno: -r, ret: 0 };
      return { errno: 0, ret: r > 0 ? 0 : 1 };
    },
  },
  inspect: {
    describeMmio(_s, _frame, off, len) {
      return ITS_REGS.lookup(off, len) ? ITS_REGS.nameAt(off) : `GITS+0x${off.toString(16)} (RAZ/WI)`;
    },
    registerFields: (_frame, off) => ITS_REGS.find(off)?.fields,
    /** Whole commands written into this ITS's command queue, decoded. */
    describeMemWrite(_vm, s, addr, data) {
      if (!(s.cbaser & (1n << 63n))) return undefined;
      const base = cbaserAddress(s.cbaser);
      const end = base + cmdQueueSize(s.cbaser);
      const out: string[] = [];
      for (let a = Math.max(base + Math.ceil((addr - base) / 32) * 32, base); a + 32 <= Math.min(addr + data.length, end); a += 32) {
        const dv = new DataView(data.buffer, data.byteOffset + (a - addr), 32);
        out.push(describeCommand([0, 8, 16, 24].map((k) => dv.getBigUint64(k, true))));
      }
      return out.length ? `ITS command queue +0x${(Math.max(addr, base) - base).toString(16)}: ${out.join(', ')}` : undefined;
    },
    view: itsView,
    migration: itsMigration,
    interrupts: itsInterrupts,
  },
};
