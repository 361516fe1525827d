/* Unit tests for the AMD-Vi back-end (src/iommu/amdvi.c, amdvi_ir.c) as the
 * generic bring-up drives it, against a modelled IOMMU behind the host HAL's
 * MMIO hook and an IVRS built byte by byte (AMD IOMMU spec 48882 rev 3.x:
 * 5.2 IVRS, 3.4 registers, 2.2.2 DTE, 2.4 commands, 2.5 events). The model
 * processes commands only with IommuEn and CmdBufEn set (3.4 Control), as
 * the hardware and QEMU do. Checked: the registry gets the registers and
 * the hidden function, every device-table entry starts blocked, attached
 * entries translate through the domain's tables (read back bit by bit),
 * an IVRS alias gets the same entry, the IOAPIC's entry blocks DMA, the
 * invalidations after enabling, a missed COMPLETION_WAIT breaks the unit,
 * events become neutral fault records, remapping tables per device. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"
#include "iommu/amdvi.h"
#include "iommu/amdvi_regs.h"
#include "iommu/domain.h"
#include "iommu/fault.h"
#include "iommu/iommu_backend.h"
#include "iommu/irq_remap.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "vmm/protect.h"

#define MMIO 0xfed80000ULL
#define HV_BASE 0x3be00000ULL
#define HV_END 0x3fe00000ULL

static struct model {
	struct host_mmio_model m;
	uint64_t devtab, cmd_base, cmd_head, cmd_tail, ev_base, ev_head, ev_tail, control;
	uint64_t efr, excl_base, excl_limit;
	bool hang;			/* never completes a command */
	unsigned done[16];		/* commands executed, by opcode */
} M;

static uint64_t ring_bytes(uint64_t base)
{
	return (1ULL << ((base >> AMDVI_RING_LEN_SHIFT) & 0xf)) * 16;
}

static void *pa(uint64_t reg, uint64_t off)
{
	return (void *)(uintptr_t)((reg & AMDVI_BASE_ADDR_MASK) + off);
}

static bool cmd_running(void)
{
	return (M.control & AMDVI_CTRL_IOMMU_EN) && (M.control & AMDVI_CTRL_CMD_BUF_EN);
}

static void model_fetch(void)
{
	while (!M.hang && cmd_running() && M.cmd_head != M.cmd_tail) {
		const uint32_t *c = pa(M.cmd_base, M.cmd_head);
		unsigned op = c[1] >> 28;

		if (op == AMDVI_CMD_COMPLETION_WAIT && (c[0] & AMDVI_CW_S)) {
			uint64_t a = (c[0] & ~7u) | (uint64_t)(c[1] & 0xfffff) << 32;

			*(volatile uint64_t *)(uintptr_t)a = c[2] | (uint64_t)c[3] << 32;
		}
		M.done[op]++;
		M.cmd_head = (M.cmd_head + 16) % ring_bytes(M.cmd_base);
	}
}

static void model_event(unsigned code, uint16_t devid, uint16_t flags, uint64_t addr)
{
	uint32_t *slot = pa(M.ev_base, M.ev_tail);

	slot[0] = devid;
	slot[1] = (uint32_t)code << 28 | (uint32_t)(flags & 0xfff) << 16;
	slot[2] = (uint32_t)addr;
	slot[3] = (uint32_t)(addr >> 32);
	M.ev_tail = (M.ev_tail + 16) % ring_bytes(M.ev_base);
}

static uint64_t mread(struct host_mmio_model *m, uint64_t off, int width)
{
	(void)m;
	assert_int_equal(width, 8);
	switch (off) {
	case AMDVI_MMIO_DEV_TABLE_BASE: return M.devtab;
	case AMDVI_MMIO_CMD_BUF_BASE: return M.cmd_base;
	case AMDVI_MMIO_EVENT_LOG_BASE: return M.ev_base;
	case AMDVI_MMIO_CONTROL: return M.control;
	case AMDVI_MMIO_EFR: return M.efr;
	case AMDVI_MMIO_CMD_BUF_HEAD: return M.cmd_head;
	case AMDVI_MMIO_CMD_BUF_TAIL: return M.cmd_tail;
	case AMDVI_MMIO_EVENT_LOG_HEAD: return M.ev_head;
	case AMDVI_MMIO_EVENT_LOG_TAIL: return M.ev_tail;
	case AMDVI_MMIO_STATUS:
		return (cmd_running() ? AMDVI_STATUS_CMD_BUF_RUN : 0) |
		       ((M.control & AMDVI_CTRL_IOMMU_EN) && (M.control & AMDVI_CTRL_EVENT_LOG_EN) ?
			AMDVI_STATUS_EVENT_LOG_RUN : 0);
	}
	fail_msg("read of unmodelled register 0x%llx", (unsigned long long)off);
	return 0;
}

