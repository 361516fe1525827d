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
uint64_t image_checksum(void);

#endif
