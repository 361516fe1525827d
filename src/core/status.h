/* What shoji reports about itself (boot report, VMMCALL STATUS). */
#ifndef SHOJI_CORE_STATUS_H
#define SHOJI_CORE_STATUS_H

#include "lib/types.h"

struct shoji_status {
	paddr_t hv_base, hv_end;
	unsigned iommu_units;
	char reach[256];	/* the default domain's reach, as in the log */
};

const struct shoji_status *shoji_status(void);

/* Bring-up timing: logs "boot phase=WHAT ms=M at_ms=T", M the TSC time
 * since the previous phase ended (or shoji's entry), T since the entry. */
void boot_phase(const char *what);
uint64_t image_checksum(void);

#endif
