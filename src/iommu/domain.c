/* DMA domain policy (see domain.h). */
#include "iommu/domain.h"
#include "lib/error.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"

static struct domain_config cfg;
static struct iopt_hole forbidden[DOMAIN_MAX_FORBIDDEN];
static unsigned n_forbidden;
static uint64_t shadow_start, shadow_end;
static struct domain domains[DOMAIN_MAX];

int domain_policy_init(const struct domain_config *c)
{
	for (unsigned i = 0; i < DOMAIN_MAX; i++)
		if (domains[i].in_use)
			domain_destroy(&domains[i]);
	memset(domains, 0, sizeof(domains));
	n_forbidden = 0;
	shadow_start = shadow_end = 0;
	if (c->levels < 3 || c->levels > 5 || c->max_page_level < 1 || c->max_page_level > 3 ||
	    !IS_ALIGNED(c->dma_limit, PAGE_SIZE) || c->dma_limit == 0 ||
	    (c->levels < 5 && c->dma_limit > (1ULL << (12 + 9 * c->levels))))
		return E_INVAL;
	cfg = *c;
	return 0;
}

/* Keeps `forbidden` sorted and merged. */
int domain_forbid(uint64_t start, uint64_t end, const char *why)
{
	unsigned i, j;

	start = ALIGN_DOWN(start, PAGE_SIZE);
	end = ALIGN_UP(end, PAGE_SIZE);
	if (end <= start)
		return E_INVAL;
	if (start >= cfg.dma_limit) {
		log_info("domain forbid %s 0x%llx-0x%llx: beyond the DMA address width, "
			 "unreachable anyway", why, (unsigned long long)start,
			 (unsigned long long)end);
		return 0;
	}
	log_info("domain forbid %s 0x%llx-0x%llx", why, (unsigned long long)start,
		 (unsigned long long)end);
	for (i = 0; i < n_forbidden && forbidden[i].start < start; i++)
		;
	if (n_forbidden == DOMAIN_MAX_FORBIDDEN) {
		log_error("domain: no room to forbid %s (%u ranges already)", why,
			  DOMAIN_MAX_FORBIDDEN);
		return E_NOMEM;
	}
	memmove(&forbidden[i + 1], &forbidden[i], (n_forbidden - i) * sizeof(forbidden[0]));
	forbidden[i] = (struct iopt_hole){ start, end };
	n_forbidden++;
	/* Merge overlapping or touching neighbours. */
	for (i = 0, j = 0; i < n_forbidden; i++) {
		if (j && forbidden[i].start <= forbidden[j - 1].end)
			forbidden[j - 1].end = MAX(forbidden[j - 1].end, forbidden[i].end);
		else
			forbidden[j++] = forbidden[i];
	}
	n_forbidden = j;
	return 0;
}

int domain_forbid_protected(void)
{
	for (unsigned i = 0; i < protect_count(); i++) {
		const struct protected_range *r = protect_get(i);
		int rc;

		if (r->space != PROTECT_SPACE_MEM || !(r->forbids & PROTECT_DMA))
			continue;
		rc = domain_forbid(r->start, r->end, r->what);
		if (rc)
			return rc;
	}
	protect_seal(PROTECT_DMA);
	return 0;
}

int domain_allow_shadow(uint64_t start, uint64_t end)
{
	if (!IS_ALIGNED(start, PAGE_SIZE) || !IS_ALIGNED(end, PAGE_SIZE) || end <= start)
		return E_INVAL;
	shadow_start = start;
	shadow_end = end;
	return 0;
}

/* Slot 0 (id DOMAIN_DEFAULT_ID) is the default domain's alone. */
static struct domain *alloc_domain(const char *name, bool is_default)
{
	for (unsigned i = is_default ? 0 : 1; i < (is_default ? 1u : DOMAIN_MAX); i++) {
		struct domain *d = &domains[i];

		if (d->in_use)
			continue;
		memset(d, 0, sizeof(*d));
		d->in_use = true;
		d->id = (uint16_t)(DOMAIN_DEFAULT_ID + i);
		shoji_snprintf(d->name, sizeof(d->name), "%s", name);
		if (iopt_init_format(&d->pt, cfg.format ? cfg.format : &iopt_format_vtd, cfg.levels,
				     cfg.max_page_level, cfg.coherent)) {
			d->in_use = false;
			return NULL;
		}
		if (cfg.haw && cfg.haw < d->pt.haw)
			d->pt.haw = cfg.haw;	/* no address the units cannot emit */
		return d;
	}
	return NULL;
}

