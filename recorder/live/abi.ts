/**
 * The KVM uapi as bytes: the layouts of the structs devrr passes to the
 * host's /dev/kvm and the ioctl request numbers, each defined once, here.
 * Layouts follow the C rules of the LP64 ABIs KVM runs on (x86_64, arm64,
 * ppc64le, s390x): each field at the next multiple of its alignment, the
 * struct padded to its largest alignment. Sizes and offsets are tested
 * against the kernel headers' values (test/recorder/live-abi.test.ts);
 * a layout here never comes from anywhere else.
 */

/** A field type: fixed-width integers (little- or big-endian per host), or bytes with an alignment. */
export type FieldType = 'u8' | 'u16' | 'u32' | 's32' | 'u64' | { readonly bytes: number; readonly align: number };

export interface Field {
  readonly name: string;
  readonly type: FieldType;
  readonly offset: number;
  readonly size: number;
}

export interface StructLayout {
  readonly name: string;
  readonly size: number;
  readonly align: number;
  readonly fields: ReadonlyMap<string, Field>;
}

function sizeAlign(t: FieldType): { size: number; align: number } {
  if (typeof t === 'object') return { size: t.bytes, align: t.align };
  const size = t === 'u8' ? 1 : t === 'u16' ? 2 : t === 'u32' || t === 's32' ? 4 : 8;
  return { size, align: size };
}

/** Lays out a C struct from its members in declaration order. */
export function struct(name: string, members: readonly (readonly [string, FieldType])[]): StructLayout {
  let off = 0;
  let align = 1;
  const fields = new Map<string, Field>();
  for (const [fname, type] of members) {
    const sa = sizeAlign(type);
    off = Math.ceil(off / sa.align) * sa.align;
    fields.set(fname, { name: fname, type, offset: off, size: sa.size });
    off += sa.size;
    align = Math.max(align, sa.align);
  }
  return { name, size: Math.ceil(off / align) * align, align, fields };
}

const bytes = (n: number, align = 1): FieldType => ({ bytes: n, align });

// include/uapi/linux/kvm.h
export const KVM_CREATE_DEVICE_T = struct('kvm_create_device', [['type', 'u32'], ['fd', 'u32'], ['flags', 'u32']]);
export const KVM_DEVICE_ATTR_T = struct('kvm_device_attr', [['flags', 'u32'], ['group', 'u32'], ['attr', 'u64'], ['addr', 'u64']]);
/** `union { __u32 irq; __s32 status; }` then `__u32 level`. */
export const KVM_IRQ_LEVEL_T = struct('kvm_irq_level', [['irq', 'u32'], ['level', 'u32']]);
export const KVM_MSI_T = struct('kvm_msi', [['address_lo', 'u32'], ['address_hi', 'u32'], ['data', 'u32'], ['flags', 'u32'], ['devid', 'u32'], ['pad', bytes(12)]]);
export const KVM_ENABLE_CAP_T = struct('kvm_enable_cap', [['cap', 'u32'], ['flags', 'u32'], ['args', bytes(32, 8)], ['pad', bytes(64)]]);
/** `__u32 chip_id; __u32 pad; union { char dummy[512]; struct kvm_pic_state pic; struct kvm_ioapic_state ioapic; } chip;` (x86). */
export const KVM_IRQCHIP_T = struct('kvm_irqchip', [['chip_id', 'u32'], ['pad', 'u32'], ['chip', bytes(512, 8)]]);
export const KVM_ARM_DEVICE_ADDR_T = struct('kvm_arm_device_addr', [['id', 'u64'], ['addr', 'u64']]);
export const KVM_USERSPACE_MEMORY_REGION_T = struct('kvm_userspace_memory_region', [['slot', 'u32'], ['flags', 'u32'], ['guest_phys_addr', 'u64'], ['memory_size', 'u64'], ['userspace_addr', 'u64']]);
/** arch/x86/include/uapi/asm/kvm.h: KVM_APIC_REG_SIZE 0x400. */
export const KVM_LAPIC_STATE_T = struct('kvm_lapic_state', [['regs', bytes(0x400)]]);

// The ioctl request encoding (include/uapi/asm-generic/ioctl.h; x86_64, arm64 and s390x use it; ppc64 has other direction bits).
const IOC_NRBITS = 8;
const IOC_TYPEBITS = 8;
const IOC_SIZEBITS = 14;
const IOC_NRSHIFT = 0;
const IOC_TYPESHIFT = IOC_NRSHIFT + IOC_NRBITS;
const IOC_SIZESHIFT = IOC_TYPESHIFT + IOC_TYPEBITS;
const IOC_DIRSHIFT = IOC_SIZESHIFT + IOC_SIZEBITS;
const IOC_NONE = 0;
const IOC_WRITE = 1;
const IOC_READ = 2;

