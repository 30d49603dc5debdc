/**
 * The host's /dev/kvm, through libc's open, ioctl and close, called with
 * koffi (an FFI package that ships prebuilt binaries). Every call returns
 * what the kernel returned: a value, or an errno; nothing here interprets
 * results. Buffers handed to the kernel are native memory (koffi.alloc),
 * so that a struct can hold the address of another (kvm_device_attr.addr).
 *
 * koffi is loaded on first use, so that nothing but `record --live` and
 * its tests pays for it, and a machine without it still runs the rest.
 */
import { createRequire } from 'node:module';
import { closeSync, existsSync, openSync, readFileSync } from 'node:fs';

type Koffi = typeof import('koffi');

let koffi: Koffi | undefined;
/** libc's ioctl, variadic: its third argument is given with its C type at each call. */
let libc:
  | {
      ioctl: (fd: number, req: number, argType: string, arg: unknown) => number;
      mmap: (addr: null, length: number, prot: number, flags: number, fd: number, offset: number) => unknown;
      munmap: (addr: unknown, length: number) => number;
    }
  | undefined;

function load(): NonNullable<typeof libc> {
  if (libc) return libc;
  const require = createRequire(import.meta.url);
  koffi = require('koffi') as Koffi;
  const lib = koffi.load('libc.so.6');
  libc = {
    ioctl: lib.func('int ioctl(int fd, unsigned long request, ...)') as never,
    mmap: lib.func('void *mmap(void *addr, size_t length, int prot, int flags, int fd, int64_t offset)') as never,
    munmap: lib.func('int munmap(void *addr, size_t length)') as never,
  };
  return libc;
}

/** Why a live recording cannot run on this machine, or undefined when /dev/kvm can be opened. */
export function liveUnavailable(): string | undefined {
  if (process.platform !== 'linux') return `live recording needs Linux (this is ${process.platform})`;
  if (!existsSync('/dev/kvm')) return 'this machine has no /dev/kvm (no KVM, or not exposed to this container)';
  try {
    closeSync(openSync('/dev/kvm', 'r+'));
  } catch (e) {
    return `/dev/kvm cannot be opened for reading and writing: ${(e as Error).message.split('\n')[0]}`;
  }
  try {
    load();
  } catch (e) {
    return `the FFI package koffi cannot be loaded: ${(e as Error).message.split('\n')[0]}`;
  }
  return undefined;
}

/** The host kernel's release (uname -r), as the trace records it. */
export function kernelRelease(): string {
  try {
    return readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

/** What an ioctl gave: its return value (>= 0), or -1 and the errno. */
export interface IoctlResult {
  readonly ret: number;
  readonly errno: number;
}

/** A native buffer the kernel can read and write, and a DataView on it. */
export class NativeBuffer {
  readonly ptr: unknown;
  readonly view: DataView;
  readonly address: bigint;
  constructor(readonly size: number) {
    load();
    this.ptr = koffi!.alloc('uint8_t', Math.max(1, size));
    this.view = new DataView(koffi!.view(this.ptr, Math.max(1, size)));
    new Uint8Array(this.view.buffer).fill(0);
    this.address = koffi!.address(this.ptr);
  }
  bytes(): Uint8Array {
    return new Uint8Array(this.view.buffer.slice(0, this.size));
  }
  set(data: Uint8Array, at = 0): void {
    new Uint8Array(this.view.buffer).set(data.subarray(0, this.size - at), at);
  }
  free(): void {
    koffi!.free(this.ptr);
  }
}

/** ioctl(fd, request, buffer). */
export function ioctlBuf(fd: number, request: number, buf: NativeBuffer | null): IoctlResult {
  const c = load();
  const ret = c.ioctl(fd, request, 'void *', buf ? buf.ptr : null);
  return ret < 0 ? { ret, errno: koffi!.errno() } : { ret, errno: 0 };
}

/** ioctl(fd, request, integer): requests whose argument is a number (KVM_CREATE_VM's type, KVM_CREATE_VCPU's id). */
export function ioctlInt(fd: number, request: number, arg: number | bigint): IoctlResult {
  const c = load();
  const ret = c.ioctl(fd, request, 'unsigned long', arg);
  return ret < 0 ? { ret, errno: koffi!.errno() } : { ret, errno: 0 };
}

/** Opens /dev/kvm (O_RDWR | O_CLOEXEC, as VMMs do); throws with the reason if it cannot. */
export function openKvm(): number {
  return openSync('/dev/kvm', 'r+');
}

export function closeFd(fd: number): void {
  try {
    closeSync(fd);
  } catch {
    // already closed
  }
}

const PROT_READ = 1;
const PROT_WRITE = 2;
const MAP_SHARED = 1;
const MAP_PRIVATE = 2;
const MAP_ANONYMOUS = 0x20;

/** Memory mapped into this process: a vcpu's kvm_run page (shared with the kernel) or guest RAM (anonymous). */
export class Mapping {
  readonly view: DataView;
  readonly address: bigint;
  private constructor(
    private readonly ptr: unknown,
    readonly size: number,
  ) {
    this.view = new DataView(koffi!.view(ptr, size));
    this.address = koffi!.address(ptr);
  }
  /** mmap(fd, 0, size, MAP_SHARED): a vcpu's kvm_run; throws with the errno if it fails. */
  static shared(fd: number, size: number): Mapping {
    const c = load();
    const p = c.mmap(null, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (koffi!.address(p) === 0xffffffffffffffffn || p === null) throw new Error(`mmap of fd ${fd} failed (errno ${koffi!.errno()})`);
    return new Mapping(p, size);
  }
  /** Anonymous zeroed memory, page-aligned: guest RAM. */
  static anonymous(size: number): Mapping {
    const c = load();
    const p = c.mmap(null, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (koffi!.address(p) === 0xffffffffffffffffn || p === null) throw new Error(`mmap of ${size} bytes failed (errno ${koffi!.errno()})`);
    return new Mapping(p, size);
  }
  unmap(): void {
    load().munmap(this.ptr, this.size);
  }
}
