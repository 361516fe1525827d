/* Unit tests: EPT entries and the range mapper (vmm/ept), checked by a walker
 * written here from the SDM (vol. 3C, 29.3.2 "EPT translation mechanism"
 * and 29.3.3 "EPT-induced VM exits"), not from ept.c: it reads the tables
 * as the CPU would (4 levels, bits 47:39/38:30/29:21/20:12 of the
 * guest-physical address, bit 7 = page at the PDPTE/PDE levels, reserved
 * bits, memory types) and reports a translation, an EPT violation or an EPT
 * misconfiguration. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "lib/error.h"
#include "lib/hal.h"
#include "vmm/ept.h"
#include "vmm/ept_guest.h"
#include "vmm/mmio_emul.h"
#include "vmm/protect.h"
#include "vmm/vmx_caps.h"

enum walk_result { WALK_OK, WALK_VIOLATION, WALK_MISCONFIG };

struct walk {
	enum walk_result result;
	uint64_t hpa;
	unsigned level;		/* of the leaf: 1 = 4 KiB, 2 = 2 MiB, 3 = 1 GiB */
	unsigned memtype;
	unsigned perms;		/* R=1 W=2 X=4 of the leaf ANDed with the tables' */
};

/* Bits 51:MAXPHYADDR of an entry are reserved. 48, not a CPU's 39-46:
 * here physical addresses are host pointers, which use 47 bits. */
#define MAXPHYADDR 48

/* Reserved bits of an entry that is present (29.3.2, tables 29-1..29-6). */
static bool reserved_set(uint64_t e, unsigned level, bool leaf)
{
	uint64_t rsvd = ((1ULL << 52) - 1) & ~((1ULL << MAXPHYADDR) - 1);

	if (level == 4)
		rsvd |= 0xf8;			/* bits 7:3 */
	else if (!leaf)
		rsvd |= 0x78;			/* bits 6:3 (bit 7 = 0 here) */
	else if (level == 3)
		rsvd |= 0x3ffff000;		/* bits 29:12 of a 1 GiB page */
	else if (level == 2)
		rsvd |= 0x1ff000;		/* bits 20:12 of a 2 MiB page */
	return (e & rsvd) != 0;
}

static struct walk walk(paddr_t root, uint64_t gpa, unsigned access)
{
	struct walk w = { .result = WALK_OK, .perms = 7 };
	uint64_t table = root;

	for (unsigned level = 4; level >= 1; level--) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t e = ((uint64_t *)(uintptr_t)table)[(gpa >> shift) & 511];
		unsigned rwx = (unsigned)(e & 7);
		bool leaf = level == 1 || ((level == 2 || level == 3) && (e & (1ULL << 7)));

		if (rwx == 0) {
			w.result = WALK_VIOLATION;	/* not present */
			return w;
		}
		/* Write without read, or execute-only on a CPU without it
		 * (this walker models one without): misconfiguration. */
		if ((rwx & 2 && !(rwx & 1)) || rwx == 4 || reserved_set(e, level, leaf)) {
			w.result = WALK_MISCONFIG;
			return w;
		}
		w.perms &= rwx;
		if (leaf) {
			unsigned mt = (unsigned)(e >> 3) & 7;
			uint64_t off = gpa & ((1ULL << shift) - 1);

			if (mt == 2 || mt == 3 || mt == 7) {
				w.result = WALK_MISCONFIG;
				return w;
			}
			w.level = level;
			w.memtype = mt;
			w.hpa = (e & ((1ULL << MAXPHYADDR) - 1) & ~((1ULL << shift) - 1)) | off;
			if ((access & w.perms) != access)
				w.result = WALK_VIOLATION;
			return w;
		}
		table = e & ((1ULL << MAXPHYADDR) - 1) & ~0xfffULL;
	}
	return w;	/* not reached: level 1 is always a leaf */
}

