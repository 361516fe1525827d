/* The APIC guard's exit-cost paths (vmm/apic_guard.h): register classes for
 * the exit histogram, the write fast path's instruction recogniser (checked
 * against the general decoder), and the APIC window's write policy through
 * the MMIO callbacks, on a model APIC. Encodings: GNU as (objdump -d) for
 * the instructions named beside them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"
#include "vmm/apic_guard.h"
#include "vmm/x86_decode.h"

static void test_reg_class(void **state)
{
	(void)state;
	assert_int_equal(apic_reg_class(0x0b0), APIC_CLASS_EOI);
	assert_int_equal(apic_reg_class(0x0b3), APIC_CLASS_EOI);
	assert_int_equal(apic_reg_class(0x080), APIC_CLASS_TPR);
	assert_int_equal(apic_reg_class(0x320), APIC_CLASS_TIMER);
	assert_int_equal(apic_reg_class(0x380), APIC_CLASS_TIMER);
	assert_int_equal(apic_reg_class(0x390), APIC_CLASS_TIMER);
	assert_int_equal(apic_reg_class(0x3e0), APIC_CLASS_TIMER);
	assert_int_equal(apic_reg_class(0x300), APIC_CLASS_ICR);
	assert_int_equal(apic_reg_class(0x310), APIC_CLASS_ICR);
	assert_int_equal(apic_reg_class(0x000), APIC_CLASS_OTHER);
	assert_int_equal(apic_reg_class(0x0f0), APIC_CLASS_OTHER);	/* spurious vector */
	assert_int_equal(apic_reg_class(0x350), APIC_CLASS_OTHER);	/* LINT0 */
}

static void test_fast_write_ok(void **state)
{
	(void)state;
	assert_true(apic_fast_write_ok(0x0b0));
	assert_true(apic_fast_write_ok(0x080));
	assert_true(apic_fast_write_ok(0x320));
	assert_true(apic_fast_write_ok(0x380));
	assert_true(apic_fast_write_ok(0x3e0));
	assert_false(apic_fast_write_ok(0x0b1));	/* unaligned */
	assert_false(apic_fast_write_ok(0x0b2));
	assert_false(apic_fast_write_ok(0x300));	/* ICR: the guard decides */
	assert_false(apic_fast_write_ok(0x310));
	assert_false(apic_fast_write_ok(0x000));	/* register 0: QEMU's MSI alias */
	assert_false(apic_fast_write_ok(0x350));	/* LVT LINT0: general path */
	assert_false(apic_fast_write_ok(0x10b0));	/* outside the page */
	assert_false(apic_fast_write_ok(0xff0b0));
}

struct enc {
	const char *what;
	enum x86_mode mode;
	uint8_t b[15];
	size_t n;
	unsigned len;		/* 0: refused */
	uint32_t value;
};

/* Register values: rax 0x..a0, rcx 0x..c1, rdx 0x..d2, rsi 0x..e6, rbp 0x..b5, r9 0x..99. */
static const struct vcpu_regs R = {
	.rax = 0x11111111000000a0ULL, .rcx = 0x22222222000000c1ULL, .rdx = 0x33333333000000d2ULL,
	.rbx = 0x44444444000000b3ULL, .rsp = 0x55555555000000c4ULL, .rbp = 0x66666666000000b5ULL,
	.rsi = 0x77777777000000e6ULL, .rdi = 0x88888888000000f7ULL, .r9 = 0x1122334455667799ULL,
};

