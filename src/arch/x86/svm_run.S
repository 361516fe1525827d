/* void svm_vmrun(paddr_t vmcb_pa, struct vcpu_regs *regs, paddr_t host_save_pa)
 *
 * One guest run (AMD APM vol. 2, 15.5): save the host's VMLOAD/VMSAVE state
 * (FS/GS/TR/LDTR bases, syscall MSRs) to host_save_pa, load the guest's,
 * load the guest's general registers, VMRUN; on #VMEXIT store the guest's
 * registers and VMLOAD/VMSAVE state back and restore the host's. RAX and
 * RSP travel in the VMCB (regs' rax and rsp are not used); #VMEXIT restores
 * the host's RAX (= vmcb_pa) and RSP. Register offsets: arch/x86/guest_gprs.h. */
#include "arch/x86/guest_gprs.h"

	.text
	.globl svm_vmrun
svm_vmrun:
	HOST_SAVE_CALLEE_SAVED
	pushq %rsi			/* 16(%rsp): regs */
	pushq %rdi			/* 8(%rsp): vmcb */
	pushq %rdx			/* 0(%rsp): host save area */

	movq %rdx, %rax
	vmsave %rax
	movq 8(%rsp), %rax
	vmload %rax

	GUEST_GPRS_LOAD %rsi
	movq GPR_RDI(%rsi), %rdi
	movq GPR_RSI(%rsi), %rsi

	vmrun %rax

	vmsave %rax
	pushq %rsi			/* the guest's RSI, while we need the pointer */
	movq 24(%rsp), %rsi
	GUEST_GPRS_STORE %rsi
	movq %rdi, GPR_RDI(%rsi)
	popq %rax
	movq %rax, GPR_RSI(%rsi)

	movq 0(%rsp), %rax
	vmload %rax
	addq $24, %rsp
	HOST_RESTORE_CALLEE_SAVED
	ret