static void mwrite(struct host_mmio_model *m, uint64_t off, int width, uint64_t v)
{
	(void)m;
	assert_int_equal(width, 8);
	switch (off) {
	case AMDVI_MMIO_DEV_TABLE_BASE: M.devtab = v; return;
	case AMDVI_MMIO_CMD_BUF_BASE: M.cmd_base = v; return;
	case AMDVI_MMIO_EVENT_LOG_BASE: M.ev_base = v; return;
	case AMDVI_MMIO_EXCL_BASE: M.excl_base = v; return;
	case AMDVI_MMIO_EXCL_LIMIT: M.excl_limit = v; return;
	case AMDVI_MMIO_CMD_BUF_HEAD: M.cmd_head = v & AMDVI_RING_PTR_MASK; return;
	case AMDVI_MMIO_EVENT_LOG_HEAD: M.ev_head = v & AMDVI_RING_PTR_MASK; return;
	case AMDVI_MMIO_EVENT_LOG_TAIL: M.ev_tail = v & AMDVI_RING_PTR_MASK; return;
	case AMDVI_MMIO_CMD_BUF_TAIL:
		M.cmd_tail = v & AMDVI_RING_PTR_MASK;
		model_fetch();
		return;
	case AMDVI_MMIO_CONTROL:
		M.control = v;
		model_fetch();
		return;
	case AMDVI_MMIO_STATUS:
		return;
	}
	fail_msg("write of unmodelled register 0x%llx", (unsigned long long)off);
}

/* ---- an IVRS like QEMU's, plus an alias: 5.2 ---- */

static uint8_t ivrs[256];
static size_t ivrs_len;

