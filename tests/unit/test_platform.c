/* Unit tests of the platform policy: the chipset register table and guard
 * (every guarded register, every width and offset of a write that overlaps
 * it), the SMRAM lock and the APMC decision over a modelled Q35 MCH, the
 * control-register validator (every reserved bit of EFER, CR0, CR4, DR6/7),
 * the MOV to CR0/CR4 decoder and emulation (cr_write.h),
 * and the memory-map/SMM/MTRR MSR policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"
#include "lib/error.h"
#include "platform/pci.h"
#include "vmm/chipset_guard.h"
#include "vmm/cpu_state_check.h"
#include "vmm/cr_write.h"
#include "vmm/pci_guard.h"
#include "vmm/vcpu.h"

#define MCH_BDF PCI_BDF(0, 0, 0, 0)
#define LPC_BDF PCI_BDF(0, 0, 0x1f, 0)

/* The dword at `reg` of a register file whose byte i is `fill + i`. */
static uint16_t smram_reg = 0x9d;	/* where the modelled host bridge has it */

static uint32_t dword_of(uint16_t reg, uint8_t fill)
{
	uint32_t v = 0;

	for (int i = 0; i < 4; i++)
		v |= (uint32_t)(uint8_t)(fill + reg + i) << (8 * i);
	return v;
}

/* Every register of every model: each aligned access of each width that
 * overlaps it, flipping every bit of the access, is refused when a fixed
 * bit lies in it; writing the current value back always passes. */
static void test_every_guarded_register_every_overlap(void **state)
{
	unsigned nm;
	const struct chipset_model *m = chipset_models(&nm);
	unsigned checked = 0;

	assert_int_equal(nm, 2);
	for (unsigned i = 0; i < nm; i++) {
		struct pci_bdf bdf = i == 0 ? MCH_BDF : LPC_BDF;

		for (unsigned r = 0; r < m[i].n_regs; r++) {
			const struct chipset_reg *reg = &m[i].regs[r];

			assert_non_null(reg->reason);
			assert_true(reg->width >= 1 && reg->width <= 8);
			assert_true(reg->fixed != 0);
			for (int size = 1; size <= 4; size *= 2) {
				for (int off = (reg->off & ~3) - 4; off < reg->off + reg->width + 4;
				     off += size) {
					uint16_t o = (uint16_t)off;
					uint32_t cur = dword_of(o & ~3u, 0x11);
					uint32_t same = cur >> ((o & 3) * 8);
					uint32_t flip = ~same;
					bool overlaps = off < reg->off + reg->width &&
							reg->off < off + size;
					struct chipset_verdict v;

					if (off < 0)
						continue;
					v = chipset_guard_check(bdf, 0x8086, m[i].devices[0],
								0x060000, o, size, same, cur);
					assert_false(v.refused);
					v = chipset_guard_check(bdf, 0x8086, m[i].devices[0],
								0x060000, o, size, flip, cur);
					if (overlaps) {
						/* this register, or a neighbour the access
						 * also touches: refused either way */
						assert_true(v.refused);
						checked++;
					}
				}
			}
		}
	}
	assert_true(checked > 200);
}

static void test_chipset_examples(void **state)
{
	uint32_t smram_dw = 0x00380a00;	/* 0x9c: F_SMBASE 0, SMRAM 0x0a, ESMRAMC 0x38 */
	struct chipset_verdict v;

	chipset_guard_reset();
	/* The example: a 4-byte write at 0x9C touching 0x9D. */
	v = chipset_guard_check(MCH_BDF, 0x8086, 0x29c0, 0x060000, 0x9c, 4, 0x00384a00, smram_dw);
	assert_true(v.refused);
	assert_string_equal(v.reg, "SMRAM");
	assert_string_equal(v.model, "q35-mch");
	/* D_OPEN alone, byte-wide; D_CLS may change (masked register). */
	assert_true(chipset_guard_check(MCH_BDF, 0x8086, 0x29c0, 0x060000, 0x9d, 1, 0x4a,
					smram_dw).refused);
	assert_false(chipset_guard_check(MCH_BDF, 0x8086, 0x29c0, 0x060000, 0x9d, 1, 0x2a,
					 smram_dw).refused);
	/* TSEG enable through a 16-bit write at 0x9e. */
	v = chipset_guard_check(MCH_BDF, 0x8086, 0x29c0, 0x060000, 0x9e, 2, 0x0039, smram_dw);
	assert_true(v.refused);
	assert_string_equal(v.reg, "ESMRAMC");
	/* PCIEXBAR's upper half. */
	v = chipset_guard_check(MCH_BDF, 0x8086, 0x29c0, 0x060000, 0x64, 4, 1, 0);
	assert_true(v.refused);
	assert_string_equal(v.reg, "PCIEXBAR");
	/* The standard header passes (the PCI guard has its own rules). */
	assert_false(chipset_guard_check(MCH_BDF, 0x8086, 0x29c0, 0x060000, 0x04, 2, 0x0106,
					 0x00000006).refused);
	/* Extended space of a known chipset function: fixed. */
	v = chipset_guard_check(MCH_BDF, 0x8086, 0x29c0, 0x060000, 0x100, 4, 1, 0);
	assert_true(v.refused);
	assert_string_equal(v.reg, "extended-space");
	/* LPC: RCBA byte 1 (bits 15:8 of the base), PIRQ routing passes,
	 * BIOS_CNTL's cache bits pass but BIOSWE does not. */
	v = chipset_guard_check(LPC_BDF, 0x8086, 0x2918, 0x060100, 0xf1, 1, 0x80, 0xfed1c001);
	assert_true(v.refused);
	assert_string_equal(v.reg, "RCBA");
	assert_false(chipset_guard_check(LPC_BDF, 0x8086, 0x2918, 0x060100, 0x60, 4, 0x0b0a0b0a,
					 0x0a0b0a0b).refused);
	assert_false(chipset_guard_check(LPC_BDF, 0x8086, 0x2918, 0x060100, 0xdc, 1, 0x0c, 0)
			     .refused);
	assert_true(chipset_guard_check(LPC_BDF, 0x8086, 0x2918, 0x060100, 0xdc, 1, 0x01, 0)
			    .refused);
	assert_int_equal(chipset_guard_refusals(), 7);
	/* Every ICH9 LPC and 3-series MCH ID is known; others are not. */
	assert_non_null(chipset_model_of(0x8086, 0x2916));
	assert_non_null(chipset_model_of(0x8086, 0x29b0));
	assert_null(chipset_model_of(0x8086, 0x1237));
	assert_null(chipset_model_of(0x1022, 0x2918));
}

static void test_unknown_bridges_get_the_default(void **state)
{
	struct chipset_verdict v;

	chipset_guard_reset();
	/* An unknown host bridge (i440FX here): 0x40-0xfff fixed. */
	v = chipset_guard_check(MCH_BDF, 0x8086, 0x1237, 0x060000, 0x59, 1, 0x30, 0);
	assert_true(v.refused);
	assert_string_equal(v.model, "unknown-host-bridge");
	assert_true(chipset_guard_check(MCH_BDF, 0x8086, 0x1237, 0x060000, 0xfc, 4, 1, 0).refused);
	assert_true(chipset_guard_check(MCH_BDF, 0x8086, 0x1237, 0x060000, 0x800, 4, 1, 0).refused);
	assert_false(chipset_guard_check(MCH_BDF, 0x8086, 0x1237, 0x060000, 0x04, 2, 6, 0).refused);
	assert_false(chipset_guard_check(MCH_BDF, 0x8086, 0x1237, 0x060000, 0x40, 4, 7, 7).refused);
	/* An unknown ISA bridge on bus 0 too; the same IDs elsewhere are not chipset. */
	v = chipset_guard_check(PCI_BDF(0, 0, 1, 0), 0x1106, 0x0686, 0x060100, 0x48, 1, 1, 0);
	assert_true(v.refused);
	assert_string_equal(v.model, "unknown-isa-bridge");
	assert_false(chipset_guard_check(PCI_BDF(0, 2, 0, 0), 0x1106, 0x0686, 0x060100, 0x48, 1,
					 1, 0).refused);
	assert_false(chipset_guard_check(PCI_BDF(0, 0, 3, 0), 0x1234, 0x11e8, 0x00ff00, 0x48, 4,
					 1, 0).refused);
}

static void test_refusal_log_is_rate_limited(void **state)
{
	chipset_guard_reset();
	host_log_clear();
	for (int i = 0; i < 100; i++)
		assert_true(chipset_guard_check(MCH_BDF, 0x8086, 0x29c0, 0x060000, 0x90, 1, 0x33,
						0x11111110).refused);
	/* The first 8, then counts 16, 32, 64. */
	assert_int_equal(host_log_count("chipset guard refused bdf=00:00.0 model=q35-mch reg=PAM0"),
			 11);
	assert_int_equal(host_log_count("count=64:"), 1);
	assert_int_equal(chipset_guard_refusals(), 100);
}

/* ---------------- SMRAM lock over a modelled MCH ---------------- */

#define ECAM_BASE 0x7f0000000000ULL
static uint8_t mch[4096];
static bool lock_ignored;	/* a broken chipset that drops D_LCK */

static uint64_t ecam_read(struct host_mmio_model *m, uint64_t off, int width)
{
	uint64_t v = 0;

	if (off >= 4096)	/* only 00:00.0 exists */
		return width == 4 ? 0xffffffffu : width == 2 ? 0xffff : 0xff;
	memcpy(&v, mch + off, (size_t)width);
	return v;
}

/* QEMU's q35 SMRAM semantics (hw/pci-host/q35.c mch_write_config): once
 * D_LCK is set, only D_CLS is writable and D_OPEN reads 0. */
static void ecam_write(struct host_mmio_model *m, uint64_t off, int width, uint64_t v)
{
	for (int i = 0; i < width && off + i < 4096; i++) {
		uint8_t b = (uint8_t)(v >> (8 * i));
		uint64_t o = off + i;

		if (o == smram_reg) {
			if (mch[o] & SMRAM_D_LCK)
				b = (uint8_t)((mch[o] & ~SMRAM_D_CLS) | (b & SMRAM_D_CLS));
			if (lock_ignored)
				b &= (uint8_t)~SMRAM_D_LCK;
			if (b & SMRAM_D_LCK)
				b &= (uint8_t)~SMRAM_D_OPEN;
		}
		if (o >= 0x40)
			mch[o] = b;
	}
}

static struct host_mmio_model ecam = { ECAM_BASE, 1 << 20, ecam_read, ecam_write };

static int mch_setup(void **state)
{
	memset(mch, 0, sizeof(mch));
	*(uint16_t *)&mch[0] = 0x8086;
	*(uint16_t *)&mch[2] = 0x29c0;
	mch[0x0b] = 0x06;	/* host bridge */
	mch[0x9d] = 0x0a;	/* as SeaBIOS leaves it: G_SMRAME, C_BASE_SEG=2, unlocked */
	smram_reg = 0x9d;
	lock_ignored = false;
	host_mmio = &ecam;
	pci_cfg_reset();
	assert_int_equal(pci_add_ecam(0, ECAM_BASE, 0, 0), 0);
	assert_int_equal(pci_enumerate(), 1);
	pci_guard_reset();
	chipset_guard_reset();
	host_log_clear();
	return 0;
}

static int mch_teardown(void **state)
{
	host_mmio = NULL;
	pci_cfg_reset();
	return 0;
}

static void test_smram_lock_and_apmc(void **state)
{
	assert_false(chipset_smi_allowed());
	assert_false(chipset_apmc_write_allowed(0x00));
	assert_int_equal(host_log_count("chipset guard refused apmc port=0xb2 value=0x00"), 1);
	mch[0x9d] |= SMRAM_D_OPEN;	/* the guest (or firmware) opened it */
	assert_int_equal(chipset_lock_smram(), 0);
	assert_int_equal(mch[0x9d], 0x1a);	/* D_OPEN off, D_LCK on, the rest kept */
	assert_int_equal(host_log_count("chipset smram locked=yes by=shoji was=0x4a now=0x1a"), 1);
	assert_true(chipset_smi_allowed());
	assert_true(chipset_apmc_write_allowed(0x00));
	/* Locked by the firmware already: nothing written. */
	assert_int_equal(chipset_lock_smram(), 0);
	assert_int_equal(host_log_count("locked=yes by=firmware"), 1);
	/* The guard refuses D_OPEN whatever the hardware would do. */
	assert_false(pci_guard_allows(MCH_BDF, 0x9d, 1, 0x5a, 0x00001a00));
	assert_int_equal(pci_guard_refusals(), 1);
}

static void test_smram_lock_that_does_not_stick(void **state)
{
	lock_ignored = true;
	assert_int_equal(chipset_lock_smram(), E_FAULT);
	assert_int_equal(host_log_count("chipset smram locked=no was=0x0a now=0x0a"), 1);
	assert_false(chipset_smi_allowed());
}

/* The i440FX (Bochs, QEMU's pc): no register table (all of 0x40-0xfff
 * stays fixed for the guest), but its SMRAM register at 0x72 is locked. */
static void test_smram_lock_i440fx(void **state)
{
	*(uint16_t *)&mch[2] = 0x1237;
	mch[0x9d] = 0;
	mch[0x72] = 0x0a;	/* as Bochs' BIOS leaves it: G_SMRAME, C_BASE_SEG=2 */
	smram_reg = 0x72;
	pci_cfg_reset();
	assert_int_equal(pci_add_ecam(0, ECAM_BASE, 0, 0), 0);
	assert_int_equal(pci_enumerate(), 1);
	assert_false(chipset_smi_allowed());
	assert_int_equal(chipset_lock_smram(), 0);
	assert_int_equal(mch[0x72], 0x1a);
	assert_int_equal(host_log_count("chipset smram locked=yes by=shoji was=0x0a now=0x1a"), 1);
	assert_true(chipset_smi_allowed());
	assert_true(chipset_apmc_write_allowed(0xf1));
	assert_null(chipset_model_of(0x8086, 0x1237));
	assert_true(chipset_guard_check(MCH_BDF, 0x8086, 0x1237, 0x060000, 0x72, 1, 0x5a, 0x1a)
			    .refused);
}

static void test_smram_lock_without_known_bridge(void **state)
{
	*(uint16_t *)&mch[2] = 0x7190;	/* 82443BX: shoji knows nothing of it */
	pci_cfg_reset();
	assert_int_equal(pci_add_ecam(0, ECAM_BASE, 0, 0), 0);
	assert_int_equal(pci_enumerate(), 1);
	assert_int_equal(chipset_lock_smram(), E_UNSUPPORTED);
	assert_false(chipset_smi_allowed());
	assert_int_equal(host_log_count("smram locked=unknown"), 1);
}

/* ---------------- control registers ---------------- */

/* A CPU with everything the validator knows of. */
static const struct x86_features all = {
	.l1_ecx = (1u << 5) | (1u << 6) | (1u << 17) | (1u << 26),
	.l1_edx = 1u << 12,
	.l7_ebx = (1u << 0) | (1u << 7) | (1u << 20),
	.l7_ecx = (1u << 2) | (1u << 3) | (1u << 7) | (1u << 16) | (1u << 23) | (1u << 31),
	.l7_edx = 1u << 5,
	.e1_ecx = (1u << 2) | (1u << 17),
	.e1_edx = (1u << 11) | (1u << 20) | (1u << 25) | (1u << 29),
	.phys_bits = 40,
};
static const struct x86_features none = { .phys_bits = 36 };

static void test_efer_every_reserved_bit(void **state)
{
	uint64_t valid = EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME | EFER_FFXSR |
			 EFER_TCE, out;

	assert_int_equal(x86_efer_valid_bits(&all), valid);
	assert_int_equal(x86_efer_valid_bits(&none), 0);
	for (int b = 0; b < 64; b++) {
		uint64_t v = 1ULL << b;
		const char *why = x86_efer_write_check(0, v, 0, &all, &out);

		if (valid & v) {
			assert_null(why);
		} else {
			assert_non_null(why);
			assert_string_equal(why, "EFER reserved bit set");
		}
		/* Without the CPUID feature every bit is reserved. */
		assert_non_null(x86_efer_write_check(0, v, 0, &none, &out));
	}
	/* LME may not change with paging on; LMA is the CPU's. */
	assert_string_equal(x86_efer_write_check(EFER_LME | EFER_LMA, 0, CR0_PG | CR0_PE, &all, &out),
			    "EFER.LME changed with paging on");
	assert_null(x86_efer_write_check(EFER_LME | EFER_LMA, EFER_LME | EFER_NXE, CR0_PG | CR0_PE,
					 &all, &out));
	assert_int_equal(out, EFER_LME | EFER_LMA | EFER_NXE);	/* LMA kept */
	assert_null(x86_efer_write_check(0, EFER_LME | EFER_LMA, CR0_PE, &all, &out));
	assert_int_equal(out, EFER_LME);			/* LMA not set by a write */
}

static void test_cr0_every_reserved_bit(void **state)
{
	for (int b = 32; b < 64; b++)
		assert_string_equal(x86_cr0_write_check(CR0_PE | (1ULL << b), 0, 0),
				    "CR0 bits 63:32 set");
	/* Reserved bits of 31:0 are ignored by the CPU, not refused. */
	for (int b = 6; b < 32; b++)
		if (b != 16 && b != 18 && b < 29)
			assert_null(x86_cr0_write_check(CR0_PE | (1ULL << b), 0, 0));
	assert_string_equal(x86_cr0_write_check(CR0_NW, 0, 0), "CR0.NW set without CR0.CD");
	assert_null(x86_cr0_write_check(CR0_NW | CR0_CD, 0, 0));
	assert_string_equal(x86_cr0_write_check(CR0_PG, 0, 0), "CR0.PG set without CR0.PE");
	assert_string_equal(x86_cr0_write_check(CR0_PG | CR0_PE, 0, EFER_LME),
			    "long mode paging without CR4.PAE");
	assert_null(x86_cr0_write_check(CR0_PG | CR0_PE, CR4_PAE, EFER_LME));
}

static void test_cr4_every_reserved_bit(void **state)
{
	uint64_t valid = x86_cr4_valid_bits(&all);

	assert_int_equal(valid, 0x3ff7fffULL);	/* 0-14, 16-25 */
	assert_int_equal(x86_cr4_valid_bits(&none), 0x7ff);
	for (int b = 0; b < 64; b++) {
		uint64_t v = (1ULL << b) | CR4_PAE;
		const char *why = x86_cr4_write_check(0, v, 0, EFER_LME | EFER_LMA, &all);

		if (valid & (1ULL << b))
			assert_null(why);
		else
			assert_string_equal(why, "CR4 reserved bit set");
		if (b > 10)
			assert_string_equal(x86_cr4_write_check(0, v, 0, EFER_LME | EFER_LMA, &none),
					    "CR4 reserved bit set");
	}
	assert_string_equal(x86_cr4_write_check(CR4_PAE, 0, 0, EFER_LME | EFER_LMA, &all),
			    "CR4.PAE cleared in long mode");
	assert_string_equal(x86_cr4_write_check(CR4_PAE, CR4_PAE | CR4_PCIDE, 0x1001, EFER_LMA, &all),
			    "CR4.PCIDE set with CR3[11:0] non-zero");
	assert_string_equal(x86_cr4_write_check(CR4_PAE, CR4_PAE | CR4_PCIDE, 0, 0, &all),
			    "CR4.PCIDE set outside long mode");
}

static void test_guest_state_check(void **state)
{
	struct x86_guest_state ok64 = {
		.efer = EFER_SVME | EFER_LME | EFER_LMA | EFER_NXE | EFER_SCE,
		.cr0 = CR0_PG | CR0_PE | (1ULL << 16), .cr3 = 0x1000000, .cr4 = CR4_PAE | 0x80,
		.dr6 = 0xffff0ff0, .dr7 = 0x400, .cs_attrib = 0xa9b,
	};
	struct x86_guest_state s;

	assert_null(x86_guest_state_check(&ok64, &all));
	s = ok64, s.efer &= ~EFER_SVME;
	assert_string_equal(x86_guest_state_check(&s, &all), "EFER.SVME clear");
	for (int b = 16; b < 64; b++) {
		s = ok64, s.efer |= 1ULL << b;
		assert_string_equal(x86_guest_state_check(&s, &all), "EFER reserved bit set");
		s = ok64, s.dr6 |= b >= 32 ? 1ULL << b : 0, s.dr7 |= b >= 32 ? 1ULL << b : 0;
		if (b >= 32)
			assert_string_equal(x86_guest_state_check(&s, &all), "DR6/DR7 bits 63:32 set");
	}
	s = ok64, s.efer |= 1ULL << 9;
	assert_string_equal(x86_guest_state_check(&s, &all), "EFER reserved bit set");
	s = ok64, s.cr3 |= 1ULL << 40;	/* above MAXPHYADDR */
	assert_string_equal(x86_guest_state_check(&s, &all), "CR3 reserved bit set");
	s = ok64, s.cr4 |= 1ULL << 15;
	assert_string_equal(x86_guest_state_check(&s, &all), "CR4 reserved bit set");
	s = ok64, s.cr0 |= 1ULL << 40;
	assert_string_equal(x86_guest_state_check(&s, &all), "CR0 bits 63:32 set");
	s = ok64, s.cs_attrib |= 0x400;
	assert_string_equal(x86_guest_state_check(&s, &all), "CS.L and CS.D both set in long mode");
	/* PVH entry state: 32-bit protected mode, no paging. */
	s = (struct x86_guest_state){ .efer = EFER_SVME, .cr0 = CR0_PE | 0x10, .dr6 = 0xffff0ff0,
				      .dr7 = 0x400, .cs_attrib = 0xc9b };
	assert_null(x86_guest_state_check(&s, &all));
	s.cr3 = 1ULL << 32;
	assert_string_equal(x86_guest_state_check(&s, &all), "CR3 reserved bit set");
}

/* ---------------- MSR policy ---------------- */

static void msr_policy_setup(unsigned *n, struct msr_intercept *list, unsigned max)
{
	struct x86_features guest = all;

	guest.e1_ecx &= ~(1u << 2);
	cpu_policy_set_features(&guest);
	/* MTRRcap: 8 variable MTRRs, fixed ones, WC. */
	*n = cpu_policy_msr_intercepts(0x508, list, max);
	for (unsigned i = 0; i < *n; i++)
		if (list[i].read)
			cpu_policy_set_host_msr(list[i].msr, list[i].msr == 0x2ff ? 0xc06 : 0);
	cpu_policy_set_host_msr(0xC0010015, 0x01000011);	/* HWCR: SMMLOCK, INVDWBINVD, bit 24 */
}

static void test_msr_intercept_list(void **state)
{
	struct msr_intercept list[64];
	unsigned n, reads = 0;
	bool seen_syscfg = false, seen_mtrr_last = false;

	msr_policy_setup(&n, list, 64);
	for (unsigned i = 0; i < n; i++) {
		reads += list[i].read;
		seen_syscfg |= list[i].msr == 0xC0010010 && !list[i].read;
		seen_mtrr_last |= list[i].msr == 0x20f && list[i].read;
		assert_false(list[i].msr == 0x210);	/* beyond MTRRcap.VCNT */
	}
	assert_true(seen_syscfg && seen_mtrr_last);
	assert_int_equal(reads, 16 + 11 + 1);
	assert_int_equal(n, 11 + 1 + 16 + 11 + 1);
	/* A short list is not overrun. */
	assert_int_equal(cpu_policy_msr_intercepts(0x508, list, 3), 3);
}

static void test_memory_map_and_smm_msrs_refused(void **state)
{
	static const uint32_t fixed[] = { 0xC0010010, 0xC0010016, 0xC0010017, 0xC0010018,
					  0xC0010019, 0xC001001A, 0xC001001D, 0xC0010058,
					  0xC0010111, 0xC0010112, 0xC0010113 };
	struct msr_intercept list[64];
	uint64_t efer = EFER_SVME | EFER_LME | EFER_LMA, v;
	const char *why;
	unsigned n;

	msr_policy_setup(&n, list, 64);
	for (unsigned i = 0; i < ARRAY_SIZE(fixed); i++) {
		assert_int_equal(cpu_policy_wrmsr(fixed[i], 0x20000000, CR0_PG, &efer, &why),
				 MSR_FAULT);
		assert_non_null(why);
		assert_int_equal(cpu_policy_rdmsr(fixed[i], efer, &v), MSR_PASSTHROUGH);
	}
	/* HWCR: the guarded bits stay, the others pass to the CPU. */
	assert_int_equal(cpu_policy_wrmsr(0xC0010015, 0x01000010, CR0_PG, &efer, &why), MSR_FAULT);
	assert_int_equal(cpu_policy_wrmsr(0xC0010015, 0x01000001, CR0_PG, &efer, &why), MSR_FAULT);
	assert_int_equal(cpu_policy_wrmsr(0xC0010015, 0x01040011, CR0_PG, &efer, &why), MSR_FAULT);
	assert_int_equal(cpu_policy_wrmsr(0xC0010015, 0x41000011, CR0_PG, &efer, &why),
			 MSR_PASSTHROUGH);
	assert_int_equal(cpu_policy_wrmsr(0xC0010015, 0x40000011, CR0_PG, &efer, &why),
			 MSR_PASSTHROUGH);
	/* Others are not the policy's. */
	assert_int_equal(cpu_policy_wrmsr(0xC0000081, 1, CR0_PG, &efer, &why), MSR_PASSTHROUGH);
}

static void test_mtrrs_virtualised(void **state)
{
	struct msr_intercept list[64];
	uint64_t efer = EFER_SVME, v;
	const char *why;
	unsigned n;

	msr_policy_setup(&n, list, 64);
	host_log_clear();
	assert_int_equal(cpu_policy_rdmsr(0x2ff, efer, &v), MSR_HANDLED);
	assert_int_equal(v, 0xc06);
	/* UC over (what could be) the hypervisor region: kept, not on the CPU. */
	assert_int_equal(cpu_policy_wrmsr(0x20e, 0x3e000000, 0, &efer, &why), MSR_HANDLED);
	assert_int_equal(cpu_policy_wrmsr(0x20f, 0xfffe000800ULL, 0, &efer, &why), MSR_HANDLED);
	assert_int_equal(cpu_policy_rdmsr(0x20e, efer, &v), MSR_HANDLED);
	assert_int_equal(v, 0x3e000000);
	assert_int_equal(host_log_count("msr mtrr virtualised msr=0x20e"), 1);
	/* What the CPU refuses, refused: types 2, 3, 7+, reserved bits. */
	assert_int_equal(cpu_policy_wrmsr(0x200, 0x2, 0, &efer, &why), MSR_FAULT);
	assert_string_equal(why, "MTRRphysBase invalid type");
	assert_int_equal(cpu_policy_wrmsr(0x200, 0x106, 0, &efer, &why), MSR_FAULT);
	assert_int_equal(cpu_policy_wrmsr(0x200, (1ULL << 40) | 6, 0, &efer, &why), MSR_FAULT);
	assert_int_equal(cpu_policy_wrmsr(0x201, 0x801, 0, &efer, &why), MSR_FAULT);
	assert_string_equal(why, "MTRRphysMask reserved bit set");
	assert_int_equal(cpu_policy_wrmsr(0x2ff, 0xc03, 0, &efer, &why), MSR_FAULT);
	assert_int_equal(cpu_policy_wrmsr(0x2ff, 0x1c06, 0, &efer, &why), MSR_FAULT);
	assert_int_equal(cpu_policy_wrmsr(0x2ff, 0x806, 0, &efer, &why), MSR_HANDLED);
	assert_int_equal(cpu_policy_wrmsr(0x250, 0x0606060606060606ULL, 0, &efer, &why),
			 MSR_HANDLED);
	assert_int_equal(cpu_policy_wrmsr(0x250, 0x0606060606060607ULL, 0, &efer, &why), MSR_FAULT);
	assert_int_equal(cpu_policy_wrmsr(0x258, 0x1806060606060606ULL, 0, &efer, &why), MSR_FAULT);
	assert_int_equal(cpu_policy_rdmsr(0x250, efer, &v), MSR_HANDLED);
	assert_int_equal(v, 0x0606060606060606ULL);
}

static void test_efer_writes(void **state)
{
	struct msr_intercept list[64];
	uint64_t efer = EFER_SVME | EFER_LME | EFER_LMA | EFER_SCE, v;
	const char *why;
	unsigned n;

	msr_policy_setup(&n, list, 64);
	for (int b = 0; b < 64; b++) {
		uint64_t before = efer;
		enum msr_verdict r = cpu_policy_wrmsr(0xC0000080, (efer & ~EFER_SVME) | (1ULL << b),
						      CR0_PG | CR0_PE, &efer, &why);
		bool ok = ((EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_FFXSR | EFER_TCE) >> b) & 1;

		assert_int_equal(r, ok ? MSR_HANDLED : MSR_FAULT);
		if (!ok)
			assert_int_equal(efer, before);	/* untouched: VMRUN never sees it */
		efer = before;
	}
	assert_int_equal(cpu_policy_wrmsr(0xC0000080, EFER_SCE, CR0_PG | CR0_PE, &efer, &why),
			 MSR_FAULT);
	assert_string_equal(why, "EFER.LME changed with paging on");
	assert_int_equal(cpu_policy_rdmsr(0xC0000080, efer, &v), MSR_HANDLED);
	assert_int_equal(v, EFER_LME | EFER_LMA | EFER_SCE);
}

/* ---- MOV to CR0/CR4 emulation (vmm/cr_write.h) ---- */

static void test_cr_insn_decode(void **state)
{
	struct cr_insn in;
	const char *why;
	/* mov %rdi,%cr0 ; mov %r12,%cr4 ; mov %eax,%cr0 (66 ignored) ; lmsw %ax */
	static const uint8_t mov_cr0[] = { 0x0f, 0x22, 0xc7 }, mov_cr4_r12[] = { 0x41, 0x0f, 0x22, 0xe4 },
			     p66[] = { 0x66, 0x0f, 0x22, 0xc0 }, lmsw[] = { 0x0f, 0x01, 0xf0 },
			     lmsw_mem[] = { 0x0f, 0x01, 0x30 }, lock[] = { 0xf0, 0x0f, 0x22, 0xc0 },
			     rexr[] = { 0x44, 0x0f, 0x22, 0xc0 }, rex_then_66[] = { 0x41, 0x66, 0x0f, 0x22, 0xe0 },
			     mov_from[] = { 0x0f, 0x20, 0xc0 }, shortb[] = { 0x41, 0x0f, 0x22 },
			     clts[] = { 0x0f, 0x06 };

	(void)state;
	assert_int_equal(cr_insn_decode(mov_cr0, sizeof(mov_cr0), X86_MODE_64, &in, &why), 0);
	assert_true(in.kind == CR_INSN_MOV && in.cr == 0 && in.gpr == X86_RDI && in.len == 3);
	assert_int_equal(cr_insn_decode(mov_cr4_r12, 4, X86_MODE_64, &in, &why), 0);
	assert_true(in.cr == 4 && in.gpr == X86_R12 && in.len == 4);
	/* Outside 64-bit mode 0x41 is INC ECX, not a REX: not our instruction. */
	assert_int_equal(cr_insn_decode(mov_cr4_r12, 4, X86_MODE_32, &in, &why), E_UNSUPPORTED);
	assert_int_equal(cr_insn_decode(p66, 4, X86_MODE_32, &in, &why), 0);
	assert_true(in.cr == 0 && in.gpr == X86_RAX && in.len == 4);
	assert_int_equal(cr_insn_decode(lmsw, 3, X86_MODE_32, &in, &why), 0);
	assert_true(in.kind == CR_INSN_LMSW && in.gpr == X86_RAX);
	assert_int_equal(cr_insn_decode(lmsw_mem, 3, X86_MODE_32, &in, &why), E_UNSUPPORTED);
	assert_string_equal(why, "LMSW with a memory operand");
	assert_int_equal(cr_insn_decode(lock, 4, X86_MODE_32, &in, &why), E_UNSUPPORTED);
	assert_int_equal(cr_insn_decode(rexr, 4, X86_MODE_64, &in, &why), 0);
	assert_int_equal(in.cr, 8);
	/* A REX followed by a legacy prefix does not count. */
	assert_int_equal(cr_insn_decode(rex_then_66, 5, X86_MODE_64, &in, &why), 0);
	assert_true(in.cr == 4 && in.gpr == X86_RAX && in.len == 5);
	assert_int_equal(cr_insn_decode(mov_from, 3, X86_MODE_64, &in, &why), E_UNSUPPORTED);
	assert_int_equal(cr_insn_decode(clts, 2, X86_MODE_64, &in, &why), 0);
	assert_true(in.kind == CR_INSN_CLTS && in.cr == 0 && in.len == 2);
	assert_int_equal(cr_insn_decode(shortb, 3, X86_MODE_64, &in, &why), E_RANGE);
}

static void test_cr_insn_value(void **state)
{
	struct cr_insn mov = { .kind = CR_INSN_MOV }, lmsw = { .kind = CR_INSN_LMSW },
		       clts = { .kind = CR_INSN_CLTS };

	(void)state;
	assert_int_equal(cr_insn_value(&mov, 0x100000011ULL, X86_MODE_64, 0), 0x100000011ULL);
	assert_int_equal(cr_insn_value(&mov, 0x100000011ULL, X86_MODE_32, 0), 0x11);
	/* LMSW sets PE/MP/EM/TS from the operand but never clears PE. */
	assert_int_equal(cr_insn_value(&lmsw, 0xfff0, X86_MODE_32, 0x80000011), 0x80000011);
	assert_int_equal(cr_insn_value(&lmsw, 0xe, X86_MODE_32, 0x10), 0x1e);
	assert_int_equal(cr_insn_value(&clts, 0, X86_MODE_64, 0x8000001b), 0x80000013);
}

static const struct cr_state long64 = {
	.cr0 = CR0_PG | CR0_PE | (1ULL << 4), .cr3 = 0x1000, .cr4 = CR4_PAE,
	.efer = EFER_LME | EFER_LMA, .cs_l = true,
};

static bool same_state(const struct cr_state *a, const struct cr_state *b)
{
	return a->cr0 == b->cr0 && a->cr3 == b->cr3 && a->cr4 == b->cr4 && a->efer == b->efer &&
	       a->cs_l == b->cs_l;
}

static void test_cr0_write_rules(void **state)
{
	struct cr_state s;
	bool flush;

	(void)state;
	/* Every bit of 63:32, and NW without CD: #GP, nothing changes. */
	for (int b = 32; b < 64; b++) {
		s = long64;
		assert_string_equal(cr0_write(&s, long64.cr0 | (1ULL << b), &flush), "CR0 bits 63:32 set");
		assert_true(same_state(&s, &long64));
	}
	s = long64;
	assert_string_equal(cr0_write(&s, long64.cr0 | CR0_NW, &flush), "CR0.NW set without CR0.CD");
	assert_null(cr0_write(&s, long64.cr0 | CR0_NW | CR0_CD, &flush));
	assert_true(flush);
	s = long64;
	assert_string_equal(cr0_write(&s, CR0_PE, &flush), "CR0.PG cleared in 64-bit mode");
	/* From compatibility mode, clearing PG leaves long mode: LMA drops. */
	s = long64, s.cs_l = false;
	assert_null(cr0_write(&s, CR0_PE, &flush));
	assert_int_equal(s.efer, EFER_LME);
	assert_int_equal(s.cr0, CR0_PE | (1ULL << 4));	/* ET reads 1 */
	/* Enabling paging with LME: PAE is required, LMA is set. */
	s = (struct cr_state){ .cr0 = CR0_PE | (1ULL << 4), .efer = EFER_LME };
	assert_string_equal(cr0_write(&s, CR0_PE | CR0_PG, &flush), "long mode paging without CR4.PAE");
	assert_int_equal(s.efer, EFER_LME);
	s.cr4 = CR4_PAE;
	assert_null(cr0_write(&s, CR0_PE | CR0_PG, &flush));
	assert_int_equal(s.efer, EFER_LME | EFER_LMA);
	assert_true(flush);
	/* Without LME, paging is 32-bit/PAE paging: no LMA. */
	s = (struct cr_state){ .cr0 = CR0_PE };
	assert_null(cr0_write(&s, CR0_PE | CR0_PG, &flush));
	assert_int_equal(s.efer, 0);
	assert_string_equal(cr0_write(&s, CR0_PG, &flush), "CR0.PG set without CR0.PE");
	/* A TS/MP-only change does not flush. */
	s = long64;
	assert_null(cr0_write(&s, long64.cr0 | 8 | 2, &flush));
	assert_false(flush);
	/* PG with PCIDE set is #GP. */
	s = (struct cr_state){ .cr0 = CR0_PE, .cr4 = CR4_PAE | CR4_PCIDE, .efer = EFER_LME };
	assert_string_equal(cr0_write(&s, CR0_PE | CR0_PG, &flush), "CR0.PG set with CR4.PCIDE");
}

static void test_cr4_write_rules(void **state)
{
	uint64_t valid = x86_cr4_valid_bits(&all);
	struct cr_state s;
	bool flush;

	(void)state;
	for (int b = 0; b < 64; b++) {
		uint64_t v = long64.cr4 | (1ULL << b);

		s = long64;
		if (b == 12) {	/* LA57 exists in `all` but may not change in long mode */
			assert_string_equal(cr4_write(&s, v, &all, &flush), "CR4.LA57 changed in long mode");
		} else if (b == 17) {	/* PCIDE: CR3[11:0] is 0 here */
			assert_null(cr4_write(&s, v, &all, &flush));
		} else if (valid & (1ULL << b)) {
			assert_null(cr4_write(&s, v, &all, &flush));
			assert_int_equal(s.cr4, v);
			assert_int_equal(flush, b != 5);
		} else {
			assert_string_equal(cr4_write(&s, v, &all, &flush), "CR4 reserved bit set");
			assert_true(same_state(&s, &long64));
		}
		/* Without the CPUID bits only bits 0-10 exist. */
		s = long64;
		if (b > 10)
			assert_string_equal(cr4_write(&s, v, &none, &flush), "CR4 reserved bit set");
	}
	s = long64;
	assert_string_equal(cr4_write(&s, 0, &all, &flush), "CR4.PAE cleared in long mode");
	s = long64, s.cr3 = 0x1001;
	assert_string_equal(cr4_write(&s, CR4_PAE | CR4_PCIDE, &all, &flush),
			    "CR4.PCIDE set with CR3[11:0] non-zero");
	/* PCIDE already set: CR3[11:0] is the PCID, a PGE toggle is fine. */
	s = long64, s.cr3 = 0x1001, s.cr4 |= CR4_PCIDE;
	assert_null(cr4_write(&s, s.cr4 | (1ULL << 7), &all, &flush));
	assert_true(flush);
	/* Outside long mode PAE may be cleared. */
	s = (struct cr_state){ .cr0 = CR0_PE, .cr4 = CR4_PAE };
	assert_null(cr4_write(&s, 0, &all, &flush));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_guarded_register_every_overlap),
		cmocka_unit_test(test_chipset_examples),
		cmocka_unit_test(test_unknown_bridges_get_the_default),
		cmocka_unit_test(test_refusal_log_is_rate_limited),
		cmocka_unit_test_setup_teardown(test_smram_lock_and_apmc, mch_setup, mch_teardown),
		cmocka_unit_test_setup_teardown(test_smram_lock_that_does_not_stick, mch_setup,
						mch_teardown),
		cmocka_unit_test_setup_teardown(test_smram_lock_i440fx, mch_setup, mch_teardown),
		cmocka_unit_test_setup_teardown(test_smram_lock_without_known_bridge, mch_setup,
						mch_teardown),
		cmocka_unit_test(test_efer_every_reserved_bit),
		cmocka_unit_test(test_cr0_every_reserved_bit),
		cmocka_unit_test(test_cr4_every_reserved_bit),
		cmocka_unit_test(test_guest_state_check),
		cmocka_unit_test(test_msr_intercept_list),
		cmocka_unit_test(test_memory_map_and_smm_msrs_refused),
		cmocka_unit_test(test_mtrrs_virtualised),
		cmocka_unit_test(test_efer_writes),
		cmocka_unit_test(test_cr_insn_decode),
		cmocka_unit_test(test_cr_insn_value),
		cmocka_unit_test(test_cr0_write_rules),
		cmocka_unit_test(test_cr4_write_rules),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
