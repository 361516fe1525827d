/* The AMD SVM back-end: one vCPU, its VMCB, the run loop and exit handling.
 * APM vol. 2 chapter 15. TCG's SVM (our test platform) has no NRIP save,
 * no decode assists, no VMCB clean bits and no flush-by-ASID, and it does
 * not check the guest state at VMRUN: so instruction lengths here are
 * known per intercept (or taken from EXITINFO2 for I/O), the VMCB is
 * always treated as dirty, TLB flushes are whole, and shoji checks the
 * VMCB itself before the first run (svm_check_vmcb). */
#include "arch/x86/cpu.h"
#include "arch/x86/guest_gprs.h"
#include "arch/x86/kick.h"
#include "arch/x86/lapic.h"
#include "arch/x86/npt.h"
#include "arch/x86/percpu.h"
#include "arch/x86/svm.h"
#include "arch/x86/svm_vcpu.h"
#include "arch/x86/trap.h"
#include "arch/x86/stop.h"
#include "iommu/iommu.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/prof.h"
#include "lib/deadline.h"
#include "lib/string.h"
#include "vmm/pci_ports.h"
#include "vmm/vcpu.h"
#include "vmm/apic_guard.h"
#include "vmm/chipset_guard.h"
#include "vmm/cpu_start.h"
#include "vmm/cpu_state_check.h"
#include "vmm/cr_write.h"
#include "vmm/io_string.h"
#include "vmm/io_trap.h"
#include "vmm/mmio_emul.h"
#include "vmm/power.h"
#include "vmm/vcpu_exit.h"
#include "vmm/x86_decode.h"

#define IOPM_PAGES 3
#define MSRPM_PAGES 2
#define GUEST_ASID 1
#define MAX_MSR_INTERCEPTS 64

/* Everything one virtual CPU owns (docs/smp.md: per-CPU vs global state),
 * reached only through cpu(), which picks the running CPU's. Other CPUs
 * touch only in_guest and npt_seen (atomics); kicks are arch/x86/kick.h's. */
struct svm_cpu {
	struct vmcb *vmcb;		/* the control block, and its physical address */
	paddr_t vmcb_pa, host_save_pa;
	uint8_t *iopm, *msrpm;		/* I/O and MSR permission maps (shared, read-only) */
	struct vcpu_regs regs;		/* GPRs the VMCB does not hold (rax, rsp: stale) */
	bool flush_tlb;			/* flush the guest's TLB at the next VMRUN */
	struct vcpu_stats stats;		/* exits by reason */
	bool in_guest;			/* between the NPT check and the #VMEXIT */
	uint64_t npt_seen;		/* npt_generation() at the last VMRUN */
};

static struct svm_cpu cpus[SHOJI_MAX_CPUS];
static paddr_t shared_iopm_pa, shared_msrpm_pa, shared_ncr3;

static inline struct svm_cpu *cpu(void)
{
	return &cpus[hal_cpu_index()];
}
static const struct vcpu_exit_ops svm_exit;	/* below */

/* Summed over the CPUs (the VMMCALL status and the bench read them; they
 * are counters, a torn sum while another CPU exits is off by a few). */
const struct vcpu_stats *svm_stats(void)
{
	static struct vcpu_stats sum;
	uint64_t *s = (uint64_t *)&sum;

	STATIC_ASSERT(sizeof(struct vcpu_stats) % 8 == 0, "vcpu_stats is all counters");
	memset(&sum, 0, sizeof(sum));
	for (unsigned i = 0; i < SHOJI_MAX_CPUS; i++) {
		const uint64_t *c = (const uint64_t *)&cpus[i].stats;

		for (size_t k = 0; k < sizeof(sum) / 8; k++)
			s[k] += c[k];
	}
	return &sum;
}

static void *zalloc_pages(unsigned n, paddr_t *pa)
{
	paddr_t p;

	if (palloc_alloc(n, PAGE_SIZE, &p))
		return NULL;
	*pa = p;
	return hal_phys_to_virt(p);
}

/* SVM on the running CPU: EFER.SVME (and NXE), its host save area, its
 * VMCB and the page VMSAVE keeps the host's state in. Every CPU's own. */
static int enable_this_cpu(void)
{
	paddr_t hsave;

	if (!(cpuid(0x80000001, 0).ecx & CPUID_80000001_ECX_SVM) ||
	    (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS)) {
		log_error("svm: cpu=%u has no usable SVM", hal_cpu_index());
		return E_UNSUPPORTED;
	}
	if (!zalloc_pages(1, &hsave) || !(cpu()->vmcb = zalloc_pages(1, &cpu()->vmcb_pa)) ||
	    !zalloc_pages(1, &cpu()->host_save_pa))
		return E_NOMEM;
	/* NXE: nested walks use the host's paging mode, so NX in the nested
	 * tables counts only with it (APM 15.25.5). */
	wrmsr(MSR_EFER, rdmsr(MSR_EFER) | EFER_SVME | EFER_NXE);
	wrmsr(MSR_VM_HSAVE_PA, hsave);
	log_info("svm enabled cpu=%u asid=%u vmcb=0x%llx", hal_cpu_index(), GUEST_ASID,
		 (unsigned long long)cpu()->vmcb_pa);
	return 0;
}

static int svm_init(void)
{
	struct cpuid_regs ext = cpuid(0x80000001, 0);

	if (!(ext.ecx & CPUID_80000001_ECX_SVM)) {
		log_error("svm: this CPU has no AMD SVM");
		return E_UNSUPPORTED;
	}
	if (!(cpuid(0x8000000A, 0).edx & CPUID_8000000A_EDX_NP)) {
		log_error("svm: this CPU has no nested paging");
		return E_UNSUPPORTED;
	}
	if (!(ext.edx & CPUID_80000001_EDX_NX)) {
		log_error("svm: this CPU has no NX: stand-in pages for protected memory could "
			  "not be made non-executable");
		return E_UNSUPPORTED;
	}
	if (rdmsr(MSR_VM_CR) & VM_CR_SVMDIS) {
		log_error("svm: SVM is disabled by firmware (VM_CR.SVMDIS)");
		return E_UNSUPPORTED;
	}
	return enable_this_cpu();
}

static void intercept_port(void *ctx, uint16_t port)
{
	(void)ctx;
	cpu()->iopm[port / 8] |= (uint8_t)(1u << (port % 8));
}

/* MSR permission map (APM 15.11): 2 bits per MSR, read then write, in
 * three 2 KiB blocks for 0x0.., 0xC0000000.. and 0xC0010000.. */
static void intercept_msr_bits(uint32_t msr, unsigned bits)
{
	uint32_t block, bit;

	if (msr < 0x2000)
		block = 0;
	else if (msr - 0xC0000000u < 0x2000)
		block = 0x800, msr -= 0xC0000000u;
	else
		block = 0x1000, msr -= 0xC0010000u;
	bit = msr * 2;
	cpu()->msrpm[block + bit / 8] |= (uint8_t)(bits << (bit % 8));
}

static void intercept_msr(uint32_t msr)
{
	intercept_msr_bits(msr, 3);	/* read and write */
}

static struct x86_features host_features;
static struct x86_features guest_features;	/* what CPUID tells the guest */

/* The MSR policy's intercepts (vmm/vcpu.h), and the host values it keeps. */
static void setup_msr_policy(void)
{
	struct msr_intercept list[MAX_MSR_INTERCEPTS];
	struct x86_features guest;
	uint64_t mtrrcap = (host_features.l1_edx & (1u << 12)) ? rdmsr(0xFE) : 0;
	unsigned n;

	guest = host_features;
	guest.e1_ecx &= ~(1u << 2);	/* no SVM for the guest (cpu_policy_cpuid) */
	guest.l1_ecx &= ~(1u << 5);	/* nor VMX */
	cpu_policy_set_features(&guest);
	guest_features = guest;
	n = cpu_policy_msr_intercepts(mtrrcap, list, MAX_MSR_INTERCEPTS);
	for (unsigned i = 0; i < n; i++) {
		intercept_msr_bits(list[i].msr, list[i].read ? 3 : 2);
		if (list[i].read)
			cpu_policy_set_host_msr(list[i].msr, rdmsr(list[i].msr));
	}
	cpu_policy_set_host_msr(0xC0010015, rdmsr(0xC0010015));	/* HWCR: on every AMD64 */
	log_info("svm msr policy intercepts=%u mtrrcap=0x%llx", n, (unsigned long long)mtrrcap);
}

static struct vmcb_seg seg(uint16_t sel, uint16_t attrib, uint32_t limit)
{
	return (struct vmcb_seg){ sel, attrib, limit, 0 };
}

/* The control area every vCPU starts from: the same intercepts, the shared
 * I/O and MSR permission maps and nested tables, the one guest ASID. */
