/* Unit tests: VT-x control computation from the capability MSRs
 * (vmm/vmx_caps).
 *
 * The expected controls were worked out by hand from the SDM's rules
 * (appendix A: allowed 0-/1-settings, TRUE_* MSRs) and shoji's list of what
 * it needs (vmx_caps.c), not by running the code. Capability sets:
 *  - Bochs 2.7 corei7_skylake_x and core2_penryn_t9600: read by shoji's
 *    vmx_probe on Bochs (the "vmx caps" log lines of scripts/shoji-bochs
 *    --cpu MODEL --cmdline iommu=off --kernel build/guest/bzImage);
 *  - a Xeon Scalable (Skylake-SP class) as Linux's vmxcap reports it in
 *    published dumps (basic revision 4, TRUE_* MSRs, EPT with 1 GiB pages).
 * Plus: a random-capability property test of the allowed-0/allowed-1 rule
 * itself, and one refusal per requirement. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "vmm/cpu_state_check.h"
#include "vmm/vcpu.h"
#include "vmm/vmx_caps.h"
#include "vmm/vmx_error.h"

static const struct vmx_cap_msrs bochs_skylake_x = {
	.basic = 0x00d810000000002bULL,
	.pinbased = 0x0000007f00000016ULL,
	.procbased = 0xf7f9fffe0401e172ULL,
	.procbased2 = 0x02177fff00000000ULL,
	.exit = 0x007fffff00036dffULL,
	.entry = 0x0000ffff000011ffULL,
	.misc = 0x00000000600401e0ULL,
	.true_pinbased = 0x0000007f00000016ULL,
	.true_procbased = 0xf7f9fffe04006172ULL,
	.true_exit = 0x007fffff00036dfbULL,
	.true_entry = 0x0000ffff000011fbULL,
	.ept_vpid_cap = 0x00000f0106334141ULL,
	.cr0_fixed0 = 0x80000021, .cr0_fixed1 = 0xffffffff,
	.cr4_fixed0 = 0x2000, .cr4_fixed1 = 0x3727ff,
};

static const struct vmx_cap_msrs xeon_skylake_sp = {
	.basic = 0x00da040000000004ULL,
	.pinbased = 0x000000ff00000016ULL,
	.procbased = 0xfff9fffe0401e172ULL,
	.procbased2 = 0x0253ffff00000000ULL,
	.exit = 0x01ffffff00036dffULL,
	.entry = 0x0003ffff000011ffULL,
	.misc = 0x000000007004c1e7ULL,
	.true_pinbased = 0x000000ff00000016ULL,
	.true_procbased = 0xfff9fffe04006172ULL,
	.true_exit = 0x01ffffff00036dfbULL,
	.true_entry = 0x0003ffff000011fbULL,
	.ept_vpid_cap = 0x00000f0106734141ULL,
	.cr0_fixed0 = 0x80000021, .cr0_fixed1 = 0xffffffff,
	.cr4_fixed0 = 0x2000, .cr4_fixed1 = 0x7727ff,
};

/* A Core 2 (Penryn), the seed's DQ35JOE generation: secondary controls
 * with only virtualize-APIC-accesses and WBINVD exiting; no EPT, no
 * unrestricted guest, no EPT/VPID capability MSR. */
static const struct vmx_cap_msrs core2_penryn = {
	.basic = 0x00d810000000002bULL,
	.pinbased = 0x0000003f00000016ULL,
	.procbased = 0xf7f9fffe0401e172ULL,
	.procbased2 = 0x0000004100000000ULL,
	.exit = 0x0003ffff00036dffULL,
	.entry = 0x00003fff000011ffULL,
	.misc = 0x00000000000401e0ULL,
	.true_pinbased = 0x0000003f00000016ULL,
	.true_procbased = 0xf7f9fffe04006172ULL,
	.true_exit = 0x0003ffff00036dfbULL,
	.true_entry = 0x00003fff000011fbULL,
	.cr0_fixed0 = 0x80000021, .cr0_fixed1 = 0xffffffff,
	.cr4_fixed0 = 0x2000, .cr4_fixed1 = 0x467ff,
};

