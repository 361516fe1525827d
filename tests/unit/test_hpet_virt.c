/* The HPET's FSB interrupts virtualised (vmm/hpet_virt.c) against a
 * modelled HPET (IA-PC HPET 1.0a 2.3: capabilities with 3 timers and
 * COUNTER_CLK_PERIOD, per timer the configuration with Tn_FSB_INT_DEL_CAP,
 * comparator and FSB route at 0x100/0x108/0x110 + 0x20 * N) and the local
 * APIC's ID/LDR/DFR. What the guest writes through the emulated page is
 * checked against what lands in the timer's registers; the expected values
 * are written out from the spec's bit layouts (SDM 3A 10.11.1-2 for the
 * message). The remapped case runs against a recording remapping back-end. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"
#include "iommu/irq_remap.h"
#include "lib/hal.h"
#include "platform/acpi.h"
#include "vmm/hpet_virt.h"

#define HPET 0xfed00000ULL
#define LAPIC 0xfee00000ULL

static struct {
	struct host_mmio_model m;
	uint64_t cap, gcfg, counter;
	uint64_t cfg[3], cmp[3], fsb[3];
	unsigned cfg_writes[3];
	uint32_t ldr, dfr;
	/* the recording remapping back-end */
	int writes;
	uint16_t handle;
	struct irq_source src;
	bool present;
	struct irq_route route;
} M;

static uint64_t part(uint64_t reg, uint64_t off, int w)
{
	unsigned sh = (unsigned)(off & 7) * 8;

	return w == 8 ? reg : (reg >> sh) & ((1ULL << (8 * w)) - 1);
}

static void put(uint64_t *reg, uint64_t off, int w, uint64_t v, uint64_t writable)
{
	unsigned sh = (unsigned)(off & 7) * 8;
	uint64_t mask = (w == 8 ? ~0ULL : ((1ULL << (8 * w)) - 1) << sh) & writable;

	*reg = (*reg & ~mask) | ((v << sh) & mask);
}

static uint64_t mread(struct host_mmio_model *m, uint64_t off, int w)
{
	if (off >= LAPIC - HPET) {
		switch (off - (LAPIC - HPET)) {
		case 0x20: return 0;		/* APIC id 0 */
		case 0xd0: return M.ldr;
		case 0xe0: return M.dfr;
		}
		fail_msg("read of unmodelled lapic +0x%llx", (unsigned long long)off);
	}
	if (off < 0x08)
		return part(M.cap, off, w);
	if (off >= 0x10 && off < 0x18)
		return part(M.gcfg, off, w);
	if (off >= 0xf0 && off < 0xf8)
		return part(M.counter, off, w);
	if (off >= 0x100 && off < 0x160) {
		unsigned n = (unsigned)(off - 0x100) / 0x20, r = (unsigned)(off & 0x18);

		return part(r == 0 ? M.cfg[n] : r == 8 ? M.cmp[n] : M.fsb[n], off, w);
	}
	fail_msg("read of unmodelled hpet +0x%llx", (unsigned long long)off);
	return 0;
}

static void mwrite(struct host_mmio_model *m, uint64_t off, int w, uint64_t v)
{
	if (off >= 0x10 && off < 0x18) {
		put(&M.gcfg, off, w, v, 3);
		return;
	}
	if (off >= 0x100 && off < 0x160) {
		unsigned n = (unsigned)(off - 0x100) / 0x20, r = (unsigned)(off & 0x18);

		if (r == 0) {
			/* writable: 1, 2, 3, 6, 8, 13:9, 14 */
			put(&M.cfg[n], off, w, v, 0x7f4e);
			M.cfg_writes[n]++;
		} else if (r == 8) {
			put(&M.cmp[n], off, w, v, ~0ULL);
		} else {
			put(&M.fsb[n], off, w, v, ~0ULL);
		}
		return;
	}
	fail_msg("write of unmodelled hpet +0x%llx", (unsigned long long)off);
}

