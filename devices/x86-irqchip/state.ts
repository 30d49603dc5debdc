/**
 * The x86 in-kernel irqchip's state as plain data: the two 8259 PICs
 * (struct kvm_kpic_state, arch/x86/kvm/irq.h), the IOAPIC (struct
 * kvm_ioapic, arch/x86/kvm/ioapic.h) and each vcpu's local APIC register
 * page (apic->regs, arch/x86/kvm/lapic.c), made by KVM_CREATE_IRQCHIP
 * (kvm_pic_init, kvm_ioapic_init) and KVM_CREATE_VCPU (kvm_create_lapic).
 * Field names are the kernel's; the Vm snapshots, digests and diffs this
 * without family code.
 */
import { type Infer, S, sameType, U32, U64, U8 } from '../core/state.js';
import type { VmState } from '../core/vm-state.js';

/** KVM_IOAPIC_NUM_PINS (arch/x86/include/uapi/asm/kvm.h). */
export const IOAPIC_NUM_PINS = 24;
/** PIC_NUM_PINS: 8 per chip (irq.h). */
export const PIC_NUM_PINS = 16;
/** KVM_APIC_REG_SIZE: the register page kvm_lapic_state carries. */
export const APIC_REG_SIZE = 0x400;
/** IOAPIC_DEFAULT_BASE_ADDRESS (ioapic.h). */
export const IOAPIC_DEFAULT_BASE = 0xfec00000n;

/**
 * One 8259: the fields of struct kvm_pic_state in their uapi order (state.ts
 * lists them once; structs.ts lays them out byte by byte from this order).
 */
export const PIC_FIELDS = [
  'last_irr',
  'irr',
  'imr',
  'isr',
  'priority_add',
  'irq_base',
  'read_reg_select',
  'poll',
  'special_mask',
  'init_state',
  'auto_eoi',
  'rotate_on_auto_eoi',
  'special_fully_nested_mode',
  'init4',
  'elcr',
  'elcr_mask',
] as const;
export type PicField = (typeof PIC_FIELDS)[number];
export type Kpic = Record<PicField, number>;

export interface Ioapic {
  /** base_address: u64, set by KVM_SET_IRQCHIP only (the MMIO device stays registered at the default base). */
  base_address: bigint;
  ioregsel: number;
  id: number;
  /** The line/pending bits; KVM_GET_IRQCHIP reports irr & ~irr_delivered. */
  irr: number;
  /** kvm_ioapic_state.pad: carried by SET and GET (memcpy), otherwise untouched. */
  pad: number;
  /** redirtbl[24].bits. */
  redirtbl: bigint[];
  /** Edge pins whose pending edge was delivered (ioapic_service). */
  irr_delivered: number;
  /** irq_eoi[24]: successive EOIs that found the level line still high (the interrupt-storm counter). */
  irq_eoi: number[];
  /** rtc_status.pending_eoi: RTC (GSI 8) interrupts delivered with KVM_IRQ_LINE_STATUS and not yet EOIed. */
  rtc_pending_eoi: number;
  /** rtc_status.dest_map, by vcpu index: the vector sent to that vcpu, or -1 when its bit is clear. */
  rtc_dest: number[];
}

export interface X86IrqchipState {
  /** pics[0] master (ports 0x20-0x21, ELCR 0x4d0), pics[1] slave (0xa0-0xa1, ELCR 0x4d1). */
  pics: Kpic[];
  /** kvm_pic.output: the master's INTR line as pic_update_irq last drove it. */
  pic_output: number;
  ioapic: Ioapic;
  /** The local APIC register page of each vcpu, by vcpu index (kvm_lapic_state's regs). */
  lapics: Uint8Array[];
}

export function newPic(elcrMask: number): Kpic {
  const p = Object.fromEntries(PIC_FIELDS.map((f) => [f, 0])) as Kpic;
  p.elcr_mask = elcrMask;
  return p;
}

/** kvm_pic_init + kvm_ioapic_init (kvm_ioapic_reset): every redirection entry masked, the default base. */
export function newIrqchip(): X86IrqchipState {
  return {
    // kvm_pic_init: elcr_mask 0xf8 on the master (IRQ 0-2 always edge), 0xde on the slave (IRQ 8 and 13).
    pics: [newPic(0xf8), newPic(0xde)],
    pic_output: 0,
    ioapic: {
      base_address: IOAPIC_DEFAULT_BASE,
      ioregsel: 0,
      id: 0,
      irr: 0,
      pad: 0,
      redirtbl: Array.from({ length: IOAPIC_NUM_PINS }, () => 1n << 16n),
      irr_delivered: 0,
      irq_eoi: new Array<number>(IOAPIC_NUM_PINS).fill(0),
      rtc_pending_eoi: 0,
      rtc_dest: [],
    },
    lapics: [],
  };
}

const picSchema = S.obj(Object.fromEntries(PIC_FIELDS.map((f) => [f, U8])) as Record<PicField, typeof U8>);

/** The shape a checkpoint's irqchip state must have, for a VM with `vm.vcpus.length` vcpus. */
export function irqchipSchema(vm: VmState) {
  const n = vm.vcpus.length;
  return S.obj({
    pics: S.list(picSchema, 2, true),
    pic_output: S.int(0, 1),
    ioapic: S.obj({
      base_address: U64,
      ioregsel: U32,
      id: U32,
      irr: U32,
      pad: U32,
      redirtbl: S.list(U64, IOAPIC_NUM_PINS, true),
      irr_delivered: S.int(0, 0xffffff),
      irq_eoi: S.list(S.int(0, 10000), IOAPIC_NUM_PINS, true),
      rtc_pending_eoi: S.int(0, n),
      rtc_dest: S.list(S.int(-1, 0xff), n, true),
    }),
    lapics: S.list(S.typed(Uint8Array, APIC_REG_SIZE), n, true),
  });
}

const _sameShape: true = sameType<Infer<ReturnType<typeof irqchipSchema>>, X86IrqchipState>();
void _sameShape;
