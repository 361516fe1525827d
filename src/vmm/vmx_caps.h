/* Intel VT-x: from the VMX capability MSRs to the VMCS control fields shoji
 * programs, or a clear refusal (Intel SDM vol. 3D, appendix A "VMX
 * capability reporting facility"; the controls are vol. 3C, 25.6-25.8).
 * Pure computation: the back-end reads the MSRs and hands them over, so the
 * rules are unit-tested with the values of real CPUs. */
#ifndef SHOJI_VMM_VMX_CAPS_H
#define SHOJI_VMM_VMX_CAPS_H

#include "lib/types.h"

/* MSR indexes (SDM vol. 4, table 2-2; appendix A). */
#define MSR_IA32_FEATURE_CONTROL 0x03a
#define MSR_IA32_VMX_BASIC 0x480
#define MSR_IA32_VMX_PINBASED_CTLS 0x481
#define MSR_IA32_VMX_PROCBASED_CTLS 0x482
#define MSR_IA32_VMX_EXIT_CTLS 0x483
#define MSR_IA32_VMX_ENTRY_CTLS 0x484
#define MSR_IA32_VMX_MISC 0x485
#define MSR_IA32_VMX_CR0_FIXED0 0x486
#define MSR_IA32_VMX_CR0_FIXED1 0x487
#define MSR_IA32_VMX_CR4_FIXED0 0x488
#define MSR_IA32_VMX_CR4_FIXED1 0x489
#define MSR_IA32_VMX_PROCBASED_CTLS2 0x48b
#define MSR_IA32_VMX_EPT_VPID_CAP 0x48c
#define MSR_IA32_VMX_TRUE_PINBASED_CTLS 0x48d
#define MSR_IA32_VMX_TRUE_PROCBASED_CTLS 0x48e
#define MSR_IA32_VMX_TRUE_EXIT_CTLS 0x48f
#define MSR_IA32_VMX_TRUE_ENTRY_CTLS 0x490

/* IA32_FEATURE_CONTROL (SDM vol. 3C, 24.7): VMXON outside SMX needs bit 2
 * set; once bit 0 (lock) is set the MSR cannot change until reset. */
#define FEATURE_CONTROL_LOCK (1ULL << 0)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ULL << 2)

/* IA32_VMX_BASIC (A.1). */
#define VMX_BASIC_REVISION(b) ((uint32_t)((b) & 0x7fffffffu))
#define VMX_BASIC_REGION_SIZE(b) ((uint32_t)(((b) >> 32) & 0x1fffu))
#define VMX_BASIC_ADDR32 (1ULL << 48)	/* VMXON/VMCS pointers limited to 32 bits */
#define VMX_BASIC_MEMTYPE(b) ((unsigned)(((b) >> 50) & 0xfu))
#define VMX_BASIC_INOUT_INFO (1ULL << 54)
#define VMX_BASIC_TRUE_CTLS (1ULL << 55)

/* Pin-based VM-execution controls (25.6.1, table 25-5). */
#define PIN_EXTINT_EXITING (1u << 0)
#define PIN_NMI_EXITING (1u << 3)
#define PIN_VIRTUAL_NMIS (1u << 5)
#define PIN_PREEMPTION_TIMER (1u << 6)
#define PIN_POSTED_INTERRUPTS (1u << 7)

/* Primary processor-based controls (25.6.2, table 25-6). */
#define PROC_INTR_WINDOW_EXITING (1u << 2)
#define PROC_TSC_OFFSETTING (1u << 3)
#define PROC_HLT_EXITING (1u << 7)
#define PROC_INVLPG_EXITING (1u << 9)
#define PROC_MWAIT_EXITING (1u << 10)
#define PROC_RDPMC_EXITING (1u << 11)
#define PROC_RDTSC_EXITING (1u << 12)
#define PROC_CR3_LOAD_EXITING (1u << 15)
#define PROC_CR3_STORE_EXITING (1u << 16)
#define PROC_TERTIARY_CONTROLS (1u << 17)
#define PROC_CR8_LOAD_EXITING (1u << 19)
#define PROC_CR8_STORE_EXITING (1u << 20)
#define PROC_TPR_SHADOW (1u << 21)
#define PROC_NMI_WINDOW_EXITING (1u << 22)
#define PROC_MOV_DR_EXITING (1u << 23)
#define PROC_UNCOND_IO_EXITING (1u << 24)
#define PROC_USE_IO_BITMAPS (1u << 25)
#define PROC_MONITOR_TRAP_FLAG (1u << 27)
#define PROC_USE_MSR_BITMAPS (1u << 28)
#define PROC_MONITOR_EXITING (1u << 29)
#define PROC_PAUSE_EXITING (1u << 30)
#define PROC_SECONDARY_CONTROLS (1u << 31)

