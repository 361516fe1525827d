/* The VMCS: field encodings (Intel SDM vol. 3D appendix B "Field encoding
 * in VMCS"), basic exit reasons (appendix C), the interruption-information
 * format (SDM vol. 3C 25.8.3 / 25.9.2) and the VMX instructions as inline
 * functions (SDM vol. 2 / 3C chapter 31). A VMX instruction reports
 * VMfailInvalid with CF=1 and VMfailValid with ZF=1 (31.2); the wrappers
 * return 0 for success, 1 for VMfailValid (the VM-instruction error field
 * says why), 2 for VMfailInvalid. */
#ifndef SHOJI_ARCH_X86_VMCS_H
#define SHOJI_ARCH_X86_VMCS_H

#include "lib/types.h"

/* 16-bit fields (B.1). */
#define VMCS_VPID 0x0000
#define VMCS_GUEST_ES_SEL 0x0800	/* ES CS SS DS FS GS LDTR TR: + 2 each */
#define VMCS_HOST_ES_SEL 0x0c00	/* ES CS SS DS FS GS TR */
#define VMCS_HOST_CS_SEL 0x0c02
#define VMCS_HOST_SS_SEL 0x0c04
#define VMCS_HOST_DS_SEL 0x0c06
#define VMCS_HOST_FS_SEL 0x0c08
#define VMCS_HOST_GS_SEL 0x0c0a
#define VMCS_HOST_TR_SEL 0x0c0c

/* 64-bit fields (B.2). */
#define VMCS_IO_BITMAP_A 0x2000
#define VMCS_IO_BITMAP_B 0x2002
#define VMCS_MSR_BITMAP 0x2004
#define VMCS_EPTP 0x201a
#define VMCS_GUEST_PHYS_ADDR 0x2400
#define VMCS_LINK_POINTER 0x2800
#define VMCS_GUEST_DEBUGCTL 0x2802
#define VMCS_GUEST_PAT 0x2804
#define VMCS_GUEST_EFER 0x2806
#define VMCS_HOST_PAT 0x2c00
#define VMCS_HOST_EFER 0x2c02

/* 32-bit fields (B.3). */
#define VMCS_PIN_CONTROLS 0x4000
#define VMCS_PROC_CONTROLS 0x4002
#define VMCS_EXCEPTION_BITMAP 0x4004
#define VMCS_PF_ERROR_MASK 0x4006
#define VMCS_PF_ERROR_MATCH 0x4008
#define VMCS_CR3_TARGET_COUNT 0x400a
#define VMCS_EXIT_CONTROLS 0x400c
#define VMCS_EXIT_MSR_STORE_COUNT 0x400e
#define VMCS_EXIT_MSR_LOAD_COUNT 0x4010
#define VMCS_ENTRY_CONTROLS 0x4012
#define VMCS_ENTRY_MSR_LOAD_COUNT 0x4014
#define VMCS_ENTRY_INTR_INFO 0x4016
#define VMCS_ENTRY_EXCEPTION_ERROR 0x4018
#define VMCS_ENTRY_INSN_LEN 0x401a
#define VMCS_PROC2_CONTROLS 0x401e
#define VMCS_INSN_ERROR 0x4400
#define VMCS_EXIT_REASON 0x4402
#define VMCS_EXIT_INTR_INFO 0x4404
#define VMCS_EXIT_INTR_ERROR 0x4406
#define VMCS_IDT_VECTORING_INFO 0x4408
#define VMCS_IDT_VECTORING_ERROR 0x440a
#define VMCS_EXIT_INSN_LEN 0x440c
#define VMCS_EXIT_INSN_INFO 0x440e
#define VMCS_GUEST_ES_LIMIT 0x4800	/* ES CS SS DS FS GS LDTR TR: + 2 each */
#define VMCS_GUEST_GDTR_LIMIT 0x4810
#define VMCS_GUEST_IDTR_LIMIT 0x4812
#define VMCS_GUEST_ES_AR 0x4814		/* ES CS SS DS FS GS LDTR TR: + 2 each */
#define VMCS_GUEST_INTERRUPTIBILITY 0x4824
#define VMCS_GUEST_ACTIVITY 0x4826
#define VMCS_GUEST_SYSENTER_CS 0x482a
#define VMCS_HOST_SYSENTER_CS 0x4c00

