/* Command FIS decoding for the AHCI shadowing engine: see ahci_ata.h. */
#include "devices/ahci_ata.h"
#include "devices/ahci_regs.h"
#include "lib/string.h"

struct sector_op {
	uint8_t opcode;
	uint8_t dir;
	uint8_t addr;
};

/* ATA8-ACS / ACS-3 commands that transfer logical sectors of the medium. */
static const struct sector_op sector_ops[] = {
	{ ATA_CMD_READ_SECTORS, ATA_DIR_IN, ATA_ADDR_LBA28 },
	{ ATA_CMD_READ_SECTORS_NR, ATA_DIR_IN, ATA_ADDR_LBA28 },
	{ ATA_CMD_READ_MULTIPLE, ATA_DIR_IN, ATA_ADDR_LBA28 },
	{ ATA_CMD_READ_DMA, ATA_DIR_IN, ATA_ADDR_LBA28 },
	{ ATA_CMD_READ_DMA_NR, ATA_DIR_IN, ATA_ADDR_LBA28 },
	{ ATA_CMD_READ_SECTORS_EXT, ATA_DIR_IN, ATA_ADDR_LBA48 },
	{ ATA_CMD_READ_DMA_EXT, ATA_DIR_IN, ATA_ADDR_LBA48 },
	{ ATA_CMD_READ_MULTIPLE_EXT, ATA_DIR_IN, ATA_ADDR_LBA48 },
	{ ATA_CMD_READ_STREAM_DMA_EXT, ATA_DIR_IN, ATA_ADDR_LBA48 },
	{ ATA_CMD_READ_STREAM_EXT, ATA_DIR_IN, ATA_ADDR_LBA48 },
	{ ATA_CMD_READ_FPDMA_QUEUED, ATA_DIR_IN, ATA_ADDR_NCQ },
	{ ATA_CMD_WRITE_SECTORS, ATA_DIR_OUT, ATA_ADDR_LBA28 },
	{ ATA_CMD_WRITE_SECTORS_NR, ATA_DIR_OUT, ATA_ADDR_LBA28 },
	{ ATA_CMD_WRITE_MULTIPLE, ATA_DIR_OUT, ATA_ADDR_LBA28 },
	{ ATA_CMD_WRITE_DMA, ATA_DIR_OUT, ATA_ADDR_LBA28 },
	{ ATA_CMD_WRITE_DMA_NR, ATA_DIR_OUT, ATA_ADDR_LBA28 },
	{ ATA_CMD_WRITE_SECTORS_EXT, ATA_DIR_OUT, ATA_ADDR_LBA48 },
	{ ATA_CMD_WRITE_DMA_EXT, ATA_DIR_OUT, ATA_ADDR_LBA48 },
	{ ATA_CMD_WRITE_MULTIPLE_EXT, ATA_DIR_OUT, ATA_ADDR_LBA48 },
	{ ATA_CMD_WRITE_STREAM_DMA_EXT, ATA_DIR_OUT, ATA_ADDR_LBA48 },
	{ ATA_CMD_WRITE_STREAM_EXT, ATA_DIR_OUT, ATA_ADDR_LBA48 },
	{ ATA_CMD_WRITE_DMA_FUA_EXT, ATA_DIR_OUT, ATA_ADDR_LBA48 },
	{ ATA_CMD_WRITE_MULTIPLE_FUA_EXT, ATA_DIR_OUT, ATA_ADDR_LBA48 },
	{ ATA_CMD_WRITE_FPDMA_QUEUED, ATA_DIR_OUT, ATA_ADDR_NCQ },
};

static uint64_t lba48(const uint8_t *f)
{
	return (uint64_t)f[FIS_H2D_LBA0] | (uint64_t)f[FIS_H2D_LBA1] << 8 |
	       (uint64_t)f[FIS_H2D_LBA2] << 16 | (uint64_t)f[FIS_H2D_LBA3] << 24 |
	       (uint64_t)f[FIS_H2D_LBA4] << 32 | (uint64_t)f[FIS_H2D_LBA5] << 40;
}

void ahci_ata_decode(const uint8_t *f, struct ata_cmd_info *ci)
{
	memset(ci, 0, sizeof(*ci));
	if (f[0] != FIS_TYPE_REG_H2D || !(f[FIS_H2D_FLAGS] & FIS_H2D_C))
		return;
	ci->command = true;
	ci->opcode = f[FIS_H2D_COMMAND];
	ci->lba_mode = (f[FIS_H2D_DEVICE] & ATA_DEV_LBA) != 0;

	for (size_t i = 0; i < ARRAY_SIZE(sector_ops); i++) {
		if (sector_ops[i].opcode != ci->opcode)
			continue;
		ci->sector = true;
		ci->dir = sector_ops[i].dir;
		ci->addr = sector_ops[i].addr;
		break;
	}

	switch (ci->opcode) {
	case ATA_CMD_NCQ_NON_DATA:
	case ATA_CMD_SEND_FPDMA_QUEUED:
	case ATA_CMD_RECEIVE_FPDMA_QUEUED:
		ci->addr = ATA_ADDR_NCQ;
		break;
	case ATA_CMD_READ_LONG:
	case ATA_CMD_READ_LONG_NR:
	case ATA_CMD_WRITE_LONG:
	case ATA_CMD_WRITE_LONG_NR:
	case ATA_CMD_DOWNLOAD_MICROCODE:
	case ATA_CMD_DOWNLOAD_MICROCODE_DMA:
		ci->raw_media = true;
		break;
	case ATA_CMD_WRITE_LOG_EXT:
	case ATA_CMD_WRITE_LOG_DMA_EXT:
		/* Log address in LBA 7:0. */
		ci->sct_log_write = f[FIS_H2D_LBA0] == ATA_LOG_SCT_COMMAND;
		break;
	case ATA_CMD_SMART:
		/* SMART WRITE LOG: subcommand in FEATURE, log address in LBA 7:0. */
		ci->sct_log_write = f[FIS_H2D_FEATURE0] == ATA_SMART_WRITE_LOG &&
				    f[FIS_H2D_LBA0] == ATA_LOG_SCT_COMMAND;
		break;
	default:
		break;
	}

	switch (ci->addr) {
	case ATA_ADDR_LBA28:
		ci->lba = (uint64_t)f[FIS_H2D_LBA0] | (uint64_t)f[FIS_H2D_LBA1] << 8 |
			  (uint64_t)f[FIS_H2D_LBA2] << 16 |
			  (uint64_t)(f[FIS_H2D_DEVICE] & 0x0f) << 24;
		ci->count = f[FIS_H2D_COUNT0] ? f[FIS_H2D_COUNT0] : 256;
		break;
	case ATA_ADDR_LBA48:
		ci->lba = lba48(f);
		ci->count = (uint32_t)f[FIS_H2D_COUNT0] | (uint32_t)f[FIS_H2D_COUNT1] << 8;
		if (!ci->count)
			ci->count = 65536;
		break;
	case ATA_ADDR_NCQ:
		ci->ncq = true;
		ci->lba = lba48(f);
		ci->tag = f[FIS_H2D_COUNT0] >> 3;
		ci->count = (uint32_t)f[FIS_H2D_FEATURE0] | (uint32_t)f[FIS_H2D_FEATURE1] << 8;
		if (!ci->count && ci->opcode != ATA_CMD_NCQ_NON_DATA)
			ci->count = 65536;
		break;
	default:
		break;
	}
}
