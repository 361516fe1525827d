/* Unit tests for src/platform/pci.c and pci_cfg.c.
 *
 * The fake hardware: a model of config space per function (4 KiB, with
 * register semantics: read-only header fields, BARs whose address bits
 * below their size are hardwired 0, a command register, read-only status,
 * writable bridge bus numbers), reached two ways:
 *  - CF8/CFC through host/host.h's host_io hooks;
 *  - ECAM: a PROT_NONE mapping registered with pci_add_ecam() (the host HAL
 *    maps physical == virtual). An access faults (SIGSEGV); the handler
 *    renders the function's model into the page, opens it and sets the
 *    trap flag; after the one instruction (SIGTRAP) every changed dword is
 *    applied to the model as a write and the page is closed again. So ECAM
 *    reads and writes see hardware behaviour (BAR size masks) too. */
#define _GNU_SOURCE
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <cmocka.h>

#include "host/host.h"
#include "lib/error.h"
#include "iommu/irq_remap.h"
#include "platform/pci.h"

/* ---- The model ---- */

struct fake_fn {
	uint8_t cfg[4096];
	uint32_t bar_mask[6];	/* writable bits of each BAR register */
	int cmd_writes;
	uint16_t cmd_hist[16];	/* command values written, in order */
	int violations;		/* BAR written all-ones while decode was on */
};

#define MAX_SEG 2
static struct fake_fn *model[MAX_SEG][256][32][8];
static struct fake_fn *allocated[1024];
static int nallocated;

static void put8(struct fake_fn *f, uint16_t off, uint8_t v) { f->cfg[off] = v; }
static void put16(struct fake_fn *f, uint16_t off, uint16_t v) { memcpy(f->cfg + off, &v, 2); }
static void put32(struct fake_fn *f, uint16_t off, uint32_t v) { memcpy(f->cfg + off, &v, 4); }
static uint16_t get16(const struct fake_fn *f, uint16_t off) { uint16_t v; memcpy(&v, f->cfg + off, 2); return v; }
static uint32_t get32(const struct fake_fn *f, uint16_t off) { uint32_t v; memcpy(&v, f->cfg + off, 4); return v; }

static struct fake_fn *add_fn(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn,
			      uint16_t vendor, uint16_t device, uint32_t class24, uint8_t rev,
			      uint8_t hdr)
{
	struct fake_fn *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	assert_true(nallocated < (int)(sizeof(allocated) / sizeof(allocated[0])));
	allocated[nallocated++] = f;
	model[seg][bus][dev][fn] = f;
	put16(f, 0x00, vendor);
	put16(f, 0x02, device);
	put32(f, 0x08, class24 << 8 | rev);
	put8(f, 0x0e, hdr);
	return f;
}

static void set_bar(struct fake_fn *f, int i, uint32_t value, uint32_t writable)
{
	put32(f, (uint16_t)(0x10 + 4 * i), value);
	f->bar_mask[i] = writable;
}

static void set_bridge(struct fake_fn *f, uint8_t pri, uint8_t sec, uint8_t sub)
{
	put8(f, 0x18, pri);
	put8(f, 0x19, sec);
	put8(f, 0x1a, sub);
}

static void model_clear(void)
{
	for (int i = 0; i < nallocated; i++)
		free(allocated[i]);
	nallocated = 0;
	memset(model, 0, sizeof(model));
}

static uint32_t fake_read(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off,
			  int width)
{
	const struct fake_fn *f = model[seg][bus][dev][fn];
	uint32_t v = 0;

	if (!f)
		return width == 1 ? 0xff : width == 2 ? 0xffff : 0xffffffffu;
	memcpy(&v, f->cfg + off, (size_t)width);
	return v;
}

/* A whole-dword write; wmask says which bytes were written. */
static void apply_dword(struct fake_fn *f, uint16_t base, uint32_t nv, uint32_t wmask)
{
	uint32_t old = get32(f, base);
	uint8_t layout = f->cfg[0x0e] & 0x7f;
	int nbars = layout == 0 ? 6 : layout == 1 ? 2 : 0;

	if (base >= 0x10 && base < 0x10 + 4 * nbars) {
		uint32_t m = f->bar_mask[(base - 0x10) / 4];

		if (nv == 0xffffffffu && (get16(f, 0x04) & 3))
			f->violations++;
		put32(f, base, (nv & m) | (old & ~m));
	} else if (base == 0x04) {
		if (wmask & 0xffff) {
			uint16_t cmd = (uint16_t)(nv & 0x0547);

			if (f->cmd_writes < 16)
				f->cmd_hist[f->cmd_writes] = cmd;
			f->cmd_writes++;
			put16(f, 0x04, cmd);	/* status (0x06) is read-only here */
		}
	} else if (base == 0x18 && layout == 1) {
		put32(f, base, (old & 0xff000000u) | (nv & 0x00ffffffu));
	} else if (base >= 0x40) {
		put32(f, base, nv);
	}
	/* Everything else in the header is read-only. */
}

static void fake_write(uint16_t seg, uint8_t bus, uint8_t dev, uint8_t fn, uint16_t off,
		       int width, uint32_t val)
{
	struct fake_fn *f = model[seg][bus][dev][fn];
	uint16_t base = off & ~3u;
	unsigned shift = (off & 3u) * 8;
	uint32_t wmask = width == 4 ? 0xffffffffu : ((1u << (width * 8)) - 1) << shift;

	if (!f)
		return;
	apply_dword(f, base, (get32(f, base) & ~wmask) | ((val << shift) & wmask), wmask);
}

/* ---- CF8/CFC ---- */

static uint32_t cf8_latch;
static int cf8_addr_writes;	/* dwords written to 0xCF8 */
static int cf8_bad_addr;	/* of them with reserved bits 30:24 or 1:0 set */
static uint32_t cf8_last_addr;
static uint16_t cfc_last_port;
static int cfc_last_width;
static bool cfc_last_was_write;

static uint32_t io_in(uint16_t port, int width)
{
	uint32_t a = cf8_latch;

	if (port == 0xcf8 && width == 4)
		return cf8_latch;
	if (port >= 0xcfc && port <= 0xcff) {
		cfc_last_port = port;
		cfc_last_width = width;
		cfc_last_was_write = false;
		if (!(a & 0x80000000u))
			return 0xffffffffu;
		return fake_read(0, (uint8_t)(a >> 16), (a >> 11) & 31, (a >> 8) & 7,
				 (uint16_t)((a & 0xfc) + (port - 0xcfc)), width);
	}
	return width == 1 ? 0xff : width == 2 ? 0xffff : 0xffffffffu;
}

static void io_out(uint16_t port, int width, uint32_t v)
{
	uint32_t a = cf8_latch;

	if (port == 0xcf8 && width == 4) {
		cf8_latch = v;
		cf8_last_addr = v;
		cf8_addr_writes++;
		if (v & 0x7f000003u)
			cf8_bad_addr++;
		return;
	}
	if (port >= 0xcfc && port <= 0xcff) {
		cfc_last_port = port;
		cfc_last_width = width;
		cfc_last_was_write = true;
		if (a & 0x80000000u)
			fake_write(0, (uint8_t)(a >> 16), (a >> 11) & 31, (a >> 8) & 7,
				   (uint16_t)((a & 0xfc) + (port - 0xcfc)), width, v);
	}
}

static const struct host_io_ops fake_io = { io_in, io_out };

