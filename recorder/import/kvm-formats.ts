/**
 * Built-in print formats of the kvm trace events devrr imports, for
 * captures that come without their tracefs format files. Each is the
 * `print fmt` line tracefs shows for the event: the kernel's TP_printk with
 * `__entry` written `REC`, as Linux 6.18 has it (include/trace/events/kvm.h,
 * arch/x86/kvm/trace.h, arch/arm64/kvm/trace_arm.h, arch/arm64/kvm/vgic/trace.h).
 * A capture's own format files (`--formats DIR`) take precedence: other
 * kernels print some events differently, and a line that does not match is
 * kept with its text and counted, never guessed at.
 */
import { compilePrintFmt, type EventFormat, splitTopLevel, stringLiteral, type TextReader } from './ftrace-format.js';

/** name -> the print fmt line after "print fmt: ". */
const PRINT_FMT: Readonly<Record<string, string>> = {
  kvm_mmio: "\"mmio %s len %u gpa 0x%llx val 0x%llx\", __print_symbolic(REC->type, { 0, \"unsatisfied-read\" }, { 1, \"read\" }, { 2, \"write\" }), REC->len, REC->gpa, REC->val",
  kvm_pio: "\"pio_%s at 0x%x size %d count %d val 0x%x %s\", REC->rw ? \"write\" : \"read\", REC->port, REC->size, REC->count, REC->val, REC->count > 1 ? \"(...)\" : \"\"",
  kvm_set_irq: "\"gsi %u level %d source %d\", REC->gsi, REC->level, REC->irq_source_id",
  kvm_pic_set_irq: "\"chip %u pin %u (%s%s)%s\", REC->chip, REC->pin, (REC->elcr & (1 << REC->pin)) ? \"level\":\"edge\", (REC->imr & (1 << REC->pin)) ? \"|masked\":\"\", REC->coalesced ? \" (coalesced)\" : \"\"",
  kvm_ioapic_set_irq: "\"pin %u dst %x vec %u (%s|%s|%s%s)%s\", REC->pin, (u8)(REC->e >> 56), (u8)REC->e, __print_symbolic((REC->e >> 8 & 0x7), {0x0, \"Fixed\"}, {0x1, \"LowPrio\"}, {0x2, \"SMI\"}, {0x3, \"Res3\"}, {0x4, \"NMI\"}, {0x5, \"INIT\"}, {0x6, \"SIPI\"}, {0x7, \"ExtINT\"}), (REC->e & (1<<11)) ? \"logical\" : \"physical\", (REC->e & (1<<15)) ? \"level\" : \"edge\", (REC->e & (1<<16)) ? \"|masked\" : \"\", REC->coalesced ? \" (coalesced)\" : \"\"",
  kvm_msi_set_irq: "\"dst %llx vec %u (%s|%s|%s%s)\", (u8)(REC->address >> 12) | ((REC->address >> 32) & 0xffffff00), (u8)REC->data, __print_symbolic((REC->data >> 8 & 0x7), {0x0, \"Fixed\"}, {0x1, \"LowPrio\"}, {0x2, \"SMI\"}, {0x3, \"Res3\"}, {0x4, \"NMI\"}, {0x5, \"INIT\"}, {0x6, \"SIPI\"}, {0x7, \"ExtINT\"}), (REC->address & (1<<2)) ? \"logical\" : \"physical\", (REC->data & (1<<15)) ? \"level\" : \"edge\", (REC->address & (1<<3)) ? \"|rh\" : \"\"",
  kvm_userspace_exit: "\"reason %s (%d)\", REC->errno < 0 ? (REC->errno == -4 ? \"restart\" : \"error\") : __print_symbolic(REC->reason, { 0, \"KVM_EXIT_\" \"UNKNOWN\" }, { 1, \"KVM_EXIT_\" \"EXCEPTION\" }, { 2, \"KVM_EXIT_\" \"IO\" }, { 3, \"KVM_EXIT_\" \"HYPERCALL\" }, { 4, \"KVM_EXIT_\" \"DEBUG\" }, { 5, \"KVM_EXIT_\" \"HLT\" }, { 6, \"KVM_EXIT_\" \"MMIO\" }, { 7, \"KVM_EXIT_\" \"IRQ_WINDOW_OPEN\" }, { 8, \"KVM_EXIT_\" \"SHUTDOWN\" }, { 9, \"KVM_EXIT_\" \"FAIL_ENTRY\" }, { 10, \"KVM_EXIT_\" \"INTR\" }, { 11, \"KVM_EXIT_\" \"SET_TPR\" }, { 12, \"KVM_EXIT_\" \"TPR_ACCESS\" }, { 13, \"KVM_EXIT_\" \"S390_SIEIC\" }, { 14, \"KVM_EXIT_\" \"S390_RESET\" }, { 15, \"KVM_EXIT_\" \"DCR\" }, { 16, \"KVM_EXIT_\" \"NMI\" }, { 17, \"KVM_EXIT_\" \"INTERNAL_ERROR\" }, { 18, \"KVM_EXIT_\" \"OSI\" }, { 19, \"KVM_EXIT_\" \"PAPR_HCALL\" }, { 20, \"KVM_EXIT_\" \"S390_UCONTROL\" }, { 21, \"KVM_EXIT_\" \"WATCHDOG\" }, { 22, \"KVM_EXIT_\" \"S390_TSCH\" }, { 23, \"KVM_EXIT_\" \"EPR\" }, { 24, \"KVM_EXIT_\" \"SYSTEM_EVENT\" }, { 25, \"KVM_EXIT_\" \"S390_STSI\" }, { 26, \"KVM_EXIT_\" \"IOAPIC_EOI\" }, { 27, \"KVM_EXIT_\" \"HYPERV\" }, { 28, \"KVM_EXIT_\" \"ARM_NISV\" }, { 29, \"KVM_EXIT_\" \"X86_RDMSR\" }, { 30, \"KVM_EXIT_\" \"X86_WRMSR\" }), REC->errno < 0 ? -REC->errno : REC->reason",
  // arch/arm64/kvm/vgic/trace.h
  vgic_update_irq_pending: '"VCPU: %ld, IRQ %d, level: %d", REC->vcpu_id, REC->irq, REC->level',
  // arch/arm64/kvm/trace_arm.h
  kvm_irq_line: '"Inject %s interrupt (%d), vcpu->idx: %d, num: %d, level: %d", (REC->type == 0) ? "CPU" : (REC->type == 2) ? "VGIC PPI" : (REC->type == 1) ? "VGIC SPI" : "UNKNOWN", REC->type, REC->vcpu_idx, REC->irq_num, REC->level',
  // arch/arm64/kvm/trace_arch.h
  kvm_timer_update_irq: '"VCPU: %ld, IRQ %d, level %d", REC->vcpu_id, REC->irq, REC->level',
};

