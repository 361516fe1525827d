/* Unit tests for src/iommu/ivrs.c (the IVRS parser, AMD IOMMU spec ch. 5).
 *
 * Two sources of tables:
 *  - build/acpi/ivrs-*.aml, compiled by iasl from tests/acpi/ivrs-*.asl
 *    before the unit tests run (paths relative to the repository root);
 *  - byte arrays built here with a small builder (struct tb), for what iasl
 *    20200925 cannot express: IVHD types 11h and 40h, ACPI HID entries,
 *    reserved codes, every length malformation, limits.
 * Every parse runs on an exactly-sized heap copy of the table, so a read
 * past its end is a heap-buffer-overflow that AddressSanitizer reports. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"
#include "iommu/ivrs.h"
#include "lib/error.h"

static struct ivrs_info info;	/* ~40 KiB: not on the stack */

/* ---- parsing from an exact-size heap copy ---- */

static int parse_env(const uint8_t *bytes, size_t n, const struct ivrs_env *env)
{
	uint8_t *copy = malloc(n ? n : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, bytes, n);
	rc = ivrs_parse(copy, n, env, &info);
	free(copy);
	return rc;
}

static int parse(const uint8_t *bytes, size_t n)
{
	return parse_env(bytes, n, NULL);
}

static void fix_checksum(uint8_t *b, size_t n)
{
	uint8_t sum = 0;

	b[9] = 0;
	for (size_t i = 0; i < n; i++)
		sum = (uint8_t)(sum + b[i]);
	b[9] = (uint8_t)-sum;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)v;
	p[1] = (uint8_t)(v >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	put16(p, (uint16_t)v);
	put16(p + 2, (uint16_t)(v >> 16));
}

static uint8_t *load_aml(const char *name, size_t *len)
{
	char path[256];
	FILE *f;
	uint8_t *buf = malloc(65536);
	size_t n;

	assert_non_null(buf);
	snprintf(path, sizeof(path), "build/acpi/%s.aml", name);
	f = fopen(path, "rb");
	if (!f)
		fail_msg("%s is missing: run the tests from the repository root after "
			 "`make %s` (the unit target builds it)", path, path);
	n = fread(buf, 1, 65536, f);
	fclose(f);
	assert_true(n >= 48 && n < 65536);
	*len = n;
	return buf;
}

static int parse_aml(const char *name)
{
	size_t n;
	uint8_t *b = load_aml(name, &n);
	int rc = parse(b, n);

	free(b);
	return rc;
}

/* ---- a table builder ---- */

struct tb {
	uint8_t b[32768];
	size_t n;
};

static struct tb tb;

static void put(struct tb *t, uint64_t v, int bytes)
{
	for (int i = 0; i < bytes; i++)
		t->b[t->n++] = i < 8 ? (uint8_t)(v >> (8 * i)) : 0;
}

static void putmem(struct tb *t, const void *p, size_t n)
{
	memcpy(t->b + t->n, p, n);
	t->n += n;
}

static void tb_init(struct tb *t, uint8_t revision, uint32_t ivinfo)
{
	memset(t, 0, sizeof(*t));
	putmem(t, "IVRS", 4);
	put(t, 0, 4);			/* length, set by tb_finish */
	put(t, revision, 1);
	put(t, 0, 1);			/* checksum */
	putmem(t, "SHOJI ", 6);
	putmem(t, "UNITTEST", 8);
	put(t, 1, 4);
	putmem(t, "SHOJ", 4);
	put(t, 1, 4);
	put(t, ivinfo, 4);
	put(t, 0, 8);
	assert_int_equal(t->n, 48);
}

/* An IVHD header; entries follow; tb_close sets its length. */
static size_t tb_ivhd(struct tb *t, uint8_t type, uint8_t flags, uint16_t devid, uint64_t base,
		      uint16_t seg, uint32_t feat, uint64_t efr)
{
	size_t s = t->n;

	put(t, type, 1);
	put(t, flags, 1);
	put(t, 0, 2);
	put(t, devid, 2);
	put(t, 0x40, 2);		/* capability offset */
	put(t, base, 8);
	put(t, seg, 2);
	put(t, 0x0300, 2);		/* IOMMU info: unit ID 3, MSI number 0 */
	put(t, feat, 4);
	if (type != IVRS_TYPE_IVHD_10) {
		put(t, efr, 8);
		put(t, 0, 8);
	}
	return s;
}

static void tb_close(struct tb *t, size_t s)
{
	put16(t->b + s + 2, (uint16_t)(t->n - s));
}

static void tb_e4(struct tb *t, uint8_t type, uint16_t devid, uint8_t dte)
{
	put(t, type, 1);
	put(t, devid, 2);
	put(t, dte, 1);
}

static void tb_alias(struct tb *t, uint8_t type, uint16_t devid, uint16_t src, uint8_t dte)
{
	tb_e4(t, type, devid, dte);
	put(t, 0, 1);
	put(t, src, 2);
	put(t, 0, 1);
}

static void tb_ext(struct tb *t, uint8_t type, uint16_t devid, uint32_t ext, uint8_t dte)
{
	tb_e4(t, type, devid, dte);
	put(t, ext, 4);
}

static void tb_special(struct tb *t, uint8_t handle, uint16_t src, uint8_t variety, uint8_t dte)
{
	tb_e4(t, IVRS_DEV_SPECIAL, 0, dte);
	put(t, handle, 1);
	put(t, src, 2);
	put(t, variety, 1);
}

static void tb_hid(struct tb *t, uint16_t devid, const char *hid, const char *cid,
		   uint8_t uid_format, uint8_t uid_len, const void *uid)
{
	char h[8] = { 0 }, c[8] = { 0 };

	memcpy(h, hid, strlen(hid));
	memcpy(c, cid, strlen(cid));
	tb_e4(t, IVRS_DEV_ACPI_HID, devid, 0x40);
	putmem(t, h, 8);
	putmem(t, c, 8);
	put(t, uid_format, 1);
	put(t, uid_len, 1);
	putmem(t, uid, uid_len);
}

static void tb_ivmd(struct tb *t, uint8_t type, uint8_t flags, uint16_t devid, uint16_t aux,
		    uint64_t start, uint64_t len)
{
	put(t, type, 1);
	put(t, flags, 1);
	put(t, 32, 2);
	put(t, devid, 2);
	put(t, aux, 2);
	put(t, 0, 8);
	put(t, start, 8);
	put(t, len, 8);
}

static size_t tb_finish(struct tb *t)
{
	put32(t->b + 4, (uint32_t)t->n);
	fix_checksum(t->b, t->n);
	return t->n;
}

#define BASE0 0xfeb80000ULL
#define D(b, d, f) IVRS_DEVID(b, d, f)

/* A usable table: one type 10h IOMMU (00:00.2) covering bus 0. */
static size_t tb_minimal(struct tb *t)
{
	size_t s;

	tb_init(t, 1, 0);
	s = tb_ivhd(t, IVRS_TYPE_IVHD_10, 0x30, D(0, 0, 2), BASE0, 0, 0, 0);
	tb_e4(t, IVRS_DEV_RANGE_START, 0x0000, 0);
	tb_e4(t, IVRS_DEV_RANGE_END, 0x00ff, 0);
	tb_close(t, s);
	return tb_finish(t);
}

static const struct ivrs_dev *dev_of(const struct ivrs_ivhd *h, unsigned i)
{
	assert_true(i < h->ndevs);
	return &info.devs[h->first_dev + i];
}

static int ivhd_of(uint16_t seg, uint16_t devid)
{
	const struct ivrs_ivhd *h = ivrs_ivhd_for_device(&info, seg, devid);

	return h ? h->index : -1;
}

/* The captured log has exactly count lines containing needle. */
static void expect_log(const char *needle, int count)
{
	int got = host_log_count(needle);

	if (got != count)
		fail_msg("%d log line(s) contain \"%s\", expected %d; the log:\n%s", got, needle,
			 count, host_log);
}

/* Parse, expect malformed with a reason containing what. */
static void expect_malformed(size_t n, const char *what)
{
	host_log_clear();
	assert_int_equal(parse(tb.b, n), E_INVAL);
	assert_true(info.malformed);
	assert_false(info.usable);
	if (!strstr(info.reason, what))
		fail_msg("reason \"%s\" lacks \"%s\"", info.reason, what);
	expect_log("error: ivrs malformed:", 1);
}

static int setup(void **state)
{
	(void)state;
	host_log_clear();
	host_log_echo = false;
	return 0;
}

/* ================= header (5.2.1) ================= */

static void test_minimal_table(void **state)
{
	size_t n = tb_minimal(&tb);
	const struct ivrs_ivhd *h;

	(void)state;
	assert_int_equal(parse(tb.b, n), 0);
	assert_true(info.usable);
	assert_false(info.malformed);
	assert_string_equal(info.reason, "");
	assert_int_equal(info.length, n);
	assert_int_equal(info.revision, 1);
	assert_string_equal(info.oem_id, "SHOJI");
	assert_string_equal(info.oem_table_id, "UNITTEST");
	assert_int_equal(info.nivhds, 1);
	assert_int_equal(info.niommus, 1);
	h = &info.ivhds[0];
	assert_int_equal(h->type, 0x10);
	assert_int_equal(h->flags, 0x30);
	assert_int_equal(h->devid, D(0, 0, 2));
	assert_int_equal(h->cap_offset, 0x40);
	assert_int_equal(h->base, BASE0);
	assert_int_equal(h->info, 0x0300);
	assert_int_equal(IVRS_INFO_UNIT_ID(h->info), 3);
	assert_int_equal(h->length, 32);
	assert_true(h->usable);
	assert_int_equal(h->superseded_by, -1);
	assert_int_equal(h->ndevs, 1);
	assert_int_equal(dev_of(h, 0)->kind, IVRS_KIND_RANGE);
	assert_int_equal(dev_of(h, 0)->first, 0);
	assert_int_equal(dev_of(h, 0)->last, 0xff);
	assert_int_equal(info.warnings, 0);
	expect_log("warning", 0);
	expect_log("error", 0);
}

static void test_ivinfo_fields(void **state)
{
	size_t n;
	uint32_t v = IVRS_IVINFO_EFR_SUP | IVRS_IVINFO_DMA_REMAP | 2u << 5 | 48u << 8 |
		     64u << 15 | IVRS_IVINFO_HT_ATS_RESV;

	(void)state;
	tb_minimal(&tb);
	put32(tb.b + 36, v);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(info.ivinfo, v);
	host_log_clear();
	ivrs_print(&info);
	expect_log("ivrs ivinfo=0x603043 efr_sup=yes dma_remap=yes "
					"gva_size=2 pa_size=48 va_size=64 ht_ats_resv=yes", 1);
}

static void test_short_buffers(void **state)
{
	size_t n = tb_minimal(&tb);

	(void)state;
	assert_int_equal(ivrs_parse(NULL, 100, NULL, &info), E_INVAL);
	assert_string_equal(info.reason, "only 0 bytes available, an ACPI table header needs 36");
	for (size_t len = 0; len < n; len++) {
		assert_int_equal(parse(tb.b, len), E_INVAL);
		assert_true(info.malformed);
	}
}

static void test_bad_signature(void **state)
{
	size_t n = tb_minimal(&tb);

	(void)state;
	memcpy(tb.b, "DMAR", 4);
	fix_checksum(tb.b, n);
	expect_malformed(n, "signature is 'DMAR', not 'IVRS'");
}

static void test_header_lengths(void **state)
{
	size_t n = tb_minimal(&tb);

	(void)state;
	put32(tb.b + 4, 47);
	fix_checksum(tb.b, n);
	expect_malformed(n, "header length 47 is below the IVRS minimum of 48 (5.2.1)");
	n = tb_minimal(&tb);
	put32(tb.b + 4, (uint32_t)n + 1);
	expect_malformed(n, "table truncated: header length 81 exceeds the 80 bytes available");
}

static void test_bad_checksum(void **state)
{
	size_t n = tb_minimal(&tb);

	(void)state;
	tb.b[60] ^= 0x10;
	assert_int_equal(parse(tb.b, n), E_CHECKSUM);
	assert_true(info.malformed);
	assert_string_equal(info.reason, "bad checksum: the 80 bytes sum to 0x10, not 0");
	/* The header length bounds the sum: bytes after it do not count. */
	n = tb_minimal(&tb);
	tb.b[n] = 0x55;
	assert_int_equal(parse(tb.b, n + 1), 0);
}

/* ================= blocks ================= */

static void test_block_lengths(void **state)
{
	static const struct { uint8_t type; unsigned min; const char *name; } cases[] = {
		{ 0x10, 24, "ivhd" }, { 0x11, 40, "ivhd" }, { 0x40, 40, "ivhd" },
		{ 0x20, 32, "ivmd" }, { 0x21, 32, "ivmd" }, { 0x22, 32, "ivmd" },
		{ 0x77, 4, "block" },
	};
	char want[128];
	size_t n;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		tb_init(&tb, 2, 0);
		put(&tb, cases[i].type, 1);
		put(&tb, 0, 1);
		put(&tb, cases[i].min - 1, 2);
		put(&tb, 0, 60);
		n = tb_finish(&tb);
		snprintf(want, sizeof(want), "%s type=0x%02x at offset 0x30 has length %u, below its "
			 "minimum of %u", cases[i].name, cases[i].type, cases[i].min - 1, cases[i].min);
		expect_malformed(n, want);
	}
	/* Overrun: one byte more than the table has. */
	n = tb_minimal(&tb);
	put16(tb.b + 0x32, 33);
	fix_checksum(tb.b, n);
	expect_malformed(n, "ivhd type=0x10 at offset 0x30 (length 33) overruns the table (32 "
			 "bytes left)");
	/* An IVMD is exactly 32 bytes (5.2.3). */
	tb_minimal(&tb);
	tb_ivmd(&tb, 0x20, 1, 0, 0, 0x100000, 0x1000);
	put(&tb, 0, 4);
	put16(tb.b + 0x50 + 2, 36);
	n = tb_finish(&tb);
	expect_malformed(n, "ivmd type=0x20 at offset 0x50 has length 36, not 32 (5.2.3)");
}

static void test_trailing_bytes(void **state)
{
	size_t n;

	(void)state;
	for (int extra = 1; extra < 4; extra++) {
		char want[96];

		tb_minimal(&tb);
		put(&tb, 0x10, extra);
		n = tb_finish(&tb);
		snprintf(want, sizeof(want), "%d trailing byte(s) at offset 0x50 are too short for "
			 "a block header (5.2.1)", extra);
		expect_malformed(n, want);
	}
}

static void test_unknown_blocks_skipped(void **state)
{
	size_t n;

	(void)state;
	tb_minimal(&tb);
	put(&tb, 0x12, 1);		/* a future IVHD type */
	put(&tb, 0, 1);
	put(&tb, 12, 2);
	put(&tb, 0xffffffffffffffffULL, 8);
	put(&tb, 0xf0, 1);		/* unknown, minimal length 4 */
	put(&tb, 0, 1);
	put(&tb, 4, 2);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(info.nunknown, 2);
	assert_int_equal(info.nivhds, 1);
	expect_log("ivrs note: block type=0x12 length=12 at offset 0x50 is "
					"of a type this parser does not know: skipped", 1);
	assert_int_equal(info.warnings, 0);
}

static void test_no_ivhd(void **state)
{
	size_t n;

	(void)state;
	tb_init(&tb, 1, 0);
	tb_ivmd(&tb, 0x20, 7, 0, 0, 0x100000, 0x1000);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), E_NOENT);
	assert_false(info.malformed);
	assert_string_equal(info.reason, "no IOMMU (IVHD block) in the table");
	tb_init(&tb, 1, 0);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), E_NOENT);
}

/* ================= device entries (5.2.2) ================= */

static void test_all_entry_types(void **state)
{
	size_t s, n;
	const struct ivrs_ivhd *h;
	const struct ivrs_dev *d;
	uint64_t uid_int = 0x0102;

	(void)state;
	tb_init(&tb, 2, IVRS_IVINFO_EFR_SUP);
	s = tb_ivhd(&tb, IVRS_TYPE_IVHD_40, 0x30, D(0, 0, 2), BASE0, 0, 0, 0);
	tb_e4(&tb, IVRS_DEV_PAD, 0xffff, 0xff);
	tb_e4(&tb, IVRS_DEV_SELECT, D(0, 1, 0), IVRS_DTE_LINT0_PASS);
	tb_e4(&tb, IVRS_DEV_RANGE_START, D(1, 0, 0), 0x07);
	tb_e4(&tb, IVRS_DEV_RANGE_END, D(1, 31, 7), 0);
	tb_alias(&tb, IVRS_DEV_ALIAS_SELECT, D(3, 0, 0), D(0, 20, 4), 0);
	tb_alias(&tb, IVRS_DEV_ALIAS_RANGE, D(2, 0, 0), D(1, 0, 0), 0x10);
	tb_e4(&tb, IVRS_DEV_RANGE_END, D(2, 31, 7), 0);
	tb_ext(&tb, IVRS_DEV_EXT_SELECT, D(0, 8, 1), IVRS_EXT_ATS_DISABLED, 0);
	tb_ext(&tb, IVRS_DEV_EXT_RANGE, D(4, 0, 0), 0, 0);
	tb_e4(&tb, IVRS_DEV_RANGE_END, D(5, 31, 7), 0);
	tb_special(&tb, 33, D(0, 20, 0), IVRS_SPECIAL_IOAPIC, 0xd7);
	tb_special(&tb, 0, D(0, 20, 0), IVRS_SPECIAL_HPET, 0);
	tb_hid(&tb, D(0, 20, 5), "AMDI0020", "PNP0C01", IVRS_UID_STRING, 4, "ID00");
	tb_hid(&tb, D(0, 20, 6), "AMDI0030", "", IVRS_UID_INTEGER, 2, &uid_int);
	tb_hid(&tb, D(0, 20, 7), "AMDI0040", "", IVRS_UID_NONE, 0, "");
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(info.warnings, 0);
	h = &info.ivhds[0];
	assert_int_equal(h->ndevs, 11);

	d = dev_of(h, 0);
	assert_int_equal(d->kind, IVRS_KIND_SELECT);
	assert_int_equal(d->type, 0x02);
	assert_int_equal(d->offset, 0x30 + 40 + 4);
	assert_int_equal(d->first, D(0, 1, 0));
	assert_int_equal(d->last, D(0, 1, 0));
	assert_int_equal(d->dte, IVRS_DTE_LINT0_PASS);
	assert_false(d->has_alias);

	d = dev_of(h, 1);
	assert_int_equal(d->kind, IVRS_KIND_RANGE);
	assert_int_equal(d->first, D(1, 0, 0));
	assert_int_equal(d->last, D(1, 31, 7));
	assert_int_equal(d->dte, 0x07);		/* the start entry's setting */

	d = dev_of(h, 2);
	assert_int_equal(d->kind, IVRS_KIND_ALIAS_SELECT);
	assert_true(d->has_alias);
	assert_int_equal(d->alias, D(0, 20, 4));

	d = dev_of(h, 3);
	assert_int_equal(d->kind, IVRS_KIND_ALIAS_RANGE);
	assert_int_equal(d->first, D(2, 0, 0));
	assert_int_equal(d->last, D(2, 31, 7));
	assert_int_equal(d->alias, D(1, 0, 0));
	assert_int_equal(IVRS_DTE_SYS_MGT(d->dte), 1);

	d = dev_of(h, 4);
	assert_int_equal(d->kind, IVRS_KIND_EXT_SELECT);
	assert_true(d->has_ext);
	assert_int_equal(d->ext, IVRS_EXT_ATS_DISABLED);

	d = dev_of(h, 5);
	assert_int_equal(d->kind, IVRS_KIND_EXT_RANGE);
	assert_int_equal(d->first, D(4, 0, 0));
	assert_int_equal(d->last, D(5, 31, 7));
	assert_int_equal(d->ext, 0);

	d = dev_of(h, 6);
	assert_int_equal(d->kind, IVRS_KIND_SPECIAL);
	assert_int_equal(d->variety, IVRS_SPECIAL_IOAPIC);
	assert_int_equal(d->handle, 33);
	assert_int_equal(d->first, D(0, 20, 0));
	assert_int_equal(d->dte, 0xd7);
	assert_ptr_equal(ivrs_special(&info, IVRS_SPECIAL_IOAPIC, 33), d);
	assert_ptr_equal(ivrs_special(&info, IVRS_SPECIAL_HPET, 0), dev_of(h, 7));
	assert_null(ivrs_special(&info, IVRS_SPECIAL_IOAPIC, 0));

	d = dev_of(h, 8);
	assert_int_equal(d->kind, IVRS_KIND_ACPI_HID);
	assert_int_equal(d->first, D(0, 20, 5));
	assert_string_equal(d->hid, "AMDI0020");
	assert_string_equal(d->cid, "PNP0C01");
	assert_int_equal(d->uid_format, IVRS_UID_STRING);
	assert_string_equal(d->uid, "ID00");
	d = dev_of(h, 9);
	assert_string_equal(d->cid, "");
	assert_int_equal(d->uid_format, IVRS_UID_INTEGER);
	assert_string_equal(d->uid, "258");
	d = dev_of(h, 10);
	assert_int_equal(d->uid_format, IVRS_UID_NONE);
	assert_string_equal(d->uid, "");

	/* Lookups. */
	assert_int_equal(ivhd_of(0, D(1, 7, 3)), 0);
	assert_int_equal(ivhd_of(0, D(0, 2, 0)), -1);
	assert_int_equal(ivhd_of(1, D(0, 1, 0)), -1);
	assert_int_equal(ivrs_requester_id(&info, 0, D(2, 5, 1)), D(1, 0, 0));
	assert_int_equal(ivrs_requester_id(&info, 0, D(3, 0, 0)), D(0, 20, 4));
	assert_int_equal(ivrs_requester_id(&info, 0, D(3, 0, 1)), D(3, 0, 1));
	assert_int_equal(ivrs_requester_id(&info, 1, D(2, 5, 1)), D(2, 5, 1));

	/* The printed lines. */
	host_log_clear();
	ivrs_print(&info);
	expect_log("ivrs   dev kind=alias_range devid=02:00.0-02:1f.7 "
					"alias=01:00.0 dte=0x10 offset=0x", 1);
	expect_log("ivrs   dev kind=ext_select devid=00:08.1 ext=0x80000000 "
					"ats=disabled dte=0x00", 1);
	expect_log("ivrs   dev kind=special devid=00:14.0 variety=ioapic "
					"handle=33 dte=0xd7", 1);
	expect_log("ivrs   dev kind=acpi_hid devid=00:14.6 hid=AMDI0030 cid=- "
					"uid_format=integer uid=258 dte=0x40", 1);
	expect_log("ivrs   dev kind=acpi_hid devid=00:14.7 hid=AMDI0040 cid=- "
					"uid_format=none dte=0x40", 1);
}

static void test_all_entry(void **state)
{
	size_t s, n;

	(void)state;
	tb_init(&tb, 1, 0);
	s = tb_ivhd(&tb, IVRS_TYPE_IVHD_10, 0, D(0, 0, 2), BASE0, 0, 0, 0);
	tb_e4(&tb, IVRS_DEV_ALL, 0x1234, 0x01);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(info.devs[0].kind, IVRS_KIND_ALL);
	assert_int_equal(info.devs[0].first, 0);
	assert_int_equal(info.devs[0].last, 0xffff);
	assert_int_equal(ivhd_of(0, 0xffff), 0);
	assert_int_equal(ivhd_of(0, 0), 0);
	assert_int_equal(ivhd_of(1, 0), -1);
}

/* Each rule about ranges and entry sizes, one table each. */
static void test_entry_malformations(void **state)
{
	size_t s;

	(void)state;
	/* start followed by a select */
	tb_init(&tb, 1, 0);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0, 0, 0, 0);
	tb_e4(&tb, IVRS_DEV_RANGE_START, 0, 0);
	tb_e4(&tb, IVRS_DEV_SELECT, 8, 0);
	tb_close(&tb, s);
	expect_malformed(tb_finish(&tb), "ivhd at offset 0x30: start-of-range entry type=0x03 at "
			 "offset 0x48 is followed by type 0x02 at offset 0x4c, not by an "
			 "end-of-range entry (04h) (5.2.2)");
	/* ... even a pad entry in between */
	tb_init(&tb, 1, 0);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0, 0, 0, 0);
	tb_alias(&tb, IVRS_DEV_ALIAS_RANGE, 0x100, 0x8, 0);
	tb_e4(&tb, IVRS_DEV_PAD, 0, 0);
	tb_e4(&tb, IVRS_DEV_RANGE_END, 0x1ff, 0);
	tb_close(&tb, s);
	expect_malformed(tb_finish(&tb), "start-of-range entry type=0x43 at offset 0x48 is "
			 "followed by type 0x00 at offset 0x50");
	/* two starts */
	tb_init(&tb, 1, 0);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0, 0, 0, 0);
	tb_ext(&tb, IVRS_DEV_EXT_RANGE, 0x100, 0, 0);
	tb_e4(&tb, IVRS_DEV_RANGE_START, 0x200, 0);
	tb_e4(&tb, IVRS_DEV_RANGE_END, 0x2ff, 0);
	tb_close(&tb, s);
	expect_malformed(tb_finish(&tb), "start-of-range entry type=0x47 at offset 0x48 is "
			 "followed by type 0x03 at offset 0x50");
	/* end without start */
	tb_init(&tb, 1, 0);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0, 0, 0, 0);
	tb_e4(&tb, IVRS_DEV_RANGE_END, 0xff, 0);
	tb_close(&tb, s);
	expect_malformed(tb_finish(&tb), "ivhd at offset 0x30: end-of-range entry (04h) at offset "
			 "0x48 has no start-of-range entry (03h, 43h or 47h) right before it (5.2.2)");
	/* end below start */
	tb_init(&tb, 1, 0);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0, 0, 0, 0);
	tb_e4(&tb, IVRS_DEV_RANGE_START, 0x100, 0);
	tb_e4(&tb, IVRS_DEV_RANGE_END, 0xff, 0);
	tb_close(&tb, s);
	expect_malformed(tb_finish(&tb), "range from device ID 0x0100 (offset 0x48) to 0x00ff "
			 "(offset 0x4c) ends below its start (5.2.2)");
	/* start as the last entry of the block, the end in the next block */
	tb_init(&tb, 1, 0);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0, 0, 0, 0);
	tb_e4(&tb, IVRS_DEV_RANGE_START, 0x100, 0);
	tb_close(&tb, s);
	s = tb_ivhd(&tb, 0x10, 0, 0x10, BASE0 + 0x4000, 0, 0, 0);
	tb_e4(&tb, IVRS_DEV_RANGE_END, 0x1ff, 0);
	tb_close(&tb, s);
	expect_malformed(tb_finish(&tb), "start-of-range entry type=0x03 at offset 0x48 has no "
			 "end-of-range entry (04h) before the end of the block (5.2.2)");
	/* an 8-byte entry cut by the block end */
	tb_init(&tb, 1, 0);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0, 0, 0, 0);
	tb_alias(&tb, IVRS_DEV_ALIAS_SELECT, 0x100, 0x8, 0);
	tb_close(&tb, s);
	put16(tb.b + s + 2, 24 + 6);
	put(&tb, 0, 2);			/* keep the table length sane: 2 bytes after */
	expect_malformed(tb_finish(&tb), "ivhd at offset 0x30: device entry type=0x42 at offset "
			 "0x48 (8 bytes) overruns its block (6 bytes left)");
	/* a reserved variable-length code */
	tb_init(&tb, 1, 0);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0, 0, 0, 0);
	tb_e4(&tb, 0x80, 0, 0);
	tb_close(&tb, s);
	expect_malformed(tb_finish(&tb), "device entry at offset 0x48 has type 0x80, a reserved "
			 "variable-length code whose size is unknown: the rest of the block cannot "
			 "be read (5.2.2)");
	tb_init(&tb, 1, 0);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0, 0, 0, 0);
	tb_e4(&tb, 0xff, 0, 0);
	tb_close(&tb, s);
	expect_malformed(tb_finish(&tb), "has type 0xff, a reserved variable-length code");
}

static void test_acpi_hid_malformations(void **state)
{
	static const uint8_t nine[9] = { 1 };
	size_t s, n;

	(void)state;
	/* header shorter than 22 bytes */
	tb_init(&tb, 2, 0);
	s = tb_ivhd(&tb, 0x40, 0, 2, BASE0, 0, 0, 0);
	tb_e4(&tb, IVRS_DEV_ACPI_HID, 0xa5, 0);
	put(&tb, 0, 12);
	tb_close(&tb, s);
	expect_malformed(tb_finish(&tb), "ivhd at offset 0x30: acpi_hid entry at offset 0x58 needs "
			 "at least 22 bytes, the block has 16 left");
	/* UID longer than the block */
	tb_init(&tb, 2, 0);
	s = tb_ivhd(&tb, 0x40, 0, 2, BASE0, 0, 0, 0);
	tb_hid(&tb, 0xa5, "AMDI0020", "", IVRS_UID_STRING, 4, "ID00");
	tb_close(&tb, s);
	tb.b[s + 40 + 21] = 5;
	expect_malformed(tb_finish(&tb), "device entry type=0xf0 at offset 0x58 (27 bytes) overruns "
			 "its block (26 bytes left)");
	/* reserved UID format */
	tb_init(&tb, 2, 0);
	s = tb_ivhd(&tb, 0x40, 0, 2, BASE0, 0, 0, 0);
	tb_hid(&tb, 0xa5, "AMDI0020", "", 3, 1, "x");
	tb_close(&tb, s);
	expect_malformed(tb_finish(&tb), "acpi_hid entry at offset 0x58 has reserved UID format 3 "
			 "(5.2.2: 0 none, 1 integer, 2 string)");
	/* integer UID of 0 and 9 bytes */
	tb_init(&tb, 2, 0);
	s = tb_ivhd(&tb, 0x40, 0, 2, BASE0, 0, 0, 0);
	tb_hid(&tb, 0xa5, "AMDI0020", "", IVRS_UID_INTEGER, 9, nine);
	tb_close(&tb, s);
	expect_malformed(tb_finish(&tb), "has an integer UID of 9 bytes (5.2.2: 1 to 8)");
	tb_init(&tb, 2, 0);
	s = tb_ivhd(&tb, 0x40, 0, 2, BASE0, 0, 0, 0);
	tb_hid(&tb, 0xa5, "AMDI0020", "", IVRS_UID_INTEGER, 0, nine);
	tb_close(&tb, s);
	expect_malformed(tb_finish(&tb), "has an integer UID of 0 bytes");
	/* empty string UID */
	tb_init(&tb, 2, 0);
	s = tb_ivhd(&tb, 0x40, 0, 2, BASE0, 0, 0, 0);
	tb_hid(&tb, 0xa5, "AMDI0020", "", IVRS_UID_STRING, 0, "");
	tb_close(&tb, s);
	expect_malformed(tb_finish(&tb), "has a string UID of length 0 (5.2.2)");

	/* Firmware bugs, not fatal: UID bytes with format none; an empty
	 * _HID; a UID longer than kept; F0h in a type 10h block. */
	tb_init(&tb, 2, 0);
	s = tb_ivhd(&tb, 0x40, 0, 2, BASE0, 0, 0, 0);
	tb_hid(&tb, 0xa5, "AMDI0020", "", IVRS_UID_NONE, 2, "ab");
	tb_hid(&tb, 0xa6, "", "", IVRS_UID_STRING, 40,
	       "0123456789012345678901234567890123456789");
	tb_close(&tb, s);
	s = tb_ivhd(&tb, 0x10, 0, 0x10, BASE0 + 0x4000, 0, 0, 0);
	tb_hid(&tb, 0xa7, "AMDI0020", "", IVRS_UID_NONE, 0, "");
	tb_e4(&tb, IVRS_DEV_SELECT, 0x20, 0);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	expect_log("UID format is 'none' but UID length is 2 (5.2.2): UID "
					"bytes ignored", 1);
	expect_log("acpi_hid entry at offset 0x70: empty _HID (5.2.2)", 1);
	expect_log("ivrs limit: acpi_hid entry at offset 0x70: UID longer "
					"than 31 bytes: truncated", 1);
	expect_log("acpi_hid entry at offset 0xc6 belongs in type 40h blocks "
					"only (5.2.2): skipped", 1);
	assert_int_equal(info.warnings, 4);
	assert_int_equal(info.devs[0].uid_len, 0);
	assert_string_equal(info.devs[1].uid, "0123456789012345678901234567890");
	assert_int_equal(info.ivhds[1].ndevs, 1);
	assert_int_equal(ivhd_of(0, 0xa7), -1);
	assert_int_equal(ivhd_of(0, 0xa6), 0);	/* by the requester ID it uses */
}

static void test_reserved_entries_skipped(void **state)
{
	size_t s, n;

	(void)state;
	tb_init(&tb, 1, 0);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0, 0, 0, 0);
	tb_e4(&tb, 0x05, 0x10, 0);		/* reserved 4-byte code */
	tb_ext(&tb, 0x45, 0x18, 0, 0);		/* reserved 8-byte code */
	tb_special(&tb, 1, 0xa0, 3, 0);		/* reserved variety */
	tb_e4(&tb, IVRS_DEV_SELECT, 0x20, 0);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(info.ivhds[0].ndevs, 1);
	assert_int_equal(info.devs[0].first, 0x20);
	assert_int_equal(info.warnings, 3);
	expect_log("device entry at offset 0x48 has reserved type 0x05 "
					"(5.2.2): skipped", 1);
	expect_log("device entry at offset 0x4c has reserved type 0x45", 1);
	expect_log("special entry at offset 0x54 has reserved variety 3", 1);
	assert_int_equal(ivhd_of(0, 0x10), -1);
}

/* ================= IVHD types and blocks for one IOMMU ================= */

static void test_highest_type_supersedes(void **state)
{
	/* EFR image: XTSup, NXSup, GTSup, GASup, HATS=01b. */
	uint64_t efr = 1 << 2 | 1 << 3 | 1 << 4 | 1 << 7 | 1 << 10;
	struct ivrs_features f;
	size_t s, n;

	(void)state;
	tb_init(&tb, 2, IVRS_IVINFO_EFR_SUP);
	s = tb_ivhd(&tb, 0x10, 0xd1, 2, BASE0, 0, IVRS_FEAT_GT_SUP | 2u << 30, 0);
	tb_e4(&tb, IVRS_DEV_SELECT, 0x08, 0);		/* only in the 10h block */
	tb_e4(&tb, IVRS_DEV_SELECT, 0x10, 0);
	tb_close(&tb, s);
	s = tb_ivhd(&tb, 0x40, 0x30, 2, BASE0, 0, 0x00048000, efr);
	tb_e4(&tb, IVRS_DEV_SELECT, 0x10, 0);
	tb_e4(&tb, IVRS_DEV_SELECT, 0x18, 0);
	tb_close(&tb, s);
	s = tb_ivhd(&tb, 0x11, 0x30, 2, BASE0, 0, 0, efr);
	tb_e4(&tb, IVRS_DEV_SELECT, 0x10, 0);
	tb_close(&tb, s);
	/* another IOMMU, type 11h only */
	s = tb_ivhd(&tb, 0x11, 0x30, 0x4002, BASE0 + 0x80000, 0, 0, 0);
	tb_e4(&tb, IVRS_DEV_SELECT, 0x4010, 0);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(info.warnings, 0);
	assert_int_equal(info.nivhds, 4);
	assert_int_equal(info.niommus, 2);
	assert_int_equal(info.ivhds[0].superseded_by, 1);
	assert_int_equal(info.ivhds[1].superseded_by, -1);
	assert_int_equal(info.ivhds[1].iommu, 0);
	assert_int_equal(info.ivhds[2].superseded_by, 1);
	assert_int_equal(info.ivhds[3].superseded_by, -1);
	assert_int_equal(info.ivhds[3].iommu, 1);
	/* Lookups see the 40h block's entries only. */
	assert_int_equal(ivhd_of(0, 0x08), -1);
	assert_int_equal(ivhd_of(0, 0x10), 1);
	assert_int_equal(ivhd_of(0, 0x18), 1);
	assert_int_equal(ivhd_of(0, 0x4010), 3);
	/* Features: 10h from feature reporting, 40h from the EFR image. */
	assert_true(info.ivhds[1].has_efr);
	assert_int_equal(info.ivhds[1].efr, efr);
	assert_int_equal(IVRS_FEAT_PN_BANKS(info.ivhds[1].feat), 2);
	assert_int_equal(IVRS_FEAT_PN_COUNTERS(info.ivhds[1].feat), 4);
	ivrs_ivhd_features(&info.ivhds[0], &f);
	assert_string_equal(f.source, "feature_reporting");
	assert_true(f.gt);
	assert_false(f.xt);
	assert_int_equal(f.hats, 2);
	ivrs_ivhd_features(&info.ivhds[1], &f);
	assert_string_equal(f.source, "efr");
	assert_true(f.xt && f.nx && f.gt && f.ga);
	assert_false(f.ia || f.he);
	assert_int_equal(f.hats, 1);
	assert_int_equal(f.gats, 0);
	host_log_clear();
	ivrs_print(&info);
	expect_log("ivrs ivhd index=0 type=0x10 offset=0x30 superseded_by=1 "
					"devid=00:00.2", 1);
	expect_log("ivrs ivhd index=1 type=0x40 offset=0x50 iommu=0 "
					"devid=00:00.2 segment=0 base=0xfeb80000 cap_offset=0x40 "
					"flags=0x30 info=0x300 msi_num=0 unit_id=3 attributes=0x48000 "
					"efr=0x49c entries=2", 1);
	/* the 40h block and the superseded 11h one carry the same image */
	expect_log("ivrs   features source=efr xt=yes nx=yes gt=yes ia=no "
					"ga=yes he=no hats=1 gats=0", 2);
}

static void test_efr_without_efrsup(void **state)
{
	struct ivrs_features f;
	size_t s, n;

	(void)state;
	tb_init(&tb, 2, 0);
	s = tb_ivhd(&tb, 0x11, 0, 2, BASE0, 0, 0, ~0ULL);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	assert_false(info.ivhds[0].has_efr);
	ivrs_ivhd_features(&info.ivhds[0], &f);
	assert_string_equal(f.source, "none");
	assert_false(f.xt);
}

static void test_block_header_bugs(void **state)
{
	size_t s, n;

	(void)state;
	/* 40h in a revision 1 table; flags bits 7:6 set in 11h/40h. */
	tb_init(&tb, 1, 0);
	s = tb_ivhd(&tb, 0x40, 0xc0, 2, BASE0, 0, 0, 0);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(info.warnings, 2);
	expect_log("ivrs ivhd 0 at offset 0x30 is of type 40h in a revision 1 "
					"table (5.2.1: type 40h needs revision 2)", 1);
	expect_log("flags 0xc0 set bits 7:6, reserved in types 11h and 40h", 1);
	/* Same type twice for one IOMMU: the first is used. */
	tb_init(&tb, 1, 0);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0, 0, 0, 0);
	tb_e4(&tb, IVRS_DEV_SELECT, 0x10, 0);
	tb_close(&tb, s);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0, 0, 0, 0);
	tb_e4(&tb, IVRS_DEV_SELECT, 0x18, 0);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	host_log_clear();
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(info.ivhds[1].superseded_by, 0);
	expect_log("ivrs ivhd 1 at offset 0x4c repeats ivhd 0 (same type "
					"0x10, segment and IOMMU device ID): ignored", 1);
	assert_int_equal(ivhd_of(0, 0x18), -1);
	/* Same device ID in another segment: another IOMMU. */
	tb_init(&tb, 1, 0);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0, 0, 0, 0);
	tb_close(&tb, s);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0 + 0x4000, 1, 0, 0);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(info.niommus, 2);
}

static void test_base_mismatch_fails_closed(void **state)
{
	size_t s, n;

	(void)state;
	tb_init(&tb, 2, 0);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0, 0, 0, 0);
	tb_close(&tb, s);
	s = tb_ivhd(&tb, 0x11, 0, 2, BASE0 + 0x4000, 0, 0, 0);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), E_INVAL);
	assert_false(info.malformed);
	assert_string_equal(info.reason, "ivhd 0 (offset 0x30) and ivhd 1 (offset 0x48) describe the "
			    "same IOMMU (segment 0, device ID 0x0002) with different register bases "
			    "0xfeb80000 and 0xfeb84000 (5.2.2)");
}

static void test_bad_register_bases(void **state)
{
	static const struct { uint64_t base; const char *why; } cases[] = {
		{ 0, "zero" }, { ~0ULL, "all-ones" }, { BASE0 + 0x1000, "not 16 KiB aligned" },
	};
	size_t s, n;
	char want[160];

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		tb_init(&tb, 1, 0);
		s = tb_ivhd(&tb, 0x10, 0, 2, cases[i].base, 0, 0, 0);
		tb_close(&tb, s);
		n = tb_finish(&tb);
		host_log_clear();
		assert_int_equal(parse(tb.b, n), E_INVAL);
		assert_false(info.malformed);
		assert_false(info.ivhds[0].usable);
		snprintf(want, sizeof(want), "register base is %s (firmware bug): this block is "
			 "unusable", cases[i].why);
		expect_log(want, 1);
		snprintf(want, sizeof(want), "ivhd 0 has an invalid register base 0x%llx: devices "
			 "under it cannot be protected", (unsigned long long)cases[i].base);
		assert_string_equal(info.reason, want);
	}
	/* A bad base in a superseded block does not matter... but the blocks
	 * of one IOMMU must agree, so a superseded block with base 0 fails by
	 * the mismatch rule instead. */
	tb_init(&tb, 2, 0);
	s = tb_ivhd(&tb, 0x10, 0, 2, 0, 0, 0, 0);
	tb_close(&tb, s);
	s = tb_ivhd(&tb, 0x11, 0, 2, BASE0, 0, 0, 0);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), E_INVAL);
	assert_non_null(strstr(info.reason, "with different register bases 0x0 and 0xfeb80000"));
}

/* ================= cross-block rules ================= */

static void test_overlap_warnings_are_bounded(void **state)
{
	size_t s, n;

	(void)state;
	/* 40 IOMMUs' worth of "all" entries would be 780 pairs: 16 listed,
	 * the rest counted in one line. 20 blocks x 2 ranges here. */
	tb_init(&tb, 1, 0);
	for (int b = 0; b < 20; b++) {
		s = tb_ivhd(&tb, 0x10, 0, (uint16_t)(b * 8), BASE0 + 0x4000 * (uint64_t)b, 0, 0, 0);
		tb_e4(&tb, IVRS_DEV_RANGE_START, 0, 0);
		tb_e4(&tb, IVRS_DEV_RANGE_END, 0xff, 0);
		tb_close(&tb, s);
	}
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	expect_log("overlap across IOMMUs: the first is used", 16);
	expect_log("ivrs 174 more overlapping device entries not listed (190 in all)", 1);
	assert_int_equal(info.warnings, 17);
}

static void test_alias_conflicts(void **state)
{
	size_t s, n;

	(void)state;
	tb_init(&tb, 1, 0);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0, 0, 0, 0);
	tb_alias(&tb, IVRS_DEV_ALIAS_RANGE, 0x300, 0x100, 0);
	tb_e4(&tb, IVRS_DEV_RANGE_END, 0x3ff, 0);
	tb_alias(&tb, IVRS_DEV_ALIAS_SELECT, 0x3f0, 0xa4, 0);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), E_INVAL);
	assert_false(info.malformed);
	assert_string_equal(info.reason, "alias conflict: entries at offsets 0x48 and 0x54 alias "
			    "device IDs 0x0300-0x03ff and 0x03f0-0x03f0 of segment 0 to different "
			    "requester IDs 0x0100 and 0x00a4 (5.2.2)");
	/* The same alias twice, or the same IDs in another segment: fine. */
	tb_init(&tb, 1, 0);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0, 0, 0, 0);
	tb_alias(&tb, IVRS_DEV_ALIAS_RANGE, 0x300, 0x100, 0);
	tb_e4(&tb, IVRS_DEV_RANGE_END, 0x3ff, 0);
	tb_alias(&tb, IVRS_DEV_ALIAS_SELECT, 0x3f0, 0x100, 0);
	tb_close(&tb, s);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0 + 0x4000, 1, 0, 0);
	tb_alias(&tb, IVRS_DEV_ALIAS_SELECT, 0x3f0, 0xa4, 0);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(ivrs_requester_id(&info, 0, 0x3f0), 0x100);
	assert_int_equal(ivrs_requester_id(&info, 1, 0x3f0), 0xa4);
	/* An alias in a superseded block is not in effect. */
	tb_init(&tb, 2, 0);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0, 0, 0, 0);
	tb_alias(&tb, IVRS_DEV_ALIAS_SELECT, 0x3f0, 0xa4, 0);
	tb_close(&tb, s);
	s = tb_ivhd(&tb, 0x11, 0, 2, BASE0, 0, 0, 0);
	tb_alias(&tb, IVRS_DEV_ALIAS_SELECT, 0x3f0, 0x100, 0);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(ivrs_requester_id(&info, 0, 0x3f0), 0x100);
}

static void test_overlapping_claims(void **state)
{
	size_t s, n;

	(void)state;
	tb_init(&tb, 1, 0);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0, 0, 0, 0);
	tb_e4(&tb, IVRS_DEV_RANGE_START, 0x000, 0);
	tb_e4(&tb, IVRS_DEV_RANGE_END, 0x0ff, 0);
	tb_e4(&tb, IVRS_DEV_RANGE_START, 0x080, 0);
	tb_e4(&tb, IVRS_DEV_RANGE_END, 0x17f, 0);
	tb_e4(&tb, IVRS_DEV_SELECT, 0x010, 0);	/* inside a range: normal (QEMU) */
	tb_close(&tb, s);
	s = tb_ivhd(&tb, 0x10, 0, 0x202, BASE0 + 0x4000, 0, 0, 0);
	tb_e4(&tb, IVRS_DEV_SELECT, 0x150, 0);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(info.warnings, 2);
	expect_log("ivrs ivhd 0: range entry at offset 0x48 (0x0000-0x00ff) "
					"overlaps range entry at offset 0x50 (0x0080-0x017f)", 1);
	expect_log("ivrs device IDs 0x0080-0x017f (offset 0x50, ivhd 0) and "
					"0x0150-0x0150 (offset 0x74, ivhd 1) of segment 0 overlap "
					"across IOMMUs: the first is used", 1);
	assert_int_equal(ivhd_of(0, 0x150), 0);
}

/* ================= IVMD (5.2.3) ================= */

static bool reserved_below_2g(void *ctx, paddr_t base, paddr_t end)
{
	(void)ctx;
	return base >= 0x7e000000 && end < 0x80000000;
}

static void test_ivmd_fields_and_validation(void **state)
{
	struct ivrs_env env = { .is_reserved = reserved_below_2g };
	size_t n;

	(void)state;
	tb_minimal(&tb);
	tb_ivmd(&tb, 0x20, IVRS_IVMD_UNITY | IVRS_IVMD_IR | IVRS_IVMD_IW, 0x1234, 0x5678,
		0x7ec00000, 0x100000);
	tb_ivmd(&tb, 0x21, IVRS_IVMD_UNITY | IVRS_IVMD_IR, 0x10, 0, 0x7ed00000, 0x10000);
	tb_ivmd(&tb, 0x22, IVRS_IVMD_EXCLUSION, 0x20, 0x2f, 0x7ee00000, 0x200000);
	/* invalid ones */
	tb_ivmd(&tb, 0x21, 1, 0x10, 0, 0x7ef00800, 0x1000);
	tb_ivmd(&tb, 0x21, 1, 0x10, 0, 0x7ef00000, 0x1800);
	tb_ivmd(&tb, 0x21, 1, 0x10, 0, 0x7ef00000, 0);
	tb_ivmd(&tb, 0x21, 1, 0x10, 0, 0xfffffffffffff000ULL, 0x2000);
	tb_ivmd(&tb, 0x22, 1, 0x20, 0x1f, 0x7ef00000, 0x1000);
	tb_ivmd(&tb, 0x21, IVRS_IVMD_IR | IVRS_IVMD_IW, 0x10, 0, 0x7ef00000, 0x1000);
	n = tb_finish(&tb);
	assert_int_equal(parse_env(tb.b, n, &env), 0);
	assert_int_equal(info.nivmds, 9);
	assert_int_equal(info.ivmds[0].first, 0);
	assert_int_equal(info.ivmds[0].last, 0xffff);
	assert_int_equal(info.ivmds[1].first, 0x10);
	assert_int_equal(info.ivmds[1].last, 0x10);
	assert_int_equal(info.ivmds[2].first, 0x20);
	assert_int_equal(info.ivmds[2].last, 0x2f);
	assert_int_equal(info.ivmds[2].start, 0x7ee00000);
	assert_int_equal(info.ivmds[2].length, 0x200000);
	for (int i = 0; i < 3; i++)
		assert_true(info.ivmds[i].valid);
	for (int i = 3; i < 9; i++)
		assert_false(info.ivmds[i].valid);
	assert_int_equal(info.warnings, 6);
	expect_log("start is not 4 KiB aligned (5.2.3): block ignored", 1);
	expect_log("length is not a multiple of 4 KiB", 1);
	expect_log("length is 0", 1);
	expect_log("start + length wraps around the address space", 1);
	expect_log("device range ends below its start", 1);
	expect_log("neither unity map nor exclusion range", 1);
	host_log_clear();
	ivrs_print(&info);
	expect_log("ivrs ivmd index=2 type=0x22 offset=0x90 devid=00:04.0-"
					"00:05.7 start=0x7ee00000 length=0x200000 flags=0x08 "
					"unity=no ir=no iw=no exclusion=yes", 1);
	expect_log("ivrs ivmd index=0 type=0x20 offset=0x50 devid=all", 1);
	expect_log("valid=no", 6);
}

