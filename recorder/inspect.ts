/**
 * The inspection seam: how the debugger reads a backend's state. Every
 * name dump prints, every frame and register, the state tree (diff,
 * watchpoints, the TUI), explain's conditions and migrate-check's save
 * lists come from here, computed from a plain-data SessionState: so a
 * backend that can give its state (Backend.state) can be inspected, and
 * replay/ and tui/ hold no device knowledge. The device models' inspector
 * (model-inspect.ts) reads it through a device registry: each family's
 * tables and hooks.
 */
import type { InterruptEffect, InterruptRange, IrqCondition, NotCarried, SavedAttr, SavedValue } from '../devices/core/device.js';
import type { PathStep } from '../devices/core/view.js';
import type { AttrEvent, AttrTarget, HcallEvent, MemWriteEvent, MmioEvent, SysregEvent, TraceEvent } from '../traces/events.js';
import type { SessionState } from './backend.js';

/** A state and the inspector that reads it: what decoding an event at one point of a trace needs. */
export interface Point {
  readonly inspector: Inspector;
  /** The state just before the event being decoded. */
  readonly state: SessionState;
}

/** The device register a guest access hits. */
export interface MmioTarget {
  readonly handle: number;
  /** The device's name (its anon inode name, "kvm-arm-vgic-v2"). */
  readonly device: string;
  /** The frame's name. */
  readonly frame: string;
  /** The register's spec name, or why the access is RAZ/WI. */
  readonly reg: string;
  /** The value's named bit fields ("InterruptID=0x20"), or ''. */
  readonly fields: string;
}

/** One device's migration through its attributes, as its family declares it. */
/** The VM fd's part of a migration: read on the source, written into the destination before its vcpus. */
export interface VmFdMigration {
  readonly saveList: readonly SavedAttr[];
  restore(saved: readonly (SavedAttr & SavedValue)[]): readonly (SavedAttr & SavedValue & { why: string })[];
  readonly notCarried: readonly NotCarried[];
}

export interface DeviceMigration {
  readonly handle: number;
  readonly typeName: string;
  /** SET_DEVICE_ATTR actions on the source before any save list is read. */
  readonly saveActions: readonly SavedAttr[];
  /** 'irqchip': the destination makes it with KVM_CREATE_IRQCHIP before the vcpus, not KVM_CREATE_DEVICE. */
  readonly create?: 'irqchip';
  /** KVM_ENABLE_CAP calls on the destination's vcpus (by id) after the device is created, before its restore writes; `args` follow the device fd. */
  readonly vcpuConnects: readonly { readonly vcpu: number; readonly cap: number; readonly args: readonly bigint[] }[];
  /** The attributes a VMM reads; undefined when the family declares no migration. */
  readonly saveList: readonly SavedAttr[] | undefined;
  /** What the VMM's own device models hold and write again on the destination (no GET reads it: the FLIC's adapters). */
  readonly vmmConfig: readonly (SavedAttr & SavedValue)[];
  /** The writes into a fresh device and the lines to re-drive (with a save list only). */
  restore(saved: readonly (SavedAttr & SavedValue)[], lines: ReadonlyMap<number, number>): { writes: readonly (SavedAttr & SavedValue & { why: string })[]; redrive: readonly number[] };
  /** State its ABI does not carry by design. */
  readonly notCarried: readonly NotCarried[];
  /** Guest RAM the device owns (reads there are not compared after a migration). */
  readonly ownedMemory?: { readonly why: string; readonly ranges: readonly { readonly addr: number; readonly len: number }[] };
}

