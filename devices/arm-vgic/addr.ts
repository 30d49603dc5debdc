/**
 * KVM_DEV_ARM_VGIC_GRP_ADDR and the legacy KVM_ARM_SET_DEVICE_ADDR
 * (kvm_vgic_addr and kvm_set_legacy_vgic_v2_addr, vgic-kvm-device.c). Both
 * paths share vgic_check_type and vgic_check_iorange, so they give the same
 * errno for the same misuse.
 */
import type { AttrOutcome, UserBuf, VmCtx } from '../core/device.js';
import {
  DEV_TYPE,
  ERRNO,
  type Errno,
  KVM_ARM_DEVICE_ID_MASK,
  KVM_ARM_DEVICE_ID_SHIFT,
  KVM_ARM_DEVICE_TYPE_MASK,
  KVM_ARM_DEVICE_VGIC_V2,
  KVM_VGIC_V2_CPU_SIZE,
  KVM_VGIC_V2_DIST_SIZE,
  VGIC_ADDR_TYPE,
} from '../core/uapi.js';
import { checkIorange } from './common.js';
import type { VgicState } from './state.js';

/** Where an address type is stored and how it is checked. */
interface AddrSlot {
  readonly model: number;
  readonly key: 'distBase' | 'cpuBase';
  readonly alignment: bigint;
  readonly size: bigint;
}

const ADDR_SLOTS: ReadonlyMap<number, AddrSlot> = new Map([
  [VGIC_ADDR_TYPE.KVM_VGIC_V2_ADDR_TYPE_DIST, { model: DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V2, key: 'distBase', alignment: 0x1000n, size: BigInt(KVM_VGIC_V2_DIST_SIZE) }],
  [VGIC_ADDR_TYPE.KVM_VGIC_V2_ADDR_TYPE_CPU, { model: DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V2, key: 'cpuBase', alignment: 0x1000n, size: BigInt(KVM_VGIC_V2_CPU_SIZE) }],
]);

/**
 * kvm_vgic_addr()'s first step, for v2 and v3 alike: a SET, or a GET of
 * KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION (whose user word carries the region
 * index), reads the user word before the type is looked at, so a NULL
 * pointer is EFAULT whatever the type and the GIC model.
 */
export function addrUserWordFault(attr: bigint, buf: UserBuf, write: boolean): Errno {
  const readsWord = write || attr === BigInt(VGIC_ADDR_TYPE.KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION);
  return readsWord && buf.nullPtr ? ERRNO.EFAULT : 0;
}

/**
 * kvm_vgic_addr() for the fixed-size address types. The user value is read
 * first (EFAULT); an unknown type or one of the other GIC model is ENODEV,
 * which vgic_set/get_common_attr turn into ENXIO.
 */
export function setVgicAddr(vm: VmCtx, s: VgicState, attr: bigint, buf: UserBuf): Errno {
  const fault = addrUserWordFault(attr, buf, true);
  if (fault) return fault;
  const slot = attr < 0x100000000n ? ADDR_SLOTS.get(Number(attr)) : undefined;
  if (!slot || slot.model !== s.model) return ERRNO.ENXIO;
  const addr = BigInt.asUintN(64, buf.value);
  const e = checkIorange(vm, s[slot.key], addr, slot.alignment, slot.size);
  if (!e) {
    s[slot.key] = addr;
    vm.invalidateBus();
  }
  return e;
}

/** kvm_vgic_addr() read: the base, or VGIC_ADDR_UNDEF; a NULL pointer faults at put_user (the Vm's generic check). */
export function getVgicAddr(s: VgicState, attr: bigint, buf: UserBuf): AttrOutcome {
  const fault = addrUserWordFault(attr, buf, false);
  if (fault) return { errno: fault };
  const slot = attr < 0x100000000n ? ADDR_SLOTS.get(Number(attr)) : undefined;
  if (!slot || slot.model !== s.model) return { errno: ERRNO.ENXIO };
  return { errno: 0, value: s[slot.key] };
}

export function hasVgicAddr(s: VgicState, attr: bigint): Errno {
  const slot = attr < 0x100000000n ? ADDR_SLOTS.get(Number(attr)) : undefined;
  return slot && slot.model === s.model ? 0 : ERRNO.ENXIO;
}

/**
 * KVM_ARM_SET_DEVICE_ADDR (kvm_vm_ioctl_set_device_addr): the device id
 * (bits 31:16) must be KVM_ARM_DEVICE_VGIC_V2, else ENODEV; the type
 * (bits 15:0) picks DIST or CPU; bits 63:32 are not checked. The model
 * must be v2 (ENODEV otherwise), then the same range checks as GRP_ADDR.
 */
export function legacySetVgicAddr(vm: VmCtx, s: VgicState | undefined, id: bigint, addr: bigint): Errno {
  if ((id & KVM_ARM_DEVICE_ID_MASK) >> KVM_ARM_DEVICE_ID_SHIFT !== BigInt(KVM_ARM_DEVICE_VGIC_V2)) return ERRNO.ENODEV;
  const type = Number(id & KVM_ARM_DEVICE_TYPE_MASK);
  if (type !== VGIC_ADDR_TYPE.KVM_VGIC_V2_ADDR_TYPE_DIST && type !== VGIC_ADDR_TYPE.KVM_VGIC_V2_ADDR_TYPE_CPU) return ERRNO.ENODEV;
  if (!s || s.model !== DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V2) return ERRNO.ENODEV;
  const slot = ADDR_SLOTS.get(type)!;
  const e = checkIorange(vm, s[slot.key], BigInt.asUintN(64, addr), slot.alignment, slot.size);
  if (!e) {
    s[slot.key] = BigInt.asUintN(64, addr);
    vm.invalidateBus();
  }
  return e;
}
