/* The hardware oracle of the instruction tests: runs code on the host CPU
 * with the registers and RFLAGS of *s and stores back what the CPU left
 * there, so an emulator's result can be compared with the real one. The
 * code is called (it ends with RET) with RSP the caller's. Header-only: each
 * test binary that includes it is one translation unit. */
#ifndef SHOJI_TEST_HW_ORACLE_H
#define SHOJI_TEST_HW_ORACLE_H

#include <stdint.h>

struct hwstate {
	uint64_t r[16];		/* encoded order; r[4] (RSP) is not loaded */
	uint64_t flags;
};
void hw_run(struct hwstate *s, const void *code);
__asm__(
	".pushsection .text\n"
	".type hw_run, @function\n"
	"hw_run:\n"
	"	push %rbx\n	push %rbp\n	push %r12\n	push %r13\n	push %r14\n	push %r15\n"
	"	mov %rdi, hw_saved_state(%rip)\n"
	"	mov %rsi, hw_saved_code(%rip)\n"
	"	pushq 128(%rdi)\n	popfq\n"
	"	mov 0(%rdi), %rax\n	mov 8(%rdi), %rcx\n	mov 16(%rdi), %rdx\n	mov 24(%rdi), %rbx\n"
	"	mov 40(%rdi), %rbp\n	mov 48(%rdi), %rsi\n	mov 64(%rdi), %r8\n	mov 72(%rdi), %r9\n"
	"	mov 80(%rdi), %r10\n	mov 88(%rdi), %r11\n	mov 96(%rdi), %r12\n	mov 104(%rdi), %r13\n"
	"	mov 112(%rdi), %r14\n	mov 120(%rdi), %r15\n	mov 56(%rdi), %rdi\n"
	"	call *hw_saved_code(%rip)\n"
	"	pushfq\n	push %rdi\n"
	"	mov hw_saved_state(%rip), %rdi\n"
	"	mov %rax, 0(%rdi)\n	mov %rcx, 8(%rdi)\n	mov %rdx, 16(%rdi)\n	mov %rbx, 24(%rdi)\n"
	"	mov %rbp, 40(%rdi)\n	mov %rsi, 48(%rdi)\n	mov %r8, 64(%rdi)\n	mov %r9, 72(%rdi)\n"
	"	mov %r10, 80(%rdi)\n	mov %r11, 88(%rdi)\n	mov %r12, 96(%rdi)\n	mov %r13, 104(%rdi)\n"
	"	mov %r14, 112(%rdi)\n	mov %r15, 120(%rdi)\n"
	"	popq 56(%rdi)\n	popq 128(%rdi)\n"
	"	cld\n"
	"	pop %r15\n	pop %r14\n	pop %r13\n	pop %r12\n	pop %rbp\n	pop %rbx\n"
	"	ret\n"
	".size hw_run, .-hw_run\n"
	".popsection\n"
	".pushsection .bss\n.balign 8\n"
	"hw_saved_state: .quad 0\nhw_saved_code: .quad 0\n"
	".popsection\n");

#endif
