/**
 * The FLIC's uapi: its attribute groups, the floating interrupt type codes
 * and the structs its groups carry, with the kernel's names and values.
 *
 * Sources: arch/s390/include/uapi/asm/kvm.h (KVM_DEV_FLIC_*, the structs,
 * KVM_S390_MAX_FLOAT_IRQS, KVM_S390_FLIC_MAX_BUFFER), include/uapi/linux/kvm.h
 * (the KVM_S390_INT_* type codes, struct kvm_s390_irq and its union members),
 * arch/s390/include/asm/kvm_host.h (the queue limits and list layout).
 *
 * Names: `FLIC_GRP` is the group table scenarios and dump read (core/uapi.ts
 * NAMES.group spreads it); FLIC attrs are lengths and adapter ids, never names.
 */

/** KVM_DEV_FLIC_* group numbers (arch/s390/include/uapi/asm/kvm.h). */
export const FLIC_GRP = {
  KVM_DEV_FLIC_GET_ALL_IRQS: 1,
  KVM_DEV_FLIC_ENQUEUE: 2,
  KVM_DEV_FLIC_CLEAR_IRQS: 3,
  KVM_DEV_FLIC_APF_ENABLE: 4,
  KVM_DEV_FLIC_APF_DISABLE_WAIT: 5,
  KVM_DEV_FLIC_ADAPTER_REGISTER: 6,
  KVM_DEV_FLIC_ADAPTER_MODIFY: 7,
  KVM_DEV_FLIC_CLEAR_IO_IRQ: 8,
  KVM_DEV_FLIC_AISM: 9,
  KVM_DEV_FLIC_AIRQ_INJECT: 10,
  KVM_DEV_FLIC_AISM_ALL: 11,
} as const;

/** Interrupt type codes (the u64 `type` of struct kvm_s390_irq). */
export const S390_INT = {
  KVM_S390_SIGP_STOP: 0xfffe0000,
  KVM_S390_PROGRAM_INT: 0xfffe0001,
  KVM_S390_SIGP_SET_PREFIX: 0xfffe0002,
  KVM_S390_RESTART: 0xfffe0003,
  KVM_S390_INT_PFAULT_INIT: 0xfffe0004,
  KVM_S390_INT_PFAULT_DONE: 0xfffe0005,
  KVM_S390_MCHK: 0xfffe1000,
  KVM_S390_INT_CLOCK_COMP: 0xffff1004,
  KVM_S390_INT_CPU_TIMER: 0xffff1005,
  KVM_S390_INT_VIRTIO: 0xffff2603,
  KVM_S390_INT_SERVICE: 0xffff2401,
  KVM_S390_INT_EMERGENCY: 0xffff1201,
  KVM_S390_INT_EXTERNAL_CALL: 0xffff1202,
} as const;

/** KVM_S390_INT_IO_MIN..MAX: every type in this range is an I/O interrupt. */
export const KVM_S390_INT_IO_MIN = 0x00000000;
export const KVM_S390_INT_IO_MAX = 0xfffdffff;
/** The adapter-interruption bit of an I/O type (KVM_S390_INT_IO(1, 0, 0, 0)). */
export const KVM_S390_INT_IO_AI_MASK = 0x04000000;

/** KVM_S390_INT_IO(ai, cssid, ssid, schid). */
export function s390IoType(ai: number, cssid: number, ssid: number, schid: number): number {
  return ((ai << 26) | (cssid << 18) | (ssid << 16) | schid) >>> 0;
}

/** KVM_S390_MAX_FLOAT_IRQS: at most this many I/O interrupts queued (FIRQ_CNTR_IO, __inject_io). */
export const KVM_S390_MAX_FLOAT_IRQS = 266250;
/** KVM_S390_MAX_VIRTIO_IRQS (kvm_host.h): the virtio queue's limit (__inject_virtio). */
export const KVM_S390_MAX_VIRTIO_IRQS = 87381;
/** ASYNC_PF_PER_VCPU * KVM_MAX_VCPUS (64 * 255): the pfault-done queue's limit (__inject_pfault_done). */
export const KVM_S390_MAX_PFAULT_IRQS = 64 * 255;
/** KVM_S390_FLIC_MAX_BUFFER: the largest ENQUEUE or GET_ALL_IRQS buffer. */
export const KVM_S390_FLIC_MAX_BUFFER = 0x2000000;
/** MAX_ISC: interruption subclasses 0-7. */
export const MAX_ISC = 7;
/** MAX_S390_IO_ADAPTERS ((MAX_ISC + 1) * 8). */
export const MAX_S390_IO_ADAPTERS = (MAX_ISC + 1) * 8;

/** sizeof(struct kvm_s390_irq): u64 type + a 64-byte union. */
export const IRQ_SIZE = 72;
/** sizeof(struct kvm_s390_io_adapter): u32 id; u8 isc, maskable, swap, flags. */
export const IO_ADAPTER_SIZE = 8;
/** sizeof(struct kvm_s390_io_adapter_req): u32 id; u8 type, mask; u16 pad0; u64 addr. */
export const IO_ADAPTER_REQ_SIZE = 16;
/** sizeof(struct kvm_s390_ais_req): u8 isc; (pad) u16 mode. */
export const AIS_REQ_SIZE = 4;
/** sizeof(struct kvm_s390_ais_all): u8 simm; u8 nimm. */
export const AIS_ALL_SIZE = 2;

/** kvm_s390_io_adapter flags. */
export const KVM_S390_ADAPTER_SUPPRESSIBLE = 0x01;
/** kvm_s390_io_adapter_req types. */
export const IO_ADAPTER_REQ = { KVM_S390_IO_ADAPTER_MASK: 1, KVM_S390_IO_ADAPTER_MAP: 2, KVM_S390_IO_ADAPTER_UNMAP: 3 } as const;
/** kvm_s390_ais_req modes (kvm_host.h). */
export const AIS_MODE = { KVM_S390_AIS_MODE_ALL: 0, KVM_S390_AIS_MODE_SINGLE: 1 } as const;

/** The service signal's ext_params bits (interrupt.c): the SCCB address and the event-pending bits. */
export const SCCB_MASK = 0xfffffff8;
export const SCCB_EVENT_PENDING = 0x3;
/** CR_PENDING_SUBCLASS: the only cr14 bit a floating machine check keeps (__inject_float_mchk). */
export const CR_PENDING_SUBCLASS_BIT = 1n << 28n;

/** int_word_to_isc: the ISC in bits 29-27 of the I/O interruption word. */
export function intWordToIsc(word: number): number {
  return (word >>> 27) & 7;
}

/** isc_to_int_word: the interruption word of an adapter interrupt on this ISC (its u8 shifted into a u32, and bit 0). */
export function iscToIntWord(isc: number): number {
  return ((isc << 27) | 0x80000000) >>> 0;
}

/** AIS_MODE_MASK(isc): the ISC's bit in simm / nimm (ISC 0 is the top bit). */
export function aisModeMask(isc: number): number {
  return 0x80 >> isc;
}
