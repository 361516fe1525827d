/* ivrs-inspect: print an ACPI IVRS table (AMD-Vi, AMD IOMMU specification
 * 48882 chapter 5) the way shoji's boot log will, with the same checks and
 * firmware-bug warnings.
 *
 *   ivrs-inspect FILE        e.g. /sys/firmware/acpi/tables/IVRS (as root),
 *                            or an .aml that iasl compiled from a data table
 *
 * Output goes to stdout as shoji log lines, prefix "shoji: " included, so a
 * script can parse ivrs-inspect output and a hypervisor boot log alike.
 * Problems with the tool's own input (usage, I/O) go to stderr.
 * Exit status: 0 usable table, 1 malformed or unusable table, 2 usage or
 * I/O error. */
#include <stdio.h>

#include "host/table_tool.h"
#include "iommu/ivrs.h"

#define MAX_FILE (16u << 20)	/* an IVRS is a few KiB; refuse absurd inputs */

static void usage(FILE *f)
{
	fprintf(f,
		"usage: ivrs-inspect FILE\n"
		"       ivrs-inspect --help\n"
		"\n"
		"Parse the ACPI IVRS table in FILE (a raw table, e.g.\n"
		"/sys/firmware/acpi/tables/IVRS, or an .aml compiled by iasl from an IVRS\n"
		"data table) and print it as key=value lines prefixed \"shoji: \", the same\n"
		"lines and warnings shoji logs at boot:\n"
		"  shoji: ivrs ivinfo=0x2800 efr_sup=no ... pa_size=40 ...\n"
		"  shoji: ivrs ivhd index=0 type=0x10 offset=0x30 iommu=0 devid=00:01.0 ...\n"
		"  shoji: ivrs   features source=feature_reporting xt=no ...\n"
		"  shoji: ivrs   dev kind=range devid=00:00.0-00:1f.7 dte=0x00 offset=0x58\n"
		"  shoji: ivrs ivmd index=0 type=0x21 ... unity=yes ir=yes iw=yes ...\n"
		"  shoji: warning: ivrs ...          (firmware bugs)\n"
		"  shoji: ivrs usable=yes | usable=no error=... reason=\"...\"\n"
		"\n"
		"Device IDs are shown as bus:device.function in the block's segment; a\n"
		"start/end-of-range pair is one dev line with devid=FIRST-LAST. A block\n"
		"superseded by a higher type for the same IOMMU says superseded_by=N.\n"
		"\n"
		"Exit status: 0 the table is usable, 1 it is malformed or unusable,\n"
		"2 usage or I/O error (missing, unreadable or empty FILE).\n");
}

/* Parsed into static storage: the info is large, keep it off the stack. */
static int inspect(const unsigned char *table, size_t len)
{
	static struct ivrs_info info;
	int rc = ivrs_parse(table, len, NULL, &info);

	ivrs_print(&info);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct host_table_tool tool = {
		.prog = "ivrs-inspect", .what = "an IVRS table", .max_bytes = MAX_FILE,
		.usage = usage, .inspect = inspect,
	};

	return host_table_tool_main(&tool, argc, argv);
}
