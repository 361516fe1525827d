/* Unit tests: the MMIO follow-on interpreter (vmm/mmio_followon.h).
 *
 * - Every form, run by the interpreter AND by the host CPU on the same
 *   instruction bytes (an executable page, the registers and flags loaded
 *   from a struct, the state the CPU left compared with the interpreter's):
 *   registers, flags, RIP, over random and edge values.
 * - Jcc: all 16 conditions over all 64 combinations of CF PF AF ZF SF OF,
 *   against the CPU's own jump.
 * - Every stop: nothing of the instruction it stops at is done.
 * - The real thing: libahci's ahci_qc_issue() bytes after its PxSACT store
 *   (Debian 6.1.0-57 libahci.ko, +0x4c..+0x9a, as objdump shows them) with
 *   fbs_enabled clear (runs to the PxCI store) and set (stops at the LEA).
 * The race with the AHCI engine (a command rewritten between PxSACT and
 * PxCI) is in test_ahci.c. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "host/host.h"
#include "lib/error.h"
#include "vmm/mmio_emul.h"
#include "vmm/mmio_followon.h"

static uint64_t rs = 0x9e3779b97f4a7c15ULL;
static uint64_t rnd(void)
{
	rs ^= rs << 13;
	rs ^= rs >> 7;
	rs ^= rs << 17;
	return rs;
}

/* ---- the environment the interpreter sees ---- */

static struct env {
	const uint8_t *code;	/* the instruction bytes, at lin == their address */
	size_t avail;		/* bytes fetchable from code */
	uint64_t lin;		/* if not 0: code's linear address instead (an alias,
				 * as a page walk that ignores the top bits gives) */
	bool refuse_load;
	unsigned loads;
	uint64_t doorbell;	/* the one lin the store callback accepts */
	unsigned stores;
	uint64_t st_lin, st_v;
	int st_size;
	void (*on_load)(void);
} E;

static size_t e_fetch(void *ctx, uint64_t lin, uint8_t *buf, size_t max)
{
	uint64_t base = E.lin ? E.lin : (uint64_t)(uintptr_t)E.code;
	size_t n;

	(void)ctx;
	if (lin - base >= E.avail)
		return 0;
	n = MIN(max, (size_t)(base + E.avail - lin));
	memcpy(buf, E.code + (lin - base), n);
	return n;
}

static int e_load(void *ctx, uint64_t lin, int size, uint64_t *v)
{
	(void)ctx;
	if (E.refuse_load)
		return E_FAULT;
	assert_true((lin & 4095) + (uint64_t)size <= 4096);
	*v = 0;
	memcpy(v, (const void *)(uintptr_t)lin, (size_t)size);
	E.loads++;
	if (E.on_load)
		E.on_load();
	return 0;
}

static int e_store(void *ctx, uint64_t lin, int size, uint64_t v)
{
	(void)ctx;
	if (lin != E.doorbell)
		return E_FAULT;
	E.stores++;
	E.st_lin = lin;
	E.st_v = v;
	E.st_size = size;
	return 0;
}

static const struct followon_ops OPS = { e_fetch, e_load, e_store };
static const struct followon_cpu KERNEL64 = { .mode = X86_MODE_64, .cpl = 0 };

/* ---- the host CPU ---- */

#include "hw_oracle.h"
#include "libahci_qc_issue.h"

static uint8_t *code_page, *data_page;

static int setup(void **state)
{
	(void)state;
	code_page = mmap(NULL, 4096, PROT_READ | PROT_WRITE | PROT_EXEC,
			 MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	data_page = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	return code_page == MAP_FAILED || data_page == MAP_FAILED ? -1 : 0;
}

static int teardown(void **state)
{
	(void)state;
	munmap(code_page, 4096);
	munmap(data_page, 8192);
	return 0;
}

/* One form: its bytes, which registers hold data-page addresses (memory
 * operands: disp8 off them stays inside the first page), and flags the SDM
 * leaves undefined (not compared; what the interpreter gives for them is
 * checked against the host separately in test_undefined_flags). */
struct form {
	const char *text;
	uint8_t n;
	uint8_t b[12];
	uint16_t ptr_regs;	/* bit k: register k points into the data page */
	uint64_t undefined;
};

#define P(r) (1u << (r))
static const struct form forms[] = {
	{ "cmpb $0x0,0x45(%rsi)", 4, { 0x80, 0x7e, 0x45, 0x00 }, P(X86_RSI), 0 },
	{ "cmpb $0x7f,0x45(%rsi)", 4, { 0x80, 0x7e, 0x45, 0x7f }, P(X86_RSI), 0 },
	{ "cmpb $0x80,0x45(%rsi)", 4, { 0x80, 0x7e, 0x45, 0x80 }, P(X86_RSI), 0 },
	{ "cmpl $0x3,0x10(%rax)", 4, { 0x83, 0x78, 0x10, 0x03 }, P(X86_RAX), 0 },
	{ "cmpq $-1,0x10(%rax)", 5, { 0x48, 0x83, 0x78, 0x10, 0xff }, P(X86_RAX), 0 },
	{ "cmpl $0x12345678,0x8(%rdx)", 7, { 0x81, 0x7a, 0x08, 0x78, 0x56, 0x34, 0x12 },
	  P(X86_RDX), 0 },
	{ "cmp %edi,0x48(%rsi)", 3, { 0x39, 0x7e, 0x48 }, P(X86_RSI), 0 },
	{ "cmp 0x48(%rsi),%edi", 3, { 0x3b, 0x7e, 0x48 }, P(X86_RSI), 0 },
	{ "cmp %r8,0x8(%rdx)", 4, { 0x4c, 0x39, 0x42, 0x08 }, P(X86_RDX), 0 },
	{ "testb $0x4,0x28(%rdi)", 4, { 0xf6, 0x47, 0x28, 0x04 }, P(X86_RDI), X86_FLAG_AF },
	{ "testl $0x80000001,0x8(%rax)", 7, { 0xf7, 0x40, 0x08, 0x01, 0x00, 0x00, 0x80 },
	  P(X86_RAX), X86_FLAG_AF },
	{ "test %ecx,0x10(%rax)", 3, { 0x85, 0x48, 0x10 }, P(X86_RAX), X86_FLAG_AF },
	{ "testb $0x80,0x308(%rdx)", 7, { 0xf6, 0x82, 0x08, 0x03, 0x00, 0x00, 0x80 }, P(X86_RDX),
	  X86_FLAG_AF },
	{ "mov 0x5c(%rax),%ecx", 3, { 0x8b, 0x48, 0x5c }, P(X86_RAX), 0 },
	{ "mov 0x8(%rax),%rcx", 4, { 0x48, 0x8b, 0x48, 0x08 }, P(X86_RAX), 0 },
	{ "mov (%rcx),%rcx", 3, { 0x48, 0x8b, 0x09 }, P(X86_RCX), 0 },
	{ "mov 0x8(%rdx),%r9d", 4, { 0x44, 0x8b, 0x4a, 0x08 }, P(X86_RDX), 0 },
	{ "mov 0x8(%rdx),%al", 3, { 0x8a, 0x42, 0x08 }, P(X86_RDX), 0 },
	{ "mov 0x8(%rdx),%ah", 3, { 0x8a, 0x62, 0x08 }, P(X86_RDX), 0 },
	{ "movzbl 0x5(%rax),%ecx", 4, { 0x0f, 0xb6, 0x48, 0x05 }, P(X86_RAX), 0 },
	{ "movswq 0x6(%rax),%rcx", 5, { 0x48, 0x0f, 0xbf, 0x48, 0x06 }, P(X86_RAX), 0 },
	{ "movslq 0x8(%rdx),%rax", 4, { 0x48, 0x63, 0x42, 0x08 }, P(X86_RDX), 0 },
	{ "mov 0x8(%rdx,%rbx,4),%esi", 4, { 0x8b, 0x74, 0x9a, 0x08 }, P(X86_RDX), 0 },
	{ "cmpw $0x8001,0x10(%rax)", 6, { 0x66, 0x81, 0x78, 0x10, 0x01, 0x80 }, P(X86_RAX), 0 },
	{ "cmpw $-3,0x10(%rax)", 5, { 0x66, 0x83, 0x78, 0x10, 0xfd }, P(X86_RAX), 0 },
	{ "cmpq $-0x7fffffff,0x10(%rax)", 8, { 0x48, 0x81, 0x78, 0x10, 0x01, 0x00, 0x00, 0x80 },
	  P(X86_RAX), 0 },
	{ "cmp 0x9(%rsi),%bh", 3, { 0x3a, 0x7e, 0x09 }, P(X86_RSI), 0 },
	{ "cmp %dil,0x9(%rsi)", 4, { 0x40, 0x38, 0x7e, 0x09 }, P(X86_RSI), 0 },
	{ "cmp 0x10(%rax),%r10w", 5, { 0x66, 0x44, 0x3b, 0x50, 0x10 }, P(X86_RAX), 0 },
	{ "test %ah,0x11(%rdx)", 3, { 0x84, 0x62, 0x11 }, P(X86_RDX), X86_FLAG_AF },
	{ "test %r9,0x8(%rdx,%rbx,8)", 5, { 0x4c, 0x85, 0x4c, 0xda, 0x08 }, P(X86_RDX),
	  X86_FLAG_AF },
	{ "mov 0x6(%rax),%dx", 4, { 0x66, 0x8b, 0x50, 0x06 }, P(X86_RAX), 0 },
	{ "mov 0x7(%rax),%sil", 4, { 0x40, 0x8a, 0x70, 0x07 }, P(X86_RAX), 0 },
	{ "mov 0x7(%rax),%dh", 3, { 0x8a, 0x70, 0x07 }, P(X86_RAX), 0 },
	{ "movzwl 0x6(%rax),%r11d", 5, { 0x44, 0x0f, 0xb7, 0x58, 0x06 }, P(X86_RAX), 0 },
	{ "movsbl 0x5(%rax),%ecx", 4, { 0x0f, 0xbe, 0x48, 0x05 }, P(X86_RAX), 0 },
	{ "movsbw 0x5(%rax),%cx", 5, { 0x66, 0x0f, 0xbe, 0x48, 0x05 }, P(X86_RAX), 0 },
	{ "movzbw 0x5(%rax),%cx", 5, { 0x66, 0x0f, 0xb6, 0x48, 0x05 }, P(X86_RAX), 0 },
	{ "movslq 0x9(%rdx),%r12 (misaligned)", 4, { 0x4c, 0x63, 0x62, 0x09 }, P(X86_RDX), 0 },
	{ "mov 0x8(%rdx),%ax (REX then 66: the REX ignored)", 5, { 0x48, 0x66, 0x8b, 0x42, 0x08 },
	  P(X86_RDX), 0 },
	{ "mov %ds:0x8(%rdx),%ecx (ignored override)", 4, { 0x3e, 0x8b, 0x4a, 0x08 }, P(X86_RDX),
	  0 },
	{ "mov $0x1,%esi", 5, { 0xbe, 0x01, 0x00, 0x00, 0x00 }, 0, 0 },
	{ "mov $0xfffffffe,%r10d", 6, { 0x41, 0xba, 0xfe, 0xff, 0xff, 0xff }, 0, 0 },
	{ "movabs $0x8877665544332211,%rdi", 10,
	  { 0x48, 0xbf, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88 }, 0, 0 },
	{ "cmp $0x5,%al", 2, { 0x3c, 0x05 }, 0, 0 },
	{ "cmp $0x80000000,%eax", 5, { 0x3d, 0x00, 0x00, 0x00, 0x80 }, 0, 0 },
	{ "cmp $-2,%rax", 6, { 0x48, 0x3d, 0xfe, 0xff, 0xff, 0xff }, 0, 0 },
	{ "test $0x1,%al", 2, { 0xa8, 0x01 }, 0, X86_FLAG_AF },
	{ "test $0xff00,%eax", 5, { 0xa9, 0x00, 0xff, 0x00, 0x00 }, 0, X86_FLAG_AF },
	{ "cmp $0x3,%ecx", 3, { 0x83, 0xf9, 0x03 }, 0, 0 },
	{ "cmp $0x1000,%rdx", 7, { 0x48, 0x81, 0xfa, 0x00, 0x10, 0x00, 0x00 }, 0, 0 },
	{ "cmp $0x12,%ah", 3, { 0x80, 0xfc, 0x12 }, 0, 0 },
	{ "cmp $0x12,%sil", 4, { 0x40, 0x80, 0xfe, 0x12 }, 0, 0 },
	{ "cmp $0x7f,%r11b", 4, { 0x41, 0x80, 0xfb, 0x7f }, 0, 0 },
	{ "test $0x1,%cl", 3, { 0xf6, 0xc1, 0x01 }, 0, X86_FLAG_AF },
	{ "test $-1,%r12", 7, { 0x49, 0xf7, 0xc4, 0xff, 0xff, 0xff, 0xff }, 0, X86_FLAG_AF },
	/* Shifts: AF undefined; OF defined for a count of 1 only (the
	 * by-CL and by-imm forms with other counts: see test_undefined_flags). */
	{ "shl %cl,%esi", 2, { 0xd3, 0xe6 }, 0, X86_FLAG_AF | X86_FLAG_OF },
	{ "shl %cl,%rsi", 3, { 0x48, 0xd3, 0xe6 }, 0, X86_FLAG_AF | X86_FLAG_OF },
	{ "shr %cl,%edx", 2, { 0xd3, 0xea }, 0, X86_FLAG_AF | X86_FLAG_OF },
	{ "shr %cl,%r9", 3, { 0x49, 0xd3, 0xe9 }, 0, X86_FLAG_AF | X86_FLAG_OF },
	{ "shl $0x7,%edx", 3, { 0xc1, 0xe2, 0x07 }, 0, X86_FLAG_AF | X86_FLAG_OF },
	{ "shl $0x0,%edx", 3, { 0xc1, 0xe2, 0x00 }, 0, 0 },
	{ "shl $0x20,%edx (masked to 0)", 3, { 0xc1, 0xe2, 0x20 }, 0, 0 },
	{ "shr $0x21,%rdx", 4, { 0x48, 0xc1, 0xea, 0x21 }, 0, X86_FLAG_AF | X86_FLAG_OF },
	{ "shl $0x3f,%r15", 4, { 0x49, 0xc1, 0xe7, 0x3f }, 0, X86_FLAG_AF | X86_FLAG_OF },
	{ "shl %eax", 2, { 0xd1, 0xe0 }, 0, X86_FLAG_AF },
	{ "shr %eax", 2, { 0xd1, 0xe8 }, 0, X86_FLAG_AF },
	{ "shl %r8", 3, { 0x49, 0xd1, 0xe0 }, 0, X86_FLAG_AF },
	{ "shr %rbx", 3, { 0x48, 0xd1, 0xeb }, 0, X86_FLAG_AF },
};

static const uint64_t edge[] = { 0, 1, ~0ULL, 0x8000000000000000ULL, 0x7fffffffffffffffULL,
				 0x80000000ULL, 0x7fffffffULL, 0xffffffffULL, 0x80, 0x7f, 0xff };

/* Runs f once natively and once interpreted from the same state; compares. */
static void run_form(const struct form *f, int it, uint64_t mask_extra)
{
	struct hwstate hw;
	struct vcpu_regs r;
	struct followon_result res;
	uint64_t rip = (uint64_t)(uintptr_t)code_page, rflags, cmpmask;

	for (int k = 0; k < 16; k++)
		hw.r[k] = it < 33 ? edge[(k + it) % ARRAY_SIZE(edge)] : rnd();
	hw.r[X86_RBX] &= 0x3f;	/* an index that stays inside the page */
	if (it % 4 == 0)
		hw.r[X86_RCX] = (hw.r[X86_RCX] & ~0xffULL) | (uint64_t)(it / 4 % 70);	/* counts */
	for (int k = 0; k < 16; k++)
		if (f->ptr_regs & (1u << k))
			hw.r[k] = (uint64_t)(uintptr_t)data_page + 0x100;
	hw.flags = (rnd() & X86_FLAGS_ARITH) | 2;
	for (int k = 0; k < 4096; k += 8) {
		uint64_t v = it < 33 ? edge[(k / 8 + it) % ARRAY_SIZE(edge)] : rnd();

		memcpy(data_page + k, &v, 8);
	}
	for (int k = 0; k < 16; k++)
		x86_reg_set(&r, k, hw.r[k]);
	rflags = hw.flags | X86_FLAG_RF;

	memcpy(code_page, f->b, f->n);
	code_page[f->n] = 0xc3;	/* ret: not in the list, the interpreter stops there */
	E = (struct env){ .code = code_page, .avail = (size_t)f->n + 1 };
	mmio_followon_run(&KERNEL64, &r, &rip, &rflags, &OPS, NULL, &res);
	hw_run(&hw, code_page);

	if (res.insns != 1 || res.stop != FOLLOWON_UNKNOWN)
		fail_msg("%s: %u instructions, stop %d (%s)", f->text, res.insns, res.stop,
			 res.why ? res.why : "");
	assert_int_equal(rip, (uint64_t)(uintptr_t)code_page + f->n);
	assert_false(rflags & X86_FLAG_RF);
	for (int k = 0; k < 16; k++)
		if (k != X86_RSP && x86_reg_get(&r, k) != hw.r[k])
			fail_msg("%s (it %d): register %d = 0x%llx, the CPU left 0x%llx", f->text, it,
				 k, (unsigned long long)x86_reg_get(&r, k),
				 (unsigned long long)hw.r[k]);
	cmpmask = X86_FLAGS_ARITH & ~(f->undefined & mask_extra);
	if ((rflags & cmpmask) != (hw.flags & cmpmask))
		fail_msg("%s (it %d): flags 0x%llx, the CPU left 0x%llx", f->text, it,
			 (unsigned long long)(rflags & cmpmask),
			 (unsigned long long)(hw.flags & cmpmask));
}

static void test_forms_vs_cpu(void **state)
{
	unsigned n = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(forms); i++)
		for (int it = 0; it < 400; it++, n++)
			run_form(&forms[i], it, ~0ULL);
	printf("  %u runs of %zu forms match the host CPU\n", n, ARRAY_SIZE(forms));
}

