/* The hypervisor's GDT and TSS. The TSS exists for its interrupt stack table:
 * #DF, NMI and #MC switch to stacks of their own, so a stack overflow or a
 * fault on a bad RSP still gets a readable report (Intel SDM 3A 6.14.5). */
#include "arch/x86/trap.h"
#include "boot/layout.h"
#include "lib/string.h"

struct tss {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} PACKED;

#define GDT_CODE64 0x00AF9A000000FFFFULL	/* selector 0x08 */
#define GDT_DATA 0x00CF92000000FFFFULL		/* selector 0x10 */
#define SEL_TSS 0x18

static struct tss tss;
static uint64_t gdt[5] __attribute__((aligned(16)));
static uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));

void gdt_init(void)
{
	uint64_t base = (uint64_t)&tss;
	uint64_t limit = sizeof(tss) - 1;
	struct {
		uint16_t limit;
		uint64_t base;
	} PACKED ptr = { sizeof(gdt) - 1, (uint64_t)gdt };

	memset(&tss, 0, sizeof(tss));
	for (int i = 0; i < 3; i++)
		tss.ist[i] = (uint64_t)&ist_stacks[i][IST_STACK_SIZE];
	tss.iomap_base = sizeof(tss);	/* no I/O permission bitmap */

	gdt[0] = 0;
	gdt[1] = GDT_CODE64;
	gdt[2] = GDT_DATA;
	/* 64-bit TSS descriptor: type 9 (available), present (SDM 3A 7.2.3). */
	gdt[3] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
		 ((limit >> 16 & 0xf) << 48) | ((base >> 24 & 0xff) << 56);
	gdt[4] = base >> 32;

	__asm__ volatile("lgdt %0\n\t"
			 "mov $0x10, %%ax\n\t"
			 "mov %%ax, %%ds\n\t"
			 "mov %%ax, %%es\n\t"
			 "mov %%ax, %%ss\n\t"
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
}
