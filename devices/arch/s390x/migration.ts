/**
 * How a VMM carries the s390 VM state through the VM fd, as QEMU does for
 * s390x (target/s390x/kvm: the CPU model is applied before any vcpu, the TOD
 * travels with the machine and is set on the destination; its code is not
 * used here): read PROCESSOR, PROCESSOR_FEAT, PROCESSOR_SUBFUNC and TOD_EXT
 * on the source; write the CPU model first (kvm_s390_set_processor and
 * friends answer EBUSY once vcpus exist), then the TOD (its epoch index
 * needs facility 139 in that model).
 */
import type { NotCarried, SavedAttr, SavedValue } from '../../core/device.js';
import type { VmState } from '../../core/vm-state.js';
import { S390_VM_CPU as CPU, S390_VM_GRP as GRP, S390_VM_TOD as TOD } from './names.js';

type Saved = SavedAttr & SavedValue;

const CPU_ATTRS = [
  { attr: CPU.KVM_S390_VM_CPU_PROCESSOR, name: 'CPU model (PROCESSOR)' },
  { attr: CPU.KVM_S390_VM_CPU_PROCESSOR_FEAT, name: 'CPU features (PROCESSOR_FEAT)' },
  { attr: CPU.KVM_S390_VM_CPU_PROCESSOR_SUBFUNC, name: 'CPU subfunctions (PROCESSOR_SUBFUNC)' },
];

function saveList(_vm: VmState): SavedAttr[] {
  return [
    ...CPU_ATTRS.map((c) => ({ group: GRP.KVM_S390_VM_CPU_MODEL, attr: BigInt(c.attr), name: c.name })),
    { group: GRP.KVM_S390_VM_TOD, attr: BigInt(TOD.KVM_S390_VM_TOD_EXT), name: 'TOD clock (TOD_EXT)' },
  ];
}

function restore(saved: readonly Saved[]): (Saved & { why: string })[] {
  const out: (Saved & { why: string })[] = [];
  for (const c of CPU_ATTRS) for (const x of saved.filter((s) => s.name === c.name)) out.push({ ...x, why: 'the CPU model before any vcpu exists (EBUSY after)' });
  for (const x of saved.filter((s) => s.group === GRP.KVM_S390_VM_TOD)) out.push({ ...x, why: 'the guest TOD after the model: its epoch index needs facility 139 there' });
  return out;
}

const notCarried: readonly NotCarried[] = [
  { fields: ['s390.cmma'], what: 'whether CMMA is enabled (KVM_S390_VM_MEM_ENABLE_CMMA)', why: 'no attribute reads it: the VMM enables CMMA on the destination from its own configuration (the page states travel as storage attributes)' },
  { fields: ['s390.gmap_limit'], what: 'the guest address limit LIMIT_SIZE set', why: 'LIMIT_SIZE GET returns kvm->arch.mem_limit, not the gmap: the VMM sets the limit from its configuration' },
  { fields: ['s390.crypto.aes_kw', 's390.crypto.dea_kw', 's390.crypto.apie'], what: 'key wrapping and AP interpretation', why: 'CRYPTO has no GET: the VMM sets them from its configuration (the wrapping keys are new random bytes on every host)' },
  { fields: ['s390.migration_mode'], what: 'migration mode (KVM_S390_VM_MIGRATION)', why: 'the source is in migration mode while it is being migrated; the destination is not' },
];

export const s390Migration = { saveList, restore, notCarried };