/* ---- ECAM ---- */

struct region {
	uint8_t *map;		/* what was mmap'ed */
	size_t map_len;
	uint8_t *base;		/* 1 MiB aligned; bus 0 of the segment */
	size_t len;		/* up to the end of the last bus */
	uint16_t seg;
};

static struct region regions[2];
static int nregions;
static int ecam_accesses;
static uint8_t *trap_page;
static const struct region *trap_region;
static uint8_t snapshot[4096];

static const struct region *region_of(const uint8_t *a)
{
	for (int i = 0; i < nregions; i++)
		if (a >= regions[i].base && a < regions[i].base + regions[i].len)
			return &regions[i];
	return NULL;
}

static void page_bdf(const struct region *r, const uint8_t *page, uint8_t *bus, uint8_t *dev,
		     uint8_t *fn)
{
	size_t rel = (size_t)(page - r->base);

	*bus = (uint8_t)(rel >> 20);
	*dev = (rel >> 15) & 31;
	*fn = (rel >> 12) & 7;
}

static void on_segv(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uint8_t *a = si->si_addr;
	const struct region *r = region_of(a);
	uint8_t *page = (uint8_t *)((uintptr_t)a & ~(uintptr_t)4095);
	uint8_t bus, dev, fn;
	const struct fake_fn *f;

	(void)sig;
	if (!r || trap_page) {
		/* A real crash: let it happen. */
		signal(SIGSEGV, SIG_DFL);
		return;
	}
	page_bdf(r, page, &bus, &dev, &fn);
	f = model[r->seg][bus][dev][fn];
	mprotect(page, 4096, PROT_READ | PROT_WRITE);
	if (f)
		memcpy(page, f->cfg, 4096);
	else
		memset(page, 0xff, 4096);
	memcpy(snapshot, page, 4096);
	trap_page = page;
	trap_region = r;
	ecam_accesses++;
	uc->uc_mcontext.gregs[REG_EFL] |= 0x100;	/* single-step the access */
}

static void on_trap(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	uint8_t *page = trap_page;
	uint8_t bus, dev, fn;
	struct fake_fn *f;

	(void)sig;
	(void)si;
	uc->uc_mcontext.gregs[REG_EFL] &= ~0x100;
	if (!page)
		return;
	page_bdf(trap_region, page, &bus, &dev, &fn);
	f = model[trap_region->seg][bus][dev][fn];
	for (uint16_t off = 0; f && off < 4096; off += 4) {
		uint32_t nv, ov;

		memcpy(&nv, page + off, 4);
		memcpy(&ov, snapshot + off, 4);
		if (nv != ov)
			apply_dword(f, off, nv, 0xffffffffu);
	}
	mprotect(page, 4096, PROT_NONE);
	trap_page = NULL;
}

/* cmocka installs its own SIGSEGV handler around each test, so each ECAM
 * test installs this one at its start. */
static void ecam_handlers(void)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_flags = SA_SIGINFO;
	sa.sa_sigaction = on_segv;
	sigaction(SIGSEGV, &sa, NULL);
	sa.sa_sigaction = on_trap;
	sigaction(SIGTRAP, &sa, NULL);
}

/* Maps an ECAM window for seg covering buses [0, bus_end] (base = bus 0,
 * as MCFG gives it) and registers [bus_start, bus_end]. */
static paddr_t ecam_region(uint16_t seg, uint8_t bus_start, uint8_t bus_end)
{
	struct region *r = &regions[nregions++];
	size_t len = ((size_t)bus_end + 1) << 20;

	r->map_len = len + (1u << 20);
	r->map = mmap(NULL, r->map_len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE,
		      -1, 0);
	assert_true(r->map != MAP_FAILED);
	r->base = (uint8_t *)(((uintptr_t)r->map + (1u << 20) - 1) & ~(uintptr_t)((1u << 20) - 1));
	r->len = len;
	r->seg = seg;
	assert_int_equal(pci_add_ecam(seg, (paddr_t)(uintptr_t)r->base, bus_start, bus_end), 0);
	return (paddr_t)(uintptr_t)r->base;
}

static int setup(void **state)
{
	(void)state;
	model_clear();
	pci_cfg_reset();
	host_io = &fake_io;
	cf8_latch = 0;
	cf8_addr_writes = cf8_bad_addr = 0;
	ecam_accesses = 0;
	host_log_clear();
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	for (int i = 0; i < nregions; i++)
		munmap(regions[i].map, regions[i].map_len);
	nregions = 0;
	pci_cfg_reset();
	model_clear();
	host_io = NULL;
	return 0;
}

static bool log_has_line(const char *line)
{
	char want[600];

	snprintf(want, sizeof(want), "shoji: %s\n", line);
	return strstr(host_log, want) != NULL;
}

#define assert_log(line)						\
	do {								\
		if (!log_has_line(line)) {				\
			print_error("missing log line: %s\nlog:\n%s", line, host_log); \
			fail();						\
		}							\
	} while (0)

/* ---- The topology ---- */

/* Functions whose state tests inspect afterwards. */
static struct fake_fn *t_host, *t_dev2, *t_dev3, *t_br1e, *t_ghost;

/* Segment 0, buses 0-2 plus a peer root bus 5:
 *  00:00.0 host bridge (no BARs)
 *  00:01.0 + 00:01.2 multi-function (00:01.1 absent)
 *  00:02.0 io + mem32 + mem64 pref BARs, BAR4 unimplemented, BAR5 bad mask;
 *          caps MSI@40 -> PCIe@50; ext caps AER@100 -> ACS@148
 *  00:03.0 single-function (a ghost 00:03.1 must not be probed); looping
 *          cap list PM@40 -> PCIe@48 -> MSI@50 -> 40; looping ext caps
 *          100 -> 180 -> 100; BAR0 flips type bits; BAR5 64-bit in the last slot
 *  00:1e.0 bridge 0 -> 1..2, BAR0 mem32 4 KiB
 *  01:00.0 device; 01:01.0 bridge with secondary 0 (loops back);
 *  01:02.0 bridge 1 -> 2; 02:00.0 device; 01:03.0 bridge 1 -> 2 again (visited)
 *  05:00.0 device on a bus no bridge leads to (peer root) */
