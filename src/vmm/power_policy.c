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

/* A register in one address space (ACPI 6.5 5.2.3.2, Generic Address
 * Structure): its first byte and length in bytes, 0 if absent. */
struct preg {
	uint64_t at;
	unsigned len;
};

static struct preg gas_reg(const struct acpi_gas *g, unsigned len, uint8_t space)
{
	if (g->space != space || !g->addr || !len)
		return (struct preg){ 0, 0 };
	if (space == ACPI_GAS_IO && g->addr > 0xffff)
		return (struct preg){ 0, 0 };
	return (struct preg){ g->addr, len };
}

static unsigned cnt_len(const struct power_policy *p)
{
	/* PM1_CNT_LEN must be >= 2 (ACPI 6.5 Table 5.9); 2 when it is not given. */
	return p->acpi.pm1_cnt_len >= 2 ? 2 : (p->acpi.fadt ? 2 : 0);
}

enum { REG_CF9, REG_KBD_CMD, REG_KBD_DATA, REG_PORT92, REG_RESET, REG_PM1A_CNT, REG_PM1B_CNT,
       REG_PM1A_STS, REG_PM1B_STS, REG_DEBUG_EXIT, REG_COUNT };

/* Register i in the given space. The chipset's fixed ports exist in I/O
 * space only; the FADT's registers wherever their GAS puts them (PM1_STS is
 * the first 2 bytes of a PM1 event block). */
static struct preg reg(const struct power_policy *p, unsigned i, uint8_t space)
{
	bool io = space == ACPI_GAS_IO;

	switch (i) {
	case REG_CF9: return (struct preg){ PORT_RST_CNT, io ? 1u : 0u };
	case REG_KBD_CMD: return (struct preg){ PORT_KBD_CMD, io ? 1u : 0u };
	case REG_KBD_DATA: return (struct preg){ PORT_KBD_DATA, io ? 1u : 0u };
	case REG_PORT92: return (struct preg){ PORT_SYS_CTRL_A, io ? 1u : 0u };
	case REG_RESET:
		return p->acpi.reset_supported ? gas_reg(&p->acpi.reset_reg, 1, space)
					       : (struct preg){ 0, 0 };
	case REG_PM1A_CNT: return gas_reg(&p->acpi.pm1a_cnt, cnt_len(p), space);
	case REG_PM1B_CNT: return gas_reg(&p->acpi.pm1b_cnt, cnt_len(p), space);
	case REG_PM1A_STS: return gas_reg(&p->acpi.pm1a_evt, p->acpi.fadt ? 2 : 0, space);
	case REG_PM1B_STS: return gas_reg(&p->acpi.pm1b_evt, p->acpi.fadt ? 2 : 0, space);
	case REG_DEBUG_EXIT:
		return (struct preg){ p->debug_exit_port, io && p->debug_exit_port ? 4u : 0u };
	default: return (struct preg){ 0, 0 };
	}
}

static bool covers(struct preg r, uint64_t at, unsigned size)
{
	return r.len && at < r.at + r.len && r.at < at + size;
}

/* The bits of register r that an access (at, size, value) writes, as the
 * register's own value (byte 0 = its first byte), and which of them. */
