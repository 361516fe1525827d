/* A boot sector of our own that touches the local APIC from 16-bit code
 * (tests/integration/test_realmode_mmio.py). Firmware and boot loaders do
 * this: real mode cannot address 0xFEE00000, so they enter "unreal" mode
 * (a flat 4 GiB data segment loaded in protected mode, kept after the
 * return to real mode; SDM vol. 3A 9.9.2, 20.1.1) and use 32-bit
 * addresses with the 67 prefix. Under shoji the APIC page is write-trapped
 * (the APIC guard): each such write is a nested page fault that shoji must
 * decode as 16-bit code (16-bit operand size, 67 for the address).
 *
 * What it does, printing each step on COM1 ("guest: rm-apic ..."):
 *   1. enters unreal mode (DS flat; FS with its base at the APIC page,
 *      0xFEE00000) and reads the APIC ID and version registers;
 *   2. writes the TPR (0x80) three ways and reads it back each time: from
 *      EAX to a 32-bit absolute address (67 A3), from EBX through a 32-bit
 *      base register (67 89 /r), and from a 16-bit address FS:[BX] (the
 *      16-bit ModRM form: SDM vol. 2 Table 2-1);
 *   3. sends INIT to its own APIC ID (ICR high 0x310, then ICR low 0x300 =
 *      0x4500: INIT, assert, physical destination; both through FS:[BX]
 *      and FS:[SI]). Natively that resets
 *      the CPU: it restarts at the reset vector and the firmware runs
 *      again. Under shoji the APIC guard refuses it (the boot CPU is not
 *      started by IPIs) and the program goes on;
 *   4. says "end" and powers off through ACPI (PM1a control at 0x604 on
 *      QEMU's q35 with SeaBIOS's PMBASE 0x600: SLP_TYP 0 = \_S5, SLP_EN).
 * Assembled by the test with `as --32` (.code16) and linked at 0x7C00. */
	.code16
	.text
	.globl _start
_start:
	cli
	xorw %ax, %ax
	movw %ax, %ds
	movw %ax, %es
	movw %ax, %ss
	movw $0x7c00, %sp
	ljmp $0, $start

start:
	movw $msg_start, %si
	call say

	/* Unreal mode: DS gets a flat 4 GiB data descriptor in protected mode
	 * and keeps its limit when real mode reloads only its base. */
	lgdtl gdtr
	movl %cr0, %eax
	orb $1, %al
	movl %eax, %cr0
	jmp 1f
1:	movw $8, %bx
	movw %bx, %ds
	movw $16, %bx
	movw %bx, %fs
	andb $0xfe, %al
	movl %eax, %cr0
	jmp 2f
2:	xorw %ax, %ax
	movw %ax, %ds
	movw $msg_unreal, %si
	call say

	/* 1. APIC ID (0x20) and version (0x30): 32-bit loads, 32-bit address */
	movw $msg_id, %si
	call say
	addr32 movl 0xfee00020, %eax
	call puthex
	movw $msg_ver, %si
	call puts
	addr32 movl 0xfee00030, %eax
	call puthex

	/* 2. TPR */
	movl $0x20, %eax
	addr32 movl %eax, 0xfee00080
	movw $msg_tpr, %si
	call say
	addr32 movl 0xfee00080, %eax
	call puthex
	movl $0x00000010, %ebx
	movl $0xfee00080, %edi
	addr32 movl %ebx, (%edi)
	movw $msg_tpr2, %si
	call puts
	addr32 movl (%edi), %eax
	call puthex
	movw $0x80, %bx
	movl $0x30, %eax
	movl %eax, %fs:(%bx)
	movw $msg_tpr3, %si
	call puts
	movl %fs:(%bx), %eax
	call puthex
	addr32 movl $0, 0xfee00080
	movw $msg_tpr4, %si
	call puts
	addr32 movl 0xfee00080, %eax
	call puthex

	/* 3. INIT to this CPU's own APIC ID */
	movw $msg_init, %si
	call say
	addr32 movl 0xfee00020, %eax
	andl $0xff000000, %eax
	movw $0x310, %bx
	movl %eax, %fs:(%bx)
	movw $0x300, %si
	movl $0x00004500, %eax
	movl %eax, %fs:(%si)
	/* Give an INIT that reached the CPU time to act (natively it does
	 * at once: nothing below runs). */
	movl $0x100000, %ecx
3:	addr32 loop 3b
	movw $msg_after, %si
	call say

	/* 4. the end: power off (ACPI S5) */
	movw $msg_end, %si
	call say
	movw $0x604, %dx
	movw $0x2000, %ax
	outw %ax, %dx
4:	hlt
	jmp 4b

/* COM1, polled: wait for the transmitter holding register (LSR bit 5). */
putc:
	pushw %dx
	pushw %ax
	movw $0x3fd, %dx
5:	inb %dx, %al
	testb $0x20, %al
	jz 5b
	popw %ax
	movw $0x3f8, %dx
	outb %al, %dx
	popw %dx
	ret

puts:
	pushw %ax
6:	lodsb
	testb %al, %al
	jz 7f
	call putc
	jmp 6b
7:	popw %ax
	ret

/* EAX as 8 hex digits */
puthex:
	pushl %eax
	pushl %ecx
	movl %eax, %edx
	movw $8, %cx
8:	roll $4, %edx
	movb %dl, %al
	andb $0x0f, %al
	addb $0x30, %al
	cmpb $0x39, %al
	jbe 9f
	addb $0x27, %al
9:	call putc
	loop 8b
	popl %ecx
	popl %eax
	ret

/* A line of ours: a newline, "guest: rm-apic ", then the text at SI. */
say:
	pushw %si
	movw $prefix, %si
	call puts
	popw %si
	jmp puts

	.p2align 3
gdt:
	.quad 0
	/* flat data: base 0, limit 0xFFFFF pages, present, writable, G=1 D=1 */
	.quad 0x00cf92000000ffff
	/* data at the APIC page: base 0xFEE00000, limit 0xFFFF, byte granular */
	.quad 0xfe0092e00000ffff
gdtr:
	.word gdtr - gdt - 1
	.long gdt

prefix:		.asciz "\nguest: rm-apic "
msg_start:	.asciz "start"
msg_unreal:	.asciz "unreal"
msg_id:		.asciz "id="
msg_ver:	.asciz " version="
msg_tpr:	.asciz "tpr-eax="
msg_tpr2:	.asciz " tpr-edi="
msg_tpr3:	.asciz " tpr-fs-bx="
msg_tpr4:	.asciz " tpr-imm="
msg_init:	.asciz "init-self"
msg_after:	.asciz "after-init"
msg_end:	.asciz "end\n"

	.org 510
	.byte 0x55, 0xaa
