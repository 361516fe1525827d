/* Trapped I/O ports (vmm/io_trap.h) and string I/O to them
 * (vmm/io_string.h): which accesses an emulator gets and with which size,
 * straddling accesses split into bytes, the port list a back-end builds
 * its intercepts from, and INS/OUTS decoded and run against a guest buffer
 * (REP, DF, address sizes, the per-call budget, protected buffers). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/mman.h>

#include "host/host.h"
#include "lib/error.h"
#include "vmm/io_string.h"
#include "vmm/io_trap.h"
#include "vmm/protect.h"

/* An emulator at 0x1f0-0x1f7 that records what it gets and answers with a
 * counter; the hardware (host_io) answers 0xa0 + port low bits. */
struct access {
	uint16_t port;
	unsigned size;
	bool out;
	uint32_t v;
};
static struct access log_[64];
static unsigned nlog;
static uint32_t counter;

static uint32_t emu_in(void *ctx, uint16_t port, unsigned size)
{
	assert_ptr_equal(ctx, &counter);
	log_[nlog++ % 64] = (struct access){ port, size, false, 0 };
	return counter++;
}

static void emu_out(void *ctx, uint16_t port, unsigned size, uint32_t v)
{
	log_[nlog++ % 64] = (struct access){ port, size, true, v };
}

static const struct io_ops emu = { emu_in, emu_out };

static uint32_t hw_written[0x400];
static uint32_t hw_in(uint16_t port, int width) { return 0xa0 + (port & 0xf); }
static void hw_out(uint16_t port, int width, uint32_t v) { hw_written[port & 0x3ff] = v | 0x100; }
static const struct host_io_ops hw = { hw_in, hw_out };

static int setup(void **state)
{
	protect_reset();
	nlog = 0;
	counter = 0x1000;
	memset(hw_written, 0, sizeof(hw_written));
	host_io = &hw;
	assert_int_equal(protect_add_io_emulated(0x1f0, 0x1f8, "ide0-taskfile", &emu, &counter,
						 PCI_BDF(0, 0, 0, 0), -1), 0);
	assert_int_equal(protect_add_io_emulated(0x3f6, 0x3f7, "ide0-control", &emu, &counter,
						 PCI_BDF(0, 0, 0, 0), -1), 0);
	assert_int_equal(protect_add_io(0xcf8, 0xd00, "pci-config-ports"), 0);	/* not trapped */
	return 0;
}

static int teardown(void **state)
{
	host_io = NULL;
	protect_reset();
	return 0;
}

static void test_claims(void **state)
{
	assert_true(io_trap_claims(0x1f0, 2));
	assert_true(io_trap_claims(0x1f7, 1));
	assert_false(io_trap_claims(0x1f8, 4));
	assert_true(io_trap_claims(0x1ee, 4));		/* its last two bytes */
	assert_true(io_trap_claims(0x3f6, 1));
	assert_false(io_trap_claims(0x3f7, 1));		/* the floppy's register: not ours */
	assert_false(io_trap_claims(0xcf8, 4));		/* a BAR-only I/O range is not a trap */
}

static void test_whole_access_keeps_its_size(void **state)
{
	/* A 32-bit data-port read is one access of 4, not four of 1. */
	assert_int_equal(io_trap_in(0x1f0, 4), 0x1000);
	assert_int_equal(nlog, 1);
	assert_int_equal(log_[0].port, 0x1f0);
	assert_int_equal(log_[0].size, 4);
	io_trap_out(0x1f2, 2, 0xabcd);
	assert_int_equal(nlog, 2);
	assert_true(log_[1].out);
	assert_int_equal(log_[1].size, 2);
	assert_int_equal(log_[1].v, 0xabcd);
	/* The value is masked to the size. */
	assert_int_equal(io_trap_in(0x1f7, 1), 0x01);	/* 0x1001 & 0xff */
}

static void test_straddling_access_splits(void **state)
{
	uint32_t v;

	/* 0x3f6 (ours) and 0x3f7 (hardware) in one word. */
	v = io_trap_in(0x3f6, 2);
	assert_int_equal(nlog, 1);
	assert_int_equal(log_[0].port, 0x3f6);
	assert_int_equal(log_[0].size, 1);
	assert_int_equal(v, (0xa7u << 8) | 0x00);
	io_trap_out(0x3f5, 4, 0x44332211);
	/* 0x3f5 hw, 0x3f6 emulator, 0x3f7 0x3f8 hw */
	assert_int_equal(hw_written[0x3f5], 0x111);
	assert_int_equal(hw_written[0x3f6], 0);
	assert_int_equal(hw_written[0x3f7], 0x133);
	assert_int_equal(hw_written[0x3f8 & 0x3ff], 0x144);
	assert_int_equal(log_[1].port, 0x3f6);
	assert_int_equal(log_[1].v, 0x22);
}