/* The flags the SDM leaves undefined (AF after TEST and shifts, OF after
 * a shift by more than 1): the interpreter gives what this host CPU gives
 * (mmio_followon.c says which values; mmio_alu clears AF after TEST). A
 * host that differs prints it; the guest's compiled code never reads them. */
static void test_undefined_flags(void **state)
{
	unsigned n = 0, differ = 0;

	(void)state;
	for (size_t i = 0; i < ARRAY_SIZE(forms); i++) {
		if (!forms[i].undefined)
			continue;
		for (int it = 0; it < 400; it++, n++) {
			struct hwstate hw;
			struct vcpu_regs r;
			struct followon_result res;
			uint64_t rip = (uint64_t)(uintptr_t)code_page, rflags;

			for (int k = 0; k < 16; k++)
				hw.r[k] = rnd();
			hw.r[X86_RBX] &= 0x3f;
			for (int k = 0; k < 16; k++)
				if (forms[i].ptr_regs & (1u << k))
					hw.r[k] = (uint64_t)(uintptr_t)data_page + 0x100;
			hw.flags = (rnd() & X86_FLAGS_ARITH) | 2;
			for (int k = 0; k < 16; k++)
				x86_reg_set(&r, k, hw.r[k]);
			rflags = hw.flags;
			memcpy(code_page, forms[i].b, forms[i].n);
			code_page[forms[i].n] = 0xc3;
			E = (struct env){ .code = code_page, .avail = (size_t)forms[i].n + 1 };
			mmio_followon_run(&KERNEL64, &r, &rip, &rflags, &OPS, NULL, &res);
			hw_run(&hw, code_page);
			if ((rflags ^ hw.flags) & forms[i].undefined & X86_FLAGS_ARITH) {
				if (differ++ < 3)
					printf("  note: %s: undefined flags 0x%llx, this CPU 0x%llx\n",
					       forms[i].text,
					       (unsigned long long)(rflags & forms[i].undefined),
					       (unsigned long long)(hw.flags & forms[i].undefined));
			}
		}
	}
	printf("  undefined flags: %u of %u runs differ from this host CPU\n", differ, n);
}

