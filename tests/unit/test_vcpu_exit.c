/* The back-end-neutral exit handling (vmm/vcpu_exit.h), driven through a
 * modelled back-end: a guest state in a struct, the instruction bytes in a
 * host buffer (guest-physical == host address, paging off), an emulator
 * that records its accesses. MMIO exits (decode, the fault cross-checks,
 * segment bases, the xAPIC fast path, counters, refusals that stop the
 * guest with nothing changed), port I/O (emulated ports, INS/OUTS checked
 * against the exit, the reset/power ports, APMC, the PCI configuration
 * latch, the hardware), CPUID and MSRs (the policy, the hardware's own #GP,
 * EFER, the APIC base and the x2APIC ICR) and VMMCALLs (the real-mode hook first, the
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
#include "vmm/vcpu.h"
#include "vmm/chipset_guard.h"
#include "vmm/io_trap.h"
#include "vmm/power.h"
#include "vmm/cpu_state_check.h"
#include "vmm/mmio_emul.h"
#include "vmm/pci_ports.h"
#include "vmm/protect.h"
#include "vmm/vcpu_exit.h"
#include "platform/memmap.h"

/* ---- the modelled back-end ---- */

static struct fake {
	struct vcpu_regs regs;
	uint64_t rip, rflags, cr0, cr4, efer;
	enum x86_mode mode;
	struct guest_paging pg;
	uint64_t seg_base[6];
	uint16_t seg_sel[6];
	struct vcpu_stats stats;
	struct vcpu_stats stats2;	/* a second CPU's */
	unsigned gp, ud;
	unsigned cpl;
	bool blocked;
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
static uint64_t f_cr4(void) { return g.cr4; }
static uint64_t f_efer(void) { return g.efer; }
static void f_set_efer(uint64_t v) { g.efer = v; }
static void f_set_cs_real(uint16_t sel)
{
	g.seg_sel[X86_SEG_CS] = sel;
	g.seg_base[X86_SEG_CS] = (uint64_t)sel << 4;
}
static unsigned f_cpl(void) { return g.cpl; }
static bool f_blocked(void) { return g.blocked; }
static void f_gp(void) { g.gp++; }
static void f_ud(void) { g.ud++; }
static struct vcpu_stats *f_stats(void) { return &g.stats; }
static struct vcpu_stats *f_stats2(void) { return &g.stats2; }
static NORETURN void f_stop(const char *why)
{
	g.stopped = why;
	longjmp(stop_jmp, 1);
}

/* The fake back-end; a CPU is its counters (name and stats). */
#define FAKE_OPS(nm, st)                                                                     \
	{                                                                                    \
		.name = nm, .regs_out = f_regs_out, .regs_in = f_regs_in, .rip = f_rip,       \
		.set_rip = f_set_rip, .rflags = f_rflags, .set_rflags = f_set_rflags,         \
		.mode = f_mode, .paging = f_paging, .seg_base = f_seg_base, .cr0 = f_cr0,     \
		.cr4 = f_cr4, .efer = f_efer, .set_efer = f_set_efer, .seg_sel = f_seg_sel,   \
		.set_cs_real = f_set_cs_real, .inject_gp = f_gp, .inject_ud = f_ud,           \
		.cpl = f_cpl, .followon_blocked = f_blocked,                                  \
		.stats = st, .stop = f_stop,                                                  \
	}

static const struct vcpu_exit_ops ops = FAKE_OPS("fake", f_stats);
/* Another CPU: the same guest state, its own counters. */
static const struct vcpu_exit_ops ops2 = FAKE_OPS("fake2", f_stats2);

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
#define MSR_EFER 0xC0000080u
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
	pci_ports_machine()->cf8 = 0;
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
	assert_false(STOPS(vcpu_exit_mmio(&ops, &dev, DEV + 0x18, false, false)));
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
	assert_false(STOPS(vcpu_exit_mmio(&ops, &dev, DEV + 0x40, true, false)));
	assert_int_equal(naccs, 1);
	assert_true(accs[0].write);
	assert_int_equal(accs[0].gpa, DEV + 0x40);
	assert_int_equal(accs[0].v, 0xcafef00d);
	assert_int_equal(g.rip, 2);
	assert_int_equal(g.stats.mmio_write, 1);
	/* Without the base the operand is another page: refused. */
	code_at(b, sizeof(b), X86_MODE_32);
	g.seg_base[X86_SEG_DS] = 0;
	assert_true(STOPS(vcpu_exit_mmio(&ops, &dev, DEV + 0x40, true, false)));
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
	assert_true(STOPS(vcpu_exit_mmio(&ops, &dev, DEV, true, false)));
	assert_string_equal(g.stopped, "an access to an emulated device that shoji cannot emulate");
	assert_int_equal(host_log_count("mmio refused test-dev gpa=0xfed40000"), 1);
	assert_int_equal(host_log_count("does not make the access that faulted"), 1);
	assert_int_equal(naccs, 0);
	assert_int_equal(g.rip, before.rip);
	assert_memory_equal(&g.regs, &before.regs, sizeof(g.regs));
	/* The operand elsewhere than the faulting page. */
	g.regs.rbx = DEV + 0x1000;
	assert_true(STOPS(vcpu_exit_mmio(&ops, &dev, DEV, false, false)));
	assert_int_equal(naccs, 0);
	/* An instruction the decoder refuses: its reason is logged. */
	code_at(xchg, sizeof(xchg), X86_MODE_64);
	g.regs.rbx = DEV;
	assert_true(STOPS(vcpu_exit_mmio(&ops, &dev, DEV, true, false)));
	assert_int_equal(host_log_count("bytes=8703"), 1);
	assert_int_equal(naccs, 0);
	assert_int_equal(g.stats.mmio, 3);
	/* An instruction fetch from device registers: refused, not counted. */
	assert_true(STOPS(vcpu_exit_mmio(&ops, &dev, DEV, false, true)));
	assert_string_equal(g.stopped, "instruction fetch from an emulated device");
	assert_int_equal(host_log_count("fake guest instruction fetch from test-dev at gpa=0xfed40000"), 1);
	assert_int_equal(g.stats.mmio, 3);
	assert_int_equal(naccs, 0);
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
	assert_false(STOPS(vcpu_exit_mmio(&ops, &r, APIC_DEFAULT_BASE + APIC_EOI, true, false)));
	assert_int_equal(apic_writes, 1);
	assert_int_equal(apic_reg[APIC_EOI / 16], 0x12345678);
	assert_int_equal(g.rip, rip + sizeof(eoi));
	assert_false(g.rflags & X86_FLAG_RF);
	assert_int_equal(g.stats.apic_fast, 1);
	assert_int_equal(g.stats.apic_write[APIC_CLASS_EOI], 1);
	/* A read of the page is counted as one and emulated in full. */
	code_at((const uint8_t[]){ 0x8b, 0x83, 0xb0, 0, 0, 0 }, 6, X86_MODE_64);
	assert_false(STOPS(vcpu_exit_mmio(&ops, &r, APIC_DEFAULT_BASE + APIC_EOI, false, false)));
	assert_int_equal(g.stats.apic_read, 1);
	assert_int_equal(g.stats.apic_fast, 1);
	assert_int_equal(g.regs.rax, 0x12345678);
	host_mmio = NULL;
}


