/* The back-end-neutral exit handling (vmm/vcpu_exit.h), driven through a
 * modelled back-end: a guest state in a struct, the instruction bytes in a
 * host buffer (guest-physical == host address, paging off), an emulator
 * that records its accesses. MMIO exits (decode, the fault cross-checks,
 * segment bases, the xAPIC fast path, counters, refusals that stop the
 * guest with nothing changed) and VMMCALLs (the real-mode hook first, the
 * handler, #UD without one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "host/host.h"
#include "lib/error.h"
#include "vmm/apic_guard.h"
#include "vmm/cpu_state_check.h"
#include "vmm/mmio_emul.h"
#include "vmm/pci_ports.h"
#include "vmm/protect.h"
#include "vmm/vcpu_exit.h"

/* ---- the modelled back-end ---- */

static struct fake {
	struct vcpu_regs regs;
	uint64_t rip, rflags, cr0;
	enum x86_mode mode;
	struct guest_paging pg;
	uint64_t seg_base[6];
	uint16_t seg_sel[6];
	struct vcpu_stats stats;
	struct pci_ports pci;
	unsigned gp, ud;
	const char *stopped;
} g;
static jmp_buf stop_jmp;

static void f_regs_out(struct vcpu_regs *r) { *r = g.regs; }
static void f_regs_in(const struct vcpu_regs *r) { g.regs = *r; }
static uint64_t f_rip(void) { return g.rip; }
static void f_set_rip(uint64_t v) { g.rip = v; }
static uint64_t f_rflags(void) { return g.rflags; }
static void f_set_rflags(uint64_t v) { g.rflags = v; }
static enum x86_mode f_mode(void) { return g.mode; }
static struct guest_paging f_paging(void) { return g.pg; }
static uint64_t f_seg_base(enum x86_seg s) { return g.seg_base[s]; }
static uint16_t f_seg_sel(enum x86_seg s) { return g.seg_sel[s]; }
static uint64_t f_cr0(void) { return g.cr0; }
static void f_set_cs_real(uint16_t sel)
{
	g.seg_sel[X86_SEG_CS] = sel;
	g.seg_base[X86_SEG_CS] = (uint64_t)sel << 4;
}
static void f_gp(void) { g.gp++; }
static void f_ud(void) { g.ud++; }
static struct vcpu_stats *f_stats(void) { return &g.stats; }
static struct pci_ports *f_pci(void) { return &g.pci; }
static NORETURN void f_stop(const char *why)
{
	g.stopped = why;
	longjmp(stop_jmp, 1);
}

static const struct vcpu_exit_ops ops = {
	.name = "fake", .regs_out = f_regs_out, .regs_in = f_regs_in, .rip = f_rip,
	.set_rip = f_set_rip, .rflags = f_rflags, .set_rflags = f_set_rflags, .mode = f_mode,
	.paging = f_paging, .seg_base = f_seg_base, .cr0 = f_cr0, .seg_sel = f_seg_sel,
	.set_cs_real = f_set_cs_real, .inject_gp = f_gp, .inject_ud = f_ud, .stats = f_stats,
	.pci = f_pci, .stop = f_stop,
};

/* Runs fn under the fake stop: true when it stopped the guest. */
#define STOPS(call) (setjmp(stop_jmp) ? true : ((call), false))

/* The code: 64-bit mode, paging off, the bytes at RIP = their host address
 * (CS's base does not count in 64-bit mode: set it to garbage). */
static uint8_t code[64];

static void code_at(const uint8_t *bytes, size_t n, enum x86_mode mode)
{
	memset(code, 0x90, sizeof(code));
	memcpy(code, bytes, n);
	g.mode = mode;
	if (mode == X86_MODE_64) {
		g.rip = (uintptr_t)code;
		g.seg_base[X86_SEG_CS] = 0xdead0000;
	} else {
		g.rip = 0;
		g.seg_base[X86_SEG_CS] = (uintptr_t)code;
	}
}

/* ---- an emulated device at DEV ---- */

#define DEV 0xfed40000ULL
struct acc {
	bool write;
	uint64_t gpa, v;
	int size;
};
static struct acc accs[8];
static unsigned naccs;

static uint64_t dev_read(void *ctx, uint64_t gpa, int size)
{
	accs[naccs++ % 8] = (struct acc){ false, gpa, 0, size };
	return 0x11223344;
}

