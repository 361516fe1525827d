/* Portable VMM policy: the PVH loader and start info, CPUID/MSR policy, the
 * PCI configuration guard, and guest page walks for VMMCALL buffers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "host/host.h"
#include "lib/error.h"
#include "platform/pci.h"
#include "vmm/apic_guard.h"
#include "vmm/cpu_state_check.h"
#include "vmm/ecam_guard.h"
#include "vmm/guest_mem.h"
#include "vmm/pci_guard.h"
#include "vmm/pci_ports.h"
#include "vmm/protect.h"
#include "vmm/pvh.h"
#include "vmm/vcpu.h"

/* ---------------- PVH ---------------- */

struct ehdr {
	uint8_t ident[16];
	uint16_t type, machine;
	uint32_t version;
	uint64_t entry, phoff, shoff;
	uint32_t flags;
	uint16_t ehsize, phentsize, phnum, shentsize, shnum, shstrndx;
} __attribute__((packed));

struct phdr {
	uint32_t type, flags;
	uint64_t offset, vaddr, paddr, filesz, memsz, align;
} __attribute__((packed));

static uint8_t elf[8192];

/* ELF with two load segments at 16 MiB and a PVH note pointing into the first. */
static size_t make_elf(uint32_t entry, bool with_note)
{
	struct ehdr *eh = (void *)elf;
	struct phdr *ph = (void *)(elf + 64);
	uint8_t *note = elf + 512;

	memset(elf, 0, sizeof(elf));
	memcpy(eh->ident, "\177ELF\2\1\1", 7);
	eh->type = 2;
	eh->machine = 62;
	eh->phoff = 64;
	eh->phentsize = sizeof(struct phdr);
	eh->phnum = 3;
	ph[0] = (struct phdr){ 1, 5, 1024, 0, 0x1000000, 2048, 4096, 0x1000 };
	ph[1] = (struct phdr){ 1, 6, 4096, 0, 0x1002000, 1024, 8192, 0x1000 };
	ph[2] = (struct phdr){ 4, 4, 512, 0, 0, 20, 20, 4 };
	/* note: namesz 4 "Xen\0", descsz 4, type 18, then the entry */
	*(uint32_t *)note = 4;
	*(uint32_t *)(note + 4) = 4;
	*(uint32_t *)(note + 8) = with_note ? 18 : 17;
	memcpy(note + 12, "Xen", 4);
	*(uint32_t *)(note + 16) = entry;
	memset(elf + 1024, 0xab, 2048);
	memset(elf + 4096, 0xcd, 1024);
	return sizeof(elf);
}

static void test_pvh_parse_good(void **state)
{
	struct pvh_image img;

	assert_int_equal(pvh_parse(elf, make_elf(0x1000100, true), &img), 0);
	assert_int_equal(img.entry, 0x1000100);
	assert_int_equal(img.n_load, 2);
	assert_int_equal(img.lowest, 0x1000000);
	assert_int_equal(img.highest, 0x1004000);
}

static void test_pvh_parse_rejects(void **state)
{
	struct pvh_image img;
	size_t n = make_elf(0x1000100, false);
	struct phdr *ph = (void *)(elf + 64);

	host_log_clear();
	assert_int_equal(pvh_parse(elf, n, &img), E_INVAL);	/* no PVH note */
	assert_int_equal(host_log_count("no PVH entry note"), 1);
	make_elf(0x5000000, true);
	assert_int_equal(pvh_parse(elf, n, &img), E_INVAL);	/* entry outside */
	make_elf(0x1000100, true);
	ph[1].paddr = 0x1000800;				/* overlaps segment 0 */
	assert_int_equal(pvh_parse(elf, n, &img), E_INVAL);
	make_elf(0x1000100, true);
	ph[1].offset = sizeof(elf) - 10;			/* outside the file */
	assert_int_equal(pvh_parse(elf, n, &img), E_INVAL);
	make_elf(0x1000100, true);
	ph[0].paddr = 0xfffff000;				/* crosses 4 GiB */
	assert_int_equal(pvh_parse(elf, n, &img), E_INVAL);
	make_elf(0x1000100, true);
	*(uint32_t *)(elf + 512 + 4) = 1000;			/* note descsz overruns */
	assert_int_equal(pvh_parse(elf, n, &img), E_INVAL);
	make_elf(0x1000100, true);
	assert_int_equal(pvh_parse(elf, 40, &img), E_INVAL);	/* truncated header */
	elf[18] = 3;						/* EM_386 */
	assert_int_equal(pvh_parse(elf, n, &img), E_INVAL);
}