/** The built-in format of event `name`, if devrr has one. */
export function builtinFormat(name: string): EventFormat | undefined {
  const line = Object.hasOwn(PRINT_FMT, name) ? PRINT_FMT[name] : undefined;
  if (line === undefined) return undefined;
  const [fmt, ...args] = splitTopLevel(line);
  return { name, fields: [], fmt: stringLiteral(fmt!)!, args };
}

const compiled = new Map<string, TextReader>();

/** The reader of a built-in format, compiled once. */
export function builtinReader(name: string): TextReader | undefined {
  let r = compiled.get(name);
  if (!r) {
    const f = builtinFormat(name);
    if (!f) return undefined;
    r = compilePrintFmt(f);
    compiled.set(name, r);
  }
  return r;
}

/** Events only one architecture's KVM emits (arch/<arch>/kvm/trace*.h): they tell what a capture is from. */
export const EVENT_ARCH: Readonly<Record<string, 'x86_64' | 'arm64'>> = {
  kvm_pio: 'x86_64',
  kvm_pic_set_irq: 'x86_64',
  kvm_ioapic_set_irq: 'x86_64',
  kvm_msi_set_irq: 'x86_64',
  kvm_apic: 'x86_64',
  kvm_inj_virq: 'x86_64',
  vgic_update_irq_pending: 'arm64',
  kvm_irq_line: 'arm64',
  kvm_timer_update_irq: 'arm64',
  kvm_access_fault: 'arm64',
  kvm_guest_fault: 'arm64',
};

/** The events with a built-in format. */
export const BUILTIN_EVENTS: readonly string[] = Object.keys(PRINT_FMT);