static void init_control(void)
{
	struct vmcb_control *c = &cpu()->vmcb->ctl;

	memset(cpu()->vmcb, 0, sizeof(*cpu()->vmcb));
	/* INIT: a guest-caused INIT (a forged interrupt message, an IPI
	 * that got through) becomes an exit, the guest's reset request,
	 * instead of silently resetting the CPU under shoji (APM 15.13.3). */
	/* CR0 and CR4 writes (vmm/cr_write.h): a value the architecture
	 * refuses must raise #GP, as on hardware, not land in the VMCB (TCG
	 * takes NW without CD, drops CR0[63:32] and hangs on reserved CR4
	 * bits; a CPU may have CR4 bits CPUID hides from the guest). All CR0
	 * writes, not the selective intercept: TCG drops CR0[63:32] before
	 * that check, and Linux (eager FPU) writes CR0 a few times per boot. */
	c->intercept_cr = SVM_INTERCEPT_CR_WRITE(0) | SVM_INTERCEPT_CR_WRITE(4);
	c->intercept_misc1 = SVM_INTERCEPT_NMI | SVM_INTERCEPT_INIT | SVM_INTERCEPT_SMI |
			     SVM_INTERCEPT_CPUID |
			     SVM_INTERCEPT_IOIO |
			     SVM_INTERCEPT_MSR | SVM_INTERCEPT_SHUTDOWN | SVM_INTERCEPT_INVD;
	c->intercept_misc2 = SVM_INTERCEPT_VMRUN | SVM_INTERCEPT_VMMCALL | SVM_INTERCEPT_VMLOAD |
			     SVM_INTERCEPT_VMSAVE | SVM_INTERCEPT_STGI | SVM_INTERCEPT_CLGI |
			     SVM_INTERCEPT_SKINIT;
	c->iopm_base_pa = shared_iopm_pa;
	c->msrpm_base_pa = shared_msrpm_pa;
	c->guest_asid = GUEST_ASID;
	c->tlb_control = 1;
	c->np_enable = 1;
	c->n_cr3 = shared_ncr3;
	cpu()->flush_tlb = true;
}

static int svm_setup_guest(paddr_t ncr3, const struct vcpu_entry *e)
{
	paddr_t iopm_pa = 0, msrpm_pa = 0;
	struct vmcb_save *s = &cpu()->vmcb->save;
	int rc;

	cpu()->iopm = zalloc_pages(IOPM_PAGES, &iopm_pa);
	cpu()->msrpm = zalloc_pages(MSRPM_PAGES, &msrpm_pa);
	if (!cpu()->iopm || !cpu()->msrpm)
		return E_NOMEM;
	shared_iopm_pa = iopm_pa;
	shared_msrpm_pa = msrpm_pa;
	shared_ncr3 = ncr3;
	rc = vcpu_io_intercepts("svm", intercept_port, NULL);
	if (rc)
		return rc;
	intercept_msr(MSR_EFER);
	intercept_msr(MSR_VM_CR);
	intercept_msr(MSR_VM_HSAVE_PA);
	intercept_msr(0xC0010118);	/* SVM_KEY */
	intercept_msr(MSR_IA32_APIC_BASE);
	intercept_msr(X2APIC_MSR_ICR);
	host_features = x86_features_of_this_cpu();
	setup_msr_policy();

	init_control();

	if (e->mode == VCPU_ENTRY_REAL) {
		/* As the BIOS jumps to a boot sector: real mode, 64 KiB segments
		 * based at selector * 16, the vector table at 0 (vcpu.h). */
		s->cs = seg(e->cs, 0x9b, 0xffff);	/* present code, exec/read, 16-bit */
		s->cs.base = (uint64_t)e->cs << 4;
		s->ds = s->es = s->ss = s->fs = s->gs = seg(0, 0x93, 0xffff);
		s->tr = seg(0, 0x8b, 0xffff);		/* busy TSS, as after reset */
		s->ldtr = seg(0, 0x82, 0xffff);
		s->gdtr = seg(0, 0, 0xffff);
		s->idtr = seg(0, 0, 0x3ff);
		s->cr0 = 1ULL << 4;			/* ET; PE, PG clear */
	} else {
		/* PVH entry state (Xen docs/misc/pvh.pandoc): 32-bit protected
		 * mode, paging off, flat 4 GiB code and data segments, EBX =
		 * start info. */
		s->cs = seg(0x10, 0xc9b, 0xffffffff);	/* code, exec/read, 32-bit, 4 KiB granular */
		s->ds = s->es = s->ss = s->fs = s->gs = seg(0x18, 0xc93, 0xffffffff);
		s->tr = seg(0x20, 0x8b, 0x67);		/* busy 32-bit TSS */
		s->ldtr = seg(0, 0x82, 0);
		s->gdtr = seg(0, 0, 0);
		s->idtr = seg(0, 0, 0);
		s->cr0 = CR0_PE | (1ULL << 4);		/* PE, ET */
	}
	s->cr4 = 0;
	s->efer = EFER_SVME;			/* required by VMRUN; hidden from the guest */
	s->rflags = 0x2;
	s->rip = e->rip;
	s->rsp = 0;
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x400;
	s->g_pat = 0x0007040600070406ULL;	/* the reset value */
	memset(&cpu()->regs, 0, sizeof(cpu()->regs));
	cpu()->regs.rbx = e->rbx;
	cpu()->regs.rdx = e->rdx;
	return 0;
}

/* The guest-state checks VMRUN would make on real hardware (APM 15.5.1);
 * TCG skips some, so an invalid state could run instead of failing. */
static const char *check_vmcb(void)
{
	const struct vmcb_save *s = &cpu()->vmcb->save;
	struct x86_guest_state g = {
		.efer = s->efer, .cr0 = s->cr0, .cr3 = s->cr3, .cr4 = s->cr4,
		.dr6 = s->dr6, .dr7 = s->dr7, .cs_attrib = s->cs.attrib,
	};
	const char *why = x86_guest_state_check(&g, &host_features);

	if (why)
		return why;
	if (!(cpu()->vmcb->ctl.intercept_misc2 & SVM_INTERCEPT_VMRUN))
		return "VMRUN not intercepted";
	if (cpu()->vmcb->ctl.guest_asid == 0)
		return "ASID 0";
	return NULL;
}

static void inject_gp(void)
{
	cpu()->vmcb->ctl.event_inj = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXCP | SVM_EVTINJ_ERR_VALID | 13;
}

static void inject_ud(void)
{
	cpu()->vmcb->ctl.event_inj = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_EXCP | 6;
}

static void skip(unsigned len)
{
	cpu()->vmcb->save.rip += len;
}

/* The full register file, as the back-end-neutral code sees it: RAX and
 * RSP from the VMCB. */
static void regs_out(struct vcpu_regs *r)
{
	*r = cpu()->regs;
	r->rax = cpu()->vmcb->save.rax;
	r->rsp = cpu()->vmcb->save.rsp;
}

static void regs_in(const struct vcpu_regs *r)
{
	cpu()->regs = *r;
	cpu()->vmcb->save.rax = r->rax;
	cpu()->vmcb->save.rsp = r->rsp;
}

static struct guest_paging paging(void)
{
	struct guest_paging pg = {
		.cr0 = cpu()->vmcb->save.cr0, .cr3 = cpu()->vmcb->save.cr3, .cr4 = cpu()->vmcb->save.cr4,
		.efer = cpu()->vmcb->save.efer, .user = cpu()->vmcb->save.cpl == 3,
	};

	return pg;
}

static enum x86_mode guest_mode(void)
{
	const struct vmcb_save *s = &cpu()->vmcb->save;

	return x86_mode_of(s->efer & EFER_LMA, s->cs.attrib & 0x200, s->cs.attrib & 0x400);
}

static struct vmcb_seg *seg_of(enum x86_seg sg)
{
	struct vmcb_save *s = &cpu()->vmcb->save;

	switch (sg) {
	case X86_SEG_ES: return &s->es;
	case X86_SEG_CS: return &s->cs;
	case X86_SEG_SS: return &s->ss;
	case X86_SEG_DS: return &s->ds;
	case X86_SEG_FS: return &s->fs;
	case X86_SEG_GS: return &s->gs;
	}
	return &s->ds;
}

static uint64_t seg_base_of(enum x86_seg sg)
{
	return seg_of(sg)->base;
}

static uint16_t seg_sel_of(enum x86_seg sg)
{
	return seg_of(sg)->selector;
}

static void set_cs_real(uint16_t sel)
{
	cpu()->vmcb->save.cs.selector = sel;
	cpu()->vmcb->save.cs.base = (uint64_t)sel << 4;
}

static uint64_t get_rip(void)
{
	return cpu()->vmcb->save.rip;
}

static void set_rip(uint64_t rip)
{
	cpu()->vmcb->save.rip = rip;
}

static uint64_t get_rflags(void)
{
	return cpu()->vmcb->save.rflags;
}

static void set_rflags(uint64_t rflags)
{
	cpu()->vmcb->save.rflags = rflags;
}

static uint64_t get_cr0(void)
{
	return cpu()->vmcb->save.cr0;
}

static uint64_t get_cr4(void)
{
	return cpu()->vmcb->save.cr4;
}

static uint64_t get_efer(void)
{
	return cpu()->vmcb->save.efer;
}

static void set_efer(uint64_t efer)
{
	cpu()->vmcb->save.efer = efer;
}

static struct vcpu_stats *stats_of(void)
{
	return &cpu()->stats;
}

static unsigned get_cpl(void)
{
	return cpu()->vmcb->save.cpl;
}

/* vcpu_exit_ops.followon_blocked (APM 15.20 EVENTINJ, 15.7.2 EXITINTINFO,
 * 15.21.5 the interrupt shadow; DR7 L0-G3 in bits 7:0, APM 13.1.1.5). */
static bool followon_blocked(void)
{
	const struct vmcb *v = cpu()->vmcb;

	return (v->ctl.exit_int_info & SVM_EVTINJ_VALID) || (v->ctl.event_inj & SVM_EVTINJ_VALID) ||
	       (v->ctl.interrupt_shadow & 1) || (v->save.dr7 & 0xff);
}

static NORETURN void stop_guest(const char *why);