static void test_pvh_load_copies_and_zeroes(void **state)
{
	struct pvh_image img;
	uint8_t *mem = aligned_alloc(4096, 0x8000);

	make_elf(0x1000100, true);
	assert_int_equal(pvh_parse(elf, sizeof(elf), &img), 0);
	/* Relocate the physical addresses into host memory for the test. */
	for (unsigned i = 0; i < img.n_load; i++)
		img.load[i].paddr = (uintptr_t)mem + (img.load[i].paddr - 0x1000000);
	memset(mem, 0x77, 0x8000);
	pvh_load(elf, &img);
	assert_int_equal(mem[0], 0xab);
	assert_int_equal(mem[2047], 0xab);
	assert_int_equal(mem[2048], 0);		/* bss of segment 0 */
	assert_int_equal(mem[4095], 0);
	assert_int_equal(mem[0x2000], 0xcd);
	assert_int_equal(mem[0x2000 + 1024], 0);
	assert_int_equal(mem[0x2000 + 8191], 0);
	assert_int_equal(mem[0x4000], 0x77);	/* beyond: untouched */
	free(mem);
}

/* In-place loading (pvh_load_order): the image lies where its segments go,
 * as QEMU's Multiboot loader puts the kernel module inside the kernel's load
 * range. Segment 0's destination covers segment 1's source, so 1 goes
 * first; the result is what loading from a separate copy gives. Two
 * segments whose destinations cover each other's sources have no order. */
static void test_pvh_load_in_place(void **state)
{
	struct pvh_image img;
	uint8_t *arena = aligned_alloc(4096, 0x10000), *ref = aligned_alloc(4096, 0x10000);
	uintptr_t a = (uintptr_t)arena;
	uint8_t order[PVH_MAX_LOAD];

	make_elf(0x1000100, true);
	assert_int_equal(pvh_parse(elf, sizeof(elf), &img), 0);
	/* The image at arena + 0x1000: segment 0's bytes at 0x1400-0x1c00,
	 * segment 1's at 0x2000-0x2400. */
	img.load[0].paddr = a + 0x1800;	/* covers 0x1800-0x2800: segment 1's source */
	img.load[1].paddr = a + 0x3000;	/* 0x3000-0x5000: no one's source */
	assert_int_equal(pvh_load_order(a + 0x1000, &img, order), 0);
	assert_int_equal(order[0], 1);
	assert_int_equal(order[1], 0);
	/* The reference: the same image loaded from a copy elsewhere. */
	memset(ref, 0x77, 0x10000);
	memcpy(ref + 0x1000, elf, sizeof(elf));
	{
		struct pvh_image r = img;

		r.load[0].paddr = (uintptr_t)ref + 0x1800;
		r.load[1].paddr = (uintptr_t)ref + 0x3000;
		pvh_load(elf, &r);
	}
	memset(arena, 0x77, 0x10000);
	memcpy(arena + 0x1000, elf, sizeof(elf));
	pvh_load_ordered(arena + 0x1000, &img, order);
	assert_memory_equal(arena, ref, 0x10000);
	assert_int_equal(arena[0x1800], 0xab);
	assert_int_equal(arena[0x1fff], 0xab);
	assert_int_equal(arena[0x2000], 0);	/* segment 0's bss, over segment 1's old bytes */
	assert_int_equal(arena[0x3000], 0xcd);
	assert_int_equal(arena[0x3400], 0);

	/* A segment whose destination is its own source only: any order. */
	img.load[0].paddr = a + 0x1400;
	img.load[1].paddr = a + 0x3000;
	assert_int_equal(pvh_load_order(a + 0x1000, &img, order), 0);

	/* Each destination covers the other's source: no order. */
	img.load[0].paddr = a + 0x2000;	/* 0x2000-0x3000: segment 1's source */
	img.load[1].paddr = a + 0x0000;	/* 0x0000-0x2000: segment 0's source */
	assert_int_equal(pvh_load_order(a + 0x1000, &img, order), E_RANGE);
	free(arena);
	free(ref);
}