static const struct enc encs[] = {
	/* What Linux's native_apic_mem_write() compiles to: mov %eax,0xffffffffff5fd0b0 */
	{ "mov %eax,abs32", X86_MODE_64, { 0x89, 0x04, 0x25, 0xb0, 0xd0, 0x5f, 0xff }, 7, 7, 0xa0 },
	{ "mov %ecx,(%rdi)", X86_MODE_64, { 0x89, 0x0f }, 2, 2, 0xc1 },
	{ "mov %r9d,0xb0(%rax)", X86_MODE_64, { 0x44, 0x89, 0x88, 0xb0, 0, 0, 0 }, 7, 7, 0x55667799 },
	{ "mov %edx,0x10(%rax,%rbx,4)", X86_MODE_64, { 0x89, 0x54, 0x98, 0x10 }, 4, 4, 0xd2 },
	{ "mov %esi,(%rsp)", X86_MODE_64, { 0x89, 0x34, 0x24 }, 3, 3, 0xe6 },
	{ "mov %ebp,0x8(%rsp)", X86_MODE_64, { 0x89, 0x6c, 0x24, 0x08 }, 4, 4, 0xb5 },
	{ "mov %eax,0x0(,%rax,4)", X86_MODE_64, { 0x89, 0x04, 0x85, 0, 0, 0, 0 }, 7, 7, 0xa0 },
	{ "mov %eax,0x0(%rip)", X86_MODE_64, { 0x89, 0x05, 0, 0, 0, 0 }, 6, 6, 0xa0 },
	{ "mov %eax,0x100(%rbp)", X86_MODE_64, { 0x89, 0x85, 0, 1, 0, 0 }, 6, 6, 0xa0 },
	{ "mov %eax,(%r13) (REX.B)", X86_MODE_64, { 0x41, 0x89, 0x45, 0x00 }, 4, 4, 0xa0 },
	{ "movl $0x0,0xb0(%rdx)", X86_MODE_64, { 0xc7, 0x82, 0xb0, 0, 0, 0, 0, 0, 0, 0 }, 10, 10, 0 },
	{ "movl $0x12345678,(%rax)", X86_MODE_64, { 0xc7, 0x00, 0x78, 0x56, 0x34, 0x12 }, 6, 6,
	  0x12345678 },
	{ "trailing bytes ignored", X86_MODE_64, { 0x89, 0x0f, 0x90, 0x90 }, 4, 2, 0xc1 },
	{ "32-bit: mov %eax,0xfee000b0", X86_MODE_32, { 0x89, 0x05, 0xb0, 0x00, 0xe0, 0xfe }, 6, 6,
	  0xa0 },
	{ "32-bit: movl $1,0x380(%edx)", X86_MODE_32, { 0xc7, 0x82, 0x80, 3, 0, 0, 1, 0, 0, 0 }, 10,
	  10, 1 },
	/* Refused: the general path decides. */
	{ "REX.W: mov %rax,(%rdi)", X86_MODE_64, { 0x48, 0x89, 0x07 }, 3, 0, 0 },
	{ "66: mov %ax,(%rdi)", X86_MODE_64, { 0x66, 0x89, 0x07 }, 3, 0, 0 },
	{ "lock prefix", X86_MODE_64, { 0xf0, 0x89, 0x07 }, 3, 0, 0 },
	{ "cs override", X86_MODE_64, { 0x2e, 0x89, 0x07 }, 3, 0, 0 },
	{ "67: address size", X86_MODE_64, { 0x67, 0x89, 0x07 }, 3, 0, 0 },
	{ "mov %eax,%eax (mod 3)", X86_MODE_64, { 0x89, 0xc0 }, 2, 0, 0 },
	{ "c7 /1 (not MOV)", X86_MODE_64, { 0xc7, 0x08, 0, 0, 0, 0 }, 6, 0, 0 },
	{ "mov %al,(%rdi) (byte)", X86_MODE_64, { 0x88, 0x07 }, 2, 0, 0 },
	{ "xchg %eax,(%rdi)", X86_MODE_64, { 0x87, 0x07 }, 2, 0, 0 },
	{ "movabs %eax,moffs", X86_MODE_64, { 0xa3, 0xb0, 0, 0xe0, 0xfe, 0, 0, 0, 0 }, 9, 0, 0 },
	{ "add %eax,(%rdi)", X86_MODE_64, { 0x01, 0x07 }, 2, 0, 0 },
	{ "truncated disp32", X86_MODE_64, { 0x89, 0x04, 0x25, 0xb0 }, 4, 0, 0 },
	{ "truncated SIB", X86_MODE_64, { 0x89, 0x04 }, 2, 0, 0 },
	{ "truncated imm32", X86_MODE_64, { 0xc7, 0x00, 0x78, 0x56 }, 4, 0, 0 },
	{ "only an opcode", X86_MODE_64, { 0x89 }, 1, 0, 0 },
	{ "nothing", X86_MODE_64, { 0 }, 0, 0, 0 },
	{ "32-bit: 0x41 is INC, not REX", X86_MODE_32, { 0x41, 0x89, 0x01 }, 3, 0, 0 },
	{ "16-bit mode", X86_MODE_16, { 0x89, 0x07 }, 2, 0, 0 },
};

static void test_fast_store_table(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(encs) / sizeof(encs[0]); i++) {
		const struct enc *e = &encs[i];
		uint32_t v = 0xdeadbeef;
		unsigned len = apic_fast_store(e->b, e->n, e->mode, &R, &v);

		if (len != e->len || (len && v != e->value))
			fail_msg("%s: len %u (want %u) value 0x%x (want 0x%x)", e->what, len, e->len,
				 v, e->value);
		if (!len)
			assert_int_equal(v, 0xdeadbeef);	/* nothing set when refused */
	}
}

/* Whatever the fast path accepts, the general decoder must decode as the
 * same instruction: a 4-byte store of that length, whose value (register
 * or immediate) is the one the fast path writes. Random bytes, biased to
 * the two opcodes. */
