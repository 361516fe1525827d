/* Shared by the intercepted disk engines (see disk_dma.h). */
#include "devices/disk_dma.h"
#include "lib/string.h"

#define SECTOR 512u

uint32_t disk_crypt_sectors(const struct disk_crypt *c, bool enc, uint64_t lba, uint8_t *dst,
			    const uint8_t *src, uint32_t nsec)
{
	void (*fn)(void *, uint64_t, void *, const void *, uint32_t) =
		enc ? c->encrypt : c->decrypt;
	uint32_t i = 0, done = 0;

	if (c->in_range(c->ctx, lba, nsec)) {
		fn(c->ctx, lba, dst, src, nsec);
		return nsec;
	}
	while (i < nsec) {
		bool in = c->in_range(c->ctx, lba + i, 1);
		uint32_t j = i + 1;

		while (j < nsec && c->in_range(c->ctx, lba + j, 1) == in)
			j++;
		if (in) {
			fn(c->ctx, lba + i, dst + (size_t)i * SECTOR, src + (size_t)i * SECTOR, j - i);
			done += j - i;
		} else {
			memcpy(dst + (size_t)i * SECTOR, src + (size_t)i * SECTOR,
			       (size_t)(j - i) * SECTOR);
		}
		i = j;
	}
	return done;
}
