/**
 * KVM_DEV_TYPE_FSL_MPIC_20 and KVM_DEV_TYPE_FSL_MPIC_42 (kvm_mpic_ops,
 * arch/powerpc/kvm/mpic.c): the attribute-group table (mpic_set_attr,
 * mpic_get_attr, mpic_has_attr), creation (mpic_create), the guest frame
 * (kvm_mpic_read/write), KVM_IRQ_LINE and KVM_SIGNAL_MSI (mpic_set_irq,
 * kvm_set_msi) and the vcpu connection (kvmppc_mpic_connect_vcpu, through
 * KVM_ENABLE_CAP(KVM_CAP_IRQ_MPIC)). Sources: mpic.c, powerpc.c,
 * Documentation/virt/kvm/devices/mpic.rst.
 */
import type { AttrGroup, DeviceModel, MmioFrame, VmCtx } from '../core/device.js';
import { MMIO_EXIT, MMIO_EXIT64 } from '../core/device.js';
import { regTableNames } from '../core/names.js';
import { decodeFields } from '../core/regtable.js';
import { CAP, DEV_TYPE, ERRNO, type Errno } from '../core/uapi.js';
import { msiiWrite, openpicReset, openpicSetIrq } from './openpic.js';
import { MPIC_REGISTER_VCPU } from './names.js';
import { guestCpu, MPIC_REGS, mpicReadInternal, mpicRegFields, mpicRegName, mpicWriteInternal } from './regs.js';
import { type MpicState, mpicSchema, newMpicState } from './state.js';
import { MAX_CPU, MAX_SRC, MPIC_GRP, MPIC_MISC, OPENPIC_REG_SIZE } from './uapi.js';
import { mpicView } from './view.js';
import { mpicMigration } from './migration.js';
import { mpicInterrupts, sourceName } from './interrupts.js';
import { explainMpicIrq } from './explain.js';

const isMpic = (type: number) => type === DEV_TYPE.KVM_DEV_TYPE_FSL_MPIC_20 || type === DEV_TYPE.KVM_DEV_TYPE_FSL_MPIC_42;

/** A u64 attr as a frame offset: beyond the frame no region matches, so any such value stands for "out of range". */
const offsetOf = (attr: bigint): number => (attr < BigInt(OPENPIC_REG_SIZE) ? Number(attr) : OPENPIC_REG_SIZE);

/**
 * mpic_create: only one MPIC per VM (kvm->arch.mpic: EINVAL), then the
 * model's constants, the empty default routing and openpic_reset.
 */
function mpicCreate(vm: VmCtx, type: number): { errno: Errno; state?: MpicState } {
  if (vm.state.devices.some((d) => isMpic(d.type))) return { errno: ERRNO.EINVAL };
  const s = newMpicState(type, vm.state.vcpus.length);
  openpicReset(s);
  return { errno: 0, state: s };
}

