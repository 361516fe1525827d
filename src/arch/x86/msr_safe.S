/* int msr_read_safe(uint32_t msr, uint64_t *value)
 * int msr_write_safe(uint32_t msr, uint64_t value)
 *
 * RDMSR/WRMSR that may fault: an MSR the CPU does not have, or a value it
 * refuses, raises #GP (SDM vol. 2 RDMSR/WRMSR). The trap handler
 * (arch/x86/trap.c) sends a #GP at msr_safe_rdmsr_at/msr_safe_wrmsr_at to
 * msr_safe_fault, which returns 1; success returns 0. For MSRs a guest
 * names: on VT-x every MSR outside the bitmap's ranges exits, and the
 * guest must get the #GP the hardware gives, not stop shoji. */
	.text
	.globl msr_read_safe, msr_write_safe
	.globl msr_safe_rdmsr_at, msr_safe_wrmsr_at, msr_safe_fault
msr_read_safe:
	movl %edi, %ecx
msr_safe_rdmsr_at:
	rdmsr
	movl %eax, %eax
	shlq $32, %rdx
	orq %rdx, %rax
	movq %rax, (%rsi)
	xorl %eax, %eax
	ret

msr_write_safe:
	movl %edi, %ecx
	movl %esi, %eax
	movq %rsi, %rdx
	shrq $32, %rdx
msr_safe_wrmsr_at:
	wrmsr
	xorl %eax, %eax
	ret

msr_safe_fault:
	movl $1, %eax
	ret
