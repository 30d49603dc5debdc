/**
 * KVM_DEV_TYPE_ARM_VGIC_V3 (kvm_arm_vgic_v3_ops, vgic-kvm-device.c, v6.17):
 * the attribute-group table, the guest frames (distributor and one
 * redistributor per vcpu), the ICC system registers, KVM_SIGNAL_MSI and the
 * hooks the generic code calls. Sources:
 * Documentation/virt/kvm/devices/arm-vgic-v3.rst,
 * arch/arm64/kvm/vgic/{vgic-kvm-device.c,vgic-init.c,vgic-v3.c,vgic-mmio-v3.c},
 * arch/arm64/kvm/vgic-sys-reg-v3.c, shared/reference/kvm-device-api.md 3.1, 3.3.
 */
import type { AttrGroup, AttrOutcome, DeviceModel, MmioFrame, UserBuf, VmCtx } from '../../core/device.js';
import { type BitField, decodeFields, field } from '../../core/regtable.js';
import { findRegion, type GicTable } from '../regions.js';
import {
  DEV_TYPE,
  ERRNO,
  type Errno,
  ICC_SYSREG,
  KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK,
  KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT,
  KVM_DEV_ARM_VGIC_LINE_LEVEL_INTID_MASK,
  KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK,
  KVM_MSI_VALID_DEVID,
  KVM_VGIC_V3_DIST_SIZE,
  KVM_VGIC_V3_REDIST_SIZE,
  nameOf,
  VGIC,
  VGIC_ADDR_TYPE,
  VGIC_ADDR_UNDEF,
  VGIC_CTRL,
  VGIC_GRP,
} from '../../core/uapi.js';
import { nrIrqsGroup, vgicFirstRun, vgicCreate, vgicInit, vgicIrqLine } from '../common.js';
import { nrIrqs } from '../state.js';
import { checkBase, describeRegionWord, getV3Addr, hasV3Addr, redistPrecheck, registerRedist, setV3Addr } from './addr.js';
import { hasIts, V3_DIST } from './dist.js';
import { guestSysreg, ICC_FIELDS, ICC_USER_REGS, iccName } from './icc.js';
import { findLpi, maxLpis, propbaseAddress, savePendingTables } from './lpi.js';
import { V3_REDIST } from './redist.js';
import { INITIAL_PROPBASER, newV3Cpu, newVgic3State, V3_HOST, V3_SRE, vcpuByAff, type Vgic3State, vgicV3Schema } from './state.js';
import { explainVgic3Irq } from './explain.js';
import { vgic3View } from './view.js';
import { vgicV3Migration } from './migration.js';
import { vgicV3Interrupts } from './interrupts.js';
import { ADDR_TYPE_NAMES, CTRL_NAMES, REG_NAMES, V3_ATTR_VCPU, V3_DIST_NO_VCPU, VGIC_NAMES } from '../names.js';

/** Frame kinds on the MMIO bus: the distributor, then REDIST + vcpu index for each redistributor. */
export const FRAME = { DIST: 0, REDIST: 1 } as const;

const V3 = DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V3;

/** The 32-bit VGIC MPIDR of a register attr (bits 63:32: Aff3 Aff2 Aff1 Aff0). */
const attrMpidr = (attr: bigint) => Number((attr >> 32n) & 0xffffffffn);

/**
 * vgic_v3_parse_attr: DIST_REGS always act on vcpu 0 (EINVAL if there is
 * none); the other groups name the vcpu by MPIDR (EINVAL if none has it).
 */
function parseVcpu(vm: VmCtx, group: number, attr: bigint): number | Errno {
  if (group === VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_DIST_REGS) return vm.state.vcpus.length ? 0 : -ERRNO.EINVAL;
  const v = vcpuByAff(vm.state.vcpus, attrMpidr(attr));
  return v < 0 ? -ERRNO.EINVAL : v;
}

/** reg_allowed_pre_init (v6.17): GICD_IIDR and GICD_TYPER2 can be accessed before INIT. */
function allowedPreInit(group: number, attr: bigint): boolean {
  const off = attr & 0xffffffffn;
  return group === VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_DIST_REGS && (off === 0x8n || off === 0xcn);
}

/** vgic_uaccess: an offset with no register (or a per-IRQ one beyond nr_irqs) reads 0 and ignores writes. */
function uaccess(vm: VmCtx, s: Vgic3State, table: GicTable<Vgic3State>, vcpu: number, off: number, buf: UserBuf, write: boolean): AttrOutcome {
  const row = findRegion(table, off, 4, nrIrqs(s));
  if (!row) return { errno: 0, value: 0n };
  if (write) {
    const val = Number(BigInt.asUintN(32, buf.value));
    return { errno: row.uwrite ? row.uwrite(vm, s, vcpu, off, val) : (row.write(vm, s, vcpu, off, 4, val), 0) };
  }
  return { errno: 0, value: BigInt((row.uread ? row.uread(vm, s, vcpu, off) : row.read(vm, s, vcpu, off, 4)) >>> 0) };
}

/** vgic_read/write_irq_line_level_info: 32 INTIDs from `intid`; SGIs and INTIDs beyond nr_irqs are RAZ/WI; only level IRQs report a level. */
function lineLevel(s: Vgic3State, vcpu: number, intid: number, buf: UserBuf, write: boolean): AttrOutcome {
  let val = 0;
  const w = Number(BigInt.asUintN(32, buf.value));
  for (let i = 0; i < 32; i++) {
    const n = intid + i;
    if (n < VGIC.NR_SGIS || n >= nrIrqs(s)) continue;
    const b = n < VGIC.NR_PRIVATE_IRQS ? s.cpus[vcpu]!.priv : s.spi;
    const m = 1 << (n & 31);
    const k = n >>> 5;
    if (write) b.level[k] = w & (1 << i) ? b.level[k]! | m : b.level[k]! & ~m;
    else if (!(b.edge[k]! & m) && b.level[k]! & m) val |= 1 << i;
  }
  return { errno: 0, value: BigInt(val >>> 0) };
}

/**
 * vgic_v3_attr_regs_access: parse the vcpu (EINVAL), read the user value
 * for every group but CPU_SYSREGS (EFAULT), require INIT unless the register
 * is allowed before it (EBUSY), then the group's access.
 */
function regsAccess(vm: VmCtx, s: Vgic3State, group: number, attr: bigint, buf: UserBuf, write: boolean): AttrOutcome {
  const v = parseVcpu(vm, group, attr);
  if (v < 0) return { errno: -v };
  const sysregs = group === VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS;
  if (!sysregs && write && buf.nullPtr) return { errno: ERRNO.EFAULT };
  if (!s.initialized && !allowedPreInit(group, attr)) return { errno: ERRNO.EBUSY };
  const off = Number(attr & 0xffffffffn);
  switch (group) {
    case VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_DIST_REGS:
      return uaccess(vm, s, V3_DIST, v, off, buf, write);
    case VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_REDIST_REGS:
      return uaccess(vm, s, V3_REDIST, v, off, buf, write);
    case VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO: {
      const info = Number((attr & KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK) >> KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_SHIFT);
      const intid = Number(attr & KVM_DEV_ARM_VGIC_LINE_LEVEL_INTID_MASK);
      if (info !== 0 || intid % 32) return { errno: ERRNO.EINVAL };
      return lineLevel(s, v, intid, buf, write);
    }
    default: {
      // kvm_sys_reg_set_user / get_user: the user word first (EFAULT), then
      // the register (ENOENT if the table has none), then its accessor.
      if (write && buf.nullPtr) return { errno: ERRNO.EFAULT };
      const reg = ICC_USER_REGS.get(Number(attr & KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK));
      if (!reg) return { errno: ERRNO.ENOENT };
      const c = s.cpus[v]!;
      if (write) return { errno: reg.set(c, BigInt.asUintN(64, buf.value)) };
      const r = reg.get(c);
      return typeof r === 'bigint' ? { errno: 0, value: r } : { errno: r };
    }
  }
}

/** vgic_v3_has_attr_regs: parse the vcpu, then an aligned 32-bit register must exist (ENXIO); sysregs by encoding. */
function hasRegs(vm: VmCtx, s: Vgic3State, group: number, attr: bigint): Errno {
  const v = parseVcpu(vm, group, attr);
  if (v < 0) return -v;
  if (group === VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS) return ICC_USER_REGS.has(Number(attr & KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK)) ? 0 : ERRNO.ENXIO;
  const off = Number(attr & 0xffffffffn);
  if (off & 3) return ERRNO.ENXIO;
  const table = group === VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_DIST_REGS ? V3_DIST : V3_REDIST;
  return findRegion(table, off, 4, nrIrqs(s)) ? 0 : ERRNO.ENXIO;
}

/** A register value decoded into its named fields. */
function fieldsText(fields: readonly BitField[] | undefined, v: bigint): string | undefined {
  return fields ? decodeFields(BigInt.asUintN(64, v), fields) || undefined : undefined;
}


/** "vcpu mpidr 0.0.1 GICR_TYPER" */
function mpidrText(attr: bigint): string {
  const m = attrMpidr(attr);
  return `mpidr ${(m >>> 24) & 0xff}.${(m >>> 16) & 0xff}.${(m >>> 8) & 0xff}.${m & 0xff}`;
}

function regsGroup(
  id: number,
  name: string,
  describe: (attr: bigint) => string,
  payload: 4 | 8,
  names: Pick<AttrGroup<Vgic3State>, 'attrNames' | 'attrVcpu'>,
  describeValue?: AttrGroup<Vgic3State>['describeValue'],
): AttrGroup<Vgic3State> {
  return {
    id,
    name,
    payload,
    ...names,
    ...(describeValue && { describeValue }),
    has: (vm, s, attr) => hasRegs(vm, s, id, attr),
    get: (vm, s, attr, buf) => regsAccess(vm, s, id, attr, buf, false),
    set: (vm, s, attr, buf) => regsAccess(vm, s, id, attr, buf, true).errno,
    describe,
  };
}

/**
 * vgic_init for v3: the common part (nr_spis frozen, SPIs allocated: group
 * 1, edge, routed to affinity 0 and vcpu 0), then each vcpu's CPU interface
 * enabled with the host's sizing (vgic_v3_enable).
 */
function v3Init(vm: VmCtx, s: Vgic3State): Errno {
  if (s.initialized) return 0;
  const e = vgicInit(vm, s);
  if (e) return e;
  s.irouter = new Uint32Array(s.spi.count);
  s.spiTarget = new Int16Array(s.spi.count).fill(s.cpus.length ? 0 : -1);
  for (const c of s.cpus) {
    c.sre = V3_SRE;
    c.numPriBits = V3_HOST.priBits;
    c.numIdBits = V3_HOST.idBits;
  }
  return 0;
}

const GROUPS: readonly AttrGroup<Vgic3State>[] = [
  {
    id: VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_ADDR,
    name: 'KVM_DEV_ARM_VGIC_GRP_ADDR',
    payload: 8,
    has: (_vm, _s, attr) => hasV3Addr(attr),
    get: (_vm, s, attr, buf) => getV3Addr(s, attr, buf),
    set: (vm, s, attr, buf) => setV3Addr(vm, s, attr, buf),
    describe: (attr) => (attr < 16n ? nameOf(VGIC_ADDR_TYPE, Number(attr)) : undefined) ?? `type ${attr}`,
    attrNames: ADDR_TYPE_NAMES,
    describeValue: (attr, v) => (attr === BigInt(VGIC_ADDR_TYPE.KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION) ? describeRegionWord(v) : undefined),
  },
  regsGroup(VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS', (attr) => V3_DIST.nameAt(Number(attr & 0xffffffffn)), 4, { attrNames: REG_NAMES.v3Dist, attrVcpu: V3_DIST_NO_VCPU }, (attr, v) =>
    fieldsText(V3_DIST.find(Number(attr & 0xffffffffn))?.fields, v),
  ),
  regsGroup(
    VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_REDIST_REGS,
    'KVM_DEV_ARM_VGIC_GRP_REDIST_REGS',
    (attr) => `${mpidrText(attr)} ${V3_REDIST.nameAt(Number(attr & 0xffffffffn))}`,
    4,
    { attrNames: REG_NAMES.v3Redist, attrVcpu: V3_ATTR_VCPU },
    (attr, v) => fieldsText(V3_REDIST.find(Number(attr & 0xffffffffn))?.fields, v),
  ),
  regsGroup(
    VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS,
    'KVM_DEV_ARM_VGIC_GRP_CPU_SYSREGS',
    (attr) => `${mpidrText(attr)} ${iccName(Number(attr & KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK)) ?? `sysreg 0x${(attr & 0xffffn).toString(16)}`}`,
    8,
    { attrNames: REG_NAMES.v3Sysregs, attrVcpu: V3_ATTR_VCPU },
    (attr, v) => fieldsText(ICC_FIELDS.get(Number(attr & KVM_DEV_ARM_VGIC_SYSREG_INSTR_MASK)), v),
  ),
  nrIrqsGroup<Vgic3State>(),
  {
    id: VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_CTRL,
    name: 'KVM_DEV_ARM_VGIC_GRP_CTRL',
    payload: 0,
    has: (_vm, _s, attr) => (attr === BigInt(VGIC_CTRL.KVM_DEV_ARM_VGIC_CTRL_INIT) || attr === BigInt(VGIC_CTRL.KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES) ? 0 : ERRNO.ENXIO),
    get: () => ({ errno: ERRNO.ENXIO }),
    // vgic_set_common_attr: INIT, SAVE_PENDING_TABLES; the ITS attributes and anything else are ENXIO here.
    set(vm, s, attr) {
      if (attr === BigInt(VGIC_CTRL.KVM_DEV_ARM_VGIC_CTRL_INIT)) return v3Init(vm, s);
      if (attr === BigInt(VGIC_CTRL.KVM_DEV_ARM_VGIC_SAVE_PENDING_TABLES)) return savePendingTables(vm, s);
      return ERRNO.ENXIO;
    },
    describe: (attr) => (attr < 16n ? nameOf(VGIC_CTRL, Number(attr)) : undefined) ?? `attr ${attr}`,
    attrNames: CTRL_NAMES,
  },
  {
    id: VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO,
    name: 'KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO',
    payload: 4,
    attrVcpu: V3_ATTR_VCPU,
    // vgic_v3_has_attr: only the info field is looked at.
    has: (_vm, _s, attr) => ((attr & KVM_DEV_ARM_VGIC_LINE_LEVEL_INFO_MASK) === 0n ? 0 : ERRNO.ENXIO),
    get: (vm, s, attr, buf) => regsAccess(vm, s, VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, attr, buf, false),
    set: (vm, s, attr, buf) => regsAccess(vm, s, VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_LEVEL_INFO, attr, buf, true).errno,
    describe: (attr) => `${mpidrText(attr)} line levels of INTID ${Number(attr & KVM_DEV_ARM_VGIC_LINE_LEVEL_INTID_MASK)}..${Number(attr & KVM_DEV_ARM_VGIC_LINE_LEVEL_INTID_MASK) + 31}`,
  },
  {
    id: VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ,
    name: 'KVM_DEV_ARM_VGIC_GRP_MAINT_IRQ',
    payload: 4,
    has: () => 0,
    get: (_vm, s) => ({ errno: 0, value: BigInt(s.miIntid) }),
    // v6.17 (vgic_v3_set_attr): the user value first (EFAULT), EBUSY once initialised, EINVAL unless a PPI.
    set(_vm, s, _attr, buf) {
      if (buf.nullPtr) return ERRNO.EFAULT;
      if (s.initialized) return ERRNO.EBUSY;
      const val = Number(BigInt.asUintN(32, buf.value));
      if (val < VGIC.NR_SGIS || val >= VGIC.NR_PRIVATE_IRQS) return ERRNO.EINVAL;
      s.miIntid = val;
      return 0;
    },
    describe: () => 'maintenance INTID',
  },
];

/**
 * kvm_vgic_map_resources at a vcpu's first KVM_RUN (vgic_v3_map_resources):
 * ENXIO if some vcpu has no redistributor or the distributor has no
 * address, EINVAL if vgic_v3_check_base fails (overlap, beyond the IPA
 * size), EBUSY if INIT was never done. A failure marks the VM dead (v6.17:
 * kvm_vm_dead). Then the vcpu's arch timer owns its PPIs.
 */
