/**
 * The uapi structs KVM_GET/SET_IRQCHIP and KVM_GET/SET_LAPIC carry
 * (arch/x86/include/uapi/asm/kvm.h), laid out once, little-endian:
 *
 *   struct kvm_irqchip { __u32 chip_id; __u32 pad; union { char dummy[512];
 *       struct kvm_pic_state pic; struct kvm_ioapic_state ioapic; } chip; };   520 bytes
 *   struct kvm_pic_state: 16 __u8 fields                                      16 bytes
 *   struct kvm_ioapic_state { __u64 base_address; __u32 ioregsel, id, irr, pad;
 *       union { __u64 bits; struct {...} fields; } redirtbl[24]; }            216 bytes
 *   struct kvm_lapic_state { char regs[KVM_APIC_REG_SIZE]; }                 1024 bytes
 */
import { IOAPIC_NUM_PINS, type Ioapic, type Kpic, PIC_FIELDS } from './state.js';

/** chip_id values of struct kvm_irqchip. */
export const KVM_IRQCHIP = { PIC_MASTER: 0, PIC_SLAVE: 1, IOAPIC: 2 } as const;

/** sizeof(struct kvm_irqchip) and its union's size and offset. */
export const KVM_IRQCHIP_SIZE = 520;
export const KVM_IRQCHIP_UNION = 512;
export const KVM_IRQCHIP_UNION_OFFSET = 8;

export const KVM_PIC_STATE_SIZE = 16;
/** Byte offset of each kvm_pic_state field: its index in the uapi order. */
export const PIC_OFFSETS: Readonly<Record<(typeof PIC_FIELDS)[number], number>> = Object.fromEntries(PIC_FIELDS.map((f, i) => [f, i])) as Record<(typeof PIC_FIELDS)[number], number>;

export const KVM_IOAPIC_STATE_SIZE = 216;
export const IOAPIC_OFFSETS = { base_address: 0, ioregsel: 8, id: 12, irr: 16, pad: 20, redirtbl: 24 } as const;

export const KVM_LAPIC_STATE_SIZE = 1024;

/** The redirection entry's bit fields (union kvm_ioapic_redirect_entry, ioapic.h), as lsb/width in the u64. */
export const REDIR = {
  vector: [0, 8],
  delivery_mode: [8, 3],
  dest_mode: [11, 1],
  delivery_status: [12, 1],
  polarity: [13, 1],
  remote_irr: [14, 1],
  trig_mode: [15, 1],
  mask: [16, 1],
  reserve: [17, 7],
  reserved: [24, 32],
  dest_id: [56, 8],
} as const satisfies Record<string, readonly [number, number]>;
export type RedirField = keyof typeof REDIR;

export function redirGet(bits: bigint, f: RedirField): number {
  const [lsb, width] = REDIR[f];
  return Number((bits >> BigInt(lsb)) & ((1n << BigInt(width)) - 1n));
}

export function redirSet(bits: bigint, f: RedirField, v: number): bigint {
  const [lsb, width] = REDIR[f];
  const mask = ((1n << BigInt(width)) - 1n) << BigInt(lsb);
  return (bits & ~mask) | ((BigInt(v) << BigInt(lsb)) & mask);
}

/** kvm_vm_ioctl_get_irqchip's memcpy of a kvm_kpic_state: its first 16 bytes are kvm_pic_state. */
export function encodePic(p: Kpic): Uint8Array {
  const out = new Uint8Array(KVM_PIC_STATE_SIZE);
  PIC_FIELDS.forEach((f, i) => (out[i] = p[f] & 0xff));
  return out;
}

/** kvm_vm_ioctl_set_irqchip's memcpy into a kvm_kpic_state (every field, elcr_mask included). */
export function decodePicInto(p: Kpic, data: Uint8Array): void {
  PIC_FIELDS.forEach((f, i) => (p[f] = data[i] ?? 0));
}