/* Natural-width fields (B.4). */
#define VMCS_CR0_MASK 0x6000
#define VMCS_CR4_MASK 0x6002
#define VMCS_CR0_SHADOW 0x6004
#define VMCS_CR4_SHADOW 0x6006
#define VMCS_EXIT_QUALIFICATION 0x6400
#define VMCS_GUEST_LINEAR_ADDR 0x640a
#define VMCS_GUEST_CR0 0x6800
#define VMCS_GUEST_CR3 0x6802
#define VMCS_GUEST_CR4 0x6804
#define VMCS_GUEST_ES_BASE 0x6806	/* ES CS SS DS FS GS LDTR TR: + 2 each */
#define VMCS_GUEST_GDTR_BASE 0x6816
#define VMCS_GUEST_IDTR_BASE 0x6818
#define VMCS_GUEST_DR7 0x681a
#define VMCS_GUEST_RSP 0x681c
#define VMCS_GUEST_RIP 0x681e
#define VMCS_GUEST_RFLAGS 0x6820
#define VMCS_GUEST_PENDING_DBG 0x6822
#define VMCS_GUEST_SYSENTER_ESP 0x6824
#define VMCS_GUEST_SYSENTER_EIP 0x6826
#define VMCS_HOST_CR0 0x6c00
#define VMCS_HOST_CR3 0x6c02
#define VMCS_HOST_CR4 0x6c04
#define VMCS_HOST_FS_BASE 0x6c06
#define VMCS_HOST_GS_BASE 0x6c08
#define VMCS_HOST_TR_BASE 0x6c0a
#define VMCS_HOST_GDTR_BASE 0x6c0c
#define VMCS_HOST_IDTR_BASE 0x6c0e
#define VMCS_HOST_SYSENTER_ESP 0x6c10
#define VMCS_HOST_SYSENTER_EIP 0x6c12
#define VMCS_HOST_RSP 0x6c14
#define VMCS_HOST_RIP 0x6c16

/* Guest segment registers in VMCS order (B.1.2, B.3.3, B.4.3). */
enum vmcs_seg { VSEG_ES, VSEG_CS, VSEG_SS, VSEG_DS, VSEG_FS, VSEG_GS, VSEG_LDTR, VSEG_TR };
#define VMCS_SEG_SEL(s) (VMCS_GUEST_ES_SEL + 2 * (s))
#define VMCS_SEG_LIMIT(s) (VMCS_GUEST_ES_LIMIT + 2 * (s))
#define VMCS_SEG_AR(s) (VMCS_GUEST_ES_AR + 2 * (s))
#define VMCS_SEG_BASE(s) (VMCS_GUEST_ES_BASE + 2 * (s))

/* Access rights (25.4.1, table 25-2): type 3:0, S 4, DPL 6:5, P 7, L 13,
 * D/B 14, G 15, unusable 16. */
#define VMX_AR_L (1u << 13)
#define VMX_AR_DB (1u << 14)
#define VMX_AR_UNUSABLE (1u << 16)

/* Basic exit reasons (appendix C, table C-1). */
#define VMX_EXIT_EXCEPTION_NMI 0
#define VMX_EXIT_EXTINT 1
#define VMX_EXIT_TRIPLE_FAULT 2
#define VMX_EXIT_INIT 3
#define VMX_EXIT_SIPI 4
#define VMX_EXIT_IO_SMI 5
#define VMX_EXIT_OTHER_SMI 6
#define VMX_EXIT_NMI_WINDOW 8
#define VMX_EXIT_CPUID 10
#define VMX_EXIT_GETSEC 11
#define VMX_EXIT_INVD 13
#define VMX_EXIT_VMCALL 18
#define VMX_EXIT_VMCLEAR 19
#define VMX_EXIT_VMLAUNCH 20
#define VMX_EXIT_VMPTRLD 21
#define VMX_EXIT_VMPTRST 22
#define VMX_EXIT_VMREAD 23
#define VMX_EXIT_VMRESUME 24
#define VMX_EXIT_VMWRITE 25
#define VMX_EXIT_VMXOFF 26
#define VMX_EXIT_VMXON 27
#define VMX_EXIT_CR_ACCESS 28
#define VMX_EXIT_IO 30
#define VMX_EXIT_RDMSR 31
#define VMX_EXIT_WRMSR 32
#define VMX_EXIT_INVALID_GUEST 33
#define VMX_EXIT_MSR_LOADING 34
#define VMX_EXIT_MACHINE_CHECK 41
#define VMX_EXIT_EPT_VIOLATION 48
#define VMX_EXIT_EPT_MISCONFIG 49
#define VMX_EXIT_INVEPT 50
#define VMX_EXIT_INVVPID 53
#define VMX_EXIT_WBINVD 54
#define VMX_EXIT_XSETBV 55
#define VMX_EXIT_VMFUNC 59

