/**
 * How a VMM migrates the x86 in-kernel irqchip: KVM_GET_IRQCHIP for each
 * chip (PIC master, PIC slave, IOAPIC) and KVM_GET_LAPIC for each vcpu on
 * the source; on the destination (after KVM_CREATE_IRQCHIP and the vcpus)
 * KVM_SET_IRQCHIP for the three chips, then KVM_SET_LAPIC per vcpu, the
 * order QEMU's device state then CPU state takes (kvm_pic_put,
 * kvm_ioapic_put, then kvm_put_apic from kvm_arch_put_registers).
 */
import type { Migration, SavedAttr, SavedValue } from '../core/device.js';
import type { VmState } from '../core/vm-state.js';
import { KVM_IRQCHIP } from './structs.js';
import type { X86IrqchipState } from './state.js';

function saveList(vm: VmState): SavedAttr[] {
  const out: SavedAttr[] = [
    { group: 0, attr: BigInt(KVM_IRQCHIP.PIC_MASTER), name: 'KVM_IRQCHIP_PIC_MASTER', ioctl: 'irqchip' },
    { group: 0, attr: BigInt(KVM_IRQCHIP.PIC_SLAVE), name: 'KVM_IRQCHIP_PIC_SLAVE', ioctl: 'irqchip' },
    { group: 0, attr: BigInt(KVM_IRQCHIP.IOAPIC), name: 'KVM_IRQCHIP_IOAPIC', ioctl: 'irqchip' },
  ];
  for (const v of vm.vcpus) out.push({ group: 0, attr: BigInt(v.id), name: `LAPIC (vcpu ${v.id})`, ioctl: 'lapic' });
  return out;
}

const WHY: Readonly<Record<string, string>> = {
  irqchip:
    'KVM_SET_IRQCHIP copies the chip back; the PICs first (kvm_pic_update_irq recomputes the INTR line), then the IOAPIC, whose kvm_set_ioapic re-raises each pending pin (kvm_ioapic_inject_all) into the APICs',
  lapic: 'KVM_SET_LAPIC after the chips: the page is copied whole, so IRR/ISR/TMR come back exactly as saved whatever the IOAPIC re-raised; the RTC EOI tracking is recounted from it',
};

function restore(saved: readonly (SavedAttr & SavedValue)[]): { writes: (SavedAttr & SavedValue & { why: string })[]; redrive: number[] } {
  const chips = saved.filter((a) => a.ioctl === 'irqchip').sort((a, b) => Number(a.attr - b.attr));
  const lapics = saved.filter((a) => a.ioctl === 'lapic');
  // Line levels need no re-drive: a level-triggered pin's line is its IRR bit (PIC with ELCR, IOAPIC), which GET_IRQCHIP carries.
  return { writes: [...chips, ...lapics].map((a) => ({ ...a, why: WHY[a.ioctl!]! })), redrive: [] };
}

export const migration: Migration<X86IrqchipState> = {
  // KVM_CREATE_IRQCHIP, before the vcpus: kvm_arch_vm_ioctl refuses it once kvm->created_vcpus.
  create: 'irqchip',
  saveList: (vm) => saveList(vm),
  restore: (saved) => restore(saved),
  notCarried: [
    {
      fields: ['irqchip.pic_output'],
      what: 'the 8259 master\'s INTR output as the last pic_update_irq left it',
      why: 'not in kvm_pic_state: KVM_SET_IRQCHIP recomputes it from the restored registers (kvm_pic_update_irq), so a value left stale by an ICW or ELCR write is not carried',
    },
    {
      fields: ['irqchip.ioapic.irr_delivered'],
      what: 'which edge-triggered IOAPIC pins had their pending edge delivered',
      why: 'kvm_get_ioapic reports irr without those pins and kvm_set_ioapic starts irr_delivered at 0',
    },
    {
      fields: ['irqchip.ioapic.irq_eoi[*]'],
      what: 'the IOAPIC\'s count of successive EOIs that found a level line still high (interrupt-storm detection)',
      why: 'not in kvm_ioapic_state; a fresh IOAPIC counts from 0',
    },
  ],
};