static void test_pvh_start_info(void **state)
{
	uint8_t *page = aligned_alloc(4096, PVH_INFO_SIZE);
	paddr_t pa = (uintptr_t)page;
	struct memmap m;
	const struct hvm_start_info *si = (const void *)page;
	const struct hvm_memmap_entry *mm;
	char longline[PVH_CMDLINE_MAX + 10];

	memmap_init(&m);
	memmap_add(&m, 0, 0x9fc00, 1);
	memmap_add(&m, 0x100000, 0x3bd00000, 1);
	memmap_add(&m, 0x3be00000, 0x4000000, MEM_HYPERVISOR);
	memmap_sanitize(&m);
	assert_int_equal(pvh_build_start_info(pa, "console=ttyS0", 0x2000000, 12345, &m, 0xf59e0), 0);
	assert_int_equal(si->magic, HVM_START_MAGIC);
	assert_int_equal(si->version, 1);
	assert_int_equal(si->nr_modules, 1);
	assert_string_equal((const char *)(uintptr_t)si->cmdline_paddr, "console=ttyS0");
	assert_int_equal(((const struct hvm_modlist_entry *)(uintptr_t)si->modlist_paddr)->size,
			 12345);
	assert_int_equal(si->rsdp_paddr, 0xf59e0);
	assert_int_equal(si->memmap_entries, m.n);
	mm = (const void *)(uintptr_t)si->memmap_paddr;
	assert_int_equal(mm[m.n - 1].addr, 0x3be00000);
	assert_int_equal(mm[m.n - 1].type, 2);	/* the region: reserved for the guest */
	assert_int_equal(mm[0].type, 1);
	memset(longline, 'x', sizeof(longline) - 1);
	longline[sizeof(longline) - 1] = 0;
	assert_int_equal(pvh_build_start_info(pa, longline, 0, 0, &m, 0), E_RANGE);
	free(page);
}

/* ---------------- CPUID / MSR ---------------- */

static void test_cpuid_policy(void **state)
{
	uint32_t r[4] = { 0, 0, 0xffffffff, 0 };

	cpu_policy_cpuid(1, 0, r);
	assert_false(r[2] & (1u << 5));		/* VMX hidden */
	assert_true(r[2] & (1u << 31));		/* hypervisor bit */
	r[2] = 0xffffffff;
	cpu_policy_cpuid(0x80000001, 0, r);
	assert_false(r[2] & (1u << 2));		/* SVM hidden */
	r[0] = r[1] = r[2] = r[3] = 0xff;
	cpu_policy_cpuid(0x8000000A, 0, r);
	assert_int_equal(r[0] | r[1] | r[2] | r[3], 0);
	cpu_policy_cpuid(SHOJI_CPUID_BASE, 0, r);
	assert_memory_equal(&r[1], "shojishojish", 12);
	r[0] = 7;
	cpu_policy_cpuid(0x7, 0, r);
	assert_int_equal(r[0], 7);		/* others untouched */
}

