/* Unit tests for src/platform/acpi.c: synthetic RSDP/RSDT/XSDT/MADT/MCFG
 * built in memory. Host HAL: physical address == host pointer value. Every
 * table is placed so that it ends exactly at a PROT_NONE guard page, so a
 * read past a table's end crashes the test instead of passing unnoticed.
 * Mappings use MAP_32BIT because RSDT entries are 32-bit addresses. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "host/host.h"
#include "lib/error.h"
#include "platform/acpi.h"

/* ---- guarded low allocations ---- */

#define MAX_MAPS 64
static struct {
	void *base;
	size_t size;
} maps[MAX_MAPS];
static int nmaps;

/* len bytes (zeroed) that end right before a guard page, below 2 GiB. */
static void *alloc_low(size_t len)
{
	size_t pages = (len + 4095) / 4096;
	size_t size = (pages + 1) * 4096;
	uint8_t *base;

	base = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	assert_true(base != MAP_FAILED);
	assert_true((uintptr_t)base + size <= 0xffffffffu);
	assert_int_equal(mprotect(base + pages * 4096, 4096, PROT_NONE), 0);
	assert_true(nmaps < MAX_MAPS);
	maps[nmaps].base = base;
	maps[nmaps].size = size;
	nmaps++;
	return base + pages * 4096 - len;
}

static int setup(void **state)
{
	(void)state;
	host_log_clear();
	acpi_host_lowmem_base = 0;
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < nmaps; i++)
		munmap(maps[i].base, maps[i].size);
	nmaps = 0;
	acpi_host_lowmem_base = 0;
	return 0;
}

/* ---- table builders ---- */

static paddr_t pa_of(const void *p)
{
	return (paddr_t)(uintptr_t)p;
}

static void fix_checksum(struct acpi_header *t)
{
	t->checksum = 0;
	t->checksum = (uint8_t)(0x100 - acpi_checksum(t, t->length));
}

static struct acpi_header *mk_table(const char *sig, uint32_t len, uint8_t rev)
{
	struct acpi_header *t = alloc_low(len < 36 ? 36 : len);

	memcpy(t->signature, sig, 4);
	t->length = len;
	t->revision = rev;
	memcpy(t->oem_id, "BOCHS ", 6);
	memcpy(t->oem_table_id, "BXPC    ", 8);
	t->oem_revision = 1;
	t->creator_id = 0x43505842;	/* "BXPC" */
	t->creator_revision = 1;
	if (len >= 36)
		fix_checksum(t);
	return t;
}

static struct acpi_header *mk_rsdt(const paddr_t *ents, unsigned n)
{
	struct acpi_header *t = mk_table("RSDT", 36 + 4 * n, 1);

	for (unsigned i = 0; i < n; i++) {
		uint32_t e = (uint32_t)ents[i];

		assert_true(ents[i] <= 0xffffffffu);
		memcpy((uint8_t *)t + 36 + 4 * i, &e, 4);
	}
	fix_checksum(t);
	return t;
}

static struct acpi_header *mk_xsdt(const paddr_t *ents, unsigned n)
{
	struct acpi_header *t = mk_table("XSDT", 36 + 8 * n, 1);

	for (unsigned i = 0; i < n; i++)
		memcpy((uint8_t *)t + 36 + 8 * i, &ents[i], 8);
	fix_checksum(t);
	return t;
}

/* Fills a 36-byte RSDP at p (revision 0 uses only the first 20 bytes). */
static void fill_rsdp(void *p, uint8_t rev, paddr_t rsdt, paddr_t xsdt)
{
	struct acpi_rsdp *r = p;

	memset(r, 0, rev >= 2 ? 36 : 20);
	memcpy(r->signature, "RSD PTR ", 8);
	memcpy(r->oem_id, "BOCHS ", 6);
	r->revision = rev;
	r->rsdt_address = (uint32_t)rsdt;
	r->checksum = (uint8_t)(0x100 - acpi_checksum(r, 20));
	if (rev >= 2) {
		r->length = 36;
		r->xsdt_address = xsdt;
		r->extended_checksum = (uint8_t)(0x100 - acpi_checksum(r, 36));
	}
}

static struct acpi_rsdp *mk_rsdp(uint8_t rev, paddr_t rsdt, paddr_t xsdt)
{
	struct acpi_rsdp *r = alloc_low(rev >= 2 ? 36 : 20);

	fill_rsdp(r, rev, rsdt, xsdt);
	return r;
}

/* Initialises from an RSDT listing n tables. */
static void init_rsdt(const paddr_t *ents, unsigned n)
{
	struct acpi_header *rsdt = mk_rsdt(ents, n);
	struct acpi_rsdp *r = mk_rsdp(0, pa_of(rsdt), 0);

	assert_int_equal(acpi_init_from_rsdp(r, 20), 0);
}

static int count_tables(void)
{
	unsigned cur = 0;
	int n = 0;

	while (acpi_next_table(&cur))
		n++;
	return n;
}

/* ---- RSDP and root tables ---- */

static void test_rsdp_v1_good(void **state)
{
	struct acpi_header *apic = mk_table("APIC", 44, 3);
	struct acpi_header *facp = mk_table("FACP", 116, 1);
	paddr_t ents[] = { pa_of(facp), pa_of(apic) };
	struct acpi_header *rsdt = mk_rsdt(ents, 2);
	struct acpi_rsdp copy;
	const struct acpi_root_info *ri;

	(void)state;
	/* The boot loader's copy: a local buffer, scribbled over afterwards. */
	fill_rsdp(&copy, 0, pa_of(rsdt), 0);
	assert_int_equal(acpi_init_from_rsdp(&copy, 20), 0);
	memset(&copy, 0xaa, sizeof(copy));

	ri = acpi_root_info();
	assert_non_null(ri);
	assert_int_equal(ri->revision, 0);
	assert_string_equal(ri->oem_id, "BOCHS");
	assert_false(ri->use_xsdt);
	assert_int_equal(ri->root_addr, pa_of(rsdt));
	assert_int_equal(ri->rsdt_addr, pa_of(rsdt));
	assert_int_equal(ri->xsdt_addr, 0);
	assert_int_equal(ri->entries, 2);

	assert_ptr_equal(acpi_find_table("APIC", 0), apic);
	assert_ptr_equal(acpi_find_table("FACP", 0), facp);
	assert_null(acpi_find_table("APIC", 1));
	assert_null(acpi_find_table("DMAR", 0));
	assert_null(acpi_find_table("API", 0));
	assert_int_equal(acpi_table_addr(acpi_find_table("APIC", 0)), pa_of(apic));
	assert_int_equal(count_tables(), 2);
	assert_int_equal(host_log_count("warning"), 0);
}

