/**
 * The KVM-VFIO device's names beyond its group row: the older name of the
 * FILE group (KVM_DEV_VFIO_GROUP, which kvm.h keeps as an alias) and the
 * older names of its attrs (KVM_DEV_VFIO_GROUP_ADD / _DEL). The row's own
 * attr names are the current ones; the old ones are accepted on the fd's
 * groups as constants (include/uapi/linux/kvm.h).
 */
import type { FamilyNames } from '../core/device.js';
import { constantNames } from '../core/names.js';
import { KVM_DEV_VFIO_FILE, KVM_DEV_VFIO_FILE_ATTRS, KVM_DEV_VFIO_GROUP_ATTRS } from './uapi.js';

export const KVM_VFIO_NAMES: FamilyNames = {
  groupAliases: { KVM_DEV_VFIO_GROUP: KVM_DEV_VFIO_FILE },
  attrs: KVM_DEV_VFIO_GROUP_ATTRS,
};

/** KVM_DEV_VFIO_FILE's attrs, as its `describe` prints them. */
export const FILE_ATTR_NAMES = constantNames(KVM_DEV_VFIO_FILE_ATTRS);