static void test_msr_policy(void **state)
{
	uint64_t v, efer = (1ULL << 12) | 0xd01;
	const char *why;
	/* SYSCALL, NX, LM (CPUID 0x80000001 EDX 11, 20, 29), no SVM. */
	struct x86_features f = { .e1_edx = (1u << 11) | (1u << 20) | (1u << 29), .phys_bits = 40 };

	cpu_policy_set_features(&f);
	assert_int_equal(cpu_policy_rdmsr(0xC0000080, efer, &v), MSR_HANDLED);
	assert_int_equal(v, 0xd01);		/* SVME hidden */
	assert_int_equal(cpu_policy_wrmsr(0xC0000080, 0x501 | (1ULL << 12), 0, &efer, &why),
			 MSR_FAULT);
	assert_int_equal(cpu_policy_wrmsr(0xC0000080, 0x501, 0, &efer, &why), MSR_HANDLED);
	assert_int_equal(efer, 0x501 | (1ULL << 12));	/* kept for VMRUN (LMA: the old one) */
	assert_int_equal(cpu_policy_rdmsr(0xC0010114, efer, &v), MSR_HANDLED);
	assert_true(v & (1u << 4));		/* SVMDIS */
	assert_int_equal(cpu_policy_wrmsr(0xC0010114, 0, 0, &efer, &why), MSR_FAULT);
	assert_int_equal(cpu_policy_rdmsr(0xC0010117, efer, &v), MSR_FAULT);
	assert_int_equal(cpu_policy_wrmsr(0xC0010117, 0x1000, 0, &efer, &why), MSR_FAULT);
	assert_int_equal(cpu_policy_rdmsr(0x1b, efer, &v), MSR_PASSTHROUGH);
}

/* ---------------- APIC guard ---------------- */

static void test_apic_guard(void **state)
{
	host_log_clear();
	assert_true(apic_icr_allowed(0x000040fd));	/* fixed IPI, vector 0xfd */
	assert_true(apic_icr_allowed(0x00000400));	/* NMI */
	assert_true(apic_icr_allowed(0x000c40fb));	/* fixed, all-but-self */
	assert_false(apic_icr_allowed(0x00004500));	/* INIT assert */
	assert_false(apic_icr_allowed(0x00008500));	/* INIT de-assert (level) */
	assert_false(apic_icr_allowed(0x00004608));	/* start-up */
	assert_false(apic_icr_allowed(0x000c4608ULL | (1ULL << 32)));	/* x2APIC form */
	assert_true(apic_base_write_allowed(0xfee00900, 0xfee00d00));	/* x2APIC enable */
	assert_true(apic_base_write_allowed(0xfee00900, 0xfee00100));	/* disable */
	assert_false(apic_base_write_allowed(0xfee00900, 0xfed00900));	/* moved */
}

/* ---------------- PCI guard, over a modelled ECAM ---------------- */

#define ECAM_BASE 0x7f0000000000ULL	/* any address: the MMIO model answers */
static uint8_t cfg[2][4096];		/* 00:01.0 endpoint, 00:02.0 bridge */
static uint32_t bar0_mask = 0xfff00000u;	/* 1 MiB memory BAR */
static bool bar0_sizing;

static uint8_t *cfg_of(uint64_t off)
{
	unsigned dev = (off >> 15) & 31, bus = (off >> 20) & 0xff;

	if (bus == 0 && (off >> 12 & 7) == 0 && (dev == 1 || dev == 2))
		return cfg[dev - 1];
	return NULL;
}

static uint64_t ecam_read(struct host_mmio_model *m, uint64_t off, int width)
{
	uint8_t *c = cfg_of(off);
	uint32_t v = 0;

	if (!c)
		return width == 4 ? 0xffffffffu : width == 2 ? 0xffff : 0xff;
	if (c == cfg[0] && (off & 0xffc) == 0x10 && bar0_sizing)
		return bar0_mask;
	memcpy(&v, c + (off & 0xfff), (size_t)width);
	return v;
}

static void ecam_write(struct host_mmio_model *m, uint64_t off, int width, uint64_t v)
{
	uint8_t *c = cfg_of(off);

	if (!c)
		return;
	if (c == cfg[0] && (off & 0xfff) == 0x10 && width == 4) {
		bar0_sizing = (uint32_t)v == 0xffffffffu;
		if (!bar0_sizing)
			memcpy(c + 0x10, &v, 4);
		return;
	}
	if ((off & 0xfff) >= 0x10 && (off & 0xfff) < 0x28 && c == cfg[0])
		return;	/* other BARs unimplemented */
	memcpy(c + (off & 0xfff), &v, (size_t)width);
}

static struct host_mmio_model ecam = { ECAM_BASE, 1 << 20, ecam_read, ecam_write };