static void test_rsdp_v2_xsdt_preferred(void **state)
{
	struct acpi_header *x_apic = mk_table("APIC", 44, 3);
	struct acpi_header *r_apic = mk_table("APIC", 44, 1);
	struct acpi_header *dmar = mk_table("DMAR", 88, 1);
	paddr_t xents[] = { pa_of(x_apic), pa_of(dmar) };
	paddr_t rents[] = { pa_of(r_apic) };
	struct acpi_header *xsdt = mk_xsdt(xents, 2);
	struct acpi_header *rsdt = mk_rsdt(rents, 1);
	struct acpi_rsdp *r = mk_rsdp(2, pa_of(rsdt), pa_of(xsdt));
	const struct acpi_root_info *ri;

	(void)state;
	assert_int_equal(acpi_init_from_rsdp(r, 36), 0);
	ri = acpi_root_info();
	assert_non_null(ri);
	assert_int_equal(ri->revision, 2);
	assert_true(ri->use_xsdt);
	assert_int_equal(ri->root_addr, pa_of(xsdt));
	assert_int_equal(ri->xsdt_addr, pa_of(xsdt));
	assert_int_equal(ri->rsdt_addr, pa_of(rsdt));
	assert_int_equal(ri->rsdp_addr, pa_of(r));
	assert_ptr_equal(acpi_find_table("APIC", 0), x_apic);
	assert_null(acpi_find_table("APIC", 1));
	assert_ptr_equal(acpi_find_table("DMAR", 0), dmar);
	assert_int_equal(host_log_count("warning"), 0);
}

static void test_rsdp_v2_without_xsdt_uses_rsdt(void **state)
{
	struct acpi_header *apic = mk_table("APIC", 44, 1);
	paddr_t ents[] = { pa_of(apic) };
	struct acpi_header *rsdt = mk_rsdt(ents, 1);
	struct acpi_rsdp *r = mk_rsdp(2, pa_of(rsdt), 0);

	(void)state;
	assert_int_equal(acpi_init_from_rsdp(r, 36), 0);
	assert_false(acpi_root_info()->use_xsdt);
	assert_ptr_equal(acpi_find_table("APIC", 0), apic);
	assert_int_equal(host_log_count("warning"), 0);
}

static void test_rsdp_bad_checksum(void **state)
{
	struct acpi_header *rsdt = mk_rsdt(NULL, 0);
	struct acpi_rsdp *r = mk_rsdp(0, pa_of(rsdt), 0);

	(void)state;
	r->checksum ^= 1;
	assert_int_equal(acpi_init_from_rsdp(r, 20), E_CHECKSUM);
	assert_null(acpi_root_info());
	assert_null(acpi_find_table("RSDT", 0));
	assert_int_equal(host_log_count("warning: acpi rsdp addr="), 1);
	assert_int_equal(host_log_count("reason=bad-checksum"), 1);
}

static void test_rsdp_bad_extended_checksum(void **state)
{
	struct acpi_header *rsdt = mk_rsdt(NULL, 0);
	struct acpi_header *xsdt = mk_xsdt(NULL, 0);
	struct acpi_rsdp *r = mk_rsdp(2, pa_of(rsdt), pa_of(xsdt));

	(void)state;
	/* Byte 32 is outside the first 20: only the extended sum breaks. */
	r->extended_checksum ^= 0x40;
	assert_int_equal(acpi_init_from_rsdp(r, 36), E_CHECKSUM);
	assert_null(acpi_root_info());
	assert_int_equal(host_log_count("reason=bad-extended-checksum"), 1);
}

static void test_rsdp_malformed(void **state)
{
	struct acpi_header *rsdt = mk_rsdt(NULL, 0);
	struct acpi_header *xsdt = mk_xsdt(NULL, 0);
	struct acpi_rsdp *r = mk_rsdp(2, pa_of(rsdt), pa_of(xsdt));
	struct acpi_rsdp *v1 = mk_rsdp(0, pa_of(rsdt), 0);

	(void)state;
	/* Revision 2 handed over with only 20 bytes. */
	assert_int_equal(acpi_init_from_rsdp(r, 20), E_INVAL);
	assert_int_equal(host_log_count("reason=too-short"), 1);
	/* Length field below 36 and far too large (checksums kept valid). */
	r->length = 20;
	r->extended_checksum = 0;
	r->extended_checksum = (uint8_t)(0x100 - acpi_checksum(r, 36));
	assert_int_equal(acpi_init_from_rsdp(r, 36), E_INVAL);
	r->length = 0x10000000;
	r->extended_checksum = 0;
	r->extended_checksum = (uint8_t)(0x100 - acpi_checksum(r, 36));
	assert_int_equal(acpi_init_from_rsdp(r, 36), E_INVAL);
	assert_int_equal(host_log_count("reason=bad-length"), 2);
	/* Length says 40 but only 36 bytes were handed over. */
	r->length = 40;
	r->extended_checksum = 0;
	r->extended_checksum = (uint8_t)(0x100 - acpi_checksum(r, 36));
	assert_int_equal(acpi_init_from_rsdp(r, 36), E_INVAL);
	assert_int_equal(host_log_count("reason=too-short"), 2);
	/* Signature. */
	v1->signature[0] = 'X';
	assert_int_equal(acpi_init_from_rsdp(v1, 20), E_INVAL);
	assert_int_equal(host_log_count("reason=bad-signature"), 1);
	assert_int_equal(acpi_init_from_rsdp(NULL, 36), E_INVAL);
	assert_null(acpi_root_info());
	/* A valid RSDP pointing nowhere. */
	fill_rsdp(v1, 0, 0, 0);
	assert_int_equal(acpi_init_from_rsdp(v1, 20), E_INVAL);
	assert_int_equal(host_log_count("error: acpi no usable root table rsdt=0x00000000 reason=absent"), 1);
	assert_null(acpi_root_info());
}

