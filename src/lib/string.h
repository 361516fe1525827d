/* The few string/memory routines shoji uses. The image provides them
 * (lib/string.c); host builds (unit tests, tools) take libc's. */
#ifndef SHOJI_LIB_STRING_H
#define SHOJI_LIB_STRING_H

#include "lib/types.h"

#ifdef SHOJI_HOST
#include <string.h>
#else
void *memcpy(void *dst, const void *src, size_t n);
void *memmove(void *dst, const void *src, size_t n);
void *memset(void *dst, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t strlen(const char *s);
size_t strnlen(const char *s, size_t max);
int strcmp(const char *a, const char *b);
int strncmp(const char *a, const char *b, size_t n);
char *strchr(const char *s, int c);
#endif

#endif
