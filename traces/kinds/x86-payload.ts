/**
 * What the x86 irqchip ioctls' kinds share (traces/kinds/*-irqchip.ts,
 * *-lapic.ts): the uapi sizes of their struct payloads, and how dump prints
 * one. The sizes are the ABI's (include/uapi/linux/kvm.h, arch/x86/include/
 * uapi/asm/kvm.h), not a model's: a trace is checked against them.
 */
import { errnoName } from '../../devices/core/uapi.js';
import type { DeclaredEvent, KindNames } from '../kinds.js';

/** struct kvm_irqchip's `chip` union: char dummy[512] (kvm_pic_state is 16 bytes of it, kvm_ioapic_state 216). */
export const IRQCHIP_UNION_BYTES = 512;
/** struct kvm_lapic_state: char regs[KVM_APIC_REG_SIZE], 1024 bytes. */
export const LAPIC_STATE_BYTES = 1024;

/** The bytes of chip `chip`'s own struct in the union: kvm_pic_state 16, kvm_ioapic_state 216 (the union's 512 for another id). */
export function irqchipStructBytes(chip: number): number {
  return chip === 0 || chip === 1 ? 16 : chip === 2 ? 216 : IRQCHIP_UNION_BYTES;
}

/** KVM_IRQCHIP_PIC_MASTER, KVM_IRQCHIP_PIC_SLAVE, KVM_IRQCHIP_IOAPIC. */
export const CHIP_NAMES: readonly string[] = ['PIC_MASTER', 'PIC_SLAVE', 'IOAPIC'];

export const chipName = (chip: number) => CHIP_NAMES[chip] ?? `chip ${chip}`;

/** " -> EINVAL" for a failed call, '' otherwise. */
export function failedText(ev: DeclaredEvent): string {
  const e = ev['errno'];
  return typeof e === 'number' && e !== 0 ? ` -> ${errnoName(e)}` : '';
}

/** A payload's limit (FORMAT.md *Limits*): the problem, or undefined. */
export function payloadLimit(kind: string, data: unknown, max: number): string | undefined {
  return data instanceof Uint8Array && data.length > max ? `(${kind}) data of ${data.length} bytes is over the ${max}-byte struct` : undefined;
}

/** A payload as dump shows it: its length and, with a state at hand, the family's decoding of it. */
export function payloadText(ev: DeclaredEvent, names: KindNames | undefined, kind: 'irqchip' | 'lapic', id: number, data: Uint8Array): string {
  const decoded = names?.payload(ev.vm, kind, id, data);
  return `${data.length} bytes${decoded ? ` [${decoded}]` : ''}`;
}

/** The decoded payload for dump --json, when the family decodes it. */
export function payloadJson(ev: DeclaredEvent, names: KindNames, kind: 'irqchip' | 'lapic', id: number, data: Uint8Array | undefined): Record<string, string> {
  const decoded = data && data.length ? names.payload(ev.vm, kind, id, data) : undefined;
  return decoded ? { decoded } : {};
}
