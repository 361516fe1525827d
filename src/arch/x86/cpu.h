/* x86-64 instructions shoji needs, as inline functions. */
#ifndef SHOJI_ARCH_X86_CPU_H
#define SHOJI_ARCH_X86_CPU_H

#include "lib/types.h"

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;

	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

static inline void wrmsr(uint32_t msr, uint64_t v)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

/* RDMSR/WRMSR of an MSR the guest names (arch/x86/msr_safe.S): 0, or 1
 * when the CPU raised #GP (no such MSR, a value it refuses). */
int msr_read_safe(uint32_t msr, uint64_t *value);
int msr_write_safe(uint32_t msr, uint64_t value);

#define DEFINE_CR(n)							\
	static inline uint64_t read_cr##n(void)				\
	{								\
		uint64_t v;						\
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));	\
		return v;						\
	}								\
	static inline void write_cr##n(uint64_t v)			\
	{								\
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory"); \
	}
DEFINE_CR(0)
DEFINE_CR(2)
DEFINE_CR(3)
DEFINE_CR(4)

static inline void outb(uint16_t port, uint8_t v) { __asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outw(uint16_t port, uint16_t v) { __asm__ volatile("outw %0, %1" ::"a"(v), "Nd"(port)); }
static inline void outl(uint16_t port, uint32_t v) { __asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port)); }
static inline uint8_t inb(uint16_t port) { uint8_t v; __asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint16_t inw(uint16_t port) { uint16_t v; __asm__ volatile("inw %1, %0" : "=a"(v) : "Nd"(port)); return v; }
static inline uint32_t inl(uint16_t port) { uint32_t v; __asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port)); return v; }

static inline void cpu_relax(void) { __asm__ volatile("pause" ::: "memory"); }
static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline void hlt(void) { __asm__ volatile("hlt" ::: "memory"); }
static inline void clflush(const volatile void *p) { __asm__ volatile("clflush %0" : "+m"(*(volatile char *)p)); }
static inline void mfence(void) { __asm__ volatile("mfence" ::: "memory"); }

static inline void invlpg(const void *va) { __asm__ volatile("invlpg (%0)" ::"r"(va) : "memory"); }

/* Zeroes the dead part of the stack [bottom, top): everything up to 64
 * bytes below the current RSP when RSP is inside it (this function's own
 * frame is above that line: the store is one REP STOSB that uses no stack),
 * or all of it when the CPU runs on another stack (an exception's IST
 * stack: the interrupted frames are never returned to on a stop). */
static inline void cpu_wipe_stack_below_sp(void *bottom, void *top)
{
	uintptr_t sp, lo = (uintptr_t)bottom, hi = (uintptr_t)top, end, n;

	__asm__ volatile("mov %%rsp, %0" : "=r"(sp));
	end = (sp > lo && sp <= hi) ? sp - 64 : hi;
	if (end <= lo)
		return;
	n = end - lo;
	__asm__ volatile("cld\n\trep stosb" : "+D"(lo), "+c"(n) : "a"(0) : "memory");
}

/* Resets this CPU by a triple fault: an empty IDT, then an exception
 * (SDM 3A 6.14 / APM 8.2.9: a fault while delivering #DF shuts the CPU
 * down, and the chipset turns the shutdown cycle into a reset). */
static inline NORETURN void cpu_triple_fault(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} PACKED empty = { 0, 0 };

	__asm__ volatile("lidt %0\n\tint3" ::"m"(empty) : "memory");
	for (;;)
		__asm__ volatile("hlt");
}

/* A random 64-bit value from RDRAND (CPUID.1:ECX[30]; SDM 2B RDRAND: retry
 * on CF=0, ten times as Intel's DRNG guide advises). Returns false when the
 * CPU has no RDRAND or it kept failing. */
static inline bool cpu_rdrand64(uint64_t *out)
{
	if (!(cpuid(1, 0).ecx & (1u << 30)))
		return false;
	for (int i = 0; i < 10; i++) {
		uint8_t ok;

		__asm__ volatile("rdrand %0; setc %1" : "=r"(*out), "=qm"(ok) : : "cc");
		if (ok)
			return true;
	}
	return false;
}

#define MSR_EFER 0xC0000080
#define EFER_NXE (1ULL << 11)	/* APM 2 3.1.7: no-execute enable */

/* CPUID feature bits shoji checks (Intel SDM 2A CPUID; AMD APM 3 E.3). */
#define CPUID_80000001_EDX_PDPE1GB (1u << 26)
#define CPUID_80000001_EDX_NX (1u << 20)
#define CPUID_1_EDX_TSC (1u << 4)
#define CPUID_1_EDX_CLFLUSH (1u << 19)

#endif