static void expect_refusal(const struct vmx_cap_msrs *m, const char *reason)
{
	struct vmx_config cfg;

	assert_int_equal(vmx_config_compute(m, &cfg), E_UNSUPPORTED);
	assert_string_equal(cfg.reason, reason);
}

/* pin: 0x16 (default1: bits 1, 2, 4) | NMI exiting (3) | virtual NMIs (5).
 * proc: TRUE allowed-0 0x04006172 (bits 1, 4-6, 8, 13, 14, 26: CR3 load/
 * store exiting, bits 15-16, may be 0 with TRUE) | MSR bitmaps (28) | I/O
 * bitmaps (25) | secondary (31) | NMI-window (22) = 0x96406172.
 * proc2: EPT (1) | RDTSCP (3) | VPID (5) | unrestricted (7) | INVPCID (12)
 * | XSAVES (20) = 0x001010aa; user wait (26) is not offered.
 * exit: TRUE allowed-0 0x36dfb | 64-bit host (9) | PAT save/load (18, 19) |
 * EFER save/load (20, 21) = 0x3f6ffb.
 * entry: TRUE allowed-0 0x11fb | PAT (14) | EFER (15) = 0xd1fb; IA-32e mode
 * guest (9) starts clear. */
static void test_bochs_skylake_x(void **state)
{
	struct vmx_config cfg;

	(void)state;
	assert_int_equal(vmx_config_compute(&bochs_skylake_x, &cfg), 0);
	assert_int_equal(cfg.revision, 0x2b);
	assert_int_equal(cfg.region_size, 4096);
	assert_true(cfg.true_ctls);
	assert_int_equal(cfg.pinbased, 0x0000003e);
	assert_int_equal(cfg.procbased, 0x96406172);
	assert_int_equal(cfg.procbased2, 0x001010aa);
	assert_int_equal(cfg.exit, 0x003f6ffb);
	assert_int_equal(cfg.entry, 0x0000d1fb);
	assert_true(cfg.ept_2m && cfg.ept_1g && cfg.vpid && cfg.invept_single);
	assert_true(cfg.wait_for_sipi);
	assert_false(cfg.procbased & (PROC_HLT_EXITING | PROC_CR3_LOAD_EXITING |
				      PROC_CR3_STORE_EXITING | PROC_UNCOND_IO_EXITING));
	assert_false(cfg.pinbased & PIN_EXTINT_EXITING);
	assert_false(cfg.entry & ENTRY_IA32E_GUEST);
}

/* Same rules, another CPU: user wait absent too; the same values, with
 * 0x3e in pin although posted interrupts (7) could be 1. */
static void test_xeon_skylake_sp(void **state)
{
	struct vmx_config cfg;

	(void)state;
	assert_int_equal(vmx_config_compute(&xeon_skylake_sp, &cfg), 0);
	assert_int_equal(cfg.revision, 4);
	assert_int_equal(cfg.region_size, 1024);
	assert_int_equal(cfg.pinbased, 0x0000003e);
	assert_int_equal(cfg.procbased, 0x96406172);
	assert_int_equal(cfg.procbased2, 0x001010aa);
	assert_int_equal(cfg.exit, 0x003f6ffb);
	assert_int_equal(cfg.entry, 0x0000d1fb);
	assert_true(cfg.ept_2m && cfg.ept_1g && cfg.ept_ad && cfg.vpid);
}

/* The seed's kind of machine: VT-x without EPT or unrestricted guest. */
static void test_core2_refused(void **state)
{
	(void)state;
	expect_refusal(&core2_penryn, "secondary control 1 (EPT) is not supported");
}

/* Without TRUE_* MSRs the default1 controls must stay 1: CR3-load exiting
 * is then forced, which shoji does not handle. */
static void test_no_true_msrs(void **state)
{
	struct vmx_cap_msrs m = xeon_skylake_sp;

	(void)state;
	m.basic &= ~VMX_BASIC_TRUE_CTLS;
	expect_refusal(&m, "processor-based control 15 (CR3-load exiting) is forced to 1");
}

