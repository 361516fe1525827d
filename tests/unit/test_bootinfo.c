/* Multiboot v1/v2 information parsing on structures built in low host
 * memory (Multiboot v1 pointers are 32-bit: the arena is MAP_32BIT). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "boot/multiboot.h"
#include "host/host.h"
#include "lib/error.h"
#include "platform/bootinfo.h"

static uint8_t *arena;
static size_t used;
static struct boot_info bi;

static void *take(size_t n)
{
	void *p = arena + used;

	used += (n + 15) & ~(size_t)15;
	return p;
}

static uint32_t addr32(const void *p)
{
	return (uint32_t)(uintptr_t)p;
}

static char *str(const char *s)
{
	char *p = take(strlen(s) + 1);

	strcpy(p, s);
	return p;
}

static int setup(void **state)
{
	arena = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE,
		     MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	assert_true(arena != MAP_FAILED);
	used = 0;
	host_log_clear();
	return 0;
}

static int teardown(void **state)
{
	munmap(arena, 1 << 20);
	return 0;
}

/* ---- Multiboot v1 ---- */

struct mb1_info {
	uint32_t flags, mem_lower, mem_upper, boot_device, cmdline, mods_count, mods_addr;
	uint32_t syms[4], mmap_length, mmap_addr, drives_length, drives_addr, config_table;
	uint32_t boot_loader_name;
} __attribute__((packed));

struct mb1_mmap {
	uint32_t size;
	uint64_t base, len;
	uint32_t type;
} __attribute__((packed));

static struct mb1_info *mb1_basic(void)
{
	struct mb1_info *mi = take(sizeof(*mi));
	struct mb1_mmap *mm = take(3 * sizeof(*mm));
	uint32_t *mods = take(2 * 16);

	memset(mi, 0, sizeof(*mi));
	mm[0] = (struct mb1_mmap){ 20, 0, 0x9fc00, 1 };
	mm[1] = (struct mb1_mmap){ 20, 0xf0000, 0x10000, 2 };
	mm[2] = (struct mb1_mmap){ 20, 0x100000, 0x3ff00000, 1 };
	mods[0] = 0x1000000; mods[1] = 0x1001000; mods[2] = addr32(str("vmlinux role=kernel")); mods[3] = 0;
	mods[4] = 0x1002000; mods[5] = 0x1002400; mods[6] = 0; mods[7] = 0;
	mi->flags = (1 << 2) | (1 << 3) | (1 << 6) | (1 << 9);
	mi->cmdline = addr32(str("build/shoji.elf mem=32M"));
	mi->boot_loader_name = addr32(str("qemu"));
	mi->mods_count = 2;
	mi->mods_addr = addr32(mods);
	mi->mmap_length = 3 * sizeof(*mm);
	mi->mmap_addr = addr32(mm);
	return mi;
}

static void test_mb1_full(void **state)
{
	struct mb1_info *mi = mb1_basic();

	assert_int_equal(bootinfo_parse(MB1_BOOT_MAGIC, addr32(mi), &bi), 0);
	assert_int_equal(bi.protocol, 1);
	assert_string_equal(bi.loader, "qemu");
	assert_string_equal(bi.cmdline, "build/shoji.elf mem=32M");
	assert_int_equal(bi.n_modules, 2);
	assert_int_equal(bi.modules[0].start, 0x1000000);
	assert_int_equal(bi.modules[0].end, 0x1001000);
	assert_string_equal(bi.modules[0].name, "vmlinux role=kernel");
	assert_string_equal(bi.modules[1].name, "");
	assert_int_equal(bi.mem.n, 3);
	assert_int_equal(bi.mem.r[2].base, 0x100000);
	assert_int_equal(bi.mem.r[2].end, 0x40000000);
	assert_int_equal(bi.mem.r[2].type, MEM_USABLE);
	assert_int_equal(bi.info_base, addr32(mi));
	assert_int_equal(bi.rsdp_len, 0);
}

