/* 16550 UART console: the hypervisor log. */
#ifndef SHOJI_ARCH_X86_SERIAL_H
#define SHOJI_ARCH_X86_SERIAL_H

#include "lib/types.h"

void serial_init(uint16_t port);
uint16_t serial_port(void);
void serial_write(const char *s, size_t n);

#endif