export interface Inspector {
  /** The uapi name of a device type (KVM_DEV_TYPE_ARM_VGIC_V2), if known. */
  typeName(type: number): string | undefined;
  /** The name of the device at a handle of VM `vm` (its anon inode name), if there is one. */
  deviceName(state: SessionState, vm: number, handle: number): string | undefined;
  /** The name of an attribute group of the device at a handle, by that device's own table. */
  groupName(state: SessionState, vm: number, handle: number, group: number): string | undefined;
  /**
   * Group and attribute names of an attribute call, by the table of the fd
   * it addresses (its device's family, or the arch's VM or vcpu fd): a
   * group that table does not name is "group N". Undefined when the fd is
   * no device (a handle whose create failed).
   */
  attrNames(state: SessionState, ev: AttrEvent): { readonly group: string; readonly attr: string } | undefined;
  /** The device's decoding of an attribute payload (a register's bit fields), or ''. */
  attrValue(state: SessionState, ev: AttrEvent, value: bigint): string;
  /** The device's decoding of a struct payload (the FLIC's interrupt records, an s390 CPU model), or ''. */
  attrData?(state: SessionState, ev: AttrEvent, data: Uint8Array): string;
  /** The payload width the fd's group declares, in bytes; 8 when unknown. */
  payloadWidth(state: SessionState, vm: number, target: AttrTarget, group: number): number;
  /** The register a guest access hits (as the access finds the VM: a vcpu's first access maps frames first), if any. */
  mmio(state: SessionState, ev: MmioEvent): MmioTarget | undefined;
  /** The register a guest port access hits ("PIC_DATA"), from the device whose port range holds it whole, if any. */
  pio?(state: SessionState, vm: number, port: number, len: number): string | undefined;
  /** A struct payload of the irqchip's own ioctls in words (KVM_GET/SET_IRQCHIP's chip `id`, a vcpu's KVM_GET/SET_LAPIC page), from the family that has them. */
  payload?(state: SessionState, vm: number, kind: 'irqchip' | 'lapic', id: number, data: Uint8Array): string | undefined;
  /** A guest system register's name and the value's fields, from the device that serves it. */
  sysreg(state: SessionState, ev: SysregEvent): { readonly name?: string; readonly fields: string };
  /** A hypercall's kernel name ("H_XIRR") and its arguments and result in words, from the device that serves it; undefined when none does. */
  hcall(state: SessionState, ev: HcallEvent): { readonly name: string; readonly detail: string } | undefined;
  /** A one-reg register's uapi name and its value in words, from the family of VM `vm`'s arch that declares it; undefined when none does. */
  oneReg?(state: SessionState, vm: number, id: bigint, value: bigint): { readonly name: string; readonly value?: string } | undefined;
  /** What a guest RAM write means to the VM's devices, or ''. */
  memWrite(state: SessionState, ev: MemWriteEvent): string;
  /** A KVM_IRQ_LINE `irq` value in words ("SPI 42"), by the VM's architecture's encoding. */
  irqLine(state: SessionState, vm: number, irq: number): string;
  /** The interrupt numbers VM `vm`'s devices have (the irqchip's numbering), by name; empty without an irqchip that says. */
  interruptRanges(state: SessionState, vm: number): readonly InterruptRange[];
  /** An interrupt number as its family names it ("SPI 42"), if a device of VM `vm` has it. */
  interruptName(state: SessionState, vm: number, irq: number): string | undefined;
  /** What event `ev` (with its recorded results; `state` is just before it) did to which interrupts: raise, lower, acknowledge, complete, deactivate. */
  interruptEffects(state: SessionState, ev: TraceEvent): readonly InterruptEffect[];
  /** The named state tree: VM 0's devices at the top, later VMs under "vm1"... */
  view(state: SessionState): Record<string, unknown>;
  /** One field of the tree. */
  get(state: SessionState, steps: readonly PathStep[]): unknown;
  /** Every condition for delivering interrupt `irq` in VM `vm` (paths in the tree), or undefined without an irqchip that explains. */
  explainIrq(state: SessionState, vm: number, irq: number): readonly IrqCondition[] | undefined;
  /** How each device of VM `vm` migrates, in handle order. */
  migration(state: SessionState, vm: number): readonly DeviceMigration[];
  /** How a VMM migrates the VM's own state through the VM fd's attributes (s390's CPU model and TOD), if the arch has any. */
  vmMigration?(state: SessionState, vm: number): VmFdMigration | undefined;
}

/** Where a point can come from: a Point, or what is at one (a timeline, the model backend) and gives it with point(). */
export type PointLike = Point | { point(): Point | undefined };

/** The Point of a PointLike. */
export function pointOf(at: PointLike | undefined): Point | undefined {
  return at === undefined ? undefined : 'inspector' in at ? at : at.point();
}
