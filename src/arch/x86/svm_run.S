/* void svm_vmrun(paddr_t vmcb_pa, struct guest_regs *regs, paddr_t host_save_pa)
 *
 * One guest run (AMD APM vol. 2, 15.5): save the host's VMLOAD/VMSAVE state
 * (FS/GS/TR/LDTR bases, syscall MSRs) to host_save_pa, load the guest's,
 * load the guest's general registers, VMRUN; on #VMEXIT store the guest's
 * registers and VMLOAD/VMSAVE state back and restore the host's. RAX and
 * RSP travel in the VMCB; #VMEXIT restores the host's RAX (= vmcb_pa) and
 * RSP. struct guest_regs layout: arch/x86/svm.h. */
#define R_RBX 0x00
#define R_RCX 0x08
#define R_RDX 0x10
#define R_RSI 0x18
#define R_RDI 0x20
#define R_RBP 0x28
#define R_R8 0x30

	.text
	.globl svm_vmrun
svm_vmrun:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rsi			/* 16(%rsp): regs */
	pushq %rdi			/* 8(%rsp): vmcb */
	pushq %rdx			/* 0(%rsp): host save area */

	movq %rdx, %rax
	vmsave %rax
	movq 8(%rsp), %rax
	vmload %rax

	movq R_RBX(%rsi), %rbx
	movq R_RCX(%rsi), %rcx
	movq R_RDX(%rsi), %rdx
	movq R_RDI(%rsi), %rdi
	movq R_RBP(%rsi), %rbp
	movq R_R8 + 0x00(%rsi), %r8
	movq R_R8 + 0x08(%rsi), %r9
	movq R_R8 + 0x10(%rsi), %r10
	movq R_R8 + 0x18(%rsi), %r11
	movq R_R8 + 0x20(%rsi), %r12
	movq R_R8 + 0x28(%rsi), %r13
	movq R_R8 + 0x30(%rsi), %r14
	movq R_R8 + 0x38(%rsi), %r15
	movq R_RSI(%rsi), %rsi

	vmrun %rax

	vmsave %rax
	pushq %rsi			/* the guest's RSI, while we need the pointer */
	movq 24(%rsp), %rsi
	movq %rbx, R_RBX(%rsi)
	movq %rcx, R_RCX(%rsi)
	movq %rdx, R_RDX(%rsi)
	movq %rdi, R_RDI(%rsi)
	movq %rbp, R_RBP(%rsi)
	movq %r8, R_R8 + 0x00(%rsi)
	movq %r9, R_R8 + 0x08(%rsi)
	movq %r10, R_R8 + 0x10(%rsi)
	movq %r11, R_R8 + 0x18(%rsi)
	movq %r12, R_R8 + 0x20(%rsi)
	movq %r13, R_R8 + 0x28(%rsi)
	movq %r14, R_R8 + 0x30(%rsi)
	movq %r15, R_R8 + 0x38(%rsi)
	popq %rax
	movq %rax, R_RSI(%rsi)

	movq 0(%rsp), %rax
	vmload %rax
	addq $24, %rsp
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret
