/**
 * The reproducer scenarios of issue 8 (test/conformance/scenarios/), each
 * written from the kernel's code alone: `devrr record` must record every one
 * with every expectation met (exit 0, no missed step). Each names the kernel
 * function whose rule it reproduces.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { expect, test } from 'vitest';
import { devrr } from '../cli/run.js';
import { tempDir } from '../tmp.js';

const DIR = 'test/conformance/scenarios';
const out = tempDir();

/** Every scenario in the folder, with the kernel source of the rule it reproduces. */
const SOURCES: Record<string, string> = {
  'its-restore-collection-beyond-table': 'vgic_its_restore_cte (vgic-its.c): vgic_its_check_id failing is EINVAL',
  'its-restore-failure-leaves-nothing': 'vgic_its_restore_tables_v0 (vgic-its.c): a failed restore frees the device and collection lists',
  'its-mapti-itt-outside-ram': 'vgic_its_cmd_handle_mapi -> vgic_its_check_event_id (vgic-its.c): an ITT entry outside guest RAM is E_ITS_MAPTI_ID_OOR',
  'irq-line-spi-type-lpi': 'kvm_vm_ioctl_irq_line (arm.c) -> kvm_vgic_inject_irq -> vgic_get_irq (vgic.c): an SPI-type line reaches a mapped LPI',
  'grp-addr-get-redist-region-null': 'kvm_vgic_addr (vgic-kvm-device.c): a REDIST_REGION GET reads the user word before the type check',
  'vfio-pci-device-fd': 'vfio_pci_core_ioctl, vfio_set_irqs_validate_and_prepare (vfio_main.c), vfio_pci_set_irqs_ioctl (vfio_pci_intrs.c), vfio_pci_rw: the VFIO device fd of a model NIC',
  'kvm-vfio-probe': 'kvm_vfio_create, kvm_vfio_set_file, kvm_vfio_has_attr (virt/kvm/vfio.c): every KVM-VFIO answer of the x86-64 capture (device_api_probe.json)',
  'xics-set-source-creates-ics-first': 'xics_set_source (book3s_xics.c): kvmppc_xics_create_ics runs before get_user and the server check, so ics_eoi then finds the ICS',
  'xics-get-source-u32-number': 'xics_get_source -> kvmppc_xics_find_ics (book3s_xics.c/.h): the source number is a u32; xics_has_attr and xics_set_source check the whole attr',
  'xics-h-cppr-64bit-compare': 'kvmppc_h_cppr (book3s_xics.c): CPPR compared as 64 bits, stored as 8; Down_CPPR then the Up_CPPR path',
  'xics-msi-queued-at-eoi': 'ics_deliver_irq / ics_eoi (book3s_xics.c): an MSI while P is set sets Q; the EOI moves Q into P and presents it again',
  'xics-connect-vcpu-errors': 'kvm_vcpu_ioctl_enable_cap KVM_CAP_IRQ_XICS (powerpc.c) -> kvmppc_xics_connect_vcpu / kvmppc_xics_create_icp (book3s_xics.c): EBADF, EINVAL, EBUSY, EEXIST, the u32 server number',
  'flic-unknown-group-einval': 'flic_set_attr, flic_get_attr, flic_has_attr, flic_create (arch/s390/kvm/interrupt.c): EINVAL for an unknown group from SET and GET, ENXIO from HAS; one FLIC per VM',
  'flic-get-all-irqs-buffer': 'get_all_floating_irqs, enqueue_floating_irq, clear_io_irq (arch/s390/kvm/interrupt.c): the buffer-length rules, ENOMEM for a short buffer, PFAULT_INIT is not floating',
  'flic-ais-single-interruption': 'kvm_s390_inject_airq, modify_ais_mode, register_io_adapter (arch/s390/kvm/interrupt.c): single-interruption mode lets one adapter interrupt through',
  's390-vm-attrs-before-vcpus': 'kvm_s390_set_mem_control, kvm_s390_set_processor, kvm_s390_set_processor_feat, kvm_s390_set_cpu_model (arch/s390/kvm/kvm-s390.c): what is refused once vcpus exist, in the order of the checks',
  's390-vm-tod-and-unknowns': 'kvm_s390_vm_has_attr, kvm_s390_get_tod_high, kvm_s390_vm_get_attr (arch/s390/kvm/kvm-s390.c): HAS lists TOD LOW and HIGH only, CRYPTO has no GET, unknown groups are ENXIO',
  'mpic-irq-active-off-by-one': 'mpic_set_attr / mpic_get_attr / mpic_has_attr (mpic.c): attr > MAX_SRC lets 256 through',
  'mpic-idr-before-connect': 'write_IRQreg_idr (mpic.c): IDR keeps bits below nb_cpus only; openpic_gbl_read: FRR.NCPU is (nb_cpus - 1) as a u32',
  'mpic-timer-read-skew': 'openpic_tmr_read (mpic.c): decodes 0x10 bytes before openpic_tmr_write',
  'mpic-connect-vcpu-errnos': 'kvm_vcpu_ioctl_enable_cap (powerpc.c) -> kvmppc_mpic_connect_vcpu (mpic.c): EBADF, EPERM, EEXIST, EBUSY',
  'mpic-register-read-acknowledges': 'access_reg (mpic.c): a REGISTER read of IACK_CPU0 acknowledges (openpic_iack)',
  'x86-capture-irqchip': "kvm_vm_ioctl_get_irqchip, kvm_set_irq, kvm_cpu_get_interrupt (x86.c, irq.c, i8259.c, ioapic.c, lapic.c): the real capture's VM A, every GET_IRQCHIP its raw bytes",
};

test('the folder holds exactly the scenarios listed here', () => {
  const files = readdirSync(DIR).filter((n) => n.endsWith('.json')).map((n) => n.replace(/\.json$/, ''));
  expect(files.sort()).toEqual(Object.keys(SOURCES).sort());
});

test.each(Object.entries(SOURCES))('devrr record %s: every expectation met, exit 0 (%s)', async (name) => {
  const r = await devrr('record', join(DIR, `${name}.json`), '-o', join(out, `${name}.devrr`));
  // A missed expectation is a line "step N OP: expected X, got Y" and exit 1.
  expect(`${r.out}\n${r.err}`).not.toMatch(/expected .*, got /);
  expect(r.code).toBe(0);
});
