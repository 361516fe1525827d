/* 16550 UART console: the hypervisor log. */
#ifndef SHOJI_ARCH_X86_SERIAL_H
#define SHOJI_ARCH_X86_SERIAL_H

#include "lib/types.h"

void serial_init(uint16_t port);
uint16_t serial_port(void);
void serial_write(const char *s, size_t n);
/* Reads one line typed on the console without echoing it (a passphrase):
 * stops at Enter, handles backspace, keeps at most len-1 characters.
 * Returns the length, or -1 when nothing arrives within timeout_us. */
int serial_read_secret(char *buf, size_t len, uint64_t timeout_us);

#endif
