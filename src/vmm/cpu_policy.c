/* CPUID and MSR policy for the guest (see vcpu.h). Bit numbers: AMD APM
 * vol. 3 appendix E (CPUID), Intel SDM vol. 2A CPUID, APM vol. 2 15.30
 * (SVM MSRs). */
#include "lib/string.h"
#include "vmm/vcpu.h"

#define CPUID_1_ECX_VMX (1u << 5)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_80000001_ECX_SVM (1u << 2)
#define MSR_EFER 0xC0000080u
#define MSR_VM_CR 0xC0010114u
#define MSR_VM_HSAVE_PA 0xC0010117u
#define MSR_SVM_KEY 0xC0010118u
#define EFER_SVME (1ULL << 12)
#define VM_CR_LOCK (1u << 3)
#define VM_CR_SVMDIS (1u << 4)

void cpu_policy_cpuid(uint32_t leaf, uint32_t subleaf, uint32_t r[4])
{
	(void)subleaf;
	switch (leaf) {
	case 1:
		r[2] &= ~CPUID_1_ECX_VMX;
		r[2] |= CPUID_1_ECX_HYPERVISOR;
		break;
	case 0x80000001:
		r[2] &= ~CPUID_80000001_ECX_SVM;
		break;
	case 0x8000000A:	/* SVM features: none */
		r[0] = r[1] = r[2] = r[3] = 0;
		break;
	case SHOJI_CPUID_BASE:
		r[0] = SHOJI_CPUID_BASE + 1;	/* highest hypervisor leaf */
		memcpy(&r[1], SHOJI_CPUID_SIGNATURE, 4);
		memcpy(&r[2], SHOJI_CPUID_SIGNATURE + 4, 4);
		memcpy(&r[3], SHOJI_CPUID_SIGNATURE + 8, 4);
		break;
	case SHOJI_CPUID_BASE + 1:
		r[0] = r[1] = r[2] = r[3] = 0;	/* no paravirtual features */
		break;
	default:
		break;
	}
}

enum msr_verdict cpu_policy_rdmsr(uint32_t msr, uint64_t efer, uint64_t *value)
{
	switch (msr) {
	case MSR_EFER:
		*value = efer & ~EFER_SVME;
		return MSR_HANDLED;
	case MSR_VM_CR:
		/* SVM disabled and locked, as firmware that turned it off says. */
		*value = VM_CR_LOCK | VM_CR_SVMDIS;
		return MSR_HANDLED;
	case MSR_VM_HSAVE_PA:
	case MSR_SVM_KEY:
		return MSR_FAULT;
	default:
		return MSR_PASSTHROUGH;
	}
}

enum msr_verdict cpu_policy_wrmsr(uint32_t msr, uint64_t value, uint64_t *efer)
{
	switch (msr) {
	case MSR_EFER:
		if (value & EFER_SVME)
			return MSR_FAULT;	/* SVM does not exist for the guest */
		*efer = value | EFER_SVME;	/* VMRUN needs it in the guest state */
		return MSR_HANDLED;
	case MSR_VM_CR:
	case MSR_VM_HSAVE_PA:
	case MSR_SVM_KEY:
		return MSR_FAULT;
	default:
		return MSR_PASSTHROUGH;
	}
}
