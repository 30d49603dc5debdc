import { KIND_NEEDED } from '../../traces/format.js';
import { kindDecl } from '../../traces/kinds.js';
import { statSync } from 'node:fs';
import { nameOf, NAMES } from '../../devices/core/uapi.js';
import { type Command, toJson, UsageError } from '../cli.js';
import { modelMismatches, openTrace, shownText, traceWarnings } from '../open-trace.js';

export const infoCommand: Command = {
  name: 'info',
  usage: 'devrr info TRACE.devrr [--json]',
  help: `Shows TRACE's header (format version, devrr version, architecture, device
model versions), the VMs and devices it creates, event counts by kind, its
checkpoints, and whether it was closed cleanly.

Options:
  --json    {"format_version": ..., "arch": ..., "events": N, "devices": [...], ...}`,
  options: { json: { type: 'boolean' } },
  run({ values, positionals }, io) {
    if (positionals.length !== 1) throw new UsageError('devrr info: give one TRACE (see devrr info --help)');
    const file = positionals[0]!;
    const t = openTrace(file);
    try {
      const damaged = traceWarnings(t, io);
      const counts: Record<string, number> = {};
      const devices: { vm: number; handle: number; type: number; type_name: string | null; event: number }[] = [];
      const vms: { vm: number; arch: string; ipa_bits: number; event: number }[] = [];
      let vcpus = 0;
      // From the chunks' shapes and index columns, no event object built but for the creations:
      // a 10M-event trace is counted in a fraction of a second.
      for (let k = 0; k < t.chunks.length; k++) {
        const c = t.readChunk(k);
        const perShape = new Array<number>(c.shapes.length).fill(0);
        for (let j = 0; j < c.count; j++) {
          const s = c.index[j]!;
          perShape[s]!++;
          const kind = c.shapes[s]!.kind;
          if (kind !== 'create_vm' && kind !== 'create_device' && kind !== 'create_vcpu') continue;
          const ev = c.event(j);
          const i = c.first + j;
          if (ev.kind === 'create_vm') vms.push({ vm: ev.vm, arch: ev.arch, ipa_bits: ev.ipaBits, event: i });
          if (ev.kind === 'create_device' && ev.errno === 0 && ev.handle >= 0) devices.push({ vm: ev.vm, handle: ev.handle, type: ev.type, type_name: nameOf(NAMES.type, ev.type) ?? null, event: i });
          if (ev.kind === 'create_vcpu' && ev.errno === 0) vcpus++;
        }
        c.shapes.forEach((shape, s) => {
          if (perShape[s]) counts[shape.kind] = (counts[shape.kind] ?? 0) + perShape[s]!;
        });
      }
      const h = t.header;
      const bytes = statSync(file).size;
      const info = {
        file,
        format_version: h.formatVersion.join('.'),
        devrr_version: h.devrrVersion,
        arch: h.arch,
        ipa_bits: h.ipaBits,
        // Where the results came from: the device models (null), or the header's origin (a live host, an import).
        origin: h.origin ?? null,
        models: h.models,
        model_mismatches: modelMismatches(h),
        // Format 1.2: the kinds the header declares, each with whether replay needs it and whether this devrr knows it.
        kinds: h.kinds ? Object.fromEntries(Object.entries(h.kinds).map(([k, flags]) => [k, { needed: (flags & KIND_NEEDED) !== 0, known: kindDecl(k) !== undefined }])) : null,
        events: t.eventCount,
        event_counts: counts,
        vms,
        vcpus,
        devices,
        checkpoint_every: h.checkpointEvery,
        checkpoints: t.checkpoints.map((c) => ({ event: c.event, digest: c.digest })),
        chunks: t.chunks.length,
        complete: t.complete,
        bytes,
        bytes_per_event: t.eventCount ? +(bytes / t.eventCount).toFixed(2) : 0,
      };
      if (values.json) io.out(toJson(info));
      else {
        io.out(`${file}: devrr trace format ${info.format_version}, written by devrr ${shownText(h.devrrVersion)}`);
        io.out(
          t.complete
            ? '  closed cleanly: yes (the recorder wrote its footer: every event and checkpoint is indexed)'
            : `  closed cleanly: no (no footer: the recorder stopped early; ${t.eventCount} events read from its complete records${t.damage ? `, stopped at ${t.damage.message}` : ''})`,
        );
        io.out(
          h.origin?.by === 'live'
            ? `  recorded live on the host's /dev/kvm: kernel ${shownText(h.origin.kernel ?? '?')} (${shownText(h.origin.host ?? '?')}); replay checks the models against it`
            : h.origin
              ? `  origin: ${Object.entries(h.origin).map(([k, v]) => `${shownText(k)} ${shownText(v)}`).join(', ')}`
              : '  recorded against the device models',
        );
        io.out(`  arch ${h.arch}, ipa_bits ${h.ipaBits}; models: ${Object.entries(h.models).map(([k, v]) => `${shownText(k)} v${v}`).join(', ') || 'none'}`);
        if (info.model_mismatches.length) io.out(`  recorded with other model versions than this devrr's: ${info.model_mismatches.join(', ')}`);
        io.out(`  ${t.eventCount} events in ${t.chunks.length} chunks, ${bytes} bytes (${info.bytes_per_event} bytes/event)`);
        io.out(`  events: ${Object.entries(counts).map(([k, v]) => `${k} ${v}`).join(', ')}`);
        io.out(`  VMs: ${vms.map((v) => `vm ${v.vm} ${v.arch}`).join(', ')}; ${vcpus} vcpu(s)`);
        for (const d of devices) io.out(`  device: vm ${d.vm} dev ${d.handle} ${d.type_name ?? `type ${d.type}`} (created at event ${d.event})`);
        io.out(`  checkpoints: ${t.checkpoints.length}${h.checkpointEvery ? ` (every ${h.checkpointEvery} events)` : ''}`);
      }
      return damaged ? 2 : 0;
    } finally {
      t.close();
    }
  },
};