/* ---- port I/O ---- */

/* An emulator at 0x1f0-0x1f7 answering 0xbeef0000 | port; the hardware
 * (host_io) answers 0x55aa0000 | port and records writes; the power ops
 * claim 0xcf9. */
static struct acc ioacc[16];
static unsigned nio;
static uint32_t emu_in(void *ctx, uint16_t port, unsigned size)
{
	ioacc[nio++ % 16] = (struct acc){ false, port, 0, (int)size };
	return 0xbeef0000u | port;
}
static void emu_out(void *ctx, uint16_t port, unsigned size, uint32_t v)
{
	ioacc[nio++ % 16] = (struct acc){ true, port, v, (int)size };
}
static const struct io_ops emu = { emu_in, emu_out };

static uint32_t hw_last_out[0x1000];
static unsigned hw_outs;
static uint32_t hw_in(uint16_t port, int width) { return 0x55aa0000u | port; }
static void hw_out(uint16_t port, int width, uint32_t v)
{
	hw_last_out[port & 0xfff] = v;
	hw_outs++;
}
static const struct host_io_ops hw = { hw_in, hw_out };

static unsigned power_calls;
static unsigned p_ports(uint16_t *ports, unsigned max) { ports[0] = 0xcf9; return 1; }
static bool p_claims(uint16_t port, unsigned size) { return port == 0xcf9 && size == 1; }
static void p_io(uint16_t port, unsigned size, bool in, uint32_t *v)
{
	power_calls++;
	if (in)
		*v = 0x0e;
}
static NORETURN void p_reset(const char *path) { abort(); }
static const struct power_ops pops = { p_ports, p_claims, p_io, p_reset };

static int io_setup(void **state)
{
	setup(state);
	nio = hw_outs = power_calls = 0;
	memset(hw_last_out, 0, sizeof(hw_last_out));
	host_io = &hw;
	vcpu_set_power_ops(&pops);
	chipset_guard_reset();
	assert_int_equal(protect_add_io_emulated(0x1f0, 0x1f8, "ide0-taskfile", &emu, NULL,
						 PCI_BDF(0, 0, 0, 0), -1), 0);
	g.rip = 0x4000;
	g.mode = X86_MODE_64;
	return 0;
}

static int io_teardown(void **state)
{
	host_io = NULL;
	protect_reset();
	return 0;
}

#define IO(p, sz, dir_in, ln) (&(struct vcpu_io){ .port = (p), .size = (sz), .in = (dir_in), .len = (ln) })

static void test_io_trapped(void **state)
{
	g.regs.rax = 0x1122334455667788ULL;
	assert_false(STOPS(vcpu_exit_io(&ops, IO(0x1f0, 2, true, 2))));
	assert_int_equal(nio, 1);
	assert_int_equal(ioacc[0].size, 2);			/* one access, its size */
	assert_int_equal(g.regs.rax, 0x11223344556601f0ULL);	/* AX only */
	assert_int_equal(g.rip, 0x4002);
	/* A 32-bit IN zero-extends into RAX. */
	assert_false(STOPS(vcpu_exit_io(&ops, IO(0x1f4, 4, true, 1))));
	assert_int_equal(g.regs.rax, 0xbeef01f4);
	/* OUT: the register's low bytes only. */
	g.regs.rax = 0xffffffffffff1234ULL;
	assert_false(STOPS(vcpu_exit_io(&ops, IO(0x1f7, 1, false, 1))));
	assert_true(ioacc[2].write);
	assert_int_equal(ioacc[2].v, 0x34);
	assert_int_equal(hw_outs, 0);
	assert_int_equal(g.stats.io_trapped, 3);
	assert_int_equal(g.rip, 0x4004);
}

static void test_io_string(void **state)
{
	static const uint8_t rep_insw[] = { 0xf3, 0x66, 0x6d };
	static uint16_t buf[8];
	uint64_t rip;

	memset(buf, 0, sizeof(buf));
	code_at(rep_insw, sizeof(rep_insw), X86_MODE_64);
	rip = g.rip;
	g.regs.rdi = (uintptr_t)buf;
	g.regs.rcx = 4;
	g.regs.rdx = 0x1f0;
	assert_false(STOPS(vcpu_exit_io(&ops, &(struct vcpu_io){ .port = 0x1f0, .size = 2,
		.in = true, .string = true, .rep = true, .len = 3 })));
	assert_int_equal(nio, 4);
	assert_int_equal(buf[0], 0x01f0);
	assert_int_equal(buf[3], 0x01f0);
	assert_int_equal(buf[4], 0);
	assert_int_equal(g.regs.rcx, 0);
	assert_int_equal(g.regs.rdi, (uintptr_t)(buf + 4));
	assert_int_equal(g.rip, rip + 3);
	assert_int_equal(g.stats.io_string, 1);
	/* The exit said no REP: the bytes are not the instruction that exited. */
	code_at(rep_insw, sizeof(rep_insw), X86_MODE_64);
	g.regs.rcx = 4;
	assert_true(STOPS(vcpu_exit_io(&ops, &(struct vcpu_io){ .port = 0x1f0, .size = 2,
		.in = true, .string = true, .len = 3 })));
	assert_string_equal(g.stopped, "string I/O shoji cannot emulate");
	assert_int_equal(host_log_count("fake string I/O port=0x1f0 size=2 refused"), 1);
	assert_int_equal(nio, 4);
	assert_int_equal(g.regs.rcx, 4);
	/* String I/O to a port no emulator owns. */
	assert_true(STOPS(vcpu_exit_io(&ops, &(struct vcpu_io){ .port = 0xcfc, .size = 4,
		.in = true, .string = true, .len = 1 })));
	assert_string_equal(g.stopped, "string I/O to an intercepted port (PCI configuration, "
			    "reset, power) is not supported");
}

static void test_io_power_apmc_pci_hw(void **state)
{
	/* The reset control register: power's. */
	g.regs.rax = 0x6;
	assert_false(STOPS(vcpu_exit_io(&ops, IO(0xcf9, 1, false, 1))));
	assert_int_equal(power_calls, 1);
	assert_int_equal(hw_outs, 0);
	assert_false(STOPS(vcpu_exit_io(&ops, IO(0xcf9, 1, true, 1))));
	assert_int_equal(g.regs.rax & 0xff, 0x0e);
	assert_int_equal(g.rip, 0x4002);
	/* APMC: no known host bridge has SMRAM locked: refused, not written. */
	g.regs.rax = 0x1234;
	assert_false(STOPS(vcpu_exit_io(&ops, IO(APMC_PORT, 1, false, 2))));
	assert_int_equal(hw_outs, 0);
	assert_int_equal(chipset_guard_refusals(), 1);
	/* A word at 0xb1 covers APMC too. */
	assert_false(STOPS(vcpu_exit_io(&ops, IO(APMC_PORT - 1, 2, false, 2))));
	assert_int_equal(hw_outs, 0);
	assert_int_equal(chipset_guard_refusals(), 2);
	/* APMC reads, and other ports below 0xcf8, are the hardware's. */
	assert_false(STOPS(vcpu_exit_io(&ops, IO(APMC_PORT, 1, true, 2))));
	assert_int_equal(g.regs.rax, 0x12b2);
	g.regs.rax = 0x34;
	assert_false(STOPS(vcpu_exit_io(&ops, IO(0x92, 1, false, 2))));
	assert_int_equal(hw_last_out[0x92], 0x34);
	/* CONFIG_ADDRESS: the guest's latch (one per machine), not the
	 * hardware's. */
	{
		static const uint8_t out_nops[] = { 0xef };
		static const uint8_t out_read[] = { 0xef, 0xba, 0xfc, 0x0c, 0x00, 0x00, 0xed };
		uint32_t want;

		code_at(out_nops, sizeof(out_nops), X86_MODE_64);
		g.regs.rax = 0x80001008;
		hw_outs = 0;
		assert_false(STOPS(vcpu_exit_io(&ops, IO(0xcf8, 4, false, 1))));
		assert_int_equal(pci_ports_machine()->cf8, 0x80001008);
		assert_int_equal(hw_outs, 0);
		assert_int_equal(g.rip, (uintptr_t)code + 1);	/* NOPs follow: no fused read */
		g.regs.rax = 0;
		assert_false(STOPS(vcpu_exit_io(&ops, IO(0xcf8, 4, true, 1))));
		assert_int_equal(g.regs.rax, 0x80001008);
		assert_int_equal(g.stats.io_pci_cfg, 2);
		/* Another CPU reads the address this one wrote, as on hardware
		 * (the register is the host bridge's), and its data access
		 * goes to that function: the same value as this CPU's. */
		g.regs.rax = 0;
		assert_false(STOPS(vcpu_exit_io(&ops2, IO(0xcf8, 4, true, 1))));
		assert_int_equal(g.regs.rax, 0x80001008);
		g.regs.rax = ~0ull;
		assert_false(STOPS(vcpu_exit_io(&ops, IO(0xcfc, 4, true, 1))));
		want = (uint32_t)g.regs.rax;
		assert_int_not_equal(want, 0xffffffff);	/* a function is there */
		g.regs.rax = ~0ull;
		assert_false(STOPS(vcpu_exit_io(&ops2, IO(0xcfc, 4, true, 1))));
		assert_int_equal((uint32_t)g.regs.rax, want);
		assert_int_equal(g.stats2.io_pci_cfg, 2);
		/* A disabled address written by the second CPU disables the
		 * first's data access too: nothing answers. */
		g.regs.rax = 0x00001008;
		assert_false(STOPS(vcpu_exit_io(&ops2, IO(0xcf8, 4, false, 1))));
		assert_false(STOPS(vcpu_exit_io(&ops, IO(0xcfc, 4, true, 1))));
		assert_int_equal((uint32_t)g.regs.rax, 0xffffffff);
		g.regs.rax = 0x80001008;
		assert_false(STOPS(vcpu_exit_io(&ops2, IO(0xcf8, 4, false, 1))));
		/* Linux's read_pci_config(): the data read in the same exit,
		 * as its own exit would have done it (pci_ports_fused_read). */
		code_at(out_nops, sizeof(out_nops), X86_MODE_64);
		g.regs.rax = ~0ull;
		assert_false(STOPS(vcpu_exit_io(&ops, IO(0xcfc, 4, true, 1))));
		want = (uint32_t)g.regs.rax;
		code_at(out_read, sizeof(out_read), X86_MODE_64);
		g.regs.rax = 0x80001008;
		g.regs.rdx = 0xffffffff00000cf8ull;
		assert_false(STOPS(vcpu_exit_io(&ops, IO(0xcf8, 4, false, 1))));
		assert_int_equal(g.rip, (uintptr_t)code + 7);
		assert_int_equal(g.regs.rdx, 0xcfc);
		assert_int_equal(g.regs.rax, want);
		assert_int_equal(g.stats.io_pci_cfg_fused, 1);
		/* Not in user code (CS.RPL 3): the IN exits by itself. */
		code_at(out_read, sizeof(out_read), X86_MODE_64);
		g.seg_sel[X86_SEG_CS] = 0x33;
		assert_false(STOPS(vcpu_exit_io(&ops, IO(0xcf8, 4, false, 1))));
		assert_int_equal(g.rip, (uintptr_t)code + 1);
		assert_int_equal(g.stats.io_pci_cfg_fused, 1);
		g.seg_sel[X86_SEG_CS] = 0;
	}
	/* A size the CPU cannot give. */
	assert_true(STOPS(vcpu_exit_io(&ops, IO(0x80, 3, false, 1))));
}



/* ---- setup: the intercepted ports, the host's features ---- */

static uint8_t port_seen[0x10000];
static unsigned ports_seen;
static void note_port(void *ctx, uint16_t port)
{
	assert_ptr_equal(ctx, port_seen);
	port_seen[port]++;
	ports_seen++;
}

static unsigned many_ports(uint16_t *ports, unsigned max) { return max + 1; }
static const struct power_ops too_many = { many_ports, p_claims, p_io, p_reset };

static void test_io_intercepts(void **state)
{
	memset(port_seen, 0, sizeof(port_seen));
	ports_seen = 0;
	assert_int_equal(vcpu_io_intercepts("fake", note_port, port_seen), 0);
	/* 0xcf8, 0xcfc-0xcff, power's 0xcf9, APMC, the emulator's 8 */
	assert_int_equal(ports_seen, 1 + 4 + 1 + 1 + 8);
	assert_int_equal(port_seen[0xcf8], 1);
	assert_int_equal(port_seen[0xcf9], 1);
	assert_int_equal(port_seen[0xcfa], 0);
	assert_int_equal(port_seen[0xcff], 1);
	assert_int_equal(port_seen[APMC_PORT], 1);
	assert_int_equal(port_seen[0x1f0], 1);
	assert_int_equal(port_seen[0x1f7], 1);
	assert_int_equal(host_log_count("fake io intercepts trapped_ports=8"), 1);
	/* No power operations, or more ports than room: refused. */
	vcpu_set_power_ops(&too_many);
	assert_int_equal(vcpu_io_intercepts("fake", note_port, port_seen), E_RANGE);
	vcpu_set_power_ops(NULL);
	assert_int_equal(vcpu_io_intercepts("fake", note_port, port_seen), E_INVAL);
	assert_int_equal(host_log_count("fake: no reset/power handling given"), 1);
	assert_int_equal(ports_seen, 15);
}

static uint32_t max_leaf, max_ext;
static void leaves_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	memset(r, 0, 16);
	switch (leaf) {
	case 0: r[0] = max_leaf; break;
	case 1: r[2] = 0x11, r[3] = 0x22; break;
	case 7: r[1] = 0x77, r[2] = 0x78, r[3] = 0x79; break;
	case 0x80000000: r[0] = max_ext; break;
	case 0x80000001: r[2] = 0x81, r[3] = 0x82; break;
	case 0x80000008: r[0] = 0x3028; break;
	}
}

