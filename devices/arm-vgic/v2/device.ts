/**
 * KVM_DEV_TYPE_ARM_VGIC_V2 (kvm_arm_vgic_v2_ops, vgic-kvm-device.c): the
 * attribute-group table, the guest frames and the hooks the generic code
 * calls. Sources: Documentation/virt/kvm/devices/arm-vgic.rst,
 * arch/arm64/kvm/vgic/{vgic-kvm-device.c,vgic-init.c,vgic-v2.c,vgic-mmio-v2.c}
 * (v6.17), shared/reference/kvm-device-api.md sections 3.1, 3.2, 4.
 */
import type { AttrGroup, AttrOutcome, DeviceModel, MmioFrame, UserBuf, VmCtx } from '../../core/device.js';
import { findRegion, type GicTable } from '../regions.js';
import { DEV_TYPE, ERRNO, type Errno, VGIC_ADDR_UNDEF, VGIC_CTRL, VGIC_GRP, nameOf, VGIC_ADDR_TYPE } from '../../core/uapi.js';
import { getVgicAddr, hasVgicAddr, legacySetVgicAddr, setVgicAddr } from '../addr.js';
import { nrIrqsGroup, vgicFirstRun, vgicCreate, vgicInit, vgicIrqLine, vgicVcpuCreated, vgicVcpuPrecreate } from '../common.js';
import { nrIrqs, type VgicState, vgicV2Schema } from '../state.js';
import { V2_CPU_REGS, V2_GICC } from './cpuif.js';
import { V2_DIST } from './dist.js';
import { vgicView } from './view.js';
import { explainVgicIrq } from './explain.js';
import { vgicV2Migration } from './migration.js';
import { vgicV2Interrupts } from './interrupts.js';
import { FRAME } from './frames.js';
import { ADDR_TYPE_NAMES, CTRL_NAMES, VGIC_NAMES } from '../names.js';
import { V2_ATTR_VCPU, V2_REG_NAMES } from './names.js';

export { FRAME } from './frames.js';

/**
 * vgic_v2_parse_attr(): bits 39:32 name the vcpu by id (EINVAL if none),
 * bits 31:0 the register offset. Bits 63:40 are ignored.
 */
function parseRegAttr(vm: VmCtx, attr: bigint): { vcpu: number; offset: number } | Errno {
  const id = Number((attr >> 32n) & 0xffn);
  const vcpu = vm.vcpuIndexById(id);
  if (vcpu < 0) return ERRNO.EINVAL;
  return { vcpu, offset: Number(attr & 0xffffffffn) };
}

/**
 * DIST_REGS and CPU_REGS (vgic_v2_attr_regs_access): parse, read the user
 * value (EFAULT), initialise the VGIC lazily, then the userspace access. An
 * offset with no register, or a per-IRQ offset beyond nr_irqs, reads as 0
 * and ignores writes (vgic_uaccess_read/write find no region); only
 * HAS_DEVICE_ATTR reports it, with ENXIO.
 */
function regsGroup(id: number, name: string, table: GicTable<VgicState>, attrNames: () => ReadonlyMap<string, number>): AttrGroup<VgicState> {
  const access = (vm: VmCtx, s: VgicState, attr: bigint, buf: UserBuf, write: boolean): AttrOutcome => {
    const p = parseRegAttr(vm, attr);
    if (typeof p === 'number') return { errno: p };
    if (write && buf.nullPtr) return { errno: ERRNO.EFAULT };
    const e = vgicInit(vm, s);
    if (e) return { errno: e };
    const row = findRegion(table, p.offset, 4, nrIrqs(s));
    if (!row) return { errno: 0, value: 0n };
    if (write) {
      const val = Number(BigInt.asUintN(32, buf.value));
      const r = row.uwrite ? row.uwrite(vm, s, p.vcpu, p.offset, val) : (row.write(vm, s, p.vcpu, p.offset, 4, val), 0);
      return { errno: r };
    }
    const v = row.uread ? row.uread(vm, s, p.vcpu, p.offset) : row.read(vm, s, p.vcpu, p.offset, 4);
    return { errno: 0, value: BigInt(v >>> 0) };
  };
  return {
    id,
    name,
    payload: 4,
    // vgic_v2_has_attr_regs: parse, then an aligned 32-bit access must find a region.
    has(vm, s, attr) {
      const p = parseRegAttr(vm, attr);
      if (typeof p === 'number') return p;
      if (p.offset & 3) return ERRNO.ENXIO;
      return findRegion(table, p.offset, 4, nrIrqs(s)) ? 0 : ERRNO.ENXIO;
    },
    get: (vm, s, attr, buf) => access(vm, s, attr, buf, false),
    set: (vm, s, attr, buf) => access(vm, s, attr, buf, true).errno,
    describe: (attr) => `vcpu ${(attr >> 32n) & 0xffn} ${table.nameAt(Number(attr & 0xffffffffn))}`,
    attrNames,
    attrVcpu: V2_ATTR_VCPU,
  };
}

const GROUPS: readonly AttrGroup<VgicState>[] = [
  {
    id: VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_ADDR,
    name: 'KVM_DEV_ARM_VGIC_GRP_ADDR',
    payload: 8,
    has: (_vm, s, attr) => hasVgicAddr(s, attr),
    get: (_vm, s, attr, buf) => getVgicAddr(s, attr, buf),
    set: (vm, s, attr, buf) => setVgicAddr(vm, s, attr, buf),
    describe: (attr) => (attr < 16n ? nameOf(VGIC_ADDR_TYPE, Number(attr)) : undefined) ?? `type ${attr}`,
    attrNames: ADDR_TYPE_NAMES,
  },
  regsGroup(VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_DIST_REGS, 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS', V2_DIST, V2_REG_NAMES.dist),
  regsGroup(VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_CPU_REGS, 'KVM_DEV_ARM_VGIC_GRP_CPU_REGS', V2_CPU_REGS, V2_REG_NAMES.cpu),
  nrIrqsGroup<VgicState>(),
  {
    id: VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_CTRL,
    name: 'KVM_DEV_ARM_VGIC_GRP_CTRL',
    payload: 0,
    has: (_vm, _s, attr) => (attr === BigInt(VGIC_CTRL.KVM_DEV_ARM_VGIC_CTRL_INIT) ? 0 : ERRNO.ENXIO),
    // vgic_get_common_attr has no CTRL case.
    get: () => ({ errno: ERRNO.ENXIO }),
    // CTRL_INIT runs vgic_init; SAVE_PENDING_TABLES is v3-only (ENXIO); others fall through to ENXIO.
    set: (vm, s, attr) => (attr === BigInt(VGIC_CTRL.KVM_DEV_ARM_VGIC_CTRL_INIT) ? vgicInit(vm, s) : ERRNO.ENXIO),
    describe: (attr) => (attr < 16n ? nameOf(VGIC_CTRL, Number(attr)) : undefined) ?? `attr ${attr}`,
    attrNames: CTRL_NAMES,
  },
];

/**
 * kvm_vgic_map_resources() at a vcpu's first KVM_RUN (v2:
 * vgic_v2_map_resources): ENXIO if either base is unset, EINVAL if the frames
 * overlap or wrap, then vgic_init. A failure marks the VM dead (v6.17:
 * kvm_vm_dead; older kernels tore the VGIC down instead). Then the arch timer
 * of that vcpu takes ownership of its PPIs (kvm_timer_enable).
 */
function firstRun(vm: VmCtx, s: VgicState, vcpu: number): Errno {
  return vgicFirstRun(vm, s, vcpu, () => {
    if (s.distBase === VGIC_ADDR_UNDEF || s.cpuBase === VGIC_ADDR_UNDEF) return ERRNO.ENXIO;
    if (!framesApart(s.distBase, s.cpuBase)) return ERRNO.EINVAL;
    return vgicInit(vm, s);
  });
}

/** vgic_v2_check_base(): neither frame wraps and they do not overlap. */
function framesApart(dist: bigint, cpu: bigint): boolean {
  const max = 1n << 64n;
  if (dist + 0x1000n >= max || cpu + 0x2000n >= max) return false;
  return dist + 0x1000n <= cpu || cpu + 0x2000n <= dist;
}

export const vgicV2: DeviceModel<VgicState> = {
  type: DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V2,
  typeName: 'KVM_DEV_TYPE_ARM_VGIC_V2',
  inodeName: 'kvm-arm-vgic-v2',
  arches: ['arm64'],
  modelVersion: 2,
  stateSchema: vgicV2Schema,
  isIrqchip: true,
  names: VGIC_NAMES,
  kernel: {
    ops: { get: true, set: true, has: true },
    groups: GROUPS,
    create: (vm) => vgicCreate(vm, DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V2),
    vcpuPrecreate: (_vm, s) => vgicVcpuPrecreate(s),
    vcpuCreated: (vm, s, index) => vgicVcpuCreated(vm, s, index),
    firstRun,
    frames(s): readonly MmioFrame[] {
      if (!s.ready) return [];
      return [
        { base: Number(s.distBase), size: 0x1000, kind: FRAME.DIST, name: 'GICD' },
        { base: Number(s.cpuBase), size: 0x2000, kind: FRAME.CPU, name: 'GICC' },
      ];
    },
    // Guest accesses: a width the register does not allow, a misaligned access,
    // an INTID beyond nr_irqs or an offset with no register is RAZ/WI (vgic-mmio.c dispatch).
    mmio(vm, s, vcpu, frame, off, len, write, value) {
      const row = findRegion(frame === FRAME.DIST ? V2_DIST : V2_GICC, off, len, nrIrqs(s));
      if (!row) return 0;
      if (write) {
        row.write(vm, s, vcpu, off, len, value);
        return 0;
      }
      return row.read(vm, s, vcpu, off, len);
    },
    // The same dispatch, resolved once per access shape for replay (the register is the layout's: offset, width, nr_irqs).
    mmioHandler(s, frame, off, len, write) {
      const row = findRegion(frame === FRAME.DIST ? V2_DIST : V2_GICC, off, len, nrIrqs(s));
      if (!row) return () => 0;
      if (write) {
        return (vm, st, vcpu, value) => {
          row.write(vm, st, vcpu, off, len, value);
          return 0;
        };
      }
      return (vm, st, vcpu) => row.read(vm, st, vcpu, off, len);
    },
    irqLine: vgicIrqLine,
    legacySetAddr: (vm, s, id, addr) => legacySetVgicAddr(vm, s, id, addr),
  },
  inspect: {
    describeMmio(s, frame, off, len) {
      const t = frame === FRAME.DIST ? V2_DIST : V2_GICC;
      const row = findRegion(t, off, len, nrIrqs(s));
      return row ? t.nameAt(off) : `${frame === FRAME.DIST ? 'GICD' : 'GICC'}+0x${off.toString(16)} (RAZ/WI)`;
    },
    registerFields(frame, off) {
      return (frame === FRAME.DIST ? V2_DIST : V2_GICC).find(off)?.fields;
    },
    view: vgicView,
    explainIrq: explainVgicIrq,
    migration: vgicV2Migration,
    interrupts: vgicV2Interrupts,
  },
};
