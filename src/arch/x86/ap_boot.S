/* The application processors' way from a start-up IPI to C.
 *
 * A start-up IPI with vector V starts a CPU in real mode at CS = V << 8,
 * IP = 0 (Intel SDM 3A 8.4.4.1; AMD APM vol. 2 16.5). smp_boot.c copies
 * this blob to a page below 1 MiB that shoji keeps (reserved in the
 * guest's memory map and protected in the registry), patches the fields at
 * its end (linear addresses, the page-table root, the stack, the C entry)
 * and sends INIT-SIPI-SIPI with that page's vector. The code is position
 * independent: EBX holds the page's linear address from the first
 * instructions on. Steps: real mode -> 32-bit protected mode (a GDT of its
 * own in this page) -> PAE, shoji's page tables (CR3 below 4 GiB: the
 * hypervisor region is), EFER.LME|NXE, paging -> 64-bit mode -> the C
 * entry at its link address with its own stack (SDM 3A 9.8.5). */

#define CR0_PE 0x1
#define CR0_PG 0x80000000
#define CR4_PAE 0x20
#define MSR_EFER 0xC0000080
#define EFER_LME 0x100
#define EFER_NXE 0x800

#define OFF(x) ((x) - ap_tramp_start)

	.section .rodata
	.align 16
	.globl ap_tramp_start, ap_tramp_end
	.globl ap_tramp_gdt_ptr, ap_tramp_pm_jump, ap_tramp_lm_jump
	.globl ap_tramp_cr3, ap_tramp_stack, ap_tramp_entry, ap_tramp_arg
	.globl ap_tramp_pm32, ap_tramp_lm64, ap_tramp_gdt

	.code16
ap_tramp_start:
	cli
	cld
	movw %cs, %ax
	movw %ax, %ds
	movzwl %ax, %ebx
	shll $4, %ebx			/* the page's linear address */
	lgdtl OFF(ap_tramp_gdt_ptr)
	movl %cr0, %eax
	orl $CR0_PE, %eax
	movl %eax, %cr0
	ljmpl *OFF(ap_tramp_pm_jump)	/* to ap_tramp_pm32, selector 0x18 */

	.code32
ap_tramp_pm32:
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl OFF(ap_tramp_cr3)(%ebx), %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $(EFER_LME | EFER_NXE), %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_PE), %eax
	movl %eax, %cr0
	ljmpl *OFF(ap_tramp_lm_jump)(%ebx)	/* to ap_tramp_lm64, selector 0x08 */

	.code64
ap_tramp_lm64:
	movl %ebx, %ebx			/* the upper half is undefined after the switch */
	movq OFF(ap_tramp_stack)(%rbx), %rsp
	movq OFF(ap_tramp_arg)(%rbx), %rdi
	movq OFF(ap_tramp_entry)(%rbx), %rax
	xorl %ebp, %ebp			/* ends backtraces */
	pushq $0			/* no return address */
	jmpq *%rax

	.align 16
ap_tramp_gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF	/* 0x08: 64-bit code */
	.quad 0x00CF92000000FFFF	/* 0x10: flat data */
	.quad 0x00CF9A000000FFFF	/* 0x18: flat 32-bit code */
ap_tramp_gdt_ptr:
	.short 4 * 8 - 1
	.long 0				/* patched: linear address of ap_tramp_gdt */
	.align 4
ap_tramp_pm_jump:
	.long 0				/* patched: linear address of ap_tramp_pm32 */
	.short 0x18
	.align 4
ap_tramp_lm_jump:
	.long 0				/* patched: linear address of ap_tramp_lm64 */
	.short 0x08
	.align 8
ap_tramp_cr3:
	.quad 0
ap_tramp_stack:
	.quad 0
ap_tramp_entry:
	.quad 0
ap_tramp_arg:
	.quad 0
ap_tramp_end:
