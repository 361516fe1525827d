/* IVRS parser: see ivrs.h. Layouts are those of the AMD IOMMU specification
 * (48882 rev 3.x), chapter 5; every offset below names its section.
 *
 * Bounds discipline (as in dmar.c): the header length is checked against
 * len_available first, after which every read goes through rd*() at
 * offsets proven to lie inside [0, p->len): block walks check "bytes left"
 * before reading a length, entry walks check an entry's full size against
 * what is left of its block, and anything that overruns stops the walk. */
#include "iommu/ivrs.h"
#include "iommu/amdvi_regs.h"
#include "lib/error.h"
#include "platform/acpi.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"

/* Fixed parts (bytes) of each block, before its device entries. */
#define IVHD10_FIXED	24	/* 5.2.2 type 10h: ... feature reporting */
#define IVHD11_FIXED	40	/* 5.2.2 types 11h/40h: + EFR image, reserved */
#define IVMD_LEN	32	/* 5.2.3: all IVMD types */
#define HID_FIXED	22	/* F0h entry up to and including the UID length */

struct parser {
	const uint8_t *t;
	uint32_t len;			/* header length, <= len_available */
	const struct ivrs_env *env;
	struct ivrs_info *info;
	bool dropped;			/* a limit dropped an IVHD or device entry */
};

/* An open start-of-range entry (03h, 43h, 47h) waiting for its 04h. */
struct range_start {
	bool open;
	uint8_t type, dte;
	uint32_t offset;
	uint16_t devid, alias;
	uint32_t ext;
};

static uint8_t rd8(const struct parser *p, uint32_t off)
{
	return p->t[off];
}

static uint16_t rd16(const struct parser *p, uint32_t off)
{
	return (uint16_t)(p->t[off] | p->t[off + 1] << 8);
}

static uint32_t rd32(const struct parser *p, uint32_t off)
{
	return (uint32_t)rd16(p, off) | (uint32_t)rd16(p, off + 2) << 16;
}

static uint64_t rd64(const struct parser *p, uint32_t off)
{
	return (uint64_t)rd32(p, off) | (uint64_t)rd32(p, off + 4) << 32;
}

const char *ivrs_dev_kind_name(uint8_t kind)
{
	switch (kind) {
	case IVRS_KIND_ALL: return "all";
	case IVRS_KIND_SELECT: return "select";
	case IVRS_KIND_RANGE: return "range";
	case IVRS_KIND_ALIAS_SELECT: return "alias_select";
	case IVRS_KIND_ALIAS_RANGE: return "alias_range";
	case IVRS_KIND_EXT_SELECT: return "ext_select";
	case IVRS_KIND_EXT_RANGE: return "ext_range";
	case IVRS_KIND_SPECIAL: return "special";
	case IVRS_KIND_ACPI_HID: return "acpi_hid";
	default: return "unknown";
	}
}

static bool is_ivhd(uint8_t type)
{
	return type == IVRS_TYPE_IVHD_10 || type == IVRS_TYPE_IVHD_11 ||
	       type == IVRS_TYPE_IVHD_40;
}

static bool is_ivmd(uint8_t type)
{
	return type == IVRS_TYPE_IVMD_ALL || type == IVRS_TYPE_IVMD_DEV ||
	       type == IVRS_TYPE_IVMD_RANGE;
}

static const char *block_name(uint8_t type)
{
	return is_ivhd(type) ? "ivhd" : is_ivmd(type) ? "ivmd" : "block";
}

