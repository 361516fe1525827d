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
 * (VMfailInvalid, CF: no current VMCS). struct vcpu_regs: vmm/vcpu.h, its
 * offsets arch/x86/guest_gprs.h. */
#include "arch/x86/guest_gprs.h"

#define VMCS_HOST_RSP 0x6c14

	.text
	.globl vmx_enter
	.globl vmx_exit_entry
vmx_enter:
	HOST_SAVE_CALLEE_SAVED
	pushq %rdi			/* 0(%rsp): regs, for the exit */

	movq $VMCS_HOST_RSP, %rax
	vmwrite %rsp, %rax
	jbe 3f				/* no current VMCS or the field refused */
	movl %esi, %eax			/* launched: keep it past the loads */

	GUEST_GPRS_LOAD %rdi
	movq GPR_RSI(%rdi), %rsi
	testl %eax, %eax
	movq GPR_RAX(%rdi), %rax	/* mov leaves the flags of the test */
	movq GPR_RDI(%rdi), %rdi
	jnz 1f
	vmlaunch
	jmp 3f
1:	vmresume
3:	/* The entry instruction failed (or the VMWRITE): CF or ZF set. */
	movl $2, %eax
	jc 4f
	movl $1, %eax
4:	popq %rdi
	HOST_RESTORE_CALLEE_SAVED
	ret

vmx_exit_entry:
	pushq %rdi			/* the guest's RDI, while we need the pointer */
	movq 8(%rsp), %rdi
	movq %rax, GPR_RAX(%rdi)
	GUEST_GPRS_STORE %rdi
	movq %rsi, GPR_RSI(%rdi)
	popq %rax
	movq %rax, GPR_RDI(%rdi)
	xorl %eax, %eax
	jmp 4b
