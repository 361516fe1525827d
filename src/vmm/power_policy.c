/* See power_policy.h. */
#include "lib/string.h"
#include "vmm/power_policy.h"

void power_policy_init(struct power_policy *p, const struct acpi_power *acpi)
{
	memset(p, 0, sizeof(*p));
	p->acpi = *acpi;
}

void power_policy_guard_debug_exit(struct power_policy *p, uint16_t port)
{
	p->debug_exit_port = port;
}

/* A register in port space: its first port and length in bytes, 0 if absent. */
struct io_reg {
	uint16_t port;
	unsigned len;
};

static struct io_reg gas_io(const struct acpi_gas *g, unsigned len)
{
	if (g->space != ACPI_GAS_IO || !g->addr || g->addr > 0xffff || !len)
		return (struct io_reg){ 0, 0 };
	return (struct io_reg){ (uint16_t)g->addr, len };
}

static unsigned cnt_len(const struct power_policy *p)
{
	/* PM1_CNT_LEN must be >= 2 (ACPI 6.5 Table 5.9); 2 when it is not given. */
	return p->acpi.pm1_cnt_len >= 2 ? 2 : (p->acpi.fadt ? 2 : 0);
}

/* The status half of a PM1 event block: PM1_STS is its first 2 bytes. */
static struct io_reg pm1_sts(const struct power_policy *p, const struct acpi_gas *evt)
{
	return gas_io(evt, p->acpi.fadt ? 2 : 0);
}

static struct io_reg reset_io(const struct power_policy *p)
{
	return p->acpi.reset_supported ? gas_io(&p->acpi.reset_reg, 1) : (struct io_reg){ 0, 0 };
}

enum { REG_CF9, REG_KBD_CMD, REG_KBD_DATA, REG_PORT92, REG_RESET, REG_PM1A_CNT, REG_PM1B_CNT,
       REG_PM1A_STS, REG_PM1B_STS, REG_DEBUG_EXIT, REG_COUNT };

static struct io_reg reg(const struct power_policy *p, unsigned i)
{
	switch (i) {
	case REG_CF9: return (struct io_reg){ PORT_RST_CNT, 1 };
	case REG_KBD_CMD: return (struct io_reg){ PORT_KBD_CMD, 1 };
	case REG_KBD_DATA: return (struct io_reg){ PORT_KBD_DATA, 1 };
	case REG_PORT92: return (struct io_reg){ PORT_SYS_CTRL_A, 1 };
	case REG_RESET: return reset_io(p);
	case REG_PM1A_CNT: return gas_io(&p->acpi.pm1a_cnt, cnt_len(p));
	case REG_PM1B_CNT: return gas_io(&p->acpi.pm1b_cnt, cnt_len(p));
	case REG_PM1A_STS: return pm1_sts(p, &p->acpi.pm1a_evt);
	case REG_PM1B_STS: return pm1_sts(p, &p->acpi.pm1b_evt);
	case REG_DEBUG_EXIT:
		return (struct io_reg){ p->debug_exit_port, p->debug_exit_port ? 4u : 0u };
	default: return (struct io_reg){ 0, 0 };
	}
}

static bool covers(struct io_reg r, uint16_t port, unsigned size)
{
	return r.len && port < r.port + r.len && r.port < (uint32_t)port + size;
}

/* The bits of register r that an access (port, size, value) writes, as the
 * register's own value (byte 0 = its first port), and which of them. */
static uint32_t reg_bits(struct io_reg r, uint16_t port, unsigned size, uint32_t value,
			 uint32_t *mask)
{
	uint32_t v = 0, m = 0;

	for (unsigned i = 0; i < r.len; i++) {
		uint32_t at = (uint32_t)r.port + i;

		if (at >= port && at < (uint32_t)port + size) {
			v |= ((value >> (8 * (at - port))) & 0xffu) << (8 * i);
			m |= 0xffu << (8 * i);
		}
	}
	*mask = m;
	return v;
}

unsigned power_policy_ports(const struct power_policy *p, uint16_t *ports, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < REG_COUNT; i++) {
		struct io_reg r = reg(p, i);

		for (unsigned b = 0; b < r.len; b++, n++)
			if (n < max)
				ports[n] = (uint16_t)(r.port + b);
	}
	return n;
}

bool power_policy_claims(const struct power_policy *p, uint16_t port, unsigned size)
{
	if (port == 0xcf8 && size == 4)
		return false;	/* CONFIG_ADDRESS (PCI Local Bus 3.0, 3.2.2.3.2) */
	for (unsigned i = 0; i < REG_COUNT; i++)
		if (covers(reg(p, i), port, size))
			return true;
	return false;
}

static struct power_decision pass(uint32_t value)
{
	return (struct power_decision){ POWER_PASS, NULL, 0, 0, value };
}

static struct power_decision reset(const char *path, uint32_t value)
{
	return (struct power_decision){ POWER_RESET, path, 0, 0, value };
}

/* SLP_EN in a PM1 control write; typ_s5 / typ_s are the \_Sx types for this
 * register (a or b). */
static struct power_decision pm1_cnt(struct power_policy *p, bool b, uint32_t bits,
				     uint32_t mask, uint32_t value)
{
	const int8_t *typ = b ? p->acpi.slp_typ_b : p->acpi.slp_typ_a;
	unsigned t = (bits >> PM1_CNT_SLP_TYP_SHIFT) & 7;
	struct power_decision d = pass(value);
	const char *path = b ? "pm1b-cnt" : "pm1a-cnt";

	if (!(mask & PM1_CNT_SLP_EN) || !(bits & PM1_CNT_SLP_EN))
		return d;
	d.path = path;
	d.slp_typ = t;
	if (typ[5] != ACPI_SLP_TYP_NONE && (unsigned)typ[5] == t) {
		d.action = POWER_OFF;
		return d;
	}
	d.action = POWER_SLEEP_REFUSED;
	d.sleep_state = POWER_SLEEP_UNKNOWN;
	for (unsigned s = 1; s <= 4; s++)
		if (typ[s] != ACPI_SLP_TYP_NONE && (unsigned)typ[s] == t) {
			d.sleep_state = s;
			break;
		}
	p->fake_wake = true;
	return d;
}

struct power_decision power_policy_io_write(struct power_policy *p, uint16_t port,
					    unsigned size, uint32_t value)
{
	struct power_decision d = pass(value);
	uint32_t bits, mask;

	if (!power_policy_claims(p, port, size))
		return d;
	if (covers(reg(p, REG_DEBUG_EXIT), port, size))
		return (struct power_decision){ POWER_DROPPED, "debug-exit", 0, 0, value };
	/* The FADT's reset register first: on ICH9 it is 0xCF9 itself. */
	bits = reg_bits(reset_io(p), port, size, value, &mask);
	if (mask && (bits & 0xff) == p->acpi.reset_value)
		return reset("fadt-reset-reg", value);
	bits = reg_bits(reg(p, REG_CF9), port, size, value, &mask);
	if (mask && (bits & RST_CNT_RST_CPU))
		return reset("cf9", value);
	bits = reg_bits(reg(p, REG_PORT92), port, size, value, &mask);
	if (mask && (bits & 1))
		return reset("port92", value);
	bits = reg_bits(reg(p, REG_KBD_DATA), port, size, value, &mask);
	if (mask && p->kbd_outport_next) {
		p->kbd_outport_next = false;
		if (!(bits & 1))
			return reset("kbd-outport", value);
	}
	bits = reg_bits(reg(p, REG_KBD_CMD), port, size, value, &mask);
	if (mask) {
		p->kbd_outport_next = bits == KBD_CMD_WRITE_OUTPORT;
		if ((bits & 0xf0) == 0xf0 && !(bits & 1))
			return reset("kbd-pulse", value);
	}
	for (unsigned b = 0; b < 2; b++) {
		bits = reg_bits(reg(p, b ? REG_PM1B_CNT : REG_PM1A_CNT), port, size, value, &mask);
		if (mask) {
			d = pm1_cnt(p, b, bits, mask, value);
			if (d.action != POWER_PASS) {
				struct io_reg r = reg(p, b ? REG_PM1B_CNT : REG_PM1A_CNT);
				uint32_t at = (uint32_t)r.port + 1;	/* the byte with SLP_EN */

				if (d.action == POWER_SLEEP_REFUSED)
					d.value = value & ~(((PM1_CNT_SLP_EN >> 8) & 0xffu)
							    << (8 * (at - port)));
				return d;
			}
		}
	}
	for (unsigned b = 0; b < 2; b++) {
		bits = reg_bits(reg(p, b ? REG_PM1B_STS : REG_PM1A_STS), port, size, value, &mask);
		if ((mask & PM1_STS_WAK) && (bits & PM1_STS_WAK))
			p->fake_wake = false;	/* write-1-to-clear of WAK_STS */
	}
	return d;
}

uint32_t power_policy_io_read(const struct power_policy *p, uint16_t port, unsigned size,
			      uint32_t hw)
{
	if (!p->fake_wake)
		return hw;
	for (unsigned b = 0; b < 2; b++) {
		struct io_reg r = reg(p, b ? REG_PM1B_STS : REG_PM1A_STS);
		uint32_t at = (uint32_t)r.port + 1;	/* the byte with WAK_STS */

		if (r.len && at >= port && at < (uint32_t)port + size)
			hw |= 0x80u << (8 * (at - port));
	}
	return hw;
}

bool power_policy_mmio_claims(const struct power_policy *p, uint64_t addr, unsigned size)
{
	const struct acpi_gas *g = &p->acpi.reset_reg;

	return p->acpi.reset_supported && g->space == ACPI_GAS_MEMORY && addr <= g->addr &&
	       g->addr < addr + size;
}

struct power_decision power_policy_mmio_write(struct power_policy *p, uint64_t addr,
					      unsigned size, uint64_t value)
{
	uint64_t at = p->acpi.reset_reg.addr;

	if (power_policy_mmio_claims(p, addr, size) &&
	    ((value >> (8 * (at - addr))) & 0xff) == p->acpi.reset_value)
		return reset("fadt-reset-reg", (uint32_t)value);
	return pass((uint32_t)value);
}
