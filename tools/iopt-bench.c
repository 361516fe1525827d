/* iopt-bench: page-table memory and build time of the VT-d second-level
 * tables (src/iommu/iopt.c) for the default domain's shape: an identity map
 * of 1, 4 and 64 GiB minus one 64 MiB hypervisor hole, with superpages
 * (2 MiB + 1 GiB) and without (4 KiB only). Prints a markdown table.
 *
 *   build/tools/iopt-bench [RUNS]     (RUNS per case, default 5; median shown)
 *
 * Build time = iopt_init + iopt_map_identity_except, CLOCK_MONOTONIC. The
 * tool is built like every host tool (ASan/UBSan, -O1), so the times are
 * several times what the freestanding -O2 image needs; compare rows with
 * each other, not with hardware. 64 GiB without superpages is 16M entries
 * in ~32K table pages, ~128 MiB of host memory (fine on a build machine). */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "host/host.h"
#include "iommu/iopt.h"
#include "lib/error.h"

#define GIB (1ULL << 30)
#define MAX_RUNS 101

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

/* One build; returns 0 or the error. st/flushes filled when non-NULL. */
static int build(uint64_t size, unsigned max_level, bool coherent, double *ms,
		 struct iopt_stats *st, uint64_t *table_pages, long *flushes)
{
	/* the hypervisor region of the design: 64 MiB below 1 GiB, 2 MiB aligned */
	static const struct iopt_hole hole = { 0x3be00000, 0x3fe00000 };
	struct iopt pt;
	long f0 = host_cache_flushes;
	double t0 = now_ms();
	int rc;

	rc = iopt_init(&pt, 4, max_level, coherent);
	if (rc)
		return rc;
	rc = iopt_map_identity_except(&pt, 0, size, &hole, 1, IOPT_READ | IOPT_WRITE);
	if (ms)
		*ms = now_ms() - t0;
	if (flushes)
		*flushes = host_cache_flushes - f0;
	if (st)
		iopt_stats(&pt, st);
	if (table_pages)
		*table_pages = pt.table_pages;
	iopt_destroy(&pt);
	return rc;
}

int main(int argc, char **argv)
{
	static const uint64_t sizes[] = { 1, 4, 64 };
	static const struct {
		unsigned max_level;
		const char *name;
	} modes[] = { { 3, "2M+1G" }, { 1, "4K only" } };
	int runs = argc > 1 ? atoi(argv[1]) : 5;

	if (runs < 1 || runs > MAX_RUNS) {
		fprintf(stderr, "usage: %s [RUNS 1..%d]\n", argv[0], MAX_RUNS);
		return 2;
	}
	printf("### VT-d second-level page tables: identity map minus a 64 MiB hole "
	       "(0x3be00000-0x3fe00000), 4 levels\n\n");
	printf("| map | pages | table pages | table memory (bytes) | leaves 4K / 2M / 1G "
	       "| build ms (median of %d) | flushes if ECAP.C=0 |\n", runs);
	printf("|---|---|---:|---:|---|---:|---:|\n");
	for (unsigned s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
		for (unsigned m = 0; m < sizeof(modes) / sizeof(modes[0]); m++) {
			double t[MAX_RUNS];
			struct iopt_stats st;
			uint64_t pages = 0;
			long flushes = 0;
			int rc = 0;

			for (int r = 0; r < runs && !rc; r++)
				rc = build(sizes[s] * GIB, modes[m].max_level, true, &t[r],
					   r ? NULL : &st, r ? NULL : &pages, NULL);
			if (!rc)
				rc = build(sizes[s] * GIB, modes[m].max_level, false, NULL, NULL,
					   NULL, &flushes);
			if (rc) {
				printf("| %llu GiB | %s | error: %s |||||\n",
				       (unsigned long long)sizes[s], modes[m].name, err_str(rc));
				continue;
			}
			qsort(t, (size_t)runs, sizeof(t[0]), cmp_double);
			printf("| %llu GiB | %s | %llu | %llu | %llu / %llu / %llu | %.2f | %ld |\n",
			       (unsigned long long)sizes[s], modes[m].name,
			       (unsigned long long)pages, (unsigned long long)(pages * 4096),
			       (unsigned long long)st.leaves[0], (unsigned long long)st.leaves[1],
			       (unsigned long long)st.leaves[2], t[runs / 2], flushes);
		}
	}
	printf("\nTimes from the host build (ASan/UBSan, -O1): relative, not hardware numbers. "
	       "64 GiB with 4 KiB pages only needs ~128 MiB of tables.\n");
	return 0;
}