static int pci_setup(void **state)
{
	uint32_t bar = 0xfea00000u;

	memset(cfg, 0, sizeof(cfg));
	*(uint16_t *)&cfg[0][0] = 0x1234;
	*(uint16_t *)&cfg[0][2] = 0x11e8;
	cfg[0][0x0b] = 0x00;
	memcpy(&cfg[0][0x10], &bar, 4);
	*(uint16_t *)&cfg[1][0] = 0x1b36;
	*(uint16_t *)&cfg[1][2] = 0x000c;
	cfg[1][0x0e] = 1;		/* bridge */
	cfg[1][0x0b] = 0x06;
	cfg[1][0x0a] = 0x04;
	cfg[1][0x18] = 0;
	cfg[1][0x19] = 1;
	cfg[1][0x1a] = 1;
	host_mmio = &ecam;
	pci_cfg_reset();
	assert_int_equal(pci_add_ecam(0, ECAM_BASE, 0, 0), 0);
	assert_true(pci_enumerate() >= 2);
	pci_guard_reset();
	protect_reset();
	assert_int_equal(protect_add(0x3be00000, 0x3fe00000, PROTECT_ALL, "hypervisor-region"), 0);
	assert_int_equal(protect_add(0xfed90000, 0xfed91000, PROTECT_ALL, "iommu-registers"), 0);
	host_log_clear();
	return 0;
}

static int pci_teardown(void **state)
{
	protect_reset();
	host_mmio = NULL;
	pci_cfg_reset();
	return 0;
}

static void test_guard_bar(void **state)
{
	struct pci_bdf edu = PCI_BDF(0, 0, 1, 0);
	const struct pci_device *d = pci_find(edu);

	assert_non_null(d);
	assert_int_equal(d->bars[0].size, 0x100000);
	assert_false(pci_guard_allows(edu, 0x10, 4, 0x3be00000, 0xfea00000));
	assert_false(pci_guard_allows(edu, 0x10, 4, 0x3fd00000, 0xfea00000)); /* last MiB */
	assert_false(pci_guard_allows(edu, 0x10, 4, 0xfed00000, 0xfea00000)); /* covers the IOMMU */
	assert_true(pci_guard_allows(edu, 0x10, 4, 0x3bd00000, 0xfea00000));  /* ends at the region */
	assert_true(pci_guard_allows(edu, 0x10, 4, 0xffffffff, 0xfea00000));  /* sizing */
	assert_true(pci_guard_allows(edu, 0x10, 4, 0xfe000000, 0xfea00000));
	/* A 16-bit write of the upper half, landing the BAR on the region. */
	assert_false(pci_guard_allows(edu, 0x12, 2, 0x3be0, 0xfea00000));
	assert_true(pci_guard_allows(edu, 0x04, 2, 0x0006, 0));	/* command: fine */
	assert_int_equal(pci_guard_refusals(), 4);
	assert_int_equal(host_log_count("pci guard: refused guest write to 00:01.0 offset 0x10"), 3);
}

static void test_guard_bridge_numbers(void **state)
{
	struct pci_bdf br = PCI_BDF(0, 0, 2, 0);
	uint32_t cur = 0x00010100;	/* primary 0, secondary 1, subordinate 1 */

	assert_false(pci_guard_allows(br, 0x19, 1, 7, cur));
	assert_false(pci_guard_allows(br, 0x18, 4, 0x00020200, cur));
	assert_false(pci_guard_allows(br, 0x1a, 1, 5, cur));
	assert_true(pci_guard_allows(br, 0x19, 1, 1, cur));		/* same value */
	assert_true(pci_guard_allows(br, 0x1b, 1, 0x40, cur));	/* latency timer */
	assert_true(pci_guard_allows(br, 0x18, 4, 0x40010100, cur));
	assert_int_equal(host_log_count("bridge bus numbers are fixed"), 3);
	/* No device at that address: nothing to protect. */
	assert_true(pci_guard_allows(PCI_BDF(0, 0, 9, 0), 0x19, 1, 7, 0));
}

