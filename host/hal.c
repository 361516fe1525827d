/* The HAL for host builds (unit tests, dmar-inspect): see host/host.h. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "host/host.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"

char host_log[65536];
size_t host_log_len;
bool host_log_echo;
const struct host_io_ops *host_io;
long host_pages_in_use;
long host_page_limit;
long host_cache_flushes;
uint64_t host_time_step_us;

void log_sink_write(const char *s, size_t n)
{
	size_t room = sizeof(host_log) - 1 - host_log_len;
	size_t k = n < room ? n : room;

	memcpy(host_log + host_log_len, s, k);
	host_log_len += k;
	host_log[host_log_len] = '\0';
	if (host_log_echo)
		fwrite(s, 1, n, stdout);
}

void host_log_clear(void)
{
	host_log_len = 0;
	host_log[0] = '\0';
}

int host_log_count(const char *needle)
{
	int count = 0;

	for (const char *p = host_log; (p = strstr(p, needle)); p += strlen(needle))
		count++;
	return count;
}

void *hal_phys_to_virt(paddr_t pa) { return (void *)(uintptr_t)pa; }
paddr_t hal_virt_to_phys(const void *va) { return (paddr_t)(uintptr_t)va; }
paddr_t host_phys_limit = ~(paddr_t)0;
paddr_t hal_phys_limit(void) { return host_phys_limit; }

struct host_mmio_model *host_mmio;

static bool modelled(paddr_t pa)
{
	return host_mmio && pa >= host_mmio->base && pa - host_mmio->base < host_mmio->size;
}

#define MMIO(type, bits)							\
	type hal_mmio_read##bits(paddr_t pa)					\
	{									\
		if (modelled(pa))						\
			return (type)host_mmio->read(host_mmio, pa - host_mmio->base, \
						     bits / 8);			\
		return *(volatile type *)(uintptr_t)pa;				\
	}									\
	void hal_mmio_write##bits(paddr_t pa, type v)				\
	{									\
		if (modelled(pa))						\
			host_mmio->write(host_mmio, pa - host_mmio->base, bits / 8, v); \
		else								\
			*(volatile type *)(uintptr_t)pa = v;			\
	}
MMIO(uint8_t, 8)
MMIO(uint16_t, 16)
MMIO(uint32_t, 32)
MMIO(uint64_t, 64)

static uint32_t io_in(uint16_t port, int width)
{
	if (host_io && host_io->in)
		return host_io->in(port, width);
	return width == 1 ? 0xff : width == 2 ? 0xffff : 0xffffffffu;
}

static void io_out(uint16_t port, int width, uint32_t v)
{
	if (host_io && host_io->out)
		host_io->out(port, width, v);
}

uint8_t hal_inb(uint16_t p) { return (uint8_t)io_in(p, 1); }
uint16_t hal_inw(uint16_t p) { return (uint16_t)io_in(p, 2); }
uint32_t hal_inl(uint16_t p) { return io_in(p, 4); }
void hal_outb(uint16_t p, uint8_t v) { io_out(p, 1, v); }
void hal_outw(uint16_t p, uint16_t v) { io_out(p, 2, v); }
void hal_outl(uint16_t p, uint32_t v) { io_out(p, 4, v); }

void *hal_page_alloc(void)
{
	void *p;

	if (host_page_limit && host_pages_in_use >= host_page_limit)
		return NULL;
	p = aligned_alloc(4096, 4096);
	if (!p)
		return NULL;
	memset(p, 0, 4096);
	host_pages_in_use++;
	return p;
}

void hal_page_free(void *va)
{
	if (!va)
		return;
	host_pages_in_use--;
	free(va);
}

void *hal_pages_alloc(unsigned n)
{
	void *p;

	if (!n || (host_page_limit && host_pages_in_use + n > host_page_limit))
		return NULL;
	p = aligned_alloc(4096, (size_t)n * 4096);
	if (!p)
		return NULL;
	memset(p, 0, (size_t)n * 4096);
	host_pages_in_use += n;
	return p;
}

void hal_pages_free(void *va, unsigned n)
{
	if (!va)
		return;
	host_pages_in_use -= n;
	free(va);
}

void hal_cache_flush(const void *va, size_t len)
{
	(void)va;
	(void)len;
	host_cache_flushes++;
}

long host_cache_writebacks;

void hal_cache_writeback_all(void)
{
	host_cache_writebacks++;
}

uint64_t hal_time_us(void)
{
	static uint64_t fake;
	struct timespec ts;

	if (host_time_step_us)
		return fake += host_time_step_us;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* Tests set host_cycle_step to make every hal_cycles() advance by exactly
 * that much (prof.h's accounting then becomes exact). */
uint64_t host_cycle_step;

uint64_t hal_cycles(void)
{
	static __thread uint64_t fake;
	struct timespec ts;

	if (host_cycle_step)
		return fake += host_cycle_step;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void (*host_cpuid)(uint32_t leaf, uint32_t subleaf, uint32_t r[4]);
int (*host_rdmsr)(uint32_t msr, uint64_t *value);
int (*host_wrmsr)(uint32_t msr, uint64_t value);

void hal_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	if (host_cpuid) {
		host_cpuid(leaf, subleaf, r);
		return;
	}
	__asm__ volatile("cpuid" : "=a"(r[0]), "=b"(r[1]), "=c"(r[2]), "=d"(r[3])
			 : "a"(leaf), "c"(subleaf));
}

int hal_rdmsr_safe(uint32_t msr, uint64_t *value)
{
	return host_rdmsr ? host_rdmsr(msr, value) : E_FAULT;
}

int hal_wrmsr_safe(uint32_t msr, uint64_t value)
{
	return host_wrmsr ? host_wrmsr(msr, value) : E_FAULT;
}

void hal_cpu_relax(void) {}

__thread unsigned host_cpu;

unsigned hal_cpu_index(void)
{
	return host_cpu;
}