static void test_entries(void **state)
{
	uint64_t e;

	(void)state;
	assert_int_equal(ept_leaf_entry(0x1234000, 1, EPT_R | EPT_W | EPT_X, EPT_MT_WB, &e), 0);
	assert_int_equal(e, 0x1234000ULL | 7 | (6 << 3));
	assert_int_equal(ept_leaf_entry(0x40000000, 3, EPT_R, EPT_MT_UC, &e), 0);
	assert_int_equal(e, 0x40000000ULL | 1 | (1 << 7));
	assert_int_equal(ept_leaf_entry(0x200000, 2, EPT_R | EPT_W, EPT_MT_WC, &e), 0);
	assert_int_equal(e, 0x200000ULL | 3 | (1 << 3) | (1 << 7));
	assert_int_equal(ept_table_entry(0xabc000), 0xabc007ULL);
	/* refusals: alignment, level, W/X without R, reserved memory types */
	assert_int_equal(ept_leaf_entry(0x1000, 2, EPT_R, EPT_MT_WB, &e), E_INVAL);
	assert_int_equal(ept_leaf_entry(0x200000, 3, EPT_R, EPT_MT_WB, &e), E_INVAL);
	assert_int_equal(ept_leaf_entry(0x1000, 4, EPT_R, EPT_MT_WB, &e), E_INVAL);
	assert_int_equal(ept_leaf_entry(0x1000, 0, EPT_R, EPT_MT_WB, &e), E_INVAL);
	assert_int_equal(ept_leaf_entry(0x1000, 1, EPT_W, EPT_MT_WB, &e), E_INVAL);
	assert_int_equal(ept_leaf_entry(0x1000, 1, EPT_X, EPT_MT_WB, &e), E_INVAL);
	assert_int_equal(ept_leaf_entry(0x1000, 1, 1ULL << 8, EPT_MT_WB, &e), E_INVAL);
	for (unsigned mt = 0; mt < 8; mt++) {
		int rc = ept_leaf_entry(0x1000, 1, EPT_R, mt, &e);

		assert_int_equal(rc, (mt == 2 || mt == 3 || mt == 7) ? E_INVAL : 0);
	}
	assert_int_equal(ept_leaf_entry(1ULL << 52, 1, EPT_R, EPT_MT_WB, &e), E_INVAL);
}

/* The reference the walker is compared with: what was asked for. */
struct region {
	uint64_t gpa, hpa, size, perms;
	unsigned memtype;
};

static const struct region *find(const struct region *r, unsigned n, uint64_t gpa)
{
	for (unsigned i = 0; i < n; i++)
		if (gpa >= r[i].gpa && gpa < r[i].gpa + r[i].size)
			return &r[i];
	return NULL;
}

static unsigned max_level(const struct ept *e, const struct region *r, uint64_t gpa)
{
	/* The largest page that fits the region around gpa with both
	 * addresses aligned: what the mapper should have chosen. */
	for (unsigned level = 3; level > 1; level--) {
		uint64_t ps = 1ULL << (12 + 9 * (level - 1));
		uint64_t base = gpa & ~(ps - 1);

		if ((level == 3 && !e->use_1g) || (level == 2 && !e->use_2m))
			continue;
		if (base >= r->gpa && base + ps <= r->gpa + r->size &&
		    !((r->hpa + (base - r->gpa)) & (ps - 1)))
			return level;
	}
	return 1;
}

/* A guest map like the back-end's: RAM write-back RWX with 1 GiB pages,
 * a hypervisor hole left unmapped, a stand-in zero page read-only and
 * not executable, a sink page RW not executable, MMIO uncached RW, and a
 * region whose gpa and hpa differ (no large page possible). */