function firstRun(vm: VmCtx, s: Vgic3State, vcpu: number): Errno {
  return vgicFirstRun(vm, s, vcpu, () => {
    if (s.cpus.some((c) => c.rdBase === VGIC_ADDR_UNDEF) || s.distBase === VGIC_ADDR_UNDEF) return ERRNO.ENXIO;
    if (!checkBase(vm, s)) return ERRNO.EINVAL;
    return s.initialized ? 0 : ERRNO.EBUSY;
  });
}

/**
 * kvm_set_msi / vgic_its_inject_msi for KVM_SIGNAL_MSI: ENODEV without an
 * ITS, EINVAL without KVM_MSI_VALID_DEVID or when the address is not inside
 * an ITS frame; then the translation: -EBUSY (ITS disabled, target LPIs
 * off), 0 when the event is not mapped (the guest blocked it), 1 delivered.
 */
function signalMsi(vm: VmCtx, _s: Vgic3State, msi: { address: bigint; data: number; flags: number; devid: number }): { errno: Errno; ret: number } {
  if (!hasIts(vm)) return { errno: ERRNO.ENODEV, ret: 0 };
  if (!(msi.flags & KVM_MSI_VALID_DEVID)) return { errno: ERRNO.EINVAL, ret: 0 };
  const owner = msi.address < 2n ** 53n ? vm.frameOwner(Number(msi.address)) : undefined;
  if (!owner || vm.state.devices[owner.handle]!.type !== DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_ITS) return { errno: ERRNO.EINVAL, ret: 0 };
  // vgic_its_inject_msi: the ITS model translates (its/device.ts).
  return vm.modelOf(owner.handle).kernel.signalMsi!(vm, vm.deviceState(owner.handle), msi);
}


