/**
 * The MmioFrame kinds of the x86 irqchip's two guest windows: the IOAPIC
 * (IOAPIC_DEFAULT_BASE, IOAPIC_MEM_LENGTH) and the local APIC page of the
 * accessing vcpu (APIC_DEFAULT_PHYS_BASE, LAPIC_MMIO_LENGTH).
 */
export const FRAME = { IOAPIC: 0, LAPIC: 1 } as const;