static int rec_enable(void)
{
	return 0;
}

static int rec_write(uint16_t h, const struct irq_source *src, const struct irq_route *rt)
{
	M.writes++;
	M.handle = h;
	M.src = *src;
	M.present = rt != NULL;
	if (rt)
		M.route = *rt;
	return 0;
}

/* A remappable-format message naming the handle (VT-d 5.1.5.2 layout:
 * handle 14:0 in address bits 19:5, bit 4 format, bit 3 SHV). */
static void rec_msi(uint16_t h, uint64_t *addr, uint32_t *data)
{
	*addr = 0xfee00000u | (uint64_t)h << 5 | 1u << 4 | 1u << 3;
	*data = 0;
}

static const struct irq_remap_ops rec_ops = {
	.name = "rec", .enable = rec_enable, .write = rec_write, .msi_message = rec_msi,
};

static int setup_common(void)
{
	memset(&M, 0, sizeof(M));
	/* 10 ns period (QEMU's 100 MHz), 64-bit counter, 3 timers (NUM_TIM_CAP 2), rev 1. */
	M.cap = 10000000ULL << 32 | 0x8086a201ULL;
	for (int n = 0; n < 3; n++) {
		M.cfg[n] = 0x00f00000ULL << 32 | 0x30;		/* PER_INT_CAP, SIZE_CAP */
		if (n == 2)
			M.cfg[n] |= 0x8000;			/* Tn_FSB_INT_DEL_CAP */
	}
	M.ldr = 0x01000000;
	M.dfr = 0xffffffff;
	M.m = (struct host_mmio_model){ HPET, LAPIC + 0x1000 - HPET, mread, mwrite };
	host_mmio = &M.m;
	host_log_clear();
	hpet_virt_reset();
	return 0;
}

static int setup(void **state)
{
	setup_common();
	irq_remap_init(NULL);		/* no remapping: compatibility format */
	assert_int_equal(hpet_virt_init(HPET, 0, NULL), 0);
	return 0;
}

static int setup_remapped(void **state)
{
	struct irq_source src = { IRQ_SRC_RID, 0xf0f8, 0, 0 };	/* a DMAR HPET scope's id */

	setup_common();
	assert_int_equal(irq_remap_init(&rec_ops), 0);
	assert_int_equal(hpet_virt_init(HPET, 0, &src), 0);
	return 0;
}

static int teardown(void **state)
{
	host_mmio = NULL;
	irq_remap_init(NULL);
	return 0;
}

static void gw(uint64_t off, int size, uint64_t v)
{
	hpet_mmio_ops.write(NULL, HPET + off, size, v);
}

/* Linux's order (hpet_msi_write, then the enable): route, then config. */
static void program_timer2(uint32_t addr, uint32_t data, uint32_t cfg)
{
	gw(0x150, 4, data);
	gw(0x154, 4, addr);
	gw(0x140, 4, cfg);
}

static void test_init_reports_the_timers(void **state)
{
	assert_true(hpet_virt_active());
	assert_int_equal(host_log_count("hpet virt number=0 base=0xfed00000 timers=3 fsb_timers=1 "
					"format=compat"), 1);
	assert_int_equal(M.cfg_writes[0] + M.cfg_writes[1] + M.cfg_writes[2], 0);
}

static void test_allowed_fixed_route_is_written_in_compat_format(void **state)
{
	/* Logical destination 1 (flat, the CPU's LDR), fixed, vector 0x50; FSB
	 * enable, interrupt enable. */
	program_timer2(0xfee01004, 0x0050, 0x4004);
	/* The physical destination of that CPU (APIC id 0), DM 0, vector 0x50. */
	assert_int_equal(M.fsb[2], 0xfee00000ULL << 32 | 0x50);
	assert_int_equal(M.cfg[2] & 0x4004, 0x4004);
	assert_int_equal(host_log_count("irq refused"), 0);
	/* Lowest priority, level: kept (data 15 trigger, 14 assert). */
	program_timer2(0xfee00000, 0xc151, 0x4006);
	assert_int_equal(M.fsb[2], 0xfee00000ULL << 32 | 0xc151);
	assert_int_equal(M.cfg[2] & 0x4006, 0x4006);
}

