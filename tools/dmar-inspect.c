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

#include "host/table_tool.h"
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

/* Parsed into static storage: the info is large, keep it off the stack. */
static int inspect(const unsigned char *table, size_t len)
{
	static struct dmar_info info;
	int rc = dmar_parse(table, len, NULL, &info);

	dmar_print(&info);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct host_table_tool tool = {
		.prog = "dmar-inspect", .what = "a DMAR table", .max_bytes = MAX_FILE,
		.usage = usage, .inspect = inspect,
	};

	return host_table_tool_main(&tool, argc, argv);
}
