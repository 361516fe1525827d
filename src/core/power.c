/* Resets and power-off (see vmm/power.h): the policy decides, this file
 * wipes, announces and acts. Every hardware wait has a deadline; when a
 * method does not take the machine down, the next one is tried, and the
 * last resort is a stop (shoji_stop, secrets already wiped). */
#include "arch/x86/cpu.h"
#include "core/power.h"
#include "arch/x86/stop.h"
#include "lib/deadline.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "vmm/power.h"
#include "vmm/power_policy.h"

#define RESET_WAIT_US 200000		/* per method: a real reset is immediate */
#define POWER_OFF_WAIT_US 2000000	/* the PSU may take a moment */

static struct power_policy policy;
static uint64_t token;
static unsigned dropped;	/* refused writes, for rate-limiting their log */

/* The announcement token: the guest shares the serial console with shoji
 * and could print "shoji: machine reset ..." itself; the token, logged once
 * at boot before the guest exists and kept in shoji's memory, is what makes
 * an announcement shoji's (the launcher checks it). */
void power_token_init(void)
{
	const char *src = "rdrand";

	if (!cpu_rdrand64(&token)) {
		/* No RDRAND: the TSC at boot is not secret from a guest that
		 * can time its own boot, but it changes each boot. */
		uint64_t t = rdtsc();

		t ^= t >> 33, t *= 0xff51afd7ed558ccdULL, t ^= t >> 33;
		t *= 0xc4ceb9fe1a85ec53ULL, t ^= t >> 33;
		token = t;
		src = "tsc";
	}
	log_info("announce token=%016llx source=%s", (unsigned long long)token, src);
}

void power_init(const struct acpi_power *acpi, uint16_t debug_exit_port)
{
	power_policy_init(&policy, acpi);
	power_policy_guard_debug_exit(&policy, debug_exit_port);
}

static unsigned power_io_ports(uint16_t *ports, unsigned max)
{
	return power_policy_ports(&policy, ports, max);
}

static bool power_io_claims(uint16_t port, unsigned size)
{
	return power_policy_claims(&policy, port, size);
}

static void wait_us(uint64_t us)
{
	struct deadline d = deadline_in_us(us);

	while (!deadline_passed(&d))
		;
}

/* The ways to reset an x86 PC, most specific first: the firmware's own
 * (FADT RESET_REG), the chipset's reset control (ICH9 0xCF9: SYS_RST then
 * RST_CPU, a hard reset), the 8042's reset line, and last a triple fault
 * of shoji's own CPU. */
static NORETURN void do_reset(void)
{
	const struct acpi_power *a = &policy.acpi;

	if (a->reset_supported) {
		if (a->reset_reg.space == ACPI_GAS_IO)
			hal_outb((uint16_t)a->reset_reg.addr, a->reset_value);
		else
			hal_mmio_write8(a->reset_reg.addr, a->reset_value);
		wait_us(RESET_WAIT_US);
		log_warn("reset: the FADT reset register did not reset the machine");
	}
	hal_outb(PORT_RST_CNT, RST_CNT_SYS_RST);
	hal_outb(PORT_RST_CNT, RST_CNT_SYS_RST | RST_CNT_RST_CPU);
	wait_us(RESET_WAIT_US);
	log_warn("reset: 0xcf9 did not reset the machine");
	hal_outb(PORT_KBD_CMD, 0xfe);
	wait_us(RESET_WAIT_US);
	log_warn("reset: the keyboard controller did not reset the machine; triple fault");
	cpu_triple_fault();
}

/* ACPI 6.5 7.4.2 / 4.8.3.2.1: SLP_TYPa into PM1a_CNT and SLP_TYPb into
 * PM1b_CNT, with SLP_EN, a then b. */
static void write_slp(const struct acpi_gas *g, int8_t typ)
{
	bool io = g->space == ACPI_GAS_IO;
	uint16_t v;

	if ((!io && g->space != ACPI_GAS_MEMORY) || !g->addr || typ == ACPI_SLP_TYP_NONE)
		return;
	v = io ? hal_inw((uint16_t)g->addr) : hal_mmio_read16(g->addr);
	v = (uint16_t)((v & ~(7u << PM1_CNT_SLP_TYP_SHIFT)) |
		       ((unsigned)typ << PM1_CNT_SLP_TYP_SHIFT) | PM1_CNT_SLP_EN);
	if (io)
		hal_outw((uint16_t)g->addr, v);
	else
		hal_mmio_write16(g->addr, v);
}

static NORETURN void do_power_off(void)
{
	const struct acpi_power *a = &policy.acpi;

	write_slp(&a->pm1a_cnt, a->slp_typ_a[5]);
	write_slp(&a->pm1b_cnt, a->slp_typ_b[5]);
	wait_us(POWER_OFF_WAIT_US);
	log_error("power-off: the machine is still on after SLP_EN with the S5 type");
	shoji_stop(STOP_FAILURE);
}

void shoji_reset(const char *path)
{
	cli();
	shoji_wipe_before_leaving("reset");
	log_info("machine reset path=%s secrets=wiped token=%016llx", path,
		 (unsigned long long)token);
	do_reset();
}

void shoji_power_off(const char *path)
{
	cli();
	shoji_wipe_before_leaving("power-off");
	log_info("machine power-off path=%s secrets=wiped token=%016llx", path,
		 (unsigned long long)token);
	do_power_off();
}

static NORETURN void power_guest_reset(const char *path)
{
	log_info("guest reset request path=%s", path);
	shoji_reset(path);
}

/* Acts on a decision for a guest write described by `where` ("port=0x604"
 * or "addr=0xfed00004"); returns whether the (possibly changed) value
 * d->value goes to the hardware. RESET and OFF do not return. */
static bool act(const struct power_decision *d, const char *where, uint64_t v, unsigned size)
{
	switch (d->action) {
	case POWER_PASS:
		return true;
	case POWER_RESET:
		log_info("guest reset request path=%s %s size=%u value=0x%llx", d->path, where,
			 size, (unsigned long long)v);
		shoji_reset(d->path);
	case POWER_OFF:
		log_info("guest power-off request path=%s %s value=0x%llx slp_typ=%u", d->path,
			 where, (unsigned long long)v, d->slp_typ);
		shoji_power_off(d->path);
	case POWER_DROPPED:
		if (dropped++ < 4)
			log_warn("guest write refused path=%s %s value=0x%llx: the port ends "
				 "the machine with shoji's status%s", d->path, where,
				 (unsigned long long)v,
				 dropped == 4 ? " (further refusals not logged)" : "");
		return false;
	case POWER_SLEEP_REFUSED:
		if (d->sleep_state == POWER_SLEEP_UNKNOWN)
			log_warn("guest sleep refused path=%s slp_typ=%u state=unknown: no \\_Sx "
				 "package names this type (only S5 power-off is allowed)",
				 d->path, d->slp_typ);
		else
			log_warn("guest sleep refused path=%s slp_typ=%u state=S%u: sleeping "
				 "would hand the machine to the firmware's wake path without "
				 "shoji, with the disk key in RAM", d->path, d->slp_typ,
				 d->sleep_state);
		return true;	/* the rest of the write, without SLP_EN */
	}
	return false;
}

static void power_io(uint16_t port, unsigned size, bool in, uint32_t *val)
{
	struct power_decision d;
	char where[24];

	if (in) {
		*val = power_policy_io_read(&policy, port, size, hal_in(port, size));
		return;
	}
	d = power_policy_io_write(&policy, port, size, *val);
	shoji_snprintf(where, sizeof(where), "port=0x%x", port);
	if (act(&d, where, *val, size))
		hal_out(port, size, (uint32_t)d.value);
}

static uint64_t power_mmio_read(void *ctx, uint64_t gpa, int size)
{
	uint64_t v;

	(void)ctx;
	switch (size) {
	case 1: v = hal_mmio_read8(gpa); break;
	case 2: v = hal_mmio_read16(gpa); break;
	case 4: v = hal_mmio_read32(gpa); break;
	default: v = hal_mmio_read64(gpa); break;
	}
	return power_policy_mmio_read(&policy, gpa, (unsigned)size, v);
}

static void power_mmio_write(void *ctx, uint64_t gpa, int size, uint64_t v)
{
	struct power_decision d = power_policy_mmio_write(&policy, gpa, (unsigned)size, v);
	char where[32];

	(void)ctx;
	shoji_snprintf(where, sizeof(where), "addr=0x%llx", (unsigned long long)gpa);
	if (!act(&d, where, v, (unsigned)size))
		return;
	switch (size) {
	case 1: hal_mmio_write8(gpa, (uint8_t)d.value); break;
	case 2: hal_mmio_write16(gpa, (uint16_t)d.value); break;
	case 4: hal_mmio_write32(gpa, (uint32_t)d.value); break;
	default: hal_mmio_write64(gpa, d.value); break;
	}
}

const struct mmio_ops power_mmio_ops = { .read = power_mmio_read, .write = power_mmio_write };

unsigned power_mmio_pages(paddr_t *pages, unsigned max)
{
	uint64_t pg[8];
	unsigned n = power_policy_mmio_pages(&policy, pg, 8);

	for (unsigned i = 0; i < n && i < max && i < 8; i++)
		pages[i] = pg[i];
	return n;
}

const struct power_ops power_guest_ops = {
	.io_ports = power_io_ports,
	.io_claims = power_io_claims,
	.io = power_io,
	.guest_reset = power_guest_reset,
};