static void test_forbidden_modes_keep_the_timer_off(void **state)
{
	static const uint32_t modes[] = { 0x230, 0x330, 0x430, 0x530, 0x630, 0x730 };

	program_timer2(0xfee00000, 0x50, 0x4004);	/* allowed first */
	for (unsigned i = 0; i < 6; i++) {
		program_timer2(0xfee00000, modes[i], 0x4004);
		assert_int_equal(M.cfg[2] & 0x4004, 0);	/* neither FSB nor the interrupt */
		assert_int_equal(M.fsb[2] & 0x700, 0);	/* the old, allowed message is left */
	}
	/* One line per asked-for message (the route write decides with the old
	 * enable, the config write repeats the same request: not logged again). */
	assert_int_equal(host_log_count("irq refused source=hpet device=hpet0-timer2"), 6);
	assert_int_equal(host_log_count("delivery=INIT"), 1);
	assert_int_equal(host_log_count("delivery=NMI"), 1);
	program_timer2(0xfee02000, 0x30, 0x4004);	/* physical 2: not the guest's */
	assert_int_equal(M.cfg[2] & 0x4004, 0);
	assert_int_equal(host_log_count("reason=\"destination is not a CPU of the guest's\""), 1);
	program_timer2(0xfec00000, 0x30, 0x4004);	/* not an interrupt message */
	assert_int_equal(M.cfg[2] & 0x4004, 0);
	assert_int_equal(host_log_count("not an interrupt message"), 1);
	program_timer2(0xfee00010, 0x30, 0x4004);	/* remappable format */
	assert_int_equal(M.cfg[2] & 0x4004, 0);
	assert_int_equal(host_log_count("remappable-format message"), 1);
}

static void test_fsb_off_passes_the_config(void **state)
{
	/* An INIT route with FSB delivery off is nothing: the timer uses its
	 * IOAPIC route (pin 20, bits 13:9), the config passes as written. */
	program_timer2(0xfee00000, 0x530, (20u << 9) | 0x4);
	assert_int_equal(M.cfg[2] & 0x7f4e, (20u << 9) | 0x4);
	assert_int_equal(host_log_count("irq refused"), 0);
	/* Enabling FSB later decides the route written before. */
	gw(0x140, 4, 0x4004);
	assert_int_equal(M.cfg[2] & 0x4004, 0);
	assert_int_equal(host_log_count("delivery=INIT"), 1);
}

static void test_64bit_writes_and_val_set(void **state)
{
	gw(0x150, 8, 0xfee00000ULL << 32 | 0x41);	/* the whole route at once */
	gw(0x140, 8, 0x4044);				/* Tn_VAL_SET_CNF with the enable */
	assert_int_equal(M.fsb[2], 0xfee00000ULL << 32 | 0x41);
	assert_int_equal(M.cfg[2] & 0x4044, 0x4044);
	/* A later route write re-decides without setting Tn_VAL_SET_CNF again
	 * (it is write-once per comparator write in the hardware). */
	M.cfg[2] &= ~0x40ULL;
	gw(0x150, 4, 0x42);
	assert_int_equal(M.cfg[2] & 0x40, 0);
	assert_int_equal(M.fsb[2] & 0xff, 0x42);
	/* Comparator, general config and other timers pass unchanged. */
	gw(0x148, 8, 0x123456789ULL);
	assert_int_equal(M.cmp[2], 0x123456789ULL);
	gw(0x10, 4, 1);
	assert_int_equal(M.gcfg, 1);
	gw(0x100, 4, 0x0c);
	assert_int_equal(M.cfg[0] & 0x0c, 0x0c);
	/* A write across two registers is dropped, and says so. */
	gw(0x156, 4, 0xffffffff);
	assert_int_equal(M.fsb[2] >> 32, 0xfee00000);
	assert_int_equal(host_log_count("crosses a register"), 1);
}