static void build_topology(bool pcie)
{
	struct fake_fn *f;

	t_host = add_fn(0, 0, 0, 0, 0x8086, 0x29c0, 0x060000, 0x02, 0x00);
	put16(t_host, 0x04, 0x0006);

	add_fn(0, 0, 1, 0, 0x1af4, 0x1000, 0x020000, 0x00, 0x80);
	add_fn(0, 0, 1, 2, 0x1af4, 0x1001, 0x010000, 0x00, 0x00);

	t_dev2 = f = add_fn(0, 0, 2, 0, 0x1234, 0x11e8, 0x00ff00, 0x10, 0x00);
	put16(f, 0x04, 0x0007);
	set_bar(f, 0, 0x0000c001, 0xffffffe0);			/* io, 32 bytes */
	set_bar(f, 1, 0xfea00000, 0xfff00000);			/* mem32, 1 MiB */
	set_bar(f, 2, 0x0000000c, 0xffffc000);			/* mem64 pref, 16 KiB */
	set_bar(f, 3, 0x00000008, 0xffffffff);			/* ... at 0x8_0000_0000 */
	set_bar(f, 4, 0, 0);					/* unimplemented */
	set_bar(f, 5, 0xfd000000, 0xff0f0000);			/* non-contiguous mask */
	put16(f, 0x06, 0x0010);
	put8(f, 0x34, 0x40);
	put16(f, 0x40, 0x5005);					/* MSI, next 0x50 */
	put16(f, 0x50, pcie ? 0x0010 : 0x0001);			/* PCIe (or PM), end */
	put32(f, 0x100, 0x14010001);				/* AER v1, next 0x140 */
	put32(f, 0x140, 0x14810000);				/* null cap, next 0x148 */
	put32(f, 0x148, 0x0001000d);				/* ACS v1, end */

	t_dev3 = f = add_fn(0, 0, 3, 0, 0x8086, 0x10d3, 0x020000, 0x01, 0x00);
	put16(f, 0x04, 0x0002);
	set_bar(f, 0, 0xfe000000, 0xffffffff);			/* type bits follow writes */
	set_bar(f, 5, 0x00000004, 0xfffff000);			/* 64-bit in the last slot */
	put16(f, 0x06, 0x0010);
	put8(f, 0x34, 0x43);					/* reserved low bits set */
	put16(f, 0x40, 0x4801);					/* PM -> 0x48 */
	put16(f, 0x48, 0x5010);					/* PCIe -> 0x50 */
	put16(f, 0x50, 0x4005);					/* MSI -> 0x40: loop */
	put32(f, 0x100, 0x18010001);				/* AER -> 0x180 */
	put32(f, 0x180, 0x10010002);				/* VC -> 0x100: loop */
	t_ghost = add_fn(0, 0, 3, 1, 0x8086, 0x10d3, 0x020000, 0x01, 0x00);

	t_br1e = f = add_fn(0, 0, 0x1e, 0, 0x8086, 0x244e, 0x060400, 0x92, 0x01);
	put16(f, 0x04, 0x0007);
	set_bridge(f, 0, 1, 2);
	set_bar(f, 0, 0xfeb00000, 0xfffff000);

	f = add_fn(0, 1, 0, 0, 0x1b36, 0x0005, 0x00ff00, 0x00, 0x00);
	set_bar(f, 0, 0xfe800000, 0xfffff000);
	f = add_fn(0, 1, 1, 0, 0x8086, 0x244e, 0x060400, 0x00, 0x01);
	set_bridge(f, 1, 0, 2);
	f = add_fn(0, 1, 2, 0, 0x8086, 0x244e, 0x060400, 0x00, 0x01);
	set_bridge(f, 1, 2, 2);
	add_fn(0, 2, 0, 0, 0x1b36, 0x000d, 0x0c0330, 0x01, 0x00);
	f = add_fn(0, 1, 3, 0, 0x8086, 0x244e, 0x060400, 0x00, 0x01);
	set_bridge(f, 1, 2, 2);

	add_fn(0, 5, 0, 0, 0x1b36, 0x0008, 0x060000, 0x00, 0x00);
}

static const struct pci_bdf expected_order[] = {
	{ 0, 0, 0, 0 }, { 0, 0, 1, 0 }, { 0, 0, 1, 2 }, { 0, 0, 2, 0 }, { 0, 0, 3, 0 },
	{ 0, 0, 0x1e, 0 }, { 0, 1, 0, 0 }, { 0, 1, 1, 0 }, { 0, 1, 2, 0 }, { 0, 2, 0, 0 },
	{ 0, 1, 3, 0 }, { 0, 5, 0, 0 },
};

static void check_order(void)
{
	const struct pci_device *d;
	size_t n = 0;

	assert_int_equal(pci_device_count(), ARRAY_SIZE(expected_order));
	for (d = pci_first(); d; d = pci_next(d), n++) {
		assert_true(n < ARRAY_SIZE(expected_order));
		if (!pci_bdf_eq(d->bdf, expected_order[n]))
			fail_msg("device %zu is %02x:%02x.%x", n, d->bdf.bus, d->bdf.dev, d->bdf.fn);
		assert_ptr_equal(d, pci_device_at(n));
	}
	assert_int_equal(n, ARRAY_SIZE(expected_order));
	assert_null(pci_device_at(n));
}

/* ---- Tests: ECAM ---- */

static void test_ecam_registration(void **state)
{
	(void)state;
	assert_string_equal(pci_cfg_mechanism(), "cf8");
	assert_int_equal(pci_cfg_mech_for(0, 0), PCI_CFG_CF8);
	assert_int_equal(pci_cfg_mech_for(1, 0), PCI_CFG_NONE);

	assert_int_equal(pci_add_ecam(0, 0, 0, 255), E_INVAL);
	assert_int_equal(pci_add_ecam(0, 0xe0080000, 0, 255), E_INVAL);	/* not 1 MiB aligned */
	assert_int_equal(pci_add_ecam(0, 0xe0000000, 5, 4), E_INVAL);
	assert_int_equal(pci_add_ecam(0, 0xffffffffffe00000ull, 0, 3), E_INVAL); /* wraps */
	assert_int_equal(pci_ecam_count(), 0);

	assert_int_equal(pci_add_ecam(0, 0xb0000000, 0, 0x3f), 0);
	assert_int_equal(pci_add_ecam(0, 0xb0000000, 0x3f, 0x40), E_BUSY);
	assert_int_equal(pci_add_ecam(1, 0xc0000000, 0x3f, 0x40), 0);	/* other segment */
	assert_string_equal(pci_cfg_mechanism(), "ecam");
	assert_int_equal(pci_cfg_mech_for(0, 0x3f), PCI_CFG_ECAM);
	assert_int_equal(pci_cfg_mech_for(0, 0x40), PCI_CFG_CF8);
	assert_int_equal(pci_cfg_mech_for(1, 0x40), PCI_CFG_ECAM);
	assert_int_equal(pci_cfg_mech_for(1, 0x41), PCI_CFG_NONE);

	uint16_t seg;
	paddr_t base;
	uint8_t lo, hi;
	assert_true(pci_ecam_get(1, &seg, &base, &lo, &hi));
	assert_int_equal(seg, 1);
	assert_int_equal(base, 0xc0000000);
	assert_int_equal(lo, 0x3f);
	assert_int_equal(hi, 0x40);
	assert_false(pci_ecam_get(2, &seg, &base, &lo, &hi));

	for (int i = 2; i < PCI_MAX_ECAM; i++)
		assert_int_equal(pci_add_ecam((uint16_t)(2 + i), 0xd0000000, 0, 0), 0);
	assert_int_equal(pci_add_ecam(99, 0xd0000000, 0, 0), E_NOMEM);
	assert_int_equal(host_log_count("more than 16 ECAM ranges"), 1);

	pci_cfg_reset();
	assert_int_equal(pci_ecam_count(), 0);
	assert_string_equal(pci_cfg_mechanism(), "cf8");
}

