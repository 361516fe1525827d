/* DMAR parser: see dmar.h. Layouts are those of the Intel VT-d
 * specification, chapter 8; every offset below names its section.
 *
 * Bounds discipline: the header length is checked against len_available
 * first, after which every read goes through rd*() at offsets that the
 * caller proved lie inside [0, p->len): structure walks check "bytes left"
 * before reading a length, and a structure or scope whose length overruns
 * its container stops the walk. */
#include "iommu/dmar.h"
#include "lib/error.h"
#include "platform/acpi.h"
#include "lib/log.h"
#include "lib/printf.h"
#include "lib/string.h"

/* Fixed parts (bytes) of each structure, before its device scopes. */
#define DRHD_FIXED	16	/* 8.3: type, length, flags, size, segment, base */
#define RMRR_FIXED	24	/* 8.4: type, length, rsvd, segment, base, limit */
#define ATSR_FIXED	8	/* 8.5: type, length, flags, rsvd, segment */
#define RHSA_LEN	20	/* 8.6: type, length, rsvd, base, proximity */
#define ANDD_FIXED	8	/* 8.7: type, length, rsvd[3], device number */
#define SATC_FIXED	8	/* 8.8: type, length, flags, rsvd, segment */
#define SCOPE_FIXED	6	/* 8.3.1: type, length, flags, rsvd, enum id, bus */

