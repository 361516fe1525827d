/* Exceptions: the IDT, the TSS's interrupt stacks and the panic report. */
#ifndef SHOJI_ARCH_X86_TRAP_H
#define SHOJI_ARCH_X86_TRAP_H

#include "lib/types.h"

/* Saved by isr.S, lowest address first. */
struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;	/* pushed by the CPU */
};

void idt_init(void);
void trap_handler(struct trap_frame *f);
/* NMIs the host has taken so far. */
uint64_t trap_nmi_count(void);

/* Stop the machine after a fatal error: log, then halt (or exit QEMU with a
 * failure status when exit=qemu). Never returns. */
NORETURN void panic(const char *fmt, ...) PRINTF_LIKE(1, 2);

#endif
