/* VMX capability MSRs -> VMCS controls (see vmx_caps.h). Section numbers
 * are those of the Intel SDM vol. 3 since its 2022 renumbering (chapter 25
 * VMCS, 28 VM entries, appendix A capability reporting); older editions
 * number the same sections one chapter lower. */
#include "lib/error.h"
#include "lib/printf.h"
#include "vmm/vmx_caps.h"

#define CR0_PE (1ULL << 0)
#define CR0_PG (1ULL << 31)

/* What shoji's VT-x back-end relies on, field by field.
 *
 * Pin-based: NMIs exit (the guest must not take the host's NMIs unseen);
 * virtual NMIs, because re-injecting one needs NMI-window exiting, which
 * VM entry accepts only with virtual NMIs (28.2.1.1). External interrupts
 * stay with the guest: it owns the machine's devices. */
#define PIN_REQUIRED (PIN_NMI_EXITING | PIN_VIRTUAL_NMIS)
#define PIN_FORBIDDEN (PIN_EXTINT_EXITING | PIN_PREEMPTION_TIMER | PIN_POSTED_INTERRUPTS)

/* Primary: I/O and MSR bitmaps (the same ports and MSRs as on SVM), the
 * secondary controls, NMI-window exiting. Left 0: HLT, CR3, CR8, MOV DR,
 * RDTSC, RDPMC, INVLPG, MWAIT/MONITOR/PAUSE exiting (a para-passthrough
 * guest runs those natively; with EPT and unrestricted guest CR3 is the
 * guest's own), unconditional I/O exiting (the bitmaps decide), TPR shadow,
 * the monitor trap flag, tertiary controls. */
#define PROC_REQUIRED (PROC_USE_IO_BITMAPS | PROC_USE_MSR_BITMAPS | PROC_SECONDARY_CONTROLS | \
		       PROC_NMI_WINDOW_EXITING)
#define PROC_FORBIDDEN (PROC_INTR_WINDOW_EXITING | PROC_TSC_OFFSETTING | PROC_HLT_EXITING | \
			PROC_INVLPG_EXITING | PROC_MWAIT_EXITING | PROC_RDPMC_EXITING | \
			PROC_RDTSC_EXITING | PROC_CR3_LOAD_EXITING | PROC_CR3_STORE_EXITING | \
			PROC_TERTIARY_CONTROLS | PROC_CR8_LOAD_EXITING | PROC_CR8_STORE_EXITING | \
			PROC_TPR_SHADOW | PROC_MOV_DR_EXITING | PROC_UNCOND_IO_EXITING | \
			PROC_MONITOR_TRAP_FLAG | PROC_MONITOR_EXITING | PROC_PAUSE_EXITING)

/* Secondary: EPT and unrestricted guest are what shoji is built on (an
 * identity second-level map, the guest entered at its 32-bit PVH entry
 * without paging). Where the CPU has them: RDTSCP, INVPCID, XSAVES and
 * user wait/pause, which otherwise #UD in the guest although CPUID shows
 * them; VPID, so that entries and exits need not flush the TLB. */
#define PROC2_REQUIRED (PROC2_ENABLE_EPT | PROC2_UNRESTRICTED_GUEST)
#define PROC2_OPTIONAL (PROC2_ENABLE_RDTSCP | PROC2_ENABLE_INVPCID | PROC2_ENABLE_XSAVES | \
			PROC2_USER_WAIT_PAUSE | PROC2_ENABLE_VPID)

/* Exit: a 64-bit host; PAT and EFER switched by the CPU (the guest owns its
 * own values; shoji's are loaded on every exit). */
#define EXIT_REQUIRED (EXIT_HOST_ADDR_SPACE_64 | EXIT_SAVE_PAT | EXIT_LOAD_PAT | \
		       EXIT_SAVE_EFER | EXIT_LOAD_EFER)
