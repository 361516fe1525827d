/* The guest's ECAM window (see ecam_guard.h). */
#include "lib/hal.h"
#include "lib/log.h"
#include "platform/pci_cfg.h"
#include "vmm/ecam_guard.h"
#include "vmm/pci_guard.h"

static struct ecam_window windows[ECAM_GUARD_MAX];
static unsigned n_windows;
static uint64_t malformed;

void ecam_guard_reset(void)
{
	n_windows = 0;
	malformed = 0;
}

struct ecam_window *ecam_guard_add(uint16_t seg, paddr_t base, uint8_t bus_start,
				   uint8_t bus_end)
{
	if (n_windows == ECAM_GUARD_MAX || bus_start > bus_end || (base & (MiB(1) - 1)))
		return NULL;
	windows[n_windows] = (struct ecam_window){ base, seg, bus_start, bus_end };
	return &windows[n_windows++];
}

paddr_t ecam_window_start(const struct ecam_window *w)
{
	return w->base + ((paddr_t)w->bus_start << 20);
}

paddr_t ecam_window_end(const struct ecam_window *w)
{
	return w->base + (((paddr_t)w->bus_end + 1) << 20);
}

/* ECAM address = base + bus << 20 | device << 15 | function << 12 | offset. */
static struct pci_bdf bdf_of(const struct ecam_window *w, paddr_t gpa)
{
	uint64_t off = gpa - w->base;

	return PCI_BDF(w->seg, (off >> 20) & 0xff, (off >> 15) & 0x1f, (off >> 12) & 7);
}

static bool ecam_reads_trapped(void *ctx, uint64_t start, uint64_t end)
{
	const struct ecam_window *w = ctx;

	for (paddr_t p = start & ~(paddr_t)(PAGE_SIZE - 1); p < end; p += PAGE_SIZE)
		if (pci_guard_reads_trapped(bdf_of(w, p)))
			return true;
	return false;
}

static uint32_t ones(int size)
{
	return size == 4 ? ~0u : (1u << (size * 8)) - 1;
}

static uint32_t hw_read(paddr_t gpa, int size)
{
	return size == 4 ? hal_mmio_read32(gpa) : size == 2 ? hal_mmio_read16(gpa)
	       : hal_mmio_read8(gpa);
}

static void hw_write(paddr_t gpa, int size, uint32_t v)
{
	if (size == 4)
		hal_mmio_write32(gpa, v);
	else if (size == 2)
		hal_mmio_write16(gpa, (uint16_t)v);
	else
		hal_mmio_write8(gpa, (uint8_t)v);
}

static bool within_dword(paddr_t gpa, int size)
{
	return (gpa & 3) + (paddr_t)size <= 4;
}

static uint64_t ecam_read_locked(void *ctx, uint64_t gpa, int size);
static void ecam_write_locked(void *ctx, uint64_t gpa, int size, uint64_t v);

/* One configuration access at a time, ports and ECAM alike (the guard reads
 * live config, msix_virt judges against it): platform/pci_cfg.h's lock. */
static uint64_t ecam_read(void *ctx, uint64_t gpa, int size)
{
	uint64_t v;

	pci_cfg_lock();
	v = ecam_read_locked(ctx, gpa, size);
	pci_cfg_unlock();
	return v;
}

static void ecam_write(void *ctx, uint64_t gpa, int size, uint64_t v)
{
	pci_cfg_lock();
	ecam_write_locked(ctx, gpa, size, v);
	pci_cfg_unlock();
}

static uint64_t ecam_read_locked(void *ctx, uint64_t gpa, int size)
{
	const struct ecam_window *w = ctx;

	if (size == 8 && !(gpa & 3))
		return ecam_read_locked(ctx, gpa, 4) | (uint64_t)ecam_read_locked(ctx, gpa + 4, 4) << 32;
	if (size == 8 || !within_dword(gpa, size))
		return size == 8 ? ~0ULL : ones(size);
	return pci_guard_read(bdf_of(w, gpa), gpa & 0xfff, size, hw_read(gpa, size)) & ones(size);
}

static void ecam_write_locked(void *ctx, uint64_t gpa, int size, uint64_t v)
{
	const struct ecam_window *w = ctx;
	struct pci_bdf bdf = bdf_of(w, gpa);

	if (size == 8 && !(gpa & 3)) {
		ecam_write_locked(ctx, gpa, 4, (uint32_t)v);
		ecam_write_locked(ctx, gpa + 4, 4, v >> 32);
		return;
	}
	if (size == 8 || !within_dword(gpa, size)) {
		malformed++;
		log_warn("ecam guard: refused a guest write gpa=0x%llx size=%d: it crosses a "
			 "config dword", (unsigned long long)gpa, size);
		return;
	}
	if (!pci_guard_write_to_device(bdf, gpa & 0xfff, size, (uint32_t)v & ones(size),
				       hal_mmio_read32(gpa & ~3ULL)))
		return;
	hw_write(gpa, size, (uint32_t)v);
	pci_guard_written(bdf, gpa & 0xfff, size);
}

uint64_t ecam_guard_malformed(void)
{
	return malformed;
}

const struct mmio_ops ecam_mmio_ops = {
	.read = ecam_read, .write = ecam_write, .reads_trapped = ecam_reads_trapped,
};