static void test_mb1_meminfo_fallback(void **state)
{
	struct mb1_info *mi = mb1_basic();

	mi->flags = 1;		/* mem_lower/mem_upper only */
	mi->mem_lower = 639;
	mi->mem_upper = 1023 * 1024;
	assert_int_equal(bootinfo_parse(MB1_BOOT_MAGIC, addr32(mi), &bi), 0);
	assert_int_equal(host_log_count("no memory map from the loader"), 1);
	assert_int_equal(bi.mem.n, 2);
	assert_int_equal(bi.mem.r[1].base, 0x100000);
	assert_int_equal(bi.mem.r[1].end, 0x100000 + 1023ull * 1024 * 1024);
}

static void test_mb1_no_memory_info(void **state)
{
	struct mb1_info *mi = mb1_basic();

	mi->flags = 1 << 2;
	assert_int_equal(bootinfo_parse(MB1_BOOT_MAGIC, addr32(mi), &bi), E_INVAL);
	assert_int_equal(host_log_count("gave no memory information"), 1);
}

static void test_mb1_bad_mmap_entry(void **state)
{
	struct mb1_info *mi = mb1_basic();
	struct mb1_mmap *mm = (struct mb1_mmap *)(uintptr_t)mi->mmap_addr;

	mm[1].size = 4;		/* smaller than an entry: would loop or misparse */
	assert_int_equal(bootinfo_parse(MB1_BOOT_MAGIC, addr32(mi), &bi), E_INVAL);
}

static void test_mb1_long_cmdline_truncated(void **state)
{
	struct mb1_info *mi = mb1_basic();
	char *line = take(3000);

	memset(line, 'a', 2999);
	line[2999] = 0;
	mi->cmdline = addr32(line);
	assert_int_equal(bootinfo_parse(MB1_BOOT_MAGIC, addr32(mi), &bi), 0);
	assert_int_equal(strlen(bi.cmdline), BOOT_CMDLINE_MAX - 1);
	assert_int_equal(host_log_count("command line longer than"), 1);
}

static void test_mb1_module_string_too_long_is_an_error(void **state)
{
	struct mb1_info *mi = mb1_basic();
	uint32_t *mods = (uint32_t *)(uintptr_t)mi->mods_addr;
	char *line = take(BOOT_NAME_MAX + 10);

	memset(line, 'x', BOOT_NAME_MAX + 9);
	line[BOOT_NAME_MAX + 9] = 0;
	mods[2] = addr32(line);
	assert_int_equal(bootinfo_parse(MB1_BOOT_MAGIC, addr32(mi), &bi), E_INVAL);
	assert_int_equal(host_log_count("a module string is longer than"), 1);
}

static void test_bad_magic(void **state)
{
	assert_int_equal(bootinfo_parse(0x12345678, addr32(take(64)), &bi), E_INVAL);
	assert_int_equal(host_log_count("unknown boot magic 0x12345678"), 1);
}

/* ---- Multiboot2 ---- */

struct mb2_builder {
	uint8_t *base;
	uint32_t off;
};

static void *tag(struct mb2_builder *b, uint32_t type, uint32_t size)
{
	uint32_t *t = (uint32_t *)(b->base + b->off);

	t[0] = type;
	t[1] = size;
	b->off += (size + 7) & ~7u;
	return t + 2;
}

static struct mb2_builder mb2_start(void)
{
	struct mb2_builder b = { take(4096), 8 };

	memset(b.base, 0, 4096);
	return b;
}

static uint32_t mb2_finish(struct mb2_builder *b)
{
	tag(b, 0, 8);
	((uint32_t *)b->base)[0] = b->off;
	return addr32(b->base);
}

static void put_string_tag(struct mb2_builder *b, uint32_t type, const char *s)
{
	strcpy(tag(b, type, 8 + strlen(s) + 1), s);
}

