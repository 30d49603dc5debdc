/**
 * The s390 VM attribute groups on the VM fd (kvm_arch_vm_ioctl ->
 * kvm_s390_vm_set_attr / kvm_s390_vm_get_attr / kvm_s390_vm_has_attr,
 * arch/s390/kvm/kvm-s390.c at 005467e06b16): MEM_CTRL, TOD, CRYPTO,
 * CPU_MODEL, MIGRATION. Each row is the group's three switch statements;
 * an attribute a switch does not list is its default, ENXIO.
 *
 * Payloads: scalar attributes take `value` (u64 LIMIT_SIZE, TOD_LOW,
 * MIGRATION_STATUS; u8 TOD_HIGH, its low byte), struct ones `data` in s390's
 * big-endian layout (TOD_EXT's struct kvm_s390_vm_tod_clock, the CPU-model
 * structs). A struct read past the bytes given faults (EFAULT), as
 * copy_from_user past the end of the user's mapping does. kvm_device_attr's
 * `flags` is always 0 here (devrr's events carry none), so the TOD group's
 * flags check never fires.
 *
 * Where shared/reference/kvm-device-api.md (3.9) and this code differ, the
 * code wins: this kernel has no CPU_TOPOLOGY group and no UV_FEAT_GUEST
 * attributes (later kernels add both); HAS on TOD_EXT is ENXIO although SET
 * and GET take it; CRYPTO has no GET (ENXIO); HAS on MIGRATION is 0 for any
 * attribute; the read-only CPU-model attributes answer SET with ENXIO.
 */
import type { AttrGroup, AttrOutcome, UserBuf } from '../../core/device.js';
import { nameOf, ERRNO, type Errno } from '../../core/uapi.js';
import type { VmState } from '../../core/vm-state.js';
import { CPU_FEAT_BYTES, FAC_LIST_BYTES, HOST_CPU_FEAT, HOST_CPUID, HOST_FAC_MASK, HOST_STFLE, HOST_SUBFUNC, KVM_S390_NO_MEM_LIMIT, SCLP_IBC, SUBFUNC_BYTES } from './host.js';
import { S390_VM_ATTR_NAMES, S390_VM_CPU as CPU, S390_VM_CRYPTO as CRYPTO, S390_VM_GRP as GRP, S390_VM_MEM as MEM, S390_VM_MIGRATION as MIG, S390_VM_TOD as TOD } from './names.js';
import { gmapRound, s390Facility, s390Of } from './state.js';

/** sizeof(struct kvm_s390_vm_tod_clock): u8 epoch_idx; (pad 7) u64 tod. */
export const TOD_CLOCK_BYTES = 16;
/** sizeof(struct kvm_s390_vm_cpu_processor): u64 cpuid; u16 ibc; u8 pad[6]; u64 fac_list[256]. */
export const CPU_PROCESSOR_BYTES = 16 + FAC_LIST_BYTES;
/** sizeof(struct kvm_s390_vm_cpu_machine): u64 cpuid; u32 ibc; u8 pad[4]; u64 fac_mask[256]; u64 fac_list[256]. */
export const CPU_MACHINE_BYTES = 16 + 2 * FAC_LIST_BYTES;

const ok = (value: bigint): AttrOutcome => ({ errno: 0, value });
const fail = (errno: Errno): AttrOutcome => ({ errno });

/** copy_from_user of `n` bytes at attr.addr: the bytes, or undefined (EFAULT) for a NULL pointer or a buffer shorter than n. */
function copyIn(buf: UserBuf, n: number): Uint8Array | undefined {
  if (buf.nullPtr || !buf.data || buf.data.length < n) return undefined;
  return buf.data.subarray(0, n);
}

const view = (b: Uint8Array) => new DataView(b.buffer, b.byteOffset, b.byteLength);
const vcpusCreated = (vm: VmState) => vm.vcpus.length > 0;

function describeIn(group: number) {
  return (attr: bigint): string => (attr <= 0xffn ? nameOf(S390_VM_ATTR_NAMES[group]!, Number(attr)) : undefined) ?? `attr ${attr}`;
}