static const struct vcpu_exit_ops svm_exit = {
	.name = "svm",
	.regs_out = regs_out,
	.regs_in = regs_in,
	.rip = get_rip,
	.set_rip = set_rip,
	.rflags = get_rflags,
	.set_rflags = set_rflags,
	.mode = guest_mode,
	.paging = paging,
	.seg_base = seg_base_of,
	.cr0 = get_cr0,
	.cr4 = get_cr4,
	.efer = get_efer,
	.set_efer = set_efer,
	.seg_sel = seg_sel_of,
	.set_cs_real = set_cs_real,
	.inject_gp = inject_gp,
	.inject_ud = inject_ud,
	.cpl = get_cpl,
	.followon_blocked = followon_blocked,
	.stats = stats_of,
	.stop = stop_guest,
};

static void log_guest_state(const char *why)
{
	const struct vmcb_save *s = &cpu()->vmcb->save;

	log_error("guest stopped: %s", why);
	log_error("guest rip=0x%llx rsp=0x%llx rflags=0x%llx cs=0x%x cpl=%u",
		  (unsigned long long)s->rip, (unsigned long long)s->rsp,
		  (unsigned long long)s->rflags, s->cs.selector, s->cpl);
	log_error("guest cr0=0x%llx cr2=0x%llx cr3=0x%llx cr4=0x%llx efer=0x%llx",
		  (unsigned long long)s->cr0, (unsigned long long)s->cr2,
		  (unsigned long long)s->cr3, (unsigned long long)s->cr4,
		  (unsigned long long)(s->efer & ~EFER_SVME));
	log_error("guest rax=0x%llx rbx=0x%llx rcx=0x%llx rdx=0x%llx exitcode=0x%llx "
		  "info1=0x%llx info2=0x%llx intinfo=0x%llx",
		  (unsigned long long)s->rax, (unsigned long long)cpu()->regs.rbx,
		  (unsigned long long)cpu()->regs.rcx, (unsigned long long)cpu()->regs.rdx,
		  (unsigned long long)cpu()->vmcb->ctl.exit_code, (unsigned long long)cpu()->vmcb->ctl.exit_info1,
		  (unsigned long long)cpu()->vmcb->ctl.exit_info2, (unsigned long long)cpu()->vmcb->ctl.exit_int_info);
}

static NORETURN void stop_guest(const char *why)
{
	log_guest_state(why);
	shoji_stop(STOP_FAILURE);
}

/* Not a stop: one line that says where the guest was. */
static void log_reset_request(const char *what)
{
	const struct vmcb_save *s = &cpu()->vmcb->save;

	log_info("guest %s rip=0x%llx cs=0x%x cr0=0x%llx: the guest's reset request", what,
		 (unsigned long long)s->rip, s->cs.selector, (unsigned long long)s->cr0);
}

/* IOIO exits (APM 15.10.2): EXITINFO1 names the port, size, direction and
 * string/REP; EXITINFO2 is the next instruction's RIP. What the access
 * means is vmm/vcpu_exit.h's (trapped ports, the reset and power ports,
 * APMC, the PCI configuration ports); TCG has no decode assist for INS/OUTS:
 * vcpu_exit decodes them from the bytes. */
static void handle_io(void)
{
	uint64_t info = cpu()->vmcb->ctl.exit_info1;
	struct vcpu_io io = {
		.port = SVM_IOIO_PORT(info), .size = (uint8_t)SVM_IOIO_SIZE(info),
		.in = info & SVM_IOIO_IN, .string = info & SVM_IOIO_STR,
		.rep = info & SVM_IOIO_REP,
		.len = (uint8_t)(cpu()->vmcb->ctl.exit_info2 - cpu()->vmcb->save.rip),
	};

	vcpu_exit_io(&svm_exit, &io);
}

/* An SMI arrived while the guest ran. It stays pending until GIF is set
 * (APM 15.17, 15.22): open the window so the firmware's SMI handler runs in
 * shoji's context, not the guest's (QEMU would otherwise run SMM code
 * through the guest's nested page tables, where the guest can put its own). */
static void handle_smi(void)
{
	__asm__ volatile("stgi\n\tclgi" ::: "memory");
}

/* An NMI arrived while the guest ran. It stays pending until GIF is set
 * (APM 15.17): open the window so the host takes it, then see whether the
 * IOMMU raised it. An NMI that was not the IOMMU's is the guest's (its
 * watchdog, its IPIs): give it back, unless it was a kick (kick.h). */
static void handle_nmi(void)
{
	bool ours, kicked;

	__asm__ volatile("stgi\n\tclgi" ::: "memory");
	kicked = cpu_take_kicks();
	ours = iommu_fault_pending();
	if (ours)
		cpu()->stats.fault_nmis += iommu_poll_faults() ? 1 : 0;
	else if (!kicked)
		cpu()->vmcb->ctl.event_inj = SVM_EVTINJ_VALID | SVM_EVTINJ_TYPE_NMI | 2;
	/* A kick's work (an INIT to take, a TLB to flush) is done before the
	 * next VMRUN (run_loop). */
}

/* An intercepted MOV to CR0 (or LMSW, CLTS) or CR4: decoded
 * from the bytes at CS:RIP (no decode assists on TCG), checked and applied
 * by vmm/cr_write.h; a refused value raises #GP with nothing changed. */
static void handle_cr_write(unsigned cr)
{
	struct vmcb_save *s = &cpu()->vmcb->save;
	enum x86_mode mode = guest_mode();
	struct cr_state st = {
		.cr0 = s->cr0, .cr3 = s->cr3, .cr4 = s->cr4, .efer = s->efer & ~EFER_SVME,
		.cs_l = s->cs.attrib & 0x200,
	};
	uint8_t bytes[X86_MAX_INSN_LEN];
	struct cr_insn insn;
	struct vcpu_regs r;
	const char *why = NULL;
	uint64_t value;
	bool flush = false;

	int rc = cr_insn_decode(bytes, vcpu_fetch_insn(&svm_exit, bytes), mode, &insn, &why);

	if (rc == 0 && insn.cr != cr) {
		rc = E_UNSUPPORTED;
		why = "a write to another control register";
	}
	if (rc) {
		log_error("guest cr%u write: the instruction at rip is not one shoji emulates: %s",
			  cr, why);
		log_guest_state("a control-register write shoji cannot emulate");
		shoji_stop(STOP_FAILURE);
	}
	regs_out(&r);
	value = cr_insn_value(&insn, insn.kind == CR_INSN_CLTS ? 0 : x86_reg_get(&r, insn.gpr), mode,
			      s->cr0);
	why = cr == 0 ? cr0_write(&st, value, &flush) : cr4_write(&st, value, &guest_features, &flush);
	if (why) {
		log_warn("guest cr%u write refused (#GP) value=0x%llx: %s", cr,
			 (unsigned long long)value, why);
		inject_gp();
		return;
	}
	s->cr0 = st.cr0;
	s->cr4 = st.cr4;
	s->efer = st.efer | EFER_SVME;
	cpu()->flush_tlb |= flush;
	s->rip += insn.len;
}

/* A nested-table change is flushed on every CPU before the changing CPU
 * relies on it: a CPU that is not in the guest flushes at its next VMRUN
 * (it compares npt_generation() after setting in_guest); one in the guest
 * is made to exit, and this CPU waits (bounded) until it has. */
#define SHOOTDOWN_TIMEOUT_US 100000

static bool behind(unsigned i, uint64_t gen)
{
	return __atomic_load_n(&cpus[i].in_guest, __ATOMIC_SEQ_CST) &&
	       __atomic_load_n(&cpus[i].npt_seen, __ATOMIC_SEQ_CST) < gen;
}

static void npt_shootdown(void)
{
	uint64_t gen = npt_generation();
	unsigned me = hal_cpu_index();
	uint32_t wait = 0;
	struct deadline d;

	for (unsigned i = 0; i < SHOJI_MAX_CPUS; i++)
		if (i != me && behind(i, gen)) {
			wait |= 1u << i;
			cpu_kick(i);
		}
	if (!wait)
		return;
	d = deadline_in_us(SHOOTDOWN_TIMEOUT_US);
	for (unsigned i = 0; i < SHOJI_MAX_CPUS; i++) {
		while ((wait & (1u << i)) && behind(i, gen)) {
			if (deadline_passed(&d)) {
				log_warn("svm: cpu=%u did not leave the guest for a nested-table flush "
					 "within %u ms", i, SHOOTDOWN_TIMEOUT_US / 1000);
				return;
			}
		}
	}
}

/* vcpu_backend.set_read_page: the entry, then, when the page is hidden,
 * every CPU still in the guest made to exit, so none keeps reading a page
 * that was just hidden. Showing it needs no exit: no translation is cached
 * for an entry that is not present (SDM vol. 3A 4.10.2.3; the same holds for
 * the nested walk), so another CPU either faults into the trapped access,
 * which returns the same values, or already reads the page; each flushes at
 * its next VMRUN anyway (the generation moved). */
static int svm_set_read_page(paddr_t gpa, paddr_t page)
{
	int rc = npt_set_read_page(gpa, page);

	if (!rc && !page)
		npt_shootdown();
	return rc;
}

static void handle_npf(void)
{
	paddr_t gpa = cpu()->vmcb->ctl.exit_info2;
	bool write = cpu()->vmcb->ctl.exit_info1 & 2;	/* #PF error code W (APM 15.25.6) */
	const struct protected_range *h = npt_mmio_hole(gpa);

	cpu()->stats.npf++;
	if (h) {
		vcpu_exit_mmio(&svm_exit, h, gpa, write, cpu()->vmcb->ctl.exit_info1 & NPF_FETCH);
		return;
	}
	cpu()->stats.npf_forbidden++;
	switch (npt_handle_fault(gpa, cpu()->vmcb->ctl.exit_info1)) {
	case NPT_FAULT_HANDLED:
		cpu()->flush_tlb = true;
		npt_shootdown();
		break;
	case NPT_FAULT_EXEC:
		log_guest_state("instruction fetch from protected memory");
		shoji_stop(STOP_FAILURE);
	case NPT_FAULT_UNEXPECTED:
		log_guest_state("nested page fault outside the guest's memory");
		shoji_stop(STOP_FAILURE);
	}
}

