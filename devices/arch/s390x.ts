/**
 * s390x's rules (arch/s390/kvm/kvm-s390.c): vcpu ids (the SCA's slots), no
 * KVM_IRQ_LINE (s390 does not define __KVM_HAVE_IRQ_LINE; interrupts are
 * injected with KVM_S390_IRQ and the FLIC), KVM_CREATE_IRQCHIP, and the VM
 * attributes on the VM fd (KVM_S390_VM_*: s390x/attrs.ts, with the state
 * they keep in s390x/state.ts and the model host in s390x/host.ts).
 */
import type { ArchRules, IrqLine } from '../core/arch.js';
import { ERRNO } from '../core/uapi.js';
import { S390_VM_GROUPS } from './s390x/attrs.js';
import { s390Migration } from './s390x/migration.js';
import { newS390VmState, s390VmSchema } from './s390x/state.js';
import { s390View } from './s390x/view.js';

/** KVM_S390_ESCA_CPU_SLOTS: the extended SCA's vcpu slots. */
const ESCA_CPU_SLOTS = 248;

export const S390X: ArchRules = {
  arch: 's390x',
  defaultIpaBits: 52,
  // KVM_MAX_VCPUS 255 (arch/s390/include/asm/kvm_host.h); KVM_MAX_VCPU_IDS defaults to it.
  maxVcpuIds: 255,
  defaultMaxVcpus: 255,
  /**
   * kvm_arch_vcpu_precreate -> sca_can_add_vcpu: on a host with the
   * extended SCA (sclp.has_esca and has_64bscao), an id must be below
   * KVM_S390_ESCA_CPU_SLOTS (248), else EINVAL.
   */
  vcpuPrecreate: (_vm, id) => (id >= ESCA_CPU_SLOTS ? ERRNO.EINVAL : 0),
  // No kvm_arch_vcpu_run_pid_change on s390.
  firstRun: () => 0,
  irqLine: {
    ioctl: false,
    decode: (irq: number): IrqLine => ({ type: 'irq', num: irq >>> 0 }),
    encode: (line: IrqLine) => (line.type === 'irq' && line.num >= 0 && line.num <= 0xffffffff ? line.num : undefined),
    describe: (irq: number) => `irq ${irq >>> 0}`,
    parse(text: string) {
      const m = /^irq (\d+)$/.exec(text);
      const n = m ? Number(m[1]) : -1;
      return n >= 0 && n <= 0xffffffff ? n : undefined;
    },
    withoutIrqchip: () => ERRNO.ENOTTY,
  },
  /**
   * kvm_arch_vm_ioctl KVM_CREATE_IRQCHIP: EINVAL unless userspace enabled
   * KVM_CAP_S390_IRQCHIP first (kvm->arch.use_irqchip; KVM_ENABLE_CAP is not
   * modelled, so it never is); then only dummy routing is set up.
   */
  createIrqchip: () => ERRNO.EINVAL,
  // KVM_GET/SET_IRQCHIP and KVM_GET/SET_LAPIC are x86 ioctls: the arch ioctl defaults answer.
  irqchipStateIoctls: false,
  msiWithoutHandler: ERRNO.EINVAL,
  // kvm_arch_vm_ioctl and kvm_arch_vcpu_ioctl default cases.
  vmIoctlDefault: ERRNO.ENOTTY,
  vcpuIoctlDefault: ERRNO.ENOTTY,
  // kvm_arch_vcpu_ioctl_get_one_reg / _set_one_reg (kvm-s390.c): a switch on the id whose default is EINVAL.
  oneReg: { refuse: () => 0, unknown: ERRNO.EINVAL },
  // kvm_arch_vm_ioctl: SET/GET/HAS go to kvm_s390_vm_{set,get,has}_attr (MEM_CTRL, TOD, CRYPTO,
  // CPU_MODEL, MIGRATION), whose default is ENXIO.
  vmAttrs: { groups: S390_VM_GROUPS, handles: { set: true, get: true, has: true }, unknownGroup: ERRNO.ENXIO },
  // kvm_arch_vcpu_ioctl has no attribute ioctls on s390: its default, ENOTTY.
  vcpuAttrs: { groups: [], handles: { set: false, get: false, has: false }, unknownGroup: ERRNO.ENXIO },
  // kvm_arch_init_vm: the CPU model, crypto, memory limit and TOD epoch the VM attributes act on.
  archState: { initial: newS390VmState, schema: s390VmSchema, view: { root: 's390', build: s390View }, migration: s390Migration },
};
