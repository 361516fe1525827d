/* AHCI register and memory-structure layouts, and the SATA FIS and ATA
 * facts the intercepted-disk engine (devices/ahci.h) needs.
 *
 * Sources (facts only):
 *   Serial ATA AHCI 1.3.1: 3.1 generic host control, 3.3 port registers,
 *     4.2.1 received FIS structure, 4.2.2 command list / command header,
 *     4.2.3 command table and PRDT, 5.x operation, 10.4.3 HBA reset.
 *   Serial ATA 3.x, 10.5: FIS types and the register FIS layouts.
 *   ATA8-ACS / ACS-3: command opcodes, LBA and count fields, IDENTIFY words. */
#ifndef SHOJI_DEVICES_AHCI_REGS_H
#define SHOJI_DEVICES_AHCI_REGS_H

#include "lib/types.h"

/* ---- 3.1 Generic host control (offsets from ABAR) ---- */
#define AHCI_CAP	0x00
#define AHCI_GHC	0x04
#define AHCI_IS		0x08	/* interrupt status, one bit per port, RWC */
#define AHCI_PI		0x0c	/* ports implemented */
#define AHCI_VS		0x10
#define AHCI_CCC_CTL	0x14
#define AHCI_CCC_PORTS	0x18
#define AHCI_EM_LOC	0x1c
#define AHCI_EM_CTL	0x20
#define AHCI_CAP2	0x24
#define AHCI_BOHC	0x28

#define AHCI_CAP_NP(c)		((c) & 0x1f)		/* ports - 1 */
#define AHCI_CAP_NCS(c)		(((c) >> 8) & 0x1f)	/* command slots - 1 */
#define AHCI_CAP_EMS		(1u << 6)	/* enclosure management */
#define AHCI_CAP_FBSS		(1u << 16)	/* FIS-based switching */
#define AHCI_CAP_SAM		(1u << 18)	/* AHCI mode only */
#define AHCI_CAP_SCLO		(1u << 24)
#define AHCI_CAP_SNCQ		(1u << 30)
#define AHCI_CAP_S64A		(1u << 31)	/* 64-bit addressing */

#define AHCI_EM_CTL_SMB		(1u << 24)	/* single message buffer */

#define AHCI_GHC_HR		(1u << 0)	/* HBA reset */
#define AHCI_GHC_IE		(1u << 1)	/* interrupt enable */
#define AHCI_GHC_MRSM		(1u << 2)
#define AHCI_GHC_AE		(1u << 31)

/* ---- 3.3 Port registers: port p at 0x100 + p * 0x80 ---- */
#define AHCI_PORT_BASE		0x100
#define AHCI_PORT_STRIDE	0x80
#define AHCI_PORT_END		(AHCI_PORT_BASE + 32 * AHCI_PORT_STRIDE)

#define AHCI_PxCLB	0x00	/* command list base, 1 KiB aligned (bits 9:0 reserved) */
#define AHCI_PxCLBU	0x04
#define AHCI_PxFB	0x08	/* received-FIS base, 256 B aligned (bits 7:0 reserved) */
#define AHCI_PxFBU	0x0c
#define AHCI_PxIS	0x10	/* interrupt status, RWC */
#define AHCI_PxIE	0x14
#define AHCI_PxCMD	0x18
#define AHCI_PxTFD	0x20	/* task file data: STS 7:0, ERR 15:8 */
#define AHCI_PxSIG	0x24
#define AHCI_PxSSTS	0x28	/* SStatus */
#define AHCI_PxSCTL	0x2c	/* SControl */
#define AHCI_PxSERR	0x30	/* SError, RWC */
#define AHCI_PxSACT	0x34	/* SActive: NCQ slots outstanding, software sets */
#define AHCI_PxCI	0x38	/* command issue, software sets, HBA clears */
#define AHCI_PxSNTF	0x3c
#define AHCI_PxFBS	0x40
#define AHCI_PxDEVSLP	0x44

