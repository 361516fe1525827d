/* The VT-d driver against a simulated remapping unit (host/host.h MMIO
 * model): command/status handshakes, one-shot bits, timeouts, register and
 * queued invalidation, context entries, fault records and the fault policy. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"
#include "iommu/vtd.h"
#include "iommu/vtd_regs.h"
#include "lib/error.h"
#include "lib/hal.h"

/* QEMU 7.2's intel-iommu (design.md): cap d2008c22260206 ecap f00f4a. */
#define QEMU_CAP 0xd2008c22260206ULL
#define QEMU_ECAP 0xf00f4aULL

struct model {
	struct host_mmio_model m;
	uint64_t cap, ecap;
	uint32_t gsts, fsts, fectl, pmen, plmbase, plmlimit;
	uint64_t rtaddr, ccmd, iotlb, iqa, iqh, iqt;
	uint64_t frcd_lo, frcd_hi;
	bool stuck_gcmd, stuck_qi, stuck_inv;
	int srtp_writes, gcmd_writes, ccmd_count, iotlb_count, qi_descs, fsts_writes;
	uint32_t last_gcmd, last_fsts_write;
	uint64_t last_iotlb_desc;
	uint64_t irta, last_iec_desc;
	int sirtp_writes, iec_count, iec_before_ire;
};

static struct model M;
static struct vtd_unit U;
static int stopped_sid = -1, stop_calls;

static void recompute_ppf(void)
{
	if (M.frcd_hi & VTD_FRCD_HI_F)
		M.fsts |= VTD_FSTS_PPF;
	else
		M.fsts &= ~VTD_FSTS_PPF;
}

static void run_queue(void)
{
	while (!M.stuck_qi && M.iqh != M.iqt) {
		uint64_t *d = (uint64_t *)(uintptr_t)((M.iqa & ~0xfffULL) + M.iqh);
		unsigned type = d[0] & 0xf;

		M.qi_descs++;
		if (type == VTD_INV_WAIT) {
			if (d[0] & VTD_INV_WAIT_SW)
				*(volatile uint32_t *)(uintptr_t)(d[1] & ~3ULL) = (uint32_t)(d[0] >> 32);
		} else if (type == VTD_INV_IOTLB) {
			M.last_iotlb_desc = d[0];
		} else if (type == 0x4) {	/* IEC, 6.5.2.7 */
			M.iec_count++;
			M.last_iec_desc = d[0];
			if (!(M.gsts & (1u << 25)))
				M.iec_before_ire++;
		} else if (type != VTD_INV_CC) {
			M.fsts |= VTD_FSTS_IQE;
			return;
		}
		M.iqh = (M.iqh + 16) % 4096;
	}
}

static uint64_t mread(struct host_mmio_model *m, uint64_t off, int width)
{
	uint32_t iro = VTD_ECAP_IRO(M.ecap), fro = VTD_CAP_FRO(M.cap);

	switch (off) {
	case VTD_REG_VER: return 0x10;
	case VTD_REG_CAP: return M.cap;
	case VTD_REG_ECAP: return M.ecap;
	case VTD_REG_GSTS: return M.gsts;
	case VTD_REG_RTADDR: return M.rtaddr;
	case VTD_REG_CCMD: return M.ccmd;
	case VTD_REG_FSTS: return M.fsts;
	case VTD_REG_FECTL: return M.fectl;
	case VTD_REG_PMEN: return M.pmen;
	case VTD_REG_PLMBASE: return M.plmbase;
	case VTD_REG_PLMLIMIT: return M.plmlimit;
	case VTD_REG_IQH: return M.iqh;
	case VTD_REG_IQT: return M.iqt;
	case VTD_REG_IQA: return M.iqa;
	case 0xb8: return M.irta;
	}
	if (off == iro + 8)
		return M.iotlb;
	if (off == fro)
		return M.frcd_lo;
	if (off == fro + 8)
		return M.frcd_hi;
	fail_msg("read of unmodelled register 0x%llx", (unsigned long long)off);
	return 0;
}

