/* int vmx_enter(struct vcpu_regs *regs, int launched)
 *
 * One guest run (Intel SDM vol. 3C, 28 "VM entries", 29 "VM exits"): the
 * host's callee-saved registers and the regs pointer go on the stack, RSP
 * becomes the VMCS's host RSP, the guest's general registers (all but RSP,
 * which the VMCS holds) are loaded, then VMLAUNCH (first run) or VMRESUME.
 * A VM exit lands at vmx_exit_entry (the VMCS's host RIP) with that RSP:
 * the guest's registers are stored into *regs and 0 is returned. When the
 * entry instruction itself fails, nothing was loaded into the CPU: the
 * host's registers come back from the stack and the result is 1
 * (VMfailValid, ZF: the VM-instruction error field says why) or 2
 * (VMfailInvalid, CF: no current VMCS). struct vcpu_regs: vmm/vcpu.h. */
#define R_RAX 0x00
#define R_RBX 0x08
#define R_RCX 0x10
#define R_RDX 0x18
#define R_RSI 0x20
#define R_RDI 0x28
#define R_RBP 0x30
#define R_R8 0x40
#define VMCS_HOST_RSP 0x6c14

	.text
	.globl vmx_enter
	.globl vmx_exit_entry
vmx_enter:
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rdi			/* 0(%rsp): regs, for the exit */

	movq $VMCS_HOST_RSP, %rax
	vmwrite %rsp, %rax
	jbe 3f				/* no current VMCS or the field refused */
	movl %esi, %eax			/* launched: keep it past the loads */

	movq R_RBX(%rdi), %rbx
	movq R_RCX(%rdi), %rcx
	movq R_RDX(%rdi), %rdx
	movq R_RSI(%rdi), %rsi
	movq R_RBP(%rdi), %rbp
	movq R_R8 + 0x00(%rdi), %r8
	movq R_R8 + 0x08(%rdi), %r9
	movq R_R8 + 0x10(%rdi), %r10
	movq R_R8 + 0x18(%rdi), %r11
	movq R_R8 + 0x20(%rdi), %r12
	movq R_R8 + 0x28(%rdi), %r13
	movq R_R8 + 0x30(%rdi), %r14
	movq R_R8 + 0x38(%rdi), %r15
	testl %eax, %eax
	movq R_RAX(%rdi), %rax		/* mov leaves the flags of the test */
	movq R_RDI(%rdi), %rdi
	jnz 1f
	vmlaunch
	jmp 3f
1:	vmresume
3:	/* The entry instruction failed (or the VMWRITE): CF or ZF set. */
	movl $2, %eax
	jc 4f
	movl $1, %eax
4:	popq %rdi
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
	ret

vmx_exit_entry:
	pushq %rdi			/* the guest's RDI, while we need the pointer */
	movq 8(%rsp), %rdi
	movq %rax, R_RAX(%rdi)
	movq %rbx, R_RBX(%rdi)
	movq %rcx, R_RCX(%rdi)
	movq %rdx, R_RDX(%rdi)
	movq %rsi, R_RSI(%rdi)
	movq %rbp, R_RBP(%rdi)
	movq %r8, R_R8 + 0x00(%rdi)
	movq %r9, R_R8 + 0x08(%rdi)
	movq %r10, R_R8 + 0x10(%rdi)
	movq %r11, R_R8 + 0x18(%rdi)
	movq %r12, R_R8 + 0x20(%rdi)
	movq %r13, R_R8 + 0x28(%rdi)
	movq %r14, R_R8 + 0x30(%rdi)
	movq %r15, R_R8 + 0x38(%rdi)
	popq %rax
	movq %rax, R_RDI(%rdi)
	xorl %eax, %eax
	jmp 4b
