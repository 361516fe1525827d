/* Unit tests for the AMD-Vi encoders and decoder (src/iommu/amdvi_dte.c,
 * amdvi_cmd.c, amdvi_pte.c, amdvi_irte.c, amdvi_event.c).
 *
 * The checks read and write entries through a reader of their own: one
 * function that takes bit [hi:lo] of a little-endian byte image, with the
 * absolute bit numbers as the specification's tables give them (AMD IOMMU
 * spec 48882 rev 3.x: 2.2.2 device table entry, 2.2.3 I/O page tables,
 * 2.2.5 interrupt remapping entries, 2.4 commands, 2.5 event log), not
 * through amdvi_regs.h's per-qword masks; page tables built with the
 * encoders are checked by a walker of its own. The DTE's reserved bits are
 * checked twice: against the spec's (as QEMU's 2025 fix of its masks lists
 * them, "amd_iommu: Update bitmasks representing DTE reserved fields") and
 * against the older masks of QEMU 7.2, the model our integration tests run
 * on, which wrongly take DTE bit 72 (domain ID bit 8) for reserved: on
 * QEMU 7.2 a domain ID with bit 8 set makes the entry illegal, so the
 * driver must keep to IDs with bit 8 clear there. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"
#include "iommu/amdvi_cmd.h"
#include "iommu/amdvi_dte.h"
#include "iommu/amdvi_event.h"
#include "iommu/amdvi_irte.h"
#include "iommu/iopt.h"
#include "iommu/amdvi_pte.h"
#include "iommu/amdvi_regs.h"
#include "lib/error.h"

/* ---- the independent reader/writer ---- */

/* Bits [hi:lo] (hi - lo < 64) of the little-endian image b. */
static uint64_t bits(const uint8_t *b, unsigned hi, unsigned lo)
{
	uint64_t v = 0;

	for (unsigned i = hi + 1; i-- > lo;)
		v = v << 1 | ((b[i / 8] >> (i % 8)) & 1);
	return v;
}

static void set_bits(uint8_t *b, unsigned hi, unsigned lo, uint64_t v)
{
	for (unsigned i = lo; i <= hi; i++, v >>= 1) {
		b[i / 8] = (uint8_t)(b[i / 8] & ~(1u << (i % 8)));
		b[i / 8] = (uint8_t)(b[i / 8] | (v & 1) << (i % 8));
	}
}

/* The entry as the IOMMU would see it in memory. */
static void dte_bytes(const struct amdvi_dte *d, uint8_t out[32])
{
	for (int q = 0; q < 4; q++)
		for (int i = 0; i < 8; i++)
			out[q * 8 + i] = (uint8_t)(d->q[q] >> (8 * i));
}

static void cmd_bytes(const struct amdvi_cmd *c, uint8_t out[16])
{
	for (int w = 0; w < 4; w++)
		for (int i = 0; i < 4; i++)
			out[w * 4 + i] = (uint8_t)(c->w[w] >> (8 * i));
}

static uint32_t rng_state = 0x9e3779b9;

static uint32_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 17;
	rng_state ^= rng_state << 5;
	return rng_state;
}

static uint64_t rng64(void)
{
	return (uint64_t)rng() << 32 | rng();
}

/* ================= device table entry (2.2.2) ================= */

/* What the spec's DTE table says, read back from the bytes. */
struct dte_view {
	unsigned v, tv, mode, ir, iw, domain, sysmgt, iv, inttablen, ig, init, eint, nmi;
	unsigned intctl, lint0, lint1;
	uint64_t root, inttab;
};

static struct dte_view read_dte(const struct amdvi_dte *d)
{
	uint8_t b[32];
	struct dte_view v;

	dte_bytes(d, b);
	v.v = (unsigned)bits(b, 0, 0);
	v.tv = (unsigned)bits(b, 1, 1);
	v.mode = (unsigned)bits(b, 11, 9);
	v.root = bits(b, 51, 12) << 12;
	v.ir = (unsigned)bits(b, 61, 61);
	v.iw = (unsigned)bits(b, 62, 62);
	v.domain = (unsigned)bits(b, 79, 64);
	v.sysmgt = (unsigned)bits(b, 105, 104);
	v.iv = (unsigned)bits(b, 128, 128);
	v.inttablen = (unsigned)bits(b, 132, 129);
	v.ig = (unsigned)bits(b, 133, 133);
	v.inttab = bits(b, 179, 134) << 6;
	v.init = (unsigned)bits(b, 184, 184);
	v.eint = (unsigned)bits(b, 185, 185);
	v.nmi = (unsigned)bits(b, 186, 186);
	v.intctl = (unsigned)bits(b, 189, 188);
	v.lint0 = (unsigned)bits(b, 190, 190);
	v.lint1 = (unsigned)bits(b, 191, 191);
	return v;
}

#define MASK(h, l) ((~0ULL >> (63 - (h) + (l))) << (l))

/* 2.2.2: reserved fields of each qword. */
static void assert_no_reserved_bits(const struct amdvi_dte *d)
{
	assert_int_equal(d->q[0] & (MASK(6, 2) | MASK(63, 63)), 0);
	assert_int_equal(d->q[2] & MASK(53, 52), 0);
	assert_int_equal(d->q[3] & (MASK(14, 0) | MASK(53, 48)), 0);
	assert_int_equal(d->q[3], 0);		/* and nothing shoji does not use */
}

/* QEMU 7.2 hw/i386/amd_iommu.h AMDVI_DTE_{LOWER,MIDDLE,UPPER}_QUAD_RESERVED:
 * what its model accepts (amdvi_validate_dte). */
static bool qemu72_accepts(const struct amdvi_dte *d)
{
	return !(d->q[0] & 0x80300000000000fcULL) && !(d->q[1] & 0x0000000000000100ULL) &&
	       !(d->q[2] & 0x08f0000000000000ULL) && !d->q[3];
}

