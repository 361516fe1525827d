/* rmtest: a boot disk that never leaves the BIOS's world (issue 17: "a guest
 * that never leaves real mode or runs in 16/32-bit protected mode runs
 * correctly under shoji"). The BIOS loads its first sector to 0000:7C00 and
 * jumps there with DL = the boot drive, as it does for any MBR; then, in
 * this order:
 *   real mode     INT 13h AH=02h reads the rest of this program (sectors
 *                 2..) to 0000:7E00; INT 15h E820h walks the memory map and
 *                 prints every entry, INT 15h E801h the legacy sizes;
 *   16-bit PM     CR0.PE set, a 16-bit code segment (GDT below), prints;
 *   32-bit PM     a flat 32-bit code segment: finds the ACPI RSDP in the
 *                 BIOS area (E0000h-FFFFFh), the RSDT, the FADT (its
 *                 PM1a_CNT_BLK, ACPI 6.x table 5.9, offset 64) and the
 *                 DSDT's \_S5 package (SLP_TYPa); writes and reads memory
 *                 above 1 MiB (A20 on); prints;
 *   16-bit PM     back through the 16-bit segments (real-mode limits);
 *   real mode     CR0.PE clear, far jump; INT 13h reads sector 0 again and
 *                 compares it with the copy at 7C00; prints
 *                 "guest: script=rmtest status=ok" and powers off through
 *                 ACPI: SLP_TYPa << 10 | SLP_EN (bit 13) to PM1a_CNT (ACPI
 *                 6.x 4.8.3.2.1).
 * Every line starts "rmtest: " and goes to COM2 when the machine has one
 * (Bochs: COM1 is shoji's log) or COM1 (QEMU). An error prints
 * "rmtest: error ..." and "guest: script=rmtest status=fail" and halts.
 *
 * Built by scripts/make-rmtest-disk (cc -c, ld -Ttext=0x7c00 --oformat
 * binary): sector 0 is the MBR (0x55AA at 510), the rest follows. */
#define STAGE2 0x7e00
#define SCRATCH 0x9000		/* INT 13h's second read, E820 buffer */
#define E820_BUF 0x8f00
#define COM1 0x3f8
#define COM2 0x2f8
#define SMAP 0x534d4150
#define MAGIC 0x54534d52	/* "RMST" */
/* Variables stage 1 writes live outside sector 0 (its copy at 7C00 must
 * stay what the disk holds: it is compared with a second read). */
#define port 0x600		/* word: the serial port's base */
#define drive 0x602		/* byte: DL from the BIOS */

	.code16
	.text
	.globl _start
_start:
	cli
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x7c00, %sp
	ljmp	$0, $1f			/* CS = 0 whatever the BIOS used */
1:	sti
	cld
	movb	%dl, drive
	/* COM2 if its scratch register holds what is written (ns16550). */
	movw	$COM2, port
	movw	$COM2 + 7, %dx
	movb	$0x5a, %al
	outb	%al, %dx
	inb	%dx, %al
	cmpb	$0x5a, %al
	je	2f
	movw	$COM1, port
	/* 115200 baud, 8 data bits, no parity, 1 stop bit (the BIOS may
	 * leave the line control at 5 bits): divisor 1 with DLAB set. */
2:	movw	port, %dx
	addw	$3, %dx
	movb	$0x80, %al
	outb	%al, %dx		/* LCR: DLAB */
	subw	$3, %dx
	movb	$1, %al
	outb	%al, %dx		/* DLL */
	incw	%dx
	xorb	%al, %al
	outb	%al, %dx		/* DLM */
	addw	$2, %dx
	movb	$0x03, %al
	outb	%al, %dx		/* LCR: 8N1, DLAB clear */
	movw	$s_mbr, %si
	call	puts16
	movb	drive, %al
	movb	$2, %cl
	call	puthex16
	call	nl16
	/* INT 13h AH=02h: the rest of the program, CHS 0/0/2 on, to 7E00. */
	movw	$3, %bp
