/**
 * `devrr record` on hostile or mistaken scenarios (issue 9, items 9 and 10):
 * each input below once crashed devrr (exit 70, a stack trace, a leftover
 * X.incomplete), was silently dropped or wrapped, or read forever. A bad
 * scenario is exit 2 with one line naming the file and the step and field
 * (or the byte offset), and no file at all is made.
 */
import { mkdirSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { MAX_SCENARIO_BYTES } from '../../recorder/scenario-file.js';
import { MAX_STEPS } from '../../recorder/scenario.js';
import { tempDir } from '../tmp.js';
import { devrr } from './run.js';

const root = tempDir();
let n = 0;

/** Records `text` in a fresh directory; returns the result and what the directory holds afterwards. */
async function record(text: string): Promise<{ code: number; out: string; err: string; file: string; left: string[] }> {
  const dir = join(root, `case${n++}`);
  mkdirSync(dir);
  const file = join(dir, 'scenario.json');
  writeFileSync(file, text);
  const r = await devrr('record', file, '-o', join(dir, 'out.devrr'));
  return { ...r, file, left: readdirSync(dir).filter((f) => f !== 'scenario.json') };
}

/** Exit 2, one line that starts with the file name and says `what`, and no trace and no .incomplete. */
async function refused(doc: unknown, what: RegExp): Promise<void> {
  const r = await record(typeof doc === 'string' ? doc : JSON.stringify(doc));
  expect(r.code, r.err).toBe(2);
  expect(r.err.split('\n')).toHaveLength(1);
  expect(r.err.startsWith(`${r.file}: `)).toBe(true);
  expect(r.err).toMatch(what);
  expect(r.err).not.toMatch(/internal error|    at /);
  expect(r.left).toEqual([]);
}

const arm = (steps: unknown[]) => ({ arch: 'arm64', steps });

describe('crashes that left X.incomplete', () => {
  test('a step naming a device whose create_device failed records EBADF (fd -1; fs/ioctl.c: fdget fails before KVM), exit 0, and the trace replays', async () => {
    const r = await record(
      JSON.stringify(
        arm([
          { op: 'create_device', type: 'KVM_DEV_TYPE_ARM_VGIC_V2', as: 'g1' },
          { op: 'create_device', type: 'KVM_DEV_TYPE_ARM_VGIC_V2', as: 'gic', expect: 'EEXIST' },
          { op: 'set_attr', dev: 'gic', group: 'KVM_DEV_ARM_VGIC_GRP_CTRL', attr: 'KVM_DEV_ARM_VGIC_CTRL_INIT', expect: 'EBADF' },
          { op: 'has_attr', dev: 'gic', group: 'KVM_DEV_ARM_VGIC_GRP_CTRL', attr: 'KVM_DEV_ARM_VGIC_CTRL_INIT', expect: 'EBADF' },
          { op: 'get_attr', dev: 'gic', group: 'KVM_DEV_ARM_VGIC_GRP_DIST_REGS', attr: 'GICD_TYPER', expect: 'EBADF' },
        ]),
      ),
    );
    expect(r.code, r.err).toBe(0);
    expect(r.left).toEqual(['out.devrr']);
    const t = join(root, `case${n - 1}`, 'out.devrr');
    expect((await devrr('replay', t)).code).toBe(0);
    // fd -1 is no device: no family's table names its group, so dump prints the number (group 4 is the VGIC's CTRL, another family's something else).
    expect((await devrr('dump', t)).out).toMatch(/set_attr dev 4294967295 group 4 0x0 -> EBADF/);
  });

  test('a KVM_CREATE_DEVICE_TEST probe makes no fd either: its name answers EBADF', async () => {
    const r = await record(
      JSON.stringify(
        arm([
          { op: 'create_device', type: 'KVM_DEV_TYPE_ARM_VGIC_V2', flags: 'KVM_CREATE_DEVICE_TEST', as: 'probe', expect: 0 },
          { op: 'has_attr', dev: 'probe', group: 'KVM_DEV_ARM_VGIC_GRP_CTRL', attr: 'KVM_DEV_ARM_VGIC_CTRL_INIT', expect: 'EBADF' },
        ]),
      ),
    );
    expect(r.code, r.out + r.err).toBe(0);
  });

  test('a dead VM still answers EBADF for a device or vcpu that was never made (fdget in fs/ioctl.c comes before the EIO of kvm_device_ioctl / kvm_vcpu_ioctl)', async () => {
    const r = await record(
      JSON.stringify(
        arm([
          { op: 'create_vcpu', id: 0 },
          { op: 'create_device', type: 'KVM_DEV_TYPE_ARM_VGIC_V2', as: 'gic' },
          { op: 'run_vcpu', vcpu: 0, expect: 'ENXIO', note: 'no addresses: the first run fails and the VM is dead' },
          { op: 'create_device', type: 'KVM_DEV_TYPE_ARM_VGIC_V3', as: 'late', expect: 'EIO' },
          { op: 'has_attr', dev: 'gic', group: 'KVM_DEV_ARM_VGIC_GRP_CTRL', attr: 'KVM_DEV_ARM_VGIC_CTRL_INIT', expect: 'EIO' },
          { op: 'has_attr', dev: 'late', group: 'KVM_DEV_ARM_VGIC_GRP_CTRL', attr: 'KVM_DEV_ARM_VGIC_CTRL_INIT', expect: 'EBADF' },
          { op: 'has_attr', dev: 'vcpu:0', group: 0, attr: 0, expect: 'EIO', note: 'kvm_vcpu_ioctl: the VM is dead' },
          { op: 'has_attr', dev: 'vcpu:5', group: 0, attr: 0, expect: 'EBADF', note: 'no vcpu 5, no fd' },
        ]),
      ),
    );
    expect(r.code, r.out + r.err).toBe(0);
  });

  test('a vcpu fd of 2^32 is refused', async () => {
    await refused(arm([{ op: 'create_vcpu', id: 0 }, { op: 'set_attr', dev: 'vcpu:4294967296', group: 0, attr: 0 }]), /step 1: field "dev": "vcpu:4294967296": a vcpu id is 0 to 2\^32-1/);
    await refused(arm([{ op: 'set_attr', dev: 'vcpu:99999999999999999999999', group: 0, attr: 0 }]), /step 0: field "dev"/);
  });

  test('a note with a __proto__ key, or nested deeper than the trace keeps, is refused', async () => {
    await refused('{"arch":"arm64","steps":[{"op":"create_vcpu","id":0,"note":{"__proto__":1}}]}', /step 0: field "note": key "__proto__" is not supported/);
    await refused('{"arch":"arm64","steps":[{"op":"create_vcpu","id":0,"note":{"a":[{"__proto__":{}}]}}]}', /step 0: field "note": note\.a\[0\]: key "__proto__"/);
    const nest = (k: number) => `${'['.repeat(k)}1${']'.repeat(k)}`;
    await refused(`{"arch":"arm64","steps":[{"op":"create_vcpu","id":0,"note":${nest(257)}}]}`, /step 0: field "note": .*nested deeper than 256 levels/);
    await refused(`{"arch":"arm64","steps":[{"op":"create_vcpu","id":0,"note":${nest(300)}}]}`, /byte offset \d+: nested deeper than 260 levels/);
    // 256 levels is what the trace keeps: recorded.
    const ok = await record(`{"arch":"arm64","steps":[{"op":"create_vcpu","id":0,"note":${nest(256)}}]}`);
    expect(ok.code, ok.err).toBe(0);
  });

  test('{"op":"toString","id":0} is an unknown op, not "allowed.includes is not a function"', async () => {
    await refused(arm([{ op: 'toString', id: 0 }]), /step 0: field "op": unknown op "toString"/);
  });

  test('a data hex string of 8M characters is refused by its size, not "Maximum call stack size exceeded"', async () => {
    await refused(arm([{ op: 'mem_write', addr: 0, data: '00'.repeat(4 << 20) }]), /step 0: field "data": holds 4194304 bytes; at most 1048576/);
    // The same check on attribute payloads; a long string of bad digits is refused without backtracking.
    await refused(arm([{ op: 'set_attr', dev: 'vm', group: 0, attr: 0, data: `${'0'.repeat(1 << 20)}g` }]), /step 0: field "data": must be a hex string of whole bytes/);
  });
});

describe('steps silently dropped or wrapped', () => {
  test('steps with op toString, constructor, hasOwnProperty or __proto__ are refused, not dropped', async () => {
    for (const op of ['toString', 'constructor', 'hasOwnProperty', '__proto__', 'valueOf']) {
      await refused(arm([{ op: 'create_vcpu', id: 0 }, { op }]), new RegExp(`step 1: field "op": unknown op "${op}"`));
    }
  });

  test('values of 2^64 or more, or below -2^63, are refused where they used to wrap', async () => {
    const dev = [{ op: 'create_vcpu', id: 0 }];
    await refused(arm([...dev, { op: 'mmio', vcpu: 0, dir: 'write', addr: 0, len: 8, value: '0x10000000000000001' }]), /step 1: field "value": does not fit in 64 bits/);
    await refused(arm([{ op: 'set_attr', dev: 'vm', group: 0, attr: 0, value: '-9223372036854775809' }]), /step 0: field "value": does not fit in 64 bits/);
    await refused(arm([{ op: 'set_attr', dev: 'vm', group: 0, attr: '18446744073709551616' }]), /step 0: field "attr": does not fit in 64 bits/);
    await refused(arm([{ op: 'get_attr', dev: 'vm', group: 0, attr: 0, expect_value: '0x1ffffffffffffffff' }]), /step 0: field "expect_value": does not fit in 64 bits/);
    await refused(arm([{ op: 'arm_set_device_addr', id: '0x10000000000000000', addr: 0 }]), /step 0: field "id": does not fit/);
    await refused(arm([{ op: 'signal_msi', address: '-0x1', data: 0 }]), /step 0: field "address": must be a number/);
    await refused(arm([{ op: 'enable_cap', cap: 0, args: [0, '18446744073709551616'] }]), /step 0: field "args": does not fit in 64 bits/);
    await refused(arm([{ op: 'enable_cap', cap: 0, vcpu: 2147483648 }]), /step 0: field "vcpu": must be a whole number from 0 to 2147483647/);
    await refused(arm([{ op: 'create_vcpu', id: 2 ** 60 }]), /step 0: field "id": is a JSON number beyond 2\^53/);
    await refused(arm([{ op: 'create_vcpu', id: 1.5 }]), /step 0: field "id": must be a whole number/);
    await refused(arm([{ op: 'create_vcpu', id: `0x${'f'.repeat(100)}` }]), /step 0: field "id": is too long for a 64-bit number/);
    // The edges themselves fit.
    const r = await record(JSON.stringify(arm([{ op: 'set_attr', dev: 'vm', group: 0, attr: '0xffffffffffffffff', value: '-9223372036854775808', expect: 'ENXIO' }])));
    expect(r.code, r.err).toBe(0);
  });

  test('"op": 5 says the op must be a string, not that it is missing', async () => {
    await refused(arm([{ op: 5 }]), /step 0: field "op": must be a string naming the op, not 5/);
    await refused(arm([{ id: 0 }]), /step 0: field "op": missing/);
  });
});

describe('sizes are bounded before they are read or built', () => {
  test('record /dev/zero stops at the size bound', async () => {
    const dir = join(root, 'zero');
    mkdirSync(dir);
    const r = await devrr('record', '/dev/zero', '-o', join(dir, 'out.devrr'));
    expect(r.code).toBe(2);
    expect(r.err).toBe(`/dev/zero: larger than ${MAX_SCENARIO_BYTES >> 20} MiB, the most devrr reads from a scenario`);
    expect(readdirSync(dir)).toEqual([]);
  });

  test('a regular file past the bound is refused by its size, before it is read', async () => {
    const dir = join(root, 'big');
    mkdirSync(dir);
    const file = join(dir, 'big.json');
    writeFileSync(file, '');
    truncateSync(file, MAX_SCENARIO_BYTES + 1);
    const r = await devrr('record', file, '-o', join(dir, 'out.devrr'));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/larger than 64 MiB/);
    expect(readdirSync(dir)).toEqual(['big.json']);
  });

  test('the number of steps, values and objects is bounded before JSON.parse builds them', async () => {
    await refused(`{"arch":"arm64","steps":[${'0,'.repeat(MAX_STEPS)}0]}`, /field "steps": holds 1048577 steps, more than the 1048576/);
    await refused(`{"arch":"arm64","steps":[],"note":[${'0,'.repeat(8 << 20)}0]}`, /byte offset \d+: holds more than 8388608 values/);
    await refused(`{"arch":"arm64","steps":[],"note":[${'{},'.repeat(2 << 20)}{}]}`, /byte offset \d+: holds more than 2097152 objects and arrays/);
    await refused(`{"arch":"arm64","steps":${'['.repeat(1000)}${']'.repeat(1000)}}`, /byte offset 283: nested deeper than 260 levels/);
  });

  test('enable_cap takes at most kvm_enable_cap\'s 4 args', async () => {
    await refused(arm([{ op: 'enable_cap', cap: 0, args: [1, 2, 3, 4, 5] }]), /step 0: field "args": holds 5 elements; at most 4/);
  });
});