#define AHCI_PxCLB_MASK		0xfffffc00u
#define AHCI_PxFB_MASK		0xffffff00u

/* PxIS / PxIE bits (3.3.5 / 3.3.6). */
#define AHCI_PxIS_DHRS		(1u << 0)	/* D2H register FIS received */
#define AHCI_PxIS_PSS		(1u << 1)	/* PIO setup FIS received */
#define AHCI_PxIS_DSS		(1u << 2)	/* DMA setup FIS received */
#define AHCI_PxIS_SDBS		(1u << 3)	/* set device bits FIS received */
#define AHCI_PxIS_UFS		(1u << 4)
#define AHCI_PxIS_DPS		(1u << 5)	/* descriptor processed */
#define AHCI_PxIS_PCS		(1u << 6)
#define AHCI_PxIS_PRCS		(1u << 22)
#define AHCI_PxIS_OFS		(1u << 24)	/* overflow */
#define AHCI_PxIS_HBDS		(1u << 28)	/* host bus data error */
#define AHCI_PxIS_HBFS		(1u << 29)	/* host bus fatal error */
#define AHCI_PxIS_TFES		(1u << 30)	/* task file error */

/* PxCMD bits (3.3.7). */
#define AHCI_PxCMD_ST		(1u << 0)	/* start: process the command list */
#define AHCI_PxCMD_SUD		(1u << 1)
#define AHCI_PxCMD_POD		(1u << 2)
#define AHCI_PxCMD_CLO		(1u << 3)
#define AHCI_PxCMD_FRE		(1u << 4)	/* FIS receive enable */
#define AHCI_PxCMD_CCS(c)	(((c) >> 8) & 0x1f)
#define AHCI_PxCMD_FR		(1u << 14)	/* FIS receive running */
#define AHCI_PxCMD_CR		(1u << 15)	/* command list running */

/* PxTFD (3.3.8): ATA status and error. */
#define ATA_STS_ERR		0x01
#define ATA_STS_DRQ		0x08
#define ATA_STS_DSC		0x10
#define ATA_STS_DRDY		0x40
#define ATA_STS_BSY		0x80
#define ATA_ERR_ABRT		0x04

/* PxSCTL.DET (3.3.11): 1 = perform interface initialization (COMRESET). */
#define AHCI_PxSCTL_DET(v)	((v) & 0xf)
#define AHCI_PxSCTL_DET_COMRESET 1

#define AHCI_PxFBS_EN		(1u << 0)

/* ---- 4.2.1 Received FIS structure (256 bytes when FBS is off) ---- */
#define AHCI_RFIS_SIZE		256
#define AHCI_RFIS_DSFIS		0x00	/* DMA setup FIS, 28 bytes */
#define AHCI_RFIS_PSFIS		0x20	/* PIO setup FIS, 20 bytes */
#define AHCI_RFIS_RFIS		0x40	/* D2H register FIS, 20 bytes */
#define AHCI_RFIS_SDBFIS	0x58	/* set device bits FIS, 8 bytes */
#define AHCI_RFIS_UFIS		0x60	/* unknown FIS, up to 64 bytes */

/* ---- 4.2.2 Command list: 32 headers of 32 bytes, 1 KiB ---- */
#define AHCI_CL_SIZE		1024
#define AHCI_CMDHDR_SIZE	32

struct ahci_cmd_hdr {
	uint32_t dw0;		/* PRDTL 31:16, PMP 15:12, C 10, B 9, R 8, P 7, W 6, A 5, CFL 4:0 */
	uint32_t prdbc;		/* PRD byte count: bytes transferred, written by the HBA */
	uint32_t ctba;		/* command table base, 128 B aligned (bits 6:0 reserved) */
	uint32_t ctbau;
	uint32_t rsvd[4];
} PACKED;
STATIC_ASSERT(sizeof(struct ahci_cmd_hdr) == AHCI_CMDHDR_SIZE, "command header is 32 bytes");

