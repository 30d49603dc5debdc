/**
 * `devrr import ftrace` and `devrr import strace` on the real x86 capture
 * (test/recorder/fixtures/kvm-x86-capture, copied from a real host): the
 * events come out one per kvm line with the right kinds, addresses,
 * lengths, values and ports; the calls with their errno results as the
 * program logged them (device_api_probe.json); both traces replay against
 * the models.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { TraceReader } from '../../traces/reader.js';
import { devrr } from '../cli/run.js';
import { tempDir } from '../tmp.js';

const CAPTURE = 'test/recorder/fixtures/kvm-x86-capture';
const dir = tempDir();

type Ev = Record<string, unknown> & { kind: string; i: number; note?: Record<string, unknown> };
function events(trace: string): Ev[] {
  const t = TraceReader.open(trace);
  const out = [...t.events()] as unknown as Ev[];
  t.close();
  return out;
}

/** The file's event lines for `event`, by a plain text match. */
function linesOf(file: string, event: string): string[] {
  return readFileSync(join(CAPTURE, file), 'utf8').split('\n').filter((l) => l.includes(` ${event}: `));
}

describe('devrr import ftrace (tracefs trace text of a real x86 host)', () => {
  const out = join(dir, 'ftrace.devrr');
  let imported: Ev[];

  test('writes the trace and reports what it made, what it added and how it found the vcpu', async () => {
    const r = await devrr('import', 'ftrace', join(CAPTURE, 'ftrace_kvm.txt'), '-o', out);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/wrote .*ftrace\.devrr: \d+ events \(.*mmio 10.*pio 33.*\) from 114 event lines/);
    expect(r.err).toMatch(/added: create_vm: the capture's VM \(x86_64/);
    expect(r.err).toMatch(/added: create_irqchip: the PIC and IOAPIC events show an in-kernel irqchip/);
    expect(r.err).toMatch(/vcpu 0: thread python3-13791 \(id from order of appearance\)/);
    imported = events(out);
    const info = JSON.parse((await devrr('info', out, '--json')).out) as { origin: Record<string, string> };
    expect(info.origin).toEqual({ by: 'ftrace import', file: 'ftrace_kvm.txt' });
  });

  test('one event per kvm line: every kvm_pio a pio with its port, size, direction and value, in order', () => {
    const pio = imported.filter((e) => e.kind === 'pio');
    const lines = linesOf('ftrace_kvm.txt', 'kvm_pio');
    expect(pio).toHaveLength(lines.length);
    pio.forEach((e, k) => {
      const m = /pio_(read|write) at 0x([0-9a-f]+) size (\d+) count 1 val 0x([0-9a-f]+)/.exec(lines[k]!)!;
      expect([e.write, e.port, e.len, e.value]).toEqual([m[1] === 'write', parseInt(m[2]!, 16), Number(m[3]), BigInt(`0x${m[4]}`)]);
    });
  });

  test('kvm_mmio: writes with their gpa, len and value; an unsatisfied read and its completion are one read that exited, with the VMM\'s value', () => {
    const mmio = imported.filter((e) => e.kind === 'mmio');
    const lines = linesOf('ftrace_kvm.txt', 'kvm_mmio');
    const unsatisfied = lines.filter((l) => l.includes('unsatisfied-read')).length;
    expect(mmio).toHaveLength(lines.length - unsatisfied);
    expect(mmio[0]).toMatchObject({ write: true, addr: 0xe0000, len: 4, value: 0x11223344n, exit: true });
    expect(mmio.find((e) => !e.write)).toMatchObject({ addr: 0xe0000, len: 4, value: 0xc0de0000n, exit: true });
  });

  test('kvm_set_irq from the VMM (source 0) is irq_line with its GSI and level; the PIC and IOAPIC events and the exits are host events; markers keep their text', () => {
    const irq = imported.filter((e) => e.kind === 'irq_line');
    expect(irq.map((e) => [e.irq, e.level])).toEqual(linesOf('ftrace_kvm.txt', 'kvm_set_irq').map((l) => {
      const m = /gsi (\d+) level (\d+) source 0/.exec(l)!;
      return [Number(m[1]), Number(m[2])];
    }));
    const host = imported.filter((e) => e.kind === 'host').map((e) => e.note!.name);
    for (const ev of ['kvm_pic_set_irq', 'kvm_ioapic_set_irq', 'kvm_msi_set_irq', 'kvm_userspace_exit']) expect(host.filter((n) => n === ev)).toHaveLength(linesOf('ftrace_kvm.txt', ev).length);
    expect(imported.find((e) => e.note?.name === 'marker')!.note).toMatchObject({ source: 'ftrace', text: 'kvmcap: capture start pid 13791', ts_us: 839396997, task: 'python3', pid: 13791, cpu: 0 });
  });

  test('every event keeps its host time, so export perfetto places it there', () => {
    for (const e of imported.filter((x) => x.kind === 'pio' || x.kind === 'mmio')) expect(typeof e.note!.ts_us).toBe('number');
  });

  test('replays against the models with no divergence (the x86 irqchip models answer the guest\'s PIC programming as the host did)', async () => {
    const r = await devrr('replay', out);
    expect(r.out).toMatch(/no divergence/);
    expect(r.code).toBe(0);
  });
});

