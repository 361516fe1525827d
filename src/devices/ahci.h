/* Intercepted AHCI: the guest's own driver runs the controller, shoji
 * shadows everything the controller reaches by DMA (docs/ahci.md).
 *
 * The guest's accesses to the ABAR are trapped (nested page faults) and
 * handed to ahci_guest_read/ahci_guest_write; ahci_poll runs on every exit.
 * Per implemented port, the real PxCLB/PxFB point at shadow command-list and
 * received-FIS areas; on a PxCI write each newly issued command (header,
 * command FIS, ATAPI command, PRDT) is copied ONCE out of guest memory,
 * validated, given shadow data buffers and a shadow command table, and
 * issued; write data is gathered (and encrypted) before, read data
 * decrypted and scattered after the device completed. The guest sees its
 * own PxCLB/PxFB, and PxCI/PxSACT bits that clear only after shoji copied
 * the results back.
 *
 * Portable: the real registers through hal_mmio_*, guest memory through
 * hal_phys_to_virt (guest-physical == host-physical), shadow memory from
 * the allocator callback. One engine instance per controller.
 *
 * Several CPUs (docs/smp.md, "Disk"): every entry point may be called from
 * any CPU at once. The engine's lock (struct ahci.lock) serialises the
 * register emulation and the command bookkeeping (capture, staging,
 * doorbells, completions), never the sector data: a command's gather and
 * encryption (writes) and its decryption and scatter (reads) run on the
 * CPU that claimed the command, outside the lock, while the slot is
 * FILLING or DRAINING; a port stop, HBA reset or COMRESET meanwhile only
 * marks it abandoned, and the claiming CPU releases it. A trapped status
 * read waits for the other CPUs' deliveries of the completions it covers.
 * The shadow allocator is called under the engine lock and must serialise
 * itself against other engines; the register image also needs every CPU's
 * reads to stop reaching it before show_image(false) returns. */
#ifndef SHOJI_DEVICES_AHCI_H
#define SHOJI_DEVICES_AHCI_H

#include "devices/ahci_regs.h"
#include "devices/disk_dma.h"
#include "lib/spinlock.h"
#include "lib/types.h"

#define AHCI_MAX_PORTS		32
#define AHCI_MAX_SLOTS		32
#define AHCI_ABAR_SIZE		0x1100	/* generic + 32 ports; the BAR may be larger */
/* CPUs that may call the engine (hal_cpu_index() below this; shoji's own
 * limit is SHOJI_MAX_CPUS, checked against this in core/disk.c). */
#define AHCI_MAX_CPUS		16

/* Limits on one command (all configurable down, none up). */
#define AHCI_DEFAULT_MAX_PRDTL	168	/* what Linux's ahci uses (AHCI_MAX_SG) */
#define AHCI_PRDTL_LIMIT	192	/* guest PRDT entries shoji will copy */
#define AHCI_CHUNK_PAGES	32	/* shadow data is allocated 128 KiB at a time */
#define AHCI_MAX_CHUNKS		64	/* so one command moves at most 8 MiB */
#define AHCI_DEFAULT_MAX_CMD_BYTES (4u << 20)
#define AHCI_CMD_BYTES_LIMIT	(AHCI_MAX_CHUNKS * AHCI_CHUNK_PAGES * 4096u)

struct ahci_config {
	paddr_t abar;			/* the controller's BAR5 (host-physical) */
	/* Test-only: no shadowing at all, every register passes through, so
	 * the controller DMAs to the guest's own addresses and (with its IOMMU
	 * domain holding only the shadow window) faults. */
	bool confine_only;
	struct disk_shadow_alloc shadow;	/* required unless confine_only */
	/* May the engine read/write guest memory [pa, pa + len)? Must refuse the
	 * hypervisor region (and so the shadow window) and anything not RAM
	 * the guest owns. Required unless confine_only. */
	void *guest_ctx;
	bool (*guest_mem_ok)(void *ctx, paddr_t pa, uint64_t len);
	/* Encryption for the ports in crypt_ports (NULL or 0: none). */
	const struct disk_crypt *crypt;
	uint32_t crypt_ports;
	/* Optional: the engine emulated an interrupt condition (an error
	 * completion) that the guest enabled (PxIE and GHC.IE): deliver the
	 * controller's interrupt to the guest. Without it the guest's command
	 * timeout finds the error instead. */
	void *irq_ctx;
	void (*raise_irq)(void *ctx, unsigned port);
	/* Optional: guest reads without an exit (docs/ahci.md, "Register
	 * image"). The engine keeps a page of what trapped reads of ABAR
	 * offsets [0, 4 KiB) would return and asks, show = true, that the
	 * guest's reads of that page be served from it (the page at `image`,
	 * mapped read-only, writes still trapped), or, show = false, that every
	 * access trap again. The change must take effect before the guest runs
	 * again: the engine hides the image before it lets a command reach the
	 * device. Non-zero return: the engine logs it and never shows the image
	 * again. Not used with confine_only or when the HBA has enclosure
	 * management (its message buffer is memory the HBA writes). */
	void *image_ctx;
	int (*show_image)(void *ctx, paddr_t image, bool show);
	/* Optional: make the other CPUs that run the guest call ahci_poll
	 * soon (an exit). A CPU with a large command's data to move publishes
	 * it and calls this; the others take pages of it from their ahci_poll
	 * (the guest's driver holds its port lock across the doorbell write,
	 * so its other CPUs would only spin meanwhile). */
	void *help_ctx;
	void (*call_helpers)(void *ctx);
	uint32_t max_prdtl;		/* 0: AHCI_DEFAULT_MAX_PRDTL; at most AHCI_PRDTL_LIMIT */
	uint32_t max_cmd_bytes;		/* 0: AHCI_DEFAULT_MAX_CMD_BYTES; at most AHCI_CMD_BYTES_LIMIT */
};

