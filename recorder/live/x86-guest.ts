/**
 * A small real-mode x86 guest that makes the accesses a scenario asks for,
 * one step at a time, so that a live recording gets the kernel's own
 * answers to guest MMIO and port I/O (KVM_RUN, KVM_EXIT_MMIO, KVM_EXIT_IO).
 *
 * Each step is a few instructions written at CODE and run from there:
 *
 *     xor eax, eax                  ; a read's value starts at 0
 *     [mov eax, VALUE]              ; a write's value
 *     mov ebx, ADDR / mov dx, PORT
 *     the access                    ; mov fs:[ebx], al|ax|eax / mov al|ax|eax, fs:[ebx] / out / in
 *     mov dx, SYNC_PORT
 *     out dx, eax                   ; back to devrr, with what a read gave in eax
 *
 * An access no in-kernel device claims exits to devrr first (the VMM's
 * part): devrr answers a read with the scenario's value, as a VMM would.
 * An access a device in the kernel handles (the IOAPIC, the PICs) does not
 * exit; what it read reaches devrr through eax at the SYNC_PORT exit. FS
 * is set up as a flat 4 GiB segment ("unreal mode", as the capture's own
 * guest did), so any 32-bit address is reachable from real mode. Real
 * mode makes accesses of 1, 2 and 4 bytes; an 8-byte access is refused.
 */
import { KVM, KVM_USERSPACE_MEMORY_REGION_T, put, type StructLayout, struct } from './abi.js';
import { type IoctlResult, ioctlBuf, ioctlInt, Mapping, NativeBuffer } from './host.js';

/** Guest RAM: 64 KiB at guest physical 0, the code page and the stack in it; every address above is free for MMIO. */
export const GUEST_RAM = 0x10000;
const CODE = 0x1000;
const STACK = 0x8000;
/** The port the guest writes to after each step; no in-kernel device claims it (Bochs' debug port). */
export const SYNC_PORT = 0xe9;

// struct kvm_run (include/uapi/linux/kvm.h), the part devrr reads.
const RUN_EXIT_REASON = 8;
const RUN_EXIT = 32;
export const KVM_EXIT_IO = 2;
export const KVM_EXIT_HLT = 5;
export const KVM_EXIT_MMIO = 6;
export const KVM_EXIT_SHUTDOWN = 8;
export const KVM_EXIT_FAIL_ENTRY = 9;
export const KVM_EXIT_INTERNAL_ERROR = 17;