#define AHCI_HDR_CFL(dw0)	((dw0) & 0x1f)		/* command FIS length in dwords */
#define AHCI_HDR_A		(1u << 5)		/* ATAPI */
#define AHCI_HDR_W		(1u << 6)		/* write: memory -> device */
#define AHCI_HDR_P		(1u << 7)
#define AHCI_HDR_R		(1u << 8)		/* reset */
#define AHCI_HDR_B		(1u << 9)		/* BIST */
#define AHCI_HDR_C		(1u << 10)		/* clear busy upon R_OK */
#define AHCI_HDR_PMP(dw0)	(((dw0) >> 12) & 0xf)	/* port multiplier port */
#define AHCI_HDR_PRDTL(dw0)	((dw0) >> 16)
#define AHCI_CTBA_MASK		0xffffff80u

/* ---- 4.2.3 Command table: CFIS 64 B, ACMD 16 B, reserved, PRDT at 0x80 ---- */
#define AHCI_CT_CFIS		0x00
#define AHCI_CT_CFIS_SIZE	64
#define AHCI_CT_ACMD		0x40
#define AHCI_CT_ACMD_SIZE	16
#define AHCI_CT_PRDT		0x80
#define AHCI_CT_ALIGN		128

struct ahci_prd {
	uint32_t dba;		/* data base address; bit 0 reserved (word aligned) */
	uint32_t dbau;
	uint32_t rsvd;
	uint32_t dw3;		/* I 31 (interrupt on completion), DBC 21:0 = bytes - 1, bit 0 set (even) */
} PACKED;
STATIC_ASSERT(sizeof(struct ahci_prd) == 16, "PRD entry is 16 bytes");

#define AHCI_PRD_DBC_MASK	0x003fffffu
#define AHCI_PRD_I		(1u << 31)
#define AHCI_PRD_MAX_BYTES	(4u << 20)	/* DBC is 22 bits: 4 MiB */

/* ---- SATA 3.x 10.5: FIS types ---- */
#define FIS_TYPE_REG_H2D	0x27
#define FIS_TYPE_REG_D2H	0x34
#define FIS_TYPE_DMA_ACT	0x39
#define FIS_TYPE_DMA_SETUP	0x41
#define FIS_TYPE_DATA		0x46
#define FIS_TYPE_BIST		0x58
#define FIS_TYPE_PIO_SETUP	0x5f
#define FIS_TYPE_SDB		0xa1

/* Register H2D FIS byte offsets (SATA 3.x 10.5.5). */
#define FIS_H2D_FLAGS		1	/* bit 7: C (command register update), 3:0 PM port */
#define FIS_H2D_C		0x80
#define FIS_H2D_COMMAND		2
#define FIS_H2D_FEATURE0	3
#define FIS_H2D_LBA0		4
#define FIS_H2D_LBA1		5
#define FIS_H2D_LBA2		6
#define FIS_H2D_DEVICE		7	/* bit 6: LBA mode; 3:0 LBA 27:24 in 28-bit commands */
#define FIS_H2D_LBA3		8
#define FIS_H2D_LBA4		9
#define FIS_H2D_LBA5		10
#define FIS_H2D_FEATURE1	11
#define FIS_H2D_COUNT0		12	/* NCQ: tag in bits 7:3 */
#define FIS_H2D_COUNT1		13
#define FIS_H2D_CONTROL		15
#define FIS_H2D_LEN		20
#define ATA_DEV_LBA		0x40

/* Register D2H FIS (SATA 3.x 10.5.6): type, flags (bit 6 I), status, error, ... */
#define FIS_D2H_I		0x40