static void test_each_requirement(void **state)
{
	struct vmx_cap_msrs m;

	(void)state;
	m = bochs_skylake_x;
	m.procbased2 &= ~((uint64_t)PROC2_UNRESTRICTED_GUEST << 32);
	expect_refusal(&m, "secondary control 7 (unrestricted guest) is not supported");
	m = bochs_skylake_x;
	m.procbased2 &= ~((uint64_t)PROC2_ENABLE_EPT << 32);
	expect_refusal(&m, "secondary control 1 (EPT) is not supported");
	m = bochs_skylake_x;
	m.true_pinbased &= ~((uint64_t)PIN_VIRTUAL_NMIS << 32);
	expect_refusal(&m, "pin-based control 5 (virtual NMIs) is not supported");
	m = bochs_skylake_x;
	m.true_pinbased |= PIN_EXTINT_EXITING;
	expect_refusal(&m, "pin-based control 0 (external-interrupt exiting) is forced to 1");
	m = bochs_skylake_x;
	m.true_procbased &= ~((uint64_t)PROC_USE_MSR_BITMAPS << 32);
	expect_refusal(&m, "processor-based control 28 (MSR bitmaps) is not supported");
	m = bochs_skylake_x;
	m.true_exit &= ~((uint64_t)EXIT_LOAD_EFER << 32);
	expect_refusal(&m, "VM-exit control 21 (load IA32_EFER) is not supported");
	m = bochs_skylake_x;
	m.true_entry &= ~((uint64_t)ENTRY_IA32E_GUEST << 32);
	expect_refusal(&m, "VM-entry control 9 (IA-32e mode guest) is not supported");
	m = bochs_skylake_x;
	m.true_entry |= ENTRY_IA32E_GUEST;	/* stuck at 1: no 32-bit PVH entry */
	expect_refusal(&m, "VM-entry control 9 (IA-32e mode guest) is forced to 1");
	m = bochs_skylake_x;
	m.basic = (m.basic & ~(0xfULL << 50)) | ((uint64_t)VMX_MEMTYPE_UC << 50);
	expect_refusal(&m, "IA32_VMX_BASIC: VMCS memory type is not write-back");
	m = bochs_skylake_x;
	m.basic |= VMX_BASIC_ADDR32;
	expect_refusal(&m, "IA32_VMX_BASIC: VMX structures limited to 32-bit addresses");
	m = bochs_skylake_x;
	m.basic &= ~(0x1fffULL << 32);
	expect_refusal(&m, "IA32_VMX_BASIC: VMCS region size not in 1..4096");
	m = bochs_skylake_x;
	m.ept_vpid_cap &= ~EPT_CAP_WALK4;
	expect_refusal(&m, "EPT: no 4-level page walk");
	m = bochs_skylake_x;
	m.ept_vpid_cap &= ~EPT_CAP_MEMTYPE_WB;
	expect_refusal(&m, "EPT: tables cannot be write-back");
	m = bochs_skylake_x;
	m.ept_vpid_cap &= ~(EPT_CAP_INVEPT_SINGLE | EPT_CAP_INVEPT_ALL);
	expect_refusal(&m, "EPT: no INVEPT (single- or all-context)");
	m = bochs_skylake_x;
	m.misc &= ~VMX_MISC_STORES_LMA;
	expect_refusal(&m, "IA32_VMX_MISC: exits do not store EFER.LMA");
	m = bochs_skylake_x;
	m.procbased &= ~((uint64_t)PROC_SECONDARY_CONTROLS << 32);
	expect_refusal(&m, "no secondary processor-based controls (so no EPT and no "
			   "unrestricted guest)");
}

/* Optional features follow the CPU: no VPID without a usable INVVPID, no
 * large EPT pages where the capability MSR says so. */
