/**
 * KVM_DEV_ARM_VGIC_GRP_ADDR for GICv3 (kvm_vgic_addr, vgic-kvm-device.c) and
 * the redistributor regions behind it (vgic_v3_set_redist_base,
 * vgic_v3_alloc_redist_region, vgic_register_redist_iodev,
 * vgic_v3_check_base, vgic_mmio_vcpu_rdist_is_last; vgic-mmio-v3.c, vgic-v3.c).
 *
 * A vcpu gets a redistributor when a region with a free slot exists: when
 * the region is added (for every vcpu still without one, in vcpu order) or
 * when the vcpu is created. Regions are sized by their count, or, for the
 * legacy single region, by the number of vcpus at the time of the check.
 */
import type { AttrOutcome, UserBuf, VmCtx } from '../../core/device.js';
import {
  ERRNO,
  type Errno,
  KVM_VGIC_V3_DIST_SIZE,
  KVM_VGIC_V3_RDIST_BASE_MASK,
  KVM_VGIC_V3_RDIST_COUNT_MASK,
  KVM_VGIC_V3_RDIST_COUNT_SHIFT,
  KVM_VGIC_V3_RDIST_FLAGS_MASK,
  KVM_VGIC_V3_RDIST_FLAGS_SHIFT,
  KVM_VGIC_V3_RDIST_INDEX_MASK,
  KVM_VGIC_V3_REDIST_SIZE,
  VGIC_ADDR_TYPE,
  VGIC_ADDR_UNDEF,
} from '../../core/uapi.js';
import { addrUserWordFault } from '../addr.js';
import { checkIorange } from '../common.js';
import type { RdRegion, Vgic3State } from './state.js';

const SZ_64K = 0x10000n;
const RD_SIZE = BigInt(KVM_VGIC_V3_REDIST_SIZE);
const DIST_SIZE = BigInt(KVM_VGIC_V3_DIST_SIZE);
const U64 = 1n << 64n;

/** vgic_v3_rd_region_size: count redistributors, or one per online vcpu for the legacy region. */
export function regionSize(vm: VmCtx, r: RdRegion): bigint {
  return BigInt(r.count ? r.count : vm.state.vcpus.length) * RD_SIZE;
}

/** vgic_v3_rdist_overlap: [base, base + size) meets some region. */
function rdistOverlap(vm: VmCtx, s: Vgic3State, base: bigint, size: bigint): boolean {
  return s.regions.some((r) => base + size > r.base && base < r.base + regionSize(vm, r));
}

/** vgic_dist_overlap. */
function distOverlap(s: Vgic3State, base: bigint, size: bigint): boolean {
  return base + size > s.distBase && base < s.distBase + DIST_SIZE;
}

/**
 * vgic_v3_check_base: the distributor does not wrap, every region passes
 * vgic_check_iorange (alignment, wrap, IPA size) at its current size, and
 * no region overlaps the distributor.
 */
export function checkBase(vm: VmCtx, s: Vgic3State): boolean {
  if (s.distBase !== VGIC_ADDR_UNDEF && s.distBase + DIST_SIZE >= U64) return false;
  for (const r of s.regions) if (checkIorange(vm, VGIC_ADDR_UNDEF, r.base, SZ_64K, regionSize(vm, r))) return false;
  if (s.distBase === VGIC_ADDR_UNDEF) return true;
  return !rdistOverlap(vm, s, s.distBase, DIST_SIZE);
}

/** vgic_v3_rdist_free_slot: the first region that is not full (the legacy region never is). */
function freeSlot(s: Vgic3State): RdRegion | undefined {
  return s.regions.find((r) => !r.count || r.freeIndex < r.count);
}

/**
 * vgic_register_redist_iodev for vcpu `index`: nothing to do if it has a
 * redistributor or no region has room; EINVAL if vgic_v3_check_base fails
 * (`checked`: the caller ran that check already, see redistPrecheck); else
 * it takes the next slot of the first free region.
 */
