/* Unit tests for src/iommu/dmar.c (the DMAR parser, Intel VT-d spec ch. 8).
 *
 * Two sources of tables:
 *  - build/acpi/NAME.aml, compiled by iasl from tests/acpi/NAME.asl before the unit
 *    tests run (paths relative to the repository root, where tests run);
 *  - byte arrays built here with a small builder (struct tb), for what iasl
 *    cannot express: every malformation (iasl recomputes lengths and
 *    checksums, and hangs on inconsistent structure lengths), SATC, the
 *    DRHD size field, limits.
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
#include "iommu/dmar.h"
#include "lib/error.h"

static struct dmar_info info;	/* ~30 KiB: not on the stack */

/* ---- parsing from an exact-size heap copy ---- */

static int parse_env(const uint8_t *bytes, size_t n, const struct dmar_env *env)
{
	uint8_t *copy = malloc(n ? n : 1);
	int rc;

	assert_non_null(copy);
	memcpy(copy, bytes, n);
	rc = dmar_parse(copy, n, env, &info);
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

/* ---- the iasl-built tables ---- */

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

/* ---- a table builder ---- */

struct tb {
	uint8_t b[16384];
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

static void tb_init(struct tb *t, uint8_t haw_field, uint8_t flags)
{
	memset(t, 0, sizeof(*t));
	putmem(t, "DMAR", 4);
	put(t, 0, 4);			/* length, set by tb_finish */
	put(t, 1, 1);			/* revision */
	put(t, 0, 1);			/* checksum */
	putmem(t, "SHOJI ", 6);
	putmem(t, "UNITTEST", 8);
	put(t, 1, 4);
	putmem(t, "SHOJ", 4);
	put(t, 1, 4);
	put(t, haw_field, 1);
	put(t, flags, 1);
	put(t, 0, 10);
	assert_int_equal(t->n, 48);
}

static size_t tb_open(struct tb *t, uint16_t type)
{
	size_t s = t->n;

	put(t, type, 2);
	put(t, 0, 2);
	return s;
}

static void tb_close(struct tb *t, size_t s)
{
	put16(t->b + s + 2, (uint16_t)(t->n - s));
}

static size_t tb_drhd(struct tb *t, uint8_t flags, uint8_t size, uint16_t seg, uint64_t base)
{
	size_t s = tb_open(t, 0);

	put(t, flags, 1);
	put(t, size, 1);
	put(t, seg, 2);
	put(t, base, 8);
	return s;
}

static size_t tb_rmrr(struct tb *t, uint16_t seg, uint64_t base, uint64_t limit)
{
	size_t s = tb_open(t, 1);

	put(t, 0, 2);
	put(t, seg, 2);
	put(t, base, 8);
	put(t, limit, 8);
	return s;
}

static size_t tb_atsr_satc(struct tb *t, uint16_t type, uint8_t flags, uint16_t seg)
{
	size_t s = tb_open(t, type);

	put(t, flags, 1);
	put(t, 0, 1);
	put(t, seg, 2);
	return s;
}

static void tb_rhsa(struct tb *t, uint64_t base, uint32_t prox)
{
	size_t s = tb_open(t, 3);

	put(t, 0, 4);
	put(t, base, 8);
	put(t, prox, 4);
	tb_close(t, s);
}

static void tb_andd(struct tb *t, uint8_t number, const char *name, size_t name_bytes)
{
	size_t s = tb_open(t, 4);

	put(t, 0, 3);
	put(t, number, 1);
	putmem(t, name, name_bytes);
	tb_close(t, s);
}

/* A device scope with nhops (dev, fn) pairs given as ints. */
static void tb_scope(struct tb *t, uint8_t type, uint8_t enum_id, uint8_t bus, int nhops, ...)
{
	va_list ap;

	put(t, type, 1);
	put(t, 6 + 2 * nhops, 1);
	put(t, 0, 2);
	put(t, enum_id, 1);
	put(t, bus, 1);
	va_start(ap, nhops);
	for (int i = 0; i < nhops; i++) {
		put(t, (uint8_t)va_arg(ap, int), 1);
		put(t, (uint8_t)va_arg(ap, int), 1);
	}
	va_end(ap);
}

static size_t tb_finish(struct tb *t)
{
	put32(t->b + 4, (uint32_t)t->n);
	fix_checksum(t->b, t->n);
	return t->n;
}

/* A usable one-unit table: INCLUDE_PCI_ALL at 0xfed90000. */
static size_t tb_minimal(struct tb *t)
{
	size_t s;

	tb_init(t, 38, 1);
	s = tb_drhd(t, 1, 0, 0, 0xfed90000);
	tb_close(t, s);
	return tb_finish(t);
}

/* ---- a fake live PCI topology ---- */

struct bridge {
	uint16_t seg;
	uint8_t bus, dev, fn, sec, sub;
};

struct topo {
	const struct bridge *br;
	size_t n;
	int calls;
};

static const struct bridge *topo_find(struct topo *t, uint16_t seg, uint8_t bus, uint8_t dev,
				      uint8_t fn)
{
	t->calls++;
	for (size_t i = 0; i < t->n; i++)
		if (t->br[i].seg == seg && t->br[i].bus == bus && t->br[i].dev == dev &&
		    t->br[i].fn == fn)
			return &t->br[i];
	return NULL;
}

static int topo_secondary(void *ctx, uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn)
{
	const struct bridge *b = topo_find(ctx, seg, bus, dev, fn);

	return b ? b->sec : -1;
}

static int topo_subordinate(void *ctx, uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn)
{
	const struct bridge *b = topo_find(ctx, seg, bus, dev, fn);

	return b ? b->sub : -1;
}

static struct dmar_env topo_env(struct topo *t)
{
	struct dmar_env e = {
		.ctx = t,
		.secondary_bus = topo_secondary,
		.subordinate_bus = topo_subordinate,
	};

	return e;
}

#define BDF(b, d, f) (b), DMAR_DEVFN(d, f)

static int unit_of(uint16_t seg, uint8_t bus, uint8_t devfn)
{
	const struct dmar_unit *u = dmar_unit_for_device(&info, seg, bus, devfn);

	return u ? u->index : -1;
}

static const struct dmar_scope *scope_of(const struct dmar_unit *u, unsigned i)
{
	assert_true(i < u->nscopes);
	return dmar_scope_at(&info, u->first_scope, (uint16_t)i);
}

static int setup(void **state)
{
	(void)state;
	host_log_clear();
	host_log_echo = false;
	return 0;
}

/* ================= header (8.1) ================= */

static void test_minimal_table(void **state)
{
	size_t n = tb_minimal(&tb);

	(void)state;
	assert_int_equal(parse(tb.b, n), 0);
	assert_true(info.usable);
	assert_false(info.malformed);
	assert_string_equal(info.reason, "");
	assert_int_equal(info.length, n);
	assert_int_equal(info.haw, 39);
	assert_int_equal(info.flags, 1);
	assert_true(info.intr_remap);
	assert_false(info.x2apic_opt_out);
	assert_false(info.dma_ctrl_opt_in);
	assert_string_equal(info.oem_id, "SHOJI");
	assert_string_equal(info.oem_table_id, "UNITTEST");
	assert_int_equal(info.nunits, 1);
	assert_int_equal(info.units[0].base, 0xfed90000);
	assert_true(info.units[0].include_all);
	assert_int_equal(info.units[0].size, 4096);
	assert_int_equal(info.warnings, 0);
	assert_int_equal(host_log_count("warning"), 0);
	assert_int_equal(host_log_count("error"), 0);
}

static void test_header_flags(void **state)
{
	static const struct { uint8_t flags; bool ir, x2, dma; } cases[] = {
		{ 0x0, false, false, false }, { 0x1, true, false, false },
		{ 0x2, false, true, false }, { 0x4, false, false, true },
		{ 0x7, true, true, true }, { 0xf8, false, false, false },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t n = tb_minimal(&tb);

		tb.b[37] = cases[i].flags;
		tb.b[36] = (uint8_t)(31 + i);
		fix_checksum(tb.b, n);
		assert_int_equal(parse(tb.b, n), 0);
		assert_int_equal(info.flags, cases[i].flags);
		assert_int_equal(info.intr_remap, cases[i].ir);
		assert_int_equal(info.x2apic_opt_out, cases[i].x2);
		assert_int_equal(info.dma_ctrl_opt_in, cases[i].dma);
		assert_int_equal(info.haw, 32 + i);
	}
}

static void test_short_buffers(void **state)
{
	size_t n = tb_minimal(&tb);

	(void)state;
	assert_int_equal(dmar_parse(NULL, 0, NULL, &info), E_INVAL);
	assert_false(info.usable);
	/* Every prefix of a good table: never usable, never read past. */
	for (size_t k = 0; k < n; k++) {
		assert_int_equal(parse(tb.b, k), E_INVAL);
		assert_true(info.malformed);
		if (k < 36)
			assert_non_null(strstr(info.reason, "an ACPI table header needs 36"));
		else
			assert_non_null(strstr(info.reason, "table truncated: header length 64 "
						"exceeds the"));
	}
	assert_int_equal(host_log_count("error: dmar malformed: table truncated"), n - 36);
}

static void test_bad_signature(void **state)
{
	size_t n = tb_minimal(&tb);

	(void)state;
	memcpy(tb.b, "DMA\x01", 4);
	fix_checksum(tb.b, n);
	assert_int_equal(parse(tb.b, n), E_INVAL);
	assert_string_equal(info.reason, "signature is 'DMA_', not 'DMAR'");
}

static void test_header_length_below_minimum(void **state)
{
	size_t n = tb_minimal(&tb);

	(void)state;
	put32(tb.b + 4, 47);
	fix_checksum(tb.b, n);
	assert_int_equal(parse(tb.b, n), E_INVAL);
	assert_string_equal(info.reason, "header length 47 is below the DMAR minimum of 48");
	/* Exactly 48: a header and no structures -> well-formed, no unit. */
	n = tb_minimal(&tb);
	put32(tb.b + 4, 48);
	fix_checksum(tb.b, 48);
	assert_int_equal(parse(tb.b, 48), E_NOENT);
	assert_false(info.malformed);
	assert_string_equal(info.reason, "no remapping hardware unit (DRHD) in the table");
}

static void test_header_length_beyond_data(void **state)
{
	size_t n = tb_minimal(&tb);

	(void)state;
	/* The header claims more than there is: the classic truncated dump. */
	put32(tb.b + 4, (uint32_t)n + 1);
	fix_checksum(tb.b, n);
	assert_int_equal(parse(tb.b, n), E_INVAL);
	assert_string_equal(info.reason,
			    "table truncated: header length 65 exceeds the 64 bytes available");
	/* More data than the header says: only the header's length counts. */
	n = tb_minimal(&tb);
	memset(tb.b + n, 0xff, 32);
	assert_int_equal(parse(tb.b, n + 32), 0);
	assert_int_equal(info.length, n);
}

static void test_bad_checksum(void **state)
{
	size_t n = tb_minimal(&tb);

	(void)state;
	tb.b[40] ^= 0x10;
	assert_int_equal(parse(tb.b, n), E_CHECKSUM);
	assert_true(info.malformed);
	assert_false(info.usable);
	assert_non_null(strstr(info.reason, "bad checksum: the 64 bytes sum to 0x10, not 0"));
	assert_int_equal(host_log_count("error: dmar malformed: bad checksum"), 1);
}

/* ================= structure walk (8.2) ================= */

static void test_zero_length_structure(void **state)
{
	size_t s, n;

	(void)state;
	tb_init(&tb, 38, 1);
	s = tb_drhd(&tb, 1, 0, 0, 0xfed90000);
	tb_close(&tb, s);
	put(&tb, 0, 2);		/* a DRHD type ... */
	put(&tb, 0, 2);		/* ... of length 0: a naive walker loops forever */
	put(&tb, 0, 12);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), E_INVAL);
	assert_string_equal(info.reason, "drhd type=0 at offset 0x40 has length 0, below its "
			    "minimum of 16");
	/* Unknown types have the generic minimum of 4: length 0 still fails. */
	tb.b[0x40] = 9;
	fix_checksum(tb.b, n);
	assert_int_equal(parse(tb.b, n), E_INVAL);
	assert_string_equal(info.reason, "structure type=9 at offset 0x40 has length 0, below "
			    "its minimum of 4");
	tb.b[0x42] = 3;
	fix_checksum(tb.b, n);
	assert_int_equal(parse(tb.b, n), E_INVAL);
	assert_non_null(strstr(info.reason, "has length 3, below its minimum of 4"));
}

static void test_structure_below_its_minimum(void **state)
{
	static const struct { uint16_t type; unsigned min; } mins[] = {
		{ 0, 16 }, { 1, 24 }, { 2, 8 }, { 3, 20 }, { 4, 8 }, { 5, 8 },
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(mins); i++) {
		size_t n = tb_minimal(&tb);
		char want[64];

		/* Append the structure with length min - 1, padded so the bytes
		 * are there: the length field alone must make it fail. */
		put(&tb, mins[i].type, 2);
		put(&tb, mins[i].min - 1, 2);
		put(&tb, 0, mins[i].min - 5);
		n = tb_finish(&tb);
		assert_int_equal(parse(tb.b, n), E_INVAL);
		snprintf(want, sizeof(want), "has length %u, below its minimum of %u",
			 mins[i].min - 1, mins[i].min);
		assert_non_null(strstr(info.reason, want));
		/* And with exactly the minimum it is accepted. */
		n = tb_minimal(&tb);
		put(&tb, mins[i].type, 2);
		put(&tb, mins[i].min, 2);
		put(&tb, 0, mins[i].min - 4);
		if (mins[i].type == 0)
			tb.b[n + 9] = 0x10;		/* DRHD: base 0x1000 */
		if (mins[i].type == 3)
			put16(tb.b + n + 10, 0xfed9);	/* RHSA: 0xfed90000, unit 0 */
		n = tb_finish(&tb);
		assert_int_equal(parse(tb.b, n), 0);
		assert_false(info.malformed);
	}
}

static void test_structure_overruns_table(void **state)
{
	size_t s, n;

	(void)state;
	tb_init(&tb, 38, 1);
	s = tb_drhd(&tb, 1, 0, 0, 0xfed90000);
	tb_scope(&tb, 3, 0, 0xff, 1, 0, 0);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	put16(tb.b + 50, 25);		/* 24 bytes are there */
	fix_checksum(tb.b, n);
	assert_int_equal(parse(tb.b, n), E_INVAL);
	assert_string_equal(info.reason, "drhd type=0 at offset 0x30 (length 25) overruns the "
			    "table (24 bytes left)");
	put16(tb.b + 50, 0xffff);
	fix_checksum(tb.b, n);
	assert_int_equal(parse(tb.b, n), E_INVAL);
	assert_non_null(strstr(info.reason, "(length 65535) overruns the table"));
}

static void test_trailing_bytes(void **state)
{
	(void)state;
	for (int extra = 1; extra <= 3; extra++) {
		size_t n = tb_minimal(&tb);

		put(&tb, 0, extra);
		n = tb_finish(&tb);
		assert_int_equal(parse(tb.b, n), E_INVAL);
		assert_non_null(strstr(info.reason, "are too short for a remapping structure "
					"header"));
	}
}

static void test_unknown_structures_skipped(void **state)
{
	size_t s, n;

	(void)state;
	tb_init(&tb, 38, 1);
	s = tb_open(&tb, 6);		/* a newer type (e.g. SIDP) */
	put(&tb, 0xabcd, 4);
	put(&tb, 0x11, 4);
	tb_close(&tb, s);
	s = tb_drhd(&tb, 1, 0, 0, 0xfed90000);
	tb_close(&tb, s);
	s = tb_open(&tb, 0x1234);	/* header only */
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(info.nunknown, 2);
	assert_int_equal(info.nunits, 1);
	assert_int_equal(info.warnings, 0);
	assert_int_equal(host_log_count("dmar note: structure type=6 length=12 at offset 0x30"), 1);
	assert_int_equal(host_log_count("dmar note: structure type=4660 length=4 at offset 0x4c"), 1);
}

/* ================= device scopes (8.3.1) ================= */

/* A DRHD with one scope whose length byte is slen and that has room bytes
 * of data in the structure after the 2-byte type/length. */
static size_t tb_one_scope(uint8_t slen, size_t room)
{
	size_t s;

	tb_init(&tb, 38, 1);
	s = tb_drhd(&tb, 0, 0, 0, 0xfed90000);
	put(&tb, 1, 1);
	put(&tb, slen, 1);
	put(&tb, 0, room);
	tb_close(&tb, s);
	s = tb_drhd(&tb, 1, 0, 0, 0xfed91000);
	tb_close(&tb, s);
	return tb_finish(&tb);
}

static void test_scope_malformations(void **state)
{
	size_t n;

	(void)state;
	n = tb_one_scope(0, 6);		/* a zero scope length: must not loop */
	assert_int_equal(parse(tb.b, n), E_INVAL);
	assert_string_equal(info.reason, "drhd at offset 0x30: device scope at offset 0x40 has "
			    "length 0, below the minimum of 8 (8.3.1)");
	n = tb_one_scope(7, 6);
	assert_int_equal(parse(tb.b, n), E_INVAL);
	assert_non_null(strstr(info.reason, "has length 7, below the minimum of 8"));
	n = tb_one_scope(9, 8);
	assert_int_equal(parse(tb.b, n), E_INVAL);
	assert_non_null(strstr(info.reason, "has odd length 9"));
	n = tb_one_scope(10, 6);	/* 8 bytes in the structure, 10 claimed */
	assert_int_equal(parse(tb.b, n), E_INVAL);
	assert_string_equal(info.reason, "drhd at offset 0x30: device scope at offset 0x40 "
			    "(length 10) overruns its structure (8 bytes left)");
	assert_true(info.malformed);
	/* The walk went on past the bad DRHD (its own length was sound), but
	 * the table stays malformed. */
	assert_int_equal(info.nunits, 2);
	/* One stray byte after the last scope. */
	tb_init(&tb, 38, 1);
	{
		size_t s = tb_drhd(&tb, 1, 0, 0, 0xfed90000);

		tb_scope(&tb, 3, 0, 0xff, 1, 0, 0);
		put(&tb, 3, 1);
		tb_close(&tb, s);
	}
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), E_INVAL);
	assert_non_null(strstr(info.reason, "1 trailing byte at offset 0x48 is too short for a "
				"device scope"));
	/* The same checks hold in RMRR, ATSR and SATC scopes. */
	for (uint16_t type = 1; type <= 5; type += (type == 2 ? 3 : 1)) {
		size_t s;

		n = tb_minimal(&tb);
		s = type == 1 ? tb_rmrr(&tb, 0, 0x1000, 0x1fff) : tb_atsr_satc(&tb, type, 0, 0);
		put(&tb, 1, 1);
		put(&tb, 12, 1);
		put(&tb, 0, 6);
		tb_close(&tb, s);
		n = tb_finish(&tb);
		assert_int_equal(parse(tb.b, n), E_INVAL);
		assert_non_null(strstr(info.reason, "(length 12) overruns its structure (8 bytes "
					"left)"));
	}
}

static void test_reserved_scope_types_skipped(void **state)
{
	size_t s, n;

	(void)state;
	tb_init(&tb, 38, 1);
	s = tb_drhd(&tb, 0, 0, 0, 0xfed90000);
	tb_scope(&tb, 0, 0, 0, 1, 2, 0);
	tb_scope(&tb, 1, 0, 0, 1, 3, 0);
	tb_scope(&tb, 6, 0, 0, 1, 4, 0);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(info.units[0].nscopes, 1);
	assert_int_equal(scope_of(&info.units[0], 0)->devfn, DMAR_DEVFN(3, 0));
	assert_int_equal(info.warnings, 2);
	assert_int_equal(host_log_count("has reserved type 0: skipped"), 1);
	assert_int_equal(host_log_count("has reserved type 6: skipped"), 1);
}

static void test_all_scope_types(void **state)
{
	size_t s, n;
	const struct dmar_unit *u;

	(void)state;
	tb_init(&tb, 38, 1);
	s = tb_drhd(&tb, 0, 0, 0, 0xfed90000);
	tb_scope(&tb, 1, 0, 0, 1, 2, 0);
	tb_scope(&tb, 2, 0, 0, 1, 0x1c, 0);
	tb_scope(&tb, 3, 8, 0xf0, 1, 0x1f, 0);
	tb_scope(&tb, 4, 2, 0, 1, 0x1f, 7);
	tb_scope(&tb, 5, 1, 0, 1, 0x15, 3);
	tb_close(&tb, s);
	tb_andd(&tb, 1, "\\_SB.I2C1", 10);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	u = &info.units[0];
	assert_int_equal(u->nscopes, 5);
	for (unsigned i = 0; i < 5; i++) {
		assert_int_equal(scope_of(u, i)->type, i + 1);
		assert_true(scope_of(u, i)->resolved);
		assert_int_equal(scope_of(u, i)->owner, DMAR_OWNER_DRHD);
		assert_int_equal(scope_of(u, i)->hops, 1);
	}
	assert_int_equal(scope_of(u, 2)->enum_id, 8);
	assert_int_equal(scope_of(u, 2)->bus, 0xf0);
	assert_int_equal(scope_of(u, 2)->devfn, DMAR_DEVFN(0x1f, 0));
	assert_int_equal(scope_of(u, 3)->enum_id, 2);
	assert_int_equal(scope_of(u, 3)->devfn, DMAR_DEVFN(0x1f, 7));
	assert_int_equal(scope_of(u, 4)->enum_id, 1);
	/* The bridge names itself; its bus range needs a topology. */
	assert_false(scope_of(u, 1)->bus_range);
	assert_true(scope_of(u, 1)->no_topology);
	assert_int_equal(info.nno_topology, 1);
	assert_int_equal(info.warnings, 0);
	assert_string_equal(dmar_scope_type_name(4), "hpet");
	assert_string_equal(dmar_scope_type_name(9), "unknown");
	host_log_clear();
	dmar_print(&info);
	assert_int_equal(host_log_count("shoji: dmar   scope type=endpoint bdf=00:02.0 path=02.0\n"), 1);
	assert_int_equal(host_log_count("shoji: dmar   scope type=bridge bdf=00:1c.0 path=1c.0 "
					"buses=unknown why=\"no PCI topology given\"\n"), 1);
	assert_int_equal(host_log_count("shoji: dmar   scope type=ioapic id=8 bdf=f0:1f.0 "
					"path=1f.0\n"), 1);
	assert_int_equal(host_log_count("shoji: dmar   scope type=hpet id=2 bdf=00:1f.7 "
					"path=1f.7\n"), 1);
	assert_int_equal(host_log_count("shoji: dmar   scope type=acpi id=1 bdf=00:15.3 "
					"path=15.3 name=\\_SB.I2C1\n"), 1);
}

static const struct bridge topo1_br[] = {
	{ 0, 0x00, 0x1c, 0, 0x02, 0x05 },	/* root port */
	{ 0, 0x02, 0x00, 0, 0x03, 0x05 },	/* switch upstream port */
	{ 0, 0x03, 0x01, 0, 0x04, 0x04 },	/* switch downstream port */
	{ 0, 0x00, 0x1e, 0, 0x06, 0x06 },	/* PCI bridge */
	{ 1, 0x00, 0x1c, 0, 0x40, 0x40 },	/* same BDF in segment 1 */
};

static void test_multihop_resolution(void **state)
{
	struct topo t = { topo1_br, ARRAY_SIZE(topo1_br), 0 };
	struct dmar_env env = topo_env(&t);
	const struct dmar_unit *u;
	size_t s, n;

	(void)state;
	tb_init(&tb, 38, 1);
	s = tb_drhd(&tb, 0, 0, 0, 0xfed90000);
	tb_scope(&tb, 1, 0, 0, 2, 0x1c, 0, 0, 0);		/* 02:00.0 */
	tb_scope(&tb, 1, 0, 0, 4, 0x1c, 0, 0, 0, 1, 0, 0, 3);	/* 04:00.3 */
	tb_scope(&tb, 2, 0, 0, 3, 0x1c, 0, 0, 0, 1, 0);	/* bridge 03:01.0 */
	tb_scope(&tb, 1, 0, 0, 2, 0x1e, 0, 5, 0);		/* 06:05.0 */
	tb_close(&tb, s);
	s = tb_drhd(&tb, 0, 0, 1, 0xfed91000);
	tb_scope(&tb, 1, 0, 0, 2, 0x1c, 0, 0, 1);		/* 0001:40:00.1 */
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse_env(tb.b, n, &env), 0);
	assert_int_equal(info.warnings, 0);
	assert_int_equal(info.nno_topology, 0);
	u = &info.units[0];
	assert_true(scope_of(u, 0)->resolved);
	assert_int_equal(scope_of(u, 0)->bus, 2);
	assert_int_equal(scope_of(u, 0)->devfn, DMAR_DEVFN(0, 0));
	assert_int_equal(scope_of(u, 1)->bus, 4);
	assert_int_equal(scope_of(u, 1)->devfn, DMAR_DEVFN(0, 3));
	assert_int_equal(scope_of(u, 1)->hops, 4);
	assert_int_equal(scope_of(u, 2)->bus, 3);
	assert_int_equal(scope_of(u, 2)->devfn, DMAR_DEVFN(1, 0));
	assert_true(scope_of(u, 2)->bus_range);
	assert_int_equal(scope_of(u, 2)->sec_bus, 4);
	assert_int_equal(scope_of(u, 2)->sub_bus, 4);
	assert_int_equal(scope_of(u, 3)->bus, 6);
	assert_int_equal(scope_of(u, 3)->devfn, DMAR_DEVFN(5, 0));
	assert_int_equal(scope_of(&info.units[1], 0)->bus, 0x40);
	assert_int_equal(scope_of(&info.units[1], 0)->segment, 1);
	assert_true(t.calls >= 8);

	assert_int_equal(unit_of(0, BDF(2, 0, 0)), 0);
	assert_int_equal(unit_of(0, BDF(4, 0, 3)), 0);
	assert_int_equal(unit_of(0, BDF(4, 7, 0)), 0);	/* behind bridge 03:01.0 */
	assert_int_equal(unit_of(0, BDF(3, 1, 0)), 0);	/* the bridge itself */
	assert_int_equal(unit_of(0, BDF(6, 5, 0)), 0);
	assert_int_equal(unit_of(0, BDF(6, 5, 1)), -1);	/* not listed, no include-all */
	assert_int_equal(unit_of(0, BDF(5, 0, 0)), -1);
	assert_int_equal(unit_of(1, BDF(0x40, 0, 1)), 1);
	assert_int_equal(unit_of(0, BDF(0x40, 0, 1)), -1);	/* other segment */

	host_log_clear();
	dmar_print(&info);
	assert_int_equal(host_log_count("dmar   scope type=endpoint bdf=02:00.0 start_bus=00 "
					"path=1c.0/00.0\n"), 1);
	assert_int_equal(host_log_count("dmar   scope type=endpoint bdf=04:00.3 start_bus=00 "
					"path=1c.0/00.0/01.0/00.3\n"), 1);
	assert_int_equal(host_log_count("dmar   scope type=bridge bdf=03:01.0 start_bus=00 "
					"path=1c.0/00.0/01.0 buses=04-04\n"), 1);
}

static void test_multihop_unresolvable(void **state)
{
	struct topo t = { topo1_br, 1, 0 };	/* only the root port 00:1c.0 */
	struct dmar_env env = topo_env(&t);
	const struct dmar_unit *u;
	size_t s, n;

	(void)state;
	tb_init(&tb, 38, 1);
	s = tb_drhd(&tb, 0, 0, 0, 0xfed90000);
	tb_scope(&tb, 1, 0, 0, 2, 0x1e, 0, 5, 0);	/* 00:1e.0 is no bridge here */
	tb_scope(&tb, 1, 0, 0, 3, 0x1c, 0, 0, 0, 0, 0);	/* 02:00.0 is no bridge */
	tb_scope(&tb, 2, 0, 0, 1, 0x1d, 0);		/* "bridge" that is absent */
	tb_scope(&tb, 1, 0, 0, 2, 0x1c, 0, 0x20, 0);	/* device 0x20 */
	tb_scope(&tb, 1, 0, 0, 1, 0x02, 8);		/* function 8 */
	tb_close(&tb, s);
	s = tb_drhd(&tb, 1, 0, 0, 0xfed91000);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse_env(tb.b, n, &env), 0);
	u = &info.units[0];
	/* Kept, not dropped, and each one warned about. */
	assert_int_equal(u->nscopes, 5);
	assert_false(scope_of(u, 0)->resolved);
	assert_string_equal(scope_of(u, 0)->unresolved, "a path element is not a bridge");
	assert_false(scope_of(u, 1)->resolved);
	assert_true(scope_of(u, 2)->resolved);		/* names itself ... */
	assert_false(scope_of(u, 2)->bus_range);	/* ... but has no range */
	assert_false(scope_of(u, 3)->resolved);
	assert_string_equal(scope_of(u, 3)->unresolved, "device or function out of range");
	assert_false(scope_of(u, 4)->resolved);
	assert_int_equal(info.warnings, 5);
	assert_int_equal(host_log_count("path element 0000:00:1e.0 is absent or not a bridge: "
					"scope kept unresolved"), 1);
	assert_int_equal(host_log_count("path element 0000:02:00.0 is absent or not a bridge"), 1);
	assert_int_equal(host_log_count("sub-hierarchy 0000:00:1d.0 is absent or not a bridge"), 1);
	assert_int_equal(host_log_count("path entry 1 is 20.0, not a PCI device/function"), 1);
	assert_int_equal(host_log_count("path entry 0 is 02.8, not a PCI device/function"), 1);
	/* Unresolved scopes match nothing: those devices go to INCLUDE_PCI_ALL. */
	assert_int_equal(unit_of(0, BDF(2, 5, 0)), 1);

	host_log_clear();
	dmar_print(&info);
	assert_int_equal(host_log_count("dmar   scope type=endpoint bdf=unresolved start_bus=00 "
					"path=1e.0/05.0 why=\"a path element is not a bridge\"\n"), 1);

	/* No topology at all: a note, not a warning. */
	host_log_clear();
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(info.nno_topology, 3);
	assert_int_equal(info.warnings, 2);		/* the two bad dev/fn entries */
	assert_true(info.units[0].first_scope == 0 && scope_of(&info.units[0], 1)->no_topology);
	dmar_print(&info);
	assert_int_equal(host_log_count("dmar note: 3 scope(s) not resolved: no live PCI "
					"topology was given"), 1);
}

static void test_path_longer_than_limit(void **state)
{
	struct topo t = { topo1_br, ARRAY_SIZE(topo1_br), 0 };
	struct dmar_env env = topo_env(&t);
	size_t s, n;

	(void)state;
	tb_init(&tb, 38, 1);
	s = tb_drhd(&tb, 1, 0, 0, 0xfed90000);
	tb_scope(&tb, 1, 0, 0, DMAR_MAX_HOPS + 1, 1, 0, 2, 0, 3, 0, 4, 0, 5, 0, 6, 0, 7, 0, 8, 0,
		 9, 0);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse_env(tb.b, n, &env), 0);
	assert_int_equal(info.units[0].nscopes, 1);
	assert_int_equal(scope_of(&info.units[0], 0)->hops, DMAR_MAX_HOPS + 1);
	assert_false(scope_of(&info.units[0], 0)->resolved);
	assert_int_equal(host_log_count("path has 9 entries, more than the limit of 8"), 1);
	host_log_clear();
	dmar_print(&info);
	assert_int_equal(host_log_count("path=01.0/02.0/03.0/04.0/05.0/06.0/07.0/08.0/... "), 1);
}

/* ================= each structure's fields ================= */

static void test_drhd_fields(void **state)
{
	size_t s, n;

	(void)state;
	tb_init(&tb, 47, 0);
	s = tb_drhd(&tb, 0, 0x03, 2, 0x1234567890000ULL);	/* 2^3 pages */
	tb_scope(&tb, 1, 0, 0, 1, 2, 0);
	tb_close(&tb, s);
	s = tb_drhd(&tb, 0x81, 0xf1, 2, 0xfed91000);	/* reserved bits set */
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(info.haw, 48);
	assert_int_equal(info.units[0].size_field, 3);
	assert_int_equal(info.units[0].size, 32768);
	assert_int_equal(info.units[0].segment, 2);
	assert_int_equal(info.units[0].base, 0x1234567890000ULL);
	assert_false(info.units[0].include_all);
	assert_int_equal(info.units[0].index, 0);
	assert_int_equal(info.units[0].offset, 48);
	assert_int_equal(info.units[0].dup_of, -1);
	assert_int_equal(info.units[1].size, 8192);	/* bits 3:0 only */
	assert_true(info.units[1].include_all);
	assert_int_equal(info.units[1].flags, 0x81);
	assert_int_equal(unit_of(2, BDF(0, 2, 0)), 0);
	assert_int_equal(unit_of(2, BDF(0, 3, 0)), 1);
	host_log_clear();
	dmar_print(&info);
	assert_int_equal(host_log_count("shoji: dmar drhd unit=0 base=0x1234567890000 segment=2 "
					"size=32768 include_all=no scopes=1\n"), 1);
	assert_int_equal(host_log_count("shoji: dmar drhd unit=1 base=0xfed91000 segment=2 "
					"size=8192 include_all=yes scopes=0 flags=0x81\n"), 1);
	assert_int_equal(host_log_count("shoji: dmar haw=48 flags=0x0 intr_remap=no "
					"x2apic_opt_out=no dma_ctrl_opt_in=no\n"), 1);
}

static void test_rmrr_fields_and_validation(void **state)
{
	static const struct { uint64_t base, limit; const char *bad; } cases[] = {
		{ 0x3f6e8000, 0x3f6fffff, NULL },
		{ 0x3f6e8800, 0x3f6fffff, "base is not 4 KiB aligned" },
		{ 0x3f6e8000, 0x3f6ffffe, "limit + 1 is not 4 KiB aligned" },
		{ 0x3f6e8000, 0x3f6e6fff, "base is above limit" },
		{ 0x3f6e8000, 0x3f6e8fff, NULL },	/* one page */
	};

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t n = tb_minimal(&tb), s;

		s = tb_rmrr(&tb, 0, cases[i].base, cases[i].limit);
		tb_scope(&tb, 1, 0, 0, 1, 0x1d, 7);
		tb_close(&tb, s);
		n = tb_finish(&tb);
		host_log_clear();
		assert_int_equal(parse(tb.b, n), 0);
		assert_int_equal(info.nrmrrs, 1);
		assert_int_equal(info.rmrrs[0].base, cases[i].base);
		assert_int_equal(info.rmrrs[0].limit, cases[i].limit);
		assert_int_equal(info.rmrrs[0].nscopes, 1);
		assert_int_equal(dmar_scope_at(&info, info.rmrrs[0].first_scope, 0)->devfn,
				 DMAR_DEVFN(0x1d, 7));
		assert_int_equal(dmar_scope_at(&info, info.rmrrs[0].first_scope, 0)->owner,
				 DMAR_OWNER_RMRR);
		assert_int_equal(info.rmrrs[0].valid, cases[i].bad == NULL);
		assert_int_equal(info.warnings, cases[i].bad ? 1 : 0);
		if (cases[i].bad)
			assert_int_equal(host_log_count(cases[i].bad), 1);
	}
}

static void test_rmrr_overlap(void **state)
{
	size_t n, s;

	(void)state;
	n = tb_minimal(&tb);
	s = tb_rmrr(&tb, 0, 0x10000, 0x1ffff);
	tb_scope(&tb, 1, 0, 0, 1, 0x1d, 0);
	tb_close(&tb, s);
	s = tb_rmrr(&tb, 0, 0x20000, 0x2ffff);		/* adjacent: fine */
	tb_scope(&tb, 1, 0, 0, 1, 0x1d, 1);
	tb_close(&tb, s);
	s = tb_rmrr(&tb, 0, 0x2f000, 0x30fff);		/* one page into the second */
	tb_scope(&tb, 1, 0, 0, 1, 0x1d, 2);
	tb_close(&tb, s);
	s = tb_rmrr(&tb, 0, 0x0, 0xfffff);		/* contains all of them */
	tb_scope(&tb, 1, 0, 0, 1, 0x1d, 3);
	tb_close(&tb, s);
	s = tb_rmrr(&tb, 0, 0x200000, 0x200fff);	/* identical pair */
	tb_scope(&tb, 1, 0, 0, 1, 0x14, 0);
	tb_close(&tb, s);
	s = tb_rmrr(&tb, 0, 0x200000, 0x200fff);
	tb_scope(&tb, 1, 0, 0, 1, 0x14, 1);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(info.nrmrrs, 6);
	assert_int_equal(info.warnings, 5);
	assert_int_equal(host_log_count("overlaps"), 5);
	assert_int_equal(host_log_count("dmar rmrr 5 base=0x200000 limit=0x200fff overlaps rmrr 4 "
					"base=0x200000 limit=0x200fff"), 1);
	assert_int_equal(host_log_count("dmar rmrr 2 base=0x2f000 limit=0x30fff overlaps rmrr 1 "
					"base=0x20000 limit=0x2ffff"), 1);
	assert_int_equal(host_log_count("dmar rmrr 3 base=0x0 limit=0xfffff overlaps rmrr "), 3);
}

struct reserved_calls {
	int n;
	paddr_t base[4], end[4];
};

static bool only_low_reserved(void *ctx, paddr_t base, paddr_t end)
{
	struct reserved_calls *c = ctx;

	if (c->n < 4) {
		c->base[c->n] = base;
		c->end[c->n] = end;
	}
	c->n++;
	return end < 0x100000;
}

static void test_rmrr_reserved_memory_check(void **state)
{
	struct reserved_calls calls = { 0 };
	struct dmar_env env = { .ctx = &calls, .is_reserved = only_low_reserved };
	size_t n, s;

	(void)state;
	n = tb_minimal(&tb);
	s = tb_rmrr(&tb, 0, 0xe0000, 0xeffff);
	tb_scope(&tb, 1, 0, 0, 1, 0x1d, 0);
	tb_close(&tb, s);
	s = tb_rmrr(&tb, 0, 0x3f6e8000, 0x3f6fffff);
	tb_scope(&tb, 1, 0, 0, 1, 0x1d, 1);
	tb_close(&tb, s);
	s = tb_rmrr(&tb, 0, 0x5001, 0x4000);		/* invalid: not checked */
	tb_scope(&tb, 1, 0, 0, 1, 0x1d, 2);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse_env(tb.b, n, &env), 0);
	assert_int_equal(calls.n, 2);
	assert_int_equal(calls.base[0], 0xe0000);
	assert_int_equal(calls.end[0], 0xeffff);	/* inclusive end */
	assert_int_equal(calls.base[1], 0x3f6e8000);
	assert_int_equal(calls.end[1], 0x3f6fffff);
	assert_int_equal(host_log_count("dmar rmrr 1 base=0x3f6e8000 limit=0x3f6fffff is not "
					"reserved in the memory map"), 1);
	assert_int_equal(host_log_count("is not reserved"), 1);
	assert_true(info.usable);
	/* Without the callback the check is skipped. */
	host_log_clear();
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(host_log_count("is not reserved"), 0);
}

static void test_atsr_rhsa_andd_satc(void **state)
{
	size_t s, n;
	char longname[100];

	(void)state;
	memset(longname, 'A', sizeof(longname));
	longname[sizeof(longname) - 1] = '\0';
	tb_init(&tb, 38, 1);
	s = tb_drhd(&tb, 0, 0, 0, 0xfed90000);
	tb_scope(&tb, 5, 2, 0, 1, 0x15, 1);
	tb_close(&tb, s);
	s = tb_drhd(&tb, 1, 0, 0, 0xfed91000);
	tb_close(&tb, s);
	s = tb_atsr_satc(&tb, 2, 0, 0);
	tb_scope(&tb, 2, 0, 0, 1, 0x1c, 0);
	tb_scope(&tb, 2, 0, 0, 1, 0x1c, 1);
	tb_close(&tb, s);
	s = tb_atsr_satc(&tb, 2, 1, 3);
	tb_close(&tb, s);
	tb_rhsa(&tb, 0xfed91000, 5);
	tb_rhsa(&tb, 0xfed90000, 0x12345678);
	tb_andd(&tb, 2, "\\_SB.PCI0.I2C1", 15);
	tb_andd(&tb, 3, "\\_SB.X\x01Y", 8);		/* no NUL, a control char */
	tb_andd(&tb, 4, longname, sizeof(longname));	/* longer than kept */
	tb_andd(&tb, 5, "", 0);				/* empty, unterminated */
	s = tb_atsr_satc(&tb, 5, 1, 0);
	tb_scope(&tb, 1, 0, 0, 1, 0x0b, 0);
	tb_close(&tb, s);
	s = tb_atsr_satc(&tb, 5, 0xfe, 0);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);

	assert_int_equal(info.natsrs, 2);
	assert_false(info.atsrs[0].all_ports);
	assert_int_equal(info.atsrs[0].nscopes, 2);
	assert_int_equal(dmar_scope_at(&info, info.atsrs[0].first_scope, 1)->devfn,
			 DMAR_DEVFN(0x1c, 1));
	assert_int_equal(dmar_scope_at(&info, info.atsrs[0].first_scope, 1)->owner,
			 DMAR_OWNER_ATSR);
	assert_true(info.atsrs[1].all_ports);
	assert_int_equal(info.atsrs[1].segment, 3);

	assert_int_equal(info.nrhsas, 2);
	assert_int_equal(info.rhsas[0].unit, 1);
	assert_int_equal(info.rhsas[1].unit, 0);
	assert_true(info.units[1].has_proximity);
	assert_int_equal(info.units[1].proximity, 5);
	assert_int_equal(info.units[0].proximity, 0x12345678);

	assert_int_equal(info.nandds, 4);
	assert_int_equal(info.andds[0].number, 2);
	assert_string_equal(info.andds[0].name, "\\_SB.PCI0.I2C1");
	assert_string_equal(info.andds[1].name, "\\_SB.X?Y");
	assert_int_equal(strlen(info.andds[2].name), DMAR_ANDD_NAME_MAX - 1);
	assert_string_equal(info.andds[3].name, "");

	assert_int_equal(info.nsatcs, 2);
	assert_true(info.satcs[0].atc_required);
	assert_int_equal(info.satcs[0].nscopes, 1);
	assert_int_equal(dmar_scope_at(&info, info.satcs[0].first_scope, 0)->owner,
			 DMAR_OWNER_SATC);
	assert_false(info.satcs[1].atc_required);
	assert_int_equal(info.satcs[1].flags, 0xfe);

	/* Warnings: two unterminated names; the truncated long one. */
	assert_int_equal(host_log_count("object name is not NUL-terminated"), 2);
	assert_int_equal(host_log_count("object name longer than 63 bytes: truncated"), 1);
	assert_int_equal(host_log_count("has no andd"), 0);	/* id 2 is declared */

	host_log_clear();
	dmar_print(&info);
	assert_int_equal(host_log_count("shoji: dmar atsr all_ports=no segment=0 scopes=2\n"), 1);
	assert_int_equal(host_log_count("shoji: dmar atsr all_ports=yes segment=3 scopes=0\n"), 1);
	assert_int_equal(host_log_count("shoji: dmar rhsa base=0xfed91000 proximity=5 unit=1\n"), 1);
	assert_int_equal(host_log_count("shoji: dmar andd number=2 name=\\_SB.PCI0.I2C1\n"), 1);
	assert_int_equal(host_log_count("shoji: dmar satc flags=0x1 atc_required=yes segment=0 "
					"scopes=1\n"), 1);
	assert_int_equal(host_log_count("shoji: dmar   scope type=acpi id=2 bdf=00:15.1 path=15.1 "
					"name=\\_SB.PCI0.I2C1\n"), 1);
	assert_int_equal(host_log_count("shoji: dmar drhd unit=1 base=0xfed91000 segment=0 "
					"size=4096 include_all=yes scopes=0 proximity=5\n"), 1);
}

static void test_scope_rules_per_structure(void **state)
{
	size_t s, n;

	(void)state;
	n = tb_minimal(&tb);
	s = tb_rmrr(&tb, 0, 0x1000, 0x1fff);
	tb_scope(&tb, 2, 0, 0, 1, 0x1e, 0);		/* bridge in an RMRR */
	tb_scope(&tb, 3, 0, 0, 1, 0x1f, 0);		/* IOAPIC in an RMRR */
	tb_close(&tb, s);
	s = tb_atsr_satc(&tb, 2, 0, 0);
	tb_scope(&tb, 1, 0, 0, 1, 0x02, 0);		/* endpoint in an ATSR */
	tb_close(&tb, s);
	s = tb_atsr_satc(&tb, 5, 0, 0);
	tb_scope(&tb, 2, 0, 0, 1, 0x1c, 0);		/* bridge in a SATC */
	tb_close(&tb, s);
	s = tb_atsr_satc(&tb, 2, 1, 0);			/* ALL_PORTS + scope */
	tb_scope(&tb, 2, 0, 0, 1, 0x1c, 0);
	tb_close(&tb, s);
	tb_rhsa(&tb, 0xdead0000, 1);			/* names no unit */
	n = tb_finish(&tb);
	host_log_clear();
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(host_log_count("dmar rmrr 0: scope at offset 0x58 is of type bridge, "
					"but RMRR scopes must name PCI endpoints (8.4)"), 1);
	assert_int_equal(host_log_count("is of type ioapic, but RMRR scopes"), 1);
	assert_int_equal(host_log_count("dmar atsr 0: scope at offset 0x70 is of type endpoint, "
					"but ATSR scopes must name root ports"), 1);
	assert_int_equal(host_log_count("dmar satc 0: scope at offset 0x80 is of type bridge, "
					"but SATC scopes must name endpoints"), 1);
	assert_int_equal(host_log_count("dmar atsr 1: ALL_PORTS is set and device scopes are "
					"listed too"), 1);
	assert_int_equal(host_log_count("dmar rhsa base=0xdead0000 proximity=1 names no "
					"remapping unit"), 1);
	assert_int_equal(info.warnings, 6);
	assert_true(info.usable);
	assert_int_equal(info.rhsas[0].unit, -1);
}

/* ================= firmware bugs in remapping units ================= */

static void test_bad_register_bases(void **state)
{
	static const uint64_t bad[] = { 0, ~0ULL, 0xfed90800 };
	static const char *const what[] = { "zero", "all-ones", "not 4 KiB aligned" };

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		size_t s, n;
		char want[96];

		tb_init(&tb, 38, 1);
		s = tb_drhd(&tb, 0, 0, 0, 0xfed91000);
		tb_scope(&tb, 1, 0, 0, 1, 2, 0);
		tb_close(&tb, s);
		s = tb_drhd(&tb, 1, 0, 0, bad[i]);
		tb_close(&tb, s);
		n = tb_finish(&tb);
		host_log_clear();
		assert_int_equal(parse(tb.b, n), E_INVAL);
		assert_false(info.usable);
		assert_false(info.malformed);
		assert_true(info.units[0].usable);
		assert_false(info.units[1].usable);
		snprintf(want, sizeof(want), "register base is %s (firmware bug): this unit is "
			 "unusable", what[i]);
		assert_int_equal(host_log_count(want), 1);
		assert_non_null(strstr(info.reason, "unit 1 has an invalid register base"));
		assert_int_equal(host_log_count("error: dmar not usable: unit 1 has an invalid "
						"register base"), 1);
		/* The device of the good unit is covered; the rest are not. */
		{
			struct dmar_bdf devs[] = { { 0, BDF(0, 2, 0) }, { 0, BDF(0, 3, 0) } };

			host_log_clear();
			assert_int_equal(dmar_report_uncovered(&info, devs, 2), 1);
			assert_int_equal(host_log_count("warning: dmar device 0000:00:03.0 is under "
							"unit 1, which is unusable: it can DMA "
							"anywhere in memory"), 1);
		}
	}
}

static void test_duplicate_and_include_all_rules(void **state)
{
	size_t s, n;

	(void)state;
	tb_init(&tb, 38, 1);
	s = tb_drhd(&tb, 1, 0, 0, 0xfed90000);	/* include-all, not last */
	tb_close(&tb, s);
	s = tb_drhd(&tb, 0, 0, 0, 0xfed91000);
	tb_scope(&tb, 1, 0, 0, 1, 2, 0);
	tb_close(&tb, s);
	s = tb_drhd(&tb, 0, 0, 0, 0xfed91000);	/* same hardware as unit 1 */
	tb_scope(&tb, 1, 0, 0, 1, 3, 0);
	tb_close(&tb, s);
	s = tb_drhd(&tb, 1, 0, 0, 0xfed92000);	/* second include-all */
	tb_scope(&tb, 1, 0, 0, 1, 2, 0);	/* PCI scope + double claim */
	tb_close(&tb, s);
	s = tb_drhd(&tb, 1, 0, 1, 0xfed93000);	/* segment 1: fine */
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);
	assert_true(info.usable);
	assert_int_equal(info.warnings, 5);
	assert_int_equal(info.units[2].dup_of, 1);
	assert_int_equal(host_log_count("dmar drhd unit=0 segment=0: INCLUDE_PCI_ALL unit is not "
					"the last DRHD of its segment (unit 1 follows"), 1);
	assert_int_equal(host_log_count("dmar drhd unit=2 base=0xfed91000: same register base as "
					"unit 1"), 1);
	assert_int_equal(host_log_count("dmar drhd unit=3 segment=0: second INCLUDE_PCI_ALL unit "
					"of this segment (unit 0 is the first"), 1);
	assert_int_equal(host_log_count("dmar drhd unit=3: INCLUDE_PCI_ALL unit lists a PCI "
					"endpoint scope"), 1);
	assert_int_equal(host_log_count("dmar device 00:02.0 segment=0 is listed by unit 1 and "
					"unit 3"), 1);
	assert_int_equal(unit_of(0, BDF(0, 2, 0)), 1);	/* first listing wins */
	assert_int_equal(unit_of(0, BDF(0, 3, 0)), 1);	/* duplicate -> original */
	assert_int_equal(unit_of(0, BDF(0, 4, 0)), 0);	/* first include-all */
	assert_int_equal(unit_of(1, BDF(0, 4, 0)), 4);
	assert_int_equal(unit_of(2, BDF(0, 4, 0)), -1);
	host_log_clear();
	dmar_print(&info);
	assert_int_equal(host_log_count("shoji: dmar drhd unit=2 base=0xfed91000 segment=0 "
					"size=4096 include_all=no scopes=1 duplicate_of=1\n"), 1);
}

static void test_no_drhd(void **state)
{
	size_t s, n;

	(void)state;
	tb_init(&tb, 38, 1);
	s = tb_rmrr(&tb, 0, 0x1000, 0x1fff);
	tb_scope(&tb, 1, 0, 0, 1, 0x1d, 0);
	tb_close(&tb, s);
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), E_NOENT);
	assert_false(info.usable);
	assert_false(info.malformed);
	/* Its device is under no unit: reported. */
	assert_int_equal(host_log_count("dmar rmrr 0: device 00:1d.0 segment=0 is under no "
					"remapping unit"), 1);
	host_log_clear();
	dmar_print(&info);
	assert_int_equal(host_log_count("shoji: dmar usable=no error=no_unit malformed=no "
					"reason=\"no remapping hardware unit (DRHD) in the table\"\n"),
			 1);
}

/* ================= coverage ================= */

static void test_coverage_sub_hierarchy(void **state)
{
	static const struct bridge br[] = {
		{ 0, 0x00, 0x1c, 0, 0x02, 0x0a },	/* wide root port */
		{ 0, 0x02, 0x00, 0, 0x03, 0x04 },	/* narrower bridge under it */
	};
	struct topo t = { br, ARRAY_SIZE(br), 0 };
	struct dmar_env env = topo_env(&t);

	(void)state;
	/* Both orders of the two units: the result must not depend on it. */
	for (int wide = 0; wide < 2; wide++) {
		int narrow = !wide;
		size_t s, n;

		tb_init(&tb, 38, 1);
		for (int u = 0; u < 2; u++) {
			s = tb_drhd(&tb, 0, 0, 0, 0xfed90000 + 0x1000 * (uint64_t)u);
			if (u == wide) {
				tb_scope(&tb, 2, 0, 0, 1, 0x1c, 0);		/* 02-0a */
			} else {
				tb_scope(&tb, 2, 0, 0, 2, 0x1c, 0, 0, 0);	/* 03-04 */
				tb_scope(&tb, 1, 0, 0, 2, 0x1c, 0, 5, 0);	/* 02:05.0 */
			}
			tb_close(&tb, s);
		}
		s = tb_drhd(&tb, 1, 0, 0, 0xfed92000);
		tb_close(&tb, s);
		n = tb_finish(&tb);
		assert_int_equal(parse_env(tb.b, n, &env), 0);
		assert_int_equal(info.warnings, 0);
		assert_int_equal(unit_of(0, BDF(0x00, 0x1c, 0)), wide);	/* bridge itself */
		assert_int_equal(unit_of(0, BDF(0x02, 0x00, 0)), narrow);	/* exact */
		assert_int_equal(unit_of(0, BDF(0x02, 0x01, 0)), wide);	/* bus 2: wide */
		assert_int_equal(unit_of(0, BDF(0x02, 0x05, 0)), narrow);	/* exact > range */
		assert_int_equal(unit_of(0, BDF(0x03, 0x00, 0)), narrow);	/* narrowest */
		assert_int_equal(unit_of(0, BDF(0x04, 0x1f, 7)), narrow);
		assert_int_equal(unit_of(0, BDF(0x05, 0x00, 0)), wide);
		assert_int_equal(unit_of(0, BDF(0x0a, 0x00, 0)), wide);
		assert_int_equal(unit_of(0, BDF(0x0b, 0x00, 0)), 2);	/* include-all */
		assert_int_equal(unit_of(0, BDF(0x00, 0x1d, 0)), 2);
		assert_int_equal(unit_of(0, BDF(0x01, 0x00, 0)), 2);
	}
}

static void test_report_uncovered(void **state)
{
	static const struct bridge br[] = { { 0, 0x00, 0x02, 0, 0x01, 0x01 } };
	struct topo t = { br, ARRAY_SIZE(br), 0 };
	struct dmar_env env = topo_env(&t);
	struct dmar_bdf devs[] = {
		{ 0, BDF(0x00, 0x01, 0) },	/* listed */
		{ 0, BDF(0x00, 0x05, 0) },	/* not listed, no include-all */
		{ 0, BDF(0x01, 0x00, 0) },	/* behind root port 00:02.0 */
		{ 1, BDF(0x00, 0x01, 0) },	/* another segment */
		{ 0, BDF(0xff, 0x00, 0) },	/* the IOAPIC's id is no PCI device */
	};
	uint8_t *aml;
	size_t n;

	(void)state;
	aml = load_aml("dmar-q35", &n);
	assert_int_equal(parse_env(aml, n, &env), 0);
	host_log_clear();
	assert_int_equal(dmar_report_uncovered(&info, devs, ARRAY_SIZE(devs)), 3);
	assert_int_equal(host_log_count("warning: dmar device 0000:00:05.0 is covered by no "
					"remapping unit: it can DMA anywhere in memory\n"), 1);
	assert_int_equal(host_log_count("warning: dmar device 0001:00:01.0 is covered by no "
					"remapping unit"), 1);
	assert_int_equal(host_log_count("warning: dmar device 0000:ff:00.0 is covered by no "
					"remapping unit"), 1);
	assert_int_equal(host_log_count("can DMA anywhere"), 3);
	/* Without the topology the root port's range is unknown: 01:00.0 is
	 * then uncovered too. */
	assert_int_equal(parse(aml, n), 0);
	host_log_clear();
	assert_int_equal(dmar_report_uncovered(&info, devs, ARRAY_SIZE(devs)), 4);
	assert_int_equal(host_log_count("dmar device 0000:01:00.0 is covered by no remapping "
					"unit"), 1);
	assert_int_equal(dmar_report_uncovered(&info, devs, 1), 0);
	free(aml);
}

/* ================= limits ================= */

static void test_limits(void **state)
{
	size_t s, n;

	(void)state;
	/* One unit too many: fails closed. */
	tb_init(&tb, 38, 1);
	for (int i = 0; i <= DMAR_MAX_UNITS; i++) {
		s = tb_drhd(&tb, 0, 0, 0, 0xfed00000 + 0x1000 * (uint64_t)i);
		tb_close(&tb, s);
	}
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), E_RANGE);
	assert_int_equal(info.nunits, DMAR_MAX_UNITS);
	assert_int_equal(info.ndropped, 1);
	assert_false(info.malformed);
	assert_int_equal(host_log_count("dmar limit: more than 32 remapping units"), 1);
	/* Exactly the limit is fine. */
	tb_init(&tb, 38, 1);
	for (int i = 0; i < DMAR_MAX_UNITS; i++) {
		s = tb_drhd(&tb, 0, 0, 0, 0xfed00000 + 0x1000 * (uint64_t)i);
		tb_close(&tb, s);
	}
	n = tb_finish(&tb);
	assert_int_equal(parse(tb.b, n), 0);

	/* Scopes: DMAR_MAX_SCOPES + 1 across the units -> fails closed. */
	tb_init(&tb, 38, 1);
	for (int u = 0; u < 2; u++) {
		s = tb_drhd(&tb, 0, 0, 0, 0xfed90000 + 0x1000 * (uint64_t)u);
		for (int i = 0; i < DMAR_MAX_SCOPES / 2 + u; i++)
			tb_scope(&tb, 1, 0, (uint8_t)(u * 128 + i / 32), 1, i % 32, 0);
		tb_close(&tb, s);
	}
	n = tb_finish(&tb);
	host_log_clear();
	assert_int_equal(parse(tb.b, n), E_RANGE);
	assert_int_equal(info.nscopes, DMAR_MAX_SCOPES);
	assert_int_equal(info.ndropped, 1);
	assert_int_equal(host_log_count("dmar limit: more than 256 device scopes"), 1);

	/* RMRRs beyond the limit: dropped with a warning, still usable. */
	n = tb_minimal(&tb);
	for (int i = 0; i <= DMAR_MAX_RMRRS; i++) {
		s = tb_rmrr(&tb, 0, 0x100000 * (uint64_t)(i + 1), 0x100000 * (uint64_t)(i + 1) + 0xfff);
		tb_close(&tb, s);
	}
	n = tb_finish(&tb);
	host_log_clear();
	assert_int_equal(parse(tb.b, n), 0);
	assert_int_equal(info.nrmrrs, DMAR_MAX_RMRRS);
	assert_int_equal(info.ndropped, 1);
	assert_int_equal(host_log_count("dmar limit: more than 32 rmrrs"), 1);
}

/* ================= the iasl-built tables ================= */

static void test_q35_aml(void **state)
{
	static const struct { uint8_t type, bus, dev, fn; } want[] = {
		{ 3, 0xff, 0, 0 }, { 1, 0, 0, 0 }, { 1, 0, 1, 0 }, { 2, 0, 2, 0 },
		{ 1, 0, 0x1f, 0 }, { 1, 0, 0x1f, 2 }, { 1, 0, 0x1f, 3 },
	};
	size_t n;
	uint8_t *aml = load_aml("dmar-q35", &n);
	const struct dmar_unit *u;

	(void)state;
	assert_int_equal(n, 120);
	assert_int_equal(parse(aml, n), 0);
	assert_int_equal(info.haw, 39);
	assert_true(info.intr_remap);
	assert_false(info.x2apic_opt_out);
	assert_string_equal(info.oem_id, "BOCHS");
	assert_string_equal(info.oem_table_id, "BXPC");
	assert_int_equal(info.nunits, 1);
	u = &info.units[0];
	assert_int_equal(u->base, 0xfed90000);
	assert_false(u->include_all);
	assert_int_equal(u->segment, 0);
	assert_int_equal(u->nscopes, ARRAY_SIZE(want));
	for (unsigned i = 0; i < ARRAY_SIZE(want); i++) {
		assert_int_equal(scope_of(u, i)->type, want[i].type);
		assert_int_equal(scope_of(u, i)->bus, want[i].bus);
		assert_int_equal(scope_of(u, i)->devfn, DMAR_DEVFN(want[i].dev, want[i].fn));
	}
	assert_int_equal(info.nrmrrs + info.natsrs + info.nrhsas + info.nandds + info.nsatcs, 0);
	assert_int_equal(info.warnings, 0);
	host_log_clear();
	dmar_print(&info);
	assert_int_equal(host_log_count("shoji: dmar haw=39 flags=0x1 intr_remap=yes "
					"x2apic_opt_out=no dma_ctrl_opt_in=no\n"), 1);
	assert_int_equal(host_log_count("shoji: dmar drhd unit=0 base=0xfed90000 segment=0 "
					"size=4096 include_all=no scopes=7\n"), 1);
	assert_int_equal(host_log_count("shoji: dmar usable=yes\n"), 1);
	free(aml);
}

static void test_q35_aml_patched_malformations(void **state)
{
	size_t n;
	uint8_t *aml = load_aml("dmar-q35", &n);
	uint8_t *b = malloc(n);

	(void)state;
	assert_non_null(b);
	/* Truncated dumps: every prefix fails, and reads stay inside it. */
	for (size_t k = 0; k < n; k++)
		assert_int_not_equal(parse(aml, k), 0);
	/* Bad checksum. */
	memcpy(b, aml, n);
	b[0x3a] ^= 0x01;		/* register base byte */
	assert_int_equal(parse(b, n), E_CHECKSUM);
	/* Zero-length DRHD. */
	memcpy(b, aml, n);
	put16(b + 0x32, 0);
	fix_checksum(b, n);
	assert_int_equal(parse(b, n), E_INVAL);
	assert_string_equal(info.reason, "drhd type=0 at offset 0x30 has length 0, below its "
			    "minimum of 16");
	/* Last scope (00:1f.3, at 0x70) claims 10 bytes; 8 remain. */
	memcpy(b, aml, n);
	b[0x71] = 10;
	fix_checksum(b, n);
	assert_int_equal(parse(b, n), E_INVAL);
	assert_string_equal(info.reason, "drhd at offset 0x30: device scope at offset 0x70 "
			    "(length 10) overruns its structure (8 bytes left)");
	/* The DRHD claims more than the table has. */
	memcpy(b, aml, n);
	put16(b + 0x32, 0x49);
	fix_checksum(b, n);
	assert_int_equal(parse(b, n), E_INVAL);
	assert_non_null(strstr(info.reason, "(length 73) overruns the table (72 bytes left)"));
	/* Header length shrunk into the middle of a structure, checksum fixed:
	 * every cut point fails or parses cleanly, never reading past it. */
	memcpy(b, aml, n);
	put32(b + 4, 48);
	fix_checksum(b, 48);
	assert_int_equal(parse(b, 48), E_NOENT);	/* header only: no unit */
	for (uint32_t len = 49; len < n; len++) {
		memcpy(b, aml, n);
		put32(b + 4, len);
		fix_checksum(b, len);
		assert_int_equal(parse(b, len), E_INVAL);
	}
	free(b);
	free(aml);
}

static void test_dq35joe_aml(void **state)
{
	static const struct bridge br[] = {
		{ 0, 0x00, 0x1e, 0, 0x05, 0x05 },
		{ 0, 0x00, 0x1c, 0, 0x02, 0x02 },
	};
	struct topo t = { br, ARRAY_SIZE(br), 0 };
	struct dmar_env env = topo_env(&t);
	size_t n;
	uint8_t *aml = load_aml("dmar-dq35joe", &n);
	const struct dmar_rmrr *r;

	(void)state;
	assert_int_equal(parse_env(aml, n, &env), 0);
	assert_int_equal(info.warnings, 0);
	assert_int_equal(info.haw, 35);
	assert_int_equal(info.flags, 0);
	assert_int_equal(info.nunits, 4);
	assert_int_equal(info.units[0].base, 0xfeb00000);
	assert_int_equal(info.units[1].base, 0xfeb01000);
	assert_int_equal(info.units[2].base, 0xfeb02000);
	assert_int_equal(info.units[3].base, 0xfeb03000);
	assert_int_equal(info.units[0].nscopes, 1);
	assert_int_equal(info.units[1].nscopes, 2);
	assert_int_equal(info.units[2].nscopes, 0);
	assert_int_equal(info.units[3].nscopes, 1);
	assert_false(info.units[2].include_all);
	assert_true(info.units[3].include_all);
	assert_true(info.units[3].has_proximity);

	assert_int_equal(unit_of(0, BDF(0, 0x1b, 0)), 0);	/* HD audio */
	assert_int_equal(unit_of(0, BDF(0, 0x02, 0)), 1);	/* graphics */
	assert_int_equal(unit_of(0, BDF(0, 0x02, 1)), 1);
	assert_int_equal(unit_of(0, BDF(0, 0x1f, 2)), 3);	/* SATA: all others */
	assert_int_equal(unit_of(0, BDF(5, 0x01, 0)), 3);
	assert_int_equal(unit_of(1, BDF(0, 0x1f, 2)), -1);

	assert_int_equal(info.nrmrrs, 1);
	r = &info.rmrrs[0];
	assert_int_equal(r->base, 0x3f6e8000);
	assert_int_equal(r->limit, 0x3f6fffff);
	assert_true(r->valid);
	assert_int_equal(r->nscopes, 3);
	assert_int_equal(dmar_scope_at(&info, r->first_scope, 1)->devfn, DMAR_DEVFN(0x1d, 7));
	/* The two-hop path 1e.0/01.0 through bridge 00:1e.0 (secondary 5). */
	assert_true(dmar_scope_at(&info, r->first_scope, 2)->resolved);
	assert_int_equal(dmar_scope_at(&info, r->first_scope, 2)->bus, 5);
	assert_int_equal(dmar_scope_at(&info, r->first_scope, 2)->devfn, DMAR_DEVFN(1, 0));

	assert_int_equal(info.natsrs, 1);
	assert_int_equal(info.atsrs[0].nscopes, 1);
	assert_int_equal(dmar_scope_at(&info, info.atsrs[0].first_scope, 0)->sec_bus, 2);
	assert_int_equal(info.nrhsas, 1);
	assert_int_equal(info.rhsas[0].unit, 3);
	assert_int_equal(info.nandds, 1);
	assert_int_equal(info.andds[0].number, 1);
	assert_string_equal(info.andds[0].name, "\\_SB.PCI0.LPCB.DMAC");

	host_log_clear();
	dmar_print(&info);
	assert_int_equal(host_log_count("shoji: dmar drhd unit=3 base=0xfeb03000 segment=0 "
					"size=4096 include_all=yes scopes=1 proximity=0\n"), 1);
	assert_int_equal(host_log_count("shoji: dmar rmrr base=0x3f6e8000 limit=0x3f6fffff "
					"segment=0 scopes=3\n"), 1);
	assert_int_equal(host_log_count("shoji: dmar   scope type=endpoint bdf=05:01.0 "
					"start_bus=00 path=1e.0/01.0\n"), 1);
	assert_int_equal(host_log_count("shoji: dmar   scope type=bridge bdf=00:1c.0 path=1c.0 "
					"buses=02-02\n"), 1);
	/* Without topology the multi-hop path stays a path. */
	assert_int_equal(parse(aml, n), 0);
	assert_false(dmar_scope_at(&info, info.rmrrs[0].first_scope, 2)->resolved);
	free(aml);
}

static void test_server_aml(void **state)
{
	static const struct bridge br[] = {
		{ 0, 0x00, 0x03, 0, 0x04, 0x06 },
		{ 0, 0x00, 0x1c, 4, 0x09, 0x09 },
		{ 0, 0x00, 0x01, 0, 0x01, 0x01 },
	};
	struct topo t = { br, ARRAY_SIZE(br), 0 };
	struct dmar_env env = topo_env(&t);
	size_t n;
	uint8_t *aml = load_aml("dmar-server", &n);

	(void)state;
	assert_int_equal(parse_env(aml, n, &env), 0);
	assert_int_equal(info.warnings, 0);
	assert_int_equal(info.haw, 46);
	assert_true(info.intr_remap && info.x2apic_opt_out && info.dma_ctrl_opt_in);
	assert_int_equal(info.nunits, 3);
	assert_int_equal(info.units[2].segment, 1);
	assert_int_equal(info.units[2].proximity, 1);
	assert_int_equal(unit_of(0, BDF(0x00, 0x03, 0)), 0);
	assert_int_equal(unit_of(0, BDF(0x05, 0x00, 0)), 0);
	assert_int_equal(unit_of(0, BDF(0x09, 0x00, 0)), 0);	/* two-hop endpoint */
	assert_int_equal(unit_of(0, BDF(0x09, 0x00, 1)), 1);	/* its sibling: not listed */
	assert_int_equal(unit_of(0, BDF(0x07, 0x00, 0)), 1);
	assert_int_equal(unit_of(0, BDF(0x00, 0x1c, 4)), 1);
	assert_int_equal(unit_of(1, BDF(0x00, 0x1c, 4)), 2);
	assert_int_equal(unit_of(2, BDF(0x00, 0x1c, 4)), -1);
	assert_int_equal(scope_of(&info.units[0], 2)->type, DMAR_SCOPE_HPET);
	assert_int_equal(scope_of(&info.units[1], 1)->enum_id, 9);
	assert_int_equal(scope_of(&info.units[1], 1)->devfn, DMAR_DEVFN(5, 4));
	assert_int_equal(scope_of(&info.units[2], 0)->bus, 0x80);
	assert_int_equal(info.nrmrrs, 2);
	assert_int_equal(info.rmrrs[1].limit, 0x7fffffff);
	assert_int_equal(info.natsrs, 2);
	assert_true(info.atsrs[1].all_ports);
	assert_int_equal(info.nrhsas, 3);
	assert_int_equal(info.nandds, 1);
	free(aml);
}

static void test_fwbugs_aml(void **state)
{
	static const char *const expect[] = {
		"dmar drhd unit=0 segment=0: INCLUDE_PCI_ALL unit is not the last DRHD",
		"dmar scope at offset 0x40: acpi device number 7 has no andd",
		"dmar drhd unit=2 base=0xfed91000: same register base as unit 1",
		"dmar drhd unit=3 segment=0: second INCLUDE_PCI_ALL unit",
		"dmar drhd unit=3: INCLUDE_PCI_ALL unit lists a PCI endpoint scope",
		"dmar device 00:02.0 segment=0 is listed by unit 1 and unit 3",
		"dmar rmrr 1 base=0xf0000 limit=0x10ffff overlaps rmrr 0",
		"dmar rmrr 1: scope at offset 0xc8 is of type bridge",
		"dmar rmrr 2 base=0x100800 limit=0x101fff: base is not 4 KiB aligned",
		"dmar atsr 0: ALL_PORTS is set and device scopes are listed too",
		"dmar rhsa base=0xdead0000 proximity=3 names no remapping unit",
	};
	size_t n;
	uint8_t *aml = load_aml("dmar-fwbugs", &n);

	(void)state;
	assert_int_equal(parse(aml, n), 0);
	assert_true(info.usable);
	assert_int_equal(info.warnings, ARRAY_SIZE(expect));
	assert_int_equal(host_log_count("shoji: warning: "), ARRAY_SIZE(expect));
	for (size_t i = 0; i < ARRAY_SIZE(expect); i++)
		if (host_log_count(expect[i]) != 1)
			fail_msg("expected once: %s\nlog:\n%s", expect[i], host_log);
	assert_int_equal(info.units[2].dup_of, 1);
	assert_false(info.rmrrs[2].valid);
	free(aml);
}

static void test_badbase_aml(void **state)
{
	size_t n;
	uint8_t *aml = load_aml("dmar-badbase", &n);

	(void)state;
	assert_int_equal(parse(aml, n), E_INVAL);
	assert_false(info.usable);
	assert_false(info.malformed);
	assert_int_equal(info.nunits, 3);
	for (int i = 0; i < 3; i++)
		assert_false(info.units[i].usable);
	assert_string_equal(info.reason, "unit 0 has an invalid register base 0x0: devices under "
			    "it cannot be protected");
	assert_int_equal(host_log_count("register base is zero"), 1);
	assert_int_equal(host_log_count("register base is not 4 KiB aligned"), 1);
	assert_int_equal(host_log_count("register base is all-ones"), 1);
	free(aml);
}

/* ================= robustness ================= */

static uint32_t rng_state = 0x5eed1234;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

/* Random corruption of the good tables, checksum repaired so the
 * structure walk is what gets exercised. Whatever the verdict, the parser
 * must stay inside the buffer (ASan) and keep its counts within limits. */
static void test_fuzz_corrupted_tables(void **state)
{
	static const char *const names[] = { "dmar-q35", "dmar-dq35joe", "dmar-server",
					      "dmar-fwbugs" };
	struct topo t = { topo1_br, ARRAY_SIZE(topo1_br), 0 };
	struct dmar_env env = topo_env(&t);
	unsigned good = 0, bad = 0;

	(void)state;
	for (size_t f = 0; f < ARRAY_SIZE(names); f++) {
		size_t n;
		uint8_t *aml = load_aml(names[f], &n);
		uint8_t *b = malloc(n);

		assert_non_null(b);
		for (int iter = 0; iter < 3000; iter++) {
			size_t len = n;
			int flips = 1 + (int)(rng() % 4);

			memcpy(b, aml, n);
			for (int k = 0; k < flips; k++) {
				size_t at = 36 + rng() % (n - 36);

				/* Favour length bytes: small values hit the edges. */
				b[at] = (rng() & 1) ? (uint8_t)rng() : (uint8_t)(rng() % 12);
			}
			if (rng() % 4 == 0) {
				len = 48 + rng() % (n - 48);
				put32(b + 4, (uint32_t)len);
			}
			fix_checksum(b, len);
			host_log_clear();
			if (parse_env(b, len, (iter & 1) ? &env : NULL) == 0)
				good++;
			else
				bad++;
			assert_true(info.nunits <= DMAR_MAX_UNITS);
			assert_true(info.nscopes <= DMAR_MAX_SCOPES);
			assert_int_equal(info.usable, info.error == 0);
			if (!info.usable)
				assert_true(info.reason[0] != '\0');
			dmar_print(&info);
		}
		free(b);
		free(aml);
	}
	assert_true(good > 100);
	assert_true(bad > 100);
}

#define T(f) cmocka_unit_test_setup(f, setup)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_minimal_table),
		T(test_header_flags),
		T(test_short_buffers),
		T(test_bad_signature),
		T(test_header_length_below_minimum),
		T(test_header_length_beyond_data),
		T(test_bad_checksum),
		T(test_zero_length_structure),
		T(test_structure_below_its_minimum),
		T(test_structure_overruns_table),
		T(test_trailing_bytes),
		T(test_unknown_structures_skipped),
		T(test_scope_malformations),
		T(test_reserved_scope_types_skipped),
		T(test_all_scope_types),
		T(test_multihop_resolution),
		T(test_multihop_unresolvable),
		T(test_path_longer_than_limit),
		T(test_drhd_fields),
		T(test_rmrr_fields_and_validation),
		T(test_rmrr_overlap),
		T(test_rmrr_reserved_memory_check),
		T(test_atsr_rhsa_andd_satc),
		T(test_scope_rules_per_structure),
		T(test_bad_register_bases),
		T(test_duplicate_and_include_all_rules),
		T(test_no_drhd),
		T(test_coverage_sub_hierarchy),
		T(test_report_uncovered),
		T(test_limits),
		T(test_q35_aml),
		T(test_q35_aml_patched_malformations),
		T(test_dq35joe_aml),
		T(test_server_aml),
		T(test_fwbugs_aml),
		T(test_badbase_aml),
		T(test_fuzz_corrupted_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