static void check_map(bool use_2m, bool use_1g)
{
	const struct region regs[] = {
		{ 0x0, 0x0, 0x3be00000, EPT_R | EPT_W | EPT_X, EPT_MT_WB },	/* RAM below the region */
		{ 0x3be00000, 0x7000000, 0x1000, EPT_R, EPT_MT_WB },		/* zero stand-in */
		{ 0x3be01000, 0x7001000, 0x1000, EPT_R | EPT_W, EPT_MT_WB },	/* sink stand-in */
		/* 0x3be02000..0x40000000: hypervisor region, unmapped */
		{ 0x40000000, 0x40000000, 0x80000000, EPT_R | EPT_W | EPT_X, EPT_MT_WB },
		{ 0xfebf0000, 0xfebf0000, 0x10000, EPT_R | EPT_W, EPT_MT_UC },	/* MMIO */
		{ 0x100000000ULL, 0x100200000ULL, 0x40000000, EPT_R | EPT_W | EPT_X, EPT_MT_WB },
		{ 0x200003000ULL, 0x300005000ULL, 0x5000, EPT_R | EPT_X, EPT_MT_WT },
	};
	const unsigned n = sizeof(regs) / sizeof(regs[0]);
	struct ept e;

	assert_int_equal(ept_init(&e, use_2m, use_1g), 0);
	for (unsigned i = 0; i < n; i++)
		assert_int_equal(ept_map(&e, regs[i].gpa, regs[i].hpa, regs[i].size, regs[i].perms,
					 regs[i].memtype), 0);
	srand(use_2m * 2 + use_1g);
	for (int i = 0; i < 100000; i++) {
		uint64_t gpa;
		const struct region *r;
		struct walk w;

		/* probe near the edges of regions as often as inside them */
		if (i & 1) {
			const struct region *b = &regs[(unsigned)rand() % n];

			gpa = (rand() & 1 ? b->gpa : b->gpa + b->size) +
			      (uint64_t)((rand() % 0x4000) - 0x2000);
		} else {
			gpa = ((uint64_t)rand() << 16 ^ (uint64_t)rand()) % 0x240000000ULL;
		}
		r = find(regs, n, gpa);
		w = walk(e.root, gpa, 0);
		if (!r) {
			assert_int_equal(w.result, WALK_VIOLATION);
			continue;
		}
		assert_int_equal(w.result, WALK_OK);
		assert_int_equal(w.hpa, r->hpa + (gpa - r->gpa));
		assert_int_equal(w.memtype, r->memtype);
		assert_int_equal(w.perms, (unsigned)r->perms);
		assert_int_equal(w.level, max_level(&e, r, gpa));
		/* every access the region does not grant is a violation:
		 * no execution on the stand-in pages, no write to the zero page */
		for (unsigned a = 1; a <= 4; a <<= 1)
			assert_int_equal(walk(e.root, gpa, a).result,
					 (r->perms & a) ? WALK_OK : WALK_VIOLATION);
	}
	ept_free(&e);
}

static void test_map_with_large_pages(void **state)
{
	(void)state;
	check_map(true, true);
}

static void test_map_2m_only(void **state)
{
	(void)state;
	check_map(true, false);
}

static void test_map_4k_only(void **state)
{
	(void)state;
	check_map(false, false);
}

static void test_map_refusals(void **state)
{
	struct ept e;

	(void)state;
	assert_int_equal(ept_init(&e, true, true), 0);
	assert_int_equal(ept_map(&e, 0x0, 0x0, 0x40000000, EPT_R | EPT_W, EPT_MT_WB), 0);
	/* overlaps: inside a 1 GiB leaf, and a large page over a table */
	assert_int_equal(ept_map(&e, 0x1000, 0x1000, 0x1000, EPT_R, EPT_MT_WB), E_BUSY);
	assert_int_equal(ept_map(&e, 0x40001000, 0x0, 0x1000, EPT_R, EPT_MT_WB), 0);
	assert_int_equal(ept_map(&e, 0x40000000, 0x0, 0x200000, EPT_R, EPT_MT_WB), E_BUSY);
	assert_int_equal(ept_map(&e, 0x40001000, 0x0, 0x1000, EPT_R, EPT_MT_WB), E_BUSY);
	/* bad arguments */
	assert_int_equal(ept_map(&e, 0x80000800, 0x0, 0x1000, EPT_R, EPT_MT_WB), E_INVAL);
	assert_int_equal(ept_map(&e, 0x80000000, 0x0, 0x0, EPT_R, EPT_MT_WB), E_INVAL);
	assert_int_equal(ept_map(&e, 0x80000000, 0x0, 0x1000, 0, EPT_MT_WB), E_INVAL);
	assert_int_equal(ept_map(&e, 0x80000000, 0x0, 0x1000, EPT_W, EPT_MT_WB), E_INVAL);
	assert_int_equal(ept_map(&e, 0x80000000, 0x0, 0x1000, EPT_R, 2), E_INVAL);
	assert_int_equal(ept_map(&e, (1ULL << 48) - 0x1000, 0x0, 0x2000, EPT_R, EPT_MT_WB),
			 E_INVAL);
	assert_int_equal(ept_map(&e, ~0xfffULL, 0x0, 0x2000, EPT_R, EPT_MT_WB), E_INVAL);
	assert_int_equal(walk(e.root, 0x80000000, 0).result, WALK_VIOLATION);
	ept_free(&e);
}