static void test_ecam_access(void **state)
{
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;

	(void)state;
	ecam_handlers();
	ecam_region(0, 0, 7);
	build_topology(true);

	assert_int_equal(pci_cfg_read8(PCI_BDF(0, 0, 2, 0), 0x00, &v8), 0);
	assert_int_equal(v8, 0x34);
	assert_int_equal(pci_cfg_read8(PCI_BDF(0, 0, 2, 0), 0x01, &v8), 0);
	assert_int_equal(v8, 0x12);
	assert_int_equal(pci_cfg_read16(PCI_BDF(0, 0, 2, 0), 0x02, &v16), 0);
	assert_int_equal(v16, 0x11e8);
	assert_int_equal(pci_cfg_read32(PCI_BDF(0, 0, 2, 0), 0x00, &v32), 0);
	assert_int_equal(v32, 0x11e81234);
	assert_int_equal(pci_cfg_read32(PCI_BDF(0, 0, 2, 0), 0x100, &v32), 0);	/* extended */
	assert_int_equal(v32, 0x14010001);
	assert_int_equal(pci_cfg_read32(PCI_BDF(0, 1, 0, 0), 0x00, &v32), 0);	/* bus 1 */
	assert_int_equal(v32, 0x00051b36);
	assert_int_equal(pci_cfg_read16(PCI_BDF(0, 0, 4, 0), 0x00, &v16), 0);	/* absent */
	assert_int_equal(v16, 0xffff);

	/* Writes of each width land where they should. */
	assert_int_equal(pci_cfg_write32(PCI_BDF(0, 0, 2, 0), 0x60, 0x11223344), 0);
	assert_int_equal(pci_cfg_write16(PCI_BDF(0, 0, 2, 0), 0x62, 0xaabb), 0);
	assert_int_equal(pci_cfg_write8(PCI_BDF(0, 0, 2, 0), 0x60, 0xcc), 0);
	assert_int_equal(get32(t_dev2, 0x60), 0xaabb33cc);
	assert_int_equal(pci_cfg_write32(PCI_BDF(0, 0, 2, 0), 0xffc, 0x5a5a5a5a), 0);
	assert_int_equal(get32(t_dev2, 0xffc), 0x5a5a5a5a);
	/* ... and behave like hardware (a BAR's size mask). */
	assert_int_equal(pci_cfg_write32(PCI_BDF(0, 0, 2, 0), 0x14, 0xffffffff), 0);
	assert_int_equal(pci_cfg_read32(PCI_BDF(0, 0, 2, 0), 0x14, &v32), 0);
	assert_int_equal(v32, 0xfff00000);
	assert_int_equal(cf8_addr_writes, 0);
	assert_true(ecam_accesses > 0);

	/* Alignment and range: nothing touched, all-ones returned. */
	int before = ecam_accesses;
	assert_int_equal(pci_cfg_read16(PCI_BDF(0, 0, 2, 0), 0x01, &v16), E_INVAL);
	assert_int_equal(v16, 0xffff);
	assert_int_equal(pci_cfg_read32(PCI_BDF(0, 0, 2, 0), 0x02, &v32), E_INVAL);
	assert_int_equal(v32, 0xffffffff);
	assert_int_equal(pci_cfg_write32(PCI_BDF(0, 0, 2, 0), 0x61, 0), E_INVAL);
	assert_int_equal(pci_cfg_write16(PCI_BDF(0, 0, 2, 0), 0x63, 0), E_INVAL);
	assert_int_equal(pci_cfg_read8(PCI_BDF(0, 0, 2, 0), 0x1000, &v8), E_INVAL);
	assert_int_equal(pci_cfg_read8(PCI_BDF(0, 0, 32, 0), 0, &v8), E_INVAL);
	assert_int_equal(pci_cfg_read8(PCI_BDF(0, 0, 2, 8), 0, &v8), E_INVAL);
	assert_int_equal(pci_cfg_read8(PCI_BDF(1, 0, 2, 0), 0, &v8), E_NOENT);
	assert_int_equal(v8, 0xff);
	assert_int_equal(ecam_accesses, before);
	assert_int_equal(cf8_addr_writes, 0);

	/* A segment 0 bus no ECAM range covers falls back to CF8. */
	add_fn(0, 9, 4, 1, 0xabcd, 0x0001, 0x000000, 0, 0);
	assert_int_equal(pci_cfg_read32(PCI_BDF(0, 9, 4, 1), 0, &v32), 0);
	assert_int_equal(v32, 0x0001abcd);
	assert_int_equal(cf8_last_addr, 0x80092100u);
	assert_int_equal(ecam_accesses, before);
	assert_int_equal(pci_cfg_read32(PCI_BDF(0, 9, 4, 1), 0x100, &v32), E_RANGE);
}