/** kvm_s390_set_mem_control / kvm_s390_get_mem_control. */
const memCtrl: AttrGroup<VmState> = {
  id: GRP.KVM_S390_VM_MEM_CTRL,
  name: 'KVM_S390_VM_MEM_CTRL',
  attrNames: () => new Map(Object.entries(MEM)),
  payload: 8,
  // kvm_s390_vm_has_attr: ENABLE_CMMA and CLR_CMMA need sclp.has_cmma (the model host has it); LIMIT_SIZE always.
  has: (_vm, _s, attr) => (attr === BigInt(MEM.KVM_S390_VM_MEM_ENABLE_CMMA) || attr === BigInt(MEM.KVM_S390_VM_MEM_CLR_CMMA) || attr === BigInt(MEM.KVM_S390_VM_MEM_LIMIT_SIZE) ? 0 : ERRNO.ENXIO),
  set(_vm, vm, attr, buf) {
    const a = s390Of(vm);
    switch (attr) {
      case BigInt(MEM.KVM_S390_VM_MEM_ENABLE_CMMA):
        // EBUSY once a vcpu was created (kvm->created_vcpus); 1 MiB huge-page backing (EINVAL) is not the model host's.
        if (vcpusCreated(vm)) return ERRNO.EBUSY;
        a.useCmma = true;
        return 0;
      case BigInt(MEM.KVM_S390_VM_MEM_CLR_CMMA):
        // EINVAL unless CMMA was enabled; the page states it resets are not modelled.
        return a.useCmma ? 0 : ERRNO.EINVAL;
      case BigInt(MEM.KVM_S390_VM_MEM_LIMIT_SIZE): {
        // get_user (EFAULT), E2BIG above mem_limit, EINVAL for 0, then EBUSY once vcpus exist.
        if (buf.nullPtr) return ERRNO.EFAULT;
        let limit = BigInt.asUintN(64, buf.value);
        if (a.memLimit !== KVM_S390_NO_MEM_LIMIT && limit > a.memLimit) return ERRNO.E2BIG;
        if (limit === 0n) return ERRNO.EINVAL;
        // gmap_create takes the last usable address.
        if (limit !== KVM_S390_NO_MEM_LIMIT) limit -= 1n;
        if (vcpusCreated(vm)) return ERRNO.EBUSY;
        // A new gmap replaces the old one; kvm->arch.mem_limit (what GET returns) is not changed.
        a.gmapLimit = gmapRound(limit);
        return 0;
      }
      default:
        return ERRNO.ENXIO;
    }
  },
  get(_vm, vm, attr) {
    if (attr === BigInt(MEM.KVM_S390_VM_MEM_LIMIT_SIZE)) return ok(s390Of(vm).memLimit);
    return fail(ERRNO.ENXIO);
  },
  describe: describeIn(GRP.KVM_S390_VM_MEM_CTRL),
};

