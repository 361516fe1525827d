/* See table_tool.h. */
#include <stdlib.h>
#include <string.h>

#include "host/host.h"
#include "host/table_tool.h"

static int usage_error(const struct host_table_tool *tool, const char *msg, const char *arg)
{
	fprintf(stderr, "%s: error: %s%s\n", tool->prog, msg, arg ? arg : "");
	tool->usage(stderr);
	return 2;
}

/* The one FILE operand, or NULL after a usage error (*rc set). */
static const char *parse_args(const struct host_table_tool *tool, int argc, char **argv,
			      int *rc)
{
	const char *path = NULL;

	*rc = -1;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--help") || !strcmp(argv[i], "-h")) {
			tool->usage(stdout);
			*rc = 0;
			return NULL;
		}
		if (!strcmp(argv[i], "--") && i + 1 < argc && !path) {
			path = argv[++i];
			continue;
		}
		if (argv[i][0] == '-' && argv[i][1]) {
			*rc = usage_error(tool, "unknown option ", argv[i]);
			return NULL;
		}
		if (path) {
			*rc = usage_error(tool, "one FILE only", NULL);
			return NULL;
		}
		path = argv[i];
	}
	if (!path)
		*rc = usage_error(tool, "no FILE given", NULL);
	return path;
}

int host_table_tool_main(const struct host_table_tool *tool, int argc, char **argv)
{
	unsigned char *data, *table;
	const char *path;
	size_t len;
	int rc;

	path = parse_args(tool, argc, argv, &rc);
	if (!path)
		return rc;
	if (host_read_file(tool->prog, tool->what, path, tool->max_bytes, &data, &len) < 0)
		return 2;
	table = malloc(len);
	if (!table) {
		fprintf(stderr, "%s: error: out of memory\n", tool->prog);
		free(data);
		return 2;
	}
	memcpy(table, data, len);
	free(data);

	host_log_echo = true;
	rc = tool->inspect(table, len);
	fflush(stdout);
	free(table);
	return rc == 0 ? 0 : 1;
}
