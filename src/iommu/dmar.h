/* DMAR: the ACPI DMA Remapping Reporting table that describes the Intel
 * VT-d remapping hardware (Intel VT-d specification, chapter 8 "BIOS
 * Considerations"). Section numbers below refer to that chapter:
 *   8.1 DMAR header     8.2 remapping structure types   8.3 DRHD
 *   8.3.1 device scope  8.4 RMRR   8.5 ATSR   8.6 RHSA   8.7 ANDD   8.8 SATC
 *
 * dmar_parse() validates a table and copies what it says into a caller-owned
 * struct dmar_info; nothing points back into the table afterwards. It never
 * reads outside [table, table + len_available) nor past the header's own
 * length, and it uses no allocator: everything lives in the fixed arrays of
 * struct dmar_info (limits below; a table that exceeds one is reported, and
 * fails closed when the dropped part is a remapping unit or its scope).
 *
 * Verdict: dmar_parse() returns 0 exactly when info->usable is true, i.e.
 * the table is well-formed, has at least one DRHD, every DRHD has a valid
 * register base, and no DRHD data was dropped at a limit. Otherwise it
 * returns a negative E_* and info->reason says why in one sentence.
 * Firmware bugs that are safe to live with are logged as warnings and
 * counted in info->warnings, not fatal (8.3 ordering, duplicate units,
 * overlapping or misplaced RMRRs, unresolvable scope paths, ...).
 *
 * PCI topology: a device scope's path (8.3.1) starts at a bus number and
 * goes through bridges; only the live PCI configuration says which bus lies
 * behind each bridge. The caller passes struct dmar_env callbacks for that;
 * they are called during dmar_parse() only, so the result is a snapshot of
 * the bus numbering at parse time (whoever lets the guest renumber bridges
 * must re-parse or refuse). Without callbacks single-hop paths still
 * resolve (bus = start bus); multi-hop paths stay unresolved and bridge bus
 * ranges unknown, which is noted, not warned about. */
#ifndef SHOJI_IOMMU_DMAR_H
#define SHOJI_IOMMU_DMAR_H

#include "lib/types.h"

/* Storage limits of struct dmar_info. Real machines have a handful of
 * units and a few dozen scopes; QEMU q35 has one unit and one scope per
 * device on bus 0. */
#define DMAR_MAX_UNITS		32	/* DRHD; more -> table not usable */
#define DMAR_MAX_RMRRS		32	/* more -> warned and dropped */
#define DMAR_MAX_ATSRS		16	/* more -> warned and dropped */
#define DMAR_MAX_RHSAS		32	/* more -> warned and dropped */
#define DMAR_MAX_ANDDS		16	/* more -> warned and dropped */
#define DMAR_MAX_SATCS		16	/* more -> warned and dropped */
#define DMAR_MAX_SCOPES		256	/* all structures together; a DRHD scope
					   dropped -> table not usable */
#define DMAR_MAX_HOPS		8	/* path entries kept per scope; a longer
					   path is kept but left unresolved */
#define DMAR_ANDD_NAME_MAX	64	/* ANDD object name incl. NUL (8.7) */
#define DMAR_REASON_MAX		160

#define DMAR_HEADER_LEN		48	/* ACPI header (36) + HAW, flags, reserved */

/* Header flags (8.1). */
#define DMAR_FLAG_INTR_REMAP		0x01
#define DMAR_FLAG_X2APIC_OPT_OUT	0x02
#define DMAR_FLAG_DMA_CTRL_OPT_IN	0x04

/* Remapping structure types (8.2). */
enum dmar_struct_type {
	DMAR_TYPE_DRHD = 0,	/* 8.3 remapping hardware unit */
	DMAR_TYPE_RMRR = 1,	/* 8.4 reserved memory region */
	DMAR_TYPE_ATSR = 2,	/* 8.5 root port ATS capability */
	DMAR_TYPE_RHSA = 3,	/* 8.6 remapping hardware static affinity */
	DMAR_TYPE_ANDD = 4,	/* 8.7 ACPI namespace device declaration */
	DMAR_TYPE_SATC = 5,	/* 8.8 SoC integrated address translation cache */
};

#define DMAR_DRHD_INCLUDE_PCI_ALL	0x01	/* 8.3 flags bit 0 */
#define DMAR_ATSR_ALL_PORTS		0x01	/* 8.5 flags bit 0 */
#define DMAR_SATC_ATC_REQUIRED		0x01	/* 8.8 flags bit 0 */