const GROUPS: readonly AttrGroup<MpicState>[] = [
  {
    id: MPIC_GRP.KVM_DEV_MPIC_GRP_MISC,
    name: 'KVM_DEV_MPIC_GRP_MISC',
    payload: 8,
    attrNames: () => new Map(Object.entries(MPIC_MISC)),
    attrVcpu: { kind: 'none', why: 'KVM_DEV_MPIC_BASE_ADDR is the only attribute' },
    has: (_vm, _s, attr) => (attr === BigInt(MPIC_MISC.KVM_DEV_MPIC_BASE_ADDR) ? 0 : ERRNO.ENXIO),
    // The base as a u64 (copy_to_user after: a NULL buffer is EFAULT then).
    get: (_vm, s, attr) => (attr === BigInt(MPIC_MISC.KVM_DEV_MPIC_BASE_ADDR) ? { errno: 0, value: s.regBase } : { errno: ERRNO.ENXIO }),
    // set_base_addr: copy_from_user (EFAULT), 256 KiB alignment (EINVAL), the same base is a no-op,
    // else unmap and map at the new base; 0 leaves the frame unmapped.
    set(_vm, s, attr, buf) {
      if (attr !== BigInt(MPIC_MISC.KVM_DEV_MPIC_BASE_ADDR)) return ERRNO.ENXIO;
      if (buf.nullPtr) return ERRNO.EFAULT;
      const base = BigInt.asUintN(64, buf.value);
      if (base & BigInt(OPENPIC_REG_SIZE - 1)) return ERRNO.EINVAL;
      s.regBase = base;
      return 0;
    },
    describe: (attr) => (attr === 0n ? 'KVM_DEV_MPIC_BASE_ADDR' : `attr ${attr}`),
  },
  {
    id: MPIC_GRP.KVM_DEV_MPIC_GRP_REGISTER,
    name: 'KVM_DEV_MPIC_GRP_REGISTER',
    payload: 4,
    // The register names dump prints (GCR, IVPR42, CTPR_CPU1, ...): MPIC_REGS, the frame's table.
    attrNames: regTableNames(MPIC_REGS),
    attrVcpu: { kind: 'none', why: MPIC_REGISTER_VCPU },
    // mpic_has_attr: every attr of the group "exists".
    has: () => 0,
    // access_reg on no vcpu (get_current_cpu() is -1 in an ioctl): a misaligned offset is ENXIO,
    // an offset with no region ENXIO, then the region's read (side effects included: IACK acknowledges,
    // MSIR clears); put_user after.
    get(_vm, s, attr) {
      if (attr & 3n) return { errno: ERRNO.ENXIO };
      const r = mpicReadInternal(s, offsetOf(attr), -1);
      return r.errno ? { errno: r.errno } : { errno: 0, value: BigInt(r.value >>> 0) };
    },
    // get_user first (EFAULT), then access_reg.
    set(_vm, s, attr, buf) {
      if (buf.nullPtr) return ERRNO.EFAULT;
      if (attr & 3n) return ERRNO.ENXIO;
      return mpicWriteInternal(s, offsetOf(attr), Number(BigInt.asUintN(32, buf.value)), -1);
    },
    describe: (attr) => (attr < BigInt(OPENPIC_REG_SIZE) ? mpicRegName(Number(attr)) : `+0x${attr.toString(16)} (no region: ENXIO)`),
    describeValue(attr, value) {
      const f = attr < BigInt(OPENPIC_REG_SIZE) ? mpicRegFields(Number(attr)) : undefined;
      return f ? decodeFields(Number(BigInt.asUintN(32, value)), f) : undefined;
    },
  },
  {
    id: MPIC_GRP.KVM_DEV_MPIC_GRP_IRQ_ACTIVE,
    name: 'KVM_DEV_MPIC_GRP_IRQ_ACTIVE',
    payload: 4,
    // attr > MAX_SRC: attr 256 (the first IPI) passes the check, an off-by-one the kernel has.
    has: (_vm, _s, attr) => (attr > BigInt(MAX_SRC) ? ERRNO.ENXIO : 0),
    get: (_vm, s, attr) => (attr > BigInt(MAX_SRC) ? { errno: ERRNO.EINVAL } : { errno: 0, value: BigInt(s.pending[Number(attr)]!) }),
    // The range check, get_user (EFAULT), only 0 or 1 (EINVAL), then openpic_set_irq.
    set(_vm, s, attr, buf) {
      if (attr > BigInt(MAX_SRC)) return ERRNO.EINVAL;
      if (buf.nullPtr) return ERRNO.EFAULT;
      const v = BigInt.asUintN(32, buf.value);
      if (v !== 0n && v !== 1n) return ERRNO.EINVAL;
      openpicSetIrq(s, Number(attr), Number(v));
      return 0;
    },
    describe: (attr) => (attr <= BigInt(MAX_SRC) ? sourceName(Number(attr)) : `source ${attr}`),
  },
];

/**
 * kvmppc_mpic_connect_vcpu: the device must be an MPIC (EPERM), the CPU
 * number (args[1] as a u32) below MAX_CPU (EPERM), that CPU not taken
 * (EEXIST), the vcpu on no irqchip yet (EBUSY). Then the CPU is the vcpu's
 * and nb_cpus covers it.
 */
/**
 * kvmppc_mpic_connect_vcpu (mpic.c), after the Vm's checks (args[0] an open
 * device fd of a family that claims KVM_CAP_IRQ_MPIC): another device's
 * ops (an MPIC of another VM cannot happen here) and a CPU number past
 * MAX_CPU are EPERM; a CPU taken EEXIST; a vcpu on an irqchip already EBUSY.
 */
function connectMpicVcpu(s: MpicState, vcpuIndex: number, args: readonly bigint[], irqTypeSet: boolean): Errno {
  const cpu = Number(BigInt.asUintN(32, args[1] ?? 0n));
  if (cpu >= MAX_CPU) return ERRNO.EPERM;
  if (s.cpuVcpu[cpu]! >= 0) return ERRNO.EEXIST;
  if (irqTypeSet) return ERRNO.EBUSY;
  s.cpuVcpu[cpu] = vcpuIndex;
  s.nbCpus = Math.max(s.nbCpus, cpu + 1);
  s.vcpuCpu[vcpuIndex] = cpu;
  return 0;
}

const FRAME_MPIC = 0;

