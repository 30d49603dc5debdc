/**
 * Reading ftrace text back into events: the real capture in
 * ../shared/samples is copied into test/recorder/fixtures/kvm-x86-capture
 * (its ftrace text and the format files of its events), so that this test
 * runs in any clone.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { compilePrintFmt, parseFormatFile } from '../../recorder/import/ftrace-format.js';
import { MAX_LINE, readFtraceText, timestampUs } from '../../recorder/import/ftrace-text.js';
import { builtinFormat } from '../../recorder/import/kvm-formats.js';

const CAPTURE = 'test/recorder/fixtures/kvm-x86-capture';
const text = readFileSync(join(CAPTURE, 'ftrace_kvm.txt'), 'utf8');
const lines = text.split('\n');
const formats = new Map(readdirSync(join(CAPTURE, 'event_formats')).map((f) => {
  const x = parseFormatFile(readFileSync(join(CAPTURE, 'event_formats', f), 'utf8'));
  return [x.name, x] as const;
}));

/** The kvm lines of the file, by a plain text match: what the reader must find. */
const expected = lines.filter((l) => /^\s*\S.*\[\d{3}\] .{5} +\d+\.\d+: \w+:/.test(l));

describe('ftrace text from a real x86 capture (tracefs trace, trace_clock=mono)', () => {
  const withBuiltins = readFtraceText(lines);
  const withFiles = readFtraceText(lines, { formats });

  test('one record per event line, in file order, no line skipped', () => {
    expect(withBuiltins.records).toHaveLength(expected.length);
    expect(withBuiltins.records.length).toBe(114);
    expect(withBuiltins.skipped.count).toBe(0);
    const count = (e: string) => withBuiltins.records.filter((r) => r.event === e).length;
    for (const e of ['kvm_pio', 'kvm_mmio', 'kvm_userspace_exit', 'kvm_set_irq', 'kvm_pic_set_irq', 'kvm_ioapic_set_irq', 'kvm_msi_set_irq', 'tracing_mark_write']) {
      expect(count(e), e).toBe(expected.filter((l) => l.includes(` ${e}: `)).length);
    }
  });

  test('task, pid, cpu and timestamp are kept; timestamps in exact microseconds', () => {
    const r = withBuiltins.records[3]!;
    expect(r).toMatchObject({ task: 'python3', pid: 13791, cpu: 0, timestamp: '839.405291', us: 839405291, event: 'kvm_pio' });
    expect(timestampUs('1.000001')).toBe(1000001);
    expect(timestampUs('839.4052915')).toBe(839405292);
  });

  test('every kvm line is read back through its format, built-in or from the capture\'s format files, to the same fields', () => {
    expect(withBuiltins.unparsed).toEqual({});
    expect(withFiles.unparsed).toEqual({});
    for (const [a, b] of withBuiltins.records.map((r, i) => [r, withFiles.records[i]!] as const)) expect(a.parsed).toEqual(b.parsed);
  });

  test('kvm_mmio: the type by its symbolic name (write 2, read 1, unsatisfied-read 0), len, gpa, val', () => {
    const mmio = withFiles.records.filter((r) => r.event === 'kvm_mmio').map((r) => r.parsed!.fields);
    expect(mmio[0]).toEqual({ type: 2n, len: 4n, gpa: 0xe0000n, val: 0x11223344n });
    expect(mmio[3]).toEqual({ type: 0n, len: 4n, gpa: 0xe0000n, val: 0n });
    expect(mmio[4]).toEqual({ type: 1n, len: 4n, gpa: 0xe0000n, val: 0xc0de0000n });
  });

  test('kvm_pio: rw from its ternary, port, size, count, val; kvm_set_irq; kvm_pic_set_irq', () => {
    const first = (e: string) => withFiles.records.find((r) => r.event === e)!.parsed!;
    expect(first('kvm_pio').fields).toEqual({ rw: 1n, port: 0x20n, size: 1n, count: 1n, val: 0x11n });
    expect(first('kvm_set_irq').fields).toEqual({ gsi: 4n, level: 1n, irq_source_id: 0n });
    expect(first('kvm_pic_set_irq').fields).toEqual({ chip: 0n, pin: 4n, coalesced: 0n });
    expect(first('kvm_pic_set_irq').derived['(REC->elcr & (1 << REC->pin)) ? "level":"edge"']).toBe('edge');
    const pioRead = withFiles.records.find((r) => r.event === 'kvm_pio' && r.parsed!.fields.rw === 0n)!;
    expect(pioRead.text).toBe('pio_read at 0x3fd size 1 count 1 val 0x60');
  });

  test('kvm_ioapic_set_irq and kvm_userspace_exit: values printed from expressions are kept under the expression', () => {
    const io = withFiles.records.find((r) => r.event === 'kvm_ioapic_set_irq')!.parsed!;
    expect(io.fields).toEqual({ pin: 4n, coalesced: 0n });
    expect(io.derived['(REC->e & (1<<16)) ? "|masked" : ""']).toBe('|masked');
    const exit = withFiles.records.find((r) => r.event === 'kvm_userspace_exit')!.parsed!;
    expect(Object.values(exit.derived)).toEqual(['KVM_EXIT_MMIO', 6n]);
  });

  test('tracing_mark_write markers keep their text', () => {
    expect(withBuiltins.records[0]).toMatchObject({ event: 'tracing_mark_write', text: 'kvmcap: capture start pid 13791' });
  });
});