static void dev_write(void *ctx, uint64_t gpa, int size, uint64_t v)
{
	accs[naccs++ % 8] = (struct acc){ true, gpa, v, size };
}

static const struct mmio_ops dev_ops = { .read = dev_read, .write = dev_write };
static const struct protected_range dev = {
	.start = DEV, .end = DEV + 0x1000, .space = PROTECT_SPACE_MEM,
	.forbids = PROTECT_CPU_READ | PROTECT_CPU_WRITE, .what = "test-dev", .mmio = &dev_ops,
};

static int setup(void **state)
{
	memset(&g, 0, sizeof(g));
	g.rflags = 0x2 | X86_FLAG_RF;
	g.cr0 = CR0_PE;
	naccs = 0;
	host_log_clear();
	protect_reset();
	vcpu_set_vmmcall_handler(NULL);
	vcpu_set_realmode_call_handler(NULL);
	return 0;
}

static void test_fetch_insn(void **state)
{
	static const uint8_t b[] = { 0x8b, 0x03 };
	uint8_t buf[X86_MAX_INSN_LEN];

	code_at(b, sizeof(b), X86_MODE_64);
	assert_int_equal(vcpu_fetch_insn(&ops, buf), X86_MAX_INSN_LEN);
	assert_memory_equal(buf, code, X86_MAX_INSN_LEN);
	/* Outside 64-bit mode CS's base counts. */
	code_at(b, sizeof(b), X86_MODE_32);
	g.rip = 1;
	assert_int_equal(vcpu_fetch_insn(&ops, buf), X86_MAX_INSN_LEN);
	assert_memory_equal(buf, code + 1, X86_MAX_INSN_LEN);
}

static void test_mmio_load(void **state)
{
	static const uint8_t b[] = { 0x8b, 0x43, 0x08 };	/* mov eax, [rbx + 8] */
	uint64_t rip;

	code_at(b, sizeof(b), X86_MODE_64);
	rip = g.rip;
	g.regs.rax = 0xffffffffffffffffULL;
	g.regs.rbx = DEV + 0x10;
	assert_false(STOPS(vcpu_exit_mmio(&ops, &dev, DEV + 0x18, false)));
	assert_int_equal(naccs, 1);
	assert_false(accs[0].write);
	assert_int_equal(accs[0].gpa, DEV + 0x18);
	assert_int_equal(accs[0].size, 4);
	assert_int_equal(g.regs.rax, 0x11223344);	/* 32-bit loads zero-extend */
	assert_int_equal(g.rip, rip + 3);
	assert_false(g.rflags & X86_FLAG_RF);
	assert_int_equal(g.stats.mmio, 1);
	assert_int_equal(g.stats.mmio_read, 1);
	assert_int_equal(g.stats.mmio_write, 0);
}

static void test_mmio_store_and_segment_base(void **state)
{
	static const uint8_t b[] = { 0x89, 0x0b };	/* mov [ebx], ecx (32-bit code) */

	/* 32-bit protected mode with a DS base: the operand is DS.base + EBX. */
	code_at(b, sizeof(b), X86_MODE_32);
	g.seg_base[X86_SEG_DS] = 0x10000;
	g.regs.rbx = DEV + 0x40 - 0x10000;
	g.regs.rcx = 0xcafef00d;
	assert_false(STOPS(vcpu_exit_mmio(&ops, &dev, DEV + 0x40, true)));
	assert_int_equal(naccs, 1);
	assert_true(accs[0].write);
	assert_int_equal(accs[0].gpa, DEV + 0x40);
	assert_int_equal(accs[0].v, 0xcafef00d);
	assert_int_equal(g.rip, 2);
	assert_int_equal(g.stats.mmio_write, 1);
	/* Without the base the operand is another page: refused. */
	code_at(b, sizeof(b), X86_MODE_32);
	g.seg_base[X86_SEG_DS] = 0;
	assert_true(STOPS(vcpu_exit_mmio(&ops, &dev, DEV + 0x40, true)));
	assert_int_equal(naccs, 1);
	assert_int_equal(host_log_count("operand is not the faulting address"), 1);
}

