/**
 * VGIC state that no migration carries on v2 or v3, because the destination
 * makes it itself at its vcpus' first KVM_RUN. Each version's migration.ts
 * lists these beside its own.
 */
import type { NotCarried } from '../core/device.js';

export const FIRST_RUN_NOT_CARRIED: readonly NotCarried[] = [
  {
    fields: ['gic.ready'],
    what: 'whether the VGIC frames are mapped (kvm_vgic_map_resources has run)',
    why: 'the destination maps them at its own first KVM_RUN',
  },
  {
    fields: ['gic.cpu[*].irq[*].owned'],
    what: 'whether the arch timer owns a PPI',
    why: "the timer takes its PPIs at the destination vcpu's first KVM_RUN (kvm_timer_enable)",
  },
];
