/* The protected-range registry and its consumers: the registry itself, every
 * consumer seeing every range (guest-memory accessors, PCI guard, IOMMU
 * domains), and the PCI guard judging the device's live configuration as a
 * hostile guest would attack it (64-bit BAR halves in both orders, sizing
 * with decoding on, expansion ROMs, bridge windows, a pinned BAR). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"
#include "iommu/domain.h"
#include "lib/error.h"
#include "platform/pci.h"
#include "vmm/guest_mem.h"
#include "vmm/io_trap.h"
#include "vmm/mmio_emul.h"
#include "vmm/pci_guard.h"
#include "vmm/pci_ports.h"
#include "vmm/protect.h"

#define HV_BASE 0x3be00000ULL
#define HV_END 0x3fe00000ULL
#define REGS 0xfed90000ULL
#define FLASH 0xfff00000ULL	/* a range at the top of 4 GiB: what a sizing write reaches */

/* ---------------- the registry ---------------- */

static uint64_t dummy_read(void *ctx, uint64_t gpa, int size)
{
	return 0;
}

static void dummy_write(void *ctx, uint64_t gpa, int size, uint64_t v)
{
}

static const struct mmio_ops dummy_ops = { .read = dummy_read, .write = dummy_write };

static void test_registry_add_find(void **state)
{
	char name[PROTECT_MAX_RANGES][16];

	protect_reset();
	host_log_clear();
	assert_int_equal(protect_add(HV_BASE, HV_END, PROTECT_ALL, "hypervisor-region"), 0);
	assert_int_equal(protect_add(REGS, REGS + 0x1000, PROTECT_CPU | PROTECT_DMA, "regs"), 0);
	assert_int_equal(protect_add_io(0xcf8, 0xd00, "pci-config-ports"), 0);
	/* Bad ranges are refused, not stored. */
	assert_int_equal(protect_add(0x2000, 0x2000, PROTECT_ALL, "empty"), E_INVAL);
	assert_int_equal(protect_add(0x2000, 0x1000, PROTECT_ALL, "backwards"), E_INVAL);
	assert_int_equal(protect_add(0x2100, 0x3000, PROTECT_ALL, "unaligned"), E_INVAL);
	assert_int_equal(protect_add(0x2000, 0x3000, 0, "nothing"), E_INVAL);
	assert_int_equal(protect_add(0x2000, 0x3000, PROTECT_ALL, NULL), E_INVAL);
	assert_int_equal(protect_add_io(0, 0x10001, "too-big"), E_INVAL);
	assert_int_equal(protect_count(), 3);

	assert_ptr_equal(protect_find(PROTECT_SPACE_MEM, HV_END - 1, HV_END, PROTECT_DMA),
			 protect_get(0));
	assert_null(protect_find(PROTECT_SPACE_MEM, HV_END, HV_END + 0x1000, PROTECT_ALL));
	assert_null(protect_find(PROTECT_SPACE_MEM, REGS, REGS + 1, PROTECT_BAR)); /* not BAR */
	assert_non_null(protect_find(PROTECT_SPACE_MEM, REGS, REGS + 1, PROTECT_CPU_WRITE));
	assert_null(protect_find(PROTECT_SPACE_MEM, 0xcf8, 0xcfc, PROTECT_ALL)); /* I/O apart */
	assert_non_null(protect_find(PROTECT_SPACE_IO, 0xcfc, 0xcfd, PROTECT_BAR));
	assert_ptr_equal(protect_at(REGS + 0xfff), protect_get(1));
	assert_null(protect_at(REGS + 0x1000));

	protect_log();
	assert_int_equal(host_log_count("protect range=hypervisor-region space=mem "
					"start=0x3be00000 end=0x3fe00000 forbids=rwx,dma,bar"), 1);
	assert_int_equal(host_log_count("protect range=regs space=mem start=0xfed90000 "
					"end=0xfed91000 forbids=rwx,dma"), 1);
	assert_int_equal(host_log_count("protect range=pci-config-ports space=io"), 1);

	/* Full = an error, logged; nothing is silently dropped. */
	for (unsigned i = protect_count(); i < PROTECT_MAX_RANGES; i++) {
		snprintf(name[i], sizeof(name[i]), "r%u", i);
		assert_int_equal(protect_add(GiB(8) + i * 0x1000ULL, GiB(8) + (i + 1) * 0x1000ULL,
					     PROTECT_DMA, name[i]), 0);
	}
	assert_int_equal(protect_add(GiB(9), GiB(9) + 0x1000, PROTECT_DMA, "one-too-many"),
			 E_NOMEM);
	assert_int_equal(host_log_count("the registry is full"), 1);
	assert_int_equal(protect_count(), PROTECT_MAX_RANGES);
	protect_reset();
	assert_int_equal(protect_count(), 0);
}

static void test_registry_seal(void **state)
{
	protect_reset();
	host_log_clear();
	protect_seal(PROTECT_DMA);
	assert_int_equal(protect_add(HV_BASE, HV_END, PROTECT_ALL, "late-dma"), E_BUSY);
	assert_int_equal(protect_add(HV_BASE, HV_END, PROTECT_CPU | PROTECT_BAR, "cpu-only"), 0);
	protect_seal(PROTECT_CPU);
	assert_int_equal(protect_add(REGS, REGS + 0x1000, PROTECT_CPU_WRITE, "late-cpu"), E_BUSY);
	assert_int_equal(protect_add_emulated(REGS, REGS + 0x1000, PROTECT_CPU_WRITE,
					      "late-emulated", &dummy_ops, NULL, PCI_BDF(0, 0, 0, 0),
					      -1),
			 E_BUSY);
	assert_int_equal(protect_add(REGS, REGS + 0x1000, PROTECT_BAR, "bar-only"), 0);
	assert_int_equal(host_log_count("registered after the mechanisms that enforce it"), 3);
	/* An emulated range must trap writes. */
	assert_int_equal(protect_add_emulated(REGS, REGS + 0x1000, PROTECT_CPU_READ, "no-writes",
					      &dummy_ops, NULL, PCI_BDF(0, 0, 0, 0), -1),
			 E_INVAL);
	protect_reset();
}

/* ---------------- a modelled PCI bus ---------------- */

#define ECAM_BASE 0x7f0000000000ULL
/* 00:01.0: an endpoint with a 64-bit 1 MiB BAR0, a 32-byte I/O BAR2 and a
 * 64 KiB expansion ROM; 00:02.0: a bridge with 32-bit I/O and 64-bit
 * prefetchable windows and a 2 KiB ROM. Registers hold what is written,
 * limited to their writable bits (so sizing reads back the size mask). */
struct fn_model {
	uint32_t v[64];
	uint32_t wmask[64];
};
static struct fn_model fns[3];	/* 00:01.0, 00:02.0, and 01:00.0 behind the bridge */

static struct fn_model *fn_of(uint64_t off)
{
	unsigned dev = (off >> 15) & 31, bus = (off >> 20) & 0xff;

	if (bus == 0 && (off >> 12 & 7) == 0 && (dev == 1 || dev == 2))
		return &fns[dev - 1];
	if (bus == 1 && (off >> 12 & 7) == 0 && dev == 0)
		return &fns[2];
	return NULL;
}

static uint64_t ecam_read(struct host_mmio_model *m, uint64_t off, int width)
{
	struct fn_model *f = fn_of(off);
	unsigned r = (off & 0xfff) / 4, sh = (off & 3) * 8;

	if (!f)
		return width == 4 ? 0xffffffffu : width == 2 ? 0xffff : 0xff;
	if (r >= 64)
		return 0;
	return (f->v[r] >> sh) & (width == 4 ? ~0u : (1u << (width * 8)) - 1);
}

static void ecam_write(struct host_mmio_model *m, uint64_t off, int width, uint64_t val)
{
	struct fn_model *f = fn_of(off);
	unsigned r = (off & 0xfff) / 4, sh = (off & 3) * 8;
	uint32_t mask = (width == 4 ? ~0u : (1u << (width * 8)) - 1) << sh;
	uint32_t w;

	if (!f || r >= 64)
		return;
	w = mask & f->wmask[r];
	f->v[r] = (f->v[r] & ~w) | (((uint32_t)val << sh) & w);
}

static struct host_mmio_model ecam = { ECAM_BASE, 2 << 20, ecam_read, ecam_write };

static const struct pci_bdf EP = { 0, 0, 1, 0 }, BR = { 0, 0, 2, 0 }, EP1 = { 0, 1, 0, 0 };

static void model_init(void)
{
	struct fn_model *e = &fns[0], *b = &fns[1];

	memset(fns, 0, sizeof(fns));
	e->v[0] = 0x11e81234;
	e->wmask[1] = 0x0000ffff;			/* command */
	e->v[4] = 0x00000004;				/* BAR0: 64-bit memory at 1 GiB << 2 */
	e->wmask[4] = 0xfff00000;
	e->v[5] = 0x00000001;				/* ... high half: 0x1_0000_0000 */
	e->wmask[5] = 0xffffffff;
	e->v[6] = 0x0000c001;				/* BAR2: I/O at 0xc000, 32 bytes */
	e->wmask[6] = 0xffffffe0;
	e->wmask[12] = 0xffff0001;			/* ROM: 64 KiB, enable bit */
	e->v[12] = 0xfeb00000;

	b->v[0] = 0x000c1b36;
	b->v[3] = 0x00010000;				/* header type 1 */
	b->v[2] = 0x06040000;				/* class: PCI bridge */
	b->wmask[1] = 0x0000ffff;
	b->v[6] = 0x00010100;				/* primary 0, secondary 1, sub 1 */
	b->wmask[6] = 0xffffffff;
	b->v[7] = 0x000000f1;				/* I/O: 32-bit, closed (base > limit) */
	b->wmask[7] = 0x0000f0f0;
	b->v[7] |= 0x0100;				/* limit's low nibble: 32-bit too */
	b->v[8] = 0x0000fff0;				/* memory window closed */
	b->wmask[8] = 0xfff0fff0;
	b->v[9] = 0x0001fff1;				/* prefetchable: 64-bit, closed */
	b->wmask[9] = 0xfff0fff0;
	b->wmask[10] = b->wmask[11] = b->wmask[12] = 0xffffffff;
	b->wmask[14] = 0xfffff801;			/* ROM: 2 KiB */

	fns[2] = fns[0];				/* 01:00.0: like 00:01.0, BAR0 at 2 GiB << 3 */
	fns[2].v[5] = 0x00000002;
}

static uint32_t live(struct pci_bdf a, uint16_t off)
{
	uint32_t v;

	assert_int_equal(pci_cfg_read32(a, off, &v), 0);
	return v;
}

/* What the CF8/CFC handler does: ask the guard, write only if allowed. */
static bool guest_write(struct pci_bdf a, uint16_t off, int size, uint32_t v)
{
	bool ok = pci_guard_allows(a, off, size, v, live(a, off & ~3u));

	if (ok) {
		if (size == 4)
			pci_cfg_write32(a, off, v);
		else if (size == 2)
			pci_cfg_write16(a, off, (uint16_t)v);
		else
			pci_cfg_write8(a, off, (uint8_t)v);
	}
	return ok;
}

static uint64_t bar0(void)
{
	return ((uint64_t)live(EP, 0x14) << 32 | live(EP, 0x10)) & ~0xfULL;
}

static int pci_setup(void **state)
{
	model_init();
	host_mmio = &ecam;
	pci_cfg_reset();
	assert_int_equal(pci_add_ecam(0, ECAM_BASE, 0, 1), 0);
	assert_int_equal(pci_enumerate(), 3);
	protect_reset();
	pci_guard_reset();
	assert_int_equal(protect_add(HV_BASE, HV_END, PROTECT_ALL, "hypervisor-region"), 0);
	assert_int_equal(protect_add(REGS, REGS + 0x1000, PROTECT_ALL, "iommu-registers"), 0);
	assert_int_equal(protect_add(FLASH, GiB(4), PROTECT_BAR, "flash"), 0);
	assert_int_equal(protect_add_io(0xcf8, 0xd00, "pci-config-ports"), 0);
	host_log_clear();
	return 0;
}