static void test_mmio_refusals_change_nothing(void **state)
{
	static const uint8_t load[] = { 0x8b, 0x03 };		/* mov eax, [rbx] */
	static const uint8_t xchg[] = { 0x87, 0x03 };		/* xchg [rbx], eax */
	struct fake before;

	/* The fault was a write; the instruction only reads. */
	code_at(load, sizeof(load), X86_MODE_64);
	g.regs.rbx = DEV;
	before = g;
	assert_true(STOPS(vcpu_exit_mmio(&ops, &dev, DEV, true)));
	assert_string_equal(g.stopped, "an access to an emulated device that shoji cannot emulate");
	assert_int_equal(host_log_count("mmio refused test-dev gpa=0xfed40000"), 1);
	assert_int_equal(host_log_count("does not make the access that faulted"), 1);
	assert_int_equal(naccs, 0);
	assert_int_equal(g.rip, before.rip);
	assert_memory_equal(&g.regs, &before.regs, sizeof(g.regs));
	/* The operand elsewhere than the faulting page. */
	g.regs.rbx = DEV + 0x1000;
	assert_true(STOPS(vcpu_exit_mmio(&ops, &dev, DEV, false)));
	assert_int_equal(naccs, 0);
	/* An instruction the decoder refuses: its reason is logged. */
	code_at(xchg, sizeof(xchg), X86_MODE_64);
	g.regs.rbx = DEV;
	assert_true(STOPS(vcpu_exit_mmio(&ops, &dev, DEV, true)));
	assert_int_equal(host_log_count("bytes=8703"), 1);
	assert_int_equal(naccs, 0);
	assert_int_equal(g.stats.mmio, 3);
}

/* The xAPIC page: a modelled APIC records what reaches it. */
static uint64_t apic_reg[0x100];
static unsigned apic_writes;

static uint64_t apic_hw_read(struct host_mmio_model *m, uint64_t off, int w)
{
	return apic_reg[off / 16];
}

static void apic_hw_write(struct host_mmio_model *m, uint64_t off, int w, uint64_t v)
{
	apic_reg[off / 16] = v;
	apic_writes++;
}

static void test_apic_fast_path(void **state)
{
	static const uint8_t eoi[] = { 0x89, 0x83, 0xb0, 0x00, 0x00, 0x00 };	/* mov [rbx+0xb0], eax */
	struct host_mmio_model apic = { APIC_DEFAULT_BASE, 0x1000, apic_hw_read, apic_hw_write };
	struct protected_range r = {
		.start = APIC_DEFAULT_BASE, .end = APIC_DEFAULT_BASE + APIC_WINDOW_SIZE,
		.space = PROTECT_SPACE_MEM, .forbids = PROTECT_CPU_WRITE, .what = "local-apic",
		.mmio = &apic_mmio_ops, .ctx = (void *)(uintptr_t)APIC_DEFAULT_BASE,
	};
	uint64_t rip;

	host_mmio = &apic;
	apic_writes = 0;
	code_at(eoi, sizeof(eoi), X86_MODE_64);
	rip = g.rip;
	g.regs.rbx = APIC_DEFAULT_BASE;
	g.regs.rax = 0x12345678;
	/* The fast path: the operand is not even looked at (rbx could be
	 * anything), the store is made at the faulting address. */
	assert_false(STOPS(vcpu_exit_mmio(&ops, &r, APIC_DEFAULT_BASE + APIC_EOI, true)));
	assert_int_equal(apic_writes, 1);
	assert_int_equal(apic_reg[APIC_EOI / 16], 0x12345678);
	assert_int_equal(g.rip, rip + sizeof(eoi));
	assert_false(g.rflags & X86_FLAG_RF);
	assert_int_equal(g.stats.apic_fast, 1);
	assert_int_equal(g.stats.apic_write[APIC_CLASS_EOI], 1);
	/* A read of the page is counted as one and emulated in full. */
	code_at((const uint8_t[]){ 0x8b, 0x83, 0xb0, 0, 0, 0 }, 6, X86_MODE_64);
	assert_false(STOPS(vcpu_exit_mmio(&ops, &r, APIC_DEFAULT_BASE + APIC_EOI, false)));
	assert_int_equal(g.stats.apic_read, 1);
	assert_int_equal(g.stats.apic_fast, 1);
	assert_int_equal(g.regs.rax, 0x12345678);
	host_mmio = NULL;
}