static void test_optional_features(void **state)
{
	struct vmx_cap_msrs m = bochs_skylake_x;
	struct vmx_config cfg;

	(void)state;
	m.ept_vpid_cap &= ~(VPID_CAP_INVVPID_SINGLE | VPID_CAP_INVVPID_ALL);
	m.ept_vpid_cap &= ~(EPT_CAP_1G | EPT_CAP_INVEPT_SINGLE);
	m.procbased2 &= ~((uint64_t)PROC2_ENABLE_RDTSCP << 32);
	assert_int_equal(vmx_config_compute(&m, &cfg), 0);
	assert_false(cfg.vpid);
	assert_false(cfg.procbased2 & (PROC2_ENABLE_VPID | PROC2_ENABLE_RDTSCP));
	assert_true(cfg.ept_2m);
	assert_false(cfg.ept_1g);
	assert_false(cfg.invept_single);
	assert_int_equal(cfg.procbased2, 0x001010aa & ~(PROC2_ENABLE_VPID | PROC2_ENABLE_RDTSCP));
}

/* The rule itself, against random capability MSRs: whenever a field is
 * computed it satisfies both halves of the MSR, has every required bit,
 * no forbidden bit, every optional bit the CPU allows and nothing the CPU
 * does not force; whenever it is refused, the named bit really is
 * impossible. */
static void test_control_field_rule(void **state)
{
	(void)state;
	srand(16);
	for (int i = 0; i < 200000; i++) {
		uint32_t a0 = (uint32_t)rand() & (uint32_t)rand();	/* few forced bits */
		uint32_t a1 = ((uint32_t)rand() | (uint32_t)rand()) | a0;
		uint32_t req = (uint32_t)rand() & (uint32_t)rand() & (uint32_t)rand();
		uint32_t forb = (uint32_t)rand() & (uint32_t)rand() & (uint32_t)rand() & ~req;
		uint32_t opt = (uint32_t)rand() & ~req & ~forb;
		uint64_t cap = ((uint64_t)a1 << 32) | a0;
		uint32_t out = 0xdeadbeef, missing;
		bool forced;
		int rc = vmx_control_field(cap, req, opt, forb, &out, &missing, &forced);

		if (rc == 0) {
			assert_int_equal(out & a0, a0);		/* allowed 0-settings */
			assert_int_equal(out & ~a1, 0);		/* allowed 1-settings */
			assert_int_equal(out & req, req);
			assert_int_equal(out & forb, 0);
			assert_int_equal(out & opt & a1, opt & a1);
			assert_int_equal(out & ~(req | opt | a0), 0);
			assert_int_equal(req & ~a1, 0);
			assert_int_equal(forb & a0, 0);
		} else {
			assert_int_equal(rc, E_UNSUPPORTED);
			assert_int_equal(__builtin_popcount(missing), 1);
			if (forced)
				assert_true(missing & forb & a0);
			else
				assert_true(missing & req & ~a1);
		}
	}
}

/* CR0_PE, CR0_PG: vmm/cpu_state_check.h */
#define CR0_ET 0x10ULL
#define CR0_NE 0x20ULL
#define CR4_VMXE 0x2000ULL

/* The PVH entry's CR0 (PE | ET) under unrestricted guest gets NE (fixed to
 * 1); PG stays 0 and so does PE when the guest clears it (real mode).
 * Without unrestricted guest, PE and PG are forced. The masks make the
 * forced bits exit on write. */
static void test_fixed_bits(void **state)
{
	struct vmx_config cfg;

	(void)state;
	assert_int_equal(vmx_config_compute(&bochs_skylake_x, &cfg), 0);
	assert_int_equal(vmx_guest_cr0(&cfg, CR0_PE | CR0_ET), CR0_PE | CR0_ET | CR0_NE);
	assert_int_equal(vmx_guest_cr0(&cfg, 0), CR0_NE);
	assert_int_equal(vmx_guest_cr4(&cfg, 0), CR4_VMXE);
	assert_int_equal(vmx_guest_cr4(&cfg, 1ULL << 23), CR4_VMXE);	/* not allowed: dropped */
	assert_int_equal(vmx_cr0_mask(&cfg), CR0_NE);
	assert_int_equal(vmx_cr4_mask(&cfg), CR4_VMXE | (~0x3727ffULL & 0xffffffffULL));
	cfg.procbased2 &= ~PROC2_UNRESTRICTED_GUEST;
	assert_int_equal(vmx_guest_cr0(&cfg, CR0_ET), CR0_PE | CR0_ET | CR0_NE | CR0_PG);
	assert_int_equal(vmx_cr0_mask(&cfg), CR0_PE | CR0_NE | CR0_PG);
	assert_int_equal(vmx_fixed_apply(0xf0, 0x1, 0x3f), 0x31);
}

static void test_eptp(void **state)
{
	(void)state;
	/* WB (6) | walk length 4 - 1 = 3 in bits 5:3 | the root. */
	assert_int_equal(vmx_eptp(0x12345000), 0x1234501eULL);
	assert_int_equal(vmx_eptp(0xfff12345fff), 0xfff1234501eULL);
}

/* SDM 31.4 table 31-1 and appendix C, spot checks at both ends and the
 * holes of the tables. */
static void test_error_texts(void **state)
{
	(void)state;
	assert_string_equal(vmx_insn_error_str(1), "VMCALL executed in VMX root operation");
	assert_string_equal(vmx_insn_error_str(7), "VM entry with invalid control field(s)");
	assert_string_equal(vmx_insn_error_str(8), "VM entry with invalid host-state field(s)");
	assert_string_equal(vmx_insn_error_str(11),
			    "VMPTRLD with incorrect VMCS revision identifier");
	assert_string_equal(vmx_insn_error_str(28), "invalid operand to INVEPT/INVVPID");
	assert_string_equal(vmx_insn_error_str(0), "unknown");
	assert_string_equal(vmx_insn_error_str(14), "unknown");
	assert_string_equal(vmx_insn_error_str(21), "unknown");
	assert_string_equal(vmx_insn_error_str(27), "unknown");
	assert_string_equal(vmx_insn_error_str(29), "unknown");
	assert_string_equal(vmx_insn_error_str(0xffffffffu), "unknown");
	assert_string_equal(vmx_exit_reason_str(0), "exception or NMI");
	assert_string_equal(vmx_exit_reason_str(18), "VMCALL");
	assert_string_equal(vmx_exit_reason_str(48), "EPT violation");
	assert_string_equal(vmx_exit_reason_str(49), "EPT misconfiguration");
	assert_string_equal(vmx_exit_reason_str(55), "XSETBV");
	/* bit 31 (entry failure) and the other high bits do not hide the reason */
	assert_string_equal(vmx_exit_reason_str(VMX_EXIT_REASON_ENTRY_FAILURE | 33),
			    "VM-entry failure: invalid guest state");
	assert_string_equal(vmx_exit_reason_str(35), "unknown");
	assert_string_equal(vmx_exit_reason_str(70), "unknown");
	assert_string_equal(vmx_entry_failure_qual_str(4), "invalid VMCS link pointer");
	assert_string_equal(vmx_entry_failure_qual_str(1), "unknown");
}

/* The VT-x MSRs the back-end intercepts (cpu_policy): the capability MSRs
 * #GP both ways (CPUID hides VMX), IA32_FEATURE_CONTROL reads locked with
 * VMX off and the host's other bits, and refuses writes. */
static void test_vmx_msr_policy(void **state)
{
	struct msr_intercept list[32];
	unsigned n = cpu_policy_vmx_msr_intercepts(list, 32);
	uint64_t v = 0, efer = 0;
	const char *why;

	(void)state;
	assert_int_equal(n, 1 + 0x12);
	assert_int_equal(list[0].msr, 0x3a);
	assert_true(list[0].read);
	assert_int_equal(list[1].msr, 0x480);
	assert_int_equal(list[n - 1].msr, 0x491);
	assert_int_equal(cpu_policy_vmx_msr_intercepts(list, 3), 3);
	cpu_policy_set_host_msr(0x3a, 0x40005);	/* lock, VMX outside SMX, SGX (bit 18) */
	assert_int_equal(cpu_policy_rdmsr(0x3a, 0, &v), MSR_HANDLED);
	assert_int_equal(v, 0x40001);
	assert_int_equal(cpu_policy_wrmsr(0x3a, 0x5, 0, &efer, &why), MSR_FAULT);
	assert_non_null(why);
	for (uint32_t m = 0x480; m <= 0x491; m++) {
		assert_int_equal(cpu_policy_rdmsr(m, 0, &v), MSR_FAULT);
		assert_int_equal(cpu_policy_wrmsr(m, 0, 0, &efer, &why), MSR_FAULT);
	}
	assert_int_equal(cpu_policy_rdmsr(0x47f, 0, &v), MSR_PASSTHROUGH);
	assert_int_equal(cpu_policy_rdmsr(0x492, 0, &v), MSR_PASSTHROUGH);
}

/* CPUID's OSXSAVE and OSPKE bits follow the guest's CR4, not shoji's. */
static void test_cpuid_cr4_bits(void **state)
{
	uint32_t r[4] = { 0, 0, 0x08000000u | 0x201u, 0 };

	(void)state;
	cpu_policy_cpuid_cr4(1, 0, r, 0);
	assert_int_equal(r[2], 0x201u);
	cpu_policy_cpuid_cr4(1, 0, r, 1ULL << 18);
	assert_int_equal(r[2], 0x08000201u);
	r[2] = 0x10;
	cpu_policy_cpuid_cr4(7, 0, r, 0);
	assert_int_equal(r[2], 0);
	cpu_policy_cpuid_cr4(7, 0, r, 1ULL << 22);
	assert_int_equal(r[2], 0x10);
	r[2] = 0x10;
	cpu_policy_cpuid_cr4(7, 1, r, 0);	/* another subleaf: untouched */
	assert_int_equal(r[2], 0x10);
	r[2] = 0x08000000u;
	cpu_policy_cpuid_cr4(0xd, 0, r, 0);
	assert_int_equal(r[2], 0x08000000u);
}

/* XSETBV as the CPU checks it (SDM vol. 1 13.3): index 0 only, x87 kept,
 * AVX with SSE, the MPX/AVX-512/AMX groups whole, nothing unsupported. */
static void test_xcr0_check(void **state)
{
	const uint64_t all = 0x602ffULL;	/* x87 SSE AVX MPX AVX-512 PKRU AMX */

	(void)state;
	assert_null(x86_xcr0_write_check(0, 0x1, all));
	assert_null(x86_xcr0_write_check(0, 0x7, all));
	assert_null(x86_xcr0_write_check(0, 0xe7, all));
	assert_null(x86_xcr0_write_check(0, 0x602e7, all));
	assert_null(x86_xcr0_write_check(0, 0x1f, all));
	assert_non_null(x86_xcr0_write_check(1, 0x1, all));
	assert_non_null(x86_xcr0_write_check(0, 0x0, all));
	assert_non_null(x86_xcr0_write_check(0, 0x6, all));
	assert_non_null(x86_xcr0_write_check(0, 0x5, all));
	assert_non_null(x86_xcr0_write_check(0, 0x7, 0x3));
	assert_non_null(x86_xcr0_write_check(0, 0xb, all));
	assert_non_null(x86_xcr0_write_check(0, 0x67, all));
	assert_non_null(x86_xcr0_write_check(0, 0xe3, all));
	assert_non_null(x86_xcr0_write_check(0, 0x20007, all));
	assert_non_null(x86_xcr0_write_check(0, 1ULL << 63 | 1, all));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bochs_skylake_x),
		cmocka_unit_test(test_xeon_skylake_sp),
		cmocka_unit_test(test_core2_refused),
		cmocka_unit_test(test_no_true_msrs),
		cmocka_unit_test(test_each_requirement),
		cmocka_unit_test(test_optional_features),
		cmocka_unit_test(test_control_field_rule),
		cmocka_unit_test(test_fixed_bits),
		cmocka_unit_test(test_eptp),
		cmocka_unit_test(test_error_texts),
		cmocka_unit_test(test_vmx_msr_policy),
		cmocka_unit_test(test_xcr0_check),
		cmocka_unit_test(test_cpuid_cr4_bits),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
