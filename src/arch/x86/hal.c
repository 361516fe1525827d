/* The HAL as the hypervisor image implements it (see lib/hal.h).
 * Physical memory is identity-mapped; the image itself is at KERNEL_VMA. */
#include "arch/x86/cpu.h"
#include "arch/x86/paging.h"
#include "boot/layout.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "platform/palloc.h"

void *hal_phys_to_virt(paddr_t pa)
{
	return (void *)(uintptr_t)pa;
}

paddr_t hal_phys_limit(void)
{
	return paging_identity_top();
}

paddr_t hal_virt_to_phys(const void *va)
{
	uint64_t v = (uint64_t)(uintptr_t)va;

	if (v >= KERNEL_VMA)
		return image_phys_base() + (v - KERNEL_VMA);
	return v;
}

#define MMIO(type, bits)							\
	type hal_mmio_read##bits(paddr_t pa)					\
	{ return *(volatile type *)hal_phys_to_virt(pa); }			\
	void hal_mmio_write##bits(paddr_t pa, type v)				\
	{ *(volatile type *)hal_phys_to_virt(pa) = v; }
MMIO(uint8_t, 8)
MMIO(uint16_t, 16)
MMIO(uint32_t, 32)
MMIO(uint64_t, 64)

uint8_t hal_inb(uint16_t p) { return inb(p); }
uint16_t hal_inw(uint16_t p) { return inw(p); }
uint32_t hal_inl(uint16_t p) { return inl(p); }
void hal_outb(uint16_t p, uint8_t v) { outb(p, v); }
void hal_outw(uint16_t p, uint16_t v) { outw(p, v); }
void hal_outl(uint16_t p, uint32_t v) { outl(p, v); }

void hal_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	struct cpuid_regs c = cpuid(leaf, subleaf);

	r[0] = c.eax, r[1] = c.ebx, r[2] = c.ecx, r[3] = c.edx;
}

int hal_rdmsr_safe(uint32_t msr, uint64_t *value)
{
	return msr_read_safe(msr, value) ? E_FAULT : 0;
}

int hal_wrmsr_safe(uint32_t msr, uint64_t value)
{
	return msr_write_safe(msr, value) ? E_FAULT : 0;
}

void *hal_page_alloc(void)
{
	paddr_t pa;

	if (palloc_alloc(1, PAGE_SIZE, &pa))
		return NULL;
	return hal_phys_to_virt(pa);
}

void *hal_pages_alloc(unsigned n)
{
	paddr_t pa;

	if (!n || palloc_alloc(n, PAGE_SIZE, &pa))
		return NULL;
	return hal_phys_to_virt(pa);
}

void hal_pages_free(void *va, unsigned n)
{
	if (va)
		palloc_free(hal_virt_to_phys(va), n);
}

void hal_page_free(void *va)
{
	if (va)
		palloc_free(hal_virt_to_phys(va), 1);
}

#define CACHE_LINE 64

void hal_cache_flush(const void *va, size_t len)
{
	uintptr_t p = (uintptr_t)va & ~(uintptr_t)(CACHE_LINE - 1);
	uintptr_t end = (uintptr_t)va + len;

	mfence();
	for (; p < end; p += CACHE_LINE)
		clflush((const void *)p);
	mfence();
}

void hal_cache_writeback_all(void)
{
	__asm__ volatile("wbinvd" ::: "memory");
}
