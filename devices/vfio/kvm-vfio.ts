/**
 * KVM_DEV_TYPE_VFIO, the VFIO-KVM bridge pseudo device (virt/kvm/vfio.c,
 * kvm_vfio_ops): the VMM tells KVM which VFIO groups or devices the VM
 * uses, so that KVM can account non-coherent DMA and hand the VM to the
 * VFIO file (vfio_file_set_kvm). One group, KVM_DEV_VFIO_FILE (the older
 * KVM_DEV_VFIO_GROUP), with ADD and DEL taking a pointer to an fd, and on
 * powerpc SET_SPAPR_TCE taking struct kvm_vfio_spapr_tce. No get_attr
 * (EPERM). At most one per VM while it exists (kvm_vfio_create); closing
 * its fd releases it (kvm_vfio_release drops every file).
 *
 * Registered on every architecture that selects KVM_VFIO: x86, arm64,
 * powerpc and s390 (kvm_vfio_ops_init from kvm_init).
 */
import type { AttrGroup, DeviceModel, UserBuf, VmCtx } from '../core/device.js';
import { fdOfSlot, isVfioFile, MAX_FILES, slotOfFd } from '../core/files.js';
import { S, sameType, type Infer } from '../core/state.js';
import { DEV_TYPE, ERRNO, type Errno } from '../core/uapi.js';
import { FILE_ATTR_NAMES, KVM_VFIO_NAMES } from './names.js';
import { constName, KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ATTRS, KVM_VFIO_SPAPR_TCE_SIZE, SPAPR_TCE_IOMMU } from './uapi.js';

const { KVM_DEV_VFIO_FILE_ADD, KVM_DEV_VFIO_FILE_DEL, KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE } = KVM_DEV_VFIO_FILE_ATTRS;

export interface KvmVfioState {
  /** kv->file_list: the files added, by slot of the VM's file table, in the order added (list_add_tail). */
  files: number[];
  /** kv->noncoherent: some file's DMA is not cache-coherent (kvm_arch_register_noncoherent_dma was called). */
  noncoherent: boolean;
}

const kvmVfioSchema = S.obj({ files: S.list(S.int(0, MAX_FILES - 1), MAX_FILES), noncoherent: S.bool });
export const KVM_VFIO_SCHEMA_MATCHES: true = sameType<Infer<typeof kvmVfioSchema>, KvmVfioState>();

/** A signed 32-bit fd as get_user reads it from the user's int32_t. */
function fdFrom(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}

/**
 * kvm_vfio_update_coherency: the VM has non-coherent DMA while any listed
 * file does not enforce coherency (vfio_file_enforced_coherent).
 */
function updateCoherency(vm: VmCtx, s: KvmVfioState): void {
  const files = vm.state.files ?? [];
  s.noncoherent = s.files.some((slot) => {
    const f = files[slot]!;
    return isVfioFile(f) && !f.coherent;
  });
}

/** kvm_vfio_file_add: fget (EBADF), vfio_file_is_valid (EINVAL), already listed (EEXIST), then list it and set its kvm. */
function fileAdd(vm: VmCtx, s: KvmVfioState, fd: number): Errno {
  const slot = slotOfFd(vm.state.files, fd);
  if (slot < 0) return ERRNO.EBADF;
  const f = vm.state.files![slot]!;
  if (!isVfioFile(f)) return ERRNO.EINVAL;
  if (s.files.includes(slot)) return ERRNO.EEXIST;
  s.files.push(slot);
  f.kvm = true;
  updateCoherency(vm, s);
  return 0;
}

/**
 * kvm_vfio_file_del: fdget (EBADF), then the listed file that is this fd's
 * file, else ENOENT. No vfio_file_is_valid here: a non-VFIO file is just
 * not in the list (ENOENT, as the capture host answered for /dev/null).
 */
function fileDel(vm: VmCtx, s: KvmVfioState, fd: number): Errno {
  const slot = slotOfFd(vm.state.files, fd);
  if (slot < 0) return ERRNO.EBADF;
  const at = s.files.indexOf(slot);
  let e: Errno = ERRNO.ENOENT;
  if (at >= 0) {
    s.files.splice(at, 1);
    dropFile(vm, slot);
    e = 0;
  }
  updateCoherency(vm, s);
  return e;
}

/** vfio_file_set_kvm(file, NULL) and fput: the file forgets the VM; a file whose fd was closed goes (devices/core/files.ts). */
function dropFile(vm: VmCtx, slot: number): void {
  const f = vm.state.files![slot]!;
  if (isVfioFile(f)) f.kvm = false;
  vm.fileReleased(slot);
}

/**
 * kvm_vfio_file_set_spapr_tce (CONFIG_SPAPR_TCE_IOMMU): copy the struct
 * (EFAULT), fdget the group fd (EBADF), find it listed (ENOENT), get its
 * IOMMU group (a device file has none: vfio_file_iommu_group is NULL, so
 * WARN_ON_ONCE and EIO), then kvm_spapr_tce_attach_iommu_group: fdget the
 * table fd (EBADF) and find it among the VM's TCE tables. devrr models no
 * KVM_CREATE_SPAPR_TCE_64 tables, so an open table fd is EINVAL there.
 */
function setSpaprTce(vm: VmCtx, s: KvmVfioState, buf: UserBuf): Errno {
  if (buf.nullPtr) return ERRNO.EFAULT;
  const { groupfd, tablefd } = spaprTceArg(buf);
  const slot = slotOfFd(vm.state.files, groupfd);
  if (slot < 0) return ERRNO.EBADF;
  if (!s.files.includes(slot)) return ERRNO.ENOENT;
  if (vm.state.files![slot]!.kind !== 'vfio_group') return ERRNO.EIO;
  if (slotOfFd(vm.state.files, tablefd) < 0) return ERRNO.EBADF;
  return ERRNO.EINVAL;
}

