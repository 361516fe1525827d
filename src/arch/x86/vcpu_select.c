/* The back-end for this CPU (see vcpu_select.h): CPUID bits from the AMD
 * APM vol. 3 appendix E (80000001h ECX bit 2, SVM) and the Intel SDM vol. 2A
 * CPUID (leaf 1 ECX bit 5, VMX). */
#include "arch/x86/cpu.h"
#include "arch/x86/svm_vcpu.h"
#include "arch/x86/vcpu_select.h"
#include "arch/x86/vmx_vcpu.h"
#include "lib/log.h"
#include "vmm/apic_guard.h"

STATIC_ASSERT(VCPU_APIC_CLASSES == APIC_CLASS_N, "vcpu_stats.apic_write has a slot per class");

const struct vcpu_backend *vcpu_backend_for_this_cpu(void)
{
	static const struct vcpu_backend *chosen;
	bool svm, vmx;

	if (chosen)
		return chosen;
	svm = cpuid(0x80000000, 0).eax >= 0x80000001 && (cpuid(0x80000001, 0).ecx & (1u << 2));
	vmx = cpuid(1, 0).ecx & (1u << 5);
	chosen = svm ? &svm_backend : vmx ? &vmx_backend : &svm_backend;
	log_info("cpu backend=%s svm=%s vmx=%s", chosen->name, svm ? "yes" : "no",
		 vmx ? "yes" : "no");
	return chosen;
}
