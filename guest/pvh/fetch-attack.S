/* fetch-attack: a bare PVH guest kernel (no Linux) that runs code at a
 * physical address with paging off, where shoji's instruction emulator
 * would fetch the bytes itself (issue 11). Entered in 32-bit protected mode,
 * paging off, flat segments, EBX = hvm_start_info (Xen docs/misc/pvh.pandoc).
 *
 * Its command line holds the target address ("target=0x3be00000"). It
 * copies `stub` there and jumps to it. The stub reads the local APIC's
 * version register (0xfee00030): under shoji that page is emulated, so the
 * access exits and shoji decodes the instruction at CS:RIP, i.e. at the
 * target, with paging off. Then the stub prints
 *   guest: fetch-attack executed-at-target apic_version=0x...
 * and halts. Natively that is what happens: the target is RAM. Under shoji
 * the target is the hypervisor region: the copy lands on a sink page, and
 * the jump must not run it (stand-in pages are NX), nor may the emulator
 * read the real bytes behind it (guest_mem checks paging-off fetches).
 *
 * Built by tests/integration/test_fetch_attack.py:
 *   cc -c fetch-attack.S && ld -N -Ttext=0x200000 -o fetch-attack.elf fetch-attack.o */
#define COM1 0x3f8
#define XEN_ELFNOTE_PHYS32_ENTRY 18

	.section .note.pvh, "a"
	.balign 4
	.long 4			/* name size: "Xen\0" */
	.long 4			/* desc size */
	.long XEN_ELFNOTE_PHYS32_ENTRY
	.asciz "Xen"
	.long _start

	.text
	.code32
	.globl _start
_start:
	cli
	lea stack_top, %esp	/* PVH leaves ESP undefined (shoji: 0) */
	lea msg_start, %esi
	call puts
	/* hvm_start_info.cmdline_paddr: offset 24 (low 32 bits). */
	mov 24(%ebx), %esi
	call find_hex
	test %eax, %eax
	jz no_target
	mov %eax, %edi
	push %edi
	lea msg_jump, %esi
	call puts
	pop %edi
	/* Copy the stub to the target and run it there. */
	lea stub, %esi
	mov $(stub_end - stub), %ecx
	push %edi
	rep movsb
	pop %edi
	jmp *%edi

no_target:
	lea msg_none, %esi
	call puts
1:	hlt
	jmp 1b

/* find_hex: ESI = NUL-terminated string; EAX = the value of the first
 * "0x..." in it, 0 if none. */
find_hex:
	xor %eax, %eax
2:	movb (%esi), %dl
	test %dl, %dl
	jz 5f
	cmpb $'0', %dl
	jne 3f
	cmpb $'x', 1(%esi)
	je 4f
3:	inc %esi
	jmp 2b
4:	add $2, %esi
6:	movzbl (%esi), %edx
	sub $'0', %edx
	cmp $9, %edx
	jbe 7f
	movzbl (%esi), %edx
	sub $'a', %edx
	cmp $5, %edx
	ja 5f
	add $10, %edx
7:	shl $4, %eax
	or %edx, %eax
	inc %esi
	jmp 6b
5:	ret

/* puts: ESI = NUL-terminated string to COM1 (no flow control: QEMU's UART
 * takes every byte). */
puts:
	mov $COM1, %dx
8:	lodsb
	test %al, %al
	jz 9f
	out %al, %dx
	jmp 8b
9:	ret

/* Position independent: it runs wherever it was copied. */
stub:
	mov $0xfee00030, %eax
	mov (%eax), %ecx		/* the emulated access */
	mov $COM1, %dx
	call 10f
	.ascii "guest: fetch-attack executed-at-target apic_version=0x"
	.byte 0
10:	pop %esi
11:	lodsb
	test %al, %al
	jz 12f
	out %al, %dx
	jmp 11b
12:	mov $8, %ebx			/* eight hex digits of ECX */
13:	rol $4, %ecx
	mov %ecx, %eax
	and $0xf, %eax
	add $'0', %al
	cmp $'9', %al
	jbe 14f
	add $('a' - '9' - 1), %al
14:	out %al, %dx
	dec %ebx
	jnz 13b
	mov $'\n', %al
	out %al, %dx
15:	hlt
	jmp 15b
stub_end:

	.bss
	.balign 16
	.skip 4096
stack_top:

	.section .rodata
msg_start: .asciz "guest: fetch-attack start\n"
msg_jump: .asciz "guest: fetch-attack jump\n"
msg_none: .asciz "guest: fetch-attack error: no target=0x... on the command line\n"