/**
 * kvm_mpic_read: a misaligned access (addr & (len - 1)) fails; the region
 * read runs at the access's own offset (with its side effects) for any
 * length; only 4 and 1 bytes answer (byte addr & 3 of the big-endian word),
 * other lengths fail after the read.
 * kvm_mpic_write: only aligned 4-byte writes reach the regions. A failing
 * callback, or a region's errno, is an exit to the VMM.
 */
function mmio(_vm: VmCtx, s: MpicState, vcpu: number, _frame: number, off: number, len: number, write: boolean, value: number): number {
  const cpu = guestCpu(s, vcpu);
  if (write) {
    if (len !== 4 || off & 3) return MMIO_EXIT;
    return mpicWriteInternal(s, off, value, cpu) ? MMIO_EXIT : 0;
  }
  if (off & (len - 1)) return MMIO_EXIT;
  // The byte's own offset goes to the region: the handlers answer all ones off their 16-byte
  // (sources: their 0x0/0x10/0x18) boundaries, so only a byte read at a register's offset sees it.
  const r = mpicReadInternal(s, off, cpu);
  if (len === 4) return r.errno ? MMIO_EXIT : r.value;
  if (len === 1) return r.errno ? MMIO_EXIT : (r.value >>> (24 - 8 * (off & 3))) & 0xff;
  return MMIO_EXIT;
}

/** An 8-byte access: a write fails at once; an aligned read runs the 4-byte region read, then fails on the length. */
function mmio64(_vm: VmCtx, s: MpicState, vcpu: number, _frame: number, off: number, write: boolean): bigint {
  if (!write && !(off & 7)) mpicReadInternal(s, off, guestCpu(s, vcpu));
  return MMIO_EXIT64;
}

function mpicModel(type: number, typeName: string): DeviceModel<MpicState> {
  return {
    type,
    typeName,
    inodeName: 'kvm-mpic',
    arches: ['ppc64'],
    modelVersion: 1,
    stateSchema: mpicSchema,
    isIrqchip: true,
    kernel: {
      ops: { get: true, set: true, has: true },
      groups: GROUPS,
      create: (vm) => mpicCreate(vm, type),
      vcpuCreated: (_vm, s) => void s.vcpuCpu.push(-1),
      frames(s): readonly MmioFrame[] {
        // map_mmio only for a non-zero base; kvm_io_bus addresses are numbers here.
        return s.regBase === 0n ? [] : [{ base: Number(s.regBase), size: OPENPIC_REG_SIZE, kind: FRAME_MPIC, name: 'MPIC' }];
      },
      mmio,
      mmio64,
      // KVM_IRQ_LINE: kvm_vm_ioctl_irq_line -> kvm_set_irq -> the GSI routing table -> mpic_set_irq(pin).
      // mpic_create installs an empty table (mpic_set_default_irq_routing) and the VMM installs the routes:
      // QEMU's kvm_openpic_realize routes GSI n to pin n for n < 256 (KVM_IRQCHIP_NUM_PINS). devrr has no
      // KVM_SET_GSI_ROUTING call: it takes that identity routing as installed. A GSI with no route changes
      // nothing; the ioctl answers 0 either way (the level reaches openpic_set_irq as an int).
      irqLine(_vm, s, irq, level) {
        if (irq < MAX_SRC) openpicSetIrq(s, irq, level | 0);
        return 0;
      },
      // kvm_set_msi: the target address is ignored (one MSI bank); the data is written to MSIIR; result 0.
      signalMsi(_vm, s, msi) {
        msiiWrite(s, msi.data >>> 0);
        return { errno: 0, ret: 0 };
      },
      vcpuCaps: [CAP.KVM_CAP_IRQ_MPIC],
      connectVcpu: (_vm, s, vcpuIndex, _cap, args, irqTypeSet) => connectMpicVcpu(s, vcpuIndex, args, irqTypeSet),
      vcpuConnected: (s, vcpuIndex) => (s.vcpuCpu[vcpuIndex] ?? -1) >= 0,
    },
    inspect: {
      describeMmio: (_s, _frame, off) => mpicRegName(off & ~3) + (off & 3 ? `+${off & 3}` : ''),
      registerFields: (_frame, off) => mpicRegFields(off),
      view: mpicView,
      migration: mpicMigration,
      interrupts: mpicInterrupts,
      explainIrq: explainMpicIrq,
    },
  };
}

export const fslMpic20 = mpicModel(DEV_TYPE.KVM_DEV_TYPE_FSL_MPIC_20, 'KVM_DEV_TYPE_FSL_MPIC_20');
export const fslMpic42 = mpicModel(DEV_TYPE.KVM_DEV_TYPE_FSL_MPIC_42, 'KVM_DEV_TYPE_FSL_MPIC_42');