#define EXIT_FORBIDDEN (EXIT_ACK_INTR_ON_EXIT | EXIT_LOAD_PERF_GLOBAL | EXIT_SAVE_PREEMPT_TIMER)

/* Entry: the guest's PAT and EFER loaded; IA-32e mode guest must be
 * settable both ways (it follows the guest's EFER.LMA). Entry to SMM and
 * dual-monitor deactivation are for an SMM monitor only and must be 0
 * outside SMM (28.2.1.3). */
#define ENTRY_REQUIRED (ENTRY_LOAD_PAT | ENTRY_LOAD_EFER | ENTRY_IA32E_GUEST)
#define ENTRY_FORBIDDEN (ENTRY_IA32E_GUEST | ENTRY_TO_SMM | ENTRY_DEACT_DUAL_MONITOR | \
			 ENTRY_LOAD_PERF_GLOBAL)

static const char *const pin_names[32] = {
	[0] = "external-interrupt exiting", [3] = "NMI exiting", [5] = "virtual NMIs",
	[6] = "VMX-preemption timer", [7] = "posted interrupts",
};
static const char *const proc_names[32] = {
	[2] = "interrupt-window exiting", [3] = "TSC offsetting", [7] = "HLT exiting",
	[9] = "INVLPG exiting", [10] = "MWAIT exiting", [11] = "RDPMC exiting",
	[12] = "RDTSC exiting", [15] = "CR3-load exiting", [16] = "CR3-store exiting",
	[17] = "tertiary controls", [19] = "CR8-load exiting", [20] = "CR8-store exiting",
	[21] = "TPR shadow", [22] = "NMI-window exiting", [23] = "MOV-DR exiting",
	[24] = "unconditional I/O exiting", [25] = "I/O bitmaps", [27] = "monitor trap flag",
	[28] = "MSR bitmaps", [29] = "MONITOR exiting", [30] = "PAUSE exiting",
	[31] = "secondary controls",
};
static const char *const proc2_names[32] = {
	[1] = "EPT", [3] = "RDTSCP", [5] = "VPID", [7] = "unrestricted guest",
	[12] = "INVPCID", [20] = "XSAVES/XRSTORS", [26] = "user wait and pause",
};
static const char *const exit_names[32] = {
	[9] = "host address-space size", [12] = "load IA32_PERF_GLOBAL_CTRL",
	[15] = "acknowledge interrupt on exit", [18] = "save IA32_PAT", [19] = "load IA32_PAT",
	[20] = "save IA32_EFER", [21] = "load IA32_EFER", [22] = "save preemption timer",
};
static const char *const entry_names[32] = {
	[9] = "IA-32e mode guest", [10] = "entry to SMM", [11] = "deactivate dual-monitor",
	[13] = "load IA32_PERF_GLOBAL_CTRL", [14] = "load IA32_PAT", [15] = "load IA32_EFER",
};

static unsigned lowest_bit(uint32_t v)
{
	return (unsigned)__builtin_ctz(v);
}

int vmx_control_field(uint64_t cap, uint32_t required, uint32_t optional,
		      uint32_t forbidden, uint32_t *out, uint32_t *missing, bool *forced)
{
	uint32_t must_be_1 = (uint32_t)cap;		/* allowed 0-settings */
	uint32_t may_be_1 = (uint32_t)(cap >> 32);	/* allowed 1-settings */

	*missing = 0;
	*forced = false;
	if (required & ~may_be_1) {
		*missing = 1u << lowest_bit(required & ~may_be_1);
		return E_UNSUPPORTED;
	}
	if (forbidden & must_be_1) {
		*missing = 1u << lowest_bit(forbidden & must_be_1);
		*forced = true;
		return E_UNSUPPORTED;
	}
	/* Bits shoji has no opinion on keep the value the CPU requires
	 * (must_be_1: the "default1" class when no TRUE MSR exists). A bit
	 * both required and forbidden (IA-32e mode guest) is one the back-end
	 * sets per entry: it must be free both ways and starts clear. */
	*out = (must_be_1 | (required & ~forbidden) | (optional & may_be_1)) & ~forbidden;
	return 0;
}

