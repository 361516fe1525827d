/* What each physical CPU of shoji's own has: its index (hal_cpu_index),
 * APIC id, GDT, TSS and interrupt stacks. The GS base points at the CPU's
 * struct percpu, so finding "this CPU" is one load (svm_run.S keeps the
 * host's GS base across VMRUN with VMSAVE/VMLOAD). The CPU back-end's own
 * per-CPU state (the VMCB...) is its business (svm.c: struct svm_cpu). */
#ifndef SHOJI_ARCH_X86_PERCPU_H
#define SHOJI_ARCH_X86_PERCPU_H

#include "boot/layout.h"
#include "lib/types.h"

#define SHOJI_MAX_CPUS 16
#define AP_STACK_SIZE 0x8000	/* 32 KiB, like the boot CPU's */

struct tss64 {
	uint32_t reserved0;
	uint64_t rsp[3];
	uint64_t reserved1;
	uint64_t ist[7];
	uint64_t reserved2;
	uint16_t reserved3;
	uint16_t iomap_base;
} PACKED;

struct percpu {
	struct percpu *self;	/* at GS:0 */
	unsigned index;		/* at GS:8 */
	uint32_t apic_id;
	uint64_t gdt[5] __attribute__((aligned(16)));
	struct tss64 tss;
	uint8_t ist_stacks[3][IST_STACK_SIZE] __attribute__((aligned(16)));
};

/* Loads CPU idx's GDT (code 0x08, data 0x10, TSS 0x18 with its IST
 * stacks) and points GS at its struct percpu. On every CPU, first thing. */
void percpu_init(unsigned idx, uint32_t apic_id);

static inline struct percpu *this_percpu(void)
{
	struct percpu *p;

	__asm__ volatile("movq %%gs:0, %0" : "=r"(p));
	return p;
}

struct percpu *percpu_of(unsigned idx);

#endif