static void test_dte_blocked(void **state)
{
	struct amdvi_dte d;
	struct dte_view v;

	(void)state;
	memset(&d, 0xa5, sizeof(d));
	amdvi_dte_blocked(7, &d);
	v = read_dte(&d);
	assert_int_equal(v.v, 1);
	assert_int_equal(v.tv, 1);
	assert_int_equal(v.mode, 0);
	assert_int_equal(v.ir | v.iw, 0);
	assert_int_equal(v.root, 0);
	assert_int_equal(v.domain, 7);
	assert_int_equal(v.iv, 1);
	assert_int_equal(v.intctl, AMDVI_INTCTL_ABORT);
	assert_int_equal(v.init | v.eint | v.nmi | v.lint0 | v.lint1, 0);
	assert_int_equal(v.sysmgt, 0);
	assert_no_reserved_bits(&d);
	assert_true(qemu72_accepts(&d));
	/* QEMU 7.2's quirk: domain ID bit 8 counts as reserved there. */
	amdvi_dte_blocked(0x100, &d);
	assert_int_equal(read_dte(&d).domain, 0x100);
	assert_false(qemu72_accepts(&d));
}

static void test_dte_translating_entry(void **state)
{
	const struct amdvi_dte_config c = {
		.valid = true, .translate = true, .mode = 4, .root = 0x12345678000ULL,
		.read = true, .write = true, .domain_id = 0xbeef, .sys_mgt = 2,
		.intr_valid = true, .int_ctl = AMDVI_INTCTL_REMAP, .int_tab_len = 11,
		.int_table = 0xfffffffff80ULL, .nmi_pass = true, .lint1_pass = true,
	};
	struct amdvi_dte d;
	struct dte_view v;

	(void)state;
	assert_int_equal(amdvi_dte_encode(&c, &d), 0);
	v = read_dte(&d);
	assert_int_equal(v.v, 1);
	assert_int_equal(v.tv, 1);
	assert_int_equal(v.mode, 4);
	assert_int_equal(v.root, 0x12345678000ULL);
	assert_int_equal(v.ir, 1);
	assert_int_equal(v.iw, 1);
	assert_int_equal(v.domain, 0xbeef);
	assert_int_equal(v.sysmgt, 2);
	assert_int_equal(v.iv, 1);
	assert_int_equal(v.intctl, 2);
	assert_int_equal(v.inttablen, 11);
	assert_int_equal(v.inttab, 0xfffffffff80ULL);
	assert_int_equal(v.nmi, 1);
	assert_int_equal(v.lint1, 1);
	assert_int_equal(v.init | v.eint | v.lint0 | v.ig, 0);
	assert_no_reserved_bits(&d);
	assert_true(qemu72_accepts(&d));	/* 0xbeef: bit 8 clear */
}

static void test_dte_random_round_trip(void **state)
{
	(void)state;
	for (int i = 0; i < 20000; i++) {
		struct amdvi_dte_config c = { 0 };
		struct amdvi_dte d;
		struct dte_view v;

		c.valid = rng() & 1;
		c.translate = rng() & 1;
		if (c.translate) {
			c.mode = (uint8_t)(rng() % 7);
			c.read = rng() & 1;
			c.write = rng() & 1;
			if (c.mode)
				c.root = (rng64() & AMDVI_DTE0_ROOT_MASK) | 0x1000;
		}
		c.domain_id = (uint16_t)rng();
		c.sys_mgt = (uint8_t)(rng() % 4);
		c.intr_valid = rng() & 1;
		c.int_ctl = (uint8_t)(rng() % 3);
		c.int_tab_len = (uint8_t)(rng() % 12);
		c.int_table = (rng64() & 0x000fffffffffff80ULL) | 0x80;
		c.init_pass = rng() & 1;
		c.eint_pass = rng() & 1;
		c.nmi_pass = rng() & 1;
		c.lint0_pass = rng() & 1;
		c.lint1_pass = rng() & 1;
		assert_int_equal(amdvi_dte_encode(&c, &d), 0);
		v = read_dte(&d);
		assert_int_equal(v.v, c.valid);
		assert_int_equal(v.tv, c.translate);
		assert_int_equal(v.mode, c.mode);
		assert_int_equal(v.root, c.root);
		assert_int_equal(v.ir, c.read);
		assert_int_equal(v.iw, c.write);
		assert_int_equal(v.domain, c.domain_id);
		assert_int_equal(v.sysmgt, c.sys_mgt);
		assert_int_equal(v.iv, c.intr_valid);
		assert_int_equal(v.intctl, c.int_ctl);
		assert_int_equal(v.inttablen, c.int_tab_len);
		assert_int_equal(v.inttab, c.int_table);
		assert_int_equal(v.init, c.init_pass);
		assert_int_equal(v.eint, c.eint_pass);
		assert_int_equal(v.nmi, c.nmi_pass);
		assert_int_equal(v.lint0, c.lint0_pass);
		assert_int_equal(v.lint1, c.lint1_pass);
		assert_int_equal(v.ig, 0);
		assert_no_reserved_bits(&d);
		assert_int_equal(qemu72_accepts(&d), !(c.domain_id & 0x100));
	}
}

static void test_dte_refuses_what_does_not_fit(void **state)
{
	const struct amdvi_dte_config good = {
		.valid = true, .translate = true, .mode = 3, .root = 0x100000, .read = true,
		.intr_valid = true, .int_ctl = AMDVI_INTCTL_REMAP, .int_tab_len = 8,
		.int_table = 0x200000,
	};
	struct amdvi_dte_config c;
	struct amdvi_dte d;

	(void)state;
	assert_int_equal(amdvi_dte_encode(&good, &d), 0);
#define BAD(field, value) do {							\
		c = good;							\
		c.field = value;						\
		memset(&d, 0xff, sizeof(d));					\
		assert_int_equal(amdvi_dte_encode(&c, &d), E_INVAL);		\
		assert_int_equal(d.q[0] | d.q[1] | d.q[2] | d.q[3], 0);		\
	} while (0)
	BAD(mode, 7);					/* reserved mode */
	BAD(root, 0x100800);				/* not 4 KiB aligned */
	BAD(root, 1ULL << 52);				/* beyond 52 bits */
	BAD(root, 0);					/* translating without tables */
	BAD(int_tab_len, 12);				/* more than 2048 entries */
	BAD(int_ctl, 3);				/* reserved */
	BAD(int_table, 0x200040);			/* not 128-byte aligned */
	BAD(int_table, 1ULL << 52);
	BAD(int_table, 0);				/* remapping without a table */
	BAD(sys_mgt, 4);
	BAD(translate, false);				/* mode/root/IR without TV */
	c = good;
	c.mode = 0;					/* mode 0 takes no root */
	assert_int_equal(amdvi_dte_encode(&c, &d), E_INVAL);
#undef BAD
}

static void test_device_table_size(void **state)
{
	uint64_t reg;

	(void)state;
	assert_int_equal(amdvi_devtab_pages(0), 1);
	assert_int_equal(amdvi_devtab_pages(127), 1);	/* 128 entries of 32 bytes */
	assert_int_equal(amdvi_devtab_pages(128), 2);
	assert_int_equal(amdvi_devtab_pages(0x00ff), 2);	/* QEMU: bus 0 only */
	assert_int_equal(amdvi_devtab_pages(0xffff), 512);	/* 2 MiB */
	for (unsigned id = 0; id <= 0xffff; id += 97)
		/* entry id lies inside the table */
		assert_true((id + 1) * 32 <= amdvi_devtab_pages((uint16_t)id) * 4096u);
	assert_int_equal(amdvi_devtab_base_reg(0x12345000, 512, &reg), 0);
	assert_int_equal(reg, 0x12345000 | 511);
	assert_int_equal(amdvi_devtab_base_reg(0x12345000, 1, &reg), 0);
	assert_int_equal(reg, 0x12345000);
	assert_int_equal(amdvi_devtab_base_reg(0x12345000, 0, &reg), E_INVAL);
	assert_int_equal(reg, 0);
	assert_int_equal(amdvi_devtab_base_reg(0x12345000, 513, &reg), E_INVAL);
	assert_int_equal(amdvi_devtab_base_reg(0x12345800, 1, &reg), E_INVAL);
	assert_int_equal(amdvi_devtab_base_reg(1ULL << 52, 1, &reg), E_INVAL);
}

/* ================= commands (2.4) ================= */

static unsigned opcode_of(const uint8_t b[16])
{
	return (unsigned)bits(b, 63, 60);
}

static void test_completion_wait(void **state)
{
	struct amdvi_cmd c;
	uint8_t b[16];

	(void)state;
	for (int i = 0; i < 5000; i++) {
		paddr_t addr = rng64() & 0x000ffffffffffff8ULL;
		uint64_t data = rng64();

		assert_int_equal(amdvi_cmd_completion_wait(&c, addr, data), 0);
		cmd_bytes(&c, b);
		assert_int_equal(opcode_of(b), 1);
		assert_int_equal(bits(b, 0, 0), 1);		/* S: store */
		assert_int_equal(bits(b, 1, 1), 0);		/* I: no interrupt */
		assert_int_equal(bits(b, 2, 2), 0);		/* F: no flush */
		assert_int_equal(bits(b, 51, 3) << 3, addr);
		assert_int_equal(bits(b, 59, 52), 0);		/* reserved */
		assert_int_equal(bits(b, 127, 64), data);
	}
	memset(&c, 0xff, sizeof(c));
	assert_int_equal(amdvi_cmd_completion_wait(&c, 0x1004, 1), E_INVAL);
	assert_int_equal(c.w[0] | c.w[1] | c.w[2] | c.w[3], 0);
	assert_int_equal(amdvi_cmd_completion_wait(&c, 1ULL << 52, 1), E_INVAL);
}

static void test_invalidate_devtab_and_interrupt_table(void **state)
{
	struct amdvi_cmd c;
	uint8_t b[16];

	(void)state;
	for (unsigned id = 0; id <= 0xffff; id += 0x1111) {
		amdvi_cmd_inval_devtab_entry(&c, (uint16_t)id);
		cmd_bytes(&c, b);
		assert_int_equal(opcode_of(b), 2);
		assert_int_equal(bits(b, 15, 0), id);
		assert_int_equal(bits(b, 59, 16), 0);
		assert_int_equal(bits(b, 127, 64), 0);
		amdvi_cmd_inval_interrupt_table(&c, (uint16_t)id);
		cmd_bytes(&c, b);
		assert_int_equal(opcode_of(b), 5);
		assert_int_equal(bits(b, 15, 0), id);
		assert_int_equal(bits(b, 59, 16), 0);
		assert_int_equal(bits(b, 127, 64), 0);
	}
	amdvi_cmd_inval_iommu_all(&c);
	cmd_bytes(&c, b);
	assert_int_equal(opcode_of(b), 8);
	assert_int_equal(bits(b, 59, 0), 0);
	assert_int_equal(bits(b, 127, 64), 0);
}

/* The range an INVALIDATE_IOMMU_PAGES covers, as 2.4 describes it:
 * S clear, one 4 KiB page; S set, the lowest zero address bit k >= 12
 * makes it 2^(k+1) bytes at the aligned base. Returns log2 of the size. */
static unsigned inval_range(const uint8_t b[16], uint64_t *base)
{
	uint64_t addr = bits(b, 127, 76) << 12;
	unsigned k = 12;

	if (!bits(b, 64, 64)) {
		*base = addr;
		return 12;
	}
	while (k < 64 && (addr >> k & 1))
		k++;
	assert_true(k < 64);		/* an all-ones address names no range */
	*base = k + 1 == 64 ? 0 : addr & ~((1ULL << (k + 1)) - 1);
	return k + 1;
}

static void test_invalidate_iommu_pages(void **state)
{
	struct amdvi_cmd c;
	uint8_t b[16];

	(void)state;
	for (int i = 0; i < 20000; i++) {
		uint64_t addr = rng64(), base;
		unsigned want = 12 + rng() % 53;
		uint16_t dom = (uint16_t)rng();
		bool pde = rng() & 1;
		unsigned got;

		assert_int_equal(amdvi_cmd_inval_iommu_pages(&c, dom, addr, want, pde), 0);
		cmd_bytes(&c, b);
		assert_int_equal(opcode_of(b), 3);
		assert_int_equal(bits(b, 19, 0), 0);		/* PASID */
		assert_int_equal(bits(b, 31, 20), 0);
		assert_int_equal(bits(b, 47, 32), dom);		/* domain ID */
		assert_int_equal(bits(b, 59, 48), 0);
		assert_int_equal(bits(b, 65, 65), pde);
		assert_int_equal(bits(b, 66, 66), 0);		/* GN */
		assert_int_equal(bits(b, 75, 67), 0);
		got = inval_range(b, &base);
		assert_int_equal(got, want);
		if (want < 64) {
			/* the naturally aligned range that holds addr */
			assert_int_equal(base, addr & ~((1ULL << want) - 1));
		}
	}
	/* The whole space: the special address. */
	assert_int_equal(amdvi_cmd_inval_iommu_pages(&c, 1, 0x1234000, 64, true), 0);
	cmd_bytes(&c, b);
	assert_int_equal(bits(b, 127, 64), AMDVI_INV_ALL_ADDR | AMDVI_INV_S | AMDVI_INV_PDE);
	assert_int_equal(inval_range(b, &(uint64_t){ 0 }), 64);
	/* One page: S clear. */
	assert_int_equal(amdvi_cmd_inval_iommu_pages(&c, 1, 0x1234567, 12, false), 0);
	cmd_bytes(&c, b);
	assert_int_equal(bits(b, 64, 64), 0);
	assert_int_equal(bits(b, 127, 76) << 12, 0x1234000);
	/* Sizes that cannot be expressed. */
	memset(&c, 0xff, sizeof(c));
	assert_int_equal(amdvi_cmd_inval_iommu_pages(&c, 1, 0, 11, false), E_INVAL);
	assert_int_equal(c.w[0] | c.w[1] | c.w[2] | c.w[3], 0);
	assert_int_equal(amdvi_cmd_inval_iommu_pages(&c, 1, 0, 65, false), E_INVAL);
}

/* ================= event log (2.5) ================= */

/* A modelled IOMMU writing an event entry. */
static void model_event(uint32_t raw[4], unsigned code, uint16_t devid, uint32_t pasid,
			uint16_t flags, uint64_t addr)
{
	uint8_t b[16] = { 0 };

	set_bits(b, 15, 0, devid);
	set_bits(b, 19, 16, pasid >> 16);
	set_bits(b, 47, 32, pasid & 0xffff);
	set_bits(b, 59, 48, flags);
	set_bits(b, 63, 60, code);
	set_bits(b, 127, 64, addr);
	for (int w = 0; w < 4; w++)
		raw[w] = (uint32_t)b[4 * w] | (uint32_t)b[4 * w + 1] << 8 |
			 (uint32_t)b[4 * w + 2] << 16 | (uint32_t)b[4 * w + 3] << 24;
}

static void test_event_codes(void **state)
{
	static const struct {
		unsigned code;
		const char *name;
		bool devid, pasid, address;
	} cases[] = {
		{ 0x1, "ILLEGAL_DEV_TABLE_ENTRY", true, true, true },
		{ 0x2, "IO_PAGE_FAULT", true, true, true },
		{ 0x3, "DEV_TAB_HARDWARE_ERROR", true, false, true },
		{ 0x4, "PAGE_TAB_HARDWARE_ERROR", true, true, true },
		{ 0x5, "ILLEGAL_COMMAND_ERROR", false, false, true },
		{ 0x6, "COMMAND_HARDWARE_ERROR", false, false, true },
		{ 0x7, "IOTLB_INV_TIMEOUT", true, false, true },
		{ 0x8, "INVALID_DEVICE_REQUEST", true, true, true },
		{ 0x9, "INVALID_PPR_REQUEST", true, true, true },
		{ 0xa, "EVENT_COUNTER_ZERO", false, false, false },
	};
	uint32_t raw[4];
	struct amdvi_event ev;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		model_event(raw, cases[i].code, 0x1234, 0xabcde, 0x0fff, 0xfedcba9876543000ULL);
		assert_int_equal(amdvi_event_decode(raw, &ev), 0);
		assert_int_equal(ev.code, cases[i].code);
		assert_string_equal(ev.name, cases[i].name);
		assert_string_equal(amdvi_event_name((uint8_t)cases[i].code), cases[i].name);
		assert_int_equal(ev.flags, 0xfff);
		assert_int_equal(ev.has_devid, cases[i].devid);
		assert_int_equal(ev.devid, cases[i].devid ? 0x1234 : 0);
		assert_int_equal(ev.has_pasid, cases[i].pasid);
		assert_int_equal(ev.pasid, cases[i].pasid ? 0xabcde : 0);
		assert_int_equal(ev.has_address, cases[i].address);
		assert_int_equal(ev.address, cases[i].address ? 0xfedcba9876543000ULL : 0);
	}
	for (unsigned code = 0; code < 16; code++) {
		if (code >= 1 && code <= 0xa)
			continue;
		model_event(raw, code, 1, 2, 3, 4);
		assert_int_equal(amdvi_event_decode(raw, &ev), E_INVAL);
		assert_int_equal(ev.code, code);
		assert_string_equal(ev.name, "unknown");
		assert_false(ev.has_devid || ev.has_address);
	}
}

static void test_io_page_fault_flags(void **state)
{
	uint32_t raw[4];
	struct amdvi_event ev;

	(void)state;
	/* A DMA write from 00:03.0 to 0x7be79000 in domain 1, page present
	 * but not writable: PR | RW | PE. */
	model_event(raw, 2, 0x0018, 1, (1 << 4) | (1 << 5) | (1 << 6), 0x7be79000);
	assert_int_equal(amdvi_event_decode(raw, &ev), 0);
	assert_string_equal(ev.name, "IO_PAGE_FAULT");
	assert_int_equal(ev.devid, 0x0018);
	assert_int_equal(ev.pasid, 1);
	assert_int_equal(ev.address, 0x7be79000);
	assert_true(ev.write);
	assert_false(ev.interrupt);
	assert_int_equal(ev.flags, AMDVI_EVF_PR | AMDVI_EVF_RW | AMDVI_EVF_PE);
	/* A blocked interrupt request: I set, a read. */
	model_event(raw, 2, 0x00a0, 0, 1 << 3, 0xfee00000);
	assert_int_equal(amdvi_event_decode(raw, &ev), 0);
	assert_true(ev.interrupt);
	assert_false(ev.write);
	/* The same bits mean nothing for ILLEGAL_COMMAND_ERROR. */
	model_event(raw, 5, 0xffff, 0xfffff, 0xfff, 0x123450);
	assert_int_equal(amdvi_event_decode(raw, &ev), 0);
	assert_false(ev.write || ev.interrupt || ev.has_devid || ev.has_pasid);
	assert_int_equal(ev.address, 0x123450);
}

