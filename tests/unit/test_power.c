/* Unit tests for the reset and power paths: the secrets registry
 * (crypto/secrets.h), the FADT and \_Sx parsing (platform/acpi_power.h,
 * against an iasl-compiled DSDT, tests/acpi/dsdt-sleep.asl) and the port
 * decoding (vmm/power_policy.h). Register meanings as cited in
 * power_policy.h: ICH9 RST_CNT, the 8042's commands, port 0x92, ACPI PM1
 * control and status. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "crypto/secrets.h"
#include "host/host.h"
#include "lib/error.h"
#include "platform/acpi_power.h"
#include "vmm/power_policy.h"

/* ---------------- secrets ---------------- */

static int secrets_setup(void **state)
{
	(void)state;
	secrets_reset_for_test();
	host_log_clear();
	return 0;
}

static void test_secrets_wipe(void **state)
{
	uint8_t buf[3][64];
	long wb = host_cache_writebacks;

	(void)state;
	memset(buf, 0xa5, sizeof(buf));
	/* Two regions with a guard between them that must survive. */
	assert_int_equal(secrets_register("first", buf[0], 64), 0);
	assert_int_equal(secrets_register("second", buf[2], 32), 0);
	assert_int_equal(secrets_count(), 2);
	assert_int_equal(secrets_bytes(), 96);
	assert_string_equal(secrets_name(1), "second");
	assert_null(secrets_name(2));
	assert_int_equal(secrets_wipe_all("test"), 2);
	for (int i = 0; i < 64; i++) {
		assert_int_equal(buf[0][i], 0);
		assert_int_equal(buf[1][i], 0xa5);
		assert_int_equal(buf[2][i], i < 32 ? 0 : 0xa5);
	}
	assert_int_equal(host_cache_writebacks, wb + 1);
	assert_int_equal(host_log_count("secrets wiped reason=test regions=2 bytes=96"), 1);
	/* A second wipe (a fault during the first comes back here) is fine. */
	memset(buf[0], 0x5a, 64);
	assert_int_equal(secrets_wipe_all("again"), 2);
	assert_int_equal(buf[0][63], 0);
	assert_int_equal(host_cache_writebacks, wb + 2);
}

static void test_secrets_bad_ranges(void **state)
{
	static uint8_t buf[256];

	(void)state;
	assert_int_equal(secrets_register("empty", buf, 0), E_INVAL);
	assert_int_equal(secrets_register("null", NULL, 16), E_INVAL);
	assert_int_equal(secrets_register("wraps", (void *)(uintptr_t)(UINTPTR_MAX - 8), 16),
			 E_INVAL);
	assert_int_equal(secrets_register("a", buf + 64, 64), 0);
	/* Every overlap, at either end or inside or around, is refused. */
	assert_int_equal(secrets_register("b", buf + 127, 1), E_INVAL);
	assert_int_equal(secrets_register("c", buf + 60, 5), E_INVAL);
	assert_int_equal(secrets_register("d", buf + 80, 4), E_INVAL);
	assert_int_equal(secrets_register("e", buf, 256), E_INVAL);
	/* Adjacent is not overlapping. */
	assert_int_equal(secrets_register("f", buf + 128, 1), 0);
	assert_int_equal(secrets_register("g", buf + 63, 1), 0);
	assert_int_equal(secrets_count(), 3);
	assert_int_equal(host_log_count("overlaps a (already registered)"), 4);
}

static void test_secrets_full(void **state)
{
	static uint8_t buf[SECRETS_MAX + 1][8];

	(void)state;
	for (int i = 0; i < SECRETS_MAX; i++)
		assert_int_equal(secrets_register("r", buf[i], 8), 0);
	assert_int_equal(secrets_register("one-too-many", buf[SECRETS_MAX], 8), E_NOMEM);
	assert_int_equal(host_log_count("registry full"), 1);
	memset(buf, 1, sizeof(buf));
	assert_int_equal(secrets_wipe_all("full"), SECRETS_MAX);
	assert_int_equal(buf[SECRETS_MAX - 1][7], 0);
	assert_int_equal(buf[SECRETS_MAX][0], 1);	/* never registered, never wiped */
}

/* ---------------- FADT and \_Sx ---------------- */

static uint8_t fadt[276];

static void put32(uint8_t *p, uint32_t v) { memcpy(p, &v, 4); }
static void put64(uint8_t *p, uint64_t v) { memcpy(p, &v, 8); }

static void gas(uint8_t *p, uint8_t space, uint8_t width, uint64_t addr)
{
	p[0] = space, p[1] = width, p[2] = 0, p[3] = 1;
	put64(p + 4, addr);
}

/* QEMU q35's FADT, as the boot log shows it: PM1a_EVT 0x600 (4 bytes),
 * PM1a_CNT 0x604 (2), RESET_REG io 0xcf9 value 0xf, RESET_REG_SUP. */
static const struct acpi_header *make_fadt(uint32_t len, uint8_t rev)
{
	memset(fadt, 0, sizeof(fadt));
	memcpy(fadt, "FACP", 4);
	put32(fadt + 4, len);
	fadt[8] = rev;
	put32(fadt + 40, 0x7ffe0040);		/* DSDT */
	put32(fadt + 56, 0x600);		/* PM1a_EVT_BLK */
	put32(fadt + 64, 0x604);		/* PM1a_CNT_BLK */
	fadt[88] = 4;				/* PM1_EVT_LEN */
	fadt[89] = 2;				/* PM1_CNT_LEN */
	put32(fadt + 112, ACPI_FADT_RESET_REG_SUP | (1u << 0));
	gas(fadt + 116, ACPI_GAS_IO, 8, 0xcf9);
	fadt[128] = 0x0f;
	return (const struct acpi_header *)fadt;
}

static void test_fadt_q35(void **state)
{
	struct acpi_power p;

	(void)state;
	assert_int_equal(acpi_fadt_parse_table(make_fadt(244, 3), &p), 0);
	assert_true(p.fadt);
	assert_true(p.reset_supported);
	assert_int_equal(p.reset_reg.space, ACPI_GAS_IO);
	assert_int_equal(p.reset_reg.addr, 0xcf9);
	assert_int_equal(p.reset_value, 0x0f);
	assert_int_equal(p.pm1a_cnt.space, ACPI_GAS_IO);
	assert_int_equal(p.pm1a_cnt.addr, 0x604);
	assert_int_equal(p.pm1a_evt.addr, 0x600);
	assert_int_equal(p.pm1b_cnt.addr, 0);
	assert_int_equal(p.dsdt, 0x7ffe0040);
	for (int i = 0; i < ACPI_SLEEP_STATES; i++)
		assert_int_equal(p.slp_typ_a[i], ACPI_SLP_TYP_NONE);
}

static void test_fadt_x_fields_and_versions(void **state)
{
	struct acpi_power p;

	(void)state;
	/* X_ fields win when non-zero; X_DSDT too. */
	make_fadt(244, 5);
	gas(fadt + 172, ACPI_GAS_IO, 16, 0x1804);	/* X_PM1a_CNT_BLK */
	gas(fadt + 184, ACPI_GAS_IO, 16, 0x1806);	/* X_PM1b_CNT_BLK */
	put64(fadt + 140, 0x1234567000ULL);		/* X_DSDT */
	assert_int_equal(acpi_fadt_parse_table((void *)fadt, &p), 0);
	assert_int_equal(p.pm1a_cnt.addr, 0x1804);
	assert_int_equal(p.pm1b_cnt.addr, 0x1806);
	assert_int_equal(p.pm1a_evt.addr, 0x600);	/* X_ zero: legacy kept */
	assert_int_equal(p.dsdt, 0x1234567000ULL);

	/* ACPI 1.0 (116 bytes): no RESET_REG at all. */
	assert_int_equal(acpi_fadt_parse_table(make_fadt(116, 1), &p), 0);
	assert_false(p.reset_supported);
	assert_int_equal(p.pm1a_cnt.addr, 0x604);

	/* RESET_REG present but RESET_REG_SUP clear: not used. */
	make_fadt(244, 3);
	put32(fadt + 112, 0);
	assert_int_equal(acpi_fadt_parse_table((void *)fadt, &p), 0);
	assert_false(p.reset_supported);

	/* Too short for the ACPI 1.0 fields. */
	host_log_clear();
	assert_int_equal(acpi_fadt_parse_table(make_fadt(100, 1), &p), E_INVAL);
	assert_false(p.fadt);
	assert_int_equal(host_log_count("reason=too-short-for-fadt"), 1);
}

static uint8_t *read_aml(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	uint8_t *buf = malloc(1 << 16);

	snprintf(path, sizeof(path), "build/acpi/%s.aml", name);
	f = fopen(path, "rb");
	assert_non_null(f);
	*len = fread(buf, 1, 1 << 16, f);
	fclose(f);
	assert_true(*len > 36);
	return buf;
}

static void test_sleep_types_from_iasl(void **state)
{
	struct acpi_power p;
	size_t len;
	uint8_t *aml = read_aml("dsdt-sleep", &len);

	(void)state;
	make_fadt(244, 3);
	assert_int_equal(acpi_fadt_parse_table((void *)fadt, &p), 0);
	assert_int_equal(acpi_scan_sleep_types(aml + 36, len - 36, &p), 3);
	assert_int_equal(p.slp_typ_a[0], ACPI_SLP_TYP_NONE);	/* only a string */
	assert_int_equal(p.slp_typ_a[1], ACPI_SLP_TYP_NONE);	/* a Method */
	assert_int_equal(p.slp_typ_a[2], ACPI_SLP_TYP_NONE);	/* one element */
	assert_int_equal(p.slp_typ_a[3], 5);
	assert_int_equal(p.slp_typ_b[3], 6);
	assert_int_equal(p.slp_typ_a[4], 1);
	assert_int_equal(p.slp_typ_b[4], 0);
	assert_int_equal(p.slp_typ_a[5], 0);
	assert_int_equal(p.slp_typ_b[5], 0);
	/* Every truncation of the table: no read past the end (ASan), and
	 * never a value that is not in the table. */
	for (size_t n = 0; n < len - 36; n++) {
		struct acpi_power q;

		acpi_fadt_parse_table((void *)fadt, &q);
		acpi_scan_sleep_types(aml + 36, n, &q);
		assert_true(q.slp_typ_a[5] == ACPI_SLP_TYP_NONE || q.slp_typ_a[5] == 0);
		assert_true(q.slp_typ_a[3] == ACPI_SLP_TYP_NONE || q.slp_typ_a[3] == 5);
	}
	free(aml);
}

static void test_sleep_types_encodings(void **state)
{
	struct acpi_power p;
	/* Name(\_S5, Package(2){WordPrefix 0x0107, DWordPrefix 0x0f}):
	 * SLP_TYP keeps 3 bits (7 and 7). Then a second _S5: ignored. */
	static const uint8_t aml[] = {
		0x08, '\\', '_', 'S', '5', '_', 0x12, 0x0a, 0x02, 0x0b, 0x07, 0x01,
		0x0c, 0x0f, 0x00, 0x00, 0x00,
		0x08, '_', 'S', '5', '_', 0x12, 0x04, 0x02, 0x01, 0x01,
	};
	/* A PkgLength that runs past the end: not taken. */
	static const uint8_t bad[] = { 0x08, '_', 'S', '5', '_', 0x12, 0x3f, 0x02, 0x00, 0x00 };

	(void)state;
	make_fadt(244, 3);
	acpi_fadt_parse_table((void *)fadt, &p);
	assert_int_equal(acpi_scan_sleep_types(aml, sizeof(aml), &p), 1);
	assert_int_equal(p.slp_typ_a[5], 7);
	assert_int_equal(p.slp_typ_b[5], 7);
	acpi_fadt_parse_table((void *)fadt, &p);
	assert_int_equal(acpi_scan_sleep_types(bad, sizeof(bad), &p), 0);
	assert_int_equal(p.slp_typ_a[5], ACPI_SLP_TYP_NONE);
}

/* ---------------- the policy ---------------- */

static struct power_policy pol;

static void q35_policy(void)
{
	struct acpi_power a;

	acpi_fadt_parse_table(make_fadt(244, 3), &a);
	a.slp_typ_a[3] = a.slp_typ_b[3] = 1;	/* QEMU's DSDT: S3=1 S4=2 S5=0 */
	a.slp_typ_a[4] = a.slp_typ_b[4] = 2;
	a.slp_typ_a[5] = a.slp_typ_b[5] = 0;
	power_policy_init(&pol, &a);
}

static enum power_action w(uint16_t port, unsigned size, uint32_t v, const char *path)
{
	struct power_decision d = power_policy_io_write(&pol, port, size, v);

	if (path)
		assert_string_equal(d.path, path);
	else
		assert_null(d.path);
	return d.action;
}

static void test_policy_claims_and_ports(void **state)
{
	uint16_t ports[32];
	unsigned n;
	const uint16_t want[] = { 0xcf9, 0x64, 0x60, 0x92, 0x604, 0x605, 0x600, 0x601 };

	(void)state;
	q35_policy();
	assert_false(power_policy_claims(&pol, 0xcf8, 4));	/* CONFIG_ADDRESS */
	assert_true(power_policy_claims(&pol, 0xcf8, 2));	/* covers 0xcf9 */
	assert_true(power_policy_claims(&pol, 0xcf9, 1));
	assert_false(power_policy_claims(&pol, 0xcfa, 2));
	assert_false(power_policy_claims(&pol, 0xcfc, 4));
	assert_true(power_policy_claims(&pol, 0x60, 1));
	assert_true(power_policy_claims(&pol, 0x64, 1));
	assert_false(power_policy_claims(&pol, 0x61, 1));
	assert_true(power_policy_claims(&pol, 0x92, 1));
	assert_true(power_policy_claims(&pol, 0x604, 2));
	assert_true(power_policy_claims(&pol, 0x605, 1));
	assert_true(power_policy_claims(&pol, 0x600, 4));
	assert_false(power_policy_claims(&pol, 0x602, 2));	/* PM1_EN: not ours */
	assert_false(power_policy_claims(&pol, 0x608, 4));	/* the PM timer */
	assert_false(power_policy_claims(&pol, 0x70, 1));
	n = power_policy_ports(&pol, ports, 32);
	/* 0xcf9 twice: RST_CNT and the FADT's RESET_REG. */
	assert_int_equal(n, 9);
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		bool found = false;

		for (unsigned j = 0; j < n; j++)
			found |= ports[j] == want[i];
		assert_true(found);
	}
	assert_int_equal(power_policy_ports(&pol, ports, 2), 9);	/* counted past max */
}

static void test_policy_cf9(void **state)
{
	(void)state;
	q35_policy();
	assert_int_equal(w(0xcf9, 1, 0x02, NULL), POWER_PASS);	/* SYS_RST: selects only */
	assert_int_equal(w(0xcf9, 1, 0x08, NULL), POWER_PASS);	/* FULL_RST alone */
	assert_int_equal(w(0xcf9, 1, 0x06, "cf9"), POWER_RESET);	/* Linux warm */
	assert_int_equal(w(0xcf9, 1, 0x0e, "cf9"), POWER_RESET);	/* Linux cold */
	assert_int_equal(w(0xcf9, 1, 0x04, "cf9"), POWER_RESET);	/* soft */
	assert_int_equal(w(0xcf9, 1, 0x0f, "fadt-reset-reg"), POWER_RESET);	/* RESET_VALUE */
	assert_int_equal(w(0xcf8, 2, 0x0600, "cf9"), POWER_RESET);	/* the high byte */
	assert_int_equal(w(0xcf8, 2, 0x0206, NULL), POWER_PASS);	/* 0x06 lands on 0xcf8 */
	assert_false(power_policy_claims(&pol, 0xcf8, 4));
}

static void test_policy_kbd(void **state)
{
	(void)state;
	q35_policy();
	assert_int_equal(w(0x64, 1, 0xfe, "kbd-pulse"), POWER_RESET);	/* Linux reboot=kbd */
	assert_int_equal(w(0x64, 1, 0xf0, "kbd-pulse"), POWER_RESET);	/* all four lines */
	assert_int_equal(w(0x64, 1, 0xfa, "kbd-pulse"), POWER_RESET);
	assert_int_equal(w(0x64, 1, 0xff, NULL), POWER_PASS);		/* line 0 not pulsed */
	assert_int_equal(w(0x64, 1, 0xf1, NULL), POWER_PASS);
	assert_int_equal(w(0x64, 1, 0xef, NULL), POWER_PASS);
	assert_int_equal(w(0x60, 1, 0xfe, NULL), POWER_PASS);		/* data, no 0xd1 */
	/* 0xd1: the next data byte is the output port; bit 0 low resets. */
	assert_int_equal(w(0x64, 1, 0xd1, NULL), POWER_PASS);
	assert_int_equal(w(0x60, 1, 0xfe, "kbd-outport"), POWER_RESET);
	assert_int_equal(w(0x64, 1, 0xd1, NULL), POWER_PASS);
	assert_int_equal(w(0x60, 1, 0xdf, NULL), POWER_PASS);		/* A20 on, reset high */
	assert_int_equal(w(0x60, 1, 0xfe, NULL), POWER_PASS);		/* consumed already */
	/* Another command in between: the data byte goes to that one. */
	assert_int_equal(w(0x64, 1, 0xd1, NULL), POWER_PASS);
	assert_int_equal(w(0x64, 1, 0xad, NULL), POWER_PASS);
	assert_int_equal(w(0x60, 1, 0xfe, NULL), POWER_PASS);
}

static void test_policy_port92(void **state)
{
	(void)state;
	q35_policy();
	assert_int_equal(w(0x92, 1, 0x02, NULL), POWER_PASS);		/* A20 only */
	assert_int_equal(w(0x92, 1, 0x03, "port92"), POWER_RESET);
	assert_int_equal(w(0x92, 1, 0x01, "port92"), POWER_RESET);
	assert_int_equal(w(0x91, 2, 0x0100, "port92"), POWER_RESET);	/* a word over it */
	assert_int_equal(w(0x91, 2, 0x0201, NULL), POWER_PASS);
}

static void test_policy_pm1_cnt(void **state)
{
	struct power_decision d;

	(void)state;
	q35_policy();
	/* Linux writes SLP_TYP first, then SLP_EN with it. */
	assert_int_equal(w(0x604, 2, 0x0001, NULL), POWER_PASS);	/* SCI_EN */
	assert_int_equal(w(0x604, 2, 0x2001, "pm1a-cnt"), POWER_OFF);	/* S5: type 0 */
	assert_int_equal(w(0x605, 1, 0x20, "pm1a-cnt"), POWER_OFF);	/* the byte alone */
	assert_int_equal(w(0x604, 4, 0x2000, "pm1a-cnt"), POWER_OFF);	/* a dword over it */
	assert_int_equal(w(0x603, 2, 0x2000, NULL), POWER_PASS);	/* 0x20 on 0x604 */
	assert_int_equal(w(0x604, 2, 0x0401, NULL), POWER_PASS);	/* type without EN */

	/* S3 (type 1): refused, written without SLP_EN, a fake wake follows. */
	d = power_policy_io_write(&pol, 0x604, 2, 0x2401);
	assert_int_equal(d.action, POWER_SLEEP_REFUSED);
	assert_int_equal(d.sleep_state, 3);
	assert_int_equal(d.slp_typ, 1);
	assert_int_equal(d.value, 0x0401);
	assert_true(pol.fake_wake);
	/* PM1_STS reads WAK_STS (bit 15) until the guest clears it. */
	assert_int_equal(power_policy_io_read(&pol, 0x600, 2, 0x0001), 0x8001);
	assert_int_equal(power_policy_io_read(&pol, 0x601, 1, 0x00), 0x80);
	assert_int_equal(power_policy_io_read(&pol, 0x600, 4, 0x01000000), 0x01008000);
	assert_int_equal(power_policy_io_read(&pol, 0x600, 1, 0x00), 0x00);
	assert_int_equal(w(0x600, 2, 0x0001, NULL), POWER_PASS);	/* other status bit */
	assert_true(pol.fake_wake);
	assert_int_equal(w(0x601, 1, 0x80, NULL), POWER_PASS);	/* W1C WAK_STS */
	assert_false(pol.fake_wake);
	assert_int_equal(power_policy_io_read(&pol, 0x600, 2, 0x0001), 0x0001);

	/* S4 (type 2) and a type no package names (5): refused too. */
	d = power_policy_io_write(&pol, 0x604, 2, 0x2800);
	assert_int_equal(d.action, POWER_SLEEP_REFUSED);
	assert_int_equal(d.sleep_state, 4);
	d = power_policy_io_write(&pol, 0x605, 1, 0x34);
	assert_int_equal(d.action, POWER_SLEEP_REFUSED);
	assert_int_equal(d.sleep_state, POWER_SLEEP_UNKNOWN);
	assert_int_equal(d.value, 0x14);	/* the same byte without SLP_EN */
}

static void test_policy_no_s5_refuses_all(void **state)
{
	struct power_decision d;

	(void)state;
	q35_policy();
	pol.acpi.slp_typ_a[5] = ACPI_SLP_TYP_NONE;
	d = power_policy_io_write(&pol, 0x604, 2, 0x2000);
	assert_int_equal(d.action, POWER_SLEEP_REFUSED);
	assert_int_equal(d.sleep_state, POWER_SLEEP_UNKNOWN);
}

static void test_policy_pm1b_and_mmio_reset(void **state)
{
	struct acpi_power a;

	(void)state;
	make_fadt(244, 3);
	put32(fadt + 68, 0x1806);			/* PM1b_CNT_BLK */
	gas(fadt + 116, ACPI_GAS_MEMORY, 8, 0xfed00010);	/* RESET_REG in memory */
	fadt[128] = 0x42;
	acpi_fadt_parse_table((void *)fadt, &a);
	a.slp_typ_a[5] = 0;
	a.slp_typ_b[5] = 7;
	power_policy_init(&pol, &a);
	/* PM1b has its own S5 type. */
	assert_int_equal(w(0x1806, 2, 0x2000, "pm1b-cnt"), POWER_SLEEP_REFUSED);
	pol.fake_wake = false;
	assert_int_equal(w(0x1806, 2, 0x3c00, "pm1b-cnt"), POWER_OFF);
	/* No I/O reset register now: 0xcf9 still is RST_CNT. */
	assert_int_equal(w(0xcf9, 1, 0x0f, "cf9"), POWER_RESET);
	assert_true(power_policy_mmio_claims(&pol, 0xfed00010, 1));
	assert_true(power_policy_mmio_claims(&pol, 0xfed0000c, 8));
	assert_false(power_policy_mmio_claims(&pol, 0xfed00011, 1));
	assert_false(power_policy_mmio_claims(&pol, 0xfed0000c, 4));
	assert_int_equal(power_policy_mmio_write(&pol, 0xfed00010, 1, 0x42).action, POWER_RESET);
	assert_int_equal(power_policy_mmio_write(&pol, 0xfed00010, 1, 0x41).action, POWER_PASS);
	assert_int_equal(power_policy_mmio_write(&pol, 0xfed0000c, 8, 0x42ULL << 32).action,
			 POWER_RESET);
	assert_int_equal(power_policy_mmio_write(&pol, 0xfed00014, 4, 0x42).action, POWER_PASS);
}

/* A FADT whose PM1 blocks are in memory space (X_PM1a_EVT/CNT, X_PM1b_CNT
 * with address space 0, ACPI 6.5 5.2.9 Table 5.9 / 5.2.3.2): the same S5,
 * sleep and WAK_STS rules as in I/O space, none of the chipset's fixed
 * ports in memory space, and the pages to trap. */
static void test_policy_pm1_in_memory_space(void **state)
{
	struct acpi_power a;
	struct power_decision d;
	uint64_t pages[4];

	(void)state;
	make_fadt(244, 5);
	gas(fadt + 148, ACPI_GAS_MEMORY, 32, 0xfe000000);	/* X_PM1a_EVT_BLK */
	gas(fadt + 172, ACPI_GAS_MEMORY, 16, 0xfe000004);	/* X_PM1a_CNT_BLK */
	gas(fadt + 184, ACPI_GAS_MEMORY, 16, 0xfe001ffe);	/* X_PM1b_CNT_BLK, at a page's end */
	gas(fadt + 116, ACPI_GAS_MEMORY, 8, 0xfe000010);	/* RESET_REG */
	fadt[128] = 0x06;
	assert_int_equal(acpi_fadt_parse_table((void *)fadt, &a), 0);
	assert_int_equal(a.pm1a_cnt.space, ACPI_GAS_MEMORY);
	assert_int_equal(a.pm1a_cnt.addr, 0xfe000004);
	a.slp_typ_a[3] = a.slp_typ_b[3] = 1;
	a.slp_typ_a[5] = 0;
	a.slp_typ_b[5] = 5;
	power_policy_init(&pol, &a);

	/* Nothing of it is a port: the ports are only the chipset's fixed ones. */
	assert_false(power_policy_claims(&pol, 0x604, 2));
	assert_true(power_policy_claims(&pol, 0xcf9, 1));
	/* ...and those are not in memory space. */
	assert_false(power_policy_mmio_claims(&pol, 0xcf9, 1));
	assert_int_equal(power_policy_mmio_write(&pol, 0xcf9, 1, 0x06).action, POWER_PASS);

	assert_true(power_policy_mmio_claims(&pol, 0xfe000004, 2));
	assert_true(power_policy_mmio_claims(&pol, 0xfe000005, 1));
	assert_true(power_policy_mmio_claims(&pol, 0xfe000000, 8));	/* covers STS and CNT */
	assert_false(power_policy_mmio_claims(&pol, 0xfe000006, 2));

	/* S5: SLP_TYP 0 with SLP_EN, by a word, by its high byte alone, by a
	 * dword that also covers PM1_STS/EN. */
	d = power_policy_mmio_write(&pol, 0xfe000004, 2, 0x2000);
	assert_int_equal(d.action, POWER_OFF);
	assert_string_equal(d.path, "pm1a-cnt");
	assert_int_equal(power_policy_mmio_write(&pol, 0xfe000005, 1, 0x20).action, POWER_OFF);
	assert_int_equal(power_policy_mmio_write(&pol, 0xfe000004, 4, 0x2001).action, POWER_OFF);
	assert_int_equal(power_policy_mmio_write(&pol, 0xfe000000, 8, 0x2000ULL << 32).action,
			 POWER_OFF);
	/* Without SLP_EN: passes unchanged. */
	d = power_policy_mmio_write(&pol, 0xfe000004, 2, 0x0001);
	assert_int_equal(d.action, POWER_PASS);
	assert_int_equal(d.value, 0x0001);

	/* S3 refused: SLP_EN taken out of exactly the byte that holds it, in
	 * a dword write starting at PM1_STS too; then WAK_STS reads set... */
	d = power_policy_mmio_write(&pol, 0xfe000004, 2, 0x2401);
	assert_int_equal(d.action, POWER_SLEEP_REFUSED);
	assert_int_equal(d.sleep_state, 3);
	assert_int_equal(d.value, 0x0401);
	d = power_policy_mmio_write(&pol, 0xfe000000, 8, (0x2401ULL << 32) | 0xffff0000ULL);
	assert_int_equal(d.action, POWER_SLEEP_REFUSED);
	assert_int_equal(d.value, (0x0401ULL << 32) | 0xffff0000ULL);
	assert_int_equal(power_policy_mmio_read(&pol, 0xfe000000, 2, 0x0001), 0x8001);
	assert_int_equal(power_policy_mmio_read(&pol, 0xfe000001, 1, 0x00), 0x80);
	assert_int_equal(power_policy_mmio_read(&pol, 0xfe000004, 2, 0x0401), 0x0401);
	/* ...in memory space only; the I/O read of 0x601 is not PM1_STS here. */
	assert_int_equal(power_policy_io_read(&pol, 0x600, 2, 0), 0);
	/* ...until the guest clears it (write-1-to-clear of bit 15). */
	assert_int_equal(power_policy_mmio_write(&pol, 0xfe000000, 2, 0x8000).action, POWER_PASS);
	assert_int_equal(power_policy_mmio_read(&pol, 0xfe000000, 2, 0x0001), 0x0001);

	/* PM1b: its own S5 type; a word at the very end of its page. */
	assert_int_equal(power_policy_mmio_write(&pol, 0xfe001ffe, 2, 0x3400).action, POWER_OFF);
	assert_int_equal(power_policy_mmio_write(&pol, 0xfe001ffe, 2, 0x2000).action,
			 POWER_SLEEP_REFUSED);
	/* The memory-space RESET_REG. */
	assert_int_equal(power_policy_mmio_write(&pol, 0xfe000010, 1, 0x06).action, POWER_RESET);

	/* The pages to trap: each distinct page once. */
	assert_int_equal(power_policy_mmio_pages(&pol, pages, 4), 2);
	assert_int_equal(pages[0], 0xfe000000);
	assert_int_equal(pages[1], 0xfe001000);
	/* A register straddling two pages gives both; too small an array is
	 * reported by the count, never overrun. */
	gas(fadt + 184, ACPI_GAS_MEMORY, 16, 0xfe002fff);
	assert_int_equal(acpi_fadt_parse_table((void *)fadt, &a), 0);
	power_policy_init(&pol, &a);
	assert_int_equal(power_policy_mmio_pages(&pol, pages, 1), 3);
	assert_int_equal(pages[0], 0xfe000000);
	assert_int_equal(power_policy_mmio_pages(&pol, pages, 4), 3);
	assert_int_equal(pages[1], 0xfe002000);
	assert_int_equal(pages[2], 0xfe003000);

	/* The q35 machine (I/O space) has none. */
	q35_policy();
	assert_int_equal(power_policy_mmio_pages(&pol, pages, 4), 0);
}