/* ---- VMMCALL ---- */

static unsigned vmmcalls;
static void hook(struct vcpu_regs *r, const struct guest_paging *pg)
{
	vmmcalls++;
	r->rax = 0x5a;
}

static enum realmode_verdict rm_verdict;
static struct vcpu_realmode rm_seen;
static enum realmode_verdict rm_hook(struct vcpu_regs *r, struct vcpu_realmode *rm)
{
	rm_seen = *rm;
	if (rm_verdict == REALMODE_DONE) {
		r->rbx = 0xe820;
		rm->cs = 0xf000;
		rm->ip = 0x1234;
	}
	return rm_verdict;
}

static void test_vmmcall(void **state)
{
	vmmcalls = 0;
	g.rip = 0x1000;
	/* No handler: #UD, RIP stays. */
	assert_false(STOPS(vcpu_exit_vmmcall(&ops, 3)));
	assert_int_equal(g.ud, 1);
	assert_int_equal(g.rip, 0x1000);
	vcpu_set_vmmcall_handler(hook);
	assert_false(STOPS(vcpu_exit_vmmcall(&ops, 3)));
	assert_int_equal(vmmcalls, 1);
	assert_int_equal(g.regs.rax, 0x5a);
	assert_int_equal(g.rip, 0x1003);
	/* A real-mode hook is not asked in protected mode. */
	vcpu_set_realmode_call_handler(rm_hook);
	rm_verdict = REALMODE_DONE;
	memset(&rm_seen, 0, sizeof(rm_seen));
	assert_false(STOPS(vcpu_exit_vmmcall(&ops, 3)));
	assert_int_equal(rm_seen.ip, 0);
	assert_int_equal(vmmcalls, 2);
}

static void test_vmmcall_real_mode(void **state)
{
	vmmcalls = 0;
	vcpu_set_vmmcall_handler(hook);
	vcpu_set_realmode_call_handler(rm_hook);
	g.cr0 = 0;
	g.rip = 0x7c10;
	g.seg_sel[X86_SEG_CS] = 0x0;
	g.seg_sel[X86_SEG_SS] = 0x30;
	g.seg_sel[X86_SEG_DS] = 0x40;
	g.seg_sel[X86_SEG_ES] = 0x50;
	g.regs.rsp = 0x12345ffe;
	/* Done: the hook's registers and CS:IP, CS's base sel * 16. */
	rm_verdict = REALMODE_DONE;
	assert_false(STOPS(vcpu_exit_vmmcall(&ops, 3)));
	assert_int_equal(rm_seen.ip, 0x7c13);
	assert_int_equal(rm_seen.sp, 0x5ffe);
	assert_int_equal(rm_seen.ss, 0x30);
	assert_int_equal(rm_seen.ds, 0x40);
	assert_int_equal(rm_seen.es, 0x50);
	assert_int_equal(g.regs.rbx, 0xe820);
	assert_int_equal(g.seg_sel[X86_SEG_CS], 0xf000);
	assert_int_equal(g.seg_base[X86_SEG_CS], 0xf0000);
	assert_int_equal(g.rip, 0x1234);
	assert_int_equal(vmmcalls, 0);
	/* Not a hook: the VMMCALL handler has it. */
	rm_verdict = REALMODE_NOT_OURS;
	g.rip = 0x7c10;
	assert_false(STOPS(vcpu_exit_vmmcall(&ops, 3)));
	assert_int_equal(vmmcalls, 1);
	assert_int_equal(g.rip, 0x7c13);
	/* The hook says the guest cannot go on: stopped. */
	rm_verdict = REALMODE_STOP;
	assert_true(STOPS(vcpu_exit_vmmcall(&ops, 3)));
	assert_string_equal(g.stopped, "the firmware boot path cannot go on (see above)");
	assert_int_equal(vmmcalls, 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_fetch_insn, setup),
		cmocka_unit_test_setup(test_mmio_load, setup),
		cmocka_unit_test_setup(test_mmio_store_and_segment_base, setup),
		cmocka_unit_test_setup(test_mmio_refusals_change_nothing, setup),
		cmocka_unit_test_setup(test_apic_fast_path, setup),
		cmocka_unit_test_setup(test_vmmcall, setup),
		cmocka_unit_test_setup(test_vmmcall_real_mode, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