/** kvm_s390_set_tod / kvm_s390_get_tod (attr->flags is 0: see the header). */
const tod: AttrGroup<VmState> = {
  id: GRP.KVM_S390_VM_TOD,
  name: 'KVM_S390_VM_TOD',
  attrNames: () => new Map(Object.entries(TOD)),
  payload: 8,
  // kvm_s390_vm_has_attr lists LOW and HIGH only: EXT answers ENXIO although SET and GET serve it.
  has: (_vm, _s, attr) => (attr === BigInt(TOD.KVM_S390_VM_TOD_LOW) || attr === BigInt(TOD.KVM_S390_VM_TOD_HIGH) ? 0 : ERRNO.ENXIO),
  set(_vm, vm, attr, buf) {
    const a = s390Of(vm);
    switch (attr) {
      case BigInt(TOD.KVM_S390_VM_TOD_EXT): {
        // kvm_s390_set_tod_ext: EFAULT, then EINVAL for an epoch index without facility 139.
        const b = copyIn(buf, TOD_CLOCK_BYTES);
        if (!b) return ERRNO.EFAULT;
        const idx = b[0]!;
        const fac139 = s390Facility(vm, 139);
        if (!fac139 && idx) return ERRNO.EINVAL;
        a.tod = view(b).getBigUint64(8, false);
        // kvm_s390_set_tod_clock moves epdx only with facility 139.
        if (fac139) a.epochIdx = idx;
        return 0;
      }
      case BigInt(TOD.KVM_S390_VM_TOD_HIGH):
        // kvm_s390_set_tod_high: one byte, and only 0 is accepted; nothing is stored.
        if (buf.nullPtr) return ERRNO.EFAULT;
        return (buf.value & 0xffn) === 0n ? 0 : ERRNO.EINVAL;
      case BigInt(TOD.KVM_S390_VM_TOD_LOW):
        // kvm_s390_set_tod_low: the clock with epoch index 0.
        if (buf.nullPtr) return ERRNO.EFAULT;
        a.tod = BigInt.asUintN(64, buf.value);
        if (s390Facility(vm, 139)) a.epochIdx = 0;
        return 0;
      default:
        return ERRNO.ENXIO;
    }
  },
  get(_vm, vm, attr) {
    const a = s390Of(vm);
    switch (attr) {
      case BigInt(TOD.KVM_S390_VM_TOD_EXT): {
        // kvm_s390_get_tod_clock: the epoch index only with facility 139, else 0.
        const out = new Uint8Array(TOD_CLOCK_BYTES);
        out[0] = s390Facility(vm, 139) ? a.epochIdx : 0;
        view(out).setBigUint64(8, a.tod, false);
        return { errno: 0, data: out };
      }
      case BigInt(TOD.KVM_S390_VM_TOD_HIGH):
        // kvm_s390_get_tod_high: always 0, whatever EXT set.
        return ok(0n);
      case BigInt(TOD.KVM_S390_VM_TOD_LOW):
        return ok(a.tod);
      default:
        return fail(ERRNO.ENXIO);
    }
  },
  describe: describeIn(GRP.KVM_S390_VM_TOD),
  describeData: (attr, b) => (attr === BigInt(TOD.KVM_S390_VM_TOD_EXT) && b.length >= TOD_CLOCK_BYTES ? `epoch_idx ${b[0]} tod 0x${view(b).getBigUint64(8, false).toString(16)}` : undefined),
};

/** kvm_s390_vm_set_crypto; kvm_s390_vm_get_attr has no CRYPTO case (ENXIO). */
const crypto: AttrGroup<VmState> = {
  id: GRP.KVM_S390_VM_CRYPTO,
  name: 'KVM_S390_VM_CRYPTO',
  attrNames: () => new Map(Object.entries(CRYPTO)),
  payload: 0,
  // The key-wrapping four always; APIE with ap_instructions_available() (the model host has AP).
  has: (_vm, _s, attr) => (attr >= 0n && attr <= BigInt(CRYPTO.KVM_S390_VM_CRYPTO_DISABLE_APIE) ? 0 : ERRNO.ENXIO),
  set(_vm, vm, attr) {
    const a = s390Of(vm);
    const kw = (f: () => void): Errno => {
      // Key wrapping needs facility 76 (MSA3) in the guest's model.
      if (!s390Facility(vm, 76)) return ERRNO.EINVAL;
      f();
      return 0;
    };
    // Every success resets the vcpus' crypto setup (kvm_s390_vcpu_crypto_reset_all); no vcpu state is modelled.
    switch (attr) {
      case BigInt(CRYPTO.KVM_S390_VM_CRYPTO_ENABLE_AES_KW):
        return kw(() => (a.aesKw = true));
      case BigInt(CRYPTO.KVM_S390_VM_CRYPTO_ENABLE_DEA_KW):
        return kw(() => (a.deaKw = true));
      case BigInt(CRYPTO.KVM_S390_VM_CRYPTO_DISABLE_AES_KW):
        return kw(() => (a.aesKw = false));
      case BigInt(CRYPTO.KVM_S390_VM_CRYPTO_DISABLE_DEA_KW):
        return kw(() => (a.deaKw = false));
      case BigInt(CRYPTO.KVM_S390_VM_CRYPTO_ENABLE_APIE):
        a.apie = true;
        return 0;
      case BigInt(CRYPTO.KVM_S390_VM_CRYPTO_DISABLE_APIE):
        a.apie = false;
        return 0;
      default:
        return ERRNO.ENXIO;
    }
  },
  describe: describeIn(GRP.KVM_S390_VM_CRYPTO),
};

