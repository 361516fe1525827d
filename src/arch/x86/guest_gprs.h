/* The guest's general registers as both run stubs (svm_run.S, vmx_run.S)
 * load and store them: struct vcpu_regs (vmm/vcpu.h), whose offsets are
 * below and checked at compile time (arch/x86/svm.c). RAX and RSP are the
 * control block's on SVM (the VMCB's RAX and RSP), RSP the VMCS's on VT-x:
 * each stub moves those itself. Usable from C and from assembly. */
#ifndef SHOJI_ARCH_X86_GUEST_GPRS_H
#define SHOJI_ARCH_X86_GUEST_GPRS_H

#define GPR_RAX 0x00
#define GPR_RBX 0x08
#define GPR_RCX 0x10
#define GPR_RDX 0x18
#define GPR_RSI 0x20
#define GPR_RDI 0x28
#define GPR_RBP 0x30
#define GPR_RSP 0x38
#define GPR_R8 0x40	/* r8..r15 follow, 8 bytes each */

#ifdef __ASSEMBLER__
/* The host's callee-saved registers (SysV x86-64 ABI), around a run. */
.macro HOST_SAVE_CALLEE_SAVED
	pushq %rbp
	pushq %rbx
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
.endm

.macro HOST_RESTORE_CALLEE_SAVED
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbx
	popq %rbp
.endm

/* The guest's RBX, RCX, RDX, RBP and R8-R15 from / into the struct at
 * \regs (a register the macro does not touch). RAX, RSI, RDI and RSP are
 * the stubs' own business: one of them holds the pointer. */
.macro GUEST_GPRS_LOAD regs
	movq GPR_RBX(\regs), %rbx
	movq GPR_RCX(\regs), %rcx
	movq GPR_RDX(\regs), %rdx
	movq GPR_RBP(\regs), %rbp
	movq GPR_R8 + 0x00(\regs), %r8
	movq GPR_R8 + 0x08(\regs), %r9
	movq GPR_R8 + 0x10(\regs), %r10
	movq GPR_R8 + 0x18(\regs), %r11
	movq GPR_R8 + 0x20(\regs), %r12
	movq GPR_R8 + 0x28(\regs), %r13
	movq GPR_R8 + 0x30(\regs), %r14
	movq GPR_R8 + 0x38(\regs), %r15
.endm

.macro GUEST_GPRS_STORE regs
	movq %rbx, GPR_RBX(\regs)
	movq %rcx, GPR_RCX(\regs)
	movq %rdx, GPR_RDX(\regs)
	movq %rbp, GPR_RBP(\regs)
	movq %r8, GPR_R8 + 0x00(\regs)
	movq %r9, GPR_R8 + 0x08(\regs)
	movq %r10, GPR_R8 + 0x10(\regs)
	movq %r11, GPR_R8 + 0x18(\regs)
	movq %r12, GPR_R8 + 0x20(\regs)
	movq %r13, GPR_R8 + 0x28(\regs)
	movq %r14, GPR_R8 + 0x30(\regs)
	movq %r15, GPR_R8 + 0x38(\regs)
.endm
#else
#include <stddef.h>
#include "vmm/vcpu.h"

_Static_assert(offsetof(struct vcpu_regs, rax) == GPR_RAX, "GPR_RAX");
_Static_assert(offsetof(struct vcpu_regs, rbx) == GPR_RBX, "GPR_RBX");
_Static_assert(offsetof(struct vcpu_regs, rcx) == GPR_RCX, "GPR_RCX");
_Static_assert(offsetof(struct vcpu_regs, rdx) == GPR_RDX, "GPR_RDX");
_Static_assert(offsetof(struct vcpu_regs, rsi) == GPR_RSI, "GPR_RSI");
_Static_assert(offsetof(struct vcpu_regs, rdi) == GPR_RDI, "GPR_RDI");
_Static_assert(offsetof(struct vcpu_regs, rbp) == GPR_RBP, "GPR_RBP");
_Static_assert(offsetof(struct vcpu_regs, rsp) == GPR_RSP, "GPR_RSP");
_Static_assert(offsetof(struct vcpu_regs, r8) == GPR_R8, "GPR_R8");
_Static_assert(offsetof(struct vcpu_regs, r15) == GPR_R8 + 0x38, "GPR_R15");
#endif

#endif