static void test_bad_xsdt_falls_back_to_rsdt(void **state)
{
	struct acpi_header *x_apic = mk_table("APIC", 44, 3);
	struct acpi_header *r_apic = mk_table("APIC", 44, 1);
	paddr_t xents[] = { pa_of(x_apic) };
	paddr_t rents[] = { pa_of(r_apic) };
	struct acpi_header *xsdt = mk_xsdt(xents, 1);
	struct acpi_header *rsdt = mk_rsdt(rents, 1);
	struct acpi_rsdp *r = mk_rsdp(2, pa_of(rsdt), pa_of(xsdt));
	char want[160];

	(void)state;
	xsdt->checksum ^= 0x5a;
	assert_int_equal(acpi_init_from_rsdp(r, 36), 0);
	assert_false(acpi_root_info()->use_xsdt);
	assert_int_equal(acpi_root_info()->root_addr, pa_of(rsdt));
	assert_int_equal(acpi_root_info()->xsdt_addr, 0);
	assert_ptr_equal(acpi_find_table("APIC", 0), r_apic);
	snprintf(want, sizeof(want),
		 "shoji: warning: acpi bad root sig=XSDT addr=0x%08lx reason=bad-checksum fallback=rsdt\n",
		 (unsigned long)pa_of(xsdt));
	assert_int_equal(host_log_count(want), 1);

	/* A wrong signature at XsdtAddress is also refused. */
	host_log_clear();
	fix_checksum(xsdt);
	memcpy(xsdt->signature, "XSDX", 4);
	fix_checksum(xsdt);
	assert_int_equal(acpi_init_from_rsdp(r, 36), 0);
	assert_false(acpi_root_info()->use_xsdt);
	assert_int_equal(host_log_count("reason=bad-signature fallback=rsdt"), 1);
}

static void test_both_roots_bad(void **state)
{
	struct acpi_header *xsdt = mk_xsdt(NULL, 0);
	struct acpi_header *rsdt = mk_rsdt(NULL, 0);
	struct acpi_rsdp *r = mk_rsdp(2, pa_of(rsdt), pa_of(xsdt));

	(void)state;
	xsdt->checksum ^= 1;
	rsdt->checksum ^= 1;
	assert_int_equal(acpi_init_from_rsdp(r, 36), E_CHECKSUM);
	assert_null(acpi_root_info());
	assert_int_equal(host_log_count("fallback=none"), 1);
	assert_int_equal(host_log_count("error: acpi no usable root table"), 1);

	/* Root length below 36. */
	host_log_clear();
	rsdt->length = 30;
	xsdt->length = 0x7fffffff;
	assert_int_equal(acpi_init_from_rsdp(r, 36), E_INVAL);
	assert_int_equal(host_log_count("reason=length-too-large fallback=none"), 1);
	assert_int_equal(host_log_count("reason=length-too-small"), 1);
}

/* ---- table lookup ---- */

static void test_bad_checksum_table_skipped_once(void **state)
{
	struct acpi_header *bad = mk_table("APIC", 44, 1);
	struct acpi_header *good = mk_table("APIC", 44, 1);
	paddr_t ents[] = { pa_of(bad), pa_of(good) };
	char want[160];

	(void)state;
	bad->checksum ^= 0x10;
	init_rsdt(ents, 2);
	assert_ptr_equal(acpi_find_table("APIC", 0), good);
	assert_null(acpi_find_table("APIC", 1));
	snprintf(want, sizeof(want),
		 "shoji: warning: acpi bad table sig=APIC addr=0x%08lx len=44 reason=bad-checksum\n",
		 (unsigned long)pa_of(bad));
	assert_int_equal(host_log_count(want), 1);
	/* Further lookups and iteration do not repeat the warning. */
	assert_ptr_equal(acpi_find_table("APIC", 0), good);
	assert_int_equal(count_tables(), 1);
	assert_int_equal(host_log_count("acpi bad table"), 1);
	/* Other signatures do not validate (or warn about) it either. */
	assert_null(acpi_find_table("MCFG", 0));
	assert_int_equal(host_log_count("warning"), 1);
}

static void test_table_bad_length_rejected(void **state)
{
	struct acpi_header *small = mk_table("SSDT", 20, 1);
	struct acpi_header *huge = mk_table("SSDT", 64, 1);
	struct acpi_header *ok = mk_table("SSDT", 64, 2);
	paddr_t ents[] = { pa_of(small), pa_of(huge), pa_of(ok) };
	const struct acpi_header *t;

	(void)state;
	/* A hostile length far beyond the mapping: must not be walked. */
	huge->length = 0x40000000;
	init_rsdt(ents, 3);
	assert_ptr_equal(acpi_find_table("SSDT", 0), ok);
	assert_null(acpi_find_table("SSDT", 1));
	assert_int_equal(host_log_count("len=20 reason=length-too-small"), 1);
	assert_int_equal(host_log_count("len=1073741824 reason=length-too-large"), 1);

	/* Just past the limit is rejected by acpi_validate_table, too. */
	t = ok;
	assert_int_equal(acpi_validate_table(t, NULL), 0);
	huge->length = (uint32_t)ACPI_TABLE_MAX_LEN + 1;
	assert_int_equal(acpi_validate_table(huge, NULL), E_RANGE);
	small->length = 35;
	assert_int_equal(acpi_validate_table(small, NULL), E_RANGE);
}