static void test_event_random_fields(void **state)
{
	(void)state;
	for (int i = 0; i < 20000; i++) {
		uint32_t raw[4];
		struct amdvi_event ev;
		uint16_t devid = (uint16_t)rng(), flags = (uint16_t)(rng() & 0xfff);
		uint32_t pasid = rng() & 0xfffff;
		uint64_t addr = rng64();

		model_event(raw, 2, devid, pasid, flags, addr);
		assert_int_equal(amdvi_event_decode(raw, &ev), 0);
		assert_int_equal(ev.devid, devid);
		assert_int_equal(ev.pasid, pasid);
		assert_int_equal(ev.flags, flags);
		assert_int_equal(ev.address, addr);
		assert_int_equal(ev.write, !!(flags & (1 << 5)));
		assert_int_equal(ev.interrupt, !!(flags & (1 << 3)));
	}
}

/* ================= I/O page tables (2.2.3) ================= */

/* Fake physical memory: NTABLES 4 KiB tables at TABLE_BASE. */
#define NTABLES 32
#define TABLE_BASE 0x100000ULL
static uint64_t tables[NTABLES][512];
static unsigned ntables;

static paddr_t new_table(void)
{
	assert_true(ntables < NTABLES);
	memset(tables[ntables], 0, sizeof(tables[0]));
	return TABLE_BASE + 0x1000ULL * ntables++;
}

/* Tables the generic builder made (host pages: physical == virtual). */
static bool builder_tables;

static uint64_t *table_at(paddr_t pa)
{
	if (builder_tables) {
		assert_int_equal(pa & 0xfff, 0);
		return (uint64_t *)(uintptr_t)pa;
	}
	assert_true(pa >= TABLE_BASE && pa < TABLE_BASE + 0x1000ULL * ntables);
	assert_int_equal(pa & 0xfff, 0);
	return tables[(pa - TABLE_BASE) / 0x1000];
}

/* The walk as 2.2.3 describes it, written from the spec's entry table
 * (bit numbers, not amdvi_regs.h): start at the DTE's root with its mode
 * as the level; at each level index by the level's 9 address bits; stop
 * at a non-present entry (fault), a leaf (NextLevel 0: the level's size;
 * 7: the size the address encodes) or go down to NextLevel's table,
 * requiring the skipped levels' address bits to be zero. Permissions are
 * ANDed along the way. */
struct walk {
	bool ok;
	const char *fault;
	paddr_t pa;
	unsigned size_log2;
	bool read, write;
};

static struct walk walk(unsigned mode, paddr_t root, bool dte_r, bool dte_w, uint64_t iova)
{
	struct walk w = { .read = dte_r, .write = dte_w };
	unsigned level = mode;
	paddr_t table = root;

	if (mode < 6 && iova >> (12 + 9 * mode)) {
		w.fault = "address beyond the mode's reach";
		return w;
	}
	for (;;) {
		unsigned shift = 12 + 9 * (level - 1);
		uint64_t e = table_at(table)[(iova >> shift) & 0x1ff];
		uint8_t b[8];
		unsigned next;
		uint64_t addr;

		for (int i = 0; i < 8; i++)
			b[i] = (uint8_t)(e >> (8 * i));
		if (!bits(b, 0, 0)) {
			w.fault = "not present";
			return w;
		}
		w.read = w.read && bits(b, 61, 61);
		w.write = w.write && bits(b, 62, 62);
		next = (unsigned)bits(b, 11, 9);
		addr = bits(b, 51, 12) << 12;
		if (next == 0 || next == 7) {
			unsigned size = shift;

			if (next == 7) {
				unsigned k = 12;

				while (k < 52 && (addr >> k & 1))
					k++;
				size = k + 1;
				if (size <= shift || size >= shift + 9) {
					w.fault = "sized leaf of a size its level cannot hold";
					return w;
				}
			}
			w.size_log2 = size;
			w.pa = (addr & ~((1ULL << size) - 1)) | (iova & ((1ULL << size) - 1));
			w.ok = true;
			return w;
		}
		if (next >= level) {
			w.fault = "next level not below the current one";
			return w;
		}
		for (unsigned skip = next + 1; skip < level; skip++)
			if ((iova >> (12 + 9 * (skip - 1))) & 0x1ff) {
				w.fault = "skipped level's address bits not zero";
				return w;
			}
		level = next;
		table = addr;
	}
}

/* Install a leaf at level `level` for iova, creating tables from the top
 * (mode) down with the encoders; pdes read/write as given. */
static void map(unsigned mode, paddr_t root, uint64_t iova, paddr_t pa, unsigned level,
		unsigned size_log2, bool r, bool w, bool pde_r, bool pde_w)
{
	paddr_t table = root;
	uint64_t leaf;

	for (unsigned l = mode; l > level; l--) {
		uint64_t *slot = &table_at(table)[amdvi_pt_index(iova, l)];

		if (!*slot) {
			paddr_t t = new_table();

			assert_int_equal(amdvi_pde(l, l - 1, t, pde_r, pde_w, slot), 0);
		}
		table = *slot & AMDVI_PTE_ADDR_MASK;
	}
	assert_int_equal(amdvi_leaf(level, pa, size_log2, r, w, true, &leaf), 0);
	for (unsigned i = 0; i < amdvi_leaf_span(level, size_log2); i++)
		table_at(table)[amdvi_pt_index(iova, level) + i] = leaf;
}

static void expect_translation(unsigned mode, paddr_t root, paddr_t base, uint64_t map_iova,
			       unsigned size_log2, bool r, bool w)
{
	for (int i = 0; i < 64; i++) {
		uint64_t off = rng64() & ((1ULL << size_log2) - 1);
		struct walk res = walk(mode, root, true, true, map_iova + off);

		assert_true(res.ok);
		assert_int_equal(res.pa, base + off);
		assert_int_equal(res.size_log2, size_log2);
		assert_int_equal(res.read, r);
		assert_int_equal(res.write, w);
	}
}

static void test_page_tables_against_walker(void **state)
{
	const unsigned mode = 3;
	paddr_t root;
	struct walk res;

	(void)state;
	ntables = 0;
	root = new_table();
	/* 4 KiB, 2 MiB and 1 GiB plain leaves; 8 KiB and 16 MiB sized leaves. */
	map(mode, root, 0x0000001000ULL, 0x7000000ULL, 1, 12, true, true, true, true);
	map(mode, root, 0x0000400000ULL, 0x1c00000ULL, 2, 21, true, false, true, true);
	map(mode, root, 0x0040000000ULL, 0x80000000ULL, 3, 30, true, true, true, true);
	map(mode, root, 0x0000006000ULL, 0x9000000ULL, 1, 13, false, true, true, true);
	map(mode, root, 0x0001000000ULL, 0x5000000ULL, 2, 24, true, true, true, true);
	expect_translation(mode, root, 0x7000000ULL, 0x1000, 12, true, true);
	expect_translation(mode, root, 0x1c00000ULL, 0x400000, 21, true, false);
	expect_translation(mode, root, 0x80000000ULL, 0x40000000, 30, true, true);
	expect_translation(mode, root, 0x9000000ULL, 0x6000, 13, false, true);
	expect_translation(mode, root, 0x5000000ULL, 0x1000000, 24, true, true);
	/* Unmapped neighbours fault. */
	res = walk(mode, root, true, true, 0x2000);
	assert_false(res.ok);
	assert_string_equal(res.fault, "not present");
	res = walk(mode, root, true, true, 0x1000000 + (16u << 20));
	assert_false(res.ok);
	res = walk(mode, root, true, true, 0x80000000ULL);
	assert_false(res.ok);
	/* Beyond a 3-level table's 39 bits. */
	res = walk(mode, root, true, true, 1ULL << 39);
	assert_false(res.ok);
	/* The DTE's IR/IW are ANDed in. */
	res = walk(mode, root, true, false, 0x1000);
	assert_true(res.ok && res.read && !res.write);
}

/* The generic builder (iopt.c) with AMD's entry format: what the domain
 * policy builds for AMD-Vi, read back through the walker above. */
static void test_builder_with_amd_format(void **state)
{
	struct iopt pt;
	struct iopt_hole hole[2] = { { 0x7be00000ULL, 0x7fe00000ULL },
				     { 0xfed80000ULL, 0xfed84000ULL } };
	struct iopt_stats st;
	uint64_t *l3, *l2;
	struct walk res;

	(void)state;
	builder_tables = true;
	assert_int_equal(iopt_init_format(&pt, &iopt_format_amdvi, 3, 3, false), 0);
	assert_int_equal(iopt_map_identity_except(&pt, 0, 1ULL << 32, hole, 2,
						  IOPT_READ | IOPT_WRITE), 0);
	/* Identity everywhere outside the holes, with the largest leaves. */
	res = walk(3, pt.root, true, true, 0x12345678ULL);
	assert_true(res.ok && res.read && res.write);
	assert_int_equal(res.pa, 0x12345678ULL);
	assert_int_equal(res.size_log2, 30);			/* 1 GiB */
	res = walk(3, pt.root, true, true, 0x7bdff123ULL);	/* below the first hole */
	assert_true(res.ok);
	assert_int_equal(res.pa, 0x7bdff123ULL);
	assert_int_equal(res.size_log2, 21);			/* 2 MiB up to it */
	res = walk(3, pt.root, true, true, 0xfed84010ULL);	/* right after the second */
	assert_true(res.ok);
	assert_int_equal(res.size_log2, 12);
	for (uint64_t a = 0x7be00000ULL; a < 0x7fe00000ULL; a += 0x1ff000ULL) {
		res = walk(3, pt.root, true, true, a);
		assert_false(res.ok);
		assert_string_equal(res.fault, "not present");
	}
	res = walk(3, pt.root, true, true, 0xfed83ff8ULL);
	assert_false(res.ok);
	/* Unused slots hold PR=0 with NextLevel 1, never zero (QEMU 7.2 only
	 * reports a refused walk for such an entry). */
	l3 = table_at(pt.root);
	l2 = table_at(l3[1] & AMDVI_PTE_ADDR_MASK);
	assert_int_equal(l2[0x7be00000ULL >> 21 & 0x1ff], 1ULL << 9);
	assert_int_equal(l3[4], 1ULL << 9);			/* beyond 4 GiB */
	/* Unmapping a page inside a 1 GiB leaf splits it; the page then
	 * reads as an unused slot too. */
	assert_int_equal(iopt_unmap(&pt, 0x10000000ULL, 0x1000), 0);
	res = walk(3, pt.root, true, true, 0x10000000ULL);
	assert_false(res.ok);
	res = walk(3, pt.root, true, true, 0x10001000ULL);
	assert_true(res.ok && res.pa == 0x10001000ULL && res.size_log2 == 12);
	iopt_stats(&pt, &st);
	assert_true(st.leaves[2] >= 1 && st.leaves[1] >= 1 && st.leaves[0] >= 1);
	iopt_reclaim(&pt);
	iopt_destroy(&pt);
	builder_tables = false;
}

static void test_page_table_permissions_and_skips(void **state)
{
	paddr_t root, l2;
	uint64_t pde;
	struct walk res;

	(void)state;
	/* A read-only directory caps a read-write leaf. */
	ntables = 0;
	root = new_table();
	map(3, root, 0x3000, 0xa000, 1, 12, true, true, true, false);
	res = walk(3, root, true, true, 0x3000);
	assert_true(res.ok);
	assert_true(res.read);
	assert_false(res.write);

	/* Level skipping: a 4-level table whose top entry points straight at a
	 * level-2 table (the level-3 index bits must be zero). */
	ntables = 0;
	root = new_table();
	l2 = new_table();
	assert_int_equal(amdvi_pde(4, 2, l2, true, true, &pde), 0);
	table_at(root)[1] = pde;				/* iova bits 47:39 = 1 */
	assert_int_equal(amdvi_leaf(2, 0x40000000ULL, 21, true, true, false,
				    &table_at(l2)[3]), 0);
	res = walk(4, root, true, true, (1ULL << 39) | (3ULL << 21) | 0x1234);
	assert_true(res.ok);
	assert_int_equal(res.pa, 0x40000000ULL | 0x1234);
	res = walk(4, root, true, true, (1ULL << 39) | (1ULL << 30) | (3ULL << 21));
	assert_false(res.ok);
	assert_string_equal(res.fault, "skipped level's address bits not zero");
}