static void put16(uint8_t *p, uint16_t v) { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
static void put32(uint8_t *p, uint32_t v) { put16(p, (uint16_t)v); put16(p + 2, (uint16_t)(v >> 16)); }

#define DEVID(b, d, f) ((uint16_t)((b) << 8 | (d) << 3 | (f)))

static void build_ivrs(void)
{
	uint8_t *h = ivrs + 48, *e;
	uint8_t sum = 0;

	memset(ivrs, 0, sizeof(ivrs));
	memcpy(ivrs, "IVRS", 4);
	ivrs[8] = 1;				/* revision */
	memcpy(ivrs + 10, "BOCHS ", 6);
	memcpy(ivrs + 16, "BXPC    ", 8);
	put32(ivrs + 36, 0x2800);		/* IVinfo: PA size 40 */
	/* IVHD type 10h: the IOMMU is 00:01.0, capability at 0x40. */
	h[0] = 0x10;
	h[1] = 0xd1;
	put16(h + 4, DEVID(0, 1, 0));
	put16(h + 6, 0x40);
	put32(h + 8, (uint32_t)MMIO);
	e = h + 24;
	const uint16_t sel[] = { DEVID(0, 0, 0), DEVID(0, 1, 0), DEVID(0, 2, 0), DEVID(0, 0x1f, 2) };
	for (unsigned i = 0; i < 4; i++, e += 4) {
		e[0] = 0x02;			/* select */
		put16(e + 1, sel[i]);
	}
	/* Alias select (42h): 01:00.0's requests arrive as 00:1e.0. */
	e[0] = 0x42;
	put16(e + 1, DEVID(1, 0, 0));
	put16(e + 5, DEVID(0, 0x1e, 0));
	e += 8;
	/* Special (48h): IOAPIC 0 is 00:14.0. */
	e[0] = 0x48;
	e[4] = 0;				/* handle */
	put16(e + 5, DEVID(0, 0x14, 0));
	e[7] = 1;				/* variety: IOAPIC */
	e += 8;
	put16(h + 2, (uint16_t)(e - h));
	ivrs_len = (size_t)(e - ivrs);
	put32(ivrs + 4, (uint32_t)ivrs_len);
	for (size_t i = 0; i < ivrs_len; i++)
		sum = (uint8_t)(sum + ivrs[i]);
	ivrs[9] = (uint8_t)(0x100 - sum);
}

static struct memmap mem;
static struct iommu_config cfg;
static struct domain_config dc;

static uint64_t field(const uint64_t *e, unsigned hi, unsigned lo);
static const uint64_t *dte(uint16_t devid);

static int setup(void **state)
{
	(void)state;
	memset(&M, 0, sizeof(M));
	M.m = (struct host_mmio_model){ MMIO, AMDVI_MMIO_SIZE, mread, mwrite };
	M.efr = AMDVI_EFR_IA_SUP | AMDVI_EFR_GA_SUP | (2ULL << 10);	/* QEMU's HATS */
	M.control = AMDVI_CTRL_IOMMU_EN | AMDVI_CTRL_CMD_BUF_EN;	/* left on by firmware */
	M.excl_base = 0x1000 | AMDVI_EXCL_EN;
	host_mmio = &M.m;
	host_log_clear();
	host_log_echo = false;
	host_time_step_us = 1000;
	protect_reset();
	build_ivrs();
	memmap_init(&mem);
	cfg = (struct iommu_config){ .enabled = true, .mem = &mem, .hv_base = HV_BASE,
				     .hv_end = HV_END, .ivrs = ivrs, .ivrs_len = ivrs_len };
	assert_int_equal(protect_add(HV_BASE, HV_END, PROTECT_ALL, "hypervisor-region"), 0);
	return 0;
}

/* The driver never frees what the IOMMU may still read or write; the test
 * does, once the model is gone. */
static void free_dte_table(uint16_t devid)
{
	if (field(dte(devid), 189, 188) == AMDVI_INTCTL_REMAP)
		hal_page_free((void *)(uintptr_t)(field(dte(devid), 179, 134) << 6));
}

static int teardown(void **state)
{
	const struct amdvi_unit *u = amdvi_unit_get(0);

	(void)state;
	if (u) {
		hal_page_free(u->cmd.ring);
		hal_page_free(u->evlog.ring);
	}
	if (M.devtab) {
		free_dte_table(DEVID(0, 2, 0));
		free_dte_table(DEVID(0, 0x1e, 0));
		hal_pages_free(pa(M.devtab, 0), (unsigned)(M.devtab & AMDVI_DEV_TABLE_SIZE_MASK) + 1);
	}
	domain_policy_init(&dc);	/* destroys the domains and their tables */
	host_mmio = NULL;
	host_time_step_us = 0;
	return 0;
}

static const uint64_t *dte(uint16_t devid)
{
	return pa(M.devtab, (uint64_t)devid * 32);
}

/* Bits [hi:lo] of a DTE, by the spec's absolute bit numbers. */
static uint64_t field(const uint64_t *e, unsigned hi, unsigned lo)
{
	uint64_t v = 0;

	for (unsigned b = hi + 1; b-- > lo;)
		v = v << 1 | (e[b / 64] >> (b % 64) & 1);
	return v;
}

/* probe .. enable, the way iommu.c calls them. */
static void bring_up(void)
{
	assert_int_equal(amdvi_backend.probe(&cfg), 0);
	assert_int_equal(amdvi_backend.geometry(1ULL << 32, &dc), 0);
	assert_int_equal(domain_policy_init(&dc), 0);
	assert_int_equal(domain_forbid_protected(), 0);
	assert_int_equal(amdvi_backend.check_firmware_maps(&cfg), 0);
	assert_int_equal(domain_build_default(), 0);
	assert_int_equal(amdvi_backend.setup(), 0);
	for (unsigned i = 0; i < 3; i++) {
		static const struct pci_bdf b[3] = { { 0, 0, 2, 0 }, { 0, 0, 0x1f, 2 },
						     { 0, 1, 0, 0 } };

		assert_int_equal(amdvi_backend.unit_of(b[i]), 0);
		assert_int_equal(amdvi_backend.attach(0, b[i], domain_default()), 0);
	}
	assert_int_equal(amdvi_backend.enable(), 0);
}

static void test_probe_protects_and_stops_firmware_state(void **state)
{
	(void)state;
	assert_int_equal(amdvi_backend.probe(&cfg), 0);
	assert_non_null(protect_find(PROTECT_SPACE_MEM, MMIO, MMIO + AMDVI_MMIO_SIZE, PROTECT_ALL));
	assert_string_equal(protect_pci_function_hidden(PCI_BDF(0, 0, 1, 0)), "amdvi-iommu");
	assert_false(M.control & (AMDVI_CTRL_IOMMU_EN | AMDVI_CTRL_CMD_BUF_EN));
	assert_int_equal(M.excl_base, 0);	/* no exclusion range left on */
	assert_int_equal(amdvi_backend.unit_count(), 1);
	assert_int_equal(amdvi_backend.geometry(1ULL << 32, &dc), 0);
	assert_int_equal(dc.levels, 3);
	assert_int_equal(dc.max_page_level, 3);
	assert_int_equal(amdvi_backend.geometry(1ULL << 40, &dc), 0);
	assert_int_equal(dc.levels, 4);		/* past 512 GiB: one more level */
}

static void test_device_table_entries(void **state)
{
	const uint64_t *e;

	(void)state;
	bring_up();
	assert_true(M.control & AMDVI_CTRL_IOMMU_EN);
	/* 01:00.0 (0x100) is entry 256: 32-byte entries, the third page. */
	assert_int_equal(M.devtab & AMDVI_DEV_TABLE_SIZE_MASK, 2);
	/* The edu: V, TV, mode 3, the default domain's root, IR, IW, domain 1,
	 * interrupts untranslated (IV clear). */
	e = dte(DEVID(0, 2, 0));
	assert_int_equal(field(e, 0, 0), 1);
	assert_int_equal(field(e, 1, 1), 1);
	assert_int_equal(field(e, 11, 9), 3);
	assert_int_equal(field(e, 51, 12) << 12, domain_default()->pt.root);
	assert_int_equal(field(e, 61, 61), 1);
	assert_int_equal(field(e, 62, 62), 1);
	assert_int_equal(field(e, 79, 64), DOMAIN_DEFAULT_ID);
	assert_int_equal(field(e, 128, 128), 0);
	/* The alias's entry is the device's. */
	assert_memory_equal(dte(DEVID(0, 0x1e, 0)), dte(DEVID(1, 0, 0)), 32);
	assert_int_equal(field(dte(DEVID(0, 0x1e, 0)), 51, 12) << 12, domain_default()->pt.root);
	/* Unattached IDs and the IOMMU itself: blocked (V, TV, mode 0, no IR/IW,
	 * interrupts aborted). */
	for (unsigned i = 0; i < 2; i++) {
		e = dte(i ? DEVID(0, 1, 0) : DEVID(0, 5, 0));
		assert_int_equal(field(e, 1, 0), 3);
		assert_int_equal(field(e, 11, 9), 0);
		assert_int_equal(field(e, 62, 61), 0);
		assert_int_equal(field(e, 128, 128), 1);
		assert_int_equal(field(e, 189, 188), AMDVI_INTCTL_ABORT);
	}
	/* The IOAPIC's requester ID: DMA blocked, interrupts untranslated. */
	e = dte(DEVID(0, 0x14, 0));
	assert_int_equal(field(e, 1, 0), 3);
	assert_int_equal(field(e, 62, 61), 0);
	assert_int_equal(field(e, 128, 128), 0);
	/* Everything invalidated after IommuEn, at once (EFR.IA). */
	assert_int_equal(M.done[AMDVI_CMD_INVALIDATE_IOMMU_ALL], 1);
	assert_true(M.done[AMDVI_CMD_COMPLETION_WAIT] >= 1);
}

static void test_attach_after_enable_invalidates(void **state)
{
	struct domain *d;
	struct domain_range r = { 0x100000, 0x200000, IOPT_READ | IOPT_WRITE };
	unsigned devtab0, pages0;

	(void)state;
	bring_up();
	devtab0 = M.done[AMDVI_CMD_INVALIDATE_DEVTAB_ENTRY];
	pages0 = M.done[AMDVI_CMD_INVALIDATE_IOMMU_PAGES];
	assert_int_equal(domain_create("disk", &r, 1, &d), 0);
	assert_int_equal(amdvi_backend.attach(0, PCI_BDF(0, 0, 0x1f, 2), d), 0);
	assert_int_equal(field(dte(DEVID(0, 0x1f, 2)), 79, 64), d->id);
	assert_int_equal(field(dte(DEVID(0, 0x1f, 2)), 51, 12) << 12, d->pt.root);
	/* Blocked first (one invalidation), then the new entry (another),
	 * and the domain's translations. */
	assert_int_equal(M.done[AMDVI_CMD_INVALIDATE_DEVTAB_ENTRY], devtab0 + 2);
	assert_int_equal(M.done[AMDVI_CMD_INVALIDATE_IOMMU_PAGES], pages0 + 1);
	/* A function behind a shared alias cannot get a domain of its own...
	 * (here it is alone behind 00:1e.0, so it can). */
	assert_int_equal(amdvi_backend.attach(0, PCI_BDF(0, 1, 0, 0), d), 0);
}

static void test_missed_completion_breaks_the_unit(void **state)
{
	(void)state;
	bring_up();
	M.hang = true;
	assert_int_equal(amdvi_backend.attach(0, PCI_BDF(0, 0, 2, 0), domain_default()),
			 E_TIMEOUT);
	assert_true(host_log_count("timed out waiting for COMPLETION_WAIT") >= 1);
	assert_true(amdvi_unit_get(0)->broken);
	assert_int_equal(amdvi_backend.unit_of(PCI_BDF(0, 0, 2, 0)), -1);
	assert_int_equal(amdvi_backend.attach(0, PCI_BDF(0, 0, 2, 0), domain_default()), E_FAULT);
}

static void test_events_become_neutral_faults(void **state)
{
	uint64_t seq;
	struct fault_event ev;

	(void)state;
	bring_up();
	assert_false(amdvi_backend.faults_reported());
	assert_false(amdvi_backend.fault_pending());
	seq = fault_ring_seq();
	model_event(AMDVI_EVENT_IO_PAGE_FAULT, DEVID(0, 2, 0), AMDVI_EVF_RW, HV_BASE + 0x2000);
	model_event(AMDVI_EVENT_IO_PAGE_FAULT, DEVID(0, 2, 0), 0, HV_BASE);
	model_event(AMDVI_EVENT_ILLEGAL_COMMAND_ERROR, 0, 0, 0x1230);
	assert_true(amdvi_backend.fault_pending());
	assert_int_equal(amdvi_backend.poll_faults(), 3);
	assert_false(amdvi_backend.fault_pending());
	assert_true(amdvi_backend.faults_reported());
	assert_int_equal(fault_ring_seq(), seq + 2);	/* the command error names no device */
	assert_true(fault_ring_get(seq + 1, &ev));
	assert_int_equal(ev.f.sid, DEVID(0, 2, 0));
	assert_int_equal(ev.f.addr, HV_BASE + 0x2000);
	assert_false(ev.f.is_read);
	assert_string_equal(ev.f.backend, "amdvi");
	assert_string_equal(ev.f.why, "IO_PAGE_FAULT");
	assert_true(fault_ring_get(seq + 2, &ev));
	assert_true(ev.f.is_read);
	assert_int_equal(host_log_count("amdvi fault iommu=0 sid=00:02.0 addr=0x3be02000 "
					"type=write event=0x2 (IO_PAGE_FAULT)"), 1);
	assert_int_equal(host_log_count("event=0x5 (ILLEGAL_COMMAND_ERROR)"), 1);
}

static void test_interrupt_remapping_tables_per_device(void **state)
{
	const struct irq_remap_ops *ops;
	struct irq_source edu = { IRQ_SRC_RID, DEVID(0, 2, 0), 0, 0 };
	struct irq_source behind = { IRQ_SRC_RID, DEVID(1, 0, 0), 0, 0 };
	struct irq_route r = { .vector = 0x41, .delivery = IRQ_DLM_FIXED, .dest_apic_id = 0 };
	uint16_t h, h2;
	uint64_t addr;
	uint32_t data;
	const uint32_t *t;

	(void)state;
	bring_up();
	ops = amdvi_backend.irq_ops();
	assert_non_null(ops);
	assert_int_equal(irq_remap_init(ops), 0);
	assert_int_equal(irq_remap_alloc(1, &edu, "edu", &h), 0);
	/* The DTE now remaps: IV, IntTabLen 8, IntCtl 10b, a table. */
	assert_int_equal(field(dte(DEVID(0, 2, 0)), 128, 128), 1);
	assert_int_equal(field(dte(DEVID(0, 2, 0)), 132, 129), 8);
	assert_int_equal(field(dte(DEVID(0, 2, 0)), 189, 188), AMDVI_INTCTL_REMAP);
	t = (const uint32_t *)(uintptr_t)(field(dte(DEVID(0, 2, 0)), 179, 134) << 6);
	assert_int_equal(t[h], 0);			/* blocked until set */
	/* DMA translation is untouched. */
	assert_int_equal(field(dte(DEVID(0, 2, 0)), 51, 12) << 12, domain_default()->pt.root);
	assert_int_equal(irq_remap_set(h, &r), 0);
	assert_int_equal(t[h] & 1, 1);			/* RemapEn */
	assert_int_equal(t[h] >> 16 & 0xff, 0x41);
	irq_remap_msi_message(h, &addr, &data);
	assert_int_equal(addr, 0xfee00000u);
	assert_int_equal(data, h);
	/* Forbidden delivery modes cannot be encoded. */
	r.delivery = 5;					/* INIT */
	assert_int_not_equal(irq_remap_set(h, &r), 0);
	assert_int_equal(irq_remap_block(h), 0);
	assert_int_equal(t[h], 0);
	/* A function behind an alias: its table hangs off the alias's entry. */
	assert_int_equal(irq_remap_alloc(4, &behind, "behind", &h2), 0);
	assert_int_equal(h2 % 4, 0);			/* multi-message: aligned */
	assert_int_equal(field(dte(DEVID(0, 0x1e, 0)), 189, 188), AMDVI_INTCTL_REMAP);
	assert_int_equal(field(dte(DEVID(1, 0, 0)), 189, 188), AMDVI_INTCTL_REMAP);
	assert_int_equal(field(dte(DEVID(1, 0, 0)), 179, 134), field(dte(DEVID(0, 0x1e, 0)), 179, 134));
	assert_int_not_equal(field(dte(DEVID(1, 0, 0)), 179, 134) << 6, (uintptr_t)t);
	/* Re-attaching keeps the remapping table. */
	assert_int_equal(amdvi_backend.attach(0, PCI_BDF(0, 0, 2, 0), domain_default()), 0);
	assert_int_equal(field(dte(DEVID(0, 2, 0)), 189, 188), AMDVI_INTCTL_REMAP);
	assert_true(M.done[AMDVI_CMD_INVALIDATE_INTERRUPT_TABLE] >= 3);
}

/* The IOAPIC's table (its IVRS special entry, 00:14.0): 512 entries, a
 * pin's entry at the guest's vector (or vector + 256 when another pin has
 * that vector with another route), the hardware entry naming it with the
 * guest's vector; a pin's old entry goes only at commit. */
static void test_ioapic_table_indexed_by_vector(void **state)
{
	struct irq_source ioapic = { IRQ_SRC_RID, DEVID(0, 0x14, 0), 0, 0 };
	struct irq_route r0 = { .vector = 0x41, .delivery = IRQ_DLM_FIXED, .dest_apic_id = 0 };
	struct irq_route r1 = { .vector = 0x41, .delivery = IRQ_DLM_FIXED, .dest_apic_id = 1 };
	struct irq_route r2 = { .vector = 0x41, .delivery = IRQ_DLM_LOWEST, .dest_apic_id = 2 };
	const uint64_t *e;
	const uint32_t *t;
	uint16_t h;
	unsigned inv;

	(void)state;
	bring_up();
	assert_int_equal(irq_remap_init(amdvi_backend.irq_ops()), 0);
	assert_int_equal(irq_remap_alloc(24, &ioapic, "ioapic0", &h), 0);
	e = dte(DEVID(0, 0x14, 0));
	assert_int_equal(field(e, 128, 128), 1);			/* IV */
	assert_int_equal(field(e, 132, 129), 9);			/* 512 entries */
	assert_int_equal(field(e, 189, 188), AMDVI_INTCTL_REMAP);
	assert_int_equal(field(e, 186, 184), 0);			/* no INIT/ExtINT/NMI pass */
	assert_int_equal(field(e, 191, 190), 0);			/* no LINT0/1 pass */
	assert_int_equal(field(e, 1, 0), 3);				/* DMA still blocked */
	assert_int_equal(field(e, 62, 61), 0);
	t = (const uint32_t *)(uintptr_t)(field(e, 179, 134) << 6);
	for (unsigned i = 0; i < 512; i++)
		assert_int_equal(t[i], 0);
	/* Pin 0: vector 0x41 to CPU 0 -> entry 0x41; the pin sends vector
	 * 0x41, delivery mode fixed (level, active low kept). */
	assert_int_equal(irq_remap_set(h, &r0), 0);
	assert_int_equal(t[0x41], 0x00410001u);
	assert_int_equal(irq_remap_ioapic_rte(h, 0x41, true, true, false), 0xa041u);
	/* Pin 1, the same vector to CPU 1: entry 0x141, delivery mode field 1. */
	assert_int_equal(irq_remap_set(h + 1, &r1), 0);
	assert_int_equal(t[0x141], 0x00410101u);
	assert_int_equal(irq_remap_ioapic_rte(h + 1, 0x41, false, false, false), 0x141u);
	/* A third route on 0x41: no entry left, refused. */
	assert_int_equal(irq_remap_set(h + 2, &r2), E_BUSY);
	assert_true(host_log_count("vector 0x41 is used by two other pins") == 1);
	assert_int_equal(irq_remap_ioapic_rte(h + 2, 0x41, false, false, false) & (1u << 16),
			 1u << 16);					/* masked */
	/* Pin 0 rewritten on its vector: in place. */
	r0.delivery = IRQ_DLM_LOWEST;
	assert_int_equal(irq_remap_set(h, &r0), 0);
	assert_int_equal(t[0x41], 0x00410005u);
	/* Pin 0 moves to 0x42: the new entry first, the old one stays until
	 * the IOAPIC has been given the new one. */
	r0.vector = 0x42;
	assert_int_equal(irq_remap_set(h, &r0), 0);
	assert_int_equal(t[0x42], 0x00420005u);
	assert_int_equal(t[0x41], 0x00410005u);
	assert_int_equal(irq_remap_ioapic_rte(h, 0x42, false, false, false), 0x42u);
	/* A masked entry on a vector without an entry: masked, vector kept
	 * (EOIs match by it). */
	assert_int_equal(irq_remap_ioapic_rte(h, 0x50, true, false, false), 0x18050u);
	inv = M.done[AMDVI_CMD_INVALIDATE_INTERRUPT_TABLE];
	assert_int_equal(irq_remap_commit(h), 0);
	assert_int_equal(t[0x41], 0);
	assert_int_equal(M.done[AMDVI_CMD_INVALIDATE_INTERRUPT_TABLE], inv + 1);
	assert_int_equal(irq_remap_commit(h), 0);			/* nothing left to release */
	assert_int_equal(M.done[AMDVI_CMD_INVALIDATE_INTERRUPT_TABLE], inv + 1);
	/* Entry 0x41 is free again: the third route gets it. */
	assert_int_equal(irq_remap_set(h + 2, &r2), 0);
	assert_int_equal(t[0x41], 0x00410205u);
	/* Forbidden modes cannot be encoded; blocking clears the entry. */
	r1.delivery = 4;					/* NMI */
	assert_int_not_equal(irq_remap_set(h + 1, &r1), 0);
	assert_int_equal(irq_remap_block(h + 1), 0);
	assert_int_equal(t[0x141], 0);
	assert_int_equal(irq_remap_ioapic_rte(h + 1, 0x41, false, false, false) & (1u << 16),
			 1u << 16);
	hal_page_free((void *)(uintptr_t)t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_probe_protects_and_stops_firmware_state, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_device_table_entries, setup, teardown),
		cmocka_unit_test_setup_teardown(test_attach_after_enable_invalidates, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_missed_completion_breaks_the_unit, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_events_become_neutral_faults, setup, teardown),
		cmocka_unit_test_setup_teardown(test_interrupt_remapping_tables_per_device, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_ioapic_table_indexed_by_vector, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
