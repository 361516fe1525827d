/* AMD-Vi command buffer (AMD IOMMU spec 48882 rev 3.x, 2.4 and 3.4): a ring
 * of 16-byte commands in memory that the IOMMU consumes from its head
 * pointer up to the tail pointer software writes. Used synchronously: every
 * batch ends with a COMPLETION_WAIT that stores a fresh sequence number in
 * the structure itself, and amdvi_cmdbuf_run() returns only when that store
 * arrived, the IOMMU stopped, or the deadline passed. */
#ifndef SHOJI_IOMMU_AMDVI_CMDBUF_H
#define SHOJI_IOMMU_AMDVI_CMDBUF_H

#include "iommu/amdvi_cmd.h"
#include "lib/spinlock.h"
#include "lib/types.h"

#define AMDVI_CMDBUF_LEN_LOG2	8		/* 256 entries: one 4 KiB page */
#define AMDVI_CMDBUF_ENTRIES	(1u << AMDVI_CMDBUF_LEN_LOG2)
#define AMDVI_CMD_TIMEOUT_US	1000000		/* per batch */

/* Must live for the rest of the hypervisor's life (static storage): after a
 * timeout the IOMMU may still store into wait_status, and the ring page is
 * never freed for the same reason. */
struct amdvi_cmdbuf {
	unsigned index;			/* IOMMU number, for log lines */
	paddr_t mmio;			/* the IOMMU's register base */
	struct amdvi_cmd *ring;		/* AMDVI_CMDBUF_ENTRIES commands */
	paddr_t ring_pa;
	uint32_t tail;			/* index of the next slot to fill */
	bool coherent;			/* false: flush written commands */
	bool broken;			/* stopped or timed out: never used again */
	volatile uint64_t wait_status;	/* COMPLETION_WAIT stores here */
	uint64_t wait_seq;
	struct spinlock lock;		/* tail, wait_seq: one batch at a time (docs/smp.md) */
};

/* Allocate the ring, program the base register (ComLen 8), zero head and
 * tail and set Control.CmdBufEn. The IOMMU itself stays as it is (the
 * driver enables it later). Returns 0 or E_NOMEM. */
int amdvi_cmdbuf_init(struct amdvi_cmdbuf *cb, unsigned index, paddr_t mmio, bool coherent);

/* Queue n commands (n < AMDVI_CMDBUF_ENTRIES - 1) and a COMPLETION_WAIT,
 * and wait for the wait's store. Returns 0; E_INVAL for a batch that does
 * not fit; E_FAULT when the buffer is broken, not drained, or the IOMMU
 * stopped fetching (Status.CmdBufRun clear: an illegal command, reported in
 * the event log); E_TIMEOUT after AMDVI_CMD_TIMEOUT_US. The last two mark
 * the buffer broken and log why. */
int amdvi_cmdbuf_run(struct amdvi_cmdbuf *cb, const struct amdvi_cmd *cmds, unsigned n);

#endif