static void test_policy_without_fadt(void **state)
{
	struct acpi_power a;
	uint16_t ports[16];

	(void)state;
	memset(&a, 0, sizeof(a));
	for (int i = 0; i < ACPI_SLEEP_STATES; i++)
		a.slp_typ_a[i] = a.slp_typ_b[i] = ACPI_SLP_TYP_NONE;
	power_policy_init(&pol, &a);
	/* The legacy paths remain. */
	assert_int_equal(power_policy_ports(&pol, ports, 16), 4);
	assert_int_equal(w(0xcf9, 1, 0x06, "cf9"), POWER_RESET);
	assert_int_equal(w(0x64, 1, 0xfe, "kbd-pulse"), POWER_RESET);
	assert_false(power_policy_claims(&pol, 0x604, 2));
}

static void test_policy_debug_exit(void **state)
{
	uint16_t ports[32];

	(void)state;
	q35_policy();
	assert_false(power_policy_claims(&pol, 0xf4, 1));	/* not guarded by default */
	power_policy_guard_debug_exit(&pol, 0xf4);
	assert_int_equal(power_policy_ports(&pol, ports, 32), 13);
	assert_true(power_policy_claims(&pol, 0xf4, 1));
	assert_true(power_policy_claims(&pol, 0xf7, 1));
	assert_true(power_policy_claims(&pol, 0xf2, 4));	/* overlaps 0xf4 */
	assert_false(power_policy_claims(&pol, 0xf8, 1));
	assert_int_equal(w(0xf4, 4, 0x10, "debug-exit"), POWER_DROPPED);	/* "ok" forged */
	assert_int_equal(w(0xf4, 1, 0x11, "debug-exit"), POWER_DROPPED);
	assert_int_equal(w(0xf6, 2, 0, "debug-exit"), POWER_DROPPED);
	assert_int_equal(power_policy_io_read(&pol, 0xf4, 4, 0x12345678), 0x12345678);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_secrets_wipe, secrets_setup),
		cmocka_unit_test_setup(test_secrets_bad_ranges, secrets_setup),
		cmocka_unit_test_setup(test_secrets_full, secrets_setup),
		cmocka_unit_test(test_fadt_q35),
		cmocka_unit_test(test_fadt_x_fields_and_versions),
		cmocka_unit_test(test_sleep_types_from_iasl),
		cmocka_unit_test(test_sleep_types_encodings),
		cmocka_unit_test(test_policy_claims_and_ports),
		cmocka_unit_test(test_policy_cf9),
		cmocka_unit_test(test_policy_kbd),
		cmocka_unit_test(test_policy_port92),
		cmocka_unit_test(test_policy_pm1_cnt),
		cmocka_unit_test(test_policy_no_s5_refuses_all),
		cmocka_unit_test(test_policy_pm1b_and_mmio_reset),
		cmocka_unit_test(test_policy_pm1_in_memory_space),
		cmocka_unit_test(test_policy_without_fadt),
		cmocka_unit_test(test_policy_debug_exit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