static unsigned seen[0x400];
static void count_port(void *ctx, uint16_t port)
{
	seen[port & 0x3ff]++;
}

static void test_port_list(void **state)
{
	memset(seen, 0, sizeof(seen));
	assert_int_equal(io_trap_ports(count_port, NULL), 9);
	for (unsigned p = 0x1f0; p < 0x1f8; p++)
		assert_int_equal(seen[p], 1);
	assert_int_equal(seen[0x3f6], 1);
	assert_int_equal(seen[0x3f7], 0);
	assert_int_equal(seen[0xcf8 & 0x3ff], 0);
}

/* ---------------- string I/O ---------------- */

static void test_decode(void **state)
{
	struct io_string s;
	const char *why;
	static const uint8_t rep_insw[] = { 0xf3, 0x66, 0x6d };
	static const uint8_t rep_outsl[] = { 0xf3, 0x6f };
	static const uint8_t outsb_gs[] = { 0x65, 0x6e };
	static const uint8_t outsw_ds_rex[] = { 0x66, 0x3e, 0x48, 0x6f };
	static const uint8_t insd_a32[] = { 0x67, 0x6d };
	static const uint8_t lock_ins[] = { 0xf0, 0x6c };
	static const uint8_t not_string[] = { 0x66, 0xed };	/* in ax, dx */

	assert_int_equal(io_string_decode(rep_insw, 3, X86_MODE_64, &s, &why), 0);
	assert_true(s.in && s.rep);
	assert_int_equal(s.size, 2);
	assert_int_equal(s.addr_size, 8);
	assert_int_equal(s.seg, X86_SEG_ES);
	assert_int_equal(s.len, 3);
	assert_int_equal(io_string_decode(rep_outsl, 2, X86_MODE_32, &s, &why), 0);
	assert_true(!s.in && s.rep);
	assert_int_equal(s.size, 4);
	assert_int_equal(s.addr_size, 4);
	assert_int_equal(s.seg, X86_SEG_DS);
	assert_int_equal(io_string_decode(outsb_gs, 2, X86_MODE_64, &s, &why), 0);
	assert_int_equal(s.seg, X86_SEG_GS);
	assert_int_equal(s.size, 1);
	assert_false(s.rep);
	/* REX ignored (no 64-bit OUTS); DS override ignored in 64-bit mode. */
	assert_int_equal(io_string_decode(outsw_ds_rex, 4, X86_MODE_64, &s, &why), 0);
	assert_int_equal(s.size, 2);
	assert_int_equal(s.seg, X86_SEG_DS);
	assert_int_equal(s.len, 4);
	assert_int_equal(io_string_decode(insd_a32, 2, X86_MODE_64, &s, &why), 0);
	assert_int_equal(s.addr_size, 4);
	assert_int_equal(io_string_decode(insd_a32, 2, X86_MODE_32, &s, &why), 0);
	assert_int_equal(s.addr_size, 2);
	assert_int_equal(io_string_decode(lock_ins, 2, X86_MODE_64, &s, &why), E_UNSUPPORTED);
	assert_non_null(why);
	assert_int_equal(io_string_decode(not_string, 2, X86_MODE_64, &s, &why), E_INVAL);
	assert_int_equal(io_string_decode(rep_insw, 2, X86_MODE_64, &s, &why), E_RANGE);
	/* 16-bit code (real mode: SeaBIOS's ATA PIO, DOS drivers): 16-bit
	 * elements and SI/DI/CX by default, 66 and 67 give 32; every segment
	 * override counts (OUTS), INS always writes ES:DI. */
	assert_int_equal(io_string_decode(rep_insw, 3, X86_MODE_16, &s, &why), 0);
	assert_true(s.in && s.rep);
	assert_int_equal(s.size, 4);		/* f3 66 6d: REP INSD */
	assert_int_equal(s.addr_size, 2);
	assert_int_equal(s.seg, X86_SEG_ES);
	assert_int_equal(io_string_decode(rep_outsl, 2, X86_MODE_16, &s, &why), 0);
	assert_int_equal(s.size, 2);		/* f3 6f: REP OUTSW */
	assert_int_equal(s.addr_size, 2);
	assert_int_equal(s.seg, X86_SEG_DS);
	assert_int_equal(io_string_decode(outsw_ds_rex, 4, X86_MODE_16, &s, &why), E_INVAL);
	/* (48 is DEC AX outside 64-bit mode: not a string instruction) */
	assert_int_equal(io_string_decode(insd_a32, 2, X86_MODE_16, &s, &why), 0);
	assert_int_equal(s.size, 2);
	assert_int_equal(s.addr_size, 4);
	static const uint8_t outsb_es[] = { 0x26, 0x6e };
	assert_int_equal(io_string_decode(outsb_es, 2, X86_MODE_16, &s, &why), 0);
	assert_int_equal(s.seg, X86_SEG_ES);
	assert_int_equal(io_string_decode(outsb_es, 2, X86_MODE_64, &s, &why), 0);
	assert_int_equal(s.seg, X86_SEG_DS);	/* ES override ignored in 64-bit mode */
}

static const struct guest_paging paging_off = { 0 };	/* linear == physical */

static void test_rep_insw_fills_the_buffer(void **state)
{
	uint16_t *buf = calloc(300, 2);
	struct io_string s = { .in = true, .rep = true, .size = 2, .addr_size = 8,
			       .seg = X86_SEG_ES, .len = 3 };
	struct vcpu_regs r = { .rdi = (uintptr_t)buf, .rcx = 256 };
	uint64_t fault;
	bool done;

	assert_int_equal(io_string_run(&s, 0x1f0, X86_MODE_64, &r, &paging_off, 0, false, &done,
				       &fault), 0);
	assert_true(done);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(r.rdi, (uintptr_t)(buf + 256));
	assert_int_equal(nlog, 256);
	for (unsigned i = 0; i < 256; i++) {
		assert_int_equal(buf[i], (uint16_t)(0x1000 + i));
		assert_int_equal(log_[i % 64].size, 2);
	}
	assert_int_equal(buf[256], 0);
	free(buf);
}

static void test_rep_outsl_backwards_and_budget(void **state)
{
	unsigned n = IO_STRING_MAX_BYTES / 4 + 10;
	uint32_t *buf = calloc(n, 4);
	struct io_string s = { .in = false, .rep = true, .size = 4, .addr_size = 8,
			       .seg = X86_SEG_DS, .len = 2 };
	struct vcpu_regs r;
	uint64_t fault;
	bool done;

	for (unsigned i = 0; i < n; i++)
		buf[i] = 0x5000 + i;
	/* DF=1: from the last element down. More than one call's budget. */
	r = (struct vcpu_regs){ .rsi = (uintptr_t)&buf[n - 1], .rcx = n };
	assert_int_equal(io_string_run(&s, 0x1f0, X86_MODE_64, &r, &paging_off, 0, true, &done,
				       &fault), 0);
	assert_false(done);					/* runs again */
	assert_int_equal(r.rcx, 10);
	assert_int_equal(r.rsi, (uintptr_t)&buf[9]);
	nlog = 0;
	assert_int_equal(io_string_run(&s, 0x1f0, X86_MODE_64, &r, &paging_off, 0, true, &done,
				       &fault), 0);
	assert_true(done);
	assert_int_equal(r.rcx, 0);
	assert_int_equal(nlog, 10);
	assert_int_equal(log_[0].v, 0x5000 + 9);
	assert_int_equal(log_[9].v, 0x5000);
	assert_true(log_[9].out);
	free(buf);
}

static void test_rep_with_zero_count_and_single(void **state)
{
	uint8_t b = 0x77;
	struct io_string s = { .in = false, .rep = true, .size = 1, .addr_size = 8,
			       .seg = X86_SEG_DS, .len = 2 };
	struct vcpu_regs r = { .rsi = (uintptr_t)&b, .rcx = 0 };
	uint64_t fault;
	bool done;

	assert_int_equal(io_string_run(&s, 0x1f7, X86_MODE_64, &r, &paging_off, 0, false, &done,
				       &fault), 0);
	assert_true(done);
	assert_int_equal(nlog, 0);
	s.rep = false;
	r.rcx = 5;
	assert_int_equal(io_string_run(&s, 0x1f7, X86_MODE_64, &r, &paging_off, 0, false, &done,
				       &fault), 0);
	assert_true(done);
	assert_int_equal(r.rcx, 5);			/* without REP rCX is not a count */
	assert_int_equal(nlog, 1);
	assert_int_equal(log_[0].v, 0x77);
	assert_int_equal(r.rsi, (uintptr_t)&b + 1);
}