/* Interruption information (entry 25.8.3, exit 25.9.2): vector 7:0, type
 * 10:8, error code valid 11, valid 31. */
#define VMX_INTR_VALID (1u << 31)
#define VMX_INTR_ERROR_VALID (1u << 11)
#define VMX_INTR_TYPE_EXTINT (0u << 8)
#define VMX_INTR_TYPE_NMI (2u << 8)
#define VMX_INTR_TYPE_HW_EXCEPTION (3u << 8)
#define VMX_INTR_TYPE_MASK (7u << 8)

/* Guest interruptibility state (25.4.2, table 25-3). */
#define VMX_INTERRUPTIBILITY_STI (1u << 0)
#define VMX_INTERRUPTIBILITY_MOV_SS (1u << 1)
#define VMX_INTERRUPTIBILITY_NMI (1u << 3)

/* Activity states (25.4.2). */
#define VMX_ACTIVITY_ACTIVE 0
#define VMX_ACTIVITY_WAIT_SIPI 3

/* EPT-violation exit qualification (28.2.1, table 28-7). */
#define EPT_QUAL_READ (1ULL << 0)
#define EPT_QUAL_WRITE (1ULL << 1)
#define EPT_QUAL_FETCH (1ULL << 2)
#define EPT_QUAL_GLA_VALID (1ULL << 7)

#define VMX_FLAGS_FAIL_VALID 1
#define VMX_FLAGS_FAIL_INVALID 2

/* ZF -> fail valid, CF -> fail invalid (31.2). */
#define VMX_RESULT_ASM "\n\tsetz %[zf]\n\tsetc %[cf]"
static inline int vmx_result(uint8_t zf, uint8_t cf)
{
	return cf ? VMX_FLAGS_FAIL_INVALID : zf ? VMX_FLAGS_FAIL_VALID : 0;
}

static inline int vmxon(paddr_t region)
{
	uint8_t zf, cf;

	__asm__ volatile("vmxon %[pa]" VMX_RESULT_ASM
			 : [zf] "=qm"(zf), [cf] "=qm"(cf) : [pa] "m"(region) : "cc", "memory");
	return vmx_result(zf, cf);
}

static inline int vmclear(paddr_t vmcs)
{
	uint8_t zf, cf;

	__asm__ volatile("vmclear %[pa]" VMX_RESULT_ASM
			 : [zf] "=qm"(zf), [cf] "=qm"(cf) : [pa] "m"(vmcs) : "cc", "memory");
	return vmx_result(zf, cf);
}

static inline int vmptrld(paddr_t vmcs)
{
	uint8_t zf, cf;

	__asm__ volatile("vmptrld %[pa]" VMX_RESULT_ASM
			 : [zf] "=qm"(zf), [cf] "=qm"(cf) : [pa] "m"(vmcs) : "cc", "memory");
	return vmx_result(zf, cf);
}

static inline int vmwrite_checked(uint64_t field, uint64_t value)
{
	uint8_t zf, cf;

	__asm__ volatile("vmwrite %[v], %[f]" VMX_RESULT_ASM
			 : [zf] "=qm"(zf), [cf] "=qm"(cf) : [v] "rm"(value), [f] "r"(field)
			 : "cc", "memory");
	return vmx_result(zf, cf);
}

static inline int vmread_checked(uint64_t field, uint64_t *value)
{
	uint8_t zf, cf;
	uint64_t v;

	__asm__ volatile("vmread %[f], %[v]" VMX_RESULT_ASM
			 : [v] "=rm"(v), [zf] "=qm"(zf), [cf] "=qm"(cf) : [f] "r"(field)
			 : "cc", "memory");
	*value = v;
	return vmx_result(zf, cf);
}

/* INVEPT (SDM vol. 2 "INVEPT"): type 1 single-context, 2 all-context; the
 * descriptor is the EPTP and a reserved quadword. */
static inline int invept(uint64_t type, uint64_t eptp)
{
	struct {
		uint64_t eptp, zero;
	} desc = { eptp, 0 };
	uint8_t zf, cf;

	__asm__ volatile("invept %[d], %[t]" VMX_RESULT_ASM
			 : [zf] "=qm"(zf), [cf] "=qm"(cf) : [d] "m"(desc), [t] "r"(type)
			 : "cc", "memory");
	return vmx_result(zf, cf);
}

#endif