3:	movb	$0x02, %ah
	movb	$nsect, %al
	movw	$0x0002, %cx		/* cylinder 0, sector 2 */
	xorb	%dh, %dh
	movb	drive, %dl
	movw	$STAGE2, %bx
	int	$0x13
	jnc	4f
	xorb	%ah, %ah		/* reset, try again */
	movb	drive, %dl
	int	$0x13
	decw	%bp
	jnz	3b
	movw	$s_e13, %si
	jmp	fail16
4:	cmpl	$MAGIC, stage2_magic
	movw	$s_emagic, %si
	jne	fail16
	jmp	stage2

	/* The 16-bit print routines (real mode and 16-bit PM). */
	.macro	PRINT sfx
/* AL: one character to the port; THRE (LSR bit 5) awaited, bounded. */
putc\sfx:
	pushl	%ecx
	pushl	%edx
	pushl	%eax
	movl	$0x100000, %ecx
1:	movw	port, %dx
	addw	$5, %dx
	inb	%dx, %al
	testb	$0x20, %al
	jnz	2f
	decl	%ecx
	jnz	1b
2:	popl	%eax
	movw	port, %dx
	outb	%al, %dx
	popl	%edx
	popl	%ecx
	ret
/* ESI: a NUL-terminated string (16-bit: SI, zero-extended: real mode's
 * 64 KiB limit applies to all of ESI). */
puts\sfx:
	pushl	%eax
	.ifc	\sfx,16
	movzwl	%si, %esi
	.endif
1:	movb	(%esi), %al
	testb	%al, %al
	jz	2f
	call	putc\sfx
	incl	%esi
	jmp	1b
2:	popl	%eax
	ret
/* EAX: the value, CL: how many hex digits (the low ones). */
puthex\sfx:
	pushl	%eax
	pushl	%ebx
	pushl	%ecx
	movl	%eax, %ebx
	movzbl	%cl, %ecx
	shll	$2, %ecx
	rorl	%cl, %ebx		/* the first digit wanted on top */
	shrl	$2, %ecx
1:	roll	$4, %ebx
	movl	%ebx, %eax
	andb	$15, %al
	addb	$'0', %al
	cmpb	$'9', %al
	jbe	2f
	addb	$'a' - '9' - 1, %al
2:	call	putc\sfx
	decl	%ecx
	jnz	1b
	popl	%ecx
	popl	%ebx
	popl	%eax
	ret
nl\sfx:
	pushl	%eax
	movb	$'\n', %al
	call	putc\sfx
	popl	%eax
	ret
	.endm

	PRINT	16

/* SI: the error's text. */
fail16:
	pushw	%si
	movw	$s_err, %si
	call	puts16
	popw	%si
	call	puts16
	call	nl16
	movw	$s_fail, %si
	call	puts16
5:	cli
	hlt
	jmp	5b

s_mbr:	.asciz	"rmtest: stage=mbr mode=real drive=0x"
s_e13:	.asciz	"int13 read of the program failed"
s_emagic: .asciz "the program read has no magic"
s_err:	.asciz	"rmtest: error "
s_fail:	.asciz	"guest: script=rmtest status=fail\n"
	.org	510
	.word	0xaa55

/* ---- sector 2 on, at 0000:7E00 ---- */
stage2:
	movw	$s_read, %si
	call	puts16
	movb	$nsect, %al
	movb	$2, %cl
	call	puthex16
	call	nl16

	/* INT 15h E820h, one entry per call (ACPI 6.x 15.1). */
	xorl	%ebx, %ebx
	movw	$0, e820_n
10:	movl	$0xe820, %eax
	movl	$SMAP, %edx
	movl	$24, %ecx
	movw	$E820_BUF, %di
	movl	$1, E820_BUF + 20	/* extended attributes: valid, if not written */
	int	$0x15
	jc	12f
	cmpl	$SMAP, %eax
	movw	$s_esmap, %si
	jne	fail16
	movw	$s_e820, %si
	call	puts16
	movl	E820_BUF + 4, %eax
	movb	$8, %cl
	call	puthex16
	movl	E820_BUF, %eax
	call	puthex16
	movw	$s_len, %si
	call	puts16
	movl	E820_BUF + 12, %eax
	call	puthex16
	movl	E820_BUF + 8, %eax
	call	puthex16
	movw	$s_type, %si
	call	puts16
	movl	E820_BUF + 16, %eax
	movb	$1, %cl
	call	puthex16
	call	nl16
	incw	e820_n
	cmpw	$64, e820_n
	movw	$s_elong, %si
	jae	fail16
	testl	%ebx, %ebx
	jnz	10b
	jmp	13f
12:	cmpw	$0, e820_n		/* CF on the first call: no E820h */
	movw	$s_ee820, %si
	je	fail16
13:	movw	$s_e820n, %si
	call	puts16
	movw	e820_n, %ax
	movb	$2, %cl
	call	puthex16
	call	nl16

	/* INT 15h E801h: KiB 1-16 MiB (AX), 64 KiB blocks above (BX). */
	movw	$0xe801, %ax
	xorw	%bx, %bx
	xorw	%cx, %cx
	xorw	%dx, %dx
	int	$0x15
	movw	$s_ee801, %si
	jc	fail16
	movw	$s_e801, %si
	call	puts16
	movb	$4, %cl
	call	puthex16
	movw	$s_blocks, %si
	call	puts16
	movw	%bx, %ax
	call	puthex16
	call	nl16

	/* 16-bit protected mode. */
	cli
	lgdt	gdtr
	movl	%cr0, %eax
	orb	$1, %al
	movl	%eax, %cr0
	ljmp	$0x08, $pm16
pm16:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$s_pm16, %si
	call	puts16
	movl	%cr0, %eax
	movb	$8, %cl
	call	puthex16
	movw	$s_cs, %si
	call	puts16
	movw	%cs, %ax
	movb	$2, %cl
	call	puthex16
	call	nl16
	ljmpl	$0x18, $pm32

	.code32
pm32:
	movw	$0x20, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	movl	$0x7c00, %esp
	movl	$s_pm32, %esi
	call	puts32
	movl	%cr0, %eax
	movb	$8, %cl
	call	puthex32
	movl	$s_cs, %esi
	call	puts32
	movw	%cs, %ax
	movb	$2, %cl
	call	puthex32
	call	nl32

	/* Memory above 1 MiB: 0x110000 and its A20 alias 0x010000. */
	movl	$0x11111111, 0x010000
	movl	$0x22222222, 0x110000
	cmpl	$0x11111111, 0x010000
	movl	$s_ea20, %esi
	jne	fail32
	cmpl	$0x22222222, 0x110000
	jne	fail32

	/* ACPI: the RSDP on a 16-byte boundary in E0000h-FFFFFh (ACPI 6.x
	 * 5.2.5.1), checksummed over its first 20 bytes. */
	movl	$0xe0000, %edi
20:	cmpl	$0x20445352, (%edi)	/* "RSD " */
	jne	21f
	cmpl	$0x20525450, 4(%edi)	/* "PTR " */
	jne	21f
	xorl	%ecx, %ecx
	xorb	%al, %al
22:	addb	(%edi,%ecx), %al
	incl	%ecx
	cmpl	$20, %ecx
	jb	22b
	testb	%al, %al
	jz	23f
21:	addl	$16, %edi
	cmpl	$0x100000, %edi
	jb	20b
	movl	$s_ersdp, %esi
	jmp	fail32
23:	movl	%edi, rsdp
	movl	16(%edi), %esi		/* RsdtAddress */
	movl	%esi, rsdt
	movl	4(%esi), %ecx		/* Length */
	subl	$36, %ecx
	shrl	$2, %ecx
	leal	36(%esi), %ebx
24:	testl	%ecx, %ecx
	movl	$s_efadt, %esi
	jz	fail32
	movl	(%ebx), %edx
	cmpl	$0x50434146, (%edx)	/* "FACP" */
	je	25f
	addl	$4, %ebx
	decl	%ecx
	jmp	24b
25:	movl	%edx, fadt
	movl	64(%edx), %eax		/* PM1a_CNT_BLK */
	movl	$s_epm1, %esi
	testl	%eax, %eax
	jz	fail32
	movl	%eax, pm1a_cnt
	movl	40(%edx), %edi		/* DSDT */
	movl	4(%edi), %ecx
	addl	%edi, %ecx		/* its end */
	movl	$s_es5, %esi
26:	cmpl	%ecx, %edi
	jae	fail32
	cmpl	$0x5f35535f, (%edi)	/* "_S5_" */
	je	27f
	incl	%edi
	jmp	26b
	/* NameOp _S5_ PackageOp PkgLength NumElements SLP_TYPa ... (ACPI
	 * 6.x 20.2.5: PkgLength's lead byte bits 7:6 = how many bytes
	 * follow; the element a ByteConst 0Ah nn, ZeroOp 00 or OneOp 01). */
27:	cmpb	$0x12, 4(%edi)
	jne	26b			/* not the package: look further */
	movzbl	5(%edi), %eax
	shrl	$6, %eax
	leal	7(%edi,%eax), %edi	/* past PkgLength and NumElements */
	movzbl	(%edi), %eax
	cmpb	$0x0a, %al
	jne	28f
	movzbl	1(%edi), %eax
28:	andl	$7, %eax
	movl	%eax, s5_typ
	movl	$s_acpi, %esi
	call	puts32
	movl	rsdp, %eax
	movb	$5, %cl
	call	puthex32
	movl	$s_fadt, %esi
	call	puts32
	movl	fadt, %eax
	movb	$8, %cl
	call	puthex32
	movl	$s_pm1, %esi
	call	puts32
	movl	pm1a_cnt, %eax
	movb	$4, %cl
	call	puthex32
	movl	$s_s5, %esi
	call	puts32
	movl	s5_typ, %eax
	movb	$1, %cl
	call	puthex32
	call	nl32
	movl	$s_hi, %esi
	call	puts32

	/* Back: 16-bit PM with real-mode limits, then real mode. */
	ljmp	$0x08, $pm16b

	PRINT	32

fail32:
	pushl	%esi
	movl	$s_err, %esi
	call	puts32
	popl	%esi
	call	puts32
	call	nl32
	movl	$s_fail, %esi
	call	puts32
29:	cli
	hlt
	jmp	29b

	.code16
pm16b:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	movw	$s_pm16b, %si
	call	puts16
	movl	%cr0, %eax
	andb	$0xfe, %al
	movl	%eax, %cr0
	ljmp	$0, $rm2
rm2:
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	%ax, %fs
	movw	%ax, %gs
	movw	$0x7c00, %sp
	sti
	movw	$s_rm2, %si
	call	puts16
	movl	%cr0, %eax
	movb	$8, %cl
	call	puthex16
	call	nl16
	/* The BIOS again: sector 0 to SCRATCH, the same as at 7C00. */
	movw	$0x0201, %ax
	movw	$0x0001, %cx
	xorb	%dh, %dh
	movb	drive, %dl
	movw	$SCRATCH, %bx
	int	$0x13
	movw	$s_e13b, %si
	jc	fail16
	movw	$0x7c00, %si
	movw	$SCRATCH, %di
	movw	$256, %cx
	repe cmpsw
	movw	$s_ecmp, %si
	jne	fail16
	movw	$s_int13, %si
	call	puts16
	/* Power off: SLP_TYPa and SLP_EN to PM1a_CNT. */
	movw	$s_off, %si
	call	puts16
	movl	pm1a_cnt, %eax
	movb	$4, %cl
	call	puthex16
	movw	$s_val, %si
	call	puts16
	movl	s5_typ, %eax
	shll	$10, %eax
	orw	$0x2000, %ax
	movw	%ax, %bx
	movb	$4, %cl
	call	puthex16
	call	nl16
	movw	$s_ok, %si
	call	puts16
	/* The last line out of the UART before the machine goes: LSR bit 6
	 * (transmitter empty), bounded. */
	movl	$0x100000, %ecx
	movw	port, %dx
	addw	$5, %dx
31:	inb	%dx, %al
	testb	$0x40, %al
	jnz	32f
	decl	%ecx
	jnz	31b
32:	movw	pm1a_cnt, %dx
	movw	%bx, %ax
	outw	%ax, %dx
	movl	$0x1000000, %ecx	/* a while for the machine to go */
30:	decl	%ecx
	jnz	30b
	movw	$s_eoff, %si
	jmp	fail16

	.balign	8
gdt:	.quad	0
	.quad	0x00009b000000ffff	/* 0x08 code, 16-bit, base 0, limit 64 KiB */
	.quad	0x000093000000ffff	/* 0x10 data, 16-bit, base 0, limit 64 KiB */
	.quad	0x00cf9b000000ffff	/* 0x18 code, 32-bit, flat 4 GiB */
	.quad	0x00cf93000000ffff	/* 0x20 data, 32-bit, flat 4 GiB */
gdt_end:
gdtr:	.word	gdt_end - gdt - 1
	.long	gdt

e820_n:	.word	0
rsdp:	.long	0
rsdt:	.long	0
fadt:	.long	0
pm1a_cnt: .long	0
s5_typ:	.long	0
s_read:	.asciz	"rmtest: int13 read sectors=0x"
s_e820:	.asciz	"rmtest: e820 base=0x"
s_len:	.asciz	" len=0x"
s_type:	.asciz	" type="
s_e820n: .asciz	"rmtest: e820 entries=0x"
s_e801:	.asciz	"rmtest: e801 kib_1m_16m=0x"
s_blocks: .asciz " blocks_64k_above=0x"
s_pm16:	.asciz	"rmtest: mode=pm16 cr0=0x"
s_cs:	.asciz	" cs=0x"
s_pm32:	.asciz	"rmtest: mode=pm32 cr0=0x"
s_acpi:	.asciz	"rmtest: acpi rsdp=0x"
s_fadt:	.asciz	" fadt=0x"
s_pm1:	.asciz	" pm1a_cnt=0x"
s_s5:	.asciz	" s5_typ="
s_hi:	.asciz	"rmtest: pm32 memory above 1 MiB ok\n"
s_pm16b: .asciz	"rmtest: mode=pm16 back\n"
s_rm2:	.asciz	"rmtest: mode=real again cr0=0x"
s_int13: .asciz	"rmtest: int13 after protected mode ok\n"
s_off:	.asciz	"rmtest: power-off pm1a_cnt=0x"
s_val:	.asciz	" value=0x"
s_ok:	.asciz	"guest: script=rmtest status=ok\n"
s_esmap: .asciz	"e820 returned no SMAP signature"
s_elong: .asciz	"e820 gave 64 entries or more"
s_ee820: .asciz	"e820 not supported"
s_ee801: .asciz	"e801 not supported"
s_ea20:	.asciz	"memory at 0x110000 is not distinct from 0x010000 (A20 off?)"
s_ersdp: .asciz	"no ACPI RSDP in e0000-fffff"
s_efadt: .asciz	"no FADT in the RSDT"
s_epm1:	.asciz	"the FADT has no PM1a_CNT_BLK"
s_es5:	.asciz	"no _S5 package in the DSDT"
s_e13b:	.asciz	"int13 read after protected mode failed"
s_ecmp:	.asciz	"sector 0 read after protected mode differs from 7c00"
s_eoff:	.asciz	"still running after the power-off write"
	.balign	4
stage2_magic:
	.long	MAGIC
	.balign	512, 0
stage2_end:
	.set	nsect, (stage2_end - stage2) / 512
