/* See acpi_power.h. */
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"
#include "platform/acpi_power.h"

/* FADT field offsets (ACPI 6.5 Table 5.9). */
#define FADT_DSDT 40
#define FADT_PM1A_EVT 56
#define FADT_PM1B_EVT 60
#define FADT_PM1A_CNT 64
#define FADT_PM1B_CNT 68
#define FADT_PM1_EVT_LEN 88
#define FADT_PM1_CNT_LEN 89
#define FADT_V1_END 112		/* ACPI 1.0 fixed part ends with the flags below */
#define FADT_FLAGS 112
#define FADT_RESET_REG 116
#define FADT_RESET_VALUE 128
#define FADT_X_DSDT 140
#define FADT_X_PM1A_EVT 148
#define FADT_X_PM1B_EVT 160
#define FADT_X_PM1A_CNT 172
#define FADT_X_PM1B_CNT 184
#define FADT_SLEEP_CTL 244
#define FADT_SLEEP_STS 256
#define GAS_LEN 12

/* AML opcodes (ACPI 6.5 section 20.2). */
#define AML_ZERO 0x00
#define AML_ONE 0x01
#define AML_NAME 0x08
#define AML_BYTE 0x0a
#define AML_WORD 0x0b
#define AML_DWORD 0x0c
#define AML_QWORD 0x0e
#define AML_PACKAGE 0x12
#define AML_ROOT '\\'
#define AML_ONES 0xff

static uint32_t rd32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t rd64(const uint8_t *p)
{
	return rd32(p) | (uint64_t)rd32(p + 4) << 32;
}

static struct acpi_gas gas_at(const uint8_t *p)
{
	return (struct acpi_gas){ p[0], p[1], p[2], p[3], rd64(p + 4) };
}

/* A legacy 32-bit block address is an I/O port (ACPI 6.5 5.2.9). */
static struct acpi_gas io_block(uint32_t port, uint8_t len)
{
	return (struct acpi_gas){ ACPI_GAS_IO, (uint8_t)(len * 8), 0, 0, port };
}

/* The X_ field when present and non-zero, else the legacy one. */
static struct acpi_gas pick(const uint8_t *t, uint32_t len, uint32_t x_off, uint32_t legacy_off,
			    uint8_t blk_len)
{
	if (x_off + GAS_LEN <= len) {
		struct acpi_gas g = gas_at(t + x_off);

		if (g.addr)
			return g;
	}
	return rd32(t + legacy_off) ? io_block(rd32(t + legacy_off), blk_len)
				    : (struct acpi_gas){ 0 };
}

static void clear(struct acpi_power *out)
{
	memset(out, 0, sizeof(*out));
	for (unsigned i = 0; i < ACPI_SLEEP_STATES; i++)
		out->slp_typ_a[i] = out->slp_typ_b[i] = ACPI_SLP_TYP_NONE;
}

int acpi_fadt_parse_table(const struct acpi_header *fadt, struct acpi_power *out)
{
	const uint8_t *t = (const uint8_t *)fadt;
	uint32_t len = fadt->length;

	clear(out);
	if (len < FADT_V1_END + 4) {
		log_warn("acpi bad table sig=FACP len=%u reason=too-short-for-fadt", len);
		return E_INVAL;
	}
	out->fadt = true;
	out->fadt_revision = fadt->revision;
	out->flags = rd32(t + FADT_FLAGS);
	out->pm1_evt_len = t[FADT_PM1_EVT_LEN];
	out->pm1_cnt_len = t[FADT_PM1_CNT_LEN];
	out->pm1a_evt = pick(t, len, FADT_X_PM1A_EVT, FADT_PM1A_EVT, out->pm1_evt_len);
	out->pm1b_evt = pick(t, len, FADT_X_PM1B_EVT, FADT_PM1B_EVT, out->pm1_evt_len);
	out->pm1a_cnt = pick(t, len, FADT_X_PM1A_CNT, FADT_PM1A_CNT, out->pm1_cnt_len);
	out->pm1b_cnt = pick(t, len, FADT_X_PM1B_CNT, FADT_PM1B_CNT, out->pm1_cnt_len);
	out->dsdt = rd32(t + FADT_DSDT);
	if (FADT_X_DSDT + 8 <= len && rd64(t + FADT_X_DSDT))
		out->dsdt = rd64(t + FADT_X_DSDT);
	/* RESET_REG and RESET_VALUE exist from ACPI 2.0 (revision 3) on;
	 * RESET_REG_SUP says whether they mean anything. */
	if (FADT_RESET_VALUE + 1 <= len) {
		out->reset_reg = gas_at(t + FADT_RESET_REG);
		out->reset_value = t[FADT_RESET_VALUE];
		out->reset_supported = (out->flags & ACPI_FADT_RESET_REG_SUP) &&
				       out->reset_reg.addr &&
				       (out->reset_reg.space == ACPI_GAS_IO ||
					out->reset_reg.space == ACPI_GAS_MEMORY);
	}
	if (FADT_SLEEP_STS + GAS_LEN <= len) {
		out->sleep_ctl = gas_at(t + FADT_SLEEP_CTL);
		out->sleep_sts = gas_at(t + FADT_SLEEP_STS);
	}
	return 0;
}

/* An AML integer data object (ZeroOp, OneOp, OnesOp, Byte/Word/DWord/
 * QWordPrefix + value). Returns its length, 0 if it is something else
 * or runs past end. */
static size_t aml_integer(const uint8_t *p, const uint8_t *end, uint64_t *v)
{
	size_t n;

	if (p >= end)
		return 0;
	switch (*p) {
	case AML_ZERO: *v = 0; return 1;
	case AML_ONE: *v = 1; return 1;
	case AML_ONES: *v = ~0ULL; return 1;
	case AML_BYTE: n = 1; break;
	case AML_WORD: n = 2; break;
	case AML_DWORD: n = 4; break;
	case AML_QWORD: n = 8; break;
	default: return 0;
	}
	if ((size_t)(end - p) < 1 + n)
		return 0;
	*v = 0;
	for (size_t i = 0; i < n; i++)
		*v |= (uint64_t)p[1 + i] << (8 * i);
	return 1 + n;
}

/* At p (just after the name): PackageOp PkgLength NumElements a b. */
static bool aml_sleep_package(const uint8_t *p, const uint8_t *end, uint64_t *a, uint64_t *b)
{
	size_t follow, n;
	const uint8_t *pkg_end;
	uint32_t pkg_len;

	if (end - p < 3 || p[0] != AML_PACKAGE)
		return false;
	/* PkgLength (20.2.4): bits 7:6 of the lead byte = bytes that follow. */
	follow = p[1] >> 6;
	if ((size_t)(end - p) < 2 + follow + 1)
		return false;
	pkg_len = follow ? (p[1] & 0x0f) : (p[1] & 0x3f);
	for (size_t i = 0; i < follow; i++)
		pkg_len |= (uint32_t)p[2 + i] << (4 + 8 * i);
	pkg_end = p + 1 + pkg_len;	/* the length counts itself, not the opcode */
	if (pkg_end > end)
		return false;
	p += 2 + follow;
	if (*p++ < 2)			/* NumElements: SLP_TYPa and SLP_TYPb at least */
		return false;
	if (!(n = aml_integer(p, pkg_end, a)))
		return false;
	return aml_integer(p + n, pkg_end, b) != 0;
}

unsigned acpi_scan_sleep_types(const uint8_t *aml, size_t len, struct acpi_power *out)
{
	const uint8_t *end = aml + len;
	unsigned found = 0;

	for (const uint8_t *p = aml; p + 6 <= end; p++) {
		const uint8_t *name = p + 1;
		uint64_t a, b;
		unsigned s;

		if (*p != AML_NAME)
			continue;
		if (*name == AML_ROOT)
			name++;
		if (end - name < 5 || name[0] != '_' || name[1] != 'S' || name[2] < '0' ||
		    name[2] > '5' || name[3] != '_')
			continue;
		s = (unsigned)(name[2] - '0');
		if (out->slp_typ_a[s] != ACPI_SLP_TYP_NONE)
			continue;
		if (!aml_sleep_package(name + 4, end, &a, &b))
			continue;
		/* SLP_TYP is a 3-bit field (PM1 control, Table 4.16). */
		out->slp_typ_a[s] = (int8_t)(a & 7);
		out->slp_typ_b[s] = (int8_t)(b & 7);
		found++;
	}
	return found;
}

static void scan_table(const struct acpi_header *t, struct acpi_power *out)
{
	acpi_scan_sleep_types((const uint8_t *)t + ACPI_HEADER_LEN, t->length - ACPI_HEADER_LEN,
			      out);
}

int acpi_power_parse(struct acpi_power *out)
{
	const struct acpi_header *fadt = acpi_find_table("FACP", 0), *t;
	const char *why;
	int rc;

	clear(out);
	if (!fadt)
		return E_NOENT;
	rc = acpi_fadt_parse_table(fadt, out);
	if (rc)
		return rc;
	/* The DSDT is not in the root table: it is reached through the FADT
	 * only, and validated like any other table. */
	if (out->dsdt) {
		t = hal_phys_to_virt(out->dsdt);
		if (memcmp(t->signature, "DSDT", 4) || acpi_validate_table(t, &why))
			log_warn("acpi bad table sig=DSDT addr=0x%llx reason=%s",
				 (unsigned long long)out->dsdt,
				 memcmp(t->signature, "DSDT", 4) ? "bad-signature" : why);
		else
			scan_table(t, out);
	}
	for (unsigned i = 0; (t = acpi_find_table("SSDT", i)); i++)
		scan_table(t, out);
	return 0;
}

static void gas_str(const struct acpi_gas *g, char *buf, size_t len)
{
	if (!g->addr)
		shoji_snprintf(buf, len, "none");
	else
		shoji_snprintf(buf, len, "%s:0x%llx", g->space == ACPI_GAS_IO ? "io" :
			       g->space == ACPI_GAS_MEMORY ? "mem" : "other",
			       (unsigned long long)g->addr);
}

static void typ_str(int8_t a, char *buf, size_t len)
{
	if (a == ACPI_SLP_TYP_NONE)
		shoji_snprintf(buf, len, "none");
	else
		shoji_snprintf(buf, len, "%d", a);
}

void acpi_power_log(const struct acpi_power *p)
{
	char r[32], ca[32], cb[32], ea[32], s[ACPI_SLEEP_STATES][8];

	if (!p->fadt) {
		log_warn("acpi power fadt=none: resets and power-off are not recognised");
		return;
	}
	gas_str(&p->reset_reg, r, sizeof(r));
	gas_str(&p->pm1a_cnt, ca, sizeof(ca));
	gas_str(&p->pm1b_cnt, cb, sizeof(cb));
	gas_str(&p->pm1a_evt, ea, sizeof(ea));
	for (unsigned i = 0; i < ACPI_SLEEP_STATES; i++)
		typ_str(p->slp_typ_a[i], s[i], sizeof(s[i]));
	log_info("acpi power reset_reg=%s reset_value=0x%x reset_supported=%s pm1a_cnt=%s "
		 "pm1b_cnt=%s pm1a_evt=%s s1=%s s2=%s s3=%s s4=%s s5=%s",
		 r, p->reset_value, p->reset_supported ? "yes" : "no", ca, cb, ea, s[1], s[2],
		 s[3], s[4], s[5]);
}
