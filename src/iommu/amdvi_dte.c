/* AMD-Vi device table entry encoder: see amdvi_dte.h. Bit positions are
 * those of amdvi_regs.h (2.2.2). */
#include "iommu/amdvi_dte.h"
#include "iommu/amdvi_regs.h"
#include "lib/error.h"
#include "lib/string.h"

static bool fits(paddr_t addr, uint64_t mask)
{
	return (addr & ~mask) == 0;
}

static int check(const struct amdvi_dte_config *c)
{
	if (c->mode > AMDVI_MODE_MAX_LEVELS)
		return E_INVAL;
	if (!c->translate && (c->mode || c->root || c->read || c->write))
		return E_INVAL;
	if (c->mode != AMDVI_MODE_NONE && (c->root == 0 || !fits(c->root, AMDVI_DTE0_ROOT_MASK)))
		return E_INVAL;
	if (c->mode == AMDVI_MODE_NONE && c->root)
		return E_INVAL;
	if (c->sys_mgt > 3)
		return E_INVAL;
	if (c->int_tab_len > AMDVI_INTTABLEN_MAX || c->int_ctl > AMDVI_INTCTL_REMAP)
		return E_INVAL;
	if (!IS_ALIGNED(c->int_table, AMDVI_INTTAB_ALIGN) ||
	    !fits(c->int_table, AMDVI_DTE2_INTTAB_MASK))
		return E_INVAL;
	if (c->int_ctl == AMDVI_INTCTL_REMAP && c->intr_valid && c->int_table == 0)
		return E_INVAL;
	return 0;
}

int amdvi_dte_encode(const struct amdvi_dte_config *c, struct amdvi_dte *dte)
{
	uint64_t *q = dte->q;

	memset(dte, 0, sizeof(*dte));
	if (check(c) < 0)
		return E_INVAL;
	q[0] = (c->valid ? AMDVI_DTE0_V : 0) | (c->translate ? AMDVI_DTE0_TV : 0) |
	       (uint64_t)c->mode << AMDVI_DTE0_MODE_SHIFT | c->root |
	       (c->read ? AMDVI_DTE0_IR : 0) | (c->write ? AMDVI_DTE0_IW : 0);
	q[1] = c->domain_id | (uint64_t)c->sys_mgt << AMDVI_DTE1_SYSMGT_SHIFT;
	q[2] = (c->intr_valid ? AMDVI_DTE2_IV : 0) |
	       (uint64_t)c->int_tab_len << AMDVI_DTE2_INTTABLEN_SHIFT | c->int_table |
	       (c->init_pass ? AMDVI_DTE2_INIT_PASS : 0) |
	       (c->eint_pass ? AMDVI_DTE2_EINT_PASS : 0) |
	       (c->nmi_pass ? AMDVI_DTE2_NMI_PASS : 0) |
	       (uint64_t)c->int_ctl << AMDVI_DTE2_INTCTL_SHIFT |
	       (c->lint0_pass ? AMDVI_DTE2_LINT0_PASS : 0) |
	       (c->lint1_pass ? AMDVI_DTE2_LINT1_PASS : 0);
	return 0;
}

void amdvi_dte_blocked(uint16_t domain_id, struct amdvi_dte *dte)
{
	/* Mode 0 with IR/IW clear: no DMA is translated or let through;
	 * IntCtl abort and no pass bits: no interrupt either. */
	memset(dte, 0, sizeof(*dte));
	dte->q[0] = AMDVI_DTE0_V | AMDVI_DTE0_TV;
	dte->q[1] = domain_id;
	dte->q[2] = AMDVI_DTE2_IV | (uint64_t)AMDVI_INTCTL_ABORT << AMDVI_DTE2_INTCTL_SHIFT;
}

unsigned amdvi_devtab_pages(uint16_t highest_devid)
{
	return ((unsigned)highest_devid * AMDVI_DTE_SIZE) / 4096 + 1;
}

int amdvi_devtab_base_reg(paddr_t pa, unsigned pages, uint64_t *reg)
{
	*reg = 0;
	if (pages < 1 || pages > AMDVI_DEV_TABLE_MAX_PAGES || (pa & ~AMDVI_BASE_ADDR_MASK))
		return E_INVAL;
	*reg = pa | (pages - 1);
	return 0;
}