/* Counters (the lead adds exits per command). Bytes are data moved between
 * guest buffers and shadow buffers. */
struct ahci_stats {
	uint64_t commands;		/* issued to the device */
	uint64_t ncq;			/* of which queued */
	uint64_t completed;		/* copied back and acknowledged to the guest */
	uint64_t refused;		/* error completions made by shoji */
	uint64_t dropped;		/* abandoned by a port stop / HBA reset / COMRESET */
	uint64_t deferred;		/* issue postponed: shadow memory exhausted */
	uint64_t bytes_to_device;
	uint64_t bytes_from_device;
	uint64_t sectors_encrypted;
	uint64_t sectors_decrypted;
	/* Bytes memcpy'd between guest and shadow buffers (through the bounce
	 * page, or unencrypted); sectors the cipher reads from or writes into
	 * the guest's buffer in place are not copies. */
	uint64_t bytes_copied;
	uint64_t image_shows;		/* times the register image was shown to the guest */
	/* Data moved outside the engine lock, each CPU's share: 4 KiB pages
	 * this CPU gathered (and encrypted) or decrypted (and scattered). */
	uint64_t cpu_pages[AHCI_MAX_CPUS];
	/* Pages moved by a CPU helping another's command (call_helpers), and
	 * times a CPU began moving data while another CPU was moving data too
	 * (both outside the lock at once). */
	uint64_t helped_pages;
	uint64_t parallel;
};

/* ---- Engine state (private: use the functions below) ---- */
struct ahci_cmd_copy;

struct ahci_slot {
	uint8_t state;			/* enum in ahci.c */
	bool ncq, sector, crypt, crypt_all, data_in, data_out;
	bool identify;			/* IDENTIFY DEVICE: look at the sector size */
	uint64_t lba;
	uint32_t sectors;
	uint32_t bytes;			/* transfer size through the shadow buffers */
	paddr_t guest_hdr;		/* guest command header as of issue time */
	struct ahci_cmd_copy *copy;	/* hypervisor page: copies + shadow chunks */
	bool staged;			/* holds shadow chunks (counted in ahci.holding) */
	bool prd_irq;			/* some guest PRD asked for an interrupt */
	bool sct_write;			/* SCT command transport write (checked at staging) */
	/* FILLING / DRAINING: the CPU that moves the data outside the lock, and
	 * what a port stop or reset meanwhile left it to do once it is done
	 * (enum abandon in ahci.c: nothing, free the slot, hold it). */
	uint8_t owner;
	uint8_t abandon;
	uint32_t prdbc;			/* DRAINING: the HBA's byte count at completion */
	/* The data to move (outside the lock): its bytes and 4 KiB pages, the
	 * next page to take (atomic: the owner and helpers take pages), the
	 * helpers at work on it (atomic, never reset: balanced). */
	uint32_t move_bytes, npages, next_page, helpers;
};