static void test_ecam_enumerate(void **state)
{
	const struct pci_device *d;

	(void)state;
	ecam_handlers();
	ecam_region(0, 0, 7);
	build_topology(true);

	assert_int_equal(pci_enumerate(), 12);
	check_order();
	/* The highest bus found: 05:00.0 (bridges end at bus 2). */
	assert_int_equal(pci_last_bus(0), 5);
	assert_int_equal(pci_last_bus(1), 0);
	assert_int_equal(cf8_addr_writes, 0);	/* everything went through ECAM */
	assert_int_equal(pci_devices_dropped(), 0);

	/* Host bridge: command register never written (decode stays on). */
	d = pci_find(PCI_BDF(0, 0, 0, 0));
	assert_non_null(d);
	assert_int_equal(d->class_code, 0x060000);
	assert_int_equal(d->revision, 0x02);
	assert_int_equal(t_host->cmd_writes, 0);
	for (int i = 0; i < 6; i++)
		assert_int_equal(d->bars[i].type, PCI_BAR_NONE);

	/* Multi-function: 00:01.0 and 00:01.2, not 00:01.1. */
	d = pci_find(PCI_BDF(0, 0, 1, 0));
	assert_non_null(d);
	assert_true(d->multifunction);
	assert_int_equal(d->header_type, 0);
	assert_null(pci_find(PCI_BDF(0, 0, 1, 1)));
	d = pci_find(PCI_BDF(0, 0, 1, 2));
	assert_non_null(d);
	assert_int_equal(d->device, 0x1001);
	assert_int_equal(d->class_code, 0x010000);
	/* Single-function 00:03.0: 00:03.1 is never probed. */
	assert_null(pci_find(PCI_BDF(0, 0, 3, 1)));
	assert_false(pci_find(PCI_BDF(0, 0, 3, 0))->multifunction);

	/* 00:02.0: BARs. */
	d = pci_find(PCI_BDF(0, 0, 2, 0));
	assert_non_null(d);
	assert_int_equal(d->vendor, 0x1234);
	assert_int_equal(d->device, 0x11e8);
	assert_int_equal(d->class_code, 0x00ff00);
	assert_int_equal(d->revision, 0x10);
	assert_int_equal(d->nr_bars, 6);
	assert_int_equal(d->bars[0].type, PCI_BAR_IO);
	assert_int_equal(d->bars[0].addr, 0xc000);
	assert_int_equal(d->bars[0].size, 0x20);
	assert_int_equal(d->bars[0].flags, 0);
	assert_int_equal(d->bars[1].type, PCI_BAR_MEM32);
	assert_int_equal(d->bars[1].addr, 0xfea00000);
	assert_int_equal(d->bars[1].size, 0x100000);
	assert_int_equal(d->bars[1].flags, 0);
	assert_int_equal(d->bars[2].type, PCI_BAR_MEM64);
	assert_int_equal(d->bars[2].addr, 0x800000000ull);
	assert_int_equal(d->bars[2].size, 0x4000);
	assert_int_equal(d->bars[2].flags, PCI_BAR_F_PREFETCH);
	assert_int_equal(d->bars[3].type, PCI_BAR_NONE);	/* upper half */
	assert_int_equal(d->bars[4].type, PCI_BAR_NONE);	/* unimplemented */
	assert_int_equal(d->bars[5].type, PCI_BAR_MEM32);
	assert_int_equal(d->bars[5].addr, 0xfd000000);
	assert_int_equal(d->bars[5].size, 0);
	assert_int_equal(d->bars[5].flags, PCI_BAR_F_BAD);
	/* Sizing: decode off while sizing, then everything restored. */
	assert_int_equal(t_dev2->violations, 0);
	assert_int_equal(t_dev2->cmd_writes, 2);
	assert_int_equal(t_dev2->cmd_hist[0], 0x0004);
	assert_int_equal(t_dev2->cmd_hist[1], 0x0007);
	assert_int_equal(get16(t_dev2, 0x04), 0x0007);
	assert_int_equal(get32(t_dev2, 0x10), 0x0000c001);
	assert_int_equal(get32(t_dev2, 0x14), 0xfea00000);
	assert_int_equal(get32(t_dev2, 0x18), 0x0000000c);
	assert_int_equal(get32(t_dev2, 0x1c), 0x00000008);
	assert_int_equal(get32(t_dev2, 0x20), 0);
	assert_int_equal(get32(t_dev2, 0x24), 0xfd000000);
	/* Capabilities. */
	assert_int_equal(d->nr_caps, 2);
	assert_int_equal(d->caps[0].id, PCI_CAP_ID_MSI);
	assert_int_equal(d->caps[0].offset, 0x40);
	assert_int_equal(d->caps[1].id, PCI_CAP_ID_EXP);
	assert_int_equal(d->caps[1].offset, 0x50);
	assert_int_equal(pci_find_cap(d, PCI_CAP_ID_MSI), 0x40);
	assert_int_equal(pci_find_cap(d, PCI_CAP_ID_MSIX), 0);
	assert_int_equal(d->nr_ext_caps, 2);
	assert_int_equal(d->ext_caps[0].id, 0x0001);
	assert_int_equal(d->ext_caps[0].version, 1);
	assert_int_equal(d->ext_caps[0].offset, 0x100);
	assert_int_equal(d->ext_caps[1].id, 0x000d);
	assert_int_equal(d->ext_caps[1].offset, 0x148);
	assert_int_equal(pci_find_ext_cap(d, 0x000d), 0x148);
	assert_int_equal(pci_find_ext_cap(d, 0x0002), 0);

	/* 00:03.0: loops end, bad BARs are not sized, decode restored. */
	d = pci_find(PCI_BDF(0, 0, 3, 0));
	assert_non_null(d);
	assert_int_equal(d->nr_caps, 3);
	assert_int_equal(d->caps[0].id, 0x01);
	assert_int_equal(d->caps[1].id, 0x10);
	assert_int_equal(d->caps[2].id, 0x05);
	assert_int_equal(d->caps[2].offset, 0x50);
	assert_int_equal(host_log_count("pci 00:03.0 capability list loops at 0x40"), 1);
	assert_int_equal(d->nr_ext_caps, 2);
	assert_int_equal(d->ext_caps[1].id, 0x0002);
	assert_int_equal(d->ext_caps[1].offset, 0x180);
	assert_int_equal(host_log_count("pci 00:03.0 extended capability list loops at 0x100"), 1);
	assert_int_equal(d->bars[0].flags, PCI_BAR_F_BAD);
	assert_int_equal(d->bars[0].addr, 0xfe000000);
	assert_int_equal(host_log_count("pci 00:03.0 bar0 type bits changed"), 1);
	assert_int_equal(d->bars[5].type, PCI_BAR_MEM64);
	assert_int_equal(d->bars[5].flags, PCI_BAR_F_BAD);
	assert_int_equal(host_log_count("pci 00:03.0 bar5 64-bit in the last slot"), 1);
	assert_int_equal(get32(t_dev3, 0x10), 0xfe000000);
	assert_int_equal(get32(t_dev3, 0x24), 0x00000004);
	assert_int_equal(get16(t_dev3, 0x04), 0x0002);
	assert_int_equal(t_dev3->violations, 0);
	assert_int_equal(t_ghost->cmd_writes, 0);

	/* Bridges and the loops firmware can make. */
	d = pci_find(PCI_BDF(0, 0, 0x1e, 0));
	assert_non_null(d);
	assert_int_equal(d->header_type, 1);
	assert_int_equal(d->nr_bars, 2);
	assert_int_equal(d->primary, 0);
	assert_int_equal(d->secondary, 1);
	assert_int_equal(d->subordinate, 2);
	assert_int_equal(d->bars[0].type, PCI_BAR_MEM32);
	assert_int_equal(d->bars[0].size, 0x1000);
	assert_int_equal(d->bars[1].type, PCI_BAR_NONE);
	assert_int_equal(get16(t_br1e, 0x04), 0x0007);
	assert_int_equal(t_br1e->violations, 0);
	d = pci_find(PCI_BDF(0, 1, 1, 0));
	assert_non_null(d);
	assert_int_equal(d->secondary, 0);
	assert_int_equal(host_log_count("pci 01:01.0 bridge primary=1 secondary=0 subordinate=2 "
					"not followed: secondary bus not above its own bus (loop)"), 1);
	assert_int_equal(host_log_count("pci 01:03.0 bridge primary=1 secondary=2 subordinate=2 "
					"not followed: secondary bus already visited (loop)"), 1);
	assert_non_null(pci_find(PCI_BDF(0, 2, 0, 0)));
	assert_int_equal(host_log_count("pci peer root bus=5 seg=0000"), 1);

	/* Enumerating again gives the same list (no accumulation). */
	host_log_clear();
	assert_int_equal(pci_enumerate(), 12);
	check_order();
}

static void test_ecam_log(void **state)
{
	(void)state;
	ecam_handlers();
	ecam_region(0, 0, 7);
	build_topology(true);
	assert_int_equal(pci_enumerate(), 12);
	host_log_clear();
	pci_log_devices();

	assert_log("pci 00:00.0 vendor=8086 device=29c0 class=060000 rev=02 type=0");
	assert_log("pci 00:01.2 vendor=1af4 device=1001 class=010000 rev=00 type=0");
	assert_log("pci 00:02.0 vendor=1234 device=11e8 class=00ff00 rev=10 type=0 caps=05,10 ecaps=0001,000d");
	assert_log("pci 00:02.0 bar0 io addr=0xc000 size=0x20");
	assert_log("pci 00:02.0 bar1 mem32 addr=0xfea00000 size=0x100000");
	assert_log("pci 00:02.0 bar2 mem64 addr=0x800000000 size=0x4000 prefetchable");
	assert_log("pci 00:02.0 bar5 mem32 addr=0xfd000000 size=unknown");
	assert_log("pci 00:03.0 vendor=8086 device=10d3 class=020000 rev=01 type=0 caps=01,10,05 ecaps=0001,0002");
	assert_log("pci 00:1e.0 vendor=8086 device=244e class=060400 rev=92 type=1");
	assert_log("pci 00:1e.0 bar0 mem32 addr=0xfeb00000 size=0x1000");
	assert_log("pci 00:1e.0 bridge primary=0 secondary=1 subordinate=2");
	assert_log("pci 01:01.0 bridge primary=1 secondary=0 subordinate=2");
	assert_log("pci 02:00.0 vendor=1b36 device=000d class=0c0330 rev=01 type=0");
	assert_log("pci devices=12 config=ecam");
	assert_int_equal(host_log_count("pci 00:02.0 bar"), 4);	/* bar3/bar4 not listed */
	assert_int_equal(host_log_count(" vendor="), 12);
	assert_int_equal(host_log_count(" bridge primary="), 4);
	/* The last line is the summary. */
	const char *last = "shoji: pci devices=12 config=ecam\n";
	assert_string_equal(host_log + host_log_len - strlen(last), last);
}

static void test_ecam_helpers(void **state)
{
	uint8_t sec = 0xaa;

	(void)state;
	ecam_handlers();
	ecam_region(0, 0, 7);
	build_topology(true);

	/* Works before enumeration (live config reads). */
	assert_int_equal(pci_bridge_secondary_bus(PCI_BDF(0, 0, 0x1e, 0), &sec), 0);
	assert_int_equal(sec, 1);
	assert_int_equal(pci_bridge_secondary_bus(PCI_BDF(0, 1, 2, 0), &sec), 0);
	assert_int_equal(sec, 2);
	assert_int_equal(pci_bridge_secondary_bus(PCI_BDF(0, 0, 2, 0), &sec), E_INVAL);
	assert_int_equal(pci_bridge_secondary_bus(PCI_BDF(0, 0, 9, 0), &sec), E_NOENT);
	assert_int_equal(pci_bridge_secondary_bus(PCI_BDF(0, 0, 40, 0), &sec), E_INVAL);
	assert_int_equal(pci_bridge_secondary_bus(PCI_BDF(3, 0, 0x1e, 0), &sec), E_NOENT);

	assert_int_equal(pci_disable_bus_master(PCI_BDF(0, 0, 2, 0)), 0);
	assert_int_equal(get16(t_dev2, 0x04), 0x0003);
	assert_int_equal(get16(t_dev2, 0x06), 0x0010);
	assert_int_equal(t_dev2->cmd_writes, 1);
	/* Already off: nothing written. */
	assert_int_equal(pci_disable_bus_master(PCI_BDF(0, 0, 2, 0)), 0);
	assert_int_equal(t_dev2->cmd_writes, 1);
	assert_int_equal(pci_disable_bus_master(PCI_BDF(0, 0, 9, 0)), E_NOENT);
	assert_int_equal(cf8_addr_writes, 0);
}

/* Segment 1 through its own ECAM range starting at bus 0x10 (base still
 * names bus 0): enumeration starts at 0x10, names carry the segment. */
static void test_ecam_segment(void **state)
{
	struct fake_fn *f;

	(void)state;
	ecam_handlers();
	ecam_region(1, 0x10, 0x11);
	f = add_fn(1, 0x10, 0, 0, 0x8086, 0x1234, 0x060400, 0x01, 0x01);
	set_bridge(f, 0x10, 0x11, 0x11);
	f = add_fn(1, 0x11, 0, 0, 0x1af4, 0x1041, 0x020000, 0x01, 0x00);
	set_bar(f, 1, 0xc0000000, 0xffffc000);
	/* Segment 0 has no ECAM: scanned through CF8 (empty here but a
	 * device on bus 0 of segment 0). */
	add_fn(0, 0, 0, 0, 0x8086, 0x29c0, 0x060000, 0x02, 0x00);

	assert_int_equal(pci_enumerate(), 3);
	assert_true(pci_bdf_eq(pci_device_at(0)->bdf, PCI_BDF(1, 0x10, 0, 0)));
	assert_true(pci_bdf_eq(pci_device_at(1)->bdf, PCI_BDF(1, 0x11, 0, 0)));
	assert_true(pci_bdf_eq(pci_device_at(2)->bdf, PCI_BDF(0, 0, 0, 0)));
	assert_null(pci_find(PCI_BDF(0, 0x10, 0, 0)));
	host_log_clear();
	pci_log_devices();
	assert_log("pci 0001:10:00.0 vendor=8086 device=1234 class=060400 rev=01 type=1");
	assert_log("pci 0001:10:00.0 bridge primary=10 secondary=11 subordinate=11");
	assert_log("pci 0001:11:00.0 bar1 mem32 addr=0xc0000000 size=0x4000");
	assert_log("pci 00:00.0 vendor=8086 device=29c0 class=060000 rev=02 type=0");
	assert_log("pci devices=3 config=ecam");
}

/* ---- Tests: CF8 ---- */

static void test_cf8_encoding(void **state)
{
	uint8_t v8;
	uint16_t v16;
	uint32_t v32;
	struct fake_fn *f;

	(void)state;
	f = add_fn(0, 1, 2, 3, 0x1234, 0x5678, 0x0c0330, 0x07, 0x00);
	put32(f, 0x44, 0xddccbbaa);
	put16(f, 0x06, 0x0290);

	assert_int_equal(pci_cfg_read8(PCI_BDF(0, 1, 2, 3), 0x47, &v8), 0);
	assert_int_equal(cf8_last_addr, 0x80011344u);	/* bit 31, bus 1, dev 2, fn 3, 0x44 */
	assert_int_equal(cfc_last_port, 0xcff);
	assert_int_equal(cfc_last_width, 1);
	assert_int_equal(v8, 0xdd);
	assert_int_equal(pci_cfg_read16(PCI_BDF(0, 1, 2, 3), 0x46, &v16), 0);
	assert_int_equal(cfc_last_port, 0xcfe);
	assert_int_equal(cfc_last_width, 2);
	assert_int_equal(v16, 0xddcc);
	assert_int_equal(pci_cfg_read32(PCI_BDF(0, 1, 2, 3), 0x44, &v32), 0);
	assert_int_equal(cfc_last_port, 0xcfc);
	assert_int_equal(cfc_last_width, 4);
	assert_int_equal(v32, 0xddccbbaa);
	assert_int_equal(pci_cfg_read16(PCI_BDF(0, 1, 2, 3), 0x06, &v16), 0);
	assert_int_equal(cf8_last_addr, 0x80011304u);
	assert_int_equal(v16, 0x0290);

	assert_int_equal(pci_cfg_read32(PCI_BDF(0, 0xff, 31, 7), 0xfc, &v32), 0);
	assert_int_equal(cf8_last_addr, 0x80fffffcu);
	assert_int_equal(v32, 0xffffffff);	/* absent */

	assert_int_equal(pci_cfg_write8(PCI_BDF(0, 1, 2, 3), 0x45, 0x11), 0);
	assert_int_equal(cf8_last_addr, 0x80011344u);
	assert_int_equal(cfc_last_port, 0xcfd);
	assert_int_equal(cfc_last_width, 1);
	assert_true(cfc_last_was_write);
	assert_int_equal(pci_cfg_write16(PCI_BDF(0, 1, 2, 3), 0x46, 0x3322), 0);
	assert_int_equal(cfc_last_port, 0xcfe);
	assert_int_equal(cfc_last_width, 2);
	assert_int_equal(get32(f, 0x44), 0x332211aa);
	assert_int_equal(pci_cfg_write32(PCI_BDF(0, 1, 2, 3), 0x48, 0xcafef00d), 0);
	assert_int_equal(cf8_last_addr, 0x80011348u);
	assert_int_equal(cfc_last_width, 4);
	assert_int_equal(get32(f, 0x48), 0xcafef00d);
	assert_int_equal(pci_cfg_mech_for(0, 1), PCI_CFG_CF8);

	/* No extended space, alignment still checked, no port touched. */
	int writes = cf8_addr_writes;
	assert_int_equal(pci_cfg_read32(PCI_BDF(0, 1, 2, 3), 0x100, &v32), E_RANGE);
	assert_int_equal(v32, 0xffffffff);
	assert_int_equal(pci_cfg_write8(PCI_BDF(0, 1, 2, 3), 0x100, 0), E_RANGE);
	assert_int_equal(pci_cfg_read16(PCI_BDF(0, 1, 2, 3), 0x45, &v16), E_INVAL);
	assert_int_equal(pci_cfg_read8(PCI_BDF(1, 1, 2, 3), 0x44, &v8), E_NOENT);
	assert_int_equal(cf8_addr_writes, writes);
	assert_int_equal(cf8_bad_addr, 0);
}