function ioc(dir: number, type: number, nr: number, size: number): number {
  return ((dir << IOC_DIRSHIFT) | (type << IOC_TYPESHIFT) | (nr << IOC_NRSHIFT) | (size << IOC_SIZESHIFT)) >>> 0;
}
/** KVMIO, the ioctl type of every KVM request. */
export const KVMIO = 0xae;
const IO = (nr: number) => ioc(IOC_NONE, KVMIO, nr, 0);
const IOW = (nr: number, t: StructLayout | number) => ioc(IOC_WRITE, KVMIO, nr, typeof t === 'number' ? t : t.size);
const IOR = (nr: number, t: StructLayout | number) => ioc(IOC_READ, KVMIO, nr, typeof t === 'number' ? t : t.size);
const IOWR = (nr: number, t: StructLayout | number) => ioc(IOC_READ | IOC_WRITE, KVMIO, nr, typeof t === 'number' ? t : t.size);

/** The request numbers devrr issues, as include/uapi/linux/kvm.h defines them. */
export const KVM = {
  GET_API_VERSION: IO(0x00),
  CREATE_VM: IO(0x01),
  CHECK_EXTENSION: IO(0x03),
  GET_VCPU_MMAP_SIZE: IO(0x04),
  CREATE_VCPU: IO(0x41),
  SET_USER_MEMORY_REGION: IOW(0x46, KVM_USERSPACE_MEMORY_REGION_T),
  CREATE_IRQCHIP: IO(0x60),
  IRQ_LINE: IOW(0x61, KVM_IRQ_LEVEL_T),
  GET_IRQCHIP: IOWR(0x62, KVM_IRQCHIP_T),
  SET_IRQCHIP: IOR(0x63, KVM_IRQCHIP_T),
  IRQ_LINE_STATUS: IOWR(0x67, KVM_IRQ_LEVEL_T),
  SIGNAL_MSI: IOW(0xa5, KVM_MSI_T),
  ARM_SET_DEVICE_ADDR: IOW(0xab, KVM_ARM_DEVICE_ADDR_T),
  ENABLE_CAP: IOW(0xa3, KVM_ENABLE_CAP_T),
  RUN: IO(0x80),
  GET_LAPIC: IOR(0x8e, KVM_LAPIC_STATE_T),
  SET_LAPIC: IOW(0x8f, KVM_LAPIC_STATE_T),
  CREATE_DEVICE: IOWR(0xe0, KVM_CREATE_DEVICE_T),
  SET_DEVICE_ATTR: IOW(0xe1, KVM_DEVICE_ATTR_T),
  GET_DEVICE_ATTR: IOW(0xe2, KVM_DEVICE_ATTR_T),
  HAS_DEVICE_ATTR: IOW(0xe3, KVM_DEVICE_ATTR_T),
} as const;

/** KVM_CREATE_DEVICE_TEST: only ask whether the type can be created. */
export const KVM_CREATE_DEVICE_TEST = 1;

/** Writes `value` into field `f` of the struct at `view` (little-endian unless `be`). */
export function put(view: DataView, layout: StructLayout, f: string, value: number | bigint, be = false): void {
  const field = layout.fields.get(f);
  if (!field) throw new Error(`${layout.name} has no field ${f}`);
  const le = !be;
  switch (field.type) {
    case 'u8':
      view.setUint8(field.offset, Number(value));
      break;
    case 'u16':
      view.setUint16(field.offset, Number(value), le);
      break;
    case 'u32':
      view.setUint32(field.offset, Number(BigInt.asUintN(32, BigInt(value))), le);
      break;
    case 's32':
      view.setInt32(field.offset, Number(BigInt.asIntN(32, BigInt(value))), le);
      break;
    case 'u64':
      view.setBigUint64(field.offset, BigInt.asUintN(64, BigInt(value)), le);
      break;
    default:
      throw new Error(`${layout.name}.${f} is a byte array: write its bytes`);
  }
}

/** Reads field `f` of the struct at `view`. */
export function get(view: DataView, layout: StructLayout, f: string, be = false): bigint {
  const field = layout.fields.get(f);
  if (!field) throw new Error(`${layout.name} has no field ${f}`);
  const le = !be;
  switch (field.type) {
    case 'u8':
      return BigInt(view.getUint8(field.offset));
    case 'u16':
      return BigInt(view.getUint16(field.offset, le));
    case 'u32':
      return BigInt(view.getUint32(field.offset, le));
    case 's32':
      return BigInt(view.getInt32(field.offset, le));
    case 'u64':
      return view.getBigUint64(field.offset, le);
    default:
      throw new Error(`${layout.name}.${f} is a byte array: read its bytes`);
  }
}

/** The offset of field `f` (for byte-array members). */
export function offsetOf(layout: StructLayout, f: string): number {
  const field = layout.fields.get(f);
  if (!field) throw new Error(`${layout.name} has no field ${f}`);
  return field.offset;
}
