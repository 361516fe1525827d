/* cr-attack: a bare PVH guest kernel (no Linux) that writes control-register
 * values the architecture refuses, from ring 0 (issue 9). Entered in 32-bit
 * protected mode, paging off, flat segments (Xen docs/misc/pvh.pandoc).
 *
 * It enters long mode itself (CR4.PAE, EFER.LME, CR0.PG: the writes a
 * hypervisor that intercepts CR0/CR4 must emulate, LMA included), installs a
 * #GP handler, then tries each case below with MOV to CR0/CR4 and prints
 *   guest: cr-attack case=NAME result=gp|taken before=0x... after=0x...
 * (after = the register read back; a refused write must leave it as before).
 * Cases the CPU must refuse with #GP (AMD APM vol. 2 3.1.1, 3.1.3, and the
 * MOV CRn exceptions in APM vol. 3 / Intel SDM vol. 2B "MOV—Move to/from
 * Control Registers"):
 *   cr0-bit32, cr0-bit63  CR0[63:32] are reserved, must be zero
 *   cr0-nw-without-cd     CR0.NW=1 with CR0.CD=0
 *   cr4-vmxe, cr4-smxe    CR4.VMXE / SMXE on a CPU whose CPUID has no VMX/SMX
 *   cr4-bit15, cr4-bit63  reserved CR4 bits
 *   cr4-pae-clear         clearing CR4.PAE with long mode active
 * and valid writes that must be taken (the guest keeps working):
 *   cr0-cd-set, cr0-cd-clear, cr0-wp-set, cr4-pge-set, cr4-pge-clear,
 *   cr0-clts (TS set by MOV, then CLTS: after= shows TS clear).
 * A write that was taken is undone (the old value written back) before the
 * next case. Then it prints the hypervisor leaf of CPUID (an exit
 * under shoji: shoji still answers after the attacks) and
 *   guest: cr-attack end
 * (cases in this order: CR0, valid, CR4) and
 * halts. An exception other than #GP prints "unexpected exception".
 *
 * Built by tests/integration/test_cr_attack.py:
 *   cc -c cr-attack.S && ld -N -Ttext=0x200000 -o cr-attack.elf cr-attack.o */
#define COM1 0x3f8
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define MSR_EFER 0xc0000080

	.section .note.pvh, "a"
	.balign 4
	.long 4
	.long 4
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long _start

	.text
	.code32
	.globl _start
_start:
	cli
	lea stack_top, %esp
	lea msg_start, %esi
	call puts32
	/* Identity map of the first GiB with 2 MiB pages. */
	lea pd, %edi
	xor %eax, %eax
	mov $0x83, %edx			/* present, writable, 2 MiB */
1:	mov %edx, (%edi,%eax,8)
	movl $0, 4(%edi,%eax,8)
	add $0x200000, %edx
	inc %eax
	cmp $512, %eax
	jne 1b
	lea pd, %eax
	or $3, %eax
	mov %eax, pdpt
	lea pdpt, %eax
	or $3, %eax
	mov %eax, pml4
	lea pml4, %eax
	mov %eax, %cr3
	mov %cr4, %eax
	or $0x20, %eax			/* PAE */
	mov %eax, %cr4
	mov $MSR_EFER, %ecx
	rdmsr
	or $0x100, %eax			/* LME */
	wrmsr
	mov %cr0, %eax
	or $0x80000001, %eax		/* PG (PE is set) */
	mov %eax, %cr0
	lgdt gdt_desc
	ljmp $0x08, $long64

puts32:
	mov $COM1, %dx
2:	lodsb
	test %al, %al
	jz 3f
	out %al, %dx
	jmp 2b
3:	ret

	.code64
long64:
	mov $0x10, %ax
	mov %ax, %ds
	mov %ax, %es
	mov %ax, %ss
	lea stack_top(%rip), %rsp
	/* IDT: #GP (13) to gp_handler, every other vector to bad_handler. */
	lea idt(%rip), %rdi
	xor %ecx, %ecx
4:	lea bad_handler(%rip), %rax
	cmp $13, %ecx
	jne 5f
	lea gp_handler(%rip), %rax
5:	mov %ax, (%rdi)
	movw $0x08, 2(%rdi)
	movw $0x8e00, 4(%rdi)		/* present, DPL 0, 64-bit interrupt gate */
	shr $16, %rax
	mov %ax, 6(%rdi)
	shr $16, %rax
	mov %eax, 8(%rdi)
	movl $0, 12(%rdi)
	add $16, %rdi
	inc %ecx
	cmp $32, %ecx
	jne 4b
	lidt idt_desc(%rip)
	lea msg_long(%rip), %rsi
	call puts

	/* CASE name, cr, expression of the value from the current one (%rax) */
.macro CASE name, cr, op, arg
	lea name_\@(%rip), %rsi
	mov %\cr, %rax
	\op \arg, %rax
	mov %rax, %rdi
	call try_\cr
	.section .rodata
name_\@: .asciz "\name"
	.text
.endm
	mov $1, %rbx
	shl $32, %rbx
	CASE cr0-bit32, cr0, or, %rbx
	mov $1, %rbx
	shl $63, %rbx
	CASE cr0-bit63, cr0, or, %rbx
	mov $~0x40000000, %rbx
	mov $0x20000000, %rcx
	lea name_nw(%rip), %rsi
	mov %cr0, %rax
	and %rbx, %rax			/* CD clear */
	or %rcx, %rax			/* NW set */
	mov %rax, %rdi
	call try_cr0
	/* Valid writes. */
	CASE cr0-cd-set, cr0, or, $0x40000000
	CASE cr0-cd-clear, cr0, and, $~0x40000000
	CASE cr0-wp-set, cr0, or, $0x10000
	CASE cr4-pge-set, cr4, or, $0x80
	CASE cr4-pge-clear, cr4, and, $~0x80
	/* CLTS is a CR0 write too: TS set by MOV, cleared by CLTS. */
	mov %cr0, %rax
	or $8, %rax
	mov %rax, %cr0
	clts
	mov %cr0, %r13
	mov %r13, %r12
	lea name_clts(%rip), %rsi
	movl $0, gp_hit(%rip)
	call result_line
	/* QEMU 7.2's TCG loops forever on the first of these natively. */
	CASE cr4-bit15, cr4, or, $0x8000
	mov $1, %rbx
	shl $63, %rbx
	CASE cr4-bit63, cr4, or, %rbx
	CASE cr4-pae-clear, cr4, and, $~0x20

	CASE cr4-vmxe, cr4, or, $0x2000
	CASE cr4-smxe, cr4, or, $0x4000
	/* The hypervisor CPUID leaf (shoji: "shojishojish"; natively, empty). */
	mov $0x40000000, %eax
	xor %ecx, %ecx
	cpuid
	mov %ebx, sig(%rip)
	mov %ecx, sig+4(%rip)
	mov %edx, sig+8(%rip)
	lea msg_sig(%rip), %rsi
	call puts
	lea sig(%rip), %rsi
	call puts
	lea msg_nl(%rip), %rsi
	call puts
	lea msg_end(%rip), %rsi
	call puts
6:	hlt
	jmp 6b

/* try_cr0 / try_cr4: RSI = case name, RDI = value to write. Writes it with
 * the #GP handler armed, prints the result line, and puts the old value
 * back if the write was taken. */
.macro TRY cr
try_\cr:
	push %rsi
	mov %\cr, %r12			/* before */
	movl $0, gp_hit(%rip)
	lea 7f(%rip), %rax
	mov %rax, recover(%rip)
	mov %rdi, %\cr
7:	mov %\cr, %r13			/* after */
	pop %rsi
	call result_line
	cmp %r12, %r13
	je 8f
	mov %r12, %\cr			/* taken: put the old value back */
8:	ret
.endm
	TRY cr0
	TRY cr4

/* result_line: RSI = name, R12 = before, R13 = after, gp_hit. */
result_line:
	push %rsi
	lea msg_case(%rip), %rsi
	call puts
	pop %rsi
	call puts
	lea msg_result(%rip), %rsi
	call puts
	lea msg_gp(%rip), %rsi
	cmpl $0, gp_hit(%rip)
	jne 9f
	lea msg_taken(%rip), %rsi
9:	call puts
	lea msg_before(%rip), %rsi
	call puts
	mov %r12, %rax
	call puthex
	lea msg_after(%rip), %rsi
	call puts
	mov %r13, %rax
	call puthex
	lea msg_nl(%rip), %rsi
	call puts
	ret

gp_handler:
	add $8, %rsp			/* error code */
	movl $1, gp_hit(%rip)
	mov recover(%rip), %rax
	mov %rax, (%rsp)		/* resume after the faulting MOV */
	iretq

bad_handler:
	lea msg_bad(%rip), %rsi
	call puts
10:	hlt
	jmp 10b

puts:
	mov $COM1, %dx
11:	lodsb
	test %al, %al
	jz 12f
	out %al, %dx
	jmp 11b
12:	ret

/* puthex: RAX as 16 hex digits. */
puthex:
	mov %rax, %rcx
	mov $16, %ebx
	mov $COM1, %dx
13:	rol $4, %rcx
	mov %ecx, %eax
	and $0xf, %eax
	add $'0', %al
	cmp $'9', %al
	jbe 14f
	add $('a' - '9' - 1), %al
14:	out %al, %dx
	dec %ebx
	jnz 13b
	ret

	.section .rodata
	.balign 8
gdt:
	.quad 0
	.quad 0x00af9a000000ffff	/* 0x08: 64-bit code */
	.quad 0x00cf92000000ffff	/* 0x10: data */
gdt_end:
gdt_desc:
	.word gdt_end - gdt - 1
	.long gdt
idt_desc:
	.word 32 * 16 - 1
	.quad idt
name_nw: .asciz "cr0-nw-without-cd"
name_clts: .asciz "cr0-clts"
msg_start: .asciz "guest: cr-attack start\n"
msg_long: .asciz "guest: cr-attack long-mode\n"
msg_case: .asciz "guest: cr-attack case="
msg_result: .asciz " result="
msg_gp: .asciz "gp"
msg_taken: .asciz "taken"
msg_before: .asciz " before=0x"
msg_after: .asciz " after=0x"
msg_nl: .asciz "\n"
msg_sig: .asciz "guest: cr-attack cpuid-40000000="
msg_end: .asciz "guest: cr-attack end\n"
msg_bad: .asciz "guest: cr-attack unexpected exception\n"

	.data
	.balign 8
gp_hit: .long 0
	.balign 8
recover: .quad 0
sig: .skip 16

	.bss
	.balign 4096
pml4: .skip 4096
pdpt: .skip 4096
pd: .skip 4096
idt: .skip 32 * 16
	.balign 16
	.skip 8192
stack_top:
