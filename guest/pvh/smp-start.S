/* smp-start: a bare PVH guest kernel (no Linux) that starts the other CPU
 * the way an OS does (issue 15 on VT-x): INIT, start-up IPI, start-up IPI
 * through the local APIC's ICR (Intel SDM 3A 8.4.4.1, the universal
 * start-up algorithm), to the first enabled MADT CPU that is not itself.
 * The start-up vector points at a page this kernel filled with 16-bit code
 * (0x10000: vector 0x10); that code runs in real mode on the AP, reads its
 * APIC id with CPUID (leaf 1, EBX[31:24]), its CR0 and CS, stores them and
 * whether CPUID.1:ECX says it runs under a hypervisor (bit 31), and
 * counts itself in with a locked increment, then halts. The kernel then
 * sends the halted AP an NMI (ICR delivery mode NMI): the AP takes it
 * through its real-mode vector table (vector 2 -> a handler in the same
 * page that counts and IRETs) and halts again. Then the kernel sends the
 * running AP INIT again and one start-up IPI: the AP must start at the
 * vector a second time (the count reaches 2), as hardware does after INIT
 * (SDM 3A 10.6.1: an INIT puts the CPU in wait-for-SIPI).
 * Lines (COM2 when the machine has one, else COM1):
 *   guest: smp-start bsp apic_id=B ap=A
 *   guest: smp-start ap count=1 apic_id=A cs=0x00001000 cr0=0x... hv=0|1 nmis=0
 *   guest: smp-start ap count=1 apic_id=A ... nmis=1      (after the NMI)
 *   guest: smp-start ap count=2 apic_id=A ... nmis=1
 *   guest: script=smp-start status=ok|fail
 * then ACPI power-off (SLP_TYPa of \_S5 | SLP_EN to the FADT's
 * PM1a_CNT_BLK, ACPI 6.x 4.8.3.2.1 and 7.4.2). An AP that does not arrive
 * within the wait prints "guest: smp-start error ...". Built with
 * -DTRIPLE it ends with a triple fault instead ("guest: smp-start triple
 * fault", then an IDT of limit 0 and INT3: #GP, #DF, shutdown; SDM 3A
 * 6.15, interrupt 8), which a PC turns into a reset.
 *
 * Entered in 32-bit protected mode, paging off, flat segments, EBX = the
 * hvm_start_info (Xen docs/misc/pvh.pandoc; rsdp_paddr at offset 32); or
 * natively by GRUB's `multiboot` command (Multiboot 0.6.96: the header
 * below, EAX = 0x2BADB002, the same machine state), the RSDP then searched
 * for in the BIOS area.
 * Built by tests/integration/test_bochs.py:
 *   cc -c smp-start.S && ld -N -Ttext=0x200000 -o smp-start.elf smp-start.o */
#define COM1 0x3f8
#define COM2 0x2f8
#define XEN_ELFNOTE_PHYS32_ENTRY 18
#define APIC 0xfee00000
#define ICR_LO 0x300
#define ICR_HI 0x310
#define TRAMP 0x10000		/* the AP's real-mode code: vector 0x10 */
#define VECTOR (TRAMP >> 12)
#define WAIT 20000000		/* polls for an AP to arrive */

	.section .note.pvh, "a"
	.balign 4
	.long 4
	.long 4
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long _start

	.text
	.code32
	/* Multiboot header (Multiboot 0.6.96 3.1.1): magic, flags 0 (the
	 * ELF headers say where to load), checksum. */
	.balign	4
	.long	0x1badb002
	.long	0
	.long	-0x1badb002
	.globl _start
_start:
	cli
	lea	stack_top, %esp
	xor	%edi, %edi
	cmp	$0x2badb002, %eax	/* Multiboot: no start info */
	je	0f
	mov	32(%ebx), %edi		/* hvm_start_info.rsdp_paddr */
0:	call	serial_init
	/* The tables: RSDP from the start info (or the BIOS area), RSDT. */
	test	%edi, %edi
	jnz	1f
	call	find_rsdp
1:	mov	16(%edi), %eax		/* RsdtAddress */
	mov	%eax, rsdt
	/* This CPU's APIC id, and the first other enabled one in the MADT. */
	mov	$1, %eax
	cpuid
	shr	$24, %ebx
	mov	%ebx, bsp_id
	mov	$0x43495041, %eax	/* "APIC" */
	call	find_table
	lea	msg_nomadt, %esi
	test	%edx, %edx
	jz	fail
	mov	4(%edx), %ecx
	add	%edx, %ecx		/* end */
	lea	44(%edx), %edx		/* the entries (ACPI 6.x 5.2.12) */
2:	cmp	%ecx, %edx
	lea	msg_noap, %esi
	jae	fail
	cmpb	$0, (%edx)		/* processor local APIC */
	jne	3f
	testb	$1, 4(%edx)		/* enabled */
	jz	3f
	movzbl	3(%edx), %eax
	cmp	bsp_id, %eax
	jne	4f
3:	movzbl	1(%edx), %eax
	test	%eax, %eax
	jz	fail
	add	%eax, %edx
	jmp	2b
4:	mov	%eax, ap_id
	lea	msg_bsp, %esi
	call	puts
	mov	bsp_id, %eax
	call	putdec
	lea	msg_ap, %esi
	call	puts
	mov	ap_id, %eax
	call	putdec
	call	nl

	/* The AP's code at TRAMP; its NMI vector (real-mode IVT entry 2 at
	 * 0x8: offset, segment) at the handler there. */
	lea	tramp, %esi
	mov	$TRAMP, %edi
	mov	$(tramp_end - tramp), %ecx
	rep movsb
	movw	$(ap_nmi - tramp), 0x8
	movw	$(TRAMP >> 4), 0xa

	/* INIT, SIPI, SIPI; wait for count 1. */
	mov	$0x00004500, %eax	/* INIT, level assert, physical */
	call	ipi
	call	delay
	mov	$(0x00004600 | VECTOR), %eax	/* start-up */
	call	ipi
	call	delay
	mov	$(0x00004600 | VECTOR), %eax
	call	ipi
	mov	$1, %eax
	call	wait_count
	/* An NMI to the halted AP: its handler counts it. */
	mov	$0x00004400, %eax	/* NMI, level assert, physical */
	call	ipi
	mov	$WAIT, %ecx
1:	cmpw	$1, TRAMP + (nmis - tramp)
	jae	2f
	pause
	dec	%ecx
	jnz	1b
	lea	msg_nonmi, %esi
	jmp	fail
2:	mov	$1, %eax
	call	wait_count
	/* INIT to the running AP, one SIPI: it starts again (count 2). */
	mov	$0x00004500, %eax
	call	ipi
	call	delay
	mov	$(0x00004600 | VECTOR), %eax
	call	ipi
	mov	$2, %eax
	call	wait_count

	lea	msg_ok, %esi
	call	puts
#ifdef TRIPLE
	lea	msg_triple, %esi
	call	puts
	call	drain
	lidt	idt_none
	int3
#endif
	call	drain
	call	power_off
	lea	msg_nooff, %esi
	jmp	fail

/* EAX: the ICR low dword; the destination is ap_id. The delivery status
 * (bit 12) is awaited, bounded. */
ipi:
	mov	$APIC, %edi
	mov	ap_id, %edx
	shl	$24, %edx
	mov	%edx, ICR_HI(%edi)
	mov	%eax, ICR_LO(%edi)
	mov	$1000000, %ecx
1:	testl	$0x1000, ICR_LO(%edi)
	jz	2f
	pause
	dec	%ecx
	jnz	1b
2:	ret

delay:
	mov	$200000, %ecx
1:	pause
	dec	%ecx
	jnz	1b
	ret

/* EAX: the count to wait for; prints the AP's record. */
wait_count:
	mov	%eax, %ebx
	mov	$WAIT, %ecx
1:	cmpw	%bx, TRAMP + (count - tramp)
	jae	2f
	pause
	dec	%ecx
	jnz	1b
	lea	msg_late, %esi
	jmp	fail
2:	lea	msg_apc, %esi
	call	puts
	movzwl	TRAMP + (count - tramp), %eax
	call	putdec
	lea	msg_apid, %esi
	call	puts
	movzbl	TRAMP + (apid - tramp), %eax
	call	putdec
	lea	msg_cs, %esi
	call	puts
	movzwl	TRAMP + (apcs - tramp), %eax
	call	puthex
	lea	msg_cr0, %esi
	call	puts
	mov	TRAMP + (apcr0 - tramp), %eax
	call	puthex
	lea	msg_hv, %esi
	call	puts
	movzbl	TRAMP + (aphv - tramp), %eax
	call	putdec
	lea	msg_nmis, %esi
	call	puts
	movzwl	TRAMP + (nmis - tramp), %eax
	call	putdec
	call	nl
	ret

fail:
	push	%esi
	lea	msg_err, %esi
	call	puts
	pop	%esi
	call	puts
	call	nl
	lea	msg_fail, %esi
	call	puts
	call	drain
	call	power_off
1:	hlt
	jmp	1b

/* EDI: the RSDP in E0000h-FFFFFh (ACPI 6.x 5.2.5.1), or 0. */
find_rsdp:
	mov	$0xe0000, %edi
1:	cmpl	$0x20445352, (%edi)	/* "RSD " */
	jne	2f
	cmpl	$0x20525450, 4(%edi)	/* "PTR " */
	je	3f
2:	add	$16, %edi
	cmp	$0x100000, %edi
	jb	1b
	lea	msg_norsdp, %esi
	jmp	fail
3:	ret

/* EAX: a signature; EDX: that table from the RSDT, or 0. */
find_table:
	push	%ecx
	push	%ebx
	mov	rsdt, %ebx
	mov	4(%ebx), %ecx
	sub	$36, %ecx
	shr	$2, %ecx
	add	$36, %ebx
1:	xor	%edx, %edx
	test	%ecx, %ecx
	jz	2f
	mov	(%ebx), %edx
	cmp	%eax, (%edx)
	je	2f
	add	$4, %ebx
	dec	%ecx
	jmp	1b
2:	pop	%ebx
	pop	%ecx
	ret

/* SLP_TYPa of the DSDT's \_S5 package | SLP_EN to PM1a_CNT. */
power_off:
	mov	$0x50434146, %eax	/* "FACP" */
	call	find_table
	test	%edx, %edx
	jz	9f
	mov	64(%edx), %ebx		/* PM1a_CNT_BLK */
	mov	40(%edx), %edi		/* DSDT */
	mov	4(%edi), %ecx
	add	%edi, %ecx
1:	cmp	%ecx, %edi
	jae	9f
	cmpl	$0x5f35535f, (%edi)	/* "_S5_" */
	jne	2f
	cmpb	$0x12, 4(%edi)		/* PackageOp */
	je	3f
2:	inc	%edi
	jmp	1b
3:	movzbl	5(%edi), %eax
	shr	$6, %eax
	lea	7(%edi,%eax), %edi
	movzbl	(%edi), %eax
	cmp	$0x0a, %al		/* BytePrefix */
	jne	4f
	movzbl	1(%edi), %eax
4:	and	$7, %eax
	shl	$10, %eax
	or	$0x2000, %eax
	mov	%ebx, %edx
	outw	%ax, %dx
	mov	$10000000, %ecx
5:	dec	%ecx
	jnz	5b
9:	ret

serial_init:
	movw	$COM2, port
	mov	$COM2 + 7, %dx
	mov	$0x5a, %al
	outb	%al, %dx
	inb	%dx, %al
	cmp	$0x5a, %al
	je	1f
	movw	$COM1, port
1:	movw	port, %dx
	add	$3, %dx
	mov	$0x80, %al
	outb	%al, %dx		/* LCR: DLAB */
	sub	$3, %dx
	mov	$1, %al
	outb	%al, %dx		/* divisor 1: 115200 */
	inc	%dx
	xor	%al, %al
	outb	%al, %dx
	add	$2, %dx
	mov	$3, %al
	outb	%al, %dx		/* 8N1 */
	ret

putc:
	push	%ecx
	push	%edx
	push	%eax
	mov	$0x100000, %ecx
1:	movw	port, %dx
	add	$5, %dx
	inb	%dx, %al
	test	$0x20, %al
	jnz	2f
	dec	%ecx
	jnz	1b
2:	pop	%eax
	movw	port, %dx
	outb	%al, %dx
	pop	%edx
	pop	%ecx
	ret

drain:
	mov	$0x100000, %ecx
	movw	port, %dx
	add	$5, %dx
1:	inb	%dx, %al
	test	$0x40, %al
	jnz	2f
	dec	%ecx
	jnz	1b
2:	ret

puts:
	push	%eax
1:	movb	(%esi), %al
	test	%al, %al
	jz	2f
	call	putc
	inc	%esi
	jmp	1b
2:	pop	%eax
	ret

nl:
	push	%eax
	mov	$'\n', %al
	call	putc
	pop	%eax
	ret

/* EAX as "0x" and 8 hex digits. */
puthex:
	push	%eax
	push	%ebx
	push	%ecx
	mov	%eax, %ebx
	mov	$'0', %al
	call	putc
	mov	$'x', %al
	call	putc
	mov	$8, %ecx
1:	rol	$4, %ebx
	mov	%ebx, %eax
	and	$15, %al
	add	$'0', %al
	cmp	$'9', %al
	jbe	2f
	add	$'a' - '9' - 1, %al
2:	call	putc
	dec	%ecx
	jnz	1b
	pop	%ecx
	pop	%ebx
	pop	%eax
	ret

/* EAX in decimal. */
putdec:
	push	%eax
	push	%ebx
	push	%ecx
	push	%edx
	mov	$10, %ebx
	xor	%ecx, %ecx
1:	xor	%edx, %edx
	div	%ebx
	push	%edx
	inc	%ecx
	test	%eax, %eax
	jnz	1b
2:	pop	%eax
	add	$'0', %al
	call	putc
	dec	%ecx
	jnz	2b
	pop	%edx
	pop	%ecx
	pop	%ebx
	pop	%eax
	ret

/* The AP's code, copied to TRAMP: real mode, CS = VECTOR << 8, IP = 0;
 * its variables are addressed through CS's base (DS = CS). */
	.code16
tramp:
	cli
	movw	%cs, %ax
	movw	%ax, %ds
	movw	%ax, apcs - tramp
	movl	%cr0, %eax
	movl	%eax, apcr0 - tramp
	movl	$1, %eax
	cpuid
	shrl	$24, %ebx
	movb	%bl, apid - tramp
	shrl	$31, %ecx		/* the hypervisor bit */
	movb	%cl, aphv - tramp
	lock incw count - tramp
1:	hlt
	jmp	1b
/* The AP's NMI handler (real mode, vector 2): count, IRET. */
ap_nmi:
	pushw	%ds
	pushw	%ax
	movw	%cs, %ax
	movw	%ax, %ds
	lock incw nmis - tramp
	popw	%ax
	popw	%ds
	iret
	.balign	4
count:	.word	0
nmis:	.word	0
aphv:	.byte	0
apcs:	.word	0
apcr0:	.long	0
apid:	.byte	0
tramp_end:
	.code32

	.data
port:	.word	COM1
rsdt:	.long	0
bsp_id:	.long	0
ap_id:	.long	0
msg_bsp: .asciz	"guest: smp-start bsp apic_id="
msg_ap:	.asciz	" ap="
msg_apc: .asciz	"guest: smp-start ap count="
msg_apid: .asciz " apic_id="
msg_cs:	.asciz	" cs="
msg_cr0: .asciz	" cr0="
msg_hv:	.asciz	" hv="
msg_triple: .asciz "guest: smp-start triple fault\n"
	.balign	4
	.word	0
idt_none: .word	0		/* limit 0: no vector is deliverable */
	.long	0
msg_nmis: .asciz " nmis="
msg_nonmi: .asciz "the AP did not take the NMI"
msg_ok:	.asciz	"guest: script=smp-start status=ok\n"
msg_fail: .asciz "guest: script=smp-start status=fail\n"
msg_err: .asciz	"guest: smp-start error "
msg_nomadt: .asciz "no MADT in the RSDT"
msg_noap: .asciz "the MADT lists no other enabled CPU"
msg_norsdp: .asciz "no RSDP"
msg_late: .asciz "the AP did not count itself in"
msg_nooff: .asciz "still running after the power-off write"
	.bss
	.balign	16
	.skip	4096
stack_top:
