/* The real-mode code of guest=disk (docs/firmware-boot.md): core/guest.c
 * copies it below the EBDA, takes that memory out of the BIOS's base-memory
 * count and the guest's memory map, and starts the guest at
 * fwboot_stub_boot with CS = the copy's address / 16 (so every offset here
 * is relative to fwboot_stub) and DL = the boot drive. It is guest code: it
 * runs with the guest's privileges and relies on nothing but the BIOS.
 *
 * fwboot_stub_int15: vector 0x15 points here. The VMMCALL goes to shoji
 *   (vmm/bios_hook.c), which answers E820h/E801h/88h and returns to the
 *   IRET, or sends CS:IP to the firmware's own handler.
 * fwboot_stub_boot: what the BIOS's bootstrap (INT 19h) does for a hard
 *   disk: read sector 0 of drive DL to 0000:7C00 with INT 13h AH=02h
 *   (three tries, a drive reset between), check the 0x55AA signature, jump
 *   to 0000:7C00 with DL = the drive. On failure: VMMCALL at
 *   fwboot_stub_fail with AH = INT 13h's status and BX = 0 (read error) or
 *   1 (no signature); shoji logs it and stops. */
	.section .rodata.fwboot_stub, "a"
	.code16
	.globl fwboot_stub, fwboot_stub_end, fwboot_stub_int15, fwboot_stub_boot
	.globl fwboot_stub_fail

fwboot_stub:
fwboot_stub_int15:
	vmmcall
	iret

fwboot_stub_boot:
	cli
	cld
	xorw	%ax, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movw	$0x7c00, %sp
	sti
	movw	$3, %bp			/* tries */
1:	movw	$0x0201, %ax		/* AH=02h read, AL=1 sector */
	movw	$0x0001, %cx		/* cylinder 0, sector 1 */
	xorb	%dh, %dh		/* head 0 */
	movw	$0x7c00, %bx		/* to ES:BX = 0000:7C00 */
	pushw	%dx
	int	$0x13
	popw	%dx
	jnc	2f
	pushw	%ax
	pushw	%dx
	xorb	%ah, %ah		/* AH=00h: reset the drive, then try again */
	int	$0x13
	popw	%dx
	popw	%ax
	decw	%bp
	jnz	1b
	xorw	%bx, %bx		/* BX=0: the read failed, AH = status */
	jmp	fwboot_stub_fail
2:	cmpw	$0xaa55, 0x7dfe
	je	3f
	movw	$1, %bx			/* BX=1: no boot signature */
fwboot_stub_fail:
	vmmcall				/* shoji stops; never returns */
4:	hlt
	jmp	4b
3:	ljmp	$0, $0x7c00		/* DL = the boot drive */
fwboot_stub_end:
