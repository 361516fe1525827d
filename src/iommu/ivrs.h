/* IVRS: the ACPI I/O Virtualization Reporting Structure that describes AMD
 * I/O Virtualization Technology (AMD-Vi) hardware (AMD IOMMU specification,
 * 48882 rev 3.x, chapter 5 "ACPI tables"). Sections below:
 *   5.2.1 IVRS header and IVinfo
 *   5.2.2 IVHD: I/O virtualization hardware definition blocks, types 10h,
 *         11h and 40h, and their device entries
 *   5.2.3 IVMD: I/O virtualization memory definition blocks, types 20h-22h
 *
 * ivrs_parse() validates a table and copies what it says into a caller-owned
 * struct ivrs_info; nothing points back into the table afterwards. It never
 * reads outside [table, table + len_available) nor past the header's own
 * length, and it uses no allocator (limits below; a table that exceeds one
 * fails closed when the dropped part is an IVHD or one of its entries).
 *
 * Several IVHDs may describe the same IOMMU (same segment and device ID):
 * one of type 10h for old software and one of type 11h or 40h for new
 * (5.2.2). Software uses the highest type it knows; the others are parsed
 * and checked (a malformed one still fails the table) but marked
 * superseded and never used for lookups.
 *
 * Verdict: ivrs_parse() returns 0 exactly when info->usable is true: the
 * table is well-formed, at least one IVHD is in effect, every IVHD in
 * effect has a valid register base, no device is aliased to two different
 * requester IDs, blocks for the same IOMMU agree on its register base, and
 * nothing was dropped at a limit. Otherwise it returns a negative E_* and
 * info->reason says why in one sentence that names the offset and the rule.
 * Firmware bugs that are safe to live with are logged as warnings and
 * counted in info->warnings (a device claimed by two IOMMUs, overlapping
 * ranges, invalid IVMDs, which are then ignored, ...).
 *
 * Device IDs (5.2.2) are PCI requester IDs: bus << 8 | device << 3 |
 * function, in the IVHD's PCI segment. No bus walk is needed to resolve
 * them, unlike DMAR paths. */
#ifndef SHOJI_IOMMU_IVRS_H
#define SHOJI_IOMMU_IVRS_H

#include "lib/types.h"

/* Storage limits of struct ivrs_info. A two-socket server has 8 IOMMUs
 * with one block of each type and some 20 device entries per block; QEMU
 * has one IVHD with a dozen entries. */
#define IVRS_MAX_IVHDS		32	/* more -> table not usable */
#define IVRS_MAX_DEVS		512	/* all IVHDs together; more -> not usable */
#define IVRS_MAX_IVMDS		64	/* more -> warned and dropped */
#define IVRS_UID_MAX		32	/* ACPI _UID kept, incl. NUL */
#define IVRS_REASON_MAX		256

#define IVRS_HEADER_LEN		48	/* ACPI header (36) + IVinfo (4) + reserved (8) */

/* IVinfo (5.2.1). */
#define IVRS_IVINFO_EFR_SUP		(1u << 0)	/* EFR images in IVHD 11h/40h valid */
#define IVRS_IVINFO_DMA_REMAP		(1u << 1)	/* firmware DMA protection on */
#define IVRS_IVINFO_GVA_SIZE(v)		(((v) >> 5) & 7)	/* 2 = 48 bits */
#define IVRS_IVINFO_PA_SIZE(v)		(((v) >> 8) & 0x7f)	/* bits */
#define IVRS_IVINFO_VA_SIZE(v)		(((v) >> 15) & 0x7f)	/* bits */
#define IVRS_IVINFO_HT_ATS_RESV		(1u << 22)

/* Block types (5.2.2, 5.2.3). */
enum ivrs_block_type {
	IVRS_TYPE_IVHD_10 = 0x10,	/* fixed-size entries only, legacy fields */
	IVRS_TYPE_IVHD_11 = 0x11,	/* + IOMMU attributes and EFR image */
	IVRS_TYPE_IVHD_40 = 0x40,	/* as 11h, + ACPI HID device entries */
	IVRS_TYPE_IVMD_ALL = 0x20,	/* memory definition for all devices */
	IVRS_TYPE_IVMD_DEV = 0x21,	/* ... for one device */
	IVRS_TYPE_IVMD_RANGE = 0x22,	/* ... for a range of device IDs */
};

