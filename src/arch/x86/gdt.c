/* The hypervisor's GDT and TSS, one of each per CPU (arch/x86/percpu.h).
 * The TSS exists for its interrupt stack table: #DF, NMI and #MC switch to
 * stacks of their own, so a stack overflow or a fault on a bad RSP still
 * gets a readable report (Intel SDM 3A 6.14.5). */
#include "arch/x86/cpu.h"
#include "arch/x86/percpu.h"
#include "arch/x86/trap.h"
#include "lib/hal.h"
#include "lib/string.h"

#define GDT_CODE64 0x00AF9A000000FFFFULL	/* selector 0x08 */
#define GDT_DATA 0x00CF92000000FFFFULL		/* selector 0x10 */
#define SEL_TSS 0x18
#define MSR_GS_BASE 0xC0000101

static struct percpu cpus[SHOJI_MAX_CPUS];

struct percpu *percpu_of(unsigned idx)
{
	return idx < SHOJI_MAX_CPUS ? &cpus[idx] : NULL;
}

unsigned hal_cpu_index(void)
{
	return this_percpu()->index;
}

void percpu_init(unsigned idx, uint32_t apic_id)
{
	struct percpu *c = &cpus[idx];
	uint64_t base = (uint64_t)&c->tss;
	uint64_t limit = sizeof(c->tss) - 1;
	struct {
		uint16_t limit;
		uint64_t base;
	} PACKED ptr = { sizeof(c->gdt) - 1, (uint64_t)c->gdt };

	c->self = c;
	c->index = idx;
	c->apic_id = apic_id;
	memset(&c->tss, 0, sizeof(c->tss));
	for (int i = 0; i < 3; i++)
		c->tss.ist[i] = (uint64_t)&c->ist_stacks[i][IST_STACK_SIZE];
	c->tss.iomap_base = sizeof(c->tss);	/* no I/O permission bitmap */

	c->gdt[0] = 0;
	c->gdt[1] = GDT_CODE64;
	c->gdt[2] = GDT_DATA;
	/* 64-bit TSS descriptor: type 9 (available), present (SDM 3A 7.2.3). */
	c->gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
		    ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
	c->gdt[4] = base >> 32;

	__asm__ volatile("lgdt %0\n\t"
			 "mov $0x10, %%ax\n\t"
			 "mov %%ax, %%ds\n\t"
			 "mov %%ax, %%es\n\t"
			 "mov %%ax, %%ss\n\t"
			 "xor %%eax, %%eax\n\t"
			 "mov %%ax, %%fs\n\t"
			 "mov %%ax, %%gs\n\t"
			 "pushq $0x08\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "mov %1, %%ax\n\t"
			 "ltr %%ax"
			 :
			 : "m"(ptr), "i"(SEL_TSS)
			 : "rax", "memory");
	/* After the GS selector load, which zeroes the base. */
	wrmsr(MSR_GS_BASE, (uint64_t)c);
}