static void test_cf8_enumerate(void **state)
{
	const struct pci_device *d;
	struct fake_fn *f;
	uint8_t sec;

	(void)state;
	build_topology(true);
	/* An I/O BAR whose upper 16 bits are hardwired to 0. */
	f = add_fn(0, 0, 4, 0, 0x8086, 0x7010, 0x010180, 0x00, 0x00);
	put16(f, 0x04, 0x0001);
	set_bar(f, 4, 0x0000c041, 0x0000fff0);

	assert_int_equal(pci_enumerate(), 13);
	assert_int_equal(cf8_bad_addr, 0);
	assert_int_equal(ecam_accesses, 0);
	assert_int_equal(pci_device_count(), 13);

	d = pci_find(PCI_BDF(0, 0, 4, 0));
	assert_non_null(d);
	assert_int_equal(d->bars[4].type, PCI_BAR_IO);
	assert_int_equal(d->bars[4].addr, 0xc040);
	assert_int_equal(d->bars[4].size, 0x10);
	assert_int_equal(get16(f, 0x04), 0x0001);
	assert_int_equal(f->cmd_hist[0], 0x0000);
	assert_int_equal(f->violations, 0);

	d = pci_find(PCI_BDF(0, 0, 2, 0));
	assert_non_null(d);
	assert_int_equal(d->bars[0].size, 0x20);
	assert_int_equal(d->bars[1].size, 0x100000);
	assert_int_equal(d->bars[2].type, PCI_BAR_MEM64);
	assert_int_equal(d->bars[2].addr, 0x800000000ull);
	assert_int_equal(d->bars[2].size, 0x4000);
	assert_int_equal(get16(t_dev2, 0x04), 0x0007);
	assert_int_equal(t_dev2->violations, 0);
	assert_int_equal(d->nr_caps, 2);
	assert_int_equal(d->nr_ext_caps, 0);	/* needs ECAM */
	assert_null(pci_find(PCI_BDF(0, 0, 1, 1)));
	assert_null(pci_find(PCI_BDF(0, 0, 3, 1)));
	assert_non_null(pci_find(PCI_BDF(0, 2, 0, 0)));
	assert_int_equal(host_log_count("secondary bus not above its own bus (loop)"), 1);
	assert_int_equal(host_log_count("secondary bus already visited (loop)"), 1);

	assert_int_equal(pci_bridge_secondary_bus(PCI_BDF(0, 0, 0x1e, 0), &sec), 0);
	assert_int_equal(sec, 1);
	assert_int_equal(cf8_last_addr, 0x8000f018u);

	/* Bus master off with a 16-bit write: the status register is not written. */
	assert_int_equal(pci_disable_bus_master(PCI_BDF(0, 0, 2, 0)), 0);
	assert_int_equal(cf8_last_addr, 0x80001004u);
	assert_int_equal(cfc_last_port, 0xcfc);
	assert_int_equal(cfc_last_width, 2);
	assert_true(cfc_last_was_write);
	assert_int_equal(get16(t_dev2, 0x04), 0x0003);

	host_log_clear();
	pci_log_devices();
	assert_log("pci 00:02.0 vendor=1234 device=11e8 class=00ff00 rev=10 type=0 caps=05,10");
	assert_log("pci 00:04.0 bar4 io addr=0xc040 size=0x10");
	assert_log("pci 00:1e.0 bridge primary=0 secondary=1 subordinate=2");
	assert_log("pci devices=13 config=cf8");
}

/* Non-PCIe function: no extended capability walk even through ECAM. */
static void test_ext_caps_need_pcie(void **state)
{
	const struct pci_device *d;
	struct fake_fn *f;

	(void)state;
	ecam_handlers();
	ecam_region(0, 0, 7);
	build_topology(false);
	/* A PCIe function whose 0x100.. aliases 0x000..: no extended space. */
	f = add_fn(0, 0, 5, 0, 0x10ec, 0x8168, 0x020000, 0x15, 0x00);
	put16(f, 0x06, 0x0010);
	put8(f, 0x34, 0x40);
	put16(f, 0x40, 0x0010);
	memcpy(f->cfg + 0x100, f->cfg, 0x100);
	assert_int_equal(pci_enumerate(), 13);
	d = pci_find(PCI_BDF(0, 0, 2, 0));
	assert_non_null(d);
	assert_int_equal(d->nr_caps, 2);
	assert_int_equal(d->caps[1].id, 0x01);
	assert_int_equal(d->nr_ext_caps, 0);
	d = pci_find(PCI_BDF(0, 0, 5, 0));
	assert_non_null(d);
	assert_int_equal(pci_find_cap(d, PCI_CAP_ID_EXP), 0x40);
	assert_int_equal(d->nr_ext_caps, 0);
}

/* Function 0 absent = no device (functions 1-7 not probed); vendor 0x0000
 * is not a device either. */
static void test_absent_functions(void **state)
{
	(void)state;
	add_fn(0, 0, 0, 0, 0x8086, 0x29c0, 0x060000, 0, 0x80);
	add_fn(0, 0, 0, 5, 0x8086, 0x29c1, 0x088000, 0, 0x00);
	add_fn(0, 0, 7, 1, 0x8086, 0x1234, 0x020000, 0, 0x00);	/* no function 0 */
	add_fn(0, 0, 8, 0, 0x0000, 0x0000, 0x000000, 0, 0x00);	/* vendor 0 */
	assert_int_equal(pci_enumerate(), 2);
	assert_non_null(pci_find(PCI_BDF(0, 0, 0, 5)));
	assert_null(pci_find(PCI_BDF(0, 0, 7, 1)));
	assert_null(pci_find(PCI_BDF(0, 0, 8, 0)));
	/* The list is rebuilt by every enumeration. */
	model_clear();
	assert_int_equal(pci_enumerate(), 0);
	assert_null(pci_first());
	assert_null(pci_find(PCI_BDF(0, 0, 0, 0)));
	host_log_clear();
	pci_log_devices();
	assert_string_equal(host_log, "shoji: pci devices=0 config=cf8\n");
}

/* More functions than the list holds: first PCI_MAX_DEVICES kept, the rest
 * counted and warned about, scanning still follows bridges. */
