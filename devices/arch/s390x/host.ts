/**
 * The s390 host devrr's models stand for: what the machine offers, fixed
 * values where the kernel reads the real machine (sclp, STFLE, STIDP, the
 * CPU-feature and subfunction queries). A guest sees these only through the
 * CPU_MODEL attributes (MACHINE, MACHINE_FEAT, MACHINE_SUBFUNC) and the
 * facilities they enable; nothing here changes at run time.
 *
 * The model host: a z15-class machine (type 0x8561) with CMMA
 * (sclp.has_cmma), AP instructions, facilities 72 (AIS), 76 (MSA3, key
 * wrapping) and 139 (multiple epoch), no 1 MiB huge-page backing, and no
 * adapter-interruption virtualization (no GISA: adapter interrupts queue on
 * the FLIC's I/O lists, kvm_s390_gisa_init returns early without
 * css_general_characteristics.aiv).
 */

/** S390_ARCH_FAC_LIST_SIZE_BYTE: the facility list and mask are 2 KiB bit strings. */
export const FAC_LIST_BYTES = 2048;
/** sizeof(struct kvm_s390_vm_cpu_feat): u64 feat[16]. */
export const CPU_FEAT_BYTES = 128;
/** sizeof(struct kvm_s390_vm_cpu_subfunc). */
export const SUBFUNC_BYTES = 2048;

/** STIDP as get_cpu_id stores it: version 0x00, ident 0x012345, machine type 0x8561, format 0x8000. */
export const HOST_CPUID = 0x0001234585618000n;
/** kvm_s390_get_initial_cpuid: the host's cpuid with version 0xff. */
export const INITIAL_GUEST_CPUID = 0xff01234585618000n;
/** sclp.ibc: lowest IBC level (bits 27:16) 0x090, unblocked level (bits 11:0) 0x161. */
export const SCLP_IBC = 0x00900161;

/** Facility numbers the host's STFLE lists (the ones the models consult, and a few every guest has). */
const HOST_FACILITIES = [0, 1, 2, 3, 4, 7, 17, 18, 21, 22, 25, 27, 32, 33, 34, 35, 40, 45, 49, 50, 51, 52, 57, 72, 73, 76, 77, 129, 130, 131, 133, 134, 135, 139, 146, 148, 151, 152, 155];

/** A facility bit string with these bits set (bit 0 is the top bit of byte 0, as STFLE stores it). */
export function facilityBits(nrs: readonly number[], bytes = FAC_LIST_BYTES): Uint8Array {
  const out = new Uint8Array(bytes);
  for (const n of nrs) out[n >> 3]! |= 0x80 >> (n & 7);
  return out;
}

/** test_facility on a bit string. */
export function hasFacility(bits: Uint8Array, nr: number): boolean {
  return nr >= 0 && nr >> 3 < bits.length && (bits[nr >> 3]! & (0x80 >> (nr & 7))) !== 0;
}

/** STFLE as KVM_S390_VM_CPU_MACHINE returns it (stfle_fac_list). */
export const HOST_STFLE = facilityBits(HOST_FACILITIES);
/**
 * kvm->arch.model.fac_mask (kvm_arch_init_vm): STFLE & (kvm_s390_fac_base |
 * kvm_s390_fac_ext), plus 138 (czam) and 74 (STHYI, emulated). The model
 * host's every facility is in KVM's base list, so the mask is STFLE + 74 + 138.
 */
export const HOST_FAC_MASK = facilityBits([...HOST_FACILITIES, 74, 138]);
/** kvm->arch.model.fac_list as a new VM gets it: STFLE & kvm_s390_fac_base, plus 138 and 74. */
export const INITIAL_FAC_LIST = facilityBits([...HOST_FACILITIES, 74, 138]);

/**
 * kvm_s390_available_cpu_feat: the CPU features the host offers
 * (KVM_S390_VM_CPU_FEAT_ESOP 0 .. KVM_S390_VM_CPU_FEAT_KSS 13 but IBS 8).
 */
export const HOST_CPU_FEAT = facilityBits([0, 1, 2, 3, 4, 5, 6, 7, 9, 10, 11, 12, 13], CPU_FEAT_BYTES);

/**
 * kvm_s390_available_subfunc: the query results of PLO, PTFF, KMAC, KMC, KM,
 * KIMD, KLMD, PCKMO, KMCTR, KMF, KMO, PCC, PPNO, KMA, KDSA, SORTL, DFLTCC
 * (32 + 14 * 16 + 3 * 32 bytes; the rest of the 2 KiB is reserved, zero).
 */
export const HOST_SUBFUNC: Uint8Array = (() => {
  const out = new Uint8Array(SUBFUNC_BYTES);
  // Each query block starts with the query function itself (bit 0) and a few functions the model host has.
  const starts = [0, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256, 288];
  starts.forEach((s, i) => {
    out[s] = 0xf0 | (i & 0x0f);
    out[s + 1] = 0x3c;
  });
  return out;
})();

/** The guest memory limit a VM gets (kvm_arch_init_vm: min(TASK_SIZE_MAX, sclp.hamax + 1)): the IPA space the scenario gives. */
export function initialMemLimit(ipaBits: number): bigint {
  return 1n << BigInt(ipaBits);
}

/** KVM_S390_NO_MEM_LIMIT (U64_MAX). */
export const KVM_S390_NO_MEM_LIMIT = 0xffffffffffffffffn;
