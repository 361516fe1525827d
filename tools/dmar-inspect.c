/* dmar-inspect: print an ACPI DMAR table (Intel VT-d, spec chapter 8) the
 * way shoji's boot log does, with the same firmware-bug warnings.
 *
 *   dmar-inspect FILE        e.g. /sys/firmware/acpi/tables/DMAR (as root),
 *                            or an .aml that iasl compiled from a data table
 *
 * Output goes to stdout as shoji log lines, prefix "shoji: " included, so a
 * script can parse dmar-inspect output and a hypervisor boot log alike.
 * Problems with the tool's own input (usage, I/O) go to stderr.
 * Exit status: 0 usable table, 1 malformed or unusable table, 2 usage or
 * I/O error. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "host/host.h"
#include "iommu/dmar.h"

#define MAX_FILE (16u << 20)	/* a DMAR is a few KiB; refuse absurd inputs */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: dmar-inspect FILE\n"
		"       dmar-inspect --help\n"
		"\n"
		"Parse the ACPI DMAR table in FILE (a raw table, e.g.\n"
		"/sys/firmware/acpi/tables/DMAR, or an .aml compiled by iasl from a DMAR\n"
		"data table) and print it as key=value lines prefixed \"shoji: \", the same\n"
		"lines and warnings shoji logs at boot:\n"
		"  shoji: dmar haw=39 flags=0x1 intr_remap=yes ...\n"
		"  shoji: dmar drhd unit=0 base=0xfed90000 segment=0 size=4096 ...\n"
		"  shoji: dmar   scope type=endpoint bdf=00:02.0 path=02.0\n"
		"  shoji: warning: dmar ...          (firmware bugs)\n"
		"  shoji: dmar usable=yes | usable=no error=... reason=\"...\"\n"
		"\n"
		"There is no live PCI topology here: a single-hop scope path names its\n"
		"device directly, but multi-hop paths are shown as paths (bdf=unresolved)\n"
		"and bridge bus ranges as buses=unknown.\n"
		"\n"
		"Exit status: 0 the table is usable, 1 it is malformed or unusable,\n"
		"2 usage or I/O error (missing, unreadable or empty FILE).\n");
}

int main(int argc, char **argv)
{
	static struct dmar_info info;	/* large: keep it off the stack */
	const char *path = NULL;
	unsigned char *data, *table;
	size_t len;
	int rc;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			usage(stdout);
			return 0;
		}
		if (!strcmp(argv[i], "--") && i + 1 < argc && !path) {
			path = argv[++i];
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "dmar-inspect: error: unknown option %s\n", argv[i]);
			usage(stderr);
			return 2;
		}
		if (path) {
			fprintf(stderr, "dmar-inspect: error: one FILE only\n");
			usage(stderr);
			return 2;
		}
		path = argv[i];
	}
	if (!path) {
		fprintf(stderr, "dmar-inspect: error: no FILE given\n");
		usage(stderr);
		return 2;
	}
	if (host_read_file("dmar-inspect", "a DMAR table", path, MAX_FILE, &data, &len) < 0)
		return 2;
	/* Parse from an exactly-sized copy so the sanitizers would catch any
	 * read past the end of the data. */
	table = malloc(len);
	if (!table) {
		fprintf(stderr, "dmar-inspect: error: out of memory\n");
		free(data);
		return 2;
	}
	memcpy(table, data, len);
	free(data);

	host_log_echo = true;
	rc = dmar_parse(table, len, NULL, &info);
	dmar_print(&info);
	fflush(stdout);
	free(table);
	return rc == 0 ? 0 : 1;
}