// arch/x86/include/uapi/asm/kvm.h
const SEGMENT = (n: string): (readonly [string, { bytes: number; align: number }])[] => [[n, { bytes: 24, align: 8 }]];
export const KVM_REGS_T: StructLayout = struct('kvm_regs', ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rsp', 'rbp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip', 'rflags'].map((r) => [r, 'u64'] as const));
export const KVM_SREGS_T: StructLayout = struct('kvm_sregs', [
  ...['cs', 'ds', 'es', 'fs', 'gs', 'ss', 'tr', 'ldt'].flatMap(SEGMENT),
  ['gdt', { bytes: 16, align: 8 }],
  ['idt', { bytes: 16, align: 8 }],
  ['cr0', 'u64'],
  ['cr2', 'u64'],
  ['cr3', 'u64'],
  ['cr4', 'u64'],
  ['cr8', 'u64'],
  ['efer', 'u64'],
  ['apic_base', 'u64'],
  ['interrupt_bitmap', { bytes: 32, align: 8 }],
]);
/** struct kvm_segment: base u64, limit u32, selector u16, then type, present, dpl, db, s, l, g, avl, unusable, padding (u8 each). */
const SEG = { base: 0, limit: 8, selector: 12, type: 14, present: 15, dpl: 16, db: 17, s: 18, l: 19, g: 20, avl: 21 } as const;

const GET_REGS = 0x8090ae81;
const SET_REGS = 0x4090ae82;
const GET_SREGS = 0x8138ae83;
const SET_SREGS = 0x4138ae84;

/** One guest access, as a scenario step gives it. */
export interface GuestAccess {
  readonly space: 'mmio' | 'pio';
  readonly write: boolean;
  /** Guest physical address (mmio) or port (pio). */
  readonly addr: number;
  readonly len: 1 | 2 | 4 | 8;
  /** The value written, or the VMM's answer to a read that exits. */
  readonly value: bigint;
}

/** What the host did with it. */
export interface GuestResult {
  /** The access exited to the VMM (no in-kernel device claimed it). */
  readonly exit: boolean;
  /** What a read gave the guest (the in-kernel device's answer, or the VMM's); a write's value. */
  readonly value: bigint;
  /** KVM_RUN's own failure, if it failed (an errno), else 0. */
  readonly errno: number;
}

export class GuestRefused extends Error {
  override name = 'GuestRefused';
}

/** Why a real-mode guest cannot make `a`, or undefined. */
export function guestRefusal(a: Pick<GuestAccess, 'space' | 'addr' | 'len'>): string | undefined {
  if (a.len === 8) return 'an 8-byte access: the live guest runs in real mode, whose accesses are 1, 2 or 4 bytes';
  if (a.space === 'pio' && (a.addr < 0 || a.addr > 0xffff)) return `port 0x${a.addr.toString(16)} is not a 16-bit port`;
  if (a.space === 'mmio' && (a.addr < 0 || a.addr + a.len > 2 ** 32)) return `address 0x${a.addr.toString(16)} is above 4 GiB, out of a real-mode guest's reach`;
  if (a.space === 'mmio' && a.addr < GUEST_RAM) return `address 0x${a.addr.toString(16)} is in the live guest's own RAM (the first ${GUEST_RAM >> 10} KiB)`;
  return undefined;
}

/** The instructions of one step (see the file comment). */
export function stepCode(a: GuestAccess): Uint8Array {
  const b: number[] = [];
  const imm32 = (v: number) => b.push(v & 0xff, (v >>> 8) & 0xff, (v >>> 16) & 0xff, (v >>> 24) & 0xff);
  const imm16 = (v: number) => b.push(v & 0xff, (v >>> 8) & 0xff);
  b.push(0x66, 0x31, 0xc0); // xor eax, eax
  if (a.write) {
    b.push(0x66, 0xb8); // mov eax, imm32
    imm32(Number(a.value & 0xffffffffn));
  }
  // Operand size: 8-bit opcodes for 1 byte, 16-bit default, 0x66 for 32 bits.
  const wide = a.len === 4 ? [0x66] : [];
  if (a.space === 'mmio') {
    b.push(0x66, 0xbb); // mov ebx, imm32
    imm32(a.addr);
    // fs: (0x64), 32-bit addressing (0x67), modrm 0x03 = [ebx] with al/ax/eax.
    const op = a.write ? (a.len === 1 ? 0x88 : 0x89) : a.len === 1 ? 0x8a : 0x8b;
    b.push(0x64, ...wide, 0x67, op, 0x03);
  } else {
    b.push(0xba); // mov dx, imm16
    imm16(a.addr);
    const op = a.write ? (a.len === 1 ? 0xee : 0xef) : a.len === 1 ? 0xec : 0xed;
    b.push(...wide, op);
  }
  b.push(0xba); // mov dx, SYNC_PORT
  imm16(SYNC_PORT);
  b.push(0x66, 0xef); // out dx, eax
  return Uint8Array.from(b);
}

/** One vcpu of a live VM that runs the guest. */
export class X86Guest {
  private readonly run: Mapping;
  private readonly ram: Mapping;

  private constructor(
    private readonly vcpuFd: number,
    run: Mapping,
    ram: Mapping,
  ) {
    this.run = run;
    this.ram = ram;
  }

  /**
   * Gives VM `vmFd` its RAM (slot 0) and sets vcpu `vcpuFd` up in real
   * mode with a flat FS. `kvmFd` tells the kvm_run size. One guest per VM
   * holds the RAM; further vcpus share it (`ram`).
   */
  static setup(kvmFd: number, vmFd: number, vcpuFd: number, ram?: Mapping): X86Guest {
    const mem = ram ?? Mapping.anonymous(GUEST_RAM);
    if (!ram) {
      const r = new NativeBuffer(KVM_USERSPACE_MEMORY_REGION_T.size);
      put(r.view, KVM_USERSPACE_MEMORY_REGION_T, 'slot', 0);
      put(r.view, KVM_USERSPACE_MEMORY_REGION_T, 'guest_phys_addr', 0);
      put(r.view, KVM_USERSPACE_MEMORY_REGION_T, 'memory_size', GUEST_RAM);
      put(r.view, KVM_USERSPACE_MEMORY_REGION_T, 'userspace_addr', mem.address);
      check(ioctlBuf(vmFd, KVM.SET_USER_MEMORY_REGION, r), 'KVM_SET_USER_MEMORY_REGION');
      r.free();
    }
    const size = ioctlInt(kvmFd, KVM.GET_VCPU_MMAP_SIZE, 0);
    check(size, 'KVM_GET_VCPU_MMAP_SIZE');
    const run = Mapping.shared(vcpuFd, size.ret);
    const s = new NativeBuffer(KVM_SREGS_T.size);
    check(ioctlBuf(vcpuFd, GET_SREGS, s), 'KVM_GET_SREGS');
    const seg = (name: string) => KVM_SREGS_T.fields.get(name)!.offset;
    // CS: base 0, selector 0 (the reset vector's 0xffff0000 base is not where our code is).
    s.view.setBigUint64(seg('cs') + SEG.base, 0n, true);
    s.view.setUint16(seg('cs') + SEG.selector, 0, true);
    // FS: a flat 4 GiB data segment (unreal mode).
    s.view.setBigUint64(seg('fs') + SEG.base, 0n, true);
    s.view.setUint32(seg('fs') + SEG.limit, 0xffffffff, true);
    s.view.setUint8(seg('fs') + SEG.g, 1);
    check(ioctlBuf(vcpuFd, SET_SREGS, s), 'KVM_SET_SREGS');
    s.free();
    return new X86Guest(vcpuFd, run, mem);
  }

  get memory(): Mapping {
    return this.ram;
  }

  /** Makes one access and returns what the host did. Throws GuestRefused for one real mode cannot make. */
  access(a: GuestAccess): GuestResult {
    const why = guestRefusal(a);
    if (why) throw new GuestRefused(why);
    const code = stepCode(a);
    new Uint8Array(this.ram.view.buffer).set(code, CODE);
    this.setIp(CODE);
    let exit = false;
    let answered = a.value;
    for (let exits = 0; exits < 4; exits++) {
      const r = ioctlInt(this.vcpuFd, KVM.RUN, 0);
      if (r.ret < 0) return { exit, value: 0n, errno: r.errno };
      const reason = this.run.view.getUint32(RUN_EXIT_REASON, true);
      if (reason === KVM_EXIT_IO) {
        const v = this.run.view;
        const dirOut = v.getUint8(RUN_EXIT) === 1;
        const size = v.getUint8(RUN_EXIT + 1);
        const port = v.getUint16(RUN_EXIT + 2, true);
        const dataOff = Number(v.getBigUint64(RUN_EXIT + 8, true));
        const isSync = port === SYNC_PORT && dirOut && size === 4 && (exits > 0 || !(a.space === 'pio' && a.addr === SYNC_PORT));
        if (isSync) {
          const eax = BigInt(v.getUint32(dataOff, true));
          const mask = (1n << BigInt(8 * a.len)) - 1n;
          return { exit, value: a.write ? a.value : eax & mask, errno: 0 };
        }
        // The step's own port access, exiting to the VMM: a read gets the scenario's answer.
        exit = true;
        if (!dirOut) for (let k = 0; k < size; k++) v.setUint8(dataOff + k, Number((answered >> BigInt(8 * k)) & 0xffn));
        continue;
      }
      if (reason === KVM_EXIT_MMIO) {
        const v = this.run.view;
        const isWrite = v.getUint8(RUN_EXIT + 20) === 1;
        const len = v.getUint32(RUN_EXIT + 16, true);
        exit = true;
        if (!isWrite) for (let k = 0; k < len; k++) v.setUint8(RUN_EXIT + 8 + k, Number((answered >> BigInt(8 * k)) & 0xffn));
        else answered = a.value;
        continue;
      }
      throw new GuestRefused(`the live guest stopped with KVM exit reason ${reason} (not MMIO or port I/O) during a ${a.space} ${a.write ? 'write' : 'read'} of 0x${a.addr.toString(16)}`);
    }
    throw new GuestRefused(`the live guest's ${a.space} access to 0x${a.addr.toString(16)} did not come back to devrr`);
  }

  /** KVM_RUN with no access: the vcpu runs the sync instructions only (a run_vcpu step). Returns KVM_RUN's errno. */
  runOnly(): number {
    const code = Uint8Array.from([0xba, SYNC_PORT & 0xff, SYNC_PORT >> 8, 0x66, 0xef]);
    new Uint8Array(this.ram.view.buffer).set(code, CODE);
    this.setIp(CODE);
    const r = ioctlInt(this.vcpuFd, KVM.RUN, 0);
    if (r.ret < 0) return r.errno;
    const reason = this.run.view.getUint32(RUN_EXIT_REASON, true);
    if (reason !== KVM_EXIT_IO) throw new GuestRefused(`the live guest stopped with KVM exit reason ${reason} on a run with no access`);
    return 0;
  }

  private setIp(ip: number): void {
    const r = new NativeBuffer(KVM_REGS_T.size);
    check(ioctlBuf(this.vcpuFd, GET_REGS, r), 'KVM_GET_REGS');
    put(r.view, KVM_REGS_T, 'rip', ip);
    put(r.view, KVM_REGS_T, 'rsp', STACK);
    put(r.view, KVM_REGS_T, 'rflags', 2);
    check(ioctlBuf(this.vcpuFd, SET_REGS, r), 'KVM_SET_REGS');
    r.free();
  }

  close(ownRam: boolean): void {
    this.run.unmap();
    if (ownRam) this.ram.unmap();
  }
}

function check(r: IoctlResult, what: string): void {
  if (r.ret < 0) throw new GuestRefused(`${what} failed on this host (errno ${r.errno}): the live guest cannot run`);
}

