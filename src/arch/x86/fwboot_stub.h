/* The real-mode stub of guest=disk (fwboot_stub.S): bytes to copy into the
 * guest's low memory and the offsets of its entries. */
#ifndef SHOJI_ARCH_X86_FWBOOT_STUB_H
#define SHOJI_ARCH_X86_FWBOOT_STUB_H

#include "lib/types.h"

extern const uint8_t fwboot_stub[], fwboot_stub_end[];
extern const uint8_t fwboot_stub_int15[], fwboot_stub_boot[], fwboot_stub_fail[];

/* The stub is assembled with VMMCALL (0f 01 d9) at fwboot_stub_int15 and
 * fwboot_stub_fail; core/fwboot.c writes the back-end's hypercall
 * instruction (same length) over both in the copy it installs. */
#define FWBOOT_VMMCALL_LEN 3

static inline uint16_t fwboot_stub_offset(const uint8_t *label)
{
	return (uint16_t)(label - fwboot_stub);
}

#endif
