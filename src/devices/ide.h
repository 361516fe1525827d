/* Intercepted IDE: the guest's own driver (Linux ata_piix) runs a PCI IDE
 * controller's channels, shoji shadows every DMA and every sector of PIO
 * data (docs/ide.md).
 *
 * The guest's accesses to the task-file ports, the control port and the
 * bus-master block are trapped (vmm/io_trap.h, string I/O included) and
 * handed to ide_io_in/ide_io_out; ide_poll runs on every exit. shoji
 * learns each command (opcode, LBA28/LBA48, count) from the task file as
 * the guest wrote it; at bus-master start the guest's PRD table is copied
 * ONCE into hypervisor memory and validated, the device gets a shadow PRD
 * table over shadow buffers, write data is gathered (encrypted) before the
 * start, read data decrypted and scattered after the device finished. PIO
 * sector data passes a 512-byte hypervisor buffer: decrypted before the
 * guest's first word of a sector, encrypted after its last. Everything
 * else (IDENTIFY, SET FEATURES, ATAPI, logs) passes unchanged.
 *
 * Portable: ports through hal_in/hal_out, guest memory through
 * hal_phys_to_virt (guest-physical == host-physical), shadow memory from
 * the allocator callback (at init only). One engine per controller; any
 * CPU may call it at once: each channel's lock (struct ide_channel.lock)
 * serialises the accesses to that channel and its one command, crypto
 * included (docs/smp.md). */
#ifndef SHOJI_DEVICES_IDE_H
#define SHOJI_DEVICES_IDE_H

#include "devices/disk_dma.h"
#include "devices/ide_regs.h"
#include "lib/spinlock.h"
#include "lib/types.h"

#define IDE_CHANNELS		2
#define IDE_PRD_LIMIT		256	/* guest PRD entries copied per transfer (Linux: 128) */
#define IDE_DEFAULT_MAX_CMD_BYTES (2u << 20)	/* Linux's max_sectors_kb is 1280 */
#define IDE_CMD_BYTES_LIMIT	(8u << 20)

struct ide_config {
	/* Per channel: command-block base and control port (0: channel not
	 * present), the bus-master block (BAR4 + 8 * channel). */
	uint16_t cmd[IDE_CHANNELS], ctl[IDE_CHANNELS];
	uint16_t bm;
	/* Test-only: no shadowing, every access passes through, so the
	 * controller DMAs to the guest's own addresses and (with its IOMMU
	 * domain holding only the shadow window) faults. */
	bool confine_only;
	struct disk_shadow_alloc shadow;	/* required unless confine_only */
	/* May the engine read/write guest memory [pa, pa + len)? Must refuse
	 * the hypervisor region (and so the shadow window) and anything not
	 * RAM the guest owns. Required unless confine_only. */
	void *guest_ctx;
	bool (*guest_mem_ok)(void *ctx, paddr_t pa, uint64_t len);
	/* Encryption of the channels in crypt_channels (bit i: channel i). */
	const struct disk_crypt *crypt;
	uint32_t crypt_channels;
	uint32_t max_cmd_bytes;		/* 0: IDE_DEFAULT_MAX_CMD_BYTES; at most IDE_CMD_BYTES_LIMIT */
};

struct ide_stats {
	uint64_t commands;		/* passed to a device */
	uint64_t dma;			/* bus-master transfers run on shadow buffers */
	uint64_t pio_sectors;		/* sectors moved through the data port */
	uint64_t refused;		/* commands or transfers refused with an error */
	uint64_t dropped;		/* register writes dropped while the device was busy */
	uint64_t bytes_to_device;
	uint64_t bytes_from_device;
	uint64_t sectors_encrypted;
	uint64_t sectors_decrypted;
	uint64_t bytes_copied;		/* DMA bytes through a memcpy: bounced, or not encrypted */
};

/* ---- engine state (private: use the functions below) ---- */
struct ide_prd {
	uint32_t addr, bytes;
};

struct ide_channel {
	/* The channel's state below, its registers and its one command (the
	 * crypto of its transfers included: no other channel waits for it). */
	struct spinlock lock;
	bool present, crypt;
	uint16_t cmd, ctl, bm;
	uint8_t tf[IDE_CMD_PORTS], hob[IDE_CMD_PORTS];	/* the task file as written */
	uint8_t state;			/* enum in ide.c */
	uint8_t opcode;
	bool data_in;			/* the command's data goes to memory */
	bool crypt_cmd;			/* sector data of an encrypted channel */
	uint64_t lba;
	uint32_t sectors;		/* of the command */
	uint32_t pio_done;		/* PIO: sectors moved */
	uint32_t pio_off;		/* PIO: bytes of the current sector moved */
	bool pio_loaded;		/* PIO read: buf holds the current sector */
	bool err_emul;			/* a refused command: status reads say ABRT */
	bool sector_size_bad[2];	/* IDENTIFY said logical sectors are not 512 B */
	/* bus master */
	uint8_t bm_cmd;			/* the guest's command register */
	uint32_t bm_prd;		/* the guest's PRD table pointer */
	uint8_t bm_emul;		/* emulated ERROR/INTR of a refused transfer */
	bool bm_run;			/* a shadow transfer is on the device */
	bool bm_sector;			/* ... for the sector command */
	bool bm_in;			/* ... into memory */
	uint32_t xfer;			/* ... bytes */
	uint32_t nprd;
	struct ide_prd prd[IDE_PRD_LIMIT];	/* the guest's, as copied and validated */
	paddr_t sh_prd, sh_data;	/* shadow PRD table page, data area */
	uint32_t sh_pages;
	uint8_t buf[512];		/* PIO plaintext staging: never in shadow memory */
	uint8_t bounce[4096];		/* DMA plaintext staging: never in shadow memory */
};

struct ide {
	struct ide_config cfg;
	unsigned refuse_logs;
	struct ide_stats stats;
	struct ide_channel ch[IDE_CHANNELS];
};

/* Takes the controller over: stops bus masters firmware left running,
 * allocates per channel a shadow PRD page and max_cmd_bytes of shadow
 * data, logs one line per channel. E_INVAL for a bad config, E_NOMEM. */
int ide_init(struct ide *d, const struct ide_config *cfg);

/* Whether port belongs to the engine (task file, control port, bus master). */
bool ide_owns(const struct ide *d, uint16_t port);

/* A guest access, size 1, 2 or 4, to a port the engine owns. */
uint32_t ide_io_in(struct ide *d, uint16_t port, unsigned size);
void ide_io_out(struct ide *d, uint16_t port, unsigned size, uint32_t v);

/* Notices finished bus-master transfers (copies read data back). Cheap
 * when nothing runs: no port access. */
void ide_poll(struct ide *d);

/* "shoji: ide stats commands=... dma=... pio_sectors=... refused=..." */
void ide_log_stats(const struct ide *d);

/* Frees the shadow memory. Only when no bus master runs. */
void ide_fini(struct ide *d);

#endif