static void test_device_list_full(void **state)
{
	struct fake_fn *f;

	(void)state;
	for (int dev = 0; dev < 32; dev++)
		for (int fn = 0; fn < 8; fn++)
			add_fn(0, 0, (uint8_t)dev, (uint8_t)fn, 0x1af4, 0x1000, 0x020000, 0,
			       fn == 0 ? 0x80 : 0x00);
	/* 00:1f.7 is a bridge to bus 1, with 3 more devices. */
	f = model[0][0][31][7];
	put8(f, 0x0e, 0x01);
	set_bridge(f, 0, 1, 1);
	for (int dev = 0; dev < 3; dev++)
		add_fn(0, 1, (uint8_t)dev, 0, 0x1af4, 0x1000, 0x020000, 0, 0x00);

	assert_int_equal(pci_enumerate(), PCI_MAX_DEVICES);
	assert_int_equal(pci_device_count(), PCI_MAX_DEVICES);
	assert_int_equal(pci_devices_dropped(), 3);
	assert_int_equal(host_log_count("pci device list full (256 entries), 01:00.0 and later not recorded"), 1);
	assert_int_equal(host_log_count("pci 3 functions not recorded"), 1);
	assert_non_null(pci_find(PCI_BDF(0, 0, 31, 7)));
	assert_null(pci_find(PCI_BDF(0, 1, 0, 0)));
	/* Dropped functions are not touched beyond identification. */
	assert_int_equal(model[0][1][0][0]->cmd_writes, 0);
}

/* Firmware mistakes on bridges: unconfigured, subordinate below secondary,
 * outside the parent's range. None is followed; nothing hangs. */
static void test_bridge_guards(void **state)
{
	struct fake_fn *f;

	(void)state;
	add_fn(0, 0, 0, 0, 0x8086, 0x29c0, 0x060000, 0, 0);
	f = add_fn(0, 0, 1, 0, 0x8086, 0x244e, 0x060400, 0, 0x01);
	set_bridge(f, 0, 0, 0);			/* not configured */
	f = add_fn(0, 0, 2, 0, 0x8086, 0x244e, 0x060400, 0, 0x01);
	set_bridge(f, 0, 3, 2);			/* subordinate < secondary */
	f = add_fn(0, 0, 3, 0, 0x8086, 0x244e, 0x060400, 0, 0x01);
	set_bridge(f, 0, 4, 5);			/* fine: 0 -> 4..5 */
	f = add_fn(0, 4, 0, 0, 0x8086, 0x244e, 0x060400, 0, 0x01);
	set_bridge(f, 4, 9, 9);			/* outside 4..5 */
	f = add_fn(0, 4, 1, 0, 0x8086, 0x244e, 0x060400, 0, 0x01);
	set_bridge(f, 7, 5, 5);			/* wrong primary: warned, followed */
	add_fn(0, 5, 0, 0, 0x1b36, 0x0001, 0x0c0330, 0, 0);

	assert_int_equal(pci_enumerate(), 7);
	assert_int_equal(host_log_count("pci 00:01.0 bridge primary=0 secondary=0 subordinate=0 not followed: not configured"), 1);
	assert_int_equal(host_log_count("pci 00:02.0 bridge primary=0 secondary=3 subordinate=2 not followed: subordinate below secondary"), 1);
	assert_int_equal(host_log_count("pci 04:00.0 bridge primary=4 secondary=9 subordinate=9 not followed: secondary outside the parent bridge's bus range"), 1);
	assert_int_equal(host_log_count("pci 04:01.0 bridge primary=7 but it sits on bus 4"), 1);
	assert_non_null(pci_find(PCI_BDF(0, 5, 0, 0)));
	/* 05:00.0 is found behind 04:01.0, not as a peer root. */
	assert_int_equal(host_log_count("peer root"), 0);
}

/* A bridge with a PCI Express capability of this device/port type (PCIe
 * Base 7.5.3.2, bits 7:4 of the capability register), or none (-1). */
static struct fake_fn *bridge_at(uint8_t bus, uint8_t dev, int pcie_type, uint8_t sec, uint8_t sub)
{
	struct fake_fn *f = add_fn(0, bus, dev, 0, 0x1b36, 0x000e, 0x060400, 0, 1);

	set_bridge(f, bus, sec, sub);
	if (pcie_type >= 0) {
		put16(f, 0x06, 0x0010);
		put8(f, 0x34, 0x40);
		put16(f, 0x40, 0x0010);				/* PCIe, end of list */
		put16(f, 0x42, (uint16_t)(pcie_type << 4 | 2));
	}
	return f;
}

/* The requester id an interrupt remapping entry checks (irq_source_of):
 * behind a PCIe-to-PCI bridge any id of its buses, behind a conventional
 * PCI bridge that bridge's id, behind PCIe ports the device's own; the
 * alias nearest the root wins. */
static void test_irq_source_aliases(void **state)
{
	struct irq_source s;

	add_fn(0, 0, 0, 0, 0x8086, 0x29c0, 0x060000, 0, 0);	/* host bridge */
	add_fn(0, 0, 5, 0, 0x1234, 0x11e8, 0x00ff00, 0, 0);	/* 00:05.0 on the root bus */
	bridge_at(0, 7, 7, 1, 4);				/* PCIe-to-PCI, buses 1-4 */
	add_fn(0, 1, 1, 0, 0x1234, 0x11e8, 0x00ff00, 0, 0);	/* 01:01.0 */
	bridge_at(1, 2, -1, 4, 4);				/* conventional, below it */
	add_fn(0, 4, 0, 0, 0x1234, 0x11e8, 0x00ff00, 0, 0);	/* 04:00.0 */
	bridge_at(0, 8, -1, 5, 5);				/* conventional on the root bus */
	add_fn(0, 5, 3, 0, 0x1234, 0x11e8, 0x00ff00, 0, 0);	/* 05:03.0 */
	bridge_at(0, 2, 4, 6, 6);				/* root port */
	add_fn(0, 6, 0, 0, 0x1234, 0x11e8, 0x00ff00, 0, 0);	/* 06:00.0 */
	assert_true(pci_enumerate() >= 10);

	s = irq_source_of(PCI_BDF(0, 0, 5, 0));
	assert_int_equal(s.kind, IRQ_SRC_RID);
	assert_int_equal(s.rid, 0x0028);
	s = irq_source_of(PCI_BDF(0, 1, 1, 0));
	assert_int_equal(s.kind, IRQ_SRC_BUS_RANGE);
	assert_int_equal(s.bus_first, 1);
	assert_int_equal(s.bus_last, 4);
	s = irq_source_of(PCI_BDF(0, 4, 0, 0));	/* conventional below PCIe-to-PCI: the latter */
	assert_int_equal(s.kind, IRQ_SRC_BUS_RANGE);
	assert_int_equal(s.bus_first, 1);
	assert_int_equal(s.bus_last, 4);
	s = irq_source_of(PCI_BDF(0, 5, 3, 0));
	assert_int_equal(s.kind, IRQ_SRC_RID);
	assert_int_equal(s.rid, 0x0040);		/* 00:08.0 */
	s = irq_source_of(PCI_BDF(0, 6, 0, 0));
	assert_int_equal(s.kind, IRQ_SRC_RID);
	assert_int_equal(s.rid, 0x0600);		/* its own: root ports forward ids */
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_irq_source_aliases, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ecam_registration, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ecam_access, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ecam_enumerate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ecam_log, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ecam_helpers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ecam_segment, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cf8_encoding, setup, teardown),
		cmocka_unit_test_setup_teardown(test_cf8_enumerate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_ext_caps_need_pcie, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absent_functions, setup, teardown),
		cmocka_unit_test_setup_teardown(test_device_list_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bridge_guards, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