static void test_remapped_timer_uses_its_handle(void **state)
{
	assert_int_equal(host_log_count("hpet virt number=0 base=0xfed00000 timers=3 fsb_timers=1 "
					"format=remapped handles=0-2 sid=f0:1f.0"), 1);
	program_timer2(0xfee00000, 0x0051, 0x4004);
	assert_true(M.present);
	assert_int_equal(M.handle, 2);
	assert_int_equal(M.src.rid, 0xf0f8);
	assert_int_equal(M.route.vector, 0x51);
	assert_int_equal(M.route.delivery, 0);
	assert_int_equal(M.route.dest_apic_id, 0);
	/* The timer sends shoji's message for handle 2, nothing of the guest's. */
	assert_int_equal(M.fsb[2], (0xfee00000ULL | 2 << 5 | 0x18) << 32);
	assert_int_equal(M.cfg[2] & 0x4004, 0x4004);
	program_timer2(0xfee00000, 0x0530, 0x4004);	/* INIT: the entry is blocked */
	assert_false(M.present);
	assert_int_equal(M.handle, 2);
	assert_int_equal(M.cfg[2] & 0x4004, 0);
}

static void test_no_hpet_there(void **state)
{
	setup_common();
	M.cap = ~0ULL;
	assert_int_not_equal(hpet_virt_init(HPET, 0, NULL), 0);
	assert_false(hpet_virt_active());
	assert_int_equal(host_log_count("no HPET there"), 1);
}

/* The ACPI HPET table (HPET 1.0a 3.2.4): base GAS at 40, number at 52. */
static void test_acpi_hpet_table(void **state)
{
	static uint8_t t[56];
	struct acpi_hpet h;

	memset(t, 0, sizeof(t));
	memcpy(t, "HPET", 4);
	t[4] = sizeof(t);
	t[36] = 0x01, t[37] = 0xa2, t[38] = 0x86, t[39] = 0x80;		/* block id 0x8086a201 */
	t[40] = 0, t[41] = 64;						/* system memory */
	t[44] = 0x00, t[45] = 0x00, t[46] = 0xd0, t[47] = 0xfe;		/* 0xfed00000 */
	t[52] = 3;
	assert_int_equal(acpi_hpet_parse_table((struct acpi_header *)t, &h), 0);
	assert_int_equal(h.base, 0xfed00000ULL);
	assert_int_equal(h.number, 3);
	assert_int_equal(h.block_id, 0x8086a201u);
	t[40] = 1;							/* I/O space */
	assert_int_not_equal(acpi_hpet_parse_table((struct acpi_header *)t, &h), 0);
	assert_int_equal(host_log_count("reason=not-memory-space"), 1);
	t[40] = 0, t[44] = 0x40;					/* 0xfed00040 */
	assert_int_not_equal(acpi_hpet_parse_table((struct acpi_header *)t, &h), 0);
	assert_int_equal(host_log_count("reason=unaligned-base"), 1);
	t[4] = 52;
	assert_int_not_equal(acpi_hpet_parse_table((struct acpi_header *)t, &h), 0);
	assert_int_equal(host_log_count("reason=bad-length"), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_init_reports_the_timers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_allowed_fixed_route_is_written_in_compat_format,
						setup, teardown),
		cmocka_unit_test_setup_teardown(test_forbidden_modes_keep_the_timer_off, setup,
						teardown),
		cmocka_unit_test_setup_teardown(test_fsb_off_passes_the_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_64bit_writes_and_val_set, setup, teardown),
		cmocka_unit_test_setup_teardown(test_remapped_timer_uses_its_handle, setup_remapped,
						teardown),
		cmocka_unit_test_teardown(test_no_hpet_there, teardown),
		cmocka_unit_test_setup_teardown(test_acpi_hpet_table, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
