/* ACPI tables: see acpi.h. Section numbers refer to the ACPI Specification
 * 6.5 and the PCI Firmware Specification 3.2. Firmware memory is read only
 * through hal_phys_to_virt(); multi-byte fields are read with memcpy since
 * tables and their entries need not be aligned. */
#include "platform/acpi.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/string.h"

#ifdef SHOJI_HOST
paddr_t acpi_host_lowmem_base;
#define LOWMEM(pa) (acpi_host_lowmem_base + (paddr_t)(pa))
#else
#define LOWMEM(pa) ((paddr_t)(pa))
#endif

/* Legacy BIOS areas searched for the RSDP (5.2.5.1). */
#define BDA_EBDA_SEGMENT	0x40e	/* 16-bit real-mode segment of the EBDA */
#define EBDA_SCAN_LEN		1024
#define EBDA_MIN		0x500	/* above the IVT and the BDA */
#define EBDA_LIMIT		0xa0000	/* conventional memory ends here */
#define BIOS_AREA_START		0xe0000
#define BIOS_AREA_END		0x100000
#define RSDP_ALIGN		16

/* MADT fixed part: header, Local Interrupt Controller Address, Flags
 * (5.2.12, Table 5.43). */
#define MADT_FIXED_LEN		44
/* MCFG fixed part: header and 8 reserved bytes; 16-byte allocation
 * structures follow (PCI Firmware 3.2, 4.1.2, Tables 4-2 and 4-3). */
#define MCFG_FIXED_LEN		44
#define MCFG_ENTRY_LEN		16

/* MADT Interrupt Controller Structure types (5.2.12, Table 5.45). */
enum {
	MADT_LAPIC = 0,			/* 5.2.12.2 */
	MADT_IOAPIC = 1,		/* 5.2.12.3 */
	MADT_ISO = 2,			/* 5.2.12.5 */
	MADT_NMI_SOURCE = 3,		/* 5.2.12.6 */
	MADT_LAPIC_NMI = 4,		/* 5.2.12.7 */
	MADT_LAPIC_OVERRIDE = 5,	/* 5.2.12.8 */
	MADT_X2APIC = 9,		/* 5.2.12.12 */
	MADT_X2APIC_NMI = 10,		/* 5.2.12.13 */
};

#define MADT_CPU_ENABLED	(1u << 0)
#define MADT_CPU_ONLINE_CAPABLE	(1u << 1)

/* One root-table entry. `bad` marks entries that can never be used (null or
 * wrapping address; warned at init); `warned` records that a table failing
 * validation has been reported, so lookups do not repeat the warning. */
struct table_entry {
	paddr_t pa;
	bool bad;
	bool warned;
};

static struct {
	bool ready;
	struct acpi_root_info info;
	unsigned n;
	struct table_entry e[ACPI_MAX_TABLES];
} st;

/* ---- small helpers ---- */

