/* The Intel VT-x back-end: one vCPU, its VMCS, the run loop and exit
 * handling (Intel SDM vol. 3C chapters 24-29; section numbers of the 2022+
 * editions). The guest policy is the SVM back-end's: CPUID and MSR policy
 * (vmm/vcpu.h), the PCI configuration ports (vmm/pci_ports.h), the reset
 * and power paths (vmm/power.h), the APIC guard, the MMIO emulation
 * (vmm/x86_decode.h, vmm/mmio_emul.h) and the VMMCALL handler; the EPT is
 * derived from the same registry as the NPT (vmm/ept_guest.h). What is
 * VT-x's own is here: the VMCS, the bitmaps, the exit reasons and their
 * qualifications, event injection and the CR0/CR4 fixed bits. */
#include "arch/x86/cpu.h"
#include "arch/x86/guest_gprs.h"
#include "arch/x86/kick.h"
#include "arch/x86/lapic.h"
#include "arch/x86/percpu.h"
#include "arch/x86/stop.h"
#include "arch/x86/vmcs.h"
#include "arch/x86/vmx.h"
#include "arch/x86/vmx_vcpu.h"
#include "iommu/iommu.h"
#include "lib/error.h"
#include "lib/hal.h"
#include "lib/log.h"
#include "lib/prof.h"
#include "lib/spinlock.h"
#include "lib/string.h"
#include "platform/palloc.h"
#include "vmm/apic_guard.h"
#include "vmm/chipset_guard.h"
#include "vmm/cpu_state_check.h"
#include "vmm/cpu_start.h"
#include "vmm/cr_write.h"
#include "vmm/ept_guest.h"
#include "vmm/guest_mem.h"
#include "vmm/io_string.h"
#include "vmm/io_trap.h"
#include "vmm/mmio_emul.h"
#include "vmm/pci_ports.h"
#include "vmm/power.h"
#include "vmm/vcpu_exit.h"
#include "vmm/vmx_error.h"
#include "vmm/x86_decode.h"

#define GUEST_VPID 1
#define MAX_MSR_INTERCEPTS 64
#define CR4_VMXE (1ULL << 13)
#define CR4_OSXSAVE (1ULL << 18)
#define CR0_ET (1ULL << 4)
#define CPUID_1_ECX_VMX (1u << 5)
#define CPUID_1_ECX_XSAVE (1u << 26)
#define MSR_IA32_PAT 0x277
#define MSR_FS_BASE 0xC0000100
#define MSR_GS_BASE 0xC0000101
#define RFLAGS_FIXED 0x2ULL

/* Everything one virtual CPU owns (docs/smp.md: per-CPU vs global state),
 * reached only through cpu(), which picks the running CPU's. Other CPUs
 * touch nothing of it; kicks are arch/x86/kick.h's. */
struct vmx_cpu {
	paddr_t vmxon_pa, vmcs_pa;	/* this CPU's VMXON region and VMCS */
	struct vcpu_regs regs;		/* RSP lives in the VMCS: synced around handlers */
	bool launched;			/* VMRESUME from now on */
	bool nmi_for_guest;		/* an NMI to give back at the NMI window */
	uint32_t proc;			/* the primary controls as programmed now */
	struct vcpu_stats stats;
	uint64_t ept_seen;		/* ept_generation at this CPU's last INVEPT */
	/* Between the checks before VM entry and the VM exit (atomic: other
	 * CPUs read it to kick only CPUs that run the guest). */
	bool in_guest;
};

static struct vmx_cpu cpus[SHOJI_MAX_CPUS];

static inline struct vmx_cpu *cpu(void)
{
	return &cpus[hal_cpu_index()];
}

/* Global, written by the boot CPU before the guest runs, read-only after:
 * the I/O bitmaps A then B (2 pages) and the MSR bitmap (1 page), which
 * every CPU's VMCS points at. */
static uint8_t *io_bitmap, *msr_bitmap;
static paddr_t io_bitmap_pa, msr_bitmap_pa;
/* The EPT's stand-in pages are put in under ept_lock (docs/smp.md: the
 * same place in the lock order as npt_lock); each change bumps
 * ept_generation, and a CPU whose ept_seen is behind flushes its cached
 * translations (INVEPT) before its next VM entry. Only ever a hole
 * becoming a stand-in: nothing is taken away from a CPU that still has it
 * cached, so no CPU has to be made to exit. */
static struct spinlock ept_lock = SPINLOCK_INIT;
static uint64_t ept_generation;

static struct vmx_config cfg;		/* from the capability MSRs */
static struct ept_guest ept;
static uint64_t eptp;
static struct x86_features host_features, guest_features;
static uint64_t cr0_mask, cr4_mask;
static const struct vcpu_exit_ops vmx_exit;	/* below */

/* arch/x86/vmx_run.S */
int vmx_enter(struct vcpu_regs *regs, int launched);
extern const char vmx_exit_entry[];

/* Summed over the CPUs (the VMMCALL status and the bench read them; they
 * are counters, a torn sum while another CPU exits is off by a few). */
static const struct vcpu_stats *vmx_stats(void)
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

static uint64_t vmx_hole_touches(void)
{
	return ept.touches;
}

/* The VM-instruction error of the current VMCS, as text. */
static void log_insn_error(const char *what, int rc, uint64_t field)
{
	uint64_t err = 0;

	if (rc == VMX_FLAGS_FAIL_VALID && !vmread_checked(VMCS_INSN_ERROR, &err))
		log_error("vmx: %s field=0x%llx failed: error=%llu (%s)", what,
			  (unsigned long long)field, (unsigned long long)err,
			  vmx_insn_error_str((uint32_t)err));
	else
		log_error("vmx: %s field=0x%llx failed: VMfailInvalid (no current VMCS)", what,
			  (unsigned long long)field);
}

/* VMREAD/VMWRITE of fields shoji knows exist: a failure is a bug in shoji
 * (or a CPU that lied in its capability MSRs), never the guest's doing. */
static uint64_t vr(uint64_t field)
{
	uint64_t v;
	int rc = vmread_checked(field, &v);

	if (rc) {
		log_insn_error("VMREAD", rc, field);
		shoji_stop(STOP_FAILURE);
	}
	return v;
}

static void vw(uint64_t field, uint64_t value)
{
	int rc = vmwrite_checked(field, value);

	if (rc) {
		log_insn_error("VMWRITE", rc, field);
		shoji_stop(STOP_FAILURE);
	}
}

static void *zalloc_pages(unsigned n, paddr_t *pa)
{
	paddr_t p;

	if (palloc_alloc(n, PAGE_SIZE, &p))
		return NULL;
	*pa = p;
	return hal_phys_to_virt(p);
}

/* A VMXON region or VMCS: zeroed, the revision identifier in its first
 * dword, bit 31 clear (24.2, 25.2). */
static void *vmx_region(paddr_t *pa)
{
	uint32_t *p = zalloc_pages(1, pa);

	if (p)
		p[0] = cfg.revision;
	return p;
}

/* VMX operation on the running CPU (every CPU's own: IA32_FEATURE_CONTROL,
 * CR0/CR4 and VMXON are per logical processor). SDM 24.7:
 * IA32_FEATURE_CONTROL must allow VMXON outside SMX and be locked; VMXON
 * needs CR4.VMXE and the CR0/CR4 fixed bits. Its own VMXON region and
 * VMCS, the VMCS current. */
