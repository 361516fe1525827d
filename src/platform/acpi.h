/* ACPI tables: RSDP discovery, RSDT/XSDT, table lookup, MADT and MCFG.
 *
 * Portable: firmware memory is reached only through hal_phys_to_virt(), so
 * the same code runs in the image and in host unit tests. Everything is
 * validated before it is used (signatures, lengths, checksums, entry
 * bounds): firmware tables are input, and a bad one is skipped with a
 * warning rather than trusted. No allocation: the limits below are fixed,
 * and a limit that truncates something is reported with log_warn.
 *
 * Typical use at boot:
 *
 *	if (acpi_init_from_rsdp(mb2_rsdp, mb2_rsdp_len) < 0 &&
 *	    acpi_init_bios_scan() < 0)
 *		panic("no ACPI");
 *	acpi_madt_parse(&madt);
 *	acpi_mcfg_parse(&mcfg);
 *	acpi_log_report(&madt, &mcfg);
 *	dmar = acpi_find_table("DMAR", 0);
 *
 * Boot report lines (acpi_log_report; tests parse them, keep the format):
 *	acpi rsdp addr=0x000f5a40 revision=2 oem=BOCHS root=xsdt addr=0x7ffe2345
 *	acpi table sig=DMAR addr=0x7ffe1a2b len=88 rev=1 oem=BOCHS
 *	madt lapic=0xfee00000 cpus=2 ioapics=1 isos=5 nmi_sources=0 lapic_nmis=1
 *	cpu apic_id=0 uid=0 enabled=yes
 *	ioapic id=0 addr=0xfec00000 gsi_base=0
 *	iso bus=0 source=0 gsi=2 flags=0x0000
 *	ecam segment=0 base=0xb0000000 bus=0-255
 * Warnings about bad tables (once per table):
 *	warning: acpi bad table sig=APIC addr=0x7ffe0100 len=120 reason=bad-checksum
 *
 * Not thread-safe: used by the bootstrap processor before anything else runs.
 *
 * Hiding tables from the guest (planned, e.g. DMAR): the module keeps the
 * physical addresses of both root tables (acpi_root_info) and the index of
 * every root entry, so removing an entry is: compact the entry array of the
 * RSDT and of the XSDT in place, lower their length, recompute their
 * checksum with acpi_checksum(), and keep the hidden table in the private
 * list so that shoji itself still finds it. */
#ifndef SHOJI_PLATFORM_ACPI_H
#define SHOJI_PLATFORM_ACPI_H

#include "lib/types.h"

/* ---- Limits ---- */
#define ACPI_HEADER_LEN		36		/* ACPI 5.2.6 */
#define ACPI_TABLE_MAX_LEN	MiB(1)		/* larger tables are rejected */
#define ACPI_RSDP_V1_LEN	20		/* ACPI 5.2.5.3, revision 0 */
#define ACPI_RSDP_V2_LEN	36		/* revision >= 2 */
#define ACPI_RSDP_MAX_LEN	1024		/* sanity bound on RSDP.Length */
#define ACPI_MAX_TABLES		128		/* root entries kept; rest dropped */
#define ACPI_MAX_CPUS		256
#define ACPI_MAX_IOAPICS	16
#define ACPI_MAX_ISOS		32
#define ACPI_MAX_ECAM		16

/* ---- Firmware layouts (little-endian, packed, possibly unaligned) ---- */

/* Root System Description Pointer, ACPI 6.5 section 5.2.5.3. The first 20
 * bytes are the revision-0 (ACPI 1.0) structure. */
struct acpi_rsdp {
	char signature[8];		/* "RSD PTR " */
	uint8_t checksum;		/* bytes 0..19 sum to 0 */
	char oem_id[6];
	uint8_t revision;		/* 0: ACPI 1.0; 2: ACPI 2.0+ */
	uint32_t rsdt_address;
	/* revision >= 2: */
	uint32_t length;		/* of the whole structure */
	uint64_t xsdt_address;
	uint8_t extended_checksum;	/* bytes 0..length-1 sum to 0 */
	uint8_t reserved[3];
} PACKED;
STATIC_ASSERT(sizeof(struct acpi_rsdp) == 36, "RSDP layout");

