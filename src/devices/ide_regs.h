/* Register layouts of a PCI IDE controller and its ATA devices.
 *
 * Task file (ATA/ATAPI-6 7.2-7.16, ATA8-ACS-2/ATA8-APT 4.x): eight ports
 * from the command-block base (legacy: 0x1f0 primary, 0x170 secondary) and
 * one in the control block (legacy 0x3f6 / 0x376; native mode: BAR1/BAR3
 * + 2). Each of features, count and the three LBA registers is a two-deep
 * FIFO for 48-bit commands: a write pushes the previous value into the
 * "HOB" half (ATA/ATAPI-6 6.20, 48-bit Address feature set).
 *
 * PCI IDE Controller Specification 1.0, 2.1: programming interface bits
 * (legacy vs native per channel). Bus master: "Programming Interface for
 * Bus Master IDE Controller" rev 1.0 (the SFF-8038i registers in BAR4),
 * 8 bytes per channel: command, status, PRD table pointer; a PRD entry is
 * 8 bytes: base address (bit 0 zero), byte count in 15:0 (bit 0 zero,
 * 0 = 64 KiB), EOT in bit 31; a region must not cross a 64 KiB boundary.
 * The ICH9 datasheet (10.7 / 14.2) and QEMU's hw/ide/pci.h agree. */
#ifndef SHOJI_DEVICES_IDE_REGS_H
#define SHOJI_DEVICES_IDE_REGS_H

#include "lib/types.h"

#define IDE_CLASS		0x0101	/* mass storage, IDE (class/subclass) */

/* Programming interface (PCI IDE 1.0 2.1). */
#define IDE_PI_PRIMARY_NATIVE	0x01
#define IDE_PI_SECONDARY_NATIVE	0x04
#define IDE_PI_BUS_MASTER	0x80

#define IDE_LEGACY_CMD0		0x1f0
#define IDE_LEGACY_CTL0		0x3f6
#define IDE_LEGACY_CMD1		0x170
#define IDE_LEGACY_CTL1		0x376
#define IDE_NATIVE_CTL_OFFSET	2	/* alt status / device control in BAR1/BAR3 */
#define IDE_BM_BAR		4

/* Command block, offsets from the base. */
#define IDE_REG_DATA		0
#define IDE_REG_ERROR		1	/* read; write: FEATURES */
#define IDE_REG_COUNT		2
#define IDE_REG_LBA_LOW		3
#define IDE_REG_LBA_MID		4
#define IDE_REG_LBA_HIGH	5
#define IDE_REG_DEVICE		6
#define IDE_REG_STATUS		7	/* read; write: COMMAND */
#define IDE_CMD_PORTS		8

#define IDE_DEV_DEV		0x10	/* device 1 ("slave") selected */
#define IDE_DEV_LBA		0x40

/* Device control (write) / alternate status (read) in the control block. */
#define IDE_CTL_NIEN		0x02
#define IDE_CTL_SRST		0x04
#define IDE_CTL_HOB		0x80

/* Status bits: see ahci_regs.h ATA_STS_*; error ATA_ERR_ABRT. */

/* Bus master registers, per channel at BAR4 + 8 * channel. */
#define IDE_BM_CMD		0
#define IDE_BM_STATUS		2
#define IDE_BM_PRD		4	/* dword, bits 31:2 */
#define IDE_BM_PORTS		8

#define IDE_BM_CMD_START	0x01
#define IDE_BM_CMD_READ		0x08	/* the bus master writes memory (a disk read) */

#define IDE_BM_ST_ACTIVE	0x01
#define IDE_BM_ST_ERROR		0x02	/* write 1 to clear */
#define IDE_BM_ST_INTR		0x04	/* write 1 to clear */
#define IDE_BM_ST_DMA_CAP	0x60	/* drive 0/1 DMA capable: read/write */

#define IDE_PRD_EOT		0x80000000u
#define IDE_PRD_COUNT_MASK	0x0000fffeu	/* 0: 64 KiB */
#define IDE_PRD_REGION_MAX	0x10000u	/* and no 64 KiB boundary inside */
#define IDE_PRD_TABLE_ALIGN	4

/* ATA8-ACS opcodes the engine needs beyond ahci_regs.h. */
#define ATA_CMD_DEVICE_RESET		0x08	/* ATAPI: accepted while busy */
#define ATA_CMD_CHECK_POWER_MODE	0xe5	/* non-data, completes with an interrupt */

#endif