static int field(struct vmx_config *cfg, const char *what, const char *const names[32],
		 uint64_t cap, uint32_t req, uint32_t opt, uint32_t forb, uint32_t *out)
{
	uint32_t missing;
	bool forced;
	int rc = vmx_control_field(cap, req, opt, forb, out, &missing, &forced);
	unsigned bit;

	if (!rc)
		return 0;
	bit = lowest_bit(missing);
	shoji_snprintf(cfg->reason, sizeof(cfg->reason), "%s control %u (%s) %s", what, bit,
		 names[bit] ? names[bit] : "?",
		 forced ? "is forced to 1" : "is not supported");
	return rc;
}

static int refuse(struct vmx_config *cfg, const char *why)
{
	shoji_snprintf(cfg->reason, sizeof(cfg->reason), "%s", why);
	return E_UNSUPPORTED;
}

static int check_basic(const struct vmx_cap_msrs *m, struct vmx_config *cfg)
{
	cfg->revision = VMX_BASIC_REVISION(m->basic);
	cfg->region_size = VMX_BASIC_REGION_SIZE(m->basic);
	cfg->true_ctls = (m->basic & VMX_BASIC_TRUE_CTLS) != 0;
	if (cfg->region_size == 0 || cfg->region_size > 4096)
		return refuse(cfg, "IA32_VMX_BASIC: VMCS region size not in 1..4096");
	/* shoji allocates VMXON region and VMCS in write-back memory. */
	if (VMX_BASIC_MEMTYPE(m->basic) != VMX_MEMTYPE_WB)
		return refuse(cfg, "IA32_VMX_BASIC: VMCS memory type is not write-back");
	/* Set only on processors without Intel 64 (A.1): shoji's pages may
	 * lie above 4 GiB. */
	if (m->basic & VMX_BASIC_ADDR32)
		return refuse(cfg, "IA32_VMX_BASIC: VMX structures limited to 32-bit addresses");
	return 0;
}

/* EPT with a 4-level walk over write-back tables and some INVEPT;
 * VPID only with an INVVPID shoji can use. */
static int check_ept_vpid(const struct vmx_cap_msrs *m, struct vmx_config *cfg)
{
	uint64_t c = m->ept_vpid_cap;

	if (!(c & EPT_CAP_WALK4))
		return refuse(cfg, "EPT: no 4-level page walk");
	if (!(c & EPT_CAP_MEMTYPE_WB))
		return refuse(cfg, "EPT: tables cannot be write-back");
	if (!(c & EPT_CAP_INVEPT) || !(c & (EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL)))
		return refuse(cfg, "EPT: no INVEPT (single- or all-context)");
	cfg->ept_2m = (c & EPT_CAP_2M) != 0;
	cfg->ept_1g = (c & EPT_CAP_1G) != 0;
	cfg->ept_ad = (c & EPT_CAP_AD) != 0;
	cfg->invept_single = (c & EPT_CAP_INVEPT_SINGLE) != 0;
	cfg->vpid = (cfg->procbased2 & PROC2_ENABLE_VPID) && (c & VPID_CAP_INVVPID) &&
		    (c & (VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL));
	if (!cfg->vpid)
		cfg->procbased2 &= ~PROC2_ENABLE_VPID;
	return 0;
}

