/* The log: formats whole lines and hands them to the environment's sink. */
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/prof.h"
#include "lib/spinlock.h"

bool log_debug_enabled;

/* One line at a time on the wire, from any CPU. The holder only copies
 * bytes to the sink; a CPU that faults while holding it (the panic report
 * logs) must not wait for itself: the lock remembers its holder, and the
 * holder's nested line goes out unlocked. */
static struct spinlock log_lock = SPINLOCK_INIT;
static unsigned log_holder = ~0u;

static void write_line(const char *line, size_t n)
{
	unsigned me = hal_cpu_index();

	if (__atomic_load_n(&log_holder, __ATOMIC_RELAXED) == me) {
		log_sink_write(line, n);
		return;
	}
	spin_lock(&log_lock);
	__atomic_store_n(&log_holder, me, __ATOMIC_RELAXED);
	log_sink_write(line, n);
	__atomic_store_n(&log_holder, ~0u, __ATOMIC_RELAXED);
	spin_unlock(&log_lock);
}

void log_vline(const char *kind, const char *fmt, va_list ap)
{
	/* One buffer per line keeps a line whole on the wire; longer lines are
	 * cut and marked rather than split. */
	char line[512];
	size_t n;
	int m;

	prof_enter(PROF_LOG);
	n = (size_t)shoji_snprintf(line, sizeof(line), "%s%s", LOG_PREFIX, kind);
	m = shoji_vsnprintf(line + n, sizeof(line) - n - 1, fmt, ap);

	if (m < 0)
		m = 0;
	n += (size_t)m;
	if (n > sizeof(line) - 2) {
		n = sizeof(line) - 2;
		line[n - 3] = line[n - 2] = line[n - 1] = '.';
	}
	line[n++] = '\n';
	write_line(line, n);
	prof_leave();
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