/* Device scope types (8.3.1). */
enum dmar_scope_type {
	DMAR_SCOPE_ENDPOINT = 1,	/* PCI endpoint device */
	DMAR_SCOPE_BRIDGE = 2,		/* PCI sub-hierarchy: bridge + all below */
	DMAR_SCOPE_IOAPIC = 3,		/* enumeration id = I/O APIC id */
	DMAR_SCOPE_HPET = 4,		/* enumeration id = HPET number */
	DMAR_SCOPE_ACPI = 5,		/* enumeration id = ANDD device number */
};

/* Where a device scope came from. */
enum dmar_owner {
	DMAR_OWNER_DRHD,
	DMAR_OWNER_RMRR,
	DMAR_OWNER_ATSR,
	DMAR_OWNER_SATC,
};

struct dmar_hop {
	uint8_t dev, fn;
};

/* One device scope entry (8.3.1), with its path resolved to a BDF when the
 * topology allowed it. */
struct dmar_scope {
	uint8_t type;			/* enum dmar_scope_type */
	uint8_t flags;			/* byte 2 of the entry (reserved in older
					   revisions), kept raw */
	uint8_t enum_id;		/* enumeration id (IOAPIC/HPET/ACPI) */
	uint8_t start_bus;
	uint8_t owner;			/* enum dmar_owner */
	uint16_t owner_index;		/* index in units/rmrrs/atsrs/satcs */
	uint16_t segment;		/* the owning structure's segment */
	uint16_t offset;		/* byte offset of the entry in the table */
	uint8_t hops;			/* path entries in the table (>= 1) */
	struct dmar_hop path[DMAR_MAX_HOPS];	/* the first MIN(hops, MAX) */

	bool resolved;			/* bus/devfn below are valid */
	uint8_t bus, devfn;		/* the device the path names */
	/* Bridges (DMAR_SCOPE_BRIDGE) only: secondary..subordinate buses
	 * behind the bridge, valid when bus_range is set. */
	bool bus_range;
	uint8_t sec_bus, sub_bus;
	/* Why resolved/bus_range is false (static string), else NULL. */
	const char *unresolved;
	bool no_topology;		/* ... because no topology was given */
};

/* A remapping hardware unit (8.3). */
struct dmar_unit {
	uint16_t index;			/* position among the DRHDs, from 0 */
	uint16_t offset;		/* byte offset in the table */
	uint8_t flags;			/* raw flags byte */
	bool include_all;		/* INCLUDE_PCI_ALL */
	uint8_t size_field;		/* raw size byte (reserved before rev 2) */
	uint64_t size;			/* register set bytes: 4 KiB << bits 3:0 */
	uint16_t segment;
	paddr_t base;			/* register base address */
	uint16_t first_scope, nscopes;	/* info->scopes[first ... first+n) */
	bool usable;			/* false: base is 0 or all-ones */
	int dup_of;			/* index of an earlier unit with the same
					   base (same hardware), else -1 */
	bool has_proximity;		/* an RHSA names this unit */
	uint32_t proximity;
};

/* A reserved memory region (8.4): [base, limit], limit inclusive. */
struct dmar_rmrr {
	uint16_t offset;
	uint16_t segment;
	paddr_t base, limit;
	bool valid;			/* base/limit aligned and base <= limit */
	uint16_t first_scope, nscopes;
};

/* Root port ATS capability (8.5). */
struct dmar_atsr {
	uint16_t offset;
	uint8_t flags;
	bool all_ports;
	uint16_t segment;
	uint16_t first_scope, nscopes;
};

/* Remapping hardware static affinity (8.6). */
struct dmar_rhsa {
	uint16_t offset;
	paddr_t base;
	uint32_t proximity;
	int unit;			/* index of the DRHD with that base, or -1 */
};

/* ACPI namespace device declaration (8.7). */
struct dmar_andd {
	uint16_t offset;
	uint8_t number;			/* ACPI device number (scope enum id) */
	char name[DMAR_ANDD_NAME_MAX];	/* object name, NUL-terminated,
					   non-printables replaced by '?' */
};

/* SoC integrated address translation cache (8.8). */
struct dmar_satc {
	uint16_t offset;
	uint8_t flags;
	bool atc_required;
	uint16_t segment;
	uint16_t first_scope, nscopes;
};

