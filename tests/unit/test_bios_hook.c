/* The INT 15h memory-size answers of guest=disk (vmm/bios_hook.c): the
 * guest's E820 walk, E801h and 88h over a map with the hypervisor region,
 * chaining to the firmware, CF in the INT's FLAGS image, refused buffers.
 * Real-mode addresses are host addresses here: the window 0x10000-0xfffff is
 * mapped (above vm.mmap_min_addr), segments 0x1000 and up. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "host/host.h"
#include "lib/error.h"
#include "platform/memmap.h"
#include "vmm/bios_hook.h"
#include "vmm/protect.h"

#define WIN_BASE 0x10000UL
#define WIN_SIZE 0xf0000UL
#define STUB_SEG 0x9f80
#define INT15_IP 3
#define FAIL_IP 0x43
#define STACK_SEG 0x1000	/* linear 0x10000 + sp */
#define STACK_SP 0x7000
#define BUF_SEG 0x1800
#define HV_BASE 0x3be00000ULL
#define HV_END 0x3fe00000ULL

static uint8_t *win;
static struct memmap map;

static uint8_t *at(uint64_t lin)
{
	return (uint8_t *)(uintptr_t)lin;
}

static int setup(void **state)
{
	(void)state;
	if (!win) {
		win = mmap((void *)WIN_BASE, WIN_SIZE, PROT_READ | PROT_WRITE,
			   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
		assert_true(win == (void *)WIN_BASE);
	}
	memset(win, 0, WIN_SIZE);
	protect_reset();
	host_log_clear();
	memmap_init(&map);
	memmap_add(&map, 0, 0x9fc00, 1);
	memmap_add(&map, 0x9fc00, 0x400, 2);
	memmap_add(&map, 0xf0000, 0x10000, 2);
	memmap_add(&map, 0x100000, 0x3ffdf000 - 0x100000, 1);
	memmap_add(&map, 0x3ffdf000, 0x21000, 2);
	memmap_sanitize(&map);
	memmap_set(&map, HV_BASE, HV_END, MEM_HYPERVISOR);
	memmap_set(&map, 0x9f800, 0x9fc00, MEM_RESERVED);	/* the stub */
	bios_hook_init(&(struct bios_hook_config){
		.stub_seg = STUB_SEG, .int15_ip = INT15_IP, .fail_ip = FAIL_IP,
		.old15_seg = 0xf000, .old15_off = 0xf859, .boot_drive = 0x80, .map = &map,
	});
	return 0;
}

/* A call as the stub's VMMCALL makes it: INT pushed IP, CS, FLAGS. */
static struct vcpu_realmode int15_frame(uint16_t flags)
{
	uint8_t *sp = at(((uint64_t)STACK_SEG << 4) + STACK_SP);

	memcpy(sp, &(uint16_t){ 0x1234 }, 2);
	memcpy(sp + 2, &(uint16_t){ 0x0000 }, 2);
	memcpy(sp + 4, &flags, 2);
	return (struct vcpu_realmode){ .cs = STUB_SEG, .ip = INT15_IP, .ss = STACK_SEG,
				       .sp = STACK_SP, .es = BUF_SEG };
}

static uint16_t stacked_flags(void)
{
	uint16_t f;

	memcpy(&f, at(((uint64_t)STACK_SEG << 4) + STACK_SP + 4), 2);
	return f;
}

struct e820_entry {
	uint64_t base, len;
	uint32_t type;
};

static void test_e820_walk_reports_the_region_reserved(void **state)
{
	struct e820_entry got[MEMMAP_MAX];
	unsigned n = 0;
	struct vcpu_regs r = { .rbx = 0 };
	bool saw_hv = false;
	uint64_t usable = 0;

	(void)state;
	do {
		struct vcpu_realmode rm = int15_frame(0x0203);	/* CF set on entry */

		r.rax = 0xe820;
		r.rdx = BIOS_E820_SMAP;
		r.rcx = 24;
		r.rdi = 0x10;
		assert_int_equal(bios_hook_call(&r, &rm), REALMODE_DONE);
		assert_int_equal(rm.cs, STUB_SEG);	/* on to the stub's IRET */
		assert_int_equal(rm.ip, INT15_IP);
		assert_int_equal(stacked_flags() & 1, 0);
		assert_int_equal((uint32_t)r.rax, BIOS_E820_SMAP);
		assert_int_equal(r.rcx, 20);
		memcpy(&got[n].base, at(((uint64_t)BUF_SEG << 4) + 0x10), 8);
		memcpy(&got[n].len, at(((uint64_t)BUF_SEG << 4) + 0x18), 8);
		memcpy(&got[n].type, at(((uint64_t)BUF_SEG << 4) + 0x20), 4);
		n++;
		assert_true(n <= map.n);
	} while (r.rbx != 0);
	assert_int_equal(n, map.n);
	for (unsigned i = 0; i < n; i++) {
		if (got[i].base == HV_BASE) {
			saw_hv = true;
			assert_int_equal(got[i].len, HV_END - HV_BASE);
			assert_int_equal(got[i].type, 2);
		}
		if (got[i].type == 1) {
			usable += got[i].len;
			/* no usable byte inside the region or the stub */
			assert_true(got[i].base + got[i].len <= HV_BASE || got[i].base >= HV_END);
			assert_true(got[i].base + got[i].len <= 0x9f800 || got[i].base >= 0xa0000);
		}
		if (i)
			assert_true(got[i].base >= got[i - 1].base + got[i - 1].len);
	}
	assert_true(saw_hv);
	assert_int_equal(usable, memmap_total(&map, MEM_USABLE));
	assert_int_equal(host_log_count("fwboot e820 answered"), 1);
}

static void test_e820_bad_arguments_set_carry(void **state)
{
	struct vcpu_realmode rm;
	struct vcpu_regs r;

	(void)state;
	/* no 'SMAP' signature */
	rm = int15_frame(0x0202);
	r = (struct vcpu_regs){ .rax = 0xe820, .rdx = 0x12345678, .rcx = 20, .rdi = 0 };
	assert_int_equal(bios_hook_call(&r, &rm), REALMODE_DONE);
	assert_int_equal(stacked_flags() & 1, 1);
	assert_int_equal((r.rax >> 8) & 0xff, 0x86);
	/* buffer too small */
	rm = int15_frame(0x0202);
	r = (struct vcpu_regs){ .rax = 0xe820, .rdx = BIOS_E820_SMAP, .rcx = 16 };
	assert_int_equal(bios_hook_call(&r, &rm), REALMODE_DONE);
	assert_int_equal(stacked_flags() & 1, 1);
	/* continuation past the end */
	rm = int15_frame(0x0202);
	r = (struct vcpu_regs){ .rax = 0xe820, .rdx = BIOS_E820_SMAP, .rcx = 20, .rbx = 999 };
	assert_int_equal(bios_hook_call(&r, &rm), REALMODE_DONE);
	assert_int_equal(stacked_flags() & 1, 1);
}

static void test_e820_buffer_in_a_protected_range_is_refused(void **state)
{
	struct vcpu_realmode rm = int15_frame(0x0202);
	uint64_t buf = ((uint64_t)BUF_SEG << 4);
	struct vcpu_regs r = { .rax = 0xe820, .rdx = BIOS_E820_SMAP, .rcx = 20, .rdi = 0 };

	(void)state;
	assert_int_equal(protect_add(buf, buf + 0x1000, PROTECT_ALL, "test-protected"), 0);
	memset(at(buf), 0xa5, 20);
	assert_int_equal(bios_hook_call(&r, &rm), REALMODE_DONE);
	assert_int_equal(stacked_flags() & 1, 1);
	for (unsigned i = 0; i < 20; i++)
		assert_int_equal(at(buf)[i], 0xa5);	/* nothing written */
	assert_int_equal(host_log_count("fwboot e820 buffer es:di=1800:0000 refused"), 1);
}

static void test_e801_and_88_stop_below_the_region(void **state)
{
	struct vcpu_realmode rm = int15_frame(0x0203);
	struct vcpu_regs r = { .rax = 0xe801 };

	(void)state;
	assert_int_equal(bios_hook_call(&r, &rm), REALMODE_DONE);
	assert_int_equal(r.rax & 0xffff, 15 * 1024);			/* 1-16 MiB, in KiB */
	assert_int_equal(r.rcx & 0xffff, 15 * 1024);
	assert_int_equal(r.rbx & 0xffff, (HV_BASE - 0x1000000) / 0x10000);	/* 64 KiB blocks */
	assert_int_equal(r.rdx & 0xffff, (HV_BASE - 0x1000000) / 0x10000);
	assert_int_equal(stacked_flags() & 1, 0);

	rm = int15_frame(0x0203);
	r = (struct vcpu_regs){ .rax = 0x8800 };
	assert_int_equal(bios_hook_call(&r, &rm), REALMODE_DONE);
	assert_int_equal(r.rax & 0xffff, 0xffff);	/* 955 MiB: capped */
	assert_int_equal(stacked_flags() & 1, 0);
}

static void test_88_on_a_small_machine(void **state)
{
	struct vcpu_realmode rm = int15_frame(0x0202);
	struct vcpu_regs r = { .rax = 0x8800 };

	(void)state;
	memmap_set(&map, 0x2000000, 0x3ffdf000, MEM_HYPERVISOR);	/* RAM ends at 32 MiB */
	assert_int_equal(bios_hook_call(&r, &rm), REALMODE_DONE);
	assert_int_equal(r.rax & 0xffff, 31 * 1024);
	rm = int15_frame(0x0202);
	r = (struct vcpu_regs){ .rax = 0xe801 };
	assert_int_equal(bios_hook_call(&r, &rm), REALMODE_DONE);
	assert_int_equal(r.rbx & 0xffff, 16 * 1024 / 64);
}

static void test_other_functions_go_to_the_firmware(void **state)
{
	struct vcpu_realmode rm = int15_frame(0x0202);
	struct vcpu_regs r = { .rax = 0xc000 };	/* get configuration */

	(void)state;
	assert_int_equal(bios_hook_call(&r, &rm), REALMODE_DONE);
	assert_int_equal(rm.cs, 0xf000);
	assert_int_equal(rm.ip, 0xf859);
	assert_int_equal(rm.sp, STACK_SP);	/* the INT's frame stays for its IRET */
	assert_int_equal(r.rax, 0xc000);
	assert_int_equal(stacked_flags(), 0x0202);
}

static void test_not_a_hook(void **state)
{
	struct vcpu_realmode rm = int15_frame(0x0202);
	struct vcpu_regs r = { .rax = 0xe820 };

	(void)state;
	rm.cs = 0x1000;		/* a VMMCALL elsewhere */
	assert_int_equal(bios_hook_call(&r, &rm), REALMODE_NOT_OURS);
	rm.cs = STUB_SEG;
	rm.ip = 0x20;
	assert_int_equal(bios_hook_call(&r, &rm), REALMODE_NOT_OURS);
}

static void test_boot_failure_stops_with_a_reason(void **state)
{
	struct vcpu_realmode rm = { .cs = STUB_SEG, .ip = FAIL_IP };
	struct vcpu_regs r = { .rax = 0x8000, .rbx = 0 };

	(void)state;
	assert_int_equal(bios_hook_call(&r, &rm), REALMODE_STOP);
	assert_int_equal(host_log_count("could not read sector 0 of drive 0x80 (int 13h status=0x80"), 1);
	r.rbx = 1;
	assert_int_equal(bios_hook_call(&r, &rm), REALMODE_STOP);
	assert_int_equal(host_log_count("drive 0x80 is not bootable: sector 0 has no boot signature"), 1);
}

static void test_stack_in_a_protected_range_stops(void **state)
{
	struct vcpu_realmode rm = int15_frame(0x0202);
	struct vcpu_regs r = { .rax = 0xe801 };
	uint64_t st = ((uint64_t)STACK_SEG << 4) + STACK_SP;

	(void)state;
	assert_int_equal(protect_add(st & ~0xfffULL, (st & ~0xfffULL) + 0x1000, PROTECT_ALL,
				     "test-protected"), 0);
	assert_int_equal(bios_hook_call(&r, &rm), REALMODE_STOP);
	assert_int_equal(host_log_count("fwboot int 15h: the stack"), 1);
}

static void test_e820_types(void **state)
{
	(void)state;
	assert_int_equal(bios_e820_type(MEM_USABLE), 1);
	assert_int_equal(bios_e820_type(MEM_RESERVED), 2);
	assert_int_equal(bios_e820_type(MEM_ACPI_RECLAIM), 3);
	assert_int_equal(bios_e820_type(MEM_ACPI_NVS), 4);
	assert_int_equal(bios_e820_type(MEM_BAD), 5);
	assert_int_equal(bios_e820_type(MEM_HYPERVISOR), 2);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_e820_walk_reports_the_region_reserved, setup),
		cmocka_unit_test_setup(test_e820_bad_arguments_set_carry, setup),
		cmocka_unit_test_setup(test_e820_buffer_in_a_protected_range_is_refused, setup),
		cmocka_unit_test_setup(test_e801_and_88_stop_below_the_region, setup),
		cmocka_unit_test_setup(test_88_on_a_small_machine, setup),
		cmocka_unit_test_setup(test_other_functions_go_to_the_firmware, setup),
		cmocka_unit_test_setup(test_not_a_hook, setup),
		cmocka_unit_test_setup(test_boot_failure_stops_with_a_reason, setup),
		cmocka_unit_test_setup(test_stack_in_a_protected_range_stops, setup),
		cmocka_unit_test_setup(test_e820_types, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
