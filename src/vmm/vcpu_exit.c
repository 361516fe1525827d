/* The back-end-neutral half of exit handling (vmm/vcpu_exit.h). */
#include "vmm/vcpu_exit.h"

#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/prof.h"
#include "vmm/apic_guard.h"
#include "vmm/chipset_guard.h"
#include "vmm/cpu_state_check.h"
#include "vmm/io_string.h"
#include "vmm/io_trap.h"
#include "platform/pci_cfg.h"
#include "vmm/pci_ports.h"
#include "vmm/power.h"
#include "vmm/vcpu.h"
#include "vmm/mmio_emul.h"
#include "vmm/mmio_followon.h"
#include "lib/string.h"
#include "platform/memmap.h"

#define MSR_EFER 0xC0000080u	/* AMD APM 2 3.1.7, SDM 4 table 2-2 */

static void (*exit_hook)(void);
static vmmcall_handler vmmcall_hook;
static realmode_call_handler realmode_hook;
static const struct power_ops *power;

void vcpu_set_exit_hook(void (*hook)(void))
{
	exit_hook = hook;
}

void vcpu_set_vmmcall_handler(vmmcall_handler h)
{
	vmmcall_hook = h;
}

void vcpu_set_realmode_call_handler(realmode_call_handler h)
{
	realmode_hook = h;
}

void vcpu_set_power_ops(const struct power_ops *ops)
{
	power = ops;
}

const struct power_ops *vcpu_power_ops(void)
{
	return power;
}

void vcpu_run_exit_hook(void)
{
	if (exit_hook)
		exit_hook();
}

int vcpu_io_intercepts(const char *name, void (*fn)(void *ctx, uint16_t port), void *ctx)
{
	uint16_t ports[VCPU_POWER_PORTS_MAX];
	unsigned n;

	if (!power) {
		log_error("%s: no reset/power handling given: the guest would reset the machine "
			  "behind shoji's back", name);
		return E_INVAL;
	}
	n = power->io_ports(ports, VCPU_POWER_PORTS_MAX);
	if (n > VCPU_POWER_PORTS_MAX) {
		log_error("%s: %u reset/power ports to intercept, room for %u", name, n,
			  VCPU_POWER_PORTS_MAX);
		return E_RANGE;
	}
	fn(ctx, PCI_PORTS_FIRST);
	for (uint16_t p = 0xcfc; p <= PCI_PORTS_LAST; p++)
		fn(ctx, p);
	for (unsigned i = 0; i < n; i++)
		fn(ctx, ports[i]);
	fn(ctx, APMC_PORT);
	log_info("%s io intercepts trapped_ports=%u", name, io_trap_ports(fn, ctx));
	return 0;
}

size_t vcpu_fetch_insn(const struct vcpu_exit_ops *ops, uint8_t *buf)
{
	struct guest_paging pg = ops->paging();
	/* 64-bit mode treats CS's base as 0 (SDM 3A 3.4.4, APM 2 4.12.2). */
	uint64_t cs = ops->mode() == X86_MODE_64 ? 0 : ops->seg_base(X86_SEG_CS);

	return guest_fetch(&pg, cs + ops->rip(), buf, X86_MAX_INSN_LEN);
}

static void count_mmio(struct vcpu_stats *st, const struct protected_range *h, paddr_t gpa,
		       bool write)
{
	st->mmio++;
	if (write)
		st->mmio_write++;
	else
		st->mmio_read++;
	if (h->mmio == &apic_mmio_ops) {
		uint64_t off = gpa - h->start;

		if (!write)
			st->apic_read++;
		else if (off >= PAGE_SIZE)
			st->apic_write[APIC_CLASS_OTHER]++;
		else
			st->apic_write[apic_reg_class((uint32_t)off)]++;
	}
}

/* The xAPIC page's write fast path (vmm/apic_guard.h, apic_fast_store):
 * a plain 32-bit MOV to any register but the ICR's low dword is done on
 * the APIC at the faulting address without the general decoder. */