/** kvm_s390_set_cpu_model / kvm_s390_get_cpu_model. */
const cpuModel: AttrGroup<VmState> = {
  id: GRP.KVM_S390_VM_CPU_MODEL,
  name: 'KVM_S390_VM_CPU_MODEL',
  attrNames: () => new Map(Object.entries(CPU)),
  payload: 'struct',
  has: (_vm, _s, attr) => (attr >= 0n && attr <= BigInt(CPU.KVM_S390_VM_CPU_MACHINE_SUBFUNC) ? 0 : ERRNO.ENXIO),
  set(_vm, vm, attr, buf) {
    const a = s390Of(vm);
    switch (attr) {
      case BigInt(CPU.KVM_S390_VM_CPU_PROCESSOR): {
        // kvm_s390_set_processor: EBUSY once vcpus exist, then EFAULT.
        if (vcpusCreated(vm)) return ERRNO.EBUSY;
        const b = copyIn(buf, CPU_PROCESSOR_BYTES);
        if (!b) return ERRNO.EFAULT;
        const d = view(b);
        a.cpuid = d.getBigUint64(0, false);
        // The IBC is clamped into the machine's [lowest, unblocked] range; 0 (or no IBC on the machine) keeps the old one.
        const procIbc = d.getUint16(8, false);
        const lowest = (SCLP_IBC >>> 16) & 0xfff;
        const unblocked = SCLP_IBC & 0xfff;
        if (lowest && procIbc) a.ibc = procIbc > unblocked ? unblocked : procIbc < lowest ? lowest : procIbc;
        // The facility list is taken as given (not masked with fac_mask: test_kvm_facility checks both).
        a.facList = b.slice(16, 16 + FAC_LIST_BYTES);
        return 0;
      }
      case BigInt(CPU.KVM_S390_VM_CPU_PROCESSOR_FEAT): {
        // kvm_s390_set_processor_feat: EFAULT, EINVAL unless a subset of the machine's, then EBUSY.
        const b = copyIn(buf, CPU_FEAT_BYTES);
        if (!b) return ERRNO.EFAULT;
        for (let i = 0; i < CPU_FEAT_BYTES; i++) if (b[i]! & ~HOST_CPU_FEAT[i]!) return ERRNO.EINVAL;
        if (vcpusCreated(vm)) return ERRNO.EBUSY;
        a.cpuFeat = b.slice();
        return 0;
      }
      case BigInt(CPU.KVM_S390_VM_CPU_PROCESSOR_SUBFUNC): {
        // kvm_s390_set_processor_subfunc: EBUSY, then EFAULT; not checked against the machine's.
        if (vcpusCreated(vm)) return ERRNO.EBUSY;
        const b = copyIn(buf, SUBFUNC_BYTES);
        if (!b) return ERRNO.EFAULT;
        a.subfuncs = b.slice();
        return 0;
      }
      default:
        // MACHINE, MACHINE_FEAT, MACHINE_SUBFUNC are read-only: no SET case, ENXIO.
        return ERRNO.ENXIO;
    }
  },
  get(_vm, vm, attr) {
    const a = s390Of(vm);
    switch (attr) {
      case BigInt(CPU.KVM_S390_VM_CPU_PROCESSOR): {
        const out = new Uint8Array(CPU_PROCESSOR_BYTES);
        const d = view(out);
        d.setBigUint64(0, a.cpuid, false);
        d.setUint16(8, a.ibc, false);
        out.set(a.facList, 16);
        return { errno: 0, data: out };
      }
      case BigInt(CPU.KVM_S390_VM_CPU_MACHINE): {
        // kvm_s390_get_machine: the host's cpuid, sclp.ibc, the VM's fac_mask and the host's STFLE.
        const out = new Uint8Array(CPU_MACHINE_BYTES);
        const d = view(out);
        d.setBigUint64(0, HOST_CPUID, false);
        d.setUint32(8, SCLP_IBC, false);
        out.set(HOST_FAC_MASK, 16);
        out.set(HOST_STFLE, 16 + FAC_LIST_BYTES);
        return { errno: 0, data: out };
      }
      case BigInt(CPU.KVM_S390_VM_CPU_PROCESSOR_FEAT):
        return { errno: 0, data: a.cpuFeat.slice() };
      case BigInt(CPU.KVM_S390_VM_CPU_MACHINE_FEAT):
        return { errno: 0, data: HOST_CPU_FEAT.slice() };
      case BigInt(CPU.KVM_S390_VM_CPU_PROCESSOR_SUBFUNC):
        return { errno: 0, data: a.subfuncs.slice() };
      case BigInt(CPU.KVM_S390_VM_CPU_MACHINE_SUBFUNC):
        return { errno: 0, data: HOST_SUBFUNC.slice() };
      default:
        return fail(ERRNO.ENXIO);
    }
  },
  describe: describeIn(GRP.KVM_S390_VM_CPU_MODEL),
  describeData(attr, b) {
    const d = view(b);
    if ((attr === BigInt(CPU.KVM_S390_VM_CPU_PROCESSOR) || attr === BigInt(CPU.KVM_S390_VM_CPU_MACHINE)) && b.length >= 16) {
      const machine = attr === BigInt(CPU.KVM_S390_VM_CPU_MACHINE);
      const list = b.subarray(machine ? 16 + FAC_LIST_BYTES : 16, (machine ? 16 + FAC_LIST_BYTES : 16) + FAC_LIST_BYTES);
      const facs: number[] = [];
      for (let n = 0; n < list.length * 8; n++) if (list[n >> 3]! & (0x80 >> (n & 7))) facs.push(n);
      return `cpuid 0x${d.getBigUint64(0, false).toString(16)} ibc 0x${(machine ? d.getUint32(8, false) : d.getUint16(8, false)).toString(16)} facilities ${facs.length > 24 ? `${facs.slice(0, 24).join(',')},... (${facs.length})` : facs.join(',')}`;
    }
    return undefined;
  },
};

