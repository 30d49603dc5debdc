/**
 * The VM's table of open files that are neither the VM, its vcpus nor its
 * devices: what a VMM opens beside /dev/kvm and passes to KVM by number.
 * KVM-VFIO's FILE_ADD takes a VFIO group or device fd; VFIO_DEVICE_SET_IRQS
 * takes eventfds; KVM_IRQFD ties an eventfd to an interrupt route. Kinds:
 *
 * - `plain`: any other file (/dev/null): a valid fd that is not VFIO's and
 *   not an eventfd;
 * - `eventfd`: a counter (eventfd_signal adds 1) with, once KVM_IRQFD
 *   assigned it, the MSI it injects (an MSI route of the GSI routing table);
 * - `vfio_group`: /dev/vfio/N;
 * - `vfio_device`: a VFIO-PCI device fd (devices/vfio/pci/), with its state.
 *
 * Plain data in the VmState (`files`), absent until a file is opened, so
 * states without files digest as before. An fd is FILE_FD_BASE + its slot;
 * slots are never reused (a closed fd stays closed: the model never hands
 * out the same number twice, where a kernel reuses the lowest free one).
 */
import { type Infer, S, type Schema, sameType } from './state.js';
import { MAX_FILES, vfioPciSchema, type VfioPciState } from '../vfio/pci/state.js';
import { pciView } from '../vfio/pci/view.js';

export { MAX_FILES };

/** The first fd number of the file table (below it: the VMM's own, /dev/kvm, VMs, vcpus, devices). */
export const FILE_FD_BASE = 100;

/** KVM_IRQFD's route for an eventfd: the MSI its GSI routes to (kvm_set_msi). */
export interface IrqfdRoute {
  readonly address: bigint;
  readonly data: number;
  /** KVM_MSI_VALID_DEVID when `devid` is valid (an ITS needs it), else 0. */
  readonly flags: number;
  readonly devid: number;
}

export type OpenFile =
  | { readonly kind: 'plain'; open: boolean }
  | { readonly kind: 'eventfd'; open: boolean; count: number; route?: IrqfdRoute }
  | { readonly kind: 'vfio_group'; open: boolean; readonly group: number; readonly coherent: boolean; kvm: boolean }
  | { readonly kind: 'vfio_device'; open: boolean; readonly coherent: boolean; kvm: boolean; pci: VfioPciState };

export type FileKind = OpenFile['kind'];
export const FILE_KINDS: readonly FileKind[] = ['plain', 'eventfd', 'vfio_group', 'vfio_device'];

const routeSchema = S.obj({ address: S.big(0n, 0xffffffffffffffffn), data: S.int(0, 0xffffffff), flags: S.oneOf([0, 1]), devid: S.int(0, 0xffffffff) });
const VARIANTS = {
  plain: S.obj({ kind: S.oneOf(['plain'] as const), open: S.bool }),
  eventfd: S.obj({ kind: S.oneOf(['eventfd'] as const), open: S.bool, count: S.int(0, Number.MAX_SAFE_INTEGER), route: S.optional(routeSchema) }),
  vfio_group: S.obj({ kind: S.oneOf(['vfio_group'] as const), open: S.bool, group: S.int(0, 0xffff), coherent: S.bool, kvm: S.bool }),
  vfio_device: S.obj({ kind: S.oneOf(['vfio_device'] as const), open: S.bool, coherent: S.bool, kvm: S.bool, pci: vfioPciSchema }),
};
export const FILES_MATCH: true = sameType<
  Infer<(typeof VARIANTS)['plain']> | Infer<(typeof VARIANTS)['eventfd']> | Infer<(typeof VARIANTS)['vfio_group']> | Infer<(typeof VARIANTS)['vfio_device']>,
  OpenFile
>();

/** One slot of the file table: checked by its kind's schema. */
export const openFileSchema: Schema<OpenFile> = {
  check(v, p) {
    const kind = typeof v === 'object' && v !== null ? (v as { kind?: unknown }).kind : undefined;
    const s = typeof kind === 'string' && Object.prototype.hasOwnProperty.call(VARIANTS, kind) ? VARIANTS[kind as FileKind] : undefined;
    if (!s) return `${p}.kind is not one of ${FILE_KINDS.join(', ')}`;
    return s.check(v, p);
  },
};

/** The file table's schema (at most MAX_FILES slots), and that every file an eventfd reference names is an eventfd. */
export const filesSchema = S.where(S.list(openFileSchema, MAX_FILES), (files, p) => {
  for (const [i, f] of files.entries()) {
    if (f.kind !== 'vfio_device') continue;
    const refs = [...f.pci.triggers, f.pci.intxUnmask, f.pci.errTrigger, f.pci.reqTrigger];
    for (const r of refs) if (r >= 0 && files[r]?.kind !== 'eventfd') return `${p}[${i}].pci names file ${r} as an eventfd, which it is not`;
  }
  return undefined;
});

/** fdget: the slot of an open fd in the table, or -1 (EBADF). */
export function slotOfFd(files: readonly OpenFile[] | undefined, fd: number): number {
  const i = fd - FILE_FD_BASE;
  return files && Number.isInteger(i) && i >= 0 && i < files.length && files[i]!.open ? i : -1;
}

export function fdOfSlot(slot: number): number {
  return FILE_FD_BASE + slot;
}

/** vfio_file_is_valid: a VFIO group file or a VFIO device file. */
export function isVfioFile(f: OpenFile): f is Extract<OpenFile, { kind: 'vfio_group' | 'vfio_device' }> {
  return f.kind === 'vfio_group' || f.kind === 'vfio_device';
}

/**
 * The file table as views show it (vmView's `files`): each file by its fd,
 * with what it is; an eventfd's count and irqfd MSI; a VFIO file's VM; a
 * VFIO device's interrupt setup (vfio/pci/view.ts).
 */
export function filesView(files: readonly OpenFile[]): Record<string, unknown>[] {
  return files.map((f, slot) => {
    const base = { fd: fdOfSlot(slot), kind: f.kind, open: f.open };
    switch (f.kind) {
      case 'plain':
        return base;
      case 'eventfd':
        return { ...base, count: f.count, irqfd: f.route ? { address: f.route.address, data: f.route.data, flags: f.route.flags, devid: f.route.devid } : null };
      case 'vfio_group':
        return { ...base, group: f.group, coherent: f.coherent, kvm: f.kvm };
      case 'vfio_device':
        return { ...base, coherent: f.coherent, kvm: f.kvm, pci: pciView(f.pci, fdOfSlot) };
    }
  });
}