static void test_ivmd_cross_checks(void **state)
{
	struct ivrs_env env = { .is_reserved = reserved_below_2g };
	size_t n;

	(void)state;
	tb_minimal(&tb);
	tb_ivmd(&tb, 0x21, 7, 0x10, 0, 0x7ec00000, 0x2000);
	tb_ivmd(&tb, 0x22, 3, 0x08, 0x18, 0x7ec01000, 0x2000);	/* overlaps, other flags */
	tb_ivmd(&tb, 0x21, 7, 0x10, 0, 0x7ec00000, 0x2000);	/* = 0: fine, but != 1 */
	tb_ivmd(&tb, 0x21, 7, 0x4000, 0, 0x7ed00000, 0x1000);	/* under no IOMMU */
	tb_ivmd(&tb, 0x20, 0x17, 0, 0, 0x90000000, 0x1000);	/* RAM; reserved flag */
	n = tb_finish(&tb);
	assert_int_equal(parse_env(tb.b, n, &env), 0);
	assert_int_equal(info.warnings, 5);
	expect_log("ivrs ivmd 2 start=0x7ec00000 length=0x2000 flags=0x7 overlaps ivmd 1", 1);
	expect_log("overlaps ivmd 0", 1);
	expect_log("ivrs ivmd 1 start=0x7ec01000 length=0x2000 flags=0x3 "
					"overlaps ivmd 0 start=0x7ec00000 length=0x2000 flags=0x7 "
					"for the same devices with different flags", 1);
	expect_log("ivrs ivmd 3 device IDs 0x4000-0x4000 are under no IOMMU "
					"(5.2.3)", 1);
	expect_log("ivrs ivmd 4 at offset 0xd0: flags 0x17 set reserved bits "
					"7:4 (5.2.3)", 1);
	expect_log("ivrs ivmd 4 start=0x90000000 length=0x1000 is not "
					"reserved in the memory map", 1);
	/* Without an environment the memory-map check is skipped. */
	host_log_clear();
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(info.warnings, 4);
}

/* ================= limits and coverage ================= */

static void test_limits(void **state)
{
	size_t s, n;

	(void)state;
	/* One IVHD too many: fails closed. */
	tb_init(&tb, 1, 0);
	for (int i = 0; i <= IVRS_MAX_IVHDS; i++) {
		s = tb_ivhd(&tb, 0x10, 0, (uint16_t)(i * 8), BASE0 + 0x4000 * (uint64_t)i, 0, 0, 0);
		tb_close(&tb, s);
	}
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), E_RANGE);
	assert_int_equal(info.nivhds, IVRS_MAX_IVHDS);
	assert_int_equal(info.ndropped, 1);
	assert_false(info.malformed);
	expect_log("ivrs limit: more than 32 IVHD blocks: ivhd at offset 0x", 1);
	/* Device entries: one too many -> fails closed; exactly the limit is fine. */
	for (int extra = 0; extra < 2; extra++) {
		tb_init(&tb, 1, 0);
		for (int b = 0; b < 2; b++) {
			s = tb_ivhd(&tb, 0x10, 0, (uint16_t)(b * 8), BASE0 + 0x4000 * (uint64_t)b, 0,
				    0, 0);
			for (int i = 0; i < IVRS_MAX_DEVS / 2 + (b ? extra : 0); i++)
				tb_e4(&tb, IVRS_DEV_SELECT, (uint16_t)(b << 12 | i), 0);
			tb_close(&tb, s);
		}
		n = tb_finish(&tb);
		host_log_clear();
		assert_int_equal(parse(tb.b, n), extra ? E_RANGE : 0);
		assert_int_equal(info.ndevs, IVRS_MAX_DEVS);
		expect_log("ivrs limit: more than 512 device entries", extra);
	}
	/* IVMDs beyond the limit: dropped with a warning, still usable. */
	tb_minimal(&tb);
	for (int i = 0; i <= IVRS_MAX_IVMDS; i++)
		tb_ivmd(&tb, 0x20, 1, 0, 0, 0x100000 * (uint64_t)(i + 1), 0x1000);
	n = tb_finish(&tb);
	host_log_clear();
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(info.nivmds, IVRS_MAX_IVMDS);
	assert_int_equal(info.ndropped, 1);
	expect_log("ivrs limit: more than 64 IVMD blocks", 1);
}

static void test_report_uncovered(void **state)
{
	const struct ivrs_bdf devs[] = {
		{ 0, D(0, 3, 0) }, { 0, D(1, 0, 0) }, { 1, D(0, 3, 0) }, { 0, D(0, 31, 7) },
	};
	size_t n = tb_minimal(&tb);

	(void)state;
	assert_int_equal(parse(tb.b, n), 0);
	host_log_clear();
	assert_int_equal(ivrs_report_uncovered(&info, devs, ARRAY_SIZE(devs)), 2);
	expect_log("ivrs device 0000:01:00.0 is covered by no IOMMU: it can "
					"DMA anywhere in memory", 1);
	expect_log("ivrs device 0001:00:03.0 is covered by no IOMMU", 1);
	/* Under an unusable block. */
	tb_minimal(&tb);
	put32(tb.b + 0x38, 0);
	put32(tb.b + 0x3c, 0);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), E_INVAL);
	host_log_clear();
	assert_int_equal(ivrs_report_uncovered(&info, devs, 1), 1);
	expect_log("ivrs device 0000:00:03.0 is under ivhd 0, which is "
					"unusable", 1);
}

static void test_highest_devid_and_exclusions(void **state)
{
	const struct ivrs_ivmd *m;
	size_t s, n;

	(void)state;
	assert_int_equal(parse_aml("ivrs-server"), 0);
	assert_int_equal(ivrs_highest_devid(&info, 0), 0x7fff);
	assert_int_equal(ivrs_highest_devid(&info, 1), 0xffff);	/* 01h all */
	assert_int_equal(ivrs_highest_devid(&info, 2), -1);
	m = ivrs_exclusion_overlapping(&info, 0x7ee1f000, 0x7ee1ffff);
	assert_non_null(m);
	assert_int_equal(m->start, 0x7ee00000);
	assert_non_null(ivrs_exclusion_overlapping(&info, 0x7edff000, 0x7ee00000));
	assert_non_null(ivrs_exclusion_overlapping(&info, 0x7effffff, 0x7f000fff));
	assert_null(ivrs_exclusion_overlapping(&info, 0x7f000000, 0x7fffffff));
	/* unity maps are not exclusion ranges */
	assert_null(ivrs_exclusion_overlapping(&info, 0x7ec00000, 0x7ecfffff));

	/* An alias above every named device counts; superseded blocks and
	 * invalid IVMDs do not. */
	tb_init(&tb, 2, 0);
	s = tb_ivhd(&tb, 0x10, 0, 2, BASE0, 0, 0, 0);
	tb_e4(&tb, IVRS_DEV_SELECT, 0x9000, 0);
	tb_close(&tb, s);
	s = tb_ivhd(&tb, 0x11, 0, 2, BASE0, 0, 0, 0);
	tb_alias(&tb, IVRS_DEV_ALIAS_SELECT, 0x10, 0x300, 0);
	tb_close(&tb, s);
	tb_ivmd(&tb, 0x20, IVRS_IVMD_EXCLUSION, 0, 0, 0x100800, 0x1000);	/* misaligned */
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(ivrs_highest_devid(&info, 0), 0x300);
	assert_false(info.ivmds[0].valid);
	assert_null(ivrs_exclusion_overlapping(&info, 0, ~0ULL));
}

/* ================= the iasl-built tables ================= */

static void test_qemu_aml(void **state)
{
	const struct ivrs_ivhd *h;

	(void)state;
	assert_int_equal(parse_aml("ivrs-qemu"), 0);
	assert_int_equal(info.warnings, 0);
	assert_int_equal(info.ivinfo, 0x2800);
	assert_int_equal(info.niommus, 1);
	h = &info.ivhds[0];
	assert_int_equal(h->base, 0xfed80000);
	assert_int_equal(h->devid, D(0, 1, 0));
	assert_int_equal(h->flags, 0xd1);
	assert_int_equal(h->feat, IVRS_FEAT_GT_SUP | IVRS_FEAT_GA_SUP);
	assert_int_equal(h->ndevs, 9);
	assert_int_equal(ivhd_of(0, D(0, 1, 0)), 0);	/* the IOMMU itself */
	assert_int_equal(ivhd_of(0, D(0, 2, 0)), 0);
	assert_int_equal(ivhd_of(0, D(1, 0, 0)), -1);
	assert_non_null(ivrs_special(&info, IVRS_SPECIAL_IOAPIC, 0));
	assert_int_equal(ivrs_special(&info, IVRS_SPECIAL_IOAPIC, 0)->first, D(0, 20, 0));
}