/** kvm_s390_vm_set_migration / kvm_s390_vm_get_migration. */
const migration: AttrGroup<VmState> = {
  id: GRP.KVM_S390_VM_MIGRATION,
  name: 'KVM_S390_VM_MIGRATION',
  attrNames: () => new Map(Object.entries(MIG)),
  payload: 8,
  // kvm_s390_vm_has_attr answers 0 for the group whatever the attribute.
  has: () => 0,
  set(_vm, vm, attr) {
    const a = s390Of(vm);
    switch (attr) {
      case BigInt(MIG.KVM_S390_VM_MIGRATION_START):
        // kvm_s390_vm_start_migration: a VM with memory slots (devrr's VMs have guest RAM, with dirty
        // logging as a migrating VMM sets it up); starting twice is 0.
        a.migrationMode = true;
        return 0;
      case BigInt(MIG.KVM_S390_VM_MIGRATION_STOP):
        a.migrationMode = false;
        return 0;
      default:
        return ERRNO.ENXIO;
    }
  },
  get(_vm, vm, attr) {
    if (attr !== BigInt(MIG.KVM_S390_VM_MIGRATION_STATUS)) return fail(ERRNO.ENXIO);
    return ok(s390Of(vm).migrationMode ? 1n : 0n);
  },
  describe: describeIn(GRP.KVM_S390_VM_MIGRATION),
  describeValue: (attr, v) => (attr === BigInt(MIG.KVM_S390_VM_MIGRATION_STATUS) ? (v ? 'migration mode on' : 'migration mode off') : undefined),
};

/** The VM fd's groups, in the order of kvm_s390_vm_set_attr's switch. */
export const S390_VM_GROUPS: readonly AttrGroup<VmState>[] = [memCtrl, tod, cpuModel, crypto, migration];