static int pci_teardown(void **state)
{
	host_mmio = NULL;
	pci_cfg_reset();
	protect_reset();
	return 0;
}

static void test_enumeration_sizes(void **state)
{
	const struct pci_device *e = pci_find(EP), *b = pci_find(BR);

	assert_int_equal(e->bars[0].type, PCI_BAR_MEM64);
	assert_int_equal(e->bars[0].size, 0x100000);
	assert_int_equal(e->bars[2].type, PCI_BAR_IO);
	assert_int_equal(e->bars[2].size, 32);
	assert_int_equal(e->rom_size, 0x10000);
	assert_int_equal(b->rom_size, 0x800);
	assert_int_equal(live(EP, 0x30), 0xfeb00000);	/* restored after sizing */
}

/* 0x1_0000_0000 onto the region: low half first, then the high half. The
 * first write is harmless (0x1_3be0_0000), the second must be judged on the
 * low half as it is NOW, not as it was at boot. Decoding on and off. */
static void test_bar64_low_then_high(void **state)
{
	for (int decode = 0; decode < 2; decode++) {
		model_init();
		fns[0].v[1] = decode ? 0x2 : 0;
		assert_true(guest_write(EP, 0x10, 4, (uint32_t)HV_BASE | 4));
		assert_int_equal(bar0(), 0x100000000ULL | HV_BASE);
		assert_false(guest_write(EP, 0x14, 4, 0));
		assert_int_equal(bar0(), 0x100000000ULL | HV_BASE);	/* unchanged */
		/* 16-bit writes of the high half: the same. */
		assert_false(guest_write(EP, 0x14, 2, 0));
		assert_true(guest_write(EP, 0x14, 4, 2));		/* elsewhere: fine */
	}
	assert_int_equal(host_log_count("offset 0x14 value=0x00000000: hypervisor-region"), 4);
}

static void test_bar64_high_then_low(void **state)
{
	for (int decode = 0; decode < 2; decode++) {
		model_init();
		fns[0].v[1] = decode ? 0x2 : 0;
		assert_true(guest_write(EP, 0x14, 4, 0));		/* 0x0: below 1 MiB */
		assert_int_equal(bar0(), 0);
		assert_false(guest_write(EP, 0x10, 4, (uint32_t)HV_BASE | 4));
		assert_false(guest_write(EP, 0x12, 2, (uint32_t)(HV_END - 0x100000) >> 16));
		assert_false(guest_write(EP, 0x10, 4, (uint32_t)REGS & 0xfff00000));
		assert_int_equal(bar0(), 0);
		assert_true(guest_write(EP, 0x10, 4, (uint32_t)(HV_END) | 4));	/* just after */
	}
	assert_int_equal(pci_guard_refusals(), 6);
}

/* All-ones is an address too: a 1 MiB BAR sized with decoding on decodes
 * at 0xfff00000 until restored. Linux sizes with decoding off: that passes,
 * and turning decoding on while the size mask is still there does not. */
static void test_sizing_with_decode(void **state)
{
	assert_true(guest_write(EP, 0x14, 4, 0));		/* BAR0 at 0x0 */
	fns[0].v[1] = 0x2;					/* memory decoding on */
	assert_false(guest_write(EP, 0x10, 4, 0xffffffff));
	assert_int_equal(bar0(), 0);
	assert_true(guest_write(EP, 0x04, 2, 0x0002));	/* BAR0 still at 0: fine */
	assert_true(guest_write(EP, 0x14, 4, 0xffffffff));	/* high half: 0xffffffff_00000000 */
	assert_true(guest_write(EP, 0x14, 4, 0));
	assert_int_equal(host_log_count("offset 0x10 value=0xffffffff: flash"), 1);
}

static void test_sizing_decode_off_then_enable(void **state)
{
	assert_true(guest_write(EP, 0x14, 4, 0));
	assert_true(guest_write(EP, 0x10, 4, 0xffffffff));	/* decoding off: sizing */
	assert_int_equal(live(EP, 0x10), 0xfff00004);
	assert_false(guest_write(EP, 0x04, 2, 0x0002));	/* would decode at 0xfff00000 */
	assert_true(guest_write(EP, 0x04, 2, 0x0001));	/* I/O only: BAR2 at 0xc000 */
	assert_true(guest_write(EP, 0x10, 4, 0x00100004));	/* restored */
	assert_true(guest_write(EP, 0x04, 2, 0x0003));
	assert_int_equal(host_log_count("offset 0x04 value=0x00000002: flash"), 1);
}

static void test_io_bar(void **state)
{
	assert_false(guest_write(EP, 0x18, 4, 0x0ce1));	/* 0xce0-0xcff: config ports */
	assert_true(guest_write(EP, 0x18, 4, 0x0d01));
	assert_true(guest_write(EP, 0x18, 4, 0xffffffff));	/* sizing, decoding off */
	assert_int_equal(host_log_count("pci-config-ports"), 1);
}

static void test_expansion_rom(void **state)
{
	/* The address alone decodes nothing; enabling it over the region is
	 * refused, at once or through the command register. */
	assert_false(guest_write(EP, 0x30, 4, (uint32_t)HV_BASE | 1));
	assert_true(guest_write(EP, 0x30, 4, (uint32_t)HV_BASE));	/* enable bit clear */
	assert_false(guest_write(EP, 0x30, 1, 1));			/* byte write: enable */
	/* 64 KiB ROM: its low address bits are read-only zero, so it decodes
	 * from the 64 KiB line below what is written: 32 KiB below the region
	 * is fine, 32 KiB below the region's end is inside it. */
	assert_true(guest_write(EP, 0x30, 4, (uint32_t)(HV_BASE - 0x8000) | 1));
	assert_int_equal(live(EP, 0x30), (uint32_t)(HV_BASE - 0x10000) | 1);
	assert_false(guest_write(EP, 0x30, 4, (uint32_t)(HV_END - 0x8000) | 1));
	/* The bridge's ROM is at 0x38. */
	assert_false(guest_write(BR, 0x38, 4, (uint32_t)REGS | 1));
	assert_true(guest_write(BR, 0x38, 4, 0xfe000001));
	assert_int_equal(pci_guard_refusals(), 4);
}

static void test_bridge_windows(void **state)
{
	/* Memory window 0x3bf00000-0x3bffffff: inside the region. */
	assert_false(guest_write(BR, 0x20, 4, 0x3bf03bf0));
	assert_true(guest_write(BR, 0x20, 4, 0x3bd03bd0));		/* below it */
	assert_false(guest_write(BR, 0x22, 2, 0x3bf0));		/* limit up into it */
	assert_true(guest_write(BR, 0x20, 4, 0x0000fff0));		/* closed again */
	/* Prefetchable 64-bit: low halves on the region with upper base 1, then
	 * the upper halves to 0, either first. */
	assert_true(guest_write(BR, 0x28, 4, 1));
	assert_true(guest_write(BR, 0x2c, 4, 1));
	assert_true(guest_write(BR, 0x24, 4, 0x3be13be1));		/* 0x1_3be0_0000 */
	assert_false(guest_write(BR, 0x28, 4, 0));	/* 0x0_3be0_0000-0x1_3bff_ffff: covers */
	assert_true(guest_write(BR, 0x2c, 4, 0));	/* limit first: base > limit, closed */
	assert_false(guest_write(BR, 0x28, 4, 0));	/* then base: 0x3be0_0000-0x3bff_ffff */
	assert_int_equal(live(BR, 0x28), 1);
	/* I/O window 0x0000-0x0fff (32-bit I/O, upper halves 0): covers 0xcf8. */
	assert_false(guest_write(BR, 0x1c, 2, 0x0101));
	assert_true(guest_write(BR, 0x1c, 2, 0x1111));		/* 0x1000-0x1fff */
	assert_false(guest_write(BR, 0x1c, 1, 0x01));			/* base down to 0 */
	assert_true(guest_write(BR, 0x30, 4, 0x00010001));		/* 0x1_1000: fine */
	assert_true(guest_write(BR, 0x1c, 1, 0x01));			/* 0x1_0000-0x1_1fff */
	assert_false(guest_write(BR, 0x30, 4, 0));			/* back to 0x0000 */
	assert_int_equal(pci_guard_refusals(), 7);
}

/* The BAR owning an emulated range stays put; nothing else may decode
 * over the range. */
static void test_pinned_bar(void **state)
{
	assert_int_equal(protect_add_emulated(0x100000000ULL, 0x100100000ULL,
					      PROTECT_CPU | PROTECT_BAR, "emulated-device", &dummy_ops, NULL, EP, 0),
			 0);
	fns[0].v[1] = 0x2;
	assert_true(guest_write(EP, 0x04, 2, 0x0002));	/* its own BAR may decode there */
	assert_true(guest_write(EP, 0x10, 4, 0x00000004));	/* written back in place */
	assert_true(guest_write(EP, 0x14, 4, 1));
	assert_false(guest_write(EP, 0x10, 4, 0x00200004));	/* moved: refused */
	assert_false(guest_write(EP, 0x14, 4, 2));
	fns[0].v[1] = 0;
	assert_true(guest_write(EP, 0x10, 4, 0xffffffff));	/* sized */
	assert_true(guest_write(EP, 0x10, 4, 0x00000004));
	assert_int_equal(bar0(), 0x100000000ULL);
	/* The bridge's prefetchable window over it: refused (the device is not
	 * behind that bridge: bus 0, the bridge forwards to bus 1). */
	assert_true(guest_write(BR, 0x28, 4, 1));
	assert_true(guest_write(BR, 0x2c, 4, 1));
	assert_false(guest_write(BR, 0x24, 4, 0x00010001));
	assert_int_equal(host_log_count(": emulated-device"), 3);
	/* A device behind the bridge (bus 1) owning a pinned range: the window
	 * that routes to it may cover it; the region still may not be. */
	protect_reset();
	assert_int_equal(protect_add(HV_BASE, HV_END, PROTECT_ALL, "hypervisor-region"), 0);
	assert_int_equal(protect_add_emulated(0x200000000ULL, 0x200100000ULL,
					      PROTECT_CPU | PROTECT_BAR, "behind-bridge", &dummy_ops,
					      NULL, EP1, 0),
			 0);
	assert_true(guest_write(BR, 0x28, 4, 2));
	assert_true(guest_write(BR, 0x2c, 4, 2));
	assert_true(guest_write(BR, 0x24, 4, 0x00010001));	/* 0x2_0000_0000-0x2_001f_ffff */
	assert_false(guest_write(BR, 0x28, 4, 0));	/* 0x0_0000_0000-0x2_001f_ffff: the region */
}

/* Emulated I/O ports owned by an I/O BAR (an IDE bus-master block): the
 * BAR is pinned (moving refused, sizing and writing back pass), no other
 * BAR may decode over the ports, and the function's programming interface
 * (an IDE controller's legacy/native switch) is fixed. */
static uint32_t dummy_in(void *ctx, uint16_t port, unsigned size) { return 0; }
static void dummy_out(void *ctx, uint16_t port, unsigned size, uint32_t v) { }
static const struct io_ops dummy_io = { dummy_in, dummy_out };

static void test_pinned_io_bar(void **state)
{
	fns[0].wmask[2] = 0x0000ff00;	/* prog-if writable, as on an ICH9 in IDE mode */
	assert_int_equal(protect_add_io_emulated(0xc000, 0xc010, "ide-bus-master", &dummy_io, NULL,
						 EP, 2), 0);
	assert_int_equal(protect_add_io_emulated(0x1f0, 0x1f8, "ide0-taskfile", &dummy_io, NULL,
						 EP, -1), 0);
	fns[0].v[1] = 0x1;
	assert_true(guest_write(EP, 0x18, 4, 0x0000c001));	/* in place */
	assert_false(guest_write(EP, 0x18, 4, 0x0000d001));	/* moved */
	assert_false(guest_write(EP, 0x18, 2, 0x01f1));		/* over the task file too */
	fns[0].v[1] = 0;
	assert_true(guest_write(EP, 0x18, 4, 0xffffffff));	/* sized */
	assert_true(guest_write(EP, 0x18, 4, 0x0000c001));
	assert_int_equal(live(EP, 0x18), 0x0000c001);
	/* Another function's I/O BAR over the task-file ports: refused. */
	fns[2].v[1] = 0x1;
	assert_false(guest_write(EP1, 0x18, 4, 0x000001e1));
	/* The programming interface stays. */
	assert_false(guest_write(EP, 0x09, 1, 0x85));
	assert_false(guest_write(EP, 0x08, 4, 0x01018500));
	assert_true(guest_write(EP, 0x08, 4, live(EP, 0x08)));
	/* Ports beyond 64 KiB, a memory BAR as owner: refused. */
	assert_int_equal(protect_add_io_emulated(0xfff0, 0x10001, "too-far", &dummy_io, NULL, EP, -1),
			 E_INVAL);
	assert_int_equal(protect_add_io_emulated(0x170, 0x178, "mem-owner", &dummy_io, NULL, EP, 0),
			 E_INVAL);
	/* Once the CPU intercepts are built, no more emulated ports. */
	protect_seal(PROTECT_CPU);
	assert_int_equal(protect_add_io_emulated(0x170, 0x178, "late", &dummy_io, NULL, EP, -1),
			 E_BUSY);
}

/* An emulated range inside a BAR (an MSI-X table's page): the BAR is pinned
 * at its own address, not the range's. */
static void test_pinned_bar_range_inside(void **state)
{
	assert_int_equal(protect_add_emulated(0x100003000ULL, 0x100004000ULL,
					      PROTECT_CPU | PROTECT_BAR, "msix-table", &dummy_ops,
					      NULL, EP, 0),
			 0);
	assert_true(guest_write(EP, 0x10, 4, 0x00000004));	/* in place: fine */
	assert_false(guest_write(EP, 0x10, 4, 0x00003004));	/* moved by the offset */
	assert_false(guest_write(EP, 0x10, 4, 0x00100004));
	/* A BAR that is not an enumerated memory BAR cannot be pinned. */
	assert_int_equal(protect_add_emulated(0x200000000ULL, 0x200001000ULL, PROTECT_CPU,
					      "bad-owner", &dummy_ops, NULL, EP, 1),
			 E_INVAL);
	assert_int_equal(protect_add_emulated(0x200000000ULL, 0x200001000ULL, PROTECT_CPU,
					      "no-device", &dummy_ops, NULL, PCI_BDF(0, 0, 9, 0), 0),
			 E_INVAL);
}

static void test_bridge_numbers_still_fixed(void **state)
{
	assert_false(guest_write(BR, 0x19, 1, 7));
	assert_true(guest_write(BR, 0x19, 1, 1));
	assert_int_equal(host_log_count("bridge bus numbers are fixed"), 1);
}

/* ---------------- the guest's config ports (vmm/pci_ports.c) ---------------- */

/* The hardware's CONFIG_ADDRESS/CONFIG_DATA over the same modelled bus, and
 * a byte register at 0xcf9 (the reset control) that must see the guest's
 * write unchanged. */
static uint32_t hw_cf8, hw_cf9_writes;

static uint32_t ports_in(uint16_t port, int width)
{
	if (port == 0xcf8 && width == 4)
		return hw_cf8;
	if (port >= 0xcfc && (hw_cf8 & 0x80000000u))
		return (uint32_t)ecam_read(&ecam, pci_ecam_offset(hw_cf8 >> 16 & 0xff,
								  hw_cf8 >> 11 & 0x1f,
								  hw_cf8 >> 8 & 7,
								  (hw_cf8 & 0xfc) | (port & 3)),
					   width);
	return width == 4 ? ~0u : (1u << (width * 8)) - 1;
}

static void ports_out(uint16_t port, int width, uint32_t v)
{
	if (port == 0xcf8 && width == 4)
		hw_cf8 = v;
	else if (port == 0xcf9 && width == 1)
		hw_cf9_writes = hw_cf9_writes << 8 | v;
	else if (port >= 0xcfc && (hw_cf8 & 0x80000000u))
		ecam_write(&ecam, pci_ecam_offset(hw_cf8 >> 16 & 0xff, hw_cf8 >> 11 & 0x1f,
						  hw_cf8 >> 8 & 7, (hw_cf8 & 0xfc) | (port & 3)),
			   width, v);
}

static const struct host_io_ops ports = { ports_in, ports_out };

/* The data read the back-end does in the exit of a CONFIG_ADDRESS write
 * (pci_ports_fused_read): exactly "mov $0xcfc..0xcff, %edx" then IN from
 * DX at AL, AX or EAX, the bytes Linux 6.1's read_pci_config() compiles
 * to; anything else (another register, an immediate port, a read past
 * 0xcff, 16-bit code, a cut-off fetch) is left to its own exit. */