struct ahci_port {
	bool managed;			/* implemented at init: shadowed */
	bool broken;			/* could not be stopped at init: every command refused */
	bool crypt;
	bool sector_size_bad;		/* IDENTIFY said logical sectors are not 512 bytes */
	uint32_t clb, clbu, fb, fbu;	/* the guest's values */
	paddr_t sh_cl, sh_fis, sh_ct;	/* shadow command list, FIS area, tables */
	uint32_t sh_ct_pages;
	uint32_t ci;			/* guest-visible PxCI */
	uint32_t sact;			/* guest-visible PxSACT */
	uint32_t requested;		/* guest-issued, not yet handed to the device */
	uint32_t captured;		/* of those: copied and validated, waiting to stage */
	uint32_t issued;		/* on the device (ISSUED or POISONED) */
	uint32_t dropped;		/* abandoned, shadow buffers not yet freed */
	uint32_t deferred;		/* requested, waiting for shadow memory */
	uint32_t filling;		/* staged, data being gathered outside the lock */
	uint32_t draining;		/* finished, data being delivered outside the lock */
	uint32_t is_emul;		/* emulated PxIS bits (TFES) */
	bool err_emul;			/* emulated task-file error: port halted */
	uint32_t tfd_emul;
	uint8_t fis_last[AHCI_RFIS_SIZE];	/* shadow FIS area as last copied out */
	struct ahci_slot slot[AHCI_MAX_SLOTS];
};

struct ahci {
	struct spinlock lock;		/* everything below but the bounce pages and work */
	struct ahci_config cfg;
	paddr_t abar;
	uint32_t cap, cap_guest, pi, vs;
	uint32_t nslots, slot_mask;
	uint32_t em_lo, em_hi;		/* enclosure-management buffer: pass-through */
	uint32_t is_emul;		/* emulated global IS bits */
	bool hr_pending;		/* guest HBA reset not yet seen finished */
	unsigned holding;		/* slots holding shadow memory, all ports */
	unsigned refuse_logs;
	/* The register image (cfg.show_image): one hypervisor page, never
	 * anything but register values the guest may read. */
	uint32_t *image;
	bool image_shown;		/* the guest's reads are served from it */
	bool image_armed;		/* a completion since the last write that disarms */
	bool image_broken;		/* show_image failed: never shown again */
	bool image_stale;		/* refill the whole page before showing it */
	uint32_t image_ports_dirty;	/* ports that ran commands since the last fill */
	uint64_t image_scan_us;		/* hal_time_us() of the next full PxIS scan */
	struct ahci_stats stats;
	struct ahci_port port[AHCI_MAX_PORTS];
	/* Per CPU, outside the lock: the slots (bit n of port p) this CPU
	 * claimed and moves data for next, and its plaintext staging page
	 * (never in shadow memory). */
	uint32_t work[AHCI_MAX_CPUS][AHCI_MAX_PORTS];
	unsigned moving;		/* CPUs moving data right now (atomic) */
	struct ahci_slot *help;		/* a slot whose pages others may take (atomic) */
	uint8_t bounce[AHCI_MAX_CPUS][4096];
};

/* Takes over the controller at cfg->abar: reads CAP/PI, stops ports
 * firmware left running, allocates and programs the shadow areas, logs one
 * line for the controller and one per port. E_INVAL for a bad config or no
 * controller, E_NOMEM, E_RANGE (shadow above 4 GiB without CAP.S64A). */
int ahci_init(struct ahci *a, const struct ahci_config *cfg);

/* A guest access at `offset` into the ABAR, `size` 1, 2, 4 or 8 bytes.
 * Takes the engine lock; moves the data of the commands it claims after
 * letting go of it. */
uint64_t ahci_guest_read(struct ahci *a, uint32_t offset, int size);
void ahci_guest_write(struct ahci *a, uint32_t offset, int size, uint64_t value);

/* The store that may follow the guest's write of `size` bytes at `offset`
 * in the same exit (vmm/mmio_followon.h, docs/ahci.md "The doorbell
 * follow-on"): after a dword write of a managed port's PxSACT, that port's
 * PxCI (*next; AHCI 1.3.1 section 5.6.4.1: software sets a queued
 * command's PxSACT bit, then its PxCI bit; 3.3.13, 3.3.14). The PxCI store
 * then comes to ahci_guest_write as a trapped one: the command is copied
 * there, not earlier. False for every other write. */
bool ahci_followon_store(const struct ahci *a, uint32_t offset, int size, uint32_t *next);

/* Notices completions (and finished resets) and issues deferred commands.
 * Cheap when nothing is outstanding: no register access at all (except the
 * refresh of the register image while it is shown). After every exit on
 * every CPU: when another CPU holds the engine lock it returns at once (the
 * holder notices what there is). */
void ahci_poll(struct ahci *a);

/* One log line with the counters ("shoji: ahci stats commands=... "). */
void ahci_log_stats(const struct ahci *a);

/* The guest moved the BAR (PCI config interception). */
void ahci_set_abar(struct ahci *a, paddr_t abar);

/* Frees every shadow and hypervisor page the engine holds. Only when the
 * controller no longer DMAs (all ports stopped, or after an HBA reset). */
void ahci_fini(struct ahci *a);

#endif