/* Jcc: the interpreter's decision against the CPU's jump, every condition,
 * every combination of the six status flags; rel8 and rel32. */
static void test_jcc_vs_cpu(void **state)
{
	static const uint64_t bits[6] = { X86_FLAG_CF, X86_FLAG_PF, X86_FLAG_AF, X86_FLAG_ZF,
					  X86_FLAG_SF, X86_FLAG_OF };

	(void)state;
	for (unsigned cc = 0; cc < 16; cc++)
		for (unsigned m = 0; m < 64; m++)
			for (int near = 0; near < 2; near++) {
				uint64_t fl = 2, rip = (uint64_t)(uintptr_t)code_page, rflags;
				struct hwstate hw = { { 0 }, 0 };
				struct vcpu_regs r = { 0 };
				struct followon_result res;
				size_t len = near ? 6 : 2;
				bool cpu_took;

				for (int k = 0; k < 6; k++)
					if (m & (1u << k))
						fl |= bits[k];
				/* jcc +1; ret; ret (the CPU lands on the second ret
				 * when it jumps: r15 tells which) -- here with
				 * "mov $1,%r15d" in between instead of the first ret. */
				if (near) {
					uint8_t b[] = { 0x0f, (uint8_t)(0x80 | cc), 0x07, 0, 0, 0 };
					memcpy(code_page, b, 6);
				} else {
					code_page[0] = (uint8_t)(0x70 | cc);
					code_page[1] = 0x07;
				}
				/* fall-through: ret, padding; target: mov $1,%r15d; ret */
				memset(code_page + len, 0xc3, 7);
				memcpy(code_page + len + 7,
				       (uint8_t[]){ 0x41, 0xbf, 0x01, 0, 0, 0, 0xc3 }, 7);
				hw.flags = fl;
				hw_run(&hw, code_page);
				cpu_took = hw.r[X86_R15] == 1;
				assert_int_equal(followon_cond(cc, fl), cpu_took);

				rflags = fl;
				E = (struct env){ .code = code_page, .avail = len + 14 };
				mmio_followon_run(&KERNEL64, &r, &rip, &rflags, &OPS, NULL, &res);
				/* taken: at the mov, which runs, then ret stops it */
				if (cpu_took) {
					assert_int_equal(res.insns, 2);
					assert_int_equal(r.r15, 1);
					assert_int_equal(rip, (uint64_t)(uintptr_t)code_page + len + 13);
				} else {
					assert_int_equal(res.insns, 1);
					assert_int_equal(rip, (uint64_t)(uintptr_t)code_page + len);
				}
				assert_int_equal(res.stop, FOLLOWON_UNKNOWN);
				assert_int_equal(rflags & X86_FLAGS_ARITH, fl & X86_FLAGS_ARITH);
			}
}

