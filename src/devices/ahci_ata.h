/* What an AHCI command FIS asks the device to do, as far as the shadowing
 * engine cares: does it move sector data (to be encrypted/decrypted), in
 * which direction, at which LBA and for how many sectors, is it queued
 * (NCQ), and could it put caller bytes on the medium without going through
 * the encryption (refused on encrypted ports).
 *
 * Pure function of the 20-byte register H2D FIS (SATA 3.x 10.5.5), opcodes
 * and field use from ATA8-ACS / ACS-3: 28-bit commands take LBA 27:24 from
 * DEVICE 3:0 and count 0 = 256; 48-bit commands count 0 = 65536; FPDMA
 * QUEUED commands carry the count in FEATURE 15:0 and the tag in COUNT 7:3. */
#ifndef SHOJI_DEVICES_AHCI_ATA_H
#define SHOJI_DEVICES_AHCI_ATA_H

#include "lib/types.h"

enum ata_dir {
	ATA_DIR_NONE,		/* not known from the opcode: use the header's W bit */
	ATA_DIR_IN,		/* device -> memory */
	ATA_DIR_OUT,		/* memory -> device */
};

enum ata_addr {
	ATA_ADDR_NONE,
	ATA_ADDR_LBA28,
	ATA_ADDR_LBA48,
	ATA_ADDR_NCQ,		/* 48-bit LBA, count in FEATURE, tag in COUNT 7:3 */
};

struct ata_cmd_info {
	bool command;		/* a register H2D FIS with C=1 (else control/other FIS) */
	uint8_t opcode;
	bool sector;		/* moves logical-sector data of the medium */
	bool ncq;		/* a queued command: completes through PxSACT */
	bool raw_media;		/* could write/read the medium around the encryption */
	bool sct_log_write;	/* writes log 0xE0 (SCT command): check the action code */
	uint8_t dir;		/* enum ata_dir, for sector commands */
	uint8_t addr;		/* enum ata_addr */
	bool lba_mode;		/* DEVICE bit 6 (needed for 28-bit sector commands) */
	uint8_t tag;		/* NCQ tag */
	uint64_t lba;
	uint32_t count;		/* sectors (sector commands) or 512-byte blocks (other NCQ) */
};

/* Decodes the first 20 bytes of a command FIS. Never fails: unknown opcodes
 * come back as command=true, sector=false, dir=NONE. */
void ahci_ata_decode(const uint8_t *cfis, struct ata_cmd_info *ci);

#endif