static void handle_exit(void)
{
	uint64_t code = cpu()->vmcb->ctl.exit_code;

	cpu()->stats.exits++;
	switch (code) {
	case SVM_EXIT_NMI:
		cpu()->stats.nmi++;
		handle_nmi();
		break;
	case SVM_EXIT_SMI:
		handle_smi();
		break;
	case SVM_EXIT_CPUID:
		cpu()->stats.cpuid++;
		vcpu_exit_cpuid(&svm_exit, 2);	/* 0f a2 */
		break;
	case SVM_EXIT_MSR:
		cpu()->stats.msr++;
		if (cpu()->vmcb->ctl.exit_info1 == 0)	/* APM 15.11 */
			vcpu_exit_rdmsr(&svm_exit, 2);	/* 0f 32 */
		else
			vcpu_exit_wrmsr(&svm_exit, 2);	/* 0f 30 */
		break;
	case SVM_EXIT_IOIO:
		cpu()->stats.io++;
		handle_io();
		break;
	case SVM_EXIT_NPF:
		handle_npf();
		break;
	case SVM_EXIT_CR0_WRITE:
		cpu()->stats.cr0_write++;
		handle_cr_write(0);
		break;
	case SVM_EXIT_CR4_WRITE:
		cpu()->stats.cr4_write++;
		handle_cr_write(4);
		break;
	case SVM_EXIT_VMMCALL:
		cpu()->stats.vmmcall++;
		vcpu_exit_vmmcall(&svm_exit, 3);	/* 0f 01 d9 */
		break;
	case SVM_EXIT_VMRUN:
	case SVM_EXIT_VMLOAD:
	case SVM_EXIT_VMSAVE:
	case SVM_EXIT_STGI:
	case SVM_EXIT_CLGI:
	case SVM_EXIT_SKINIT:
		/* SVM does not exist for the guest (CPUID says so): #UD. */
		inject_ud();
		break;
	case SVM_EXIT_INVD:
		__asm__ volatile("wbinvd");	/* never drop dirty lines the hypervisor owns */
		skip(2);
		break;
	case SVM_EXIT_SHUTDOWN:
		/* A triple fault resets a PC (the chipset turns the shutdown
		 * cycle into INIT): Linux's reboot=triple relies on it. */
		log_reset_request("triple fault (shutdown)");
		vcpu_power_ops()->guest_reset("triple-fault");
	case SVM_EXIT_INIT:
		log_reset_request("INIT signal");
		vcpu_power_ops()->guest_reset("init");
	case SVM_EXIT_INVALID:
		log_guest_state("VMRUN refused the guest state");
		shoji_stop(STOP_FAILURE);
	default:
		log_guest_state("unexpected exit");
		shoji_stop(STOP_FAILURE);
	}
}

/* The state a start-up IPI with this vector gives (vmm/cpu_start.h), in
 * a fresh control block: real mode at CS = vector << 8, IP = 0. */
static void load_sipi_state(uint8_t vector)
{
	struct vcpu_sipi_state st = cpu_start_sipi_state(vector);
	struct vmcb_save *s = &cpu()->vmcb->save;
	struct vmcb_seg data = { 0, 0x93, st.limit, 0 };	/* read/write, accessed */

	init_control();
	s->cs = (struct vmcb_seg){ st.cs_sel, 0x9b, st.limit, st.cs_base };
	s->ds = s->es = s->ss = s->fs = s->gs = data;
	s->tr = (struct vmcb_seg){ 0, 0x8b, st.limit, 0 };	/* busy 16-bit TSS */
	s->ldtr = (struct vmcb_seg){ 0, 0x82, st.limit, 0 };
	s->gdtr = (struct vmcb_seg){ 0, 0, st.limit, 0 };
	s->idtr = (struct vmcb_seg){ 0, 0, st.limit, 0 };
	s->cr0 = st.cr0;
	s->cr3 = s->cr4 = s->cr2 = 0;
	s->efer = EFER_SVME;			/* required by VMRUN; hidden from the guest */
	s->rflags = st.rflags;
	s->rip = st.rip;
	s->rsp = s->rax = 0;
	s->dr6 = 0xffff0ff0;
	s->dr7 = 0x400;
	s->g_pat = 0x0007040600070406ULL;
	s->cpl = 0;
	memset(&cpu()->regs, 0, sizeof(cpu()->regs));
	cpu()->regs.rdx = cpuid(1, 0).eax;	/* EDX after INIT: the processor signature */
}

