/* The command line of the ACPI table tools (dmar-inspect, ivrs-inspect):
 * one FILE, --help, the same errors and exit status for every table kind.
 * Each tool gives its name, its usage text and the parse-and-print step. */
#ifndef SHOJI_HOST_TABLE_TOOL_H
#define SHOJI_HOST_TABLE_TOOL_H

#include <stddef.h>
#include <stdio.h>

struct host_table_tool {
	const char *prog;	/* "dmar-inspect": prefix of every error */
	const char *what;	/* "a DMAR table": what a too-large file is not */
	size_t max_bytes;	/* larger files are refused (exit 2) */
	void (*usage)(FILE *f);
	/* Parse and print the table; 0 when it is usable. The buffer is an
	 * exactly-sized heap copy, so the sanitizers catch a read past its end. */
	int (*inspect)(const unsigned char *table, size_t len);
};

/* Exit status: 0 usable table, 1 malformed or unusable, 2 usage or I/O
 * error (missing, unreadable, empty or oversized FILE). */
int host_table_tool_main(const struct host_table_tool *tool, int argc, char **argv);

#endif