/* ---- ATA8-ACS / ACS-3 opcodes the engine must know ---- */
/* Sector data, device -> host. */
#define ATA_CMD_READ_SECTORS		0x20	/* PIO, 28-bit */
#define ATA_CMD_READ_SECTORS_NR		0x21	/* obsolete, 28-bit */
#define ATA_CMD_READ_SECTORS_EXT	0x24
#define ATA_CMD_READ_DMA_EXT		0x25
#define ATA_CMD_READ_MULTIPLE_EXT	0x29
#define ATA_CMD_READ_STREAM_DMA_EXT	0x2a
#define ATA_CMD_READ_STREAM_EXT		0x2b
#define ATA_CMD_READ_FPDMA_QUEUED	0x60
#define ATA_CMD_READ_MULTIPLE		0xc4
#define ATA_CMD_READ_DMA		0xc8
#define ATA_CMD_READ_DMA_NR		0xc9	/* obsolete */
/* Sector data, host -> device. */
#define ATA_CMD_WRITE_SECTORS		0x30
#define ATA_CMD_WRITE_SECTORS_NR	0x31	/* obsolete */
#define ATA_CMD_WRITE_SECTORS_EXT	0x34
#define ATA_CMD_WRITE_DMA_EXT		0x35
#define ATA_CMD_WRITE_MULTIPLE_EXT	0x39
#define ATA_CMD_WRITE_STREAM_DMA_EXT	0x3a
#define ATA_CMD_WRITE_STREAM_EXT	0x3b
#define ATA_CMD_WRITE_DMA_FUA_EXT	0x3d
#define ATA_CMD_WRITE_FPDMA_QUEUED	0x61
#define ATA_CMD_WRITE_MULTIPLE		0xc5
#define ATA_CMD_WRITE_DMA		0xca
#define ATA_CMD_WRITE_DMA_NR		0xcb	/* obsolete */
#define ATA_CMD_WRITE_MULTIPLE_FUA_EXT	0xce
/* Other NCQ (count in FEATURE, tag in COUNT 7:3). */
#define ATA_CMD_NCQ_NON_DATA		0x63
#define ATA_CMD_SEND_FPDMA_QUEUED	0x64
#define ATA_CMD_RECEIVE_FPDMA_QUEUED	0x65
/* Raw sector access that would bypass encryption (refused on encrypted ports). */
#define ATA_CMD_READ_LONG		0x22	/* obsolete */
#define ATA_CMD_READ_LONG_NR		0x23
#define ATA_CMD_WRITE_LONG		0x32	/* obsolete */
#define ATA_CMD_WRITE_LONG_NR		0x33
#define ATA_CMD_DOWNLOAD_MICROCODE	0x92
#define ATA_CMD_DOWNLOAD_MICROCODE_DMA	0x93
/* SCT command transport: a write of log 0xE0 (WRITE LOG (DMA) EXT, or SMART
 * WRITE LOG) carries the SCT key sector; action 1 = long sector access,
 * 2 = write same (both put caller bytes on the medium). */
#define ATA_CMD_WRITE_LOG_EXT		0x3f
#define ATA_CMD_WRITE_LOG_DMA_EXT	0x57
#define ATA_CMD_SMART			0xb0
#define ATA_SMART_WRITE_LOG		0xd6
#define ATA_LOG_SCT_COMMAND		0xe0
#define ATA_SCT_LONG_SECTOR_ACCESS	1
#define ATA_SCT_WRITE_SAME		2
/* Others the engine looks at. */
#define ATA_CMD_PACKET			0xa0
#define ATA_CMD_IDENTIFY		0xec
#define ATA_CMD_IDENTIFY_PACKET		0xa1

/* IDENTIFY DEVICE words (ACS-3 7.12.7): 106 physical/logical sector size
 * (bit 14 one and bit 15 zero: valid; bit 12: logical sector longer than
 * 256 words), 117-118 logical sector size in words. */
#define ATA_ID_SECTOR_SIZE	106
#define ATA_ID_LOGICAL_SECTOR	117

#define ATA_SECTOR_SIZE		512

#endif
