/**
 * How a VMM migrates an ITS through its attributes. Sources:
 * Documentation/virt/kvm/devices/arm-vgic-its.rst ("ITS Restore Sequence"),
 * reference section 3.4 (save and restore order), and the order QEMU's
 * hw/intc/arm_gicv3_its_kvm.c uses (its code is not used here).
 *
 * Save: the vcpus are stopped, ITS_SAVE_TABLES flushes the device,
 * collection and ITT tables to guest RAM, then the registers are read. The
 * device/ITE/collection lists cross in guest RAM, not in registers.
 */
import type { Migration, SavedAttr } from '../../core/device.js';
import { VGIC_ADDR_TYPE, VGIC_ADDR_UNDEF, VGIC_CTRL, VGIC_GRP } from '../../core/uapi.js';
import type { ItsState } from './state.js';

const G = VGIC_GRP;
type Saved = SavedAttr & { value: bigint };

const REGS = [
  { name: 'GITS_IIDR', off: 0x4 },
  { name: 'GITS_BASER0', off: 0x100 },
  { name: 'GITS_BASER1', off: 0x108 },
  { name: 'GITS_CBASER', off: 0x80 },
  { name: 'GITS_CREADR', off: 0x90 },
  { name: 'GITS_CWRITER', off: 0x88 },
  { name: 'GITS_CTLR', off: 0x0 },
] as const;

function saveList(_vm: unknown, s: ItsState): SavedAttr[] {
  // Without a base the registers are not reachable (ENXIO): the VMM never placed this ITS.
  if (s.base === VGIC_ADDR_UNDEF) return [];
  return [
    { group: G.KVM_DEV_ARM_VGIC_GRP_ADDR, attr: BigInt(VGIC_ADDR_TYPE.KVM_VGIC_ITS_ADDR_TYPE), name: 'ITS base' },
    ...REGS.map((r) => ({ group: G.KVM_DEV_ARM_VGIC_GRP_ITS_REGS, attr: BigInt(r.off), name: r.name })),
  ];
}

/**
 * The restore sequence (the VGIC v3 and its redistributors are restored
 * first, and guest RAM holds the tables):
 * 1. The ITS base.
 * 2. GITS_IIDR: the table ABI revision (it resets the BASERs' entry sizes).
 * 3. GITS_BASER<n>: where the device and collection tables are.
 * 4. GITS_CBASER, which empties the queue (CREADR = CWRITER = 0), then
 *    GITS_CREADR and GITS_CWRITER (the ITS is still disabled: no command runs).
 * 5. ITS_RESTORE_TABLES: the collections, devices and ITEs from guest RAM
 *    (the LPIs are re-created and take their pending bits from the pending tables).
 * 6. GITS_CTLR last: enabling it runs the commands still queued.
 */
function restore(saved: readonly Saved[]): { writes: (Saved & { why: string })[]; redrive: number[] } {
  const get = (name: string) => saved.filter((x) => x.name === name);
  const out: (Saved & { why: string })[] = [];
  const push = (x: Saved, why: string) => out.push({ ...x, why });
  for (const x of get('ITS base')) push(x, 'the ITS frame first');
  for (const x of get('GITS_IIDR')) push(x, 'table ABI revision before the tables');
  for (const x of [...get('GITS_BASER0'), ...get('GITS_BASER1')]) push(x, 'table bases before RESTORE_TABLES');
  // A zero CBASER is the fresh ITS's value; writing it would store the sanitised (non-zero) cacheability fields.
  for (const x of get('GITS_CBASER')) if (x.value) push(x, 'command queue base (resets CREADR/CWRITER): before them');
  for (const x of get('GITS_CREADR')) push(x, 'queue read offset (userspace only, ITS disabled)');
  for (const x of get('GITS_CWRITER')) push(x, 'queue write offset (ITS disabled: nothing runs)');
  if (saved.length)
    push({ group: G.KVM_DEV_ARM_VGIC_GRP_CTRL, attr: BigInt(VGIC_CTRL.KVM_DEV_ARM_ITS_RESTORE_TABLES), name: 'ITS_RESTORE_TABLES', value: 0n }, 'devices, ITEs and collections from guest RAM, before enabling');
  for (const x of get('GITS_CTLR')) push(x, 'enable last');
  return { writes: out, redrive: [] };
}

export const itsMigration: Migration<ItsState> = {
  saveActions: [{ group: G.KVM_DEV_ARM_VGIC_GRP_CTRL, attr: BigInt(VGIC_CTRL.KVM_DEV_ARM_ITS_SAVE_TABLES), name: 'ITS_SAVE_TABLES' }],
  saveList,
  restore,
  notCarried: [],
};
