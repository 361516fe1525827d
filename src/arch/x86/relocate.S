/* void relocate_and_switch(paddr_t dst, const void *src, uint64_t len,
 *                          paddr_t new_cr3)
 * Copies the running image (code, data, .bss and the stack we are on) to dst
 * through the identity map and loads new_cr3, which maps the image's link
 * address to dst. Nothing is written to the stack between the copy and the
 * switch, so the copy is exact; the return address was pushed before. */
	.text
	.globl relocate_and_switch
relocate_and_switch:
	movq %rcx, %rax
	movq %rdx, %rcx
	shrq $3, %rcx			/* quadwords: TCG runs REP MOVS one */
	cld				/* element per iteration, MOVSB was ~8x */
	rep movsq			/* the time (~80 ms for 1.6 MiB) */
	movq %rdx, %rcx
	andq $7, %rcx
	rep movsb
	movq %rax, %cr3
	ret