static void test_features_of_this_cpu(void **state)
{
	struct x86_features f;

	host_cpuid = leaves_cpuid;
	max_leaf = 0xd, max_ext = 0x80000008;
	f = x86_features_of_this_cpu();
	assert_int_equal(f.l1_ecx, 0x11);
	assert_int_equal(f.l1_edx, 0x22);
	assert_int_equal(f.l7_ebx, 0x77);
	assert_int_equal(f.l7_ecx, 0x78);
	assert_int_equal(f.l7_edx, 0x79);
	assert_int_equal(f.e1_ecx, 0x81);
	assert_int_equal(f.e1_edx, 0x82);
	assert_int_equal(f.phys_bits, 0x28);
	/* Leaves the CPU does not have are not read. */
	max_leaf = 6, max_ext = 0x80000004;
	f = x86_features_of_this_cpu();
	assert_int_equal(f.l7_ebx, 0);
	assert_int_equal(f.phys_bits, 36);
	host_cpuid = NULL;
}

/* ---- CPUID and MSRs ---- */

static void fake_cpuid(uint32_t leaf, uint32_t sub, uint32_t r[4])
{
	r[0] = 0x000806f8, r[1] = 0x00010800, r[2] = 0, r[3] = 0;
	if (leaf == 1)
		r[2] = (1u << 5) | (1u << 26) | (1u << 27);	/* VMX, XSAVE, OSXSAVE (shoji's CR4) */
}

/* The "hardware": MSR 0x1234 exists (reads 0xaabbccdd11223344, writes
 * stick), IA32_APIC_BASE at 0xfee00900, every other MSR raises #GP. */
static uint64_t msr_1234 = 0xaabbccdd11223344ULL;
static unsigned hw_msr_writes;
static int fake_rdmsr(uint32_t msr, uint64_t *v)
{
	if (msr == 0x1234)
		return *v = msr_1234, 0;
	if (msr == MSR_IA32_APIC_BASE)
		return *v = 0xfee00900, 0;
	return E_FAULT;
}
static int fake_wrmsr(uint32_t msr, uint64_t v)
{
	if (msr != 0x1234 && msr != X2APIC_MSR_ICR && msr != MSR_IA32_APIC_BASE)
		return E_FAULT;
	hw_msr_writes++;
	if (msr == 0x1234)
		msr_1234 = v;
	return 0;
}

static int msr_setup(void **state)
{
	struct x86_features f = { .l1_ecx = (1u << 26), .e1_edx = (1u << 11) | (1u << 20) | (1u << 29),
				  .phys_bits = 40 };

	setup(state);
	cpu_policy_set_features(&f);
	host_cpuid = fake_cpuid;
	host_rdmsr = fake_rdmsr;
	host_wrmsr = fake_wrmsr;
	hw_msr_writes = 0;
	g.rip = 0x2000;
	g.cr0 = CR0_PE | (1ULL << 31);
	g.efer = EFER_SVME | EFER_LME | EFER_LMA;
	return 0;
}

static int msr_teardown(void **state)
{
	host_cpuid = NULL;
	host_rdmsr = NULL;
	host_wrmsr = NULL;
	return 0;
}

static void test_cpuid(void **state)
{
	g.regs.rax = 0xffffffff00000001ULL;
	g.regs.rcx = 0xffffffff00000000ULL;
	g.regs.rbx = g.regs.rdx = ~0ULL;
	vcpu_exit_cpuid(&ops, 2);
	/* VMX hidden, the hypervisor bit set, OSXSAVE from the guest's CR4
	 * (clear), not shoji's; the results zero-extend. */
	assert_int_equal(g.regs.rcx, (1u << 26) | (1u << 31));
	assert_int_equal(g.regs.rax, 0x000806f8);
	assert_int_equal(g.regs.rdx, 0);
	assert_int_equal(g.rip, 0x2002);
	g.cr4 = 1ULL << 18;	/* the guest set CR4.OSXSAVE */
	g.regs.rax = 1;
	g.regs.rcx = 0;
	vcpu_exit_cpuid(&ops, 2);
	assert_int_equal(g.regs.rcx, (1u << 26) | (1u << 27) | (1u << 31));
	/* Shoji's leaf. */
	g.regs.rax = SHOJI_CPUID_BASE;
	vcpu_exit_cpuid(&ops, 2);
	assert_memory_equal(&g.regs.rbx, "shoj", 4);
}

static void test_rdmsr(void **state)
{
	/* Not the policy's: the hardware's value in EDX:EAX. */
	g.regs.rcx = 0x1234;
	g.regs.rax = g.regs.rdx = ~0ULL;
	vcpu_exit_rdmsr(&ops, 2);
	assert_int_equal(g.regs.rax, 0x11223344);
	assert_int_equal(g.regs.rdx, 0xaabbccdd);
	assert_int_equal(g.rip, 0x2002);
	/* EFER: SVME hidden. */
	g.regs.rcx = MSR_EFER;
	vcpu_exit_rdmsr(&ops, 2);
	assert_int_equal(g.regs.rax, EFER_LME | EFER_LMA);
	assert_int_equal(g.rip, 0x2004);
	/* An MSR the CPU does not have: its #GP, for the guest, not shoji. */
	g.regs.rcx = 0x4321;
	g.regs.rax = 7;
	vcpu_exit_rdmsr(&ops, 2);
	assert_int_equal(g.gp, 1);
	assert_int_equal(g.rip, 0x2004);
	assert_int_equal(g.regs.rax, 7);
	assert_int_equal(host_log_count("guest msr 0x4321 read refused (#GP): the CPU has no such MSR"), 1);
}

