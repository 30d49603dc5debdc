/**
 * Every architecture's rules, by name. A new rule is a field of ArchRules
 * (core/arch.ts) that each of these files fills in, with its kernel source.
 */
import type { ArchRules } from '../core/arch.js';
import { type FdNames, fdNames } from '../core/names.js';
import type { Arch } from '../core/uapi.js';
import { ARM64 } from './arm64.js';
import { PPC64 } from './ppc64.js';
import { S390X } from './s390x.js';
import { X86_64 } from './x86_64.js';

export const ARCH_RULES: Readonly<Record<Arch, ArchRules>> = { arm64: ARM64, x86_64: X86_64, ppc64: PPC64, s390x: S390X };

/** The names of an architecture's VM or vcpu fd (its vmAttrs / vcpuAttrs rows and names), "the arm64 VM fd". */
export function archFdNames(arch: Arch, fd: 'vm' | 'vcpu'): FdNames {
  const r = ARCH_RULES[arch];
  return fd === 'vm' ? fdNames(r.vmAttrs, `the ${arch} VM fd`) : fdNames(r.vcpuAttrs, `the ${arch} vcpu fd`);
}
