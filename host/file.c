/* Whole-file reads for the host tools (dmar-inspect, ivrs-inspect). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/host.h"

int host_read_file(const char *prog, const char *what, const char *path, size_t max,
		   unsigned char **data, size_t *len)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	size_t n = 0, cap = 0;

	if (!f) {
		fprintf(stderr, "%s: error: cannot open %s: %s\n", prog, path, strerror(errno));
		return -1;
	}
	for (;;) {
		size_t got;

		if (n == cap) {
			unsigned char *nb;

			if (cap >= max) {
				fprintf(stderr, "%s: error: %s is larger than %zu bytes: not %s\n",
					prog, path, max, what);
				goto fail;
			}
			cap = cap ? cap * 2 : 4096;
			nb = realloc(buf, cap);
			if (!nb) {
				fprintf(stderr, "%s: error: out of memory\n", prog);
				goto fail;
			}
			buf = nb;
		}
		got = fread(buf + n, 1, cap - n, f);
		n += got;
		if (got == 0) {
			if (ferror(f)) {
				fprintf(stderr, "%s: error: cannot read %s: %s\n", prog, path,
					strerror(errno));
				goto fail;
			}
			break;
		}
	}
	fclose(f);
	if (n == 0) {
		fprintf(stderr, "%s: error: %s is empty\n", prog, path);
		free(buf);
		return -1;
	}
	*data = buf;
	*len = n;
	return 0;
fail:
	fclose(f);
	free(buf);
	return -1;
}
