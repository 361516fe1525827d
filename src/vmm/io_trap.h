/* Trapped I/O ports: the guest's IN/OUT (and INS/OUTS) to ports an emulator
 * owns. The ports are registered once, in the protected-range registry
 * (protect_add_io_emulated, vmm/protect.h: an I/O range with `io` set);
 * this is the back-end-neutral view of them that every CPU back-end uses
 * the same way:
 *   - at setup, io_trap_ports() lists every trapped port, for its I/O
 *     intercepts (SVM's IOPM, VT-x's I/O bitmaps);
 *   - on an I/O exit, io_trap_claims() says whether the access is an
 *     emulator's, io_trap_in/io_trap_out perform it (string forms:
 *     vmm/io_string.h, element by element through the same two).
 * An access wholly inside one range goes to its emulator with the guest's
 * size (a 32-bit read of an IDE data port is ONE access, not four); one
 * that straddles a range's edge is split into bytes, each to its emulator
 * or, when no range has it, to the hardware. Portable, unit-tested
 * (tests/unit/test_io_trap.c). */
#ifndef SHOJI_VMM_IO_TRAP_H
#define SHOJI_VMM_IO_TRAP_H

#include "lib/types.h"

struct io_ops {
	/* size 1, 2 or 4; port inside the emulator's range; reads return the
	 * value in the low bytes. */
	uint32_t (*in)(void *ctx, uint16_t port, unsigned size);
	void (*out)(void *ctx, uint16_t port, unsigned size, uint32_t v);
};

/* Whether any byte of [port, port + size) is trapped. */
bool io_trap_claims(uint16_t port, unsigned size);

/* The guest's access, size 1, 2 or 4 (see above). */
uint32_t io_trap_in(uint16_t port, unsigned size);
void io_trap_out(uint16_t port, unsigned size, uint32_t v);

/* Calls fn(ctx, port) once for every trapped port; returns how many. */
unsigned io_trap_ports(void (*fn)(void *ctx, uint16_t port), void *ctx);

#endif