/* Secondary processor-based controls (25.6.2, table 25-7). */
#define PROC2_VIRT_APIC_ACCESSES (1u << 0)
#define PROC2_ENABLE_EPT (1u << 1)
#define PROC2_DESC_TABLE_EXITING (1u << 2)
#define PROC2_ENABLE_RDTSCP (1u << 3)
#define PROC2_VIRT_X2APIC (1u << 4)
#define PROC2_ENABLE_VPID (1u << 5)
#define PROC2_WBINVD_EXITING (1u << 6)
#define PROC2_UNRESTRICTED_GUEST (1u << 7)
#define PROC2_APIC_REG_VIRT (1u << 8)
#define PROC2_VIRT_INTR_DELIVERY (1u << 9)
#define PROC2_PAUSE_LOOP_EXITING (1u << 10)
#define PROC2_RDRAND_EXITING (1u << 11)
#define PROC2_ENABLE_INVPCID (1u << 12)
#define PROC2_ENABLE_VMFUNC (1u << 13)
#define PROC2_VMCS_SHADOWING (1u << 14)
#define PROC2_ENCLS_EXITING (1u << 15)
#define PROC2_RDSEED_EXITING (1u << 16)
#define PROC2_ENABLE_PML (1u << 17)
#define PROC2_EPT_VE (1u << 18)
#define PROC2_PT_CONCEAL (1u << 19)
#define PROC2_ENABLE_XSAVES (1u << 20)
#define PROC2_MODE_BASED_EPT_EXEC (1u << 22)
#define PROC2_TSC_SCALING (1u << 25)
#define PROC2_USER_WAIT_PAUSE (1u << 26)

/* VM-exit controls (25.7.1, table 25-13). */
#define EXIT_SAVE_DEBUG_CTLS (1u << 2)
#define EXIT_HOST_ADDR_SPACE_64 (1u << 9)
#define EXIT_LOAD_PERF_GLOBAL (1u << 12)
#define EXIT_ACK_INTR_ON_EXIT (1u << 15)
#define EXIT_SAVE_PAT (1u << 18)
#define EXIT_LOAD_PAT (1u << 19)
#define EXIT_SAVE_EFER (1u << 20)
#define EXIT_LOAD_EFER (1u << 21)
#define EXIT_SAVE_PREEMPT_TIMER (1u << 22)

/* VM-entry controls (25.8.1, table 25-15). */
#define ENTRY_LOAD_DEBUG_CTLS (1u << 2)
#define ENTRY_IA32E_GUEST (1u << 9)
#define ENTRY_TO_SMM (1u << 10)
#define ENTRY_DEACT_DUAL_MONITOR (1u << 11)
#define ENTRY_LOAD_PERF_GLOBAL (1u << 13)
#define ENTRY_LOAD_PAT (1u << 14)
#define ENTRY_LOAD_EFER (1u << 15)

/* IA32_VMX_MISC (A.6). */
#define VMX_MISC_STORES_LMA (1ULL << 5)
#define VMX_MISC_ACT_HLT (1ULL << 6)
#define VMX_MISC_ACT_SHUTDOWN (1ULL << 7)
#define VMX_MISC_ACT_WAIT_SIPI (1ULL << 8)

/* IA32_VMX_EPT_VPID_CAP (A.10). */
#define EPT_CAP_EXEC_ONLY (1ULL << 0)
#define EPT_CAP_WALK4 (1ULL << 6)
#define EPT_CAP_MEMTYPE_UC (1ULL << 8)
#define EPT_CAP_MEMTYPE_WB (1ULL << 14)
#define EPT_CAP_2M (1ULL << 16)
#define EPT_CAP_1G (1ULL << 17)
#define EPT_CAP_INVEPT (1ULL << 20)
#define EPT_CAP_AD (1ULL << 21)
#define EPT_CAP_INVEPT_SINGLE (1ULL << 25)
#define EPT_CAP_INVEPT_ALL (1ULL << 26)
#define VPID_CAP_INVVPID (1ULL << 32)
#define VPID_CAP_INVVPID_ADDR (1ULL << 40)
#define VPID_CAP_INVVPID_SINGLE (1ULL << 41)
#define VPID_CAP_INVVPID_ALL (1ULL << 42)