static void wrmsr(uint32_t msr, uint64_t v)
{
	g.regs.rcx = msr;
	g.regs.rax = (uint32_t)v | 0xdead00000000ULL;	/* the upper half of RAX does not count */
	g.regs.rdx = v >> 32;
	vcpu_exit_wrmsr(&ops, 2);
}

static void test_wrmsr(void **state)
{
	wrmsr(0x1234, 0x0102030405060708ULL);
	assert_int_equal(msr_1234, 0x0102030405060708ULL);
	assert_int_equal(g.rip, 0x2002);
	assert_int_equal(g.gp, 0);
	/* EFER: the policy's, kept by the back-end; SVME refused. */
	wrmsr(MSR_EFER, EFER_LME | EFER_LMA | EFER_NXE);
	assert_int_equal(g.efer, EFER_SVME | EFER_LME | EFER_LMA | EFER_NXE);
	assert_int_equal(hw_msr_writes, 1);
	wrmsr(MSR_EFER, EFER_LME | EFER_LMA | EFER_SVME);
	assert_int_equal(g.gp, 1);
	assert_int_equal(g.efer, EFER_SVME | EFER_LME | EFER_LMA | EFER_NXE);
	assert_int_equal(g.rip, 0x2004);
	/* The APIC base may not move; its enable bits may change. */
	wrmsr(MSR_IA32_APIC_BASE, 0xfed00900);
	assert_int_equal(g.gp, 2);
	assert_int_equal(host_log_count("the APIC base may not move"), 1);
	wrmsr(MSR_IA32_APIC_BASE, 0xfee00d00);
	assert_int_equal(g.gp, 2);
	assert_int_equal(hw_msr_writes, 2);
	/* An x2APIC INIT IPI never reaches the hardware; a fixed IPI does. */
	wrmsr(X2APIC_MSR_ICR, (1ULL << 32) | 0x4500);	/* INIT to APIC id 1 */
	assert_int_equal(hw_msr_writes, 2);
	assert_int_equal(g.stats.msr_icr, 1);
	wrmsr(X2APIC_MSR_ICR, (1ULL << 32) | 0x40);
	assert_int_equal(hw_msr_writes, 3);
	assert_int_equal(g.stats.msr_icr, 2);
	/* What the CPU refuses: #GP for the guest. */
	wrmsr(0x4321, 1);
	assert_int_equal(g.gp, 3);
	assert_int_equal(host_log_count("guest msr 0x4321 write refused (#GP) value=0x1: the CPU refused it"), 1);
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


/* ---- the MMIO follow-on (vmm/mmio_followon.h) through vcpu_exit_mmio ----
 * A long-mode guest with its own page tables in host memory (guest-physical
 * == host address): kernel code, kernel data and the device's page mapped
 * at kernel addresses; a device whose PxSACT-like register at 0x134 names
 * 0x138 (its PxCI) as the follow-on store. */

#define VA_CODE 0xffffffffc0001000ULL
#define VA_DATA 0xffffffffc0002000ULL
#define VA_DEV  0xffffffffc0003000ULL
#define VA_ROM  0xffffffffc0004000ULL	/* the data page again, read-only */
#define VA_OTHER 0xffffffffc0005000ULL	/* a page not in the memory map */
#define PTE_P 1ULL
#define PTE_W 2ULL
#define PTE_U 4ULL
#define PTE_NX (1ULL << 63)

static uint64_t *pml4, *pdpt, *pd, *pt;
static uint8_t *fo_code, *fo_data, *fo_other;
static struct memmap fo_ram;

static uint64_t dev_followon(void *ctx, uint64_t gpa, int size, int *store_size)
{
	(void)ctx;
	if (gpa != DEV + 0x134 || size != 4)
		return 0;
	*store_size = 4;
	return DEV + 0x138;
}

static const struct mmio_ops dev_fo_ops = {
	.read = dev_read, .write = dev_write, .followon = dev_followon,
};
static const struct protected_range dev_fo = {
	.start = DEV, .end = DEV + 0x1000, .space = PROTECT_SPACE_MEM,
	.forbids = PROTECT_CPU_READ | PROTECT_CPU_WRITE, .what = "test-ahci", .mmio = &dev_fo_ops,
};

static void map(uint64_t va, uint64_t pa, uint64_t flags)
{
	pt[(va >> 12) & 511] = pa | flags;
}

/* mov %edi,0x34(%rdx) (the trapped PxSACT store); cmpb $0,0x45(%rsi);
 * je +0; mov 0x5c(%rax),%ecx; mov $1,%esi; shl %cl,%esi;
 * mov %esi,0x38(%rdx) (PxCI); nop */
static const uint8_t doorbell_code[] = {
	0x89, 0x7a, 0x34, 0x80, 0x7e, 0x45, 0x00, 0x74, 0x00, 0x8b, 0x48, 0x5c,
	0xbe, 0x01, 0x00, 0x00, 0x00, 0xd3, 0xe6, 0x89, 0x72, 0x38, 0x90,
};
#define AT_STORE 19	/* the PxCI store's offset */

static int fo_setup(void **state)
{
	uint8_t *pages = aligned_alloc(4096, 7 * 4096);

	setup(state);
	memset(pages, 0, 7 * 4096);
	pml4 = (uint64_t *)pages;
	pdpt = (uint64_t *)(pages + 4096);
	pd = (uint64_t *)(pages + 2 * 4096);
	pt = (uint64_t *)(pages + 3 * 4096);
	fo_code = pages + 4 * 4096;
	fo_data = pages + 5 * 4096;
	fo_other = pages + 6 * 4096;
	pml4[(VA_CODE >> 39) & 511] = (uintptr_t)pdpt | PTE_P | PTE_W;
	pdpt[(VA_CODE >> 30) & 511] = (uintptr_t)pd | PTE_P | PTE_W;
	pd[(VA_CODE >> 21) & 511] = (uintptr_t)pt | PTE_P | PTE_W;
	map(VA_CODE, (uintptr_t)fo_code, PTE_P);
	map(VA_DATA, (uintptr_t)fo_data, PTE_P | PTE_W | PTE_NX);
	map(VA_DEV, DEV, PTE_P | PTE_W | PTE_NX);
	map(VA_ROM, (uintptr_t)fo_data, PTE_P | PTE_NX);
	map(VA_OTHER, (uintptr_t)fo_other, PTE_P | PTE_W | PTE_NX);
	memcpy(fo_code, doorbell_code, sizeof(doorbell_code));
	fo_data[0x45] = 0;				/* fbs_enabled */
	fo_data[0x85c] = 9;				/* hw_tag */
	memmap_init(&fo_ram);
	memmap_add(&fo_ram, (uintptr_t)fo_code, 2 * 4096, MEM_USABLE);
	vcpu_set_guest_ram(&fo_ram);
	g.mode = X86_MODE_64;
	g.pg = (struct guest_paging){ .cr0 = CR0_PE | (1ULL << 31) | (1ULL << 16),
				      .cr3 = (uintptr_t)pml4, .cr4 = 1ULL << 5,
				      .efer = (1ULL << 8) | (1ULL << 10) | (1ULL << 11) };
	g.rip = VA_CODE;
	g.regs.rdx = VA_DEV + 0x100;
	g.regs.rsi = VA_DATA;
	g.regs.rax = VA_DATA + 0x800;
	g.regs.rdi = 1u << 9;
	g.regs.rcx = 0x77;
	*state = pages;
	return 0;
}

static int fo_teardown(void **state)
{
	vcpu_set_guest_ram(NULL);
	free(*state);
	return 0;
}

static void pxsact_exit(void)
{
	assert_false(STOPS(vcpu_exit_mmio(&ops, &dev_fo, DEV + 0x134, true, false)));
}

static void test_followon_doorbell(void **state)
{
	pxsact_exit();
	assert_int_equal(naccs, 2);
	assert_true(accs[0].write);
	assert_int_equal(accs[0].gpa, DEV + 0x134);
	assert_int_equal(accs[0].v, 1u << 9);
	assert_true(accs[1].write);
	assert_int_equal(accs[1].gpa, DEV + 0x138);
	assert_int_equal(accs[1].size, 4);
	assert_int_equal(accs[1].v, 1u << 9);
	assert_int_equal(g.rip, VA_CODE + AT_STORE + 3);
	assert_int_equal(g.regs.rcx, 9);
	assert_int_equal(g.regs.rsi, 1u << 9);
	assert_false(g.rflags & X86_FLAG_RF);
	assert_int_equal(g.stats.mmio, 1);		/* one exit */
	assert_int_equal(g.stats.mmio_write, 1);
	assert_int_equal(g.stats.mmio_followon, 1);
}

/* Only the PxSACT store, RIP past it: nothing else run. */
static void only_pxsact(void)
{
	pxsact_exit();
	assert_int_equal(naccs, 1);
	assert_int_equal(g.rip, VA_CODE + 3);
	assert_int_equal(g.regs.rcx, 0x77);
	assert_int_equal(g.stats.mmio_followon, 0);
}

static void test_followon_not_for_user_or_events(void **state)
{
	g.cpl = 3;		/* a process that mapped the registers */
	only_pxsact();
}

static void test_followon_blocked(void **state)
{
	g.blocked = true;	/* an event to deliver, a shadow, breakpoints */
	only_pxsact();
}

static void test_followon_single_step(void **state)
{
	g.rflags |= X86_FLAG_TF;
	only_pxsact();
}

/* Protection keys for supervisor pages (CR4.PKS): IA32_PKRS may forbid
 * the kernel's own loads, which the walk does not model: no follow-on. */
static void test_followon_pks(void **state)
{
	g.pg.cr4 |= 1ULL << 24;
	only_pxsact();
}

static void test_followon_other_register(void **state)
{
	/* a store to another register of the device first: no follow-on */
	assert_false(STOPS(vcpu_exit_mmio(&ops, &dev_fo, DEV + 0x134, true, false)));
	naccs = 0;
	memset(&g.stats, 0, sizeof(g.stats));
	g.rip = VA_CODE;
	g.regs.rdx = VA_DEV + 0x90;		/* 0x34 + 0x90 = 0xc4: no follow-on named */
	assert_false(STOPS(vcpu_exit_mmio(&ops, &dev_fo, DEV + 0xc4, true, false)));
	assert_int_equal(naccs, 1);
	assert_int_equal(g.rip, VA_CODE + 3);
}

static void test_followon_no_ram_map(void **state)
{
	vcpu_set_guest_ram(NULL);
	only_pxsact();
}

/* U/S set at every level: a user page (the CPU combines the levels). */
static void user_tables(void)
{
	pml4[(VA_CODE >> 39) & 511] |= PTE_U;
	pdpt[(VA_CODE >> 30) & 511] |= PTE_U;
	pd[(VA_CODE >> 21) & 511] |= PTE_U;
}

static void test_followon_user_data_page(void **state)
{
	user_tables();
	/* U at the upper levels alone makes nothing a user page */
	pxsact_exit();
	assert_int_equal(naccs, 2);
	naccs = 0;
	g.rip = VA_CODE;
	g.regs.rsi = VA_DATA;
	g.regs.rcx = 0x77;
	memset(&g.stats, 0, sizeof(g.stats));
	map(VA_DATA, (uintptr_t)fo_data, PTE_P | PTE_W | PTE_U | PTE_NX);
	only_pxsact();	/* the cmpb's load refused: the guest runs it itself */
}

static void test_followon_data_not_ram(void **state)
{
	g.regs.rsi = VA_OTHER;	/* mapped, but not in the memory map */
	only_pxsact();
}

static void test_followon_data_protected(void **state)
{
	/* RAM the registry forbids the guest's CPU to read (the hypervisor) */
	assert_int_equal(protect_add((uintptr_t)fo_data, (uintptr_t)fo_data + 4096,
				     PROTECT_CPU_READ | PROTECT_CPU_WRITE, "hv"), 0);
	only_pxsact();
}

static void test_followon_code_nx_or_user(void **state)
{
	map(VA_CODE, (uintptr_t)fo_code, PTE_P | PTE_NX);
	/* the PxSACT store itself was fetched by the fake's paging-blind
	 * fetch; the follow-on fetches through the walk and refuses */
	only_pxsact();
	naccs = 0;
	g.rip = VA_CODE;
	user_tables();
	map(VA_CODE, (uintptr_t)fo_code, PTE_P | PTE_U);
	only_pxsact();
}

static void test_followon_store_refused(void **state)
{
	/* the doorbell mapped read-only: the store is refused, the
	 * instructions before it done (RIP on the store: it traps itself) */
	fo_code[AT_STORE + 1] = 0x73;	/* mov %esi,0x38(%rbx) */
	g.regs.rbx = VA_ROM + 0x100;
	map(VA_ROM, DEV, PTE_P | PTE_NX);
	pxsact_exit();
	assert_int_equal(naccs, 1);
	assert_int_equal(g.rip, VA_CODE + AT_STORE);
	assert_int_equal(g.regs.rsi, 1u << 9);
	assert_int_equal(g.stats.mmio_followon, 0);
	/* a store to another register of the device: refused the same way */
	naccs = 0;
	g.rip = VA_CODE;
	g.regs.rdx = VA_DEV + 0x100;
	g.regs.rsi = VA_DATA;
	fo_code[AT_STORE + 1] = 0x72;
	fo_code[AT_STORE + 2] = 0x3c;	/* mov %esi,0x3c(%rdx) */
	pxsact_exit();
	assert_int_equal(naccs, 1);
	assert_int_equal(g.rip, VA_CODE + AT_STORE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_fetch_insn, setup),
		cmocka_unit_test_setup(test_mmio_load, setup),
		cmocka_unit_test_setup(test_mmio_store_and_segment_base, setup),
		cmocka_unit_test_setup(test_mmio_refusals_change_nothing, setup),
		cmocka_unit_test_setup(test_apic_fast_path, setup),
		cmocka_unit_test_setup_teardown(test_io_trapped, io_setup, io_teardown),
		cmocka_unit_test_setup_teardown(test_io_string, io_setup, io_teardown),
		cmocka_unit_test_setup_teardown(test_io_power_apmc_pci_hw, io_setup, io_teardown),
		cmocka_unit_test_setup_teardown(test_io_intercepts, io_setup, io_teardown),
		cmocka_unit_test_setup(test_features_of_this_cpu, setup),
		cmocka_unit_test_setup_teardown(test_cpuid, msr_setup, msr_teardown),
		cmocka_unit_test_setup_teardown(test_rdmsr, msr_setup, msr_teardown),
		cmocka_unit_test_setup_teardown(test_wrmsr, msr_setup, msr_teardown),
		cmocka_unit_test_setup(test_vmmcall, setup),
		cmocka_unit_test_setup(test_vmmcall_real_mode, setup),
		cmocka_unit_test_setup_teardown(test_followon_doorbell, fo_setup, fo_teardown),
		cmocka_unit_test_setup_teardown(test_followon_not_for_user_or_events, fo_setup,
						fo_teardown),
		cmocka_unit_test_setup_teardown(test_followon_blocked, fo_setup, fo_teardown),
		cmocka_unit_test_setup_teardown(test_followon_single_step, fo_setup, fo_teardown),
		cmocka_unit_test_setup_teardown(test_followon_pks, fo_setup, fo_teardown),
		cmocka_unit_test_setup_teardown(test_followon_other_register, fo_setup, fo_teardown),
		cmocka_unit_test_setup_teardown(test_followon_no_ram_map, fo_setup, fo_teardown),
		cmocka_unit_test_setup_teardown(test_followon_user_data_page, fo_setup, fo_teardown),
		cmocka_unit_test_setup_teardown(test_followon_data_not_ram, fo_setup, fo_teardown),
		cmocka_unit_test_setup_teardown(test_followon_data_protected, fo_setup, fo_teardown),
		cmocka_unit_test_setup_teardown(test_followon_code_nx_or_user, fo_setup, fo_teardown),
		cmocka_unit_test_setup_teardown(test_followon_store_refused, fo_setup, fo_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
