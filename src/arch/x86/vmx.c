/* VT-x detection (see vmx.h). SDM vol. 3C, 24.6 "Discovering support for
 * VMX" and 24.7 "Enabling and entering VMX operation". */
#include "arch/x86/cpu.h"
#include "arch/x86/vmx.h"
#include "lib/error.h"
#include "lib/log.h"

#define CPUID_1_ECX_VMX (1u << 5)

/* Reads the MSRs in the order their existence is defined: a missing one
 * would #GP (A.3.3, A.10, A.2). */
static void read_caps(struct vmx_cap_msrs *m)
{
	*m = (struct vmx_cap_msrs){ 0 };
	m->basic = rdmsr(MSR_IA32_VMX_BASIC);
	m->pinbased = rdmsr(MSR_IA32_VMX_PINBASED_CTLS);
	m->procbased = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS);
	m->exit = rdmsr(MSR_IA32_VMX_EXIT_CTLS);
	m->entry = rdmsr(MSR_IA32_VMX_ENTRY_CTLS);
	m->misc = rdmsr(MSR_IA32_VMX_MISC);
	m->cr0_fixed0 = rdmsr(MSR_IA32_VMX_CR0_FIXED0);
	m->cr0_fixed1 = rdmsr(MSR_IA32_VMX_CR0_FIXED1);
	m->cr4_fixed0 = rdmsr(MSR_IA32_VMX_CR4_FIXED0);
	m->cr4_fixed1 = rdmsr(MSR_IA32_VMX_CR4_FIXED1);
	if ((m->procbased >> 32) & PROC_SECONDARY_CONTROLS) {
		m->procbased2 = rdmsr(MSR_IA32_VMX_PROCBASED_CTLS2);
		if ((m->procbased2 >> 32) & (PROC2_ENABLE_EPT | PROC2_ENABLE_VPID))
			m->ept_vpid_cap = rdmsr(MSR_IA32_VMX_EPT_VPID_CAP);
	}
	if (m->basic & VMX_BASIC_TRUE_CTLS) {
		m->true_pinbased = rdmsr(MSR_IA32_VMX_TRUE_PINBASED_CTLS);
		m->true_procbased = rdmsr(MSR_IA32_VMX_TRUE_PROCBASED_CTLS);
		m->true_exit = rdmsr(MSR_IA32_VMX_TRUE_EXIT_CTLS);
		m->true_entry = rdmsr(MSR_IA32_VMX_TRUE_ENTRY_CTLS);
	}
}

static void log_caps(const struct vmx_cap_msrs *m)
{
	log_info("vmx caps basic=0x%016llx pin=0x%016llx proc=0x%016llx proc2=0x%016llx "
		 "exit=0x%016llx entry=0x%016llx misc=0x%016llx",
		 (unsigned long long)m->basic, (unsigned long long)m->pinbased,
		 (unsigned long long)m->procbased, (unsigned long long)m->procbased2,
		 (unsigned long long)m->exit, (unsigned long long)m->entry,
		 (unsigned long long)m->misc);
	log_info("vmx caps true_pin=0x%016llx true_proc=0x%016llx true_exit=0x%016llx "
		 "true_entry=0x%016llx ept_vpid=0x%016llx",
		 (unsigned long long)m->true_pinbased, (unsigned long long)m->true_procbased,
		 (unsigned long long)m->true_exit, (unsigned long long)m->true_entry,
		 (unsigned long long)m->ept_vpid_cap);
	log_info("vmx caps cr0_fixed0=0x%llx cr0_fixed1=0x%llx cr4_fixed0=0x%llx "
		 "cr4_fixed1=0x%llx", (unsigned long long)m->cr0_fixed0,
		 (unsigned long long)m->cr0_fixed1, (unsigned long long)m->cr4_fixed0,
		 (unsigned long long)m->cr4_fixed1);
}

int vmx_probe(struct vmx_config *cfg)
{
	struct vmx_cap_msrs m;
	uint64_t fc;

	if (!(cpuid(1, 0).ecx & CPUID_1_ECX_VMX)) {
		log_error("vmx: this CPU has no Intel VT-x");
		return E_UNSUPPORTED;
	}
	/* Locked without VMX outside SMX: firmware turned VT-x off and only a
	 * reset (and a firmware setting) can turn it on. Unlocked: shoji may
	 * enable and lock it itself when the back-end does VMXON. */
	fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if ((fc & FEATURE_CONTROL_LOCK) && !(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
		log_error("vmx: VT-x is disabled by firmware (IA32_FEATURE_CONTROL=0x%llx "
			  "locked without VMX outside SMX)", (unsigned long long)fc);
		return E_UNSUPPORTED;
	}
	read_caps(&m);
	log_caps(&m);
	if (vmx_config_compute(&m, cfg)) {
		log_error("vmx: refused: %s", cfg->reason);
		return E_UNSUPPORTED;
	}
	log_info("vmx controls revision=0x%x region=%u pin=0x%08x proc=0x%08x proc2=0x%08x "
		 "exit=0x%08x entry=0x%08x true_ctls=%s ept_2m=%s ept_1g=%s vpid=%s "
		 "invept=%s wait_for_sipi=%s feature_control=0x%llx", cfg->revision,
		 cfg->region_size, cfg->pinbased, cfg->procbased, cfg->procbased2, cfg->exit,
		 cfg->entry, cfg->true_ctls ? "yes" : "no", cfg->ept_2m ? "yes" : "no",
		 cfg->ept_1g ? "yes" : "no", cfg->vpid ? "yes" : "no",
		 cfg->invept_single ? "single" : "all", cfg->wait_for_sipi ? "yes" : "no",
		 (unsigned long long)fc);
	return 0;
}