/* The guest's ECAM window: writes through the same guard, reads of
 * hidden functions absent, their pages trapped. */
static void test_ecam_guard(void **state)
{
	struct ecam_window *w;
	uint64_t edu = ECAM_BASE + (1 << 15), br = ECAM_BASE + (2 << 15);
	uint32_t bar;

	(void)state;
	ecam_guard_reset();
	assert_null(ecam_guard_add(0, ECAM_BASE + 4096, 0, 0));	/* not 1 MiB aligned */
	assert_null(ecam_guard_add(0, ECAM_BASE, 3, 2));		/* bus range */
	w = ecam_guard_add(0, ECAM_BASE, 0, 0);
	assert_non_null(w);
	assert_int_equal(ecam_window_start(w), ECAM_BASE);
	assert_int_equal(ecam_window_end(w), ECAM_BASE + (1 << 20));

	/* Reads pass. */
	assert_int_equal(ecam_mmio_ops.read(w, edu, 2), 0x1234);
	assert_int_equal(ecam_mmio_ops.read(w, edu + 2, 2), 0x11e8);
	assert_int_equal(ecam_mmio_ops.read(w, edu, 8), 0x11e81234ULL | (uint64_t)cfg[0][4] << 32);
	/* Writes: the guard decides, as for CF8/CFC. */
	ecam_mmio_ops.write(w, edu + 0x04, 2, 0x0006);		/* command */
	assert_int_equal(cfg[0][4], 6);
	ecam_mmio_ops.write(w, edu + 0x10, 4, 0x3be00000);	/* BAR over the region */
	memcpy(&bar, &cfg[0][0x10], 4);
	assert_int_equal(bar, 0xfea00000);
	ecam_mmio_ops.write(w, edu + 0x12, 2, 0x3be0);		/* its upper half alone */
	memcpy(&bar, &cfg[0][0x10], 4);
	assert_int_equal(bar, 0xfea00000);
	ecam_mmio_ops.write(w, edu + 0x10, 8, 0x00000000fe000000ULL);	/* two dwords, fine */
	memcpy(&bar, &cfg[0][0x10], 4);
	assert_int_equal(bar, 0xfe000000);
	ecam_mmio_ops.write(w, br + 0x19, 1, 7);			/* secondary bus */
	assert_int_equal(cfg[1][0x19], 1);
	assert_int_equal(pci_guard_refusals(), 3);
	/* Crossing a dword: refused, not half done. */
	ecam_mmio_ops.write(w, edu + 0x06, 4, 0xffffffff);
	ecam_mmio_ops.write(w, edu + 0x13, 2, 0x3b3b);
	ecam_mmio_ops.write(w, edu + 0x12, 8, 0);
	assert_int_equal(ecam_guard_malformed(), 3);
	memcpy(&bar, &cfg[0][0x10], 4);
	assert_int_equal(bar, 0xfe000000);
	assert_int_equal(host_log_count("ecam guard: refused a guest write"), 3);
	/* Extended space (>= 0x100) goes through the same path. */
	ecam_mmio_ops.write(w, edu + 0x104, 4, 0x12345678);
	assert_int_equal(ecam_mmio_ops.read(w, edu + 0x104, 4), 0x12345678);

	/* Nothing is hidden: no page traps reads. */
	assert_false(ecam_mmio_ops.reads_trapped(w, ECAM_BASE, ECAM_BASE + (1 << 20)));
	/* A hidden function: absent to reads, writes refused, its page (only) traps. */
	assert_int_equal(protect_add_pci_function(PCI_BDF(0, 0, 1, 0), "hidden for the test"), 0);
	assert_true(ecam_mmio_ops.reads_trapped(w, ECAM_BASE, ECAM_BASE + (1 << 20)));
	assert_true(ecam_mmio_ops.reads_trapped(w, edu, edu + 4096));
	assert_false(ecam_mmio_ops.reads_trapped(w, edu + 4096, edu + 8192));	/* function 1 */
	assert_false(ecam_mmio_ops.reads_trapped(w, br, br + 4096));
	assert_int_equal(ecam_mmio_ops.read(w, edu, 4), 0xffffffff);
	assert_int_equal(ecam_mmio_ops.read(w, edu + 2, 2), 0xffff);
	assert_int_equal(ecam_mmio_ops.read(w, br, 2), 0x1b36);
	ecam_mmio_ops.write(w, edu + 0x04, 2, 0x0000);
	assert_int_equal(cfg[0][4], 6);
	assert_true(host_log_count("guest write to hidden function 00:01.0 (hidden for the test) off=0x4 dropped") == 1);
	assert_int_equal(pci_guard_read(PCI_BDF(0, 0, 1, 0), 0, 1, 0x34), 0xff);
	assert_int_equal(pci_guard_read(PCI_BDF(0, 0, 2, 0), 0, 1, 0x36), 0x36);
	assert_true(pci_guard_reads_trapped(PCI_BDF(0, 0, 1, 0)));
	assert_false(pci_guard_reads_trapped(PCI_BDF(0, 0, 2, 0)));
	/* The CF8/CFC ports take the same path: the hidden function reads
	 * all-ones and its writes are refused there too. */
	{
		struct pci_ports ports = { 0 };

		pci_ports_out(&ports, 0xcf8, 4, 0x80000000u | (1u << 11));	/* 00:01.0 */
		assert_int_equal(pci_ports_in(&ports, 0xcfc, 4), 0xffffffff);
		pci_ports_out(&ports, 0xcfc, 2, 0x0000);
		assert_int_equal(cfg[0][4], 6);
	}
	ecam_guard_reset();
}

