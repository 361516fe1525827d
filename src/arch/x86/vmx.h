/* Intel VT-x on this CPU: detection and capability report. The VT-x
 * back-end itself (VMXON, VMCS, exits) waits for the CPU back-end
 * interface (issue 11); see docs/platforms.md. */
#ifndef SHOJI_ARCH_X86_VMX_H
#define SHOJI_ARCH_X86_VMX_H

#include "vmm/vmx_caps.h"

/* Detects VT-x from CPUID.1:ECX.VMX and IA32_FEATURE_CONTROL, reads the
 * capability MSRs that exist and computes the controls shoji would use.
 * Logs "vmx caps ..." (the raw MSRs) and "vmx controls ..." or the
 * refusal. Returns 0 when VT-x is usable by shoji (cfg filled),
 * E_UNSUPPORTED otherwise. */
int vmx_probe(struct vmx_config *cfg);

#endif