/* The walker itself catches what it must (so its agreement above means
 * something): a write-only entry, a reserved memory type, reserved bits. */
static void test_walker_misconfig(void **state)
{
	struct ept e;
	uint64_t *pml4, *pdpt;

	(void)state;
	assert_int_equal(ept_init(&e, true, true), 0);
	assert_int_equal(ept_map(&e, 0x0, 0x0, 0x40000000, EPT_R, EPT_MT_WB), 0);
	pml4 = hal_phys_to_virt(e.root);
	pdpt = hal_phys_to_virt(pml4[0] & EPT_ADDR);
	assert_int_equal(walk(e.root, 0x1234, 1).result, WALK_OK);
	pdpt[0] = (pdpt[0] & ~EPT_PERM_MASK) | EPT_W;
	assert_int_equal(walk(e.root, 0x1234, 0).result, WALK_MISCONFIG);
	pdpt[0] = (pdpt[0] & ~(EPT_PERM_MASK | (7ULL << 3))) | EPT_R | (2ULL << 3);
	assert_int_equal(walk(e.root, 0x1234, 0).result, WALK_MISCONFIG);
	pdpt[0] = (pdpt[0] & ~(7ULL << 3)) | (6ULL << 3) | 0x1000;
	assert_int_equal(walk(e.root, 0x1234, 0).result, WALK_MISCONFIG);
	ept_free(&e);
}

/* The EPTP the VMCS gets points at this root (vmx_caps). */
static void test_eptp_of_map(void **state)
{
	struct ept e;

	(void)state;
	assert_int_equal(ept_init(&e, false, false), 0);
	assert_int_equal(vmx_eptp(e.root) & EPT_ADDR, e.root);
	assert_int_equal(vmx_eptp(e.root) & 0xfff, 0x1e);
	ept_free(&e);
}

/* ---- the guest's map from the registry (vmm/ept_guest) ---- */

static uint64_t dummy_read(void *ctx, uint64_t gpa, int size)
{
	(void)ctx, (void)gpa, (void)size;
	return 0;
}

static void dummy_write(void *ctx, uint64_t gpa, int size, uint64_t v)
{
	(void)ctx, (void)gpa, (void)size, (void)v;
}

static const struct mmio_ops dummy_ops = { .read = dummy_read, .write = dummy_write };

#define HV 0x3be00000ULL		/* hypervisor region, to 0x40000000 */
#define ECAM 0xe0000000ULL		/* a read-only window (writes forbidden) */
#define IOAPIC 0xfec00000ULL		/* emulated, reads and writes trap */
#define LAPIC 0xfee00000ULL		/* emulated writes, reads pass */
#define TOP 0x140000000ULL

/* A machine like Bochs' with 2 GiB: e820 RAM with a partial page at the
 * end of low memory, ROM and ACPI areas. */
static void guest_registry(struct memmap *m)
{
	protect_reset();
	assert_int_equal(protect_add(HV, 0x40000000, PROTECT_ALL, "hypervisor-region"), 0);
	assert_int_equal(protect_add(ECAM, ECAM + 0x10000000, PROTECT_CPU_WRITE, "ecam"), 0);
	assert_int_equal(protect_add_emulated(IOAPIC, IOAPIC + 0x1000, PROTECT_CPU, "ioapic",
					      &dummy_ops, NULL, PCI_BDF(0, 0, 0, 0), -1), 0);
	assert_int_equal(protect_add_emulated(LAPIC, LAPIC + 0x100000,
					      PROTECT_CPU_WRITE | PROTECT_CPU_EXEC, "local-apic",
					      &dummy_ops, NULL, PCI_BDF(0, 0, 0, 0), -1), 0);
	*m = (struct memmap){ .n = 5 };
	m->r[0] = (struct mem_range){ 0, 0x9fc00, MEM_USABLE };
	m->r[1] = (struct mem_range){ 0x9fc00, 0xa0000, MEM_RESERVED };
	m->r[2] = (struct mem_range){ 0xf0000, 0x100000, MEM_RESERVED };
	m->r[3] = (struct mem_range){ 0x100000, 0x7fe00000, MEM_USABLE };
	m->r[4] = (struct mem_range){ 0x7fe00000, 0x7ff00000, MEM_ACPI_RECLAIM };
}