static int enable_this_cpu(void)
{
	uint64_t fc;
	int rc;

	if (!(cpuid(1, 0).ecx & CPUID_1_ECX_VMX)) {
		log_error("vmx: cpu=%u has no VT-x", hal_cpu_index());
		return E_UNSUPPORTED;
	}
	fc = rdmsr(MSR_IA32_FEATURE_CONTROL);
	if ((fc & FEATURE_CONTROL_LOCK) && !(fc & FEATURE_CONTROL_VMX_OUTSIDE_SMX)) {
		log_error("vmx: cpu=%u: VT-x is disabled by firmware (IA32_FEATURE_CONTROL=0x%llx)",
			  hal_cpu_index(), (unsigned long long)fc);
		return E_UNSUPPORTED;
	}
	if (!(fc & FEATURE_CONTROL_LOCK)) {
		fc |= FEATURE_CONTROL_LOCK | FEATURE_CONTROL_VMX_OUTSIDE_SMX;
		wrmsr(MSR_IA32_FEATURE_CONTROL, fc);
		log_info("vmx feature_control=0x%llx cpu=%u: VMX outside SMX enabled and locked by "
			 "shoji", (unsigned long long)fc, hal_cpu_index());
	}
	write_cr0(vmx_fixed_apply(read_cr0(), cfg.cr0_fixed0, cfg.cr0_fixed1));
	write_cr4(vmx_fixed_apply(read_cr4() | CR4_VMXE, cfg.cr4_fixed0, cfg.cr4_fixed1));
	/* XSETBV exits and is done by shoji for the guest (handle_xsetbv):
	 * it needs CR4.OSXSAVE in the host (SDM vol. 2 XSETBV: #UD without). */
	if (cpuid(1, 0).ecx & CPUID_1_ECX_XSAVE)
		write_cr4(read_cr4() | CR4_OSXSAVE);
	if (!vmx_region(&cpu()->vmxon_pa) || !vmx_region(&cpu()->vmcs_pa))
		return E_NOMEM;
	rc = vmxon(cpu()->vmxon_pa);
	if (rc) {
		log_error("vmx: VMXON failed (%s)", rc == VMX_FLAGS_FAIL_INVALID ?
			  "VMfailInvalid: the VMXON region or its revision was refused" :
			  "VMfailValid: already in VMX operation");
		return E_UNSUPPORTED;
	}
	rc = vmclear(cpu()->vmcs_pa);
	if (!rc)
		rc = vmptrld(cpu()->vmcs_pa);
	if (rc) {
		log_insn_error("VMCLEAR/VMPTRLD", rc, 0);
		return E_UNSUPPORTED;
	}
	log_info("vmx enabled cpu=%u vmxon=0x%llx vmcs=0x%llx vpid=%u cr0=0x%llx cr4=0x%llx",
		 hal_cpu_index(), (unsigned long long)cpu()->vmxon_pa,
		 (unsigned long long)cpu()->vmcs_pa, cfg.vpid ? GUEST_VPID : 0,
		 (unsigned long long)read_cr0(), (unsigned long long)read_cr4());
	return 0;
}

static int vmx_init(void)
{
	if (vmx_probe(&cfg))
		return E_UNSUPPORTED;
	return enable_this_cpu();
}

static paddr_t vmx_build_nested(const struct memmap *m, uint64_t top)
{
	int rc = ept_guest_build(&ept, m, top, cfg.ept_2m, cfg.ept_1g);

	if (rc) {
		log_error("vmx: EPT not built (%s)", err_str(rc));
		return 0;
	}
	for (unsigned i = 0; i < protect_count(); i++) {
		const struct protected_range *r = protect_get(i);

		if (ept_guest_shapes(r))
			log_info("ept hole %s 0x%llx-0x%llx traps=%s", r->what,
				 (unsigned long long)r->start, (unsigned long long)r->end,
				 !r->mmio ? "none(forbidden)"
				 : (r->forbids & PROTECT_CPU_READ) ? "reads,writes" : "writes");
	}
	log_info("ept root=0x%llx top=0x%llx table_pages=%u runs=%u page=%s",
		 (unsigned long long)ept.ept.root, (unsigned long long)top, ept.ept.tables,
		 ept.leaves, cfg.ept_1g ? "1G" : cfg.ept_2m ? "2M" : "4K");
	return ept.ept.root;
}

/* I/O bitmaps (25.6.4): A covers ports 0-0x7fff, B 0x8000-0xffff; a set
 * bit makes the port exit. */
static void intercept_port(void *ctx, uint16_t port)
{
	(void)ctx;
	io_bitmap[port / 8] |= (uint8_t)(1u << (port % 8));
}

/* MSR bitmap (25.6.9): read-low, read-high, write-low, write-high, 1 KiB
 * each, for 0x0-0x1fff and 0xC0000000-0xC0001fff. Every other MSR exits
 * anyway. */
static void intercept_msr_bits(uint32_t msr, bool read, bool write)
{
	uint32_t off;

	if (msr < 0x2000)
		off = 0;
	else if (msr - 0xC0000000u < 0x2000)
		off = 1024, msr -= 0xC0000000u;
	else
		return;
	if (read)
		msr_bitmap[off + msr / 8] |= (uint8_t)(1u << (msr % 8));
	if (write)
		msr_bitmap[2048 + off + msr / 8] |= (uint8_t)(1u << (msr % 8));
}

/* The MSR policy's intercepts and the host values it keeps (as on SVM),
 * and the VT-x MSRs the guest must not see. */
static int setup_msr_policy(void)
{
	struct msr_intercept list[MAX_MSR_INTERCEPTS];
	uint64_t mtrrcap = (host_features.l1_edx & (1u << 12)) ? rdmsr(0xFE) : 0;
	unsigned n, nv;

	guest_features = host_features;
	guest_features.l1_ecx &= ~CPUID_1_ECX_VMX;	/* cpu_policy_cpuid hides it */
	cpu_policy_set_features(&guest_features);
	n = cpu_policy_msr_intercepts(mtrrcap, list, MAX_MSR_INTERCEPTS);
	if (n >= MAX_MSR_INTERCEPTS) {
		log_error("vmx: the MSR policy has %u intercepts or more, room for %u", n,
			  MAX_MSR_INTERCEPTS);
		return E_RANGE;
	}
	nv = cpu_policy_vmx_msr_intercepts(list + n, MAX_MSR_INTERCEPTS - n);
	for (unsigned i = 0; i < n + nv; i++) {
		intercept_msr_bits(list[i].msr, list[i].read, true);
		if (list[i].read && i < n)
			cpu_policy_set_host_msr(list[i].msr, rdmsr(list[i].msr));
	}
	cpu_policy_set_host_msr(MSR_IA32_FEATURE_CONTROL, rdmsr(MSR_IA32_FEATURE_CONTROL));
	log_info("vmx msr policy intercepts=%u vmx_msrs=%u mtrrcap=0x%llx", n, nv,
		 (unsigned long long)mtrrcap);
	return 0;
}

static int setup_intercepts(void)
{
	int rc;

	io_bitmap = zalloc_pages(2, &io_bitmap_pa);
	msr_bitmap = zalloc_pages(1, &msr_bitmap_pa);
	if (!io_bitmap || !msr_bitmap)
		return E_NOMEM;
	rc = vcpu_io_intercepts("vmx", intercept_port, NULL);
	if (rc)
		return rc;
	intercept_msr_bits(MSR_EFER, true, true);	/* validated, kept in the VMCS */
	intercept_msr_bits(MSR_IA32_APIC_BASE, true, true);
	intercept_msr_bits(X2APIC_MSR_ICR, true, true);
	host_features = x86_features_of_this_cpu();
	return setup_msr_policy();
}

struct dt_ptr {
	uint16_t limit;
	uint64_t base;
} PACKED;

static uint16_t read_tr(void)
{
	uint16_t sel;

	__asm__ volatile("str %0" : "=r"(sel));
	return sel;
}

