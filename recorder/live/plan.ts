/**
 * What a scenario becomes on the host before any ioctl is issued: each of
 * its events with the request it stands for, found by recording it
 * against the models (a dry run that touches no file and no /dev/kvm),
 * and the events the host cannot run, each with the reason. `record
 * --live` refuses a scenario with any such event before opening /dev/kvm,
 * so a live trace never holds a step the kernel did not answer.
 */
import type { TraceEvent } from '../../traces/events.js';
import { recordScenario } from '../record.js';
import type { Scenario } from '../scenario.js';
import { liveRefusal } from './backend.js';

/** The ioctl each live event kind issues, and on which fd. */
export const LIVE_REQUESTS: Readonly<Partial<Record<string, string>>> = {
  create_vm: 'KVM_CREATE_VM on /dev/kvm',
  create_vcpu: 'KVM_CREATE_VCPU on the VM fd',
  create_device: 'KVM_CREATE_DEVICE on the VM fd',
  set_attr: 'KVM_SET_DEVICE_ATTR on the device, vcpu or VM fd',
  get_attr: 'KVM_GET_DEVICE_ATTR on the device, vcpu or VM fd',
  has_attr: 'KVM_HAS_DEVICE_ATTR on the device, vcpu or VM fd',
  arm_set_device_addr: 'KVM_ARM_SET_DEVICE_ADDR on the VM fd',
  irq_line: 'KVM_IRQ_LINE on the VM fd',
  signal_msi: 'KVM_SIGNAL_MSI on the VM fd',
  enable_cap: 'KVM_ENABLE_CAP on the vcpu or VM fd',
  create_irqchip: 'KVM_CREATE_IRQCHIP on the VM fd',
  get_irqchip: 'KVM_GET_IRQCHIP on the VM fd',
  set_irqchip: 'KVM_SET_IRQCHIP on the VM fd',
  get_lapic: 'KVM_GET_LAPIC on the vcpu fd',
  set_lapic: 'KVM_SET_LAPIC on the vcpu fd',
  irq_line_status: 'KVM_IRQ_LINE_STATUS on the VM fd',
  mmio: 'KVM_RUN on the vcpu fd: the live guest makes the access',
  pio: 'KVM_RUN on the vcpu fd: the live guest makes the port access',
  run_vcpu: 'KVM_RUN on the vcpu fd',
};

export interface LivePlan {
  /** Every event, in order, with the request it issues (undefined for one the host cannot run). */
  readonly steps: readonly { readonly event: number; readonly kind: string; readonly request?: string }[];
  /** The events the host cannot run, with the scenario step they come from (event i is step i - 1). */
  readonly refusals: readonly { readonly event: number; readonly step: number; readonly why: string }[];
}

export function planLive(sc: Scenario): LivePlan {
  const events: TraceEvent[] = [];
  recordScenario(sc, { append: (ev) => void events.push(ev), checkpoint: () => {} });
  const steps: LivePlan['steps'][number][] = [];
  const refusals: LivePlan['refusals'][number][] = [];
  events.forEach((ev, i) => {
    const why = liveRefusal(ev);
    if (why) refusals.push({ event: i, step: i - 1, why });
    steps.push({ event: i, kind: ev.kind, ...(!why && { request: LIVE_REQUESTS[ev.kind] }) });
  });
  return { steps, refusals };
}
