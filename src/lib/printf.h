/* A small vsnprintf for the freestanding image (portable; unit-tested against
 * libc on the host). Supports %d %i %u %x %X %o %c %s %p %% with flags
 * '-', '0', '+', ' ', '#', width and precision (also '*'), and length
 * modifiers hh h l ll z j t. Output is always NUL-terminated when size > 0;
 * the return value is the length the full output would have had. */
#ifndef SHOJI_LIB_PRINTF_H
#define SHOJI_LIB_PRINTF_H

#include <stdarg.h>
#include "lib/types.h"

int shoji_vsnprintf(char *buf, size_t size, const char *fmt, va_list ap);
int shoji_snprintf(char *buf, size_t size, const char *fmt, ...) PRINTF_LIKE(3, 4);

#endif
