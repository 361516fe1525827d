/* The Intel VT-x back-end's interface to the rest of shoji. */
#ifndef SHOJI_ARCH_X86_VMX_VCPU_H
#define SHOJI_ARCH_X86_VMX_VCPU_H

#include "vmm/vcpu.h"

/* The back-end (vmm/vcpu.h): init probes VT-x (arch/x86/vmx.h), enables
 * and locks IA32_FEATURE_CONTROL when firmware left it unlocked, applies
 * the CR0/CR4 fixed bits and does VMXON; build_nested builds the EPT from
 * the registry (vmm/ept_guest.h); setup fills the VMCS, the I/O and MSR
 * bitmaps (the same ports and MSR policy as SVM) and the PVH entry state;
 * run enters the guest and dispatches its exits to the same policy code
 * the SVM back-end calls. docs/platforms.md. */
extern const struct vcpu_backend vmx_backend;

#endif
