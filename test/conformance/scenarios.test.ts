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
  'xics-set-source-creates-ics-first': 'xics_set_source (book3s_xics.c): kvmppc_xics_create_ics runs before get_user and the server check, so ics_eoi then finds the ICS',
  'xics-get-source-u32-number': 'xics_get_source -> kvmppc_xics_find_ics (book3s_xics.c/.h): the source number is a u32; xics_has_attr and xics_set_source check the whole attr',
  'xics-h-cppr-64bit-compare': 'kvmppc_h_cppr (book3s_xics.c): CPPR compared as 64 bits, stored as 8; Down_CPPR then the Up_CPPR path',
  'xics-msi-queued-at-eoi': 'ics_deliver_irq / ics_eoi (book3s_xics.c): an MSI while P is set sets Q; the EOI moves Q into P and presents it again',
  'xics-connect-vcpu-errors': 'kvm_vcpu_ioctl_enable_cap KVM_CAP_IRQ_XICS (powerpc.c) -> kvmppc_xics_connect_vcpu / kvmppc_xics_create_icp (book3s_xics.c): EBADF, EINVAL, EBUSY, EEXIST, the u32 server number',
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