#define READ_SEG(name)                                                   \
	static uint16_t read_##name(void)                                \
	{                                                                \
		uint16_t sel;                                            \
		__asm__ volatile("mov %%" #name ", %0" : "=r"(sel));     \
		return sel;                                              \
	}
READ_SEG(cs)
READ_SEG(ss)
READ_SEG(ds)
READ_SEG(es)
READ_SEG(fs)
READ_SEG(gs)

/* The TSS base from its 16-byte system descriptor (SDM 3A 8.2.3). */
static uint64_t tss_base(const struct dt_ptr *gdt, uint16_t sel)
{
	const uint64_t *d = (const uint64_t *)(gdt->base + (sel & ~7u));

	return ((d[0] >> 16) & 0xffffff) | (((d[0] >> 56) & 0xff) << 24) | (d[1] << 32);
}

/* Host state (25.5, checked at entry by 28.2.2-28.2.4): shoji as it runs
 * now; RSP is written by vmx_enter, RIP is the exit stub. */
static void setup_host_state(void)
{
	struct dt_ptr gdt, idt;
	uint16_t tr = read_tr();

	__asm__ volatile("sgdt %0" : "=m"(gdt));
	__asm__ volatile("sidt %0" : "=m"(idt));
	vw(VMCS_HOST_CR0, read_cr0());
	vw(VMCS_HOST_CR3, read_cr3());
	vw(VMCS_HOST_CR4, read_cr4());
	vw(VMCS_HOST_CS_SEL, read_cs() & ~7u);
	vw(VMCS_HOST_SS_SEL, read_ss() & ~7u);
	vw(VMCS_HOST_DS_SEL, read_ds() & ~7u);
	vw(VMCS_HOST_ES_SEL, read_es() & ~7u);
	vw(VMCS_HOST_FS_SEL, read_fs() & ~7u);
	vw(VMCS_HOST_GS_SEL, read_gs() & ~7u);
	vw(VMCS_HOST_TR_SEL, tr & ~7u);
	vw(VMCS_HOST_FS_BASE, rdmsr(MSR_FS_BASE));
	vw(VMCS_HOST_GS_BASE, rdmsr(MSR_GS_BASE));
	vw(VMCS_HOST_TR_BASE, tss_base(&gdt, tr));
	vw(VMCS_HOST_GDTR_BASE, gdt.base);
	vw(VMCS_HOST_IDTR_BASE, idt.base);
	vw(VMCS_HOST_SYSENTER_CS, 0);
	vw(VMCS_HOST_SYSENTER_ESP, 0);
	vw(VMCS_HOST_SYSENTER_EIP, 0);
	vw(VMCS_HOST_PAT, rdmsr(MSR_IA32_PAT));
	vw(VMCS_HOST_EFER, rdmsr(MSR_EFER));
	vw(VMCS_HOST_RIP, (uint64_t)vmx_exit_entry);
}

static void guest_seg(enum vmcs_seg s, uint16_t sel, uint32_t ar, uint32_t limit)
{
	vw(VMCS_SEG_SEL(s), sel);
	vw(VMCS_SEG_BASE(s), 0);
	vw(VMCS_SEG_LIMIT(s), limit);
	vw(VMCS_SEG_AR(s), ar);
}

static void guest_state_rest(uint64_t cr0, uint64_t rip);

/* Guest state for the PVH entry (Xen docs/misc/pvh.pandoc): 32-bit
 * protected mode, paging off (allowed by unrestricted guest, 27.3.1.1),
 * flat 4 GiB code and data segments, EBX = start info. CR0 and CR4 carry
 * the bits VMX forces (NE, VMXE); the read shadows show the guest its own
 * values and the masks make its writes of those bits exit. */
static void setup_guest_state(const struct vcpu_entry *e)
{
	uint64_t cr0 = CR0_PE | CR0_ET;

	if (e->mode == VCPU_ENTRY_REAL) {
		/* As the BIOS jumps to a boot sector (vcpu.h): real mode, run
		 * as it is under unrestricted guest (27.3.1.1), 64 KiB segments
		 * based at selector * 16, the vector table at 0. */
		enum vmcs_seg data[] = { VSEG_DS, VSEG_ES, VSEG_SS, VSEG_FS, VSEG_GS };

		cr0 = CR0_ET;
		guest_seg(VSEG_CS, e->cs, 0x9b, 0xffff);	/* present code, exec/read, 16-bit */
		vw(VMCS_SEG_BASE(VSEG_CS), (uint64_t)e->cs << 4);
		for (unsigned i = 0; i < ARRAY_SIZE(data); i++)
			guest_seg(data[i], 0, 0x93, 0xffff);
		guest_seg(VSEG_TR, 0, 0x8b, 0xffff);		/* busy TSS, as after reset */
		vw(VMCS_GUEST_IDTR_LIMIT, 0x3ff);
		vw(VMCS_GUEST_GDTR_LIMIT, 0xffff);
	} else {
		guest_seg(VSEG_CS, 0x10, 0xc09b, 0xffffffff);	/* code exec/read accessed, D, G */
		guest_seg(VSEG_DS, 0x18, 0xc093, 0xffffffff);	/* data read/write accessed */
		guest_seg(VSEG_ES, 0x18, 0xc093, 0xffffffff);
		guest_seg(VSEG_SS, 0x18, 0xc093, 0xffffffff);
		guest_seg(VSEG_FS, 0x18, 0xc093, 0xffffffff);
		guest_seg(VSEG_GS, 0x18, 0xc093, 0xffffffff);
		guest_seg(VSEG_TR, 0x20, 0x8b, 0x67);		/* busy 32-bit TSS */
		vw(VMCS_GUEST_IDTR_LIMIT, 0);
		vw(VMCS_GUEST_GDTR_LIMIT, 0);
	}
	guest_state_rest(cr0, e->rip);
	cpu()->regs.rbx = e->rbx;
	cpu()->regs.rdx = e->rdx;
}

/* What every entry state shares (the PVH entry, the firmware's real mode,
 * a start-up IPI's): the CR0/CR4 masks and shadows, CR3/CR4 0, RFLAGS 2,
 * DR7, PAT and EFER as after reset, active, nothing blocked, no shadow
 * VMCS, the general registers 0. */
static void guest_state_rest(uint64_t cr0, uint64_t rip)
{
	guest_seg(VSEG_LDTR, 0, VMX_AR_UNUSABLE, 0);
	vw(VMCS_GUEST_GDTR_BASE, 0);
	vw(VMCS_GUEST_IDTR_BASE, 0);
	vw(VMCS_CR0_MASK, cr0_mask);
	vw(VMCS_CR4_MASK, cr4_mask);
	vw(VMCS_CR0_SHADOW, cr0);
	vw(VMCS_CR4_SHADOW, 0);
	vw(VMCS_GUEST_CR0, vmx_guest_cr0(&cfg, cr0));
	vw(VMCS_GUEST_CR3, 0);
	vw(VMCS_GUEST_CR4, vmx_guest_cr4(&cfg, 0));
	vw(VMCS_GUEST_DR7, 0x400);
	vw(VMCS_GUEST_RSP, 0);
	vw(VMCS_GUEST_RIP, rip);
	vw(VMCS_GUEST_RFLAGS, RFLAGS_FIXED);
	vw(VMCS_GUEST_PENDING_DBG, 0);
	vw(VMCS_GUEST_INTERRUPTIBILITY, 0);
	vw(VMCS_GUEST_ACTIVITY, VMX_ACTIVITY_ACTIVE);
	vw(VMCS_GUEST_SYSENTER_CS, 0);
	vw(VMCS_GUEST_SYSENTER_ESP, 0);
	vw(VMCS_GUEST_SYSENTER_EIP, 0);
	vw(VMCS_GUEST_DEBUGCTL, 0);
	vw(VMCS_GUEST_PAT, 0x0007040600070406ULL);	/* the reset value */
	vw(VMCS_GUEST_EFER, 0);
	vw(VMCS_LINK_POINTER, ~0ULL);	/* no shadow VMCS (25.4.2) */
	memset(&cpu()->regs, 0, sizeof(cpu()->regs));
}

/* The execution, exit and entry controls, the bitmaps, the EPTP, the VPID
 * and the host state, in the current VMCS: the same on every CPU but the
 * host state, which is the running CPU's (its GDT, TSS and GS base). */
static void write_controls(void)
{
	/* NMI-window exiting is set only while an NMI waits for the guest;
	 * IA-32e mode guest follows the guest's EFER.LMA (the CPU stores it
	 * on every exit, 28.2). */
	cpu()->proc = cfg.procbased & ~PROC_NMI_WINDOW_EXITING;
	vw(VMCS_PIN_CONTROLS, cfg.pinbased);
	vw(VMCS_PROC_CONTROLS, cpu()->proc);
	vw(VMCS_PROC2_CONTROLS, cfg.procbased2);
	vw(VMCS_EXIT_CONTROLS, cfg.exit);
	vw(VMCS_ENTRY_CONTROLS, cfg.entry & ~ENTRY_IA32E_GUEST);
	vw(VMCS_EXCEPTION_BITMAP, 0);
	vw(VMCS_PF_ERROR_MASK, 0);
	vw(VMCS_PF_ERROR_MATCH, 0);
	vw(VMCS_CR3_TARGET_COUNT, 0);
	vw(VMCS_EXIT_MSR_STORE_COUNT, 0);
	vw(VMCS_EXIT_MSR_LOAD_COUNT, 0);
	vw(VMCS_ENTRY_MSR_LOAD_COUNT, 0);
	vw(VMCS_ENTRY_INTR_INFO, 0);
	vw(VMCS_IO_BITMAP_A, io_bitmap_pa);
	vw(VMCS_IO_BITMAP_B, io_bitmap_pa + PAGE_SIZE);
	vw(VMCS_MSR_BITMAP, msr_bitmap_pa);
	vw(VMCS_EPTP, eptp);
	if (cfg.vpid)
		vw(VMCS_VPID, GUEST_VPID);
	setup_host_state();
}

static int vmx_setup_guest(paddr_t root, const struct vcpu_entry *e)
{
	int rc = setup_intercepts();

	if (rc)
		return rc;
	eptp = vmx_eptp(root);
	cr0_mask = vmx_cr0_mask(&cfg);
	/* CR4 bits of features CPUID hides from the guest exit too: the CPU
	 * would take them (issue 9: checked by vmm/cr_write.h). */
	cr4_mask = vmx_cr4_mask(&cfg) | (~x86_cr4_valid_bits(&guest_features) & 0xffffffffULL);
	write_controls();
	setup_guest_state(e);
	log_info("vmx guest set up eptp=0x%llx pin=0x%x proc=0x%x proc2=0x%x exit=0x%x "
		 "entry=0x%x cr0_mask=0x%llx cr4_mask=0x%llx", (unsigned long long)eptp,
		 cfg.pinbased, cpu()->proc, cfg.procbased2, cfg.exit,
		 cfg.entry & ~ENTRY_IA32E_GUEST, (unsigned long long)cr0_mask,
		 (unsigned long long)cr4_mask);
	return 0;
}

/* ---- the guest's state as the portable code sees it ---- */

static uint64_t guest_cr0(void)	/* what the guest believes: shadowed bits its own */
{
	return (vr(VMCS_GUEST_CR0) & ~cr0_mask) | (vr(VMCS_CR0_SHADOW) & cr0_mask);
}

static uint64_t guest_cr4(void)
{
	return (vr(VMCS_GUEST_CR4) & ~cr4_mask) | (vr(VMCS_CR4_SHADOW) & cr4_mask);
}

static unsigned guest_cpl(void)
{
	return (unsigned)(vr(VMCS_SEG_AR(VSEG_SS)) >> 5) & 3;	/* SS.DPL (25.4.1) */
}

static struct guest_paging paging(void)
{
	return (struct guest_paging){
		.cr0 = vr(VMCS_GUEST_CR0), .cr3 = vr(VMCS_GUEST_CR3), .cr4 = guest_cr4(),
		.efer = vr(VMCS_GUEST_EFER), .user = guest_cpl() == 3,
	};
}

static enum x86_mode guest_mode(void)
{
	uint64_t ar = vr(VMCS_SEG_AR(VSEG_CS));

	return x86_mode_of(vr(VMCS_GUEST_EFER) & EFER_LMA, ar & VMX_AR_L, ar & VMX_AR_DB);
}

static void regs_out(struct vcpu_regs *r)
{
	*r = cpu()->regs;
	r->rsp = vr(VMCS_GUEST_RSP);
}

static void regs_in(const struct vcpu_regs *r)
{
	cpu()->regs = *r;
	vw(VMCS_GUEST_RSP, r->rsp);
}

static void log_guest_state(const char *why)
{
	log_error("guest stopped: %s", why);
	log_error("guest rip=0x%llx rsp=0x%llx rflags=0x%llx cs=0x%llx cpl=%u",
		  (unsigned long long)vr(VMCS_GUEST_RIP), (unsigned long long)vr(VMCS_GUEST_RSP),
		  (unsigned long long)vr(VMCS_GUEST_RFLAGS),
		  (unsigned long long)vr(VMCS_SEG_SEL(VSEG_CS)), guest_cpl());
	log_error("guest cr0=0x%llx cr3=0x%llx cr4=0x%llx efer=0x%llx",
		  (unsigned long long)guest_cr0(), (unsigned long long)vr(VMCS_GUEST_CR3),
		  (unsigned long long)guest_cr4(), (unsigned long long)vr(VMCS_GUEST_EFER));
	log_error("guest rax=0x%llx rbx=0x%llx rcx=0x%llx rdx=0x%llx exit_reason=0x%llx "
		  "qualification=0x%llx gpa=0x%llx intr_info=0x%llx idt_vectoring=0x%llx",
		  (unsigned long long)cpu()->regs.rax, (unsigned long long)cpu()->regs.rbx,
		  (unsigned long long)cpu()->regs.rcx, (unsigned long long)cpu()->regs.rdx,
		  (unsigned long long)vr(VMCS_EXIT_REASON),
		  (unsigned long long)vr(VMCS_EXIT_QUALIFICATION),
		  (unsigned long long)vr(VMCS_GUEST_PHYS_ADDR),
		  (unsigned long long)vr(VMCS_EXIT_INTR_INFO),
		  (unsigned long long)vr(VMCS_IDT_VECTORING_INFO));
}

static void log_reset_request(const char *what)
{
	log_info("guest %s rip=0x%llx cs=0x%llx cr0=0x%llx: the guest's reset request", what,
		 (unsigned long long)vr(VMCS_GUEST_RIP),
		 (unsigned long long)vr(VMCS_SEG_SEL(VSEG_CS)), (unsigned long long)guest_cr0());
}

/* ---- events ---- */

static void inject_exception(unsigned vector, bool error_code)
{
	vw(VMCS_ENTRY_INTR_INFO, VMX_INTR_VALID | VMX_INTR_TYPE_HW_EXCEPTION | vector |
				 (error_code ? VMX_INTR_ERROR_VALID : 0));
	if (error_code)
		vw(VMCS_ENTRY_EXCEPTION_ERROR, 0);
}

static void inject_gp(void)
{
	inject_exception(13, true);
}

static void inject_ud(void)
{
	inject_exception(6, false);
}

/* The instruction that exited is done: past it, and any STI/MOV-SS
 * blocking it was under ends with it (25.4.2). */
static void skip_to(uint64_t rip)
{
	uint64_t in = vr(VMCS_GUEST_INTERRUPTIBILITY);

	vw(VMCS_GUEST_RIP, rip);
	if (in & (VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS))
		vw(VMCS_GUEST_INTERRUPTIBILITY,
		   in & ~(uint64_t)(VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS));
}

/* The VM-exit instruction-length field: defined for exits caused by an
 * instruction (28.2.5). */
static void skip(void)
{
	skip_to(vr(VMCS_GUEST_RIP) + vr(VMCS_EXIT_INSN_LEN));
}

/* ---- the guest's state for vmm/vcpu_exit.h ---- */

static const enum vmcs_seg vmcs_seg_of[] = {
	[X86_SEG_ES] = VSEG_ES, [X86_SEG_CS] = VSEG_CS, [X86_SEG_SS] = VSEG_SS,
	[X86_SEG_DS] = VSEG_DS, [X86_SEG_FS] = VSEG_FS, [X86_SEG_GS] = VSEG_GS,
};

static uint64_t seg_base_of(enum x86_seg seg)
{
	return vr(VMCS_SEG_BASE(vmcs_seg_of[seg]));
}

static uint16_t seg_sel_of(enum x86_seg seg)
{
	return (uint16_t)vr(VMCS_SEG_SEL(vmcs_seg_of[seg]));
}

static void set_cs_real(uint16_t sel)
{
	vw(VMCS_SEG_SEL(VSEG_CS), sel);
	vw(VMCS_SEG_BASE(VSEG_CS), (uint64_t)sel << 4);
}

static uint64_t get_rip(void)
{
	return vr(VMCS_GUEST_RIP);
}

static uint64_t get_rflags(void)
{
	return vr(VMCS_GUEST_RFLAGS);
}

static void set_rflags(uint64_t rflags)
{
	vw(VMCS_GUEST_RFLAGS, rflags);
}

static uint64_t get_efer(void)
{
	return vr(VMCS_GUEST_EFER);
}

static void set_efer(uint64_t efer)
{
	vw(VMCS_GUEST_EFER, efer & ~EFER_SVME);	/* SVME is the SVM back-end's */
}

static struct vcpu_stats *stats_of(void)
{
	return &cpu()->stats;
}

static NORETURN void stop_guest(const char *why)
{
	log_guest_state(why);
	shoji_stop(STOP_FAILURE);
}

/* vcpu_exit_ops.followon_blocked: an event in delivery (IDT-vectoring
 * information, 28.2.4) or to be injected (VM-entry interruption
 * information, 26.6), the guest's NMI waiting for its window, STI/MOV-SS
 * blocking (25.4.2, table 25-3), pending debug exceptions (25.4.2) or
 * breakpoints enabled in DR7 (L0-G3, bits 7:0; SDM 3B 18.2.4). */
static bool followon_blocked(void)
{
	return (vr(VMCS_IDT_VECTORING_INFO) & VMX_INTR_VALID) ||
	       (vr(VMCS_ENTRY_INTR_INFO) & VMX_INTR_VALID) || cpu()->nmi_for_guest ||
	       (vr(VMCS_GUEST_INTERRUPTIBILITY) &
		(VMX_INTERRUPTIBILITY_STI | VMX_INTERRUPTIBILITY_MOV_SS)) ||
	       vr(VMCS_GUEST_PENDING_DBG) || (vr(VMCS_GUEST_DR7) & 0xff);
}

static const struct vcpu_exit_ops vmx_exit = {
	.name = "vmx",
	.regs_out = regs_out,
	.regs_in = regs_in,
	.rip = get_rip,
	.set_rip = skip_to,
	.rflags = get_rflags,
	.set_rflags = set_rflags,
	.mode = guest_mode,
	.paging = paging,
	.seg_base = seg_base_of,
	.cr0 = guest_cr0,
	.cr4 = guest_cr4,
	.efer = get_efer,
	.set_efer = set_efer,
	.seg_sel = seg_sel_of,
	.set_cs_real = set_cs_real,
	.inject_gp = inject_gp,
	.inject_ud = inject_ud,
	.cpl = guest_cpl,
	.followon_blocked = followon_blocked,
	.stats = stats_of,
	.stop = stop_guest,
};

static void set_nmi_window(bool on)
{
	uint32_t p = on ? cpu()->proc | PROC_NMI_WINDOW_EXITING
			: cpu()->proc & ~PROC_NMI_WINDOW_EXITING;

	if (p != cpu()->proc) {
		cpu()->proc = p;
		vw(VMCS_PROC_CONTROLS, p);
	}
}

/* An event the exit interrupted in delivery (IDT-vectoring information,
 * 28.2.4) is delivered again at the next entry, or it would be lost (an
 * external interrupt on its way through the guest's IDT when an NMI
 * arrived, say). */
static void redeliver_vectoring(void)
{
	uint64_t info = vr(VMCS_IDT_VECTORING_INFO);

	if (!(info & VMX_INTR_VALID))
		return;
	vw(VMCS_ENTRY_INTR_INFO, info & ~(uint64_t)(1u << 12));	/* bit 12 undefined */
	if (info & VMX_INTR_ERROR_VALID)
		vw(VMCS_ENTRY_EXCEPTION_ERROR, vr(VMCS_IDT_VECTORING_ERROR));
	vw(VMCS_ENTRY_INSN_LEN, vr(VMCS_EXIT_INSN_LEN));
}

/* A VM exit caused by an NMI leaves NMIs blocked in VMX root operation
 * until the next IRET (SDM 3C 28.5.5 / table 25-3, "blocking by NMI"):
 * shoji takes no NMI through its IDT on that path, so without an IRET the
 * next kick would never reach a parked CPU's HLT. An IRET to the next
 * instruction ends the blocking. */
static void nmi_unblock(void)
{
	__asm__ volatile("movq %%rsp, %%rax\n\t"
			 "movl %%ss, %%ecx\n\t"
			 "pushq %%rcx\n\t"
			 "pushq %%rax\n\t"
			 "pushfq\n\t"
			 "movl %%cs, %%ecx\n\t"
			 "pushq %%rcx\n\t"
			 "leaq 1f(%%rip), %%rcx\n\t"
			 "pushq %%rcx\n\t"
			 "iretq\n"
			 "1:"
			 ::: "rax", "rcx", "memory", "cc");
}

/* An NMI arrived while the guest ran (NMI exiting: it is consumed by the
 * exit, 26.2). If the IOMMU raised it, its faults are read; if shoji sent
 * it (a kick: cpu_start's INIT), the run loop does the work before the
 * next entry; otherwise it is the guest's (its watchdog, its IPIs) and
 * goes back to it as soon as the guest can take one: at the NMI window
 * (virtual NMIs, 26.7.5). */
static void handle_nmi(void)
{
	bool kicked = cpu_take_kicks();

	nmi_unblock();
	if (iommu_fault_pending()) {
		cpu()->stats.fault_nmis += iommu_poll_faults() ? 1 : 0;
		return;
	}
	if (kicked)
		return;
	cpu()->nmi_for_guest = true;
	set_nmi_window(true);
}

static void handle_nmi_window(void)
{
	uint64_t pending = vr(VMCS_ENTRY_INTR_INFO);

	if (pending & VMX_INTR_VALID)
		return;		/* another event goes first; the window exits again */
	if (cpu()->nmi_for_guest) {
		static uint64_t given;	/* all CPUs: the first few are logged */

		vw(VMCS_ENTRY_INTR_INFO, VMX_INTR_VALID | VMX_INTR_TYPE_NMI | 2);
		if (__atomic_fetch_add(&given, 1, __ATOMIC_SEQ_CST) < 4)
			log_info("vmx nmi cpu=%u given back to the guest at its NMI window "
				 "rip=0x%llx", hal_cpu_index(),
				 (unsigned long long)vr(VMCS_GUEST_RIP));
	}
	cpu()->nmi_for_guest = false;
	set_nmi_window(false);
}

static void handle_exception_or_nmi(void)
{
	uint64_t info = vr(VMCS_EXIT_INTR_INFO);

	if ((info & VMX_INTR_VALID) && (info & VMX_INTR_TYPE_MASK) == VMX_INTR_TYPE_NMI) {
		cpu()->stats.nmi++;
		handle_nmi();
		return;
	}
	/* The exception bitmap is 0: no exception should exit. */
	log_guest_state("unexpected exception exit");
	shoji_stop(STOP_FAILURE);
}

/* ---- instructions ---- */

/* I/O exits: exit qualification (28.2.1, table 28-5): size - 1 in bits
 * 2:0, IN in bit 3, string in bit 4, REP in bit 5, port in bits 31:16;
 * the access itself is vmm/vcpu_exit.h's, as on SVM. */
static void handle_io(void)
{
	uint64_t q = vr(VMCS_EXIT_QUALIFICATION);
	struct vcpu_io io = {
		.port = (uint16_t)(q >> 16), .size = (uint8_t)((q & 7) + 1), .in = q & (1u << 3),
		.string = q & (1u << 4), .rep = q & (1u << 5),
		.len = (uint8_t)vr(VMCS_EXIT_INSN_LEN),
	};

	vcpu_exit_io(&vmx_exit, &io);
}

/* XSETBV exits unconditionally (26.1.2); CR4.OSXSAVE clear or CPL > 0
 * fault before the exit. XCR0 is not switched by VM entry or exit: the
 * guest's value is the CPU's (shoji uses no XSAVE-managed state). */
static void handle_xsetbv(void)
{
	uint32_t index = (uint32_t)cpu()->regs.rcx;
	uint64_t v = (cpu()->regs.rax & 0xffffffffu) | (cpu()->regs.rdx << 32);
	uint64_t supported = 0;
	const char *why;

	if (host_features.l1_ecx & CPUID_1_ECX_XSAVE) {
		struct cpuid_regs d = cpuid(0xd, 0);

		supported = ((uint64_t)d.edx << 32) | d.eax;
	}
	why = x86_xcr0_write_check(index, v, supported);
	if (why) {
		log_warn("guest xsetbv xcr%u=0x%llx refused (#GP): %s", index,
			 (unsigned long long)v, why);
		inject_gp();
		return;
	}
	__asm__ volatile("xsetbv" ::"c"(index), "a"((uint32_t)v), "d"((uint32_t)(v >> 32)));
	skip();
}

/* A TLB flush the guest's own CR write would have made (SDM 3A 4.10.4):
 * with a VPID, VM entry keeps the guest's translations, so flush them. */
static void flush_guest_tlb(void)
{
	struct {
		uint64_t vpid, addr;
	} desc = { GUEST_VPID, 0 };
	uint8_t zf, cf;

	if (!cfg.vpid)
		return;	/* VPID 0: every entry and exit flushes (29.4.3.1) */
	for (uint64_t type = 1; type <= 2; type++) {	/* single-context, all-context */
		__asm__ volatile("invvpid %[d], %[t]" VMX_RESULT_ASM
				 : [zf] "=qm"(zf), [cf] "=qm"(cf) : [d] "m"(desc), [t] "r"(type)
				 : "cc", "memory");
		if (!vmx_result(zf, cf))
			return;
	}
	log_guest_state("INVVPID failed");
	shoji_stop(STOP_FAILURE);
}

static uint64_t gpr(unsigned reg)
{
	return reg == 4 ? vr(VMCS_GUEST_RSP) : x86_reg_get(&cpu()->regs, (int)reg);
}

/* The guest's control state for vmm/cr_write.h, as the guest sees it. */
static struct cr_state cr_state_now(void)
{
	return (struct cr_state){
		.cr0 = guest_cr0(), .cr3 = vr(VMCS_GUEST_CR3), .cr4 = guest_cr4(),
		.efer = vr(VMCS_GUEST_EFER), .cs_l = vr(VMCS_SEG_AR(VSEG_CS)) & VMX_AR_L,
	};
}

/* A CR write vmm/cr_write.h took: the guest's values into the read
 * shadows, the CPU's with the bits VMX forces; EFER.LMA (which cr0_write
 * moves with CR0.PG and EFER.LME) with the IA-32e-mode-guest control that
 * must match it at entry (28.3.1.1). */
static void cr_state_apply(const struct cr_state *st, bool flush)
{
	uint64_t entry = vr(VMCS_ENTRY_CONTROLS);

	vw(VMCS_CR0_SHADOW, st->cr0);
	vw(VMCS_GUEST_CR0, vmx_guest_cr0(&cfg, st->cr0));
	vw(VMCS_CR4_SHADOW, st->cr4);
	vw(VMCS_GUEST_CR4, vmx_guest_cr4(&cfg, st->cr4));
	vw(VMCS_GUEST_EFER, st->efer);
	vw(VMCS_ENTRY_CONTROLS, (st->efer & EFER_LMA) ? entry | ENTRY_IA32E_GUEST
						      : entry & ~ENTRY_IA32E_GUEST);
	if (flush)
		flush_guest_tlb();
}

/* Exit qualification for CR accesses (28.2.1, table 28-3): CR number in
 * bits 3:0, access type in 5:4 (0 MOV to CR, 1 MOV from CR, 2 CLTS, 3
 * LMSW), the register in 11:8, LMSW's source data in 31:16. They exit when
 * they would change a bit of the guest/host masks (the bits VMX forces,
 * those CPUID hides from the guest) from its read shadow; no CR3/CR8
 * exiting. VT-x names the instruction, so nothing is decoded: the
 * qualification becomes the struct cr_insn vmm/cr_write.h checks and
 * applies, as on SVM. */
static void handle_cr_access(void)
{
	uint64_t q = vr(VMCS_EXIT_QUALIFICATION);
	unsigned crn = q & 15, type = (q >> 4) & 3, reg = (q >> 8) & 15;
	struct cr_state st = cr_state_now();
	struct cr_insn insn = { .cr = (uint8_t)crn, .gpr = (uint8_t)reg };
	uint64_t src = 0, v;
	bool flush = false;
	const char *why;

	if (type == 0 && (crn == 0 || crn == 4)) {
		insn.kind = CR_INSN_MOV;
		src = gpr(reg);
	} else if (type == 2) {
		insn.kind = CR_INSN_CLTS;
	} else if (type == 3) {
		insn.kind = CR_INSN_LMSW;
		src = (q >> 16) & 0xffff;
	} else {
		log_guest_state("unexpected control-register access exit");
		shoji_stop(STOP_FAILURE);
	}
	v = cr_insn_value(&insn, src, guest_mode(), st.cr0);
	if (insn.kind == CR_INSN_MOV && crn == 4) {
		cpu()->stats.cr4_write++;
		why = cr4_write(&st, v, &guest_features, &flush);
	} else {
		cpu()->stats.cr0_write++;
		why = cr0_write(&st, v, &flush);
	}
	if (why) {
		log_warn("guest cr%u=0x%llx refused (#GP): %s", insn.kind == CR_INSN_MOV ? crn : 0,
			 (unsigned long long)v, why);
		inject_gp();
		return;
	}
	cr_state_apply(&st, flush);
	skip();
}

/* ---- EPT violations: MMIO emulation and stand-in pages ---- */

static void invept_guest(void)
{
	int rc = invept(cfg.invept_single ? 1 : 2, eptp);

	if (rc) {
		log_insn_error("INVEPT", rc, 0);
		shoji_stop(STOP_FAILURE);
	}
}

static void handle_ept_violation(void)
{
	uint64_t q = vr(VMCS_EXIT_QUALIFICATION);
	paddr_t gpa = vr(VMCS_GUEST_PHYS_ADDR);
	bool write = q & EPT_QUAL_WRITE, fetch = q & EPT_QUAL_FETCH;
	const struct protected_range *h = ept_guest_mmio_range(gpa);
	enum ept_guest_fault f;

	cpu()->stats.npf++;
	if (h) {
		vcpu_exit_mmio(&vmx_exit, h, gpa, write, fetch);
		return;
	}
	cpu()->stats.npf_forbidden++;
	spin_lock(&ept_lock);
	/* Another CPU may have put the stand-in in since this one faulted:
	 * then only this CPU's cached translation is stale. */
	{
		unsigned level;
		uint64_t e = ept_lookup(&ept.ept, gpa, &level);

		if ((e & EPT_R) && (!write || (e & EPT_W))) {
			spin_unlock(&ept_lock);
			invept_guest();
			return;
		}
	}
	f = ept_guest_violation(&ept, gpa, write, fetch);
	if (f == EPT_GUEST_HANDLED)
		__atomic_fetch_add(&ept_generation, 1, __ATOMIC_SEQ_CST);
	spin_unlock(&ept_lock);
	switch (f) {
	case EPT_GUEST_HANDLED:
		cpu()->ept_seen = __atomic_load_n(&ept_generation, __ATOMIC_SEQ_CST);
		invept_guest();
		break;
	case EPT_GUEST_EXEC:
		log_guest_state("instruction fetch from protected memory");
		shoji_stop(STOP_FAILURE);
	case EPT_GUEST_UNEXPECTED:
		log_guest_state("EPT violation outside the guest's memory");
		shoji_stop(STOP_FAILURE);
	}
}

/* ---- the exit dispatcher and the run loop ---- */

static bool is_vmx_instruction(uint32_t reason)
{
	switch (reason) {
	case VMX_EXIT_VMCLEAR: case VMX_EXIT_VMLAUNCH: case VMX_EXIT_VMPTRLD:
	case VMX_EXIT_VMPTRST: case VMX_EXIT_VMREAD: case VMX_EXIT_VMRESUME:
	case VMX_EXIT_VMWRITE: case VMX_EXIT_VMXOFF: case VMX_EXIT_VMXON:
	case VMX_EXIT_INVEPT: case VMX_EXIT_INVVPID: case VMX_EXIT_VMFUNC:
	case VMX_EXIT_GETSEC:
		return true;
	default:
		return false;
	}
}

static void handle_exit(uint32_t reason)
{
	cpu()->stats.exits++;
	redeliver_vectoring();
	if (is_vmx_instruction(reason)) {
		/* VMX does not exist for the guest (CPUID says so): #UD, as
		 * SVM instructions get on SVM. GETSEC: no SMX either. */
		log_warn("guest %s at rip=0x%llx: #UD", vmx_exit_reason_str(reason),
			 (unsigned long long)vr(VMCS_GUEST_RIP));
		inject_ud();
		return;
	}
	switch (reason) {
	case VMX_EXIT_EXCEPTION_NMI:
		handle_exception_or_nmi();
		break;
	case VMX_EXIT_NMI_WINDOW:
		handle_nmi_window();
		break;
	case VMX_EXIT_CPUID:
		cpu()->stats.cpuid++;
		vcpu_exit_cpuid(&vmx_exit, (unsigned)vr(VMCS_EXIT_INSN_LEN));
		break;
	case VMX_EXIT_RDMSR:
		cpu()->stats.msr++;
		vcpu_exit_rdmsr(&vmx_exit, (unsigned)vr(VMCS_EXIT_INSN_LEN));
		break;
	case VMX_EXIT_WRMSR:
		cpu()->stats.msr++;
		vcpu_exit_wrmsr(&vmx_exit, (unsigned)vr(VMCS_EXIT_INSN_LEN));
		break;
	case VMX_EXIT_IO:
		cpu()->stats.io++;
		handle_io();
		break;
	case VMX_EXIT_EPT_VIOLATION:
		handle_ept_violation();
		break;
	case VMX_EXIT_VMCALL:
		cpu()->stats.vmmcall++;
		vcpu_exit_vmmcall(&vmx_exit, (unsigned)vr(VMCS_EXIT_INSN_LEN));
		break;
	case VMX_EXIT_CR_ACCESS:
		handle_cr_access();
		break;
	case VMX_EXIT_XSETBV:
		handle_xsetbv();
		break;
	case VMX_EXIT_INVD:
		__asm__ volatile("wbinvd");	/* never drop dirty lines shoji owns */
		skip();
		break;
	case VMX_EXIT_TRIPLE_FAULT:
		/* A triple fault resets a PC (the chipset turns the shutdown
		 * cycle into INIT): Linux's reboot=triple relies on it. */
		log_reset_request("triple fault (shutdown)");
		vcpu_power_ops()->guest_reset("triple-fault");
	case VMX_EXIT_INIT:
		/* INIT always exits in VMX non-root operation (26.2): the
		 * guest's reset request, never a silent reset under shoji. */
		log_reset_request("INIT signal");
		vcpu_power_ops()->guest_reset("init");
	case VMX_EXIT_EPT_MISCONFIG:
		log_error("ept misconfiguration at gpa=0x%llx: shoji built a bad entry",
			  (unsigned long long)vr(VMCS_GUEST_PHYS_ADDR));
		log_guest_state("EPT misconfiguration");
		shoji_stop(STOP_FAILURE);
	default:
		log_error("vmx exit reason=%u (%s)", reason, vmx_exit_reason_str(reason));
		log_guest_state("unexpected exit");
		shoji_stop(STOP_FAILURE);
	}
}

/* VMLAUNCH/VMRESUME refused (31.4: errors 7 invalid control fields, 8
 * invalid host state) or the entry failed on the guest state (exit
 * reason bit 31: 33 invalid guest state, 34 MSR loading, 41 machine
 * check; 28.8): the number and its meaning, the controls and the state. */
static NORETURN void entry_failed(int rc, uint64_t reason)
{
	if (rc == VMX_FLAGS_FAIL_VALID) {
		uint64_t err = vr(VMCS_INSN_ERROR);

		log_error("vmx: VM entry failed: %s error=%llu (%s)",
			  cpu()->launched ? "VMRESUME" : "VMLAUNCH", (unsigned long long)err,
			  vmx_insn_error_str((uint32_t)err));
	} else if (rc) {
		log_error("vmx: VM entry failed: VMfailInvalid (no current VMCS)");
		shoji_stop(STOP_FAILURE);
	} else {
		log_error("vmx: VM entry failed: exit reason=%llu (%s) qualification=0x%llx (%s)",
			  (unsigned long long)(reason & 0xffff),
			  vmx_exit_reason_str((uint32_t)(reason & 0xffff)),
			  (unsigned long long)vr(VMCS_EXIT_QUALIFICATION),
			  vmx_entry_failure_qual_str(vr(VMCS_EXIT_QUALIFICATION)));
	}
	log_error("vmx controls pin=0x%llx proc=0x%llx proc2=0x%llx exit=0x%llx entry=0x%llx "
		  "entry_intr=0x%llx eptp=0x%llx",
		  (unsigned long long)vr(VMCS_PIN_CONTROLS), (unsigned long long)vr(VMCS_PROC_CONTROLS),
		  (unsigned long long)vr(VMCS_PROC2_CONTROLS),
		  (unsigned long long)vr(VMCS_EXIT_CONTROLS),
		  (unsigned long long)vr(VMCS_ENTRY_CONTROLS),
		  (unsigned long long)vr(VMCS_ENTRY_INTR_INFO), (unsigned long long)vr(VMCS_EPTP));
	log_error("vmx host cr0=0x%llx cr3=0x%llx cr4=0x%llx efer=0x%llx rip=0x%llx",
		  (unsigned long long)vr(VMCS_HOST_CR0), (unsigned long long)vr(VMCS_HOST_CR3),
		  (unsigned long long)vr(VMCS_HOST_CR4), (unsigned long long)vr(VMCS_HOST_EFER),
		  (unsigned long long)vr(VMCS_HOST_RIP));
	log_guest_state("VM entry failed");
	shoji_stop(STOP_FAILURE);
}

/* ---- application processors (docs/smp.md) ---- */

/* The state a start-up IPI with this vector gives (vmm/cpu_start.h), in
 * this CPU's VMCS made afresh (VMCLEAR, VMPTRLD: VMLAUNCH again): real mode
 * at CS = vector << 8, IP = 0, run under unrestricted guest (27.3.1.1), as
 * the BSP's firmware entry is. */
static void load_sipi_state(uint8_t vector)
{
	struct vcpu_sipi_state st = cpu_start_sipi_state(vector);
	enum vmcs_seg data[] = { VSEG_DS, VSEG_ES, VSEG_SS, VSEG_FS, VSEG_GS };
	int rc = vmclear(cpu()->vmcs_pa);

	if (!rc)
		rc = vmptrld(cpu()->vmcs_pa);
	if (rc) {
		log_insn_error("VMCLEAR/VMPTRLD", rc, 0);
		shoji_stop(STOP_FAILURE);
	}
	cpu()->launched = false;
	cpu()->nmi_for_guest = false;
	write_controls();
	guest_seg(VSEG_CS, st.cs_sel, 0x9b, st.limit);	/* present code, exec/read, accessed */
	vw(VMCS_SEG_BASE(VSEG_CS), st.cs_base);
	for (unsigned i = 0; i < ARRAY_SIZE(data); i++)
		guest_seg(data[i], 0, 0x93, st.limit);	/* read/write, accessed */
	guest_seg(VSEG_TR, 0, 0x8b, st.limit);		/* busy 16-bit TSS, as after INIT */
	vw(VMCS_GUEST_IDTR_LIMIT, st.limit);
	vw(VMCS_GUEST_GDTR_LIMIT, st.limit);
	guest_state_rest(st.cr0, st.rip);
	vw(VMCS_GUEST_RFLAGS, st.rflags);
	cpu()->regs.rdx = cpuid(1, 0).eax;	/* EDX after INIT: the processor signature */
	cpu()->ept_seen = __atomic_load_n(&ept_generation, __ATOMIC_SEQ_CST);
	invept_guest();
}

/* Parked: this CPU waits in shoji, halted, for a start-up IPI the guest
 * sends it (vmm/cpu_start.h); a kick (an NMI: it ends HLT in VMX root
 * operation, shoji's IDT counts it) wakes it to look. Then it enters the
 * guest at the vector, as hardware would. */
static void park_until_sipi(void)
{
	unsigned me = hal_cpu_index();
	uint8_t vector;

	while (!cpu_start_take_sipi(me, &vector)) {
		__asm__ volatile("hlt" ::: "memory");
		cpu_take_kicks();
	}
	load_sipi_state(vector);
	apic_note_this_cpu();
	log_info("cpu start: cpu=%u apic_id=%u enters the guest vector=0x%x cs=0x%llx", me,
		 percpu_of(me)->apic_id, vector, (unsigned long long)vr(VMCS_SEG_SEL(VSEG_CS)));
}

/* An INIT the guest sent this running CPU (cpu_start: INIT_PENDING): it
 * leaves the guest's state behind and waits for a start-up IPI again. */
static void take_init(void)
{
	unsigned me = hal_cpu_index();

	log_info("cpu start: cpu=%u leaves the guest for INIT rip=0x%llx: waits for a "
		 "start-up IPI", me, (unsigned long long)vr(VMCS_GUEST_RIP));
	cpu_start_init_ack(me);
	park_until_sipi();
}

static NORETURN void run_loop(void)
{
	unsigned me = hal_cpu_index();

	log_info("guest start rip=0x%llx cpu=%u", (unsigned long long)vr(VMCS_GUEST_RIP), me);
	for (;;) {
		int rc;
		uint64_t reason, t0, gen;

		if (cpu_start_init_pending(me))
			take_init();
		/* A stand-in another CPU put in since this one last flushed. */
		gen = __atomic_load_n(&ept_generation, __ATOMIC_SEQ_CST);
		if (gen != cpu()->ept_seen) {
			cpu()->ept_seen = gen;
			invept_guest();
		}
		__atomic_store_n(&cpu()->in_guest, true, __ATOMIC_SEQ_CST);
		rc = vmx_enter(&cpu()->regs, cpu()->launched);
		__atomic_store_n(&cpu()->in_guest, false, __ATOMIC_SEQ_CST);

		if (rc)
			entry_failed(rc, 0);
		reason = vr(VMCS_EXIT_REASON);
		if (reason & VMX_EXIT_REASON_ENTRY_FAILURE)
			entry_failed(0, reason);
		cpu()->launched = true;
		t0 = rdtsc();
		prof_enter(PROF_EXIT);
		/* The event injected at this entry is delivered (or back in the
		 * IDT-vectoring information): none pending any more. */
		vw(VMCS_ENTRY_INTR_INFO, 0);
		handle_exit((uint32_t)(reason & 0xffff));
		vcpu_run_exit_hook();
		prof_leave();
		cpu()->stats.tsc += rdtsc() - t0;
	}
}

/* vcpu_backend.kick_others: an NMI to every other CPU in the guest, as
 * svm_kick_others (one that is not in the guest exits on its own and runs
 * the exit hook anyway). The NMI exits (NMI exiting) and handle_nmi takes
 * the kick; an NMI that lands in VMX root operation just after the exit is
 * counted there and the CPU runs its exit hook before it enters again. */
static void vmx_kick_others(void)
{
	unsigned me = hal_cpu_index();

	for (unsigned i = 0; i < SHOJI_MAX_CPUS; i++)
		if (i != me && percpu_of(i) && __atomic_load_n(&cpus[i].in_guest, __ATOMIC_SEQ_CST))
			cpu_kick(i);
}

static NORETURN void vmx_run(void)
{
	apic_note_this_cpu();
	cpu_start_set_notify(cpu_kick);
	run_loop();
}

/* An application processor shoji started (core/smp.c): VMX operation on
 * it, then parked until the guest starts it. */
static int vmx_init_ap(void)
{
	return enable_this_cpu();
}

static NORETURN void vmx_run_ap(void)
{
	park_until_sipi();
	run_loop();
}

const struct vcpu_backend vmx_backend = {
	.name = "vmx",
	.hypercall = { 0x0f, 0x01, 0xc1 },	/* VMCALL */
	.init = vmx_init,
	.build_nested = vmx_build_nested,
	.setup = vmx_setup_guest,
	.set_exit_hook = vcpu_set_exit_hook,
	.set_vmmcall_handler = vcpu_set_vmmcall_handler,
	.set_realmode_call_handler = vcpu_set_realmode_call_handler,
	.set_power_ops = vcpu_set_power_ops,
	.stats = vmx_stats,
	.hole_touches = vmx_hole_touches,
	.run = vmx_run,
	.init_ap = vmx_init_ap,
	.kick_others = vmx_kick_others,
	.run_ap = vmx_run_ap,
};