describe('guest RAM a scenario can make the models hold or the trace keep', () => {
  test('mem_write steps may write at most 4096 distinct pages (each checkpoint carries every written page)', async () => {
    const steps = Array.from({ length: 4097 }, (_, i) => ({ op: 'mem_write', addr: i * 4096, data: '01' }));
    await refused(arm(steps), /step 4096: field "addr": writes a 4097th distinct 4 KiB page of guest RAM; one scenario may write at most 4096 \(16 MiB\)/);
    // Rewriting the same pages is no limit.
    const same = Array.from({ length: 5000 }, (_, i) => ({ op: 'mem_write', addr: (i % 4096) * 4096, data: '01' }));
    const r = await record(JSON.stringify(arm(same)));
    expect(r.code, r.err).toBe(0);
  });

  test('mem_read steps may read at most 64 MiB in all (the trace keeps every byte read)', async () => {
    const steps = Array.from({ length: 65 }, () => ({ op: 'mem_read', addr: 0, len: 1 << 20 }));
    await refused(arm(steps), /step 64: field "len": brings the guest RAM the scenario reads past 64 MiB in all/);
  });
});

describe('limits the trace reader enforces, refused before anything is written (traces/FORMAT.md, Limits)', () => {
  test('a 16th create_vm step (17 VMs with the file\'s own) is exit 2 naming the step, not a trace every command refuses', async () => {
    const steps = Array.from({ length: 16 }, (_, i) => ({ op: 'create_vm', as: `vm${i + 1}` }));
    await refused(arm(steps), /step 15.*op.*at most 16 VMs/);
  });

  test('a 257th create_device of one VM is exit 2, whatever the earlier ones returned', async () => {
    const steps = Array.from({ length: 257 }, () => ({ op: 'create_device', type: 'KVM_DEV_TYPE_ARM_VGIC_V2', flags: 'KVM_CREATE_DEVICE_TEST' }));
    await refused(arm(steps), /step 256.*at most 256 per VM/);
  });

  test('a note over 64 KiB as the trace encodes it is exit 2 naming the note (it was exit 70 from the writer)', async () => {
    await refused(arm([{ op: 'create_vcpu', id: 0, note: 'x'.repeat(70_000) }]), /step 0.*note.*at most 64 KiB/);
  });
});