struct parser {
	const uint8_t *t;
	uint32_t len;			/* header length, <= len_available */
	const struct dmar_env *env;
	struct dmar_info *info;
	bool drhd_dropped;		/* a limit dropped a unit or unit scope */
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

static const char *struct_name(uint16_t type)
{
	switch (type) {
	case DMAR_TYPE_DRHD: return "drhd";
	case DMAR_TYPE_RMRR: return "rmrr";
	case DMAR_TYPE_ATSR: return "atsr";
	case DMAR_TYPE_RHSA: return "rhsa";
	case DMAR_TYPE_ANDD: return "andd";
	case DMAR_TYPE_SATC: return "satc";
	default: return "structure";
	}
}

const char *dmar_scope_type_name(uint8_t type)
{
	switch (type) {
	case DMAR_SCOPE_ENDPOINT: return "endpoint";
	case DMAR_SCOPE_BRIDGE: return "bridge";
	case DMAR_SCOPE_IOAPIC: return "ioapic";
	case DMAR_SCOPE_HPET: return "hpet";
	case DMAR_SCOPE_ACPI: return "acpi";
	default: return "unknown";
	}
}

static const char *owner_name(uint8_t owner)
{
	switch (owner) {
	case DMAR_OWNER_DRHD: return "drhd";
	case DMAR_OWNER_RMRR: return "rmrr";
	case DMAR_OWNER_ATSR: return "atsr";
	default: return "satc";
	}
}

/* The first reason wins: later ones are consequences or less important. */
static void verdict(struct dmar_info *info, int err, const char *fmt, ...) PRINTF_LIKE(3, 4);
static void verdict(struct dmar_info *info, int err, const char *fmt, ...)
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
static void fw_bug(struct dmar_info *info, const char *fmt, ...) PRINTF_LIKE(2, 3);
static void fw_bug(struct dmar_info *info, const char *fmt, ...)
{
	va_list ap;

	info->warnings++;
	va_start(ap, fmt);
	log_vline("warning: ", fmt, ap);
	va_end(ap);
}

/* 8.3.1: follow the path from its start bus through the bridges the live
 * topology reports, to the device it names. */
static void resolve_scope(struct parser *p, struct dmar_scope *s)
{
	const struct dmar_env *env = p->env;
	bool topology = env && env->secondary_bus;
	uint8_t bus = s->start_bus;
	unsigned i;

	if (s->hops > DMAR_MAX_HOPS) {
		s->unresolved = "path longer than DMAR_MAX_HOPS";
		fw_bug(p->info, "dmar scope at offset 0x%x: path has %u entries, more than the "
		       "limit of %d: scope kept unresolved", s->offset, s->hops, DMAR_MAX_HOPS);
		return;
	}
	for (i = 0; i < s->hops; i++) {
		if (s->path[i].dev > 31 || s->path[i].fn > 7) {
			s->unresolved = "device or function out of range";
			fw_bug(p->info, "dmar scope at offset 0x%x: path entry %u is %02x.%x, not a "
			       "PCI device/function: scope kept unresolved", s->offset, i,
			       s->path[i].dev, s->path[i].fn);
			return;
		}
	}
	for (i = 0; i + 1 < s->hops; i++) {
		uint8_t dev = s->path[i].dev, fn = s->path[i].fn;
		int sec;

		if (!topology) {
			s->unresolved = "no PCI topology given";
			s->no_topology = true;
			p->info->nno_topology++;
			return;
		}
		sec = env->secondary_bus(env->ctx, s->segment, bus, dev, fn);
		if (sec < 0 || sec > 255) {
			s->unresolved = "a path element is not a bridge";
			fw_bug(p->info, "dmar scope at offset 0x%x: path element %04x:%02x:%02x.%x is "
			       "absent or not a bridge: scope kept unresolved",
			       s->offset, s->segment, bus, dev, fn);
			return;
		}
		bus = (uint8_t)sec;
	}
	s->resolved = true;
	s->bus = bus;
	s->devfn = DMAR_DEVFN(s->path[s->hops - 1].dev, s->path[s->hops - 1].fn);

	if (s->type == DMAR_SCOPE_BRIDGE) {
		uint8_t dev = s->path[s->hops - 1].dev, fn = s->path[s->hops - 1].fn;
		int sec, sub;

		if (!topology || !env->subordinate_bus) {
			s->unresolved = "no PCI topology given";
			s->no_topology = true;
			p->info->nno_topology++;
			return;
		}
		sec = env->secondary_bus(env->ctx, s->segment, bus, dev, fn);
		sub = env->subordinate_bus(env->ctx, s->segment, bus, dev, fn);
		if (sec < 0 || sub < 0 || sec > 255 || sub > 255 || sub < sec) {
			s->unresolved = "not a bridge in the live topology";
			fw_bug(p->info, "dmar scope at offset 0x%x: sub-hierarchy %04x:%02x:%02x.%x is "
			       "absent or not a bridge: devices behind it are not matched",
			       s->offset, s->segment, bus, dev, fn);
			return;
		}
		s->bus_range = true;
		s->sec_bus = (uint8_t)sec;
		s->sub_bus = (uint8_t)sub;
	}
}

/* 8.3.1: the device scope entries in [off, end) of a structure. */
static void parse_scopes(struct parser *p, uint8_t owner, uint16_t owner_index,
			 uint16_t segment, uint32_t soff, uint32_t off, uint32_t end,
			 uint16_t *first, uint16_t *count)
{
	struct dmar_info *info = p->info;
	const char *what = owner_name(owner);

	*first = (uint16_t)info->nscopes;
	*count = 0;
	while (off < end) {
		uint32_t left = end - off;
		uint8_t type, slen;
		struct dmar_scope *s;

		if (left < 2) {
			malformed(p, "%s at offset 0x%x: %u trailing byte at offset 0x%x is too short "
				  "for a device scope", what, soff, left, off);
			return;
		}
		type = rd8(p, off);
		slen = rd8(p, off + 1);
		if (slen < SCOPE_FIXED + 2) {
			malformed(p, "%s at offset 0x%x: device scope at offset 0x%x has length %u, "
				  "below the minimum of 8 (8.3.1)", what, soff, off, slen);
			return;
		}
		if (slen > left) {
			malformed(p, "%s at offset 0x%x: device scope at offset 0x%x (length %u) "
				  "overruns its structure (%u bytes left)", what, soff, off, slen, left);
			return;
		}
		if ((slen - SCOPE_FIXED) % 2) {
			malformed(p, "%s at offset 0x%x: device scope at offset 0x%x has odd length %u "
				  "(path entries are 2 bytes)", what, soff, off, slen);
			return;
		}
		if (type < DMAR_SCOPE_ENDPOINT || type > DMAR_SCOPE_ACPI) {
			fw_bug(info, "dmar %s at offset 0x%x: device scope at offset 0x%x has reserved "
			       "type %u: skipped", what, soff, off, type);
			off += slen;
			continue;
		}
		if (info->nscopes >= DMAR_MAX_SCOPES) {
			log_warn("dmar limit: more than %d device scopes: %s scope at offset 0x%x "
				 "dropped", DMAR_MAX_SCOPES, what, off);
			info->warnings++;
			info->ndropped++;
			if (owner == DMAR_OWNER_DRHD)
				p->drhd_dropped = true;
			off += slen;
			continue;
		}
		s = &info->scopes[info->nscopes++];
		memset(s, 0, sizeof(*s));
		s->type = type;
		s->flags = rd8(p, off + 2);
		s->enum_id = rd8(p, off + 4);
		s->start_bus = rd8(p, off + 5);
		s->owner = owner;
		s->owner_index = owner_index;
		s->segment = segment;
		s->offset = (uint16_t)off;
		s->hops = (uint8_t)((slen - SCOPE_FIXED) / 2);
		for (unsigned i = 0; i < s->hops && i < DMAR_MAX_HOPS; i++) {
			s->path[i].dev = rd8(p, off + SCOPE_FIXED + 2 * i);
			s->path[i].fn = rd8(p, off + SCOPE_FIXED + 2 * i + 1);
		}
		resolve_scope(p, s);
		(*count)++;
		off += slen;
	}
}

/* 8.3 DMA Remapping Hardware Unit Definition. */
static void parse_drhd(struct parser *p, uint32_t off, uint32_t slen)
{
	struct dmar_info *info = p->info;
	struct dmar_unit *u;

	if (info->nunits >= DMAR_MAX_UNITS) {
		log_warn("dmar limit: more than %d remapping units: drhd at offset 0x%x dropped",
			 DMAR_MAX_UNITS, off);
		info->warnings++;
		info->ndropped++;
		p->drhd_dropped = true;
		return;
	}
	u = &info->units[info->nunits];
	memset(u, 0, sizeof(*u));
	u->index = (uint16_t)info->nunits++;
	u->offset = (uint16_t)off;
	u->flags = rd8(p, off + 4);
	u->include_all = u->flags & DMAR_DRHD_INCLUDE_PCI_ALL;
	/* Size (bits 3:0): the register set spans 2^N 4 KiB pages. Tables
	 * older than the field have 0 there, i.e. one page, which is right
	 * for the hardware of that time. */
	u->size_field = rd8(p, off + 5);
	u->size = PAGE_SIZE << (u->size_field & 0xf);
	u->segment = rd16(p, off + 6);
	u->base = rd64(p, off + 8);
	u->dup_of = -1;
	u->usable = true;
	if (u->base == 0 || u->base == ~0ULL || !IS_ALIGNED(u->base, PAGE_SIZE)) {
		u->usable = false;
		fw_bug(info, "dmar drhd unit=%u base=0x%llx: register base is %s (firmware bug): "
		       "this unit is unusable", u->index, (unsigned long long)u->base,
		       u->base == 0 ? "zero" : u->base == ~0ULL ? "all-ones" : "not 4 KiB aligned");
	}
	parse_scopes(p, DMAR_OWNER_DRHD, u->index, u->segment, off, off + DRHD_FIXED, off + slen,
		     &u->first_scope, &u->nscopes);
}

/* 8.4 Reserved Memory Region Reporting. */
static void parse_rmrr(struct parser *p, uint32_t off, uint32_t slen)
{
	struct dmar_info *info = p->info;
	struct dmar_rmrr *r;
	const char *bad = NULL;

	if (info->nrmrrs >= DMAR_MAX_RMRRS) {
		log_warn("dmar limit: more than %d rmrrs: rmrr at offset 0x%x dropped",
			 DMAR_MAX_RMRRS, off);
		info->warnings++;
		info->ndropped++;
		return;
	}
	r = &info->rmrrs[info->nrmrrs];
	memset(r, 0, sizeof(*r));
	r->offset = (uint16_t)off;
	r->segment = rd16(p, off + 6);
	r->base = rd64(p, off + 8);
	r->limit = rd64(p, off + 16);
	if (!IS_ALIGNED(r->base, PAGE_SIZE))
		bad = "base is not 4 KiB aligned";
	else if (!IS_ALIGNED(r->limit + 1, PAGE_SIZE))
		bad = "limit + 1 is not 4 KiB aligned";
	else if (r->base > r->limit)
		bad = "base is above limit";
	r->valid = !bad;
	if (bad)
		fw_bug(info, "dmar rmrr %u base=0x%llx limit=0x%llx: %s (8.4): region ignored",
		       info->nrmrrs, (unsigned long long)r->base, (unsigned long long)r->limit, bad);
	parse_scopes(p, DMAR_OWNER_RMRR, (uint16_t)info->nrmrrs, r->segment, off,
		     off + RMRR_FIXED, off + slen, &r->first_scope, &r->nscopes);
	info->nrmrrs++;
}

/* 8.5 Root Port ATS Capability Reporting. */
static void parse_atsr(struct parser *p, uint32_t off, uint32_t slen)
{
	struct dmar_info *info = p->info;
	struct dmar_atsr *a;

	if (info->natsrs >= DMAR_MAX_ATSRS) {
		log_warn("dmar limit: more than %d atsrs: atsr at offset 0x%x dropped",
			 DMAR_MAX_ATSRS, off);
		info->warnings++;
		info->ndropped++;
		return;
	}
	a = &info->atsrs[info->natsrs];
	memset(a, 0, sizeof(*a));
	a->offset = (uint16_t)off;
	a->flags = rd8(p, off + 4);
	a->all_ports = a->flags & DMAR_ATSR_ALL_PORTS;
	a->segment = rd16(p, off + 6);
	parse_scopes(p, DMAR_OWNER_ATSR, (uint16_t)info->natsrs, a->segment, off,
		     off + ATSR_FIXED, off + slen, &a->first_scope, &a->nscopes);
	info->natsrs++;
}

/* 8.6 Remapping Hardware Static Affinity. */
static void parse_rhsa(struct parser *p, uint32_t off)
{
	struct dmar_info *info = p->info;
	struct dmar_rhsa *r;

	if (info->nrhsas >= DMAR_MAX_RHSAS) {
		log_warn("dmar limit: more than %d rhsas: rhsa at offset 0x%x dropped",
			 DMAR_MAX_RHSAS, off);
		info->warnings++;
		info->ndropped++;
		return;
	}
	r = &info->rhsas[info->nrhsas++];
	r->offset = (uint16_t)off;
	r->base = rd64(p, off + 8);
	r->proximity = rd32(p, off + 16);
	r->unit = -1;
}

/* 8.7 ACPI Name-space Device Declaration. */
static void parse_andd(struct parser *p, uint32_t off, uint32_t slen)
{
	struct dmar_info *info = p->info;
	struct dmar_andd *a;
	uint32_t n = slen - ANDD_FIXED, i;

	if (info->nandds >= DMAR_MAX_ANDDS) {
		log_warn("dmar limit: more than %d andds: andd at offset 0x%x dropped",
			 DMAR_MAX_ANDDS, off);
		info->warnings++;
		info->ndropped++;
		return;
	}
	a = &info->andds[info->nandds++];
	a->offset = (uint16_t)off;
	a->number = rd8(p, off + 7);
	for (i = 0; i < n && i < DMAR_ANDD_NAME_MAX - 1; i++) {
		uint8_t c = rd8(p, off + ANDD_FIXED + i);

		if (c == '\0')
			break;
		a->name[i] = (c > ' ' && c < 0x7f && c != '"') ? (char)c : '?';
	}
	a->name[i] = '\0';
	if (i == n)
		fw_bug(info, "dmar andd number=%u at offset 0x%x: object name is not NUL-terminated "
		       "(8.7)", a->number, off);
	else if (i == DMAR_ANDD_NAME_MAX - 1 && rd8(p, off + ANDD_FIXED + i) != '\0')
		log_warn("dmar limit: andd number=%u object name longer than %d bytes: truncated",
			 a->number, DMAR_ANDD_NAME_MAX - 1);
}

/* 8.8 SoC Integrated Address Translation Cache. */
static void parse_satc(struct parser *p, uint32_t off, uint32_t slen)
{
	struct dmar_info *info = p->info;
	struct dmar_satc *s;

	if (info->nsatcs >= DMAR_MAX_SATCS) {
		log_warn("dmar limit: more than %d satcs: satc at offset 0x%x dropped",
			 DMAR_MAX_SATCS, off);
		info->warnings++;
		info->ndropped++;
		return;
	}
	s = &info->satcs[info->nsatcs];
	memset(s, 0, sizeof(*s));
	s->offset = (uint16_t)off;
	s->flags = rd8(p, off + 4);
	s->atc_required = s->flags & DMAR_SATC_ATC_REQUIRED;
	s->segment = rd16(p, off + 6);
	parse_scopes(p, DMAR_OWNER_SATC, (uint16_t)info->nsatcs, s->segment, off,
		     off + SATC_FIXED, off + slen, &s->first_scope, &s->nscopes);
	info->nsatcs++;
}

static uint32_t min_length(uint16_t type)
{
	switch (type) {
	case DMAR_TYPE_DRHD: return DRHD_FIXED;
	case DMAR_TYPE_RMRR: return RMRR_FIXED;
	case DMAR_TYPE_ATSR: return ATSR_FIXED;
	case DMAR_TYPE_RHSA: return RHSA_LEN;
	case DMAR_TYPE_ANDD: return ANDD_FIXED;
	case DMAR_TYPE_SATC: return SATC_FIXED;
	default: return 4;	/* 8.2: every structure starts with type, length */
	}
}

/* 8.2: walk the remapping structures by their length fields. */
static void walk(struct parser *p)
{
	uint32_t off = DMAR_HEADER_LEN;

	while (off < p->len) {
		uint32_t left = p->len - off, slen, min;
		uint16_t type;

		if (left < 4) {
			malformed(p, "%u trailing byte(s) at offset 0x%x are too short for a "
				  "remapping structure header", left, off);
			return;
		}
		type = rd16(p, off);
		slen = rd16(p, off + 2);
		min = min_length(type);
		if (slen < min) {
			malformed(p, "%s type=%u at offset 0x%x has length %u, below its minimum "
				  "of %u", struct_name(type), type, off, slen, min);
			return;
		}
		if (slen > left) {
			malformed(p, "%s type=%u at offset 0x%x (length %u) overruns the table "
				  "(%u bytes left)", struct_name(type), type, off, slen, left);
			return;
		}
		switch (type) {
		case DMAR_TYPE_DRHD: parse_drhd(p, off, slen); break;
		case DMAR_TYPE_RMRR: parse_rmrr(p, off, slen); break;
		case DMAR_TYPE_ATSR: parse_atsr(p, off, slen); break;
		case DMAR_TYPE_RHSA: parse_rhsa(p, off); break;
		case DMAR_TYPE_ANDD: parse_andd(p, off, slen); break;
		case DMAR_TYPE_SATC: parse_satc(p, off, slen); break;
		default:
			p->info->nunknown++;
			log_info("dmar note: structure type=%u length=%u at offset 0x%x is of a type "
				 "this parser does not know: skipped", type, slen, off);
			break;
		}
		off += slen;
	}
}

static const struct dmar_unit *canonical(const struct dmar_info *info, const struct dmar_unit *u)
{
	return u->dup_of >= 0 ? &info->units[u->dup_of] : u;
}

static bool scope_names_pci(const struct dmar_scope *s)
{
	return s->type == DMAR_SCOPE_ENDPOINT || s->type == DMAR_SCOPE_BRIDGE;
}

static const struct dmar_andd *find_andd(const struct dmar_info *info, uint8_t number)
{
	for (unsigned i = 0; i < info->nandds; i++)
		if (info->andds[i].number == number)
			return &info->andds[i];
	return NULL;
}

static void check_units(struct dmar_info *info)
{
	for (unsigned i = 0; i < info->nunits; i++) {
		struct dmar_unit *u = &info->units[i];

		for (unsigned j = 0; j < i && u->usable; j++) {
			if (info->units[j].dup_of < 0 && info->units[j].base == u->base) {
				u->dup_of = (int)j;
				fw_bug(info, "dmar drhd unit=%u base=0x%llx: same register base as "
				       "unit %u (firmware bug): treated as that unit", i,
				       (unsigned long long)u->base, j);
				break;
			}
		}
		if (!u->include_all || u->dup_of >= 0)
			continue;
		for (unsigned j = 0; j < i; j++) {
			const struct dmar_unit *o = &info->units[j];

			if (o->include_all && o->dup_of < 0 && o->segment == u->segment) {
				fw_bug(info, "dmar drhd unit=%u segment=%u: second INCLUDE_PCI_ALL unit "
				       "of this segment (unit %u is the first; 8.3): unlisted "
				       "devices are matched to unit %u", i, u->segment, j, j);
				break;
			}
		}
		for (unsigned j = i + 1; j < info->nunits; j++) {
			if (info->units[j].segment == u->segment) {
				fw_bug(info, "dmar drhd unit=%u segment=%u: INCLUDE_PCI_ALL unit is not "
				       "the last DRHD of its segment (unit %u follows; 8.3 requires "
				       "it last)", i, u->segment, j);
				break;
			}
		}
		for (unsigned k = 0; k < u->nscopes; k++) {
			const struct dmar_scope *s = dmar_scope_at(info, u->first_scope, (uint16_t)k);

			if (scope_names_pci(s)) {
				fw_bug(info, "dmar drhd unit=%u: INCLUDE_PCI_ALL unit lists a PCI %s "
				       "scope at offset 0x%x (8.3 allows only IOAPIC, HPET and ACPI "
				       "scopes there)", i, dmar_scope_type_name(s->type), s->offset);
				break;
			}
		}
	}
}

/* The same PCI function claimed by two different units. */
static void check_double_claims(struct dmar_info *info)
{
	for (unsigned i = 0; i < info->nscopes; i++) {
		const struct dmar_scope *a = &info->scopes[i];

		if (a->owner != DMAR_OWNER_DRHD || !scope_names_pci(a) || !a->resolved)
			continue;
		for (unsigned j = i + 1; j < info->nscopes; j++) {
			const struct dmar_scope *b = &info->scopes[j];
			int ra, rb;

			if (b->owner != DMAR_OWNER_DRHD || !scope_names_pci(b) || !b->resolved ||
			    a->segment != b->segment || a->bus != b->bus || a->devfn != b->devfn)
				continue;
			ra = canonical(info, &info->units[a->owner_index])->index;
			rb = canonical(info, &info->units[b->owner_index])->index;
			if (ra == rb)
				continue;
			fw_bug(info, "dmar device %02x:%02x.%x segment=%u is listed by unit %u and "
			       "unit %u: the first is used", a->bus, a->devfn >> 3, a->devfn & 7,
			       a->segment, ra, rb);
		}
	}
}

static void check_rmrrs(struct parser *p)
{
	struct dmar_info *info = p->info;
	const struct dmar_env *env = p->env;

	for (unsigned i = 0; i < info->nrmrrs; i++) {
		const struct dmar_rmrr *r = &info->rmrrs[i];

		for (unsigned k = 0; k < r->nscopes; k++) {
			const struct dmar_scope *s = dmar_scope_at(info, r->first_scope, (uint16_t)k);
			const struct dmar_unit *u;

			if (s->type != DMAR_SCOPE_ENDPOINT) {
				fw_bug(info, "dmar rmrr %u: scope at offset 0x%x is of type %s, but "
				       "RMRR scopes must name PCI endpoints (8.4)", i, s->offset,
				       dmar_scope_type_name(s->type));
				continue;
			}
			if (!s->resolved)
				continue;
			u = dmar_unit_for_device(info, s->segment, s->bus, s->devfn);
			if (!u)
				fw_bug(info, "dmar rmrr %u: device %02x:%02x.%x segment=%u is under "
				       "no remapping unit (8.4)", i, s->bus, s->devfn >> 3,
				       s->devfn & 7, s->segment);
		}
		if (!r->valid)
			continue;
		for (unsigned j = 0; j < i; j++) {
			const struct dmar_rmrr *o = &info->rmrrs[j];

			if (o->valid && o->base <= r->limit && r->base <= o->limit)
				fw_bug(info, "dmar rmrr %u base=0x%llx limit=0x%llx overlaps rmrr %u "
				       "base=0x%llx limit=0x%llx", i, (unsigned long long)r->base,
				       (unsigned long long)r->limit, j, (unsigned long long)o->base,
				       (unsigned long long)o->limit);
		}
		if (env && env->is_reserved && !env->is_reserved(env->ctx, r->base, r->limit))
			fw_bug(info, "dmar rmrr %u base=0x%llx limit=0x%llx is not reserved in the "
			       "memory map (firmware bug: the OS may use it as RAM)", i,
			       (unsigned long long)r->base, (unsigned long long)r->limit);
	}
}

static void check_others(struct dmar_info *info)
{
	for (unsigned i = 0; i < info->nrhsas; i++) {
		struct dmar_rhsa *r = &info->rhsas[i];

		for (unsigned j = 0; j < info->nunits; j++) {
			if (info->units[j].base == r->base) {
				r->unit = (int)j;
				info->units[j].has_proximity = true;
				info->units[j].proximity = r->proximity;
				break;
			}
		}
		if (r->unit < 0)
			fw_bug(info, "dmar rhsa base=0x%llx proximity=%u names no remapping unit (8.6)",
			       (unsigned long long)r->base, r->proximity);
	}
	for (unsigned i = 0; i < info->nscopes; i++) {
		const struct dmar_scope *s = &info->scopes[i];

		if (s->type == DMAR_SCOPE_ACPI && !find_andd(info, s->enum_id))
			fw_bug(info, "dmar scope at offset 0x%x: acpi device number %u has no andd "
			       "(8.7)", s->offset, s->enum_id);
		if (s->owner == DMAR_OWNER_ATSR && s->type != DMAR_SCOPE_BRIDGE)
			fw_bug(info, "dmar atsr %u: scope at offset 0x%x is of type %s, but ATSR "
			       "scopes must name root ports (bridges, 8.5)", s->owner_index,
			       s->offset, dmar_scope_type_name(s->type));
		if (s->owner == DMAR_OWNER_SATC && s->type != DMAR_SCOPE_ENDPOINT)
			fw_bug(info, "dmar satc %u: scope at offset 0x%x is of type %s, but SATC "
			       "scopes must name endpoints (8.8)", s->owner_index, s->offset,
			       dmar_scope_type_name(s->type));
	}
	for (unsigned i = 0; i < info->natsrs; i++)
		if (info->atsrs[i].all_ports && info->atsrs[i].nscopes)
			fw_bug(info, "dmar atsr %u: ALL_PORTS is set and device scopes are listed too "
			       "(8.5)", i);
}

static int header(struct parser *p, const uint8_t *t, size_t avail)
{
	struct dmar_info *info = p->info;
	uint32_t len;
	uint8_t sum = 0;

	if (avail < 36) {
		malformed(p, "only %zu bytes available, an ACPI table header needs 36", avail);
		return -1;
	}
	if (memcmp(t, "DMAR", 4) != 0) {
		char sig[5];

		acpi_copy_id(sig, t, 4);
		malformed(p, "signature is '%s', not 'DMAR'", sig);
		return -1;
	}
	len = (uint32_t)t[4] | (uint32_t)t[5] << 8 | (uint32_t)t[6] << 16 | (uint32_t)t[7] << 24;
	info->length = len;
	if (len < DMAR_HEADER_LEN) {
		malformed(p, "header length %u is below the DMAR minimum of %d", len,
			  DMAR_HEADER_LEN);
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
		p->info->malformed = true;
		verdict(info, E_CHECKSUM, "bad checksum: the %u bytes sum to 0x%02x, not 0", len, sum);
		return -1;
	}
	info->revision = t[8];
	acpi_copy_id(info->oem_id, t + 10, 6);
	acpi_copy_id(info->oem_table_id, t + 16, 8);
	info->oem_revision = rd32(p, 24);
	acpi_copy_id(info->creator_id, t + 28, 4);
	info->creator_revision = rd32(p, 32);
	/* 8.1: Host Address Width is N - 1 for an N-bit DMA physical
	 * addressability; flags bits 0-2. */
	info->haw = (uint16_t)(t[36] + 1);
	info->flags = t[37];
	info->intr_remap = info->flags & DMAR_FLAG_INTR_REMAP;
	info->x2apic_opt_out = info->flags & DMAR_FLAG_X2APIC_OPT_OUT;
	info->dma_ctrl_opt_in = info->flags & DMAR_FLAG_DMA_CTRL_OPT_IN;
	if (info->haw > 64)
		fw_bug(info, "dmar host address width %u is beyond 64 bits (8.1)", info->haw);
	return 0;
}

int dmar_parse(const void *table, size_t len_available, const struct dmar_env *env,
	       struct dmar_info *info)
{
	struct parser p = { .t = table, .env = env, .info = info };

