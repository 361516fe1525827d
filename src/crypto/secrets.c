/* See secrets.h. */
#include "crypto/secrets.h"
#include "crypto/wipe.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"

struct secret {
	const char *what;
	uint8_t *p;
	size_t len;
};

static struct secret table[SECRETS_MAX];
static unsigned count;

static bool overlaps(const struct secret *s, uintptr_t a, uintptr_t ae)
{
	uintptr_t b = (uintptr_t)s->p;

	return a < b + s->len && b < ae;
}

int secrets_register(const char *what, void *p, size_t len)
{
	uintptr_t a = (uintptr_t)p;

	if (!p || !len || a + len < a) {
		log_error("secrets: cannot register %s: empty or wrapping range", what);
		return E_INVAL;
	}
	for (unsigned i = 0; i < count; i++)
		if (overlaps(&table[i], a, a + len)) {
			log_error("secrets: %s overlaps %s (already registered)", what,
				  table[i].what);
			return E_INVAL;
		}
	if (count == SECRETS_MAX) {
		log_error("secrets: registry full (%u regions): %s could not be registered",
			  SECRETS_MAX, what);
		return E_NOMEM;
	}
	table[count++] = (struct secret){ what, p, len };
	log_info("secrets registered what=%s bytes=%llu", what, (unsigned long long)len);
	return 0;
}

unsigned secrets_wipe_all(const char *reason)
{
	uint64_t bytes = 0;

	for (unsigned i = 0; i < count; i++) {
		crypto_wipe(table[i].p, table[i].len);
		bytes += table[i].len;
	}
	/* The zeroes may still sit in dirty cache lines: write everything
	 * back so RAM itself no longer holds the secrets. */
	hal_cache_writeback_all();
	log_info("secrets wiped reason=%s regions=%u bytes=%llu", reason, count,
		 (unsigned long long)bytes);
	return count;
}

unsigned secrets_count(void)
{
	return count;
}

uint64_t secrets_bytes(void)
{
	uint64_t b = 0;

	for (unsigned i = 0; i < count; i++)
		b += table[i].len;
	return b;
}

const char *secrets_name(unsigned i)
{
	return i < count ? table[i].what : NULL;
}

#ifdef SHOJI_HOST
void secrets_reset_for_test(void)
{
	count = 0;
}
#endif
