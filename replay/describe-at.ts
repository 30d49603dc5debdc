/**
 * Describing events of a trace by index, in the kernel's names: the models
 * replay up to just before each event so that device handles and MMIO
 * addresses decode as they did at that moment.
 */
import type { BackendFactory } from '../recorder/backend.js';
import type { TraceEvent } from '../traces/events.js';
import { describeEvent, eventToJson } from './decode.js';
import { Timeline } from './timeline.js';
import type { TraceSource } from './trace-source.js';

export class EventDescriber {
  private readonly tl: Timeline;
  constructor(src: TraceSource, backends?: BackendFactory) {
    this.tl = new Timeline(src, backends ? { backends } : {});
  }

  text(i: number, ev?: TraceEvent): string {
    this.tl.seek(i);
    return describeEvent(ev ?? this.tl.event(i), this.tl.point());
  }

  json(i: number, ev?: TraceEvent): Record<string, unknown> {
    this.tl.seek(i);
    return eventToJson(ev ?? this.tl.event(i), i, this.tl.point());
  }
}