/* The first reason wins: later ones are consequences or less important. */
static void verdict(struct ivrs_info *info, int err, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void verdict(struct ivrs_info *info, int err, const char *fmt, ...)
{
	va_list ap;

	if (info->error)
		return;
	info->error = err;
	va_start(ap, fmt);
	shoji_vsnprintf(info->reason, sizeof(info->reason), fmt, ap);
	va_end(ap);
}

static void malformed(struct parser *p, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void malformed(struct parser *p, const char *fmt, ...)
{
	va_list ap;

	p->info->malformed = true;
	if (p->info->error)
		return;
	p->info->error = E_INVAL;
	va_start(ap, fmt);
	shoji_vsnprintf(p->info->reason, sizeof(p->info->reason), fmt, ap);
	va_end(ap);
}

/* A firmware bug we can live with: say so, count it. */
static void fw_bug(struct ivrs_info *info, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void fw_bug(struct ivrs_info *info, const char *fmt, ...)
{
	va_list ap;

	info->warnings++;
	va_start(ap, fmt);
	log_vline("warning: ", fmt, ap);
	va_end(ap);
}

/* "bb:dd.f" for a device ID. */
static void fmt_devid(char *buf, size_t size, uint16_t id)
{
	shoji_snprintf(buf, size, "%02x:%02x.%x", IVRS_DEVID_BUS(id), IVRS_DEVID_DEV(id),
		       IVRS_DEVID_FN(id));
}

/* ---- device entries (5.2.2) ---- */

/* Size of the entry at off, or 0 when its type code has no defined size.
 * Codes below 80h encode it in bits 7:6 (00b 4 bytes, 01b 8 bytes); F0h
 * has its UID length at byte 21 (the caller checked 22 bytes are there). */
static uint32_t entry_size(const struct parser *p, uint8_t type, uint32_t off)
{
	if (type < 0x80)
		return 4u << (type >> 6);
	if (type == IVRS_DEV_ACPI_HID)
		return HID_FIXED + rd8(p, off + 21);
	return 0;
}

static struct ivrs_dev *new_dev(struct parser *p, struct ivrs_ivhd *h, uint8_t kind,
				uint8_t type, uint32_t off)
{
	struct ivrs_info *info = p->info;
	struct ivrs_dev *d;

	if (info->ndevs >= IVRS_MAX_DEVS) {
		log_warn("ivrs limit: more than %d device entries: entry type=0x%02x at offset "
			 "0x%x dropped", IVRS_MAX_DEVS, type, off);
		info->warnings++;
		info->ndropped++;
		p->dropped = true;
		return NULL;
	}
	d = &info->devs[info->ndevs++];
	memset(d, 0, sizeof(*d));
	d->kind = kind;
	d->type = type;
	d->offset = off;
	d->ivhd = h->index;
	d->segment = h->segment;
	h->ndevs++;
	return d;
}

/* F0h (type 40h blocks only): an ACPI namespace device, its _HID, _CID and
 * _UID, and the requester ID it uses. Returns false when malformed. */
static bool parse_hid(struct parser *p, struct ivrs_ivhd *h, uint32_t off)
{
	struct ivrs_info *info = p->info;
	uint8_t fmt = rd8(p, off + 20), ulen = rd8(p, off + 21);
	uint8_t hid[8], cid[8];
	struct ivrs_dev *d;

	if (fmt > IVRS_UID_STRING) {
		malformed(p, "ivhd at offset 0x%x: acpi_hid entry at offset 0x%x has reserved UID "
			  "format %u (5.2.2: 0 none, 1 integer, 2 string)", h->offset, off, fmt);
		return false;
	}
	if (fmt == IVRS_UID_INTEGER && (ulen == 0 || ulen > 8)) {
		malformed(p, "ivhd at offset 0x%x: acpi_hid entry at offset 0x%x has an integer "
			  "UID of %u bytes (5.2.2: 1 to 8)", h->offset, off, ulen);
		return false;
	}
	if (fmt == IVRS_UID_STRING && ulen == 0) {
		malformed(p, "ivhd at offset 0x%x: acpi_hid entry at offset 0x%x has a string UID "
			  "of length 0 (5.2.2)", h->offset, off);
		return false;
	}
	if (fmt == IVRS_UID_NONE && ulen)
		fw_bug(info, "ivrs acpi_hid entry at offset 0x%x: UID format is 'none' but UID "
		       "length is %u (5.2.2): UID bytes ignored", off, ulen);
	d = new_dev(p, h, IVRS_KIND_ACPI_HID, IVRS_DEV_ACPI_HID, off);
	if (!d)
		return true;
	d->first = d->last = rd16(p, off + 1);
	d->dte = rd8(p, off + 3);
	for (unsigned i = 0; i < 8; i++) {
		hid[i] = rd8(p, off + 4 + i);
		cid[i] = rd8(p, off + 12 + i);
	}
	acpi_copy_id(d->hid, hid, 8);
	acpi_copy_id(d->cid, cid, 8);
	d->uid_format = fmt;
	d->uid_len = fmt == IVRS_UID_NONE ? 0 : ulen;
	if (!d->hid[0])
		fw_bug(info, "ivrs acpi_hid entry at offset 0x%x: empty _HID (5.2.2)", off);
	if (fmt == IVRS_UID_INTEGER) {
		uint64_t v = 0;

		for (unsigned i = 0; i < ulen; i++)
			v |= (uint64_t)rd8(p, off + HID_FIXED + i) << (8 * i);
		shoji_snprintf(d->uid, sizeof(d->uid), "%llu", (unsigned long long)v);
	} else if (fmt == IVRS_UID_STRING) {
		unsigned i;

		for (i = 0; i < ulen && i < IVRS_UID_MAX - 1; i++) {
			uint8_t c = rd8(p, off + HID_FIXED + i);

			if (c == '\0')
				break;
			d->uid[i] = (c > ' ' && c < 0x7f && c != '"') ? (char)c : '?';
		}
		d->uid[i] = '\0';
		if (i == IVRS_UID_MAX - 1 && i < ulen && rd8(p, off + HID_FIXED + i) != '\0') {
			log_warn("ivrs limit: acpi_hid entry at offset 0x%x: UID longer than %d "
				 "bytes: truncated", off, IVRS_UID_MAX - 1);
			info->warnings++;
		}
	}
	return true;
}

/* 48h: an IOAPIC or HPET and the PCI requester ID its interrupts carry. */
static void parse_special(struct parser *p, struct ivrs_ivhd *h, uint32_t off)
{
	uint8_t variety = rd8(p, off + 7);
	struct ivrs_dev *d;

	if (variety != IVRS_SPECIAL_IOAPIC && variety != IVRS_SPECIAL_HPET) {
		fw_bug(p->info, "ivrs special entry at offset 0x%x has reserved variety %u (5.2.2: "
		       "1 IOAPIC, 2 HPET): skipped", off, variety);
		return;
	}
	d = new_dev(p, h, IVRS_KIND_SPECIAL, IVRS_DEV_SPECIAL, off);
	if (!d)
		return;
	d->dte = rd8(p, off + 3);
	d->handle = rd8(p, off + 4);
	d->first = d->last = rd16(p, off + 5);
	d->variety = variety;
}

/* An entry that names one device ID (02h, 42h, 46h) or all (01h). */
static void parse_single(struct parser *p, struct ivrs_ivhd *h, uint8_t type, uint32_t off)
{
	static const uint8_t kinds[] = {
		[IVRS_DEV_ALL] = IVRS_KIND_ALL,
		[IVRS_DEV_SELECT] = IVRS_KIND_SELECT,
		[IVRS_DEV_ALIAS_SELECT] = IVRS_KIND_ALIAS_SELECT,
		[IVRS_DEV_EXT_SELECT] = IVRS_KIND_EXT_SELECT,
	};
	struct ivrs_dev *d = new_dev(p, h, kinds[type], type, off);

	if (!d)
		return;
	d->dte = rd8(p, off + 3);
	if (type == IVRS_DEV_ALL) {
		d->first = 0;
		d->last = 0xffff;
		return;
	}
	d->first = d->last = rd16(p, off + 1);
	if (type == IVRS_DEV_ALIAS_SELECT) {
		d->has_alias = true;
		d->alias = rd16(p, off + 5);
	} else if (type == IVRS_DEV_EXT_SELECT) {
		d->has_ext = true;
		d->ext = rd32(p, off + 4);
	}
}

/* 04h after 03h, 43h or 47h: the range [start, end]. */
static bool close_range(struct parser *p, struct ivrs_ivhd *h, struct range_start *r,
			uint32_t off)
{
	uint16_t end = rd16(p, off + 1);
	struct ivrs_dev *d;
	uint8_t kind;

	if (!r->open) {
		malformed(p, "ivhd at offset 0x%x: end-of-range entry (04h) at offset 0x%x has no "
			  "start-of-range entry (03h, 43h or 47h) right before it (5.2.2)",
			  h->offset, off);
		return false;
	}
	r->open = false;
	if (end < r->devid) {
		malformed(p, "ivhd at offset 0x%x: range from device ID 0x%04x (offset 0x%x) to "
			  "0x%04x (offset 0x%x) ends below its start (5.2.2)", h->offset, r->devid,
			  r->offset, end, off);
		return false;
	}
	kind = r->type == IVRS_DEV_ALIAS_RANGE ? IVRS_KIND_ALIAS_RANGE :
	       r->type == IVRS_DEV_EXT_RANGE ? IVRS_KIND_EXT_RANGE : IVRS_KIND_RANGE;
	d = new_dev(p, h, kind, r->type, r->offset);
	if (!d)
		return true;
	d->first = r->devid;
	d->last = end;
	d->dte = r->dte;
	d->has_alias = kind == IVRS_KIND_ALIAS_RANGE;
	d->alias = r->alias;
	d->has_ext = kind == IVRS_KIND_EXT_RANGE;
	d->ext = r->ext;
	return true;
}

static void open_range(const struct parser *p, struct range_start *r, uint8_t type,
		       uint32_t off)
{
	r->open = true;
	r->type = type;
	r->offset = off;
	r->devid = rd16(p, off + 1);
	r->dte = rd8(p, off + 3);
	r->alias = type == IVRS_DEV_ALIAS_RANGE ? rd16(p, off + 5) : 0;
	r->ext = type == IVRS_DEV_EXT_RANGE ? rd32(p, off + 4) : 0;
}

/* One entry at off (its size already checked against the block). Returns
 * false when the walk must stop (malformed). */
static bool parse_entry(struct parser *p, struct ivrs_ivhd *h, struct range_start *r,
			uint8_t type, uint32_t off)
{
	switch (type) {
	case IVRS_DEV_PAD:
		return true;
	case IVRS_DEV_ALL:
	case IVRS_DEV_SELECT:
	case IVRS_DEV_ALIAS_SELECT:
	case IVRS_DEV_EXT_SELECT:
		parse_single(p, h, type, off);
		return true;
	case IVRS_DEV_RANGE_START:
	case IVRS_DEV_ALIAS_RANGE:
	case IVRS_DEV_EXT_RANGE:
		open_range(p, r, type, off);
		return true;
	case IVRS_DEV_RANGE_END:
		return close_range(p, h, r, off);
	case IVRS_DEV_SPECIAL:
		parse_special(p, h, off);
		return true;
	case IVRS_DEV_ACPI_HID:
		if (h->type != IVRS_TYPE_IVHD_40) {
			fw_bug(p->info, "ivrs ivhd type=0x%02x at offset 0x%x: acpi_hid entry at "
			       "offset 0x%x belongs in type 40h blocks only (5.2.2): skipped",
			       h->type, h->offset, off);
			return true;
		}
		return parse_hid(p, h, off);
	default:
		/* Reserved code of a known size: the entry can be stepped over,
		 * and whatever it meant is not applied. */
		fw_bug(p->info, "ivrs ivhd at offset 0x%x: device entry at offset 0x%x has "
		       "reserved type 0x%02x (5.2.2): skipped", h->offset, off, type);
		return true;
	}
}

/* 5.2.2: the device entries in [off, end) of an IVHD. A start-of-range entry
 * must be followed directly by its end-of-range entry. */
static void parse_entries(struct parser *p, struct ivrs_ivhd *h, uint32_t off, uint32_t end)
{
	struct range_start r = { .open = false };

	h->first_dev = (uint16_t)p->info->ndevs;
	while (off < end) {
		uint32_t left = end - off, size;
		uint8_t type = rd8(p, off);

		if (type == IVRS_DEV_ACPI_HID && left < HID_FIXED) {
			malformed(p, "ivhd at offset 0x%x: acpi_hid entry at offset 0x%x needs at "
				  "least %d bytes, the block has %u left", h->offset, off, HID_FIXED,
				  left);
			return;
		}
		size = entry_size(p, type, off);
		if (size == 0) {
			malformed(p, "ivhd at offset 0x%x: device entry at offset 0x%x has type 0x%02x, "
				  "a reserved variable-length code whose size is unknown: the rest "
				  "of the block cannot be read (5.2.2)", h->offset, off, type);
			return;
		}
		if (size > left) {
			malformed(p, "ivhd at offset 0x%x: device entry type=0x%02x at offset 0x%x "
				  "(%u bytes) overruns its block (%u bytes left)", h->offset, type,
				  off, size, left);
			return;
		}
		if (r.open && type != IVRS_DEV_RANGE_END) {
			malformed(p, "ivhd at offset 0x%x: start-of-range entry type=0x%02x at offset "
				  "0x%x is followed by type 0x%02x at offset 0x%x, not by an "
				  "end-of-range entry (04h) (5.2.2)", h->offset, r.type, r.offset,
				  type, off);
			return;
		}
		if (!parse_entry(p, h, &r, type, off))
			return;
		off += size;
	}
	if (r.open)
		malformed(p, "ivhd at offset 0x%x: start-of-range entry type=0x%02x at offset 0x%x "
			  "has no end-of-range entry (04h) before the end of the block (5.2.2)",
			  h->offset, r.type, r.offset);
}

/* ---- blocks ---- */

/* 5.2.2 IVHD, types 10h, 11h and 40h. */
static void parse_ivhd(struct parser *p, uint8_t type, uint32_t off, uint32_t blen)
{
	struct ivrs_info *info = p->info;
	struct ivrs_ivhd *h;
	const char *bad = NULL;

	if (info->nivhds >= IVRS_MAX_IVHDS) {
		log_warn("ivrs limit: more than %d IVHD blocks: ivhd at offset 0x%x dropped",
			 IVRS_MAX_IVHDS, off);
		info->warnings++;
		info->ndropped++;
		p->dropped = true;
		return;
	}
	h = &info->ivhds[info->nivhds];
	memset(h, 0, sizeof(*h));
	h->index = (uint16_t)info->nivhds++;
	h->offset = off;
	h->type = type;
	h->flags = rd8(p, off + 1);
	h->length = (uint16_t)blen;
	h->devid = rd16(p, off + 4);
	h->cap_offset = rd16(p, off + 6);
	h->base = rd64(p, off + 8);
	h->segment = rd16(p, off + 16);
	h->info = rd16(p, off + 18);
	h->feat = rd32(p, off + 20);
	h->superseded_by = -1;
	if (type != IVRS_TYPE_IVHD_10) {
		h->efr = rd64(p, off + 24);
		h->has_efr = info->ivinfo & IVRS_IVINFO_EFR_SUP;
		if (h->flags & (IVRS_IVHD_PREF_SUP | IVRS_IVHD_PPR_SUP))
			fw_bug(info, "ivrs ivhd %u type=0x%02x at offset 0x%x: flags 0x%02x set bits "
			       "7:6, reserved in types 11h and 40h (5.2.2)", h->index, type, off,
			       h->flags);
	}
	if (type == IVRS_TYPE_IVHD_40 && info->revision < 2)
		fw_bug(info, "ivrs ivhd %u at offset 0x%x is of type 40h in a revision %u table "
		       "(5.2.1: type 40h needs revision 2)", h->index, off, info->revision);
	if (h->base == 0)
		bad = "zero";
	else if (h->base == ~0ULL)
		bad = "all-ones";
	else if (!IS_ALIGNED(h->base, AMDVI_MMIO_ALIGN))
		bad = "not 16 KiB aligned";
	h->usable = !bad;
	if (bad)
		fw_bug(info, "ivrs ivhd %u base=0x%llx: register base is %s (firmware bug): this "
		       "block is unusable", h->index, (unsigned long long)h->base, bad);
	parse_entries(p, h, off + (type == IVRS_TYPE_IVHD_10 ? IVHD10_FIXED : IVHD11_FIXED),
		      off + blen);
}

/* 5.2.3 IVMD, types 20h-22h: memory the named devices must reach (unity
 * map) or may reach untranslated (exclusion range). */
static void parse_ivmd(struct parser *p, uint8_t type, uint32_t off)
{
	struct ivrs_info *info = p->info;
	struct ivrs_ivmd *m;
	const char *bad = NULL;

	if (info->nivmds >= IVRS_MAX_IVMDS) {
		log_warn("ivrs limit: more than %d IVMD blocks: ivmd at offset 0x%x dropped",
			 IVRS_MAX_IVMDS, off);
		info->warnings++;
		info->ndropped++;
		return;
	}
	m = &info->ivmds[info->nivmds];
	memset(m, 0, sizeof(*m));
	m->offset = off;
	m->type = type;
	m->flags = rd8(p, off + 1);
	m->start = rd64(p, off + 16);
	m->length = rd64(p, off + 24);
	switch (type) {
	case IVRS_TYPE_IVMD_ALL:
		m->first = 0;
		m->last = 0xffff;
		break;
	case IVRS_TYPE_IVMD_DEV:
		m->first = m->last = rd16(p, off + 4);
		break;
	default:
		m->first = rd16(p, off + 4);
		m->last = rd16(p, off + 6);	/* auxiliary data: end of range */
		break;
	}
	if (m->flags & IVRS_IVMD_RESERVED)
		fw_bug(info, "ivrs ivmd %u at offset 0x%x: flags 0x%02x set reserved bits 7:4 "
		       "(5.2.3)", info->nivmds, off, m->flags);
	if (m->length == 0)
		bad = "length is 0";
	else if (!IS_ALIGNED(m->start, PAGE_SIZE))
		bad = "start is not 4 KiB aligned";
	else if (!IS_ALIGNED(m->length, PAGE_SIZE))
		bad = "length is not a multiple of 4 KiB";
	else if (m->start + m->length - 1 < m->start)
		bad = "start + length wraps around the address space";
	else if (m->last < m->first)
		bad = "device range ends below its start";
	else if (!(m->flags & (IVRS_IVMD_UNITY | IVRS_IVMD_EXCLUSION)))
		bad = "neither unity map nor exclusion range";
	m->valid = !bad;
	if (bad)
		fw_bug(info, "ivrs ivmd %u at offset 0x%x start=0x%llx length=0x%llx: %s (5.2.3): "
		       "block ignored", info->nivmds, off, (unsigned long long)m->start,
		       (unsigned long long)m->length, bad);
	info->nivmds++;
}

static uint32_t min_length(uint8_t type)
{
	if (type == IVRS_TYPE_IVHD_10)
		return IVHD10_FIXED;
	if (is_ivhd(type))
		return IVHD11_FIXED;
	if (is_ivmd(type))
		return IVMD_LEN;
	return 4;	/* 5.2.1: every block starts with type, flags, length */
}

/* 5.2.1: walk the IVHD and IVMD blocks by their length fields. */
static void walk(struct parser *p)
{
	uint32_t off = IVRS_HEADER_LEN;

	while (off < p->len && !p->info->malformed) {
		uint32_t left = p->len - off, blen, min;
		uint8_t type;

		if (left < 4) {
			malformed(p, "%u trailing byte(s) at offset 0x%x are too short for a block "
				  "header (5.2.1)", left, off);
			return;
		}
		type = rd8(p, off);
		blen = rd16(p, off + 2);
		min = min_length(type);
		if (blen < min) {
			malformed(p, "%s type=0x%02x at offset 0x%x has length %u, below its minimum "
				  "of %u", block_name(type), type, off, blen, min);
			return;
		}
		if (blen > left) {
			malformed(p, "%s type=0x%02x at offset 0x%x (length %u) overruns the table "
				  "(%u bytes left)", block_name(type), type, off, blen, left);
			return;
		}
		if (is_ivmd(type) && blen != IVMD_LEN) {
			malformed(p, "ivmd type=0x%02x at offset 0x%x has length %u, not %d (5.2.3)",
				  type, off, blen, IVMD_LEN);
			return;
		}
		if (is_ivhd(type)) {
			parse_ivhd(p, type, off, blen);
		} else if (is_ivmd(type)) {
			parse_ivmd(p, type, off);
		} else {
			p->info->nunknown++;
			log_info("ivrs note: block type=0x%02x length=%u at offset 0x%x is of a type "
				 "this parser does not know: skipped", type, blen, off);
		}
		off += blen;
	}
}

/* ---- checks across blocks ---- */

static bool overlap(uint64_t a0, uint64_t a1, uint64_t b0, uint64_t b1)
{
	return a0 <= b1 && b0 <= a1;
}

static bool in_effect(const struct ivrs_info *info, const struct ivrs_dev *d)
{
	return info->ivhds[d->ivhd].superseded_by < 0;
}

/* 5.2.2: blocks with the same segment and IOMMU device ID describe one
 * IOMMU; the one of the highest type is used. They must agree on where its
 * registers are. */
static void choose_blocks(struct ivrs_info *info)
{
	for (unsigned i = 0; i < info->nivhds; i++) {
		struct ivrs_ivhd *h = &info->ivhds[i];
		unsigned best = i;

		for (unsigned j = 0; j < info->nivhds; j++) {
			const struct ivrs_ivhd *o = &info->ivhds[j];

			if (j == i || o->segment != h->segment || o->devid != h->devid)
				continue;
			if (o->base != h->base) {
				verdict(info, E_INVAL, "ivhd %u (offset 0x%x) and ivhd %u (offset 0x%x) "
					"describe the same IOMMU (segment %u, device ID 0x%04x) with "
					"different register bases 0x%llx and 0x%llx (5.2.2)", i,
					h->offset, j, o->offset, h->segment, h->devid,
					(unsigned long long)h->base, (unsigned long long)o->base);
				continue;
			}
			if (o->type > info->ivhds[best].type ||
			    (o->type == info->ivhds[best].type && j < best))
				best = j;
		}
		if (best == i)
			continue;
		h->superseded_by = (int)best;
		if (info->ivhds[best].type == h->type)
			fw_bug(info, "ivrs ivhd %u at offset 0x%x repeats ivhd %u (same type 0x%02x, "
			       "segment and IOMMU device ID): ignored", i, h->offset, best, h->type);
	}
	for (unsigned i = 0; i < info->nivhds; i++)
		if (info->ivhds[i].superseded_by < 0)
			info->ivhds[i].iommu = (uint16_t)info->niommus++;
}

static bool names_pci(const struct ivrs_dev *d)
{
	return d->kind != IVRS_KIND_SPECIAL && d->kind != IVRS_KIND_ACPI_HID;
}

/* Ranges proper: an "all" entry sets a default that more specific entries
 * refine, so it overlaps everything by design. */
static bool is_range(const struct ivrs_dev *d)
{
	return d->kind == IVRS_KIND_RANGE ||
	       d->kind == IVRS_KIND_ALIAS_RANGE || d->kind == IVRS_KIND_EXT_RANGE;
}

/* Aliases decide which device table entry the IOMMU uses for a device: a
 * device aliased to two different requester IDs cannot be protected. */
static void check_aliases(struct ivrs_info *info)
{
	for (unsigned i = 0; i < info->ndevs; i++) {
		const struct ivrs_dev *a = &info->devs[i];

		if (!a->has_alias || !in_effect(info, a))
			continue;
		for (unsigned j = i + 1; j < info->ndevs; j++) {
			const struct ivrs_dev *b = &info->devs[j];

			if (!b->has_alias || !in_effect(info, b) || a->segment != b->segment ||
			    a->alias == b->alias || !overlap(a->first, a->last, b->first, b->last))
				continue;
			verdict(info, E_INVAL, "alias conflict: entries at offsets 0x%x and 0x%x "
				"alias device IDs 0x%04x-0x%04x and 0x%04x-0x%04x of segment %u to "
				"different requester IDs 0x%04x and 0x%04x (5.2.2)", a->offset,
				b->offset, a->first, a->last, b->first, b->last, a->segment,
				a->alias, b->alias);
			return;
		}
	}
}

/* Overlaps are listed one warning each up to this many, then counted in a
 * single line (a table of hundreds of overlapping entries would otherwise
 * flood the boot log with tens of thousands of lines). */
#define OVERLAP_WARNINGS_MAX 16

/* Two IOMMUs naming the same device, and overlapping ranges in one block. */
static void check_claims(struct ivrs_info *info)
{
	unsigned found = 0;

	for (unsigned i = 0; i < info->ndevs; i++) {
		const struct ivrs_dev *a = &info->devs[i];

		if (!names_pci(a) || !in_effect(info, a))
			continue;
		for (unsigned j = i + 1; j < info->ndevs; j++) {
			const struct ivrs_dev *b = &info->devs[j];
			bool across;

			if (!names_pci(b) || !in_effect(info, b) || a->segment != b->segment ||
			    !overlap(a->first, a->last, b->first, b->last))
				continue;
			across = a->ivhd != b->ivhd;
			if (!across && !(is_range(a) && is_range(b)))
				continue;
			if (++found > OVERLAP_WARNINGS_MAX)
				continue;
			if (across)
				fw_bug(info, "ivrs device IDs 0x%04x-0x%04x (offset 0x%x, ivhd %u) and "
				       "0x%04x-0x%04x (offset 0x%x, ivhd %u) of segment %u overlap "
				       "across IOMMUs: the first is used", a->first, a->last,
				       a->offset, a->ivhd, b->first, b->last, b->offset, b->ivhd,
				       a->segment);
			else
				fw_bug(info, "ivrs ivhd %u: %s entry at offset 0x%x (0x%04x-0x%04x) "
				       "overlaps %s entry at offset 0x%x (0x%04x-0x%04x)", a->ivhd,
				       ivrs_dev_kind_name(a->kind), a->offset, a->first, a->last,
				       ivrs_dev_kind_name(b->kind), b->offset, b->first, b->last);
		}
	}
	if (found > OVERLAP_WARNINGS_MAX)
		fw_bug(info, "ivrs %u more overlapping device entries not listed (%u in all)",
		       found - OVERLAP_WARNINGS_MAX, found);
}

static bool ivmd_devices_covered(const struct ivrs_info *info, const struct ivrs_ivmd *m)
{
	/* 20h applies to all devices: nothing to match. */
	if (m->type == IVRS_TYPE_IVMD_ALL)
		return true;
	for (unsigned i = 0; i < info->ndevs; i++) {
		const struct ivrs_dev *d = &info->devs[i];

		if (in_effect(info, d) && names_pci(d) &&
		    overlap(d->first, d->last, m->first, m->last))
			return true;
	}
	return false;
}

static void check_ivmds(struct parser *p)
{
	struct ivrs_info *info = p->info;
	const struct ivrs_env *env = p->env;

	for (unsigned i = 0; i < info->nivmds; i++) {
		const struct ivrs_ivmd *m = &info->ivmds[i];
		paddr_t end = m->start + m->length - 1;

		if (!m->valid)
			continue;
		if (!ivmd_devices_covered(info, m))
			fw_bug(info, "ivrs ivmd %u device IDs 0x%04x-0x%04x are under no IOMMU "
			       "(5.2.3)", i, m->first, m->last);
		for (unsigned j = 0; j < i; j++) {
			const struct ivrs_ivmd *o = &info->ivmds[j];

			if (o->valid && overlap(m->first, m->last, o->first, o->last) &&
			    overlap(m->start, end, o->start, o->start + o->length - 1) &&
			    m->flags != o->flags)
				fw_bug(info, "ivrs ivmd %u start=0x%llx length=0x%llx flags=0x%x overlaps "
				       "ivmd %u start=0x%llx length=0x%llx flags=0x%x for the same "
				       "devices with different flags", i,
				       (unsigned long long)m->start, (unsigned long long)m->length,
				       m->flags, j, (unsigned long long)o->start,
				       (unsigned long long)o->length, o->flags);
		}
		if (env && env->is_reserved && !env->is_reserved(env->ctx, m->start, end))
			fw_bug(info, "ivrs ivmd %u start=0x%llx length=0x%llx is not reserved in the "
			       "memory map (firmware bug: the OS may use it as RAM)", i,
			       (unsigned long long)m->start, (unsigned long long)m->length);
	}
}

/* ---- header (5.2.1) ---- */

static int header(struct parser *p, const uint8_t *t, size_t avail)
{
	struct ivrs_info *info = p->info;
	uint32_t len;
	uint8_t sum = 0;

	if (avail < 36) {
		malformed(p, "only %zu bytes available, an ACPI table header needs 36", avail);
		return -1;
	}
	if (memcmp(t, "IVRS", 4) != 0) {
		char sig[5];

		acpi_copy_id(sig, t, 4);
		malformed(p, "signature is '%s', not 'IVRS'", sig);
		return -1;
	}
	len = (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;
	info->length = len;
	if (len < IVRS_HEADER_LEN) {
		malformed(p, "header length %u is below the IVRS minimum of %d (5.2.1)", len,
			  IVRS_HEADER_LEN);
		return -1;
	}
	if (len > avail) {
		malformed(p, "table truncated: header length %u exceeds the %zu bytes available",
			  len, avail);
		return -1;
	}
	p->len = len;
	for (uint32_t i = 0; i < len; i++)
		sum = (uint8_t)(sum + t[i]);
	if (sum != 0) {
		info->malformed = true;
		verdict(info, E_CHECKSUM, "bad checksum: the %u bytes sum to 0x%02x, not 0", len, sum);
		return -1;
	}
	info->revision = t[8];
	acpi_copy_id(info->oem_id, t + 10, 6);
	acpi_copy_id(info->oem_table_id, t + 16, 8);
	info->oem_revision = rd32(p, 24);
	acpi_copy_id(info->creator_id, t + 28, 4);
	info->creator_revision = rd32(p, 32);
	info->ivinfo = rd32(p, 36);
	return 0;
}

int ivrs_parse(const void *table, size_t len_available, const struct ivrs_env *env,
	       struct ivrs_info *info)
{
	struct parser p = { .t = table, .env = env, .info = info };

	memset(info, 0, sizeof(*info));
	if (!table)
		len_available = 0;
	if (header(&p, table, len_available) == 0) {
		walk(&p);
		if (!info->malformed) {
			choose_blocks(info);
			check_aliases(info);
			check_claims(info);
			check_ivmds(&p);
		}
	}
	if (!info->error) {
		if (p.dropped)
			verdict(info, E_RANGE, "the table has more IVHD blocks or device entries than "
				"this parser keeps (limits %d blocks, %d entries)", IVRS_MAX_IVHDS,
				IVRS_MAX_DEVS);
		else if (info->niommus == 0)
			verdict(info, E_NOENT, "no IOMMU (IVHD block) in the table");
		for (unsigned i = 0; i < info->nivhds; i++) {
			const struct ivrs_ivhd *h = &info->ivhds[i];

			if (!h->usable && h->superseded_by < 0)
				verdict(info, E_INVAL, "ivhd %u has an invalid register base 0x%llx: "
					"devices under it cannot be protected", i,
					(unsigned long long)h->base);
		}
	}
	info->usable = info->error == 0;
	if (!info->usable)
		log_error("ivrs %s: %s", info->malformed ? "malformed" : "not usable", info->reason);
	return info->error;
}

/* ---- lookups ---- */

const struct ivrs_ivhd *ivrs_ivhd_for_device(const struct ivrs_info *info, uint16_t seg,
					     uint16_t devid)
{
	for (unsigned i = 0; i < info->ndevs; i++) {
		const struct ivrs_dev *d = &info->devs[i];

		if (d->segment == seg && in_effect(info, d) && devid >= d->first &&
		    devid <= d->last)
			return &info->ivhds[d->ivhd];
	}
	return NULL;
}

uint16_t ivrs_requester_id(const struct ivrs_info *info, uint16_t seg, uint16_t devid)
{
	for (unsigned i = 0; i < info->ndevs; i++) {
		const struct ivrs_dev *d = &info->devs[i];

		if (d->has_alias && d->segment == seg && in_effect(info, d) &&
		    devid >= d->first && devid <= d->last)
			return d->alias;
	}
	return devid;
}

const struct ivrs_dev *ivrs_special(const struct ivrs_info *info, uint8_t variety,
				    uint8_t handle)
{
	for (unsigned i = 0; i < info->ndevs; i++) {
		const struct ivrs_dev *d = &info->devs[i];

		if (d->kind == IVRS_KIND_SPECIAL && in_effect(info, d) && d->variety == variety &&
		    d->handle == handle)
			return d;
	}
	return NULL;
}

int ivrs_highest_devid(const struct ivrs_info *info, uint16_t seg)
{
	int max = -1;

	for (unsigned i = 0; i < info->ndevs; i++) {
		const struct ivrs_dev *d = &info->devs[i];

		if (d->segment != seg || !in_effect(info, d))
			continue;
		if ((int)d->last > max)
			max = d->last;
		if (d->has_alias && (int)d->alias > max)
			max = d->alias;
	}
	return max;
}

const struct ivrs_ivmd *ivrs_exclusion_overlapping(const struct ivrs_info *info, paddr_t base,
						   paddr_t end)
{
	for (unsigned i = 0; i < info->nivmds; i++) {
		const struct ivrs_ivmd *m = &info->ivmds[i];

		if (m->valid && (m->flags & IVRS_IVMD_EXCLUSION) &&
		    overlap(m->start, m->start + m->length - 1, base, end))
			return m;
	}
	return NULL;
}

unsigned ivrs_report_uncovered(const struct ivrs_info *info, const struct ivrs_bdf *devs,
			       size_t n)
{
	unsigned uncovered = 0;

	for (size_t i = 0; i < n; i++) {
		const struct ivrs_bdf *d = &devs[i];
		const struct ivrs_ivhd *h = ivrs_ivhd_for_device(info, d->seg, d->devid);
		char bdf[16];

		if (h && h->usable)
			continue;
		uncovered++;
		fmt_devid(bdf, sizeof(bdf), d->devid);
		if (!h)
			log_warn("ivrs device %04x:%s is covered by no IOMMU: it can DMA anywhere in "
				 "memory", d->seg, bdf);
		else
			log_warn("ivrs device %04x:%s is under ivhd %u, which is unusable: it can DMA "
				 "anywhere in memory", d->seg, bdf, h->index);
	}
	return uncovered;
}

void ivrs_ivhd_features(const struct ivrs_ivhd *h, struct ivrs_features *f)
{
	memset(f, 0, sizeof(*f));
	if (h->type == IVRS_TYPE_IVHD_10) {
		f->source = "feature_reporting";
		f->xt = h->feat & IVRS_FEAT_XT_SUP;
		f->nx = h->feat & IVRS_FEAT_NX_SUP;
		f->gt = h->feat & IVRS_FEAT_GT_SUP;
		f->ia = h->feat & IVRS_FEAT_IA_SUP;
		f->ga = h->feat & IVRS_FEAT_GA_SUP;
		f->he = h->feat & IVRS_FEAT_HE_SUP;
		f->hats = (uint8_t)IVRS_FEAT_HATS(h->feat);
		f->gats = (uint8_t)IVRS_FEAT_GATS(h->feat);
	} else if (h->has_efr) {
		f->source = "efr";
		f->xt = h->efr & AMDVI_EFR_XT_SUP;
		f->nx = h->efr & AMDVI_EFR_NX_SUP;
		f->gt = h->efr & AMDVI_EFR_GT_SUP;
		f->ia = h->efr & AMDVI_EFR_IA_SUP;
		f->ga = h->efr & AMDVI_EFR_GA_SUP;
		f->he = h->efr & AMDVI_EFR_HE_SUP;
		f->hats = (uint8_t)AMDVI_EFR_HATS(h->efr);
		f->gats = (uint8_t)AMDVI_EFR_GATS(h->efr);
	} else {
		f->source = "none";
	}
}

/* ---- printing ---- */

static const char *yes_no(bool b)
{
	return b ? "yes" : "no";
}

static void print_dev(const struct ivrs_dev *d)
{
	char ids[40], a[16], extra[96] = "";

	fmt_devid(ids, sizeof(ids), d->first);
	if (d->last != d->first) {
		size_t n = strlen(ids);

		ids[n++] = '-';
		fmt_devid(ids + n, sizeof(ids) - n, d->last);
	}
	if (d->has_alias) {
		fmt_devid(a, sizeof(a), d->alias);
		shoji_snprintf(extra, sizeof(extra), " alias=%s", a);
	} else if (d->has_ext) {
		shoji_snprintf(extra, sizeof(extra), " ext=0x%x ats=%s", d->ext,
			       (d->ext & IVRS_EXT_ATS_DISABLED) ? "disabled" : "allowed");
	} else if (d->kind == IVRS_KIND_SPECIAL) {
		shoji_snprintf(extra, sizeof(extra), " variety=%s handle=%u",
			       d->variety == IVRS_SPECIAL_IOAPIC ? "ioapic" : "hpet", d->handle);
	} else if (d->kind == IVRS_KIND_ACPI_HID) {
		static const char *const fmts[] = { "none", "integer", "string" };

		shoji_snprintf(extra, sizeof(extra), " hid=%s cid=%s uid_format=%s%s%s",
			       d->hid[0] ? d->hid : "-", d->cid[0] ? d->cid : "-",
			       fmts[d->uid_format], d->uid_format ? " uid=" : "",
			       d->uid_format ? d->uid : "");
	}
	log_info("ivrs   dev kind=%s devid=%s%s dte=0x%02x offset=0x%x", ivrs_dev_kind_name(d->kind),
		 ids, extra, d->dte, d->offset);
}

static void print_ivhd(const struct ivrs_info *info, const struct ivrs_ivhd *h)
{
	char devid[16], state[32], fields[64];
	struct ivrs_features f;

	fmt_devid(devid, sizeof(devid), h->devid);
	if (h->superseded_by >= 0)
		shoji_snprintf(state, sizeof(state), "superseded_by=%d", h->superseded_by);
	else
		shoji_snprintf(state, sizeof(state), "iommu=%u", h->iommu);
	if (h->type == IVRS_TYPE_IVHD_10)
		shoji_snprintf(fields, sizeof(fields), "features=0x%x", h->feat);
	else
		shoji_snprintf(fields, sizeof(fields), "attributes=0x%x efr=0x%llx", h->feat,
			       (unsigned long long)h->efr);
	log_info("ivrs ivhd index=%u type=0x%02x offset=0x%x %s devid=%s segment=%u base=0x%llx "
		 "cap_offset=0x%x flags=0x%02x info=0x%x msi_num=%u unit_id=%u %s entries=%u%s",
		 h->index, h->type, h->offset, state, devid, h->segment,
		 (unsigned long long)h->base, h->cap_offset, h->flags, h->info,
		 IVRS_INFO_MSI_NUM(h->info), IVRS_INFO_UNIT_ID(h->info), fields, h->ndevs,
		 h->usable ? "" : " usable=no");
	ivrs_ivhd_features(h, &f);
	log_info("ivrs   features source=%s xt=%s nx=%s gt=%s ia=%s ga=%s he=%s hats=%u gats=%u",
		 f.source, yes_no(f.xt), yes_no(f.nx), yes_no(f.gt), yes_no(f.ia), yes_no(f.ga), yes_no(f.he), f.hats,
		 f.gats);
	for (uint16_t i = 0; i < h->ndevs; i++)
		print_dev(&info->devs[h->first_dev + i]);
}

static void print_ivmd(unsigned i, const struct ivrs_ivmd *m)
{
	char ids[40] = "all";

	if (m->type != IVRS_TYPE_IVMD_ALL) {
		fmt_devid(ids, sizeof(ids), m->first);
		if (m->last != m->first) {
			size_t n = strlen(ids);

			ids[n++] = '-';
			fmt_devid(ids + n, sizeof(ids) - n, m->last);
		}
	}
	log_info("ivrs ivmd index=%u type=0x%02x offset=0x%x devid=%s start=0x%llx length=0x%llx "
		 "flags=0x%02x unity=%s ir=%s iw=%s exclusion=%s%s", i, m->type, m->offset, ids,
		 (unsigned long long)m->start, (unsigned long long)m->length, m->flags,
		 yes_no(m->flags & IVRS_IVMD_UNITY), yes_no(m->flags & IVRS_IVMD_IR),
		 yes_no(m->flags & IVRS_IVMD_IW), yes_no(m->flags & IVRS_IVMD_EXCLUSION),
		 m->valid ? "" : " valid=no");
}

/* One word for the verdict line (err_str() has spaces). */
static const char *err_token(int err)
{
	switch (err) {
	case E_INVAL: return "invalid";
	case E_CHECKSUM: return "checksum";
	case E_NOENT: return "no_iommu";
	case E_RANGE: return "limit";
	default: return "other";
	}
}

void ivrs_print(const struct ivrs_info *info)
{
	uint32_t v = info->ivinfo;

	log_info("ivrs table length=%u revision=%u oem=%s oem_table=%s oem_revision=0x%x "
		 "creator=%s creator_revision=0x%x", info->length, info->revision, info->oem_id,
		 info->oem_table_id, info->oem_revision, info->creator_id,
		 info->creator_revision);
	log_info("ivrs ivinfo=0x%x efr_sup=%s dma_remap=%s gva_size=%u pa_size=%u va_size=%u "
		 "ht_ats_resv=%s", v, yes_no(v & IVRS_IVINFO_EFR_SUP), yes_no(v & IVRS_IVINFO_DMA_REMAP),
		 IVRS_IVINFO_GVA_SIZE(v), IVRS_IVINFO_PA_SIZE(v), IVRS_IVINFO_VA_SIZE(v),
		 yes_no(v & IVRS_IVINFO_HT_ATS_RESV));
	for (unsigned i = 0; i < info->nivhds; i++)
		print_ivhd(info, &info->ivhds[i]);
	for (unsigned i = 0; i < info->nivmds; i++)
		print_ivmd(i, &info->ivmds[i]);
	log_info("ivrs summary ivhds=%u iommus=%u devs=%u ivmds=%u unknown=%u dropped=%u "
		 "warnings=%u", info->nivhds, info->niommus, info->ndevs, info->nivmds,
		 info->nunknown, info->ndropped, info->warnings);
	if (info->usable)
		log_info("ivrs usable=yes");
	else
		log_info("ivrs usable=no error=%s malformed=%s reason=\"%s\"", err_token(info->error),
			 yes_no(info->malformed), info->reason);
}