/* libahci's ahci_qc_issue() after its PxSACT store (+0x4c .. +0x9a). */
static const uint8_t qc_issue[] = {
	LIBAHCI_QC_ISSUE_TAIL,
	0x48, 0x8b, 0x40, 0x08,	/* +0x9a: mov 0x8(%rax),%rax (after the store) */
};

#define PORT_REGS 0xffffc90000100180ULL	/* port 0's registers (ioremap) */

/* The guest's structures in the data page: %rsi = ahci_port_priv (its
 * fbs_enabled byte at 0x45), %rax = the ata_queued_cmd (hw_tag at 0x5c). */
static void qc_issue_state(struct vcpu_regs *r, bool fbs, unsigned tag)
{
	uint8_t *pp = data_page, *qc = data_page + 0x800;
	uint32_t t = tag;

	memset(data_page, 0, 4096);
	pp[0x45] = fbs;
	memcpy(qc + 0x5c, &t, 4);
	memset(r, 0, sizeof(*r));
	r->rsi = (uint64_t)(uintptr_t)pp;
	r->rax = (uint64_t)(uintptr_t)qc;
	r->rdx = PORT_REGS;
	r->rdi = 1u << tag;	/* what the PxSACT store wrote */
	r->rcx = 0x1234;
}

static void test_qc_issue(void **state)
{
	struct vcpu_regs r;
	struct followon_result res;
	uint64_t rip, rflags;

	(void)state;
	for (unsigned tag = 0; tag < 32; tag++) {
		memcpy(code_page, qc_issue, sizeof(qc_issue));
		E = (struct env){ .code = code_page, .avail = sizeof(qc_issue),
				  .doorbell = PORT_REGS + 0x38 };
		qc_issue_state(&r, false, tag);
		rip = (uint64_t)(uintptr_t)code_page;
		rflags = 0x246 | X86_FLAG_RF;
		assert_int_equal(mmio_followon_run(&KERNEL64, &r, &rip, &rflags, &OPS, NULL, &res),
				 FOLLOWON_STORED);
		assert_int_equal(res.insns, 6);
		assert_int_equal(E.stores, 1);
		assert_int_equal(E.st_lin, PORT_REGS + 0x38);
		assert_int_equal(E.st_size, 4);
		assert_int_equal(E.st_v, 1u << tag);
		assert_int_equal(E.loads, 2);
		assert_int_equal(rip, (uint64_t)(uintptr_t)code_page + 0x4e);	/* +0x9a */
		assert_int_equal(r.rcx, tag);
		assert_int_equal(r.rsi, 1u << tag);
		assert_false(rflags & X86_FLAG_RF);
	}
	/* fbs_enabled set: the FBS path, which the list does not cover: it
	 * stops at the LEA at +0x61, the loads and compares before it done. */
	qc_issue_state(&r, true, 5);
	memcpy(data_page + 0x808, (uint64_t[]){ (uint64_t)(uintptr_t)data_page + 0x400 }, 8);
	memcpy(data_page + 0x400, (uint64_t[]){ (uint64_t)(uintptr_t)data_page + 0x600 }, 8);
	memcpy(data_page + 0x608, (uint32_t[]){ 7 }, 4);	/* dev->link->pmp */
	memcpy(data_page + 0x48, (uint32_t[]){ 3 }, 4);		/* pp->fbs_last_dev */
	E = (struct env){ .code = code_page, .avail = sizeof(qc_issue), .doorbell = PORT_REGS + 0x38 };
	rip = (uint64_t)(uintptr_t)code_page;
	rflags = 0x246;
	assert_int_equal(mmio_followon_run(&KERNEL64, &r, &rip, &rflags, &OPS, NULL, &res),
			 FOLLOWON_UNKNOWN);
	assert_int_equal(res.insns, 7);
	assert_int_equal(rip, (uint64_t)(uintptr_t)code_page + 0x15);	/* the LEA */
	assert_int_equal(r.rdi, 7);
	assert_int_equal(E.stores, 0);
}

/* ---- the stops ---- */

static void run_bytes(const uint8_t *b, size_t n, struct vcpu_regs *r, uint64_t *rip,
		      uint64_t *rflags, const struct followon_cpu *cpu, struct followon_result *res)
{
	memcpy(code_page, b, n);
	E.code = code_page;
	E.avail = n;
	*rip = (uint64_t)(uintptr_t)code_page;
	mmio_followon_run(cpu, r, rip, rflags, &OPS, NULL, res);
}

static void test_not_started(void **state)
{
	static const uint8_t b[] = { 0xbe, 0x01, 0x00, 0x00, 0x00 };
	struct followon_cpu c32 = KERNEL64, c3 = KERNEL64, cb = KERNEL64;
	const struct followon_cpu *cpus[] = { &c32, &c3, &cb, &KERNEL64 };
	struct vcpu_regs r = { 0 };
	struct followon_result res;
	uint64_t rip, rflags;

	(void)state;
	c32.mode = X86_MODE_32;
	c3.cpl = 3;
	cb.blocked = true;
	for (int i = 0; i < 4; i++) {
		rflags = i == 3 ? 0x2 | X86_FLAG_TF : 0x2;
		E = (struct env){ 0 };
		run_bytes(b, sizeof(b), &r, &rip, &rflags, cpus[i], &res);
		assert_int_equal(res.stop, FOLLOWON_NOT_STARTED);
		assert_int_equal(res.insns, 0);
		assert_int_equal(rip, (uint64_t)(uintptr_t)code_page);
		assert_int_equal(r.rsi, 0);
	}
	/* CPL 1 and 2 are not kernel code either */
	c3.cpl = 1;
	rflags = 2;
	run_bytes(b, sizeof(b), &r, &rip, &rflags, &c3, &res);
	assert_int_equal(res.stop, FOLLOWON_NOT_STARTED);
}

