/* The log: formats whole lines and hands them to the environment's sink. */
#include "lib/log.h"
#include "lib/printf.h"

bool log_debug_enabled;

void log_vline(const char *kind, const char *fmt, va_list ap)
{
	/* One buffer per line keeps a line whole on the wire; longer lines are
	 * cut and marked rather than split. */
	char line[512];
	size_t n = (size_t)shoji_snprintf(line, sizeof(line), "%s%s", LOG_PREFIX, kind);
	int m = shoji_vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);

	if (m < 0)
		m = 0;
	n += (size_t)m;
	if (n > sizeof(line) - 2) {
		n = sizeof(line) - 2;
		line[n - 3] = line[n - 2] = line[n - 1] = '.';
	}
	line[n++] = '\n';
	log_sink_write(line, n);
}

#define DEFINE_LOG(name, kind, cond)			\
	void name(const char *fmt, ...)			\
	{						\
		va_list ap;				\
		if (!(cond))				\
			return;				\
		va_start(ap, fmt);			\
		log_vline(kind, fmt, ap);		\
		va_end(ap);				\
	}

DEFINE_LOG(log_info, "", true)
DEFINE_LOG(log_warn, "warning: ", true)
DEFINE_LOG(log_error, "error: ", true)
DEFINE_LOG(log_debug, "debug: ", log_debug_enabled)