static void mwrite(struct host_mmio_model *m, uint64_t off, int width, uint64_t v)
{
	uint32_t iro = VTD_ECAP_IRO(M.ecap), fro = VTD_CAP_FRO(M.cap);

	switch (off) {
	case VTD_REG_GCMD:
		M.gcmd_writes++;
		M.last_gcmd = (uint32_t)v;
		if (v & VTD_GCMD_SRTP)
			M.srtp_writes++;
		if (M.stuck_gcmd)
			return;
		/* Persistent states follow the command; one-shot ones complete. */
		M.gsts = (M.gsts & ~(VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_IRE | VTD_GCMD_CFI)) |
			 ((uint32_t)v & (VTD_GCMD_TE | VTD_GCMD_QIE | VTD_GCMD_IRE | VTD_GCMD_CFI));
		if (v & VTD_GCMD_SRTP)
			M.gsts |= VTD_GSTS_RTPS;
		if (v & (1u << 24)) {	/* SIRTP -> IRTPS */
			M.sirtp_writes++;
			M.gsts |= 1u << 24;
		}
		if ((v & VTD_GCMD_QIE) && !(M.gsts & VTD_GSTS_QIES))
			M.iqh = 0;
		return;
	case VTD_REG_RTADDR: M.rtaddr = v; M.gsts &= ~VTD_GSTS_RTPS; return;
	case VTD_REG_CCMD:
		M.ccmd_count++;
		M.ccmd = M.stuck_inv ? v : (v & ~VTD_CCMD_ICC);
		return;
	case VTD_REG_FSTS:
		M.fsts_writes++;
		M.last_fsts_write = (uint32_t)v;
		M.fsts &= ~((uint32_t)v & VTD_FSTS_W1C);
		return;
	case VTD_REG_FECTL: M.fectl = (uint32_t)v; return;
	case VTD_REG_PMEN: M.pmen = (v & VTD_PMEN_EPM) ? (VTD_PMEN_EPM | VTD_PMEN_PRS) : 0; return;
	case VTD_REG_PLMBASE: M.plmbase = (uint32_t)v & 0xffe00000u; return;	/* 2 MiB granular */
	case VTD_REG_PLMLIMIT: M.plmlimit = (uint32_t)v & 0xffe00000u; return;
	case VTD_REG_IQA: M.iqa = v; return;
	case 0xb8: M.irta = v; M.gsts &= ~(1u << 24); return;
	case VTD_REG_IQT: M.iqt = v; run_queue(); return;
	}
	if (off == iro + 8) {
		M.iotlb_count++;
		M.iotlb = M.stuck_inv ? v : (v & ~VTD_IOTLB_IVT);
		return;
	}
	if (off == fro + 12 && width == 4) {	/* upper dword of the high qword */
		if (v & 0x80000000u)
			M.frcd_hi &= ~VTD_FRCD_HI_F;
		recompute_ppf();
		return;
	}
	fail_msg("write of unmodelled register 0x%llx", (unsigned long long)off);
}

static void record_stop(uint16_t sid)
{
	stopped_sid = sid;
	stop_calls++;
}

static int setup(void **state)
{
	memset(&M, 0, sizeof(M));
	M.m = (struct host_mmio_model){ 0xfed90000, 0x1000, mread, mwrite };
	M.cap = QEMU_CAP;
	M.ecap = QEMU_ECAP;
	host_mmio = &M.m;
	host_time_step_us = 1000;	/* fake clock: timeouts after ~1000 polls */
	host_log_clear();
	stopped_sid = -1;
	stop_calls = 0;
	assert_int_equal(vtd_probe(&U, 0, 0xfed90000), 0);
	U.stop_device = record_stop;
	return 0;
}

static int teardown(void **state)
{
	if (U.root)
		hal_page_free(hal_phys_to_virt(U.root));
	for (int b = 0; b < 256; b++)
		if (U.ctx[b])
			hal_page_free(hal_phys_to_virt(U.ctx[b]));
	if (U.iq)
		hal_page_free(hal_phys_to_virt(U.iq));
	host_mmio = NULL;
	host_time_step_us = 0;
	return 0;
}

static void test_probe_decodes_qemu(void **state)
{
	assert_int_equal(vtd_levels_supported(&U), 1u << 3);
	assert_int_equal(vtd_superpage_level(&U), 3);
	assert_int_equal(vtd_domain_id_count(&U), 65536);
	assert_int_equal(VTD_CAP_FRO(U.cap), 0x220);
	assert_int_equal(VTD_ECAP_IRO(U.ecap), 0xf0);
	assert_int_equal(VTD_CAP_NFR(U.cap), 1);
	assert_int_equal(VTD_CAP_MGAW(U.cap), 39);
	assert_false(U.coherent);
	vtd_log(&U);
	assert_int_equal(host_log_count("agaw=39 mgaw=39 superpages=2M,1G nfr=1 qi=yes "
					"coherent=no rwbf=no pmr=none ir=yes"), 1);
}

static void test_probe_rejects_absent_unit(void **state)
{
	M.cap = ~0ULL;
	assert_int_equal(vtd_probe(&U, 0, 0xfed90000), E_INVAL);
	M.cap = QEMU_CAP & ~(0x1fULL << 8);	/* no SAGAW */
	assert_int_equal(vtd_probe(&U, 0, 0xfed90000), E_UNSUPPORTED);
}

static void test_setup_with_queued_invalidation(void **state)
{
	long flushes = host_cache_flushes;

	assert_int_equal(vtd_setup(&U), 0);
	assert_int_equal(M.rtaddr, U.root);
	assert_int_equal(M.srtp_writes, 1);
	assert_true(M.gsts & VTD_GSTS_QIES);
	assert_true(U.use_qi);
	/* Global context + IOTLB invalidation, each followed by a wait. */
	assert_int_equal(M.qi_descs, 4);
	assert_int_equal(U.wait_status, U.wait_seq);
	assert_int_equal(M.ccmd_count + M.iotlb_count, 0);
	assert_true(M.fectl & VTD_FECTL_IM);
	assert_true(host_cache_flushes > flushes);	/* ECAP.C = 0 */
}

static void test_gcmd_keeps_states_and_never_repeats_one_shot(void **state)
{
	assert_int_equal(vtd_setup(&U), 0);
	assert_int_equal(vtd_enable_translation(&U), 0);
	assert_int_equal(M.last_gcmd, VTD_GCMD_TE | VTD_GCMD_QIE);
	assert_int_equal(M.srtp_writes, 1);
	assert_true(U.translating);
}

static void test_register_invalidation_without_qi(void **state)
{
	M.ecap &= ~VTD_ECAP_QI;
	assert_int_equal(vtd_probe(&U, 0, 0xfed90000), 0);
	assert_int_equal(vtd_setup(&U), 0);
	assert_false(U.use_qi);
	assert_int_equal(M.ccmd_count, 1);
	assert_int_equal(M.iotlb_count, 1);
	assert_false(M.ccmd & VTD_CCMD_ICC);
	assert_true((M.iotlb & (3ULL << 60)) == VTD_IOTLB_IIRG_GLOBAL);
	assert_int_equal(M.qi_descs, 0);
}

static void test_gcmd_timeout_marks_unit_broken(void **state)
{
	assert_int_equal(vtd_setup(&U), 0);
	M.stuck_gcmd = true;
	assert_int_equal(vtd_enable_translation(&U), E_TIMEOUT);
	assert_true(U.broken);
	assert_false(U.translating);
	assert_int_equal(host_log_count("enable translation did not complete"), 1);
	/* A broken unit is left alone. */
	M.stuck_gcmd = false;
	assert_int_equal(vtd_enable_translation(&U), E_FAULT);
}

static void test_register_invalidation_timeout(void **state)
{
	M.ecap &= ~VTD_ECAP_QI;
	assert_int_equal(vtd_probe(&U, 0, 0xfed90000), 0);
	M.stuck_inv = true;
	assert_int_equal(vtd_setup(&U), E_TIMEOUT);
	assert_true(U.broken);
	assert_int_equal(host_log_count("context-cache invalidation did not complete"), 1);
}

static void test_qi_timeout_status_stays_in_static_memory(void **state)
{
	paddr_t status = hal_virt_to_phys((const void *)&U.wait_status);

	assert_int_equal(vtd_setup(&U), 0);
	M.stuck_qi = true;
	assert_int_equal(vtd_flush_all(&U), E_TIMEOUT);
	assert_true(U.broken);
	/* The wait descriptor the unit may still execute points into the unit
	 * structure itself (static in the image), never at a stack or a freed
	 * page; the queue page stays allocated. */
	{
		uint64_t *q = hal_phys_to_virt(U.iq);
		unsigned last = (U.iq_tail + VTD_IQ_ENTRIES - 1) % VTD_IQ_ENTRIES;

		assert_int_equal(q[last * 2] & 0xf, VTD_INV_WAIT);
		assert_int_equal(q[last * 2 + 1], status);
	}
	M.stuck_qi = false;
	run_queue();	/* the late completion lands where it is harmless */
	assert_int_equal(U.wait_status, U.wait_seq);
}

static void test_qi_descriptor_error(void **state)
{
	struct vtd_entry128 *q;

	assert_int_equal(vtd_setup(&U), 0);
	/* Corrupt what the model will read next: make the queue's next slot an
	 * unknown type by submitting after poisoning the page. */
	q = hal_phys_to_virt(U.iq);
	M.stuck_qi = true;
	assert_int_equal(vtd_flush_iotlb_domain(&U, 1), E_TIMEOUT);
	q[(M.iqh / 16)].lo = 0xf;	/* bad type at the head */
	M.stuck_qi = false;
	run_queue();
	assert_true(M.fsts & VTD_FSTS_IQE);
	U.broken = false;
	assert_int_equal(vtd_poll_faults(&U), 0);
	assert_true(U.broken);
	assert_int_equal(host_log_count("invalidation queue error"), 1);
	assert_false(M.fsts & VTD_FSTS_IQE);
}

static void test_context_entry_contents_and_replacement(void **state)
{
	struct vtd_entry128 *e;
	int descs;

	assert_int_equal(vtd_setup(&U), 0);
	assert_int_equal(vtd_set_context(&U, 0, 3 << 3, 1, 0x12345000, 3), 0);
	e = (struct vtd_entry128 *)hal_phys_to_virt(U.ctx[0]) + (3 << 3);
	assert_int_equal(e->lo, 0x12345000 | VTD_CTX_LO_P);
	assert_int_equal(e->hi, VTD_CTX_HI_AW(1) | VTD_CTX_HI_DID(1));
	assert_int_equal(((struct vtd_entry128 *)hal_phys_to_virt(U.root))[0].lo,
			 U.ctx[0] | VTD_ROOT_P);
	assert_true((M.last_iotlb_desc & (3 << 4)) == VTD_INV_IOTLB_DOMAIN);
	assert_int_equal((M.last_iotlb_desc >> 16) & 0xffff, 1);

	descs = M.qi_descs;
	assert_int_equal(vtd_set_context(&U, 0, 3 << 3, 2, 0x22222000, 4), 0);
	assert_int_equal(e->lo, 0x22222000 | VTD_CTX_LO_P);
	assert_int_equal(e->hi, VTD_CTX_HI_AW(2) | VTD_CTX_HI_DID(2));
	/* Clearing the old entry cost its own invalidations first. */
	assert_true(M.qi_descs - descs >= 8);

	assert_int_equal(vtd_clear_context(&U, 0, 3 << 3, 2), 0);
	assert_int_equal(e->lo, 0);
}

static void put_fault(uint16_t sid, uint8_t reason, bool read, uint64_t addr)
{
	M.frcd_lo = addr;
	M.frcd_hi = VTD_FRCD_HI_F | (read ? VTD_FRCD_HI_T : 0) | ((uint64_t)reason << 32) | sid;
	recompute_ppf();
}

static void test_fault_record_read_and_cleared(void **state)
{
	uint64_t seq = fault_ring_seq();
	struct fault_event ev;

	assert_int_equal(vtd_setup(&U), 0);
	put_fault(0x0018, VTD_FR_WRITE, false, 0x3be01000);
	M.fsts |= VTD_FSTS_PFO | VTD_FSTS_APF;	/* APF must survive: not ours to clear */
	assert_int_equal(vtd_poll_faults(&U), 1);
	assert_false(M.frcd_hi & VTD_FRCD_HI_F);
	assert_false(M.fsts & VTD_FSTS_PPF);
	assert_int_equal(M.last_fsts_write, VTD_FSTS_PFO);
	assert_true(M.fsts & VTD_FSTS_APF);
	assert_int_equal(host_log_count("shoji: warning: vtd fault unit=0 sid=00:03.0 "
					"addr=0x3be01000 type=write reason=0x05 "
					"(PTE write access not set)"), 1);
	assert_int_equal(host_log_count("fault records overflowed"), 1);
	assert_true(fault_ring_get(seq + 1, &ev));
	assert_int_equal(ev.f.sid, 0x18);
	assert_int_equal(ev.f.reason, 5);
	assert_false(ev.f.is_read);
	/* The neutral record carries the decoded reason and the back-end. */
	assert_string_equal(ev.f.why, "PTE write access not set");
	assert_string_equal(ev.f.backend, "vtd");
	/* Nothing pending: nothing read, nothing written. */
	M.fsts_writes = 0;
	assert_int_equal(vtd_poll_faults(&U), 0);
	assert_int_equal(M.fsts_writes, 0);
}

static void test_fault_storm_rate_limited_and_device_stopped(void **state)
{
	assert_int_equal(vtd_setup(&U), 0);
	host_time_step_us = 0;	/* all within one window of the real clock */
	host_log_clear();
	for (int i = 0; i < FAULT_STOP_THRESHOLD + 50; i++) {
		put_fault(0x0020, VTD_FR_READ, true, 0x1000);
		assert_int_equal(vtd_poll_faults(&U), 1);
	}
	assert_int_equal(stop_calls, 1);
	assert_int_equal(stopped_sid, 0x20);
	assert_int_equal(host_log_count("faulted 256 times: bus mastering turned off"), 1);
	/* FAULT_LOG_BURST logged, plus the one at the stop. */
	assert_int_equal(host_log_count("vtd fault unit=0"), FAULT_LOG_BURST + 1);
	assert_int_equal(fault_policy_count(&U.faults, 0x20), FAULT_STOP_THRESHOLD + 50);
}

static void test_fault_policy_window_reports_suppressed(void **state)
{
	struct fault_policy p;
	uint32_t sup;

	memset(&p, 0, sizeof(p));
	for (int i = 0; i < FAULT_LOG_BURST; i++)
		assert_int_equal(fault_policy_note(&p, 1, 10, &sup), FAULT_LOG);
	assert_int_equal(fault_policy_note(&p, 1, 20, &sup), FAULT_SUPPRESS);
	assert_int_equal(fault_policy_note(&p, 2, 30, &sup), FAULT_SUPPRESS);
	assert_int_equal(fault_policy_note(&p, 1, 10 + FAULT_LOG_WINDOW_US, &sup), FAULT_LOG);
	assert_int_equal(sup, 2);
	assert_int_equal(fault_policy_count(&p, 1), FAULT_LOG_BURST + 2);
	assert_int_equal(fault_policy_count(&p, 2), 1);
	assert_int_equal(fault_policy_count(&p, 3), 0);
}

static void test_reason_strings(void **state)
{
	for (int r = 1; r <= 0xd; r++)
		assert_string_not_equal(vtd_fault_reason_str((uint8_t)r), "unknown reason");
	assert_string_equal(vtd_fault_reason_str(6), "PTE read access not set");
	assert_string_equal(vtd_fault_reason_str(0x7f), "unknown reason");
}

static void test_disable_firmware_leftovers(void **state)
{
	M.gsts = VTD_GSTS_TES | VTD_GSTS_IRES | VTD_GSTS_QIES;
	assert_int_equal(vtd_disable(&U), 0);
	assert_int_equal(M.gsts & (VTD_GSTS_TES | VTD_GSTS_IRES | VTD_GSTS_QIES), 0);
	assert_int_equal(host_log_count("firmware left DMA translation on"), 1);
	assert_int_equal(host_log_count("firmware left interrupt remapping on"), 1);
	assert_int_equal(M.gcmd_writes, 3);
}

static void test_pmr(void **state)
{
	assert_int_equal(vtd_pmr_protect(&U, 0x3be00000, 0x3fe00000), E_UNSUPPORTED);
	M.cap |= VTD_CAP_PLMR;
	assert_int_equal(vtd_probe(&U, 0, 0xfed90000), 0);
	assert_int_equal(vtd_pmr_protect(&U, 0x3be00000, 0x3fe00000), 0);
	assert_true(M.pmen & VTD_PMEN_PRS);
	assert_true(M.plmbase <= 0x3be00000);
	assert_true((M.plmlimit | 0x1fffff) >= 0x3fdfffff);
	assert_int_equal(vtd_pmr_disable(&U), 0);
	assert_int_equal(M.pmen, 0);
}

/* VT-d 11.4.29 IRTA (0xb8): address | S (2^(S+1) entries), EIME bit 11;
 * GSTS bit 24 IRTPS, 25 IRES, 23 CFIS; 6.5.2.7 IEC descriptor type 4,
 * bit 4 index-selective, IM 31:27, IIDX 47:32. Numbers from the spec, not
 * the driver's macros. */
static void test_interrupt_remapping_enable(void **state)
{
	void *table = hal_page_alloc();

	assert_int_equal(vtd_setup(&U), 0);
	assert_int_equal(vtd_enable_translation(&U), 0);
	M.gsts |= 1u << 23;	/* firmware left compatibility format on */
	assert_int_equal(vtd_ir_enable(&U, hal_virt_to_phys(table), 8), 0);
	assert_int_equal(M.irta, hal_virt_to_phys(table) | 7);
	assert_false(M.irta & (1u << 11));	/* xAPIC mode */
	assert_int_equal(M.sirtp_writes, 1);
	assert_true(M.gsts & (1u << 25));
	assert_false(M.gsts & (1u << 23));
	assert_true(M.gsts & (1u << 31));	/* translation state carried along */
	assert_true(M.iec_before_ire >= 1);	/* cache emptied before IRE */
	assert_int_equal(M.last_iec_desc & 0x1f, 0x4);	/* global */
	assert_true(U.remapping);

	assert_int_equal(vtd_ir_invalidate(&U, 0x25, 0), 0);
	assert_int_equal(M.last_iec_desc, 0x4 | 0x10 | (0x25ULL << 32));
	assert_int_equal(vtd_ir_invalidate(&U, 0x40, 3), 0);
	assert_int_equal(M.last_iec_desc, 0x4 | 0x10 | (3ULL << 27) | (0x40ULL << 32));
	hal_page_free(table);
}

static void test_interrupt_remapping_needs_ir_and_qi(void **state)
{
	M.ecap &= ~VTD_ECAP_IR;
	U.ecap = M.ecap;
	assert_int_equal(vtd_setup(&U), 0);
	assert_int_equal(vtd_ir_enable(&U, 0x1000, 8), E_UNSUPPORTED);
	assert_int_equal(M.sirtp_writes, 0);
	assert_false(M.gsts & (1u << 25));
}

static void test_interrupt_remapping_timeout(void **state)
{
	assert_int_equal(vtd_setup(&U), 0);
	M.stuck_gcmd = true;
	assert_int_equal(vtd_ir_enable(&U, 0x1000, 8), E_TIMEOUT);
	assert_true(U.broken);
	assert_false(U.remapping);
	assert_int_equal(host_log_count("set interrupt remapping table pointer did not complete"), 1);
}

/* An interrupt-remapping fault (SID check failed, reason 0x26): the record's
 * FI bits 63:48 carry the interrupt index (11.4.14). */
static void test_ir_fault_record_logged(void **state)
{
	struct iommu_fault f;

	vtd_fault_decode(0x0025000000000000ULL, (1ULL << 63) | (0x26ULL << 32) | 0x0010, &f);
	vtd_fault_log(0, &f);
	assert_int_equal(host_log_count("vtd fault unit=0 sid=00:02.0 irq_index=37 type=interrupt "
					"reason=0x26 (interrupt request from an unauthorized source)"),
			 1);
}

int main(void)
{
#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)
	const struct CMUnitTest tests[] = {
		T(test_probe_decodes_qemu),
		T(test_probe_rejects_absent_unit),
		T(test_setup_with_queued_invalidation),
		T(test_gcmd_keeps_states_and_never_repeats_one_shot),
		T(test_register_invalidation_without_qi),
		T(test_gcmd_timeout_marks_unit_broken),
		T(test_register_invalidation_timeout),
		T(test_qi_timeout_status_stays_in_static_memory),
		T(test_qi_descriptor_error),
		T(test_context_entry_contents_and_replacement),
		T(test_fault_record_read_and_cleared),
		T(test_fault_storm_rate_limited_and_device_stopped),
		T(test_fault_policy_window_reports_suppressed),
		T(test_reason_strings),
		T(test_disable_firmware_leftovers),
		T(test_pmr),
		T(test_interrupt_remapping_enable),
		T(test_interrupt_remapping_needs_ir_and_qi),
		T(test_interrupt_remapping_timeout),
		T(test_ir_fault_record_logged),
	};
	return cmocka_run_group_tests_name("vtd", tests, NULL, NULL);
}