export function registerRedist(vm: VmCtx, s: Vgic3State, index: number, checked = false): Errno {
  const c = s.cpus[index]!;
  if (c.rdBase !== VGIC_ADDR_UNDEF) return 0;
  const r = freeSlot(s);
  if (!r) return 0;
  if (!checked && !checkBase(vm, s)) return ERRNO.EINVAL;
  c.rdRegion = r.index;
  c.rdIndex = r.freeIndex;
  c.rdBase = r.base + BigInt(r.freeIndex) * RD_SIZE;
  c.rdMapped = true;
  r.freeIndex++;
  vm.invalidateBus();
  return 0;
}

/**
 * What vgic_register_redist_iodev would answer for a vcpu being created now
 * (kvm_vgic_vcpu_init runs before the vcpu is online, so the legacy region
 * is still sized by the vcpus that exist).
 */
export function redistPrecheck(vm: VmCtx, s: Vgic3State): Errno {
  return freeSlot(s) && !checkBase(vm, s) ? ERRNO.EINVAL : 0;
}

/**
 * vgic_v3_alloc_redist_region: the wrap, index-order, legacy-mixing,
 * overlap and range checks, in the kernel's order.
 */
function allocRegion(vm: VmCtx, s: Vgic3State, index: number, base: bigint, count: number): Errno {
  const size = BigInt(count ? count : vm.state.vcpus.length) * RD_SIZE;
  if (base + size >= U64) return ERRNO.EINVAL;
  const last = s.regions[s.regions.length - 1];
  if (!last) {
    if (index !== 0) return ERRNO.EINVAL;
  } else {
    if (!count && last.count) return ERRNO.EINVAL; // don't mix the legacy region with REDIST_REGION
    if (!count) return ERRNO.EEXIST;
    if (index !== last.index + 1) return ERRNO.EINVAL;
  }
  if (!count && s.distBase !== VGIC_ADDR_UNDEF && distOverlap(s, base, size)) return ERRNO.EINVAL;
  if (rdistOverlap(vm, s, base, size)) return ERRNO.EINVAL;
  const e = checkIorange(vm, VGIC_ADDR_UNDEF, base, SZ_64K, size);
  if (e) return e;
  s.regions.push({ index, base, count, freeIndex: 0 });
  return 0;
}

/**
 * vgic_v3_set_redist_base: add the region, then register a redistributor
 * for every vcpu still without one. If that fails the region is freed and
 * the vcpus before the failing one lose their MMIO frames
 * (vgic_unregister_redist_iodev), though they keep their base address: the
 * kernel's unwind does exactly that.
 */
function setRedistBase(vm: VmCtx, s: Vgic3State, index: number, base: bigint, count: number): Errno {
  let e = allocRegion(vm, s, index, base, count);
  if (e) return e;
  for (let c = 0; c < s.cpus.length; c++) {
    e = registerRedist(vm, s, c);
    if (!e) continue;
    for (let i = 0; i < c; i++) s.cpus[i]!.rdMapped = false;
    s.regions = s.regions.filter((r) => r.index !== index);
    vm.invalidateBus();
    return e;
  }
  vm.invalidateBus();
  return 0;
}

/**
 * kvm_vgic_addr(write) for v3 (vgic_set_common_attr): the user value is read
 * first (EFAULT); v2 types and unknown ones are ENODEV, reported as ENXIO.
 */
export function setV3Addr(vm: VmCtx, s: Vgic3State, attr: bigint, buf: UserBuf): Errno {
  const fault = addrUserWordFault(attr, buf, true);
  if (fault) return fault;
  const addr = BigInt.asUintN(64, buf.value);
  switch (attr) {
    case BigInt(VGIC_ADDR_TYPE.KVM_VGIC_V3_ADDR_TYPE_DIST): {
      const e = checkIorange(vm, s.distBase, addr, SZ_64K, DIST_SIZE);
      if (!e) {
        s.distBase = addr;
        vm.invalidateBus();
      }
      return e;
    }
    case BigInt(VGIC_ADDR_TYPE.KVM_VGIC_V3_ADDR_TYPE_REDIST):
      return setRedistBase(vm, s, 0, addr, 0);
    case BigInt(VGIC_ADDR_TYPE.KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION): {
      // The index is masked with KVM_VGIC_V3_RDIST_INDEX_MASK, then kept in a u8.
      const index = Number(addr & KVM_VGIC_V3_RDIST_INDEX_MASK) & 0xff;
      const base = addr & KVM_VGIC_V3_RDIST_BASE_MASK;
      const count = Number((addr & KVM_VGIC_V3_RDIST_COUNT_MASK) >> KVM_VGIC_V3_RDIST_COUNT_SHIFT);
      const flags = Number((addr & KVM_VGIC_V3_RDIST_FLAGS_MASK) >> KVM_VGIC_V3_RDIST_FLAGS_SHIFT);
      if (!count || flags) return ERRNO.EINVAL;
      return setRedistBase(vm, s, index, base, count);
    }
    default:
      return ERRNO.ENXIO;
  }
}