static bool apic_fast_write(const struct vcpu_exit_ops *ops, paddr_t gpa, uint64_t off)
{
	uint8_t bytes[X86_MAX_INSN_LEN];
	struct vcpu_regs r;
	uint32_t v;
	unsigned len;

	if (!apic_fast_write_ok(off))
		return false;
	ops->regs_out(&r);
	len = apic_fast_store(bytes, vcpu_fetch_insn(ops, bytes), ops->mode(), &r, &v);
	if (!len)
		return false;
	hal_mmio_write32(gpa, v);
	ops->set_rip(ops->rip() + len);
	ops->set_rflags(ops->rflags() & ~X86_FLAG_RF);	/* the instruction completed */
	ops->stats()->apic_fast++;
	return true;
}

/* The fault says which access it was; the decoded instruction must make
 * that access (a read-modify-write makes both). */
static bool access_matches(const struct x86_insn *insn, bool write)
{
	return write ? insn->access != X86_ACCESS_READ : insn->access != X86_ACCESS_WRITE;
}

/* ---- the MMIO follow-on (vmm/mmio_followon.h) ---- */

static const struct memmap *guest_ram;

void vcpu_set_guest_ram(const struct memmap *m)
{
	guest_ram = m;
}

#define CR4_LA57 (1ULL << 12)
#define CR4_PKS (1ULL << 24)	/* protection keys for supervisor pages (SDM 3A 4.6.2) */

struct followon_ctx {
	const struct vcpu_exit_ops *ops;
	const struct protected_range *h;
	struct guest_paging pg;
	uint64_t target;	/* the one gpa the store may go to */
	int size;
};

/* Plain guest RAM: the memory map's usable RAM, and nothing the registry
 * keeps from the guest's CPU or gives an emulator (guest_phys_ok). */
static bool ram_ok(paddr_t pa, uint64_t len, unsigned access)
{
	return guest_ram && memmap_type_of(guest_ram, pa, pa + len) == MEM_USABLE &&
	       guest_phys_ok(pa, len, access);
}

/* Supervisor accesses only, and never through a user page (stricter than
 * SMEP for fetches and SMAP for loads: the kernel's doorbell code touches
 * neither). */
static bool walk_kernel(const struct followon_ctx *c, uint64_t lin, struct guest_walk *w)
{
	return !guest_walk(&c->pg, lin, w) && !w->user;
}

static size_t fo_fetch(void *ctx, uint64_t lin, uint8_t *buf, size_t max)
{
	const struct followon_ctx *c = ctx;
	size_t n = 0;

	while (n < max) {
		size_t chunk = MIN(max - n, PAGE_SIZE - ((lin + n) & (PAGE_SIZE - 1)));
		struct guest_walk w;

		if (!walk_kernel(c, lin + n, &w) || w.nx ||
		    !ram_ok(w.pa, chunk, PROTECT_CPU_EXEC))
			break;
		memcpy(buf + n, hal_phys_to_virt(w.pa), chunk);
		n += chunk;
	}
	return n;
}

static int fo_load(void *ctx, uint64_t lin, int size, uint64_t *v)
{
	const struct followon_ctx *c = ctx;
	struct guest_walk w;
	const void *p;

	if (!walk_kernel(c, lin, &w) || !ram_ok(w.pa, (uint64_t)size, PROTECT_CPU_READ))
		return E_FAULT;
	p = hal_phys_to_virt(w.pa);
	/* One read of the size the instruction makes (another CPU may be
	 * writing: the CPU's own load is single-copy atomic when aligned). */
	if (w.pa & (uint64_t)(size - 1)) {
		*v = 0;
		memcpy(v, p, (size_t)size);
		return 0;
	}
	switch (size) {
	case 1: *v = __atomic_load_n((const uint8_t *)p, __ATOMIC_RELAXED); break;
	case 2: *v = __atomic_load_n((const uint16_t *)p, __ATOMIC_RELAXED); break;
	case 4: *v = __atomic_load_n((const uint32_t *)p, __ATOMIC_RELAXED); break;
	default: *v = __atomic_load_n((const uint64_t *)p, __ATOMIC_RELAXED); break;
	}
	return 0;
}

/* The store: to the doorbell the emulator named, through a kernel mapping
 * that allows the write (R/W at every level; with CR0.WP clear a
 * supervisor write ignores R/W, but the doorbell's mapping has it), handed
 * to the emulator as the trapped store would be. */