static void test_fused_config_read(void **state)
{
	/* Linux 6.1 (Debian 6.1.0-57) read_pci_config, after "out %eax,(%dx)". */
	static const uint8_t linux_eax[] = { 0xba, 0xfc, 0x0c, 0x00, 0x00, 0xed, 0xe9 };
	static const uint8_t ax[] = { 0xba, 0xfe, 0x0c, 0x00, 0x00, 0x66, 0xed };
	static const uint8_t al[] = { 0xba, 0xff, 0x0c, 0x00, 0x00, 0xec };
	static const struct { uint8_t b[8]; uint8_t n; const char *what; } no[] = {
		{ { 0xb9, 0xfc, 0x0c, 0x00, 0x00, 0xed }, 6, "mov to ecx" },
		{ { 0xba, 0xf8, 0x0c, 0x00, 0x00, 0xed }, 6, "CONFIG_ADDRESS itself" },
		{ { 0xba, 0xfb, 0x0c, 0x00, 0x00, 0xed }, 6, "below the data ports" },
		{ { 0xba, 0x00, 0x0d, 0x00, 0x00, 0xec }, 6, "past them" },
		{ { 0xba, 0xfc, 0x0c, 0x01, 0x00, 0xed }, 6, "upper bits set" },
		{ { 0xba, 0xfd, 0x0c, 0x00, 0x00, 0xed }, 6, "a dword past 0xcff" },
		{ { 0xba, 0xff, 0x0c, 0x00, 0x00, 0x66, 0xed }, 7, "a word past 0xcff" },
		{ { 0xba, 0xfc, 0x0c, 0x00, 0x00, 0xee }, 6, "OUT, not IN" },
		{ { 0xba, 0xfc, 0x0c, 0x00, 0x00, 0xe5, 0xfc }, 7, "IN with an immediate port" },
		{ { 0xba, 0xfc, 0x0c, 0x00, 0x00, 0x66 }, 6, "cut off after 66" },
		{ { 0xba, 0xfc, 0x0c, 0x00, 0x00 }, 5, "cut off before the IN" },
		{ { 0x41, 0xba, 0xfc, 0x0c, 0x00, 0x00, 0xed }, 7, "REX.B: mov to r10d" },
		{ { 0x66, 0xba, 0xfc, 0x0c, 0xed }, 5, "16-bit mov" },
	};
	uint16_t port = 0;
	unsigned size = 0;

	(void)state;
	assert_int_equal(pci_ports_fused_read(linux_eax, sizeof(linux_eax), X86_MODE_64, &port,
					      &size), 6);
	assert_int_equal(port, 0xcfc);
	assert_int_equal(size, 4);
	assert_int_equal(pci_ports_fused_read(linux_eax, 6, X86_MODE_32, &port, &size), 6);
	assert_int_equal(pci_ports_fused_read(ax, sizeof(ax), X86_MODE_64, &port, &size), 7);
	assert_int_equal(port, 0xcfe);
	assert_int_equal(size, 2);
	assert_int_equal(pci_ports_fused_read(al, sizeof(al), X86_MODE_32, &port, &size), 6);
	assert_int_equal(port, 0xcff);
	assert_int_equal(size, 1);
	/* BA iw in 16-bit code: another instruction. */
	assert_int_equal(pci_ports_fused_read(linux_eax, 6, X86_MODE_16, &port, &size), 0);
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		port = 0, size = 0;
		if (pci_ports_fused_read(no[i].b, no[i].n, X86_MODE_64, &port, &size))
			fail_msg("fused a read that is not one: %s", no[i].what);
		assert_int_equal(port, 0);
		assert_int_equal(size, 0);
	}
}

/* A function hidden through the registry (the AMD-Vi IOMMU's own): the
 * configuration ports read it as absent at every size and drop every
 * write; the other functions are untouched; registration fails closed. */
static void test_hidden_function_through_config_ports(void **state)
{
	struct pci_ports p = { 0 };
	uint32_t bar = fns[0].v[4];

	host_io = &ports;
	assert_int_equal(protect_add_pci_function(PCI_BDF(0, 0, 1, 0), "amdvi-iommu"), 0);
	assert_string_equal(protect_pci_function_hidden(PCI_BDF(0, 0, 1, 0)), "amdvi-iommu");
	assert_null(protect_pci_function_hidden(PCI_BDF(0, 0, 2, 0)));
	pci_ports_out(&p, 0xcf8, 4, 0x80000800);	/* 00:01.0 vendor/device */
	assert_int_equal(pci_ports_in(&p, 0xcfc, 4), 0xffffffffu);
	assert_int_equal(pci_ports_in(&p, 0xcfe, 2), 0xffff);
	assert_int_equal(pci_ports_in(&p, 0xcfd, 1), 0xff);
	pci_ports_out(&p, 0xcf8, 4, 0x80000810);	/* its BAR0: the write is dropped */
	pci_ports_out(&p, 0xcfc, 4, 0x00300004);
	assert_int_equal(fns[0].v[4], bar);
	pci_ports_out(&p, 0xcf8, 4, 0x80000804);	/* command register, 2 bytes */
	pci_ports_out(&p, 0xcfc, 2, 0);
	assert_int_equal(host_log_count("guest write to hidden function 00:01.0 (amdvi-iommu)"), 2);
	/* Registering again is fine; after the guest's view is sealed, no. */
	assert_int_equal(protect_add_pci_function(PCI_BDF(0, 0, 1, 0), "amdvi-iommu"), 0);
	assert_int_equal(protect_pci_function_count(), 1);
	for (unsigned i = 1; i < PROTECT_MAX_FUNCTIONS; i++)
		assert_int_equal(protect_add_pci_function(PCI_BDF(0, 5, (uint8_t)i, 0), "x"), 0);
	assert_int_equal(protect_add_pci_function(PCI_BDF(0, 6, 0, 0), "one-too-many"), E_NOMEM);
	protect_seal(PROTECT_CPU);
	assert_int_equal(protect_add_pci_function(PCI_BDF(0, 7, 0, 0), "late"), E_BUSY);
	protect_reset();
	assert_null(protect_pci_function_hidden(PCI_BDF(0, 0, 1, 0)));
}