/* What the map must give page gpa, written from ept_guest.h's rules. */
static void expected(uint64_t gpa, enum walk_result *res, unsigned *perms, unsigned *mt)
{
	bool ram = gpa < 0x9f000 || (gpa >= 0x100000 && gpa < 0x7ff00000);

	*res = WALK_OK;
	*mt = ram ? EPT_MT_WB : EPT_MT_UC;
	*perms = 7;
	if (gpa >= TOP || (gpa >= HV && gpa < 0x40000000) ||
	    (gpa >= IOAPIC && gpa < IOAPIC + 0x1000))
		*res = WALK_VIOLATION;
	else if (gpa >= ECAM && gpa < ECAM + 0x10000000)
		*perms = 5;	/* R, X */
	else if (gpa >= LAPIC && gpa < LAPIC + 0x100000)
		*perms = 1;	/* R */
}

static void check_guest_map(bool use_2m, bool use_1g)
{
	const uint64_t edges[] = { 0, 0x9f000, 0xa0000, 0xf0000, 0x100000, HV, 0x40000000,
				   0x7fe00000, 0x7ff00000, 0x80000000, ECAM, ECAM + 0x10000000, IOAPIC,
				   IOAPIC + 0x1000, LAPIC, LAPIC + 0x100000, TOP };
	struct memmap m;
	struct ept_guest g;

	guest_registry(&m);
	assert_int_equal(ept_guest_build(&g, &m, TOP, use_2m, use_1g), 0);
	srand(7 + use_2m * 2 + use_1g);
	for (int i = 0; i < 60000; i++) {
		uint64_t gpa = (i & 1) ? edges[(unsigned)rand() % ARRAY_SIZE(edges)] +
					 (uint64_t)((rand() % 0x6000) - 0x3000)
				       : ((uint64_t)rand() << 16 ^ (uint64_t)rand()) % (TOP + 0x1000000);
		enum walk_result res;
		unsigned perms, mt;
		struct walk w;

		gpa &= (1ULL << 40) - 1;
		expected(gpa & ~0xfffULL, &res, &perms, &mt);
		w = walk(g.ept.root, gpa, 0);
		assert_int_equal(w.result, res);
		if (res != WALK_OK)
			continue;
		assert_int_equal(w.hpa, gpa);
		assert_int_equal(w.perms, perms);
		assert_int_equal(w.memtype, mt);
	}
	/* Large pages where the layout allows them: RAM from 1 GiB is 2 MiB
	 * pages (it ends at 0x7ff00000), above the map 1 GiB ones. */
	assert_int_equal(walk(g.ept.root, 0x50000000, 0).level, use_2m ? 2 : 1);
	assert_int_equal(walk(g.ept.root, 0x90000000, 0).level, use_1g ? 3 : use_2m ? 2 : 1);
	assert_int_equal(walk(g.ept.root, 0x9f000, 0).level, 1);
	ept_guest_free(&g);
}

static void test_guest_map_1g(void **state)
{
	(void)state;
	check_guest_map(true, true);
}

static void test_guest_map_4k(void **state)
{
	(void)state;
	check_guest_map(false, false);
}

/* The guest's first touch of a protected page: a read gets the zero page
 * read-only, a write (then) the sink, never executable; a fetch stops the
 * guest; emulated ranges and plain RAM are not stand-in business. */
