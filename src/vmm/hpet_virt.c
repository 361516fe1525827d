/* HPET FSB interrupt virtualisation (see hpet_virt.h). Register layout:
 * IA-PC HPET 1.0a, 2.3.4 General Capabilities (12:8 NUM_TIM_CAP, timers - 1),
 * 2.3.8 Timer N Configuration and Capabilities at 0x100 + 0x20 * N (1
 * Tn_INT_TYPE_CNF, 2 Tn_INT_ENB_CNF, 6 Tn_VAL_SET_CNF, 14 Tn_FSB_EN_CNF,
 * 15 Tn_FSB_INT_DEL_CAP; 63:32 the IOAPIC routes it may use, read-only),
 * 2.3.9 Timer N FSB Interrupt Route at 0x110 + 0x20 * N (31:0 Tn_FSB_INT_VAL,
 * the data written, 63:32 Tn_FSB_INT_ADDR, where). Software accesses them
 * 32 or 64 bits at a time (2.3.1); QEMU's hw/timer/hpet.c models the same
 * layout. The MSI address/data meaning: Intel SDM 3A 10.11.1-2. */
#include "iommu/irq_remap.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/spinlock.h"
#include "vmm/apic_guard.h"
#include "vmm/hpet_virt.h"
#include "vmm/irq_log.h"
#include "vmm/irq_policy.h"

struct hpet_timer {
	uint64_t cfg;		/* the guest's configuration (Tn_VAL_SET_CNF never kept) */
	uint64_t fsb;		/* the guest's FSB route */
	uint64_t refused;	/* cfg ^ fsb of the last refusal logged (0: none) */
	bool refused_logged;
};

static struct {
	bool active;
	paddr_t base;
	uint8_t number;
	unsigned timers;
	bool remapped;		/* handles with the HPET's source check */
	uint16_t handle;	/* first of `timers` */
	struct hpet_timer t[HPET_MAX_TIMERS];
} H;

static struct spinlock hpet_lock = SPINLOCK_INIT;

static paddr_t treg(unsigned n, unsigned r)
{
	return H.base + HPET_REG_TIMER(n) + r;
}

/* The low dword holds every writable bit (the high one is Tn_INT_ROUTE_CAP). */
static void hw_cfg(unsigned n, uint32_t v)
{
	hal_mmio_write32(treg(n, HPET_TN_CFG), v);
}

static void hw_fsb(unsigned n, uint32_t addr, uint32_t data)
{
	hal_mmio_write32(treg(n, HPET_TN_FSB), data);
	hal_mmio_write32(treg(n, HPET_TN_FSB) + 4, addr);
}

/* The message for an allowed route in compatibility format: physical
 * destination (SDM 3A 10.11.1: 0xFEE, 19:12 destination, RH 0, DM 0),
 * data 7:0 vector, 10:8 delivery mode, 14 assert and 15 trigger for level. */
static void compat_message(const struct irq_route *rt, uint32_t *addr, uint32_t *data)
{
	*addr = 0xfee00000u | (rt->dest_apic_id & 0xffu) << 12;
	*data = rt->vector | (uint32_t)rt->delivery << 8 | (rt->level ? 3u << 14 : 0);
}

/* extra: Tn_VAL_SET_CNF when the write that brought us here carried it. */
static void evaluate(unsigned n, uint32_t extra)
{
	struct hpet_timer *t = &H.t[n];
	uint32_t g = (uint32_t)t->cfg | extra, addr, data;
	uint16_t h = (uint16_t)(H.handle + n);
	struct irq_guest_cpus cpus;
	struct irq_request r;
	struct irq_route route;
	const char *why;
	char dev[24];

	if (!(g & HPET_TN_FSB_EN)) {
		/* Not an FSB interrupt: the timer's IOAPIC route (itself
		 * virtualised) or nothing. */
		hw_cfg(n, g);
		if (H.remapped)
			irq_remap_block(h);
		return;
	}
	irq_decode_msi((uint32_t)(t->fsb >> 32), 0, (uint32_t)t->fsb, &r);
	apic_guest_cpus(&cpus);
	why = irq_policy_check(&r, &cpus, &route);
	if (why) {
		hw_cfg(n, g & ~(HPET_TN_FSB_EN | HPET_TN_INT_ENB));
		if (H.remapped)
			irq_remap_block(h);
		if (!t->refused_logged || t->refused != (t->cfg ^ t->fsb)) {
			shoji_snprintf(dev, sizeof(dev), "hpet%u-timer%u", H.number, n);
			irq_log_refusal("hpet", dev, &r, why);
		}
		t->refused = t->cfg ^ t->fsb;
		t->refused_logged = true;
		return;
	}
	t->refused_logged = false;
	if (H.remapped) {
		uint64_t a64;

		if (irq_remap_set(h, &route)) {
			log_error("hpet%u timer %u: remapping entry %u not written: FSB delivery "
				  "stays off", H.number, n, h);
			hw_cfg(n, g & ~(HPET_TN_FSB_EN | HPET_TN_INT_ENB));
			return;
		}
		irq_remap_msi_message(h, &a64, &data);
		addr = (uint32_t)a64;
	} else {
		compat_message(&route, &addr, &data);
	}
	/* The route before the enable: the timer never sends an old message
	 * under a new configuration. */
	hw_fsb(n, addr, data);
	hw_cfg(n, g);
}

static uint64_t hw_read(uint64_t gpa, int size)
{
	switch (size) {
	case 1: return hal_mmio_read8(gpa);
	case 2: return hal_mmio_read16(gpa);
	case 4: return hal_mmio_read32(gpa);
	default: return hal_mmio_read64(gpa);
	}
}

static void hw_write(uint64_t gpa, int size, uint64_t v)
{
	switch (size) {
	case 1: hal_mmio_write8(gpa, (uint8_t)v); break;
	case 2: hal_mmio_write16(gpa, (uint16_t)v); break;
	case 4: hal_mmio_write32(gpa, (uint32_t)v); break;
	default: hal_mmio_write64(gpa, v); break;
	}
}

static uint64_t merge(uint64_t reg, unsigned at, int size, uint64_t v)
{
	uint64_t mask = size == 8 ? ~0ULL : ((1ULL << (8 * size)) - 1) << (8 * at);

	return (reg & ~mask) | ((v << (8 * at)) & mask);
}

static void write_locked(uint64_t gpa, int size, uint64_t v)
{
	uint64_t off = gpa - H.base;
	unsigned n = (unsigned)((off - 0x100) / 0x20), r = (unsigned)(off & 0x1f);
	unsigned at = r & 7;
	uint32_t extra = 0;

	if (off < 0x100 || n >= H.timers || (r >= HPET_TN_CMP && r < HPET_TN_FSB) ||
	    r >= HPET_TN_FSB + 8) {
		hw_write(gpa, size, v);	/* capabilities, configuration, status, counter, comparators */
		return;
	}
	if (at + (unsigned)size > 8) {
		log_warn("hpet%u timer %u: guest write of %d bytes at +0x%x crosses a register: "
			 "dropped", H.number, n, size, (unsigned)off);
		return;
	}
	if (r < HPET_TN_CMP) {
		H.t[n].cfg = merge(H.t[n].cfg, at, size, v);
		if (at < 1 && H.t[n].cfg & HPET_TN_VAL_SET)
			extra = HPET_TN_VAL_SET;	/* this write's, once */
		H.t[n].cfg &= ~(uint64_t)HPET_TN_VAL_SET;
		if (at >= 4)
			return;		/* the read-only capability half */
	} else {
		H.t[n].fsb = merge(H.t[n].fsb, at, size, v);
	}
	evaluate(n, extra);
}

static uint64_t hpet_read(void *ctx, uint64_t gpa, int size)
{
	(void)ctx;
	return hw_read(gpa, size);	/* reads pass (see hpet_virt.h) */
}

static void hpet_write(void *ctx, uint64_t gpa, int size, uint64_t v)
{
	(void)ctx;
	spin_lock(&hpet_lock);
	write_locked(gpa, size, v);
	spin_unlock(&hpet_lock);
}

const struct mmio_ops hpet_mmio_ops = { .read = hpet_read, .write = hpet_write };

int hpet_virt_init(paddr_t base, uint8_t number, const struct irq_source *src)
{
	uint64_t cap;
	unsigned fsb = 0;
	int rc;

	if (H.active)
		return E_BUSY;
	H = (typeof(H)){ .base = base, .number = number };
	cap = hal_mmio_read64(base + HPET_REG_CAP);
	if (cap == ~0ULL || !(cap >> 32)) {
		/* COUNTER_CLK_PERIOD (63:32) is never 0 in a working HPET. */
		log_error("hpet%u at 0x%llx: capabilities 0x%llx: no HPET there", number,
			  (unsigned long long)base, (unsigned long long)cap);
		return E_UNSUPPORTED;
	}
	H.timers = HPET_CAP_NUM_TIM(cap);
	if (src) {
		rc = irq_remap_alloc(H.timers, src, "hpet", &H.handle);
		if (rc)
			return rc;
		H.remapped = true;
	}
	for (unsigned n = 0; n < H.timers; n++) {
		H.t[n].cfg = hal_mmio_read64(treg(n, HPET_TN_CFG)) & ~(uint64_t)HPET_TN_VAL_SET;
		H.t[n].fsb = hal_mmio_read64(treg(n, HPET_TN_FSB));
		fsb += !!(H.t[n].cfg & HPET_TN_FSB_CAP);
		if (H.t[n].cfg & HPET_TN_FSB_EN)
			evaluate(n, 0);	/* the firmware's, decided like a guest write */
	}
	H.active = true;
	if (H.remapped)
		log_info("hpet virt number=%u base=0x%llx timers=%u fsb_timers=%u format=remapped "
			 "handles=%u-%u sid=%02x:%02x.%x", number, (unsigned long long)base,
			 H.timers, fsb, H.handle, H.handle + H.timers - 1, src->rid >> 8,
			 (src->rid >> 3) & 0x1f, src->rid & 7);
	else
		log_info("hpet virt number=%u base=0x%llx timers=%u fsb_timers=%u format=compat",
			 number, (unsigned long long)base, H.timers, fsb);
	return 0;
}

void hpet_virt_reset(void)
{
	H.active = false;
}

bool hpet_virt_active(void)
{
	return H.active;
}

paddr_t hpet_virt_base(void)
{
	return H.base;
}