/* IVHD flags byte (5.2.2). PrefSup and PPRSup exist in type 10h only. */
#define IVRS_IVHD_HT_TUN_EN	0x01
#define IVRS_IVHD_PASS_PW	0x02
#define IVRS_IVHD_RES_PASS_PW	0x04
#define IVRS_IVHD_ISOC		0x08
#define IVRS_IVHD_IOTLB_SUP	0x10
#define IVRS_IVHD_COHERENT	0x20
#define IVRS_IVHD_PREF_SUP	0x40
#define IVRS_IVHD_PPR_SUP	0x80

/* IVHD type 10h "IOMMU feature reporting" (offset 20, 5.2.2). Types 11h and
 * 40h carry IOMMU attributes there (PN counters/banks, MsiNumPPR at the same
 * bits) and the features in the EFR register image instead. */
#define IVRS_FEAT_XT_SUP		(1u << 0)
#define IVRS_FEAT_NX_SUP		(1u << 1)
#define IVRS_FEAT_GT_SUP		(1u << 2)
#define IVRS_FEAT_GLX_SUP(v)		(((v) >> 3) & 3)
#define IVRS_FEAT_IA_SUP		(1u << 5)
#define IVRS_FEAT_GA_SUP		(1u << 6)
#define IVRS_FEAT_HE_SUP		(1u << 7)
#define IVRS_FEAT_PAS_MAX(v)		(((v) >> 8) & 0x1f)
#define IVRS_FEAT_PN_COUNTERS(v)	(((v) >> 13) & 0xf)
#define IVRS_FEAT_PN_BANKS(v)		(((v) >> 17) & 0x3f)
#define IVRS_FEAT_MSI_NUM_PPR(v)	(((v) >> 23) & 0x1f)
#define IVRS_FEAT_GATS(v)		(((v) >> 28) & 3)
#define IVRS_FEAT_HATS(v)		(((v) >> 30) & 3)

/* IOMMU info (offset 18, 5.2.2). */
#define IVRS_INFO_MSI_NUM(v)		((v) & 0x1f)
#define IVRS_INFO_UNIT_ID(v)		(((v) >> 8) & 0x1f)

/* IVHD device entry type codes (5.2.2). Bits 7:6 of the code give the size
 * of entries below 80h: 00b 4 bytes, 01b 8 bytes. */
enum ivrs_entry_type {
	IVRS_DEV_PAD = 0x00,
	IVRS_DEV_ALL = 0x01,
	IVRS_DEV_SELECT = 0x02,
	IVRS_DEV_RANGE_START = 0x03,
	IVRS_DEV_RANGE_END = 0x04,
	IVRS_DEV_ALIAS_SELECT = 0x42,
	IVRS_DEV_ALIAS_RANGE = 0x43,
	IVRS_DEV_EXT_SELECT = 0x46,
	IVRS_DEV_EXT_RANGE = 0x47,
	IVRS_DEV_SPECIAL = 0x48,
	IVRS_DEV_ACPI_HID = 0xf0,	/* variable length, type 40h only */
};

/* DTE setting byte of a device entry (5.2.2): what the device table entry
 * for those devices must pass through. */
#define IVRS_DTE_INIT_PASS	0x01
#define IVRS_DTE_EINT_PASS	0x02
#define IVRS_DTE_NMI_PASS	0x04
#define IVRS_DTE_SYS_MGT(v)	(((v) >> 4) & 3)
#define IVRS_DTE_LINT0_PASS	0x40
#define IVRS_DTE_LINT1_PASS	0x80

#define IVRS_EXT_ATS_DISABLED	(1u << 31)	/* extended DTE setting */

/* Special device entry varieties (48h). */
#define IVRS_SPECIAL_IOAPIC	1
#define IVRS_SPECIAL_HPET	2

/* ACPI HID entry UID formats (F0h). */
#define IVRS_UID_NONE		0
#define IVRS_UID_INTEGER	1
#define IVRS_UID_STRING		2

/* IVMD flags (5.2.3). */
#define IVRS_IVMD_UNITY		0x01	/* identity-map the range for the devices */
#define IVRS_IVMD_IR		0x02	/* ... readable */
#define IVRS_IVMD_IW		0x04	/* ... writable */
#define IVRS_IVMD_EXCLUSION	0x08	/* exclusion range: DMA there bypasses
					   translation */
#define IVRS_IVMD_RESERVED	0xf0

/* What a device entry (or a start/end pair folded into one) says. */
enum ivrs_dev_kind {
	IVRS_KIND_ALL,		/* 01h: every device ID of the segment */
	IVRS_KIND_SELECT,	/* 02h */
	IVRS_KIND_RANGE,	/* 03h + 04h */
	IVRS_KIND_ALIAS_SELECT,	/* 42h */
	IVRS_KIND_ALIAS_RANGE,	/* 43h + 04h */
	IVRS_KIND_EXT_SELECT,	/* 46h */
	IVRS_KIND_EXT_RANGE,	/* 47h + 04h */
	IVRS_KIND_SPECIAL,	/* 48h: IOAPIC or HPET behind a PCI requester ID */
	IVRS_KIND_ACPI_HID,	/* F0h: ACPI namespace device */
};

struct ivrs_dev {
	uint8_t kind;			/* enum ivrs_dev_kind */
	uint8_t type;			/* entry type code (of the start entry) */
	uint32_t offset;		/* byte offset of the (start) entry */
	uint16_t ivhd;			/* index in info->ivhds */
	uint16_t segment;		/* the IVHD's PCI segment group */
	uint16_t first, last;		/* device IDs covered, inclusive */
	uint8_t dte;			/* DTE setting (of the start entry) */
	bool has_alias;			/* alias kinds: requests arrive as alias */
	uint16_t alias;			/* source device ID */
	bool has_ext;			/* ext kinds */
	uint32_t ext;			/* extended DTE setting */
	/* Special: variety (IVRS_SPECIAL_*) and handle (IOAPIC id / HPET
	 * number); first == last == the requester ID it uses. */
	uint8_t variety, handle;
	/* ACPI HID: _HID and _CID as 8 characters each (NUL-terminated,
	 * trailing NULs/spaces dropped, non-printables as '?'), _UID. */
	char hid[9], cid[9];
	uint8_t uid_format, uid_len;
	char uid[IVRS_UID_MAX];		/* string, or the integer in decimal */
};

/* One IVHD block (5.2.2). */
struct ivrs_ivhd {
	uint16_t index;			/* position among the IVHDs, from 0 */
	uint32_t offset;		/* byte offset in the table */
	uint8_t type;			/* 10h, 11h or 40h */
	uint8_t flags;
	uint16_t length;
	uint16_t devid;			/* the IOMMU's own PCI function */
	uint16_t cap_offset;		/* its capability block in config space */
	paddr_t base;			/* MMIO register base */
	uint16_t segment;
	uint16_t info;			/* IOMMU info: MSI number, unit ID */
	uint32_t feat;			/* 10h: feature reporting; 11h/40h: attributes */
	bool has_efr;			/* 11h/40h and IVinfo EFRSup: efr is valid */
	uint64_t efr;			/* EFR register image (MMIO 0x30), raw */
	uint16_t first_dev, ndevs;	/* info->devs[first ... first+n) */
	bool usable;			/* false: base zero, all-ones or unaligned */
	int superseded_by;		/* index of the block used instead for the
					   same IOMMU, else -1 (in effect) */
	uint16_t iommu;			/* index of the IOMMU among the blocks in
					   effect (valid when superseded_by < 0) */
};

/* One IVMD block (5.2.3). */
struct ivrs_ivmd {
	uint32_t offset;
	uint8_t type;			/* 20h, 21h or 22h */
	uint8_t flags;
	uint16_t first, last;		/* device IDs (20h: 0..ffff) */
	paddr_t start;
	uint64_t length;		/* bytes */
	bool valid;			/* aligned, non-empty, no wrap, devices ok */
};

struct ivrs_info {
	/* ACPI header */
	uint32_t length;
	uint8_t revision;		/* 1: 10h/11h only, 2: also 40h */
	char oem_id[7], oem_table_id[9], creator_id[5];
	uint32_t oem_revision, creator_revision;
	uint32_t ivinfo;		/* 5.2.1 */

	struct ivrs_ivhd ivhds[IVRS_MAX_IVHDS];
	struct ivrs_dev devs[IVRS_MAX_DEVS];
	struct ivrs_ivmd ivmds[IVRS_MAX_IVMDS];
	unsigned nivhds, ndevs, nivmds;
	unsigned niommus;		/* IVHDs in effect */
	unsigned nunknown;		/* blocks of unknown type skipped */
	unsigned ndropped;		/* blocks/entries dropped at a limit */

