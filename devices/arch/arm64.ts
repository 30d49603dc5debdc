/**
 * arm64's rules (arch/arm64/kvm/arm.c, guest.c, v6.17): vcpu ids, the
 * KVM_IRQ_LINE encoding, KVM_CREATE_IRQCHIP's GICv2, the legacy
 * KVM_ARM_SET_DEVICE_ADDR, the first KVM_RUN, and the attribute ioctls
 * on the VM and vcpu fds.
 */
import { type ArchRules, type ArchVm, devicesFirstRun, type IrqLine } from '../core/arch.js';
import {
  DEV_TYPE,
  ERRNO,
  type Errno,
  KVM_ARM_IRQ_NUM_MASK,
  KVM_ARM_IRQ_TYPE_MASK,
  KVM_ARM_IRQ_TYPE_SHIFT,
  KVM_ARM_IRQ_VCPU2_MASK,
  KVM_ARM_IRQ_VCPU2_SHIFT,
  KVM_ARM_IRQ_VCPU_MASK,
  KVM_ARM_IRQ_VCPU_SHIFT,
} from '../core/uapi.js';

/** KVM_ARM_IRQ_TYPE_CPU / _SPI / _PPI, by the names describe() prints. */
const TYPES = ['CPU', 'SPI', 'PPI'] as const;
/** KVM_ARM_IRQ_CPU_IRQ / _FIQ: the two inputs of a vcpu. */
const CPU_LINES = ['IRQ', 'FIQ'] as const;

/**
 * The `irq` field of struct kvm_irq_level on arm64 (kvm_vm_ioctl_irq_line,
 * KVM_CAP_ARM_IRQ_LINE_LAYOUT_2): vcpu2[31:28] type[27:24] vcpu[23:16]
 * num[15:0]; the vcpu is vcpu2 * 256 + vcpu.
 */
export function decodeArmIrq(irq: number): IrqLine {
  const t = armIrqType(irq);
  const num = armIrqNum(irq);
  const type = TYPES[t] ?? `TYPE${t}`;
  return type === 'SPI' ? { type, num } : { type, num, vcpu: armIrqVcpu(irq) };
}

/** The three fields one at a time, for the injection path (no object made per KVM_IRQ_LINE). */
export const armIrqType = (irq: number): number => (irq >>> KVM_ARM_IRQ_TYPE_SHIFT) & KVM_ARM_IRQ_TYPE_MASK;
export const armIrqVcpu = (irq: number): number =>
  ((irq >>> KVM_ARM_IRQ_VCPU_SHIFT) & KVM_ARM_IRQ_VCPU_MASK) + ((irq >>> KVM_ARM_IRQ_VCPU2_SHIFT) & KVM_ARM_IRQ_VCPU2_MASK) * (KVM_ARM_IRQ_VCPU_MASK + 1);
export const armIrqNum = (irq: number): number => irq & KVM_ARM_IRQ_NUM_MASK;

function encodeArmIrq(line: IrqLine): number | undefined {
  const known = TYPES.indexOf(line.type as (typeof TYPES)[number]);
  const t = known >= 0 ? known : /^TYPE(\d+)$/.test(line.type) ? Number(line.type.slice(4)) : -1;
  const vcpu = line.vcpu ?? 0;
  if (t < 0 || t > KVM_ARM_IRQ_TYPE_MASK || line.num < 0 || line.num > KVM_ARM_IRQ_NUM_MASK || vcpu < 0 || vcpu >= 16 * 256) return undefined;
  return ((Math.floor(vcpu / 256) << KVM_ARM_IRQ_VCPU2_SHIFT) | (t << KVM_ARM_IRQ_TYPE_SHIFT) | ((vcpu & 0xff) << KVM_ARM_IRQ_VCPU_SHIFT) | line.num) >>> 0;
}

/** "SPI 42", "PPI 27 vcpu 1", "CPU IRQ vcpu 0", "irq 0x3000005 (type 3)". */
function describeArmIrq(irq: number): string {
  const l = decodeArmIrq(irq);
  switch (l.type) {
    case 'CPU':
      return `CPU ${CPU_LINES[l.num] ?? l.num} vcpu ${l.vcpu}`;
    case 'SPI':
      return `SPI ${l.num}`;
    case 'PPI':
      return `PPI ${l.num} vcpu ${l.vcpu}`;
    default:
      return `irq 0x${(irq >>> 0).toString(16)} (type ${l.type.slice(4)})`;
  }
}

function parseArmIrq(text: string): number | undefined {
  let m = /^SPI (\d+)$/.exec(text);
  if (m) return encodeArmIrq({ type: 'SPI', num: Number(m[1]) });
  m = /^PPI (\d+) vcpu (\d+)$/.exec(text);
  if (m) return encodeArmIrq({ type: 'PPI', num: Number(m[1]), vcpu: Number(m[2]) });
  m = /^CPU (IRQ|FIQ|\d+) vcpu (\d+)$/.exec(text);
  if (m) return encodeArmIrq({ type: 'CPU', num: m[1] === 'IRQ' ? 0 : m[1] === 'FIQ' ? 1 : Number(m[1]), vcpu: Number(m[2]) });
  m = /^irq 0x([0-9a-f]+) \(type \d+\)$/.exec(text);
  return m ? Number.parseInt(m[1]!, 16) >>> 0 : undefined;
}

