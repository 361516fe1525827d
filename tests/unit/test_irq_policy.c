/* Interrupt virtualisation policy and the VT-d remapping formats.
 * Expected encodings are written out from the spec's bit tables (VT-d 3.x
 * 9.10 IRTE, 5.1.2.2 remappable MSI, 5.1.5.1 remappable IOAPIC RTE; Intel
 * SDM 3A 10.11 MSI; 82093AA 3.2.4 RTE) as literal numbers, not with the
 * driver's macros, so a wrong macro cannot make its own test pass. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"
#include "iommu/vtd_irte.h"
#include "vmm/irq_log.h"
#include "vmm/irq_policy.h"

/* The guest: one CPU, APIC id 0, flat logical id 1 (what Linux sets). */
static const struct irq_guest_cpus one_cpu = { 1, { { 0, 0x01, false } } };

static void test_irte_encoding_bit_layout(void **state)
{
	struct irq_route r = { .vector = 0x31, .delivery = IRQ_DLM_FIXED, .level = false,
			       .dest_apic_id = 0x00 };
	struct irq_source s = { IRQ_SRC_RID, 0x0008, 0, 0 };	/* 00:01.0 */
	struct vtd_entry128 e = vtd_irte_encode(&r, &s);

	/* lo: P=1 (bit 0), DM=0 (bit 2), RH=0, TM=0 (bit 4), DLM=000 (7:5),
	 * IM=0 (15), V=0x31 (23:16), DST=0 (47:40 in xAPIC mode). */
	assert_int_equal(e.lo, 0x0000000000310001ULL);
	/* hi: SID=0x0008 (15:0), SQ=00 (17:16), SVT=01 (19:18). */
	assert_int_equal(e.hi, 0x0000000000040008ULL);

	r = (struct irq_route){ .vector = 0xef, .delivery = IRQ_DLM_LOWEST, .level = true,
				.dest_apic_id = 0x03 };
	s = (struct irq_source){ IRQ_SRC_BUS_RANGE, 0, 0x02, 0x05 };
	e = vtd_irte_encode(&r, &s);
	/* DLM=001 -> bit 5, TM=1 -> bit 4, V=0xef, DST=3 << 40. */
	assert_int_equal(e.lo, 0x0000030000ef0031ULL);
	/* SVT=10 (bus range, bit 19), SID = start bus 2 << 8 | end bus 5. */
	assert_int_equal(e.hi, 0x0000000000080205ULL);
}

static void test_remappable_msi_address(void **state)
{
	/* 0xFEE in 31:20, handle[14:0] in 19:5, bit 4 format, bit 3 SHV,
	 * handle[15] in bit 2. */
	assert_int_equal(vtd_ir_msi_address(0), 0xfee00018u);
	assert_int_equal(vtd_ir_msi_address(1), 0xfee00038u);
	assert_int_equal(vtd_ir_msi_address(0x7fff), 0xfeeffff8u);
	assert_int_equal(vtd_ir_msi_address(0x8000), 0xfee0001cu);
}

static void test_remappable_ioapic_rte(void **state)
{
	/* handle 5: bits 63:49 = 5, bit 48 format; vector 0x41, level (15),
	 * active low (13), masked (16); bits 10:8 (delivery) stay 0. */
	assert_int_equal(vtd_ir_ioapic_rte(5, 0x41, true, true, true),
			 (5ULL << 49) | (1ULL << 48) | 0x10000 | 0x8000 | 0x2000 | 0x41);
	assert_int_equal(vtd_ir_ioapic_rte(0x8001, 0x30, false, false, false),
			 (1ULL << 49) | (1ULL << 48) | 0x800 | 0x30);
}

static void test_msi_decode(void **state)
{
	struct irq_request r;

	/* Linux flat logical: address 0xfee01004 (dest 1, DM logical). */
	irq_decode_msi(0xfee01004, 0, 0x4022, &r);
	assert_null(r.malformed);
	assert_int_equal(r.vector, 0x22);
	assert_int_equal(r.delivery, IRQ_DM_FIXED);
	assert_true(r.logical);
	assert_int_equal(r.dest, 1);
	assert_false(r.level);
	irq_decode_msi(0xfee03000, 0, 0x8500, &r);
	assert_int_equal(r.delivery, IRQ_DM_INIT);
	assert_int_equal(r.dest, 3);
	assert_false(r.logical);
	assert_true(r.level);
	irq_decode_msi(0xfed00000, 0, 0x22, &r);
	assert_non_null(r.malformed);
	irq_decode_msi(0xfee00000, 1, 0x22, &r);
	assert_non_null(r.malformed);
	irq_decode_msi(0xfee00018, 0, 0, &r);	/* remappable format */
	assert_non_null(strstr(r.malformed, "remappable"));
}

static void test_ioapic_decode(void **state)
{
	struct irq_request r;

	irq_decode_ioapic(0x0100000000018a31ULL, &r);
	assert_null(r.malformed);
	assert_int_equal(r.vector, 0x31);
	assert_int_equal(r.delivery, 2);	/* SMI: bits 10:8 = 010 */
	assert_true(r.logical);			/* bit 11 */
	assert_true(r.level);			/* bit 15 */
	assert_true(r.masked);			/* bit 16 */
	assert_false(r.active_low);
	assert_int_equal(r.dest, 1);
	irq_decode_ioapic(1ULL << 48, &r);
	assert_non_null(r.malformed);
}

static void test_allowed_fixed_and_lowest(void **state)
{
	struct irq_request r;
	struct irq_route out;

	irq_decode_msi(0xfee01004, 0, 0x4022, &r);	/* logical flat dest 1 */
	assert_null(irq_policy_check(&r, &one_cpu, &out));
	assert_int_equal(out.vector, 0x22);
	assert_int_equal(out.delivery, IRQ_DLM_FIXED);
	assert_int_equal(out.dest_apic_id, 0);
	irq_decode_msi(0xfee00000, 0, 0x0130, &r);	/* physical 0, lowest */
	assert_null(irq_policy_check(&r, &one_cpu, &out));
	assert_int_equal(out.delivery, IRQ_DLM_LOWEST);
	irq_decode_ioapic(0x0100000000008831ULL, &r);	/* logical, level, unmasked? no: 0x8831 */
	r.delivery = IRQ_DM_FIXED;
	assert_null(irq_policy_check(&r, &one_cpu, &out));
	assert_true(out.level);
	assert_int_equal(out.vector, 0x31);
}

/* Each forbidden delivery mode, for an MSI and for an IOAPIC entry. */
static void test_forbidden_delivery_modes_refused(void **state)
{
	static const struct { unsigned dm; const char *word; } bad[] = {
		{ 2, "SMI" }, { 3, "reserved" }, { 4, "NMI" }, { 5, "INIT" },
		{ 6, "start-up" }, { 7, "ExtINT" },
	};
	struct irq_request r;
	struct irq_route out;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *why;

		irq_decode_msi(0xfee00000, 0, 0x30 | bad[i].dm << 8, &r);
		why = irq_policy_check(&r, &one_cpu, &out);
		assert_non_null(why);
		assert_non_null(strstr(why, bad[i].word));
		irq_decode_ioapic(0x30 | (uint64_t)bad[i].dm << 8, &r);
		why = irq_policy_check(&r, &one_cpu, &out);
		assert_non_null(why);
		assert_non_null(strstr(why, bad[i].word));
		assert_string_equal(irq_delivery_name(bad[i].dm), bad[i].word);
	}
}

static void test_destinations(void **state)
{
	struct irq_guest_cpus cluster = { 1, { { 2, 0x12, true } } };	/* cluster 1, bit 1 */
	struct irq_guest_cpus two = { 2, { { 0, 0x01, false }, { 1, 0x02, false } } };
	struct irq_request r;
	struct irq_route out;

	irq_decode_msi(0xfee01000, 0, 0x30, &r);	/* physical 1: a hidden CPU */
	assert_non_null(strstr(irq_policy_check(&r, &one_cpu, &out), "not a CPU of the guest"));
	irq_decode_msi(0xfeeff000, 0, 0x30, &r);	/* physical broadcast */
	assert_non_null(strstr(irq_policy_check(&r, &one_cpu, &out), "broadcast"));
	irq_decode_msi(0xfee02004, 0, 0x30, &r);	/* logical 2: nobody of the guest's */
	assert_non_null(irq_policy_check(&r, &one_cpu, &out));
	irq_decode_msi(0xfeeff004, 0, 0x30, &r);	/* logical all: the guest's CPU only */
	assert_null(irq_policy_check(&r, &one_cpu, &out));
	assert_int_equal(out.dest_apic_id, 0);
	/* cluster model: cluster 1 member 1 matches dest 0x12/0x13, not 0x22 */
	irq_decode_msi(0xfee13004, 0, 0x30, &r);
	assert_null(irq_policy_check(&r, &cluster, &out));
	assert_int_equal(out.dest_apic_id, 2);
	irq_decode_msi(0xfee22004, 0, 0x30, &r);
	assert_non_null(irq_policy_check(&r, &cluster, &out));
	irq_decode_msi(0xfeef2004, 0, 0x30, &r);	/* cluster 0xf: broadcast */
	assert_non_null(irq_policy_check(&r, &cluster, &out));
	/* fixed multicast to two guest CPUs: one entry cannot do it */
	irq_decode_msi(0xfee03004, 0, 0x30, &r);
	assert_non_null(irq_policy_check(&r, &two, &out));
	irq_decode_msi(0xfee03004, 0, 0x130, &r);	/* lowest priority: one of them */
	assert_null(irq_policy_check(&r, &two, &out));
	irq_decode_msi(0xfee01000, 0, 0x30, &r);	/* physical 1: guest CPU 1 */
	assert_null(irq_policy_check(&r, &two, &out));
	assert_int_equal(out.dest_apic_id, 1);
}

static void test_bad_vectors_and_formats(void **state)
{
	struct irq_request r;
	struct irq_route out;

	irq_decode_msi(0xfee00000, 0, 0x0f, &r);
	assert_non_null(strstr(irq_policy_check(&r, &one_cpu, &out), "vector"));
	irq_decode_msi(0xfee00010, 0, 0x30, &r);	/* bit 4: remappable */
	assert_non_null(irq_policy_check(&r, &one_cpu, &out));
	irq_decode_msi(0x12340000, 0, 0x30, &r);	/* a DMA write, not an interrupt */
	assert_non_null(irq_policy_check(&r, &one_cpu, &out));
	irq_decode_ioapic((1ULL << 48) | 0x30, &r);
	assert_non_null(irq_policy_check(&r, &one_cpu, &out));
}

static void test_refusal_log_format_and_rate_limit(void **state)
{
	struct irq_request r;

	host_time_step_us = 1;
	host_log_clear();
	irq_decode_msi(0xfee00000, 0, 0x500, &r);
	for (int i = 0; i < IRQ_LOG_BURST + 5; i++)
		irq_log_refusal("msi", "00:01.0", &r, "delivery mode INIT is not allowed");
	assert_int_equal(host_log_count("irq refused source=msi device=00:01.0 vector=0x00 "
					"delivery=INIT dest=0x00 mode=physical trigger=edge "
					"reason=\"delivery mode INIT is not allowed\""),
			 IRQ_LOG_BURST);
	assert_true(irq_refusals() >= IRQ_LOG_BURST + 5);
	host_time_step_us = 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_irte_encoding_bit_layout),
		cmocka_unit_test(test_remappable_msi_address),
		cmocka_unit_test(test_remappable_ioapic_rte),
		cmocka_unit_test(test_msi_decode),
		cmocka_unit_test(test_ioapic_decode),
		cmocka_unit_test(test_allowed_fixed_and_lowest),
		cmocka_unit_test(test_forbidden_delivery_modes_refused),
		cmocka_unit_test(test_destinations),
		cmocka_unit_test(test_bad_vectors_and_formats),
		cmocka_unit_test(test_refusal_log_format_and_rate_limit),
	};
	return cmocka_run_group_tests_name("irq_policy", tests, NULL, NULL);
}