export const vgicV3: DeviceModel<Vgic3State> = {
  type: V3,
  typeName: 'KVM_DEV_TYPE_ARM_VGIC_V3',
  inodeName: 'kvm-arm-vgic-v3',
  arches: ['arm64'],
  modelVersion: 2,
  stateSchema: vgicV3Schema,
  isIrqchip: true,
  names: VGIC_NAMES,
  kernel: {
    ops: { get: true, set: true, has: true },
    groups: GROUPS,
    /**
     * kvm_vgic_create as for v2 (EEXIST, EBUSY, E2BIG; max_vcpus 512). The
     * VGIC's PROPBASER is the one an ITS created earlier left there.
     */
    create(vm) {
      const r = vgicCreate(vm, V3);
      if (r.errno || !r.state) return { errno: r.errno };
      const anyIts = vm.state.devices.some((d) => d.type === DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_ITS);
      const s = newVgic3State(anyIts ? INITIAL_PROPBASER : 0n);
      s.implementationRev = r.state.implementationRev;
      s.cpus = vm.state.vcpus.map((v) => newV3Cpu(v.id));
      return { errno: 0, state: s };
    },
    /**
     * kvm_arch_vcpu_precreate (EBUSY once initialised), then what
     * kvm_vgic_vcpu_init's vgic_register_redist_iodev would refuse (EINVAL).
     */
    vcpuPrecreate: (vm, s) => (s.initialized ? ERRNO.EBUSY : redistPrecheck(vm, s)),
    vcpuCreated(vm, s, index) {
      s.cpus[index] = newV3Cpu(vm.state.vcpus[index]!.id);
      // vcpuPrecreate ran vgic_v3_check_base with the vcpus online before this one, as the kernel does.
      registerRedist(vm, s, index, true);
    },
    firstRun,
    frames(s): readonly MmioFrame[] {
      const out: MmioFrame[] = [];
      if (s.ready) out.push({ base: Number(s.distBase), size: KVM_VGIC_V3_DIST_SIZE, kind: FRAME.DIST, name: 'GICD' });
      s.cpus.forEach((c, i) => {
        if (c.rdMapped) out.push({ base: Number(c.rdBase), size: KVM_VGIC_V3_REDIST_SIZE, kind: FRAME.REDIST + i, name: `GICR(vcpu ${i})` });
      });
      return out;
    },
    // Guest accesses: a width the register does not allow, a misaligned
    // access, an INTID beyond nr_irqs or an offset with no register is RAZ/WI.
    mmio(vm, s, vcpu, frame, off, len, write, value) {
      const table = frame === FRAME.DIST ? V3_DIST : V3_REDIST;
      const target = frame === FRAME.DIST ? vcpu : frame - FRAME.REDIST;
      const row = findRegion(table, off, len, nrIrqs(s));
      if (!row) return 0;
      if (write) {
        row.write(vm, s, target, off, len, value);
        return 0;
      }
      return row.read(vm, s, target, off, len);
    },
    // The same dispatch, resolved once per access shape for replay (the register and the redistributor's vcpu are the layout's).
    mmioHandler(s, frame, off, len, write) {
      const table = frame === FRAME.DIST ? V3_DIST : V3_REDIST;
      const row = findRegion(table, off, len, nrIrqs(s));
      if (!row) return () => 0;
      const redist = frame === FRAME.DIST ? -1 : frame - FRAME.REDIST;
      if (write) {
        return (vm, st, vcpu, value) => {
          row.write(vm, st, redist < 0 ? vcpu : redist, off, len, value);
          return 0;
        };
      }
      return (vm, st, vcpu) => row.read(vm, st, redist < 0 ? vcpu : redist, off, len);
    },
    mmio64(vm, s, vcpu, frame, off, write, value) {
      const table = frame === FRAME.DIST ? V3_DIST : V3_REDIST;
      const target = frame === FRAME.DIST ? vcpu : frame - FRAME.REDIST;
      const row = findRegion(table, off, 8, nrIrqs(s));
      if (!row?.read64) return 0n;
      if (write) {
        row.write64!(vm, s, target, off, value);
        return 0n;
      }
      return row.read64(vm, s, target, off);
    },
    // KVM_IRQ_LINE of SPI type reaches the LPIs too (vgic_get_irq).
    irqLine: (vm, s, irq, level) => vgicIrqLine(vm, s, irq, level, (intid) => findLpi(s, intid)),
    signalMsi,
    sysreg: guestSysreg,
  },
  inspect: {
    describeMmio(s, frame, off, len) {
      const t = frame === FRAME.DIST ? V3_DIST : V3_REDIST;
      const who = frame === FRAME.DIST ? '' : ` (vcpu ${frame - FRAME.REDIST})`;
      return findRegion(t, off, len, nrIrqs(s)) ? `${t.nameAt(off)}${who}` : `${frame === FRAME.DIST ? 'GICD' : 'GICR'}+0x${off.toString(16)}${who} (RAZ/WI)`;
    },
    registerFields(frame, off) {
      return (frame === FRAME.DIST ? V3_DIST : V3_REDIST).find(off)?.fields;
    },
    describeSysreg: iccName,
    sysregFields: (reg) => ICC_FIELDS.get(reg),
    /** Bytes written into the LPI property table, decoded ("LPI 8192: enabled, priority 0xa0"). */
    describeMemWrite(_vm, s, addr, data) {
      const base = propbaseAddress(s.propbaser);
      const end = base + maxLpis(s.propbaser) - VGIC.MIN_LPI;
      if (!s.propbaser || addr >= end || addr + data.length <= base) return undefined;
      const parts: string[] = [];
      for (let a = Math.max(addr, base); a < Math.min(addr + data.length, end) && parts.length < 8; a++) {
        const p = data[a - addr]!;
        parts.push(`LPI ${a - base + VGIC.MIN_LPI}: ${p & 1 ? 'enabled' : 'disabled'}, priority 0x${(p & 0xfc).toString(16)}`);
      }
      return `LPI property table: ${parts.join(', ')}${addr + data.length - Math.max(addr, base) > 8 ? ', ...' : ''}`;
    },
    view: vgic3View,
    migration: vgicV3Migration,
    explainIrq: explainVgic3Irq,
    interrupts: vgicV3Interrupts,
  },
};
