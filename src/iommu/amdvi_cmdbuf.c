/* AMD-Vi command buffer: see amdvi_cmdbuf.h. Registers in amdvi_regs.h
 * (3.4: Command Buffer Base Address, Head and Tail Pointer, Control,
 * Status). */
#include "iommu/amdvi_cmdbuf.h"
#include "iommu/amdvi_regs.h"
#include "lib/deadline.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/string.h"

int amdvi_cmdbuf_init(struct amdvi_cmdbuf *cb, unsigned index, paddr_t mmio, bool coherent)
{
	uint64_t ctrl;

	memset(cb, 0, sizeof(*cb));
	cb->index = index;
	cb->mmio = mmio;
	cb->coherent = coherent;
	cb->ring = hal_page_alloc();
	if (!cb->ring) {
		log_error("amdvi iommu=%u: no memory for the command buffer", index);
		cb->broken = true;
		return E_NOMEM;
	}
	memset(cb->ring, 0, AMDVI_CMDBUF_ENTRIES * AMDVI_CMD_SIZE);
	if (!coherent)
		hal_cache_flush(cb->ring, AMDVI_CMDBUF_ENTRIES * AMDVI_CMD_SIZE);
	cb->ring_pa = hal_virt_to_phys(cb->ring);
	hal_mmio_write64(mmio + AMDVI_MMIO_CMD_BUF_BASE,
			 cb->ring_pa | (uint64_t)AMDVI_CMDBUF_LEN_LOG2 << AMDVI_RING_LEN_SHIFT);
	hal_mmio_write64(mmio + AMDVI_MMIO_CMD_BUF_HEAD, 0);
	hal_mmio_write64(mmio + AMDVI_MMIO_CMD_BUF_TAIL, 0);
	ctrl = hal_mmio_read64(mmio + AMDVI_MMIO_CONTROL);
	hal_mmio_write64(mmio + AMDVI_MMIO_CONTROL, ctrl | AMDVI_CTRL_CMD_BUF_EN);
	return 0;
}

static uint32_t head_index(const struct amdvi_cmdbuf *cb)
{
	uint64_t head = hal_mmio_read64(cb->mmio + AMDVI_MMIO_CMD_BUF_HEAD);

	return (uint32_t)((head & AMDVI_RING_PTR_MASK) / AMDVI_RING_ENTRY_SIZE) %
	       AMDVI_CMDBUF_ENTRIES;
}

static int broken(struct amdvi_cmdbuf *cb, int err, const char *why)
{
	log_error("amdvi iommu=%u: command buffer %s (head=%u tail=%u seq=%llu): no further "
		  "commands", cb->index, why, head_index(cb), cb->tail,
		  (unsigned long long)cb->wait_seq);
	cb->broken = true;
	return err;
}

static void put(struct amdvi_cmdbuf *cb, const struct amdvi_cmd *cmd)
{
	struct amdvi_cmd *slot = &cb->ring[cb->tail];

	*slot = *cmd;
	if (!cb->coherent)
		hal_cache_flush(slot, sizeof(*slot));
	cb->tail = (cb->tail + 1) % AMDVI_CMDBUF_ENTRIES;
}

static int run_locked(struct amdvi_cmdbuf *cb, const struct amdvi_cmd *cmds, unsigned n)
{
	uint64_t seq;
	struct amdvi_cmd wait;
	struct deadline d;

	if (cb->broken)
		return E_FAULT;
	if (n >= AMDVI_CMDBUF_ENTRIES - 1)
		return E_INVAL;
	/* Batches are synchronous: the IOMMU has consumed everything. */
	if (head_index(cb) != cb->tail)
		return broken(cb, E_FAULT, "not drained");
	seq = ++cb->wait_seq;
	if (amdvi_cmd_completion_wait(&wait, hal_virt_to_phys((const void *)&cb->wait_status),
				      seq) < 0)
		return broken(cb, E_FAULT, "has an unusable status word address");
	for (unsigned i = 0; i < n; i++)
		put(cb, &cmds[i]);
	put(cb, &wait);
	hal_mmio_write64(cb->mmio + AMDVI_MMIO_CMD_BUF_TAIL,
			 (uint64_t)cb->tail * AMDVI_RING_ENTRY_SIZE);
	d = deadline_in_us(AMDVI_CMD_TIMEOUT_US);
	while (cb->wait_status != seq) {
		if (!(hal_mmio_read64(cb->mmio + AMDVI_MMIO_STATUS) & AMDVI_STATUS_CMD_BUF_RUN))
			return cb->wait_status == seq ? 0 :
			       broken(cb, E_FAULT, "stopped (illegal command? see the event log)");
		if (deadline_passed(&d))
			return cb->wait_status == seq ? 0 :
			       broken(cb, E_TIMEOUT, "timed out waiting for COMPLETION_WAIT");
	}
	return 0;
}

/* Any CPU may invalidate (an interrupt entry rewritten on one CPU while
 * another does the same): one batch in the ring at a time. */
int amdvi_cmdbuf_run(struct amdvi_cmdbuf *cb, const struct amdvi_cmd *cmds, unsigned n)
{
	int rc;

	spin_lock(&cb->lock);
	rc = run_locked(cb, cmds, n);
	spin_unlock(&cb->lock);
	return rc;
}