static void test_multiple_instances_and_iterator(void **state)
{
	struct acpi_header *s0 = mk_table("SSDT", 40, 1);
	struct acpi_header *apic = mk_table("APIC", 44, 1);
	struct acpi_header *s1 = mk_table("SSDT", 50, 1);
	struct acpi_header *s2 = mk_table("SSDT", 60, 1);
	paddr_t ents[] = { pa_of(s0), 0, pa_of(apic), pa_of(s1), pa_of(s2),
			   0xfffffffffffffff0ull };
	struct acpi_header *xsdt = mk_xsdt(ents, 6);
	struct acpi_header *rsdt = mk_rsdt(NULL, 0);
	struct acpi_rsdp *r = mk_rsdp(2, pa_of(rsdt), pa_of(xsdt));
	const struct acpi_header *t;
	const struct acpi_header *seen[8];
	unsigned cur = 0;
	int n = 0;

	(void)state;
	assert_int_equal(acpi_init_from_rsdp(r, 36), 0);
	/* The unusable entries are reported once, at init. */
	assert_int_equal(host_log_count("addr=0x00000000 len=0 reason=null-address"), 1);
	assert_int_equal(host_log_count("addr=0xfffffffffffffff0 len=0 reason=address-overflow"), 1);
	assert_ptr_equal(acpi_find_table("SSDT", 0), s0);
	assert_ptr_equal(acpi_find_table("SSDT", 1), s1);
	assert_ptr_equal(acpi_find_table("SSDT", 2), s2);
	assert_null(acpi_find_table("SSDT", 3));
	assert_int_equal(acpi_table_addr(acpi_find_table("SSDT", 2)), pa_of(s2));

	while ((t = acpi_next_table(&cur)) && n < 8)
		seen[n++] = t;
	assert_int_equal(n, 4);
	assert_ptr_equal(seen[0], s0);
	assert_ptr_equal(seen[1], apic);
	assert_ptr_equal(seen[2], s1);
	assert_ptr_equal(seen[3], s2);
	assert_int_equal(host_log_count("warning"), 2);
}

static void test_root_entry_limit(void **state)
{
	struct acpi_header *ssdt = mk_table("SSDT", 40, 1);
	paddr_t ents[ACPI_MAX_TABLES + 3];

	(void)state;
	for (unsigned i = 0; i < ARRAY_SIZE(ents); i++)
		ents[i] = pa_of(ssdt);
	init_rsdt(ents, ARRAY_SIZE(ents));
	assert_int_equal(acpi_root_info()->entries, ACPI_MAX_TABLES);
	assert_int_equal(count_tables(), ACPI_MAX_TABLES);
	assert_int_equal(host_log_count("acpi rsdt entries=131 kept=128 reason=limit"), 1);
}

static void test_report_lines(void **state)
{
	struct acpi_header *dmar = mk_table("DMAR", 88, 1);
	struct acpi_header *facp = mk_table("FACP", 244, 3);
	paddr_t ents[] = { pa_of(facp), pa_of(dmar) };
	struct acpi_header *xsdt = mk_xsdt(ents, 2);
	struct acpi_header *rsdt = mk_rsdt(ents, 2);
	struct acpi_rsdp *r = mk_rsdp(2, pa_of(rsdt), pa_of(xsdt));
	char want[200];

	(void)state;
	memcpy(facp->oem_id, "A B\0\0\0", 6);
	fix_checksum(facp);
	assert_int_equal(acpi_init_from_rsdp(r, 36), 0);
	host_log_clear();
	acpi_log_tables();
	snprintf(want, sizeof(want),
		 "shoji: acpi rsdp addr=0x%08lx revision=2 oem=BOCHS root=xsdt addr=0x%08lx\n",
		 (unsigned long)pa_of(r), (unsigned long)pa_of(xsdt));
	assert_int_equal(host_log_count(want), 1);
	snprintf(want, sizeof(want),
		 "shoji: acpi table sig=DMAR addr=0x%08lx len=88 rev=1 oem=BOCHS\n",
		 (unsigned long)pa_of(dmar));
	assert_int_equal(host_log_count(want), 1);
	snprintf(want, sizeof(want),
		 "shoji: acpi table sig=FACP addr=0x%08lx len=244 rev=3 oem=A_B\n",
		 (unsigned long)pa_of(facp));
	assert_int_equal(host_log_count(want), 1);
	assert_int_equal(host_log_count("shoji: "), 3);
}

/* ---- MADT ---- */

struct madt_builder {
	uint8_t buf[8192];
	size_t len;
};

static void mb_init(struct madt_builder *b, uint32_t lapic, uint32_t flags)
{
	memset(b, 0, sizeof(*b));
	b->len = 44;
	memcpy(b->buf + 36, &lapic, 4);
	memcpy(b->buf + 40, &flags, 4);
}

static void mb_add(struct madt_builder *b, const void *entry, size_t len)
{
	assert_true(b->len + len <= sizeof(b->buf));
	memcpy(b->buf + b->len, entry, len);
	b->len += len;
}

static void mb_lapic(struct madt_builder *b, uint8_t uid, uint8_t id, uint32_t flags)
{
	uint8_t e[8] = { 0, 8, uid, id };

	memcpy(e + 4, &flags, 4);
	mb_add(b, e, 8);
}

static void mb_x2apic(struct madt_builder *b, uint32_t id, uint32_t uid, uint32_t flags)
{
	uint8_t e[16] = { 9, 16 };

	memcpy(e + 4, &id, 4);
	memcpy(e + 8, &flags, 4);
	memcpy(e + 12, &uid, 4);
	mb_add(b, e, 16);
}

static void mb_ioapic(struct madt_builder *b, uint8_t id, uint32_t addr, uint32_t gsi)
{
	uint8_t e[12] = { 1, 12, id, 0 };

	memcpy(e + 4, &addr, 4);
	memcpy(e + 8, &gsi, 4);
	mb_add(b, e, 12);
}

static void mb_iso(struct madt_builder *b, uint8_t bus, uint8_t src, uint32_t gsi,
		   uint16_t flags)
{
	uint8_t e[10] = { 2, 10, bus, src };

	memcpy(e + 4, &gsi, 4);
	memcpy(e + 8, &flags, 2);
	mb_add(b, e, 10);
}

/* Copies the built MADT into a guarded table (ends at a guard page). */
static struct acpi_header *mb_finish(struct madt_builder *b)
{
	struct acpi_header *t = mk_table("APIC", (uint32_t)b->len, 4);

	memcpy((uint8_t *)t + 36, b->buf + 36, b->len - 36);
	fix_checksum(t);
	return t;
}

static struct acpi_madt madt;	/* large: keep off the stack */

static void test_madt_all_types(void **state)
{
	struct madt_builder b;
	struct acpi_header *t;
	uint8_t nmi_src[8] = { 3, 8, 0x0d, 0, 9, 0, 0, 0 };
	uint8_t lapic_nmi[6] = { 4, 6, 0xff, 0x05, 0, 1 };
	uint8_t x2_nmi[12] = { 10, 12, 0x05, 0, 0xff, 0xff, 0xff, 0xff, 1 };
	uint8_t override[12] = { 5, 12, 0, 0, 0x00, 0x00, 0xe1, 0xfe, 0x01, 0, 0, 0 };
	uint8_t unknown[4] = { 0x7f, 4, 1, 2 };
	paddr_t ents[1];

	(void)state;
	mb_init(&b, 0xfee00000, 1);
	mb_lapic(&b, 0, 0, 1);			/* enabled */
	mb_lapic(&b, 1, 1, 2);			/* online capable */
	mb_lapic(&b, 2, 2, 0);			/* unusable */
	mb_x2apic(&b, 300, 7, 1);
	mb_ioapic(&b, 2, 0xfec00000, 0);
	mb_ioapic(&b, 3, 0xfec01000, 24);
	mb_iso(&b, 0, 0, 2, 0);
	mb_iso(&b, 0, 9, 9, 0x000d);
	mb_add(&b, nmi_src, sizeof(nmi_src));
	mb_add(&b, lapic_nmi, sizeof(lapic_nmi));
	mb_add(&b, x2_nmi, sizeof(x2_nmi));
	mb_add(&b, override, sizeof(override));
	mb_add(&b, unknown, sizeof(unknown));
	t = mb_finish(&b);
	ents[0] = pa_of(t);
	init_rsdt(ents, 1);

	assert_int_equal(acpi_madt_parse(&madt), 0);
	assert_int_equal(madt.lapic_addr, 0x1fee10000ull);
	assert_true(madt.lapic_overridden);
	assert_int_equal(madt.flags, 1);
	assert_int_equal(madt.ncpus, 3);
	assert_int_equal(madt.cpus[0].apic_id, 0);
	assert_int_equal(madt.cpus[0].uid, 0);
	assert_true(madt.cpus[0].enabled);
	assert_false(madt.cpus[0].online_capable);
	assert_false(madt.cpus[0].x2apic);
	assert_int_equal(madt.cpus[1].apic_id, 1);
	assert_false(madt.cpus[1].enabled);
	assert_true(madt.cpus[1].online_capable);
	assert_int_equal(madt.cpus[2].apic_id, 300);
	assert_int_equal(madt.cpus[2].uid, 7);
	assert_true(madt.cpus[2].enabled);
	assert_true(madt.cpus[2].x2apic);
	assert_int_equal(madt.disabled_cpus, 1);
	assert_int_equal(madt.nioapics, 2);
	assert_int_equal(madt.ioapics[0].id, 2);
	assert_int_equal(madt.ioapics[0].addr, 0xfec00000);
	assert_int_equal(madt.ioapics[0].gsi_base, 0);
	assert_int_equal(madt.ioapics[1].id, 3);
	assert_int_equal(madt.ioapics[1].addr, 0xfec01000);
	assert_int_equal(madt.ioapics[1].gsi_base, 24);
	assert_int_equal(madt.nisos, 2);
	assert_int_equal(madt.isos[0].bus, 0);
	assert_int_equal(madt.isos[0].source, 0);
	assert_int_equal(madt.isos[0].gsi, 2);
	assert_int_equal(madt.isos[0].flags, 0);
	assert_int_equal(madt.isos[1].source, 9);
	assert_int_equal(madt.isos[1].gsi, 9);
	assert_int_equal(madt.isos[1].flags, 0x000d);
	assert_int_equal(madt.nmi_sources, 1);
	assert_int_equal(madt.lapic_nmis, 2);
	assert_int_equal(madt.other, 1);
	assert_int_equal(madt.skipped, 0);
	assert_int_equal(madt.dropped, 0);
	assert_false(madt.truncated);
	assert_int_equal(host_log_count("warning"), 0);

	acpi_madt_log(&madt);
	assert_int_equal(host_log_count("shoji: madt lapic=0x1fee10000 cpus=3 ioapics=2 isos=2 nmi_sources=1 lapic_nmis=2\n"), 1);
	assert_int_equal(host_log_count("shoji: cpu apic_id=0 uid=0 enabled=yes\n"), 1);
	assert_int_equal(host_log_count("shoji: cpu apic_id=1 uid=1 enabled=no\n"), 1);
	assert_int_equal(host_log_count("shoji: cpu apic_id=300 uid=7 enabled=yes\n"), 1);
	assert_int_equal(host_log_count("shoji: ioapic id=2 addr=0xfec00000 gsi_base=0\n"), 1);
	assert_int_equal(host_log_count("shoji: ioapic id=3 addr=0xfec01000 gsi_base=24\n"), 1);
	assert_int_equal(host_log_count("shoji: iso bus=0 source=9 gsi=9 flags=0x000d\n"), 1);
}

static void test_madt_zero_length_entry(void **state)
{
	struct madt_builder b;
	uint8_t zero[2] = { 1, 0 };

	(void)state;
	mb_init(&b, 0xfee00000, 0);
	mb_lapic(&b, 0, 0, 1);
	mb_add(&b, zero, 2);		/* would loop forever if followed */
	mb_lapic(&b, 1, 1, 1);
	mb_ioapic(&b, 0, 0xfec00000, 0);
	assert_int_equal(acpi_madt_parse_table(mb_finish(&b), &madt), 0);
	assert_true(madt.truncated);
	assert_int_equal(madt.ncpus, 1);
	assert_int_equal(madt.nioapics, 0);
	assert_int_equal(madt.lapic_addr, 0xfee00000);
	assert_int_equal(host_log_count("acpi madt entry offset=52 type=1 len=0 walk stopped reason=length-too-small"), 1);

	/* The zero-length entry as the very last two bytes of the table. */
	host_log_clear();
	mb_init(&b, 0xfee00000, 0);
	mb_lapic(&b, 0, 0, 1);
	mb_add(&b, zero, 2);
	assert_int_equal(acpi_madt_parse_table(mb_finish(&b), &madt), 0);
	assert_true(madt.truncated);
	assert_int_equal(madt.ncpus, 1);
	assert_int_equal(host_log_count("reason=length-too-small"), 1);
}

static void test_madt_entry_overruns_table(void **state)
{
	struct madt_builder b;
	uint8_t over[8] = { 1, 12, 5, 0, 0, 0, 0xc0, 0xfe };	/* says 12, has 8 */
	uint8_t one = 0;

	(void)state;
	mb_init(&b, 0xfee00000, 0);
	mb_lapic(&b, 0, 0, 1);
	mb_ioapic(&b, 0, 0xfec00000, 0);
	mb_add(&b, over, sizeof(over));
	assert_int_equal(acpi_madt_parse_table(mb_finish(&b), &madt), 0);
	assert_true(madt.truncated);
	assert_int_equal(madt.ncpus, 1);
	assert_int_equal(madt.nioapics, 1);
	assert_int_equal(host_log_count("acpi madt entry offset=64 type=1 len=12 walk stopped reason=past-end"), 1);

	/* A single stray byte after the last entry: no room for a header. */
	host_log_clear();
	mb_init(&b, 0xfee00000, 0);
	mb_lapic(&b, 0, 0, 1);
	mb_add(&b, &one, 1);
	assert_int_equal(acpi_madt_parse_table(mb_finish(&b), &madt), 0);
	assert_true(madt.truncated);
	assert_int_equal(madt.ncpus, 1);
	assert_int_equal(host_log_count("offset=52 walk stopped reason=truncated-header"), 1);
}

static void test_madt_short_and_duplicate_entries(void **state)
{
	struct madt_builder b;
	uint8_t short_ioapic[8] = { 1, 8, 4, 0, 0, 0, 0xc0, 0xfe };
	uint8_t zero_override[12] = { 5, 12 };

	(void)state;
	mb_init(&b, 0xfee00000, 0);
	mb_add(&b, short_ioapic, sizeof(short_ioapic));	/* skipped, walk goes on */
	mb_lapic(&b, 0, 0, 1);
	mb_lapic(&b, 1, 0, 1);				/* duplicate APIC ID 0 */
	mb_x2apic(&b, 0, 9, 1);				/* duplicate again */
	mb_lapic(&b, 2, 0xff, 1);			/* broadcast ID */
	mb_add(&b, zero_override, sizeof(zero_override));
	mb_ioapic(&b, 1, 0xfec00000, 0);
	assert_int_equal(acpi_madt_parse_table(mb_finish(&b), &madt), 0);
	assert_false(madt.truncated);
	assert_int_equal(madt.ncpus, 1);
	assert_int_equal(madt.nioapics, 1);
	assert_int_equal(madt.ioapics[0].id, 1);
	assert_int_equal(madt.skipped, 5);
	assert_int_equal(madt.lapic_addr, 0xfee00000);
	assert_false(madt.lapic_overridden);
	assert_int_equal(host_log_count("type=1 len=8 skipped reason=too-short-for-type"), 1);
	assert_int_equal(host_log_count("reason=duplicate"), 2);
	assert_int_equal(host_log_count("reason=broadcast-id"), 1);
	assert_int_equal(host_log_count("type=5 skipped reason=zero-address"), 1);
}

static void test_madt_limits(void **state)
{
	static struct madt_builder b;

	(void)state;
	mb_init(&b, 0xfee00000, 0);
	for (uint32_t i = 0; i < ACPI_MAX_CPUS + 4; i++)
		mb_x2apic(&b, 1000 + i, i, 1);
	for (uint8_t i = 0; i < ACPI_MAX_IOAPICS + 1; i++)
		mb_ioapic(&b, i, 0xfec00000 + i * 0x1000u, i * 24u);
	for (uint8_t i = 0; i < ACPI_MAX_ISOS + 2; i++)
		mb_iso(&b, 0, i, i, 0);
	assert_int_equal(acpi_madt_parse_table(mb_finish(&b), &madt), 0);
	assert_int_equal(madt.ncpus, ACPI_MAX_CPUS);
	assert_int_equal(madt.cpus[ACPI_MAX_CPUS - 1].apic_id, 1000 + ACPI_MAX_CPUS - 1);
	assert_int_equal(madt.nioapics, ACPI_MAX_IOAPICS);
	assert_int_equal(madt.nisos, ACPI_MAX_ISOS);
	assert_int_equal(madt.dropped, 4 + 1 + 2);
	assert_int_equal(host_log_count("acpi madt dropped=7 reason=limit"), 1);
}

static void test_madt_absent_or_too_short(void **state)
{
	struct acpi_header *tiny = mk_table("APIC", 40, 1);
	paddr_t ents[] = { pa_of(tiny) };

	(void)state;
	init_rsdt(NULL, 0);
	assert_int_equal(acpi_madt_parse(&madt), E_NOENT);
	init_rsdt(ents, 1);
	assert_int_equal(acpi_madt_parse(&madt), E_INVAL);
	assert_int_equal(host_log_count("acpi madt len=40 rejected reason=bad-length"), 1);
	assert_int_equal(acpi_madt_parse_table(mk_table("MCFG", 60, 1), &madt), E_INVAL);
}

/* ---- MCFG ---- */

static void put_ecam(uint8_t *q, uint64_t base, uint16_t seg, uint8_t s, uint8_t e)
{
	memcpy(q, &base, 8);
	memcpy(q + 8, &seg, 2);
	q[10] = s;
	q[11] = e;
}

static struct acpi_mcfg mcfg;

static void test_mcfg_two_entries_and_truncated(void **state)
{
	/* 2 good entries and 8 bytes of a third. */
	struct acpi_header *t = mk_table("MCFG", 44 + 2 * 16 + 8, 1);
	uint8_t *p = (uint8_t *)t;
	paddr_t ents[1];

	(void)state;
	put_ecam(p + 44, 0xb0000000, 0, 0, 255);
	put_ecam(p + 60, 0x3f00000000ull, 1, 16, 31);
	memset(p + 76, 0x11, 8);
	fix_checksum(t);
	ents[0] = pa_of(t);
	init_rsdt(ents, 1);

	assert_int_equal(acpi_mcfg_parse(&mcfg), 0);
	assert_int_equal(mcfg.count, 2);
	assert_int_equal(mcfg.ecam[0].base, 0xb0000000);
	assert_int_equal(mcfg.ecam[0].segment, 0);
	assert_int_equal(mcfg.ecam[0].bus_start, 0);
	assert_int_equal(mcfg.ecam[0].bus_end, 255);
	assert_int_equal(mcfg.ecam[1].base, 0x3f00000000ull);
	assert_int_equal(mcfg.ecam[1].segment, 1);
	assert_int_equal(mcfg.ecam[1].bus_start, 16);
	assert_int_equal(mcfg.ecam[1].bus_end, 31);
	assert_int_equal(mcfg.skipped, 1);
	assert_int_equal(host_log_count("acpi mcfg entry index=2 len=8 skipped reason=truncated"), 1);

	host_log_clear();
	acpi_mcfg_log(&mcfg);
	assert_int_equal(host_log_count("shoji: ecam segment=0 base=0xb0000000 bus=0-255\n"), 1);
	assert_int_equal(host_log_count("shoji: ecam segment=1 base=0x3f00000000 bus=16-31\n"), 1);
}

/* The guest's MCFG ends at the last bus that exists: segment 0's
 * allocations past it are shortened, others left alone, checksum fixed. */
static void test_mcfg_limit_end_bus(void **state)
{
	struct acpi_header *t = mk_table("MCFG", 44 + 3 * 16, 1);
	uint8_t *p = (uint8_t *)t;
	paddr_t ents[1];

	(void)state;
	put_ecam(p + 44, 0xb0000000, 0, 0, 255);
	put_ecam(p + 60, 0xd0000000, 0, 8, 15);		/* starts past bus 1: left */
	put_ecam(p + 76, 0x3f00000000ull, 1, 0, 255);	/* other segment */
	fix_checksum(t);
	ents[0] = pa_of(t);
	init_rsdt(ents, 1);

	assert_int_equal(acpi_mcfg_limit_end_bus(0, 1), 1);
	assert_int_equal(acpi_checksum(t, t->length), 0);
	assert_int_equal(acpi_mcfg_parse(&mcfg), 0);
	assert_int_equal(mcfg.count, 3);
	assert_int_equal(mcfg.ecam[0].bus_end, 1);
	assert_int_equal(mcfg.ecam[1].bus_start, 8);
	assert_int_equal(mcfg.ecam[1].bus_end, 15);
	assert_int_equal(mcfg.ecam[2].bus_end, 255);
	/* Already within: nothing changes. */
	assert_int_equal(acpi_mcfg_limit_end_bus(0, 200), 0);	/* 0-1 and 8-15 are within */
	assert_int_equal(acpi_mcfg_parse(&mcfg), 0);
	assert_int_equal(mcfg.ecam[1].bus_end, 15);
	assert_int_equal(acpi_mcfg_limit_end_bus(0, 255), 0);
}

static void test_mcfg_bad_entries(void **state)
{
	struct acpi_header *t = mk_table("MCFG", 44 + 6 * 16, 1);
	uint8_t *p = (uint8_t *)t;

	(void)state;
	put_ecam(p + 44 + 0 * 16, 0, 0, 0, 255);		/* zero base */
	put_ecam(p + 44 + 1 * 16, 0xe0000000, 0, 0, 63);	/* good */
	put_ecam(p + 44 + 2 * 16, 0xe8000000, 0, 9, 8);		/* start > end */
	put_ecam(p + 44 + 3 * 16, 0xf0000000, 0, 32, 40);	/* overlaps 0-63 */
	put_ecam(p + 44 + 4 * 16, 0xe0000800, 1, 0, 0);		/* unaligned */
	put_ecam(p + 44 + 5 * 16, 0xfffffffffff00000ull, 2, 0, 1); /* wraps */
	fix_checksum(t);
	assert_int_equal(acpi_mcfg_parse_table(t, &mcfg), 0);
	assert_int_equal(mcfg.count, 1);
	assert_int_equal(mcfg.ecam[0].base, 0xe0000000);
	assert_int_equal(mcfg.ecam[0].bus_end, 63);
	assert_int_equal(mcfg.skipped, 5);
	assert_int_equal(host_log_count("index=0 base=0x00000000 segment=0 bus=0-255 skipped reason=zero-base"), 1);
	assert_int_equal(host_log_count("index=2 base=0xe8000000 segment=0 bus=9-8 skipped reason=bad-bus-range"), 1);
	assert_int_equal(host_log_count("index=3 base=0xf0000000 segment=0 bus=32-40 skipped reason=overlap"), 1);
	assert_int_equal(host_log_count("index=4 base=0xe0000800 segment=1 bus=0-0 skipped reason=unaligned-base"), 1);
	assert_int_equal(host_log_count("reason=address-overflow"), 1);
}

static void test_mcfg_absent_or_short(void **state)
{
	struct acpi_header *t = mk_table("MCFG", 40, 1);
	paddr_t ents[] = { pa_of(t) };

	(void)state;
	init_rsdt(NULL, 0);
	assert_int_equal(acpi_mcfg_parse(&mcfg), E_NOENT);
	assert_int_equal(mcfg.count, 0);
	init_rsdt(ents, 1);
	assert_int_equal(acpi_mcfg_parse(&mcfg), E_INVAL);
	assert_int_equal(host_log_count("acpi mcfg len=40 rejected reason=bad-length"), 1);
}

/* ---- BIOS scan (low memory simulated at acpi_host_lowmem_base) ---- */

#define LOWMEM_SIZE 0x100000

