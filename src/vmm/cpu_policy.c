/* CPUID and MSR policy for the guest (see vcpu.h). Bit numbers: AMD APM
 * vol. 3 appendix E (CPUID), Intel SDM vol. 2A CPUID, APM vol. 2 15.30
 * (SVM MSRs). */
#include "lib/log.h"
#include "lib/string.h"
#include "vmm/cpu_state_check.h"
#include "vmm/vcpu.h"

#define CPUID_1_ECX_VMX (1u << 5)
#define CPUID_1_ECX_HYPERVISOR (1u << 31)
#define CPUID_80000001_ECX_SVM (1u << 2)
#define MSR_EFER 0xC0000080u
#define MSR_VM_CR 0xC0010114u
#define MSR_VM_HSAVE_PA 0xC0010117u
#define MSR_SVM_KEY 0xC0010118u
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

#define CPUID_1_ECX_OSXSAVE (1u << 27)
#define CPUID_7_ECX_OSPKE (1u << 4)
#define CR4_OSXSAVE (1ULL << 18)
#define CR4_PKE (1ULL << 22)

void cpu_policy_cpuid_cr4(uint32_t leaf, uint32_t subleaf, uint32_t r[4], uint64_t cr4)
{
	if (leaf == 1) {
		r[2] &= ~CPUID_1_ECX_OSXSAVE;
		if (cr4 & CR4_OSXSAVE)
			r[2] |= CPUID_1_ECX_OSXSAVE;
	} else if (leaf == 7 && subleaf == 0) {
		r[2] &= ~CPUID_7_ECX_OSPKE;
		if (cr4 & CR4_PKE)
			r[2] |= CPUID_7_ECX_OSPKE;
	}
}

/* ---- memory-map and SMM MSRs (AMD BKDG/PPR "MSRC001_xxxx"; APM vol. 2
 * 7.9 "Memory-Mapped I/O ... TOP_MEM, TOM2", 10.2 "SMM configuration MSRs")
 * Writes are refused with #GP: they decide how the CPU decodes DRAM and
 * MMIO (and where SMRAM is), which is shoji's. Reads pass (write-only
 * intercept: the CPU answers, and faults for an MSR it does not have). */
static const struct {
	uint32_t msr;
	const char *name;
} fixed_msrs[] = {
	{ 0xC0010010, "SYSCFG" },	/* MtrrFixDram*, MtrrVarDramEn, MtrrTom2En, SMEE */
	{ 0xC0010016, "IORR_BASE0" },	/* I/O range registers: DRAM vs. MMIO */
	{ 0xC0010017, "IORR_MASK0" },
	{ 0xC0010018, "IORR_BASE1" },
	{ 0xC0010019, "IORR_MASK1" },
	{ 0xC001001A, "TOP_MEM" },
	{ 0xC001001D, "TOM2" },
	{ 0xC0010058, "MMIO_CFG_BASE" },	/* the ECAM window, family 10h on */
	{ 0xC0010111, "SMM_BASE" },
	{ 0xC0010112, "SMM_ADDR" },	/* ASEG/TSEG base */
	{ 0xC0010113, "SMM_MASK" },
};

/* HWCR: SMMLOCK (bit 0) locks the SMM configuration, INVDWBINVD (4) makes
 * INVD write back (shoji intercepts INVD anyway), McStatusWrEn (18) lets
 * software forge machine-check status the host would act on. Those stay as
 * the host has them; other bits (boost, IRPERF, TSC...) are the guest's. */
#define MSR_HWCR 0xC0010015u
#define HWCR_GUARDED ((1ULL << 0) | (1ULL << 4) | (1ULL << 18))

/* MTRRs (SDM vol. 3A 11.11; APM vol. 2 7.7): virtualised. The host's stay
 * as the firmware set them: a guest MTRR over the hypervisor region could
 * make shoji's memory UC/WC/WT (and, with SYSCFG's RdMem/WrMem, move fixed
 * ranges between DRAM and MMIO). With nested paging the guest's PAT still
 * sets the memory types of its own memory. Writes are checked as the CPU
 * checks them (#GP on a reserved bit or an invalid type) and kept. */
