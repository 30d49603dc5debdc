/**
 * devrr as a library: the Vm model of the KVM device-control API, scenario
 * recording, trace files and replay. The CLI (bin/) is built on exactly this.
 *
 * @example
 * import { createVm, ERRNO } from 'devrr';
 * const vm = createVm('arm64');
 * vm.createVcpu(0);
 * const { handle } = vm.createDevice(5, 0); // KVM_DEV_TYPE_ARM_VGIC_V2
 */
export { Vm, type AttrFd, type MmioResult, ARCH_LIMITS } from './devices/core/vm.js';
export type { VmState, VcpuState, DeviceSlot } from './devices/core/vm-state.js';
export type {
  DeviceModel,
  DeviceKernel,
  DeviceInspect,
  AttrGroup,
  UserBuf,
  AttrOutcome,
  MmioFrame,
  PortRange,
  VmCtx,
  InterruptFacet,
  InterruptEvent,
  InterruptEffect,
} from './devices/core/device.js';
export type { ArchRules, IrqLine } from './devices/core/arch.js';
export { ARCH_RULES } from './devices/arch/index.js';
export { createVm, DEVICE_MODELS, modelVersions, DEFAULT_IPA_BITS } from './devices/registry.js';
export * from './devices/core/uapi.js';
export { digestState, diffState, cloneState, type FieldDiff } from './devices/core/state.js';
export { RegTable, type RegRow, type BitField, decodeFields } from './devices/core/regtable.js';
export { parseScenario, ScenarioError, type Scenario, type Step } from './recorder/scenario.js';
export { recordScenario, type EventSink, type RecordResult, type Miss } from './recorder/record.js';
export { recordToFile, traceHeader, DEVRR_VERSION } from './recorder/trace-file.js';
export { Session, ModelBackend, modelBackends, MODELS, sameResult, type SessionState } from './recorder/execute.js';
export { type Backend, type BackendFactory, type StateCapability, type FastPaths, FAST_OK, FAST_SKIP, pointIn } from './recorder/backend.js';
export { type Inspector, type Point, type PointLike, type MmioTarget, type DeviceMigration, pointOf } from './recorder/inspect.js';
export { modelInspector } from './recorder/model-inspect.js';
export { replay, stateBefore, type ReplayReport, type ReplayOptions, type Divergence } from './replay/engine.js';
export { type TraceSource, type ChunkView } from './replay/trace-source.js';
export { applyEvents, type Mismatch } from './replay/apply.js';
export { Timeline, type TimelineOptions, type Breakpoint, type EventMatch, type Hit } from './replay/timeline.js';
export { describeEvent, eventToJson } from './replay/decode.js';
export { formatReport } from './replay/report.js';
export type { TraceEvent, EventKind, AttrTarget } from './traces/events.js';
export { registerEventKind, kindDecl, allKinds, type EventKindDecl, type DeclaredEvent, type FieldSpec, type KindScenario, type StepFields } from './traces/kinds.js';
export type { PioEvent } from './traces/kinds/pio.js';
export { TraceReader } from './traces/reader.js';
export { TraceWriter } from './traces/writer.js';
export { TraceError } from './traces/errors.js';
