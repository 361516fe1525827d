/* AMD-Vi command encoders: see amdvi_cmd.h; field positions in
 * amdvi_regs.h (2.4). */
#include "iommu/amdvi_cmd.h"
#include "iommu/amdvi_regs.h"
#include "lib/error.h"
#include "lib/string.h"

static void opcode(struct amdvi_cmd *cmd, enum amdvi_cmd_opcode op)
{
	memset(cmd, 0, sizeof(*cmd));
	cmd->w[1] = (uint32_t)op << AMDVI_CMD_OPCODE_SHIFT;
}

int amdvi_cmd_completion_wait(struct amdvi_cmd *cmd, paddr_t store_addr, uint64_t data)
{
	if (!IS_ALIGNED(store_addr, 8) || store_addr >> 52) {
		memset(cmd, 0, sizeof(*cmd));
		return E_INVAL;
	}
	opcode(cmd, AMDVI_CMD_COMPLETION_WAIT);
	cmd->w[0] = (uint32_t)store_addr | AMDVI_CW_S;
	cmd->w[1] |= (uint32_t)(store_addr >> 32) & AMDVI_CW_ADDR_HI_MASK;
	cmd->w[2] = (uint32_t)data;
	cmd->w[3] = (uint32_t)(data >> 32);
	return 0;
}

void amdvi_cmd_inval_devtab_entry(struct amdvi_cmd *cmd, uint16_t devid)
{
	opcode(cmd, AMDVI_CMD_INVALIDATE_DEVTAB_ENTRY);
	cmd->w[0] = devid;
}

/* 2.4: with S set, the address bits below the range's size bit are ones
 * (down to bit 12) and that bit is zero: 2^size_log2 bytes at the aligned
 * base. The whole space is the special address AMDVI_INV_ALL_ADDR. */
int amdvi_cmd_inval_iommu_pages(struct amdvi_cmd *cmd, uint16_t domain_id, uint64_t addr,
				unsigned size_log2, bool pde)
{
	uint64_t enc;
	uint32_t flags = pde ? AMDVI_INV_PDE : 0;

	if (size_log2 < 12 || size_log2 > 64) {
		memset(cmd, 0, sizeof(*cmd));
		return E_INVAL;
	}
	if (size_log2 == 64) {
		enc = AMDVI_INV_ALL_ADDR;
		flags |= AMDVI_INV_S;
	} else if (size_log2 == 12) {
		enc = addr & ~0xfffULL;
	} else {
		uint64_t size = 1ULL << size_log2;

		enc = ((addr & ~(size - 1)) | (size / 2 - 1)) & ~0xfffULL;
		flags |= AMDVI_INV_S;
	}
	opcode(cmd, AMDVI_CMD_INVALIDATE_IOMMU_PAGES);
	cmd->w[1] |= domain_id;
	cmd->w[2] = (uint32_t)enc | flags;
	cmd->w[3] = (uint32_t)(enc >> 32);
	return 0;
}

void amdvi_cmd_inval_interrupt_table(struct amdvi_cmd *cmd, uint16_t devid)
{
	opcode(cmd, AMDVI_CMD_INVALIDATE_INTERRUPT_TABLE);
	cmd->w[0] = devid;
}

void amdvi_cmd_inval_iommu_all(struct amdvi_cmd *cmd)
{
	opcode(cmd, AMDVI_CMD_INVALIDATE_IOMMU_ALL);
}
