/** The GICv2's frame kinds on the MMIO bus: the distributor and the CPU interface. */
export const FRAME = { DIST: 0, CPU: 1 } as const;