static void test_guest_violations(void **state)
{
	struct memmap m;
	struct ept_guest g;
	struct walk w;

	(void)state;
	guest_registry(&m);
	assert_int_equal(ept_guest_build(&g, &m, TOP, true, true), 0);
	assert_int_equal(ept_guest_violation(&g, HV + 0x5123, false, false), EPT_GUEST_HANDLED);
	w = walk(g.ept.root, HV + 0x5123, 1);
	assert_int_equal(w.result, WALK_OK);
	assert_int_equal(w.hpa, g.zero_page + 0x123);
	assert_int_equal(w.perms, 1);
	assert_int_equal(walk(g.ept.root, HV + 0x5123, 2).result, WALK_VIOLATION);
	assert_int_equal(walk(g.ept.root, HV + 0x6000, 1).result, WALK_VIOLATION);
	assert_int_equal(ept_guest_violation(&g, HV + 0x5008, true, false), EPT_GUEST_HANDLED);
	w = walk(g.ept.root, HV + 0x5008, 2);
	assert_int_equal(w.result, WALK_OK);
	assert_int_equal(w.hpa, g.sink_page + 0x8);
	assert_int_equal(w.perms, 3);
	assert_int_equal(walk(g.ept.root, HV + 0x5008, 4).result, WALK_VIOLATION);
	assert_int_equal(g.touches, 2);
	assert_int_equal(ept_guest_violation(&g, HV + 0x9000, false, true), EPT_GUEST_EXEC);
	assert_int_equal(ept_guest_violation(&g, IOAPIC + 0x10, true, false),
			 EPT_GUEST_UNEXPECTED);
	assert_int_equal(ept_guest_violation(&g, 0x200000, true, false), EPT_GUEST_UNEXPECTED);
	assert_int_equal(ept_guest_violation(&g, TOP + 0x1000, false, false),
			 EPT_GUEST_UNEXPECTED);
	assert_non_null(ept_guest_mmio_range(LAPIC + 0x300));
	assert_string_equal(ept_guest_mmio_range(IOAPIC + 0xff0)->what, "ioapic");
	assert_null(ept_guest_mmio_range(HV));
	assert_null(ept_guest_mmio_range(0x1000));
	ept_guest_free(&g);
}

/* ept_set_4k replaces a 4 KiB leaf, creates the tables to it, and refuses
 * to split a large page; ept_lookup finds leaves at any level. */
static void test_set_4k_and_lookup(void **state)
{
	struct ept e;
	unsigned level = 0;

	(void)state;
	assert_int_equal(ept_init(&e, true, true), 0);
	assert_int_equal(ept_map(&e, 0x0, 0x0, 0x40000000, EPT_R | EPT_W, EPT_MT_WB), 0);
	assert_int_equal(ept_set_4k(&e, 0x1000, 0x5000, EPT_R, EPT_MT_WB), E_BUSY);
	assert_int_equal(ept_lookup(&e, 0x1234, &level) & EPT_ADDR, 0);
	assert_int_equal(level, 3);
	assert_int_equal(ept_set_4k(&e, 0x80003000, 0x7000, EPT_R, EPT_MT_WB), 0);
	assert_int_equal(walk(e.root, 0x80003010, 1).hpa, 0x7010);
	assert_int_equal(ept_set_4k(&e, 0x80003000, 0x9000, EPT_R | EPT_W, EPT_MT_UC), 0);
	assert_int_equal(walk(e.root, 0x80003010, 2).hpa, 0x9010);
	assert_int_equal(walk(e.root, 0x80003010, 2).memtype, EPT_MT_UC);
	assert_int_equal(ept_lookup(&e, 0x80003fff, &level) & EPT_ADDR, 0x9000);
	assert_int_equal(level, 1);
	assert_int_equal(ept_lookup(&e, 0x80004000, &level), 0);
	assert_int_equal(ept_set_4k(&e, 0x80005000, 0x9000, EPT_W, EPT_MT_WB), E_INVAL);
	assert_int_equal(ept_set_4k(&e, 0x80005800, 0x9000, EPT_R, EPT_MT_WB), E_INVAL);
	assert_int_equal(ept_set_4k(&e, 0x80005000, 0x9000, EPT_R, 2), E_INVAL);
	ept_free(&e);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_entries),
		cmocka_unit_test(test_map_with_large_pages),
		cmocka_unit_test(test_map_2m_only),
		cmocka_unit_test(test_map_4k_only),
		cmocka_unit_test(test_map_refusals),
		cmocka_unit_test(test_walker_misconfig),
		cmocka_unit_test(test_eptp_of_map),
		cmocka_unit_test(test_set_4k_and_lookup),
		cmocka_unit_test(test_guest_map_1g),
		cmocka_unit_test(test_guest_map_4k),
		cmocka_unit_test(test_guest_violations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