static int fo_store(void *ctx, uint64_t lin, int size, uint64_t v)
{
	const struct followon_ctx *c = ctx;
	struct guest_walk w;

	if (!walk_kernel(c, lin, &w) || !w.write || w.pa != c->target || size != c->size ||
	    w.pa < c->h->start || w.pa + (uint64_t)size > c->h->end)
		return E_FAULT;
	c->h->mmio->write(c->h->ctx, w.pa, size, v);
	c->ops->stats()->mmio_followon++;
	return 0;
}

static const struct followon_ops followon_ops = { fo_fetch, fo_load, fo_store };

/* After the trapped MOV store of size bytes at pa (emulated: r, rip and
 * rflags are its result, not yet back in the guest). */
static void mmio_followon(const struct vcpu_exit_ops *ops, const struct protected_range *h,
			  paddr_t pa, int size, const struct guest_paging *pg,
			  struct vcpu_regs *r, uint64_t *rip, uint64_t *rflags)
{
	struct followon_ctx c = { .ops = ops, .h = h, .pg = *pg };
	struct followon_cpu cpu;
	struct followon_result res;

	if (!guest_ram || !ops->followon_blocked || !ops->cpl)
		return;
	/* With CR4.PKS, IA32_PKRS may forbid the kernel's own loads of
	 * supervisor pages; the walk does not know the keys (Linux does not
	 * enable PKS). */
	if (pg->cr4 & CR4_PKS)
		return;
	c.target = h->mmio->followon(h->ctx, pa, size, &c.size);
	if (!c.target)
		return;
	cpu = (struct followon_cpu){
		.mode = ops->mode(), .cpl = ops->cpl(), .la57 = pg->cr4 & CR4_LA57,
		.blocked = ops->followon_blocked(),
	};
	prof_enter(PROF_FOLLOWON);
	mmio_followon_run(&cpu, r, rip, rflags, &followon_ops, &c, &res);
	prof_leave();
}

static void exit_mmio(const struct vcpu_exit_ops *ops, const struct protected_range *h,
		      paddr_t gpa, bool write, bool fetch)
{
	struct x86_insn insn;
	struct vcpu_regs r;
	uint8_t bytes[X86_MAX_INSN_LEN];
	enum x86_mode mode = ops->mode();
	uint64_t rip, rflags, lin;
	struct guest_paging pg;
	char why[160];
	size_t n;
	paddr_t pa;

	if (fetch) {
		log_error("%s guest instruction fetch from %s at gpa=0x%llx: refused (device "
			  "registers are not executable)", ops->name, h->what,
			  (unsigned long long)gpa);
		ops->stop("instruction fetch from an emulated device");
	}
	count_mmio(ops->stats(), h, gpa, write);
	if (h->mmio == &apic_mmio_ops && write && apic_fast_write(ops, gpa, gpa - h->start))
		return;
	n = vcpu_fetch_insn(ops, bytes);
	rip = ops->rip();
	rflags = ops->rflags();
	pg = ops->paging();
	ops->regs_out(&r);
	if (x86_decode(&insn, bytes, n, mode)) {
		mmio_explain(&insn, insn.reason, why, sizeof(why));
		goto refuse;
	}
	if (!access_matches(&insn, write)) {
		mmio_explain(&insn, "the instruction does not make the access that faulted", why,
			     sizeof(why));
		goto refuse;
	}
	lin = x86_linear_addr(&insn, &r, rip, ops->seg_base(insn.mem.seg));
	if (guest_translate(&pg, lin, insn.access != X86_ACCESS_READ, &pa) ||
	    (pa >> 12) != (gpa >> 12)) {
		mmio_explain(&insn, "the instruction's operand is not the faulting address", why,
			     sizeof(why));
		goto refuse;
	}
	if (mmio_emulate(&insn, pa, &r, &rip, &rflags, h->mmio, h->ctx, why, sizeof(why)))
		goto refuse;
	if (write && insn.op == X86_OP_MOV && h->mmio->followon)
		mmio_followon(ops, h, pa, insn.size, &pg, &r, &rip, &rflags);
	ops->regs_in(&r);
	ops->set_rip(rip);
	ops->set_rflags(rflags);
	return;
refuse:
	log_error("mmio refused %s gpa=0x%llx %s", h->what, (unsigned long long)gpa, why);
	ops->stop("an access to an emulated device that shoji cannot emulate");
}

/* The decode, page walk and emulation are the "mmio" section; the device's
 * own handler and the follow-on open theirs inside it (lib/prof.h). */
void vcpu_exit_mmio(const struct vcpu_exit_ops *ops, const struct protected_range *h,
		    paddr_t gpa, bool write, bool fetch)
{
	prof_enter(PROF_MMIO);
	exit_mmio(ops, h, gpa, write, fetch);
	prof_leave();
}

/* ---- port I/O ---- */

static uint32_t size_mask(unsigned size)
{
	return size == 4 ? ~0u : (1u << (size * 8)) - 1;
}

/* What IN leaves in RAX (vcpu_exit.h). */
static uint64_t in_result(uint64_t rax, unsigned size, uint32_t v)
{
	if (size == 4)
		return v;
	return (rax & ~(uint64_t)size_mask(size)) | (v & size_mask(size));
}

static void done(const struct vcpu_exit_ops *ops, const struct vcpu_io *io)
{
	ops->set_rip(ops->rip() + io->len);
}

/* INS/OUTS to an emulated port (vmm/io_string.h). */
static void trapped_string_io(const struct vcpu_exit_ops *ops, const struct vcpu_io *io)
{
	enum x86_mode mode = ops->mode();
	struct guest_paging pg = ops->paging();
	uint8_t bytes[X86_MAX_INSN_LEN];
	size_t n = vcpu_fetch_insn(ops, bytes);
	struct io_string str;
	struct vcpu_regs r;
	const char *why = NULL;
	uint64_t fault = 0;
	bool finished;

	if (io_string_decode(bytes, n, mode, &str, &why) || str.in != io->in ||
	    str.size != io->size || str.rep != io->rep) {
		log_error("%s string I/O port=0x%x size=%u refused: %s", ops->name, io->port,
			  io->size, why ? why : "the instruction is not the access that exited");
		ops->stop("string I/O shoji cannot emulate");
	}
	ops->regs_out(&r);
	if (io_string_run(&str, io->port, mode, &r, &pg, ops->seg_base(str.seg),
			  ops->rflags() & X86_FLAG_DF, &finished, &fault)) {
		log_error("%s string I/O port=0x%x buffer lin=0x%llx not mapped or protected",
			  ops->name, io->port, (unsigned long long)fault);
		ops->stop("string I/O to a buffer shoji may not touch");
	}
	ops->regs_in(&r);
	ops->stats()->io_string++;
	if (finished)
		done(ops, io);
}

/* An access to ports an emulator owns (vmm/io_trap.h). */
static void trapped_io(const struct vcpu_exit_ops *ops, const struct vcpu_io *io)
{
	struct vcpu_regs r;

	ops->stats()->io_trapped++;
	if (io->string) {
		trapped_string_io(ops, io);
		return;
	}
	ops->regs_out(&r);
	if (io->in) {
		r.rax = in_result(r.rax, io->size, io_trap_in(io->port, io->size));
		ops->regs_in(&r);
	} else {
		io_trap_out(io->port, io->size, (uint32_t)r.rax & size_mask(io->size));
	}
	done(ops, io);
}

/* After a CONFIG_ADDRESS write (RIP already past it): when the next two
 * instructions are the data read of Linux's early read_pci_config()
 * (vmm/pci_ports.h, pci_ports_fused_read), both run in this exit, the read
 * through pci_ports_in() as the IN's own exit would. Linux on QEMU's TCG CPU
 * (AMD, family 0Fh) looks for an AGP bridge on all 256 buses, twice, with
 * that function at boot: ~16,000 reads, each one exit fewer (docs/apic.md).
 * Only in kernel code (CS.RPL 0, not a user page walk: the IN cannot fault
 * there) and without single-step. */
static void fused_conf_read(const struct vcpu_exit_ops *ops)
{
	struct guest_paging pg = ops->paging();
	enum x86_mode mode = ops->mode();
	uint8_t b[X86_MAX_INSN_LEN];
	struct vcpu_regs r;
	uint16_t port;
	unsigned size, len;

	if (pg.user || (ops->seg_sel(X86_SEG_CS) & 3) || (ops->rflags() & X86_FLAG_TF))
		return;
	len = pci_ports_fused_read(b, vcpu_fetch_insn(ops, b), mode, &port, &size);
	if (!len || io_trap_claims(port, size) || power->io_claims(port, size))
		return;
	ops->regs_out(&r);
	/* MOV r32 writes the whole register in 64-bit mode (SDM 1 3.4.1.1). */
	r.rdx = mode == X86_MODE_64 ? port : (r.rdx & ~0xffffffffull) | port;
	r.rax = in_result(r.rax, size, pci_ports_in(pci_ports_machine(), port, size));
	ops->regs_in(&r);
	ops->set_rip(ops->rip() + len);
	ops->stats()->io_pci_cfg_fused++;
}

void vcpu_exit_io(const struct vcpu_exit_ops *ops, const struct vcpu_io *io)
{
	uint16_t port = io->port;
	unsigned size = io->size;
	uint32_t mask = size_mask(size), v;
	struct vcpu_regs r;

	if (size != 1 && size != 2 && size != 4)
		ops->stop("I/O exit with an invalid size");
	if (io_trap_claims(port, size)) {
		trapped_io(ops, io);
		return;
	}
	if (io->string)
		ops->stop("string I/O to an intercepted port (PCI configuration, reset, power) is "
			  "not supported");
	ops->regs_out(&r);
	v = (uint32_t)r.rax & mask;
	done(ops, io);	/* before power->io, which may not return */
	if (power->io_claims(port, size)) {
		power->io(port, size, io->in, &v);	/* may reset or power off */
	} else {
		if (port == 0xcf8 || port >= 0xcfc)
			ops->stats()->io_pci_cfg++;
		if (!io->in && port <= APMC_PORT && port + size > APMC_PORT) {
			if (chipset_apmc_write_allowed((uint8_t)(v >> ((APMC_PORT - port) * 8))))
				hal_out(port, size, v);
		} else if (port < PCI_PORTS_FIRST) {
			if (io->in)	/* e.g. an APMC read: no decision */
				v = hal_in(port, size);
			else
				hal_out(port, size, v);
		} else if (io->in) {
			v = pci_ports_in(pci_ports_machine(), port, size);
		} else {
			pci_ports_out(pci_ports_machine(), port, size, v);
		}
	}
	if (io->in) {
		r.rax = in_result(r.rax, size, v);
		ops->regs_in(&r);
	} else if (port == PCI_CF8_ADDR_PORT && size == 4) {
		fused_conf_read(ops);
	}
}

/* ---- CPUID and MSRs ---- */

void vcpu_exit_cpuid(const struct vcpu_exit_ops *ops, unsigned len)
{
	struct vcpu_regs r;
	uint32_t leaf, sub, v[4];

	ops->regs_out(&r);
	leaf = (uint32_t)r.rax;
	sub = (uint32_t)r.rcx;
	hal_cpuid(leaf, sub, v);
	cpu_policy_cpuid(leaf, sub, v);
	/* CPUID.1:ECX.OSXSAVE and 7:ECX.OSPKE mirror CR4 (SDM vol. 2 CPUID):
	 * the host ran CPUID with shoji's CR4, the guest asks about its own. */
	cpu_policy_cpuid_cr4(leaf, sub, v, ops->cr4());
	r.rax = v[0];
	r.rbx = v[1];
	r.rcx = v[2];
	r.rdx = v[3];
	ops->regs_in(&r);
	ops->set_rip(ops->rip() + len);
}

void vcpu_exit_rdmsr(const struct vcpu_exit_ops *ops, unsigned len)
{
	struct vcpu_regs r;
	uint32_t msr;
	uint64_t v = 0;
	enum msr_verdict verdict;
	const char *why = "not readable";

	ops->regs_out(&r);
	msr = (uint32_t)r.rcx;
	verdict = cpu_policy_rdmsr(msr, ops->efer(), &v);
	if (verdict == MSR_PASSTHROUGH && hal_rdmsr_safe(msr, &v)) {
		verdict = MSR_FAULT;	/* the CPU has no such MSR: its #GP */
		why = "the CPU has no such MSR";
	}
	if (verdict == MSR_FAULT) {
		log_warn("guest msr 0x%x read refused (#GP): %s", msr, why);
		ops->inject_gp();
		return;
	}
	r.rax = (uint32_t)v;
	r.rdx = v >> 32;
	ops->regs_in(&r);
	ops->set_rip(ops->rip() + len);
}

void vcpu_exit_wrmsr(const struct vcpu_exit_ops *ops, unsigned len)
{
	struct vcpu_regs r;
	uint32_t msr;
	uint64_t v, cur, efer = ops->efer();
	enum msr_verdict verdict;
	const char *why = NULL;

	ops->regs_out(&r);
	msr = (uint32_t)r.rcx;
	v = (r.rax & 0xffffffffu) | (r.rdx << 32);
	verdict = cpu_policy_wrmsr(msr, v, ops->cr0(), &efer, &why);
	if (msr == MSR_EFER && verdict == MSR_HANDLED)
		ops->set_efer(efer);
	if (msr == MSR_IA32_APIC_BASE &&
	    (hal_rdmsr_safe(msr, &cur) || !apic_base_write_allowed(cur, v))) {
		verdict = MSR_FAULT;
		why = "the APIC base may not move";
	}
	if (msr == X2APIC_MSR_ICR)
		ops->stats()->msr_icr++;
	if (msr == X2APIC_MSR_ICR && !apic_icr_allowed(v)) {
		/* INIT or start-up: shoji's state machine, x2APIC
		 * destination in bits 63:32 (SDM 3A 10.12.9). */
		apic_startup_ipi(v & 0xffffffffu, (uint32_t)(v >> 32));
		verdict = MSR_HANDLED;
	}
	if (verdict == MSR_PASSTHROUGH && hal_wrmsr_safe(msr, v)) {
		verdict = MSR_FAULT;
		why = "the CPU refused it";
	}
	if (verdict == MSR_FAULT) {
		log_warn("guest msr 0x%x write refused (#GP) value=0x%llx: %s", msr,
			 (unsigned long long)v, why ? why : "refused");
		ops->inject_gp();
		return;
	}
	ops->set_rip(ops->rip() + len);
}

/* ---- VMMCALL ---- */

/* A VMMCALL in real mode: the firmware hooks first (vcpu.h). */
static bool realmode_call(const struct vcpu_exit_ops *ops, unsigned len)
{
	struct vcpu_realmode rm;
	struct vcpu_regs r;

	if ((ops->cr0() & CR0_PE) || !realmode_hook)
		return false;
	rm = (struct vcpu_realmode){
		.cs = ops->seg_sel(X86_SEG_CS), .ip = (uint16_t)(ops->rip() + len),
		.ss = ops->seg_sel(X86_SEG_SS), .ds = ops->seg_sel(X86_SEG_DS),
		.es = ops->seg_sel(X86_SEG_ES),
	};
	ops->regs_out(&r);
	rm.sp = (uint16_t)r.rsp;
	switch (realmode_hook(&r, &rm)) {
	case REALMODE_NOT_OURS:
		return false;
	case REALMODE_DONE:
		ops->regs_in(&r);
		ops->set_cs_real(rm.cs);
		ops->set_rip(rm.ip);
		return true;
	case REALMODE_STOP:
		break;
	}
	ops->stop("the firmware boot path cannot go on (see above)");
}

void vcpu_exit_vmmcall(const struct vcpu_exit_ops *ops, unsigned len)
{
	struct vcpu_regs r;
	struct guest_paging pg;

	if (realmode_call(ops, len))
		return;
	if (!vmmcall_hook) {
		ops->inject_ud();	/* nobody answers: as on a CPU without it */
		return;
	}
	pg = ops->paging();
	ops->regs_out(&r);
	vmmcall_hook(&r, &pg);
	ops->regs_in(&r);
	ops->set_rip(ops->rip() + len);
}
