/**
 * The ITS's state (struct vgic_its, vgic-its.c) as plain data: its
 * registers, and the device, ITE and collection lists the commands build.
 * Lists keep the kernel's list order (insertion order; SAVE_TABLES sorts
 * devices and ITEs by ID, collections are saved in list order).
 *
 * Plain data only; changing this layout requires bumping the model version
 * of KVM_DEV_TYPE_ARM_VGIC_ITS.
 */
import { type Infer, S, type Schema, U32, U64, sameType } from '../../core/state.js';
import type { VmState } from '../../core/vm-state.js';
import { DEV_TYPE, VGIC, VGIC_ADDR_UNDEF } from '../../core/uapi.js';

/** COLLECTION_NOT_MAPPED: a collection allocated by MAPTI before any MAPC. */
export const COLLECTION_NOT_MAPPED = 0xffffffff;

/** struct its_ite: an event of a device, mapped to an LPI and a collection. */
export interface ItsIte {
  eventId: number;
  /** The LPI (ite->irq->intid). */
  intid: number;
  /** Collection ID, or -1 once the collection was unmapped (ite->collection = NULL). */
  collection: number;
}

/** struct its_device. */
export interface ItsDevice {
  id: number;
  ittAddr: number;
  /** num_eventid_bits (MAPD Size + 1). */
  eventBits: number;
  ites: ItsIte[];
}

/** struct its_collection: target_addr is a vcpu id (GITS_TYPER.PTA = 0). */
export interface ItsCollection {
  id: number;
  target: number;
}

export interface ItsState {
  /** vgic_its_base (VGIC_ADDR_UNDEF until KVM_VGIC_ITS_ADDR_TYPE is set). */
  base: bigint;
  /** GITS_CTLR.Enabled. */
  enabled: boolean;
  cbaser: bigint;
  creadr: number;
  cwriter: number;
  /** GITS_BASER0 (device table) and GITS_BASER1 (collection table). */
  baserDevice: bigint;
  baserColl: bigint;
  /** The table ABI revision (GITS_IIDR.Revision); only 0 exists. */
  abiRev: number;
  devices: ItsDevice[];
  collections: ItsCollection[];
}

/** GITS_BASER fields. */
export const GITS_BASER = {
  VALID: 1n << 63n,
  INDIRECT: 1n << 62n,
  TYPE_SHIFT: 56n,
  ENTRY_SIZE_SHIFT: 48n,
  TYPE_DEVICE: 1n,
  TYPE_COLLECTION: 4n,
} as const;

/** INITIAL_BASER_VALUE: inner RaWb, outer SameAsInner, inner shareable, 64K pages. */
const INITIAL_BASER = (3n << 59n) | (1n << 10n) | (2n << 8n);

/** ABI 0: every table entry is 8 bytes. */
export const ITS_ESZ = 8;

export function newItsState(): ItsState {
  const esz = BigInt(ITS_ESZ - 1) << GITS_BASER.ENTRY_SIZE_SHIFT;
  return {
    base: VGIC_ADDR_UNDEF,
    enabled: false,
    cbaser: 0n,
    creadr: 0,
    cwriter: 0,
    baserDevice: INITIAL_BASER | (GITS_BASER.TYPE_DEVICE << GITS_BASER.TYPE_SHIFT) | esz,
    baserColl: INITIAL_BASER | (GITS_BASER.TYPE_COLLECTION << GITS_BASER.TYPE_SHIFT) | esz,
    abiRev: 0,
    devices: [],
    collections: [],
  };
}

/** GITS_BASER_NR_PAGES: Size + 1 pages of 64 KiB. */
export function baserTableSize(baser: bigint): number {
  return (Number(baser & 0xffn) + 1) * 0x10000;
}

/** GITS_BASER_ADDR_48_to_52 for 64K pages: bits 47:16, with PA 51:48 in bits 15:12. */
export function baserAddress(baser: bigint): number {
  return Number((baser & 0x0000ffffffff0000n) | (((baser >> 12n) & 0xfn) << 48n));
}

/** GITS_CBASER address (bits 51:12) and command queue size ((Size + 1) * 4 KiB). */
export function cbaserAddress(cbaser: bigint): number {
  return Number(cbaser & 0x000ffffffffff000n);
}

export function cmdQueueSize(cbaser: bigint): number {
  return (Number(cbaser & 0xffn) + 1) << 12;
}

// ---------------------------------------------------------------------------
// Schema (a checkpoint's state is checked against it before a restore)

/** Device, event and collection IDs are 16 bits (VITS_TYPER_DEVBITS, VITS_TYPER_IDBITS, 16-bit ICIDs). */
const ID = S.int(0, 0xffff);

const iteSchema = S.obj({ eventId: ID, intid: S.int(VGIC.MIN_LPI, 0xffffffff), collection: S.int(-1, 0xffff) });
const itsDeviceSchema = S.obj({ id: ID, ittAddr: S.int(0, Number.MAX_SAFE_INTEGER), eventBits: S.int(1, 16), ites: S.list(iteSchema, 1 << 16) });
const collectionSchema = S.obj({ id: ID, target: U32 });
const itsFields = S.obj({
  base: U64,
  enabled: S.bool,
  cbaser: U64,
  creadr: U32,
  cwriter: U32,
  baserDevice: U64,
  baserColl: U64,
  abiRev: S.int(0, 0xff),
  devices: S.list(itsDeviceSchema, 1 << 16),
  collections: S.list(collectionSchema, 1 << 16),
});

/** Compile-time: the schemas describe ItsState and its lists. */
export const ITS_SCHEMA_MATCHES: true = sameType<Infer<typeof itsFields>, ItsState>();

/**
 * The state of an ITS in `vm`: IDs unique in each list, each ITE's event ID
 * within its device's event bits. ITEs exist only while the VM's irqchip is
 * a VGIC v3 (MAPTI and the table restore need its LPIs); the VGIC v3's
 * schema checks that each maps an LPI it holds.
 */
export function itsSchema(vm: VmState): Schema<ItsState> {
  const ic = vm.irqchip >= 0 ? vm.devices[vm.irqchip] : undefined;
  const hasLpis = ic?.type === DEV_TYPE.KVM_DEV_TYPE_ARM_VGIC_V3;
  return S.where(itsFields, (s, p) => {
    const unique = (ids: number[], what: string): string | undefined => (new Set(ids).size === ids.length ? undefined : `${p}: two ${what} have the same ID`);
    const bad = unique(s.devices.map((d) => d.id), 'devices') ?? unique(s.collections.map((c) => c.id), 'collections');
    if (bad !== undefined) return bad;
    for (const [i, d] of s.devices.entries()) {
      if (d.ites.length && !hasLpis) return `${p}.devices[${i}] has ITEs, but the VM has no VGIC v3 to hold their LPIs`;
      const events = d.ites.map((e) => e.eventId);
      if (events.some((e) => e >= 2 ** d.eventBits)) return `${p}.devices[${i}] has an ITE beyond its ${d.eventBits} event bits`;
      const dup = unique(events, `ITEs of devices[${i}]`);
      if (dup !== undefined) return dup;
    }
    return undefined;
  });
}
