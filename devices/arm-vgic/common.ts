/**
 * What VGIC v2 and v3 share in the kernel: creation (kvm_vgic_create), the
 * address checks (vgic_check_iorange), NR_IRQS and CTRL_INIT
 * (vgic_set_common_attr), vgic_init, lazy init and interrupt injection
 * (kvm_vgic_inject_irq). Sources: arch/arm64/kvm/vgic/vgic-init.c,
 * vgic-kvm-device.c, vgic.c, arch/arm64/kvm/arm.c.
 */
import type { AttrGroup, UserBuf, VmCtx } from '../core/device.js';
import { DEV_TYPE, ERRNO, type Errno, KVM_ARM_IRQ_TYPE, VGIC, VGIC_ADDR_UNDEF, VGIC_GRP } from '../core/uapi.js';
import { armIrqNum, armIrqType, armIrqVcpu } from '../arch/arm64.js';
import { newBank, setBit } from './irq.js';
import { newVgicCpu, newVgicState, type VgicState } from './state.js';

const V2 = DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V2;

/**
 * kvm_vgic_create() (v6.17 order): EEXIST when any irqchip exists; EBUSY when
 * a vcpu has already run; kvm->max_vcpus becomes 8 (v2) or 512 (v3) *before*
 * the E2BIG check against the vcpus already online, so it stays lowered on
 * failure. The implementation revision starts at the latest, and vcpus that
 * already exist get their private IRQs now.
 */
export function vgicCreate(vm: VmCtx, model: number): { errno: Errno; state?: VgicState } {
  if (vm.state.irqchip >= 0) return { errno: ERRNO.EEXIST };
  if (vm.anyVcpuRan()) return { errno: ERRNO.EBUSY };
  vm.state.maxVcpus = model === V2 ? VGIC.V2_MAX_CPUS : VGIC.V3_MAX_CPUS;
  if (vm.state.vcpus.length > vm.state.maxVcpus) return { errno: ERRNO.E2BIG };
  const s = newVgicState(model);
  s.implementationRev = VGIC.IMP_REV_LATEST;
  s.cpus = vm.state.vcpus.map((v) => newVgicCpu(model, v.id));
  return { errno: 0, state: s };
}

/** kvm_arch_vcpu_precreate(): no new vcpu once the VGIC is initialised. */
export function vgicVcpuPrecreate(s: VgicState): Errno {
  return s.initialized ? ERRNO.EBUSY : 0;
}

/** kvm_vgic_vcpu_init(): the new vcpu's private IRQs, at their reset values. */
export function vgicVcpuCreated(vm: VmCtx, s: VgicState, index: number): void {
  s.cpus[index] = newVgicCpu(s.model, vm.state.vcpus[index]!.id);
}

/** The IPA size check: the kernel's kvm_phys_size() is 1 << ipa_bits. */
function physSize(vm: VmCtx): bigint {
  return 1n << BigInt(vm.state.ipaBits);
}

/**
 * vgic_check_iorange(): EEXIST if already set, EINVAL if misaligned or the
 * range wraps, E2BIG if it goes beyond the IPA space.
 */
export function checkIorange(vm: VmCtx, current: bigint, addr: bigint, alignment: bigint, size: bigint): Errno {
  if (current !== VGIC_ADDR_UNDEF) return ERRNO.EEXIST;
  if (addr % alignment !== 0n || size % alignment !== 0n) return ERRNO.EINVAL;
  if (addr + size > 0xffffffffffffffffn) return ERRNO.EINVAL;
  const phys = physSize(vm);
  if ((addr & ~(phys - 1n)) !== 0n || addr + size > phys) return ERRNO.E2BIG;
  return 0;
}

/**
 * KVM_DEV_ARM_VGIC_GRP_NR_IRQS set: EFAULT first, then EINVAL unless
 * 64 <= n <= 1023 and n % 32 == 0 (so 992 is the largest accepted), then
 * EBUSY once nr_spis is set (by userspace or by init's default).
 */
export function setNrIrqs(s: VgicState, buf: UserBuf): Errno {
  if (buf.nullPtr) return ERRNO.EFAULT;
  const val = Number(BigInt.asUintN(32, buf.value));
  if (val < VGIC.NR_PRIVATE_IRQS + 32 || val > VGIC.MAX_RESERVED || val & 31) return ERRNO.EINVAL;
  if (s.ready || s.nrSpis) return ERRNO.EBUSY;
  s.nrSpis = val - VGIC.NR_PRIVATE_IRQS;
  return 0;
}

/**
 * KVM_DEV_ARM_VGIC_GRP_NR_IRQS, the same for v2 and v3 (vgic_set/get_common_attr):
 * GET reports nr_spis + 32, so 32 until NR_IRQS is set or init picks the default.
 */
export function nrIrqsGroup<S extends VgicState>(): AttrGroup<S> {
  return {
    id: VGIC_GRP.KVM_DEV_ARM_VGIC_GRP_NR_IRQS,
    name: 'KVM_DEV_ARM_VGIC_GRP_NR_IRQS',
    payload: 4,
    has: () => 0,
    get: (_vm, s) => ({ errno: 0, value: BigInt(s.nrSpis + 32) }),
    set: (_vm, s, _attr, buf) => setNrIrqs(s, buf),
    describe: () => 'nr_irqs',
  };
}