describe('devrr import strace (strace -f -ttt -T -y -v -X verbose --kvm=vcpu of the same program)', () => {
  const out = join(dir, 'strace.devrr');

  test('the device-control probe comes out as the program logged it: the same calls in order, with the same results and errno', async () => {
    const r = await devrr('import', 'strace', join(CAPTURE, 'strace.txt'), '-o', out);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/left out: \d+ ioctl\(s\) on fds that are no KVM fd/);
    const evs = events(out);
    const probe = JSON.parse(readFileSync(join(CAPTURE, 'device_api_probe.json'), 'utf8')) as { call: string; ret: number; errno_name: string | null }[];
    // Each probe call, in order, is the next call of that request in the trace: a host event with its ret and
    // errno, or (KVM_CREATE_VM) a create_vm.
    const calls = evs.map((e) => (e.kind === 'host' ? { call: e.note!.name, ret: e.note!.ret, errno: e.note!.errno ?? null } : e.kind === 'create_vm' ? { call: 'KVM_CREATE_VM', ret: e.note?.fd, errno: null } : undefined)).filter((x) => x !== undefined);
    // A trace starts with its first VM (FORMAT.md), so the calls the program made on /dev/kvm before it come
    // right after it: compare from the probe's first KVM_CREATE_VM on.
    let k = 0;
    const fromVm = probe.filter((x) => x.call.startsWith('KVM_'));
    for (const p of fromVm.slice(fromVm.findIndex((x) => x.call === 'KVM_CREATE_VM'))) {
      while (k < calls.length && calls[k]!.call !== p.call) k++;
      expect(calls[k], p.call).toBeDefined();
      expect([calls[k]!.call, calls[k]!.ret, calls[k]!.errno]).toEqual([p.call, p.ret, p.errno_name]);
      k++;
    }
  });

  test('struct arguments strace printed only as pointers are kept as text, never decoded into values', () => {
    const dev = events(out).find((e) => e.kind === 'host' && e.note!.name === 'KVM_CREATE_DEVICE')!;
    expect(dev.note).toMatchObject({ source: 'strace', fd: 'anon_inode:kvm-vm', text: expect.stringMatching(/^0x[0-9a-f]+$/), ret: -1, errno: 'ENODEV' });
    expect(Object.keys(dev).filter((k) => !['kind', 'vm', 'note', 'i'].includes(k))).toEqual([]);
  });

  test('replays against the models (the calls it could run: the VMs, their vcpus and irqchip)', async () => {
    expect((await devrr('replay', out)).code).toBe(0);
  });

  test('with --ftrace, the two logs of one run interleave by thread and time, and KVM_IRQ_LINE takes its GSI and level from ftrace, its errno from strace', async () => {
    const both = join(dir, 'both.devrr');
    const r = await devrr('import', 'strace', join(CAPTURE, 'strace.txt'), '--ftrace', join(CAPTURE, 'ftrace_kvm_under_strace.txt'), '-o', both);
    expect(r.code).toBe(0);
    expect(r.err).toMatch(/clocks lined up: ftrace \+ [\d.]+ s = strace, from \d+ KVM_RUN returns/);
    const evs = events(both);
    // The guest's accesses sit inside the KVM_RUN calls of their vcpu, on that vcpu's VM.
    const firstPio = evs.findIndex((e) => e.kind === 'pio');
    const runBefore = evs.slice(0, firstPio).reverse().find((e) => e.kind === 'host' && e.note!.source === 'strace');
    expect(runBefore!.note!.name).toBe('KVM_RUN');
    expect(evs[firstPio]!.vm).toBe(runBefore!.vm);
    expect(evs.filter((e) => e.kind === 'pio')).toHaveLength(linesOf('ftrace_kvm_under_strace.txt', 'kvm_pio').length);
    const irq = evs.filter((e) => e.kind === 'irq_line');
    expect(irq.length).toBeGreaterThan(0);
    for (const e of irq) expect(e.note).toMatchObject({ source: 'strace+ftrace' });
    // Host time never goes back (after the first VM, which the trace must begin with).
    const ts = evs.slice(1).map((e) => e.note?.ts_us).filter((t): t is number => typeof t === 'number');
    for (let i = 1; i < ts.length; i++) expect(ts[i]!).toBeGreaterThanOrEqual(ts[i - 1]! - 50);
    expect((await devrr('replay', both)).code).toBe(0);
  });
});

describe('devrr import: bad input and options give exit 2 and one line', () => {
  test.each([
    [['import', 'ftrace'], /give what and one FILE/],
    [['import', 'perf', 'x', '-o', 'y'], /give what and one FILE/],
    [['import', 'ftrace', `${CAPTURE}/ftrace_kvm.txt`], /-o TRACE\.devrr is required/],
    [['import', 'ftrace', `${CAPTURE}/ftrace_kvm.txt`, '-o', 'x.devrr', '--arch', 'sparc'], /--arch must be one of/],
    [['import', 'ftrace', `${CAPTURE}/ftrace_kvm.txt`, '-o', 'x.devrr', '--ftrace', 'y'], /--ftrace belongs to "import strace"/],
    [['import', 'strace', `${CAPTURE}/no-such-file`, '-o', 'x.devrr'], /no-such-file: cannot read: ENOENT/],
  ])('%j', async (argv, msg) => {
    const r = await devrr(...(argv as string[]));
    expect(r.code).toBe(2);
    expect(r.err.split('\n')).toHaveLength(1);
    expect(r.err).toMatch(msg);
  });
});