#define MSR_MTRRCAP 0xFEu
#define MSR_MTRR_PHYSBASE0 0x200u
#define MSR_MTRR_DEF_TYPE 0x2FFu
static const uint32_t fixed_mtrrs[] = {
	0x250, 0x258, 0x259, 0x268, 0x269, 0x26a, 0x26b, 0x26c, 0x26d, 0x26e, 0x26f,
};
#define MAX_VAR_MTRRS 16
#define N_MTRRS (2 * MAX_VAR_MTRRS + ARRAY_SIZE(fixed_mtrrs) + 1)

/* VT-x MSRs (SDM vol. 4 table 2-2, vol. 3D appendix A). */
#define MSR_FEATURE_CONTROL 0x3Au
#define FEATURE_CONTROL_LOCK (1ULL << 0)
#define FEATURE_CONTROL_VMX_IN_SMX (1ULL << 1)
#define FEATURE_CONTROL_VMX_OUTSIDE_SMX (1ULL << 2)
#define MSR_VMX_FIRST 0x480u	/* IA32_VMX_BASIC */
#define MSR_VMX_LAST 0x491u	/* IA32_VMX_VMFUNC */

static bool is_vmx_cap_msr(uint32_t msr)
{
	return msr >= MSR_VMX_FIRST && msr <= MSR_VMX_LAST;
}

static struct x86_features feat;
static uint64_t feature_control_host;
static unsigned var_mtrrs;
static struct {
	uint32_t msr;
	uint64_t value;
} mtrr[N_MTRRS];
static unsigned n_mtrr;
static uint64_t hwcr_host;
static uint64_t mtrr_writes;

void cpu_policy_set_features(const struct x86_features *guest)
{
	feat = *guest;
}

unsigned cpu_policy_msr_intercepts(uint64_t mtrrcap, struct msr_intercept *out, unsigned max)
{
	unsigned n = 0;

#define ADD(m, rd) do { if (n < max) out[n++] = (struct msr_intercept){ (m), (rd) }; } while (0)
	for (unsigned i = 0; i < ARRAY_SIZE(fixed_msrs); i++)
		ADD(fixed_msrs[i].msr, false);
	ADD(MSR_HWCR, false);
	var_mtrrs = MIN((unsigned)(mtrrcap & 0xff), MAX_VAR_MTRRS);
	for (unsigned i = 0; i < 2 * var_mtrrs; i++)
		ADD(MSR_MTRR_PHYSBASE0 + i, true);
	if (mtrrcap & (1u << 8)) {	/* FIX: fixed-range MTRRs exist */
		for (unsigned i = 0; i < ARRAY_SIZE(fixed_mtrrs); i++)
			ADD(fixed_mtrrs[i], true);
	}
	ADD(MSR_MTRR_DEF_TYPE, true);
#undef ADD
	n_mtrr = 0;
	return n;
}

unsigned cpu_policy_vmx_msr_intercepts(struct msr_intercept *out, unsigned max)
{
	unsigned n = 0;

	if (n < max)
		out[n++] = (struct msr_intercept){ MSR_FEATURE_CONTROL, true };
	for (uint32_t m = MSR_VMX_FIRST; m <= MSR_VMX_LAST && n < max; m++)
		out[n++] = (struct msr_intercept){ m, true };
	return n;
}

void cpu_policy_set_host_msr(uint32_t msr, uint64_t value)
{
	if (msr == MSR_FEATURE_CONTROL) {
		feature_control_host = value;
		return;
	}
	if (msr == MSR_HWCR) {
		hwcr_host = value;
		return;
	}
	for (unsigned i = 0; i < n_mtrr; i++) {
		if (mtrr[i].msr == msr) {
			mtrr[i].value = value;
			return;
		}
	}
	if (n_mtrr < N_MTRRS)
		mtrr[n_mtrr++] = (typeof(mtrr[0])){ msr, value };
}

static int mtrr_slot(uint32_t msr)
{
	for (unsigned i = 0; i < n_mtrr; i++)
		if (mtrr[i].msr == msr)
			return (int)i;
	return -1;
}

static bool valid_type(uint64_t t)
{
	return t == 0 || t == 1 || t == 4 || t == 5 || t == 6;	/* UC WC WT WP WB */
}

/* NULL if the CPU takes `v` for this MTRR, else why it raises #GP. */
static const char *mtrr_write_check(uint32_t msr, uint64_t v)
{
	unsigned pa = feat.phys_bits ? feat.phys_bits : 52;
	uint64_t above = pa >= 64 ? 0 : ~0ULL << pa;

	if (msr == MSR_MTRR_DEF_TYPE) {
		if (v & ~0xcffULL)
			return "MTRRdefType reserved bit set";
		return valid_type(v & 0xff) ? NULL : "MTRRdefType invalid type";
	}
	if (msr >= MSR_MTRR_PHYSBASE0 && msr < MSR_MTRR_PHYSBASE0 + 2 * MAX_VAR_MTRRS) {
		if (!(msr & 1)) {
			if (v & (above | 0xf00))
				return "MTRRphysBase reserved bit set";
			return valid_type(v & 0xff) ? NULL : "MTRRphysBase invalid type";
		}
		return (v & (above | 0x7ff)) ? "MTRRphysMask reserved bit set" : NULL;
	}
	for (int i = 0; i < 8; i++)	/* fixed range: one type per byte */
		if (!valid_type((v >> (8 * i)) & 0xff))
			return "fixed-range MTRR invalid type";
	return NULL;
}

static const char *fixed_msr_name(uint32_t msr)
{
	for (unsigned i = 0; i < ARRAY_SIZE(fixed_msrs); i++)
		if (fixed_msrs[i].msr == msr)
			return fixed_msrs[i].name;
	return NULL;
}

enum msr_verdict cpu_policy_rdmsr(uint32_t msr, uint64_t efer, uint64_t *value)
{
	int slot;

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
	case MSR_FEATURE_CONTROL:
		*value = (feature_control_host | FEATURE_CONTROL_LOCK) &
			 ~(FEATURE_CONTROL_VMX_IN_SMX | FEATURE_CONTROL_VMX_OUTSIDE_SMX);
		return MSR_HANDLED;
	default:
		if (is_vmx_cap_msr(msr))
			return MSR_FAULT;
		slot = mtrr_slot(msr);
		if (slot >= 0) {
			*value = mtrr[slot].value;
			return MSR_HANDLED;
		}
		return MSR_PASSTHROUGH;
	}
}

enum msr_verdict cpu_policy_wrmsr(uint32_t msr, uint64_t value, uint64_t cr0, uint64_t *efer,
				  const char **why)
{
	const char *bad;
	uint64_t nv;
	int slot;

	*why = NULL;
	switch (msr) {
	case MSR_EFER:
		if (value & EFER_SVME) {
			*why = "EFER.SVME: SVM does not exist for the guest";
			return MSR_FAULT;
		}
		/* The guest's view has no SVM: SVME counts as reserved here. */
		bad = x86_efer_write_check(*efer & ~EFER_SVME, value, cr0, &feat, &nv);
		if (bad) {
			*why = bad;
			return MSR_FAULT;
		}
		*efer = nv | EFER_SVME;	/* VMRUN needs it in the guest state */
		return MSR_HANDLED;
	case MSR_VM_CR:
	case MSR_VM_HSAVE_PA:
	case MSR_SVM_KEY:
		*why = "SVM does not exist for the guest";
		return MSR_FAULT;
	case MSR_FEATURE_CONTROL:
		*why = "IA32_FEATURE_CONTROL is locked";
		return MSR_FAULT;
	case MSR_HWCR:
		if ((value ^ hwcr_host) & HWCR_GUARDED) {
			*why = "HWCR SMMLOCK/INVDWBINVD/McStatusWrEn are shoji's";
			return MSR_FAULT;
		}
		hwcr_host = value;
		return MSR_PASSTHROUGH;
	default:
		break;
	}
	if (is_vmx_cap_msr(msr)) {
		*why = "VMX does not exist for the guest";
		return MSR_FAULT;
	}
	if (fixed_msr_name(msr)) {
		*why = "memory-map/SMM MSR: the platform's decode is shoji's";
		return MSR_FAULT;
	}
	slot = mtrr_slot(msr);
	if (slot < 0)
		return MSR_PASSTHROUGH;
	bad = mtrr_write_check(msr, value);
	if (bad) {
		*why = bad;
		return MSR_FAULT;
	}
	mtrr[slot].value = value;
	mtrr_writes++;
	if (mtrr_writes <= 8 || !(mtrr_writes & (mtrr_writes - 1)))
		log_info("msr mtrr virtualised msr=0x%x value=0x%llx count=%llu: the host's MTRRs "
			 "stay the firmware's", msr, (unsigned long long)value,
			 (unsigned long long)mtrr_writes);
	return MSR_HANDLED;
}
