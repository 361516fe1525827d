/* AMD SVM: the VMCB and the intercepts shoji uses. Layout and bit numbers
 * from the AMD64 Architecture Programmer's Manual vol. 2, chapter 15 and
 * appendix B ("Layout of VMCB"); exit codes from appendix C. */
#ifndef SHOJI_ARCH_X86_SVM_H
#define SHOJI_ARCH_X86_SVM_H

#include "lib/types.h"

struct vmcb_seg {
	uint16_t selector;
	uint16_t attrib;	/* packed: type(3:0) S(4) DPL(6:5) P(7) AVL(8) L(9) DB(10) G(11) */
	uint32_t limit;
	uint64_t base;
} PACKED;

struct vmcb_control {
	uint32_t intercept_cr;		/* 0x000: reads 15:0, writes 31:16 */
	uint32_t intercept_dr;		/* 0x004 */
	uint32_t intercept_exceptions;	/* 0x008 */
	uint32_t intercept_misc1;	/* 0x00c */
	uint32_t intercept_misc2;	/* 0x010 */
	uint32_t intercept_misc3;	/* 0x014 */
	uint8_t reserved1[0x3c - 0x18];
	uint16_t pause_filter_threshold;	/* 0x03c */
	uint16_t pause_filter_count;	/* 0x03e */
	uint64_t iopm_base_pa;		/* 0x040 */
	uint64_t msrpm_base_pa;		/* 0x048 */
	uint64_t tsc_offset;		/* 0x050 */
	uint32_t guest_asid;		/* 0x058 */
	uint8_t tlb_control;		/* 0x05c */
	uint8_t reserved2[3];
	uint64_t vintr;			/* 0x060 */
	uint64_t interrupt_shadow;	/* 0x068 */
	uint64_t exit_code;		/* 0x070 */
	uint64_t exit_info1;		/* 0x078 */
	uint64_t exit_info2;		/* 0x080 */
	uint64_t exit_int_info;		/* 0x088 */
	uint64_t np_enable;		/* 0x090 */
	uint64_t avic_apic_bar;		/* 0x098 */
	uint64_t ghcb_pa;		/* 0x0a0 */
	uint64_t event_inj;		/* 0x0a8 */
	uint64_t n_cr3;			/* 0x0b0 */
	uint64_t lbr_virt;		/* 0x0b8 */
	uint32_t clean_bits;		/* 0x0c0 */
	uint32_t reserved3;
	uint64_t next_rip;		/* 0x0c8 */
	uint8_t insn_len;		/* 0x0d0 */
	uint8_t insn_bytes[15];
	uint8_t reserved4[0x400 - 0xe0];
} PACKED;

struct vmcb_save {
	struct vmcb_seg es, cs, ss, ds, fs, gs, gdtr, ldtr, idtr, tr;	/* 0x400.. */
	uint8_t reserved1[0x4cb - 0x4a0];
	uint8_t cpl;			/* 0x4cb */
	uint32_t reserved2;
	uint64_t efer;			/* 0x4d0 */
	uint8_t reserved3[0x548 - 0x4d8];
	uint64_t cr4;			/* 0x548 */
	uint64_t cr3;
	uint64_t cr0;
	uint64_t dr7;
	uint64_t dr6;
	uint64_t rflags;
	uint64_t rip;			/* 0x578 */
	uint8_t reserved4[0x5d8 - 0x580];
	uint64_t rsp;			/* 0x5d8 */
	uint8_t reserved5[0x5f8 - 0x5e0];
	uint64_t rax;			/* 0x5f8 */
	uint64_t star, lstar, cstar, sfmask, kernel_gs_base;
	uint64_t sysenter_cs, sysenter_esp, sysenter_eip;
	uint64_t cr2;			/* 0x640 */
	uint8_t reserved6[0x668 - 0x648];
	uint64_t g_pat;			/* 0x668 */
	uint64_t dbgctl;
	uint8_t reserved7[0x1000 - 0x678];
} PACKED;

struct vmcb {
	struct vmcb_control ctl;
	struct vmcb_save save;
} PACKED;

STATIC_ASSERT(sizeof(struct vmcb_control) == 0x400, "VMCB control area");
STATIC_ASSERT(__builtin_offsetof(struct vmcb, save.efer) == 0x4d0, "VMCB EFER");
STATIC_ASSERT(__builtin_offsetof(struct vmcb, save.rip) == 0x578, "VMCB RIP");
STATIC_ASSERT(__builtin_offsetof(struct vmcb, save.rax) == 0x5f8, "VMCB RAX");
STATIC_ASSERT(__builtin_offsetof(struct vmcb, save.g_pat) == 0x668, "VMCB PAT");
STATIC_ASSERT(sizeof(struct vmcb) == 0x1000, "VMCB size");