/* Each stop leaves the instruction it stops at undone: RIP on it, its
 * registers and flags as they were. */
static void expect_stop(const uint8_t *b, size_t n, size_t avail, enum followon_stop want,
			unsigned insns, size_t at)
{
	struct vcpu_regs r, before;
	struct followon_result res;
	uint64_t rip, rflags = 0x2 | X86_FLAG_ZF, fl_before;

	for (int k = 0; k < 16; k++)
		x86_reg_set(&r, k, (uint64_t)(uintptr_t)data_page + 0x100);
	memcpy(code_page, b, n);
	E.code = code_page;
	E.avail = avail;
	rip = (uint64_t)(uintptr_t)code_page;
	if (!insns) {
		before = r;
		fl_before = rflags;
	}
	mmio_followon_run(&KERNEL64, &r, &rip, &rflags, &OPS, NULL, &res);
	if (res.stop != want || res.insns != insns)
		fail_msg("stop %d after %u (%s), wanted %d after %u", res.stop, res.insns,
			 res.why ? res.why : "", want, insns);
	assert_int_equal(rip, (uint64_t)(uintptr_t)code_page + at);
	if (!insns) {
		assert_memory_equal(&r, &before, sizeof(r));
		assert_int_equal(rflags, fl_before);
	}
}