/* ---------------- guest page walks ---------------- */

static uint64_t *ptables;	/* 4 tables in a row: PML4, PDPT, PD, PT */
static uint8_t *data;		/* 2 pages the walk leads to */

static int gm_setup(void **state)
{
	ptables = aligned_alloc(4096, 4 * 4096);
	data = aligned_alloc(4096, 2 * 4096);
	memset(ptables, 0, 4 * 4096);
	memset(data, 0, 2 * 4096);
	/* VA 0x400000000000 + ... -> data pages; user, writable except page 1. */
	ptables[0 * 512 + 128] = (uintptr_t)&ptables[512] | 7;
	ptables[1 * 512 + 0] = (uintptr_t)&ptables[1024] | 7;
	ptables[2 * 512 + 0] = (uintptr_t)&ptables[1536] | 7;
	ptables[3 * 512 + 0] = (uintptr_t)data | 7;
	ptables[3 * 512 + 1] = ((uintptr_t)data + 4096) | 5;	/* read-only */
	ptables[3 * 512 + 2] = ((uintptr_t)data) | 3;		/* supervisor only */
	return 0;
}

static int gm_teardown(void **state)
{
	free(ptables);
	free(data);
	return 0;
}

static void test_guest_walk_and_copy(void **state)
{
	struct guest_paging pg = { .cr0 = (1ULL << 31) | (1ULL << 16), .cr3 = (uintptr_t)ptables,
				   .cr4 = 0x20, .efer = (1ULL << 10) | (1ULL << 8), .user = true };
	uint64_t va = 0x400000000000ULL;
	paddr_t pa;
	char buf[32];

	assert_int_equal(guest_virt_to_phys(&pg, va + 0x123, true, &pa), 0);
	assert_int_equal(pa, (uintptr_t)data + 0x123);
	assert_int_equal(copy_to_guest(&pg, va + 4090, "hello, world", 13), E_FAULT); /* page 1 RO */
	assert_int_equal(copy_to_guest(&pg, va + 100, "hello, world", 13), 0);
	assert_string_equal((char *)data + 100, "hello, world");
	assert_int_equal(copy_from_guest(&pg, buf, va + 100, 13), 0);
	assert_string_equal(buf, "hello, world");
	assert_int_equal(guest_virt_to_phys(&pg, va + 2 * 4096, false, &pa), E_FAULT); /* kernel page */
	pg.user = false;
	assert_int_equal(guest_virt_to_phys(&pg, va + 2 * 4096, false, &pa), 0);
	assert_int_equal(guest_virt_to_phys(&pg, va + 4096, true, &pa), E_FAULT); /* CR0.WP */
	assert_int_equal(guest_virt_to_phys(&pg, va + 3 * 4096, false, &pa), E_FAULT); /* absent */
	/* Reserved bits fault as the CPU's #PF would (guest_walk): XD without
	 * EFER.NXE, PS in a PML4 entry. With NXE, XD only forbids fetches. */
	ptables[3 * 512 + 0] |= 1ULL << 63;
	assert_int_equal(guest_virt_to_phys(&pg, va + 8, false, &pa), E_FAULT);
	pg.efer |= 1ULL << 11;
	assert_int_equal(guest_virt_to_phys(&pg, va + 8, false, &pa), 0);
	assert_int_equal(pa, (uintptr_t)data + 8);
	pg.efer &= ~(1ULL << 11);
	ptables[3 * 512 + 0] &= ~(1ULL << 63);
	ptables[0 * 512 + 128] |= 1ULL << 7;
	assert_int_equal(guest_virt_to_phys(&pg, va + 8, false, &pa), E_FAULT);
	ptables[0 * 512 + 128] &= ~(1ULL << 7);
	assert_int_equal(guest_virt_to_phys(&pg, va + 8, false, &pa), 0);
	/* A table entry naming an address beyond shoji's map is refused, not
	 * followed (following it would fault in shoji itself). */
	host_phys_limit = 1ULL << 47;	/* above every host user address */
	ptables[2 * 512 + 1] = 0x000f000000000000ULL | 7;	/* PD 1 -> a PT out there */
	assert_int_equal(guest_virt_to_phys(&pg, va + (2ULL << 20), false, &pa), E_FAULT);
	ptables[2 * 512 + 1] = 0;
	ptables[3 * 512 + 3] = 0x000f000000000000ULL | 7;	/* a data page out there */
	assert_int_equal(guest_virt_to_phys(&pg, va + 3 * 4096, false, &pa), E_FAULT);
	ptables[3 * 512 + 3] = 0;
	host_phys_limit = ~(paddr_t)0;
	/* The hypervisor's memory is never a target, whatever the tables say. */
	assert_int_equal(protect_add((uintptr_t)data + 4096, (uintptr_t)data + 8192, PROTECT_ALL,
				     "hypervisor-region"), 0);
	assert_int_equal(guest_virt_to_phys(&pg, va + 4096, false, &pa), E_FAULT);
	/* Paging off: linear == physical, and still checked (vmm/protect.h). */
	pg.cr0 = 0;
	assert_int_equal(guest_virt_to_phys(&pg, (uintptr_t)data + 8, false, &pa), 0);
	assert_int_equal(pa, (uintptr_t)data + 8);
	assert_int_equal(guest_virt_to_phys(&pg, (uintptr_t)data + 4096, false, &pa), E_FAULT);
	/* Legacy (non-long-mode) paging is not walked. */
	pg.cr0 = 1ULL << 31;
	pg.efer = 0;
	assert_int_equal(guest_virt_to_phys(&pg, va, false, &pa), E_UNSUPPORTED);
	protect_reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pvh_parse_good),
		cmocka_unit_test(test_pvh_parse_rejects),
		cmocka_unit_test(test_pvh_load_copies_and_zeroes),
		cmocka_unit_test(test_pvh_load_in_place),
		cmocka_unit_test(test_pvh_start_info),
		cmocka_unit_test(test_cpuid_policy),
		cmocka_unit_test(test_msr_policy),
		cmocka_unit_test(test_apic_guard),
		cmocka_unit_test_setup_teardown(test_guard_bar, pci_setup, pci_teardown),
		cmocka_unit_test_setup_teardown(test_guard_bridge_numbers, pci_setup, pci_teardown),
		cmocka_unit_test_setup_teardown(test_ecam_guard, pci_setup, pci_teardown),
		cmocka_unit_test_setup_teardown(test_guest_walk_and_copy, gm_setup, gm_teardown),
	};
	return cmocka_run_group_tests_name("vmm", tests, NULL, NULL);
}