static void test_config_ports(void **state)
{
	struct pci_ports p = { 0 };

	host_io = &ports;
	hw_cf8 = 0x8000ff00;	/* shoji's own last address: the guest's latch is apart */
	/* The latch is the guest's: set and read back, the hardware untouched. */
	pci_ports_out(&p, 0xcf8, 4, 0x80000810);	/* 00:01.0 offset 0x10 */
	assert_int_equal(pci_ports_in(&p, 0xcf8, 4), 0x80000810);
	assert_int_equal(hw_cf8, 0x8000ff00);
	/* Reads are replayed: the vendor/device dword, a byte and a word. */
	pci_ports_out(&p, 0xcf8, 4, 0x80000800);
	assert_int_equal(pci_ports_in(&p, 0xcfc, 4), 0x11e81234);
	assert_int_equal(pci_ports_in(&p, 0xcfe, 2), 0x11e8);
	assert_int_equal(pci_ports_in(&p, 0xcfd, 1), 0x12);
	/* Writes go through the guard: the 64-bit BAR's high half to 0 puts
	 * it at 0x0 (fine); then the low half onto the region: dropped. */
	pci_ports_out(&p, 0xcf8, 4, 0x80000814);
	pci_ports_out(&p, 0xcfc, 4, 0);
	assert_int_equal(fns[0].v[5], 0);
	pci_ports_out(&p, 0xcf8, 4, 0x80000810);
	pci_ports_out(&p, 0xcfc, 4, (uint32_t)HV_BASE | 4);
	assert_int_equal(fns[0].v[4], 4);
	pci_ports_out(&p, 0xcfe, 2, (uint32_t)(HV_BASE >> 16));	/* word write, upper half */
	assert_int_equal(fns[0].v[4], 4);
	assert_int_equal(pci_guard_refusals(), 2);
	pci_ports_out(&p, 0xcfe, 2, 0x0030);				/* 0x300000: fine */
	assert_int_equal(fns[0].v[4], 0x00300004);
	/* Latch disabled: reads all-ones, writes nothing. */
	pci_ports_out(&p, 0xcf8, 4, 0x00000810);
	assert_int_equal(pci_ports_in(&p, 0xcfc, 4), 0xffffffffu);
	assert_int_equal(pci_ports_in(&p, 0xcfd, 1), 0xff);
	pci_ports_out(&p, 0xcfc, 4, 0);
	assert_int_equal(fns[0].v[4], 0x00300004);
	/* A byte at 0xcf9 is not CONFIG_ADDRESS: it reaches the hardware. */
	pci_ports_out(&p, 0xcf9, 1, 0x06);
	assert_int_equal(hw_cf9_writes, 0x06);
	assert_int_equal(pci_ports_in(&p, 0xcf8, 4), 0x00000810);
	host_io = NULL;
}

/* ---------------- every consumer sees every range ---------------- */

static uint8_t *mem;	/* pages standing in for physical memory */

/* One range of each kind at 0x80000000 + i * 2 MiB (1 MiB each): the
 * accessors, the default DMA domain and the PCI guard (a 1 MiB 64-bit BAR
 * put exactly on it, high half first) must each refuse exactly the ranges
 * whose flags say so, and nothing else. */
static void test_every_consumer_sees_every_range(void **state)
{
	static const unsigned kinds[] = {
		PROTECT_ALL, PROTECT_CPU, PROTECT_CPU_WRITE, PROTECT_DMA, PROTECT_BAR,
		PROTECT_CPU_EXEC | PROTECT_DMA, PROTECT_CPU_READ | PROTECT_BAR,
	};
	const unsigned n = sizeof(kinds) / sizeof(kinds[0]);
	struct domain_config dc = { .levels = 4, .max_page_level = 3, .dma_limit = GiB(4) };
	struct domain *d;
	char names[8][8];

	pci_setup(state);
	protect_reset();
	for (unsigned i = 0; i < n; i++) {
		paddr_t a = 0x80000000ULL + i * MiB(2);

		snprintf(names[i], sizeof(names[i]), "k%u", i);
		assert_int_equal(protect_add(a, a + MiB(1), kinds[i], names[i]), 0);
	}
	assert_int_equal(domain_policy_init(&dc), 0);
	assert_int_equal(domain_forbid_protected(), 0);
	assert_int_equal(domain_build_default(), 0);
	d = domain_default();
	assert_int_equal(guest_write(EP, 0x14, 4, 0), true);
	for (unsigned i = 0; i < n; i++) {
		paddr_t a = 0x80000000ULL + i * MiB(2), pa;
		unsigned f = kinds[i], perm = 0;

		/* CPU: the accessors, for each kind of access, at both ends. */
		assert_int_equal(guest_phys_ok(a, 1, PROTECT_CPU_READ), !(f & PROTECT_CPU_READ));
		assert_int_equal(guest_phys_ok(a + MiB(1) - 1, 1, PROTECT_CPU_WRITE),
				 !(f & PROTECT_CPU_WRITE));
		assert_int_equal(guest_phys_ok(a + 4096, 8, PROTECT_CPU_EXEC),
				 !(f & PROTECT_CPU_EXEC));
		assert_true(guest_phys_ok(a + MiB(1), 4096, PROTECT_CPU));	/* just after */
		/* DMA: the domain's tables and its policy answer. */
		assert_int_equal(iopt_translate(&d->pt, a, &pa, &perm, NULL) == 0,
				 !(f & PROTECT_DMA));
		assert_int_equal(iopt_translate(&d->pt, a + MiB(1) - 4096, &pa, &perm, NULL) == 0,
				 !(f & PROTECT_DMA));
		assert_int_equal(domain_may_reach(d, a, IOPT_READ), !(f & PROTECT_DMA));
		assert_true(domain_may_reach(d, a + MiB(1), IOPT_READ));
		/* BAR placement: the guard. */
		assert_int_equal(guest_write(EP, 0x10, 4, (uint32_t)a | 4), !(f & PROTECT_BAR));
	}
	domain_policy_init(&dc);
	assert_int_equal(host_pages_in_use, 0);
	pci_teardown(state);
}

/* ---------------- guest-memory accessors ---------------- */