int domain_build_default(void)
{
	struct domain *d;
	uint64_t at = 0;
	int rc;

	if (domains[0].in_use)
		return E_BUSY;
	d = alloc_domain("default", true);
	if (!d)
		return E_NOMEM;
	rc = iopt_map_identity_except(&d->pt, 0, cfg.dma_limit, forbidden, n_forbidden,
				      IOPT_READ | IOPT_WRITE);
	if (rc) {
		domain_destroy(d);
		return rc;
	}
	/* Record the reach: the complement of the forbidden ranges. */
	for (unsigned i = 0; i <= n_forbidden; i++) {
		uint64_t end = i < n_forbidden ? MIN(forbidden[i].start, cfg.dma_limit)
					      : cfg.dma_limit;

		if (end > at && d->n_ranges < DOMAIN_MAX_RANGES)
			d->ranges[d->n_ranges++] = (struct domain_range){ at, end,
									  IOPT_READ | IOPT_WRITE };
		if (i < n_forbidden)
			at = MAX(at, forbidden[i].end);
	}
	return 0;
}

struct domain *domain_default(void)
{
	return domains[0].in_use ? &domains[0] : NULL;
}

static bool overlaps(uint64_t s1, uint64_t e1, uint64_t s2, uint64_t e2)
{
	return s1 < e2 && s2 < e1;
}

/* The check every confined mapping passes. */
static bool range_allowed(const struct domain_range *r)
{
	if (!IS_ALIGNED(r->start, PAGE_SIZE) || !IS_ALIGNED(r->end, PAGE_SIZE) ||
	    r->end <= r->start || r->end > cfg.dma_limit || !(r->perm & (IOPT_READ | IOPT_WRITE)))
		return false;
	if (r->start >= shadow_start && r->end <= shadow_end && shadow_end)
		return true;
	for (unsigned i = 0; i < n_forbidden; i++)
		if (overlaps(r->start, r->end, forbidden[i].start, forbidden[i].end))
			return false;
	return true;
}

int domain_create(const char *name, const struct domain_range *r, unsigned n,
		  struct domain **out)
{
	struct domain *d;

	if (n > DOMAIN_MAX_RANGES)
		return E_RANGE;
	for (unsigned i = 0; i < n; i++) {
		if (!range_allowed(&r[i])) {
			log_error("domain %s: range 0x%llx-0x%llx refused: it touches memory "
				  "no device may reach", name, (unsigned long long)r[i].start,
				  (unsigned long long)r[i].end);
			return E_RANGE;
		}
	}
	d = alloc_domain(name, false);
	if (!d)
		return E_NOMEM;
	for (unsigned i = 0; i < n; i++) {
		int rc = iopt_map(&d->pt, r[i].start, r[i].start, r[i].end - r[i].start, r[i].perm);

		if (rc) {
			domain_destroy(d);
			return rc;
		}
		d->ranges[d->n_ranges++] = r[i];
	}
	*out = d;
	return 0;
}

void domain_destroy(struct domain *d)
{
	if (!d || !d->in_use)
		return;
	iopt_destroy(&d->pt);
	d->in_use = false;
}

bool domain_may_reach(const struct domain *d, uint64_t addr, unsigned perm)
{
	for (unsigned i = 0; i < d->n_ranges; i++)
		if (addr >= d->ranges[i].start && addr < d->ranges[i].end)
			return (d->ranges[i].perm & perm) == perm;
	return false;
}

const char *domain_reach_str(const struct domain *d, char *buf, size_t len)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < d->n_ranges && n < len; i++) {
		const struct domain_range *r = &d->ranges[i];

		n += (size_t)shoji_snprintf(buf + n, len - n, "%s0x%llx-0x%llx:%s%s",
					    i ? "," : "", (unsigned long long)r->start,
					    (unsigned long long)r->end,
					    r->perm & IOPT_READ ? "r" : "",
					    r->perm & IOPT_WRITE ? "w" : "");
	}
	if (!d->n_ranges)
		shoji_snprintf(buf, len, "nothing");
	return buf;
}

void domain_log(const struct domain *d)
{
	char reach[256];

	log_info("domain id=%u name=%s table_pages=%llu reach=%s", d->id, d->name,
		 (unsigned long long)d->pt.table_pages, domain_reach_str(d, reach, sizeof(reach)));
}