static void test_pte_encoders_refuse(void **state)
{
	uint64_t e;

	(void)state;
	e = 1;
	assert_int_equal(amdvi_pde(1, 0, 0x1000, true, true, &e), E_INVAL);	/* no level 0 */
	assert_int_equal(e, 0);
	assert_int_equal(amdvi_pde(3, 3, 0x1000, true, true, &e), E_INVAL);	/* not lower */
	assert_int_equal(amdvi_pde(7, 1, 0x1000, true, true, &e), E_INVAL);
	assert_int_equal(amdvi_pde(3, 2, 0x1800, true, true, &e), E_INVAL);	/* misaligned */
	assert_int_equal(amdvi_pde(3, 2, 0, true, true, &e), E_INVAL);
	assert_int_equal(amdvi_pde(3, 2, 1ULL << 52, true, true, &e), E_INVAL);
	assert_int_equal(amdvi_leaf(1, 0x1000, 11, true, true, false, &e), E_INVAL);
	assert_int_equal(amdvi_leaf(1, 0x1000, 21, true, true, false, &e), E_INVAL);	/* level 2's */
	assert_int_equal(amdvi_leaf(2, 0x100000, 21, true, true, false, &e), E_INVAL);	/* unaligned */
	assert_int_equal(amdvi_leaf(1, 1ULL << 52, 12, true, true, false, &e), E_INVAL);
	assert_int_equal(amdvi_leaf(6, 0, 57, true, true, false, &e), E_INVAL);
	assert_int_equal(amdvi_leaf(0, 0, 12, true, true, false, &e), E_INVAL);
	/* Fields of a plain leaf, through the spec's bit numbers. */
	assert_int_equal(amdvi_leaf(3, 0xc0000000ULL, 30, true, false, true, &e), 0);
	{
		uint8_t b[8];

		for (int i = 0; i < 8; i++)
			b[i] = (uint8_t)(e >> (8 * i));
		assert_int_equal(bits(b, 0, 0), 1);
		assert_int_equal(bits(b, 11, 9), 0);
		assert_int_equal(bits(b, 51, 12) << 12, 0xc0000000ULL);
		assert_int_equal(bits(b, 60, 60), 1);
		assert_int_equal(bits(b, 61, 61), 1);
		assert_int_equal(bits(b, 62, 62), 0);
		assert_int_equal(bits(b, 58, 52), 0);
		assert_int_equal(bits(b, 63, 63), 0);
	}
	assert_int_equal(amdvi_leaf_span(1, 13), 2);
	assert_int_equal(amdvi_leaf_span(2, 24), 8);
	assert_int_equal(amdvi_pt_index(0x7fe00000ULL, 2), 0x1ff);
}

static void test_random_sized_leaves(void **state)
{
	(void)state;
	for (int i = 0; i < 300; i++) {
		unsigned level = 1 + rng() % 3, shift = amdvi_level_shift(level);
		unsigned size = shift + rng() % 9;
		uint64_t iova = (rng64() & ((1ULL << 39) - 1)) & ~((1ULL << size) - 1);
		paddr_t pa = (rng64() & ((1ULL << 44) - 1)) & ~((1ULL << size) - 1);
		paddr_t root;

		ntables = 0;
		root = new_table();
		map(3, root, iova, pa, level, size, true, rng() & 1, true, true);
		for (int k = 0; k < 16; k++) {
			uint64_t off = rng64() & ((1ULL << size) - 1);
			struct walk res = walk(3, root, true, true, iova + off);

			assert_true(res.ok);
			assert_int_equal(res.pa, pa + off);
			assert_int_equal(res.size_log2, size);
		}
		/* The next byte after the leaf is not mapped. */
		if (((iova + (1ULL << size)) >> 39) == 0)
			assert_false(walk(3, root, true, true, iova + (1ULL << size)).ok);
	}
}

/* ================= interrupt remapping entries (2.2.5) ================= */

static void test_irte32(void **state)
{
	(void)state;
	for (int i = 0; i < 5000; i++) {
		struct irq_route r = {
			.vector = (uint8_t)(16 + rng() % 240),
			.delivery = (uint8_t)(rng() & 1 ? IRQ_DLM_LOWEST : IRQ_DLM_FIXED),
			.level = rng() & 1, .dest_apic_id = rng() & 0xff,
		};
		uint32_t e;
		uint8_t b[4];

		assert_int_equal(amdvi_irte32_encode(&r, &e), 0);
		for (int k = 0; k < 4; k++)
			b[k] = (uint8_t)(e >> (8 * k));
		/* QEMU's union irte: valid:1 no_fault:1 int_type:3 rq_eoi:1 dm:1
		 * guest_mode:1 destination:8 vector:8 rsvd:8. */
		assert_int_equal(bits(b, 0, 0), 1);
		assert_int_equal(bits(b, 1, 1), 0);
		assert_int_equal(bits(b, 4, 2), r.delivery);
		assert_int_equal(bits(b, 5, 5), 0);
		assert_int_equal(bits(b, 6, 6), 0);		/* physical */
		assert_int_equal(bits(b, 7, 7), 0);		/* not guest mode */
		assert_int_equal(bits(b, 15, 8), r.dest_apic_id);
		assert_int_equal(bits(b, 23, 16), r.vector);
		assert_int_equal(bits(b, 31, 24), 0);
	}
}

static void test_irte128(void **state)
{
	const struct irq_route r = { .vector = 0x41, .delivery = IRQ_DLM_FIXED,
				     .dest_apic_id = 0x12345678 };
	uint64_t e[2];
	uint8_t b[16];

	(void)state;
	assert_int_equal(amdvi_irte128_encode(&r, e), 0);
	for (int k = 0; k < 16; k++)
		b[k] = (uint8_t)(e[k / 8] >> (8 * (k % 8)));
	assert_int_equal(bits(b, 0, 0), 1);
	assert_int_equal(bits(b, 4, 2), 0);
	assert_int_equal(bits(b, 7, 5), 0);
	assert_int_equal(bits(b, 31, 8), 0x345678);		/* destination 23:0 */
	assert_int_equal(bits(b, 63, 32), 0);			/* GA tag: unused */
	assert_int_equal(bits(b, 71, 64), 0x41);		/* vector */
	assert_int_equal(bits(b, 119, 72), 0);
	assert_int_equal(bits(b, 127, 120), 0x12);		/* destination 31:24 */
}

static void test_irte_refusals_and_msi(void **state)
{
	struct irq_route r = { .vector = 0x30, .delivery = IRQ_DLM_FIXED, .dest_apic_id = 1 };
	uint32_t e = 0x1234;
	uint64_t e2[2] = { 1, 1 }, addr;
	uint32_t data;

	(void)state;
	r.delivery = 4;			/* NMI: never through an entry */
	assert_int_equal(amdvi_irte32_encode(&r, &e), E_INVAL);
	assert_int_equal(e, AMDVI_IRTE32_BLOCKED);
	assert_int_equal(amdvi_irte128_encode(&r, e2), E_INVAL);
	assert_int_equal(e2[0] | e2[1], 0);
	r.delivery = IRQ_DLM_FIXED;
	r.vector = 15;			/* an exception vector */
	assert_int_equal(amdvi_irte32_encode(&r, &e), E_INVAL);
	r.vector = 0x30;
	r.dest_apic_id = 0x100;		/* does not fit 8 bits */
	assert_int_equal(amdvi_irte32_encode(&r, &e), E_INVAL);
	assert_int_equal(amdvi_irte128_encode(&r, e2), 0);
	/* MSI: the interrupt range's base, the index in data 10:0. */
	assert_int_equal(amdvi_ir_msi_message(0x7ff, &addr, &data), 0);
	assert_int_equal(addr, 0xfee00000ULL);
	assert_int_equal(data, 0x7ff);
	assert_int_equal(data & ~AMDVI_IR_INDEX_MASK, 0);
	assert_int_equal(amdvi_ir_msi_message(0x800, &addr, &data), E_INVAL);
	assert_int_equal(addr | data, 0);
}

/* The IOAPIC redirection entry (82093AA 3.2.4) that sends through entry
 * index of the IOAPIC's table: the IOAPIC's message data carries the
 * entry's vector in bits 7:0 and its delivery mode in 10:8, the IOMMU
 * takes bits 10:0 as the index (2.2.5) and looks up only fixed (000b)
 * and arbitrated (001b) requests. */
static void test_ioapic_rte(void **state)
{
	uint64_t rte = 0;

	(void)state;
	for (unsigned index = 0; index < 512; index++) {
		bool level = rng() & 1, low = rng() & 1, masked = rng() & 1;
		uint8_t b[8];
		uint32_t data;

		assert_int_equal(amdvi_ioapic_rte((uint16_t)index, level, low, masked, &rte), 0);
		for (int k = 0; k < 8; k++)
			b[k] = (uint8_t)(rte >> (8 * k));
		assert_int_equal(bits(b, 7, 0), index & 0xff);		/* vector */
		assert_int_equal(bits(b, 10, 8), index >> 8);		/* fixed or lowest priority */
		assert_int_equal(bits(b, 11, 11), 0);			/* physical */
		assert_int_equal(bits(b, 12, 12), 0);			/* delivery status (RO) */
		assert_int_equal(bits(b, 13, 13), low);
		assert_int_equal(bits(b, 14, 14), 0);			/* remote IRR (RO) */
		assert_int_equal(bits(b, 15, 15), level);
		assert_int_equal(bits(b, 16, 16), masked);
		assert_int_equal(bits(b, 55, 17), 0);
		assert_int_equal(bits(b, 63, 56), 0);			/* destination */
		/* The message the IOAPIC sends: vector | mode << 8 | trigger << 15. */
		data = (uint32_t)(bits(b, 7, 0) | bits(b, 10, 8) << 8 | bits(b, 15, 15) << 15);
		assert_int_equal(data & AMDVI_IR_INDEX_MASK, index);
		assert_true(((data >> 8) & 7) <= 1);			/* looked up in the table */
	}
	assert_int_equal(AMDVI_IOAPIC_IR_ENTRIES, 1u << AMDVI_IOAPIC_IR_LOG2);
	assert_int_equal(amdvi_ioapic_rte(512, false, false, false, &rte), E_INVAL);
	assert_int_equal(rte, 1ULL << 16);				/* masked */
}

/* ================= register layout facts ================= */

static void test_register_fields(void **state)
{
	(void)state;
	/* 3.4, cross-checked with QEMU's model. */
	assert_int_equal(AMDVI_MMIO_CONTROL, 0x18);
	assert_int_equal(AMDVI_MMIO_STATUS, 0x2020);
	assert_int_equal(AMDVI_MMIO_EVENT_LOG_TAIL, 0x2018);
	/* Ring pointers: 16-byte entries, 2^15 of them at most. */
	assert_int_equal(AMDVI_RING_PTR_MASK + AMDVI_RING_ENTRY_SIZE,
			 (1ULL << AMDVI_RING_LEN_MAX) * AMDVI_RING_ENTRY_SIZE);
	/* A full device table: 65536 entries of 32 bytes in 512 pages. */
	assert_int_equal(65536ULL * AMDVI_DTE_SIZE, AMDVI_DEV_TABLE_MAX_PAGES * 4096ULL);
	assert_int_equal(AMDVI_DEV_TABLE_SIZE_MASK + 1, AMDVI_DEV_TABLE_MAX_PAGES);
	/* EFR image QEMU reports: HATS and GATS 10b. */
	assert_int_equal(AMDVI_EFR_HATS(2ULL << 10), 2);
	assert_int_equal(AMDVI_EFR_GATS(2ULL << 12), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dte_blocked),
		cmocka_unit_test(test_dte_translating_entry),
		cmocka_unit_test(test_dte_random_round_trip),
		cmocka_unit_test(test_dte_refuses_what_does_not_fit),
		cmocka_unit_test(test_device_table_size),
		cmocka_unit_test(test_completion_wait),
		cmocka_unit_test(test_invalidate_devtab_and_interrupt_table),
		cmocka_unit_test(test_invalidate_iommu_pages),
		cmocka_unit_test(test_event_codes),
		cmocka_unit_test(test_io_page_fault_flags),
		cmocka_unit_test(test_event_random_fields),
		cmocka_unit_test(test_page_tables_against_walker),
		cmocka_unit_test(test_page_table_permissions_and_skips),
		cmocka_unit_test(test_builder_with_amd_format),
		cmocka_unit_test(test_pte_encoders_refuse),
		cmocka_unit_test(test_random_sized_leaves),
		cmocka_unit_test(test_irte32),
		cmocka_unit_test(test_irte128),
		cmocka_unit_test(test_irte_refusals_and_msi),
		cmocka_unit_test(test_ioapic_rte),
		cmocka_unit_test(test_register_fields),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