static uint8_t *mk_lowmem(void)
{
	uint8_t *low = alloc_low(LOWMEM_SIZE);

	acpi_host_lowmem_base = pa_of(low);
	return low;
}

static void test_bios_scan_ebda(void **state)
{
	uint8_t *low = mk_lowmem();
	struct acpi_header *apic = mk_table("APIC", 44, 1);
	paddr_t ents[] = { pa_of(apic) };
	struct acpi_header *rsdt = mk_rsdt(ents, 1);
	uint16_t seg = 0x9fc0;
	char want[120];

	(void)state;
	memcpy(low + 0x40e, &seg, 2);
	/* A corrupt candidate first, then the real one. */
	fill_rsdp(low + 0x9fc00, 0, pa_of(rsdt), 0);
	low[0x9fc00 + 8] ^= 0xff;
	fill_rsdp(low + 0x9fc20, 0, pa_of(rsdt), 0);
	/* One in the BIOS area too: the EBDA is searched first. */
	fill_rsdp(low + 0xf5a40, 0, pa_of(rsdt), 0);

	assert_int_equal(acpi_init_bios_scan(), 0);
	assert_non_null(acpi_root_info());
	assert_int_equal(acpi_root_info()->rsdp_addr, pa_of(low) + 0x9fc20);
	assert_ptr_equal(acpi_find_table("APIC", 0), apic);
	snprintf(want, sizeof(want),
		 "acpi rsdp candidate addr=0x%08lx rejected reason=bad-checksum",
		 (unsigned long)(pa_of(low) + 0x9fc00));
	assert_int_equal(host_log_count(want), 1);
}

static void test_bios_scan_rom_area(void **state)
{
	uint8_t *low = mk_lowmem();
	struct acpi_header *dmar = mk_table("DMAR", 88, 1);
	paddr_t ents[] = { pa_of(dmar) };
	struct acpi_header *xsdt = mk_xsdt(ents, 1);
	struct acpi_header *rsdt = mk_rsdt(NULL, 0);
	char want[160];

	(void)state;
	/* No EBDA (segment 0); a v2 RSDP in the BIOS area. */
	fill_rsdp(low + 0xf5a40, 2, pa_of(rsdt), pa_of(xsdt));
	assert_int_equal(acpi_init_bios_scan(), 0);
	assert_int_equal(acpi_root_info()->rsdp_addr, pa_of(low) + 0xf5a40);
	assert_true(acpi_root_info()->use_xsdt);
	assert_ptr_equal(acpi_find_table("DMAR", 0), dmar);

	host_log_clear();
	acpi_log_tables();
	snprintf(want, sizeof(want),
		 "shoji: acpi rsdp addr=0x%08lx revision=2 oem=BOCHS root=xsdt addr=0x%08lx\n",
		 (unsigned long)(pa_of(low) + 0xf5a40), (unsigned long)pa_of(xsdt));
	assert_int_equal(host_log_count(want), 1);
}

static void test_bios_scan_not_found(void **state)
{
	uint8_t *low;
	struct acpi_header *rsdt = mk_rsdt(NULL, 0);
	uint16_t seg = 0x9fc0;

	(void)state;
	/* Host builds refuse to dereference host address 0x40e. */
	assert_int_equal(acpi_init_bios_scan(), E_NOENT);
	assert_int_equal(host_log_count("needs acpi_host_lowmem_base"), 1);
	low = mk_lowmem();
	memcpy(low + 0x40e, &seg, 2);
	/* Not on a 16-byte boundary: must not be found. */
	fill_rsdp(low + 0xe0008, 0, pa_of(rsdt), 0);
	/* Beyond the first KiB of the EBDA. */
	fill_rsdp(low + 0x9fc00 + 1024, 0, pa_of(rsdt), 0);
	/* Below 0xE0000. */
	fill_rsdp(low + 0xdfff0, 0, pa_of(rsdt), 0);
	/* A v2 RSDP whose 36 bytes would run past 1 MiB. */
	fill_rsdp(low + 0xfffe0, 0, pa_of(rsdt), 0);
	low[0xfffe0 + 15] = 2;
	low[0xfffe0 + 8] = 0;
	low[0xfffe0 + 8] = (uint8_t)(0x100 - acpi_checksum(low + 0xfffe0, 20));

	assert_int_equal(acpi_init_bios_scan(), E_NOENT);
	assert_null(acpi_root_info());
	assert_int_equal(host_log_count("rejected reason=too-short"), 1);
	assert_int_equal(host_log_count("warning: acpi no rsdp found in ebda or bios area"), 1);
}

static void test_checksum_helper(void **state)
{
	uint8_t b[4] = { 0x10, 0x20, 0xd0, 0x01 };

	(void)state;
	assert_int_equal(acpi_checksum(b, 3), 0x00);
	assert_int_equal(acpi_checksum(b, 4), 0x01);
	assert_int_equal(acpi_checksum(b, 0), 0x00);
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_rsdp_v1_good),
		T(test_rsdp_v2_xsdt_preferred),
		T(test_rsdp_v2_without_xsdt_uses_rsdt),
		T(test_rsdp_bad_checksum),
		T(test_rsdp_bad_extended_checksum),
		T(test_rsdp_malformed),
		T(test_bad_xsdt_falls_back_to_rsdt),
		T(test_both_roots_bad),
		T(test_bad_checksum_table_skipped_once),
		T(test_table_bad_length_rejected),
		T(test_multiple_instances_and_iterator),
		T(test_root_entry_limit),
		T(test_report_lines),
		T(test_madt_all_types),
		T(test_madt_zero_length_entry),
		T(test_madt_entry_overruns_table),
		T(test_madt_short_and_duplicate_entries),
		T(test_madt_limits),
		T(test_madt_absent_or_too_short),
		T(test_mcfg_two_entries_and_truncated),
		T(test_mcfg_limit_end_bus),
		T(test_mcfg_bad_entries),
		T(test_mcfg_absent_or_short),
		T(test_bios_scan_ebda),
		T(test_bios_scan_rom_area),
		T(test_bios_scan_not_found),
		T(test_checksum_helper),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
