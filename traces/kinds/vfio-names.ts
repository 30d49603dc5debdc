/**
 * Names the file and VFIO event kinds share: file kinds and device
 * profiles as the numbers events store, VFIO region and irq index names, a
 * raise's outcomes, and the `fd` field every one of them takes (a number,
 * or the `$NAME` an earlier open_file's save_as kept).
 */
import { FILE_KINDS, type FileKind } from '../../devices/core/files.js';
import { errnoName } from '../../devices/core/uapi.js';
import { PROFILE_NAMES } from '../../devices/vfio/pci/profiles.js';
import type { RaiseOutcome } from '../../devices/vfio/pci/device.js';
import type { StepFields, StepValue } from '../kinds.js';

export { FILE_KINDS, PROFILE_NAMES };
export type { FileKind };

/** VFIO_PCI_*_REGION_INDEX by the name a scenario gives. */
export const REGION_NAMES = ['bar0', 'bar1', 'bar2', 'bar3', 'bar4', 'bar5', 'rom', 'config', 'vga'] as const;
/** VFIO_PCI_*_IRQ_INDEX by the name a scenario gives. */
export const IRQ_INDEX_NAMES = ['intx', 'msi', 'msix', 'err', 'req'] as const;
export const OUTCOMES: readonly RaiseOutcome[] = ['signalled', 'masked', 'not-enabled', 'no-trigger', 'bus-master-off', 'lowered', 'unchanged'];


export const regionName = (i: number) => REGION_NAMES[i] ?? `region ${i}`;
export const irqName = (i: number) => IRQ_INDEX_NAMES[i] ?? `irq index ${i}`;
export const hex = (v: bigint | number) => `0x${v.toString(16)}`;
export const err = (e: unknown) => (typeof e === 'number' && e ? ` -> ${errnoName(e)}` : '');

/** The `fd` field: a number or "$NAME". */
export function fdField(p: StepFields, f = 'fd'): StepValue {
  return p.value(f);
}

/** An fd as the kernel reads an int: the low 32 bits, signed. */
export function fdOf(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}
