/**
 * ppc64's rules (arch/powerpc/kvm/powerpc.c, book3s_hv.c, Book3S 64):
 * vcpu ids, KVM_IRQ_LINE's GSI (an MPIC or XICS source), no
 * KVM_CREATE_IRQCHIP (its irqchips are KVM_CREATE_DEVICE devices), and the
 * attribute ioctls on the VM and vcpu fds, which ppc64 does not have.
 */
import type { ArchRules } from '../core/arch.js';
import { ERRNO, oneRegSize } from '../core/uapi.js';
import { GSI_LINES } from './gsi.js';

export const PPC64: ArchRules = {
  arch: 'ppc64',
  defaultIpaBits: 52,
  // KVM_MAX_VCPUS = NR_CPUS (2048 in a ppc64 distribution config); KVM_MAX_VCPU_IDS the same here.
  maxVcpuIds: 2048,
  defaultMaxVcpus: 2048,
  // kvm_arch_vcpu_precreate (powerpc.c): nothing to refuse.
  vcpuPrecreate: () => 0,
  // No kvm_arch_vcpu_run_pid_change on ppc64.
  firstRun: () => 0,
  irqLine: { ioctl: true, ...GSI_LINES },
  // kvm_arch_vm_ioctl has no KVM_CREATE_IRQCHIP: kvm_arch_vm_ioctl_hv/_pr's default, ENOTTY.
  createIrqchip: () => ERRNO.ENOTTY,
  // KVM_GET/SET_IRQCHIP and KVM_GET/SET_LAPIC are x86 ioctls: the arch ioctl defaults answer.
  irqchipStateIoctls: false,
  msiWithoutHandler: ERRNO.EINVAL,
  // kvm_arch_vm_ioctl: Book3S hands unknown ioctls to kvm_ops->arch_vm_ioctl, whose default is ENOTTY;
  // kvm_arch_vcpu_ioctl's default is EINVAL.
  vmIoctlDefault: ERRNO.ENOTTY,
  vcpuIoctlDefault: ERRNO.EINVAL,
  // kvm_vcpu_ioctl_get_one_reg / kvm_vcpu_ioctl_set_one_reg (powerpc.c): a size (KVM_REG_SIZE_MASK) above
  // union kvmppc_one_reg's 16 bytes is EINVAL before any lookup; then kvmppc_get/set_one_reg (book3s.c) and the
  // ioctl's own switch: an id no case takes is EINVAL.
  oneReg: { refuse: (id) => (oneRegSize(id) > 16 ? ERRNO.EINVAL : 0), unknown: ERRNO.EINVAL },
  vmAttrs: { groups: [], handles: { set: false, get: false, has: false }, unknownGroup: ERRNO.ENXIO },
  vcpuAttrs: { groups: [], handles: { set: false, get: false, has: false }, unknownGroup: ERRNO.ENXIO },
  // KVM_ENABLE_CAP on a vcpu (kvm_vcpu_ioctl_enable_cap, powerpc.c): KVM_CAP_IRQ_MPIC / KVM_CAP_IRQ_XICS connect the
  // vcpu to the irqchip device at args[0]; the Vm routes them by the families' vcpuCaps (core/vm.ts enableCap).
};