/**
 * struct kvm_vfio_spapr_tce from the payload: `data` as powerpc lays it out
 * (big-endian __s32 groupfd, __s32 tablefd); without data, `value` is the
 * group fd and the table fd is -1.
 */
function spaprTceArg(buf: UserBuf): { groupfd: number; tablefd: number } {
  const d = buf.data;
  if (d && d.length >= KVM_VFIO_SPAPR_TCE_SIZE) {
    const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
    return { groupfd: v.getInt32(0, false), tablefd: v.getInt32(4, false) };
  }
  return { groupfd: fdFrom(buf.value), tablefd: -1 };
}

const FILE_GROUP: AttrGroup<KvmVfioState> = {
  id: KVM_DEV_VFIO_FILE,
  name: 'KVM_DEV_VFIO_FILE',
  payload: 4,
  // kvm_vfio_has_attr: ADD and DEL, SET_SPAPR_TCE where CONFIG_SPAPR_TCE_IOMMU; anything else ENXIO.
  has(vm, _s, attr) {
    if (attr === BigInt(KVM_DEV_VFIO_FILE_ADD) || attr === BigInt(KVM_DEV_VFIO_FILE_DEL)) return 0;
    if (attr === BigInt(KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE) && SPAPR_TCE_IOMMU[vm.state.arch]) return 0;
    return ERRNO.ENXIO;
  },
  // kvm_vfio_set_file: get_user of the int32 fd (EFAULT) before anything else for ADD and DEL.
  set(vm, s, attr, buf) {
    if (attr === BigInt(KVM_DEV_VFIO_FILE_ADD) || attr === BigInt(KVM_DEV_VFIO_FILE_DEL)) {
      if (buf.nullPtr) return ERRNO.EFAULT;
      const fd = fdFrom(buf.value);
      return attr === BigInt(KVM_DEV_VFIO_FILE_ADD) ? fileAdd(vm, s, fd) : fileDel(vm, s, fd);
    }
    if (attr === BigInt(KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE) && SPAPR_TCE_IOMMU[vm.state.arch]) return setSpaprTce(vm, s, buf);
    return ERRNO.ENXIO;
  },
  describe: (attr) => (attr <= 0xffffffffn ? constName(KVM_DEV_VFIO_FILE_ATTRS, Number(attr)) : undefined) ?? `attr ${attr}`,
  attrNames: FILE_ATTR_NAMES,
  attrVcpu: { kind: 'none', why: 'KVM-VFIO attrs name no vcpu' },
  describeValue: (attr, value) => (attr !== BigInt(KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE) ? `fd ${fdFrom(value)}` : undefined),
};

export const kvmVfio: DeviceModel<KvmVfioState> = {
  type: DEV_TYPE.KVM_DEV_TYPE_VFIO,
  typeName: 'KVM_DEV_TYPE_VFIO',
  inodeName: 'kvm-vfio',
  arches: ['arm64', 'x86_64', 'ppc64', 's390x'],
  modelVersion: 1,
  // Every listed file is a slot of the VM's file table, listed once.
  stateSchema: (vm) =>
    S.where(kvmVfioSchema, (s, p) => {
      const n = vm.files?.length ?? 0;
      for (const slot of s.files) if (slot >= n) return `${p}.files names file ${slot}, beyond the VM's ${n} files`;
      return new Set(s.files).size === s.files.length ? undefined : `${p}.files lists a file twice`;
    }),
  kernel: {
    // kvm_vfio_ops: create, release, set_attr, has_attr; no get_attr (EPERM).
    ops: { get: false, set: true, has: true },
    groups: [FILE_GROUP],
    // kvm_vfio_create: only one VFIO "device" per VM, among the devices still on kvm->devices.
    create(vm) {
      const taken = vm.state.devices.some((d) => d.type === DEV_TYPE.KVM_DEV_TYPE_VFIO && !d.closed);
      if (taken) return { errno: ERRNO.EBUSY };
      return { errno: 0, state: { files: [], noncoherent: false } };
    },
    // kvm_vfio_release: every listed file loses the VM and its reference; then coherency is updated (to coherent).
    release(vm, s) {
      for (const slot of s.files.splice(0)) dropFile(vm, slot);
      s.noncoherent = false;
    },
  },
  inspect: {
    view: {
      root: 'vfio',
      // The listed files by the fd the VMM passed (FILE_FD_BASE + slot) and what each is.
      build: (vm, s) => ({
        files: s.files.map((slot) => ({ fd: fdOfSlot(slot), kind: vm.files?.[slot]?.kind ?? 'gone', fd_open: vm.files?.[slot]?.open ?? false })),
        noncoherent: s.noncoherent,
      }),
    },
    interrupts: { ranges: [], effects: () => [] },
    migration: {
      saveList: () => [],
      restore: () => ({ writes: [], redrive: [] }),
      notCarried: [
        {
          fields: ['vfio.files[*]', 'vfio.files[*].fd', 'vfio.files[*].kind', 'vfio.files[*].fd_open', 'vfio.noncoherent'],
          what: 'the VFIO files the VMM added and the non-coherent DMA they imply',
          why: 'KVM-VFIO has no get_attr: a VMM re-adds its own VFIO files on the destination (the assigned device is not migrated with the VM fd)',
        },
      ],
    },
  },
  names: KVM_VFIO_NAMES,
};
