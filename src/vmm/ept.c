/* EPT entries and mapper (see ept.h). */
#include "lib/error.h"
#include "lib/hal.h"
#include "vmm/ept.h"

#define ENTRIES 512u
#define GPA_LIMIT (1ULL << 48)	/* a 4-level walk translates 48 bits */

static uint64_t page_size(unsigned level)
{
	return 1ULL << (12 + 9 * (level - 1));
}

static unsigned index_at(uint64_t gpa, unsigned level)
{
	return (unsigned)(gpa >> (12 + 9 * (level - 1))) & (ENTRIES - 1);
}

uint64_t ept_table_entry(paddr_t table)
{
	return (table & EPT_ADDR) | EPT_R | EPT_W | EPT_X;
}

static bool memtype_valid(unsigned mt)
{
	return mt == EPT_MT_UC || mt == EPT_MT_WC || mt == EPT_MT_WT || mt == EPT_MT_WP ||
	       mt == EPT_MT_WB;
}

int ept_leaf_entry(paddr_t pa, unsigned level, uint64_t perms, unsigned memtype,
		   uint64_t *entry)
{
	if (level < 1 || level > 3 || (perms & ~EPT_PERM_MASK) || !memtype_valid(memtype))
		return E_INVAL;
	/* Write or execute without read: a misconfiguration (W) or
	 * execute-only, which not every CPU has (29.3.3.1). */
	if (perms && !(perms & EPT_R))
		return E_INVAL;
	if ((pa & (page_size(level) - 1)) || (pa & ~EPT_ADDR))
		return E_INVAL;
	*entry = pa | perms | ((uint64_t)memtype << EPT_MEMTYPE_SHIFT) |
		 (level > 1 ? EPT_LARGE : 0);
	return 0;
}

static paddr_t new_table(struct ept *e)
{
	void *p = hal_page_alloc();

	if (!p)
		return 0;
	e->tables++;
	return hal_virt_to_phys(p);
}

int ept_init(struct ept *e, bool use_2m, bool use_1g)
{
	*e = (struct ept){ .use_2m = use_2m, .use_1g = use_1g };
	e->root = new_table(e);
	return e->root ? 0 : E_NOMEM;
}

static bool level_allowed(const struct ept *e, unsigned level)
{
	return level == 1 || (level == 2 && e->use_2m) || (level == 3 && e->use_1g);
}

/* The largest level whose page starts at gpa and hpa and fits the rest. */
static unsigned leaf_level(const struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t left)
{
	for (unsigned level = 3; level > 1; level--) {
		uint64_t ps = page_size(level);

		if (level_allowed(e, level) && !(gpa & (ps - 1)) && !(hpa & (ps - 1)) && left >= ps)
			return level;
	}
	return 1;
}

/* Maps one page at `level`: walks down, creating tables; an entry already
 * present on the way (a leaf where a table is needed, or the slot itself)
 * is an overlap. */
static int map_one(struct ept *e, uint64_t gpa, uint64_t hpa, unsigned level, uint64_t perms,
		   unsigned memtype)
{
	uint64_t *t = hal_phys_to_virt(e->root);
	uint64_t leaf;
	int rc = ept_leaf_entry(hpa, level, perms, memtype, &leaf);

	if (rc)
		return rc;
	for (unsigned l = EPT_LEVELS; l > level; l--) {
		uint64_t *slot = &t[index_at(gpa, l)];

		if (!*slot) {
			paddr_t n = new_table(e);

			if (!n)
				return E_NOMEM;
			*slot = ept_table_entry(n);
		} else if (*slot & EPT_LARGE) {
			return E_BUSY;	/* a large page covers gpa already */
		}
		t = hal_phys_to_virt(*slot & EPT_ADDR);
	}
	/* Occupied: a leaf, or (for a large page) a table of smaller ones. */
	if (t[index_at(gpa, level)])
		return E_BUSY;
	t[index_at(gpa, level)] = leaf;
	return 0;
}

int ept_map(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t size, uint64_t perms,
	    unsigned memtype)
{
	/* Holes are left unmapped (entry 0, an EPT violation on access), not
	 * mapped with no permissions. */
	if (!size || !(perms & EPT_R) || ((gpa | hpa | size) & (EPT_PAGE_4K - 1)) || gpa + size < gpa ||
	    gpa + size > GPA_LIMIT || hpa + size < hpa || hpa + size > (EPT_ADDR + EPT_PAGE_4K))
		return E_INVAL;
	while (size) {
		unsigned level = leaf_level(e, gpa, hpa, size);
		int rc = map_one(e, gpa, hpa, level, perms, memtype);

		if (rc)
			return rc;
		gpa += page_size(level);
		hpa += page_size(level);
		size -= page_size(level);
	}
	return 0;
}

int ept_set_4k(struct ept *e, uint64_t gpa, uint64_t hpa, uint64_t perms, unsigned memtype)
{
	uint64_t *t = hal_phys_to_virt(e->root);
	uint64_t leaf;
	int rc;

	if (!(perms & EPT_R) || gpa >= GPA_LIMIT || (gpa & (EPT_PAGE_4K - 1)))
		return E_INVAL;
	rc = ept_leaf_entry(hpa, 1, perms, memtype, &leaf);
	if (rc)
		return rc;
	for (unsigned l = EPT_LEVELS; l > 1; l--) {
		uint64_t *slot = &t[index_at(gpa, l)];

		if (!*slot) {
			paddr_t n = new_table(e);

			if (!n)
				return E_NOMEM;
			*slot = ept_table_entry(n);
		} else if (*slot & EPT_LARGE) {
			return E_BUSY;
		}
		t = hal_phys_to_virt(*slot & EPT_ADDR);
	}
	t[index_at(gpa, 1)] = leaf;
	return 0;
}

uint64_t ept_lookup(const struct ept *e, uint64_t gpa, unsigned *level)
{
	const uint64_t *t = hal_phys_to_virt(e->root);

	for (unsigned l = EPT_LEVELS; l >= 1; l--) {
		uint64_t v = t[index_at(gpa, l)];

		if (!(v & EPT_PERM_MASK))
			return 0;
		if (l == 1 || (v & EPT_LARGE)) {
			if (level)
				*level = l;
			return v;
		}
		t = hal_phys_to_virt(v & EPT_ADDR);
	}
	return 0;
}

static void free_table(paddr_t table, unsigned level)
{
	uint64_t *t = hal_phys_to_virt(table);

	if (level > 1)
		for (unsigned i = 0; i < ENTRIES; i++)
			if ((t[i] & EPT_PERM_MASK) && !(t[i] & EPT_LARGE))
				free_table(t[i] & EPT_ADDR, level - 1);
	hal_page_free(t);
}

void ept_free(struct ept *e)
{
	if (e->root)
		free_table(e->root, EPT_LEVELS);
	*e = (struct ept){ 0 };
}
