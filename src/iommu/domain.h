/* DMA domains: what each device may reach. This file is the one place where
 * that is decided.
 *
 * Policy:
 *  - Some ranges are forbidden to every device, always: every range the
 *    protected-range registry (vmm/protect.h) marks PROTECT_DMA (the
 *    hypervisor region, the IOMMU's own register pages, ECAM, the
 *    intercepted disk's registers), passed in by the IOMMU layer
 *    (domain_forbid).
 *  - The default domain identity-maps [0, dma_limit) minus the forbidden
 *    ranges (guest-physical == host-physical, so a passthrough device's DMA
 *    address means the same to the guest and to the device), with the
 *    largest pages every unit supports, split only around the holes.
 *  - A confined domain (the intercepted disk) maps exactly the ranges it is
 *    given; a range inside a forbidden one is accepted only if it lies in
 *    the shadow window declared with domain_allow_shadow (the sub-range of
 *    the hypervisor region set aside for shadow DMA buffers).
 * Nothing else creates I/O mappings. */
#ifndef SHOJI_IOMMU_DOMAIN_H
#define SHOJI_IOMMU_DOMAIN_H

#include "iommu/iopt.h"
#include "lib/types.h"
#include "vmm/protect.h"

#define DOMAIN_MAX 16
#define DOMAIN_MAX_RANGES 16
#define DOMAIN_MAX_FORBIDDEN PROTECT_MAX_RANGES	/* every DMA range of the registry */
#define DOMAIN_DEFAULT_ID 1	/* VT-d domain ids start at 1: 0 is reserved in caching mode */

struct domain_range {
	uint64_t start, end;	/* [start, end), 4 KiB aligned */
	unsigned perm;		/* IOPT_READ | IOPT_WRITE */
};

struct domain {
	bool in_use;
	uint16_t id;
	char name[24];
	struct iopt pt;
	unsigned n_ranges;
	struct domain_range ranges[DOMAIN_MAX_RANGES];	/* what it reaches */
	unsigned devices;	/* devices attached (kept by the IOMMU layer) */
};

struct domain_config {
	const struct iopt_format *format; /* the back-end's entry format; NULL = VT-d's */
	unsigned levels;	 /* 3/4/5: one AGAW every unit supports */
	unsigned max_page_level; /* 1/2/3: superpages every unit supports */
	bool coherent;		 /* every unit has ECAP.C */
	uint64_t dma_limit;	 /* identity map of [0, dma_limit) */
	unsigned haw;		 /* host address width (DMAR); 0 = the table format's maximum */
};

/* Starts over with this configuration (no domains, nothing forbidden). */
int domain_policy_init(const struct domain_config *c);
/* Forbids [start, end) to every device; `why` names it in the log. */
int domain_forbid(uint64_t start, uint64_t end, const char *why);
/* domain_forbid for every memory range the registry marks PROTECT_DMA,
 * then protect_seal(PROTECT_DMA): a later DMA range is refused there. */
int domain_forbid_protected(void);
/* The shadow DMA window confined domains may map inside forbidden memory. */
int domain_allow_shadow(uint64_t start, uint64_t end);

/* Builds the default domain (after every domain_forbid). */
int domain_build_default(void);
struct domain *domain_default(void);

/* A confined domain reaching exactly r[0..n). E_RANGE (logged) if a range
 * touches forbidden memory outside the shadow window or passes dma_limit. */
int domain_create(const char *name, const struct domain_range *r, unsigned n,
		  struct domain **out);
void domain_destroy(struct domain *d);

/* The policy's answer for one address, from the ranges (not the tables):
 * tests compare it with a walk of the tables. */
bool domain_may_reach(const struct domain *d, uint64_t addr, unsigned perm);

/* "domain id=1 name=default table_pages=N reach=0x0-0x3be00000:rw,..." */
void domain_log(const struct domain *d);
/* Same reach text for per-device lines; returns buf. */
const char *domain_reach_str(const struct domain *d, char *buf, size_t len);

#endif