int vmx_config_compute(const struct vmx_cap_msrs *m, struct vmx_config *cfg)
{
	bool t;
	int rc;

	*cfg = (struct vmx_config){ 0 };
	rc = check_basic(m, cfg);
	if (rc)
		return rc;
	/* With TRUE_* MSRs, their allowed 0-settings say which default1
	 * controls may be 0 (A.3.1); without, the plain MSRs are the truth. */
	t = cfg->true_ctls;
	/* What shoji is built on first, so that a CPU without it is refused
	 * for that and not for a lesser control. The secondary MSR exists only
	 * when the secondary controls do (A.3.3). */
	if (!((m->procbased >> 32) & PROC_SECONDARY_CONTROLS))
		return refuse(cfg, "no secondary processor-based controls (so no EPT and no "
				   "unrestricted guest)");
	rc = field(cfg, "secondary", proc2_names, m->procbased2, PROC2_REQUIRED,
		   PROC2_OPTIONAL, 0, &cfg->procbased2);
	if (!rc)
		rc = field(cfg, "pin-based", pin_names, t ? m->true_pinbased : m->pinbased,
			   PIN_REQUIRED, 0, PIN_FORBIDDEN, &cfg->pinbased);
	if (!rc)
		rc = field(cfg, "processor-based", proc_names,
			   t ? m->true_procbased : m->procbased, PROC_REQUIRED, 0,
			   PROC_FORBIDDEN, &cfg->procbased);
	if (!rc)
		rc = field(cfg, "VM-exit", exit_names, t ? m->true_exit : m->exit,
			   EXIT_REQUIRED, 0, EXIT_FORBIDDEN, &cfg->exit);
	if (!rc)
		rc = field(cfg, "VM-entry", entry_names, t ? m->true_entry : m->entry,
			   ENTRY_REQUIRED, 0, ENTRY_FORBIDDEN, &cfg->entry);
	if (!rc)
		rc = check_ept_vpid(m, cfg);
	if (rc)
		return rc;
	/* Unrestricted guest implies it (A.6); the back-end relies on it to
	 * read the guest's mode after an exit. */
	if (!(m->misc & VMX_MISC_STORES_LMA))
		return refuse(cfg, "IA32_VMX_MISC: exits do not store EFER.LMA");
	cfg->wait_for_sipi = (m->misc & VMX_MISC_ACT_WAIT_SIPI) != 0;
	cfg->cr0_fixed0 = m->cr0_fixed0;
	cfg->cr0_fixed1 = m->cr0_fixed1;
	cfg->cr4_fixed0 = m->cr4_fixed0;
	cfg->cr4_fixed1 = m->cr4_fixed1;
	return 0;
}

uint64_t vmx_fixed_apply(uint64_t value, uint64_t fixed0, uint64_t fixed1)
{
	return (value | fixed0) & fixed1;
}

uint64_t vmx_guest_cr0(const struct vmx_config *cfg, uint64_t wanted)
{
	uint64_t fixed0 = cfg->cr0_fixed0;

	if (cfg->procbased2 & PROC2_UNRESTRICTED_GUEST)
		fixed0 &= ~(CR0_PE | CR0_PG);
	return vmx_fixed_apply(wanted, fixed0, cfg->cr0_fixed1);
}

uint64_t vmx_guest_cr4(const struct vmx_config *cfg, uint64_t wanted)
{
	return vmx_fixed_apply(wanted, cfg->cr4_fixed0, cfg->cr4_fixed1);
}

uint64_t vmx_cr0_mask(const struct vmx_config *cfg)
{
	uint64_t fixed0 = cfg->cr0_fixed0;

	if (cfg->procbased2 & PROC2_UNRESTRICTED_GUEST)
		fixed0 &= ~(CR0_PE | CR0_PG);
	return fixed0 | (~cfg->cr0_fixed1 & 0xffffffffULL);
}

uint64_t vmx_cr4_mask(const struct vmx_config *cfg)
{
	return cfg->cr4_fixed0 | (~cfg->cr4_fixed1 & 0xffffffffULL);
}

uint64_t vmx_eptp(paddr_t pml4)
{
	/* bits 2:0 memory type, 5:3 walk length - 1 (25.6.11). */
	return (pml4 & 0x000ffffffffff000ULL) | (3u << 3) | VMX_MEMTYPE_WB;
}