struct dmar_info {
	/* ACPI header */
	uint32_t length;
	uint8_t revision;
	char oem_id[7], oem_table_id[9], creator_id[5];
	uint32_t oem_revision, creator_revision;
	/* DMAR header (8.1) */
	uint16_t haw;			/* host address width in bits (field + 1) */
	uint8_t flags;
	bool intr_remap, x2apic_opt_out, dma_ctrl_opt_in;

	struct dmar_unit units[DMAR_MAX_UNITS];
	struct dmar_rmrr rmrrs[DMAR_MAX_RMRRS];
	struct dmar_atsr atsrs[DMAR_MAX_ATSRS];
	struct dmar_rhsa rhsas[DMAR_MAX_RHSAS];
	struct dmar_andd andds[DMAR_MAX_ANDDS];
	struct dmar_satc satcs[DMAR_MAX_SATCS];
	struct dmar_scope scopes[DMAR_MAX_SCOPES];
	unsigned nunits, nrmrrs, natsrs, nrhsas, nandds, nsatcs, nscopes;
	unsigned nunknown;		/* structures of unknown type skipped */
	unsigned ndropped;		/* structures/scopes dropped at a limit */
	unsigned nno_topology;		/* scopes unresolved for lack of topology */

	/* Verdict */
	bool malformed;			/* the bytes break chapter 8's rules */
	bool usable;			/* see the top of this file */
	int error;			/* 0 when usable, else the E_* returned */
	char reason[DMAR_REASON_MAX];	/* why not usable ("" when usable) */
	unsigned warnings;		/* firmware bugs reported */
};

/* The live PCI topology and memory map, as the caller knows them. Every
 * member may be NULL (then the matching resolution or check is skipped). */
struct dmar_env {
	void *ctx;
	/* Secondary bus of the bridge at seg:bus:dev.fn, or negative when that
	 * function is absent or not a bridge. */
	int (*secondary_bus)(void *ctx, uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn);
	/* Subordinate (highest) bus below that bridge, or negative. */
	int (*subordinate_bus)(void *ctx, uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn);
	/* True when [base, end] (end inclusive) is all reserved memory in the
	 * firmware memory map, i.e. never given to the OS as RAM. */
	bool (*is_reserved)(void *ctx, paddr_t base, paddr_t end);
};

/* A PCI function: segment, bus, device << 3 | function. */
struct dmar_bdf {
	uint16_t seg;
	uint8_t bus, devfn;
};

#define DMAR_DEVFN(dev, fn) ((uint8_t)(((dev) & 0x1f) << 3 | ((fn) & 7)))

/* Parse and validate the DMAR at table (len_available bytes readable).
 * env may be NULL. Logs firmware-bug warnings as it goes and one error
 * line when the table is not usable; prints nothing else (dmar_print does).
 * Returns 0 when usable, else E_INVAL (malformed, or a unit with an invalid
 * register base), E_CHECKSUM, E_NOENT (no DRHD) or E_RANGE (a limit above
 * dropped a DRHD or its scope). */
int dmar_parse(const void *table, size_t len_available, const struct dmar_env *env,
	       struct dmar_info *info);

/* The unit that translates DMA from seg:bus:devfn (8.3): the unit whose
 * scopes name it (an endpoint or bridge entry naming exactly this BDF;
 * else the narrowest bridge entry whose bus range contains bus), else the
 * INCLUDE_PCI_ALL unit of that segment, else NULL. A unit that repeats an
 * earlier unit's register base is returned as that earlier unit. The unit
 * may be unusable (check ->usable). */
const struct dmar_unit *dmar_unit_for_device(const struct dmar_info *info, uint16_t seg,
					     uint8_t bus, uint8_t devfn);

/* Warn (loudly: such a device can DMA anywhere) about each of the n
 * devices that no usable unit covers. Returns how many there were. */
unsigned dmar_report_uncovered(const struct dmar_info *info, const struct dmar_bdf *devs,
			       size_t n);

/* Log the whole parsed table, one key=value line per item, ending with the
 * verdict line "dmar usable=yes" or "dmar usable=no error=... reason=...". */
void dmar_print(const struct dmar_info *info);

/* "endpoint", "bridge", "ioapic", "hpet", "acpi" or "unknown". */
const char *dmar_scope_type_name(uint8_t type);

static inline const struct dmar_scope *dmar_scope_at(const struct dmar_info *info,
						     uint16_t first, uint16_t i)
{
	return &info->scopes[first + i];
}

#endif