/**
 * kvm_vm_ioctl_irq_line without an in-kernel irqchip:
 * KVM_ARM_IRQ_TYPE_CPU drives a vcpu's IRQ or FIQ input (EINVAL for a vcpu
 * that does not exist or a line above FIQ); SPI and PPI need a VGIC
 * (ENXIO); any other type is EINVAL.
 */
function irqLineWithoutIrqchip(vm: ArchVm, irq: number): Errno {
  const l = decodeArmIrq(irq);
  switch (l.type) {
    case 'CPU':
      if (vm.vcpuIndexById(l.vcpu!) < 0) return ERRNO.EINVAL;
      return l.num > 1 ? ERRNO.EINVAL : 0;
    case 'SPI':
    case 'PPI':
      return ERRNO.ENXIO;
    default:
      return ERRNO.EINVAL;
  }
}

export const ARM64: ArchRules = {
  arch: 'arm64',
  defaultIpaBits: 40,
  // KVM_MAX_VCPUS = 512 = KVM_MAX_VCPU_IDS (arch/arm64/include/asm/kvm_host.h);
  // kvm_arch_init_vm: max_vcpus = kvm_arm_default_max_vcpus(), 512 on a GICv3 host.
  maxVcpuIds: 512,
  defaultMaxVcpus: 512,
  // kvm_arch_vcpu_precreate: after the VGIC's EBUSY, an id at or above kvm->arch.max_vcpus is EINVAL.
  vcpuPrecreate: (vm, id) => (id >= vm.state.maxVcpus ? ERRNO.EINVAL : 0),
  // kvm_arch_vcpu_run_pid_change -> kvm_vcpu_first_run_init: map the VGIC, enable the timer.
  firstRun: devicesFirstRun,
  irqLine: { ioctl: true, decode: decodeArmIrq, encode: encodeArmIrq, describe: describeArmIrq, parse: parseArmIrq, withoutIrqchip: irqLineWithoutIrqchip },
  // kvm_arch_vm_ioctl KVM_CREATE_IRQCHIP: kvm_vgic_create(kvm, KVM_DEV_TYPE_ARM_VGIC_V2), no fd.
  createIrqchip: (vm) => vm.addDevice(DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V2).errno,
  /**
   * kvm_vm_ioctl_set_device_addr: KVM_ARM_DEVICE_VGIC_V2 goes to the VGIC
   * (kvm_set_legacy_vgic_v2_addr); any other device id is ENODEV, and so is
   * a VM without a GICv2 (vgic_check_type finds another model, or none).
   */
  setDeviceAddr(vm, id, addr) {
    const ic = vm.state.irqchip;
    const m = ic >= 0 ? vm.modelOf(ic) : undefined;
    if (!m?.kernel.legacySetAddr) return ERRNO.ENODEV;
    return m.kernel.legacySetAddr(vm, vm.state.devices[ic]!.state, id, addr);
  },
  // KVM_GET/SET_IRQCHIP and KVM_GET/SET_LAPIC are x86 ioctls: the arch ioctl defaults answer.
  irqchipStateIoctls: false,
  // kvm_set_msi (vgic-irqfd.c): no ITS, ENODEV.
  msiWithoutHandler: ERRNO.ENODEV,
  vmIoctlDefault: ERRNO.EINVAL,
  vcpuIoctlDefault: ERRNO.EINVAL,
  // kvm_arch_vcpu_ioctl KVM_GET/SET_ONE_REG (arm.c): ENOEXEC until KVM_ARM_VCPU_INIT (kvm_vcpu_initialized),
  // which devrr does not model, so every arm64 vcpu answers ENOEXEC before any register is looked up.
  oneReg: { refuse: () => ERRNO.ENOEXEC, unknown: ERRNO.ENOENT },
  // kvm_arch_vm_ioctl: HAS and SET go to kvm_vm_has_attr/kvm_vm_set_attr (KVM_ARM_VM_SMCCC_CTRL, not
  // modelled; default ENXIO); there is no VM-fd GET (the ioctl's default, EINVAL).
  vmAttrs: { groups: [], handles: { set: true, get: false, has: true }, unknownGroup: ERRNO.ENXIO },
  // kvm_arm_vcpu_{set,get,has}_attr -> kvm_arm_vcpu_arch_*_attr (PMU, timer, PV time: not modelled): default ENXIO.
  vcpuAttrs: { groups: [], handles: { set: true, get: true, has: true }, unknownGroup: ERRNO.ENXIO },
};
