/* shoji's log. Every line starts with "shoji: "; lines that tests or people
 * parse use key=value fields after a short subject word, e.g.
 *   shoji: pci 00:02.0 vendor=1234 device=11e8 class=00ff00
 * Warnings and errors say so after the prefix ("shoji: warning: ...",
 * "shoji: error: ..."). */
#ifndef SHOJI_LIB_LOG_H
#define SHOJI_LIB_LOG_H

#include <stdarg.h>
#include "lib/types.h"

#define LOG_PREFIX "shoji: "

/* Where finished lines go: the serial console in the image, a buffer in host
 * tests, stdout in host tools. Provided by the environment, not by log.c. */
void log_sink_write(const char *s, size_t n);

void log_info(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_warn(const char *fmt, ...) PRINTF_LIKE(1, 2);
void log_error(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* Debug lines are printed only when log_debug_enabled is set (log=debug). */
extern bool log_debug_enabled;
void log_debug(const char *fmt, ...) PRINTF_LIKE(1, 2);
/* One line: prefix + kind ("", "warning: ", "error: ") + text + "\n". */
void log_vline(const char *kind, const char *fmt, va_list ap);

#endif