/**
 * vgic_init() (v6.17): a no-op once initialised. Freezes nr_spis (default
 * 224) and allocates the SPIs (kvm_vgic_dist_init: disabled, edge, priority 0,
 * group 0 on v2 / 1 on v3, targets 0, delivered to vcpu 0). Succeeds with no
 * vcpus at all; EBUSY only while a vcpu creation is in flight, which a
 * sequential model never sees.
 */
export function vgicInit(_vm: VmCtx, s: VgicState): Errno {
  if (s.initialized) return 0;
  if (!s.nrSpis) s.nrSpis = VGIC.NR_IRQS_LEGACY - VGIC.NR_PRIVATE_IRQS;
  const spi = newBank(s.nrSpis + VGIC.NR_PRIVATE_IRQS);
  spi.edge.fill(0xffffffff); // VGIC_CONFIG_EDGE is 0 in a zeroed vgic_irq: SPIs reset to edge
  spi.edge[0] = 0;
  if (s.model !== V2) spi.group.fill(0xffffffff);
  s.spi = spi;
  s.initialized = true;
  return 0;
}

/** vgic_lazy_init(): only GICv2 initialises on first use; v3 must be initialised explicitly (EBUSY). */
export function vgicLazyInit(vm: VmCtx, s: VgicState): Errno {
  if (s.initialized) return 0;
  if (s.model !== V2) return ERRNO.EBUSY;
  return vgicInit(vm, s);
}

/**
 * kvm_vgic_map_resources() at a vcpu's first KVM_RUN: the model's checks
 * (`check`, which also initialises where v2 does) run once; a failure marks
 * the VM dead (v6.17: kvm_vm_dead; older kernels tore the VGIC down). Then
 * the arch timer of that vcpu takes ownership of its PPIs (kvm_timer_enable).
 */
export function vgicFirstRun(vm: VmCtx, s: VgicState, vcpu: number, check: () => Errno): Errno {
  if (!s.ready) {
    const e = check();
    if (e) {
      vm.state.dead = true;
      return e;
    }
    s.ready = true;
    vm.invalidateBus();
  }
  for (const ppi of TIMER_PPIS) s.cpus[vcpu]!.priv.owned[0] = s.cpus[vcpu]!.priv.owned[0]! | (1 << ppi);
  return 0;
}

/** The arch timer's PPIs, owned by the timer once a vcpu runs (kvm_timer_enable -> kvm_vgic_set_owner). */
export const TIMER_PPIS = [27, 30] as const; // virtual and physical EL1 timers

/** What KVM_IRQ_LINE needs of an LPI (v3: the struct vgic_irq an ITS mapping created). */
export interface InjectableLpi {
  pending: boolean;
}

/**
 * arm64 KVM_IRQ_LINE with a VGIC (kvm_vm_ioctl_irq_line, then
 * kvm_vgic_inject_irq). The checks and their order are the kernel's; an
 * injection that changes nothing (same level, an edge IRQ at level 0, an IRQ
 * owned by the timer) silently returns 0. `lpiOf` finds a mapped LPI
 * (vgic_get_lpi); without it (GICv2) no LPI exists.
 */
export function vgicIrqLine(vm: VmCtx, s: VgicState, irq: number, levelIn: number, lpiOf?: (intid: number) => InjectableLpi | undefined): Errno {
  const num = armIrqNum(irq);
  const level = levelIn !== 0;
  switch (armIrqType(irq)) {
    case KVM_ARM_IRQ_TYPE.KVM_ARM_IRQ_TYPE_CPU: // only without an in-kernel irqchip
      return ERRNO.ENXIO;
    case KVM_ARM_IRQ_TYPE.KVM_ARM_IRQ_TYPE_PPI: {
      const idx = vm.vcpuIndexById(armIrqVcpu(irq));
      if (idx < 0) return ERRNO.EINVAL;
      if (num < VGIC.NR_SGIS || num >= VGIC.NR_PRIVATE_IRQS) return ERRNO.EINVAL;
      const e = vgicLazyInit(vm, s);
      if (e) return e;
      injectIrq(s.cpus[idx]!.priv, num, level);
      return 0;
    }
    case KVM_ARM_IRQ_TYPE.KVM_ARM_IRQ_TYPE_SPI: {
      // Only the private range is refused here; vgic_get_irq decides the rest.
      if (num < VGIC.NR_PRIVATE_IRQS) return ERRNO.EINVAL;
      const e = vgicLazyInit(vm, s);
      if (e) return e;
      // vgic_get_irq(): an SPI below nr_irqs ...
      if (num < s.spi.count) {
        injectIrq(s.spi, num, level);
        return 0;
      }
      // ... else, from VGIC_MIN_LPI on, the LPI an ITS mapped (vgic_get_lpi); else no IRQ: EINVAL.
      const lpi = num >= VGIC.MIN_LPI ? lpiOf?.(num) : undefined;
      if (!lpi) return ERRNO.EINVAL;
      // LPIs are edge with no owner (vgic_add_lpi): vgic_validate_injection lets a raise latch it, a lower does nothing.
      if (level) lpi.pending = true;
      return 0;
    }
    default:
      return ERRNO.EINVAL;
  }
}

/** The part of kvm_vgic_inject_irq after the lookup: vgic_validate_injection, then latch or line. */
function injectIrq(b: ReturnType<typeof newBank>, n: number, level: boolean): void {
  const w = n >>> 5;
  const m = 1 << (n & 31);
  if (b.owned[w]! & m) return;
  if (b.edge[w]! & m) {
    if (level) b.latch[w] = b.latch[w]! | m;
  } else {
    setBit(b.level, n, level);
  }
}
