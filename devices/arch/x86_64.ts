/**
 * x86_64's rules (arch/x86/kvm/x86.c, irq.c): vcpu ids, KVM_IRQ_LINE's GSI,
 * KVM_CREATE_IRQCHIP (the PICs, IOAPIC and local APICs: the model
 * registered as X86_KERNEL_IRQCHIP, devices/x86-irqchip/), the irqchip
 * state ioctls, and the attribute ioctls on the VM and vcpu fds.
 */
import type { ArchRules } from '../core/arch.js';
import { ERRNO } from '../core/uapi.js';
import { GSI_LINES } from './gsi.js';

/**
 * The type the x86 in-kernel irqchip's model registers under: the two
 * 8259 PICs and the IOAPIC that KVM_CREATE_IRQCHIP makes (kvm_pic_init,
 * kvm_ioapic_init), with each vcpu's local APIC. No KVM_DEV_TYPE names them
 * (they have no device fd), so the number is devrr's own, above every
 * KVM_DEV_TYPE; KVM_CREATE_DEVICE can never create it. A registry without
 * a model under it answers KVM_CREATE_IRQCHIP with ENODEV.
 */
export const X86_KERNEL_IRQCHIP = 0x1000;

export const X86_64: ArchRules = {
  arch: 'x86_64',
  defaultIpaBits: 52,
  // KVM_MAX_VCPUS 1024 (CONFIG_KVM_MAX_NR_VCPUS default) is kvm->max_vcpus;
  // KVM_MAX_VCPU_IDS = KVM_MAX_VCPUS * KVM_VCPU_ID_RATIO (4) (arch/x86/include/asm/kvm_host.h).
  maxVcpuIds: 4096,
  defaultMaxVcpus: 1024,
  // kvm_arch_vcpu_precreate: id >= kvm->arch.max_vcpu_ids (KVM_MAX_VCPU_IDS until KVM_CAP_MAX_VCPU_ID, not modelled):
  // the generic check already refused it.
  vcpuPrecreate: () => 0,
  // x86 has no kvm_arch_vcpu_run_pid_change: the first KVM_RUN does no device work.
  firstRun: () => 0,
  irqLine: { ioctl: true, ...GSI_LINES },
  /**
   * kvm_arch_vm_ioctl KVM_CREATE_IRQCHIP: EEXIST once an irqchip exists,
   * EINVAL once a vcpu was created, then the PIC and IOAPIC
   * (X86_KERNEL_IRQCHIP's model).
   */
  createIrqchip(vm) {
    if (vm.state.irqchip >= 0) return ERRNO.EEXIST;
    if (vm.state.vcpus.length) return ERRNO.EINVAL;
    return vm.addDevice(X86_KERNEL_IRQCHIP).errno;
  },
  // KVM_GET/SET_IRQCHIP (kvm_arch_vm_ioctl) and KVM_GET/SET_LAPIC (kvm_arch_vcpu_ioctl).
  irqchipStateIoctls: true,
  // The x86 irqchip takes every MSI (kvm_set_msi); without one kvm_send_userspace_msi already said EINVAL.
  msiWithoutHandler: ERRNO.EINVAL,
  // kvm_arch_vm_ioctl / kvm_arch_vcpu_ioctl default cases.
  vmIoctlDefault: ERRNO.ENOTTY,
  vcpuIoctlDefault: ERRNO.EINVAL,
  // x86's kvm_arch_vcpu_ioctl has no KVM_GET/SET_ONE_REG case: its default (EINVAL) answers.
  oneReg: null,
  // The VM fd has no attribute ioctls on x86 (the system fd's KVM_X86_GRP_* are /dev/kvm's).
  vmAttrs: { groups: [], handles: { set: false, get: false, has: false }, unknownGroup: ERRNO.ENXIO },
  // kvm_vcpu_ioctl_device_attr: KVM_VCPU_TSC_CTRL (not modelled), default ENXIO.
  vcpuAttrs: { groups: [], handles: { set: true, get: true, has: true }, unknownGroup: ERRNO.ENXIO },
};