/* System Description Table Header, ACPI 6.5 section 5.2.6. */
struct acpi_header {
	char signature[4];
	uint32_t length;		/* including this header */
	uint8_t revision;
	uint8_t checksum;		/* whole table sums to 0 */
	char oem_id[6];
	char oem_table_id[8];
	uint32_t oem_revision;
	uint32_t creator_id;
	uint32_t creator_revision;
} PACKED;
STATIC_ASSERT(sizeof(struct acpi_header) == ACPI_HEADER_LEN, "header layout");

/* ---- Discovery ---- */

/* Starts from a copy of the RSDP, as the Multiboot2 "ACPI old/new RSDP"
 * tags (types 14/15) hand it over: rsdp points to the copy, len is how many
 * bytes of it are valid. The fields are copied, so the buffer may be reused
 * afterwards. The address in the report line is that of the copy.
 * Returns 0, or E_INVAL (bad signature, len too short for the revision,
 * RSDP.Length out of range), E_CHECKSUM (checksum or extended checksum), or
 * an error from the root table (see below). Resets any earlier state. */
int acpi_init_from_rsdp(const void *rsdp, size_t len);

/* Legacy BIOS discovery (ACPI 5.2.5.1): searches the first KiB of the EBDA
 * (real-mode segment stored at physical 0x40E) and then 0xE0000-0xFFFFF, on
 * 16-byte boundaries, for a valid RSDP; candidates with a right signature
 * but bad checksums are warned about and passed over. Returns 0, E_NOENT
 * when nothing valid is found, or an error from the root table. */
int acpi_init_bios_scan(void);

#ifdef SHOJI_HOST
/* Host builds only: the host address standing in for physical address 0 in
 * the BIOS scan (a buffer of at least 1 MiB simulating low memory). The
 * image always scans the real addresses. */
extern paddr_t acpi_host_lowmem_base;
#endif

/* Root table selection (done by both init functions): the XSDT when the RSDP
 * revision is >= 2, XsdtAddress != 0 and the XSDT validates (signature,
 * 36 <= length <= ACPI_TABLE_MAX_LEN, checksum); otherwise the RSDT (with a
 * warning if an XSDT was announced but bad). Returns E_INVAL or E_CHECKSUM
 * when neither is usable. Root entries beyond ACPI_MAX_TABLES are dropped
 * with a warning; entries that are 0 or wrap around are warned about once
 * at init and never used. */

struct acpi_root_info {
	paddr_t rsdp_addr;		/* of the RSDP (or of the copy) */
	uint8_t revision;		/* RSDP revision */
	char oem_id[7];			/* RSDP OEM ID, trimmed, NUL-terminated */
	bool use_xsdt;			/* root table is the XSDT */
	paddr_t root_addr;		/* root table in use */
	paddr_t rsdt_addr;		/* valid RSDT, or 0 */
	paddr_t xsdt_addr;		/* valid XSDT, or 0 */
	unsigned entries;		/* root entries kept (<= ACPI_MAX_TABLES) */
};

/* NULL before a successful init. */
const struct acpi_root_info *acpi_root_info(void);

/* ---- Tables ---- */

/* The instance-th (from 0) valid table with signature sig (4 characters),
 * in root-table order, or NULL. Every candidate's length (36 ..
 * ACPI_TABLE_MAX_LEN) and checksum are checked on every lookup; a bad one is
 * skipped, and warned about the first time it is seen. The table stays in
 * firmware memory: parse it into a private copy before running the guest. */
const struct acpi_header *acpi_find_table(const char *sig, unsigned instance);

/* Copies a fixed-size ACPI string field (signature, OEM and creator IDs,
 * HIDs: n bytes, not NUL-terminated) into dst (n + 1 bytes), trailing
 * spaces and NULs dropped and anything unprintable, a space or a quote
 * made '_', so that it fits a key=value log line. */
void acpi_copy_id(char *dst, const uint8_t *src, size_t n);

/* Iterates over all valid tables in root-table order:
 *	unsigned cur = 0;
 *	while ((t = acpi_next_table(&cur)))
 *		...
 * Bad tables are skipped (and warned about once), as in acpi_find_table. */
const struct acpi_header *acpi_next_table(unsigned *cursor);

/* Physical address of a table returned by acpi_find_table/acpi_next_table. */
paddr_t acpi_table_addr(const struct acpi_header *t);

/* Sum of len bytes (mod 256): 0 for a valid table. */
uint8_t acpi_checksum(const void *p, size_t len);

/* Checks a table's header length (ACPI_HEADER_LEN .. ACPI_TABLE_MAX_LEN) and
 * checksum. Returns 0, E_RANGE or E_CHECKSUM; *why (if non-NULL) gets a
 * one-word reason for log lines ("length-too-small", "length-too-large",
 * "bad-checksum"). */
int acpi_validate_table(const struct acpi_header *t, const char **why);

/* ---- MADT (signature "APIC"), ACPI 6.5 section 5.2.12 ---- */

struct acpi_cpu {
	uint32_t apic_id;		/* local APIC / x2APIC ID */
	uint32_t uid;			/* ACPI processor UID */
	bool enabled;			/* flags bit 0 */
	bool online_capable;		/* flags bit 1 (ACPI 6.3+) */
	bool x2apic;			/* from a type 9 entry */
};

struct acpi_ioapic {
	uint8_t id;
	uint32_t addr;
	uint32_t gsi_base;
};

struct acpi_iso {			/* Interrupt Source Override */
	uint8_t bus;			/* 0 = ISA */
	uint8_t source;			/* bus-relative IRQ */
	uint32_t gsi;
	uint16_t flags;			/* MPS INTI flags (polarity, trigger) */
};

struct acpi_madt {
	paddr_t lapic_addr;		/* after any type 5 override */
	bool lapic_overridden;
	uint32_t flags;			/* bit 0: PCAT_COMPAT (8259s present) */
	unsigned ncpus;			/* usable CPUs (enabled or online-capable) */
	struct acpi_cpu cpus[ACPI_MAX_CPUS];
	unsigned nioapics;
	struct acpi_ioapic ioapics[ACPI_MAX_IOAPICS];
	unsigned nisos;
	struct acpi_iso isos[ACPI_MAX_ISOS];
	unsigned nmi_sources;		/* type 3 entries */
	unsigned lapic_nmis;		/* type 4 and type 0xA entries */
	unsigned disabled_cpus;		/* neither enabled nor online-capable */
	unsigned dropped;		/* entries lost to the limits above */
	unsigned skipped;		/* malformed or duplicate entries skipped */
	unsigned other;			/* entries of types not parsed here */
	bool truncated;			/* walk stopped at a malformed entry */
};

/* Parses the first valid MADT. Returns 0, E_NOENT (none), E_INVAL (table
 * too short for the fixed fields). A truncated walk still returns 0 with
 * out->truncated set (and a warning): what came before is usable. */
int acpi_madt_parse(struct acpi_madt *out);
/* The same for a given table (already validated by the caller, e.g. one
 * returned by acpi_find_table); its signature must be "APIC". */
int acpi_madt_parse_table(const struct acpi_header *t, struct acpi_madt *out);

/* ---- MCFG, PCI Firmware Specification 3.2 section 4.1.2 ---- */

struct acpi_ecam {
	paddr_t base;			/* ECAM base for bus 0 of the segment */
	uint16_t segment;
	uint8_t bus_start;
	uint8_t bus_end;
};

struct acpi_mcfg {
	unsigned count;
	struct acpi_ecam ecam[ACPI_MAX_ECAM];
	unsigned skipped;		/* invalid entries (warned) */
	unsigned dropped;		/* valid entries beyond ACPI_MAX_ECAM */
};

