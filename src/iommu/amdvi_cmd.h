/* AMD-Vi commands (AMD IOMMU spec 48882 rev 3.x, 2.4): the 128-bit entries
 * software puts in the command buffer. Portable encoders only; each checks
 * its arguments against the format and refuses what it cannot express.
 * Ring handling (tail updates, the wait for a COMPLETION_WAIT store with a
 * timeout) is the driver's job. */
#ifndef SHOJI_IOMMU_AMDVI_CMD_H
#define SHOJI_IOMMU_AMDVI_CMD_H

#include "lib/types.h"

struct amdvi_cmd {
	uint32_t w[4];
};

/* COMPLETION_WAIT with store: when every earlier command has completed,
 * the IOMMU writes the 64-bit data at store_addr (8-byte aligned, below
 * 2^52). E_INVAL otherwise (cmd zeroed). */
int amdvi_cmd_completion_wait(struct amdvi_cmd *cmd, paddr_t store_addr, uint64_t data);

/* INVALIDATE_DEVTAB_ENTRY: the IOMMU drops what it cached of devid's DTE. */
void amdvi_cmd_inval_devtab_entry(struct amdvi_cmd *cmd, uint16_t devid);

/* INVALIDATE_IOMMU_PAGES for domain_id: the naturally aligned 2^size_log2
 * byte range containing addr (size_log2 12 .. 64; 64 = the whole address
 * space), page directory entries included when pde. E_INVAL for a
 * size_log2 outside 12 .. 64 (cmd zeroed). */
int amdvi_cmd_inval_iommu_pages(struct amdvi_cmd *cmd, uint16_t domain_id, uint64_t addr,
				unsigned size_log2, bool pde);

/* INVALIDATE_INTERRUPT_TABLE: the IOMMU drops cached remapping entries of
 * devid. */
void amdvi_cmd_inval_interrupt_table(struct amdvi_cmd *cmd, uint16_t devid);

/* INVALIDATE_IOMMU_ALL (only when EFR.IASup). */
void amdvi_cmd_inval_iommu_all(struct amdvi_cmd *cmd);

#endif
