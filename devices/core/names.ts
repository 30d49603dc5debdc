/**
 * Names per fd: the attribute-group and attr names of one device (its
 * family's group table and FamilyNames) or of one architecture's VM or vcpu
 * fd (its FdAttrRules). KVM numbers groups per device: group 1 is the
 * VGIC's DIST_REGS, the MPIC's GRP_MISC, XICS's SOURCES, VFIO's FILE, the
 * FLIC's GET_ALL_IRQS. So there is no global name table: a name is looked
 * up, and a number named, only through the table of the fd a call
 * addresses, and two families may give one number different names.
 */
import type { FdAttrRules } from './arch.js';
import type { AttrGroup, AttrVcpu, DeviceModel, FamilyNames, OneRegDecl } from './device.js';
import type { Arch } from './uapi.js';
import { type RegTable, rowEnd } from './regtable.js';

/** One group as a name table sees it. */
export interface NamedGroup {
  readonly id: number;
  readonly name: string;
  /** The names its attr takes (AttrGroup.attrNames), when its row gives any. */
  readonly attrNames?: () => ReadonlyMap<string, number>;
  readonly attrVcpu?: AttrVcpu;
  /** The row of the group table, when the model has one for the group (decoding uses its `describe`). */
  readonly row?: AttrGroup<any>;
}

/** The names of one fd: a device, or an architecture's VM or vcpu fd. */
export interface FdNames {
  /** What the fd is, for messages: the device type's uapi name, or "the arm64 VM fd". */
  readonly what: string;
  /** Every group the fd has a name for, by name. */
  readonly groups: ReadonlyMap<string, NamedGroup>;
  /** The same groups, by id. */
  readonly byId: ReadonlyMap<number, NamedGroup>;
  /** attr constants accepted on any of the fd's groups (FamilyNames.attrs). */
  readonly anyGroupAttrs: ReadonlyMap<string, number>;
}

/**
 * Every name RegTable.nameAt gives for a 4-byte-aligned offset of the
 * table, with that offset (the first offset where a name repeats): the
 * register names a group of that table prints, so that what `describe`
 * printed can be given back as an attr.
 */
export function regTableNames<C>(t: RegTable<C>): () => ReadonlyMap<string, number> {
  let m: Map<string, number> | undefined;
  return () => {
    if (m) return m;
    m = new Map();
    for (const r of t.rows)
      for (let off = r.offset; off < rowEnd(r); off += 4) {
        if (t.find(off) !== r) continue; // between the registers of a strided row
        const n = t.nameAt(off);
        if (!m.has(n)) m.set(n, off);
      }
    return m;
  };
}

/** A uapi constant table (name -> number) as an attrNames function. */
export function constantNames(table: Readonly<Record<string, number>>): () => ReadonlyMap<string, number> {
  const m = new Map(Object.entries(table));
  return () => m;
}

/** The table of an fd from its group rows and its family's extra names; the rows win where both name an id. */
function build(what: string, rows: readonly AttrGroup<any>[], extra: FamilyNames | undefined): FdNames {
  const byId = new Map<number, NamedGroup>();
  for (const row of rows) {
    if (byId.has(row.id)) continue;
    byId.set(row.id, { id: row.id, name: row.name, ...(row.attrNames && { attrNames: row.attrNames }), ...(row.attrVcpu && { attrVcpu: row.attrVcpu }), row });
  }
  for (const [name, id] of Object.entries(extra?.groups ?? {})) if (!byId.has(id)) byId.set(id, { id, name });
  const groups = new Map<string, NamedGroup>();
  for (const g of [...byId.values()].sort((a, b) => a.id - b.id)) if (!groups.has(g.name)) groups.set(g.name, g);
  // An older name of a group resolves to the group itself (which prints under its current name).
  for (const [name, id] of Object.entries(extra?.groupAliases ?? {})) {
    const g = byId.get(id);
    if (g && !groups.has(name)) groups.set(name, g);
  }
  return { what, groups, byId, anyGroupAttrs: new Map(Object.entries(extra?.attrs ?? {})) };
}

const deviceCache = new WeakMap<DeviceModel<any>, FdNames>();
const fdCache = new WeakMap<FdAttrRules, FdNames>();

/** The names of a device of this model. */
export function deviceNames(model: DeviceModel<any>): FdNames {
  let n = deviceCache.get(model);
  if (!n) deviceCache.set(model, (n = build(model.typeName, model.kernel.groups, model.names)));
  return n;
}

/** The names of an architecture's VM or vcpu fd (`what`: "the arm64 VM fd"). */
export function fdNames(rules: FdAttrRules, what: string): FdNames {
  let n = fdCache.get(rules);
  if (!n) fdCache.set(rules, (n = build(what, rules.groups, rules.names)));
  return n;
}

/** A few of a name list, for a message: "A, B, C, ... (12 in all)". */
export function someNames(names: readonly string[], few = 6): string {
  if (names.length === 0) return 'none';
  return names.length <= few ? names.join(', ') : `${names.slice(0, few).join(', ')}, ... (${names.length} in all)`;
}

/**
 * The one-reg registers the families of `arch` declare (DeviceKernel.oneRegs),
 * by name: what a scenario's `one_reg` step may name. A one-reg id carries its
 * architecture in bits 63:56, so no two arches' ids meet.
 */
export function oneRegNames(arch: Arch, models: Iterable<DeviceModel<any>>): ReadonlyMap<string, OneRegDecl> {
  const out = new Map<string, OneRegDecl>();
  for (const m of models) if (m.arches.includes(arch)) for (const r of m.kernel.oneRegs ?? []) out.set(r.name, r);
  return out;
}