/* Parses the first valid MCFG: each 16-byte allocation must lie wholly
 * inside the table, have base != 0 and 4 KiB aligned, bus_start <= bus_end,
 * a region that does not wrap, and not overlap an earlier entry's buses in
 * the same segment; others are skipped with a warning. Returns 0, E_NOENT
 * (no MCFG) or E_INVAL (shorter than its fixed part). */
int acpi_mcfg_parse(struct acpi_mcfg *out);
int acpi_mcfg_parse_table(const struct acpi_header *t, struct acpi_mcfg *out);

/* The HPET description table (IA-PC HPET Specification 1.0a, section 3.2.4):
 * after the 36-byte header, Event Timer Block ID (4 bytes, at 36), the
 * register block's Base Address as a Generic Address Structure (12 bytes at
 * 40: space id, bit width, bit offset, access size, 64-bit address at 44),
 * the HPET Number (1 byte at 52, the "enumeration id" the DMAR's HPET
 * device scope and the IVRS' special HPET entry name), Main Counter Minimum
 * Clock Tick (2 bytes at 53) and Page Protection (1 byte at 55). */
#define ACPI_HPET_LEN 56
#define ACPI_HPET_BLOCK_LEN 1024	/* the register block (HPET 1.0a 2.3.1) */

struct acpi_hpet {
	paddr_t base;		/* the register block, memory space, 1 KiB aligned */
	uint8_t number;		/* HPET Number */
	uint32_t block_id;	/* Event Timer Block ID (the capabilities' low half) */
};

/* Parses an HPET table: the length must cover the fixed part, the base be
 * in system memory (GAS space 0), non-zero and 1 KiB aligned. 0, or E_INVAL
 * with a warning; acpi_hpet_parse: E_NOENT when there is no HPET table. */
int acpi_hpet_parse_table(const struct acpi_header *t, struct acpi_hpet *out);
int acpi_hpet_parse(struct acpi_hpet *out);

/* ---- Boot report ---- */

/* "acpi rsdp ..." then one "acpi table ..." line per valid table. */
void acpi_log_tables(void);
/* "madt ..." summary, then cpu, ioapic and iso lines. */
void acpi_madt_log(const struct acpi_madt *m);
/* One "ecam ..." line per allocation. */
void acpi_mcfg_log(const struct acpi_mcfg *m);
/* All three; madt or mcfg may be NULL (then their part is left out). */
void acpi_log_report(const struct acpi_madt *madt, const struct acpi_mcfg *mcfg);

/* ---- Preparing the tables for the guest ---- */

/* Removes every RSDT/XSDT entry that points at a table with signature sig
 * (e.g. "DMAR", so the guest does not try to take the IOMMU), in firmware
 * memory, fixing lengths and checksums. shoji's own table list is not
 * changed: acpi_find_table still finds the table. Returns the number of
 * entries removed, or E_NOENT before init. */
int acpi_hide_table(const char *sig);

/* Marks every processor in the MADT for which keep(apic id) is false as
 * neither enabled nor online-capable (the CPUs shoji could not start are
 * not the guest's), and fixes the checksum. Local APIC and x2APIC entries.
 * Returns how many were hidden, or E_NOENT without a MADT. */
int acpi_madt_hide_cpus(bool (*keep)(uint32_t apic_id));

/* Lowers the end bus of every MCFG allocation of `segment` whose range goes
 * past last_bus to last_bus (checksum fixed); an allocation that starts
 * above last_bus is left alone. Returns how many were changed, E_NOENT
 * without an MCFG. Linux probes every bus number up to the MCFG's last one
 * through the configuration ports (its peer host bridge scan): with the
 * bus numbers fixed, the buses past the highest one that exists have nothing
 * to find. */
int acpi_mcfg_limit_end_bus(uint16_t segment, uint8_t last_bus);

#endif