static void test_stops(void **state)
{
	uint8_t b[64];

	(void)state;
	E = (struct env){ .doorbell = 0x1000 };
	/* unknown opcodes, prefixes, forms */
	expect_stop((uint8_t[]){ 0x90 }, 1, 1, FOLLOWON_UNKNOWN, 0, 0);		/* nop */
	expect_stop((uint8_t[]){ 0x0f, 0x05 }, 2, 2, FOLLOWON_UNKNOWN, 0, 0);	/* syscall */
	expect_stop((uint8_t[]){ 0xf0, 0x83, 0x00, 0x01 }, 4, 4, FOLLOWON_UNKNOWN, 0, 0);	/* lock add */
	expect_stop((uint8_t[]){ 0x01, 0x00 }, 2, 2, FOLLOWON_UNKNOWN, 0, 0);	/* add %eax,(%rax): RMW */
	expect_stop((uint8_t[]){ 0x03, 0x00 }, 2, 2, FOLLOWON_UNKNOWN, 0, 0);	/* add (%rax),%eax */
	expect_stop((uint8_t[]){ 0x64, 0x8b, 0x00 }, 3, 3, FOLLOWON_UNKNOWN, 0, 0);	/* %fs: */
	expect_stop((uint8_t[]){ 0x65, 0x8b, 0x00 }, 3, 3, FOLLOWON_UNKNOWN, 0, 0);	/* %gs: */
	expect_stop((uint8_t[]){ 0x89, 0xc6 }, 2, 2, FOLLOWON_UNKNOWN, 0, 0);	/* mov %eax,%esi */
	expect_stop((uint8_t[]){ 0xd3, 0xf6 }, 2, 2, FOLLOWON_UNKNOWN, 0, 0);	/* sal /6 */
	expect_stop((uint8_t[]){ 0xd3, 0xfe }, 2, 2, FOLLOWON_UNKNOWN, 0, 0);	/* sar */
	expect_stop((uint8_t[]){ 0xd3, 0xc6 }, 2, 2, FOLLOWON_UNKNOWN, 0, 0);	/* rol */
	expect_stop((uint8_t[]){ 0xd3, 0x26 }, 2, 2, FOLLOWON_UNKNOWN, 0, 0);	/* shl (%rsi): RMW */
	expect_stop((uint8_t[]){ 0x83, 0xc1, 0x01 }, 3, 3, FOLLOWON_UNKNOWN, 0, 0);	/* add $1,%ecx */
	expect_stop((uint8_t[]){ 0xf7, 0xd1 }, 2, 2, FOLLOWON_UNKNOWN, 0, 0);	/* not %ecx */
	expect_stop((uint8_t[]){ 0x48, 0x74, 0x00 }, 3, 3, FOLLOWON_UNKNOWN, 0, 0);	/* REX jcc */
	expect_stop((uint8_t[]){ 0x66, 0xbe, 0x01, 0x00 }, 4, 4, FOLLOWON_UNKNOWN, 0, 0);	/* mov $1,%si */
	expect_stop((uint8_t[]){ 0xeb, 0x00 }, 2, 2, FOLLOWON_UNKNOWN, 0, 0);	/* jmp */
	expect_stop((uint8_t[]){ 0xff, 0xe0 }, 2, 2, FOLLOWON_UNKNOWN, 0, 0);	/* jmp *%rax */
	/* an instruction not all there (the next page not fetchable) */
	expect_stop((uint8_t[]){ 0xbe, 0x01, 0x00, 0x00, 0x00 }, 5, 3, FOLLOWON_FETCH, 0, 0);
	expect_stop((uint8_t[]){ 0x80, 0x7e, 0x45, 0x00 }, 4, 3, FOLLOWON_FETCH, 0, 0);
	expect_stop((uint8_t[]){ 0x0f, 0x84, 0, 0, 0, 0 }, 6, 4, FOLLOWON_FETCH, 0, 0);
	expect_stop((uint8_t[]){ 0xbe, 0x01, 0x00, 0x00, 0x00 }, 5, 5, FOLLOWON_FETCH, 1, 5);
	/* a load refused (not RAM, a user page, not mapped: the callback's) */
	E.refuse_load = true;
	expect_stop((uint8_t[]){ 0x8b, 0x48, 0x5c }, 3, 3, FOLLOWON_LOAD, 0, 0);
	expect_stop((uint8_t[]){ 0x80, 0x7e, 0x45, 0x00 }, 4, 4, FOLLOWON_LOAD, 0, 0);
	E.refuse_load = false;
	/* an operand across a page: mov 0xffe(%rax),%ecx with %rax at the page */
	{
		struct vcpu_regs r = { .rax = (uint64_t)(uintptr_t)data_page };
		struct followon_result res;
		uint64_t rip, rflags = 2;

		E.loads = 0;
		run_bytes((uint8_t[]){ 0x8b, 0x88, 0xfe, 0x0f, 0, 0 }, 6, &r, &rip, &rflags,
			  &KERNEL64, &res);
		assert_int_equal(res.stop, FOLLOWON_BOUNDARY);
		assert_int_equal(E.loads, 0);
		assert_int_equal(r.rcx, 0);
		/* non-canonical */
		r.rax = 0x0000800000000000ULL;
		run_bytes((uint8_t[]){ 0x8b, 0x08 }, 2, &r, &rip, &rflags, &KERNEL64, &res);
		assert_int_equal(res.stop, FOLLOWON_CANONICAL);
		/* ... which is canonical with LA57 (then the load callback decides) */
		struct followon_cpu la57 = KERNEL64;

		la57.la57 = true;
		E.refuse_load = true;
		run_bytes((uint8_t[]){ 0x8b, 0x08 }, 2, &r, &rip, &rflags, &la57, &res);
		assert_int_equal(res.stop, FOLLOWON_LOAD);
		E.refuse_load = false;
	}
	/* jumps: backward, too far, or with a non-canonical target; untaken
	 * ones go on */
	expect_stop((uint8_t[]){ 0x74, 0xfe }, 2, 2, FOLLOWON_JUMP, 0, 0);	/* ZF set */
	expect_stop((uint8_t[]){ 0x0f, 0x84, 0xfb, 0x00, 0x00, 0x00 }, 6, 6, FOLLOWON_JUMP, 0, 0);
	expect_stop((uint8_t[]){ 0x0f, 0x84, 0xfa, 0x00, 0x00, 0x00 }, 6, 6, FOLLOWON_FETCH, 1,
		    0x100);	/* exactly FOLLOWON_MAX_SPAN: allowed */
	expect_stop((uint8_t[]){ 0x75, 0xfe, 0x90 }, 3, 3, FOLLOWON_UNKNOWN, 1, 2);	/* not taken */
	/* the limit: FOLLOWON_MAX_INSNS instructions, then stop before the next */
	for (int i = 0; i < 10; i++)
		memcpy(b + 5 * i, (uint8_t[]){ 0xbe, 0x01, 0x00, 0x00, 0x00 }, 5);
	expect_stop(b, 50, 50, FOLLOWON_LIMIT, FOLLOWON_MAX_INSNS, 5 * FOLLOWON_MAX_INSNS);
	/* a store anywhere but the doorbell: refused, nothing done */
	{
		struct vcpu_regs r = { .rdx = 0x2000, .rsi = 5 };
		struct followon_result res;
		uint64_t rip, rflags = 2;

		E.stores = 0;
		run_bytes((uint8_t[]){ 0x89, 0x72, 0x38 }, 3, &r, &rip, &rflags, &KERNEL64, &res);
		assert_int_equal(res.stop, FOLLOWON_STORE);
		assert_int_equal(res.insns, 0);
		assert_int_equal(E.stores, 0);
		assert_int_equal(rip, (uint64_t)(uintptr_t)code_page);
		/* the doorbell, but through another instruction size: the
		 * callback sees the size and decides (here: accepts) */
		r.rdx = 0x1000 - 0x38;
		run_bytes((uint8_t[]){ 0x89, 0x72, 0x38 }, 3, &r, &rip, &rflags, &KERNEL64, &res);
		assert_int_equal(res.stop, FOLLOWON_STORED);
		assert_int_equal(E.st_v, 5);
		assert_int_equal(E.st_size, 4);
		/* an immediate store, 64-bit: C7 with REX.W sign-extends */
		run_bytes((uint8_t[]){ 0x48, 0xc7, 0x42, 0x38, 0xff, 0xff, 0xff, 0xff }, 8, &r, &rip,
			  &rflags, &KERNEL64, &res);
		assert_int_equal(res.stop, FOLLOWON_STORED);
		assert_int_equal(E.st_v, ~0ULL);
		assert_int_equal(E.st_size, 8);
		/* only one store per run: the next instruction is not reached */
		E.stores = 0;
		run_bytes((uint8_t[]){ 0x89, 0x72, 0x38, 0x89, 0x72, 0x38 }, 6, &r, &rip, &rflags,
			  &KERNEL64, &res);
		assert_int_equal(E.stores, 1);
		assert_int_equal(res.insns, 1);
		assert_int_equal(rip, (uint64_t)(uintptr_t)code_page + 3);
	}
	/* non-canonical RIP */
	{
		struct vcpu_regs r = { 0 };
		struct followon_result res;
		uint64_t rip = 0x0000800000000000ULL, rflags = 2;

		mmio_followon_run(&KERNEL64, &r, &rip, &rflags, &OPS, NULL, &res);
		assert_int_equal(res.stop, FOLLOWON_CANONICAL);
	}
}

/* The instruction stream stays canonical (SDM vol. 1 3.3.7.1: a fetch at a
 * non-canonical address is the CPU's #GP): sequential code that runs off
 * the end of the lower half stops there, an instruction that straddles the
 * boundary is not started, whatever the fetch callback would deliver (the
 * guest's page walk indexes with bits 47:12 or 56:12 only, so the bytes
 * past the boundary are those of an alias). And it never wraps past 2^64. */
