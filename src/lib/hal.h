/* Hardware abstraction layer.
 *
 * Portable logic (ACPI and DMAR parsing, PCI enumeration, page-table
 * building, allocators, fault decoding, ...) touches hardware only through
 * these functions. The hypervisor image implements them in
 * src/arch/x86/hal.c; host unit tests and tools implement them in
 * tests/unit/host_hal.c (physical address == host pointer value, port I/O
 * and time faked so tests can drive them). */
#ifndef SHOJI_LIB_HAL_H
#define SHOJI_LIB_HAL_H

#include "lib/types.h"

/* Physical <-> virtual. hal_phys_to_virt never fails for RAM, ACPI tables
 * and MMIO below the top of the physical address space shoji mapped. */
void *hal_phys_to_virt(paddr_t pa);
paddr_t hal_virt_to_phys(const void *va);
/* The end of what hal_phys_to_virt maps: an address at or above it is no
 * memory of this machine's, and one a guest names (a page-table entry, a
 * buffer) must be refused there, never dereferenced. */
paddr_t hal_phys_limit(void);

/* MMIO: naturally aligned, uncached accesses of exactly that width. */
uint8_t hal_mmio_read8(paddr_t pa);
uint16_t hal_mmio_read16(paddr_t pa);
uint32_t hal_mmio_read32(paddr_t pa);
uint64_t hal_mmio_read64(paddr_t pa);
void hal_mmio_write8(paddr_t pa, uint8_t v);
void hal_mmio_write16(paddr_t pa, uint16_t v);
void hal_mmio_write32(paddr_t pa, uint32_t v);
void hal_mmio_write64(paddr_t pa, uint64_t v);

/* Port I/O. */
uint8_t hal_inb(uint16_t port);
uint16_t hal_inw(uint16_t port);
uint32_t hal_inl(uint16_t port);
void hal_outb(uint16_t port, uint8_t v);
void hal_outw(uint16_t port, uint16_t v);
void hal_outl(uint16_t port, uint32_t v);

/* Port I/O of a size the caller learnt at run time (an intercepted
 * instruction's operand): 1, 2 or 4 bytes. */
static inline uint32_t hal_in(uint16_t port, unsigned size)
{
	return size == 1 ? hal_inb(port) : size == 2 ? hal_inw(port) : hal_inl(port);
}

static inline void hal_out(uint16_t port, unsigned size, uint32_t v)
{
	if (size == 1)
		hal_outb(port, (uint8_t)v);
	else if (size == 2)
		hal_outw(port, (uint16_t)v);
	else
		hal_outl(port, v);
}

/* CPUID on this CPU: leaf in EAX, subleaf in ECX; r = EAX, EBX, ECX, EDX. */
void hal_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4]);

/* RDMSR / WRMSR of an MSR the guest named: E_FAULT, with nothing done,
 * when the CPU raises #GP (no such MSR, a value it refuses: SDM vol. 2
 * RDMSR, WRMSR), else 0. */
int hal_rdmsr_safe(uint32_t msr, uint64_t *value);
int hal_wrmsr_safe(uint32_t msr, uint64_t value);

/* Zeroed 4 KiB pages of hypervisor memory (never guest-reachable).
 * Returns the virtual address, NULL when the pool is exhausted. */
void *hal_page_alloc(void);
void hal_page_free(void *va);
/* n (>= 1) physically contiguous zeroed pages, 4 KiB aligned (tables the
 * hardware indexes as one block, e.g. an AMD-Vi device table); NULL when
 * the pool has no such run. Freed with hal_pages_free(va, n). */
void *hal_pages_alloc(unsigned n);
void hal_pages_free(void *va, unsigned n);

/* Write back [va, va+len) to memory so a non-coherent device (e.g. a VT-d
 * unit with ECAP.C=0) sees it. */
void hal_cache_flush(const void *va, size_t len);

/* Write back and invalidate every cache line of this CPU (WBINVD): used
 * after wiping secrets, whose zeroes must reach RAM before a reset. */
void hal_cache_writeback_all(void);

/* Monotonic time in microseconds since boot. */
uint64_t hal_time_us(void);

/* A free-running cycle counter (the TSC on x86): cheap, for profiling
 * only (lib/prof.h); its rate is the status text's tsc_khz. */
uint64_t hal_cycles(void);

/* Spin-loop hint (pause). */
void hal_cpu_relax(void);

/* The index of the CPU running this code: 0 for the boot CPU, 1.. for the
 * others in the order shoji started them (docs/smp.md). The host's is 0. */
unsigned hal_cpu_index(void);

#endif