static uint16_t rd16(const uint8_t *p)
{
	uint16_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint32_t rd32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static uint64_t rd64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static unsigned long long ull(uint64_t v)
{
	return (unsigned long long)v;
}

uint8_t acpi_checksum(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum = (uint8_t)(sum + *b++);
	return sum;
}

/* A 4-character signature for log lines: unprintable bytes become '?'. */
static void fmt_sig(char out[5], const char *sig)
{
	for (int i = 0; i < 4; i++) {
		char c = sig[i];

		out[i] = (c > ' ' && c < 0x7f) ? c : '?';
	}
	out[4] = '\0';
}

/* An OEM ID (n bytes, space or NUL padded) as one log token: stops at NUL,
 * trailing spaces trimmed, other spaces and unprintable bytes become '_';
 * "-" when empty. out has room for n + 1 bytes (n >= 1). */
static void fmt_oem(char *out, const char *in, size_t n)
{
	size_t len = 0;

	while (len < n && in[len] != '\0')
		len++;
	while (len > 0 && in[len - 1] == ' ')
		len--;
	for (size_t i = 0; i < len; i++) {
		char c = in[i];

		out[i] = (c > ' ' && c < 0x7f) ? c : '_';
	}
	if (len == 0)
		out[len++] = '-';
	out[len] = '\0';
}

/* ---- table validation ---- */

int acpi_validate_table(const struct acpi_header *t, const char **why)
{
	const char *dummy;
	uint32_t len;

	if (!why)
		why = &dummy;
	len = t->length;	/* read once: the checksum covers this length */
	if (len < ACPI_HEADER_LEN) {
		*why = "length-too-small";
		return E_RANGE;
	}
	if (len > ACPI_TABLE_MAX_LEN) {
		*why = "length-too-large";
		return E_RANGE;
	}
	if (acpi_checksum(t, len) != 0) {
		*why = "bad-checksum";
		return E_CHECKSUM;
	}
	*why = "ok";
	return 0;
}

/* Maps the header at pa after checking the address itself. Returns NULL
 * with *why set for a null, wrapping or unmapped address. */
static const struct acpi_header *map_header(paddr_t pa, const char **why)
{
	const struct acpi_header *t;

	if (pa == 0) {
		*why = "null-address";
		return NULL;
	}
	if (pa > UINT64_MAX - ACPI_TABLE_MAX_LEN) {
		*why = "address-overflow";
		return NULL;
	}
	t = hal_phys_to_virt(pa);
	if (!t)
		*why = "unmapped";
	return t;
}

/* Maps the table at pa and validates it (address, length, checksum).
 * Returns the table or NULL with *why set. */
static const struct acpi_header *table_at(paddr_t pa, const char **why)
{
	const struct acpi_header *t = map_header(pa, why);

	if (t && acpi_validate_table(t, why) < 0)
		return NULL;
	return t;
}

static void warn_bad_table(paddr_t pa, const char *why)
{
	const char *dummy;
	const struct acpi_header *t = map_header(pa, &dummy);
	char sig[5] = "????";
	uint32_t len = 0;

	if (t) {
		fmt_sig(sig, t->signature);
		len = t->length;
	}
	log_warn("acpi bad table sig=%s addr=0x%08llx len=%u reason=%s",
		 sig, ull(pa), len, why);
}

/* Validates root entry i; warns the first time it fails. */
static const struct acpi_header *entry_table(unsigned i)
{
	struct table_entry *e = &st.e[i];
	const struct acpi_header *t;
	const char *why;

	if (e->bad)
		return NULL;
	t = table_at(e->pa, &why);
	if (!t && !e->warned) {
		e->warned = true;
		warn_bad_table(e->pa, why);
	}
	return t;
}

/* ---- root table (5.2.7 RSDT, 5.2.8 XSDT) ---- */

/* Maps and validates a root table with signature sig. Returns 0 with *out
 * set, or an error with *why set. */
static int root_at(paddr_t pa, const char *sig, const struct acpi_header **out,
		   const char **why)
{
	const struct acpi_header *t = map_header(pa, why);
	int err;

	*out = NULL;
	if (!t)
		return E_INVAL;
	if (memcmp(t->signature, sig, 4) != 0) {
		*why = "bad-signature";
		return E_INVAL;
	}
	err = acpi_validate_table(t, why);
	if (err < 0)
		return err == E_CHECKSUM ? E_CHECKSUM : E_INVAL;
	*out = t;
	return 0;
}

static void load_entries(const struct acpi_header *root, bool xsdt)
{
	const uint8_t *p = (const uint8_t *)root;
	const char *name = xsdt ? "xsdt" : "rsdt";
	uint32_t len = root->length;	/* validated by root_at */
	size_t esz = xsdt ? 8 : 4;
	size_t n = (len - ACPI_HEADER_LEN) / esz;
	size_t rem = (len - ACPI_HEADER_LEN) % esz;

	if (rem)
		log_warn("acpi %s len=%u trailing=%zu ignored reason=partial-entry",
			 name, len, rem);
	if (n > ACPI_MAX_TABLES) {
		log_warn("acpi %s entries=%zu kept=%u reason=limit",
			 name, n, (unsigned)ACPI_MAX_TABLES);
		n = ACPI_MAX_TABLES;
	}
	for (size_t i = 0; i < n; i++) {
		const uint8_t *q = p + ACPI_HEADER_LEN + i * esz;
		struct table_entry *e = &st.e[i];

		e->pa = xsdt ? rd64(q) : rd32(q);
		e->warned = false;
		e->bad = e->pa == 0 || e->pa > UINT64_MAX - ACPI_TABLE_MAX_LEN;
		if (e->bad) {
			e->warned = true;
			warn_bad_table(e->pa, e->pa == 0 ? "null-address"
				       : "address-overflow");
		}
	}
	st.n = (unsigned)n;
}

/* Common part of both init paths: r holds a validated RSDP (fields beyond
 * byte 20 only meaningful for revision >= 2). */
static int init_root(const struct acpi_rsdp *r, paddr_t rsdp_pa)
{
	const struct acpi_header *xsdt = NULL, *rsdt = NULL;
	const char *xwhy = "absent", *rwhy = "absent";
	paddr_t xpa = 0, rpa = r->rsdt_address;
	int rerr = E_INVAL;

	memset(&st, 0, sizeof(st));
	st.info.rsdp_addr = rsdp_pa;
	st.info.revision = r->revision;
	fmt_oem(st.info.oem_id, r->oem_id, sizeof(r->oem_id));

	if (r->revision >= 2 && r->xsdt_address != 0) {
		xpa = r->xsdt_address;
		(void)root_at(xpa, "XSDT", &xsdt, &xwhy);
	}
	if (rpa != 0)
		rerr = root_at(rpa, "RSDT", &rsdt, &rwhy);

	if (xpa && !xsdt) {
		log_warn("acpi bad root sig=XSDT addr=0x%08llx reason=%s fallback=%s",
			 ull(xpa), xwhy, rsdt ? "rsdt" : "none");
	}
	if (!xsdt && !rsdt) {
		log_error("acpi no usable root table rsdt=0x%08llx reason=%s",
			  ull(rpa), rwhy);
		return rerr;
	}
	st.info.xsdt_addr = xsdt ? xpa : 0;
	st.info.rsdt_addr = rsdt ? rpa : 0;
	st.info.use_xsdt = xsdt != NULL;
	st.info.root_addr = xsdt ? xpa : rpa;
	load_entries(xsdt ? xsdt : rsdt, xsdt != NULL);
	st.info.entries = st.n;
	st.ready = true;
	return 0;
}

/* ---- RSDP (5.2.5.3) ---- */

/* Checks an RSDP candidate of which avail bytes are readable. */
static int check_rsdp(const uint8_t *p, size_t avail, const char **why)
{
	uint32_t len;

	if (avail < ACPI_RSDP_V1_LEN) {
		*why = "too-short";
		return E_INVAL;
	}
	if (memcmp(p, "RSD PTR ", 8) != 0) {
		*why = "bad-signature";
		return E_INVAL;
	}
	if (acpi_checksum(p, ACPI_RSDP_V1_LEN) != 0) {
		*why = "bad-checksum";
		return E_CHECKSUM;
	}
	if (p[15] < 2)			/* Revision */
		return 0;
	if (avail < ACPI_RSDP_V2_LEN) {
		*why = "too-short";
		return E_INVAL;
	}
	len = rd32(p + 20);		/* Length */
	if (len < ACPI_RSDP_V2_LEN || len > ACPI_RSDP_MAX_LEN) {
		*why = "bad-length";
		return E_INVAL;
	}
	if (len > avail) {
		*why = "too-short";
		return E_INVAL;
	}
	if (acpi_checksum(p, len) != 0) {
		*why = "bad-extended-checksum";
		return E_CHECKSUM;
	}
	return 0;
}

/* Copies the fields of a validated RSDP; revision < 2 has no XSDT. */
static void copy_rsdp(struct acpi_rsdp *r, const uint8_t *p)
{
	memset(r, 0, sizeof(*r));
	memcpy(r, p, p[15] >= 2 ? ACPI_RSDP_V2_LEN : ACPI_RSDP_V1_LEN);
	if (r->revision < 2) {
		r->length = ACPI_RSDP_V1_LEN;
		r->xsdt_address = 0;
	}
}

int acpi_init_from_rsdp(const void *rsdp, size_t len)
{
	struct acpi_rsdp r;
	const char *why = "null";
	paddr_t pa;
	int err;

	memset(&st, 0, sizeof(st));
	if (!rsdp) {
		log_warn("acpi rsdp addr=0x0 rejected reason=null");
		return E_INVAL;
	}
	pa = hal_virt_to_phys(rsdp);
	err = check_rsdp(rsdp, len, &why);
	if (err < 0) {
		log_warn("acpi rsdp addr=0x%08llx rejected reason=%s", ull(pa), why);
		return err;
	}
	copy_rsdp(&r, rsdp);
	return init_root(&r, pa);
}

/* Searches [base, base+size) on 16-byte boundaries. Returns 0 with *found set
 * to the address of a valid RSDP, or E_NOENT. */
static int scan_area(paddr_t base, size_t size, paddr_t *found)
{
	const uint8_t *area = hal_phys_to_virt(base);

	if (!area)
		return E_NOENT;
	for (size_t off = 0; off + ACPI_RSDP_V1_LEN <= size; off += RSDP_ALIGN) {
		const char *why;

		if (memcmp(area + off, "RSD PTR ", 8) != 0)
			continue;
		if (check_rsdp(area + off, size - off, &why) < 0) {
			log_warn("acpi rsdp candidate addr=0x%08llx rejected reason=%s",
				 ull(base + off), why);
			continue;
		}
		*found = base + off;
		return 0;
	}
	return E_NOENT;
}

int acpi_init_bios_scan(void)
{
	const uint8_t *bda;
	paddr_t ebda, found = 0;
	struct acpi_rsdp r;
	int err = E_NOENT;

	memset(&st, 0, sizeof(st));
#ifdef SHOJI_HOST
	/* Host address 0x40e is not low memory: scan only a simulated one. */
	if (acpi_host_lowmem_base == 0) {
		log_warn("acpi bios scan needs acpi_host_lowmem_base in host builds");
		return E_NOENT;
	}
#endif
	bda = hal_phys_to_virt(LOWMEM(BDA_EBDA_SEGMENT));
	ebda = bda ? (paddr_t)rd16(bda) << 4 : 0;
	if (ebda >= EBDA_MIN && ebda + EBDA_SCAN_LEN <= EBDA_LIMIT)
		err = scan_area(LOWMEM(ebda), EBDA_SCAN_LEN, &found);
	else
		log_debug("acpi ebda=0x%llx out of range, not scanned", ull(ebda));
	if (err < 0)
		err = scan_area(LOWMEM(BIOS_AREA_START),
				BIOS_AREA_END - BIOS_AREA_START, &found);
	if (err < 0) {
		log_warn("acpi no rsdp found in ebda or bios area");
		return E_NOENT;
	}
	copy_rsdp(&r, hal_phys_to_virt(found));
	return init_root(&r, found);
}

const struct acpi_root_info *acpi_root_info(void)
{
	return st.ready ? &st.info : NULL;
}

/* ---- lookup ---- */

const struct acpi_header *acpi_find_table(const char *sig, unsigned instance)
{
	if (!st.ready || !sig || strnlen(sig, 5) != 4)
		return NULL;
	for (unsigned i = 0; i < st.n; i++) {
		const struct acpi_header *t;

		if (st.e[i].bad)
			continue;
		/* Only candidates with the wanted signature are validated (and
		 * warned about). The address was checked at init. */
		t = hal_phys_to_virt(st.e[i].pa);
		if (!t || memcmp(t->signature, sig, 4) != 0)
			continue;
		t = entry_table(i);
		if (t && instance-- == 0)
			return t;
	}
	return NULL;
}

const struct acpi_header *acpi_next_table(unsigned *cursor)
{
	if (!st.ready || !cursor)
		return NULL;
	while (*cursor < st.n) {
		const struct acpi_header *t = entry_table((*cursor)++);

		if (t)
			return t;
	}
	return NULL;
}

paddr_t acpi_table_addr(const struct acpi_header *t)
{
	for (unsigned i = 0; i < st.n; i++)
		if (!st.e[i].bad && hal_phys_to_virt(st.e[i].pa) == t)
			return st.e[i].pa;
	return hal_virt_to_phys(t);
}

/* ---- MADT (5.2.12) ---- */

/* Minimum length of each parsed entry type (5.2.12.2 - 5.2.12.13). */
static unsigned madt_min_len(uint8_t type)
{
	switch (type) {
	case MADT_LAPIC: return 8;
	case MADT_IOAPIC: return 12;
	case MADT_ISO: return 10;
	case MADT_NMI_SOURCE: return 8;
	case MADT_LAPIC_NMI: return 6;
	case MADT_LAPIC_OVERRIDE: return 12;
	case MADT_X2APIC: return 16;
	case MADT_X2APIC_NMI: return 12;
	default: return 2;
	}
}

static void madt_add_cpu(struct acpi_madt *m, uint32_t apic_id, uint32_t uid,
			 uint32_t flags, bool x2apic, unsigned off)
{
	struct acpi_cpu *c;

	if (!(flags & (MADT_CPU_ENABLED | MADT_CPU_ONLINE_CAPABLE))) {
		m->disabled_cpus++;	/* not usable, not even by hot-add */
		return;
	}
	if (apic_id == (x2apic ? UINT32_MAX : 0xffu)) {
		log_warn("acpi madt entry offset=%u apic_id=0x%x skipped reason=broadcast-id",
			 off, apic_id);
		m->skipped++;
		return;
	}
	for (unsigned i = 0; i < m->ncpus; i++) {
		if (m->cpus[i].apic_id == apic_id) {
			log_warn("acpi madt entry offset=%u apic_id=%u skipped reason=duplicate",
				 off, apic_id);
			m->skipped++;
			return;
		}
	}
	if (m->ncpus >= ACPI_MAX_CPUS) {
		m->dropped++;
		return;
	}
	c = &m->cpus[m->ncpus++];
	c->apic_id = apic_id;
	c->uid = uid;
	c->enabled = flags & MADT_CPU_ENABLED;
	c->online_capable = flags & MADT_CPU_ONLINE_CAPABLE;
	c->x2apic = x2apic;
}

/* e points to an entry of elen bytes (elen >= madt_min_len(e[0]), all inside
 * the table). */
static void madt_entry(struct acpi_madt *m, const uint8_t *e, unsigned off)
{
	switch (e[0]) {
	case MADT_LAPIC:
		/* UID (1), APIC ID (1), Flags (4) */
		madt_add_cpu(m, e[3], e[2], rd32(e + 4), false, off);
		break;
	case MADT_X2APIC:
		/* Reserved (2), x2APIC ID (4), Flags (4), UID (4) */
		madt_add_cpu(m, rd32(e + 4), rd32(e + 12), rd32(e + 8), true, off);
		break;
	case MADT_IOAPIC:
		/* ID (1), Reserved (1), Address (4), GSI Base (4) */
		if (m->nioapics >= ACPI_MAX_IOAPICS) {
			m->dropped++;
			break;
		}
		m->ioapics[m->nioapics].id = e[2];
		m->ioapics[m->nioapics].addr = rd32(e + 4);
		m->ioapics[m->nioapics].gsi_base = rd32(e + 8);
		m->nioapics++;
		break;
	case MADT_ISO:
		/* Bus (1), Source (1), GSI (4), Flags (2) */
		if (m->nisos >= ACPI_MAX_ISOS) {
			m->dropped++;
			break;
		}
		m->isos[m->nisos].bus = e[2];
		m->isos[m->nisos].source = e[3];
		m->isos[m->nisos].gsi = rd32(e + 4);
		m->isos[m->nisos].flags = rd16(e + 8);
		m->nisos++;
		break;
	case MADT_NMI_SOURCE:
		m->nmi_sources++;
		break;
	case MADT_LAPIC_NMI:
	case MADT_X2APIC_NMI:
		m->lapic_nmis++;
		break;
	case MADT_LAPIC_OVERRIDE: {
		/* Reserved (2), Local APIC Address (8) */
		uint64_t a = rd64(e + 4);

		if (a == 0) {
			log_warn("acpi madt entry offset=%u type=5 skipped reason=zero-address",
				 off);
			m->skipped++;
			break;
		}
		m->lapic_addr = a;
		m->lapic_overridden = true;
		break;
	}
	default:
		m->other++;
		break;
	}
}

int acpi_madt_parse_table(const struct acpi_header *t, struct acpi_madt *out)
{
	const uint8_t *p = (const uint8_t *)t;
	uint32_t len;
	unsigned off;

	memset(out, 0, sizeof(*out));
	if (!t || memcmp(t->signature, "APIC", 4) != 0)
		return E_INVAL;
	len = t->length;
	if (len < MADT_FIXED_LEN || len > ACPI_TABLE_MAX_LEN) {
		log_warn("acpi madt len=%u rejected reason=bad-length", len);
		return E_INVAL;
	}
	out->lapic_addr = rd32(p + 36);
	out->flags = rd32(p + 40);

	/* Every entry starts with Type (1) and Length (1); the walk never
	 * reads a byte at or beyond offset len. */
	for (off = MADT_FIXED_LEN; off < len;) {
		uint8_t type, elen;

		if (len - off < 2) {
			log_warn("acpi madt entry offset=%u walk stopped reason=truncated-header",
				 off);
			out->truncated = true;
			break;
		}
		type = p[off];
		elen = p[off + 1];
		if (elen < 2) {
			log_warn("acpi madt entry offset=%u type=%u len=%u walk stopped reason=length-too-small",
				 off, type, elen);
			out->truncated = true;
			break;
		}
		if (elen > len - off) {
			log_warn("acpi madt entry offset=%u type=%u len=%u walk stopped reason=past-end",
				 off, type, elen);
			out->truncated = true;
			break;
		}
		if (elen < madt_min_len(type)) {
			log_warn("acpi madt entry offset=%u type=%u len=%u skipped reason=too-short-for-type",
				 off, type, elen);
			out->skipped++;
		} else {
			madt_entry(out, p + off, off);
		}
		off += elen;
	}

	if (out->dropped)
		log_warn("acpi madt dropped=%u reason=limit max_cpus=%u max_ioapics=%u max_isos=%u",
			 out->dropped, (unsigned)ACPI_MAX_CPUS,
			 (unsigned)ACPI_MAX_IOAPICS, (unsigned)ACPI_MAX_ISOS);
	if (out->lapic_addr == 0)
		log_warn("acpi madt lapic=0x0 reason=zero-address");
	return 0;
}

int acpi_madt_parse(struct acpi_madt *out)
{
	const struct acpi_header *t = acpi_find_table("APIC", 0);

	if (!t) {
		memset(out, 0, sizeof(*out));
		return E_NOENT;
	}
	return acpi_madt_parse_table(t, out);
}

/* ---- MCFG (PCI Firmware 3.2, 4.1.2) ---- */

static const char *mcfg_check(const struct acpi_mcfg *m, const struct acpi_ecam *c)
{
	if (c->base == 0)
		return "zero-base";
	if (c->base & (PAGE_SIZE - 1))
		return "unaligned-base";
	if (c->bus_start > c->bus_end)
		return "bad-bus-range";
	/* The region covers buses 0..bus_end from base, 1 MiB per bus. */
	if (c->base > UINT64_MAX - (((uint64_t)c->bus_end + 1) << 20))
		return "address-overflow";
	for (unsigned i = 0; i < m->count; i++) {
		const struct acpi_ecam *o = &m->ecam[i];

		if (o->segment == c->segment && o->bus_start <= c->bus_end &&
		    c->bus_start <= o->bus_end)
			return "overlap";
	}
	return NULL;
}

int acpi_mcfg_parse_table(const struct acpi_header *t, struct acpi_mcfg *out)
{
	const uint8_t *p = (const uint8_t *)t;
	uint32_t len;
	size_t n, rem;

	memset(out, 0, sizeof(*out));
	if (!t || memcmp(t->signature, "MCFG", 4) != 0)
		return E_INVAL;
	len = t->length;
	if (len < MCFG_FIXED_LEN || len > ACPI_TABLE_MAX_LEN) {
		log_warn("acpi mcfg len=%u rejected reason=bad-length", len);
		return E_INVAL;
	}
	n = (len - MCFG_FIXED_LEN) / MCFG_ENTRY_LEN;
	rem = (len - MCFG_FIXED_LEN) % MCFG_ENTRY_LEN;
	for (size_t i = 0; i < n; i++) {
		const uint8_t *q = p + MCFG_FIXED_LEN + i * MCFG_ENTRY_LEN;
		struct acpi_ecam c;
		const char *why;

		/* Base Address (8), Segment (2), Start Bus (1), End Bus (1),
		 * Reserved (4) */
		c.base = rd64(q);
		c.segment = rd16(q + 8);
		c.bus_start = q[10];
		c.bus_end = q[11];
		why = mcfg_check(out, &c);
		if (why) {
			log_warn("acpi mcfg entry index=%zu base=0x%08llx segment=%u bus=%u-%u skipped reason=%s",
				 i, ull(c.base), c.segment, c.bus_start, c.bus_end, why);
			out->skipped++;
			continue;
		}
		if (out->count >= ACPI_MAX_ECAM) {
			out->dropped++;
			continue;
		}
		out->ecam[out->count++] = c;
	}
	if (rem) {
		log_warn("acpi mcfg entry index=%zu len=%zu skipped reason=truncated",
			 n, rem);
		out->skipped++;
	}
	if (out->dropped)
		log_warn("acpi mcfg dropped=%u reason=limit max=%u",
			 out->dropped, (unsigned)ACPI_MAX_ECAM);
	return 0;
}

int acpi_mcfg_parse(struct acpi_mcfg *out)
{
	const struct acpi_header *t = acpi_find_table("MCFG", 0);

	if (!t) {
		memset(out, 0, sizeof(*out));
		return E_NOENT;
	}
	return acpi_mcfg_parse_table(t, out);
}

/* ---- HPET ---- */

int acpi_hpet_parse_table(const struct acpi_header *t, struct acpi_hpet *out)
{
	const uint8_t *p = (const uint8_t *)t;
	const char *why = NULL;

	memset(out, 0, sizeof(*out));
	if (!t || memcmp(t->signature, "HPET", 4) != 0)
		return E_INVAL;
	if (t->length < ACPI_HPET_LEN || t->length > ACPI_TABLE_MAX_LEN) {
		log_warn("acpi hpet len=%u rejected reason=bad-length", t->length);
		return E_INVAL;
	}
	out->block_id = rd32(p + 36);
	out->base = rd64(p + 44);
	out->number = p[52];
	if (p[40] != 0)
		why = "not-memory-space";
	else if (!out->base)
		why = "no-base";
	else if (out->base & (ACPI_HPET_BLOCK_LEN - 1))
		why = "unaligned-base";
	if (why) {
		log_warn("acpi hpet space=%u base=0x%llx rejected reason=%s", p[40], ull(out->base),
			 why);
		memset(out, 0, sizeof(*out));
		return E_INVAL;
	}
	return 0;
}

int acpi_hpet_parse(struct acpi_hpet *out)
{
	const struct acpi_header *t = acpi_find_table("HPET", 0);

	if (!t) {
		memset(out, 0, sizeof(*out));
		return E_NOENT;
	}
	return acpi_hpet_parse_table(t, out);
}

/* ---- boot report ---- */

void acpi_log_tables(void)
{
	const struct acpi_header *t;
	unsigned cur = 0;

	if (!st.ready) {
		log_warn("acpi not initialised");
		return;
	}
	log_info("acpi rsdp addr=0x%08llx revision=%u oem=%s root=%s addr=0x%08llx",
		 ull(st.info.rsdp_addr), st.info.revision, st.info.oem_id,
		 st.info.use_xsdt ? "xsdt" : "rsdt", ull(st.info.root_addr));
	while ((t = acpi_next_table(&cur))) {
		char sig[5], oem[7];

		fmt_sig(sig, t->signature);
		fmt_oem(oem, t->oem_id, sizeof(t->oem_id));
		log_info("acpi table sig=%s addr=0x%08llx len=%u rev=%u oem=%s",
			 sig, ull(st.e[cur - 1].pa), t->length, t->revision, oem);
	}
}

void acpi_madt_log(const struct acpi_madt *m)
{
	log_info("madt lapic=0x%08llx cpus=%u ioapics=%u isos=%u nmi_sources=%u lapic_nmis=%u",
		 ull(m->lapic_addr), m->ncpus, m->nioapics, m->nisos,
		 m->nmi_sources, m->lapic_nmis);
	for (unsigned i = 0; i < m->ncpus; i++)
		log_info("cpu apic_id=%u uid=%u enabled=%s", m->cpus[i].apic_id,
			 m->cpus[i].uid, m->cpus[i].enabled ? "yes" : "no");
	for (unsigned i = 0; i < m->nioapics; i++)
		log_info("ioapic id=%u addr=0x%08x gsi_base=%u", m->ioapics[i].id,
			 m->ioapics[i].addr, m->ioapics[i].gsi_base);
	for (unsigned i = 0; i < m->nisos; i++)
		log_info("iso bus=%u source=%u gsi=%u flags=0x%04x", m->isos[i].bus,
			 m->isos[i].source, m->isos[i].gsi, m->isos[i].flags);
}

void acpi_mcfg_log(const struct acpi_mcfg *m)
{
	for (unsigned i = 0; i < m->count; i++)
		log_info("ecam segment=%u base=0x%08llx bus=%u-%u",
			 m->ecam[i].segment, ull(m->ecam[i].base),
			 m->ecam[i].bus_start, m->ecam[i].bus_end);
}

void acpi_log_report(const struct acpi_madt *madt, const struct acpi_mcfg *mcfg)
{
	acpi_log_tables();
	if (madt)
		acpi_madt_log(madt);
	if (mcfg)
		acpi_mcfg_log(mcfg);
}

/* ---- Changes to the firmware's tables, before the guest sees them ---- */

static void fix_checksum(struct acpi_header *t)
{
	t->checksum = 0;
	t->checksum = (uint8_t)(0x100 - acpi_checksum(t, t->length));
}

/* Drops entries pointing at `sig` from one root table, in place. */
static int hide_in_root(paddr_t root_pa, bool xsdt, const char *sig)
{
	struct acpi_header *root = hal_phys_to_virt(root_pa);
	uint8_t *p = (uint8_t *)root + ACPI_HEADER_LEN;
	size_t esz = xsdt ? 8 : 4;
	size_t n = (root->length - ACPI_HEADER_LEN) / esz, kept = 0;
	int removed = 0;

	for (size_t i = 0; i < n; i++) {
		paddr_t pa = xsdt ? rd64(p + i * esz) : rd32(p + i * esz);
		const char *why;
		const struct acpi_header *t = pa ? map_header(pa, &why) : NULL;

		if (t && memcmp(t->signature, sig, 4) == 0) {
			removed++;
			continue;
		}
		memmove(p + kept * esz, p + i * esz, esz);
		kept++;
	}
	if (removed) {
		memset(p + kept * esz, 0, (n - kept) * esz);
		root->length = (uint32_t)(ACPI_HEADER_LEN + kept * esz);
		fix_checksum(root);
	}
	return removed;
}

int acpi_hide_table(const char *sig)
{
	int removed = 0;

	if (!st.ready)
		return E_NOENT;
	if (st.info.rsdt_addr)
		removed += hide_in_root(st.info.rsdt_addr, false, sig);
	if (st.info.xsdt_addr)
		removed += hide_in_root(st.info.xsdt_addr, true, sig);
	/* st.e still lists the table: shoji itself keeps finding it. */
	return removed;
}

int acpi_madt_hide_cpus(bool (*keep)(uint32_t apic_id))
{
	const struct acpi_header *c = acpi_find_table("APIC", 0);
	uint8_t *t, *end;
	int hidden = 0;

	if (!c)
		return E_NOENT;
	t = (uint8_t *)c;
	end = t + c->length;
	for (uint8_t *e = t + ACPI_HEADER_LEN + 8; e + 2 <= end && e[1] >= 2 && e + e[1] <= end;
	     e += e[1]) {
		uint32_t id, flags;
		uint8_t *fl;

		if (e[0] == 0 && e[1] >= 8) {		/* Processor Local APIC */
			id = e[3];
			fl = e + 4;
		} else if (e[0] == 9 && e[1] >= 16) {	/* Processor Local x2APIC */
			id = rd32(e + 4);
			fl = e + 8;
		} else {
			continue;
		}
		flags = rd32(fl);
		if (keep(id) || !(flags & 3))
			continue;
		flags &= ~3u;	/* neither enabled nor online-capable */
		memcpy(fl, &flags, 4);
		hidden++;
	}
	if (hidden)
		fix_checksum((struct acpi_header *)t);
	return hidden;
}

int acpi_mcfg_limit_end_bus(uint16_t segment, uint8_t last_bus)
{
	const struct acpi_header *c = acpi_find_table("MCFG", 0);
	uint8_t *t, *end;
	int changed = 0;

	if (!c)
		return E_NOENT;
	t = (uint8_t *)c;
	end = t + c->length;
	/* PCI Firmware 3.2 4.1.2: the header, 8 reserved bytes, then 16-byte
	 * allocations: base (8), segment (2), start bus (1), end bus (1). */
	for (uint8_t *e = t + ACPI_HEADER_LEN + 8; e + 16 <= end; e += 16) {
		if (rd16(e + 8) != segment || e[10] > last_bus || e[11] <= last_bus)
			continue;
		e[11] = last_bus;
		changed++;
	}
	if (changed)
		fix_checksum((struct acpi_header *)t);
	return changed;
}

void acpi_copy_id(char *dst, const uint8_t *src, size_t n)
{
	size_t end = n;

	while (end > 0 && (src[end - 1] == ' ' || src[end - 1] == '\0'))
		end--;
	for (size_t i = 0; i < end; i++)
		dst[i] = (src[i] > ' ' && src[i] < 0x7f && src[i] != '"') ? (char)src[i] : '_';
	dst[end] = '\0';
}