static void test_mb2_full(void **state)
{
	struct mb2_builder b = mb2_start();
	uint32_t *mod, *mm;
	uint8_t *rsdp;

	put_string_tag(&b, 1, "exit=qemu mem=32M");
	put_string_tag(&b, 2, "GRUB 2.06");
	mod = tag(&b, 3, 16 + 7);
	mod[0] = 0x2000000;
	mod[1] = 0x2100000;
	strcpy((char *)&mod[2], "initrd");
	mm = tag(&b, 6, 16 + 2 * 24);
	mm[0] = 24;	/* entry size */
	mm[1] = 0;	/* version */
	*(uint64_t *)&mm[2] = 0;
	*(uint64_t *)&mm[4] = 0x9fc00;
	mm[6] = 1;
	*(uint64_t *)&mm[8] = 0x100000;
	*(uint64_t *)&mm[10] = 0x7ff00000;
	mm[12] = 1;
	rsdp = tag(&b, 14, 8 + 20);
	memcpy(rsdp, "RSD PTR ", 8);
	rsdp = tag(&b, 15, 8 + 36);
	memcpy(rsdp, "RSD PTR ", 8);
	rsdp[15] = 2;
	tag(&b, 21, 12);	/* an unknown tag: skipped */

	assert_int_equal(bootinfo_parse(MB2_BOOT_MAGIC, mb2_finish(&b), &bi), 0);
	assert_int_equal(bi.protocol, 2);
	assert_string_equal(bi.cmdline, "exit=qemu mem=32M");
	assert_string_equal(bi.loader, "GRUB 2.06");
	assert_int_equal(bi.n_modules, 1);
	assert_string_equal(bi.modules[0].name, "initrd");
	assert_int_equal(bi.modules[0].end, 0x2100000);
	assert_int_equal(bi.mem.n, 2);
	assert_int_equal(bi.mem.r[1].end, 0x80000000);
	assert_int_equal(bi.rsdp_len, 36);	/* the v2 copy won */
	assert_int_equal(bi.rsdp[15], 2);
	assert_int_equal(bi.info_end - bi.info_base, b.off);
	assert_int_equal(host_log_count("warning"), 0);
}

static void test_mb2_tag_overruns_total(void **state)
{
	struct mb2_builder b = mb2_start();
	uint32_t *t;

	put_string_tag(&b, 1, "x");
	t = (uint32_t *)(b.base + b.off);
	mb2_finish(&b);
	t[1] = 4000;	/* the end tag claims to be huge */
	assert_int_equal(bootinfo_parse(MB2_BOOT_MAGIC, addr32(b.base), &bi), E_INVAL);
	assert_int_equal(host_log_count("has bad size 4000"), 1);
}

static void test_mb2_bad_total(void **state)
{
	struct mb2_builder b = mb2_start();

	((uint32_t *)b.base)[0] = 4;
	assert_int_equal(bootinfo_parse(MB2_BOOT_MAGIC, addr32(b.base), &bi), E_INVAL);
	((uint32_t *)b.base)[0] = 0x7fffffff;
	assert_int_equal(bootinfo_parse(MB2_BOOT_MAGIC, addr32(b.base), &bi), E_INVAL);
	assert_int_equal(bootinfo_parse(MB2_BOOT_MAGIC, addr32(b.base) + 4, &bi), E_INVAL);
}

static void test_mb2_bad_mmap_entry_size(void **state)
{
	struct mb2_builder b = mb2_start();
	uint32_t *mm = tag(&b, 6, 16 + 24);

	mm[0] = 8;	/* entries smaller than the structure */
	assert_int_equal(bootinfo_parse(MB2_BOOT_MAGIC, mb2_finish(&b), &bi), E_INVAL);
}

static void test_mb2_missing_end_tag_warns(void **state)
{
	struct mb2_builder b = mb2_start();
	uint32_t *mi = tag(&b, 4, 16);

	mi[0] = 639;
	mi[1] = 1024 * 1024;
	((uint32_t *)b.base)[0] = b.off;	/* no end tag */
	assert_int_equal(bootinfo_parse(MB2_BOOT_MAGIC, addr32(b.base), &bi), 0);
	assert_int_equal(host_log_count("has no end tag"), 1);
	assert_int_equal(host_log_count("using mem_lower/mem_upper"), 1);
	assert_int_equal(bi.mem.n, 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_mb1_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb1_meminfo_fallback, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb1_no_memory_info, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb1_bad_mmap_entry, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb1_long_cmdline_truncated, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb1_module_string_too_long_is_an_error, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_magic, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb2_full, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb2_tag_overruns_total, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb2_bad_total, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb2_bad_mmap_entry_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_mb2_missing_end_tag_warns, setup, teardown),
	};
	return cmocka_run_group_tests_name("bootinfo", tests, NULL, NULL);
}