describe('the format files (tracefs events/kvm/NAME/format)', () => {
  test('fields with offset, size and sign; the print fmt split into its string and arguments', () => {
    const f = formats.get('kvm_mmio')!;
    expect(f.id).toBe(38);
    expect(f.fields.map((x) => `${x.type} ${x.name}@${x.offset}/${x.size}${x.signed ? 's' : ''}`)).toEqual([
      'unsigned short common_type@0/2', 'unsigned char common_flags@2/1', 'unsigned char common_preempt_count@3/1', 'int common_pid@4/4s',
      'u32 type@8/4', 'u32 len@12/4', 'u64 gpa@16/8', 'u64 val@24/8',
    ]);
    expect(f.fmt).toBe('mmio %s len %u gpa 0x%llx val 0x%llx');
    expect(f.args).toHaveLength(4);
  });

  test('the built-in formats are the capture kernel\'s own print fmt lines', () => {
    for (const [name, f] of formats) {
      if (name === 'kvm_exit') continue;
      const b = builtinFormat(name)!;
      expect(b, name).toBeDefined();
      expect(b.fmt).toBe(f.fmt);
      expect(b.args).toEqual(f.args);
    }
  });

  test('a line that is not the format\'s output is kept with its text and counted as unparsed, never guessed at', () => {
    const t = readFtraceText(['  qemu-1 [001] ..... 10.000001: kvm_pio: something else entirely']);
    expect(t.records).toHaveLength(1);
    expect(t.records[0]!.parsed).toBeUndefined();
    expect(t.unparsed).toEqual({ kvm_pio: 1 });
  });

  test('%#llx reads its own 0x prefix; a %s that prints nothing may leave the line trimmed', () => {
    const r = compilePrintFmt({ name: 't', fmt: 'ipa %#llx, pc %#08lx%s', args: ['REC->ipa', 'REC->pc', 'REC->x ? " (x)" : ""'] });
    expect(r.read('ipa 0x1000, pc 0x00400000')!.fields).toEqual({ ipa: 0x1000n, pc: 0x400000n, x: 0n });
    expect(r.read('ipa 0x1000, pc 0x00400000 (x)')!.fields).toEqual({ ipa: 0x1000n, pc: 0x400000n, x: 1n });
  });
});

describe('other text: trace-cmd report, arm64 events, junk', () => {
  test('trace-cmd report lines (no flags column) and arm64 vgic events', () => {
    const t = readFtraceText([
      'cpus=4',
      '        qemu-kvm-4242  [002]  1234.567890: vgic_update_irq_pending: VCPU: 1, IRQ 42, level: 1',
      '        qemu-kvm-4242  [002]  1234.567891: kvm_irq_line:         Inject VGIC SPI interrupt (1), vcpu->idx: 0, num: 42, level: 1',
    ]);
    expect(t.skipped.count).toBe(0);
    expect(t.records.map((r) => [r.task, r.pid, r.cpu, r.event])).toEqual([['qemu-kvm', 4242, 2, 'vgic_update_irq_pending'], ['qemu-kvm', 4242, 2, 'kvm_irq_line']]);
    expect(t.records[0]!.parsed!.fields).toEqual({ vcpu_id: 1n, irq: 42n, level: 1n });
    expect(t.records[1]!.parsed!.fields).toMatchObject({ type: 1n, vcpu_idx: 0n, irq_num: 42n, level: 1n });
  });

  test('lines that are not events are skipped and counted, with the first few kept', () => {
    const t = readFtraceText(['# tracer: nop', '', 'garbage here', 'more garbage']);
    expect(t.records).toHaveLength(0);
    expect(t.skipped.count).toBe(2);
    expect(t.skipped.byReason['not an ftrace event line']!.first.map((x) => x.line)).toEqual([3, 4]);
  });

  test('a line past the bound is refused with its line number', () => {
    expect(() => readFtraceText(['ok', 'x'.repeat(MAX_LINE + 1)])).toThrow(/line 2 is \d+ characters long/);
  });
});