/* 32-bit address size in 64-bit mode: rSI's upper half is ignored and
 * cleared by the update; 16-bit address size (67 in 32-bit code): only SI
 * counts and changes, the segment base is added. The buffer is mapped
 * below 2 GiB (MAP_32BIT) so that 32-bit addresses can reach it. */
static void test_address_size_wraps(void **state)
{
	uint8_t *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE,
			     MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	uintptr_t buf;
	struct io_string s = { .in = false, .rep = false, .size = 2, .addr_size = 4,
			       .seg = X86_SEG_DS, .len = 3 };
	struct vcpu_regs r;
	uint64_t fault;
	bool done;

	assert_true(page != MAP_FAILED);
	buf = (uintptr_t)page + 0x100;
	assert_true(buf < (1ULL << 31));
	*(uint16_t *)buf = 0x1234;
	r = (struct vcpu_regs){ .rsi = 0xffffffff00000000ULL | buf };
	assert_int_equal(io_string_run(&s, 0x1f0, X86_MODE_64, &r, &paging_off, 0, false, &done,
				       &fault), 0);
	assert_int_equal(log_[0].v, 0x1234);
	assert_int_equal(r.rsi, buf + 2);
	*(uint16_t *)(buf + 2) = 0x5678;
	s.addr_size = 2;
	r = (struct vcpu_regs){ .rsi = 0x12340000ULL | ((buf + 2) & 0xffff) };
	assert_int_equal(io_string_run(&s, 0x1f0, X86_MODE_32, &r, &paging_off,
				       (buf + 2) & ~0xffffULL, false, &done, &fault), 0);
	assert_int_equal(log_[1].v, 0x5678);
	assert_int_equal(r.rsi, 0x12340000ULL | ((buf + 4) & 0xffff));
	/* Real mode, REP OUTSW (16-bit code): SI and CX count in 16 bits, the
	 * segment base (DS << 4) is added, the upper halves are kept. */
	*(uint16_t *)(buf + 4) = 0x9abc;
	*(uint16_t *)(buf + 6) = 0xdef0;
	s.rep = true;
	r = (struct vcpu_regs){ .rsi = 0xabcd0000ULL | ((buf + 4) & 0xffff),
				.rcx = 0x55550002ULL };
	assert_int_equal(io_string_run(&s, 0x1f0, X86_MODE_16, &r, &paging_off,
				       (buf + 4) & ~0xffffULL, false, &done, &fault), 0);
	assert_true(done);
	assert_int_equal(log_[2].v, 0x9abc);
	assert_int_equal(log_[3].v, 0xdef0);
	assert_int_equal(r.rsi, 0xabcd0000ULL | ((buf + 8) & 0xffff));
	assert_int_equal(r.rcx, 0x55550000ULL);
	munmap(page, 4096);
}

static void test_protected_buffer_refused(void **state)
{
	uint8_t *hv = aligned_alloc(4096, 8192);
	struct io_string s = { .in = true, .rep = true, .size = 2, .addr_size = 8,
			       .seg = X86_SEG_ES, .len = 3 };
	struct vcpu_regs r = { .rdi = (uintptr_t)hv + 4096 - 4, .rcx = 4 };
	uint64_t fault = 0;
	bool done;

	memset(hv, 0, 8192);
	assert_int_equal(protect_add((uintptr_t)hv + 4096, (uintptr_t)hv + 8192, PROTECT_ALL,
				     "hypervisor-region"), 0);
	/* Two words land below the range; the third would be in it: refused
	 * before its port read, the registers say where it stopped. */
	assert_int_equal(io_string_run(&s, 0x1f0, X86_MODE_64, &r, &paging_off, 0, false, &done,
				       &fault), E_FAULT);
	assert_false(done);
	assert_int_equal(nlog, 2);
	assert_int_equal(fault, (uintptr_t)hv + 4096);
	assert_int_equal(r.rcx, 2);
	assert_int_equal(r.rdi, (uintptr_t)hv + 4096);
	for (unsigned i = 4096; i < 8192; i++)
		assert_int_equal(hv[i], 0);
	free(hv);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_claims, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whole_access_keeps_its_size, setup, teardown),
		cmocka_unit_test_setup_teardown(test_straddling_access_splits, setup, teardown),
		cmocka_unit_test_setup_teardown(test_port_list, setup, teardown),
		cmocka_unit_test_setup_teardown(test_decode, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rep_insw_fills_the_buffer, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rep_outsl_backwards_and_budget, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rep_with_zero_count_and_single, setup, teardown),
		cmocka_unit_test_setup_teardown(test_address_size_wraps, setup, teardown),
		cmocka_unit_test_setup_teardown(test_protected_buffer_refused, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