/** kvm_get_ioapic: the first 216 bytes of struct kvm_ioapic, with irr &= ~irr_delivered. */
export function encodeIoapic(io: Ioapic): Uint8Array {
  const out = new Uint8Array(KVM_IOAPIC_STATE_SIZE);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(IOAPIC_OFFSETS.base_address, io.base_address, true);
  dv.setUint32(IOAPIC_OFFSETS.ioregsel, io.ioregsel >>> 0, true);
  dv.setUint32(IOAPIC_OFFSETS.id, io.id >>> 0, true);
  dv.setUint32(IOAPIC_OFFSETS.irr, (io.irr & ~io.irr_delivered) >>> 0, true);
  dv.setUint32(IOAPIC_OFFSETS.pad, io.pad >>> 0, true);
  for (let i = 0; i < IOAPIC_NUM_PINS; i++) dv.setBigUint64(IOAPIC_OFFSETS.redirtbl + 8 * i, io.redirtbl[i]!, true);
  return out;
}

/** A kvm_ioapic_state's fields read from bytes (short input reads as zero bytes). */
export function decodeIoapic(data: Uint8Array): { base_address: bigint; ioregsel: number; id: number; irr: number; pad: number; redirtbl: bigint[] } {
  const buf = new Uint8Array(KVM_IOAPIC_STATE_SIZE);
  buf.set(data.subarray(0, KVM_IOAPIC_STATE_SIZE));
  const dv = new DataView(buf.buffer);
  return {
    base_address: dv.getBigUint64(IOAPIC_OFFSETS.base_address, true),
    ioregsel: dv.getUint32(IOAPIC_OFFSETS.ioregsel, true),
    id: dv.getUint32(IOAPIC_OFFSETS.id, true),
    irr: dv.getUint32(IOAPIC_OFFSETS.irr, true),
    pad: dv.getUint32(IOAPIC_OFFSETS.pad, true),
    redirtbl: Array.from({ length: IOAPIC_NUM_PINS }, (_, i) => dv.getBigUint64(IOAPIC_OFFSETS.redirtbl + 8 * i, true)),
  };
}

/** `data` as exactly `size` bytes: the kernel copies a fixed-size struct; a shorter payload is padded with zeros. */
export function fixedSize(data: Uint8Array, size: number): Uint8Array {
  const out = new Uint8Array(size);
  out.set(data.subarray(0, size));
  return out;
}

const hx = (v: number | bigint) => `0x${v.toString(16)}`;

/** A KVM_GET/SET_IRQCHIP payload in words: the PIC's registers, or the IOAPIC's and each unmasked or non-default redirection entry. */
export function describeIrqchipPayload(chip: number, data: Uint8Array): string | undefined {
  if (chip === KVM_IRQCHIP.PIC_MASTER || chip === KVM_IRQCHIP.PIC_SLAVE) {
    const b = fixedSize(data, KVM_PIC_STATE_SIZE);
    return PIC_FIELDS.map((f, i) => `${f}=${hx(b[i]!)}`).join(' ');
  }
  if (chip !== KVM_IRQCHIP.IOAPIC) return undefined;
  const io = decodeIoapic(data);
  const entries = io.redirtbl.flatMap((bits, pin) =>
    bits === 1n << 16n ? [] : [`pin${pin}{vector=${hx(redirGet(bits, 'vector'))} dm=${redirGet(bits, 'delivery_mode')} ${redirGet(bits, 'dest_mode') ? 'logical' : 'physical'} dest=${redirGet(bits, 'dest_id')} ${redirGet(bits, 'trig_mode') ? 'level' : 'edge'}${redirGet(bits, 'remote_irr') ? ' remote_irr' : ''}${redirGet(bits, 'mask') ? ' masked' : ''}}`],
  );
  return [`base=${hx(io.base_address)} ioregsel=${hx(io.ioregsel)} id=${io.id} irr=${hx(io.irr)}`, ...entries].join(' ');
}