static uint32_t reg_bits(struct preg r, uint64_t at, unsigned size, uint64_t value,
			 uint32_t *mask)
{
	uint32_t v = 0, m = 0;

	for (unsigned i = 0; i < r.len; i++) {
		uint64_t b = r.at + i;

		if (b >= at && b < at + size) {
			v |= (uint32_t)((value >> (8 * (b - at))) & 0xffu) << (8 * i);
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
		struct preg r = reg(p, i, ACPI_GAS_IO);

		for (unsigned b = 0; b < r.len; b++, n++)
			if (n < max)
				ports[n] = (uint16_t)(r.at + b);
	}
	return n;
}

static bool claims_in(const struct power_policy *p, uint8_t space, uint64_t at, unsigned size)
{
	for (unsigned i = 0; i < REG_COUNT; i++)
		if (covers(reg(p, i, space), at, size))
			return true;
	return false;
}

bool power_policy_claims(const struct power_policy *p, uint16_t port, unsigned size)
{
	if (port == 0xcf8 && size == 4)
		return false;	/* CONFIG_ADDRESS (PCI Local Bus 3.0, 3.2.2.3.2) */
	return claims_in(p, ACPI_GAS_IO, port, size);
}

static struct power_decision pass(uint64_t value)
{
	return (struct power_decision){ POWER_PASS, NULL, 0, 0, value };
}

static struct power_decision reset(const char *path, uint64_t value)
{
	return (struct power_decision){ POWER_RESET, path, 0, 0, value };
}

/* SLP_EN in a PM1 control write; typ_s5 / typ_s are the \_Sx types for this
 * register (a or b). */
static struct power_decision pm1_cnt(struct power_policy *p, bool b, uint32_t bits,
				     uint32_t mask, uint64_t value)
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

/* One guest write of size bytes at `at` in `space`: the same rules in I/O
 * and memory space (only the FADT's registers exist in memory space). */
static struct power_decision decide(struct power_policy *p, uint8_t space, uint64_t at,
				    unsigned size, uint64_t value)
{
	struct power_decision d = pass(value);
	uint32_t bits, mask;

	if (!claims_in(p, space, at, size))
		return d;
	if (covers(reg(p, REG_DEBUG_EXIT, space), at, size))
		return (struct power_decision){ POWER_DROPPED, "debug-exit", 0, 0, value };
	/* The FADT's reset register first: on ICH9 it is 0xCF9 itself. */
	bits = reg_bits(reg(p, REG_RESET, space), at, size, value, &mask);
	if (mask && (bits & 0xff) == p->acpi.reset_value)
		return reset("fadt-reset-reg", value);
	bits = reg_bits(reg(p, REG_CF9, space), at, size, value, &mask);
	if (mask && (bits & RST_CNT_RST_CPU))
		return reset("cf9", value);
	bits = reg_bits(reg(p, REG_PORT92, space), at, size, value, &mask);
	if (mask && (bits & 1))
		return reset("port92", value);
	bits = reg_bits(reg(p, REG_KBD_DATA, space), at, size, value, &mask);
	if (mask && p->kbd_outport_next) {
		p->kbd_outport_next = false;
		if (!(bits & 1))
			return reset("kbd-outport", value);
	}
	bits = reg_bits(reg(p, REG_KBD_CMD, space), at, size, value, &mask);
	if (mask) {
		p->kbd_outport_next = bits == KBD_CMD_WRITE_OUTPORT;
		if ((bits & 0xf0) == 0xf0 && !(bits & 1))
			return reset("kbd-pulse", value);
	}
	for (unsigned b = 0; b < 2; b++) {
		struct preg r = reg(p, b ? REG_PM1B_CNT : REG_PM1A_CNT, space);

		bits = reg_bits(r, at, size, value, &mask);
		if (mask) {
			d = pm1_cnt(p, b, bits, mask, value);
			if (d.action != POWER_PASS) {
				uint64_t sb = r.at + 1;	/* the byte with SLP_EN */

				if (d.action == POWER_SLEEP_REFUSED)
					d.value = value & ~((uint64_t)((PM1_CNT_SLP_EN >> 8) & 0xffu)
							    << (8 * (sb - at)));
				return d;
			}
		}
	}
	for (unsigned b = 0; b < 2; b++) {
		bits = reg_bits(reg(p, b ? REG_PM1B_STS : REG_PM1A_STS, space), at, size, value,
				&mask);
		if ((mask & PM1_STS_WAK) && (bits & PM1_STS_WAK))
			p->fake_wake = false;	/* write-1-to-clear of WAK_STS */
	}
	return d;
}

struct power_decision power_policy_io_write(struct power_policy *p, uint16_t port,
					    unsigned size, uint32_t value)
{
	return decide(p, ACPI_GAS_IO, port, size, value);
}

/* WAK_STS forced set in a read while a refused sleep is pending. */
static uint64_t read_fix(const struct power_policy *p, uint8_t space, uint64_t at,
			 unsigned size, uint64_t hw)
{
	if (!p->fake_wake)
		return hw;
	for (unsigned b = 0; b < 2; b++) {
		struct preg r = reg(p, b ? REG_PM1B_STS : REG_PM1A_STS, space);
		uint64_t wb = r.at + 1;	/* the byte with WAK_STS */

		if (r.len && wb >= at && wb < at + size)
			hw |= 0x80ULL << (8 * (wb - at));
	}
	return hw;
}

uint32_t power_policy_io_read(const struct power_policy *p, uint16_t port, unsigned size,
			      uint32_t hw)
{
	return (uint32_t)read_fix(p, ACPI_GAS_IO, port, size, hw);
}

bool power_policy_mmio_claims(const struct power_policy *p, uint64_t addr, unsigned size)
{
	return claims_in(p, ACPI_GAS_MEMORY, addr, size);
}

struct power_decision power_policy_mmio_write(struct power_policy *p, uint64_t addr,
					      unsigned size, uint64_t value)
{
	return decide(p, ACPI_GAS_MEMORY, addr, size, value);
}

uint64_t power_policy_mmio_read(const struct power_policy *p, uint64_t addr, unsigned size,
				uint64_t hw)
{
	return read_fix(p, ACPI_GAS_MEMORY, addr, size, hw);
}

unsigned power_policy_mmio_pages(const struct power_policy *p, uint64_t *pages, unsigned max)
{
	unsigned n = 0;

	for (unsigned i = 0; i < REG_COUNT; i++) {
		struct preg r = reg(p, i, ACPI_GAS_MEMORY);

		for (unsigned e = 0; r.len && e < 2; e++) {
			uint64_t pg = (e ? r.at + r.len - 1 : r.at) & ~(uint64_t)(PAGE_SIZE - 1);
			bool seen = false;

			for (unsigned k = 0; k < n && k < max; k++)
				seen |= pages[k] == pg;
			if (seen)
				continue;
			if (n < max)
				pages[n] = pg;
			n++;
		}
	}
	return n;
}