/**
 * kvm_vgic_addr(read) for v3: DIST reads its base or all ones; REDIST the
 * first region's base (whichever API made it) or all ones; REDIST_REGION
 * takes the index from the user word (read first, see addrUserWordFault)
 * and answers ENOENT for a missing region, else index | base | count << 52.
 */
export function getV3Addr(s: Vgic3State, attr: bigint, buf: UserBuf): AttrOutcome {
  const fault = addrUserWordFault(attr, buf, false);
  if (fault) return { errno: fault };
  switch (attr) {
    case BigInt(VGIC_ADDR_TYPE.KVM_VGIC_V3_ADDR_TYPE_DIST):
      return { errno: 0, value: s.distBase };
    case BigInt(VGIC_ADDR_TYPE.KVM_VGIC_V3_ADDR_TYPE_REDIST):
      return { errno: 0, value: s.regions[0]?.base ?? VGIC_ADDR_UNDEF };
    case BigInt(VGIC_ADDR_TYPE.KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION): {
      const index = Number(BigInt.asUintN(64, buf.value) & KVM_VGIC_V3_RDIST_INDEX_MASK) & 0xff;
      const r = s.regions.find((x) => x.index === index);
      if (!r) return { errno: ERRNO.ENOENT };
      return { errno: 0, value: BigInt(index) | r.base | (BigInt(r.count) << KVM_VGIC_V3_RDIST_COUNT_SHIFT) };
    }
    default:
      return { errno: ERRNO.ENXIO };
  }
}

/** vgic_v3_has_attr for GRP_ADDR: DIST, REDIST and REDIST_REGION exist. */
export function hasV3Addr(attr: bigint): Errno {
  return attr === BigInt(VGIC_ADDR_TYPE.KVM_VGIC_V3_ADDR_TYPE_DIST) ||
    attr === BigInt(VGIC_ADDR_TYPE.KVM_VGIC_V3_ADDR_TYPE_REDIST) ||
    attr === BigInt(VGIC_ADDR_TYPE.KVM_VGIC_V3_ADDR_TYPE_REDIST_REGION)
    ? 0
    : ERRNO.ENXIO;
}

/**
 * vgic_mmio_vcpu_rdist_is_last: GICR_TYPER.Last. A vcpu without a region is
 * not last; one before the region's last used slot is not last; the last
 * slot of a full region is last unless another region that has handed out
 * slots starts right where it ends; otherwise it is last.
 */
export function rdistIsLast(vm: VmCtx, s: Vgic3State, index: number): boolean {
  const c = s.cpus[index]!;
  const r = s.regions.find((x) => x.index === c.rdRegion);
  if (c.rdRegion < 0 || !r) return false;
  if (c.rdIndex < r.freeIndex - 1) return false;
  if (r.count && c.rdIndex === r.count - 1) {
    const end = r.base + BigInt(r.count) * RD_SIZE;
    if (s.regions.some((x) => x.base === end && x.freeIndex > 0)) return false;
  }
  return true;
}

/** "region 1 @0x240000 count 2" for decoding a REDIST_REGION word. */
export function describeRegionWord(v: bigint): string {
  const index = Number(v & KVM_VGIC_V3_RDIST_INDEX_MASK);
  const flags = Number((v & KVM_VGIC_V3_RDIST_FLAGS_MASK) >> KVM_VGIC_V3_RDIST_FLAGS_SHIFT);
  const count = Number((v & KVM_VGIC_V3_RDIST_COUNT_MASK) >> KVM_VGIC_V3_RDIST_COUNT_SHIFT);
  return `index ${index} base 0x${(v & KVM_VGIC_V3_RDIST_BASE_MASK).toString(16)} count ${count}${flags ? ` flags 0x${flags.toString(16)}` : ''}`;
}
