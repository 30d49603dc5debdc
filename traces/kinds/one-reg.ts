/**
 * `one_reg`: KVM_GET_ONE_REG or KVM_SET_ONE_REG on a vcpu fd (struct
 * kvm_one_reg: a 64-bit register id and the address of its value). The
 * kernel's kvm_arch_vcpu_ioctl hands it to the arch (ppc64:
 * kvm_vcpu_ioctl_get_one_reg / kvm_vcpu_ioctl_set_one_reg in
 * arch/powerpc/kvm/powerpc.c, then kvmppc_get_one_reg / kvmppc_set_one_reg
 * in book3s.c), which serves the registers of the in-kernel devices among
 * its own: KVM_REG_PPC_ICP_STATE is the XICS's per-vcpu ICP
 * (kvmppc_xics_get_icp / kvmppc_xics_set_icp), the state a VMM migrates
 * beside the source words. devrr models the registers a device family
 * declares (DeviceKernel.oneRegs) and carries 64-bit ones: the id's size
 * field (KVM_REG_SIZE_MASK) must say 8 bytes in a scenario.
 */
import { errnoName, KVM_REG_SIZE_U64, oneRegSize } from '../../devices/core/uapi.js';
import type { DeclaredEvent, EventKindDecl, KindNames, StepValue } from '../kinds.js';

/** A `one_reg` event. */
export interface OneRegEvent extends DeclaredEvent {
  readonly kind: 'one_reg';
  readonly vcpu: number;
  /** KVM_SET_ONE_REG (true) or KVM_GET_ONE_REG. */
  readonly write: boolean;
  /** The register id, size field included. */
  readonly id: bigint;
  /** The value written, or the value a get read (0 when it failed). */
  readonly value: bigint;
  readonly errno: number;
}

const hex = (v: bigint | number) => `0x${v.toString(16)}`;

/** The register's name (or its id) and its value in words, when a state is at hand. */
function named(ev: OneRegEvent, names?: KindNames): { reg: string; fields?: string } {
  const n = names?.oneReg(ev.vm, ev.id, ev.value);
  return { reg: n?.name ?? `reg ${hex(ev.id)}`, ...(n?.value !== undefined && { fields: n.value }) };
}

export const ONE_REG: EventKindDecl = {
  name: 'one_reg',
  since: [1, 3],
  needed: true,
  description: 'KVM_GET_ONE_REG / KVM_SET_ONE_REG on a vcpu fd (a 64-bit register)',
  fields: [
    { name: 'vcpu', type: 'u32' },
    { name: 'write', type: 'bool' },
    { name: 'id', type: 'big' },
    { name: 'value', type: 'big' },
    { name: 'errno', type: 'errno' },
  ],
  results: ['errno', 'value'],
  scenario: {
    op: 'one_reg',
    fields: ['vcpu', 'dir', 'reg', 'value', 'expect', 'expect_value', 'save_as'],
    parse(p) {
      const dir = p.oneOf('dir', ['get', 'set'] as const);
      const id = p.oneRegId('reg');
      const size = oneRegSize(id);
      if (size !== 8) p.fail('reg', `is a ${size}-byte register (its id's KVM_REG_SIZE field); one_reg carries 64-bit registers only (KVM_REG_SIZE_U64, ${hex(KVM_REG_SIZE_U64)})`);
      if (dir === 'set' && !p.has('value')) p.fail('value', 'missing: a set needs the value written');
      if (dir === 'get' && p.has('value')) p.fail('value', 'only a set takes a value');
      if (dir === 'set' && (p.has('expect_value') || p.has('save_as'))) p.fail(p.has('save_as') ? 'save_as' : 'expect_value', 'only a get returns a value');
      return { vcpu: p.uint('vcpu', 0xffffffff), write: dir === 'set', id, ...(p.has('value') && { value: p.value('value') }) };
    },
    request: (f, val) => ({ vcpu: f['vcpu'], write: f['write'], id: f['id'], value: f['value'] !== undefined ? BigInt.asUintN(64, val(f['value'] as StepValue)) : 0n, errno: 0 }),
    readValue: (ev) => (ev['write'] ? undefined : (ev['value'] as bigint)),
  },
  execute(vm, e) {
    const ev = e as OneRegEvent;
    const r = vm.oneReg(ev.vcpu, ev.write, BigInt.asUintN(64, ev.id), ev.value);
    return { errno: r.errno, value: r.value };
  },
  describe(e, names) {
    const ev = e as OneRegEvent;
    const n = named(ev, names);
    const shown = ev.write || !ev.errno;
    return `one_reg vcpu ${ev.vcpu} ${ev.write ? 'set' : 'get'} ${n.reg} ${ev.write ? '<-' : '->'} ${shown ? hex(ev.value) : errnoName(ev.errno)}${shown && n.fields ? ` [${n.fields}]` : ''}${ev.write && ev.errno ? ` -> ${errnoName(ev.errno)}` : ''}`;
  },
  jsonNames(e, names) {
    const n = named(e as OneRegEvent, names);
    return { reg_name: n.reg, ...(n.fields !== undefined && { decoded: n.fields }) };
  },
};