static void test_fast_store_agrees_with_decoder(void **state)
{
	unsigned accepted = 0;
	uint64_t seed = 0x9e3779b97f4a7c15ULL;

	(void)state;
	for (int t = 0; t < 200000; t++) {
		uint8_t b[15];
		struct x86_insn insn;
		enum x86_mode mode = (t & 1) ? X86_MODE_64 : X86_MODE_32;
		unsigned len, start;
		uint32_t v;

		for (int i = 0; i < 15; i++) {
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			b[i] = (uint8_t)seed;
		}
		start = (mode == X86_MODE_64 && (b[0] & 1)) ? 1 : 0;
		if (start)
			b[0] = 0x40 | (b[0] >> 4);	/* a REX prefix */
		b[start] = (b[start + 1] & 1) ? 0x89 : 0xc7;
		len = apic_fast_store(b, 15, mode, &R, &v);
		if (!len)
			continue;
		accepted++;
		assert_int_equal(x86_decode(&insn, b, 15, mode), 0);
		assert_int_equal(insn.len, len);
		assert_int_equal(insn.op, X86_OP_MOV);
		assert_int_equal(insn.access, X86_ACCESS_WRITE);
		assert_int_equal(insn.size, 4);
		if (insn.has_imm)
			assert_int_equal((uint32_t)insn.imm, v);
		else
			assert_int_equal((uint32_t)x86_reg_get(&R, insn.reg), v);
	}
	assert_true(accepted > 10000);
}

static void test_write_refusal(void **state)
{
	uint64_t before = apic_ipis_refused();

	(void)state;
	assert_null(apic_write_refusal(0x0b0, 4, 0));
	assert_null(apic_write_refusal(0x380, 4, 12345));
	assert_null(apic_write_refusal(0x310, 4, 0x01000000));	/* destination only */
	assert_null(apic_write_refusal(0x300, 4, 0x000040fd));	/* fixed IPI */
	assert_null(apic_write_refusal(0x2f8, 8, 0));		/* ends at 0x2ff */
	assert_null(apic_write_refusal(0x304, 4, 0x500));	/* reserved, after the ICR */
	assert_non_null(apic_write_refusal(0x300, 4, 0x00004500));	/* INIT */
	assert_non_null(apic_write_refusal(0x300, 4, 0x00004608));	/* start-up */
	/* Classified, not refused: the start-up state machine decides (and
	 * counts its refusals), tests/unit/test_cpu_start.c. */
	assert_int_equal(apic_ipis_refused() - before, 0);
	assert_non_null(apic_write_refusal(0x2fc, 8, 0x0000450000000000ULL));	/* reaches 0x300 */
	assert_non_null(apic_write_refusal(0x300, 8, 0x40fd));
	assert_non_null(apic_write_refusal(0x301, 1, 0x45));
	assert_non_null(apic_write_refusal(0x302, 2, 0));
	assert_non_null(apic_write_refusal(0x000, 4, 0x500));	/* QEMU: an MSI to APIC 0 */
	assert_non_null(apic_write_refusal(0x00c, 4, 0));
	assert_non_null(apic_write_refusal(0x1000, 4, 0x500));	/* QEMU: an MSI to APIC 1 */
	assert_non_null(apic_write_refusal(0xffffc, 4, 0));
}

/* ---- the MMIO callbacks on a model APIC ---- */

#define BASE 0xfee00000ULL

static struct {
	int writes;
	uint64_t off, v;
	int width;
} seen;

static uint64_t model_read(struct host_mmio_model *m, uint64_t off, int width)
{
	(void)m, (void)width;
	return 0x1000 + off;
}

static void model_write(struct host_mmio_model *m, uint64_t off, int width, uint64_t v)
{
	(void)m;
	seen.writes++, seen.off = off, seen.width = width, seen.v = v;
}

static struct host_mmio_model model = { BASE, APIC_WINDOW_SIZE, model_read, model_write };

static void test_mmio_ops(void **state)
{
	void *ctx = (void *)(uintptr_t)BASE;
	uint64_t before = apic_writes_refused();

	(void)state;
	host_mmio = &model;
	memset(&seen, 0, sizeof(seen));
	assert_int_equal(apic_mmio_ops.read(ctx, BASE + 0x20, 4), 0x1020);
	apic_mmio_ops.write(ctx, BASE + 0xb0, 4, 0);
	assert_int_equal(seen.writes, 1);
	assert_int_equal(seen.off, 0xb0);
	apic_mmio_ops.write(ctx, BASE + 0x300, 4, 0x40fd);
	assert_int_equal(seen.writes, 2);
	assert_int_equal(seen.v, 0x40fd);
	apic_mmio_ops.write(ctx, BASE + 0x300, 4, 0x4500);	/* INIT: dropped */
	apic_mmio_ops.write(ctx, BASE + 0x2fc, 8, 0x0000450000000000ULL);
	apic_mmio_ops.write(ctx, BASE + 0x1000, 4, 0x500);
	apic_mmio_ops.write(ctx, BASE + 0x0, 4, 0x500);
	assert_int_equal(seen.writes, 2);
	assert_int_equal(apic_writes_refused() - before, 3);	/* the IPI counts elsewhere */
	assert_true(host_log_count("apic guard: refused a guest write gpa=0xfee01000") >= 1);
	host_mmio = NULL;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_reg_class),
		cmocka_unit_test(test_fast_write_ok),
		cmocka_unit_test(test_fast_store_table),
		cmocka_unit_test(test_fast_store_agrees_with_decoder),
		cmocka_unit_test(test_write_refusal),
		cmocka_unit_test(test_mmio_ops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