static void test_server_aml(void **state)
{
	(void)state;
	assert_int_equal(parse_aml("ivrs-server"), 0);
	assert_int_equal(info.warnings, 0);
	assert_int_equal(info.niommus, 3);
	assert_int_equal(info.ndevs, 11);
	assert_int_equal(info.nivmds, 3);
	assert_int_equal(ivhd_of(0, D(0x3f, 31, 7)), 0);
	assert_int_equal(ivhd_of(0, D(0x40, 0, 0)), 1);
	assert_int_equal(ivhd_of(0, D(0x80, 0, 0)), -1);
	assert_int_equal(ivhd_of(1, D(0x80, 0, 0)), 2);
	assert_int_equal(ivrs_requester_id(&info, 0, D(2, 3, 0)), D(1, 0, 0));
	assert_int_equal(ivrs_requester_id(&info, 0, D(3, 0, 0)), D(0, 20, 4));
	assert_int_equal(ivrs_special(&info, IVRS_SPECIAL_IOAPIC, 34)->first, D(0, 0, 1));
	assert_int_equal(ivrs_special(&info, IVRS_SPECIAL_HPET, 0)->first, D(0, 20, 0));
	assert_true(info.ivmds[2].flags & IVRS_IVMD_EXCLUSION);
}

static void test_bad_aml(void **state)
{
	static const struct { const char *name; int rc; bool malformed; } cases[] = {
		{ "ivrs-badbase", E_INVAL, false },
		{ "ivrs-bad-alias-conflict", E_INVAL, false },
		{ "ivrs-bad-base-mismatch", E_INVAL, false },
		{ "ivrs-bad-no-ivhd", E_NOENT, false },
		{ "ivrs-bad-unclosed", E_INVAL, true },
		{ "ivrs-bad-orphan-end", E_INVAL, true },
		{ "ivrs-bad-backwards", E_INVAL, true },
		{ "ivrs-bad-open-at-end", E_INVAL, true },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		host_log_clear();
		assert_int_equal(parse_aml(cases[i].name), cases[i].rc);
		assert_int_equal(info.malformed, cases[i].malformed);
		assert_true(info.reason[0] != '\0');
		expect_log("error: ivrs ", 1);
	}
	assert_int_equal(parse_aml("ivrs-fwbugs"), 0);
	assert_int_equal(info.warnings, 10);
}

/* ================= robustness ================= */

static uint32_t rng_state = 0x1f2e3d4c;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* A table with one of everything, types 11h/40h and F0h included. */
static size_t tb_everything(struct tb *t)
{
	size_t s;

	tb_init(t, 2, IVRS_IVINFO_EFR_SUP);
	s = tb_ivhd(t, 0x10, 0xd1, 2, BASE0, 0, 0x44, 0);
	tb_e4(t, IVRS_DEV_SELECT, 0x08, 0);
	tb_close(t, s);
	s = tb_ivhd(t, 0x40, 0x30, 2, BASE0, 0, 0, 0x49c);
	tb_e4(t, IVRS_DEV_ALL, 0, 0);
	tb_e4(t, IVRS_DEV_RANGE_START, 0x100, 0);
	tb_e4(t, IVRS_DEV_RANGE_END, 0x1ff, 0);
	tb_alias(t, IVRS_DEV_ALIAS_SELECT, 0x300, 0xa4, 0);
	tb_alias(t, IVRS_DEV_ALIAS_RANGE, 0x200, 0x100, 0);
	tb_e4(t, IVRS_DEV_RANGE_END, 0x2ff, 0);
	tb_ext(t, IVRS_DEV_EXT_SELECT, 0x41, IVRS_EXT_ATS_DISABLED, 0);
	tb_ext(t, IVRS_DEV_EXT_RANGE, 0x400, 0, 0);
	tb_e4(t, IVRS_DEV_RANGE_END, 0x4ff, 0);
	tb_special(t, 33, 0xa0, 1, 0xd7);
	tb_hid(t, 0xa5, "AMDI0020", "PNP0C01", IVRS_UID_STRING, 4, "ID00");
	tb_close(t, s);
	s = tb_ivhd(t, 0x11, 0x30, 0x4002, BASE0 + 0x80000, 0, 0, 0);
	tb_e4(t, IVRS_DEV_SELECT, 0x4010, 0);
	tb_close(t, s);
	tb_ivmd(t, 0x20, 7, 0, 0, 0x7ec00000, 0x100000);
	tb_ivmd(t, 0x21, 3, 0x08, 0, 0x7ed00000, 0x1000);
	tb_ivmd(t, 0x22, 8, 0x100, 0x1ff, 0x7ee00000, 0x2000);
	return tb_finish(t);
}

static void test_everything_table(void **state)
{
	size_t n = tb_everything(&tb);

	(void)state;
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(info.niommus, 2);
	assert_int_equal(info.ndevs, 1 + 8 + 1);
	assert_int_equal(info.nivmds, 3);
	/* Every truncation of it (header length kept) is refused. */
	for (size_t len = 0; len < n; len++) {
		assert_int_equal(parse(tb.b, len), E_INVAL);
		assert_true(info.malformed);
	}
}

static void check_invariants(void)
{
	assert_true(info.nivhds <= IVRS_MAX_IVHDS);
	assert_true(info.ndevs <= IVRS_MAX_DEVS);
	assert_true(info.nivmds <= IVRS_MAX_IVMDS);
	assert_int_equal(info.usable, info.error == 0);
	if (!info.usable)
		assert_true(info.reason[0] != '\0');
	for (unsigned i = 0; i < info.ndevs; i++) {
		assert_true(info.devs[i].first <= info.devs[i].last);
		assert_true(info.devs[i].ivhd < info.nivhds);
	}
	ivrs_print(&info);
}

static void test_fuzz_corrupted_tables(void **state)
{
	static const char *const names[] = { "ivrs-qemu", "ivrs-server", "ivrs-fwbugs", NULL };
	unsigned good = 0, bad = 0;

	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(names); f++) {
		size_t n;
		uint8_t *src, *b;

		if (names[f]) {
			src = load_aml(names[f], &n);
		} else {
			n = tb_everything(&tb);
			src = malloc(n);
			assert_non_null(src);
			memcpy(src, tb.b, n);
		}
		b = malloc(n);
		assert_non_null(b);
		for (int iter = 0; iter < 3000; iter++) {
			size_t len = n;
			int flips = 1 + (int)(rng() % 4);

			memcpy(b, src, n);
			for (int k = 0; k < flips; k++) {
				size_t at = 36 + rng() % (n - 36);

				/* Favour small values: lengths and type codes at the edges. */
				b[at] = (rng() & 1) ? (uint8_t)rng() : (uint8_t)(rng() % 12);
			}
			if (rng() % 4 == 0) {
				len = 48 + rng() % (n - 48);
				put32(b + 4, (uint32_t)len);
			}
			fix_checksum(b, len);
			host_log_clear();
			if (parse(b, len) == 0)
				good++;
			else
				bad++;
			check_invariants();
		}
		free(b);
		free(src);
	}
	assert_true(good > 100);
	assert_true(bad > 100);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_minimal_table),
		T(test_ivinfo_fields),
		T(test_short_buffers),
		T(test_bad_signature),
		T(test_header_lengths),
		T(test_bad_checksum),
		T(test_block_lengths),
		T(test_trailing_bytes),
		T(test_unknown_blocks_skipped),
		T(test_no_ivhd),
		T(test_all_entry_types),
		T(test_all_entry),
		T(test_entry_malformations),
		T(test_acpi_hid_malformations),
		T(test_reserved_entries_skipped),
		T(test_highest_type_supersedes),
		T(test_efr_without_efrsup),
		T(test_block_header_bugs),
		T(test_base_mismatch_fails_closed),
		T(test_bad_register_bases),
		T(test_alias_conflicts),
		T(test_overlapping_claims),
		T(test_overlap_warnings_are_bounded),
		T(test_ivmd_fields_and_validation),
		T(test_ivmd_cross_checks),
		T(test_limits),
		T(test_report_uncovered),
		T(test_highest_devid_and_exclusions),
		T(test_qemu_aml),
		T(test_server_aml),
		T(test_bad_aml),
		T(test_everything_table),
		T(test_fuzz_corrupted_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
