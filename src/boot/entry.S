/* shoji entry: Multiboot v1/v2 headers, 32-bit protected-mode entry, switch
 * to long mode, jump to the image at KERNEL_VMA and call boot_main().
 *
 * Both loaders enter in 32-bit protected mode, paging off, EAX = boot magic,
 * EBX = physical address of the boot information (Multiboot 0.6.96 3.2;
 * Multiboot2 1.0 3.3). Until paging is on, code runs at its load address:
 * symbols are converted with PA(). */
#include "boot/layout.h"
#include "boot/multiboot.h"

#define PA(x) ((x) - KERNEL_VMA + LOAD_PA)

#define CR0_PE (1 << 0)
#define CR0_PG (1 << 31)
#define CR4_PAE (1 << 5)
#define MSR_EFER 0xC0000080
#define EFER_LME (1 << 8)
#define EFER_NXE (1 << 11)
#define PTE_P 0x1
#define PTE_W 0x2
#define PTE_PS 0x80

#define MB1_FLAGS (MB1_FLAG_PAGE_ALIGN | MB1_FLAG_MEMINFO | MB1_FLAG_ADDRESS)
#define COM1 0x3f8

	.section .multiboot, "a"
	.align 4
mb1_header:
	.long MB1_HEADER_MAGIC
	.long MB1_FLAGS
	.long -(MB1_HEADER_MAGIC + MB1_FLAGS)
	.long PA(mb1_header)		/* header_addr */
	.long LOAD_PA			/* load_addr: the image starts with this section */
	.long _edata_pa			/* load_end_addr */
	.long _end_pa			/* bss_end_addr: the loader zeroes .bss */
	.long _start32_pa		/* entry_addr */

	.align 8
mb2_header:
	.long MB2_HEADER_MAGIC
	.long MB2_ARCH_I386
	.long mb2_header_end - mb2_header
	.long -(MB2_HEADER_MAGIC + MB2_ARCH_I386 + (mb2_header_end - mb2_header))
	.align 8
	.short MB2_HTAG_ADDRESS, 0	/* load the file linearly, like v1 */
	.long 24
	.long PA(mb2_header)
	.long LOAD_PA
	.long _edata_pa
	.long _end_pa
	.align 8
	.short MB2_HTAG_ENTRY, 0
	.long 12
	.long _start32_pa
	.align 8
	.short MB2_HTAG_MODULE_ALIGN, 0
	.long 8
	.align 8
	.short MB2_HTAG_END, 0
	.long 8
mb2_header_end:

	.section .text.boot, "ax"
	.code32
	.globl _start32
_start32:
	cli
	cld
	movl %eax, %edi			/* boot magic, kept for boot_main */
	movl %ebx, %esi			/* boot information */

	/* Long mode needs CPUID leaf 0x80000001 EDX.LM (bit 29). */
	movl $0x80000000, %eax
	cpuid
	cmpl $0x80000001, %eax
	jb no_long_mode
	movl $0x80000001, %eax
	cpuid
	btl $29, %edx
	jnc no_long_mode

	/* Zero .bss ourselves: not every loader honours bss_end_addr. */
	movl $PA(_edata), %edx
	movl $_end_pa, %ecx
1:	cmpl %ecx, %edx
	jae 2f
	movb $0, (%edx)
	incl %edx
	jmp 1b
2:
	/* Identity map of the first 4 GiB with 2 MiB pages (4 page
	 * directories), and KERNEL_VMA -> LOAD_PA for BOOT_HIGH_MAP_PAGES. */
	movl $PA(boot_pd), %edx
	xorl %ecx, %ecx			/* 2 MiB page index 0..2047 */
3:	movl %ecx, %eax
	shll $21, %eax
	orl $(PTE_P | PTE_W | PTE_PS), %eax
	movl %eax, (%edx, %ecx, 8)
	movl %ecx, %eax
	shrl $11, %eax			/* bits 32+ of the address */
	movl %eax, 4(%edx, %ecx, 8)
	incl %ecx
	cmpl $2048, %ecx
	jb 3b

	movl $PA(boot_pdpt_low), %edx
	xorl %ecx, %ecx
4:	movl %ecx, %eax
	shll $12, %eax
	addl $PA(boot_pd) + (PTE_P | PTE_W), %eax
	movl %eax, (%edx, %ecx, 8)
	incl %ecx
	cmpl $4, %ecx
	jb 4b

	movl $PA(boot_pd_high), %edx
	xorl %ecx, %ecx
5:	movl %ecx, %eax
	shll $21, %eax
	addl $LOAD_PA + (PTE_P | PTE_W | PTE_PS), %eax
	movl %eax, (%edx, %ecx, 8)
	incl %ecx
	cmpl $BOOT_HIGH_MAP_PAGES, %ecx
	jb 5b
	/* KERNEL_VMA: PML4 index 511, PDPT index 510. */
	movl $PA(boot_pd_high) + (PTE_P | PTE_W), PA(boot_pdpt_high) + 510 * 8
	movl $PA(boot_pdpt_low) + (PTE_P | PTE_W), PA(boot_pml4)
	movl $PA(boot_pdpt_high) + (PTE_P | PTE_W), PA(boot_pml4) + 511 * 8

	/* Enter long mode (Intel SDM 3A 9.8.5; AMD APM 2 14.6.1). */
	movl %cr4, %eax
	orl $CR4_PAE, %eax
	movl %eax, %cr4
	movl $PA(boot_pml4), %eax
	movl %eax, %cr3
	movl $MSR_EFER, %ecx
	rdmsr
	orl $(EFER_LME | EFER_NXE), %eax
	wrmsr
	movl %cr0, %eax
	orl $(CR0_PG | CR0_PE), %eax
	movl %eax, %cr0

	lgdt PA(boot_gdt_ptr32)
	ljmp $0x08, $PA(long_mode_low)

no_long_mode:
	/* Say why on COM1 (the only console we can count on) and stop. */
	movl $PA(no_lm_msg), %ebx
6:	movb (%ebx), %al
	testb %al, %al
	jz 8f
	movw $COM1 + 5, %dx
7:	inb %dx, %al			/* wait for THR empty (LSR bit 5) */
	testb $0x20, %al
	jz 7b
	movb (%ebx), %al
	movw $COM1, %dx
	outb %al, %dx
	incl %ebx
	jmp 6b
8:	hlt
	jmp 8b

	.code64
long_mode_low:
	/* Still at the load address; move to the link address. */
	movabsq $long_mode_high, %rax
	jmp *%rax
long_mode_high:
	lgdt boot_gdt_ptr64
	movw $0x10, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	xorw %ax, %ax
	movw %ax, %fs
	movw %ax, %gs
	leaq boot_stack_top(%rip), %rsp
	xorl %ebp, %ebp			/* ends backtraces */
	/* boot_main(magic, info_pa): EDI and ESI already hold them. */
	call boot_main
9:	cli
	hlt
	jmp 9b

	.section .rodata
no_lm_msg:
	.asciz "shoji: error: this CPU has no long mode (x86-64); cannot start\r\n"

	.align 16
boot_gdt:
	.quad 0
	.quad 0x00AF9A000000FFFF	/* 0x08: 64-bit code, DPL 0 */
	.quad 0x00CF92000000FFFF	/* 0x10: data, DPL 0 */
boot_gdt_end:
boot_gdt_ptr32:
	.short boot_gdt_end - boot_gdt - 1
	.long PA(boot_gdt)
boot_gdt_ptr64:
	.short boot_gdt_end - boot_gdt - 1
	.quad boot_gdt

	.section .bss
	.align 4096
	.globl boot_pml4
boot_pml4:	.skip 4096
boot_pdpt_low:	.skip 4096
boot_pdpt_high:	.skip 4096
boot_pd:	.skip 4096 * 4
boot_pd_high:	.skip 4096
	.align 16
	.globl boot_stack_bottom, boot_stack_top
boot_stack_bottom:
	.skip BOOT_STACK_SIZE
boot_stack_top:
