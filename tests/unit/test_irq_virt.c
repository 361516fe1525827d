/* The IOAPIC virtualisation end to end on the host, against modelled
 * hardware: a VT-d unit (QEMU 7.2's CAP/ECAP, queued invalidation that runs
 * its descriptors), an IOAPIC (82093AA registers, 24 pins) and the local
 * APIC's ID/LDR/DFR. What the guest writes through the emulated IOAPIC page
 * is checked against what lands in the hardware entry and in the
 * interrupt remapping table (VT-d 9.10, 5.1.5.1), with the expected values
 * written out from the spec's bit layouts. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"
#include "iommu/irq_remap.h"
#include "iommu/vtd.h"
#include "iommu/vtd_ir.h"
#include "iommu/vtd_regs.h"
#include "lib/hal.h"
#include "vmm/ioapic_virt.h"

#define IOAPIC 0xfec00000ULL
#define VTD 0xfed90000ULL
#define LAPIC 0xfee00000ULL
#define QEMU_CAP 0xd2008c22260206ULL
#define QEMU_ECAP 0xf00f4aULL

static struct {
	struct host_mmio_model m;
	/* VT-d */
	uint32_t gsts, fectl, fsts;
	uint64_t rtaddr, iqa, iqh, iqt, irta;
	int iec, last_iec_index;
	/* IOAPIC */
	uint32_t sel;
	uint64_t rte[24];
	/* local APIC */
	uint32_t ldr, dfr;
} M;

static struct vtd_unit U;
static struct vtd_unit *units[1] = { &U };
static void *ctx;

static void run_queue(void)
{
	while (M.iqh != M.iqt) {
		uint64_t *d = (uint64_t *)(uintptr_t)((M.iqa & ~0xfffULL) + M.iqh);

		if ((d[0] & 0xf) == 0x5 && (d[0] & (1u << 5)))
			*(volatile uint32_t *)(uintptr_t)(d[1] & ~3ULL) = (uint32_t)(d[0] >> 32);
		if ((d[0] & 0xf) == 0x4) {
			M.iec++;
			M.last_iec_index = (d[0] & 0x10) ? (int)(d[0] >> 32 & 0xffff) : -1;
		}
		M.iqh = (M.iqh + 16) % 4096;
	}
}

static uint64_t mread(struct host_mmio_model *m, uint64_t off, int w)
{
	uint64_t a = IOAPIC + off;

	if (a == IOAPIC)
		return M.sel;
	if (a == IOAPIC + 0x10) {
		if (M.sel == 1)
			return 0x00170020;	/* version 0x20, 24 entries */
		if (M.sel >= 0x10 && M.sel < 0x40)
			return (uint32_t)(M.rte[(M.sel - 0x10) / 2] >> (M.sel & 1 ? 32 : 0));
		return 0;
	}
	switch (a - VTD) {
	case VTD_REG_VER: return 0x10;
	case VTD_REG_CAP: return QEMU_CAP;
	case VTD_REG_ECAP: return QEMU_ECAP;
	case VTD_REG_GSTS: return M.gsts;
	case VTD_REG_FSTS: return M.fsts;
	case VTD_REG_IQH: return M.iqh;
	case VTD_REG_IQT: return M.iqt;
	case VTD_REG_IRTA: return M.irta;
	}
	if (a == LAPIC + 0x20)
		return 0;		/* APIC id 0 */
	if (a == LAPIC + 0xd0)
		return M.ldr;
	if (a == LAPIC + 0xe0)
		return M.dfr;
	fail_msg("read of unmodelled 0x%llx", (unsigned long long)a);
	return 0;
}

static void mwrite(struct host_mmio_model *m, uint64_t off, int w, uint64_t v)
{
	uint64_t a = IOAPIC + off;

	if (a == IOAPIC) {
		M.sel = (uint32_t)v;
		return;
	}
	if (a == IOAPIC + 0x10) {
		if (M.sel >= 0x10 && M.sel < 0x40) {
			uint64_t *r = &M.rte[(M.sel - 0x10) / 2];

			if (M.sel & 1)
				*r = (*r & 0xffffffffULL) | v << 32;
			else
				*r = (*r & ~0xffffffffULL) | (uint32_t)v;
		}
		return;
	}
	switch (a - VTD) {
	case VTD_REG_GCMD:
		M.gsts = (M.gsts & ~0x86800000u) | ((uint32_t)v & 0x86800000u);
		if (v & VTD_GCMD_SRTP)
			M.gsts |= VTD_GSTS_RTPS;
		if (v & VTD_GCMD_SIRTP)
			M.gsts |= VTD_GSTS_IRTPS;
		return;
	case VTD_REG_RTADDR: M.rtaddr = v; return;
	case VTD_REG_FECTL: M.fectl = (uint32_t)v; return;
	case VTD_REG_FSTS: return;
	case VTD_REG_IQA: M.iqa = v; return;
	case VTD_REG_IQT: M.iqt = v; run_queue(); return;
	case VTD_REG_IRTA: M.irta = v; return;
	}
	fail_msg("write of unmodelled 0x%llx", (unsigned long long)a);
}

static struct vtd_entry128 *irt(void)
{
	return (struct vtd_entry128 *)(uintptr_t)(M.irta & ~0xfffULL);
}

static int setup(void **state)
{
	struct irq_source src = { IRQ_SRC_RID, 0xff00, 0, 0 };	/* QEMU's IOAPIC: ff:00.0 */

	memset(&M, 0, sizeof(M));
	for (int i = 0; i < 24; i++)
		M.rte[i] = 0x10000;		/* reset: masked */
	M.ldr = 0x01000000;			/* flat logical id 1, as Linux sets it */
	M.dfr = 0xffffffff;
	M.m = (struct host_mmio_model){ IOAPIC, LAPIC + 0x1000 - IOAPIC, mread, mwrite };
	host_mmio = &M.m;
	host_time_step_us = 1000;
	host_log_clear();
	assert_int_equal(vtd_probe(&U, 0, VTD), 0);
	assert_int_equal(vtd_setup(&U), 0);
	assert_int_equal(irq_remap_init(vtd_ir_ops_for(units, 1)), 0);
	ioapic_virt_reset();
	assert_int_equal(ioapic_virt_add(0, IOAPIC, &src), 0);
	ctx = ioapic_virt_ctx(ioapic_virt_count() - 1);
	return 0;
}

static int teardown(void **state)
{
	hal_page_free(irt());
	hal_page_free(hal_phys_to_virt(U.root));
	hal_page_free(hal_phys_to_virt(U.iq));
	host_mmio = NULL;
	host_time_step_us = 0;
	return 0;
}

/* The guest's accesses, through the emulated page. */
static void gw(uint32_t reg, uint32_t v)
{
	ioapic_mmio_ops.write(ctx, IOAPIC, 4, reg);
	ioapic_mmio_ops.write(ctx, IOAPIC + 0x10, 4, v);
}

static uint32_t gr(uint32_t reg)
{
	ioapic_mmio_ops.write(ctx, IOAPIC, 4, reg);
	return (uint32_t)ioapic_mmio_ops.read(ctx, IOAPIC + 0x10, 4);
}

static void test_launch_masks_every_pin_in_remappable_format(void **state)
{
	assert_int_equal(M.irta & 0xf, 7);		/* 256 entries */
	assert_true(M.gsts & (1u << 25));		/* IRES */
	for (unsigned pin = 0; pin < 24; pin++) {
		/* handle = pin (the first allocation): bits 63:49, format bit 48,
		 * mask bit 16, nothing in 10:8. */
		assert_int_equal(M.rte[pin], (uint64_t)pin << 49 | 1ULL << 48 | 0x10000);
		assert_int_equal(irt()[pin].lo & 1, 0);	/* not present */
	}
	assert_int_equal(gr(0x01), 0x00170020);	/* version from the hardware */
}

static void test_allowed_entry_programs_irte_and_pin(void **state)
{
	int iec = M.iec;

	gw(0x1b, 0x00000000);			/* pin 5 high: destination 0 */
	gw(0x1a, 0x0000a041);			/* level, active low, vector 0x41, fixed, unmasked */
	/* IRTE: P, TM=1 (bit 4), DLM=0, V=0x41 (23:16), DST 0; SVT=01 SID=ff00. */
	assert_int_equal(irt()[5].lo, 0x0000000000410011ULL);
	assert_int_equal(irt()[5].hi, 0x000000000004ff00ULL);
	assert_int_equal(M.rte[5], 5ULL << 49 | 1ULL << 48 | 0x8000 | 0x2000 | 0x41);
	assert_true(M.iec > iec);
	assert_int_equal(M.last_iec_index, 5);
	assert_int_equal(gr(0x1a), 0x0000a041);	/* the guest reads back what it wrote */
	assert_int_equal(gr(0x1b), 0);
}

static void test_logical_destination_becomes_the_cpu(void **state)
{
	gw(0x15, 0x01000000);			/* pin 2 high: logical destination 1 */
	gw(0x14, 0x00000830);			/* logical, edge, vector 0x30 */
	assert_int_equal(irt()[2].lo, 0x0000000000300001ULL);	/* physical, APIC id 0 */
	assert_false(M.rte[2] & 0x10000);
}

static void test_forbidden_entries_stay_masked_and_blocked(void **state)
{
	static const uint32_t modes[] = { 0x230, 0x330, 0x430, 0x530, 0x630, 0x730 };

	gw(0x1b, 0);
	gw(0x1a, 0x41);				/* allowed first: present */
	assert_true(irt()[5].lo & 1);
	for (unsigned i = 0; i < 6; i++) {
		gw(0x1a, modes[i]);
		assert_int_equal(irt()[5].lo & 1, 0);
		assert_true(M.rte[5] & 0x10000);	/* masked */
		assert_int_equal(M.rte[5] & 0x700, 0);	/* no delivery mode reaches the pin */
		assert_int_equal(gr(0x1a), modes[i]);	/* read back as written */
	}
	assert_int_equal(host_log_count("irq refused source=ioapic device=ioapic0-pin5"), 6);
	assert_int_equal(host_log_count("delivery=INIT"), 1);
	gw(0x1b, 0x01000000);			/* physical 1: not the guest's */
	gw(0x1a, 0x30);
	assert_int_equal(irt()[5].lo & 1, 0);
	assert_int_equal(host_log_count("reason=\"destination is not a CPU of the guest's\""), 1);
	/* Each half is decided when written: the high half with the old low
	 * half, then the new low half (two refusals). */
	gw(0x1b, 0xff000000);			/* physical broadcast */
	gw(0x1a, 0x31);
	assert_int_equal(host_log_count("physical broadcast"), 2);
	gw(0x1a, (1u << 16) | 0x31);		/* masked by the guest: nothing to decide */
	assert_true(M.rte[5] & 0x10000);
}

static void test_remappable_guest_entry_refused(void **state)
{
	gw(0x17, 0x00010000);			/* pin 3 high: bit 48 = remappable format */
	gw(0x16, 0x30);
	assert_int_equal(irt()[3].lo & 1, 0);
	assert_true(M.rte[3] & 0x10000);
	assert_int_equal(host_log_count("remappable-format entry"), 2);	/* both halves */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_launch_masks_every_pin_in_remappable_format,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_allowed_entry_programs_irte_and_pin, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_logical_destination_becomes_the_cpu, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_forbidden_entries_stay_masked_and_blocked, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_remappable_guest_entry_refused, setup, teardown),
	};
	return cmocka_run_group_tests_name("irq_virt", tests, NULL, NULL);
}