static void run_at(uint64_t lin, const struct followon_cpu *cpu, struct vcpu_regs *r,
		   uint64_t *rip, struct followon_result *res)
{
	/* mov $1,%esi; mov $2,%edi; mov $3,%ebx; nop */
	static const uint8_t b[] = { 0xbe, 1, 0, 0, 0, 0xbf, 2, 0, 0, 0, 0xbb, 3, 0, 0, 0, 0x90 };
	uint64_t rflags = 2;

	memcpy(code_page, b, sizeof(b));
	E = (struct env){ .code = code_page, .avail = sizeof(b), .lin = lin };
	memset(r, 0, sizeof(*r));
	*rip = lin;
	mmio_followon_run(cpu, r, rip, &rflags, &OPS, NULL, res);
}

static void test_canonical_stream(void **state)
{
	struct followon_cpu la57 = KERNEL64;
	struct vcpu_regs r;
	struct followon_result res;
	uint64_t rip;

	(void)state;
	la57.la57 = true;
	/* the first mov ends exactly at the boundary: done, then stop */
	run_at(0x00007ffffffffffbULL, &KERNEL64, &r, &rip, &res);
	assert_int_equal(res.stop, FOLLOWON_CANONICAL);
	assert_int_equal(res.insns, 1);
	assert_int_equal(rip, 0x0000800000000000ULL);
	assert_int_equal(r.rsi, 1);
	assert_int_equal(r.rdi, 0);
	/* the first mov straddles it: not started */
	run_at(0x00007ffffffffffdULL, &KERNEL64, &r, &rip, &res);
	assert_int_equal(res.stop, FOLLOWON_CANONICAL);
	assert_int_equal(res.insns, 0);
	assert_int_equal(rip, 0x00007ffffffffffdULL);
	assert_int_equal(r.rsi, 0);
	/* the second one straddles it */
	run_at(0x00007ffffffffff8ULL, &KERNEL64, &r, &rip, &res);
	assert_int_equal(res.stop, FOLLOWON_CANONICAL);
	assert_int_equal(res.insns, 1);
	assert_int_equal(rip, 0x00007ffffffffffdULL);
	assert_int_equal(r.rdi, 0);
	/* with LA57 the same addresses are ordinary, its own boundary is 2^56 */
	run_at(0x00007ffffffffffbULL, &la57, &r, &rip, &res);
	assert_int_equal(res.insns, 3);
	assert_int_equal(res.stop, FOLLOWON_UNKNOWN);	/* the nop */
	run_at(0x00fffffffffffffbULL, &la57, &r, &rip, &res);
	assert_int_equal(res.stop, FOLLOWON_CANONICAL);
	assert_int_equal(res.insns, 1);
	assert_int_equal(rip, 0x0100000000000000ULL);
	/* the top of the upper half: RIP never wraps to 0 */
	run_at(0xfffffffffffffff6ULL, &KERNEL64, &r, &rip, &res);
	assert_int_equal(res.insns, 1);
	assert_int_equal(rip, 0xfffffffffffffffbULL);
	assert_int_equal(r.rdi, 0);
	/* a taken forward jump whose target wraps past 2^64: not taken on */
	{
		static const uint8_t j[] = { 0x74, 0x7f };	/* je +0x7f */
		uint64_t rflags = 2 | X86_FLAG_ZF;

		memcpy(code_page, j, sizeof(j));
		E = (struct env){ .code = code_page, .avail = sizeof(j), .lin = 0xffffffffffffffc0ULL };
		rip = 0xffffffffffffffc0ULL;
		mmio_followon_run(&KERNEL64, &r, &rip, &rflags, &OPS, NULL, &res);
		assert_int_equal(res.stop, FOLLOWON_JUMP);
		assert_int_equal(res.insns, 0);
		assert_int_equal(rip, 0xffffffffffffffc0ULL);
	}
}

/* followon_shift against its definition for every count, both sizes. */
static void test_shift_counts(void **state)
{
	(void)state;
	for (int size = 4; size <= 8; size += 4)
		for (unsigned count = 0; count < 256; count++) {
			uint64_t v = 0x8000000000000001ULL | rnd(), fl = 0x2 | X86_FLAGS_ARITH, fl2 = fl;
			unsigned c = count & (size == 8 ? 63 : 31);
			uint64_t m = size == 8 ? ~0ULL : 0xffffffffULL;
			uint64_t l = followon_shift(true, v, count, size, &fl);
			uint64_t rr = followon_shift(false, v, count, size, &fl2);

			assert_int_equal(l, c ? (v << c) & m : v & m);
			assert_int_equal(rr, c ? (v & m) >> c : v & m);
			if (!c) {
				assert_int_equal(fl, 0x2 | X86_FLAGS_ARITH);	/* untouched */
				assert_int_equal(fl2, 0x2 | X86_FLAGS_ARITH);
			} else {
				assert_int_equal(!!(fl & X86_FLAG_CF),
						 (v >> (8 * size - c)) & 1);
				assert_int_equal(!!(fl2 & X86_FLAG_CF), ((v & m) >> (c - 1)) & 1);
				assert_int_equal(!!(fl & X86_FLAG_ZF), l == 0);
			}
		}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_forms_vs_cpu),
		cmocka_unit_test(test_undefined_flags),
		cmocka_unit_test(test_jcc_vs_cpu),
		cmocka_unit_test(test_qc_issue),
		cmocka_unit_test(test_not_started),
		cmocka_unit_test(test_stops),
		cmocka_unit_test(test_canonical_stream),
		cmocka_unit_test(test_shift_counts),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