/* intercept_misc1 (APM B-1, offset 0x0c) */
#define SVM_INTERCEPT_NMI		(1u << 1)
#define SVM_INTERCEPT_SMI		(1u << 2)
#define SVM_INTERCEPT_INIT		(1u << 3)
#define SVM_INTERCEPT_CPUID		(1u << 18)
#define SVM_INTERCEPT_INVD		(1u << 22)
#define SVM_INTERCEPT_IOIO		(1u << 27)
#define SVM_INTERCEPT_MSR		(1u << 28)
#define SVM_INTERCEPT_SHUTDOWN		(1u << 31)
/* intercept_misc2 (offset 0x10): every SVM instruction, so the guest
 * cannot run nested guests or touch the hypervisor's GIF. */
#define SVM_INTERCEPT_VMRUN		(1u << 0)	/* required by VMRUN */
#define SVM_INTERCEPT_VMMCALL		(1u << 1)
#define SVM_INTERCEPT_VMLOAD		(1u << 2)
#define SVM_INTERCEPT_VMSAVE		(1u << 3)
#define SVM_INTERCEPT_STGI		(1u << 4)
#define SVM_INTERCEPT_CLGI		(1u << 5)
#define SVM_INTERCEPT_SKINIT		(1u << 6)

/* Exit codes (APM appendix C). */
/* intercept_cr: reads of CRn at bit n, writes at bit 16 + n (APM 15.9). */
#define SVM_INTERCEPT_CR_WRITE(n)	(1u << (16 + (n)))
#define SVM_EXIT_CR0_WRITE	0x010
#define SVM_EXIT_CR4_WRITE	0x014
#define SVM_EXIT_EXCP_BASE	0x040
#define SVM_EXIT_NMI		0x061
#define SVM_EXIT_SMI		0x062
#define SVM_EXIT_INIT		0x063
#define SVM_EXIT_CPUID		0x072
#define SVM_EXIT_INVD		0x076
#define SVM_EXIT_IOIO		0x07b
#define SVM_EXIT_MSR		0x07c
#define SVM_EXIT_SHUTDOWN	0x07f
#define SVM_EXIT_VMRUN		0x080
#define SVM_EXIT_VMMCALL	0x081
#define SVM_EXIT_VMLOAD		0x082
#define SVM_EXIT_VMSAVE		0x083
#define SVM_EXIT_STGI		0x084
#define SVM_EXIT_CLGI		0x085
#define SVM_EXIT_SKINIT		0x086
#define SVM_EXIT_NPF		0x400
#define SVM_EXIT_INVALID	((uint64_t)-1)

/* IOIO exit_info1 (APM 15.10.2) */
#define SVM_IOIO_IN		(1u << 0)
#define SVM_IOIO_STR		(1u << 2)
#define SVM_IOIO_REP		(1u << 3)
#define SVM_IOIO_SIZE(i)	(((i) >> 4) & 7)	/* 1, 2 or 4 bytes */
#define SVM_IOIO_PORT(i)	((uint16_t)((i) >> 16))

/* NPF exit_info1: the page-fault error code (APM 15.25.6). */
#define SVM_NPF_PRESENT		(1u << 0)
#define SVM_NPF_WRITE		(1u << 1)
#define SVM_NPF_FETCH		(1u << 4)

/* EVENTINJ (APM 15.20) */
#define SVM_EVTINJ_VALID	(1ULL << 31)
#define SVM_EVTINJ_ERR_VALID	(1ULL << 11)
#define SVM_EVTINJ_TYPE_EXCP	(3ULL << 8)
#define SVM_EVTINJ_TYPE_NMI	(2ULL << 8)

#define MSR_VM_CR		0xC0010114
#define MSR_VM_HSAVE_PA		0xC0010117
#define VM_CR_LOCK		(1u << 3)
#define VM_CR_SVMDIS		(1u << 4)
#define EFER_SVME		(1ULL << 12)
#define CPUID_80000001_ECX_SVM	(1u << 2)
#define CPUID_8000000A_EDX_NP	(1u << 0)

/* Guest general registers the VMCB does not hold (RAX and RSP it does). */

/* svm_run.S: VMLOAD/VMRUN/VMSAVE with the guest's registers loaded. */
struct vcpu_regs;
/* regs: RBX..R15 (RAX and RSP are the VMCB's). */
void svm_vmrun(paddr_t vmcb_pa, struct vcpu_regs *regs, paddr_t host_save_pa);

#endif