	/* Verdict */
	bool malformed;			/* the bytes break chapter 5's rules */
	bool usable;			/* see the top of this file */
	int error;			/* 0 when usable, else the E_* returned */
	char reason[IVRS_REASON_MAX];	/* why not usable ("" when usable) */
	unsigned warnings;		/* firmware bugs reported */
};

/* The memory map as the caller knows it. Every member may be NULL. */
struct ivrs_env {
	void *ctx;
	/* True when [base, end] (end inclusive) is all reserved memory in the
	 * firmware memory map, i.e. never given to the OS as RAM. */
	bool (*is_reserved)(void *ctx, paddr_t base, paddr_t end);
};

#define IVRS_DEVID(bus, dev, fn) \
	((uint16_t)(((bus) & 0xff) << 8 | ((dev) & 0x1f) << 3 | ((fn) & 7)))
#define IVRS_DEVID_BUS(id)	((uint8_t)((id) >> 8))
#define IVRS_DEVID_DEV(id)	((uint8_t)(((id) >> 3) & 0x1f))
#define IVRS_DEVID_FN(id)	((uint8_t)((id) & 7))

/* Parse and validate the IVRS at table (len_available bytes readable).
 * env may be NULL. Logs firmware-bug warnings as it goes and one error line
 * when the table is not usable; prints nothing else (ivrs_print does).
 * Returns 0 when usable, else E_INVAL (malformed, an invalid register base,
 * an alias conflict, blocks disagreeing on a base), E_CHECKSUM, E_NOENT (no
 * IVHD) or E_RANGE (a limit above dropped an IVHD or a device entry). */
int ivrs_parse(const void *table, size_t len_available, const struct ivrs_env *env,
	       struct ivrs_info *info);

/* The IVHD in effect that names seg:devid in a device entry (the first
 * such, in table order; special and ACPI HID entries count, by the
 * requester ID they use), or NULL. It may be unusable (check ->usable). */
const struct ivrs_ivhd *ivrs_ivhd_for_device(const struct ivrs_info *info, uint16_t seg,
					     uint16_t devid);

/* The requester ID the IOMMU sees for DMA from seg:devid: the alias when
 * an alias entry in effect covers it, else devid itself. */
uint16_t ivrs_requester_id(const struct ivrs_info *info, uint16_t seg, uint16_t devid);

/* The special entry (48h) in effect for an IOAPIC id or HPET number
 * (variety IVRS_SPECIAL_*), or NULL. */
const struct ivrs_dev *ivrs_special(const struct ivrs_info *info, uint8_t variety,
				    uint8_t handle);

/* The features an IVHD reports: from the EFR image (11h/40h with EFRSup)
 * or from type 10h's feature reporting field. hats/gats are the raw 2-bit
 * fields (00b: 4 levels, 01b: 5, 10b: 6). */
struct ivrs_features {
	const char *source;		/* "efr", "feature_reporting" or "none" */
	bool xt, nx, gt, ia, ga, he;
	uint8_t hats, gats;
};
void ivrs_ivhd_features(const struct ivrs_ivhd *h, struct ivrs_features *f);

/* The highest device ID of segment seg that a device table must index:
 * over the entries in effect, alias (source) IDs and special entries'
 * requester IDs included. -1 when no entry names the segment. */
int ivrs_highest_devid(const struct ivrs_info *info, uint16_t seg);

/* The first valid IVMD with the exclusion-range flag whose memory overlaps
 * [base, end] (end inclusive), or NULL. DMA to an exclusion range bypasses
 * translation: the driver refuses any that overlaps the hypervisor or a
 * protected range. */
const struct ivrs_ivmd *ivrs_exclusion_overlapping(const struct ivrs_info *info, paddr_t base,
						   paddr_t end);

/* Warn (loudly: such a device can DMA anywhere) about each of the n
 * segment:devid pairs that no usable IVHD in effect covers. Returns how many
 * there were. */
struct ivrs_bdf {
	uint16_t seg, devid;
};
unsigned ivrs_report_uncovered(const struct ivrs_info *info, const struct ivrs_bdf *devs,
			       size_t n);

/* Log the whole parsed table, one key=value line per item, ending with the
 * verdict line "ivrs usable=yes" or "ivrs usable=no error=... reason=...". */
void ivrs_print(const struct ivrs_info *info);

/* "all", "select", "range", "alias_select", "alias_range", "ext_select",
 * "ext_range", "special", "acpi_hid". */
const char *ivrs_dev_kind_name(uint8_t kind);

#endif
