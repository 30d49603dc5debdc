/**
 * Reading an strace log of a VMM: the real capture's strace.txt (strace 6.1,
 * `-f -ttt -T -y -v -X verbose --kvm=vcpu -e trace=ioctl`), checked against
 * the program's own record of the same calls, device_api_probe.json.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { MAX_STRACE_LINE, readStraceText } from '../../recorder/import/strace-text.js';

const CAPTURE = 'test/recorder/fixtures/kvm-x86-capture';
const log = readStraceText(readFileSync(join(CAPTURE, 'strace.txt'), 'utf8').split('\n'));
const probe = JSON.parse(readFileSync(join(CAPTURE, 'device_api_probe.json'), 'utf8')) as { call: string; ret: number; errno_name: string | null }[];

describe('strace -f -ttt -T -y -v -X verbose --kvm=vcpu of a real VMM', () => {
  test('every ioctl line is a call; exits and signals are not; nothing else is skipped', () => {
    const text = readFileSync(join(CAPTURE, 'strace.txt'), 'utf8');
    const starts = text.split('\n').filter((l) => /^\d+ \d+\.\d+ ioctl\(/.test(l)).length;
    expect(log.calls).toHaveLength(starts);
    expect(log.skipped).toEqual({});
    expect(log.unfinished).toBe(0);
  });

  test('fds with their -y paths, requests by number and name, results, errno names, durations', () => {
    const vm = log.calls.find((c) => c.requestName === 'KVM_CREATE_VM')!;
    expect(vm).toMatchObject({ tid: 13801, fd: 3, path: '/dev/kvm', request: 0xae01, args: ['0'], ret: 4, retPath: 'anon_inode:kvm-vm', duration: '0.000238' });
    const dev = log.calls.find((c) => c.requestName === 'KVM_CREATE_DEVICE')!;
    expect(dev).toMatchObject({ path: 'anon_inode:kvm-vm', request: 0xc00caee0, ret: -1, errno: 'ENODEV' });
    // strace prints only a pointer for struct kvm_create_device: kept as text, never decoded into values.
    expect(dev.args).toEqual(['0x7f6b610129b0']);
  });

  test('KVM_RUN carries its exit reason (--kvm=vcpu); a call split across threads is joined at its start', () => {
    const runs = log.calls.filter((c) => c.requestName === 'KVM_RUN' && c.path === 'anon_inode:kvm-vcpu:0');
    expect(new Set(runs.map((r) => r.exitReason))).toEqual(new Set(['KVM_EXIT_MMIO', 'KVM_EXIT_IO', 'KVM_EXIT_HLT', undefined]));
    // The one without: interrupted by the VMM's signal.
    expect(runs.filter((r) => !r.exitReason).map((r) => [r.ret, r.errno])).toEqual([[-1, 'EINTR']]);
    const long = runs.find((r) => r.duration === '0.150555')!;
    expect(long).toMatchObject({ timestamp: '1795315138.498290', args: ['0'], ret: 0, exitReason: 'KVM_EXIT_IO' });
    const status = log.calls.find((c) => c.tid === 13804 && c.requestName === 'KVM_IRQ_LINE_STATUS')!;
    expect(status).toMatchObject({ timestamp: '1795315138.648738', ret: 0, duration: '0.000386' });
    // Calls are in time order across threads.
    for (let i = 1; i < log.calls.length; i++) expect(log.calls[i]!.us).toBeGreaterThanOrEqual(log.calls[i - 1]!.us);
  });

  test('the device-control probe: the same calls, in order, with the same results and errno as the program logged', () => {
    const ioctls = probe.filter((p) => p.call.startsWith('KVM_'));
    let k = 0;
    for (const p of ioctls) {
      while (k < log.calls.length && log.calls[k]!.requestName !== p.call) k++;
      const c = log.calls[k++];
      expect(c, p.call).toBeDefined();
      expect([c!.requestName, c!.ret, c!.errno ?? null]).toEqual([p.call, p.ret, p.errno_name]);
    }
  });

  test('junk, other system calls and an orphan resume are counted, with their lines', () => {
    const t = readStraceText(['hello', '1 2.000001 openat(AT_FDCWD, "/dev/kvm", O_RDWR) = 3 <0.000010>', '1 2.000002 <... ioctl resumed>) = 0 <0.1>']);
    expect(t.calls).toHaveLength(0);
    expect(Object.keys(t.skipped).sort()).toEqual(['a resumed ioctl whose start is not in the log', 'another system call than ioctl', 'not an "strace -f -ttt" line (TID SECONDS.USEC CALL)']);
    expect(() => readStraceText(['x'.repeat(MAX_STRACE_LINE + 1)])).toThrow(/line 1 is/);
  });
});