	memset(info, 0, sizeof(*info));
	if (!table)
		len_available = 0;
	if (header(&p, table, len_available) == 0) {
		walk(&p);
		if (!info->malformed) {
			check_units(info);
			check_double_claims(info);
			check_rmrrs(&p);
			check_others(info);
		}
	}
	if (!info->error) {
		if (p.drhd_dropped)
			verdict(info, E_RANGE, "the table has more remapping units or unit scopes than "
				"this parser keeps (limits %d units, %d scopes)", DMAR_MAX_UNITS,
				DMAR_MAX_SCOPES);
		else if (info->nunits == 0)
			verdict(info, E_NOENT, "no remapping hardware unit (DRHD) in the table");
		for (unsigned i = 0; i < info->nunits; i++)
			if (!info->units[i].usable)
				verdict(info, E_INVAL, "unit %u has an invalid register base 0x%llx: "
					"devices under it cannot be protected", i,
					(unsigned long long)info->units[i].base);
	}
	info->usable = info->error == 0;
	if (!info->usable)
		log_error("dmar %s: %s", info->malformed ? "malformed" : "not usable", info->reason);
	return info->error;
}

const struct dmar_unit *dmar_unit_for_device(const struct dmar_info *info, uint16_t seg,
					     uint8_t bus, uint8_t devfn)
{
	const struct dmar_unit *best = NULL;
	unsigned best_width = 256;

	for (unsigned i = 0; i < info->nscopes; i++) {
		const struct dmar_scope *s = &info->scopes[i];

		if (s->owner != DMAR_OWNER_DRHD || s->segment != seg || !s->resolved)
			continue;
		if (s->type != DMAR_SCOPE_ENDPOINT && s->type != DMAR_SCOPE_BRIDGE &&
		    s->type != DMAR_SCOPE_ACPI)
			continue;
		if (s->bus == bus && s->devfn == devfn)
			return canonical(info, &info->units[s->owner_index]);
		if (s->type == DMAR_SCOPE_BRIDGE && s->bus_range && bus >= s->sec_bus &&
		    bus <= s->sub_bus && (unsigned)(s->sub_bus - s->sec_bus) < best_width) {
			best = &info->units[s->owner_index];
			best_width = (unsigned)(s->sub_bus - s->sec_bus);
		}
	}
	if (best)
		return canonical(info, best);
	for (unsigned i = 0; i < info->nunits; i++) {
		const struct dmar_unit *u = &info->units[i];

		if (u->include_all && u->segment == seg)
			return canonical(info, u);
	}
	return NULL;
}

unsigned dmar_report_uncovered(const struct dmar_info *info, const struct dmar_bdf *devs,
			       size_t n)
{
	unsigned uncovered = 0;

	for (size_t i = 0; i < n; i++) {
		const struct dmar_bdf *d = &devs[i];
		const struct dmar_unit *u = dmar_unit_for_device(info, d->seg, d->bus, d->devfn);

		if (u && u->usable)
			continue;
		uncovered++;
		if (!u)
			log_warn("dmar device %04x:%02x:%02x.%x is covered by no remapping unit: "
				 "it can DMA anywhere in memory", d->seg, d->bus, d->devfn >> 3,
				 d->devfn & 7);
		else
			log_warn("dmar device %04x:%02x:%02x.%x is under unit %u, which is "
				 "unusable: it can DMA anywhere in memory", d->seg, d->bus,
				 d->devfn >> 3, d->devfn & 7, u->index);
	}
	return uncovered;
}

/* "1c.0/00.0" */
static void format_path(char *buf, size_t size, const struct dmar_scope *s)
{
	size_t n = 0;

	buf[0] = '\0';
	for (unsigned i = 0; i < s->hops && i < DMAR_MAX_HOPS && n < size; i++)
		n += (size_t)shoji_snprintf(buf + n, size - n, "%s%02x.%x", i ? "/" : "",
					    s->path[i].dev, s->path[i].fn);
	if (s->hops > DMAR_MAX_HOPS && n < size)
		shoji_snprintf(buf + n, size - n, "/...");
}

static void print_scopes(const struct dmar_info *info, uint16_t first, uint16_t count)
{
	for (uint16_t i = 0; i < count; i++) {
		const struct dmar_scope *s = dmar_scope_at(info, first, i);
		const struct dmar_andd *andd = NULL;
		char path[DMAR_MAX_HOPS * 5 + 8], id[16] = "", bdf[16], start[16] = "";
		char range[24] = "", why[64] = "", flags[16] = "", name[DMAR_ANDD_NAME_MAX + 8] = "";

		format_path(path, sizeof(path), s);
		if (s->type == DMAR_SCOPE_IOAPIC || s->type == DMAR_SCOPE_HPET ||
		    s->type == DMAR_SCOPE_ACPI)
			shoji_snprintf(id, sizeof(id), " id=%u", s->enum_id);
		if (s->resolved)
			shoji_snprintf(bdf, sizeof(bdf), "%02x:%02x.%x", s->bus, s->devfn >> 3,
				       s->devfn & 7);
		else
			shoji_snprintf(bdf, sizeof(bdf), "unresolved");
		if (!s->resolved || s->hops > 1)
			shoji_snprintf(start, sizeof(start), " start_bus=%02x", s->start_bus);
		if (s->type == DMAR_SCOPE_BRIDGE && s->resolved) {
			if (s->bus_range)
				shoji_snprintf(range, sizeof(range), " buses=%02x-%02x", s->sec_bus,
					       s->sub_bus);
			else
				shoji_snprintf(range, sizeof(range), " buses=unknown");
		}
		if (s->unresolved)
			shoji_snprintf(why, sizeof(why), " why=\"%s\"", s->unresolved);
		if (s->flags)
			shoji_snprintf(flags, sizeof(flags), " flags=0x%x", s->flags);
		if (s->type == DMAR_SCOPE_ACPI && (andd = find_andd(info, s->enum_id)))
			shoji_snprintf(name, sizeof(name), " name=%s", andd->name);
		log_info("dmar   scope type=%s%s bdf=%s%s path=%s%s%s%s%s",
			 dmar_scope_type_name(s->type), id, bdf, start, path, range, name, flags, why);
	}
}

/* One word for the verdict line (err_str() has spaces). */
static const char *err_token(int err)
{
	switch (err) {
	case E_INVAL: return "invalid";
	case E_CHECKSUM: return "checksum";
	case E_NOENT: return "no_unit";
	case E_RANGE: return "limit";
	default: return "other";
	}
}

void dmar_print(const struct dmar_info *info)
{
	log_info("dmar table length=%u revision=%u oem=%s oem_table=%s oem_revision=0x%x "
		 "creator=%s creator_revision=0x%x", info->length, info->revision, info->oem_id,
		 info->oem_table_id, info->oem_revision, info->creator_id,
		 info->creator_revision);
	log_info("dmar haw=%u flags=0x%x intr_remap=%s x2apic_opt_out=%s dma_ctrl_opt_in=%s",
		 info->haw, info->flags, info->intr_remap ? "yes" : "no",
		 info->x2apic_opt_out ? "yes" : "no", info->dma_ctrl_opt_in ? "yes" : "no");
	for (unsigned i = 0; i < info->nunits; i++) {
		const struct dmar_unit *u = &info->units[i];
		char extra[96] = "";
		size_t n = 0;

		if (u->flags & ~DMAR_DRHD_INCLUDE_PCI_ALL)
			n += (size_t)shoji_snprintf(extra + n, sizeof(extra) - n, " flags=0x%x",
						    u->flags);
		if (u->has_proximity && n < sizeof(extra))
			n += (size_t)shoji_snprintf(extra + n, sizeof(extra) - n, " proximity=%u",
						    u->proximity);
		if (u->dup_of >= 0 && n < sizeof(extra))
			n += (size_t)shoji_snprintf(extra + n, sizeof(extra) - n, " duplicate_of=%d",
						    u->dup_of);
		if (!u->usable && n < sizeof(extra))
			shoji_snprintf(extra + n, sizeof(extra) - n, " usable=no");
		log_info("dmar drhd unit=%u base=0x%llx segment=%u size=%llu include_all=%s "
			 "scopes=%u%s", i, (unsigned long long)u->base, u->segment,
			 (unsigned long long)u->size, u->include_all ? "yes" : "no", u->nscopes,
			 extra);
		print_scopes(info, u->first_scope, u->nscopes);
	}
	for (unsigned i = 0; i < info->nrmrrs; i++) {
		const struct dmar_rmrr *r = &info->rmrrs[i];

		log_info("dmar rmrr base=0x%llx limit=0x%llx segment=%u scopes=%u%s",
			 (unsigned long long)r->base, (unsigned long long)r->limit, r->segment,
			 r->nscopes, r->valid ? "" : " valid=no");
		print_scopes(info, r->first_scope, r->nscopes);
	}
	for (unsigned i = 0; i < info->natsrs; i++) {
		const struct dmar_atsr *a = &info->atsrs[i];

		log_info("dmar atsr all_ports=%s segment=%u scopes=%u", a->all_ports ? "yes" : "no",
			 a->segment, a->nscopes);
		print_scopes(info, a->first_scope, a->nscopes);
	}
	for (unsigned i = 0; i < info->nrhsas; i++) {
		const struct dmar_rhsa *r = &info->rhsas[i];
		char unit[16];

		if (r->unit >= 0)
			shoji_snprintf(unit, sizeof(unit), "%d", r->unit);
		else
			shoji_snprintf(unit, sizeof(unit), "none");
		log_info("dmar rhsa base=0x%llx proximity=%u unit=%s", (unsigned long long)r->base,
			 r->proximity, unit);
	}
	for (unsigned i = 0; i < info->nandds; i++)
		log_info("dmar andd number=%u name=%s", info->andds[i].number, info->andds[i].name);
	for (unsigned i = 0; i < info->nsatcs; i++) {
		const struct dmar_satc *s = &info->satcs[i];

		log_info("dmar satc flags=0x%x atc_required=%s segment=%u scopes=%u", s->flags,
			 s->atc_required ? "yes" : "no", s->segment, s->nscopes);
		print_scopes(info, s->first_scope, s->nscopes);
	}
	if (info->nno_topology)
		log_info("dmar note: %u scope(s) not resolved: no live PCI topology was given, so "
			 "multi-hop paths are shown as paths and bridge bus ranges are unknown",
			 info->nno_topology);
	log_info("dmar summary units=%u rmrrs=%u atsrs=%u rhsas=%u andds=%u satcs=%u scopes=%u "
		 "unknown=%u dropped=%u warnings=%u", info->nunits, info->nrmrrs, info->natsrs,
		 info->nrhsas, info->nandds, info->nsatcs, info->nscopes, info->nunknown,
		 info->ndropped, info->warnings);
	if (info->usable)
		log_info("dmar usable=yes");
	else
		log_info("dmar usable=no error=%s malformed=%s reason=\"%s\"", err_token(info->error),
			 info->malformed ? "yes" : "no", info->reason);
}
