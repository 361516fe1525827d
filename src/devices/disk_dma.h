/* What every intercepted disk engine (AHCI: devices/ahci.h, IDE:
 * devices/ide.h) takes from the hypervisor: the sector cipher and the
 * allocator of shadow DMA memory. One definition, so that core/disk.c hands
 * the same AES-XTS adapter and shadow window to both. */
#ifndef SHOJI_DEVICES_DISK_DMA_H
#define SHOJI_DEVICES_DISK_DMA_H

#include "lib/types.h"

/* Encryption of sector data (core/disk.c plugs AES-XTS aes-xts-plain64
 * here; tests use a reversible toy). Sectors are 512 bytes; lba is the
 * tweak. in_range: true iff EVERY sector of [lba, lba + sectors) is to be
 * encrypted (the engines then fall back to one sector at a time).
 * encrypt/decrypt: dst and src do not overlap and are each contiguous. */
struct disk_crypt {
	void *ctx;
	bool (*in_range)(void *ctx, uint64_t lba, uint32_t sectors);
	void (*encrypt)(void *ctx, uint64_t lba, void *dst, const void *src, uint32_t sectors);
	void (*decrypt)(void *ctx, uint64_t lba, void *dst, const void *src, uint32_t sectors);
};

/* Shadow memory: `pages` contiguous 4 KiB pages inside the shadow window
 * (the only memory the controller's IOMMU domain maps), page aligned;
 * returns the physical address, 0 when none is left. Contents need not be
 * zeroed. */
struct disk_shadow_alloc {
	void *ctx;
	paddr_t (*alloc)(void *ctx, uint32_t pages);
	void (*free)(void *ctx, paddr_t pa, uint32_t pages);
};

/* nsec 512-byte sectors from src to dst (not overlapping), starting at
 * sector lba: those in range encrypted (enc) or decrypted, the rest
 * copied. One call when the whole run is in range, else one per run of
 * sectors on the same side of the range's edges. Returns how many sectors
 * went through the cipher. */
uint32_t disk_crypt_sectors(const struct disk_crypt *c, bool enc, uint64_t lba, uint8_t *dst,
			    const uint8_t *src, uint32_t nsec);

#endif
