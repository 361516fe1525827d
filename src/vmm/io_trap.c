/* Trapped I/O ports (see io_trap.h): derived from the protected-range
 * registry's emulated I/O ranges. */
#include "lib/hal.h"
#include "vmm/io_trap.h"
#include "vmm/protect.h"

static const struct protected_range *trap_at(uint32_t port)
{
	for (unsigned i = 0; i < protect_count(); i++) {
		const struct protected_range *r = protect_get(i);

		if (r->space == PROTECT_SPACE_IO && r->io && port >= r->start && port < r->end)
			return r;
	}
	return NULL;
}

bool io_trap_claims(uint16_t port, unsigned size)
{
	for (unsigned i = 0; i < size; i++)
		if (trap_at((uint32_t)port + i))
			return true;
	return false;
}

static uint32_t mask_of(unsigned size)
{
	return size >= 4 ? ~0u : (1u << (size * 8)) - 1;
}

/* The range holding the whole access, or NULL when it straddles an edge. */
static const struct protected_range *whole(uint16_t port, unsigned size)
{
	const struct protected_range *r = trap_at(port);

	return r && (uint32_t)port + size <= r->end ? r : NULL;
}

uint32_t io_trap_in(uint16_t port, unsigned size)
{
	const struct protected_range *r = whole(port, size);
	uint32_t v = 0;

	if (r)
		return r->io->in(r->ctx, port, size) & mask_of(size);
	for (unsigned i = 0; i < size; i++) {
		uint16_t p = (uint16_t)(port + i);
		const struct protected_range *b = trap_at(p);
		uint32_t byte = b ? b->io->in(b->ctx, p, 1) : hal_inb(p);

		v |= (byte & 0xff) << (8 * i);
	}
	return v;
}

void io_trap_out(uint16_t port, unsigned size, uint32_t v)
{
	const struct protected_range *r = whole(port, size);

	if (r) {
		r->io->out(r->ctx, port, size, v & mask_of(size));
		return;
	}
	for (unsigned i = 0; i < size; i++) {
		uint16_t p = (uint16_t)(port + i);
		const struct protected_range *b = trap_at(p);
		uint8_t byte = (uint8_t)(v >> (8 * i));

		if (b)
			b->io->out(b->ctx, p, 1, byte);
		else
			hal_outb(p, byte);
	}
}

unsigned io_trap_ports(void (*fn)(void *ctx, uint16_t port), void *ctx)
{
	unsigned n = 0;

	for (unsigned i = 0; i < protect_count(); i++) {
		const struct protected_range *r = protect_get(i);

		if (r->space != PROTECT_SPACE_IO || !r->io)
			continue;
		for (uint32_t p = (uint32_t)r->start; p < r->end; p++, n++)
			fn(ctx, (uint16_t)p);
	}
	return n;
}