static void test_accessors_paging_off(void **state)
{
	struct guest_paging off = { .cr0 = 1 };	/* PE, no PG */
	uint8_t b[16];
	paddr_t pa;

	mem = aligned_alloc(4096, 4 * 4096);
	memset(mem, 0x90, 4 * 4096);
	protect_reset();
	assert_int_equal(protect_add((uintptr_t)mem + 4096, (uintptr_t)mem + 8192, PROTECT_ALL,
				     "hypervisor-region"), 0);
	assert_int_equal(protect_add_emulated((uintptr_t)mem + 8192, (uintptr_t)mem + 12288,
					      PROTECT_CPU_WRITE, "device", &dummy_ops, NULL,
					      PCI_BDF(0, 0, 0, 0), -1), 0);
	/* Instruction fetch with paging off: linear == physical, checked. */
	assert_int_equal(guest_fetch(&off, (uintptr_t)mem + 100, b, 15), 15);
	assert_int_equal(guest_fetch(&off, (uintptr_t)mem + 4096, b, 15), 0);
	assert_int_equal(guest_fetch(&off, (uintptr_t)mem + 4090, b, 15), 6); /* stops at it */
	assert_int_equal(guest_fetch(&off, (uintptr_t)mem + 8192 + 8, b, 15), 0); /* emulated */
	/* Operands: the same. */
	assert_int_equal(copy_from_guest(&off, b, (uintptr_t)mem + 4096 + 8, 4), E_FAULT);
	assert_int_equal(copy_to_guest(&off, (uintptr_t)mem + 4094, "abcd", 4), E_FAULT);
	assert_int_equal(mem[4094], 0x90);	/* refused whole: nothing written */
	assert_int_equal(copy_to_guest(&off, (uintptr_t)mem + 8, "abcd", 4), 0);
	assert_int_equal(memcmp(mem + 8, "abcd", 4), 0);
	/* The MMIO emulator's translation gives the emulated page's address;
	 * copying through it is refused. */
	assert_int_equal(guest_translate(&off, (uintptr_t)mem + 8192 + 4, true, &pa), 0);
	assert_int_equal(pa, (uintptr_t)mem + 8192 + 4);
	assert_int_equal(guest_virt_to_phys(&off, (uintptr_t)mem + 8192, false, &pa), E_FAULT);
	/* Legacy 32-bit paging: not walked, refused. */
	off.cr0 = 1u | (1u << 31);
	assert_int_equal(guest_fetch(&off, (uintptr_t)mem, b, 15), 0);
	protect_reset();
	free(mem);
}

/* Long mode: a page-table page inside a protected range is not read. */
static void test_accessors_tables_protected(void **state)
{
	uint64_t *pt = aligned_alloc(4096, 5 * 4096);
	uint8_t *page = (uint8_t *)&pt[4 * 512];
	struct guest_paging pg = { .cr0 = (1ULL << 31) | 1, .cr3 = (uintptr_t)pt, .cr4 = 0x20,
				   .efer = (1ULL << 10) | (1ULL << 8) };
	uint8_t b[8];

	memset(pt, 0, 5 * 4096);
	pt[0] = (uintptr_t)&pt[512] | 3;
	pt[512] = (uintptr_t)&pt[1024] | 3;
	pt[1024] = (uintptr_t)&pt[1536] | 3;
	pt[1536] = (uintptr_t)page | 3;
	memset(page, 0xc3, 4096);
	protect_reset();
	assert_int_equal(guest_fetch(&pg, 0, b, 8), 8);
	assert_int_equal(protect_add((uintptr_t)&pt[1024], (uintptr_t)&pt[1536], PROTECT_CPU_READ,
				     "a-table"), 0);
	assert_int_equal(guest_fetch(&pg, 0, b, 8), 0);
	assert_int_equal(copy_from_guest(&pg, b, 0, 8), E_FAULT);
	protect_reset();
	assert_int_equal(protect_add((uintptr_t)page, (uintptr_t)page + 4096, PROTECT_CPU_EXEC,
				     "no-exec"), 0);
	assert_int_equal(guest_fetch(&pg, 0, b, 8), 0);
	assert_int_equal(copy_from_guest(&pg, b, 0, 8), 0);	/* reads are allowed there */
	protect_reset();
	free(pt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry_add_find),
		cmocka_unit_test(test_registry_seal),
		cmocka_unit_test_setup_teardown(test_enumeration_sizes, pci_setup, pci_teardown),
		cmocka_unit_test_setup_teardown(test_bar64_low_then_high, pci_setup, pci_teardown),
		cmocka_unit_test_setup_teardown(test_bar64_high_then_low, pci_setup, pci_teardown),
		cmocka_unit_test_setup_teardown(test_sizing_with_decode, pci_setup, pci_teardown),
		cmocka_unit_test_setup_teardown(test_sizing_decode_off_then_enable, pci_setup,
						pci_teardown),
		cmocka_unit_test_setup_teardown(test_io_bar, pci_setup, pci_teardown),
		cmocka_unit_test_setup_teardown(test_expansion_rom, pci_setup, pci_teardown),
		cmocka_unit_test_setup_teardown(test_bridge_windows, pci_setup, pci_teardown),
		cmocka_unit_test_setup_teardown(test_pinned_bar, pci_setup, pci_teardown),
		cmocka_unit_test_setup_teardown(test_pinned_bar_range_inside, pci_setup, pci_teardown),
		cmocka_unit_test_setup_teardown(test_pinned_io_bar, pci_setup, pci_teardown),
		cmocka_unit_test_setup_teardown(test_bridge_numbers_still_fixed, pci_setup,
						pci_teardown),
		cmocka_unit_test_setup_teardown(test_config_ports, pci_setup, pci_teardown),
		cmocka_unit_test(test_fused_config_read),
		cmocka_unit_test_setup_teardown(test_hidden_function_through_config_ports, pci_setup,
						pci_teardown),
		cmocka_unit_test(test_every_consumer_sees_every_range),
		cmocka_unit_test(test_accessors_paging_off),
		cmocka_unit_test(test_accessors_tables_protected),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