/* Memory types (SDM vol. 3A, 12.3 table 12-2 numbering, used by the VMCS,
 * EPTP and EPT leaves). */
#define VMX_MEMTYPE_UC 0u
#define VMX_MEMTYPE_WB 6u

/* What the back-end read: every capability MSR that exists on this CPU.
 * procbased2 is meaningful only when PROC_SECONDARY_CONTROLS may be 1,
 * ept_vpid_cap only when EPT or VPID may be enabled, the true_* ones only
 * when VMX_BASIC_TRUE_CTLS is set (the back-end leaves the others 0). */
struct vmx_cap_msrs {
	uint64_t basic;
	uint64_t pinbased, procbased, procbased2, exit, entry;
	uint64_t true_pinbased, true_procbased, true_exit, true_entry;
	uint64_t misc;
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	uint64_t ept_vpid_cap;
};

#define VMX_REASON_MAX 160

/* What shoji programs: the five control fields, the EPTP attributes and
 * the facts the back-end needs when it builds the VMCS. */
struct vmx_config {
	uint32_t revision;		/* VMCS revision identifier */
	uint32_t region_size;		/* bytes of the VMXON region and VMCS */
	uint32_t pinbased, procbased, procbased2, exit, entry;
	/* IA-32e mode guest may be set and cleared per guest state (the PVH
	 * entry is 32-bit; Linux then turns long mode on). */
	bool ept_2m, ept_1g, ept_ad;	/* large EPT leaves, accessed/dirty flags */
	bool invept_single;		/* else all-context INVEPT */
	bool vpid;			/* VPID in use (INVVPID single or all-context) */
	bool wait_for_sipi;		/* activity state 3 supported */
	bool true_ctls;			/* the TRUE_* MSRs were used */
	uint64_t cr0_fixed0, cr0_fixed1, cr4_fixed0, cr4_fixed1;
	char reason[VMX_REASON_MAX];	/* why not (when vmx_config_compute fails) */
};

/* The controls shoji needs (a refusal names the first missing one), those it
 * uses when the CPU has them, and those it leaves 0 when the CPU allows it
 * (controls it does not know are set to their default, SDM 31.5.1).
 * Returns 0, or E_UNSUPPORTED with cfg->reason set. */
int vmx_config_compute(const struct vmx_cap_msrs *m, struct vmx_config *cfg);

/* One control field from its capability MSR (A.3-A.5): bits 31:0 are the
 * allowed 0-settings (1 = must be 1), bits 63:32 the allowed 1-settings
 * (0 = must be 0). required must be allowed to be 1, forbidden allowed to
 * be 0; optional bits are set where allowed. Returns 0 or E_UNSUPPORTED with
 * *missing = the first required bit the CPU cannot set (or forbidden bit it
 * forces to 1), *forced = true in the second case. */
int vmx_control_field(uint64_t cap, uint32_t required, uint32_t optional,
		      uint32_t forbidden, uint32_t *out, uint32_t *missing, bool *forced);

/* CR0 and CR4 under VMX (A.7, A.8): a bit set in FIXED0 must be 1, a bit
 * clear in FIXED1 must be 0. With unrestricted guest, the guest's CR0.PE
 * and CR0.PG are exempt (SDM 27.3.1.1). */
uint64_t vmx_fixed_apply(uint64_t value, uint64_t fixed0, uint64_t fixed1);
uint64_t vmx_guest_cr0(const struct vmx_config *cfg, uint64_t wanted);
uint64_t vmx_guest_cr4(const struct vmx_config *cfg, uint64_t wanted);
/* The CR0 guest/host mask: the bits the CPU forces (their guest reads come
 * from the read shadow, their writes exit). */
uint64_t vmx_cr0_mask(const struct vmx_config *cfg);
uint64_t vmx_cr4_mask(const struct vmx_config *cfg);

/* The EPT pointer (25.6.11): write-back tables, 4-level walk, the root's
 * physical address; accessed/dirty flags off (shoji does not track them). */
uint64_t vmx_eptp(paddr_t pml4);

#endif