/* Parked: this CPU waits in shoji, halted, for a start-up IPI the guest
 * sends it (vmm/cpu_start.h); a kick (NMI, GIF open while halted) wakes it
 * to look. Then it enters the guest at the vector, as hardware would. */
static void park_until_sipi(void)
{
	unsigned me = hal_cpu_index();
	uint8_t vector;

	while (!cpu_start_take_sipi(me, &vector)) {
		__asm__ volatile("stgi\n\thlt\n\tclgi" ::: "memory");
		cpu_take_kicks();
	}
	load_sipi_state(vector);
	apic_note_this_cpu();
	log_info("cpu start: cpu=%u apic_id=%u enters the guest vector=0x%x cs=0x%x", me,
		 percpu_of(me)->apic_id, vector, cpu()->vmcb->save.cs.selector);
}

/* An INIT the guest sent this running CPU (cpu_start: INIT_PENDING): it
 * leaves the guest's state behind and waits for a start-up IPI again. */
static void take_init(void)
{
	unsigned me = hal_cpu_index();

	log_info("cpu start: cpu=%u leaves the guest for INIT rip=0x%llx: waits for a "
		 "start-up IPI", me, (unsigned long long)cpu()->vmcb->save.rip);
	cpu_start_init_ack(me);
	park_until_sipi();
}

static NORETURN void run_loop(void)
{
	const char *bad = check_vmcb();

	if (bad) {
		log_guest_state(bad);
		shoji_stop(STOP_FAILURE);
	}
	log_info("guest start rip=0x%llx cpu=%u", (unsigned long long)cpu()->vmcb->save.rip,
		 hal_cpu_index());
	for (;;) {
		uint64_t t0, gen;

		if (cpu_start_init_pending(hal_cpu_index()))
			take_init();
		/* Clean bits are not honoured by TCG: everything is reloaded. */
		cpu()->vmcb->ctl.clean_bits = 0;
		if ((bad = check_vmcb())) {
			/* Every guest write that lands in the VMCB is validated
			 * when it is made; this catches what slipped through. */
			log_guest_state(bad);
			shoji_stop(STOP_FAILURE);
		}
		/* in_guest before reading the generation: a CPU that changes the
		 * nested tables after this reads in_guest and waits for us. */
		__atomic_store_n(&cpu()->in_guest, true, __ATOMIC_SEQ_CST);
		gen = npt_generation();
		if (gen != cpu()->npt_seen)
			cpu()->flush_tlb = true;
		__atomic_store_n(&cpu()->npt_seen, gen, __ATOMIC_SEQ_CST);
		cpu()->vmcb->ctl.tlb_control = cpu()->flush_tlb ? 1 : 0;
		cpu()->flush_tlb = false;

		svm_vmrun(cpu()->vmcb_pa, &cpu()->regs, cpu()->host_save_pa);
		__atomic_store_n(&cpu()->in_guest, false, __ATOMIC_SEQ_CST);
		t0 = rdtsc();
		prof_enter(PROF_EXIT);
		handle_exit();
		vcpu_run_exit_hook();
		prof_leave();
		cpu()->stats.tsc += rdtsc() - t0;
	}
}

/* vcpu_backend.kick_others: an NMI to every other CPU in the guest (one
 * that is not exits on its own and runs the exit hook anyway). */
static void svm_kick_others(void)
{
	unsigned me = hal_cpu_index();

	for (unsigned i = 0; i < SHOJI_MAX_CPUS; i++)
		if (i != me && percpu_of(i) && __atomic_load_n(&cpus[i].in_guest, __ATOMIC_SEQ_CST))
			cpu_kick(i);
}

static NORETURN void svm_run(void)
{
	apic_note_this_cpu();
	cpu_start_set_notify(cpu_kick);
	run_loop();
}

/* An application processor shoji started (core/smp.c): SVM on, then parked
 * until the guest starts it. */
static int svm_init_ap(void)
{
	return enable_this_cpu();
}

static NORETURN void svm_run_ap(void)
{
	park_until_sipi();
	run_loop();
}

const struct vcpu_backend svm_backend = {
	.name = "svm",
	.hypercall = { 0x0f, 0x01, 0xd9 },	/* VMMCALL */
	.init = svm_init,
	.build_nested = npt_build,
	.setup = svm_setup_guest,
	.set_read_page = svm_set_read_page,
	.set_exit_hook = vcpu_set_exit_hook,
	.set_vmmcall_handler = vcpu_set_vmmcall_handler,
	.set_realmode_call_handler = vcpu_set_realmode_call_handler,
	.set_power_ops = vcpu_set_power_ops,
	.stats = svm_stats,
	.hole_touches = npt_hole_touches,
	.run = svm_run,
	.init_ap = svm_init_ap,
	.run_ap = svm_run_ap,
	.kick_others = svm_kick_others,
};
